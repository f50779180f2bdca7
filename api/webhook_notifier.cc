#include "api/webhook_notifier.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/webhook_signature.h"

namespace switchyard::api {
namespace {

constexpr int kMaxAttemptsLimit = 20;
// The shortest timeout a request gets while Stop() flushes, so that an almost exhausted flush
// budget still makes a real attempt rather than one doomed to time out at once.
constexpr std::chrono::milliseconds kMinFlushRequestTimeout{50};

}  // namespace

WebhookNotifier::WebhookNotifier(WebhookNotifierOptions options)
    : options_(std::move(options)),
      sender_(options_.sender ? options_.sender : WebhookSender(&SendHttpRequest)),
      max_attempts_(std::clamp(options_.max_attempts, 1, kMaxAttemptsLimit)),
      max_queued_events_(std::max<size_t>(options_.max_queued_events, 1)),
      random_(std::random_device{}()) {
  endpoints_.reserve(options_.urls.size());
  for (const std::string& url : options_.urls) {
    Endpoint endpoint;
    endpoint.url = url;
    endpoints_.push_back(std::move(endpoint));
  }
  if (!endpoints_.empty()) thread_ = std::thread([this] { Run(); });
}

WebhookNotifier::~WebhookNotifier() { Stop(); }

int64_t WebhookNotifier::UnixNow() const {
  if (options_.unix_clock) return options_.unix_clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string WebhookNotifier::NewEventIdLocked() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // 16 base62 characters: ~95 random bits, so ids do not collide across restarts either.
  std::uniform_int_distribution<int> pick(0, 61);
  std::string id = "EV_";
  for (int i = 0; i < 16; ++i) id.push_back(kAlphabet[pick(random_)]);
  return id;
}

void WebhookNotifier::Notify(v1::WebhookEvent event) {
  // endpoints_ is fixed after construction, so this needs no lock.
  if (endpoints_.empty()) return;
  if (event.id().empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    event.set_id(NewEventIdLocked());
  }
  if (event.created_at() == 0) event.set_created_at(UnixNow());

  // Serialized once, outside the lock; lowerCamelCase names and no default values, as
  // LiveKit's protojson output.
  auto body = std::make_shared<std::string>();
  google::protobuf::util::JsonPrintOptions print;
  print.always_print_primitive_fields = false;
  print.preserve_proto_field_names = false;
  if (!google::protobuf::util::MessageToJsonString(event, body.get(), print).ok()) {
    dropped_.fetch_add(endpoints_.size(), std::memory_order_relaxed);
    return;
  }
  std::shared_ptr<const std::string> shared_body = std::move(body);

  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      dropped_.fetch_add(endpoints_.size(), std::memory_order_relaxed);
      return;
    }
    const Clock::time_point now = Clock::now();
    for (Endpoint& endpoint : endpoints_) {
      if (endpoint.waiting.size() >= max_queued_events_) {
        // The receiver is far behind; the newest events are the ones it still has use for.
        endpoint.waiting.pop_front();
        dropped_.fetch_add(1, std::memory_order_relaxed);
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
      Delivery delivery;
      delivery.body = shared_body;
      // Due at enqueue time: across URLs the oldest event is attempted first.
      delivery.next_attempt = now;
      endpoint.waiting.push_back(std::move(delivery));
      queued_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  wake_.notify_one();
}

void WebhookNotifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      flush_deadline_ = Clock::now() + options_.stop_flush_timeout;
    }
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

WebhookNotifier::Stats WebhookNotifier::stats() const {
  Stats stats;
  stats.delivered = delivered_.load(std::memory_order_relaxed);
  stats.failed_attempts = failed_attempts_.load(std::memory_order_relaxed);
  stats.dropped = dropped_.load(std::memory_order_relaxed);
  stats.queued = queued_.load(std::memory_order_relaxed);
  return stats;
}

std::string WebhookNotifier::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void WebhookNotifier::WriteMetrics(MetricsWriter& writer) const {
  const Stats s = stats();
  writer
      .Counter("switchyard_webhook_delivered_total",
               "Webhook deliveries (event to URL) answered with 2xx.")
      .Add(s.delivered);
  writer
      .Counter("switchyard_webhook_failed_attempts_total",
               "Webhook delivery attempts that got a non-2xx answer or a transport error.")
      .Add(s.failed_attempts);
  writer
      .Counter("switchyard_webhook_dropped_total",
               "Webhook deliveries given up: attempts exhausted, queue full or shutdown.")
      .Add(s.dropped);
  writer.Gauge("switchyard_webhook_queued", "Webhook deliveries not yet finished.")
      .Add(s.queued);
}

std::chrono::milliseconds WebhookNotifier::BackoffLocked(int failed_attempts) {
  const int64_t cap = std::max<int64_t>(options_.max_backoff.count(), 0);
  int64_t bound = std::max<int64_t>(options_.initial_backoff.count(), 0);
  for (int i = 1; i < failed_attempts && bound < cap; ++i) bound *= 2;
  bound = std::min(bound, cap);
  if (bound <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<int64_t> jitter(bound / 2, bound);
  return std::chrono::milliseconds(jitter(random_));
}

int WebhookNotifier::NextDueLocked(Clock::time_point& due) {
  int best = -1;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    Endpoint& endpoint = endpoints_[i];
    if (!endpoint.has_current) {
      if (endpoint.waiting.empty()) continue;
      endpoint.current = std::move(endpoint.waiting.front());
      endpoint.waiting.pop_front();
      endpoint.has_current = true;
    }
    if (best < 0 || endpoint.current.next_attempt < due) {
      best = static_cast<int>(i);
      due = endpoint.current.next_attempt;
    }
  }
  return best;
}

absl::Status WebhookNotifier::Attempt(const std::string& url, const std::string& body,
                                      std::chrono::milliseconds timeout) const {
  absl::StatusOr<std::string> token =
      SignWebhook(body, options_.api_key, options_.secret, UnixNow());
  if (!token.ok()) return token.status();
  HttpClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", kWebhookContentType}, {"Authorization", *token}};
  request.body = body;
  request.timeout = timeout;
  absl::StatusOr<HttpClientResponse> response;
  // The sender is injectable; an exception must not escape the thread (std::terminate).
  try {
    response = sender_(request);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("sender threw: ", e.what()));
  } catch (...) {
    return absl::InternalError("sender threw");
  }
  if (!response.ok()) return response.status();
  if (response->status >= 200 && response->status < 300) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("HTTP ", response->status));
}

void WebhookNotifier::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    Clock::time_point due;
    const int index = NextDueLocked(due);
    if (index < 0) {
      if (stopping_) break;
      wake_.wait(lock);
      continue;
    }
    Clock::time_point now = Clock::now();
    // Past the flush budget, or the soonest attempt would fall after it: nothing more can be
    // delivered, so do not sit out the budget.
    if (stopping_ && (now >= flush_deadline_ || due > flush_deadline_)) break;
    if (due > now) {
      wake_.wait_until(lock, due);
      continue;
    }

    // endpoints_ never changes size and Notify() never touches `current`, so the reference
    // and the delivery stay valid while the lock is released for the request.
    Endpoint& endpoint = endpoints_[static_cast<size_t>(index)];
    std::chrono::milliseconds timeout = options_.request_timeout;
    if (stopping_) {
      timeout = std::clamp(
          std::chrono::duration_cast<std::chrono::milliseconds>(flush_deadline_ - now),
          kMinFlushRequestTimeout, std::max(options_.request_timeout, kMinFlushRequestTimeout));
    }
    const std::shared_ptr<const std::string> body = endpoint.current.body;
    lock.unlock();
    const absl::Status result = Attempt(endpoint.url, *body, timeout);
    lock.lock();

    Delivery& delivery = endpoint.current;
    ++delivery.attempts;
    if (result.ok()) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
      endpoint.has_current = false;
      queued_.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    failed_attempts_.fetch_add(1, std::memory_order_relaxed);
    last_error_ = absl::StrCat(endpoint.url, ": ", std::string(result.message()));
    if (delivery.attempts >= max_attempts_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      endpoint.has_current = false;
      queued_.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    delivery.next_attempt = Clock::now() + BackoffLocked(delivery.attempts);
  }

  // Stopped: whatever the flush budget did not cover is lost; count it.
  for (Endpoint& endpoint : endpoints_) {
    const uint64_t left = endpoint.waiting.size() + (endpoint.has_current ? 1 : 0);
    endpoint.waiting.clear();
    endpoint.has_current = false;
    dropped_.fetch_add(left, std::memory_order_relaxed);
    queued_.fetch_sub(left, std::memory_order_relaxed);
  }
}

}  // namespace switchyard::api
