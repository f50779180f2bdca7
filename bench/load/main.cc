// switchyard-bench: the load generator. Many lightweight WebRTC participants in one process on
// Switchyard's own transport code, synthetic VP8 simulcast / Opus streams, receivers measuring
// loss, jitter, latency and join time. `switchyard-bench --help` lists the flags.
//
// Cost per packet: a sender builds the packet in place, protects it with SrtpTransform and
// sends it (one sendto); a receiver verifies and decrypts it and reads the 20-byte stamp at its
// end. At thousands of subscribers the receive side dominates; --decrypt-sample K verifies only
// 1 packet in K, counting loss and duplicates from the RTP header instead (plaintext in SRTP;
// the SFU rewrites sequence numbers but keeps them continuous per subscriber stream), so it
// still sees every packet but no longer checks that the payload came from the right publisher
// or the right simulcast layer, and measures latency and jitter on the sample only.

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench/load/load_config.h"
#include "bench/load/load_runner.h"
#include "bench/load/run_report.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitExpectationFailed = 1;
constexpr int kExitSetupError = 2;
constexpr int kExitTimeout = 3;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// Each participant holds a TCP socket and one or two UDP sockets.
void RaiseFileLimit(const switchyard::bench::LoadConfig& config) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  const rlim_t needed =
      static_cast<rlim_t>(config.publishers + config.subscribers) * 3 + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    std::fprintf(stderr,
                 "switchyard-bench: warning: open file limit %llu is below the ~%llu this run "
                 "needs (ulimit -n)\n",
                 static_cast<unsigned long long>(limit.rlim_cur),
                 static_cast<unsigned long long>(needed));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace switchyard::bench;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto config = ParseLoadArgs(args);
  if (!config.ok()) {
    std::cerr << "switchyard-bench: " << config.status().message()
              << "\nRun switchyard-bench --help for the flags.\n";
    return kExitSetupError;
  }
  if (config->help) {
    std::cout << LoadUsage();
    return kExitOk;
  }
  if (!config->plot_path.empty() && !GnuplotAvailable()) {
    std::cerr << "switchyard-bench: --plot needs gnuplot on PATH (Debian: apt-get install "
                 "gnuplot-nox)\n";
    return kExitSetupError;
  }
  RaiseFileLimit(*config);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  LoadRunner runner(*config, config->quiet ? nullptr : stdout, &g_stop);
  auto result = runner.Run();
  if (!result.ok()) {
    std::cerr << "switchyard-bench: " << result.status().message() << "\n";
    return kExitSetupError;
  }
  std::cout << FormatSummary(*result);
  int exit_code = kExitOk;
  if (!config->json_path.empty()) {
    if (auto s = WriteJsonFile(*result, config->json_path); !s.ok()) {
      std::cerr << "switchyard-bench: " << s.message() << "\n";
      exit_code = kExitSetupError;
    } else {
      std::cout << "  json             " << config->json_path << "\n";
    }
  }
  if (!config->plot_path.empty()) {
    if (auto s = WritePlot(*result, config->plot_path); !s.ok()) {
      std::cerr << "switchyard-bench: " << s.message() << "\n";
      exit_code = kExitSetupError;
    } else {
      std::cout << "  plot             " << config->plot_path << "\n";
    }
  }
  if (config->expect_zero_loss) {
    const std::vector<std::string> violations = ZeroLossViolations(*result);
    if (violations.empty()) {
      std::cout << "  expect-zero-loss passed\n";
    } else {
      for (const std::string& v : violations) {
        std::cout << "  expect-zero-loss FAILED: " << v << "\n";
      }
      if (exit_code == kExitOk) exit_code = kExitExpectationFailed;
    }
  }
  if (result->timed_out) return kExitTimeout;
  return exit_code;
}
