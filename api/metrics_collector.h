#ifndef SWITCHYARD_API_METRICS_COLLECTOR_H_
#define SWITCHYARD_API_METRICS_COLLECTOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "absl/status/statusor.h"
#include "sfu/worker.h"
#include "transport/clock.h"

namespace switchyard::api {

// Requests the HTTP server answered, by path class and status code. The path label comes from
// a fixed set (HttpPathLabel) so a scanner probing random URLs cannot grow the metric without
// bound. Control thread only.
class HttpRequestCounts {
 public:
  void Count(std::string_view path_label, int status);
  const std::map<std::pair<std::string, int>, uint64_t>& counts() const { return counts_; }

 private:
  std::map<std::pair<std::string, int>, uint64_t> counts_;
};

// "/", "/ws", "/metrics", "/healthz", "/readyz" for those paths (query ignored), "static" for
// other existing static files when `is_static_file`, else "other".
std::string HttpPathLabel(std::string_view target, bool is_static_file);

struct WorkerStatsSnapshot {
  int index = 0;
  sfu::Worker::Stats stats;
};

// Gathers every worker's Stats without blocking the calling event loop: a task posted to each
// worker copies its stats (on the worker's thread, the only place they may be read) and posts
// them back to `io`; the callback runs on `io`'s thread once every worker answered, or with
// DeadlineExceeded after `timeout`. Late answers are dropped. The collector must outlive `io`'s
// run (in-flight requests hold only shared state, so destroying it early is safe, though
// callbacks still fire).
class MetricsCollector {
 public:
  using Snapshot = std::vector<WorkerStatsSnapshot>;  // in worker order
  using Callback = std::function<void(absl::StatusOr<Snapshot>)>;

  static constexpr transport::Duration kDefaultTimeout = std::chrono::seconds(1);

  MetricsCollector(boost::asio::io_context& io, std::vector<sfu::Worker*> workers,
                   transport::Duration timeout = kDefaultTimeout);

  void Collect(Callback done);
  // Readiness: OK when every worker is running and answered within the timeout;
  // Unavailable (naming the worker) or DeadlineExceeded otherwise.
  void Ping(std::function<void(absl::Status)> done);

 private:
  boost::asio::io_context& io_;
  const std::vector<sfu::Worker*> workers_;
  const transport::Duration timeout_;
};

// The Prometheus exposition (metric names prefixed switchyard_) of a snapshot and the HTTP
// request counts.
std::string RenderMetrics(const MetricsCollector::Snapshot& snapshot,
                          const HttpRequestCounts& requests);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_METRICS_COLLECTOR_H_
