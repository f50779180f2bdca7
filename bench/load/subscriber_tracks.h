#ifndef SWITCHYARD_BENCH_LOAD_SUBSCRIBER_TRACKS_H_
#define SWITCHYARD_BENCH_LOAD_SUBSCRIBER_TRACKS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/load/bench_sdp.h"
#include "bench/load/receive_meter.h"
#include "bench/load/worker_stats.h"
#include "transport/clock.h"

namespace switchyard::bench {

// The receive side of one subscribing participant, whatever server it talks to: the tracks the
// server's offers announced and the measurement of every packet on them, shared by LoadClient
// (Switchyard) and JanusClient so that both targets are judged by the same meter: loss,
// duplicates and reordering per simulcast layer from the payload stamp (or from the RTP
// sequence numbers with --decrypt-sample > 1), latency = kernel arrival - stamp send time into
// the thread's histograms, misrouting checks.
// Single-threaded, on the owning client's thread; no allocation per packet.
class SubscriberTracks {
 public:
  // The tracks of a new (or renegotiated) subscribe offer, in offer order. A line that now
  // carries another SSRC is measured afresh; lines no longer sendonly become inactive.
  void ApplyOffer(const std::vector<OfferedTrack>& offered);

  // One RTP packet from the subscriber PeerConnection (bench/load/peer_connection.h's
  // OnPeerRtp). True when it was media with a valid stamp (the first such packet is the
  // participant's first media for the join time).
  bool OnRtp(std::span<uint8_t> packet, bool decrypted, transport::Timestamp arrival,
             WorkerStats& stats);

  // An RTCP receiver report (RFC 3550 §6.4.2) from `sender_ssrc` with one block per active
  // track that has received media (at most 31): SSRC, extended highest sequence number and
  // cumulative loss from the RTP sequence numbers; fraction lost, jitter and LSR/DLSR are 0.
  // Real receivers send one about every second; the server depends on hearing from its
  // subscribers (e.g. it frees a connection's DTLS state on the first authenticated packet).
  // Returns the bytes written to `out` (0 if no track has media or `out` is too small).
  size_t WriteReceiverReport(std::span<uint8_t> out, uint32_t sender_ssrc) const;

  // Active tracks that delivered at least one packet.
  int tracks_with_media() const;
  // Adds this participant's receive totals; `sampled` as --decrypt-sample > 1.
  void AddQuality(QualityTotals& q, bool sampled) const;

 private:
  struct TrackReceiver {
    std::string mid;
    std::string stream;
    bool audio = false;
    bool active = false;
    uint32_t ssrc = 0;
    std::optional<uint32_t> rtx_ssrc;
    std::optional<uint32_t> source;
    int current_layer = -1;
    std::array<ReceiveMeter, 4> layers;
    ReceiveMeter rtp;
    SequenceUnwrapper rtp_unwrap;
    uint64_t packets = 0;
    bool got_media = false;
  };

  std::vector<TrackReceiver> tracks_;
  // SSRC -> index into tracks_, or -1 for an RTX SSRC.
  absl::flat_hash_map<uint32_t, int> ssrc_to_track_;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_SUBSCRIBER_TRACKS_H_
