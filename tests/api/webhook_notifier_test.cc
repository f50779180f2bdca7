#include "api/webhook_notifier.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/webhook_signature.h"
#include "tests/api/webhook_test_receiver.h"

namespace switchyard::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kKey[] = "hookkey";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
// Every wait on the notifier's thread or the receiver is bounded by this.
constexpr milliseconds kWaitLimit{10000};

int64_t RealUnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls `done` every 5 ms for at most `limit`; true once it holds.
bool WaitUntil(const std::function<bool()>& done, milliseconds limit = kWaitLimit) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

using testing::ReceivedRequest;
using testing::RequestLog;
using testing::TestReceiver;

// A URL on which nothing listens: bound to learn a free port, then closed.
std::string ClosedPortUrl() {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const unsigned short port = acceptor.local_endpoint().port();
  acceptor.close();
  return "http://127.0.0.1:" + std::to_string(port) + "/hook";
}

// An in-process sender for tests that need exact control over answers and timing.
// `respond(request, n)` gives the status for the n-th request; a negative value is a transport
// error.
class FakeSender {
 public:
  explicit FakeSender(std::function<int(const HttpClientRequest&, size_t)> respond)
      : respond_(std::move(respond)) {}

  WebhookSender AsSender() {
    return [this](const HttpClientRequest& request) -> absl::StatusOr<HttpClientResponse> {
      ReceivedRequest received;
      received.method = request.method;
      received.url = request.url;
      received.body = request.body;
      received.at = SteadyClock::now();
      for (const auto& [name, value] : request.headers) {
        if (name == "Content-Type") received.content_type = value;
        if (name == "Authorization") received.authorization = value;
      }
      const int status = respond_(request, log_.Add(std::move(received)));
      if (status < 0) return absl::UnavailableError("connection refused (fake)");
      HttpClientResponse response;
      response.status = status;
      return response;
    };
  }

  RequestLog& log() { return log_; }

 private:
  std::function<int(const HttpClientRequest&, size_t)> respond_;
  RequestLog log_;
};

v1::WebhookEvent MakeEvent(const std::string& type) {
  v1::WebhookEvent event;
  event.set_event(type);
  event.mutable_room()->set_name("studio");
  event.mutable_room()->set_sid("RM_studio1");
  if (type.rfind("participant_", 0) == 0 || type.rfind("track_", 0) == 0) {
    event.mutable_participant()->set_identity("alice");
    event.mutable_participant()->set_participant_id("PA_alice1");
  }
  if (type.rfind("track_", 0) == 0) {
    event.mutable_track()->set_track_id("TR_cam1");
    event.mutable_track()->set_kind(v1::TRACK_KIND_VIDEO);
  }
  return event;
}

const std::vector<std::string> kRoomLifecycle = {
    "room_started",      "participant_joined", "track_published",
    "track_unpublished", "participant_left",   "room_finished"};

WebhookNotifierOptions BaseOptions(std::vector<std::string> urls) {
  WebhookNotifierOptions options;
  options.urls = std::move(urls);
  options.api_key = kKey;
  options.secret = kSecret;
  options.initial_backoff = milliseconds(20);
  options.max_backoff = milliseconds(200);
  options.request_timeout = milliseconds(2000);
  return options;
}

std::vector<v1::WebhookEvent> VerifyAll(const std::vector<ReceivedRequest>& requests,
                                        int64_t now) {
  const TokenVerifier verifier(std::map<std::string, std::string>{{kKey, kSecret}});
  std::vector<v1::WebhookEvent> events;
  for (const ReceivedRequest& request : requests) {
    absl::StatusOr<v1::WebhookEvent> event =
        VerifyWebhook(request.body, request.authorization, verifier, now);
    EXPECT_TRUE(event.ok()) << event.status() << " for " << request.body;
    if (event.ok()) events.push_back(*event);
  }
  return events;
}

TEST(WebhookNotifierHttpTest, DeliversSignedRoomLifecycleInOrder) {
  TestReceiver receiver([](size_t) { return 200; });
  WebhookNotifier notifier(BaseOptions({receiver.url()}));  // default sender: SendHttpRequest
  for (const std::string& type : kRoomLifecycle) notifier.Notify(MakeEvent(type));

  const std::vector<ReceivedRequest> requests = receiver.log().WaitFor(kRoomLifecycle.size());
  ASSERT_EQ(requests.size(), kRoomLifecycle.size());
  const std::vector<v1::WebhookEvent> events = VerifyAll(requests, RealUnixNow());
  ASSERT_EQ(events.size(), kRoomLifecycle.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(requests[i].method, "POST");
    EXPECT_EQ(requests[i].url, "/hook");
    EXPECT_EQ(requests[i].content_type, "application/webhook+json");
    // LiveKit's form: the bare token.
    EXPECT_EQ(requests[i].authorization.find("Bearer"), std::string::npos);
    EXPECT_EQ(events[i].event(), kRoomLifecycle[i]);
    EXPECT_EQ(events[i].room().name(), "studio");
    EXPECT_TRUE(events[i].id().rfind("EV_", 0) == 0) << events[i].id();
    EXPECT_GT(events[i].created_at(), 0);
    ids.insert(events[i].id());
  }
  EXPECT_EQ(ids.size(), events.size()) << "event ids must be unique";
  EXPECT_EQ(events[2].track().track_id(), "TR_cam1");
  EXPECT_EQ(events[2].track().kind(), v1::TRACK_KIND_VIDEO);

  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().delivered == kRoomLifecycle.size(); }));
  const WebhookNotifier::Stats stats = notifier.stats();
  EXPECT_EQ(stats.failed_attempts, 0u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(WebhookNotifierHttpTest, RetriesWithBackoffUntilDelivered) {
  // 500, 500, then 200.
  TestReceiver receiver([](size_t n) { return n < 2 ? 500 : 200; });
  WebhookNotifierOptions options = BaseOptions({receiver.url()});
  options.initial_backoff = milliseconds(100);
  options.max_backoff = milliseconds(1000);
  WebhookNotifier notifier(std::move(options));
  notifier.Notify(MakeEvent("room_started"));

  const std::vector<ReceivedRequest> requests = receiver.log().WaitFor(3);
  ASSERT_EQ(requests.size(), 3u);
  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().delivered == 1; }));
  // Equal jitter: retry n waits within [b/2, b], b = 100 ms * 2^(n-1).
  const auto gap1 = requests[1].at - requests[0].at;
  const auto gap2 = requests[2].at - requests[1].at;
  EXPECT_GE(gap1, milliseconds(50));
  EXPECT_GE(gap2, milliseconds(100));
  EXPECT_LT(gap1, milliseconds(2000));
  EXPECT_LT(gap2, milliseconds(2000));
  // Each attempt is the same event (same id, same body) with its own valid signature.
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_EQ(requests[1].body, requests[2].body);
  const std::vector<v1::WebhookEvent> events = VerifyAll(requests, RealUnixNow());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].event(), "room_started");

  const WebhookNotifier::Stats stats = notifier.stats();
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.failed_attempts, 2u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_NE(notifier.last_error().find("HTTP 500"), std::string::npos) << notifier.last_error();
}

TEST(WebhookNotifierHttpTest, GivesUpAfterMaxAttemptsThenSendsTheNextEvent) {
  TestReceiver receiver([](size_t) { return 503; });
  WebhookNotifierOptions options = BaseOptions({receiver.url()});
  options.max_attempts = 3;
  WebhookNotifier notifier(std::move(options));
  notifier.Notify(MakeEvent("room_started"));
  notifier.Notify(MakeEvent("room_finished"));

  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().dropped == 2; }));
  const std::vector<ReceivedRequest> requests = receiver.log().All();
  ASSERT_EQ(requests.size(), 6u);
  const std::vector<v1::WebhookEvent> events = VerifyAll(requests, RealUnixNow());
  ASSERT_EQ(events.size(), 6u);
  // All attempts at the first event come before any at the second.
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(events[i].event(), i < 3 ? "room_started" : "room_finished") << i;
  }
  const WebhookNotifier::Stats stats = notifier.stats();
  EXPECT_EQ(stats.delivered, 0u);
  EXPECT_EQ(stats.failed_attempts, 6u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(WebhookNotifierHttpTest, StopFlushesWhatIsQueued) {
  TestReceiver receiver([](size_t) { return 204; });
  auto notifier = std::make_unique<WebhookNotifier>(BaseOptions({receiver.url()}));
  constexpr size_t kEvents = 20;
  for (size_t i = 0; i < kEvents; ++i) {
    v1::WebhookEvent event = MakeEvent("participant_joined");
    event.mutable_participant()->set_identity("user" + std::to_string(i));
    notifier->Notify(std::move(event));
  }
  notifier->Stop();
  const WebhookNotifier::Stats stats = notifier->stats();
  EXPECT_EQ(stats.delivered, kEvents);
  EXPECT_EQ(stats.dropped, 0u);
  notifier.reset();  // the destructor after Stop() is a no-op

  const std::vector<v1::WebhookEvent> events =
      VerifyAll(receiver.log().WaitFor(kEvents), RealUnixNow());
  ASSERT_EQ(events.size(), kEvents);
  for (size_t i = 0; i < kEvents; ++i) {
    EXPECT_EQ(events[i].participant().identity(), "user" + std::to_string(i));
  }
}

TEST(WebhookNotifierHttpTest, StopIsBoundedWithDeadUrls) {
  // One receiver accepts and never answers; on the other URL nothing listens.
  TestReceiver hung([](size_t) { return 0; });
  WebhookNotifierOptions options = BaseOptions({hung.url(), ClosedPortUrl()});
  options.max_attempts = 20;
  options.request_timeout = milliseconds(800);
  options.stop_flush_timeout = milliseconds(300);
  WebhookNotifier notifier(std::move(options));
  for (int i = 0; i < 3; ++i) notifier.Notify(MakeEvent("room_started"));
  ASSERT_EQ(hung.log().WaitFor(1).size(), 1u);

  const auto start = SteadyClock::now();
  notifier.Stop();
  const auto elapsed = SteadyClock::now() - start;
  // The contract: stop_flush_timeout plus at most one request_timeout in flight.
  EXPECT_LT(elapsed, milliseconds(300 + 800 + 700));
  const WebhookNotifier::Stats stats = notifier.stats();
  EXPECT_EQ(stats.delivered, 0u);
  EXPECT_EQ(stats.dropped, 6u);  // 3 events x 2 URLs
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_GE(stats.failed_attempts, 1u);
}

TEST(WebhookNotifierTest, NoUrlsMakesNotifyANoOp) {
  WebhookNotifierOptions options;
  options.sender = [](const HttpClientRequest&) -> absl::StatusOr<HttpClientResponse> {
    ADD_FAILURE() << "nothing may be sent";
    return absl::InternalError("unreachable");
  };
  WebhookNotifier notifier(std::move(options));
  notifier.Notify(MakeEvent("room_started"));
  notifier.Stop();
  const WebhookNotifier::Stats stats = notifier.stats();
  EXPECT_EQ(stats.delivered + stats.failed_attempts + stats.dropped + stats.queued, 0u);
}

TEST(WebhookNotifierTest, FillsIdAndCreatedAtAndSignsWithTheClock) {
  constexpr int64_t kClock = 1'700'000'000;
  FakeSender sender([](const HttpClientRequest&, size_t) { return 200; });
  WebhookNotifierOptions options = BaseOptions({"http://receiver.test/hook"});
  options.sender = sender.AsSender();
  options.unix_clock = [] { return kClock; };
  WebhookNotifier notifier(std::move(options));

  notifier.Notify(MakeEvent("room_started"));
  v1::WebhookEvent preset = MakeEvent("room_finished");
  preset.set_id("EV_given");
  preset.set_created_at(42);
  notifier.Notify(preset);

  const std::vector<ReceivedRequest> requests = sender.log().WaitFor(2);
  ASSERT_EQ(requests.size(), 2u);
  const std::vector<v1::WebhookEvent> events = VerifyAll(requests, kClock);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].created_at(), kClock);
  EXPECT_EQ(events[0].id().size(), 3u + 16u);
  EXPECT_EQ(events[1].id(), "EV_given");
  EXPECT_EQ(events[1].created_at(), 42);

  // Canonical protobuf JSON: lowerCamelCase, int64 as a string, no default values.
  EXPECT_NE(requests[0].body.find(R"("createdAt":"1700000000")"), std::string::npos)
      << requests[0].body;
  EXPECT_EQ(requests[0].body.find("created_at"), std::string::npos);
  EXPECT_EQ(requests[0].body.find("numParticipants"), std::string::npos);

  // The token was signed at the injected time: 5 minutes (plus leeway) later it is stale.
  const TokenVerifier verifier(std::map<std::string, std::string>{{kKey, kSecret}});
  EXPECT_FALSE(VerifyWebhook(requests[0].body, requests[0].authorization, verifier,
                             kClock + kWebhookTokenLifetimeSeconds + kTokenClockSkewSeconds)
                   .ok());
}

TEST(WebhookNotifierTest, FullQueueDropsTheOldestWaitingEvent) {
  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
  FakeSender sender([&](const HttpClientRequest&, size_t n) {
    if (n == 0) {
      // Hold the first delivery in flight until the queue has overflowed.
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait_for(lock, kWaitLimit, [&] { return released; });
    }
    return 200;
  });
  WebhookNotifierOptions options = BaseOptions({"http://receiver.test/hook"});
  options.sender = sender.AsSender();
  options.max_queued_events = 2;
  WebhookNotifier notifier(std::move(options));

  const auto numbered = [](int i) {
    v1::WebhookEvent event = MakeEvent("room_started");
    event.set_id("EV_" + std::to_string(i));
    return event;
  };
  notifier.Notify(numbered(0));
  ASSERT_EQ(sender.log().WaitFor(1).size(), 1u);  // event 0 is in flight
  for (int i = 1; i <= 4; ++i) notifier.Notify(numbered(i));
  EXPECT_EQ(notifier.stats().dropped, 2u);  // 1 and 2 made room for 3 and 4
  EXPECT_EQ(notifier.stats().queued, 3u);
  {
    std::lock_guard<std::mutex> lock(mutex);
    released = true;
  }
  cv.notify_all();

  const std::vector<v1::WebhookEvent> events =
      VerifyAll(sender.log().WaitFor(3), RealUnixNow());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id(), "EV_0");
  EXPECT_EQ(events[1].id(), "EV_3");
  EXPECT_EQ(events[2].id(), "EV_4");
  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().delivered == 3; }));
  EXPECT_EQ(notifier.stats().dropped, 2u);
  EXPECT_EQ(notifier.stats().queued, 0u);
}

TEST(WebhookNotifierTest, DeadUrlBacksOffWithoutHoldingUpTheOthers) {
  constexpr char kLive[] = "http://live.test/hook";
  constexpr char kDead[] = "http://dead.test/hook";
  FakeSender sender([&](const HttpClientRequest& request, size_t) {
    return request.url == kLive ? 200 : -1;
  });
  WebhookNotifierOptions options = BaseOptions({kDead, kLive});
  options.sender = sender.AsSender();
  options.initial_backoff = milliseconds(10000);
  options.max_backoff = milliseconds(30000);
  options.stop_flush_timeout = milliseconds(2000);
  WebhookNotifier notifier(std::move(options));
  for (const std::string& type : kRoomLifecycle) notifier.Notify(MakeEvent(type));

  // The live URL gets everything while the dead one waits out a 5-10 s backoff.
  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().delivered == kRoomLifecycle.size(); },
                        milliseconds(4000)));
  std::vector<ReceivedRequest> live, dead;
  for (const ReceivedRequest& request : sender.log().All()) {
    (request.url == kLive ? live : dead).push_back(request);
  }
  const std::vector<v1::WebhookEvent> live_events = VerifyAll(live, RealUnixNow());
  ASSERT_EQ(live_events.size(), kRoomLifecycle.size());
  for (size_t i = 0; i < live_events.size(); ++i) {
    EXPECT_EQ(live_events[i].event(), kRoomLifecycle[i]);
  }
  ASSERT_EQ(dead.size(), 1u);  // the first event, now backing off
  EXPECT_EQ(notifier.stats().failed_attempts, 1u);

  // The dead URL's retry is due after the flush budget: Stop() need not sit it out.
  const auto start = SteadyClock::now();
  notifier.Stop();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(150));
  EXPECT_EQ(notifier.stats().dropped, kRoomLifecycle.size());
  EXPECT_EQ(notifier.last_error(), std::string(kDead) + ": connection refused (fake)");
}

TEST(WebhookNotifierTest, SenderExceptionIsAFailedAttempt) {
  FakeSender sender([](const HttpClientRequest&, size_t n) -> int {
    if (n == 0) throw std::runtime_error("boom");
    return 200;
  });
  WebhookNotifierOptions options = BaseOptions({"http://receiver.test/hook"});
  options.sender = sender.AsSender();
  WebhookNotifier notifier(std::move(options));
  notifier.Notify(MakeEvent("room_started"));
  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().delivered == 1; }));
  EXPECT_EQ(notifier.stats().failed_attempts, 1u);
  EXPECT_EQ(sender.log().All().size(), 2u);
}

TEST(WebhookNotifierTest, NotifyAfterStopIsDroppedAndCounted) {
  FakeSender sender([](const HttpClientRequest&, size_t) { return 200; });
  WebhookNotifierOptions options = BaseOptions({"http://a.test/", "http://b.test/"});
  options.sender = sender.AsSender();
  WebhookNotifier notifier(std::move(options));
  notifier.Stop();
  notifier.Notify(MakeEvent("room_started"));
  EXPECT_EQ(notifier.stats().dropped, 2u);
  EXPECT_TRUE(sender.log().All().empty());
  notifier.Stop();  // idempotent
}

TEST(WebhookNotifierTest, WritesMetrics) {
  FakeSender sender([](const HttpClientRequest&, size_t n) { return n == 0 ? 500 : 200; });
  WebhookNotifierOptions options = BaseOptions({"http://receiver.test/hook"});
  options.sender = sender.AsSender();
  WebhookNotifier notifier(std::move(options));
  notifier.Notify(MakeEvent("room_started"));
  ASSERT_TRUE(WaitUntil([&] { return notifier.stats().delivered == 1; }));

  MetricsWriter writer;
  notifier.WriteMetrics(writer);
  const std::string text = writer.Render();
  EXPECT_NE(text.find("switchyard_webhook_delivered_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("switchyard_webhook_failed_attempts_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("switchyard_webhook_dropped_total 0\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE switchyard_webhook_queued gauge"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::api
