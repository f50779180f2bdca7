#ifndef SWITCHYARD_SFU_PRODUCER_H_
#define SWITCHYARD_SFU_PRODUCER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "rtc/keyframe_detector.h"
#include "rtc/media_kind.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtp_packet.h"
#include "rtc/session_description.h"
#include "rtc/vp8_payload_descriptor.h"
#include "sfu/layer_selector.h"
#include "sfu/participant_observer.h"
#include "sfu/recv_stream.h"
#include "transport/clock.h"

namespace switchyard::sfu {

class Consumer;
class Producer;

// Where a producer hands its packets for subscribers on other workers (implemented by the
// worker; see WorkerMesh). Called on the producer's worker thread, per packet, only while some
// other worker wants the producer (relay mask non-zero).
class ProducerRelay {
 public:
  virtual ~ProducerRelay() = default;
  // `packet` passed the producer's duplicate filter; `workers` is a bit mask of worker indices.
  virtual void Relay(uint64_t producer_id, uint64_t workers, int encoding,
                     const rtc::RtpPacketView& packet, bool retransmission) = 0;
  // A sender report of `encoding` (about once a second): mirrors need it to align timestamps
  // across simulcast layer switches. Control path.
  virtual void RelaySenderReport(uint64_t producer_id, uint64_t workers, int encoding,
                                 uint64_t ntp, uint32_t rtp_timestamp) = 0;
};

struct ProducerParams {
  std::string track_id;  // unique in the room; the msid track id subscribers see
  rtc::MediaKind kind = rtc::MediaKind::kAudio;
  std::string mid;       // in the publisher's PeerConnection
  // One entry per simulcast encoding (in the order the publisher listed them), or a single
  // entry for a plain stream.
  std::vector<EncodingParams> encodings;
  std::vector<rtc::Codec> codecs;  // as negotiated in our answer; payload types are the
                                   // publisher's and are kept when forwarding
  uint8_t audio_level_id = 0;      // the publisher's ssrc-audio-level extension id, 0 = none
};

// What the producer learned about one packet, handed to every consumer with it.
struct PacketInfo {
  int encoding = 0;      // index into the producer's encodings
  int spatial = 0;       // rank of that encoding, 0 = lowest quality
  bool keyframe = false;  // the packet starts a keyframe
  int temporal_id = 0;
  bool layer_sync = false;
  bool end_of_frame = false;  // RTP marker bit (video: last packet of a frame)
  const rtc::Vp8PayloadDescriptor* vp8 = nullptr;  // VP8 only
};

// One published track: receives the publisher's RTP (one or several simulcast encodings), keeps
// per-encoding receive state, ranks the encodings into spatial layers and fans packets out to
// its consumers.
class Producer {
 public:
  // The publishing side: how keyframe requests reach the publisher.
  class Owner {
   public:
    virtual ~Owner() = default;
    // For encoding `encoding`, whose SSRC may not be known (yet: rid-based simulcast learns it
    // from the first packets; never, on a mirror of a producer on another worker).
    virtual void SendKeyframeRequest(int encoding, std::optional<uint32_t> media_ssrc,
                                     bool use_fir) = 0;
    // The producer went from no consumers to some (`has_consumers`) or back. A producer that
    // mirrors one on another worker uses it to tell that worker whether to relay packets.
    virtual void OnConsumersChanged(bool /*has_consumers*/) {}
  };

  Producer(const transport::Clock& clock, Owner& owner, ProducerParams params);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  const ProducerParams& params() const { return params_; }
  // As the control plane and other participants see the track (mid left empty).
  TrackSummary Summary() const {
    return TrackSummary{params_.track_id, params_.kind, "", muted_,
                        static_cast<int>(streams_.size())};
  }
  rtc::MediaKind kind() const { return params_.kind; }
  const std::string& track_id() const { return params_.track_id; }
  bool simulcast() const { return streams_.size() > 1; }
  size_t encoding_count() const { return streams_.size(); }
  RecvStream& stream(size_t encoding) { return *streams_[encoding]; }

  // Which encoding an SSRC belongs to; `rtx` tells whether it is the encoding's RTX stream.
  std::optional<int> FindEncodingBySsrc(uint32_t ssrc, bool& rtx) const;
  std::optional<int> FindEncodingByRid(std::string_view rid) const;
  // The media payload type an RTX payload type repairs (RFC 4588 apt), if it is one of ours.
  std::optional<uint8_t> MediaPayloadTypeForRtx(uint8_t rtx_payload_type) const;
  // The publisher's RTX payload type for a media payload type (offered to subscribers as is).
  std::optional<uint8_t> RtxPayloadTypeFor(uint8_t media_payload_type) const;
  uint32_t clock_rate() const { return clock_rate_; }

  // Hot path: one media packet of `encoding` (RTX already unwrapped: `retransmission`).
  // `scratch` is the worker's output buffer, reused for every consumer's rewritten copy.
  void OnRtp(int encoding, const rtc::RtpPacketView& packet, bool retransmission,
             std::span<uint8_t> scratch);
  void OnSenderReport(int encoding, const rtc::SenderReportView& report);
  // A mirror's copy of the home producer's sender report (ProducerRelay::RelaySenderReport).
  void OnRelayedSenderReport(int encoding, uint64_t ntp, uint32_t rtp_timestamp);

  void AddConsumer(Consumer* consumer);
  void RemoveConsumer(Consumer* consumer);
  const absl::InlinedVector<Consumer*, 8>& consumers() const { return consumers_; }

  // A consumer wants a keyframe of spatial layer `spatial` (-1: of every encoding).
  void RequestKeyframe(int spatial = -1);
  // Layers ordered lowest first, as measured at the last OnTimer.
  std::span<const LayerInfo> layers() const {
    return std::span<const LayerInfo>(layers_.data(), streams_.size());
  }
  int EncodingForSpatial(int spatial) const;
  int SpatialForEncoding(int encoding) const { return spatial_of_[encoding]; }

  // Muted through the room API: consumers forward nothing (receive statistics, NACKs and
  // layer measurements go on, so unmuting is instant). Unmuting asks the publisher for a
  // keyframe so every consumer's video resumes decodable.
  void SetMuted(bool muted);
  bool muted() const { return muted_; }

  // A keyframe request for one encoding from a mirror of this producer on another worker (its
  // own requester already throttled it; ours throttles again across all mirrors).
  void RequestEncodingKeyframe(int encoding);

  // Relaying to other workers (see ProducerRelay). `id` names this producer on every worker.
  void EnableRelay(ProducerRelay* relay, uint64_t id) {
    relay_ = relay;
    relay_id_ = id;
  }
  uint64_t relay_id() const { return relay_id_; }
  void SetRelayWorker(int worker, bool wanted) {
    const uint64_t bit = uint64_t{1} << worker;
    relay_workers_ = wanted ? (relay_workers_ | bit) : (relay_workers_ & ~bit);
  }
  uint64_t relay_workers() const { return relay_workers_; }

  // Every worker tick: layer activity and ranking, keyframe request retries.
  void OnTimer();

  uint64_t packets_received() const { return packets_received_; }
  uint64_t keyframes_received() const { return keyframes_received_; }

 private:
  void RankLayers();
  void SendKeyframeRequest(int encoding);

  const transport::Clock& clock_;
  Owner& owner_;
  ProducerParams params_;
  std::vector<std::unique_ptr<RecvStream>> streams_;
  absl::InlinedVector<Consumer*, 8> consumers_;
  std::optional<rtc::VideoCodec> codec_by_payload_type_[128];
  std::array<uint8_t, 128> rtx_to_media_pt_{};  // 0 = not an RTX payload type
  std::array<uint8_t, 128> media_to_rtx_pt_{};  // 0 = no RTX for that payload type
  uint32_t clock_rate_ = 90000;
  bool use_fir_ = false;
  bool muted_ = false;  // FIR only when the publisher negotiated ccm fir but not nack pli
  std::array<LayerInfo, kMaxSpatialLayers> layers_{};
  std::array<int, kMaxSpatialLayers> spatial_of_{};    // encoding -> spatial rank
  std::array<int, kMaxSpatialLayers> encoding_of_{};   // spatial rank -> encoding
  uint64_t packets_received_ = 0;
  uint64_t keyframes_received_ = 0;
  ProducerRelay* relay_ = nullptr;
  uint64_t relay_id_ = 0;
  uint64_t relay_workers_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PRODUCER_H_
