#include "sfu/worker_pool.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sfu/allocation_counter.h"
#include "tests/sfu/recording_room_observer.h"
#include "tests/sfu/test_peer.h"
#include "tests/sfu/udp_test_peer.h"

namespace switchyard::sfu::testing {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;

template <typename T>
T RunOnWorker(Worker& worker, std::function<T()> task) {
  std::promise<T> result;
  worker.Post([&] { result.set_value(task()); });
  return result.get_future().get();
}

JoinOptions Named(const std::string& id) {
  JoinOptions options;
  options.participant_id = id;
  options.identity = id;
  options.name = id;
  return options;
}

// One participant of the test: its handle, what it was told, and its scripted PeerConnection
// (publisher or subscriber side; the tests use each participant in one role).
struct Client {
  Client(const transport::Clock& clock, const transport::Certificate& certificate)
      : observer(std::make_shared<RecordingObserver>()), udp(clock, certificate) {}
  std::shared_ptr<RecordingObserver> observer;
  UdpTestPeer udp;
  std::unique_ptr<ParticipantHandle> handle;
  size_t offers_answered = 0;

  // Answers subscribe offers as they come until one carries `publisher`'s video, then
  // connects to the candidate of those offers.
  bool SubscribeTo(const std::string& publisher) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!observer->WaitFor(
              [&](const ObservedEvents& e) { return e.subscribe_offers.size() > offers_answered; },
              kDeadline)) {
        return false;
      }
      const std::string offer = observer->Snapshot().subscribe_offers[offers_answered++];
      auto answer = udp.peer().AnswerSubscribeOffer(offer);
      if (!answer.ok()) return false;
      handle->SubscribeAnswer(*answer);
      if (udp.peer().FindOfferedTrack(rtc::MediaKind::kVideo, publisher) != nullptr) break;
    }
    if (!udp.peer().remote_candidate()) return false;
    udp.set_server(*udp.peer().remote_candidate());
    return udp.Connect();
  }
};

// One large room over two workers: participants are spread by load, a publisher's packets are
// decrypted on its worker and handed through the mesh to the other worker's subscribers, and
// joins, leaves, mutes and keyframe requests cross between the room's shards.
TEST(WorkerPoolTest, RoomSpansWorkers) {
  transport::SteadyClock clock;
  auto server_certificate = transport::Certificate::GenerateEcdsaP256("pool").value();
  auto peer_certificate = transport::Certificate::GenerateEcdsaP256("peer").value();
  RecordingRoomObserver room_observer;
  SfuOptions options;
  options.workers = 2;
  auto created = WorkerPool::Create(options, clock, *server_certificate);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<WorkerPool> pool = std::move(*created);
  pool->SetRoomObserver(&room_observer);
  pool->Start();
  std::vector<Worker*> workers = pool->workers();

  Client alice(clock, *peer_certificate);
  Client bob(clock, *peer_certificate);
  Client carol(clock, *peer_certificate);
  ASSERT_TRUE(alice.udp.ok() && bob.udp.ok() && carol.udp.ok());
  alice.handle = pool->Join("big", Named("alice"), alice.observer);
  bob.handle = pool->Join("big", Named("bob"), bob.observer);
  // Least loaded: bob goes to the worker alice is not on; carol (1 : 1) to the room's home,
  // which is alice's.
  ASSERT_NE(alice.handle->worker_index(), bob.handle->worker_index());
  carol.handle = pool->Join("big", Named("carol"), carol.observer);
  ASSERT_EQ(carol.handle->worker_index(), alice.handle->worker_index());
  Worker& home = *workers[alice.handle->worker_index()];
  Worker& other = *workers[bob.handle->worker_index()];

  // Everyone hears of everyone, whichever shard they are on (at join or as a join event).
  auto knows = [](const Client& c, const std::string& id) {
    return c.observer->WaitFor(
        [&](const ObservedEvents& e) {
          auto is = [&](const ParticipantSummary& s) { return s.participant_id == id; };
          return std::any_of(e.others_at_join.begin(), e.others_at_join.end(), is) ||
                 std::any_of(e.participants_joined.begin(), e.participants_joined.end(), is);
        },
        kDeadline);
  };
  EXPECT_TRUE(knows(alice, "bob"));
  EXPECT_TRUE(knows(bob, "alice"));
  EXPECT_TRUE(knows(bob, "carol"));
  EXPECT_TRUE(knows(carol, "bob"));

  // Alice publishes (after bob joined: bob's shard learns of her producers as they come).
  PublishOfferOptions publish;
  alice.handle->PublishOffer(alice.udp.peer().CreatePublishOffer(publish));
  ASSERT_TRUE(alice.observer->WaitFor(
      [](const ObservedEvents& e) { return !e.publish_answers.empty() || !e.errors.empty(); },
      kDeadline));
  ASSERT_THAT(alice.observer->Snapshot().errors, IsEmpty());
  ASSERT_TRUE(alice.udp.peer().SetPublishAnswer(alice.observer->Snapshot().publish_answers[0]).ok());
  EXPECT_EQ(alice.udp.peer().remote_candidate(), home.rtc_address());
  alice.udp.set_server(*alice.udp.peer().remote_candidate());
  ASSERT_TRUE(alice.udp.Connect());

  ASSERT_TRUE(bob.SubscribeTo("alice"));
  ASSERT_TRUE(carol.SubscribeTo("alice"));
  // Each subscriber's transport is on its own worker.
  EXPECT_EQ(bob.udp.peer().remote_candidate(), other.rtc_address());
  EXPECT_EQ(carol.udp.peer().remote_candidate(), home.rtc_address());

  const OfferedTrack* bob_video = bob.udp.peer().FindOfferedTrack(rtc::MediaKind::kVideo, "alice");
  const OfferedTrack* bob_audio = bob.udp.peer().FindOfferedTrack(rtc::MediaKind::kAudio, "alice");
  const OfferedTrack* carol_video =
      carol.udp.peer().FindOfferedTrack(rtc::MediaKind::kVideo, "alice");
  ASSERT_TRUE(bob_video && bob_video->ssrc && bob_audio && bob_audio->ssrc);
  ASSERT_TRUE(carol_video && carol_video->ssrc);

  // Alice sends keyframes and audio until both subscribers have both.
  const std::vector<uint8_t> keyframe = MakeVp8Payload(true, 1, 900);
  const std::vector<uint8_t> opus = MakeOpusPayload(3);
  uint16_t seq = 100;
  uint32_t timestamp = 9000;
  auto send_frame = [&](bool video) {
    if (video) {
      ASSERT_TRUE(alice.udp.peer().SendRtp(
          {kVp8PayloadType, seq, timestamp, publish.video_ssrc, true}, keyframe));
    }
    ASSERT_TRUE(alice.udp.peer().SendRtp(
        {kOpusPayloadType, seq, timestamp, publish.audio_ssrc, false}, opus));
    ++seq;
    timestamp += 3000;
    for (int i = 0; i < 4; ++i) {
      bob.udp.Poll(2ms);
      carol.udp.Poll(2ms);
      alice.udp.Poll(0ms);
    }
  };
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline &&
         (bob.udp.peer().ReceivedRtpFor(*bob_video->ssrc).empty() ||
          bob.udp.peer().ReceivedRtpFor(*bob_audio->ssrc).empty() ||
          carol.udp.peer().ReceivedRtpFor(*carol_video->ssrc).empty())) {
    send_frame(true);
  }
  const auto bob_received = bob.udp.peer().ReceivedRtpFor(*bob_video->ssrc);
  ASSERT_FALSE(bob_received.empty());
  EXPECT_EQ(bob_received[0].payload, keyframe);
  ASSERT_FALSE(bob.udp.peer().ReceivedRtpFor(*bob_audio->ssrc).empty());
  EXPECT_EQ(bob.udp.peer().ReceivedRtpFor(*bob_audio->ssrc)[0].payload, opus);
  ASSERT_FALSE(carol.udp.peer().ReceivedRtpFor(*carol_video->ssrc).empty());
  EXPECT_EQ(bob.udp.peer().stats().srtp_errors, 0u);

  const Worker::Stats home_stats =
      RunOnWorker<Worker::Stats>(home, [&] { return home.CollectStats(); });
  const Worker::Stats other_stats =
      RunOnWorker<Worker::Stats>(other, [&] { return other.CollectStats(); });
  EXPECT_GT(home_stats.packets_relayed_out, 0u);
  EXPECT_GT(other_stats.packets_relayed_in, 0u);
  EXPECT_EQ(other_stats.packets_relayed_out, 0u);  // nobody publishes there
  EXPECT_EQ(home_stats.participants, 2u);          // alice and carol
  EXPECT_EQ(other_stats.participants, 1u);         // bob
  EXPECT_EQ(other_stats.media.consumers, 2u);      // bob's copies of alice's two tracks
  EXPECT_EQ(other_stats.drops[static_cast<size_t>(DropReason::kRelayRingFull)], 0u);

  // Bob's keyframe request crosses back to alice's worker and reaches alice.
  const size_t plis_before = alice.udp.peer().CountReceivedPli(publish.video_ssrc);
  deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline &&
         alice.udp.peer().CountReceivedPli(publish.video_ssrc) == plis_before) {
    ASSERT_TRUE(bob.udp.peer().SendPli(*bob_video->ssrc));
    for (int i = 0; i < 10; ++i) {
      alice.udp.Poll(5ms);
      bob.udp.Poll(0ms);
    }
    send_frame(/*video=*/false);  // keeps the stream active, no keyframe answers it
  }
  EXPECT_GT(alice.udp.peer().CountReceivedPli(publish.video_ssrc), plis_before);

  // A mute on alice's worker reaches bob's shard: bob is told and gets no more video.
  alice.handle->SetTrackMuted("alice-1", true);
  ASSERT_TRUE(bob.observer->WaitFor(
      [](const ObservedEvents& e) {
        return std::any_of(e.tracks_muted.begin(), e.tracks_muted.end(), [](const auto& m) {
          return m.participant_id == "alice" && m.track_id == "alice-1" && m.muted;
        });
      },
      kDeadline));
  const size_t video_before = bob.udp.peer().ReceivedRtpFor(*bob_video->ssrc).size();
  const size_t audio_before = bob.udp.peer().ReceivedRtpFor(*bob_audio->ssrc).size();
  for (int i = 0; i < 10; ++i) send_frame(true);
  for (int i = 0; i < 10; ++i) bob.udp.Poll(5ms);
  EXPECT_EQ(bob.udp.peer().ReceivedRtpFor(*bob_video->ssrc).size(), video_before);
  EXPECT_GT(bob.udp.peer().ReceivedRtpFor(*bob_audio->ssrc).size(), audio_before);
  const Worker::Stats muted_stats =
      RunOnWorker<Worker::Stats>(other, [&] { return other.CollectStats(); });
  EXPECT_GT(muted_stats.drops[static_cast<size_t>(DropReason::kMuted)], 0u);

  // The control plane heard of every participant and track once, from its own worker.
  const std::vector<std::string> events = room_observer.Events();
  for (const std::string id : {"alice", "bob", "carol"}) {
    EXPECT_EQ(std::count(events.begin(), events.end(), "joined big " + id), 1) << id;
  }
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [](const std::string& e) { return e.rfind("published big", 0) == 0; }),
            2);

  // Alice leaves: bob's shard drops her mirrors and tells bob.
  alice.handle->Leave();
  ASSERT_TRUE(bob.observer->WaitFor(
      [](const ObservedEvents& e) {
        return std::find(e.participants_left.begin(), e.participants_left.end(), "alice") !=
               e.participants_left.end();
      },
      kDeadline));
  ASSERT_TRUE(bob.observer->WaitFor(
      [](const ObservedEvents& e) { return e.tracks_unpublished.size() == 2; }, kDeadline));
  const Worker::Stats after_leave =
      RunOnWorker<Worker::Stats>(other, [&] { return other.CollectStats(); });
  EXPECT_EQ(after_leave.media.consumers, 0u);

  // When the last participants go, every worker forgets the room.
  bob.handle->Leave();
  carol.handle->Leave();
  deadline = std::chrono::steady_clock::now() + kDeadline;
  auto rooms = [&](Worker& w) { return RunOnWorker<size_t>(w, [&] { return w.CollectStats().rooms; }); };
  while (std::chrono::steady_clock::now() < deadline && (rooms(home) != 0 || rooms(other) != 0)) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(rooms(home), 0u);
  EXPECT_EQ(rooms(other), 0u);
  pool->Stop();
}

// The media path allocates nothing per packet: a publisher's packets arrive on one worker's
// socket (recvmmsg), are decrypted, forwarded and re-protected for a local subscriber
// (sendmmsg), and relayed through the mesh to a second worker that re-protects them for its
// own subscriber. Allocations are counted on both worker threads across 3000 packets. The
// periodic tick (RTCP reports, estimation, layer ranking and allocation: control work, not per
// packet) runs only when the test calls Worker::Tick during the warm-up, not in the window.
TEST(WorkerPoolTest, ForwardingAllocatesNothingPerPacket) {
  transport::SteadyClock clock;
  auto server_certificate = transport::Certificate::GenerateEcdsaP256("pool").value();
  auto peer_certificate = transport::Certificate::GenerateEcdsaP256("peer").value();
  SfuOptions options;
  options.workers = 2;
  options.timer_interval = std::chrono::hours(1);
  auto pool = std::move(WorkerPool::Create(options, clock, *server_certificate).value());
  pool->Start();
  std::vector<Worker*> workers = pool->workers();

  Client alice(clock, *peer_certificate);
  Client bob(clock, *peer_certificate);
  Client carol(clock, *peer_certificate);
  alice.handle = pool->Join("quiet", Named("alice"), alice.observer);
  bob.handle = pool->Join("quiet", Named("bob"), bob.observer);
  carol.handle = pool->Join("quiet", Named("carol"), carol.observer);
  ASSERT_NE(alice.handle->worker_index(), bob.handle->worker_index());
  ASSERT_EQ(alice.handle->worker_index(), carol.handle->worker_index());
  Worker& home = *workers[alice.handle->worker_index()];
  Worker& other = *workers[bob.handle->worker_index()];

  PublishOfferOptions publish;
  alice.handle->PublishOffer(alice.udp.peer().CreatePublishOffer(publish));
  ASSERT_TRUE(alice.observer->WaitFor(
      [](const ObservedEvents& e) { return !e.publish_answers.empty(); }, kDeadline));
  ASSERT_TRUE(alice.udp.peer().SetPublishAnswer(alice.observer->Snapshot().publish_answers[0]).ok());
  alice.udp.set_server(*alice.udp.peer().remote_candidate());
  ASSERT_TRUE(alice.udp.Connect());
  ASSERT_TRUE(bob.SubscribeTo("alice"));
  ASSERT_TRUE(carol.SubscribeTo("alice"));
  for (Client* c : {&alice, &bob, &carol}) c->udp.peer().set_record_packets(false);

  uint16_t seq = 1;
  uint32_t timestamp = 3000;
  uint16_t picture_id = 1;
  const std::vector<uint8_t> opus = MakeOpusPayload(7);
  // Sends `frames` video frames (the first a keyframe when asked) with audio, polling the
  // subscribers so their sockets never fill.
  auto send = [&](int frames, bool keyframe_first) {
    for (int i = 0; i < frames; ++i) {
      const bool keyframe = keyframe_first && i == 0;
      ASSERT_TRUE(alice.udp.peer().SendRtp(
          {kVp8PayloadType, seq, timestamp, publish.video_ssrc, true},
          MakeVp8Payload(keyframe, picture_id++, keyframe ? 1100 : 900)));
      ASSERT_TRUE(alice.udp.peer().SendRtp(
          {kOpusPayloadType, seq, timestamp, publish.audio_ssrc, false}, opus));
      ++seq;
      timestamp += 3000;
      if (i % 8 == 7) {
        bob.udp.Poll(1ms);
        carol.udp.Poll(0ms);
      }
    }
  };
  auto received = [](Client& c) { return c.udp.peer().stats().rtp_received; };
  auto settle = [&](uint64_t bob_target, uint64_t carol_target) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline &&
           (received(bob) < bob_target || received(carol) < carol_target)) {
      bob.udp.Poll(2ms);
      carol.udp.Poll(2ms);
    }
  };
  // Warm-up until both subscribers decode video: every lazily built structure (hash maps,
  // SRTP contexts, socket batches, asio's recycled operation memory) exists by then.
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline &&
         (bob.udp.peer().stats().rtp_received < 200 || carol.udp.peer().stats().rtp_received < 200)) {
    send(50, /*keyframe_first=*/true);
    settle(1, 1);
    for (Worker* w : {&home, &other}) RunOnWorker<bool>(*w, [w] { w->Tick(); return true; });
  }
  ASSERT_GE(received(bob), 200u);
  ASSERT_GE(received(carol), 200u);
  // One burst at the measured window's rate, so the packet caches have grown to hold a second
  // of these streams (RtpPacketCache doubles a few times per stream as its rate rises, then
  // never again).
  send(1500, /*keyframe_first=*/false);
  // Let stragglers land: quiet for 100 ms.
  for (int quiet = 0; quiet < 20;) {
    const uint64_t before = received(bob) + received(carol);
    bob.udp.Poll(5ms);
    carol.udp.Poll(0ms);
    quiet = received(bob) + received(carol) == before ? quiet + 1 : 0;
  }

  auto news = [](Worker& w) {
    return RunOnWorker<uint64_t>(w, [] { return ThreadOperatorNewCalls(); });
  };
  const uint64_t home_before = news(home);
  const uint64_t other_before = news(other);
  const uint64_t bob_before = received(bob);
  const uint64_t carol_before = received(carol);
  constexpr int kFrames = 1500;  // 3000 packets in, 6000 copies out
  // In chunks, each delivered before the next: the subscribers' default-sized socket buffers
  // must not overflow when the machine is busy (this test is about allocations, not speed).
  constexpr int kChunk = 100;
  for (int sent = 0; sent < kFrames; sent += kChunk) {
    send(kChunk, /*keyframe_first=*/false);
    settle(bob_before + 2 * (sent + kChunk), carol_before + 2 * (sent + kChunk));
  }
  EXPECT_EQ(received(bob) - bob_before, 2u * kFrames);
  EXPECT_EQ(received(carol) - carol_before, 2u * kFrames);
  EXPECT_EQ(news(home) - home_before, 0u) << "operator new calls on the publisher's worker";
  EXPECT_EQ(news(other) - other_before, 0u) << "operator new calls on the relaying worker";
  const Worker::Stats stats = RunOnWorker<Worker::Stats>(other, [&] { return other.CollectStats(); });
  EXPECT_GE(stats.packets_relayed_in, 2u * kFrames);
  pool->Stop();
}

// Shards stay consistent under churn: participants on three workers join, publish, unpublish
// (permission revoked), leave and rejoin in quick succession, their announcements racing each
// other between the workers. Afterwards every worker has forgotten the room: no shard, no
// mirror, no consumer left behind; nobody saw an error. (Run under TSan by ./tests/run.)
TEST(WorkerPoolTest, ChurnAcrossWorkersLeavesNothingBehind) {
  transport::SteadyClock clock;
  auto certificate = transport::Certificate::GenerateEcdsaP256("pool").value();
  SfuOptions options;
  options.workers = 3;
  auto pool = std::move(WorkerPool::Create(options, clock, *certificate).value());
  pool->Start();
  std::vector<Worker*> workers = pool->workers();

  struct Member {
    std::shared_ptr<RecordingObserver> observer = std::make_shared<RecordingObserver>();
    std::unique_ptr<ParticipantHandle> handle;
  };
  std::vector<Member> members;
  TestPeer offerer(clock, *certificate);
  const std::string offer = offerer.CreatePublishOffer();
  auto join = [&](const std::string& id) {
    Member m;
    m.handle = pool->Join("churn", Named(id), m.observer);
    members.push_back(std::move(m));
    return members.back().handle.get();
  };
  for (int round = 0; round < 4; ++round) {
    std::vector<ParticipantHandle*> handles;
    for (int i = 0; i < 6; ++i) {
      handles.push_back(join(absl::StrCat("r", round, "p", i)));
    }
    for (ParticipantHandle* h : handles) h->PublishOffer(offer);
    handles[0]->SetTrackMuted(absl::StrCat(handles[0]->participant_id(), "-1"), true);
    handles[1]->SetPermission(ParticipantPermission{false, true});  // unpublishes
    handles[2]->Leave();
    handles[3]->SetSubscriptionsEnabled({absl::StrCat(handles[4]->participant_id(), "-0")}, false);
    if (round > 0) {
      // Last round's survivors leave while this round's announcements are in flight.
      for (size_t i = members.size() - 12; i < members.size() - 6; ++i) members[i].handle->Leave();
    }
  }
  // The last round's publishers are mirrored on the other workers and consumed there.
  auto totals = [&] {
    std::pair<size_t, size_t> mirrors_consumers{0, 0};
    for (Worker* w : workers) {
      const auto stats = RunOnWorker<Worker::Stats>(*w, [w] { return w->CollectStats(); });
      mirrors_consumers.first += stats.mirrored_producers;
      mirrors_consumers.second += stats.media.consumers;
    }
    return mirrors_consumers;
  };
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline &&
         (totals().first == 0 || totals().second == 0)) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GT(totals().first, 0u);
  EXPECT_GT(totals().second, 0u);
  for (auto& m : members) m.handle->Leave();
  deadline = std::chrono::steady_clock::now() + kDeadline;
  auto settled = [&] {
    for (Worker* w : workers) {
      const auto stats = RunOnWorker<Worker::Stats>(*w, [w] { return w->CollectStats(); });
      if (stats.rooms != 0 || stats.participants != 0 || stats.mirrored_producers != 0 ||
          stats.media.consumers != 0) {
        return false;
      }
    }
    return true;
  };
  while (std::chrono::steady_clock::now() < deadline && !settled()) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(settled());
  for (auto& m : members) {
    const ObservedEvents events = m.observer->Snapshot();
    EXPECT_TRUE(events.joined);
    for (const auto& [code, message] : events.errors) {
      // A publish offer that lost the race with its own leave is the only acceptable error.
      EXPECT_EQ(code, "permission_denied") << message;
    }
  }
  pool->Stop();
}

TEST(WorkerPoolTest, RoomHashPlacementKeepsARoomOnOneWorker) {
  transport::SteadyClock clock;
  auto certificate = transport::Certificate::GenerateEcdsaP256("pool").value();
  SfuOptions options;
  options.workers = 3;
  options.placement = Placement::kRoomHash;
  auto pool = std::move(WorkerPool::Create(options, clock, *certificate).value());
  pool->Start();
  std::vector<std::unique_ptr<ParticipantHandle>> handles;
  std::vector<std::shared_ptr<RecordingObserver>> observers;
  for (int i = 0; i < 4; ++i) {
    observers.push_back(std::make_shared<RecordingObserver>());
    handles.push_back(pool->Join("small", Named("p" + std::to_string(i)), observers.back()));
    EXPECT_EQ(handles.back()->worker_index(), handles.front()->worker_index());
  }
  // Least loaded spreads the same joins over all three workers.
  options.placement = Placement::kLeastLoaded;
  auto spread = std::move(WorkerPool::Create(options, clock, *certificate).value());
  spread->Start();
  std::vector<int> used;
  for (int i = 0; i < 3; ++i) {
    observers.push_back(std::make_shared<RecordingObserver>());
    handles.push_back(spread->Join("small", Named("q" + std::to_string(i)), observers.back()));
    used.push_back(handles.back()->worker_index());
  }
  std::sort(used.begin(), used.end());
  EXPECT_EQ(used, (std::vector<int>{0, 1, 2}));
  for (auto& o : observers) {
    EXPECT_TRUE(o->WaitFor([](const ObservedEvents& e) { return e.joined; }, kDeadline));
  }
  spread->Stop();
  pool->Stop();
}

}  // namespace
}  // namespace switchyard::sfu::testing
