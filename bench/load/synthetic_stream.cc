#include "bench/load/synthetic_stream.h"

#include <algorithm>
#include <cstring>

#include "bench/load/payload_stamp.h"
#include "transport/byte_io.h"

namespace switchyard::bench {

namespace {

// RFC 7741 §4.2 descriptor we write: X; I with M (15-bit picture id); with temporal layers also
// L (TL0PICIDX) and T (TID, Y).
constexpr size_t kDescriptorSizeNoTemporal = 4;
constexpr size_t kDescriptorSizeTemporal = 6;
// RFC 6386 §9.1: 3-byte frame tag; a keyframe adds the start code and 2+2 bytes of size.
constexpr size_t kFrameTagSize = 3;
constexpr size_t kKeyframeHeaderSize = 10;
// The smallest frame we build: a keyframe header and a little data.
constexpr size_t kMinFrameBytes = kKeyframeHeaderSize + 16;

// splitmix64: a small, fast, deterministic generator for sizes (not for anything secret).
uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [-1, 1].
double UnitRandom(uint64_t& state) {
  return static_cast<double>(SplitMix(state) >> 11) / static_cast<double>(1ull << 53) * 2.0 - 1.0;
}

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

int64_t MicrosSince(transport::Timestamp start, transport::Timestamp t) {
  return (t - start).count();
}

}  // namespace

std::vector<VideoEncodingConfig> DefaultSimulcastEncodings() {
  return {
      {"q", 320, 180, 150'000, 0},
      {"h", 640, 360, 500'000, 0},
      {"f", 1280, 720, 1'700'000, 0},
  };
}

size_t WriteRtpHeader(std::span<uint8_t> out, uint8_t payload_type, bool marker,
                      uint16_t sequence_number, uint32_t timestamp, uint32_t ssrc,
                      std::span<const RtpHeaderExtensionElement> elements) {
  constexpr size_t kFixed = 12;
  size_t elements_size = 0;
  for (const auto& e : elements) {
    if (e.id < 1 || e.id > 14 || e.data.empty() || e.data.size() > 16) return 0;
    elements_size += 1 + e.data.size();
  }
  const size_t padded = (elements_size + 3) / 4 * 4;
  const size_t total = kFixed + (elements.empty() ? 0 : 4 + padded);
  if (out.size() < total) return 0;
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(0x80 | (elements.empty() ? 0 : 0x10));  // V=2, X
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7F));
  transport::StoreBe16(p + 2, sequence_number);
  transport::StoreBe32(p + 4, timestamp);
  transport::StoreBe32(p + 8, ssrc);
  if (elements.empty()) return total;
  transport::StoreBe16(p + 12, 0xBEDE);  // RFC 8285 §4.2 one-byte header
  transport::StoreBe16(p + 14, static_cast<uint16_t>(padded / 4));
  size_t pos = 16;
  for (const auto& e : elements) {
    p[pos++] = static_cast<uint8_t>((e.id << 4) | (e.data.size() - 1));
    std::memcpy(p + pos, e.data.data(), e.data.size());
    pos += e.data.size();
  }
  while (pos < total) p[pos++] = 0;
  return total;
}

VideoSource::VideoSource(VideoSourceConfig config)
    : config_(std::move(config)), rng_(config_.seed * 0x2545F4914F6CDD1Dull + 1) {
  config_.temporal_layers = std::clamp(config_.temporal_layers, 1, 3);
  config_.frames_per_second = std::max(config_.frames_per_second, 1);
  config_.keyframe_size_factor = std::max(config_.keyframe_size_factor, 1);
  config_.max_packet_size =
      std::clamp<size_t>(config_.max_packet_size, 200, buffer_.size() - kSinkSpareBytes);
  encodings_.resize(config_.encodings.size());
  for (Encoding& e : encodings_) {
    // Independent encodings have unrelated numbering, as in Chromium.
    e.sequence_number = static_cast<uint16_t>(SplitMix(rng_));
    e.timestamp_base = static_cast<uint32_t>(SplitMix(rng_));
    e.picture_id = static_cast<uint16_t>(SplitMix(rng_) & 0x7FFF);
    e.tl0_pic_idx = static_cast<uint8_t>(SplitMix(rng_));
  }
}

void VideoSource::Start(transport::Timestamp start) {
  start_ = start;
  next_frame_index_ = 0;
}

std::optional<transport::Timestamp> VideoSource::NextFrameTime() const {
  if (!start_) return std::nullopt;
  return *start_ + transport::Duration(static_cast<int64_t>(next_frame_index_) * 1'000'000 /
                                       config_.frames_per_second);
}

void VideoSource::RequestKeyframe(size_t encoding) {
  if (encoding < encodings_.size()) encodings_[encoding].keyframe_requested = true;
}

uint32_t VideoSource::RtpTimestampAt(size_t encoding, transport::Timestamp now) const {
  const int64_t elapsed_us = start_ ? MicrosSince(*start_, now) : 0;
  return encodings_[encoding].timestamp_base +
         static_cast<uint32_t>(elapsed_us * int64_t{kClockRate} / 1'000'000);
}

uint64_t VideoSource::NextRandom() { return SplitMix(rng_); }

void VideoSource::Poll(transport::Timestamp now, PacketSink sink) {
  if (!start_ || now < *start_) return;
  const uint64_t due = static_cast<uint64_t>(MicrosSince(*start_, now)) *
                           static_cast<uint64_t>(config_.frames_per_second) / 1'000'000 +
                       1;
  if (due > next_frame_index_ + kMaxFramesBehind) {
    skipped_frames_ += due - 1 - next_frame_index_;
    next_frame_index_ = due - 1;
  }
  while (next_frame_index_ < due) {
    for (size_t i = 0; i < encodings_.size(); ++i) EmitFrame(i, next_frame_index_, sink);
    ++next_frame_index_;
  }
}

size_t VideoSource::WriteHeader(size_t index, bool marker, uint32_t timestamp) {
  const VideoEncodingConfig& enc = config_.encodings[index];
  std::array<RtpHeaderExtensionElement, 2> elements;
  size_t count = 0;
  if (config_.mid_id != 0 && !config_.mid.empty()) {
    elements[count++] = {config_.mid_id, AsBytes(config_.mid)};
  }
  if (config_.rid_id != 0 && !enc.rid.empty()) elements[count++] = {config_.rid_id, AsBytes(enc.rid)};
  return WriteRtpHeader(buffer_, config_.payload_type, marker,
                        encodings_[index].sequence_number++, timestamp, enc.ssrc,
                        std::span<const RtpHeaderExtensionElement>(elements.data(), count));
}

void VideoSource::EmitFrame(size_t index, uint64_t frame_index, PacketSink sink) {
  Encoding& e = encodings_[index];
  const VideoEncodingConfig& enc = config_.encodings[index];
  const transport::Timestamp frame_time =
      *start_ + transport::Duration(static_cast<int64_t>(frame_index) * 1'000'000 /
                                    config_.frames_per_second);
  const bool keyframe = e.keyframe_requested || !e.last_keyframe ||
                        frame_time - *e.last_keyframe >= config_.keyframe_interval;
  if (keyframe) {
    e.keyframe_requested = false;
    e.last_keyframe = frame_time;
    e.frames_since_keyframe = 0;
    ++e.stats.keyframes;
  }
  // Temporal layer of this frame: L1T3 repeats TL0, TL2, TL1, TL2 (L1T2: TL0, TL1); keyframes
  // restart the pattern. Y (layer sync) marks the frames that reference only TL0.
  int tid = 0;
  bool layer_sync = false;
  if (config_.temporal_layers == 3) {
    static constexpr int kPattern[4] = {0, 2, 1, 2};
    const uint64_t k = e.frames_since_keyframe % 4;
    tid = kPattern[k];
    layer_sync = k == 1 || k == 2;
  } else if (config_.temporal_layers == 2) {
    tid = static_cast<int>(e.frames_since_keyframe % 2);
    layer_sync = tid == 1;
  }
  // TL0PICIDX counts TL0 frames (keyframes included).
  if (tid == 0 && e.stats.frames > 0) e.tl0_pic_idx = static_cast<uint8_t>(e.tl0_pic_idx + 1);

  // Frame size: an interval's worth of bytes over (frames - 1) deltas and one keyframe worth
  // keyframe_size_factor deltas.
  const double interval_s =
      std::chrono::duration<double>(config_.keyframe_interval).count();
  const double frames_per_interval = std::max(1.0, interval_s * config_.frames_per_second);
  const double bytes_per_interval = static_cast<double>(enc.bitrate_bps) / 8.0 * interval_s;
  const double mean_delta =
      bytes_per_interval / (frames_per_interval - 1.0 + config_.keyframe_size_factor);
  double frame_bytes_f = keyframe ? mean_delta * config_.keyframe_size_factor
                                  : mean_delta * (1.0 + config_.size_variation * UnitRandom(rng_));
  const size_t frame_bytes = std::max(kMinFrameBytes, static_cast<size_t>(frame_bytes_f));

  const uint32_t timestamp =
      e.timestamp_base +
      static_cast<uint32_t>(MicrosSince(*start_, frame_time) * int64_t{kClockRate} / 1'000'000);
  const size_t descriptor_size =
      config_.temporal_layers > 1 ? kDescriptorSizeTemporal : kDescriptorSizeNoTemporal;
  // Header size is the same for every packet of the encoding; learn it once per frame.
  const uint16_t saved_sequence = e.sequence_number;
  const size_t header_size = WriteHeader(index, false, timestamp);
  e.sequence_number = saved_sequence;
  const size_t per_packet =
      config_.max_packet_size - header_size - descriptor_size - kPayloadStampSize;
  const size_t packets = (frame_bytes + per_packet - 1) / per_packet;
  size_t remaining = frame_bytes;
  for (size_t p = 0; p < packets; ++p) {
    const size_t chunk = remaining / (packets - p);
    remaining -= chunk;
    const bool first = p == 0;
    const bool last = p + 1 == packets;
    const size_t h = WriteHeader(index, last, timestamp);
    uint8_t* d = buffer_.data() + h;
    // Payload descriptor.
    d[0] = static_cast<uint8_t>(0x80 | (first ? 0x10 : 0x00));  // X, S, PID 0
    d[1] = static_cast<uint8_t>(0x80 | (config_.temporal_layers > 1 ? 0x60 : 0x00));  // I (L, T)
    d[2] = static_cast<uint8_t>(0x80 | ((e.picture_id >> 8) & 0x7F));                // M=1
    d[3] = static_cast<uint8_t>(e.picture_id & 0xFF);
    if (config_.temporal_layers > 1) {
      d[4] = e.tl0_pic_idx;
      d[5] = static_cast<uint8_t>((tid << 6) | (layer_sync ? 0x20 : 0x00));
    }
    uint8_t* data = d + descriptor_size;
    size_t written = 0;
    if (first) {
      // RFC 6386 §9.1 frame tag: bit 0 P (0 = key frame), bits 1-3 version, bit 4 show_frame.
      data[0] = keyframe ? 0x10 : 0x11;
      data[1] = 0x02;
      data[2] = 0x00;
      written = kFrameTagSize;
      if (keyframe) {
        data[3] = 0x9d;
        data[4] = 0x01;
        data[5] = 0x2a;
        data[6] = static_cast<uint8_t>(enc.width & 0xFF);
        data[7] = static_cast<uint8_t>((enc.width >> 8) & 0x3F);
        data[8] = static_cast<uint8_t>(enc.height & 0xFF);
        data[9] = static_cast<uint8_t>((enc.height >> 8) & 0x3F);
        written = kKeyframeHeaderSize;
      }
    }
    if (chunk > written) {
      std::memset(data + written, static_cast<int>(frame_index & 0xFF), chunk - written);
      written = chunk;
    }
    PayloadStamp stamp;
    stamp.source = config_.source;
    stamp.sequence = e.stamp_sequence++;
    stamp.encoding = static_cast<uint8_t>(index);
    stamp.keyframe = keyframe;
    const size_t payload_size = descriptor_size + written + kPayloadStampSize;
    WritePayloadStamp(std::span<uint8_t>(data + written, kPayloadStampSize), stamp);
    const size_t length = h + payload_size;
    ++e.stats.packets;
    e.stats.payload_bytes += payload_size;
    e.stats.packet_bytes += length;
    e.stats.max_packet_size = std::max(e.stats.max_packet_size, length);
    sink(index, std::span<uint8_t>(buffer_.data(), length));
  }
  e.stats.last_rtp_timestamp = timestamp;
  ++e.stats.frames;
  ++e.frames_since_keyframe;
  e.picture_id = static_cast<uint16_t>((e.picture_id + 1) & 0x7FFF);
}

AudioSource::AudioSource(AudioSourceConfig config)
    : config_(std::move(config)), rng_(config_.seed * 0x9E3779B97F4A7C15ull + 7) {
  config_.packets_per_second = std::max(config_.packets_per_second, 1);
  config_.min_payload = std::max<size_t>(config_.min_payload, 1 + kPayloadStampSize);
  config_.max_payload = std::clamp<size_t>(config_.max_payload, config_.min_payload, 1000);
  sequence_number_ = static_cast<uint16_t>(SplitMix(rng_));
  timestamp_base_ = static_cast<uint32_t>(SplitMix(rng_));
}

void AudioSource::Start(transport::Timestamp start) {
  start_ = start;
  next_index_ = 0;
}

std::optional<transport::Timestamp> AudioSource::NextPacketTime() const {
  if (!start_) return std::nullopt;
  return *start_ + transport::Duration(static_cast<int64_t>(next_index_) * 1'000'000 /
                                       config_.packets_per_second);
}

uint32_t AudioSource::RtpTimestampAt(transport::Timestamp now) const {
  const int64_t elapsed_us = start_ ? MicrosSince(*start_, now) : 0;
  return timestamp_base_ + static_cast<uint32_t>(elapsed_us * int64_t{kClockRate} / 1'000'000);
}

void AudioSource::Poll(transport::Timestamp now, PacketSink sink) {
  if (!start_ || now < *start_) return;
  const uint64_t due = static_cast<uint64_t>(MicrosSince(*start_, now)) *
                           static_cast<uint64_t>(config_.packets_per_second) / 1'000'000 +
                       1;
  if (due > next_index_ + kMaxPacketsBehind) next_index_ = due - 1;
  const uint32_t samples_per_packet =
      kClockRate / static_cast<uint32_t>(config_.packets_per_second);
  while (next_index_ < due) {
    const uint64_t index = next_index_++;
    const int64_t at_us = static_cast<int64_t>(index) * 1'000'000 / config_.packets_per_second;
    const uint32_t timestamp = timestamp_base_ + static_cast<uint32_t>(index) * samples_per_packet;
    // RFC 6464: bit 7 voice activity, bits 0-6 level in -dBov.
    const int64_t period_us = std::max<int64_t>(config_.talk_period.count(), 1);
    const bool speaking = ((at_us / period_us + config_.source) % 2) == 0;
    const uint8_t level =
        speaking ? static_cast<uint8_t>(0x80 | (config_.speaking_level & 0x7F)) : uint8_t{127};
    std::array<RtpHeaderExtensionElement, 2> elements;
    size_t count = 0;
    if (config_.audio_level_id != 0) elements[count++] = {config_.audio_level_id, {&level, 1}};
    if (config_.mid_id != 0 && !config_.mid.empty()) {
      elements[count++] = {config_.mid_id, AsBytes(config_.mid)};
    }
    const size_t h = WriteRtpHeader(buffer_, config_.payload_type, false, sequence_number_++,
                                    timestamp, config_.ssrc,
                                    std::span<const RtpHeaderExtensionElement>(elements.data(), count));
    const size_t span = config_.max_payload - config_.min_payload + 1;
    const size_t payload_size = config_.min_payload + static_cast<size_t>(SplitMix(rng_) % span);
    uint8_t* payload = buffer_.data() + h;
    payload[0] = 0xF8;  // TOC: config 31 (CELT FB 20 ms), mono, one frame (RFC 6716 §3.1)
    std::memset(payload + 1, static_cast<int>(index & 0xFF), payload_size - 1 - kPayloadStampSize);
    PayloadStamp stamp;
    stamp.source = config_.source;
    stamp.sequence = stamp_sequence_++;
    stamp.audio = true;
    WritePayloadStamp(std::span<uint8_t>(payload + payload_size - kPayloadStampSize,
                                         kPayloadStampSize),
                      stamp);
    const size_t length = h + payload_size;
    ++stats_.packets;
    stats_.payload_bytes += payload_size;
    stats_.packet_bytes += length;
    stats_.last_rtp_timestamp = timestamp;
    stats_.max_packet_size = std::max(stats_.max_packet_size, length);
    stats_.min_packet_size =
        stats_.min_packet_size == 0 ? length : std::min(stats_.min_packet_size, length);
    sink(std::span<uint8_t>(buffer_.data(), length));
  }
}

}  // namespace switchyard::bench
