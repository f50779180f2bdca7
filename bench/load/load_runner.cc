#include "bench/load/load_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/load/janus_api.h"
#include "bench/load/janus_client.h"
#include "bench/load/load_client.h"
#include "bench/load/participant.h"
#include "bench/load/signaling_client.h"

namespace switchyard::bench {

namespace {

// How often each thread drives its clients' timers and media: a 30 fps frame is due every
// 33 ms and an Opus packet every 20 ms, so frames leave at most this late.
constexpr auto kTickInterval = std::chrono::milliseconds(5);
constexpr auto kSampleInterval = std::chrono::seconds(1);
constexpr auto kConductorStep = std::chrono::milliseconds(10);
// Sessions younger than this at the end are not judged for missing tracks (churn rejoins).
constexpr auto kJudgeAfter = std::chrono::seconds(2);
// After everyone left: time for the leave messages and close_notify to go out.
constexpr auto kLeaveGrace = std::chrono::milliseconds(500);
constexpr auto kSnapshotTimeout = std::chrono::seconds(10);

using SteadyTime = std::chrono::steady_clock::time_point;

double SecondsBetween(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

struct LoadRunner::Snapshot {
  TrafficCounters counters;
  QualityTotals quality;
  LatencyHistogram latency_interval;
  std::vector<uint64_t> join_us;
  std::vector<uint64_t> publish_us;
  int clients = 0;
  int connected = 0;
  int pending = 0;  // alive, not connected, not failed
  uint64_t loop_lag_interval_max_us = 0;
  uint64_t loop_lag_max_us = 0;
  uint64_t sessions = 0;
  uint64_t connect_failures = 0;
  uint64_t disconnects = 0;
  std::map<std::string, uint64_t> failure_reasons;
  int subscribers_checked = 0;
  int subscribers_incomplete = 0;
  std::vector<std::string> incomplete_examples;
};

struct LoadRunner::Worker {
  Worker(const LoadConfig& config, const transport::Clock& clock,
         const transport::DtlsContext& dtls, WebSocketUrl url, transport::SocketAddress bind,
         HttpUrl janus)
      : janus_url(std::move(janus)),
        guard(boost::asio::make_work_guard(io)),
        env{io, clock, dtls, config, std::move(url), bind, stats},
        tick(io),
        rng(std::random_device{}()) {}

  void ScheduleTick() {
    const transport::Timestamp due = env.clock.Now() + kTickInterval;
    tick.expires_after(kTickInterval);
    tick.async_wait([this, due](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      const transport::Timestamp now = env.clock.Now();
      const uint64_t lag = now > due ? static_cast<uint64_t>((now - due).count()) : 0;
      stats.loop_lag_interval_max_us = std::max(stats.loop_lag_interval_max_us, lag);
      stats.loop_lag_max_us = std::max(stats.loop_lag_max_us, lag);
      for (auto& client : clients) client->Tick(now);
      // Finished sessions go (their quality moves to stats.retired); outside any callback of
      // theirs, so destroying them here is safe.
      std::erase_if(clients, [](const std::unique_ptr<Participant>& c) { return c->finished(); });
      for (auto it = rejoins.begin(); it != rejoins.end();) {
        if (it->first <= now) {
          StartClient(it->second.first, it->second.second);
          it = rejoins.erase(it);
        } else {
          ++it;
        }
      }
      ScheduleTick();
    });
  }

  void StartClient(const ClientPlan& plan, int generation) {
    if (env.config.target == Target::kJanus) {
      clients.push_back(std::make_unique<JanusClient>(env, janus_url, plan, generation));
    } else {
      clients.push_back(std::make_unique<ParticipantOf<LoadClient>>(env, plan, generation));
    }
    clients.back()->Start();
  }

  // One connected churnable client leaves; the same participant joins again later.
  void Churn(transport::Duration rejoin_after) {
    std::vector<Participant*> candidates;
    for (auto& c : clients) {
      if (c->plan().churnable && c->connected()) candidates.push_back(c.get());
    }
    if (candidates.empty()) return;
    Participant* victim = candidates[std::uniform_int_distribution<size_t>(
        0, candidates.size() - 1)(rng)];
    const int generation = ++generations[victim->plan().index];
    rejoins.push_back({env.clock.Now() + rejoin_after, {victim->plan(), generation}});
    victim->Leave();
  }

  const HttpUrl janus_url;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
  WorkerStats stats;
  ClientEnvironment env;
  boost::asio::steady_timer tick;
  std::vector<std::unique_ptr<Participant>> clients;
  std::vector<std::pair<transport::Timestamp, std::pair<ClientPlan, int>>> rejoins;
  std::map<int, int> generations;
  std::mt19937_64 rng;
  bool stopping = false;
  std::thread thread;
};

LoadRunner::LoadRunner(LoadConfig config, std::FILE* live, const std::atomic<bool>* stop)
    : config_(std::move(config)), live_(live), stop_(stop) {}

LoadRunner::~LoadRunner() {
  for (auto& w : workers_) {
    if (w->thread.joinable()) {
      w->guard.reset();
      w->io.stop();
      w->thread.join();
    }
  }
}

LoadRunner::Snapshot LoadRunner::Collect(bool final_check) {
  Snapshot total;
  std::vector<std::future<Snapshot>> futures;
  for (auto& w : workers_) {
    auto promise = std::make_shared<std::promise<Snapshot>>();
    futures.push_back(promise->get_future());
    Worker* worker = w.get();
    boost::asio::post(worker->io, [worker, promise, final_check] {
      Snapshot s;
      WorkerStats& st = worker->stats;
      s.counters = st.counters;
      s.quality = st.retired;
      s.latency_interval = st.latency_interval;
      st.latency_interval.Reset();
      s.loop_lag_interval_max_us = st.loop_lag_interval_max_us;
      st.loop_lag_interval_max_us = 0;
      s.loop_lag_max_us = st.loop_lag_max_us;
      s.join_us.swap(st.new_join_us);
      s.publish_us.swap(st.new_publish_us);
      s.sessions = st.sessions_started;
      s.connect_failures = st.connect_failures;
      s.disconnects = st.disconnects;
      s.failure_reasons = st.failure_reasons;
      const transport::Timestamp now = worker->env.clock.Now();
      for (const auto& c : worker->clients) {
        s.quality.Add(c->Quality());
        if (c->finished()) continue;
        ++s.clients;
        if (c->connected()) {
          ++s.connected;
        } else {
          ++s.pending;
        }
        if (final_check && c->plan().subscribe && c->ExpectedTracks() > 0 && c->started_at() &&
            now - *c->started_at() >= kJudgeAfter) {
          ++s.subscribers_checked;
          if (c->tracks_with_media() < c->ExpectedTracks()) {
            ++s.subscribers_incomplete;
            if (s.incomplete_examples.size() < 5) {
              s.incomplete_examples.push_back(
                  c->plan().identity + ": media on " + std::to_string(c->tracks_with_media()) +
                  " of " + std::to_string(c->ExpectedTracks()) + " expected tracks");
            }
          }
        }
      }
      promise->set_value(std::move(s));
    });
  }
  for (auto& f : futures) {
    if (f.wait_for(kSnapshotTimeout) != std::future_status::ready) continue;
    Snapshot s = f.get();
    total.counters.Add(s.counters);
    total.quality.Add(s.quality);
    total.latency_interval.Merge(s.latency_interval);
    total.join_us.insert(total.join_us.end(), s.join_us.begin(), s.join_us.end());
    total.publish_us.insert(total.publish_us.end(), s.publish_us.begin(), s.publish_us.end());
    total.clients += s.clients;
    total.connected += s.connected;
    total.pending += s.pending;
    total.loop_lag_interval_max_us =
        std::max(total.loop_lag_interval_max_us, s.loop_lag_interval_max_us);
    total.loop_lag_max_us = std::max(total.loop_lag_max_us, s.loop_lag_max_us);
    total.sessions += s.sessions;
    total.connect_failures += s.connect_failures;
    total.disconnects += s.disconnects;
    for (const auto& [k, v] : s.failure_reasons) total.failure_reasons[k] += v;
    total.subscribers_checked += s.subscribers_checked;
    total.subscribers_incomplete += s.subscribers_incomplete;
    for (auto& e : s.incomplete_examples) {
      if (total.incomplete_examples.size() < 5) total.incomplete_examples.push_back(std::move(e));
    }
  }
  return total;
}

absl::StatusOr<RunResult> LoadRunner::Run() {
  auto url = ParseWebSocketUrl(config_.url);
  if (!url.ok()) return url.status();
  HttpUrl janus_url;
  if (config_.target == Target::kJanus) {
    auto parsed = ParseHttpUrl(config_.janus_url);
    if (!parsed.ok()) return parsed.status();
    janus_url = *parsed;
  }
  auto bind = transport::SocketAddress::Parse(config_.bind_address, 0);
  if (!bind) return absl::InvalidArgumentError("--bind: not an IP address: " + config_.bind_address);
  auto certificate = transport::Certificate::GenerateEcdsaP256("switchyard-bench");
  if (!certificate.ok()) return certificate.status();
  certificate_ = std::move(*certificate);
  const char* profiles = config_.srtp_profile == "gcm" ? "SRTP_AEAD_AES_128_GCM"
                         : config_.srtp_profile == "cm" ? "SRTP_AES128_CM_SHA1_80"
                                                        : transport::DtlsContext::kSrtpProfiles;
  auto dtls = transport::DtlsContext::Create(*certificate_, profiles);
  if (!dtls.ok()) return dtls.status();
  dtls_ = std::move(*dtls);

  for (int i = 0; i < config_.threads; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(config_, clock_, *dtls_, *url, *bind, janus_url));
  }
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->ScheduleTick();
    worker->thread = std::thread([worker] { worker->io.run(); });
  }

  const std::vector<ClientPlan> plan = PlanClients(config_);
  const int planned = static_cast<int>(plan.size());
  RunResult result;
  result.config = config_;
  const SteadyTime start = std::chrono::steady_clock::now();
  const SteadyTime hard_deadline =
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(HardTimeoutSeconds(config_)));
  const auto join_interval = std::chrono::duration<double>(1.0 / config_.ramp);
  const auto connect_timeout = std::chrono::duration<double>(config_.connect_timeout_s);
  const auto duration = std::chrono::duration<double>(config_.duration_s);
  const auto rejoin_after = std::chrono::duration_cast<transport::Duration>(
      std::chrono::duration<double>(config_.churn_rejoin_s));

  size_t next_join = 0;
  std::optional<SteadyTime> last_join;
  std::optional<SteadyTime> measure_start;
  SteadyTime next_sample = start + kSampleInterval;
  SteadyTime last_sample_time = start;
  TrafficCounters last_counters;
  QualityTotals last_quality;
  double churn_credit = 0.0;
  size_t churn_worker = 0;
  SteadyTime last_step = start;
  int last_clients = -1;
  const bool tty = live_ != nullptr && ::isatty(::fileno(live_));
  // Rates over the measured window come from the samples taken at its edges.
  std::optional<std::pair<SteadyTime, TrafficCounters>> window_begin;

  for (;;) {
    const SteadyTime now = std::chrono::steady_clock::now();
    if (stop_ != nullptr && stop_->load()) {
      result.interrupted = true;
      break;
    }
    if (now >= hard_deadline) {
      result.timed_out = true;
      break;
    }
    // Ramp: join i is due at start + i / ramp.
    while (next_join < plan.size() &&
           now >= start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              join_interval * static_cast<double>(next_join))) {
      Worker* worker = workers_[next_join % workers_.size()].get();
      const ClientPlan client = plan[next_join];
      boost::asio::post(worker->io, [worker, client] { worker->StartClient(client, 0); });
      ++next_join;
      last_join = now;
    }
    // Churn during the measured window.
    if (measure_start && config_.churn_rate > 0) {
      churn_credit += SecondsBetween(last_step, now) * config_.churn_rate;
      while (churn_credit >= 1.0) {
        churn_credit -= 1.0;
        Worker* worker = workers_[churn_worker++ % workers_.size()].get();
        boost::asio::post(worker->io, [worker, rejoin_after] { worker->Churn(rejoin_after); });
      }
    }
    last_step = now;

    if (now >= next_sample) {
      Snapshot s = Collect(/*final_check=*/false);
      const double dt = std::max(SecondsBetween(last_sample_time, now), 1e-6);
      IntervalSample sample;
      sample.t_s = SecondsBetween(start, now);
      sample.clients = s.clients;
      last_clients = s.clients;
      sample.connected = s.connected;
      sample.packets_out_per_s = (s.counters.rtp_sent - last_counters.rtp_sent) / dt;
      sample.packets_in_per_s = (s.counters.rtp_received - last_counters.rtp_received) / dt;
      sample.bits_out_per_s = 8.0 * (s.counters.rtp_bytes_sent - last_counters.rtp_bytes_sent) / dt;
      sample.bits_in_per_s =
          8.0 * (s.counters.rtp_bytes_received - last_counters.rtp_bytes_received) / dt;
      sample.expected = s.quality.expected > last_quality.expected
                            ? s.quality.expected - last_quality.expected
                            : 0;
      sample.lost = s.quality.lost > last_quality.lost ? s.quality.lost - last_quality.lost : 0;
      sample.loss_percent =
          sample.expected ? 100.0 * static_cast<double>(sample.lost) / sample.expected : 0.0;
      sample.latency_p50_us = s.latency_interval.Percentile(50);
      sample.latency_p99_us = s.latency_interval.Percentile(99);
      sample.latency_max_us = s.latency_interval.max();
      sample.failures = s.connect_failures + s.disconnects;
      sample.generator_lag_max_us = s.loop_lag_interval_max_us;
      result.series.push_back(sample);
      result.latency.Merge(s.latency_interval);
      for (uint64_t us : s.join_us) result.join_us.Record(us);
      for (uint64_t us : s.publish_us) result.publish_us.Record(us);
      last_counters = s.counters;
      last_quality = s.quality;
      last_sample_time = now;
      next_sample += kSampleInterval;
      if (next_sample <= now) next_sample = now + kSampleInterval;
      if (live_ != nullptr) {
        const std::string line = FormatLiveLine(sample, planned);
        if (tty) {
          std::fprintf(live_, "\r%s\033[K", line.c_str());
        } else {
          std::fprintf(live_, "%s\n", line.c_str());
        }
        std::fflush(live_);
      }
      // The measured window opens once every join went out and nobody is still connecting
      // (connected, or failed after --connect-timeout).
      if (!measure_start && next_join == plan.size() && last_join) {
        if (s.pending == 0 || now - *last_join >= connect_timeout) {
          measure_start = now;
          window_begin = std::make_pair(now, s.counters);
        }
      }
    }
    if (measure_start && now - *measure_start >= duration) break;
    // Everyone failed and nobody will rejoin: nothing left to measure.
    if (measure_start && last_clients == 0 && config_.churn_rate == 0) break;
    std::this_thread::sleep_for(kConductorStep);
  }
  if (tty) std::fprintf(live_, "\n");

  // Final collection: totals, the completeness check, and the rates over the window.
  const SteadyTime end = std::chrono::steady_clock::now();
  Snapshot final_snapshot = Collect(/*final_check=*/true);
  result.latency.Merge(final_snapshot.latency_interval);
  for (uint64_t us : final_snapshot.join_us) result.join_us.Record(us);
  for (uint64_t us : final_snapshot.publish_us) result.publish_us.Record(us);
  result.counters = final_snapshot.counters;
  result.quality = final_snapshot.quality;
  result.sessions = final_snapshot.sessions;
  result.connect_failures = final_snapshot.connect_failures;
  result.disconnects = final_snapshot.disconnects;
  result.failure_reasons = final_snapshot.failure_reasons;
  result.generator_lag_max_us = final_snapshot.loop_lag_max_us;
  result.subscribers_checked = final_snapshot.subscribers_checked;
  result.subscribers_incomplete = final_snapshot.subscribers_incomplete;
  result.incomplete_examples = final_snapshot.incomplete_examples;
  result.elapsed_s = SecondsBetween(start, end);
  result.measure_start_s = measure_start ? SecondsBetween(start, *measure_start) : result.elapsed_s;
  result.measure_end_s = result.elapsed_s;
  if (window_begin) {
    const double window = std::max(SecondsBetween(window_begin->first, end), 1e-6);
    const TrafficCounters& b = window_begin->second;
    const TrafficCounters& e = final_snapshot.counters;
    result.packets_out_per_s = (e.rtp_sent - b.rtp_sent) / window;
    result.packets_in_per_s = (e.rtp_received - b.rtp_received) / window;
    result.bits_out_per_s = 8.0 * (e.rtp_bytes_sent - b.rtp_bytes_sent) / window;
    result.bits_in_per_s = 8.0 * (e.rtp_bytes_received - b.rtp_bytes_received) / window;
  }

  // Everyone leaves (signaling leave, close_notify), then the threads stop.
  for (auto& w : workers_) {
    Worker* worker = w.get();
    boost::asio::post(worker->io, [worker] {
      worker->rejoins.clear();
      for (auto& c : worker->clients) c->Leave();
    });
  }
  std::this_thread::sleep_for(kLeaveGrace);
  for (auto& w : workers_) {
    Worker* worker = w.get();
    boost::asio::post(worker->io, [worker] {
      worker->stopping = true;
      worker->tick.cancel();
      worker->clients.clear();
      worker->io.stop();
    });
    w->guard.reset();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  return result;
}

}  // namespace switchyard::bench
