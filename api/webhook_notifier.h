#ifndef SWITCHYARD_API_WEBHOOK_NOTIFIER_H_
#define SWITCHYARD_API_WEBHOOK_NOTIFIER_H_

// Delivers webhook events (switchyard.v1.WebhookEvent) to the configured URLs in the background,
// as LiveKit's webhook notifier does: each event is POSTed as JSON (protobuf canonical mapping,
// Content-Type application/webhook+json) with an Authorization header from SignWebhook, signed
// at send time so a retried delivery still carries a fresh token.
//
// Threads: Notify() is called from the control thread and never blocks on the network; one
// background thread owned by the notifier does all HTTP. Events reach each URL in the order
// Notify() was called: event N+1 goes to a URL only after N was delivered there or given up.
// URLs do not wait for each other except while the single thread is inside one request (at
// most request_timeout), so a dead receiver delays the others by its timeouts, not its backoff.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "api/http_client.h"
#include "api/metrics.h"
#include "api/proto/webhook.pb.h"

namespace switchyard::api {

// Sends one request and returns the response (any HTTP status) or a transport error.
using WebhookSender = std::function<absl::StatusOr<HttpClientResponse>(const HttpClientRequest&)>;

struct WebhookNotifierOptions {
  // Receivers; none makes Notify() a no-op and starts no thread.
  std::vector<std::string> urls;
  // Signing credentials (the key goes into "iss"); both must be non-empty for deliveries to be
  // signed: with either empty, every attempt fails and is counted.
  std::string api_key;
  std::string secret;
  // Attempts per (event, URL) before the delivery is dropped; clamped to [1, 20].
  int max_attempts = 6;
  // Events waiting per URL (not counting the one being attempted); when full, Notify() drops
  // the oldest waiting one for that URL.
  size_t max_queued_events = 10000;
  // Wait before retry n (n = 1, 2, ...): a uniformly random time in [b/2, b] with
  // b = min(max_backoff, initial_backoff * 2^(n-1)) ("equal jitter", so receivers that fail
  // together are not retried in lockstep).
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  // One HTTP exchange, connect to response.
  std::chrono::milliseconds request_timeout{5000};
  // How long Stop() keeps delivering what is queued before it drops the rest.
  std::chrono::milliseconds stop_flush_timeout{2000};
  // The HTTP client; empty = SendHttpRequest (api/http_client.h).
  WebhookSender sender;
  // Unix seconds for created_at and the tokens' nbf/exp; empty = the system clock.
  std::function<int64_t()> unix_clock;
};

class WebhookNotifier {
 public:
  // Counters of deliveries, one delivery being one event to one URL (with one URL they count
  // events). Monotonic except `queued`, which is the number of deliveries not yet finished.
  struct Stats {
    uint64_t delivered = 0;        // answered 2xx
    uint64_t failed_attempts = 0;  // attempts answered non-2xx or failing in transport
    uint64_t dropped = 0;          // given up: max_attempts reached, queue full, or stopped
    uint64_t queued = 0;
  };

  // Starts the delivery thread when `options.urls` is not empty.
  explicit WebhookNotifier(WebhookNotifierOptions options);
  // Stop().
  ~WebhookNotifier();

  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues `event` for every URL. Fills `id` ("EV_" + 16 random base62 characters) and
  // `created_at` (unix_clock) when they are empty/0, serializes it once, and returns without
  // waiting for the network. Thread-safe. A no-op without URLs; after Stop() the event is
  // counted as dropped.
  void Notify(v1::WebhookEvent event);

  // Stops accepting events, keeps delivering what is queued (retries included) for at most
  // stop_flush_timeout, drops and counts the rest (at once when the next attempt due would
  // fall after that budget, e.g. a URL in a long backoff), and joins the thread. Returns within
  // stop_flush_timeout plus at most one request_timeout (a request already in flight cannot be
  // interrupted). Idempotent; thread-safe against Notify(); not to be called concurrently
  // with itself.
  void Stop();

  Stats stats() const;
  // The most recent failed attempt as "<url>: <reason>", empty before any; for logs.
  std::string last_error() const;

  // Adds the counters to a /metrics scrape: switchyard_webhook_delivered_total,
  // switchyard_webhook_failed_attempts_total, switchyard_webhook_dropped_total and the gauge
  // switchyard_webhook_queued.
  void WriteMetrics(MetricsWriter& writer) const;

 private:
  using Clock = std::chrono::steady_clock;

  struct Delivery {
    std::shared_ptr<const std::string> body;  // shared by every URL's copy of the event
    int attempts = 0;                         // made so far
    Clock::time_point next_attempt;           // not before this
  };

  struct Endpoint {
    std::string url;
    std::deque<Delivery> waiting;
    // The delivery being attempted or backing off between attempts; it is not counted
    // against max_queued_events and Notify() never drops it, so order holds.
    bool has_current = false;
    Delivery current;
  };

  void Run();
  // Picks the endpoint whose current delivery is due soonest, promoting waiting deliveries to
  // current. -1 when nothing is pending. Requires mutex_.
  int NextDueLocked(Clock::time_point& due);
  // One HTTP attempt, without the lock: OK on 2xx, else why not.
  absl::Status Attempt(const std::string& url, const std::string& body,
                       std::chrono::milliseconds timeout) const;
  std::chrono::milliseconds BackoffLocked(int failed_attempts);
  int64_t UnixNow() const;
  std::string NewEventIdLocked();

  const WebhookNotifierOptions options_;
  const WebhookSender sender_;
  const int max_attempts_;
  const size_t max_queued_events_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Endpoint> endpoints_;
  bool stopping_ = false;
  std::string last_error_;
  Clock::time_point flush_deadline_;
  std::mt19937_64 random_;
  std::thread thread_;

  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> queued_{0};
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_WEBHOOK_NOTIFIER_H_
