// Room: bad signaling, renegotiation, loss repair and hostile datagrams.
#include "tests/sfu/room_test_fixture.h"

namespace switchyard::sfu::testing {
namespace {

TEST_F(RoomTest, BadPublishOffersAreReportedToTheirSenderOnly) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  Client& carol = Join("carol");
  Sync();
  const uint32_t bob_video = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  StartVideo(alice);

  room().HandlePublishOffer("carol", "this is not SDP\r\n");
  worker_.Pump();
  PublishOfferOptions no_fingerprint = carol.publish;
  no_fingerprint.include_fingerprint = false;
  room().HandlePublishOffer("carol", carol.publisher->CreatePublishOffer(no_fingerprint));
  worker_.Pump();

  const ObservedEvents carol_events = carol.observer->Snapshot();
  ASSERT_EQ(carol_events.errors.size(), 2u);
  EXPECT_EQ(carol_events.errors[0].first, "bad_sdp");
  EXPECT_THAT(carol_events.errors[0].second, StartsWith("publish offer: "));
  EXPECT_THAT(carol_events.errors[0].second, HasSubstr("line 1"));
  EXPECT_EQ(carol_events.errors[1].first, "bad_sdp");
  EXPECT_THAT(carol_events.errors[1].second, HasSubstr("fingerprint"));
  EXPECT_THAT(carol_events.publish_answers, IsEmpty());
  EXPECT_THAT(alice.observer->Snapshot().errors, IsEmpty());
  EXPECT_THAT(bob.observer->Snapshot().errors, IsEmpty());
  EXPECT_EQ(room().participant_count(), 3u);

  // Nothing was published by the failed attempts, and media between the others still flows.
  EXPECT_EQ(bob.observer->Snapshot().tracks_published.size(), 2u);
  SendVideoFrame(alice, /*keyframe=*/false);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(bob_video).size(), 2u);

  // Carol can still publish properly afterwards.
  Publish(carol);
  Sync();
  EXPECT_EQ(bob.observer->Snapshot().tracks_published.size(), 4u);
  const uint32_t bob_from_carol = ConsumerSsrc(bob, rtc::MediaKind::kAudio, carol);
  SendAudio(carol);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(bob_from_carol).size(), 1u);
}

TEST_F(RoomTest, RejectedPublishOfferLeavesNoTransportBehindToTimeOut) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& carol = Join("carol");
  Sync();
  PublishOfferOptions no_fingerprint = carol.publish;
  no_fingerprint.include_fingerprint = false;
  room().HandlePublishOffer("carol", carol.publisher->CreatePublishOffer(no_fingerprint));
  worker_.Pump();
  ASSERT_EQ(carol.observer->Snapshot().errors.size(), 1u);

  // Carol goes on as a subscriber only, with live consent on everything she negotiated. The
  // rejected offer must not leave a publisher transport whose consent timer (RFC 7675) later
  // evicts her.
  Participant* participant = room().FindParticipant("carol");
  ASSERT_NE(participant, nullptr);
  EXPECT_EQ(participant->publisher().transport(), nullptr);
  for (TestPeer* peer : {alice.publisher.get(), carol.subscriber.get()}) {
    peer->set_consent_interval(2s);
  }
  worker_.Advance(35s, 100ms);
  EXPECT_EQ(room().participant_count(), 2u);
  EXPECT_THAT(carol.observer->Snapshot().closed_reasons, IsEmpty());
}

TEST_F(RoomTest, SubscribeAnswerWithoutAnOutstandingOfferIsAnError) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  const std::string stale_offer = bob.observer->Snapshot().subscribe_offers.at(0);
  Sync();

  // Alice has no subscriber PeerConnection at all; bob's only offer was already answered.
  room().HandleSubscribeAnswer("alice", "v=0\r\n");
  auto again = bob.subscriber->AnswerSubscribeOffer(stale_offer);
  ASSERT_TRUE(again.ok());
  room().HandleSubscribeAnswer("bob", *again);
  worker_.Pump();
  for (auto* client : {&alice, &bob}) {
    const ObservedEvents events = client->observer->Snapshot();
    ASSERT_EQ(events.errors.size(), 1u) << client->id;
    EXPECT_EQ(events.errors[0].first, "bad_state");
    EXPECT_EQ(events.errors[0].second,
              "subscribe answer: no subscribe offer is outstanding");
  }
  // Bob's subscription is intact.
  StartVideo(alice);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice)).size(),
            1u);
}

TEST_F(RoomTest, PublisherRenegotiationRemovesAndRestoresATrack) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  const size_t bob_offers = bob.observer->Snapshot().subscribe_offers.size();

  // The same offer again (e.g. a no-op renegotiation): a new answer, nothing else changes.
  room().HandlePublishOffer("alice", alice.publisher->CreatePublishOffer(alice.publish));
  worker_.Pump();
  EXPECT_EQ(alice.observer->Snapshot().publish_answers.size(), 2u);
  EXPECT_EQ(bob.observer->Snapshot().tracks_published.size(), 2u);
  EXPECT_EQ(bob.observer->Snapshot().subscribe_offers.size(), bob_offers);

  // removeTrack(video): the video m-line stays, inactive.
  PublishOfferOptions without_video = alice.publish;
  without_video.video_direction = rtc::Direction::kInactive;
  room().HandlePublishOffer("alice", alice.publisher->CreatePublishOffer(without_video));
  worker_.Pump();
  ObservedEvents alice_events = alice.observer->Snapshot();
  ASSERT_THAT(alice_events.errors, IsEmpty());
  auto answer = rtc::ParseSdp(alice_events.publish_answers.back());
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->media.size(), 2u);
  EXPECT_EQ(answer->media[0].direction, rtc::Direction::kRecvOnly);
  EXPECT_EQ(answer->media[1].direction, rtc::Direction::kInactive);
  ObservedEvents bob_events = bob.observer->Snapshot();
  EXPECT_THAT(bob_events.tracks_unpublished, ElementsAre(Pair("alice", "alice-1")));
  ASSERT_EQ(bob_events.subscribe_offers.size(), bob_offers + 1);
  auto offer = rtc::ParseSdp(bob_events.subscribe_offers.back());
  ASSERT_TRUE(offer.ok());
  ASSERT_EQ(offer->media.size(), 2u);
  EXPECT_EQ(offer->media[0].direction, rtc::Direction::kSendOnly);
  EXPECT_EQ(offer->media[1].direction, rtc::Direction::kInactive);
  // RFC 3264 §8: every new offer increments o=<sess-version>, also when a line only went
  // inactive (the number of m-lines did not change).
  auto previous = rtc::ParseSdp(bob_events.subscribe_offers[bob_offers - 1]);
  ASSERT_TRUE(previous.ok());
  EXPECT_EQ(offer->session_id, previous->session_id);
  EXPECT_GT(offer->session_version, previous->session_version);
  Sync();

  // Audio still flows; video packets now belong to no producer.
  const uint32_t bob_audio = ConsumerSsrc(bob, rtc::MediaKind::kAudio, alice);
  SendAudio(alice);
  SendVideoFrame(alice, /*keyframe=*/true);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(bob_audio).size(), 1u);
  EXPECT_EQ(bob.subscriber->received_rtp().size(), 1u);  // nothing but that audio packet
  EXPECT_EQ(Drops(DropReason::kUnknownSsrc), 1u);

  // addTrack(video) again: a new track on a fresh subscriber m-line.
  room().HandlePublishOffer("alice", alice.publisher->CreatePublishOffer(alice.publish));
  worker_.Pump();
  bob_events = bob.observer->Snapshot();
  ASSERT_EQ(bob_events.tracks_published.size(), 3u);
  EXPECT_EQ(bob_events.tracks_published[2].second.track_id, "alice-1");
  EXPECT_EQ(bob_events.tracks_published[2].second.mid, "2");
  Sync();
  const OfferedTrack* video = bob.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "alice");
  ASSERT_NE(video, nullptr);
  EXPECT_EQ(video->mid, "2");
  StartVideo(alice);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(*video->ssrc).size(), 1u);
  EXPECT_THAT(bob.observer->Snapshot().errors, IsEmpty());
}

TEST_F(RoomTest, SubscribeRenegotiationWaitsForTheOutstandingAnswer) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");  // offer for alice's tracks, not answered yet
  Client& carol = Join("carol");
  Publish(carol);
  ObservedEvents bob_events = bob.observer->Snapshot();
  EXPECT_EQ(bob_events.tracks_published.size(), 4u);
  // One offer at a time (JSEP: no new offer while one is pending).
  ASSERT_EQ(bob_events.subscribe_offers.size(), 1u);

  auto answer = bob.subscriber->AnswerSubscribeOffer(bob_events.subscribe_offers[0]);
  ASSERT_TRUE(answer.ok());
  bob.answered_offers = 1;
  room().HandleSubscribeAnswer("bob", *answer);
  worker_.Pump();
  bob_events = bob.observer->Snapshot();
  ASSERT_EQ(bob_events.subscribe_offers.size(), 2u);
  auto offer = rtc::ParseSdp(bob_events.subscribe_offers[1]);
  ASSERT_TRUE(offer.ok());
  ASSERT_EQ(offer->media.size(), 4u);
  std::vector<std::string> streams;
  for (const auto& section : offer->media) {
    EXPECT_EQ(section.direction, rtc::Direction::kSendOnly);
    streams.push_back(section.msid_stream);
  }
  EXPECT_THAT(streams, ElementsAre("alice", "alice", "carol", "carol"));
  // Session version grows with every offer (RFC 3264 §8).
  auto first = rtc::ParseSdp(bob_events.subscribe_offers[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(offer->session_id, first->session_id);
  EXPECT_GT(offer->session_version, first->session_version);

  Sync();
  StartVideo(carol);
  StartVideo(alice);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kVideo, carol)).size(),
            1u);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice)).size(),
            1u);
}

TEST_F(RoomTest, LossIsRepairedOnBothLegs) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  StartVideo(alice);
  const OfferedTrack* track = bob.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "alice");
  ASSERT_NE(track, nullptr);
  ASSERT_TRUE(track->ssrc && track->rtx_ssrc);
  ASSERT_EQ(bob.subscriber->ReceivedRtpFor(*track->ssrc).size(), 1u);

  // Uplink: one of alice's packets is lost on the way; the SFU NACKs it (RFC 4585 §6.2.1).
  bool dropped = false;
  worker_.network().set_filter([&](Datagram& d) {
    if (!dropped && d.from == alice.publisher_address && d.bytes.size() > 100) {
      dropped = true;
      return false;
    }
    return true;
  });
  const uint16_t lost = alice.video_seq;
  SendVideoFrame(alice, /*keyframe=*/false);
  SendVideoFrame(alice, /*keyframe=*/false);
  ASSERT_TRUE(dropped);
  Run(200ms);
  EXPECT_THAT(alice.publisher->ReceivedNacks(alice.publish.video_ssrc), ::testing::Contains(lost));

  // Downlink: bob NACKs what he got last; it comes again on his RTX stream (RFC 4588 §4:
  // original sequence number first, then the original payload).
  const std::vector<ReceivedRtp> video = bob.subscriber->ReceivedRtpFor(*track->ssrc);
  ASSERT_EQ(video.size(), 2u);  // the keyframe and the frame after the loss
  EXPECT_EQ(video[1].sequence_number, static_cast<uint16_t>(video[0].sequence_number + 2));
  const uint16_t nacked[] = {video[1].sequence_number};
  ASSERT_TRUE(bob.subscriber->SendNack(*track->ssrc, nacked));
  worker_.Pump();
  std::vector<ReceivedRtp> repairs;
  for (const ReceivedRtp& packet : bob.subscriber->ReceivedRtpFor(*track->rtx_ssrc)) {
    if (!packet.payload.empty()) repairs.push_back(packet);  // not a padding-only probe
  }
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_EQ(repairs[0].payload_type, kVp8RtxPayloadType);
  EXPECT_EQ(repairs[0].timestamp, video[1].timestamp);
  ASSERT_GE(repairs[0].payload.size(), 2u);
  EXPECT_EQ((repairs[0].payload[0] << 8) | repairs[0].payload[1], video[1].sequence_number);
  EXPECT_EQ(std::vector<uint8_t>(repairs[0].payload.begin() + 2, repairs[0].payload.end()),
            video[1].payload);
}

TEST_F(RoomTest, HostileDatagramsAreCountedAndMediaKeepsFlowing) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  const uint32_t bob_video = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  StartVideo(alice);
  ASSERT_EQ(bob.subscriber->ReceivedRtpFor(bob_video).size(), 1u);
  FakeNetwork& network = worker_.network();
  const uint64_t drops_before = network.drops().Total();
  const SocketAddress stranger = SocketAddress::FromIpv4(0x7F0001F0, 7777);

  // Each kind of junk lands in its own counter.
  network.SendToServer(stranger, std::vector<uint8_t>{});
  network.SendToServer(stranger, std::vector<uint8_t>{0x50, 1, 2, 3});  // RFC 7983: unknown
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kUnknownPacketClass), 2u);

  transport::StunMessageBuilder check(transport::StunClass::kRequest,
                                      transport::StunMethod::kBinding,
                                      transport::GenerateStunTransactionId());
  Participant* alice_participant = room().FindParticipant("alice");
  const std::string server_ufrag =
      alice_participant->publisher().transport()->local_ice_credentials().ufrag;
  check.AddUsername(server_ufrag + ":" + alice.publisher->ice_credentials().ufrag);
  check.AddPriority(12345);
  check.AddIceControlling(7);
  check.AddUseCandidate();
  const std::vector<uint8_t> wrong_key = check.Serialize("not-the-right-password", true).value();
  network.SendToServer(stranger, std::span(wrong_key).first(10));  // truncated
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kMalformedStun), 1u);
  network.SendToServer(stranger, wrong_key);
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kStunRejected), 1u);
  EXPECT_EQ(alice_participant->publisher().transport()->selected_address(), alice.publisher_address);

  transport::StunMessageBuilder unknown(transport::StunClass::kRequest,
                                        transport::StunMethod::kBinding,
                                        transport::GenerateStunTransactionId());
  unknown.AddUsername("nosuchufrag:x");
  network.SendToServer(stranger, unknown.Serialize("pwd", true).value());
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kStunUnknownUfrag), 1u);

  // DTLS and SRTP from an address no check validated.
  network.SendToServer(stranger, std::vector<uint8_t>{22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  auto srtp = alice.publisher->ProtectRtp(
      {kVp8PayloadType, alice.video_seq, alice.video_ts, alice.publish.video_ssrc, true},
      MakeVp8Payload(false, 999));
  ASSERT_TRUE(srtp.has_value());
  network.SendToServer(stranger, *srtp);
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kUnknownRemoteAddress), 2u);

  // SRTP and SRTCP with a corrupted authentication tag from alice's real address.
  (*srtp)[srtp->size() - 1] ^= 0x01;
  network.SendToServer(alice.publisher_address, *srtp);
  std::vector<uint8_t> bad_rtcp = *srtp;
  bad_rtcp[1] = 200;  // PT 200 (SR) makes it SRTCP to the demuxer
  network.SendToServer(alice.publisher_address, bad_rtcp);
  worker_.Pump();
  EXPECT_EQ(Drops(DropReason::kSrtpUnprotectFailed), 1u);
  EXPECT_EQ(Drops(DropReason::kSrtcpUnprotectFailed), 1u);
  EXPECT_EQ(network.drops().Total(), drops_before + 9);

  // Random junk from a stranger: every datagram is dropped and counted exactly once.
  std::mt19937 random(1234);
  const uint64_t before_random = network.drops().Total();
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> junk(1 + random() % 400);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(random());
    network.SendToServer(stranger, junk);
  }
  worker_.Pump();
  EXPECT_EQ(network.drops().Total(), before_random + 300);
  // Random junk from alice's validated address (it reaches her transport): no crash, no harm.
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> junk(1 + random() % 400);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(random());
    network.SendToServer(alice.publisher_address, junk);
  }
  worker_.Pump();

  SendVideoFrame(alice, /*keyframe=*/false);
  SendAudio(alice);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(bob_video).size(), 2u);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kAudio, alice)).size(),
            1u);
  EXPECT_EQ(room().participant_count(), 2u);
  EXPECT_THAT(alice.observer->Snapshot().closed_reasons, IsEmpty());
}

}  // namespace
}  // namespace switchyard::sfu::testing
