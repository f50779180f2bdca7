// WHIP ingest and WHEP viewers inside a room, end to end over the fake network: a WHEP viewer
// offers with its own payload types and extension ids and receives the source's media
// rewritten into them; a WHIP publisher without mid/rid extensions or a=ssrc lines publishes to
// standard subscribers and never subscribes itself.
#include "tests/sfu/room_test_fixture.h"
#include "tests/sfu/whep_viewer.h"
#include "transport/byte_io.h"

namespace switchyard::sfu::testing {
namespace {

using ::testing::Contains;

struct AnsweredLine {
  rtc::Direction direction = rtc::Direction::kInactive;
  uint32_t ssrc = 0;
  std::optional<uint32_t> rtx_ssrc;
  std::vector<uint8_t> payload_types;
  std::vector<std::string> extension_uris;
  std::string msid_track;
};

class WhepWhipTest : public RoomTest {
 protected:
  Client& JoinViewer(const std::string& id, const std::string& source) {
    JoinOptions options;
    options.participant_id = id;
    options.identity = id;
    options.name = id;
    options.kind = ParticipantKind::kWhep;
    options.whep_source_participant_id = source;
    return JoinWith(options);
  }

  // Sends the viewer's offer, connects with the answer and returns the answer's lines by mid
  // ("0" audio, "1" video).
  std::map<std::string, AnsweredLine> ConnectViewer(Client& viewer,
                                                    const WhepOfferOptions& offer_options = {}) {
    std::map<std::string, AnsweredLine> lines;
    room().HandleSubscribeOffer(viewer.id, CreateWhepOffer(*viewer.subscriber, offer_options));
    worker_.Pump();
    const ObservedEvents events = viewer.observer->Snapshot();
    EXPECT_THAT(events.errors, IsEmpty());
    if (events.subscribe_answers.size() != 1) {
      ADD_FAILURE() << "no answer";
      return lines;
    }
    auto answer = rtc::ParseSdp(events.subscribe_answers[0]);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return lines;
    EXPECT_TRUE(answer->ice_lite);
    for (const rtc::MediaSection& section : answer->media) {
      AnsweredLine& line = lines[section.mid];
      line.direction = section.direction;
      EXPECT_EQ(section.setup, rtc::SetupRole::kPassive);
      if (!section.ssrcs.empty()) line.ssrc = section.ssrcs.front().ssrc;
      for (const auto& group : section.ssrc_groups) {
        if (group.semantics == "FID") line.rtx_ssrc = group.ssrcs.at(1);
      }
      for (const auto& codec : section.codecs) line.payload_types.push_back(codec.payload_type);
      for (const auto& ext : section.extensions) line.extension_uris.push_back(ext.uri);
      line.msid_track = section.msid_track;
    }
    EXPECT_TRUE(viewer.subscriber->SetPublishAnswer(events.subscribe_answers[0]).ok());
    EXPECT_EQ(viewer.subscriber->remote_candidate(), worker_.network().server_address());
    viewer.subscriber->SendBindingRequest(/*use_candidate=*/true);
    worker_.Pump();
    EXPECT_TRUE(viewer.subscriber->connected());
    return lines;
  }
};

TEST_F(WhepWhipTest, WhepViewerReceivesTheSourceInItsOwnPayloadTypesAndExtensionIds) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");  // another publisher the viewer must not receive
  Publish(bob);
  Client& viewer = JoinViewer("viewer", "alice");
  Sync();

  // Transport-wide sequence numbers must arrive under the viewer's id (5).
  size_t with_transport_cc = 0;
  viewer.subscriber->set_rtp_observer([&](const rtc::RtpPacketView& packet) {
    packet.ForEachExtension([&](const rtc::RtpExtensionElement& element) {
      if (element.id == 5 && element.data.size() == 2) ++with_transport_cc;
    });
  });
  std::map<std::string, AnsweredLine> lines = ConnectViewer(viewer);
  ASSERT_EQ(lines.size(), 2u);
  const AnsweredLine& audio = lines["0"];
  const AnsweredLine& video = lines["1"];
  EXPECT_EQ(audio.direction, rtc::Direction::kSendOnly);
  EXPECT_EQ(video.direction, rtc::Direction::kSendOnly);
  // Only what alice sends (opus, VP8 + RTX), in the viewer's numbering; no H.264.
  EXPECT_THAT(audio.payload_types, ElementsAre(109));
  EXPECT_THAT(video.payload_types, ElementsAre(120, 121));
  EXPECT_EQ(video.msid_track, "alice-1");
  ASSERT_NE(audio.ssrc, 0u);
  ASSERT_NE(video.ssrc, 0u);
  ASSERT_TRUE(video.rtx_ssrc.has_value());
  // Only the extensions we write; the mid extension is not echoed.
  EXPECT_THAT(audio.extension_uris,
              ElementsAre("urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                          "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"));
  EXPECT_THAT(room_observer_.Events(), Contains("active test-room viewer"));
  // Viewers are an audience: the members never hear of them.
  for (const auto& summary : alice.observer->Snapshot().participants_joined) {
    EXPECT_NE(summary.participant_id, "viewer");
  }
  const ObservedEvents viewer_events = viewer.observer->Snapshot();
  EXPECT_THAT(viewer_events.subscribe_offers, IsEmpty());  // never a server offer
  ASSERT_EQ(viewer_events.tracks_published.size(), 2u);
  EXPECT_EQ(viewer_events.tracks_published[0].second.track_id, "alice-0");
  EXPECT_EQ(viewer_events.tracks_published[0].second.mid, "0");
  EXPECT_EQ(viewer_events.tracks_published[1].second.mid, "1");

  // Bob first: once the viewer's video consumer has sent, worker ticks may add bandwidth
  // probes (padding on its RTX stream) to what the viewer receives.
  StartVideo(bob);
  SendAudio(bob);
  StartVideo(alice);
  const uint16_t keyframe_picture_id = static_cast<uint16_t>(alice.picture_id - 1);
  SendAudio(alice);
  const std::vector<ReceivedRtp> video_rtp = viewer.subscriber->ReceivedRtpFor(video.ssrc);
  const std::vector<ReceivedRtp> audio_rtp = viewer.subscriber->ReceivedRtpFor(audio.ssrc);
  ASSERT_EQ(video_rtp.size(), 1u);
  ASSERT_EQ(audio_rtp.size(), 1u);
  EXPECT_EQ(video_rtp[0].payload_type, 120);
  EXPECT_EQ(audio_rtp[0].payload_type, 109);
  EXPECT_EQ(WithoutPictureId(video_rtp[0].payload),
            WithoutPictureId(MakeVp8Payload(true, keyframe_picture_id)));
  EXPECT_EQ(viewer.subscriber->received_rtp().size(), 2u);  // nothing of bob's
  EXPECT_EQ(with_transport_cc, 2u);
  EXPECT_EQ(viewer.subscriber->stats().srtp_errors, 0u);

  // A NACK is answered on the RTX stream with the viewer's RTX payload type (apt=120).
  ASSERT_TRUE(viewer.subscriber->SendNack(video.ssrc,
                                          std::vector<uint16_t>{video_rtp[0].sequence_number}));
  worker_.Pump();
  const std::vector<ReceivedRtp> rtx = viewer.subscriber->ReceivedRtpFor(*video.rtx_ssrc);
  ASSERT_EQ(rtx.size(), 1u);
  EXPECT_EQ(rtx[0].payload_type, 121);
  ASSERT_GE(rtx[0].payload.size(), 2u);
  EXPECT_EQ(transport::LoadBe16(rtx[0].payload.data()), video_rtp[0].sequence_number);

  // The viewer's PLI reaches alice as a keyframe request for her own SSRC.
  worker_.clock().Advance(400ms);
  alice.publisher->ClearReceived();
  ASSERT_TRUE(viewer.subscriber->SendPli(video.ssrc));
  worker_.Pump();
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);

  // A WHEP viewer never publishes, and offers only once.
  room().HandlePublishOffer("viewer", viewer.publisher->CreatePublishOffer(viewer.publish));
  room().HandleSubscribeOffer("viewer", CreateWhepOffer(*viewer.subscriber));
  worker_.Pump();
  const ObservedEvents after = viewer.observer->Snapshot();
  ASSERT_EQ(after.errors.size(), 2u);
  EXPECT_EQ(after.errors[0].first, "permission_denied");
  EXPECT_EQ(after.errors[1].first, "bad_state");
  EXPECT_THAT(alice.observer->Snapshot().errors, IsEmpty());
}

TEST_F(WhepWhipTest, WhepLinesAnsweredBeforeTheSourcePublishesBindLaterAndGoQuietWhenItLeaves) {
  Client& alice = Join("alice");
  Client& viewer = JoinViewer("viewer", "alice");
  std::map<std::string, AnsweredLine> lines = ConnectViewer(viewer);
  ASSERT_EQ(lines.size(), 2u);
  const AnsweredLine& video = lines["1"];
  EXPECT_EQ(video.direction, rtc::Direction::kSendOnly);
  // Nothing published yet: every offered codec we can forward stays, in the viewer's order.
  EXPECT_THAT(video.payload_types, ElementsAre(102, 103, 120, 121));
  EXPECT_THAT(lines["0"].payload_types, ElementsAre(109));

  Publish(alice);
  Sync();
  ObservedEvents events = viewer.observer->Snapshot();
  ASSERT_EQ(events.tracks_published.size(), 2u);
  EXPECT_EQ(events.tracks_published[1].second.track_id, "alice-1");
  StartVideo(alice);
  SendAudio(alice);
  const std::vector<ReceivedRtp> video_rtp = viewer.subscriber->ReceivedRtpFor(video.ssrc);
  ASSERT_EQ(video_rtp.size(), 1u);
  EXPECT_EQ(video_rtp[0].payload_type, 120);  // alice's VP8 (96) mapped onto the viewer's
  ASSERT_EQ(viewer.subscriber->ReceivedRtpFor(lines["0"].ssrc).size(), 1u);
  EXPECT_EQ(viewer.subscriber->ReceivedRtpFor(lines["0"].ssrc)[0].payload_type, 109);

  // The source leaves: the lines go quiet, no renegotiation, the viewer stays.
  room().RemoveParticipant("alice");
  worker_.Pump();
  events = viewer.observer->Snapshot();
  EXPECT_THAT(events.tracks_unpublished,
              ElementsAre(Pair("alice", "alice-0"), Pair("alice", "alice-1")));
  EXPECT_THAT(events.participants_left, ElementsAre("alice"));
  EXPECT_THAT(events.subscribe_offers, IsEmpty());
  EXPECT_THAT(events.closed_reasons, IsEmpty());
  EXPECT_EQ(room().FindParticipant("viewer")->subscriber().consumer_count(), 0u);
  EXPECT_TRUE(viewer.subscriber->connected());
}

TEST_F(WhepWhipTest, WhepViewerWithoutACommonCodecGetsAnInactiveLine) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& viewer = JoinViewer("viewer", "alice");
  // A viewer that only decodes H.264 cannot watch alice's VP8.
  room().HandleSubscribeOffer("viewer", [&] {
    auto offer = rtc::ParseSdp(CreateWhepOffer(*viewer.subscriber));
    EXPECT_TRUE(offer.ok());
    auto& codecs = offer->media[1].codecs;
    codecs.resize(2);  // H.264 and its RTX only
    return rtc::Serialize(*offer);
  }());
  worker_.Pump();
  const ObservedEvents events = viewer.observer->Snapshot();
  ASSERT_EQ(events.subscribe_answers.size(), 1u);
  auto answer = rtc::ParseSdp(events.subscribe_answers[0]);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->media.size(), 2u);
  EXPECT_EQ(answer->media[0].direction, rtc::Direction::kSendOnly);
  EXPECT_EQ(answer->media[1].direction, rtc::Direction::kInactive);
  EXPECT_THAT(answer->media[1].ssrcs, IsEmpty());
  ASSERT_EQ(events.tracks_published.size(), 1u);  // audio only
  EXPECT_EQ(events.tracks_published[0].second.track_id, "alice-0");
}

TEST_F(WhepWhipTest, WhipPublisherWithoutMidOrSsrcLinesIsForwardedAndNeverSubscribes) {
  JoinOptions options;
  options.participant_id = "obs";
  options.identity = "obs";
  options.name = "OBS";
  options.kind = ParticipantKind::kWhip;
  Client& obs = JoinWith(options);
  Client& bob = Join("bob");
  Publish(bob);

  // OBS-style offer: sendonly audio + video, BUNDLE, no mid/rid extensions, no a=ssrc lines.
  auto offer = rtc::ParseSdp(obs.publisher->CreatePublishOffer(obs.publish));
  ASSERT_TRUE(offer.ok());
  for (rtc::MediaSection& section : offer->media) {
    section.extensions.clear();
    section.ssrcs.clear();
    section.ssrc_groups.clear();
  }
  room().HandlePublishOffer("obs", rtc::Serialize(*offer));
  worker_.Pump();
  ObservedEvents events = obs.observer->Snapshot();
  ASSERT_THAT(events.errors, IsEmpty());
  ASSERT_EQ(events.publish_answers.size(), 1u);
  ASSERT_TRUE(obs.publisher->SetPublishAnswer(events.publish_answers[0]).ok());
  obs.publisher->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  ASSERT_TRUE(obs.publisher->connected());
  Sync();

  // Bob receives obs (SSRCs learned from the payload types); obs receives nothing.
  const uint64_t unknown_before = Drops(DropReason::kUnknownSsrc);
  StartVideo(obs);
  SendAudio(obs);
  StartVideo(bob);
  SendAudio(bob);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kVideo, obs)).size(),
            1u);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kAudio, obs)).size(),
            1u);
  EXPECT_EQ(Drops(DropReason::kUnknownSsrc), unknown_before);
  events = obs.observer->Snapshot();
  EXPECT_THAT(events.subscribe_offers, IsEmpty());
  EXPECT_THAT(events.tracks_published, IsEmpty());
  EXPECT_EQ(room().FindParticipant("obs")->subscriber().consumer_count(), 0u);
  EXPECT_EQ(room().FindParticipant("obs")->subscriber().transport(), nullptr);

  // Its RTX (payload type 97, an SSRC never announced) is recognised as RTX, not as media.
  const uint16_t repaired = static_cast<uint16_t>(obs.video_seq - 1);
  std::vector<uint8_t> rtx_payload = {static_cast<uint8_t>(repaired >> 8),
                                      static_cast<uint8_t>(repaired)};
  const std::vector<uint8_t> original = MakeVp8Payload(false, 77);
  rtx_payload.insert(rtx_payload.end(), original.begin(), original.end());
  ASSERT_TRUE(obs.publisher->SendRtp({kVp8RtxPayloadType, 1, obs.video_ts, 0xABCDEF01, false},
                                     rtx_payload));
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kUnknownSsrc), unknown_before);
  const Participant* whip = room().FindParticipant("obs");
  ASSERT_EQ(whip->producers().size(), 2u);
  EXPECT_EQ(whip->producers()[1]->params().encodings.size(), 1u);
  Producer& video = *whip->producers()[1];
  EXPECT_EQ(video.stream(0).params().ssrc, obs.publish.video_ssrc);
  EXPECT_EQ(video.stream(0).params().rtx_ssrc, 0xABCDEF01u);

  // Late joiners do not subscribe a WHIP participant to anything either.
  Client& carol = Join("carol");
  Publish(carol);
  Sync();
  EXPECT_THAT(obs.observer->Snapshot().subscribe_offers, IsEmpty());
  EXPECT_NE(carol.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "obs"), nullptr);
}

}  // namespace
}  // namespace switchyard::sfu::testing
