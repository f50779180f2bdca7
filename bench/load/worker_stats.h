#ifndef SWITCHYARD_BENCH_LOAD_WORKER_STATS_H_
#define SWITCHYARD_BENCH_LOAD_WORKER_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/load/latency_histogram.h"
#include "bench/load/receive_meter.h"
#include "bench/load/traffic_counters.h"

namespace switchyard::bench {

// Receive-side quality summed over tracks. `lost` is the loss the run is judged by: from the
// payload stamps (per simulcast layer) when every packet is decrypted, from the RTP sequence
// numbers with --decrypt-sample > 1.
struct QualityTotals {
  uint64_t expected = 0;
  uint64_t received = 0;
  uint64_t lost = 0;
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  double jitter_sum_us = 0.0;  // sum of the tracks' RFC 3550 jitter, for the mean
  uint64_t jitter_tracks = 0;
  uint64_t keyframes_sent = 0;

  void Add(const QualityTotals& o) {
    expected += o.expected;
    received += o.received;
    lost += o.lost;
    duplicates += o.duplicates;
    reordered += o.reordered;
    jitter_sum_us += o.jitter_sum_us;
    jitter_tracks += o.jitter_tracks;
    keyframes_sent += o.keyframes_sent;
  }
};

// Everything one event-loop thread accumulates. Owned by the thread; the runner reads and
// resets the interval parts in a task posted to it.
struct WorkerStats {
  TrafficCounters counters;
  LatencyHistogram latency_interval;  // reset every second
  LatencyHistogram latency_total;
  // Join → first media packet (subscribers) and join → publisher connected (publishers), in
  // microseconds, recorded since the runner last collected them.
  std::vector<uint64_t> new_join_us;
  std::vector<uint64_t> new_publish_us;
  // Quality of clients that are gone (left, failed), so totals never go backwards.
  QualityTotals retired;
  // How late the thread's 5 ms tick fired (the generator's own event-loop lag): when this
  // grows, the generator, not the server, is the bottleneck.
  uint64_t loop_lag_interval_max_us = 0;  // reset every second
  uint64_t loop_lag_max_us = 0;
  uint64_t sessions_started = 0;
  uint64_t connect_failures = 0;  // not connected within --connect-timeout, or refused
  uint64_t disconnects = 0;       // dropped after connecting (server closed, consent lost)
  std::map<std::string, uint64_t> failure_reasons;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_WORKER_STATS_H_
