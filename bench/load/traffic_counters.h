#ifndef SWITCHYARD_BENCH_LOAD_TRAFFIC_COUNTERS_H_
#define SWITCHYARD_BENCH_LOAD_TRAFFIC_COUNTERS_H_

#include <cstdint>

namespace switchyard::bench {

// Packet counters of one event-loop thread, cumulative. Written only by that thread (plain
// integers, no atomics: the runner reads them in a task posted to the thread).
struct TrafficCounters {
  uint64_t rtp_sent = 0;
  uint64_t rtp_bytes_sent = 0;  // SRTP datagram bytes
  uint64_t rtcp_sent = 0;
  uint64_t rtp_received = 0;
  uint64_t rtp_bytes_received = 0;
  uint64_t rtcp_received = 0;
  uint64_t decrypted = 0;       // RTP packets verified and decrypted
  uint64_t srtp_errors = 0;     // failed authentication or malformed SRTP/SRTCP
  uint64_t srtp_replays = 0;    // SRTP replay check: the same packet arrived twice
  uint64_t send_failures = 0;   // protect or sendto failed
  uint64_t unknown_ssrc = 0;    // RTP on an SSRC no subscribe offer announced
  uint64_t rtx_or_padding = 0;  // packets on an RTX SSRC (the server's padding probes)
  uint64_t bad_stamp = 0;       // decrypted media without a readable payload stamp
  uint64_t misrouted = 0;       // a track's packets carrying another publisher's stamp
  uint64_t layer_switches = 0;  // simulcast layer changes seen by subscribers
  uint64_t plis_received = 0;   // keyframe requests that reached publishers (PLI + FIR)
  uint64_t nacks_received = 0;  // sequence numbers the server NACKed to publishers
  uint64_t keyframes_sent = 0;
  uint64_t unexpected_datagrams = 0;  // from another address, unclassifiable, or early SRTP

  void Add(const TrafficCounters& o) {
    rtp_sent += o.rtp_sent;
    rtp_bytes_sent += o.rtp_bytes_sent;
    rtcp_sent += o.rtcp_sent;
    rtp_received += o.rtp_received;
    rtp_bytes_received += o.rtp_bytes_received;
    rtcp_received += o.rtcp_received;
    decrypted += o.decrypted;
    srtp_errors += o.srtp_errors;
    srtp_replays += o.srtp_replays;
    send_failures += o.send_failures;
    unknown_ssrc += o.unknown_ssrc;
    rtx_or_padding += o.rtx_or_padding;
    bad_stamp += o.bad_stamp;
    misrouted += o.misrouted;
    layer_switches += o.layer_switches;
    plis_received += o.plis_received;
    nacks_received += o.nacks_received;
    keyframes_sent += o.keyframes_sent;
    unexpected_datagrams += o.unexpected_datagrams;
  }
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_TRAFFIC_COUNTERS_H_
