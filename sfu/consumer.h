#ifndef SWITCHYARD_SFU_CONSUMER_H_
#define SWITCHYARD_SFU_CONSUMER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "rtc/rtp_packet.h"
#include "rtc/rtp_rewriter.h"
#include "sfu/drop_reason.h"
#include "sfu/layer_selector.h"
#include "sfu/rtp_sequence_rewriter.h"
#include "sfu/simulcast_forwarder.h"
#include "sfu/vp8_rewriter.h"
#include "transport/clock.h"

namespace switchyard::sfu {

class Producer;
struct PacketInfo;

// The subscriber side a consumer sends through (implemented by Participant for its subscriber
// transport). Everything runs on the worker thread.
class ConsumerSink {
 public:
  virtual ~ConsumerSink() = default;
  virtual bool sink_connected() const = 0;
  // Transport-wide sequence number for the next packet (draft-holmer-rmcat-transport-wide-cc
  // §3: one counter per transport, across all of its SSRCs).
  virtual uint16_t NextTransportSequenceNumber() = 0;
  // SRTP-protects `packet` in place (capacity >= length + SRTP trailer) and sends it; records
  // it for bandwidth estimation under `transport_sequence_number`.
  virtual bool SendRtpPacket(uint8_t* packet, size_t length, size_t capacity,
                             uint16_t transport_sequence_number) = 0;
  // The producer's layers changed (one started or stopped, or they were re-ranked): allocate
  // again soon rather than at the next periodic allocation.
  virtual void OnLayersChanged() = 0;
};

// Header extension ids of the subscriber's PeerConnection (0 = not negotiated) and how the
// publisher's extensions map onto them.
struct ConsumerExtensions {
  uint8_t transport_sequence_id = 0;
  uint8_t abs_send_time_id = 0;
  std::array<rtc::ExtensionRemap, 2> remaps{};  // e.g. audio level: publisher id -> our id
  size_t remap_count = 0;
};

// Publisher payload type -> the subscriber's, for subscribers whose PeerConnection numbered
// the codecs itself (a WHEP viewer's offer, RFC 3264 §6.1 lets each side pick its own
// numbers). Disabled (the default), packets keep the publisher's payload types, which is what
// the server's own subscribe offers advertise. Fixed-size tables: per packet a lookup only.
struct PayloadTypeMap {
  static constexpr uint8_t kNone = 0xFF;
  bool enabled = false;
  std::array<uint8_t, 128> media = MakeEmpty();  // publisher media PT -> subscriber media PT
  std::array<uint8_t, 128> rtx = MakeEmpty();    // publisher media PT -> subscriber RTX PT

  static constexpr std::array<uint8_t, 128> MakeEmpty() {
    std::array<uint8_t, 128> table{};
    for (auto& entry : table) entry = kNone;
    return table;
  }
};

struct ConsumerOptions {
  uint32_t ssrc = 0;
  std::optional<uint32_t> rtx_ssrc;  // when the subscriber negotiated RTX (RFC 4588)
  std::string mid;
  ConsumerExtensions extensions;
  PayloadTypeMap payload_types;
};

// One subscriber's copy of one producer. Video goes through the simulcast forwarder (which
// layer, switching only at keyframes), then every packet is rewritten into the subscriber's
// own SSRC, sequence numbers, timestamps (and VP8 picture ids) so the decoder sees one
// continuous stream. Keeps what it sent so NACKs are answered from the producer's cache.
class Consumer {
 public:
  Consumer(Producer& producer, ConsumerSink& sink, DropCounters& drops, const transport::Clock& clock,
           ConsumerOptions options);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Producer& producer() { return producer_; }
  uint32_t ssrc() const { return options_.ssrc; }
  const std::optional<uint32_t>& rtx_ssrc() const { return options_.rtx_ssrc; }
  const std::string& mid() const { return options_.mid; }
  bool is_video() const { return is_video_; }

  // Hot path: every packet of every layer of the producer.
  void OnPacket(const PacketInfo& info, const rtc::RtpPacketView& packet,
                std::span<uint8_t> scratch);

  // From the stream allocator. spatial -1 pauses.
  void SetTarget(LayerTarget target);
  const LayerTarget& target() const { return target_; }
  int current_spatial() const { return forwarder_.current_spatial(); }
  int current_temporal() const { return forwarder_.current_temporal(); }
  void SetLayerActive(int spatial, bool active) { forwarder_.SetLayerActive(spatial, active); }
  void OnLayersReordered() {
    forwarder_.Restart();
    sink_.OnLayersChanged();
  }
  void OnLayerActivityChanged() { sink_.OnLayersChanged(); }
  // The producer was muted (nothing is forwarded meanwhile) or unmuted: video restarts at the
  // next keyframe, the allocator re-plans at once.
  void OnProducerMuted(bool muted);

  // The payload types this consumer sends for a publisher media payload type: kNone / nullopt
  // when the subscriber did not negotiate it (or its RTX).
  uint8_t OutgoingPayloadType(uint8_t publisher_payload_type) const;
  std::optional<uint8_t> OutgoingRtxPayloadType(uint8_t publisher_payload_type) const;

  // The subscriber asked for a keyframe (PLI/FIR for our SSRC).
  void OnKeyframeRequest();
  // The subscriber NACKed `sequence_number` (ours): resend it from the producer's cache, as
  // RTX when negotiated (RFC 4588), else in the original stream. False if it is gone, or if
  // it was already resent less than one round trip ago: that copy may still be on its way (a
  // receiver re-NACKs on its own timer, not knowing our path's queueing delay), and resending
  // again only feeds a congested link (libwebrtc's RtpPacketHistory and mediasoup do the same).
  bool Retransmit(uint16_t sequence_number, std::span<uint8_t> scratch);
  // Round trip to the subscriber (from its receiver reports); kDefaultRtt until measured.
  static constexpr transport::Duration kDefaultRtt = std::chrono::milliseconds(100);
  void set_rtt(transport::Duration rtt) { rtt_ = rtt; }
  // A padding-only packet on our RTX stream for bandwidth probing; false without RTX.
  bool SendPadding(size_t padding_size, std::span<uint8_t> scratch);

  // For sender reports (RFC 3550 §6.4.1): the RTP timestamp that corresponds to `now`.
  bool has_sent() const { return packets_sent_ > 0; }
  uint32_t RtpTimestampAt(transport::Timestamp now) const;
  uint64_t packets_sent() const { return packets_sent_; }
  size_t sent_history_capacity() const { return sent_ ? size_t{sent_mask_} + 1 : 0; }
  uint64_t octets_sent() const { return octets_sent_; }
  uint64_t retransmissions_sent() const { return retransmissions_sent_; }
  uint64_t retransmissions_suppressed() const { return retransmissions_suppressed_; }

 private:
  struct SentPacket {
    int32_t output_sequence = -1;  // -1 = empty slot
    uint16_t input_sequence = 0;
    uint8_t encoding = 0;
    bool has_vp8 = false;
    uint32_t output_timestamp = 0;
    Vp8Output vp8;
    bool retransmitted = false;
    transport::Timestamp retransmitted_at;
  };
  // What a NACK can still be answered for: no more than the producer's packet cache holds
  // (sfu/producer.cc), so the subscriber's memory is not spent on what could not be resent.
  // Video starts at kInitialVideoSentHistory and doubles, like the packet cache, only when it
  // would overwrite a packet sent less than a second of media time ago: a 180 pkt/s layer
  // settles at 256 entries (8 KB), a 50 pkt/s one stays at 128. Audio keeps none: subscribers
  // are offered no NACK for audio (sfu/subscriber.cc; Opus conceals loss and libwebrtc does
  // not NACK it by default), so nothing could ask for a resend.
  static constexpr size_t kVideoSentHistory = 512;
  static constexpr size_t kInitialVideoSentHistory = 128;
  static constexpr uint32_t kVideoClockRate = 90000;  // Every video payload format in WebRTC.

  // Doubles sent_ (at most kVideoSentHistory), keeping every entry.
  void GrowSentHistory();
  bool Send(const rtc::RtpPacketView& packet, uint16_t sequence_number, uint32_t timestamp,
            const rtc::Vp8PayloadDescriptor* vp8, const Vp8Output* vp8_out,
            std::span<uint8_t> scratch, bool retransmission);

  Producer& producer_;
  ConsumerSink& sink_;
  DropCounters& drops_;
  const transport::Clock& clock_;
  const ConsumerOptions options_;
  const bool is_video_;
  LayerTarget target_;
  SimulcastForwarder forwarder_;
  RtpSequenceRewriter rewriter_;
  Vp8Rewriter vp8_rewriter_;
  int current_encoding_ = -1;
  uint16_t rtx_sequence_ = 0;
  std::unique_ptr<SentPacket[]> sent_;  // Video: sent_mask_ + 1 entries, a power of two. Audio: null.
  uint16_t sent_mask_ = 0;
  uint64_t packets_sent_ = 0;
  uint64_t octets_sent_ = 0;
  uint64_t retransmissions_sent_ = 0;
  uint64_t retransmissions_suppressed_ = 0;
  transport::Duration rtt_ = kDefaultRtt;
  uint32_t last_timestamp_ = 0;
  transport::Timestamp last_timestamp_time_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_CONSUMER_H_
