#include "bench/load/janus_api.h"

#include "bench/load/load_config.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The requests must be JSON Janus accepts: parse them back with a real JSON parser.
google::protobuf::Struct ParseObject(const std::string& json) {
  google::protobuf::Struct object;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &object);
  EXPECT_TRUE(status.ok()) << status.message() << " in " << json;
  return object;
}

TEST(JanusApiTest, ParsesHttpUrls) {
  auto url = ParseHttpUrl("http://10.77.0.1:8088/janus");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "10.77.0.1");
  EXPECT_EQ(url->port, 8088);
  EXPECT_EQ(url->path, "/janus");
  url = ParseHttpUrl("http://[::1]/janus/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path, "/janus");
  url = ParseHttpUrl("http://127.0.0.1:8088");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->path, "/");
  EXPECT_FALSE(ParseHttpUrl("https://127.0.0.1/janus").ok());
  EXPECT_FALSE(ParseHttpUrl("http://:80/janus").ok());
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:0/janus").ok());
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:99999/janus").ok());
}

TEST(JanusApiTest, QuotesJsonStrings) {
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("v=0\r\no=-\n"), "\"v=0\\r\\no=-\\n\"");
  EXPECT_EQ(JsonQuote(std::string("\x01", 1)), "\"\\u0001\"");
}

TEST(JanusApiTest, RoomIdsAreNumbersOrStableHashes) {
  EXPECT_EQ(JanusRoomId("1234"), 1234u);
  const uint64_t hashed = JanusRoomId("bench");
  EXPECT_EQ(hashed, JanusRoomId("bench"));
  EXPECT_NE(hashed, JanusRoomId("bench2"));
  EXPECT_GT(hashed, 0u);
  EXPECT_LT(hashed, 1ull << 31);
  EXPECT_NE(JanusRoomId("0"), 0u);  // 0 is no room id: hashed instead
}

TEST(JanusApiTest, BuildsCoreRequests) {
  auto create = ParseObject(JanusCreateSessionRequest("t1"));
  EXPECT_EQ(create.fields().at("janus").string_value(), "create");
  EXPECT_EQ(create.fields().at("transaction").string_value(), "t1");
  auto attach = ParseObject(JanusAttachRequest("t2", "janus.plugin.videoroom"));
  EXPECT_EQ(attach.fields().at("janus").string_value(), "attach");
  EXPECT_EQ(attach.fields().at("plugin").string_value(), "janus.plugin.videoroom");
  EXPECT_EQ(ParseObject(JanusKeepaliveRequest("t3")).fields().at("janus").string_value(),
            "keepalive");
  EXPECT_EQ(ParseObject(JanusDestroyRequest("t4")).fields().at("janus").string_value(),
            "destroy");
}

TEST(JanusApiTest, MessageCarriesBodyAndJsep) {
  const std::string sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n";
  auto message = ParseObject(JanusMessageRequest("t5", VideoRoomPublishBody(), Jsep{"offer", sdp}));
  EXPECT_EQ(message.fields().at("janus").string_value(), "message");
  const auto& body = message.fields().at("body").struct_value();
  EXPECT_EQ(body.fields().at("request").string_value(), "publish");
  const auto& jsep = message.fields().at("jsep").struct_value();
  EXPECT_EQ(jsep.fields().at("type").string_value(), "offer");
  EXPECT_EQ(jsep.fields().at("sdp").string_value(), sdp);
  auto without = ParseObject(JanusMessageRequest("t6", VideoRoomStartBody(), std::nullopt));
  EXPECT_FALSE(without.fields().contains("jsep"));
}

TEST(JanusApiTest, VideoRoomBodiesUseIntegersForIds) {
  // Janus reads room and feed ids with json_integer_value: "1e+15" would not do.
  const uint64_t feed = 8350407302718609;
  EXPECT_THAT(VideoRoomJoinSubscriberBody(4242, {feed, 7}),
              HasSubstr("\"room\":4242,\"streams\":[{\"feed\":8350407302718609},{\"feed\":7}]"));
  EXPECT_THAT(VideoRoomSubscribeBody({feed}), HasSubstr("{\"feed\":8350407302718609}"));
  auto create = ParseObject(VideoRoomCreateBody(4242, 6));
  EXPECT_EQ(create.fields().at("request").string_value(), "create");
  EXPECT_EQ(create.fields().at("room").number_value(), 4242);
  EXPECT_EQ(create.fields().at("publishers").number_value(), 6);
  EXPECT_EQ(create.fields().at("bitrate").number_value(), 0);
  auto join = ParseObject(VideoRoomJoinPublisherBody(4242, "pub-\"0\""));
  EXPECT_EQ(join.fields().at("ptype").string_value(), "publisher");
  EXPECT_EQ(join.fields().at("display").string_value(), "pub-\"0\"");
  auto list = ParseObject(VideoRoomListParticipantsBody(4242));
  EXPECT_EQ(list.fields().at("request").string_value(), "listparticipants");
}

// Bodies below are what Janus 1.1.2 sent in a session of ours (ids shortened).
TEST(JanusApiTest, ParsesSuccessWithId) {
  auto m = ParseJanusMessages(
      R"({"janus": "success", "transaction": "a", "data": {"id": 8350407302718609}})");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].janus, "success");
  EXPECT_EQ((*m)[0].transaction, "a");
  EXPECT_EQ((*m)[0].data_id, 8350407302718609u);
  EXPECT_FALSE((*m)[0].has_plugin_data);
}

TEST(JanusApiTest, ParsesLongPollArrayWithJoinedAndPublishers) {
  auto m = ParseJanusMessages(R"([
    {"janus": "event", "session_id": 11, "transaction": "d", "sender": 22,
     "plugindata": {"plugin": "janus.plugin.videoroom",
       "data": {"videoroom": "joined", "room": 4242, "id": 33, "private_id": 581883223,
                "publishers": [{"id": 44, "display": "pub-1", "streams": []},
                               {"id": 55, "display": "pub-2"}]}}},
    {"janus": "webrtcup", "session_id": 11, "sender": 22},
    {"janus": "event", "session_id": 11, "sender": 22,
     "plugindata": {"plugin": "janus.plugin.videoroom",
       "data": {"videoroom": "event", "configured": "ok"}},
     "jsep": {"type": "answer", "sdp": "v=0\r\n"}}
  ])");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 3u);
  const JanusMessage& joined = (*m)[0];
  EXPECT_EQ(joined.session_id, 11u);
  EXPECT_EQ(joined.sender, 22u);
  EXPECT_EQ(joined.videoroom, "joined");
  EXPECT_EQ(joined.id, 33u);
  EXPECT_THAT(joined.publishers, ElementsAre(44u, 55u));
  EXPECT_FALSE(joined.jsep.has_value());
  EXPECT_EQ((*m)[1].janus, "webrtcup");
  const JanusMessage& configured = (*m)[2];
  EXPECT_TRUE(configured.transaction.empty());
  EXPECT_EQ(configured.configured, "ok");
  ASSERT_TRUE(configured.jsep.has_value());
  EXPECT_EQ(configured.jsep->type, "answer");
  EXPECT_EQ(configured.jsep->sdp, "v=0\r\n");
}

TEST(JanusApiTest, ParsesParticipantsAndErrors) {
  auto m = ParseJanusMessages(R"({"janus": "success", "transaction": "l", "sender": 1,
    "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "participants",
      "room": 4242, "participants": [{"id": 5, "publisher": true}, {"id": 6, "publisher": false},
                                     {"id": 7, "publisher": true}]}}})");
  ASSERT_TRUE(m.ok());
  EXPECT_THAT((*m)[0].publishing_participants, ElementsAre(5u, 7u));
  EXPECT_TRUE((*m)[0].publishers.empty());

  m = ParseJanusMessages(R"({"janus": "success", "transaction": "c", "sender": 1,
    "plugindata": {"plugin": "janus.plugin.videoroom",
      "data": {"videoroom": "event", "error_code": 427, "error": "Room 4242 already exists"}}})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].plugin_error_code, 427);
  EXPECT_EQ((*m)[0].plugin_error, "Room 4242 already exists");

  m = ParseJanusMessages(R"({"janus": "error", "transaction": "x",
                             "error": {"code": 458, "reason": "No such session 1"}})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].error_code, 458);
  EXPECT_EQ((*m)[0].error_reason, "No such session 1");

  m = ParseJanusMessages(
      R"({"janus": "hangup", "session_id": 1, "sender": 2, "reason": "DTLS alert"})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].reason, "DTLS alert");
}

TEST(JanusApiTest, RejectsWhatIsNotJanusJson) {
  EXPECT_FALSE(ParseJanusMessages("").ok());
  EXPECT_FALSE(ParseJanusMessages("{\"janus\":").ok());
  EXPECT_FALSE(ParseJanusMessages("42").ok());
  EXPECT_FALSE(ParseJanusMessages("[1, 2]").ok());
  // Ids that are not exact integers below 2^53 are not taken.
  auto m = ParseJanusMessages(R"({"janus": "success", "data": {"id": 1.5}, "sender": -3})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].data_id, 0u);
  EXPECT_EQ((*m)[0].sender, 0u);
}

TEST(JanusApiTest, LoadArgsSelectTheJanusTarget) {
  auto config = ParseLoadArgs({});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->target, Target::kSwitchyard);
  config = ParseLoadArgs({"--target", "janus", "--janus-url", "http://10.203.0.1:8088/janus",
                          "--video-layers", "1"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->target, Target::kJanus);
  EXPECT_EQ(config->janus_url, "http://10.203.0.1:8088/janus");
  EXPECT_EQ(TargetName(config->target), "janus");
  EXPECT_FALSE(ParseLoadArgs({"--target", "mediasoup"}).ok());
  EXPECT_FALSE(ParseLoadArgs({"--target", "janus", "--janus-url", "https://x/janus"}).ok());
}

}  // namespace
}  // namespace switchyard::bench
