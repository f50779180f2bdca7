// Cost of the network parsers on realistic input: what a worker runs for every datagram it
// receives (RFC 7983 demux, RTP view and header extensions, VP8 payload descriptor and the
// other codecs' keyframe detection, RTCP compounds, transport-cc feedback, STUN checks with
// MESSAGE-INTEGRITY and FINGERPRINT) and, on the control path, SDP offers.
//
//   bench/parser_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Packets are built with the repo's own builders where there is one (RTCP, transport-cc,
// STUN) and laid out as Chromium sends them otherwise; the SDP offers are the Chromium fixtures
// in tests/fixtures/sdp. bytes/s counts the whole input each iteration looks at (the whole
// datagram, even where only the header is read). "allocs/op" counts operator new calls per
// iteration, "ssl_allocs/op" OpenSSL's own allocations (CRYPTO_set_mem_functions).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/allocation_counter.h"
#include "rtc/keyframe_detector.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtp_header_extensions.h"
#include "rtc/rtp_packet.h"
#include "rtc/sdp_parser.h"
#include "rtc/transport_cc_feedback.h"
#include "rtc/vp8_payload_descriptor.h"
#include "transport/byte_io.h"
#include "transport/packet_demux.h"
#include "transport/stun_message.h"


namespace switchyard {
namespace {

using transport::StoreBe16;
using transport::StoreBe24;
using transport::StoreBe32;

// Times `body` (one parse, returning false on failure) and reports bytes/s for
// `bytes_per_iteration`. allocs/op comes from 1000 further untimed calls after the timed loop,
// so neither the framework's own allocations nor the counter itself touch the timings.
template <typename Body>
void Run(benchmark::State& state, size_t bytes_per_iteration, Body body) {
  for (auto _ : state) {
    if (!body()) {
      state.SkipWithError("input did not parse");
      return;
    }
  }
  constexpr int kAllocationRuns = 1000;
  const uint64_t before = switchyard::bench::OperatorNewCalls();
  const uint64_t ssl_before = switchyard::bench::OpenSslAllocations();
  for (int i = 0; i < kAllocationRuns; ++i) body();
  state.counters["allocs/op"] =
      static_cast<double>(switchyard::bench::OperatorNewCalls() - before) / kAllocationRuns;
  state.counters["ssl_allocs/op"] =
      static_cast<double>(switchyard::bench::OpenSslAllocations() - ssl_before) / kAllocationRuns;
  if (!switchyard::bench::OpenSslAllocationsCounted()) state.SetLabel("OpenSSL allocations not counted");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_iteration));
}

// ---- RTP: a Chromium VP8 video packet (simulcast layer "h" of the fixture offer).

// Extension ids of tests/fixtures/sdp/chromium_simulcast_offer.sdp's video section.
constexpr uint8_t kAbsSendTimeId = 2;
constexpr uint8_t kTransportCcId = 3;
constexpr uint8_t kMidId = 4;
constexpr uint8_t kVideoContentTypeId = 6;
constexpr uint8_t kRidId = 10;
constexpr size_t kRtpPacketSize = 1200;

struct ChromiumVideoPacket {
  std::vector<uint8_t> bytes;
  size_t payload_offset = 0;
};

// Chromium puts abs-send-time and transport-cc on every video packet, and mid + rid until an
// RTCP receiver report acknowledges the SSRC (so on every packet of a stream whose RRs are
// lost, and always in the first second). Video-content-type rides on the last packet of each
// frame. One-byte form (RFC 8285 §4.2), padded to 32 bits. The payload starts with the VP8
// descriptor Chromium writes for a simulcast layer with temporal layers: X=1, I with a 15-bit
// picture id, L (TL0PICIDX) and T (TID, Y); then a VP8 delta-frame header.
ChromiumVideoPacket MakeChromiumVideoPacket() {
  ChromiumVideoPacket p;
  std::vector<uint8_t>& b = p.bytes;
  b.resize(rtc::kRtpFixedHeaderSize);
  b[0] = 0x90;  // V=2, X=1
  b[1] = 96;    // VP8, no marker
  StoreBe16(&b[2], 31337);
  StoreBe32(&b[4], 2'736'105'000u);
  StoreBe32(&b[8], 0x2f6a11c3);
  std::vector<uint8_t> ext;
  auto add = [&](uint8_t id, std::initializer_list<uint8_t> data) {
    ext.push_back(static_cast<uint8_t>((id << 4) | (data.size() - 1)));
    ext.insert(ext.end(), data.begin(), data.end());
  };
  add(kAbsSendTimeId, {0x3a, 0x41, 0x07});
  add(kTransportCcId, {0x05, 0x9e});
  add(kVideoContentTypeId, {0x00});
  add(kMidId, {'0'});
  add(kRidId, {'h'});
  while (ext.size() % 4 != 0) ext.push_back(0);
  b.push_back(0xBE);
  b.push_back(0xDE);
  b.push_back(0);
  b.push_back(static_cast<uint8_t>(ext.size() / 4));
  b.insert(b.end(), ext.begin(), ext.end());
  p.payload_offset = b.size();
  // X=1 S=1 PID=0 | I L T | M=1 picture id 0x1234 | TL0PICIDX | TID=2 Y=1 | VP8 header (P=1).
  for (uint8_t v : {0x90, 0xE0, 0x92, 0x34, 0x57, 0xA0, 0x11, 0x02, 0x00}) b.push_back(v);
  uint32_t x = 0x9e3779b9;
  while (b.size() < kRtpPacketSize) {
    x = x * 1664525u + 1013904223u;
    b.push_back(static_cast<uint8_t>(x >> 24));
  }
  return p;
}

rtc::RtpExtensionMap ChromiumExtensionMap() {
  rtc::RtpExtensionMap map;
  if (!map.Register(kAbsSendTimeId, rtc::RtpExtensionType::kAbsSendTime).ok() ||
      !map.Register(kTransportCcId, rtc::RtpExtensionType::kTransportWideCc).ok() ||
      !map.Register(kMidId, rtc::RtpExtensionType::kMid).ok() ||
      !map.Register(kRidId, rtc::RtpExtensionType::kRid).ok()) {
    std::abort();
  }
  return map;
}

// RtpPacketView::Parse alone: header, CSRCs, extension block and padding checks.
void BM_RtpParse(benchmark::State& state) {
  const ChromiumVideoPacket packet = MakeChromiumVideoPacket();
  const std::span<const uint8_t> bytes(packet.bytes);
  Run(state, bytes.size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    auto view = rtc::RtpPacketView::Parse(bytes);
    if (!view) return false;
    benchmark::DoNotOptimize(view->payload().data());
    return true;
  });
}
BENCHMARK(BM_RtpParse);

// What the publisher's receive path reads of every packet: parse, then mid, rid (SSRC routing
// until the SSRC is known), transport-wide sequence number and abs-send-time by negotiated id.
void BM_RtpParseReadExtensions(benchmark::State& state) {
  const ChromiumVideoPacket packet = MakeChromiumVideoPacket();
  const std::span<const uint8_t> bytes(packet.bytes);
  const rtc::RtpExtensionMap map = ChromiumExtensionMap();
  Run(state, bytes.size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    auto view = rtc::RtpPacketView::Parse(bytes);
    if (!view) return false;
    auto mid = rtc::ReadMid(*view, map);
    auto rid = rtc::ReadRid(*view, map);
    auto twcc = rtc::ReadTransportSequenceNumber(*view, map);
    auto abs = rtc::ReadAbsSendTime(*view, map);
    if (!mid || !rid || !twcc || !abs) return false;
    benchmark::DoNotOptimize(mid->data());
    benchmark::DoNotOptimize(rid->data());
    benchmark::DoNotOptimize(*twcc);
    benchmark::DoNotOptimize(*abs);
    return true;
  });
}
BENCHMARK(BM_RtpParseReadExtensions);

// Walking every element once (what a rewrite that remaps extensions does).
void BM_RtpForEachExtension(benchmark::State& state) {
  const ChromiumVideoPacket packet = MakeChromiumVideoPacket();
  const std::span<const uint8_t> bytes(packet.bytes);
  const auto view = rtc::RtpPacketView::Parse(bytes);
  if (!view) std::abort();
  Run(state, view->extension_block().size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    size_t elements = 0;
    size_t sum = 0;
    view->ForEachExtension([&](const rtc::RtpExtensionElement& e) {
      ++elements;
      sum += e.id + e.data.size();
    });
    benchmark::DoNotOptimize(sum);
    return elements == 5;
  });
}
BENCHMARK(BM_RtpForEachExtension);

// RFC 7741 descriptor of the packet above (X, I with M, L, T/Y) plus the keyframe check the
// producer runs on every video packet.
void BM_Vp8DescriptorParse(benchmark::State& state) {
  const ChromiumVideoPacket packet = MakeChromiumVideoPacket();
  const std::span<const uint8_t> payload =
      std::span<const uint8_t>(packet.bytes).subspan(packet.payload_offset);
  Run(state, 6, [&] {
    benchmark::DoNotOptimize(payload.data());
    auto descriptor = rtc::Vp8PayloadDescriptor::Parse(payload);
    if (!descriptor || !descriptor->has_temporal_id) return false;
    const bool key = rtc::IsKeyframe(rtc::VideoCodec::kVp8, payload);
    benchmark::DoNotOptimize(key);
    benchmark::DoNotOptimize(descriptor->picture_id);
    return true;
  });
}
BENCHMARK(BM_Vp8DescriptorParse);

// The first payload bytes of a keyframe's first packet per codec, as Chromium packetizes them.
std::vector<uint8_t> KeyframePayload(rtc::VideoCodec codec) {
  switch (codec) {
    case rtc::VideoCodec::kVp8:
      // X=1 S=1 | I | 15-bit picture id | VP8 key frame tag, start code, 1280x720.
      return {0x90, 0x80, 0x80, 0x01, 0x50, 0x2c, 0x01, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02};
    case rtc::VideoCodec::kVp9:
      // I P=0 B V (RFC 9628 §4.2): 15-bit picture id, then the scalability structure.
      return {0x8a, 0x80, 0x01, 0x18, 0x04, 0xff, 0x02, 0xcf, 0x01, 0x04, 0x01};
    case rtc::VideoCodec::kH264:
      // STAP-A (RFC 6184 §5.7.1) of SPS, PPS and an IDR slice; KeyframeDetectPayload sizes
      // the slice to fill the packet, so the detector walks all three size fields.
      return {0x78, 0x00, 0x0a, 0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d, 0x40, 0x50, 0x1e, 0xd0,
              0x00, 0x04, 0x68, 0xce, 0x3c, 0x80, 0x00, 0x03, 0x65, 0x88, 0x84};
    case rtc::VideoCodec::kAv1:
      // Aggregation header W=1 N=1, then a sequence header OBU.
      return {0x18, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xa7, 0xbf, 0xe4, 0x60, 0x0d};
  }
  return {};
}

void BM_KeyframeDetect(benchmark::State& state, rtc::VideoCodec codec) {
  std::vector<uint8_t> payload = KeyframePayload(codec);
  payload.resize(kRtpPacketSize - 40, 0x5a);
  if (codec == rtc::VideoCodec::kH264) {
    StoreBe16(&payload[19], static_cast<uint16_t>(payload.size() - 21));
  }
  const std::span<const uint8_t> bytes(payload);
  Run(state, 16, [&] {
    benchmark::DoNotOptimize(bytes.data());
    return rtc::IsKeyframe(codec, bytes);
  });
}
BENCHMARK_CAPTURE(BM_KeyframeDetect, vp8, rtc::VideoCodec::kVp8);
BENCHMARK_CAPTURE(BM_KeyframeDetect, vp9, rtc::VideoCodec::kVp9);
BENCHMARK_CAPTURE(BM_KeyframeDetect, h264_stap_a, rtc::VideoCodec::kH264);
BENCHMARK_CAPTURE(BM_KeyframeDetect, av1, rtc::VideoCodec::kAv1);

// ---- RTCP compounds, built with rtc/rtcp_builder.h.

constexpr uint32_t kPublisherSsrc = 0x2f6a11c3;
constexpr uint32_t kSfuSsrc = 0x0000fb01;

rtc::ReportBlock Block(uint32_t ssrc) {
  rtc::ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = 3;
  b.cumulative_lost = 127;
  b.extended_highest_sequence = 0x0001a2b3;
  b.jitter = 412;
  b.last_sr = 0x8ac41200;
  b.delay_since_last_sr = 0x00012000;
  return b;
}

// A publisher's report: SR for its video SSRC with one report block (it also receives), an RR
// with two more blocks (RFC 3550 §6.4.2: how blocks that do not fit the SR continue; here it
// exercises the RR path in the same compound), and SDES CNAME (RFC 3550 §6.1).
std::vector<uint8_t> SenderCompound() {
  std::vector<uint8_t> out(1500);
  std::span<uint8_t> rest(out);
  size_t total = 0;
  const rtc::ReportBlock blocks[] = {Block(kSfuSsrc)};
  total += rtc::WriteSenderReport(rest, kPublisherSsrc, 0xe8d4a51000000000ull, 2'736'105'000u,
                                  48'211, 51'993'102, blocks);
  const rtc::ReportBlock rr_blocks[] = {Block(kSfuSsrc + 1), Block(kSfuSsrc + 2)};
  total += rtc::WriteReceiverReport(rest.subspan(total), kPublisherSsrc + 1, rr_blocks);
  total += rtc::WriteSdesCname(rest.subspan(total), kPublisherSsrc, "tKcG0Yg6ZBHhbyJ3");
  if (total == 0) std::abort();
  out.resize(total);
  return out;
}

// A subscriber's feedback: RR for two SSRCs, SDES CNAME, a NACK (a burst and a single loss)
// and a PLI.
std::vector<uint8_t> FeedbackCompound() {
  std::vector<uint8_t> out(1500);
  std::span<uint8_t> rest(out);
  size_t total = 0;
  const rtc::ReportBlock blocks[] = {Block(kSfuSsrc), Block(kSfuSsrc + 1)};
  total += rtc::WriteReceiverReport(rest, 1, blocks);
  total += rtc::WriteSdesCname(rest.subspan(total), 1, "Yx3QWXlBcJbq5sCa");
  const uint16_t lost[] = {4001, 4002, 4003, 4007, 4100};
  total += rtc::WriteNack(rest.subspan(total), 1, kSfuSsrc, lost);
  total += rtc::WritePli(rest.subspan(total), 1, kSfuSsrc);
  out.resize(total);
  return out;
}

// Walks a compound and decodes every packet the SFU acts on; returns a checksum.
uint64_t DecodeCompound(std::span<const uint8_t> compound, bool& ok) {
  uint64_t sum = 0;
  ok = rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& packet) {
    switch (packet.packet_type()) {
      case rtc::kRtcpSenderReport:
        if (auto sr = rtc::SenderReportView::Parse(packet)) {
          sum += sr->ntp_timestamp() + sr->rtp_timestamp();
          for (size_t i = 0; i < sr->report_block_count(); ++i) {
            sum += sr->report_block(i).last_sr;
          }
        }
        break;
      case rtc::kRtcpReceiverReport:
        if (auto rr = rtc::ReceiverReportView::Parse(packet)) {
          for (size_t i = 0; i < rr->report_block_count(); ++i) {
            const rtc::ReportBlock b = rr->report_block(i);
            sum += b.ssrc + b.delay_since_last_sr + b.fraction_lost;
          }
        }
        break;
      case rtc::kRtcpSourceDescription:
        if (auto sdes = rtc::SdesView::Parse(packet)) {
          sdes->ForEachItem([&](const rtc::SdesItem& item) { sum += item.value.size(); });
        }
        break;
      case rtc::kRtcpTransportLayerFeedback:
        if (auto nack = rtc::NackView::Parse(packet)) {
          nack->ForEachLostSequence([&](uint16_t seq) { sum += seq; });
        }
        break;
      case rtc::kRtcpPayloadSpecificFeedback:
        if (auto pli = rtc::PliView::Parse(packet)) sum += pli->media_ssrc();
        break;
      default:
        break;
    }
  });
  return sum;
}

void BM_RtcpCompound(benchmark::State& state, std::vector<uint8_t> (*make)()) {
  const std::vector<uint8_t> compound = make();
  const std::span<const uint8_t> bytes(compound);
  Run(state, bytes.size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    bool ok = false;
    const uint64_t sum = DecodeCompound(bytes, ok);
    benchmark::DoNotOptimize(sum);
    return ok;
  });
  state.SetLabel(std::to_string(bytes.size()) + " B");
}
BENCHMARK_CAPTURE(BM_RtcpCompound, sr_rr_sdes, SenderCompound);
BENCHMARK_CAPTURE(BM_RtcpCompound, rr_sdes_nack_pli, FeedbackCompound);

// Transport-cc feedback for ~100 ms of a 2.5 Mbps subscriber downlink: `packets` sequence
// numbers, every 40th lost, arrivals 4 ms apart with jitter (small deltas; a few large ones).
std::vector<uint8_t> TransportCcCompound(int packets) {
  rtc::TransportCcFeedback feedback(1, kSfuSsrc, 17);
  int64_t time_us = 3'600'000'000;
  uint32_t x = 12345;
  for (int i = 0; i < packets; ++i) {
    x = x * 1664525u + 1013904223u;
    time_us += 3000 + static_cast<int64_t>(x >> 22);  // 3.0-4.0 ms
    if (i % 40 == 39) continue;
    if (i % 50 == 25) time_us += 80'000;  // a late burst: a large (2-byte) delta
    if (!feedback.AddReceivedPacket(static_cast<uint16_t>(60'000 + i), time_us)) std::abort();
  }
  std::vector<uint8_t> out(feedback.size_bytes());
  if (feedback.Write(out) != out.size()) std::abort();
  return out;
}

void BM_TransportCcParse(benchmark::State& state) {
  const std::vector<uint8_t> wire = TransportCcCompound(static_cast<int>(state.range(0)));
  const std::span<const uint8_t> bytes(wire);
  Run(state, bytes.size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    auto packet = rtc::RtcpPacketView::Parse(bytes);
    if (!packet) return false;
    auto feedback = rtc::TransportCcFeedback::Parse(*packet);
    if (!feedback) return false;
    int64_t sum = 0;
    feedback->ForEachPacket([&](uint16_t seq, bool received, int64_t arrival_us) {
      sum += received ? arrival_us : seq;
    });
    benchmark::DoNotOptimize(sum);
    return true;
  });
  state.SetLabel(std::to_string(bytes.size()) + " B");
}
BENCHMARK(BM_TransportCcParse)->Arg(100)->Arg(500);

// ---- STUN: a Chromium connectivity check to the SFU (RFC 8445 §7.2.2, with its Google
// attributes), as the ICE-lite agent receives it.

constexpr char kIcePassword[] = "c3VmMkF1aDhSWmdzZ3Mxdm9OR1lFaw";  // the SFU's ice-pwd

std::vector<uint8_t> ChromiumBindingRequest() {
  transport::StunTransactionId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(0x4a + 7 * i);
  transport::StunMessageBuilder builder(transport::StunClass::kRequest,
                                        transport::StunMethod::kBinding, id);
  const uint8_t network_info[] = {0x00, 0x01, 0x00, 0x0a};  // network id 1, cost 10
  builder.AddUsername("9TuqP2vOmFd4eJDk:Nh5K")
      .AddAttribute(transport::kStunAttrGoogNetworkInfo, network_info)
      .AddIceControlling(0x6f1c2e9ab0d4c377ull)
      .AddUseCandidate()
      .AddPriority(1'853'817'087u);
  auto bytes = builder.Serialize(std::string_view(kIcePassword), /*add_fingerprint=*/true);
  if (!bytes.ok()) std::abort();
  return *bytes;
}

// Parse validates structure and the FINGERPRINT CRC (RFC 8489 §14.7).
void BM_StunParse(benchmark::State& state) {
  const std::vector<uint8_t> request = ChromiumBindingRequest();
  const std::span<const uint8_t> bytes(request);
  Run(state, bytes.size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    auto message = transport::StunMessage::Parse(bytes);
    if (!message.ok() || !message->has_fingerprint()) return false;
    benchmark::DoNotOptimize(message->username()->data());
    return true;
  });
  state.SetLabel(std::to_string(bytes.size()) + " B");
}
BENCHMARK(BM_StunParse);

// Parse plus the MESSAGE-INTEGRITY HMAC-SHA1 check (RFC 8489 §14.5): the whole per-check cost.
void BM_StunParseVerifyIntegrity(benchmark::State& state) {
  const std::vector<uint8_t> request = ChromiumBindingRequest();
  const std::span<const uint8_t> bytes(request);
  Run(state, bytes.size(), [&] {
    benchmark::DoNotOptimize(bytes.data());
    auto message = transport::StunMessage::Parse(bytes);
    return message.ok() && message->VerifyMessageIntegrity(kIcePassword);
  });
}
BENCHMARK(BM_StunParseVerifyIntegrity);

// ---- RFC 7983 demux over the mix one 5-tuple carries in steady state: mostly SRTP, some
// SRTCP, the odd STUN consent check and DTLS record.

void BM_Demux(benchmark::State& state) {
  const ChromiumVideoPacket rtp = MakeChromiumVideoPacket();
  const std::vector<uint8_t> rtcp = FeedbackCompound();
  const std::vector<uint8_t> stun = ChromiumBindingRequest();
  const std::vector<uint8_t> dtls = {0x17, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x07, 0x00, 0x20};
  std::vector<std::span<const uint8_t>> datagrams;
  for (int i = 0; i < 64; ++i) {
    if (i == 17) {
      datagrams.emplace_back(stun);
    } else if (i == 41) {
      datagrams.emplace_back(dtls);
    } else if (i % 8 == 5) {
      datagrams.emplace_back(rtcp);
    } else {
      datagrams.emplace_back(rtp.bytes);
    }
  }
  size_t bytes_per_round = 0;
  for (const auto& d : datagrams) bytes_per_round += d.size();
  Run(state, bytes_per_round, [&] {
    size_t counts[5] = {};
    for (const auto& d : datagrams) {
      benchmark::DoNotOptimize(d.data());
      const transport::PacketClass c = transport::ClassifyPacket(d);
      size_t slot = static_cast<size_t>(c);
      if (c == transport::PacketClass::kRtpOrRtcp && transport::IsRtcp(d)) slot = 4;
      ++counts[slot];
    }
    benchmark::DoNotOptimize(counts);
    return counts[4] == 8 && counts[0] == 1 && counts[1] == 1;
  });
  // One iteration classifies 64 datagrams; items/s is datagrams per second.
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * datagrams.size()));
  state.SetLabel("64 datagrams per iteration");
}
BENCHMARK(BM_Demux);

// ---- SDP: the Chromium offers of tests/fixtures/sdp (control path: allocation expected).

std::string ReadFixture(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "tests" / "fixtures" / "sdp";
  std::ifstream in(dir / name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void BM_SdpParse(benchmark::State& state, const char* fixture) {
  const std::string text = ReadFixture(fixture);
  if (text.empty()) {
    state.SkipWithError("fixture missing");
    return;
  }
  Run(state, text.size(), [&] {
    auto description = rtc::ParseSdp(text);
    if (!description.ok()) return false;
    benchmark::DoNotOptimize(description->media.data());
    return true;
  });
  state.SetLabel(std::to_string(text.size()) + " B");
}
BENCHMARK_CAPTURE(BM_SdpParse, chromium_audio_video_offer, "chromium_audio_video_offer.sdp");
BENCHMARK_CAPTURE(BM_SdpParse, chromium_simulcast_offer, "chromium_simulcast_offer.sdp");

}  // namespace
}  // namespace switchyard
