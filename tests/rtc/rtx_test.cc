#include "rtc/rtx.h"

#include "rtc/rtp_header_extensions.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;
using ::switchyard::rtc::testing::Data;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Marker, PT 100, seq 0x1234, ts 0x10000000, SSRC 0xAAAAAAAA, 2 CSRCs, a two-word one-byte
// extension block (id1 "m0", id3 audio level, id5 two bytes), payload D0..D3, 3 bytes padding.
const std::vector<uint8_t> kOriginal = Bytes({
    0xB2, 0xE4, 0x12, 0x34, 0x10, 0x00, 0x00, 0x00, 0xAA, 0xAA, 0xAA, 0xAA,  //
    0xC1, 0xC1, 0xC1, 0xC1, 0xC2, 0xC2, 0xC2, 0xC2,                          // CSRCs
    0xBE, 0xDE, 0x00, 0x02,                                                  //
    0x11, 'm', '0', 0x30, 0x85, 0x51, 0x12, 0x34,                            //
    0xD0, 0xD1, 0xD2, 0xD3,                                                  // payload
    0x00, 0x00, 0x03,                                                        // padding
});
constexpr size_t kOriginalPaddingSize = 3;

constexpr uint32_t kRtxSsrc = 0x0BADCAFE;
constexpr uint8_t kRtxPt = 101;

TEST(RtxTest, WrapCopiesHeaderPrependsOsnAndDropsPadding) {
  auto original = RtpPacketView::Parse(kOriginal);
  ASSERT_TRUE(original);
  const std::array<ExtensionRemap, 3> remaps = {{{1, 1}, {3, 3}, {5, 5}}};
  std::array<uint8_t, 1500> out{};
  const size_t size = WriteRtx(*original, kRtxSsrc, kRtxPt, 0xFFFF, remaps, out);
  ASSERT_EQ(size, kOriginal.size() - kOriginalPaddingSize + kRtxOsnSize);

  auto rtx = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(rtx);
  EXPECT_TRUE(rtx->marker());
  EXPECT_EQ(rtx->payload_type(), kRtxPt);
  EXPECT_EQ(rtx->sequence_number(), 0xFFFF);
  EXPECT_EQ(rtx->timestamp(), 0x10000000u);  // RFC 4588 §4: original timestamp
  EXPECT_EQ(rtx->ssrc(), kRtxSsrc);
  ASSERT_EQ(rtx->csrc_count(), 2u);
  EXPECT_EQ(rtx->csrc(1), 0xC2C2C2C2u);
  EXPECT_EQ(rtx->padding_size(), 0u);
  EXPECT_THAT(Data(rtx->FindExtension(1)), ElementsAre('m', '0'));
  EXPECT_THAT(Data(rtx->FindExtension(5)), ElementsAre(0x12, 0x34));
  EXPECT_THAT(Data(rtx->payload()), ElementsAre(0x12, 0x34, 0xD0, 0xD1, 0xD2, 0xD3));
}

TEST(RtxTest, WrapThenUnwrapRestoresOriginalWithoutPadding) {
  auto original = RtpPacketView::Parse(kOriginal);
  ASSERT_TRUE(original);
  const std::array<ExtensionRemap, 3> remaps = {{{1, 1}, {3, 3}, {5, 5}}};
  std::array<uint8_t, 1500> rtx_bytes{};
  const size_t rtx_size = WriteRtx(*original, kRtxSsrc, kRtxPt, 7, remaps, rtx_bytes);
  ASSERT_GT(rtx_size, 0u);
  auto rtx = RtpPacketView::Parse(std::span<const uint8_t>(rtx_bytes).first(rtx_size));
  ASSERT_TRUE(rtx);

  std::array<uint8_t, 1500> restored{};
  const size_t size = UnwrapRtx(*rtx, 0xAAAAAAAA, 100, restored);
  std::vector<uint8_t> expected(kOriginal.begin(), kOriginal.end() - kOriginalPaddingSize);
  expected[0] &= ~0x20;  // P cleared
  EXPECT_THAT(Data(std::span<const uint8_t>(restored).first(size)), ElementsAreArray(expected));
}

TEST(RtxTest, WrapDropsUnmappedExtensionsAndRenumbersKeptOnes) {
  auto original = RtpPacketView::Parse(kOriginal);
  ASSERT_TRUE(original);
  const std::array<ExtensionRemap, 1> remaps = {{{3, 9}}};
  std::array<uint8_t, 1500> out{};
  const size_t size = WriteRtx(*original, kRtxSsrc, kRtxPt, 1, remaps, out);
  auto rtx = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(rtx);
  EXPECT_THAT(Data(rtx->FindExtension(9)), ElementsAre(0x85));
  EXPECT_FALSE(rtx->FindExtensionElement(1));
  EXPECT_FALSE(rtx->FindExtensionElement(5));
  EXPECT_THAT(Data(rtx->payload()), ElementsAre(0x12, 0x34, 0xD0, 0xD1, 0xD2, 0xD3));

  // No remaps: no extension header at all.
  const size_t bare = WriteRtx(*original, kRtxSsrc, kRtxPt, 1, {}, out);
  rtx = RtpPacketView::Parse(std::span<const uint8_t>(out).first(bare));
  ASSERT_TRUE(rtx);
  EXPECT_FALSE(rtx->has_extension());
  EXPECT_EQ(bare, 12u + 8u + 2u + 4u);
}

TEST(RtxTest, WrapFailsWhenOutputTooSmall) {
  auto original = RtpPacketView::Parse(kOriginal);
  ASSERT_TRUE(original);
  std::array<uint8_t, 1500> out{};
  const size_t needed = WriteRtx(*original, kRtxSsrc, kRtxPt, 1, {}, out);
  ASSERT_GT(needed, 0u);
  for (size_t size : {size_t{0}, size_t{1}, size_t{12}, needed - 2, needed - 1}) {
    EXPECT_EQ(WriteRtx(*original, kRtxSsrc, kRtxPt, 1, {}, std::span(out).first(size)), 0u)
        << size;
  }
  EXPECT_EQ(WriteRtx(*original, kRtxSsrc, kRtxPt, 1, {}, std::span(out).first(needed)), needed);
}

TEST(RtxTest, UnwrapInPlace) {
  // RTX packet: seq 9, PT 101, SSRC kRtxSsrc, OSN 0xBEEF, payload 01 02, 2 bytes padding.
  std::vector<uint8_t> packet = Bytes({0xA0, 0x65, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05,  //
                                       0x0B, 0xAD, 0xCA, 0xFE, 0xBE, 0xEF, 0x01, 0x02,  //
                                       0x00, 0x02});
  auto rtx = RtpPacketView::Parse(packet);
  ASSERT_TRUE(rtx);
  const size_t size = UnwrapRtx(*rtx, 0x11223344, 96, packet);
  ASSERT_EQ(size, 14u);
  auto restored = RtpPacketView::Parse(std::span<const uint8_t>(packet).first(size));
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->sequence_number(), 0xBEEF);
  EXPECT_EQ(restored->payload_type(), 96);
  EXPECT_EQ(restored->ssrc(), 0x11223344u);
  EXPECT_EQ(restored->timestamp(), 5u);
  EXPECT_EQ(restored->padding_size(), 0u);
  EXPECT_THAT(Data(restored->payload()), ElementsAre(0x01, 0x02));
}

TEST(RtxTest, UnwrapRejectsPayloadShorterThanOsnAndSmallOutput) {
  struct Case {
    std::vector<uint8_t> packet;
    size_t out_size;
    size_t want;
  };
  const std::vector<uint8_t> header = Bytes(
      {0x80, 0x65, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0x0B, 0xAD, 0xCA, 0xFE});
  auto with = [&](std::initializer_list<int> tail) {
    std::vector<uint8_t> p = header;
    for (int b : tail) p.push_back(static_cast<uint8_t>(b));
    return p;
  };
  std::vector<uint8_t> padding_only = with({0x00, 0x00, 0x00, 0x04});
  padding_only[0] |= 0x20;
  const Case cases[] = {
      {with({}), 100, 0},                 // no payload
      {with({0x01}), 100, 0},             // 1 byte: no room for the OSN
      {padding_only, 100, 0},             // probe: payload is all padding
      {with({0x00, 0x01}), 100, 12},      // OSN only: empty original payload
      {with({0x00, 0x01, 0xAA}), 12, 0},  // output one byte short
      {with({0x00, 0x01, 0xAA}), 13, 13},
  };
  for (const Case& c : cases) {
    auto rtx = RtpPacketView::Parse(c.packet);
    ASSERT_TRUE(rtx);
    std::vector<uint8_t> out(c.out_size);
    EXPECT_EQ(UnwrapRtx(*rtx, 1, 96, out), c.want) << c.packet.size() << "/" << c.out_size;
  }
}

TEST(RtxTest, PaddingPacketParsesWithPaddingBit) {
  for (size_t padding : {size_t{1}, size_t{2}, size_t{200}, size_t{255}}) {
    std::array<uint8_t, 300> out{};
    const size_t size = WritePaddingPacket(kRtxSsrc, kRtxPt, 0x8001, 0xDEADBEEF, padding, out);
    ASSERT_EQ(size, 12 + padding);
    auto view = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
    ASSERT_TRUE(view) << padding;
    EXPECT_EQ(out[0] & 0x20, 0x20);
    EXPECT_EQ(view->padding_size(), padding);
    EXPECT_TRUE(view->payload().empty());
    EXPECT_EQ(view->ssrc(), kRtxSsrc);
    EXPECT_EQ(view->payload_type(), kRtxPt);
    EXPECT_EQ(view->sequence_number(), 0x8001);
    EXPECT_EQ(view->timestamp(), 0xDEADBEEFu);
    EXPECT_FALSE(view->marker());
    EXPECT_EQ(out[size - 1], padding);
  }
}

TEST(RtxTest, PaddingPacketRejectsBadSizes) {
  std::array<uint8_t, 300> out{};
  EXPECT_EQ(WritePaddingPacket(1, 96, 0, 0, 0, out), 0u);
  EXPECT_EQ(WritePaddingPacket(1, 96, 0, 0, 256, out), 0u);
  EXPECT_EQ(WritePaddingPacket(1, 96, 0, 0, 100, std::span(out).first(111)), 0u);
  EXPECT_EQ(WritePaddingPacket(1, 96, 0, 0, 100, std::span(out).first(112)), 112u);
}

}  // namespace
}  // namespace switchyard::rtc

namespace switchyard::rtc {
namespace {

TEST(WritePaddingPacketTest, CarriesTheTransportWideSequenceNumberWhenAsked) {
  std::array<uint8_t, 400> out{};
  const size_t size = WritePaddingPacket(0xABCD0001, 97, 7, 1234, 200, out, 3, 0x0102);
  ASSERT_EQ(size, 12u + 8u + 200u);
  auto packet = RtpPacketView::Parse(std::span<const uint8_t>(out.data(), size));
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->padding_size(), 200u);
  EXPECT_TRUE(packet->payload().empty());
  RtpExtensionMap map;
  ASSERT_TRUE(map.Register(3, RtpExtensionType::kTransportWideCc).ok());
  EXPECT_EQ(ReadTransportSequenceNumber(*packet, map), 0x0102);
  EXPECT_EQ(WritePaddingPacket(1, 97, 0, 0, 10, out, 15, 0), 0u);  // no one-byte id 15
}

}  // namespace
}  // namespace switchyard::rtc
