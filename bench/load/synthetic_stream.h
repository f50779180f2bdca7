#ifndef SWITCHYARD_BENCH_LOAD_SYNTHETIC_STREAM_H_
#define SWITCHYARD_BENCH_LOAD_SYNTHETIC_STREAM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "transport/clock.h"

namespace switchyard::bench {

// Synthetic media shaped like what Chromium sends, without codecs: the right packet sizes,
// rates, frame structure and codec headers for the SFU to parse, and a PayloadStamp trailer in
// every packet (bench/load/payload_stamp.h). Pure packet generators: they own no socket, read
// time only from the `now` they are given, and write every packet into one reused buffer (no
// allocation per packet). The caller encrypts and sends each packet before the next Poll.

// The sources' packet buffer. Every packet handed to a sink is followed by at least
// kSinkSpareBytes writable bytes of that buffer, so the sink may SRTP-protect it in place
// (transport::SrtpTransform::kMaxTrailer is 20).
inline constexpr size_t kMaxSyntheticPacketSize = 1400;
inline constexpr size_t kSinkSpareBytes = 32;

struct VideoEncodingConfig {
  std::string rid;  // empty: a single, non-simulcast stream (no rid extension written)
  int width = 0;
  int height = 0;
  uint64_t bitrate_bps = 0;
  uint32_t ssrc = 0;
};

// Chromium's three simulcast encodings for a 1280x720 capture, lowest first, as the demo page
// configures them (api/web/publisher.js), with the top layer at a typical 1.7 Mbps.
std::vector<VideoEncodingConfig> DefaultSimulcastEncodings();

struct VideoSourceConfig {
  std::vector<VideoEncodingConfig> encodings = DefaultSimulcastEncodings();
  int frames_per_second = 30;
  // A keyframe every this often per encoding (LiveKit's load tester: ~3 s), and at the next
  // frame after RequestKeyframe.
  transport::Duration keyframe_interval = std::chrono::seconds(3);
  // A keyframe is this many times a delta frame's size; delta frames are sized so that the
  // average bitrate over a keyframe interval is the encoding's bitrate.
  int keyframe_size_factor = 5;
  // Delta frame sizes vary uniformly by +-this fraction around their mean (deterministic).
  double size_variation = 0.25;
  // VP8 temporal layers per encoding: 1 (L1T1) or 2..3 (L1T2/L1T3 with TL0PICIDX, TID and Y
  // in the payload descriptor, RFC 7741 §4.2, pattern 0-2-1-2 as libwebrtc).
  int temporal_layers = 3;
  size_t max_packet_size = 1180;  // whole RTP packet; with SRTP's 16-byte tag under 1200
  uint8_t payload_type = 96;
  // RFC 8285 one-byte extension ids as negotiated (0 = not written).
  uint8_t mid_id = 4;
  uint8_t rid_id = 10;
  std::string mid = "1";
  uint32_t source = 0;  // PayloadStamp::source
  uint64_t seed = 1;
};

// VP8 video, one or more (simulcast) encodings. Each frame of each encoding is split into
// packets of at most max_packet_size bytes with an RFC 7741 payload descriptor (X, S, 15-bit
// picture id, and with temporal layers L/T fields); the first packet of a frame starts with
// the RFC 6386 frame tag (keyframes: start code and the encoding's width/height, which the SFU
// uses to rank the encodings); the last has the RTP marker bit. Every packet carries the mid
// and rid header extensions, like Chromium before the SFU acknowledges them.
class VideoSource {
 public:
  using PacketSink = absl::FunctionRef<void(size_t encoding, std::span<uint8_t> packet)>;

  struct EncodingStats {
    uint64_t frames = 0;
    uint64_t keyframes = 0;
    uint64_t packets = 0;
    uint64_t payload_bytes = 0;  // RTP payload bytes (RTCP SR octet count)
    uint64_t packet_bytes = 0;   // whole RTP packets
    uint32_t last_rtp_timestamp = 0;
    size_t max_packet_size = 0;
  };

  explicit VideoSource(VideoSourceConfig config);

  // The first frame is due at `start`.
  void Start(transport::Timestamp start);
  bool started() const { return start_.has_value(); }
  // Builds and hands to `sink` every packet of every frame due at or before `now`, in frame
  // order (for each frame: the encodings lowest first). More than kMaxFramesBehind frames
  // behind (the thread stalled), the late frames are skipped rather than sent as a burst.
  void Poll(transport::Timestamp now, PacketSink sink);
  std::optional<transport::Timestamp> NextFrameTime() const;
  // The next frame of `encoding` is a keyframe (PLI/FIR for its SSRC).
  void RequestKeyframe(size_t encoding);

  // RTP timestamp of `encoding` at `now` (for sender reports).
  uint32_t RtpTimestampAt(size_t encoding, transport::Timestamp now) const;
  const VideoSourceConfig& config() const { return config_; }
  const EncodingStats& stats(size_t encoding) const { return encodings_[encoding].stats; }
  uint64_t skipped_frames() const { return skipped_frames_; }

  static constexpr uint64_t kMaxFramesBehind = 5;
  static constexpr uint32_t kClockRate = 90000;

 private:
  struct Encoding {
    uint16_t sequence_number = 0;
    uint32_t timestamp_base = 0;
    uint16_t picture_id = 0;
    uint8_t tl0_pic_idx = 0;
    uint32_t stamp_sequence = 0;
    uint64_t frames_since_keyframe = 0;
    bool keyframe_requested = false;
    std::optional<transport::Timestamp> last_keyframe;
    EncodingStats stats;
  };

  void EmitFrame(size_t index, uint64_t frame_index, PacketSink sink);
  size_t WriteHeader(size_t index, bool marker, uint32_t timestamp);
  uint64_t NextRandom();

  VideoSourceConfig config_;
  std::vector<Encoding> encodings_;
  std::optional<transport::Timestamp> start_;
  uint64_t next_frame_index_ = 0;
  uint64_t skipped_frames_ = 0;
  uint64_t rng_;
  std::array<uint8_t, kMaxSyntheticPacketSize> buffer_{};
};

struct AudioSourceConfig {
  uint32_t ssrc = 0;
  uint8_t payload_type = 111;
  int packets_per_second = 50;  // 20 ms Opus frames
  size_t min_payload = 60;      // Opus payload bytes (TOC + frame), stamp included
  size_t max_payload = 120;
  uint8_t audio_level_id = 1;   // RFC 6464, 0 = not written
  uint8_t mid_id = 4;
  std::string mid = "0";
  uint32_t source = 0;
  uint64_t seed = 1;
  // The RFC 6464 level alternates between speaking (voice activity, this -dBov level) and
  // silence (127) every talk_period, phase-shifted by `source`, so that the SFU's active
  // speaker detection has something to do.
  uint8_t speaking_level = 30;
  transport::Duration talk_period = std::chrono::seconds(3);
};

// Opus-shaped audio: packets_per_second packets of min..max payload bytes (uniform,
// deterministic), a TOC byte (CELT fullband 20 ms, mono), the audio level and mid extensions.
class AudioSource {
 public:
  using PacketSink = absl::FunctionRef<void(std::span<uint8_t> packet)>;

  struct Stats {
    uint64_t packets = 0;
    uint64_t payload_bytes = 0;
    uint64_t packet_bytes = 0;
    uint32_t last_rtp_timestamp = 0;
    size_t min_packet_size = 0;
    size_t max_packet_size = 0;
  };

  explicit AudioSource(AudioSourceConfig config);

  void Start(transport::Timestamp start);
  bool started() const { return start_.has_value(); }
  void Poll(transport::Timestamp now, PacketSink sink);
  std::optional<transport::Timestamp> NextPacketTime() const;
  uint32_t RtpTimestampAt(transport::Timestamp now) const;
  const AudioSourceConfig& config() const { return config_; }
  const Stats& stats() const { return stats_; }

  static constexpr uint32_t kClockRate = 48000;
  static constexpr uint64_t kMaxPacketsBehind = 10;

 private:
  AudioSourceConfig config_;
  std::optional<transport::Timestamp> start_;
  uint64_t next_index_ = 0;
  uint16_t sequence_number_;
  uint32_t timestamp_base_;
  uint32_t stamp_sequence_ = 0;
  uint64_t rng_;
  Stats stats_;
  std::array<uint8_t, kMaxSyntheticPacketSize> buffer_{};
};

// Writes an RTP fixed header (V=2, no CSRC) followed, when any element is given, by an RFC 8285
// one-byte-header extension block holding the elements (id, data) in order, zero-padded to 32
// bits. Returns the header size, or 0 when `out` is too small or an element is invalid (id
// outside 1..14, data empty or longer than 16 bytes).
struct RtpHeaderExtensionElement {
  uint8_t id = 0;
  std::span<const uint8_t> data;
};
size_t WriteRtpHeader(std::span<uint8_t> out, uint8_t payload_type, bool marker,
                      uint16_t sequence_number, uint32_t timestamp, uint32_t ssrc,
                      std::span<const RtpHeaderExtensionElement> elements);

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_SYNTHETIC_STREAM_H_
