#ifndef SWITCHYARD_BENCH_LOAD_PUBLISHER_MEDIA_H_
#define SWITCHYARD_BENCH_LOAD_PUBLISHER_MEDIA_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "absl/status/status.h"
#include "bench/load/bench_sdp.h"
#include "bench/load/load_config.h"
#include "bench/load/peer_connection.h"
#include "bench/load/synthetic_stream.h"
#include "bench/load/traffic_counters.h"
#include "rtc/session_description.h"
#include "transport/clock.h"

namespace switchyard::bench {

// What one publishing participant sends, whatever server it talks to: shared by LoadClient
// (Switchyard) and JanusClient so that both targets get byte for byte the same load:
//  * the offer spec: Opus + VP8 (one stream or rid simulcast per --video-layers), SSRCs
//    derived from the client's index and generation;
//  * the synthetic sources, created from the answer's header extension ids;
//  * sending: the stamp's send time is patched in just before SRTP protection, sender reports
//    every second; PLI/FIR get a keyframe of that encoding, NACKs are counted (not answered).
// Single-threaded, on the owning client's thread.
class PublisherMedia {
 public:
  PublisherMedia(const LoadConfig& config, const ClientPlan& plan, int generation);

  const PublishOfferSpec& offer_spec() const { return offer_spec_; }

  // The answer to our offer: creates the sources (once; a renegotiation keeps them). Fails when
  // simulcast needs the mid/rid extensions and the answer dropped them.
  absl::Status OnAnswer(const rtc::SessionDescription& answer);
  bool has_sources() const { return video_ != nullptr || audio_ != nullptr; }

  // The publisher PeerConnection connected: the first frame and audio packet are due now.
  void Start(transport::Timestamp now);
  // Everything due at `now`: media, then a sender report once a second.
  void Send(PeerConnection& pc, transport::Timestamp now);
  // RTCP from the server on the publisher PeerConnection.
  void OnRtcp(std::span<const uint8_t> compound, TrafficCounters& counters);

  uint64_t keyframes_sent() const;

 private:
  void SendSenderReports(PeerConnection& pc, transport::Timestamp now);

  const LoadConfig& config_;
  const ClientPlan& plan_;
  PublishOfferSpec offer_spec_;
  std::unique_ptr<VideoSource> video_;
  std::unique_ptr<AudioSource> audio_;
  std::optional<transport::Timestamp> last_sender_report_;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_PUBLISHER_MEDIA_H_
