#include "rtc/rtcp_builder.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::rtc {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::optional<RtcpPacketView> Single(std::span<const uint8_t> bytes) {
  auto packet = RtcpPacketView::Parse(bytes);
  if (packet && packet->size() != bytes.size()) return std::nullopt;
  return packet;
}

template <typename Write>
void ExpectZeroWhenTooSmall(size_t needed, Write write) {
  std::array<uint8_t, 2048> buffer{};
  for (size_t size = 0; size < needed; ++size) {
    EXPECT_EQ(write(std::span<uint8_t>(buffer).first(size)), 0u) << size;
  }
  EXPECT_EQ(write(std::span<uint8_t>(buffer).first(needed)), needed);
}

TEST(RtcpBuilderTest, PliRoundTrip) {
  std::array<uint8_t, 64> out{};
  const size_t size = WritePli(out, 0x11111111, 0x22222222);
  ASSERT_EQ(size, 12u);
  auto pli = PliView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->sender_ssrc(), 0x11111111u);
  EXPECT_EQ(pli->media_ssrc(), 0x22222222u);
  ExpectZeroWhenTooSmall(12, [](std::span<uint8_t> b) { return WritePli(b, 1, 2); });
}

TEST(RtcpBuilderTest, FirRoundTrip) {
  std::array<uint8_t, 64> out{};
  const size_t size = WriteFir(out, 1, 0xABCDEF01, 42);
  ASSERT_EQ(size, 20u);
  auto fir = FirView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->sender_ssrc(), 1u);
  EXPECT_EQ(fir->media_ssrc(), 0u);
  ASSERT_EQ(fir->entry_count(), 1u);
  EXPECT_EQ(fir->entry(0).ssrc, 0xABCDEF01u);
  EXPECT_EQ(fir->entry(0).sequence_number, 42);
  ExpectZeroWhenTooSmall(20, [](std::span<uint8_t> b) { return WriteFir(b, 1, 2, 3); });
}

std::vector<uint16_t> LostSeqs(const NackView& nack) {
  std::vector<uint16_t> lost;
  nack.ForEachLostSequence([&](uint16_t seq) { lost.push_back(seq); });
  return lost;
}

TEST(RtcpBuilderTest, NackPacksPidAndBlp) {
  const std::vector<uint16_t> lost = {100, 101, 116, 117, 200};
  std::array<uint8_t, 64> out{};
  const size_t size = WriteNack(out, 5, 6, lost);
  ASSERT_EQ(size, 12u + 3 * 4);
  auto nack = NackView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->sender_ssrc(), 5u);
  EXPECT_EQ(nack->media_ssrc(), 6u);
  ASSERT_EQ(nack->item_count(), 3u);
  EXPECT_EQ(nack->pid(0), 100);
  EXPECT_EQ(nack->blp(0), 0x8001);  // 101 (bit 0) and 116 (bit 15)
  EXPECT_EQ(nack->pid(1), 117);
  EXPECT_EQ(nack->blp(1), 0);
  EXPECT_EQ(nack->pid(2), 200);
  EXPECT_EQ(nack->blp(2), 0);
  EXPECT_THAT(LostSeqs(*nack), ElementsAreArray(lost));
  ExpectZeroWhenTooSmall(24, [&](std::span<uint8_t> b) { return WriteNack(b, 5, 6, lost); });
}

TEST(RtcpBuilderTest, NackHandlesWrapDuplicatesAndEmpty) {
  std::array<uint8_t, 64> out{};
  const std::vector<uint16_t> wrap = {65534, 65535, 0, 1, 1};
  const size_t size = WriteNack(out, 1, 2, wrap);
  ASSERT_EQ(size, 16u);
  auto nack = NackView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(nack);
  EXPECT_THAT(LostSeqs(*nack), ElementsAre(65534, 65535, 0, 1));
  EXPECT_EQ(WriteNack(out, 1, 2, {}), 0u);
}

TEST(RtcpBuilderTest, NackLongRun) {
  std::vector<uint16_t> lost;
  for (int i = 0; i < 100; ++i) lost.push_back(static_cast<uint16_t>(1000 + i));
  std::array<uint8_t, 256> out{};
  const size_t size = WriteNack(out, 1, 2, lost);
  auto nack = NackView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->item_count(), 6u);  // ceil(100 / 17)
  EXPECT_THAT(LostSeqs(*nack), ElementsAreArray(lost));
}

ReportBlock Block(uint32_t ssrc, int32_t lost) {
  ReportBlock block;
  block.ssrc = ssrc;
  block.fraction_lost = 25;
  block.cumulative_lost = lost;
  block.extended_highest_sequence = 0x00020010;
  block.jitter = 77;
  block.last_sr = 0xDEADBEEF;
  block.delay_since_last_sr = 655;
  return block;
}

TEST(RtcpBuilderTest, ReceiverReportRoundTrip) {
  const std::vector<ReportBlock> blocks = {Block(10, 5), Block(11, -3)};
  std::array<uint8_t, 128> out{};
  const size_t size = WriteReceiverReport(out, 0xFEEDF00D, blocks);
  ASSERT_EQ(size, 8u + 2 * 24);
  auto rr = ReceiverReportView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc(), 0xFEEDF00Du);
  ASSERT_EQ(rr->report_block_count(), 2u);
  EXPECT_EQ(rr->report_block(0), blocks[0]);
  EXPECT_EQ(rr->report_block(1), blocks[1]);

  // Zero blocks is a valid (empty) RR; loss outside 24 bits is clamped.
  EXPECT_EQ(WriteReceiverReport(out, 1, {}), 8u);
  const std::vector<ReportBlock> clamped = {Block(1, 1 << 30)};
  const size_t clamped_size = WriteReceiverReport(out, 1, clamped);
  rr = ReceiverReportView::Parse(*Single(std::span(out).first(clamped_size)));
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->report_block(0).cumulative_lost, 0x7FFFFF);

  const std::vector<ReportBlock> too_many(32, Block(1, 0));
  std::array<uint8_t, 2048> big{};
  EXPECT_EQ(WriteReceiverReport(big, 1, too_many), 0u);
  ExpectZeroWhenTooSmall(56, [&](std::span<uint8_t> b) {
    return WriteReceiverReport(b, 1, blocks);
  });
}

TEST(RtcpBuilderTest, SenderReportRoundTrip) {
  const std::vector<ReportBlock> blocks = {Block(99, -1)};
  std::array<uint8_t, 128> out{};
  const size_t size =
      WriteSenderReport(out, 7, 0x0123456789ABCDEFull, 90000, 1234, 567890, blocks);
  ASSERT_EQ(size, 52u);
  auto sr = SenderReportView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender_ssrc(), 7u);
  EXPECT_EQ(sr->ntp_timestamp(), 0x0123456789ABCDEFull);
  EXPECT_EQ(sr->rtp_timestamp(), 90000u);
  EXPECT_EQ(sr->packet_count(), 1234u);
  EXPECT_EQ(sr->octet_count(), 567890u);
  ASSERT_EQ(sr->report_block_count(), 1u);
  EXPECT_EQ(sr->report_block(0), blocks[0]);
  ExpectZeroWhenTooSmall(52, [&](std::span<uint8_t> b) {
    return WriteSenderReport(b, 7, 1, 2, 3, 4, blocks);
  });
}

TEST(RtcpBuilderTest, SdesCnameRoundTrip) {
  for (std::string_view cname : {"", "a", "abc", "abcd", "user@host.example"}) {
    std::array<uint8_t, 512> out{};
    const size_t size = WriteSdesCname(out, 0x55, cname);
    ASSERT_GT(size, 0u);
    EXPECT_EQ(size % 4, 0u);
    auto sdes = SdesView::Parse(*Single(std::span(out).first(size)));
    ASSERT_TRUE(sdes) << cname;
    int items = 0;
    sdes->ForEachItem([&](const SdesItem& item) {
      ++items;
      EXPECT_EQ(item.ssrc, 0x55u);
      EXPECT_EQ(item.type, kSdesCname);
      EXPECT_EQ(item.value, cname);
    });
    EXPECT_EQ(items, 1);
  }
}

TEST(RtcpBuilderTest, RembRoundTrip) {
  const std::vector<uint32_t> ssrcs = {0x01020304, 0x05060708};
  std::array<uint8_t, 128> out{};
  const size_t size = WriteRemb(out, 9, 1000000, ssrcs);
  ASSERT_EQ(size, 28u);
  auto remb = RembView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->sender_ssrc(), 9u);
  EXPECT_EQ(remb->media_ssrc(), 0u);
  EXPECT_EQ(remb->bitrate_bps(), 1000000u);
  ASSERT_EQ(remb->ssrc_count(), 2u);
  EXPECT_EQ(remb->ssrc(0), 0x01020304u);
  EXPECT_EQ(remb->ssrc(1), 0x05060708u);

  // Not exactly representable: rounded down, within the mantissa's precision.
  for (uint64_t bitrate : {uint64_t{262143}, uint64_t{262145}, uint64_t{123456789},
                           uint64_t{987654321012}}) {
    const size_t n = WriteRemb(out, 9, bitrate, ssrcs);
    auto view = RembView::Parse(*Single(std::span(out).first(n)));
    ASSERT_TRUE(view);
    EXPECT_LE(view->bitrate_bps(), bitrate);
    EXPECT_GE(view->bitrate_bps(), bitrate - (bitrate >> 17));
  }
  ExpectZeroWhenTooSmall(28, [&](std::span<uint8_t> b) { return WriteRemb(b, 1, 5, ssrcs); });
}

TEST(RtcpBuilderTest, ByeRoundTrip) {
  const std::vector<uint32_t> ssrcs = {3, 4, 5};
  std::array<uint8_t, 128> out{};
  size_t size = WriteBye(out, ssrcs, "bye now");
  ASSERT_EQ(size, 4u + 12 + 8);
  auto bye = ByeView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->ssrc_count(), 3u);
  EXPECT_EQ(bye->ssrc(2), 5u);
  EXPECT_EQ(bye->reason(), "bye now");

  size = WriteBye(out, ssrcs);
  ASSERT_EQ(size, 16u);
  bye = ByeView::Parse(*Single(std::span(out).first(size)));
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->reason(), "");
}

TEST(RtcpBuilderTest, CompoundOfBuiltPacketsIterates) {
  std::array<uint8_t, 256> out{};
  size_t size = WriteReceiverReport(out, 1, {});
  size += WritePli(std::span(out).subspan(size), 1, 2);
  const std::vector<uint16_t> lost = {7};
  size += WriteNack(std::span(out).subspan(size), 1, 2, lost);
  std::vector<int> types;
  EXPECT_TRUE(ForEachRtcpPacket(std::span(out).first(size),
                                [&](const RtcpPacketView& p) { types.push_back(p.packet_type()); }));
  EXPECT_THAT(types, ElementsAre(201, 206, 205));
}

}  // namespace
}  // namespace switchyard::rtc
