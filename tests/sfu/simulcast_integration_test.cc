// Issue 3 end to end, in real time over loopback UDP: a synthetic 3-layer VP8 simulcast
// publisher and a feedback-sending subscriber talk to a real sfu::Worker through impairment
// proxies (random loss, rate cap with a drop-tail queue). Checks loss repair on both legs and
// that the bandwidth estimate moves the forwarded layer down under a cap and back up after
// it, switching only at keyframes.
#include <poll.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sfu/worker.h"
#include "tests/sfu/feedback_subscriber_peer.h"
#include "tests/sfu/impairment_proxy.h"
#include "tests/sfu/loopback_socket.h"
#include "tests/sfu/simulcast_publisher_peer.h"
#include "tests/sfu/test_peer.h"
#include "transport/byte_io.h"

namespace switchyard::sfu::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::IsEmpty;
using Direction = ImpairmentProxy::Direction;
using transport::Duration;
using transport::SocketAddress;
using transport::Timestamp;

constexpr auto kSignalingTimeout = 5s;
constexpr char kRoom[] = "simulcast";
constexpr char kPublisherId[] = "alice";
constexpr char kSubscriberId[] = "bob";
constexpr int kTopLayer = 2;

double Seconds(Duration d) { return static_cast<double>(d.count()) / 1e6; }

// A TestPeer on its own loopback socket, sending everything to one address (its proxy).
class UdpPeer {
 public:
  UdpPeer(const transport::Clock& clock, const transport::Certificate& certificate)
      : peer_(clock, certificate) {
    peer_.SetSendFunction(
        [this](std::span<const uint8_t> datagram) { socket_.SendTo(target_, datagram); });
  }
  bool ok() const { return socket_.ok(); }
  int fd() const { return socket_.fd(); }
  TestPeer& peer() { return peer_; }
  void set_target(const SocketAddress& target) { target_ = target; }
  void ReadAll() {
    std::array<uint8_t, 2048> buffer;
    SocketAddress from;
    while (auto n = socket_.Receive(buffer, from)) {
      peer_.OnDatagram(std::span<uint8_t>(buffer.data(), *n));
    }
  }

 private:
  LoopbackSocket socket_;
  TestPeer peer_;
  SocketAddress target_;
};

// A packet the SFU sent on the subscriber's media SSRC, seen in the clear (RFC 3711 §3.1:
// the RTP header is not encrypted) as it entered the subscriber's proxy.
struct SentHeader {
  int64_t sequence = 0;  // unwrapped like the subscriber does
  bool marker = false;
  Timestamp at;
};

class SimulcastIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_certificate_ = transport::Certificate::GenerateEcdsaP256("worker").value();
    peer_certificate_ = transport::Certificate::GenerateEcdsaP256("peer").value();
    WorkerOptions options;
    options.rtc_address = SocketAddress::FromIpv4(0x7F000001, 0);
    auto created = Worker::Create(0, options, clock_, *server_certificate_);
    ASSERT_TRUE(created.ok()) << created.status();
    worker_ = std::move(*created);
    worker_->Start();
    alice_ = std::make_unique<UdpPeer>(clock_, *peer_certificate_);
    bob_ = std::make_unique<UdpPeer>(clock_, *peer_certificate_);
    ASSERT_TRUE(alice_->ok() && bob_->ok());
    // The SFU's consent freshness (RFC 7675) expires after 30 s without checks.
    alice_->peer().set_consent_interval(Duration(2s));
    alice_->peer().set_record_packets(false);  // the scenario peers keep what they need
    bob_->peer().set_record_packets(false);
    bob_->peer().set_consent_interval(Duration(2s));
    publisher_ = std::make_unique<SimulcastPublisherPeer>(alice_->peer(), clock_);
    subscriber_ = std::make_unique<FeedbackSubscriberPeer>(bob_->peer(), clock_);
  }

  void TearDown() override {
    if (worker_) worker_->Stop();
  }

  // Publisher joins, publishes, connects and starts sending; then the subscriber joins,
  // answers and connects. Both through their own proxy.
  void ConnectAll() {
    Worker* w = worker_.get();
    const std::string offer = publisher_->CreateOffer();
    worker_->Post([w, observer = alice_observer_, offer] {
      Room& room = w->GetOrCreateRoom(kRoom);
      (void)room.Join(kPublisherId, "Alice", observer);
      room.HandlePublishOffer(kPublisherId, offer);
    });
    ASSERT_TRUE(alice_observer_->WaitFor(
        [](const ObservedEvents& e) { return !e.publish_answers.empty() || !e.errors.empty(); },
        kSignalingTimeout));
    const ObservedEvents alice_events = alice_observer_->Snapshot();
    ASSERT_THAT(alice_events.errors, IsEmpty());
    ASSERT_TRUE(alice_->peer().SetPublishAnswer(alice_events.publish_answers[0]).ok());
    ASSERT_TRUE(alice_->peer().remote_candidate().has_value());
    alice_proxy_ = std::make_unique<ImpairmentProxy>(clock_, *alice_->peer().remote_candidate(),
                                                     /*seed=*/1);
    ASSERT_TRUE(alice_proxy_->ok());
    alice_->set_target(alice_proxy_->client_address());
    ASSERT_TRUE(Connect(*alice_));
    publisher_->Start();
    RunFor(500ms);  // the SFU measures the layers before anyone subscribes

    worker_->Post([w, observer = bob_observer_] {
      (void)w->GetOrCreateRoom(kRoom).Join(kSubscriberId, "Bob", observer);
    });
    ASSERT_TRUE(bob_observer_->WaitFor(
        [](const ObservedEvents& e) { return !e.subscribe_offers.empty(); }, kSignalingTimeout));
    auto answer =
        subscriber_->AnswerOffer(bob_observer_->Snapshot().subscribe_offers[0], kPublisherId);
    ASSERT_TRUE(answer.ok()) << answer.status();
    worker_->Post([w, answer = *answer] {
      if (Room* room = w->FindRoom(kRoom)) room->HandleSubscribeAnswer(kSubscriberId, answer);
    });
    ASSERT_TRUE(bob_->peer().remote_candidate().has_value());
    bob_proxy_ = std::make_unique<ImpairmentProxy>(clock_, *bob_->peer().remote_candidate(),
                                                   /*seed=*/2);
    ASSERT_TRUE(bob_proxy_->ok());
    bob_proxy_->set_tap([this](Direction direction, std::span<const uint8_t> datagram,
                               Timestamp now) { TapToSubscriber(direction, datagram, now); });
    bob_->set_target(bob_proxy_->client_address());
    ASSERT_TRUE(Connect(*bob_));
  }

  bool Connect(UdpPeer& peer) {
    Timestamp next_check = clock_.Now();
    return RunUntil(
        [&] {
          if (peer.peer().connected()) return true;
          if (!peer.peer().ice_connected() && clock_.Now() >= next_check) {
            peer.peer().SendBindingRequest(/*use_candidate=*/true);
            next_check = clock_.Now() + Duration(100ms);
          }
          return false;
        },
        5s);
  }

  void TapToSubscriber(Direction direction, std::span<const uint8_t> datagram, Timestamp now) {
    // RFC 7983 / RFC 5761: RTP has first byte 128..191 and a payload type outside 64..95.
    if (direction != Direction::kToClient || datagram.size() < 12) return;
    if (datagram[0] < 128 || datagram[0] > 191) return;
    const uint8_t payload_type = datagram[1] & 0x7F;
    if (payload_type >= 64 && payload_type <= 95) return;
    const auto media = subscriber_->media_ssrc();
    if (!media || transport::LoadBe32(&datagram[8]) != *media) return;
    const uint16_t seq = transport::LoadBe16(&datagram[2]);
    int64_t unwrapped = 0;
    if (!tap_highest_) {
      unwrapped = (int64_t{1} << 20) + seq;  // as FeedbackSubscriberPeer::Unwrap
      tap_highest_ = unwrapped;
    } else {
      unwrapped =
          *tap_highest_ +
          static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(*tap_highest_)));
      tap_highest_ = std::max(*tap_highest_, unwrapped);
    }
    sfu_sent_.push_back({unwrapped, (datagram[1] & 0x80) != 0, now});
  }

  // One turn of the event loop: waits (at most `max_wait`) for a datagram or the next
  // scheduled send, then lets everybody process.
  void PumpOnce(Duration max_wait) {
    Timestamp deadline = clock_.Now() + max_wait;
    if (auto next = publisher_->NextFrameTime()) deadline = std::min(deadline, *next);
    for (ImpairmentProxy* proxy : {alice_proxy_.get(), bob_proxy_.get()}) {
      if (proxy == nullptr) continue;
      if (auto next = proxy->NextRelease()) deadline = std::min(deadline, *next);
    }
    std::vector<pollfd> fds = {{alice_->fd(), POLLIN, 0}, {bob_->fd(), POLLIN, 0}};
    for (ImpairmentProxy* proxy : {alice_proxy_.get(), bob_proxy_.get()}) {
      if (proxy == nullptr) continue;
      for (int fd : proxy->fds()) fds.push_back({fd, POLLIN, 0});
    }
    const Duration wait = std::max(Duration(0), deadline - clock_.Now());
    timespec timeout{static_cast<time_t>(wait.count() / 1'000'000),
                     static_cast<long>((wait.count() % 1'000'000) * 1000)};
    (void)::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    if (alice_proxy_) alice_proxy_->Process();
    if (bob_proxy_) bob_proxy_->Process();
    alice_->ReadAll();
    bob_->ReadAll();
    publisher_->Tick();
    subscriber_->Tick();
    alice_->peer().OnTimer();
    bob_->peer().OnTimer();
  }

  bool RunUntil(const std::function<bool()>& done, Duration timeout) {
    const Timestamp deadline = clock_.Now() + timeout;
    while (clock_.Now() < deadline) {
      if (done && done()) return true;
      PumpOnce(2ms);
    }
    return done && done();
  }
  void RunFor(Duration duration) { (void)RunUntil(nullptr, duration); }

  // Counters of the SFU's side of the two legs, read on the worker thread.
  struct SfuCounters {
    uint64_t publisher_nacks = 0;             // sequence numbers NACKed to the publisher
    uint64_t subscriber_retransmissions = 0;  // RTX the consumer sent the subscriber
    uint64_t suppressed_retransmissions = 0;  // re-NACKs within one round trip, not resent
    uint64_t estimate_bps = 0;
  };
  SfuCounters ReadSfuCounters() {
    std::promise<SfuCounters> result;
    Worker* w = worker_.get();
    worker_->Post([w, &result] {
      SfuCounters counters;
      if (Room* room = w->FindRoom(kRoom)) {
        if (Participant* alice = room->FindParticipant(kPublisherId)) {
          counters.publisher_nacks = alice->publisher().nacks_sent();
        }
        if (Participant* bob = room->FindParticipant(kSubscriberId)) {
          counters.estimate_bps = bob->subscriber().estimate_bps();
          if (Consumer* consumer =
                  bob->subscriber().FindConsumerByTrack(std::string(kPublisherId) + "-0")) {
            counters.subscriber_retransmissions = consumer->retransmissions_sent();
            counters.suppressed_retransmissions = consumer->retransmissions_suppressed();
          }
        }
      }
      result.set_value(counters);
    });
    return result.get_future().get();
  }

  // The first keyframe start that arrived after `since` whose width satisfies `wanted`.
  std::optional<FeedbackSubscriberPeer::VideoPacket> KeyframeAfter(
      Timestamp since, const std::function<bool(int width)>& wanted) const {
    for (const auto& keyframe : subscriber_->keyframes()) {
      if (keyframe.arrival >= since && wanted(keyframe.width)) return keyframe;
    }
    return std::nullopt;
  }
  // Before the subscriber's first feedback the SFU allocates without a budget (top layer),
  // then from its start estimate (1 Mbps: the middle layer) until probing finds more; steady
  // means on the top layer for a whole second.
  void WaitForSteadyTopLayer(Timestamp joined) {
    std::optional<Timestamp> top_since;
    const bool steady = RunUntil(
        [&] {
          if (!OnTopLayer()) {
            top_since.reset();
            return false;
          }
          if (!top_since) top_since = clock_.Now();
          return clock_.Now() - *top_since >= Duration(1s);
        },
        10s);
    ASSERT_TRUE(steady) << "the subscriber never settled on the top layer without impairment";
    std::printf("[simulcast-it] steady on the top layer %.2f s after connecting\n",
                Seconds(*top_since - joined));
  }
  bool OnTopLayer() const {
    const auto tag = subscriber_->latest_tag();
    return tag && tag->layer == kTopLayer;
  }

  // Share of the output sequence numbers the SFU sent (as first transmissions) on the media
  // SSRC between `from` and `to` that the subscriber ended up with, over the whole range
  // from the first to the last of them (a number the SFU skipped counts as missing).
  struct Delivery {
    int64_t expected = 0;
    int64_t received = 0;
    int64_t received_first_time = 0;  // without retransmissions
    double rate() const { return expected ? static_cast<double>(received) / expected : 0; }
  };
  Delivery DeliveryBetween(Timestamp from, Timestamp to) const {
    std::optional<int64_t> low, high;
    for (const SentHeader& sent : sfu_sent_) {
      if (sent.at < from || sent.at > to) continue;
      low = low ? std::min(*low, sent.sequence) : sent.sequence;
      high = high ? std::max(*high, sent.sequence) : sent.sequence;
    }
    Delivery delivery;
    if (!low) return delivery;
    delivery.expected = *high - *low + 1;
    const auto& packets = subscriber_->packets();
    for (auto it = packets.lower_bound(*low); it != packets.end() && it->first <= *high; ++it) {
      ++delivery.received;
      if (!it->second.via_rtx) ++delivery.received_first_time;
    }
    return delivery;
  }

  transport::SteadyClock clock_;
  std::unique_ptr<transport::Certificate> server_certificate_;
  std::unique_ptr<transport::Certificate> peer_certificate_;
  std::unique_ptr<Worker> worker_;
  std::shared_ptr<RecordingObserver> alice_observer_ = std::make_shared<RecordingObserver>();
  std::shared_ptr<RecordingObserver> bob_observer_ = std::make_shared<RecordingObserver>();
  std::unique_ptr<UdpPeer> alice_;
  std::unique_ptr<UdpPeer> bob_;
  std::unique_ptr<ImpairmentProxy> alice_proxy_;
  std::unique_ptr<ImpairmentProxy> bob_proxy_;
  std::unique_ptr<SimulcastPublisherPeer> publisher_;
  std::unique_ptr<FeedbackSubscriberPeer> subscriber_;
  std::optional<int64_t> tap_highest_;
  std::vector<SentHeader> sfu_sent_;
};

TEST_F(SimulcastIntegrationTest, FivePercentLossIsRepairedOnBothLegs) {
  ASSERT_NO_FATAL_FAILURE(ConnectAll());
  const Timestamp joined = clock_.Now();
  ASSERT_NO_FATAL_FAILURE(WaitForSteadyTopLayer(joined));

  // SFU -> subscriber: the subscriber NACKs, the SFU resends from the producer's cache as RTX.
  LinkImpairment lossy;
  lossy.loss = 0.05;
  const Timestamp down_start = clock_.Now();
  bob_proxy_->SetImpairment(Direction::kToClient, lossy);
  RunFor(5s);
  const Timestamp down_end = clock_.Now();
  bob_proxy_->SetImpairment(Direction::kToClient, LinkImpairment{});
  RunFor(1500ms);
  const Delivery downlink = DeliveryBetween(down_start, down_end);
  std::printf(
      "[simulcast-it] downlink 5%% loss: expected %lld, first transmissions %lld (%.2f%%), "
      "after repair %lld (%.3f%%); proxy dropped %llu; subscriber NACKed %llu, RTX repairs %llu\n",
      static_cast<long long>(downlink.expected),
      static_cast<long long>(downlink.received_first_time),
      100.0 * downlink.received_first_time / std::max<int64_t>(downlink.expected, 1),
      static_cast<long long>(downlink.received), 100.0 * downlink.rate(),
      static_cast<unsigned long long>(bob_proxy_->stats(Direction::kToClient).dropped_random),
      static_cast<unsigned long long>(subscriber_->stats().nacked_sequences),
      static_cast<unsigned long long>(subscriber_->stats().rtx_repairs));
  const SfuCounters after_downlink = ReadSfuCounters();
  std::printf("[simulcast-it]   SFU sent %llu retransmissions to the subscriber\n",
              static_cast<unsigned long long>(after_downlink.subscriber_retransmissions));
  RecordProperty("downlink_repair_rate", std::to_string(downlink.rate()));
  EXPECT_GT(downlink.expected, 500);  // ~5 s of 1.5 Mbps in ~1.1 kB packets
  EXPECT_LT(downlink.received_first_time, downlink.expected);  // the loss was real
  EXPECT_GE(downlink.rate(), 0.99);
  EXPECT_GT(subscriber_->stats().rtx_repairs, 0u);

  // Publisher -> SFU: the SFU NACKs the publisher, restores its RTX and forwards the repair.
  const uint64_t repairs_before = subscriber_->stats().rtx_repairs;
  uint64_t publisher_rtx_before = 0;
  for (size_t i = 0; i < 3; ++i) publisher_rtx_before += publisher_->stats(i).retransmitted;
  const Timestamp up_start = clock_.Now();
  alice_proxy_->SetImpairment(Direction::kToServer, lossy);
  RunFor(5s);
  const Timestamp up_end = clock_.Now();
  alice_proxy_->SetImpairment(Direction::kToServer, LinkImpairment{});
  RunFor(1500ms);
  const Delivery uplink = DeliveryBetween(up_start, up_end);
  uint64_t publisher_rtx = 0;
  for (size_t i = 0; i < 3; ++i) publisher_rtx += publisher_->stats(i).retransmitted;
  publisher_rtx -= publisher_rtx_before;
  std::printf(
      "[simulcast-it] uplink 5%% loss: expected %lld, after repair %lld (%.3f%%); proxy dropped "
      "%llu; publisher retransmitted %llu\n",
      static_cast<long long>(uplink.expected), static_cast<long long>(uplink.received),
      100.0 * uplink.rate(),
      static_cast<unsigned long long>(alice_proxy_->stats(Direction::kToServer).dropped_random),
      static_cast<unsigned long long>(publisher_rtx));
  std::printf("[simulcast-it]   SFU NACKed %llu sequence numbers to the publisher\n",
              static_cast<unsigned long long>(ReadSfuCounters().publisher_nacks));
  RecordProperty("uplink_repair_rate", std::to_string(uplink.rate()));
  EXPECT_GT(uplink.expected, 500);
  EXPECT_GE(uplink.rate(), 0.99);
  EXPECT_GT(publisher_rtx, 0u);
  // Upstream repairs reach the subscriber as late originals, not as RTX of its own.
  EXPECT_EQ(subscriber_->stats().rtx_repairs, repairs_before);
  EXPECT_EQ(bob_->peer().stats().srtp_errors, 0u);
}

TEST_F(SimulcastIntegrationTest, CapMovesForwardingDownAndLiftingItMovesItBackUp) {
  ASSERT_NO_FATAL_FAILURE(ConnectAll());
  const Timestamp joined = clock_.Now();
  ASSERT_NO_FATAL_FAILURE(WaitForSteadyTopLayer(joined));

  // A 700 kbps bottleneck: the top layer (1.5 Mbps) no longer fits, the middle one does.
  LinkImpairment cap;
  cap.rate_bps = 700'000;
  const Timestamp capped = clock_.Now();
  bob_proxy_->SetImpairment(Direction::kToClient, cap);
  const auto below_top = [](int width) { return width > 0 && width < 1280; };
  const bool went_down = RunUntil([&] { return KeyframeAfter(capped, below_top).has_value(); }, 4s);
  ASSERT_TRUE(went_down) << "still on the top layer 4 s into a 700 kbps cap";
  const auto down = *KeyframeAfter(capped, below_top);
  const Duration switch_down = down.arrival - capped;
  std::printf("[simulcast-it] capped at 700 kbps: switched down to %dx%d after %.2f s\n",
              down.width, down.height, Seconds(switch_down));
  RecordProperty("switch_down_ms", std::to_string(switch_down.count() / 1000));
  EXPECT_LE(switch_down, Duration(2s));
  RunFor(2s);
  EXPECT_FALSE(OnTopLayer()) << "went back to the top layer while still capped";

  const Timestamp lifted = clock_.Now();
  bob_proxy_->SetImpairment(Direction::kToClient, LinkImpairment{});
  const auto top = [](int width) { return width == 1280; };
  const bool went_up = RunUntil([&] { return KeyframeAfter(lifted, top).has_value(); }, 11s);
  ASSERT_TRUE(went_up) << "not back on the top layer 11 s after lifting the cap";
  const auto up = *KeyframeAfter(lifted, top);
  const Duration switch_up = up.arrival - lifted;
  std::printf("[simulcast-it] cap lifted: back to %dx%d after %.2f s\n", up.width, up.height,
              Seconds(switch_up));
  RecordProperty("switch_up_ms", std::to_string(switch_up.count() / 1000));
  EXPECT_LE(switch_up, Duration(10s));
  RunFor(1s);  // late repairs

  // Every change of source layer, in output order, lands on a keyframe of that layer.
  const auto& packets = subscriber_->packets();
  const std::array<int, 3> widths = {320, 640, 1280};
  std::optional<int> layer;
  int switches = 0;
  for (const auto& [seq, packet] : packets) {
    ASSERT_TRUE(packet.tag.has_value()) << "packet " << seq << " has no synthetic tag";
    if (layer && *layer == packet.tag->layer) continue;
    if (layer) ++switches;
    EXPECT_TRUE(packet.keyframe_start) << "switch to layer " << packet.tag->layer
                                       << " at output seq " << seq << " does not start a keyframe";
    EXPECT_EQ(packet.width, widths[static_cast<size_t>(packet.tag->layer)]) << "at seq " << seq;
    layer = packet.tag->layer;
  }
  EXPECT_GE(switches, 2);

  // The SFU's numbering has holes only where it cut a frame short at a switch (one number,
  // RFC 3550-style loss that tells the decoder the frame will not complete).
  std::set<int64_t> sent_sequences;
  std::map<int64_t, bool> marker_of;
  for (const SentHeader& sent : sfu_sent_) {
    sent_sequences.insert(sent.sequence);
    marker_of[sent.sequence] = sent.marker;
  }
  int marked_gaps = 0;
  for (auto it = sent_sequences.begin(); it != sent_sequences.end(); ++it) {
    auto next = std::next(it);
    if (next == sent_sequences.end() || *next == *it + 1) continue;
    const int64_t before = *it;
    const int64_t after = *next;
    EXPECT_EQ(after - before, 2) << "gap of " << (after - before - 1) << " after seq " << before;
    EXPECT_FALSE(marker_of[before]) << "gap after a complete frame at seq " << before;
    auto received = packets.find(after);
    ASSERT_NE(received, packets.end()) << "never got the packet after the gap at " << before;
    EXPECT_TRUE(received->second.keyframe_start) << "gap at " << before << " is not at a switch";
    ++marked_gaps;
  }

  const Delivery overall = DeliveryBetween(joined, clock_.Now());
  std::printf(
      "[simulcast-it] %d layer switches, %d marked gaps; delivery %.3f%% of %lld (RTX repairs "
      "%llu, proxy queue drops %llu, max queue %zu bytes)\n",
      switches, marked_gaps, 100.0 * overall.rate(), static_cast<long long>(overall.expected),
      static_cast<unsigned long long>(subscriber_->stats().rtx_repairs),
      static_cast<unsigned long long>(bob_proxy_->stats(Direction::kToClient).dropped_queue),
      bob_proxy_->stats(Direction::kToClient).max_queue_bytes);
  const SfuCounters counters = ReadSfuCounters();
  std::printf(
      "[simulcast-it]   subscriber NACKed %llu, SFU retransmitted %llu (suppressed %llu), "
      "subscriber got %llu RTX (%llu duplicates); estimate now %llu bps\n",
      static_cast<unsigned long long>(subscriber_->stats().nacked_sequences),
      static_cast<unsigned long long>(counters.subscriber_retransmissions),
      static_cast<unsigned long long>(counters.suppressed_retransmissions),
      static_cast<unsigned long long>(subscriber_->stats().rtx_packets),
      static_cast<unsigned long long>(subscriber_->stats().duplicates),
      static_cast<unsigned long long>(counters.estimate_bps));
  // Behind a ~450 ms queue the subscriber re-NACKs (every 100 ms) packets whose RTX is still
  // queued; the SFU knows the round trip from the receiver reports and does not resend those.
  EXPECT_GT(counters.suppressed_retransmissions, 0u);
  EXPECT_LT(counters.subscriber_retransmissions, subscriber_->stats().nacked_sequences);
  std::string states;
  for (const auto& state : bob_observer_->Snapshot().subscription_states) {
    states += " " + std::to_string(state.spatial) + "@" + std::to_string(state.estimate_bps / 1000);
  }
  std::printf("[simulcast-it]   allocations (layer@kbps):%s\n", states.c_str());
}

}  // namespace
}  // namespace switchyard::sfu::testing
