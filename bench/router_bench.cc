// The router's per-packet cost: one sfu::Producer fanning a publisher's VP8 video out to N
// sfu::Consumers, each behind a ConsumerSink that does what sfu::Subscriber does minus the
// socket (SRTP-protect the rewritten copy with its own transport::SrtpTransform, record it in
// its own BandwidthEstimator), for both DTLS-SRTP profiles and without crypto; and the ingress
// side (SRTP unprotect, RTP parse, Producer::OnRtp to 10 consumers).
//
//   bench/router_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Counters: fwd/pkt = consumer copies sent per incoming packet; ns/fwd = CPU time per copy
// (shown in seconds with an SI prefix: "250n" is 250 ns); items_per_second = copies per
// second of one core; bytes_per_second = bytes of those copies as sent (SRTP trailer
// included). allocs/fwd and ssl_allocs/fwd = operator new and OpenSSL allocations per copy,
// counted around each timed iteration's work (the forwarding path must not allocate).
//
// Streams (Chromium-like, 30 fps, one keyframe every kGopFrames with keyframes 4x a delta
// frame, packets of at most 1200 bytes with abs-send-time, transport-cc and mid extensions):
// - single: one 1280x720 encoding at 2 Mbps, VP8 descriptor with a 15-bit picture id;
// - simulcast3: q/h/f at 320x180/640x360/1280x720, 150k/500k/1.5M, rid extension, and the
//   descriptor Chromium writes for three temporal layers (picture id, TL0PICIDX, TID/Y in the
//   pattern 0,2,1,2). Consumer i subscribes to spatial layer 2 - i % 3 (all temporal layers),
//   so N = 1 forwards f only, and every consumer also sees (and skips) the other layers.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "bench/allocation_counter.h"
#include "rtc/rtp_packet.h"
#include "rtc/session_description.h"
#include "sfu/bandwidth_estimator.h"
#include "sfu/consumer.h"
#include "sfu/drop_reason.h"
#include "sfu/producer.h"
#include "transport/byte_io.h"
#include "transport/clock.h"
#include "transport/srtp_transform.h"
#include "transport/udp_socket.h"


namespace switchyard::sfu {
namespace {

using transport::SrtpProfile;
using transport::StoreBe16;
using transport::StoreBe24;
using transport::StoreBe32;
using transport::Timestamp;

constexpr uint8_t kVp8PayloadType = 96;
constexpr uint8_t kVp8RtxPayloadType = 97;
// The publisher's extension ids (tests/fixtures/sdp/chromium_simulcast_offer.sdp).
constexpr uint8_t kAbsSendTimeId = 2;
constexpr uint8_t kTransportCcId = 3;
constexpr uint8_t kMidId = 4;
constexpr uint8_t kRidId = 10;
constexpr size_t kMaxPacketSize = 1200;
constexpr int kFramesPerSecond = 30;
constexpr uint32_t kTimestampStep = 90000 / kFramesPerSecond;
constexpr int kGopFrames = 120;  // a keyframe every 4 s (a multiple of the 4-frame TL pattern)
constexpr int kKeyframeFactor = 4;
constexpr int kTemporalPattern[4] = {0, 2, 1, 2};  // Chromium's 3-layer VP8 pattern

struct LayerSpec {
  const char* rid;  // empty: no rid extension (single encoding)
  uint32_t ssrc;
  int width;
  int height;
  uint64_t bitrate_bps;
};

enum class StreamKind { kSingle, kSimulcast3 };

std::vector<LayerSpec> Layers(StreamKind kind) {
  if (kind == StreamKind::kSingle) return {{"", 0x2f6a11c3, 1280, 720, 2'000'000}};
  return {{"q", 0x51000001, 320, 180, 150'000},
          {"h", 0x51000002, 640, 360, 500'000},
          {"f", 0x51000003, 1280, 720, 1'500'000}};
}

// One GOP of a publisher's packets in send order, replayed forever: every Next() patches the
// sequence number, timestamp, transport-wide sequence number, abs-send-time, picture id and
// TL0PICIDX of the next template in place so the stream continues as a live one would.
class VideoSource {
 public:
  struct Packet {
    int encoding;
    std::span<uint8_t> bytes;
    Timestamp time;
  };

  explicit VideoSource(StreamKind kind) : layers_(Layers(kind)) {
    const bool temporal = layers_.size() > 1;  // Chromium: 3 temporal layers with simulcast
    std::mt19937 rng(7);
    for (int frame = 0; frame < kGopFrames; ++frame) {
      int in_instant = 0;  // packets of this capture instant so far, across layers
      for (size_t l = 0; l < layers_.size(); ++l) {
        const LayerSpec& spec = layers_[l];
        const bool key = frame == 0;
        size_t frame_bytes = spec.bitrate_bps / 8 / kFramesPerSecond;
        if (key) frame_bytes *= kKeyframeFactor;
        Template probe = Header(spec, temporal);
        const size_t per_packet = kMaxPacketSize - probe.bytes.size();
        const size_t packets = (frame_bytes + per_packet - 1) / per_packet;
        size_t remaining = frame_bytes;
        for (size_t p = 0; p < packets; ++p) {
          const size_t size = remaining / (packets - p);
          remaining -= size;
          Template t = Header(spec, temporal);
          t.layer = static_cast<int>(l);
          t.frame = frame;
          t.in_instant = in_instant++;
          std::vector<uint8_t>& b = t.bytes;
          if (p + 1 == packets) b[1] |= 0x80;  // marker: last packet of the frame
          const size_t payload_start = t.vp8_offset;
          b[payload_start] |= p == 0 ? 0x10 : 0x00;  // S: start of partition 0
          if (temporal) {
            const int tid = kTemporalPattern[frame % 4];
            // Y on the first frame of TL1 and TL2 after the keyframe (they reference TL0 only).
            const bool sync = frame == 1 || frame == 2;
            b[payload_start + 5] = static_cast<uint8_t>((tid << 6) | (sync ? 0x20 : 0x00));
          }
          if (p == 0) {
            // RFC 6386 §9.1 frame tag (P bit 0 = key frame, show_frame), then for keyframes
            // the start code and the size.
            for (uint8_t v : {uint8_t(key ? 0x10 : 0x11), uint8_t{0x02}, uint8_t{0x00}}) {
              b.push_back(v);
            }
            if (key) {
              for (int v : {0x9d, 0x01, 0x2a, spec.width & 0xFF, (spec.width >> 8) & 0x3F,
                            spec.height & 0xFF, (spec.height >> 8) & 0x3F}) {
                b.push_back(static_cast<uint8_t>(v));
              }
            }
          }
          const size_t target = probe.bytes.size() + size;
          while (b.size() < target) b.push_back(static_cast<uint8_t>(rng()));
          templates_.push_back(std::move(t));
        }
      }
    }
    sequence_.resize(layers_.size());
    for (size_t l = 0; l < layers_.size(); ++l) sequence_[l] = static_cast<uint16_t>(1000 * l);
  }

  const std::vector<LayerSpec>& layers() const { return layers_; }
  size_t packets_per_gop() const { return templates_.size(); }
  size_t packets_per_gop(int layer) const {
    size_t n = 0;
    for (const Template& t : templates_) n += t.layer == layer;
    return n;
  }

  Packet Next() {
    Template& t = templates_[next_];
    const uint64_t frame = cycle_ * kGopFrames + static_cast<uint64_t>(t.frame);
    uint8_t* b = t.bytes.data();
    StoreBe16(&b[2], sequence_[t.layer]++);
    StoreBe32(&b[4], static_cast<uint32_t>(0x10000000u * static_cast<uint32_t>(t.layer) +
                                           frame * kTimestampStep));
    // The layers' packets of one capture instant go out 100 µs apart, as a pacer spaces them.
    const uint64_t us = kStartUs + frame * 1'000'000 / kFramesPerSecond +
                        static_cast<uint64_t>(t.in_instant) * 100;
    const Timestamp time{std::chrono::microseconds(us)};
    // abs-send-time: 6.18 fixed-point seconds, 24 bits.
    StoreBe24(&b[t.abs_send_time_offset],
              static_cast<uint32_t>(((us << 18) / 1'000'000) & 0xFFFFFF));
    StoreBe16(&b[t.transport_cc_offset], ++transport_sequence_);
    const uint16_t picture_id = static_cast<uint16_t>(frame & 0x7FFF);
    b[t.vp8_offset + 2] = static_cast<uint8_t>(0x80 | (picture_id >> 8));
    b[t.vp8_offset + 3] = static_cast<uint8_t>(picture_id);
    if (t.has_tl0) b[t.vp8_offset + 4] = static_cast<uint8_t>(frame / 4);
    Packet out{t.layer, std::span<uint8_t>(t.bytes), time};
    if (++next_ == templates_.size()) {
      next_ = 0;
      ++cycle_;
    }
    return out;
  }

 private:
  static constexpr uint64_t kStartUs = 1'000'000'000;

  struct Template {
    std::vector<uint8_t> bytes;
    int layer = 0;
    int frame = 0;
    int in_instant = 0;
    size_t abs_send_time_offset = 0;
    size_t transport_cc_offset = 0;
    size_t vp8_offset = 0;  // payload start
    bool has_tl0 = false;
  };

  // RTP header with one-byte extensions (RFC 8285 §4.2) and the VP8 payload descriptor
  // (RFC 7741 §4.2: X, I with M=1, and with temporal layers L and T); fields patched later.
  static Template Header(const LayerSpec& spec, bool temporal) {
    Template t;
    std::vector<uint8_t>& b = t.bytes;
    b.resize(rtc::kRtpFixedHeaderSize);
    b[0] = 0x90;  // V=2, X=1
    b[1] = kVp8PayloadType;
    StoreBe32(&b[8], spec.ssrc);
    std::vector<uint8_t> ext;
    const size_t ext_start = rtc::kRtpFixedHeaderSize + 4;
    auto add = [&](uint8_t id, size_t length, uint8_t fill) -> size_t {
      ext.push_back(static_cast<uint8_t>((id << 4) | (length - 1)));
      const size_t at = ext_start + ext.size();
      ext.insert(ext.end(), length, fill);
      return at;
    };
    t.abs_send_time_offset = add(kAbsSendTimeId, 3, 0);
    t.transport_cc_offset = add(kTransportCcId, 2, 0);
    add(kMidId, 1, '1');
    if (spec.rid[0] != '\0') add(kRidId, 1, static_cast<uint8_t>(spec.rid[0]));
    while (ext.size() % 4 != 0) ext.push_back(0);
    b.push_back(0xBE);
    b.push_back(0xDE);
    b.push_back(0);
    b.push_back(static_cast<uint8_t>(ext.size() / 4));
    b.insert(b.end(), ext.begin(), ext.end());
    t.vp8_offset = b.size();
    b.push_back(0x80);                             // X; S and PID set per packet
    b.push_back(temporal ? 0xE0 : 0x80);           // I (L, T)
    b.push_back(0x80);                             // M=1, picture id high bits
    b.push_back(0x00);                             // picture id low bits
    if (temporal) {
      b.push_back(0x00);  // TL0PICIDX
      b.push_back(0x00);  // TID Y KEYIDX
      t.has_tl0 = true;
    }
    return t;
  }

  std::vector<LayerSpec> layers_;
  std::vector<Template> templates_;
  std::vector<uint16_t> sequence_;
  uint16_t transport_sequence_ = 0;
  size_t next_ = 0;
  uint64_t cycle_ = 0;
};

ProducerParams VideoParams(const VideoSource& source) {
  ProducerParams params;
  params.track_id = "camera";
  params.kind = rtc::MediaKind::kVideo;
  params.mid = "1";
  for (const LayerSpec& spec : source.layers()) {
    EncodingParams encoding;
    encoding.rid = spec.rid;
    encoding.ssrc = spec.ssrc;
    encoding.rtx_ssrc = spec.ssrc + 0x01000000;
    params.encodings.push_back(encoding);
  }
  rtc::Codec vp8;
  vp8.payload_type = kVp8PayloadType;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  vp8.rtcp_fbs = {"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"};
  rtc::Codec rtx;
  rtx.payload_type = kVp8RtxPayloadType;
  rtx.name = "rtx";
  rtx.clock_rate = 90000;
  rtx.fmtp = "apt=96";
  params.codecs = {vp8, rtx};
  return params;
}

std::vector<uint8_t> KeyMaterial(SrtpProfile profile, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> key(profile == SrtpProfile::kAeadAes128Gcm ? 28 : 30);
  for (uint8_t& b : key) b = static_cast<uint8_t>(rng());
  return key;
}

// `seed` names the transport; the peer of (seed, sender) is (seed, !sender).
std::unique_ptr<transport::SrtpTransform> MakeSrtp(SrtpProfile profile, uint32_t seed,
                                                   bool sender) {
  std::vector<uint8_t> a = KeyMaterial(profile, 2 * seed);
  std::vector<uint8_t> b = KeyMaterial(profile, 2 * seed + 1);
  transport::SrtpKeyMaterial keys{profile, sender ? a : b, sender ? b : a};
  auto srtp = transport::SrtpTransform::Create(keys);
  if (!srtp.ok()) std::abort();
  return std::move(*srtp);
}

class NullOwner final : public Producer::Owner {
 public:
  void SendKeyframeRequest(int, std::optional<uint32_t>, bool) override { ++requests; }
  uint64_t requests = 0;
};

// sfu::Subscriber's sink minus the socket: protect in place, record for bandwidth estimation.
class BenchSink final : public ConsumerSink {
 public:
  BenchSink(const transport::Clock& clock, std::unique_ptr<transport::SrtpTransform> srtp)
      : clock_(clock), srtp_(std::move(srtp)), estimator_(clock) {}

  bool sink_connected() const override { return true; }
  uint16_t NextTransportSequenceNumber() override { return ++transport_sequence_; }
  bool SendRtpPacket(uint8_t* packet, size_t length, size_t capacity,
                     uint16_t transport_sequence_number) override {
    size_t out = length;
    if (srtp_ && srtp_->ProtectRtp(packet, length, capacity, out) != transport::SrtpError::kOk) {
      return false;
    }
    benchmark::DoNotOptimize(packet);
    estimator_.OnPacketSent(transport_sequence_number, length, clock_.Now());
    ++packets_;
    bytes_ += out;
    return true;
  }
  void OnLayersChanged() override {}

  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }

 private:
  const transport::Clock& clock_;
  std::unique_ptr<transport::SrtpTransform> srtp_;
  BandwidthEstimator estimator_;
  uint16_t transport_sequence_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
};

enum class SinkKind { kNone, kCm, kGcm };

// A producer with `consumers` subscribers, warmed up (every consumer forwarding its layer, every
// SRTP stream created) and checked: over one GOP every consumer forwards every packet of its
// layer and nothing is dropped.
class Router {
 public:
  Router(StreamKind stream, SinkKind sink, int consumers)
      : source_(stream), producer_(clock_, owner_, VideoParams(source_)) {
    for (int i = 0; i < consumers; ++i) {
      std::unique_ptr<transport::SrtpTransform> srtp;
      if (sink == SinkKind::kCm) srtp = MakeSrtp(SrtpProfile::kAes128CmSha1_80, 100 + i, true);
      if (sink == SinkKind::kGcm) srtp = MakeSrtp(SrtpProfile::kAeadAes128Gcm, 100 + i, true);
      sinks_.push_back(std::make_unique<BenchSink>(clock_, std::move(srtp)));
      ConsumerOptions options;
      options.ssrc = 0x10000 + static_cast<uint32_t>(i);
      options.rtx_ssrc = 0x20000 + static_cast<uint32_t>(i);
      options.mid = std::to_string(i);
      options.extensions.transport_sequence_id = 3;  // as sfu::Subscriber offers it
      consumers_.push_back(
          std::make_unique<Consumer>(producer_, *sinks_.back(), drops_, clock_, options));
      const int layers = static_cast<int>(source_.layers().size());
      const int spatial = layers == 1 ? 0 : layers - 1 - i % layers;
      consumers_.back()->SetTarget(LayerTarget{spatial, kMaxTemporalLayers - 1, 0});
    }
  }

  // Empty when ready, else what went wrong.
  std::string WarmUpAndCheck() {
    for (size_t i = 0; i < source_.packets_per_gop(); ++i) Feed();
    std::vector<uint64_t> before;
    for (const auto& sink : sinks_) before.push_back(sink->packets());
    const uint64_t drops_before = drops_.Total();
    for (size_t i = 0; i < source_.packets_per_gop(); ++i) Feed();
    if (drops_.Total() != drops_before) return "packets dropped after warm-up";
    for (size_t i = 0; i < consumers_.size(); ++i) {
      const int spatial = consumers_[i]->target().spatial;
      if (consumers_[i]->current_spatial() != spatial) return "consumer not on its layer";
      const size_t expected = source_.packets_per_gop(producer_.EncodingForSpatial(spatial));
      if (sinks_[i]->packets() - before[i] != expected) return "consumer missed packets";
    }
    return "";
  }

  // One incoming packet, as the publisher's receive path hands it over after SRTP.
  void Feed() {
    const VideoSource::Packet packet = source_.Next();
    clock_.Set(packet.time);
    const auto view = rtc::RtpPacketView::Parse(packet.bytes);
    if (!view) std::abort();
    producer_.OnRtp(packet.encoding, *view, /*retransmission=*/false, scratch_);
  }

  VideoSource& source() { return source_; }
  Producer& producer() { return producer_; }
  transport::FakeClock& clock() { return clock_; }
  std::span<uint8_t> scratch() { return scratch_; }
  uint64_t forwarded() const {
    uint64_t n = 0;
    for (const auto& sink : sinks_) n += sink->packets();
    return n;
  }
  uint64_t forwarded_bytes() const {
    uint64_t n = 0;
    for (const auto& sink : sinks_) n += sink->bytes();
    return n;
  }

 private:
  transport::FakeClock clock_;
  NullOwner owner_;
  DropCounters drops_;
  VideoSource source_;
  Producer producer_;
  std::vector<std::unique_ptr<BenchSink>> sinks_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  // As sfu::Worker's: one output buffer reused for every consumer's copy.
  std::array<uint8_t, transport::UdpSocket::kMaxDatagramSize + 64> scratch_{};
};

struct AllocationCount {
  uint64_t heap = 0;
  uint64_t ssl = 0;
};

void Report(benchmark::State& state, const Router& router, uint64_t forwarded_before,
            uint64_t bytes_before, const AllocationCount& allocations) {
  // Google Benchmark first runs a handful of iterations to size the run; with simulcast those
  // may all be packets of layers no consumer takes.
  const double forwarded = static_cast<double>(router.forwarded() - forwarded_before);
  if (forwarded == 0) return;
  state.SetItemsProcessed(static_cast<int64_t>(forwarded));
  state.SetBytesProcessed(static_cast<int64_t>(router.forwarded_bytes() - bytes_before));
  state.counters["fwd/pkt"] = forwarded / static_cast<double>(state.iterations());
  state.counters["ns/fwd"] =
      benchmark::Counter(forwarded, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs/fwd"] = static_cast<double>(allocations.heap) / forwarded;
  state.counters["ssl_allocs/fwd"] = static_cast<double>(allocations.ssl) / forwarded;
  if (!switchyard::bench::OpenSslAllocationsCounted()) state.SetLabel("OpenSSL allocations not counted");
}

// Per incoming packet: patch the next template, parse, Producer::OnRtp (fan-out to every
// consumer: forwarder decision, rewrite, VP8 rewrite, sink).
void BM_Forward(benchmark::State& state, StreamKind stream, SinkKind sink) {
  Router router(stream, sink, static_cast<int>(state.range(0)));
  if (std::string error = router.WarmUpAndCheck(); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const uint64_t forwarded_before = router.forwarded();
  const uint64_t bytes_before = router.forwarded_bytes();
  AllocationCount allocations;
  for (auto _ : state) {
    const uint64_t heap = switchyard::bench::OperatorNewCalls();
    const uint64_t ssl = switchyard::bench::OpenSslAllocations();
    router.Feed();
    allocations.heap += switchyard::bench::OperatorNewCalls() - heap;
    allocations.ssl += switchyard::bench::OpenSslAllocations() - ssl;
  }
  Report(state, router, forwarded_before, bytes_before, allocations);
}

// Ingress: SRTP unprotect in place (the receive buffer), parse, Producer::OnRtp to 10
// consumers. Packets are protected ahead of time by the publisher's transform in batches of
// kBatch, with the timer paused.
void BM_Ingress(benchmark::State& state, StreamKind stream, SrtpProfile profile, bool sink_crypto) {
  constexpr size_t kBatch = 1024;
  constexpr int kConsumers = 10;
  const SinkKind sink = !sink_crypto ? SinkKind::kNone
                        : profile == SrtpProfile::kAeadAes128Gcm ? SinkKind::kGcm
                                                                 : SinkKind::kCm;
  Router router(stream, sink, kConsumers);
  if (std::string error = router.WarmUpAndCheck(); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto publisher = MakeSrtp(profile, 1, /*sender=*/true);
  auto receiver = MakeSrtp(profile, 1, /*sender=*/false);
  struct Wire {
    std::array<uint8_t, kMaxPacketSize + transport::SrtpTransform::kMaxTrailer> bytes;
    size_t length;
    int encoding;
    Timestamp time;
  };
  std::vector<Wire> wire(kBatch);
  auto refill = [&] {
    for (Wire& w : wire) {
      const VideoSource::Packet packet = router.source().Next();
      std::copy(packet.bytes.begin(), packet.bytes.end(), w.bytes.begin());
      w.encoding = packet.encoding;
      w.time = packet.time;
      if (publisher->ProtectRtp(w.bytes.data(), packet.bytes.size(), w.bytes.size(), w.length) !=
          transport::SrtpError::kOk) {
        std::abort();
      }
    }
  };
  // One full batch untimed: the receiver's first packet of each SSRC allocates its stream.
  auto ingest = [&](Wire& w) {
    router.clock().Set(w.time);
    size_t length = 0;
    if (receiver->UnprotectRtp(w.bytes.data(), w.length, length) != transport::SrtpError::kOk) {
      return false;
    }
    const auto view = rtc::RtpPacketView::Parse(std::span<const uint8_t>(w.bytes.data(), length));
    if (!view) return false;
    router.producer().OnRtp(w.encoding, *view, /*retransmission=*/false, router.scratch());
    return true;
  };
  refill();
  for (Wire& w : wire) {
    if (!ingest(w)) std::abort();
  }
  refill();
  const uint64_t forwarded_before = router.forwarded();
  const uint64_t bytes_before = router.forwarded_bytes();
  AllocationCount allocations;
  uint64_t failures = 0;
  size_t next = 0;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      refill();
      next = 0;
      state.ResumeTiming();
    }
    const uint64_t heap = switchyard::bench::OperatorNewCalls();
    const uint64_t ssl = switchyard::bench::OpenSslAllocations();
    if (!ingest(wire[next++])) ++failures;
    allocations.heap += switchyard::bench::OperatorNewCalls() - heap;
    allocations.ssl += switchyard::bench::OpenSslAllocations() - ssl;
  }
  if (failures != 0) {
    state.SkipWithError("unprotect or parse failed");
    return;
  }
  Report(state, router, forwarded_before, bytes_before, allocations);
  state.counters["ns/in"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

const bool kRegistered = [] {
  struct StreamEntry {
    const char* name;
    StreamKind kind;
  };
  struct SinkEntry {
    const char* name;
    SinkKind kind;
  };
  const StreamEntry streams[] = {{"single", StreamKind::kSingle},
                                 {"simulcast3", StreamKind::kSimulcast3}};
  const SinkEntry sinks[] = {{"nocrypto", SinkKind::kNone},
                             {"cm", SinkKind::kCm},
                             {"gcm", SinkKind::kGcm}};
  for (const StreamEntry& stream : streams) {
    for (const SinkEntry& sink : sinks) {
      benchmark::RegisterBenchmark(
          (std::string("BM_Forward/") + stream.name + "/" + sink.name).c_str(), BM_Forward,
          stream.kind, sink.kind)
          ->ArgName("consumers")
          ->Arg(1)
          ->Arg(10)
          ->Arg(100);
    }
  }
  for (const StreamEntry& stream : streams) {
    for (SrtpProfile profile : {SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAeadAes128Gcm}) {
      const std::string p = profile == SrtpProfile::kAeadAes128Gcm ? "gcm" : "cm";
      for (bool sink_crypto : {false, true}) {
        benchmark::RegisterBenchmark((std::string("BM_Ingress/") + stream.name + "/unprotect_" + p +
                                      "/10consumers_" + (sink_crypto ? p : "nocrypto"))
                                         .c_str(),
                                     BM_Ingress, stream.kind, profile, sink_crypto);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace switchyard::sfu
