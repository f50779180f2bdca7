#include "api/metrics_collector.h"
#include "api/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "api/http_server.h"
#include "sfu/drop_reason.h"
#include "sfu/worker_pool.h"
#include "sfu/participant_observer.h"
#include "transport/certificate.h"

namespace switchyard::api {
namespace {

using namespace std::chrono_literals;

class NullObserver final : public sfu::ParticipantObserver {
 public:
  void OnJoined(const std::string&, const std::string&,
                const std::vector<sfu::ParticipantSummary>&) override {}
  void OnPublishAnswer(const std::string&) override {}
  void OnSubscribeOffer(const std::string&) override {}
  void OnParticipantJoined(const sfu::ParticipantSummary&) override {}
  void OnParticipantLeft(const std::string&) override {}
  void OnTrackPublished(const std::string&, const sfu::TrackSummary&) override {}
  void OnTrackUnpublished(const std::string&, const std::string&) override {}
  void OnSubscriptionState(const std::string&, int, int, uint64_t) override {}
  void OnActiveSpeakers(const std::vector<std::string>&) override {}
  void OnTrackMuted(const std::string&, const std::string&, bool) override {}
  void OnSubscribeAnswer(const std::string&) override {}
  void OnError(const std::string&, const std::string&) override {}
  void OnClosed(const std::string&) override {}
};

// The control thread of the tests: an io_context on its own thread, kept alive by a guard.
class ControlThread {
 public:
  ControlThread() : guard_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~ControlThread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

class MetricsCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certificate_ = transport::Certificate::GenerateEcdsaP256("metrics").value();
    for (int i = 0; i < 2; ++i) {
      sfu::WorkerOptions options;
      options.rtc_address = transport::SocketAddress::FromIpv4(0x7F000001, 0);
      options.timer_interval = 10ms;
      workers_.push_back(sfu::Worker::Create(i, options, clock_, *certificate_).value());
    }
  }
  void TearDown() override {
    for (auto& w : workers_) w->Stop();
  }

  std::vector<sfu::Worker*> worker_pointers() const {
    std::vector<sfu::Worker*> out;
    for (const auto& w : workers_) out.push_back(w.get());
    return out;
  }

  // Runs Collect on the control thread and waits for its callback, checking that the callback
  // ran on the control thread.
  absl::StatusOr<MetricsCollector::Snapshot> CollectOnce(MetricsCollector& collector) {
    std::promise<absl::StatusOr<MetricsCollector::Snapshot>> result;
    boost::asio::post(control_.io(), [&] {
      const auto control_id = std::this_thread::get_id();
      collector.Collect([&, control_id](absl::StatusOr<MetricsCollector::Snapshot> snapshot) {
        EXPECT_EQ(std::this_thread::get_id(), control_id);
        result.set_value(std::move(snapshot));
      });
    });
    return result.get_future().get();
  }

  absl::Status PingOnce(MetricsCollector& collector) {
    std::promise<absl::Status> result;
    boost::asio::post(control_.io(), [&] {
      collector.Ping([&](absl::Status status) { result.set_value(std::move(status)); });
    });
    return result.get_future().get();
  }

  template <typename F>
  void RunOnWorker(sfu::Worker& worker, F task) {
    std::promise<void> done;
    worker.Post([&] {
      task();
      done.set_value();
    });
    done.get_future().wait();
  }

  transport::SteadyClock clock_;
  std::unique_ptr<transport::Certificate> certificate_;
  // Declared before the workers: a worker's answer may still be posted to it while they stop.
  ControlThread control_;
  std::vector<std::unique_ptr<sfu::Worker>> workers_;
};

void SendGarbageDatagram(const transport::SocketAddress& to) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(to.port());
  addr.sin_addr.s_addr = htonl(0x7F000001);
  // First byte 200 falls in no RFC 7983 §7 range (STUN 0-3, DTLS 20-63, RTP/RTCP 128-191).
  const std::array<uint8_t, 5> garbage = {200, 1, 2, 3, 4};
  ASSERT_EQ(::sendto(fd, garbage.data(), garbage.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof(addr)),
            static_cast<ssize_t>(garbage.size()));
  ::close(fd);
}

TEST_F(MetricsCollectorTest, SnapshotReflectsDatagramsRoomsAndParticipants) {
  for (auto& w : workers_) w->Start();
  MetricsCollector collector(control_.io(), worker_pointers());

  SendGarbageDatagram(workers_[1]->rtc_address());
  sfu::Worker* w0 = workers_[0].get();
  RunOnWorker(*w0, [w0] {
    ASSERT_TRUE(w0->GetOrCreateRoom("room")
                    .Join("p1", "Alice", std::make_shared<NullObserver>())
                    .ok());
  });

  // The datagram is read on worker 1's thread; poll until it shows (bounded).
  absl::StatusOr<MetricsCollector::Snapshot> snapshot;
  for (int attempt = 0; attempt < 200; ++attempt) {
    snapshot = CollectOnce(collector);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    if ((*snapshot)[1].stats.socket.datagrams_received > 0) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(snapshot->size(), 2u);
  const auto& s0 = (*snapshot)[0];
  const auto& s1 = (*snapshot)[1];
  EXPECT_EQ(s0.index, 0);
  EXPECT_EQ(s1.index, 1);
  EXPECT_EQ(s0.stats.rooms, 1u);
  EXPECT_EQ(s0.stats.participants, 1u);
  EXPECT_EQ(s0.stats.socket.datagrams_received, 0u);
  EXPECT_EQ(s1.stats.rooms, 0u);
  EXPECT_EQ(s1.stats.socket.datagrams_received, 1u);
  EXPECT_EQ(s1.stats.socket.bytes_received, 5u);
  EXPECT_EQ(s1.stats.drops[static_cast<size_t>(sfu::DropReason::kUnknownPacketClass)], 1u);

  HttpRequestCounts requests;
  requests.Count("/metrics", 200);
  requests.Count("/metrics", 200);
  requests.Count("other", 404);
  const std::string text = RenderMetrics(*snapshot, requests);
  for (const char* line : {
           "switchyard_workers 2\n",
           "switchyard_worker_packets_received_total{worker=\"0\"} 0\n",
           "switchyard_worker_packets_received_total{worker=\"1\"} 1\n",
           "switchyard_worker_bytes_received_total{worker=\"1\"} 5\n",
           "switchyard_worker_drops_total{worker=\"1\",reason=\"unknown_packet_class\"} 1\n",
           "switchyard_worker_drops_total{worker=\"0\",reason=\"unknown_packet_class\"} 0\n",
           "switchyard_rooms{worker=\"0\"} 1\n",
           "switchyard_participants{worker=\"0\"} 1\n",
           "switchyard_tracks{worker=\"0\",kind=\"video\"} 0\n",
           "switchyard_consumers{worker=\"0\"} 0\n",
           "switchyard_dtls_handshakes_total{worker=\"0\",result=\"failed\"} 0\n",
           "switchyard_http_requests_total{path=\"/metrics\",status=\"200\"} 2\n",
           "switchyard_http_requests_total{path=\"other\",status=\"404\"} 1\n",
           "# TYPE switchyard_worker_event_loop_lag_seconds gauge\n",
           "# TYPE switchyard_nacks_sent_total counter\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

TEST_F(MetricsCollectorTest, EventLoopLagShowsABlockedWorker) {
  workers_[0]->Start();
  MetricsCollector collector(control_.io(), {workers_[0].get()});
  // Hold the worker thread well past its 10 ms tick: the timer fires ~150 ms late.
  workers_[0]->Post([] { std::this_thread::sleep_for(150ms); });
  std::this_thread::sleep_for(200ms);  // let the late tick run
  auto snapshot = CollectOnce(collector);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_GE((*snapshot)[0].stats.event_loop_lag_max, 100ms);
  EXPECT_LE((*snapshot)[0].stats.event_loop_lag, (*snapshot)[0].stats.event_loop_lag_max);
}

TEST_F(MetricsCollectorTest, UnresponsiveWorkerTimesOutAndIsNotReady) {
  workers_[0]->Start();  // worker 1 never starts: its tasks never run
  MetricsCollector collector(control_.io(), worker_pointers(), 100ms);
  const auto start = std::chrono::steady_clock::now();
  auto snapshot = CollectOnce(collector);
  EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);

  const absl::Status ping = PingOnce(collector);
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(ping.message()).find("worker 1"), std::string::npos) << ping;
}

TEST_F(MetricsCollectorTest, ReadyWhenEveryWorkerRunsAndAnswers) {
  MetricsCollector collector(control_.io(), worker_pointers());
  EXPECT_EQ(PingOnce(collector).code(), absl::StatusCode::kUnavailable);
  for (auto& w : workers_) w->Start();
  EXPECT_TRUE(PingOnce(collector).ok());
  workers_[0]->Stop();
  EXPECT_EQ(PingOnce(collector).code(), absl::StatusCode::kUnavailable);
}

// One HTTP/1.1 request over a plain blocking socket; the whole response (Connection: close).
std::string Fetch(uint16_t port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::dynamic_buffer(response), ec);
  return response;
}

TEST(MetricsHttpTest, ServesMetricsReadyzAndCountsRequests) {
  transport::SteadyClock clock;
  auto certificate = transport::Certificate::GenerateEcdsaP256("metrics-http").value();
  sfu::SfuOptions options;
  options.workers = 2;
  auto pool = sfu::WorkerPool::Create(options, clock, *certificate).value();
  ControlThread control;
  // The services the server routes to; only the plain endpoints are exercised here.
  TokenVerifier verifier({});
  RoomManager rooms(
      *pool, RoomDefaults{},
      [&](std::function<void()> task) { boost::asio::post(control.io(), std::move(task)); },
      UnixNow);
  RoomApi room_api(rooms, verifier, RoomApi::Options{}, clock, UnixNow);
  WhipHandler whip(rooms, verifier, control.io().get_executor(), UnixNow);
  SignalingContext signaling{rooms, verifier, UnixNow, nullptr};
  std::unique_ptr<HttpServer> server;
  {
    std::promise<void> started;
    boost::asio::post(control.io(), [&] {
      HttpServerOptions http_options;
      http_options.web_dir = std::filesystem::temp_directory_path() / "switchyard-no-web";
      server = HttpServer::Create(control.io(), http_options,
                                  HttpServices{*pool, room_api, whip, signaling, UnixNow, {}})
                   .value();
      server->Start();
      started.set_value();
    });
    started.get_future().wait();
  }
  const uint16_t port = server->port();

  // Workers not started yet: not ready.
  EXPECT_EQ(Fetch(port, "/readyz").rfind("HTTP/1.1 503", 0), 0u);
  pool->Start();
  EXPECT_EQ(Fetch(port, "/readyz").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(Fetch(port, "/healthz").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(Fetch(port, "/no/such/../thing?x").rfind("HTTP/1.1 404", 0), 0u);

  const std::string metrics = Fetch(port, "/metrics");
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200", 0), 0u) << metrics;
  EXPECT_NE(metrics.find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
      << metrics;
  for (const char* line : {
           "switchyard_workers 2\n",
           "switchyard_worker_packets_received_total{worker=\"1\"} 0\n",
           "switchyard_http_requests_total{path=\"/readyz\",status=\"503\"} 1\n",
           "switchyard_http_requests_total{path=\"/readyz\",status=\"200\"} 1\n",
           "switchyard_http_requests_total{path=\"/healthz\",status=\"200\"} 1\n",
           "switchyard_http_requests_total{path=\"other\",status=\"404\"} 1\n",
           "switchyard_http_requests_total{path=\"/metrics\",status=\"200\"} 1\n",
       }) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\nin:\n" << metrics;
  }

  pool->Stop();
  EXPECT_EQ(Fetch(port, "/readyz").rfind("HTTP/1.1 503", 0), 0u);
  std::promise<void> stopped;
  boost::asio::post(control.io(), [&] {
    server->Stop();
    server.reset();  // on the thread that runs its io_context
    stopped.set_value();
  });
  stopped.get_future().wait();
}

TEST(HttpPathLabelTest, FixedSetOfLabels) {
  struct Case {
    const char* target;
    bool is_static;
    const char* label;
  };
  const Case cases[] = {
      {"/", true, "/"},
      {"/?x=1", true, "/"},
      {"/ws", false, "/ws"},
      {"/metrics", false, "/metrics"},
      {"/healthz?verbose", false, "/healthz"},
      {"/readyz", false, "/readyz"},
      {"/app.js", true, "static"},
      {"/app.js", false, "other"},
      {"/../../etc/passwd", false, "other"},
      {"/metricsX", false, "other"},
      {"", false, "other"},
  };
  for (const Case& c : cases) EXPECT_EQ(HttpPathLabel(c.target, c.is_static), c.label) << c.target;
}

}  // namespace
}  // namespace switchyard::api
