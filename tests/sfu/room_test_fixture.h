#ifndef SWITCHYARD_TESTS_SFU_ROOM_TEST_FIXTURE_H_
#define SWITCHYARD_TESTS_SFU_ROOM_TEST_FIXTURE_H_

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
#include "tests/sfu/recording_room_observer.h"
#include "tests/sfu/test_peer.h"
#include "transport/stun_message.h"

namespace switchyard::sfu::testing {

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
inline std::vector<uint8_t> WithoutPictureId(std::vector<uint8_t> payload) {
  if (payload.size() >= 4) payload[2] = payload[3] = 0;
  return payload;
}
inline uint16_t PictureId(const std::vector<uint8_t>& payload) {
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
  RoomTest() { worker_.context().room_observer = &room_observer_; }

  Room& room() { return worker_.room(); }

  Client& Join(const std::string& id) {
    JoinOptions options;
    options.participant_id = id;
    options.identity = id + " name";
    options.name = id + " name";
    return JoinWith(options);
  }

  // Join with everything the room API decides (identity, permission, kind).
  Client& JoinWith(const JoinOptions& options) {
    const std::string& id = options.participant_id;
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
    EXPECT_TRUE(room().Join(options, client->observer).ok());
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
  // Room-level events of the worker's rooms (declared first: rooms report to it until the end).
  RecordingRoomObserver room_observer_;
  FakeWorker worker_;
  std::vector<std::unique_ptr<Client>> clients_;  // destroyed before worker_
};


}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_ROOM_TEST_FIXTURE_H_
