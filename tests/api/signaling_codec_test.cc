#include "api/signaling_codec.h"

#include <gtest/gtest.h>

namespace switchyard::api {
namespace {

TEST(DecodeClientMessageTest, DecodesEachClientMessage) {
  auto join = DecodeClientMessage(R"({"join":{"room":"r1","name":"Ada"}})");
  ASSERT_TRUE(join.ok()) << join.status();
  EXPECT_EQ(join->join().room(), "r1");
  EXPECT_EQ(join->join().name(), "Ada");

  auto offer = DecodeClientMessage(R"({"publishOffer":{"sdp":"v=0\r\n"}})");
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->publish_offer().sdp(), "v=0\r\n");

  auto answer = DecodeClientMessage(R"({"subscribeAnswer":{"sdp":"x"}})");
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->has_subscribe_answer());

  auto leave = DecodeClientMessage(R"({"leave":{}})");
  ASSERT_TRUE(leave.ok());
  EXPECT_TRUE(leave->has_leave());
}

TEST(DecodeClientMessageTest, RejectsBadInputWithClearErrors) {
  const char* bad[] = {
      "",                                  // not JSON
      "{",                                 // truncated
      "[]",                                // wrong JSON type
      "{}",                                // no message
      R"({"join":{"room":5}})",            // wrong field type
      R"({"joinx":{}})",                   // unknown field
      R"({"join":{},"leave":{}})",         // two oneof members
      "\xff\xfe",                          // not UTF-8
  };
  for (const char* text : bad) {
    auto m = DecodeClientMessage(text);
    EXPECT_FALSE(m.ok()) << "accepted: " << text;
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(EncodeServerMessageTest, UsesCanonicalJsonNames) {
  ServerMessage m;
  m.mutable_joined()->set_participant_id("p1");
  m.mutable_joined()->set_room("r");
  auto* p = m.mutable_joined()->add_participants();
  p->set_participant_id("p2");
  auto* t = p->add_tracks();
  t->set_track_id("p2-0");
  t->set_kind(v1::TRACK_KIND_VIDEO);
  const std::string json = EncodeServerMessage(m);
  EXPECT_NE(json.find(R"("participantId":"p1")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("kind":"TRACK_KIND_VIDEO")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("trackId":"p2-0")"), std::string::npos) << json;
}

// Broadcasts reuse the last encoding; a different message in between, or one that differs in
// a single field, must never get a stale one.
TEST(EncodeServerMessageTest, RepeatedMessagesEncodeTheSameAndOthersAreNeverStale) {
  ServerMessage a;
  a.mutable_active_speakers()->add_participant_ids("alice");
  ServerMessage b = a;
  b.mutable_active_speakers()->add_participant_ids("bob");
  ServerMessage muted;
  muted.mutable_track_muted()->set_participant_id("alice");
  muted.mutable_track_muted()->set_track_id("alice-1");
  ServerMessage unmuted = muted;
  unmuted.mutable_track_muted()->set_muted(false);
  muted.mutable_track_muted()->set_muted(true);

  const std::string a_json = EncodeServerMessage(a);
  EXPECT_EQ(a_json, R"({"activeSpeakers":{"participantIds":["alice"]}})");
  EXPECT_EQ(EncodeServerMessage(a), a_json);
  EXPECT_EQ(EncodeServerMessage(b), R"({"activeSpeakers":{"participantIds":["alice","bob"]}})");
  EXPECT_EQ(EncodeServerMessage(a), a_json);
  const std::string muted_json = EncodeServerMessage(muted);
  EXPECT_NE(muted_json.find(R"("muted":true)"), std::string::npos);
  const std::string unmuted_json = EncodeServerMessage(unmuted);
  EXPECT_NE(unmuted_json.find(R"("muted":false)"), std::string::npos);
  EXPECT_EQ(EncodeServerMessage(muted), muted_json);
  EXPECT_EQ(EncodeServerMessage(ServerMessage()), "{}");
}

TEST(ValidateTest, RoomNames) {
  EXPECT_TRUE(ValidateRoomName("team-standup_2.0").ok());
  EXPECT_FALSE(ValidateRoomName("").ok());
  EXPECT_FALSE(ValidateRoomName(std::string(65, 'a')).ok());
  EXPECT_FALSE(ValidateRoomName("a b").ok());
  EXPECT_FALSE(ValidateRoomName("../etc").ok());
}

TEST(ValidateTest, DisplayNames) {
  EXPECT_TRUE(ValidateDisplayName("Ada Lovelace").ok());
  EXPECT_TRUE(ValidateDisplayName("J\xc3\xa9r\xc3\xb4me \xf0\x9f\x8e\xa7").ok());  // Jérôme 🎧
  EXPECT_FALSE(ValidateDisplayName("").ok());
  EXPECT_FALSE(ValidateDisplayName(std::string(65, 'x')).ok());
  EXPECT_FALSE(ValidateDisplayName("tab\there").ok());
  EXPECT_FALSE(ValidateDisplayName("\xc3").ok());          // truncated sequence
  EXPECT_FALSE(ValidateDisplayName("\xc0\xaf").ok());      // overlong '/'
  EXPECT_FALSE(ValidateDisplayName("\xed\xa0\x80").ok());  // UTF-16 surrogate
  EXPECT_FALSE(ValidateDisplayName("\xf4\x90\x80\x80").ok());  // past U+10FFFF
}

}  // namespace
}  // namespace switchyard::api
