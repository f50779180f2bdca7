#ifndef SWITCHYARD_TESTS_SFU_SIMULCAST_PUBLISHER_PEER_H_
#define SWITCHYARD_TESTS_SFU_SIMULCAST_PUBLISHER_PEER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sfu/ntp_time.h"
#include "tests/sfu/test_peer.h"
#include "transport/clock.h"

namespace switchyard::sfu::testing {

// Every synthetic video packet ends with this tag, so a receiver can tell which simulcast
// layer (and frame) a forwarded packet came from although the SFU rewrote SSRC, sequence
// number, timestamp and picture id. The SFU never touches payload bytes past the VP8
// payload descriptor.
struct SyntheticTag {
  int layer = 0;             // index into SimulcastPublisherOptions::layers
  uint32_t frame = 0;        // frame number of that layer
  uint8_t packet_index = 0;  // position within the frame
};
inline constexpr size_t kSyntheticTagSize = 8;
std::optional<SyntheticTag> ParseSyntheticTag(std::span<const uint8_t> payload);

struct SimulcastLayerConfig {
  std::string rid;
  uint32_t ssrc = 0;
  uint32_t rtx_ssrc = 0;
  int width = 0;
  int height = 0;
  uint64_t bitrate_bps = 0;
};

struct SimulcastPublisherOptions {
  // Lowest first, as Chromium lists them.
  std::vector<SimulcastLayerConfig> layers = {
      {"q", 0x51000001, 0x52000001, 320, 180, 150'000},
      {"h", 0x51000002, 0x52000002, 640, 360, 500'000},
      {"f", 0x51000003, 0x52000003, 1280, 720, 1'500'000},
  };
  int frames_per_second = 30;
  size_t max_packet_size = 1200;  // whole RTP packet (header + extensions + payload)
  transport::Duration keyframe_interval = std::chrono::seconds(2);
  // Keyframes are this many times a delta frame's size (they are in real encoders too).
  int keyframe_size_factor = 2;
  transport::Duration sender_report_interval = std::chrono::seconds(1);
  std::string stream_id = "simulcast-stream";
  std::string cname = "simulcast-publisher";
  // RFC 8285 one-byte header extension ids of the offer.
  uint8_t mid_id = 4;
  uint8_t rid_id = 10;
  uint8_t repaired_rid_id = 11;
  uint8_t transport_sequence_id = 3;
  size_t history_per_layer = 1024;  // packets kept per layer to answer NACKs
};

// A synthetic Chromium-like simulcast sender on a TestPeer: one video m-line with RFC 8853
// rid-based simulcast (a=rid / a=simulcast, no a=ssrc lines: the SFU learns each SSRC from the
// mid + rid header extensions and each RTX SSRC from mid + repaired-rid, RFC 8852), VP8 with
// RTX (RFC 4588).
//
// Media: each layer sends frames at its bitrate and frame rate, split into packets of at most
// max_packet_size bytes (the layers' packets of one capture instant interleaved, as a pacer
// sends them), with RFC 7741 payload descriptors (15-bit picture id per layer) and an RFC 6386
// frame header in the first packet of every frame (keyframes with start code and the layer's
// width/height). A keyframe goes out every keyframe_interval and at the next frame of a layer
// after a PLI or FIR for its SSRC. NACKed packets are resent on the layer's RTX stream. Sender
// reports every sender_report_interval.
//
// Installs itself as the peer's RTCP observer. Test code, single-threaded.
class SimulcastPublisherPeer {
 public:
  struct LayerStats {
    uint64_t frames = 0;
    uint64_t keyframes = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t plis = 0;
    uint64_t firs = 0;
    uint64_t nacked = 0;         // sequence numbers NACKed
    uint64_t retransmitted = 0;  // RTX packets sent for them
  };

  SimulcastPublisherPeer(TestPeer& peer, const transport::Clock& clock,
                         SimulcastPublisherOptions options = {});
  ~SimulcastPublisherPeer();
  SimulcastPublisherPeer(const SimulcastPublisherPeer&) = delete;
  SimulcastPublisherPeer& operator=(const SimulcastPublisherPeer&) = delete;

  // The sendonly video offer (our ICE credentials, fingerprint, a=setup:actpass).
  std::string CreateOffer() const;

  // Starts the frame clock at the next Tick (call once the peer is connected).
  void Start();
  // Sends every frame (and sender report) that is due.
  void Tick();
  // When the next frame is due; nullopt before Start().
  std::optional<transport::Timestamp> NextFrameTime() const;

  const SimulcastPublisherOptions& options() const { return options_; }
  const LayerStats& stats(size_t layer) const { return layers_[layer].stats; }
  uint64_t transport_packets_sent() const { return transport_sequence_; }

 private:
  struct SentPacket {
    int32_t sequence = -1;  // -1 = empty
    uint32_t timestamp = 0;
    bool marker = false;
    std::vector<uint8_t> payload;
  };
  struct Layer {
    uint16_t sequence = 0;
    uint16_t rtx_sequence = 0;
    uint32_t timestamp_base = 0;
    uint16_t picture_id = 0;
    uint32_t frame = 0;
    bool keyframe_requested = false;
    std::optional<transport::Timestamp> last_keyframe;
    std::vector<SentPacket> history;
    LayerStats stats;
  };

  void OnRtcp(std::span<const uint8_t> compound);
  // The RTP packets of one frame of `layer` (recorded for retransmission, not sent yet).
  std::vector<std::vector<uint8_t>> BuildFrame(size_t layer, uint64_t frame_index);
  void Retransmit(size_t layer, uint16_t sequence_number);
  void SendSenderReports(transport::Timestamp now);
  uint32_t RtpTimestampAt(const Layer& layer, transport::Timestamp now) const;
  // RTP header with mid, rid (or repaired rid) and transport-wide sequence number extensions.
  void WriteHeader(std::vector<uint8_t>& out, uint8_t payload_type, bool marker,
                   uint16_t sequence_number, uint32_t timestamp, uint32_t ssrc,
                   const std::string& rid, bool repaired);

  TestPeer& peer_;
  const transport::Clock& clock_;
  const SimulcastPublisherOptions options_;
  NtpClock ntp_;
  std::string mid_ = "0";
  std::vector<Layer> layers_;
  uint16_t transport_sequence_ = 0;
  std::optional<transport::Timestamp> start_;
  bool start_requested_ = false;
  uint64_t next_frame_index_ = 0;
  std::optional<transport::Timestamp> last_sender_report_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_SIMULCAST_PUBLISHER_PEER_H_
