// libFuzzer target: compound RTCP iteration and every typed view, including NACK sequence
// expansion. Also checks that builders' output of parsed values parses back.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"

namespace {

namespace rtc = switchyard::rtc;

void Check(bool condition) {
  if (!condition) std::abort();
}

void Visit(const rtc::RtcpPacketView& packet) {
  static std::array<uint8_t, 2048> out;
  uint64_t sink = packet.count() + packet.packet_type() + packet.body().size();
  if (auto sr = rtc::SenderReportView::Parse(packet)) {
    sink += sr->sender_ssrc() + sr->ntp_timestamp() + sr->rtp_timestamp() + sr->packet_count() +
            sr->octet_count();
    for (size_t i = 0; i < sr->report_block_count(); ++i) sink += sr->report_block(i).jitter;
  }
  if (auto rr = rtc::ReceiverReportView::Parse(packet)) {
    std::array<rtc::ReportBlock, rtc::kRtcpMaxReportBlocks> blocks;
    for (size_t i = 0; i < rr->report_block_count(); ++i) blocks[i] = rr->report_block(i);
    const size_t n = rr->report_block_count();
    const size_t size = rtc::WriteReceiverReport(out, rr->sender_ssrc(),
                                                 std::span(blocks.data(), n));
    Check(size == 8 + 24 * n);
    auto again = rtc::ReceiverReportView::Parse(*rtc::RtcpPacketView::Parse(
        std::span<const uint8_t>(out).first(size)));
    Check(again && again->report_block_count() == n);
    for (size_t i = 0; i < n; ++i) Check(again->report_block(i) == blocks[i]);
  }
  if (auto sdes = rtc::SdesView::Parse(packet)) {
    sdes->ForEachItem([&](const rtc::SdesItem& item) { sink += item.value.size() + item.type; });
  }
  if (auto bye = rtc::ByeView::Parse(packet)) {
    for (size_t i = 0; i < bye->ssrc_count(); ++i) sink += bye->ssrc(i);
    sink += bye->reason().size();
  }
  if (auto feedback = rtc::FeedbackView::Parse(packet)) {
    sink += feedback->sender_ssrc() + feedback->media_ssrc() + feedback->fci().size();
  }
  if (auto nack = rtc::NackView::Parse(packet)) {
    // Expand, then re-pack: the lost set must survive the round trip.
    static std::array<uint16_t, 70000> lost;
    size_t count = 0;
    nack->ForEachLostSequence([&](uint16_t seq) {
      if (count < lost.size()) lost[count++] = seq;
    });
    Check(count >= nack->item_count());
    static std::array<uint8_t, 300000> packed;
    const size_t size = rtc::WriteNack(packed, 1, 2, std::span(lost.data(), count));
    Check(size > 0);
    auto again = rtc::NackView::Parse(*rtc::RtcpPacketView::Parse(
        std::span<const uint8_t>(packed).first(size)));
    Check(again.has_value());
    std::array<uint8_t, 65536 / 8> seen_in{};
    std::array<uint8_t, 65536 / 8> seen_out{};
    for (size_t i = 0; i < count; ++i) seen_in[lost[i] / 8] |= 1 << (lost[i] % 8);
    again->ForEachLostSequence([&](uint16_t seq) { seen_out[seq / 8] |= 1 << (seq % 8); });
    Check(seen_in == seen_out);
  }
  if (auto tcc = rtc::TransportCcView::Parse(packet)) {
    sink += tcc->base_sequence_number() + tcc->packet_status_count() +
            static_cast<uint32_t>(tcc->reference_time()) + tcc->feedback_packet_count();
  }
  if (auto pli = rtc::PliView::Parse(packet)) sink += pli->media_ssrc();
  if (auto fir = rtc::FirView::Parse(packet)) {
    for (size_t i = 0; i < fir->entry_count(); ++i) sink += fir->entry(i).ssrc;
  }
  if (auto remb = rtc::RembView::Parse(packet)) {
    std::array<uint32_t, 255> ssrcs;
    for (size_t i = 0; i < remb->ssrc_count(); ++i) ssrcs[i] = remb->ssrc(i);
    const size_t size = rtc::WriteRemb(out, remb->sender_ssrc(), remb->bitrate_bps(),
                                       std::span(ssrcs.data(), remb->ssrc_count()));
    Check(size > 0);
    auto again =
        rtc::RembView::Parse(*rtc::RtcpPacketView::Parse(std::span<const uint8_t>(out).first(size)));
    Check(again && again->ssrc_count() == remb->ssrc_count());
    Check(again->bitrate_bps() <= remb->bitrate_bps());
  }
  volatile uint64_t keep = sink;
  (void)keep;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  size_t total = 0;
  const bool ok = rtc::ForEachRtcpPacket(input, [&](const rtc::RtcpPacketView& packet) {
    Check(packet.size() >= rtc::kRtcpHeaderSize && packet.size() % 4 == 0);
    total += packet.size();
    Visit(packet);
  });
  Check(total <= size);
  if (ok) Check(total == size);
  return 0;
}
