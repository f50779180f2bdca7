#ifndef SWITCHYARD_BENCH_LOAD_RUN_REPORT_H_
#define SWITCHYARD_BENCH_LOAD_RUN_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/load/latency_histogram.h"
#include "bench/load/load_config.h"
#include "bench/load/traffic_counters.h"
#include "bench/load/worker_stats.h"

namespace switchyard::bench {

// One second of a run, as the live line shows it.
struct IntervalSample {
  double t_s = 0.0;  // end of the interval, seconds since the run started
  int clients = 0;   // sessions alive
  int connected = 0;
  double packets_out_per_s = 0.0;
  double packets_in_per_s = 0.0;
  double bits_out_per_s = 0.0;
  double bits_in_per_s = 0.0;
  uint64_t expected = 0;  // packets the receivers expected in this interval
  uint64_t lost = 0;
  double loss_percent = 0.0;
  uint64_t latency_p50_us = 0;
  uint64_t latency_p99_us = 0;
  uint64_t latency_max_us = 0;
  uint64_t failures = 0;  // connect failures + disconnects so far
  uint64_t generator_lag_max_us = 0;  // worst tick lateness of the generator's threads
};

// Everything a run measured.
struct RunResult {
  LoadConfig config;
  double elapsed_s = 0.0;
  double measure_start_s = 0.0;  // everyone connected (or given up on): the measured window
  double measure_end_s = 0.0;
  bool timed_out = false;
  bool interrupted = false;
  std::vector<IntervalSample> series;
  TrafficCounters counters;
  QualityTotals quality;
  LatencyHistogram latency;     // µs, every measured packet
  LatencyHistogram join_us;     // subscribers: join sent → first media packet decrypted
  LatencyHistogram publish_us;  // publishers: join sent → publisher PeerConnection connected
  // Rates over the measured window.
  double packets_out_per_s = 0.0;
  double packets_in_per_s = 0.0;
  double bits_out_per_s = 0.0;
  double bits_in_per_s = 0.0;
  uint64_t generator_lag_max_us = 0;
  uint64_t sessions = 0;
  uint64_t connect_failures = 0;
  uint64_t disconnects = 0;
  std::map<std::string, uint64_t> failure_reasons;
  // At the end: subscribing sessions old enough to judge, and those missing expected tracks.
  int subscribers_checked = 0;
  int subscribers_incomplete = 0;
  std::vector<std::string> incomplete_examples;
};

// The checks --expect-zero-loss makes; empty when all pass.
std::vector<std::string> ZeroLossViolations(const RunResult& result);

// Human-readable summary table.
std::string FormatSummary(const RunResult& result);
// The one-line live progress ("[ 12s] connected 21/21 | ...").
std::string FormatLiveLine(const IntervalSample& sample, int planned_clients);

// JSON: config, totals and the per-second series.
std::string RunResultToJson(const RunResult& result);
absl::Status WriteJsonFile(const RunResult& result, const std::string& path);

// Whether `gnuplot` is on PATH, and the plot itself (throughput, loss and latency over time
// as one PNG). FailedPrecondition when gnuplot is missing.
bool GnuplotAvailable();
absl::Status WritePlot(const RunResult& result, const std::string& png_path);

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_RUN_REPORT_H_
