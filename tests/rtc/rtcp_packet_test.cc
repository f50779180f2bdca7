#include "rtc/rtcp_packet.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;
using ::testing::ElementsAre;

// RR from SSRC 0x11223344 with one block: ssrc 0xAABBCCDD, fraction 0x40, cumulative -2,
// ext highest 0x00010005, jitter 0x20, LSR 0x12345678, DLSR 0x00010000.
const std::vector<uint8_t> kRr = Bytes({
    0x81, 201, 0x00, 0x07, 0x11, 0x22, 0x33, 0x44,  //
    0xAA, 0xBB, 0xCC, 0xDD, 0x40, 0xFF, 0xFF, 0xFE, 0x00, 0x01, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x20, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00,
});
// PLI sender 1, media 2.
const std::vector<uint8_t> kPli = Bytes({0x81, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2});
// NACK sender 1, media 2: PID 100 BLP 0x8001, PID 200 BLP 0.
const std::vector<uint8_t> kNack = Bytes({0x81, 205, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0x00,
                                          100, 0x80, 0x01, 0x00, 200, 0x00, 0x00});

TEST(RtcpPacketViewTest, ParsesHeader) {
  auto packet = RtcpPacketView::Parse(kRr);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->count(), 1);
  EXPECT_EQ(packet->packet_type(), kRtcpReceiverReport);
  EXPECT_FALSE(packet->has_padding());
  EXPECT_EQ(packet->size(), 32u);
  EXPECT_EQ(packet->body().size(), 28u);
}

TEST(RtcpPacketViewTest, TruncationAtEveryLengthFails) {
  for (const auto* bytes : {&kRr, &kPli, &kNack}) {
    for (size_t length = 0; length < bytes->size(); ++length) {
      EXPECT_FALSE(RtcpPacketView::Parse(std::span<const uint8_t>(*bytes).first(length)))
          << length;
    }
  }
}

TEST(RtcpPacketViewTest, RejectsBadVersionAndPadding) {
  auto bytes = kPli;
  bytes[0] = 0x41;
  EXPECT_FALSE(RtcpPacketView::Parse(bytes));
  // P set: last byte (2) counts padding; the media SSRC's last byte becomes padding.
  bytes = kPli;
  bytes[0] |= 0x20;
  auto packet = RtcpPacketView::Parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->body().size(), 6u);
  bytes.back() = 0;
  EXPECT_FALSE(RtcpPacketView::Parse(bytes));
  bytes.back() = 9;  // more than the body
  EXPECT_FALSE(RtcpPacketView::Parse(bytes));
}

TEST(ReceiverReportViewTest, ParsesEveryField) {
  auto rr = ReceiverReportView::Parse(*RtcpPacketView::Parse(kRr));
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc(), 0x11223344u);
  ASSERT_EQ(rr->report_block_count(), 1u);
  const ReportBlock block = rr->report_block(0);
  EXPECT_EQ(block.ssrc, 0xAABBCCDDu);
  EXPECT_EQ(block.fraction_lost, 0x40);
  EXPECT_EQ(block.cumulative_lost, -2);
  EXPECT_EQ(block.extended_highest_sequence, 0x00010005u);
  EXPECT_EQ(block.jitter, 0x20u);
  EXPECT_EQ(block.last_sr, 0x12345678u);
  EXPECT_EQ(block.delay_since_last_sr, 0x00010000u);
  // Other typed views reject it.
  EXPECT_FALSE(SenderReportView::Parse(*RtcpPacketView::Parse(kRr)));
  EXPECT_FALSE(FeedbackView::Parse(*RtcpPacketView::Parse(kRr)));
}

TEST(ReceiverReportViewTest, RejectsCountBeyondBody) {
  auto bytes = kRr;
  bytes[0] = 0x82;  // claims 2 blocks
  EXPECT_FALSE(ReceiverReportView::Parse(*RtcpPacketView::Parse(bytes)));
}

TEST(SenderReportViewTest, ParsesEveryField) {
  const auto bytes = Bytes({0x80, 200, 0x00, 0x06, 0x01, 0x02, 0x03, 0x04,  //
                            0xE0, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00,  // NTP
                            0x00, 0x00, 0x30, 0x39,                          // RTP ts 12345
                            0x00, 0x00, 0x00, 0x0A,                          // packets
                            0x00, 0x00, 0x04, 0x00});                        // octets
  auto sr = SenderReportView::Parse(*RtcpPacketView::Parse(bytes));
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender_ssrc(), 0x01020304u);
  EXPECT_EQ(sr->ntp_timestamp(), 0xE000000180000000ull);
  EXPECT_EQ(sr->rtp_timestamp(), 12345u);
  EXPECT_EQ(sr->packet_count(), 10u);
  EXPECT_EQ(sr->octet_count(), 1024u);
  EXPECT_EQ(sr->report_block_count(), 0u);
}

TEST(SdesViewTest, WalksChunksAndItems) {
  const auto bytes = Bytes({0x82, 202, 0x00, 0x06,                       //
                            0x00, 0x00, 0x00, 0x01, 1, 3, 'a', 'b', 'c', 0, 0, 0,  // chunk 1
                            0x00, 0x00, 0x00, 0x02, 1, 1, 'z', 6, 0, 0, 0, 0});  // chunk 2
  auto sdes = SdesView::Parse(*RtcpPacketView::Parse(bytes));
  ASSERT_TRUE(sdes);
  EXPECT_EQ(sdes->chunk_count(), 2u);
  std::vector<std::pair<uint32_t, std::string>> items;
  sdes->ForEachItem([&](const SdesItem& item) {
    items.emplace_back(item.ssrc, std::string(item.value));
    EXPECT_TRUE(item.type == kSdesCname || item.type == 6);
  });
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], std::make_pair(1u, std::string("abc")));
  EXPECT_EQ(items[1], std::make_pair(2u, std::string("z")));
  EXPECT_EQ(items[2], std::make_pair(2u, std::string("")));

  auto broken = bytes;
  broken[9] = 40;  // item length past the packet
  EXPECT_FALSE(SdesView::Parse(*RtcpPacketView::Parse(broken)));
}

TEST(ByeViewTest, ParsesSsrcsAndReason) {
  const auto bytes = Bytes({0x82, 203, 0x00, 0x04, 0, 0, 0, 5, 0, 0, 0, 6, 4, 'g', 'o', 'n', 'e',
                            0, 0, 0});
  auto bye = ByeView::Parse(*RtcpPacketView::Parse(bytes));
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->ssrc_count(), 2u);
  EXPECT_EQ(bye->ssrc(0), 5u);
  EXPECT_EQ(bye->ssrc(1), 6u);
  EXPECT_EQ(bye->reason(), "gone");
  auto broken = bytes;
  broken[12] = 8;  // reason longer than the packet
  EXPECT_FALSE(ByeView::Parse(*RtcpPacketView::Parse(broken)));
}

TEST(FeedbackViewTest, NackPliFir) {
  auto nack = NackView::Parse(*RtcpPacketView::Parse(kNack));
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->sender_ssrc(), 1u);
  EXPECT_EQ(nack->media_ssrc(), 2u);
  ASSERT_EQ(nack->item_count(), 2u);
  EXPECT_EQ(nack->pid(0), 100);
  EXPECT_EQ(nack->blp(0), 0x8001);
  std::vector<uint16_t> lost;
  nack->ForEachLostSequence([&](uint16_t seq) { lost.push_back(seq); });
  EXPECT_THAT(lost, ElementsAre(100, 101, 116, 200));
  EXPECT_FALSE(PliView::Parse(*RtcpPacketView::Parse(kNack)));

  auto pli = PliView::Parse(*RtcpPacketView::Parse(kPli));
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->sender_ssrc(), 1u);
  EXPECT_EQ(pli->media_ssrc(), 2u);
  EXPECT_FALSE(NackView::Parse(*RtcpPacketView::Parse(kPli)));

  const auto fir_bytes = Bytes({0x84, 206, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 7, 0,
                                0, 0, 0, 0, 0, 10, 8, 0, 0, 0});
  auto fir = FirView::Parse(*RtcpPacketView::Parse(fir_bytes));
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->sender_ssrc(), 1u);
  EXPECT_EQ(fir->media_ssrc(), 0u);
  ASSERT_EQ(fir->entry_count(), 2u);
  EXPECT_EQ(fir->entry(0).ssrc, 9u);
  EXPECT_EQ(fir->entry(0).sequence_number, 7);
  EXPECT_EQ(fir->entry(1).ssrc, 10u);
  EXPECT_EQ(fir->entry(1).sequence_number, 8);
}

TEST(FeedbackViewTest, EmptyNackIsRejected) {
  const auto bytes = Bytes({0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2});
  auto packet = RtcpPacketView::Parse(bytes);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(FeedbackView::Parse(*packet));
  EXPECT_FALSE(NackView::Parse(*packet));
}

TEST(FeedbackViewTest, Remb) {
  // 1,000,000 bps = 250000 << 2; SSRCs 0x1234 and 0x5678.
  const uint32_t field = (2u << 18) | 250000u;
  const auto bytes = Bytes({0x8F, 206, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 2,
                            static_cast<int>(field >> 16), static_cast<int>((field >> 8) & 0xFF),
                            static_cast<int>(field & 0xFF), 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78});
  auto remb = RembView::Parse(*RtcpPacketView::Parse(bytes));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->sender_ssrc(), 1u);
  EXPECT_EQ(remb->bitrate_bps(), 1000000u);
  ASSERT_EQ(remb->ssrc_count(), 2u);
  EXPECT_EQ(remb->ssrc(0), 0x1234u);
  EXPECT_EQ(remb->ssrc(1), 0x5678u);

  auto too_many = bytes;
  too_many[16] = 3;
  EXPECT_FALSE(RembView::Parse(*RtcpPacketView::Parse(too_many)));
  auto not_remb = bytes;
  not_remb[12] = 'X';
  EXPECT_FALSE(RembView::Parse(*RtcpPacketView::Parse(not_remb)));
  auto huge = bytes;
  huge[17] = 0xFF;  // exponent 63 with a non-zero mantissa overflows 64 bits
  auto saturated = RembView::Parse(*RtcpPacketView::Parse(huge));
  ASSERT_TRUE(saturated);
  EXPECT_EQ(saturated->bitrate_bps(), UINT64_MAX);
}

TEST(FeedbackViewTest, TransportCcHeader) {
  const auto bytes = Bytes({0x8F, 205, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0x01, 0x00, 0x00, 0x03,
                            0xFF, 0xFF, 0xFE, 0x05});
  auto tcc = TransportCcView::Parse(*RtcpPacketView::Parse(bytes));
  ASSERT_TRUE(tcc);
  EXPECT_EQ(tcc->sender_ssrc(), 1u);
  EXPECT_EQ(tcc->media_ssrc(), 2u);
  EXPECT_EQ(tcc->base_sequence_number(), 0x0100);
  EXPECT_EQ(tcc->packet_status_count(), 3);
  EXPECT_EQ(tcc->reference_time(), -2);
  EXPECT_EQ(tcc->feedback_packet_count(), 5);
  EXPECT_EQ(tcc->fci().size(), 8u);
}

TEST(RtcpCompoundTest, IteratesRrPliNack) {
  std::vector<uint8_t> compound = kRr;
  compound.insert(compound.end(), kPli.begin(), kPli.end());
  compound.insert(compound.end(), kNack.begin(), kNack.end());
  std::vector<std::pair<int, int>> seen;  // (PT, FMT)
  EXPECT_TRUE(ForEachRtcpPacket(compound, [&](const RtcpPacketView& p) {
    seen.emplace_back(p.packet_type(), p.fmt());
  }));
  EXPECT_THAT(seen, ElementsAre(std::make_pair(201, 1), std::make_pair(206, 1),
                                std::make_pair(205, 1)));

  // Early stop.
  int visited = 0;
  EXPECT_TRUE(ForEachRtcpPacket(compound, [&](const RtcpPacketView&) {
    ++visited;
    return false;
  }));
  EXPECT_EQ(visited, 1);

  // Trailing garbage: earlier packets are delivered, the walk reports failure.
  compound.push_back(0x80);
  seen.clear();
  EXPECT_FALSE(ForEachRtcpPacket(compound, [&](const RtcpPacketView& p) {
    seen.emplace_back(p.packet_type(), p.fmt());
  }));
  EXPECT_EQ(seen.size(), 3u);

  RtcpCompoundIterator it(compound);
  int count = 0;
  while (it.Next()) ++count;
  EXPECT_EQ(count, 3);
  EXPECT_TRUE(it.error());

  EXPECT_FALSE(ForEachRtcpPacket({}, [](const RtcpPacketView&) {}));
}

TEST(RtcpCompoundTest, ReducedSizeSinglePacketAccepted) {
  int count = 0;
  EXPECT_TRUE(ForEachRtcpPacket(kPli, [&](const RtcpPacketView& p) {
    ++count;
    EXPECT_TRUE(PliView::Parse(p));
  }));
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace switchyard::rtc
