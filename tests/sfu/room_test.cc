// Room: publishing, subscribing, leaving, consent and network changes.
#include "tests/sfu/room_test_fixture.h"

namespace switchyard::sfu::testing {
namespace {

TEST_F(RoomTest, SubscriberReceivesPublisherMediaFromKeyframeWithItsOwnNumbering) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");

  const ObservedEvents joined = bob.observer->Snapshot();
  EXPECT_TRUE(joined.joined);
  EXPECT_EQ(joined.participant_id, "bob");
  EXPECT_EQ(joined.room, "test-room");
  ASSERT_EQ(joined.others_at_join.size(), 1u);
  EXPECT_EQ(joined.others_at_join[0].participant_id, "alice");
  EXPECT_EQ(joined.others_at_join[0].name, "alice name");
  ASSERT_EQ(joined.others_at_join[0].tracks.size(), 2u);
  EXPECT_EQ(joined.others_at_join[0].tracks[0].kind, rtc::MediaKind::kAudio);
  EXPECT_EQ(joined.others_at_join[0].tracks[0].track_id, "alice-0");
  EXPECT_EQ(joined.others_at_join[0].tracks[1].kind, rtc::MediaKind::kVideo);
  EXPECT_EQ(joined.others_at_join[0].tracks[1].track_id, "alice-1");
  ASSERT_EQ(joined.tracks_published.size(), 2u);
  EXPECT_EQ(joined.tracks_published[0].first, "alice");
  EXPECT_EQ(joined.tracks_published[0].second.mid, "0");
  EXPECT_EQ(joined.tracks_published[1].second.mid, "1");
  ASSERT_EQ(alice.observer->Snapshot().participants_joined.size(), 1u);
  EXPECT_EQ(alice.observer->Snapshot().participants_joined[0].participant_id, "bob");

  // One subscribe offer (audio+video coalesced): two sendonly lines carrying alice's msid.
  ASSERT_EQ(joined.subscribe_offers.size(), 1u);
  auto offer = rtc::ParseSdp(joined.subscribe_offers[0]);
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_TRUE(offer->ice_lite);
  ASSERT_EQ(offer->media.size(), 2u);
  for (const rtc::MediaSection& section : offer->media) {
    EXPECT_EQ(section.direction, rtc::Direction::kSendOnly);
    EXPECT_EQ(section.msid_stream, "alice");
    EXPECT_EQ(section.setup, rtc::SetupRole::kActPass);
    ASSERT_FALSE(section.ssrcs.empty());
    EXPECT_EQ(section.ssrcs[0].msid.substr(0, 6), "alice ");
  }
  EXPECT_EQ(offer->media[0].ssrcs.size(), 1u);
  // Video comes with an RTX stream for retransmissions (RFC 4588, a=ssrc-group:FID).
  ASSERT_EQ(offer->media[1].ssrc_groups.size(), 1u);
  EXPECT_EQ(offer->media[1].ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(offer->media[0].kind, rtc::MediaKind::kAudio);
  EXPECT_EQ(offer->media[1].kind, rtc::MediaKind::kVideo);
  ASSERT_GE(offer->media[1].codecs.size(), 1u);
  EXPECT_EQ(offer->media[1].codecs[0].payload_type, kVp8PayloadType);  // alice's own PT

  Sync();
  ASSERT_TRUE(bob.subscriber->connected());
  const uint32_t video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  const uint32_t audio_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kAudio, alice);
  EXPECT_EQ(video_ssrc, offer->media[1].ssrc_groups[0].ssrcs[0]);
  EXPECT_EQ(audio_ssrc, offer->media[0].ssrcs[0].ssrc);
  EXPECT_NE(video_ssrc, alice.publish.video_ssrc);

  // Delta frames first (30 fps, with the worker ticking): bob cannot decode them, so they are
  // held back and alice is asked for a keyframe.
  alice.publisher->ClearReceived();
  for (int i = 0; i < 12; ++i) {
    SendVideoFrame(alice, /*keyframe=*/false);
    Run(33ms);
  }
  EXPECT_THAT(bob.subscriber->ReceivedRtpFor(video_ssrc), IsEmpty());
  EXPECT_EQ(Drops(DropReason::kWaitingForKeyframe), 12u);
  EXPECT_GE(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);
  EXPECT_EQ(alice.publisher->CountReceivedFir(alice.publish.video_ssrc), 0u);

  // Keyframe (two packets), then two delta frames.
  const uint16_t first_seq = alice.video_seq;
  std::vector<std::vector<uint8_t>> sent_payloads;
  sent_payloads.push_back(MakeVp8Payload(true, 100, 300));
  sent_payloads.push_back(MakeVp8Payload(true, 100, 250, /*start_of_frame=*/false));
  ASSERT_TRUE(alice.publisher->SendRtp(
      {kVp8PayloadType, alice.video_seq++, alice.video_ts, alice.publish.video_ssrc, false},
      sent_payloads[0]));
  ASSERT_TRUE(alice.publisher->SendRtp(
      {kVp8PayloadType, alice.video_seq++, alice.video_ts, alice.publish.video_ssrc, true},
      sent_payloads[1]));
  for (uint16_t picture = 101; picture <= 102; ++picture) {
    alice.video_ts += kVideoTicksPerFrame;
    sent_payloads.push_back(MakeVp8Payload(false, picture));
    ASSERT_TRUE(alice.publisher->SendRtp(
        {kVp8PayloadType, alice.video_seq++, alice.video_ts, alice.publish.video_ssrc, true},
        sent_payloads.back()));
  }
  worker_.Pump();
  EXPECT_EQ(alice.video_seq, first_seq + 4);

  const std::vector<ReceivedRtp> video = bob.subscriber->ReceivedRtpFor(video_ssrc);
  ASSERT_EQ(video.size(), 4u);
  for (size_t i = 0; i < video.size(); ++i) {
    EXPECT_EQ(video[i].payload_type, kVp8PayloadType);
    EXPECT_EQ(WithoutPictureId(video[i].payload), WithoutPictureId(sent_payloads[i])) << i;
    if (i > 0) {
      EXPECT_EQ(video[i].sequence_number, static_cast<uint16_t>(video[i - 1].sequence_number + 1));
    }
  }
  // Picture ids: both packets of the keyframe share one, then one more per frame.
  EXPECT_EQ(PictureId(video[1].payload), PictureId(video[0].payload));
  EXPECT_EQ(PictureId(video[2].payload), (PictureId(video[1].payload) + 1) & 0x7FFF);
  EXPECT_EQ(PictureId(video[3].payload), (PictureId(video[2].payload) + 1) & 0x7FFF);
  EXPECT_FALSE(video[0].marker);
  EXPECT_TRUE(video[1].marker);
  EXPECT_EQ(video[1].timestamp, video[0].timestamp);
  EXPECT_EQ(video[2].timestamp - video[1].timestamp, kVideoTicksPerFrame);
  EXPECT_EQ(video[3].timestamp - video[2].timestamp, kVideoTicksPerFrame);

  // Audio needs no keyframe: every packet goes through.
  std::vector<std::vector<uint8_t>> audio_payloads;
  for (int i = 0; i < 5; ++i) {
    audio_payloads.push_back(MakeOpusPayload(static_cast<uint8_t>(alice.audio_seq)));
    SendAudio(alice);
  }
  const std::vector<ReceivedRtp> audio = bob.subscriber->ReceivedRtpFor(audio_ssrc);
  ASSERT_EQ(audio.size(), 5u);
  for (size_t i = 0; i < audio.size(); ++i) {
    EXPECT_EQ(audio[i].payload_type, kOpusPayloadType);
    EXPECT_EQ(audio[i].payload, audio_payloads[i]);
    if (i > 0) {
      EXPECT_EQ(audio[i].sequence_number, static_cast<uint16_t>(audio[i - 1].sequence_number + 1));
      EXPECT_EQ(audio[i].timestamp - audio[i - 1].timestamp, kAudioTicksPerPacket);
    }
  }

  // Three PLIs from bob within 300 ms cost alice one keyframe request.
  worker_.clock().Advance(400ms);
  alice.publisher->ClearReceived();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(bob.subscriber->SendPli(video_ssrc));
    worker_.Pump();
    worker_.clock().Advance(50ms);
  }
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);
  // A PLI for the audio SSRC asks nothing of alice.
  worker_.clock().Advance(400ms);
  ASSERT_TRUE(bob.subscriber->SendPli(audio_ssrc));
  worker_.Pump();
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);
  // A FIR is a keyframe request too; alice negotiated nack pli, so it reaches her as a PLI.
  ASSERT_TRUE(bob.subscriber->SendFir(video_ssrc));
  worker_.Pump();
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 2u);
  EXPECT_EQ(alice.publisher->CountReceivedFir(alice.publish.video_ssrc), 0u);

  EXPECT_THAT(alice.observer->Snapshot().errors, IsEmpty());
  EXPECT_THAT(bob.observer->Snapshot().errors, IsEmpty());
  EXPECT_EQ(bob.publisher->stats().srtp_errors + bob.subscriber->stats().srtp_errors, 0u);
}

TEST_F(RoomTest, ThreeParticipantsSeeEachOtherAndALeaverIsRenegotiatedAway) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Publish(bob);
  Client& carol = Join("carol");
  Publish(carol);
  Sync();

  // Everyone receives the other two (a keyframe opens video; audio flows from the start).
  for (auto* sender : {&alice, &bob, &carol}) {
    StartVideo(*sender);
    SendAudio(*sender);
  }
  for (auto* receiver : {&alice, &bob, &carol}) {
    for (auto* sender : {&alice, &bob, &carol}) {
      if (sender == receiver) continue;
      for (auto kind : {rtc::MediaKind::kAudio, rtc::MediaKind::kVideo}) {
        EXPECT_EQ(receiver->subscriber->ReceivedRtpFor(ConsumerSsrc(*receiver, kind, *sender)).size(),
                  1u)
            << receiver->id << " from " << sender->id;
      }
    }
  }
  EXPECT_EQ(worker_.network().registered_ufrags(), 6u);

  const size_t alice_offers = alice.observer->Snapshot().subscribe_offers.size();
  room().RemoveParticipant("carol");
  worker_.Pump();
  EXPECT_EQ(room().participant_count(), 2u);
  EXPECT_EQ(worker_.network().registered_ufrags(), 4u);
  EXPECT_THAT(carol.observer->Snapshot().closed_reasons, IsEmpty());  // left voluntarily

  for (auto* remaining : {&alice, &bob}) {
    const ObservedEvents events = remaining->observer->Snapshot();
    EXPECT_THAT(events.participants_left, ElementsAre("carol")) << remaining->id;
    EXPECT_THAT(events.tracks_unpublished,
                ElementsAre(Pair("carol", "carol-0"), Pair("carol", "carol-1")))
        << remaining->id;
    ASSERT_GT(events.subscribe_offers.size(), remaining->answered_offers) << remaining->id;
    auto offer = rtc::ParseSdp(events.subscribe_offers.back());
    ASSERT_TRUE(offer.ok());
    ASSERT_EQ(offer->media.size(), 4u);  // mids are never reused
    size_t inactive = 0;
    for (const rtc::MediaSection& section : offer->media) {
      if (section.direction == rtc::Direction::kInactive) {
        ++inactive;
        EXPECT_THAT(section.ssrcs, IsEmpty());
        EXPECT_TRUE(section.msid_stream.empty());
      } else {
        EXPECT_EQ(section.direction, rtc::Direction::kSendOnly);
        EXPECT_NE(section.msid_stream, "carol");
      }
    }
    EXPECT_EQ(inactive, 2u) << remaining->id;
  }
  EXPECT_EQ(alice.observer->Snapshot().subscribe_offers.size(), alice_offers + 1);
  Sync();
  EXPECT_EQ(bob.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "carol"), nullptr);

  // Alice and bob keep talking: deltas now flow without a new keyframe.
  const uint32_t bob_video_from_alice = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  const uint32_t alice_audio_from_bob = ConsumerSsrc(alice, rtc::MediaKind::kAudio, bob);
  SendVideoFrame(alice, /*keyframe=*/false);
  SendAudio(bob);
  // The server closed carol's transports with close_notify (RFC 5246 §7.2.1).
  EXPECT_TRUE(carol.publisher->dtls_closed_by_server());
  EXPECT_TRUE(carol.subscriber->dtls_closed_by_server());
  EXPECT_FALSE(carol.publisher->connected());
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(bob_video_from_alice).size(), 2u);
  EXPECT_EQ(alice.subscriber->ReceivedRtpFor(alice_audio_from_bob).size(), 2u);
  EXPECT_EQ(alice.subscriber->ReceivedRtpFor(ConsumerSsrc(alice, rtc::MediaKind::kVideo, bob))
                .size(),
            1u);  // bob sent no video since
  EXPECT_THAT(alice.observer->Snapshot().errors, IsEmpty());
  EXPECT_THAT(bob.observer->Snapshot().errors, IsEmpty());
}

TEST_F(RoomTest, ParticipantWithoutConsentIsRemovedAfterThirtySeconds) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Publish(bob);
  Sync();
  // Alice's browser keeps refreshing consent on both PeerConnections; bob's went silent.
  alice.publisher->set_consent_interval(2s);
  alice.subscriber->set_consent_interval(2s);

  worker_.Advance(29s, 100ms);
  EXPECT_EQ(room().participant_count(), 2u);
  EXPECT_THAT(bob.observer->Snapshot().closed_reasons, IsEmpty());
  EXPECT_THAT(alice.observer->Snapshot().participants_left, IsEmpty());

  worker_.Advance(1100ms, 100ms);
  EXPECT_EQ(room().participant_count(), 1u);
  EXPECT_EQ(room().FindParticipant("bob"), nullptr);
  const ObservedEvents bob_events = bob.observer->Snapshot();
  ASSERT_EQ(bob_events.closed_reasons.size(), 1u);
  EXPECT_THAT(bob_events.closed_reasons[0], HasSubstr("consent"));
  const ObservedEvents alice_events = alice.observer->Snapshot();
  EXPECT_THAT(alice_events.participants_left, ElementsAre("bob"));
  EXPECT_THAT(alice_events.tracks_unpublished,
              ElementsAre(Pair("bob", "bob-0"), Pair("bob", "bob-1")));
  EXPECT_THAT(alice_events.closed_reasons, IsEmpty());

  // Alice's transports survived on her consent checks.
  Participant* alice_participant = room().FindParticipant("alice");
  ASSERT_NE(alice_participant, nullptr);
  EXPECT_TRUE(alice_participant->publisher().transport()->connected());
  EXPECT_TRUE(alice_participant->subscriber().transport()->connected());
  // 30 s / 2 s per check on each of two PeerConnections, give or take the edges.
  EXPECT_GE(alice.publisher->stats().stun_responses_accepted, 15u);
}

TEST_F(RoomTest, NominationFromANewAddressMovesMediaThere) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");  // subscribes only
  Sync();
  const uint32_t video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  StartVideo(alice);
  ASSERT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 1u);
  const SocketAddress old_address = bob.subscriber_address;
  const uint64_t delivered_old = worker_.network().delivered_to(old_address);
  EXPECT_GT(delivered_old, 0u);

  // Bob's laptop switches from Wi-Fi to wired: same ICE credentials, new address.
  const SocketAddress new_address = SocketAddress::FromIpv4(0x7F000163, 6000);
  worker_.network().MovePeer(*bob.subscriber, new_address);

  // A check without USE-CANDIDATE validates the path but nominates nothing: media stays on
  // the selected pair, which no longer reaches bob.
  bob.subscriber->SendBindingRequest(/*use_candidate=*/false);
  worker_.Pump();
  EXPECT_EQ(bob.subscriber->mapped_address(), new_address);
  SendVideoFrame(alice, /*keyframe=*/false);
  EXPECT_EQ(worker_.network().undeliverable(), 1u);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 1u);
  EXPECT_EQ(worker_.network().path_switches(), 0u);  // first nominations are no switches

  // Nomination switches the selected pair (RFC 8445 §7.3.1.5: the latest nomination wins).
  bob.subscriber->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  EXPECT_EQ(worker_.network().path_switches(), 1u);
  Participant* bob_participant = room().FindParticipant("bob");
  ASSERT_NE(bob_participant, nullptr);
  EXPECT_EQ(bob_participant->subscriber().transport()->selected_address(), new_address);
  SendVideoFrame(alice, /*keyframe=*/false);
  SendVideoFrame(alice, /*keyframe=*/false);
  const std::vector<ReceivedRtp> video = bob.subscriber->ReceivedRtpFor(video_ssrc);
  ASSERT_EQ(video.size(), 3u);
  // The frame lost on the old path shows as a gap of one sequence number.
  EXPECT_EQ(video[1].sequence_number, static_cast<uint16_t>(video[0].sequence_number + 2));
  EXPECT_EQ(video[2].sequence_number, static_cast<uint16_t>(video[1].sequence_number + 1));
  EXPECT_EQ(worker_.network().delivered_to(old_address), delivered_old);
  EXPECT_EQ(worker_.network().undeliverable(), 1u);

  // RTCP from the new address is accepted too.
  worker_.clock().Advance(400ms);
  alice.publisher->ClearReceived();
  ASSERT_TRUE(bob.subscriber->SendPli(video_ssrc));
  worker_.Pump();
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);
}

// The browser's network changed in a way its checks cannot fix under the old credentials: it
// restarts ICE (RFC 8445 §9) with a publish re-offer under new ones. Our answer carries new
// credentials too, media keeps flowing on the old path meanwhile, the old ufrag stops working,
// and DTLS/SRTP carry on without a new handshake.
TEST_F(RoomTest, PublisherIceRestartKeepsDtlsAndMovesToTheNewPath) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  const uint32_t video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  StartVideo(alice);
  ASSERT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 1u);
  const std::string old_server_ufrag = alice.publisher->remote_ice_credentials().ufrag;

  alice.publisher->RestartIce();
  room().HandlePublishOffer(alice.id, alice.publisher->CreatePublishOffer(alice.publish));
  worker_.Pump();
  const ObservedEvents events = alice.observer->Snapshot();
  ASSERT_TRUE(events.errors.empty()) << events.errors.back().second;
  ASSERT_EQ(events.publish_answers.size(), 2u);
  auto answer = rtc::ParseSdp(events.publish_answers.back());
  ASSERT_TRUE(answer.ok());
  const std::string new_server_ufrag(answer->IceUfragFor(answer->media[0]));
  EXPECT_NE(new_server_ufrag, old_server_ufrag);
  // Until the browser applies the answer, media still flows on the old path.
  SendVideoFrame(alice, /*keyframe=*/false);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 2u);
  ASSERT_TRUE(alice.publisher->SetPublishAnswer(events.publish_answers.back()).ok());
  EXPECT_EQ(alice.publisher->remote_ice_credentials().ufrag, new_server_ufrag);

  // The new session: checks under the new credentials from a new address nominate it.
  const SocketAddress new_address = SocketAddress::FromIpv4(0x7F000170, 7000);
  worker_.network().MovePeer(*alice.publisher, new_address);
  const uint64_t accepted = alice.publisher->stats().stun_responses_accepted;
  EXPECT_EQ(worker_.network().ice_restarts_completed(), 0u);
  alice.publisher->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  EXPECT_EQ(worker_.network().ice_restarts_completed(), 1u);
  EXPECT_EQ(alice.publisher->stats().stun_responses_accepted, accepted + 1);
  Participant* p = room().FindParticipant("alice");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->publisher().transport()->selected_address(), new_address);
  EXPECT_EQ(p->publisher().transport()->ice_restarts(), 1u);
  EXPECT_EQ(worker_.network().path_switches(), 1u);
  SendVideoFrame(alice, /*keyframe=*/false);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 3u);
  // The PLI path back to alice uses the new address as well (same SRTP keys throughout).
  worker_.clock().Advance(400ms);
  alice.publisher->ClearReceived();
  ASSERT_TRUE(bob.subscriber->SendPli(video_ssrc));
  worker_.Pump();
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);
  EXPECT_EQ(alice.publisher->stats().srtp_errors, 0u);
}

// The subscriber connection is the server's offer, so the client asks (restart_ice) and the
// server restarts: a new subscribe offer with new credentials; the browser answers with its new
// ones and its checks under them nominate.
TEST_F(RoomTest, SubscriberIceRestartOnRequestSendsAnOfferWithNewCredentials) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  const uint32_t video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  StartVideo(alice);
  const std::string old_server_ufrag = bob.subscriber->remote_ice_credentials().ufrag;
  const size_t offers = bob.observer->Snapshot().subscribe_offers.size();

  room().HandleRestartSubscriberIce("bob");
  worker_.Pump();
  const ObservedEvents events = bob.observer->Snapshot();
  ASSERT_TRUE(events.errors.empty()) << events.errors.back().second;
  ASSERT_EQ(events.subscribe_offers.size(), offers + 1);
  auto offer = rtc::ParseSdp(events.subscribe_offers.back());
  ASSERT_TRUE(offer.ok());
  EXPECT_NE(std::string(offer->IceUfragFor(offer->media[0])), old_server_ufrag);
  // The server's new ufrag routes before the answer is back; the old one no longer does.
  bob.subscriber->RestartIce();
  Sync();  // answers the offer (with bob's new credentials)
  const SocketAddress new_address = SocketAddress::FromIpv4(0x7F000171, 7001);
  worker_.network().MovePeer(*bob.subscriber, new_address);
  bob.subscriber->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
  Participant* p = room().FindParticipant("bob");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->subscriber().transport()->selected_address(), new_address);
  EXPECT_EQ(p->subscriber().transport()->ice_restarts(), 1u);
  SendVideoFrame(alice, /*keyframe=*/false);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 2u);
  EXPECT_EQ(bob.subscriber->stats().srtp_errors, 0u);
}

// A re-offer that changes the DTLS fingerprint asks for a new DTLS session on a running
// transport, which is refused with a clear error (ICE restart keeps DTLS).
TEST_F(RoomTest, ReofferWithAnotherFingerprintIsRefused) {
  Client& alice = Join("alice");
  Publish(alice);
  std::string offer = alice.publisher->CreatePublishOffer(alice.publish);
  const size_t at = offer.find("a=fingerprint:sha-256 ");
  ASSERT_NE(at, std::string::npos);
  const size_t value = at + std::string("a=fingerprint:sha-256 ").size();
  offer[value] = offer[value] == 'A' ? 'B' : 'A';
  room().HandlePublishOffer(alice.id, offer);
  worker_.Pump();
  const ObservedEvents events = alice.observer->Snapshot();
  ASSERT_EQ(events.errors.size(), 1u);
  EXPECT_THAT(events.errors[0].second, ::testing::HasSubstr("fingerprint"));
  EXPECT_TRUE(alice.publisher->connected());
}

}  // namespace
}  // namespace switchyard::sfu::testing

namespace switchyard::sfu::testing {
namespace {

// Audio with an RFC 6464 ssrc-audio-level element (one-byte header extension, id 1 as
// TestPeer's publish offer negotiates it): V=1 when `voice`, level in -dBov (0 loudest).
std::vector<uint8_t> AudioWithLevel(uint16_t seq, uint32_t timestamp, uint32_t ssrc,
                                    uint8_t level, bool voice) {
  std::vector<uint8_t> packet = {0x90, kOpusPayloadType,
                                 static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                                 static_cast<uint8_t>(timestamp >> 24),
                                 static_cast<uint8_t>(timestamp >> 16),
                                 static_cast<uint8_t>(timestamp >> 8),
                                 static_cast<uint8_t>(timestamp),
                                 static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
                                 static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc),
                                 0xBE, 0xDE, 0x00, 0x01,
                                 0x10, static_cast<uint8_t>((voice ? 0x80 : 0x00) | level),
                                 0x00, 0x00};
  const std::vector<uint8_t> opus = MakeOpusPayload(3);
  packet.insert(packet.end(), opus.begin(), opus.end());
  return packet;
}

TEST_F(RoomTest, LoudestVoiceIsAnnouncedAsActiveSpeakerToEveryone) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Publish(bob);
  Sync();
  // Two seconds of 20 ms audio frames: alice talks at -10 dBov, bob sends silence (127, no
  // voice activity), as a browser with a muted-but-sending microphone does.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(alice.publisher->SendRtpPacket(AudioWithLevel(
        alice.audio_seq++, alice.audio_ts += 960, alice.publish.audio_ssrc, 10, true)));
    ASSERT_TRUE(bob.publisher->SendRtpPacket(AudioWithLevel(
        bob.audio_seq++, bob.audio_ts += 960, bob.publish.audio_ssrc, 127, false)));
    Run(20ms);
  }
  for (Client* client : {&alice, &bob}) {
    const ObservedEvents events = client->observer->Snapshot();
    ASSERT_FALSE(events.active_speakers.empty()) << client->id;
    EXPECT_THAT(events.active_speakers.back(), ElementsAre("alice")) << client->id;
  }
}

}  // namespace
}  // namespace switchyard::sfu::testing
