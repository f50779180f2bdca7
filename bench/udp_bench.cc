// Send-side cost of transport::UdpSocket on the loopback: one sendto(2) per datagram (Send)
// against batches of 32 copied into the socket's slots and sent with one sendmmsg(2)
// (QueueSend + Flush). 1200-byte datagrams, 127.0.0.1 to 127.0.0.1.
//
//   taskset -c 1 build-*/bench/udp_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
//
// One thread, in lockstep: each iteration sends 32 datagrams to a receiving UdpSocket, then
// drains that socket (its own recvmmsg path, through io_context::poll) until all 32 have
// arrived, so its buffer never overflows and every datagram is accounted for. `/0` times only
// the 32 sends; `/1` times the whole round, sends plus drain. On the loopback the kernel hands
// the datagram to the receiving socket inside the send call, so even `/0` includes the
// kernel's receive-side work; with a real NIC the per-syscall saving weighs more. Bounded: a
// fixed 10,000 iterations (320,000 datagrams) per run, and a drain that waits at most 1 s.
//
// The timed region is measured in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID; the kernel
// work done in our syscalls, softirq delivery included unless the kernel has
// IRQ_TIME_ACCOUNTING, counts), because the machine is shared and wall time mostly measures
// who else is running; that CPU time is what the benchmark reports as its (manual) Time. Its
// two or three clock_gettime calls per 32 datagrams cost both modes the same.
//
// Figures: pkt_per_s and ns_per_pkt in CPU time over the timed region, wall_pkt_per_s the same
// in wall time; lost = datagrams sent but never received (should be 0), send_drops = what the
// socket counted.

#include <benchmark/benchmark.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "transport/clock.h"
#include "transport/socket_address.h"
#include "transport/udp_socket.h"

namespace switchyard::transport {
namespace {

constexpr size_t kDatagramBytes = 1200;
constexpr size_t kPerIteration = UdpSocket::kBatchSize;
constexpr int64_t kIterations = 10'000;

class CountingReceiver : public UdpSocket::Receiver {
 public:
  void OnDatagram(std::span<uint8_t> data, const SocketAddress&, Timestamp) override {
    ++datagrams;
    bytes += data.size();
  }
  uint64_t datagrams = 0;
  uint64_t bytes = 0;
};

enum class Mode { kSendTo, kQueueSendFlush };

double ThreadCpuSeconds() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void RunLoopback(benchmark::State& state, Mode mode) {
  const bool time_drain = state.range(0) != 0;
  boost::asio::io_context io;
  SteadyClock clock;
  CountingReceiver sender_in, receiver_in;
  const SocketAddress loopback = *SocketAddress::Parse("127.0.0.1", 0);
  auto sender = UdpSocket::Bind(io, loopback, sender_in, clock);
  auto receiver = UdpSocket::Bind(io, loopback, receiver_in, clock);
  if (!sender.ok() || !receiver.ok()) {
    state.SkipWithError("bind failed");
    return;
  }
  (*receiver)->Start();
  UdpSocket& out = **sender;
  const SocketAddress to = (*receiver)->local_address();
  std::vector<uint8_t> payload(kDatagramBytes, 0x5a);

  uint64_t expected = 0;
  uint64_t lost = 0;
  double timed_cpu_seconds = 0;
  double timed_wall_seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double start_cpu = ThreadCpuSeconds();
    for (size_t i = 0; i < kPerIteration; ++i) {
      payload[0] = static_cast<uint8_t>(i);
      if (mode == Mode::kSendTo) {
        out.Send(payload, to);
      } else {
        out.QueueSend(payload, to);
      }
    }
    if (mode == Mode::kQueueSendFlush) out.Flush();  // no-op: the 32nd QueueSend flushed
    const double sent_cpu = ThreadCpuSeconds();
    const auto sent = std::chrono::steady_clock::now();
    expected += kPerIteration;
    const auto deadline = sent + std::chrono::seconds(1);
    while (receiver_in.datagrams + lost < expected) {
      io.poll();
      if (std::chrono::steady_clock::now() > deadline) {
        lost = expected - receiver_in.datagrams;
        break;
      }
    }
    const double end_cpu = time_drain ? ThreadCpuSeconds() : sent_cpu;
    const auto end = time_drain ? std::chrono::steady_clock::now() : sent;
    state.SetIterationTime(end_cpu - start_cpu);
    timed_cpu_seconds += end_cpu - start_cpu;
    timed_wall_seconds += std::chrono::duration<double>(end - start).count();
  }
  const double packets = static_cast<double>(state.iterations() * kPerIteration);
  state.counters["pkt_per_s"] = packets / timed_cpu_seconds;
  state.counters["ns_per_pkt"] = timed_cpu_seconds * 1e9 / packets;
  state.counters["wall_pkt_per_s"] = packets / timed_wall_seconds;
  state.counters["lost"] = static_cast<double>(lost);
  state.counters["send_drops"] = static_cast<double>(out.counters().send_drops);
  state.SetBytesProcessed(state.iterations() * kPerIteration * kDatagramBytes);
}

void BM_SendTo(benchmark::State& state) { RunLoopback(state, Mode::kSendTo); }
void BM_QueueSendFlush32(benchmark::State& state) { RunLoopback(state, Mode::kQueueSendFlush); }

BENCHMARK(BM_SendTo)->ArgName("with_drain")->Arg(0)->Arg(1)->Iterations(kIterations)
    ->UseManualTime();
BENCHMARK(BM_QueueSendFlush32)->ArgName("with_drain")->Arg(0)->Arg(1)->Iterations(kIterations)
    ->UseManualTime();

}  // namespace
}  // namespace switchyard::transport
