#include "sfu/room.h"

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rtc/sdp_parser.h"
#include "tests/sfu/fake_network.h"
#include "tests/sfu/test_peer.h"
#include "transport/stun_message.h"

namespace switchyard::sfu::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;
using transport::SocketAddress;
using namespace std::chrono_literals;

constexpr uint32_t kVideoTicksPerFrame = 3000;  // 30 fps at 90 kHz
constexpr uint32_t kAudioTicksPerPacket = 960;  // 20 ms at 48 kHz

// The forwarded VP8 payload equals the published one except for the picture id, which each
// consumer renumbers (continuous per subscriber across layer switches).
std::vector<uint8_t> WithoutPictureId(std::vector<uint8_t> payload) {
  if (payload.size() >= 4) payload[2] = payload[3] = 0;
  return payload;
}
uint16_t PictureId(const std::vector<uint8_t>& payload) {
  return payload.size() >= 4 ? static_cast<uint16_t>(((payload[2] & 0x7F) << 8) | payload[3]) : 0;
}

// One browser tab: signaling (the observer) plus the publisher and subscriber PeerConnections.
struct Client {
  std::string id;
  std::shared_ptr<RecordingObserver> observer = std::make_shared<RecordingObserver>();
  std::unique_ptr<TestPeer> publisher;
  std::unique_ptr<TestPeer> subscriber;
  SocketAddress publisher_address;
  SocketAddress subscriber_address;
  PublishOfferOptions publish;
  size_t answered_offers = 0;
  // Outgoing stream state.
  uint16_t video_seq = 1000;
  uint32_t video_ts = 50000;
  uint16_t picture_id = 1;
  uint16_t audio_seq = 20000;
  uint32_t audio_ts = 700000;
};

class RoomTest : public ::testing::Test {
 protected:
  Room& room() { return worker_.room(); }

  Client& Join(const std::string& id) {
    auto client = std::make_unique<Client>();
    const uint32_t index = static_cast<uint32_t>(clients_.size());
    client->id = id;
    client->publisher_address = SocketAddress::FromIpv4(0x7F000100 + index + 1, 5000);
    client->subscriber_address = SocketAddress::FromIpv4(0x7F000100 + index + 1, 5001);
    client->publisher = std::make_unique<TestPeer>(worker_.clock(), *peer_certificate_);
    client->subscriber = std::make_unique<TestPeer>(worker_.clock(), *peer_certificate_);
    worker_.network().AttachPeer(*client->publisher, client->publisher_address);
    worker_.network().AttachPeer(*client->subscriber, client->subscriber_address);
    client->publish.audio_ssrc = 0x1000 + index * 0x10;
    client->publish.video_ssrc = 0x1001 + index * 0x10;
    client->publish.video_rtx_ssrc = 0x1002 + index * 0x10;
    client->publish.stream_id = id + "-stream";
    EXPECT_TRUE(room().Join(id, id + " name", client->observer).ok());
    worker_.Pump();
    clients_.push_back(std::move(client));
    return *clients_.back();
  }

  // Publishes audio+video (per client.publish) and connects the publisher PeerConnection.
  void Publish(Client& client) {
    const ObservedEvents before = client.observer->Snapshot();
    room().HandlePublishOffer(client.id, client.publisher->CreatePublishOffer(client.publish));
    worker_.Pump();
    const ObservedEvents events = client.observer->Snapshot();
    ASSERT_EQ(events.errors.size(), before.errors.size()) << events.errors.back().second;
    ASSERT_EQ(events.publish_answers.size(), before.publish_answers.size() + 1);
    ASSERT_TRUE(client.publisher->SetPublishAnswer(events.publish_answers.back()).ok());
    client.publisher->SendBindingRequest(/*use_candidate=*/true);
    worker_.Pump();
    ASSERT_TRUE(client.publisher->connected());
  }

  // Plays every client's signaling until quiet: answers each subscribe offer in order and
  // connects subscriber PeerConnections that have not connected yet.
  void Sync() {
    for (int round = 0; round < 10; ++round) {
      bool answered = false;
      for (auto& client : clients_) {
        const ObservedEvents events = client->observer->Snapshot();
        while (client->answered_offers < events.subscribe_offers.size()) {
          auto answer =
              client->subscriber->AnswerSubscribeOffer(events.subscribe_offers[client->answered_offers]);
          ASSERT_TRUE(answer.ok()) << answer.status();
          ++client->answered_offers;
          room().HandleSubscribeAnswer(client->id, *answer);
          answered = true;
          worker_.Pump();
        }
        if (client->answered_offers > 0 && !client->subscriber->ice_connected()) {
          client->subscriber->SendBindingRequest(/*use_candidate=*/true);
          worker_.Pump();
          ASSERT_TRUE(client->subscriber->connected()) << client->id;
        }
      }
      if (!answered) return;
    }
    FAIL() << "signaling did not settle";
  }

  // One single-packet video frame (marker set).
  void SendVideoFrame(Client& client, bool keyframe) {
    ASSERT_TRUE(client.publisher->SendRtp(
        {kVp8PayloadType, client.video_seq++, client.video_ts, client.publish.video_ssrc, true},
        MakeVp8Payload(keyframe, client.picture_id++)));
    client.video_ts += kVideoTicksPerFrame;
    worker_.Pump();
  }

  // Runs the worker for `duration` as its event loop would: 20 ms ticks (Room::OnTimer, which
  // measures layer activity and re-allocates subscribers), the peers' timers, deliveries.
  void Run(transport::Duration duration) { worker_.Advance(duration, 20ms); }

  // Starts `sender`'s video at its subscribers as a camera joining mid-stream would: delta
  // frames at 30 fps until the producer counts as active and the subscribers' allocators have
  // picked it (both on the worker tick), then the keyframe where forwarding starts.
  void StartVideo(Client& sender) {
    for (int i = 0; i < 10; ++i) {
      SendVideoFrame(sender, /*keyframe=*/false);
      Run(33ms);
    }
    SendVideoFrame(sender, /*keyframe=*/true);
  }

  void SendAudio(Client& client) {
    ASSERT_TRUE(client.publisher->SendRtp(
        {kOpusPayloadType, client.audio_seq++, client.audio_ts, client.publish.audio_ssrc, false},
        MakeOpusPayload(static_cast<uint8_t>(client.audio_seq))));
    client.audio_ts += kAudioTicksPerPacket;
    worker_.Pump();
  }

  uint32_t ConsumerSsrc(const Client& subscriber, rtc::MediaKind kind, const Client& publisher) {
    const OfferedTrack* track = subscriber.subscriber->FindOfferedTrack(kind, publisher.id);
    EXPECT_NE(track, nullptr) << subscriber.id << " has no " << rtc::MediaKindName(kind)
                              << " track of " << publisher.id;
    return track != nullptr && track->ssrc ? *track->ssrc : 0;
  }

  uint64_t Drops(DropReason reason) { return worker_.network().drops().Get(reason); }

  static void SetUpTestSuite() {
    peer_certificate_ = transport::Certificate::GenerateEcdsaP256("test-peer").value().release();
  }
  static void TearDownTestSuite() { delete peer_certificate_; }

  static inline transport::Certificate* peer_certificate_ = nullptr;
  FakeWorker worker_;
  std::vector<std::unique_ptr<Client>> clients_;  // destroyed before worker_
};

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

  // Nomination switches the selected pair (RFC 8445 §7.3.1.5: the latest nomination wins).
  bob.subscriber->SendBindingRequest(/*use_candidate=*/true);
  worker_.Pump();
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
