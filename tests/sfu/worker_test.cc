#include "sfu/worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sfu/worker_pool.h"
#include "tests/sfu/recording_room_observer.h"
#include "tests/sfu/tcp_test_peer.h"
#include "tests/sfu/turn_queue_test_peer.h"
#include "tests/sfu/test_peer.h"
#include "tests/sfu/udp_test_peer.h"

namespace switchyard::sfu::testing {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using transport::SocketAddress;
using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;

template <typename T>
T RunOnWorker(Worker& worker, std::function<T()> task) {
  std::promise<T> result;
  worker.Post([&] { result.set_value(task()); });
  return result.get_future().get();
}

// Alice publishes over UDP from `alice_ip` (to the worker's socket of that family); Bob, a
// `BobPeer` (UdpTestPeer or TcpTestPeer), subscribes over IPv4.
template <typename BobPeer>
void ForwardAliceToBob(const std::string& alice_ip = "127.0.0.1") {
  transport::SteadyClock clock;
  auto server_certificate = transport::Certificate::GenerateEcdsaP256("worker").value();
  auto peer_certificate = transport::Certificate::GenerateEcdsaP256("peer").value();
  WorkerOptions options;
  options.rtc_address = SocketAddress::FromIpv4(0x7F000001, 0);
  const SocketAddress alice_local = *SocketAddress::Parse(alice_ip, 0);
  if (alice_local.is_ipv6()) {
    options.extra_addresses.push_back(ListenAddress{*SocketAddress::Parse("::1", 0), ""});
  }
  auto created = Worker::Create(0, options, clock, *server_certificate);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Worker> worker = std::move(*created);
  const SocketAddress server = worker->rtc_address();
  ASSERT_NE(server.port(), 0);

  auto alice_observer = std::make_shared<RecordingObserver>();
  auto bob_observer = std::make_shared<RecordingObserver>();
  UdpTestPeer alice(clock, *peer_certificate, alice_local);
  BobPeer bob(clock, *peer_certificate);
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(bob.ok());
  constexpr bool kBobThroughTurn = std::is_same_v<BobPeer, TurnQueueTestPeer>;
  if constexpr (kBobThroughTurn) bob.AttachTo(*worker);
  worker->Start();

  // Alice joins and publishes (signaling is posted to the worker thread, as the api layer does).
  PublishOfferOptions publish;
  const std::string offer = alice.peer().CreatePublishOffer(publish);
  Worker* w = worker.get();
  worker->Post([w, alice_observer, offer] {
    Room& room = w->GetOrCreateRoom("loopback");
    (void)room.Join("alice", "Alice", alice_observer);
    room.HandlePublishOffer("alice", offer);
  });
  ASSERT_TRUE(alice_observer->WaitFor(
      [](const ObservedEvents& e) { return !e.publish_answers.empty() || !e.errors.empty(); },
      kDeadline));
  ObservedEvents alice_events = alice_observer->Snapshot();
  ASSERT_THAT(alice_events.errors, IsEmpty());
  ASSERT_TRUE(alice.peer().SetPublishAnswer(alice_events.publish_answers[0]).ok());
  // The answer's first host candidate is the worker's first socket.
  ASSERT_EQ(alice.peer().remote_candidate(), server);
  if (alice_local.is_ipv6()) {
    ASSERT_EQ(worker->local_addresses().size(), 2u);
    EXPECT_TRUE(alice.peer().HasRemoteCandidate("udp", "::1", server.port()));
    alice.set_server(worker->local_addresses()[1]);
  } else {
    alice.set_server(*alice.peer().remote_candidate());
  }
  ASSERT_TRUE(alice.Connect());

  // Bob joins and gets a subscribe offer for alice's two tracks.
  worker->Post([w, bob_observer] {
    (void)w->GetOrCreateRoom("loopback").Join("bob", "Bob", bob_observer);
  });
  ASSERT_TRUE(bob_observer->WaitFor(
      [](const ObservedEvents& e) { return !e.subscribe_offers.empty(); }, kDeadline));
  auto answer = bob.peer().AnswerSubscribeOffer(bob_observer->Snapshot().subscribe_offers[0]);
  ASSERT_TRUE(answer.ok()) << answer.status();
  worker->Post([w, answer = *answer] {
    if (Room* room = w->FindRoom("loopback")) room->HandleSubscribeAnswer("bob", answer);
  });
  constexpr bool kBobOverTcp = std::is_same_v<BobPeer, TcpTestPeer>;
  if constexpr (kBobOverTcp) {
    // Same port number as the UDP candidate (single-port operation), passive.
    ASSERT_TRUE(bob.peer().remote_tcp_candidate().has_value());
    EXPECT_EQ(bob.peer().remote_tcp_candidate()->port(), server.port());
    bob.set_server(*bob.peer().remote_tcp_candidate());
    ASSERT_TRUE(bob.connected_tcp());
  } else {
    ASSERT_TRUE(bob.peer().remote_candidate().has_value());
    bob.set_server(*bob.peer().remote_candidate());
  }
  ASSERT_TRUE(bob.Connect());
  if constexpr (kBobThroughTurn) {
    // The check came from the relay: that is the address media goes to, through the queue.
    const auto selected = RunOnWorker<std::optional<SocketAddress>>(*worker, [&] {
      Room* room = worker->FindRoom("loopback");
      Participant* p = room ? room->FindParticipant("bob") : nullptr;
      return p ? p->subscriber().transport()->selected_address() : std::nullopt;
    });
    ASSERT_TRUE(selected.has_value());
    EXPECT_EQ(selected->WithoutLocalId(), bob.relay());
    EXPECT_EQ(selected->local_id(), kInProcessTurnLocalId);
  }
  const OfferedTrack* video = bob.peer().FindOfferedTrack(rtc::MediaKind::kVideo, "alice");
  const OfferedTrack* audio = bob.peer().FindOfferedTrack(rtc::MediaKind::kAudio, "alice");
  ASSERT_TRUE(video != nullptr && video->ssrc.has_value());
  ASSERT_TRUE(audio != nullptr && audio->ssrc.has_value());

  // Alice sends a keyframe and audio every 20 ms until bob has both (the first packets may race
  // bob's DTLS completion on the server side).
  const std::vector<uint8_t> keyframe = MakeVp8Payload(true, 1, 500);
  const std::vector<uint8_t> opus = MakeOpusPayload(3);
  uint16_t seq = 100;
  uint32_t timestamp = 9000;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline &&
         (bob.peer().ReceivedRtpFor(*video->ssrc).empty() ||
          bob.peer().ReceivedRtpFor(*audio->ssrc).empty())) {
    ASSERT_TRUE(alice.peer().SendRtp(
        {kVp8PayloadType, seq, timestamp, publish.video_ssrc, true}, keyframe));
    ASSERT_TRUE(alice.peer().SendRtp(
        {kOpusPayloadType, seq, timestamp, publish.audio_ssrc, false}, opus));
    ++seq;
    timestamp += 3000;
    for (int i = 0; i < 4; ++i) {
      bob.Poll(5ms);
      alice.Poll(0ms);
    }
  }
  const std::vector<ReceivedRtp> video_received = bob.peer().ReceivedRtpFor(*video->ssrc);
  const std::vector<ReceivedRtp> audio_received = bob.peer().ReceivedRtpFor(*audio->ssrc);
  ASSERT_FALSE(video_received.empty());
  ASSERT_FALSE(audio_received.empty());
  EXPECT_EQ(video_received[0].payload, keyframe);
  EXPECT_EQ(video_received[0].payload_type, kVp8PayloadType);
  EXPECT_EQ(audio_received[0].payload, opus);
  EXPECT_EQ(bob.peer().stats().srtp_errors, 0u);
  // Every frame alice sends is a keyframe, so bob starts at once and no PLI is needed; PLIs are
  // not sent to an encoding that has not sent anything yet either (its first frame is a
  // keyframe). PLI on subscribe to a running stream is covered in room_test.
  EXPECT_EQ(alice.peer().CountReceivedPli(publish.video_ssrc), 0u);

  const Worker::Stats stats = RunOnWorker<Worker::Stats>(*worker, [w] { return w->CollectStats(); });
  EXPECT_EQ(stats.rooms, 1u);
  EXPECT_EQ(stats.participants, 2u);
  EXPECT_GT(stats.socket.datagrams_received, 0u);
  EXPECT_GT(stats.socket.datagrams_sent, 0u);
  EXPECT_EQ(stats.drops[static_cast<size_t>(DropReason::kSrtpUnprotectFailed)], 0u);
  if constexpr (kBobThroughTurn) {
    EXPECT_GT(stats.turn_in_process_in, 0u);
    EXPECT_GT(stats.turn_in_process_out, 0u);
    EXPECT_EQ(stats.turn_in_process_drops, 0u);
    EXPECT_EQ(bob.misaddressed(), 0u);
  }
  if constexpr (kBobOverTcp) {
    EXPECT_EQ(stats.ice_tcp.accepted, 1u);
    EXPECT_EQ(stats.ice_tcp_connections, 1u);
    EXPECT_GT(stats.ice_tcp.frames_received, 0u);
    EXPECT_GT(stats.ice_tcp.frames_sent, 0u);
    EXPECT_EQ(stats.ice_tcp.send_drops, 0u);
  } else {
    EXPECT_EQ(stats.ice_tcp.accepted, 0u);
  }

  worker->Stop();
  // Stopping closed the room: both participants were told.
  EXPECT_EQ(alice_observer->Snapshot().closed_reasons.size(), 1u);
  EXPECT_EQ(bob_observer->Snapshot().closed_reasons.size(), 1u);
}

TEST(WorkerTest, PeersConnectAndForwardMediaOverLoopbackUdp) { ForwardAliceToBob<UdpTestPeer>(); }

// RFC 6544: a subscriber whose UDP is blocked connects to the passive TCP candidate; ICE,
// DTLS and SRTP run unchanged over RFC 4571 frames, and media from a UDP publisher reaches it.
TEST(WorkerTest, SubscriberOverIceTcpReceivesMediaFromUdpPublisher) {
  ForwardAliceToBob<TcpTestPeer>();
}

// A subscriber behind the embedded TURN server: its relayed datagrams reach the worker through
// the in-process queue and the worker's answers go back the same way, never through a socket.
TEST(WorkerTest, SubscriberThroughInProcessTurnPathReceivesMedia) {
  ForwardAliceToBob<TurnQueueTestPeer>();
}

// Host candidates per listen address: a publisher on IPv6 (::1) feeds a subscriber on IPv4
// over TCP through one worker serving both addresses on one port.
TEST(WorkerTest, PublisherOverIpv6FeedsSubscriberOverIpv4Tcp) {
  ForwardAliceToBob<TcpTestPeer>("::1");
}

TEST(WorkerPoolTest, JoinOptionsRoomApiAndRoomObserverAcrossThreads) {
  transport::SteadyClock clock;
  auto certificate = transport::Certificate::GenerateEcdsaP256("pool").value();
  RecordingRoomObserver room_observer;  // outlives the pool
  SfuOptions options;
  options.workers = 2;
  auto created = WorkerPool::Create(options, clock, *certificate);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<WorkerPool> pool = std::move(*created);
  pool->SetRoomObserver(&room_observer);
  pool->Start();
  auto has = [&](const std::string& event) {
    return room_observer.WaitFor(
        [&](const std::vector<std::string>& events) {
          return std::find(events.begin(), events.end(), event) != events.end();
        },
        kDeadline);
  };

  JoinOptions join;
  join.participant_id = "p1";
  join.identity = "user-1";
  join.name = "User One";
  join.permission.can_publish = false;
  auto observer = std::make_shared<RecordingObserver>();
  std::unique_ptr<ParticipantHandle> handle = pool->Join("r", join, observer);
  EXPECT_EQ(handle->participant_id(), "p1");
  ASSERT_TRUE(has("joined r p1"));
  ASSERT_EQ(room_observer.Joined().size(), 1u);
  EXPECT_EQ(room_observer.Joined()[0].identity, "user-1");
  EXPECT_EQ(room_observer.Joined()[0].name, "User One");

  // Not allowed to publish yet.
  TestPeer peer(clock, *certificate);
  handle->PublishOffer(peer.CreatePublishOffer());
  ASSERT_TRUE(observer->WaitFor([](const ObservedEvents& e) { return !e.errors.empty(); },
                                kDeadline));
  EXPECT_EQ(observer->Snapshot().errors[0].first, "permission_denied");
  handle->SetPermission(ParticipantPermission{true, true});
  handle->PublishOffer(peer.CreatePublishOffer());
  ASSERT_TRUE(has("published r p1 p1-1 video layers=1"));
  EXPECT_EQ(observer->Snapshot().publish_answers.size(), 1u);
  handle->SetTrackMuted("p1-0", true);
  ASSERT_TRUE(has("muted r p1 p1-0 1"));
  EXPECT_TRUE(observer->WaitFor([](const ObservedEvents& e) { return !e.tracks_muted.empty(); },
                                kDeadline));

  // The id is taken: the second join fails and leaves the room as it was.
  auto duplicate_observer = std::make_shared<RecordingObserver>();
  auto duplicate = pool->Join("r", join, duplicate_observer);
  ASSERT_TRUE(duplicate_observer->WaitFor(
      [](const ObservedEvents& e) { return !e.errors.empty(); }, kDeadline));
  EXPECT_EQ(duplicate_observer->Snapshot().errors[0].first, "join_failed");

  // The name-only join still works: a random id, identity = name.
  auto legacy_observer = std::make_shared<RecordingObserver>();
  auto legacy = pool->Join("r", "Legacy", legacy_observer);
  EXPECT_EQ(legacy->participant_id().size(), 12u);
  ASSERT_TRUE(has("joined r " + legacy->participant_id()));
  EXPECT_EQ(room_observer.Joined().back().identity, "Legacy");

  handle->Leave();
  ASSERT_TRUE(has("left r p1"));
  EXPECT_THAT(room_observer.Events(), Contains("unpublished r p1 p1-0"));
  pool->Stop();
  EXPECT_THAT(room_observer.Events(), Contains("left r " + legacy->participant_id() + " room closed"));
}

}  // namespace
}  // namespace switchyard::sfu::testing

namespace switchyard::sfu::testing {
namespace {

TEST(HostCandidatesTest, UdpAndPassiveTcpPerAddressSortedByPriority) {
  std::vector<ListenAddress> bound = {
      {*SocketAddress::Parse("10.0.0.5", 40000), "203.0.113.7"},
      {*SocketAddress::Parse("2001:db8::5", 40000), ""},
  };
  const std::vector<rtc::Candidate> candidates = HostCandidates(bound, {40000, 40000});
  ASSERT_EQ(candidates.size(), 4u);
  struct Expected {
    std::string transport;
    std::string address;
    std::string tcp_type;
    uint32_t priority;
  };
  // RFC 8445 §5.1.2.1: (2^24)*type + (2^8)*local + (256 - component).
  const std::vector<Expected> expected = {
      {"udp", "203.0.113.7", "", (126u << 24) | (65535u << 8) | 255u},
      {"udp", "2001:db8::5", "", (126u << 24) | (65534u << 8) | 255u},
      // RFC 6544 §4.2: local preference (2^13)*4 (passive) + other-pref.
      {"tcp", "203.0.113.7", "passive", (90u << 24) | (((4u << 13) | 8191u) << 8) | 255u},
      {"tcp", "2001:db8::5", "passive", (90u << 24) | (((4u << 13) | 8190u) << 8) | 255u},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(candidates[i].transport, expected[i].transport);
    EXPECT_EQ(candidates[i].address, expected[i].address);
    EXPECT_EQ(candidates[i].port, 40000);
    EXPECT_EQ(candidates[i].type, "host");
    EXPECT_EQ(candidates[i].tcp_type, expected[i].tcp_type);
    EXPECT_EQ(candidates[i].priority, expected[i].priority);
  }
  // RFC 8445 §5.1.1.3: distinct foundations for distinct base addresses and transports.
  std::set<std::string> foundations;
  for (const auto& c : candidates) foundations.insert(c.foundation);
  EXPECT_EQ(foundations.size(), 4u);
  EXPECT_EQ(HostCandidates(bound, {}).size(), 2u);  // without ICE-TCP
}

// A worker on 127.0.0.1 and ::1: UDP and TCP on each, all on one port number, and a host
// candidate for each.
TEST(WorkerTest, ServesEveryListenAddressOnOnePort) {
  transport::SteadyClock clock;
  auto certificate = transport::Certificate::GenerateEcdsaP256("worker").value();
  WorkerOptions options;
  options.rtc_address = *SocketAddress::Parse("127.0.0.1", 0);
  options.extra_addresses.push_back(ListenAddress{*SocketAddress::Parse("::1", 0), ""});
  auto created = Worker::Create(0, options, clock, *certificate);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Worker> worker = std::move(*created);
  const std::vector<SocketAddress> udp = worker->local_addresses();
  const std::vector<SocketAddress> tcp = worker->tcp_addresses();
  ASSERT_EQ(udp.size(), 2u);
  ASSERT_EQ(tcp.size(), 2u);
  EXPECT_TRUE(udp[1].is_ipv6());
  ASSERT_EQ(worker->listen_addresses().size(), 2u);
  EXPECT_EQ(worker->listen_addresses()[1].address, udp[1]);
  // Single-port operation: one port number for both addresses and both protocols (the test
  // asked for an ephemeral port; the rare clash with another process's TCP port would move it).
  EXPECT_EQ(udp[1].port(), udp[0].port());
  EXPECT_EQ(tcp[0].port(), udp[0].port());
  const std::vector<rtc::Candidate> candidates = worker->context().candidates;
  ASSERT_EQ(candidates.size(), 4u);
  EXPECT_EQ(candidates[0].address, "127.0.0.1");
  EXPECT_EQ(candidates[1].address, "::1");
  worker->Stop();
}

// ICE-TCP on a port of its own (e.g. 443 where firewalls allow only that): the passive
// candidates carry it, the UDP ones keep theirs.
TEST(WorkerTest, IceTcpOnAConfiguredPort) {
  // A free TCP port, found by binding one (the window for another process to take it is tiny).
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t tcp_port = ntohs(a.sin_port);
  ::close(probe);

  transport::SteadyClock clock;
  auto certificate = transport::Certificate::GenerateEcdsaP256("worker").value();
  WorkerOptions options;
  options.rtc_address = *SocketAddress::Parse("127.0.0.1", 0);
  options.ice_tcp_port = tcp_port;
  auto created = Worker::Create(0, options, clock, *certificate);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Worker> worker = std::move(*created);
  ASSERT_EQ(worker->tcp_addresses().size(), 1u);
  EXPECT_EQ(worker->tcp_addresses()[0].port(), tcp_port);
  const std::vector<rtc::Candidate>& candidates = worker->context().candidates;
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[0].transport, "udp");
  EXPECT_EQ(candidates[0].port, worker->rtc_address().port());
  EXPECT_EQ(candidates[1].transport, "tcp");
  EXPECT_EQ(candidates[1].port, tcp_port);
}

}  // namespace
}  // namespace switchyard::sfu::testing
