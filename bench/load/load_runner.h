#ifndef SWITCHYARD_BENCH_LOAD_LOAD_RUNNER_H_
#define SWITCHYARD_BENCH_LOAD_LOAD_RUNNER_H_

#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/load_config.h"
#include "bench/load/run_report.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"

namespace switchyard::bench {

// Runs one load test: `config.threads` event-loop threads (boost::asio io_contexts, one thread
// each) host the participants (LoadClients, or JanusClients for --target janus), spread
// round-robin; the calling thread is the conductor. It
// starts participants at the ramp rate, waits until everyone is connected (or given up on
// after --connect-timeout), measures for --duration (churning subscribers if asked), collects a
// sample from every thread each second (a task posted to the thread, so no client state is
// shared), prints the live line, then makes everyone leave and stops the threads. The whole
// run is bounded by HardTimeoutSeconds(config) and by `stop` (e.g. SIGINT).
class LoadRunner {
 public:
  // `live` receives the live line (nullptr: none); `stop` may be set from a signal handler.
  LoadRunner(LoadConfig config, std::FILE* live, const std::atomic<bool>* stop);
  ~LoadRunner();

  // Errors only for setup failures (bad URL, certificate); a run in which nothing connects
  // still returns a result (with its failures).
  absl::StatusOr<RunResult> Run();

 private:
  struct Worker;
  struct Snapshot;

  Snapshot Collect(bool final_check);

  LoadConfig config_;
  std::FILE* live_;
  const std::atomic<bool>* stop_;
  transport::SteadyClock clock_;
  std::unique_ptr<transport::Certificate> certificate_;
  std::unique_ptr<transport::DtlsContext> dtls_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_LOAD_RUNNER_H_
