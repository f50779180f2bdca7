#include "rtc/rtp_rewriter.h"

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

// Marker set, PT 100, 1 CSRC, one-byte extensions (id1 mid "m0", id3 audio level, id5 tseq),
// 4 payload bytes, 3 bytes of padding.
const std::vector<uint8_t> kInput = Bytes({
    0xB1, 0xE4, 0x00, 0x10, 0x00, 0x00, 0x10, 0x00, 0xAA, 0xAA, 0xAA, 0xAA,  //
    0xC5, 0xC5, 0xC5, 0xC5,                                                  // CSRC
    0xBE, 0xDE, 0x00, 0x03,                                                  //
    0x11, 'm', '0', 0x30, 0x85, 0x51, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00,    //
    0xD0, 0xD1, 0xD2, 0xD3,                                                  // payload
    0x00, 0x00, 0x03,                                                        // padding
});

RtpRewriteParams Params() {
  RtpRewriteParams params;
  params.ssrc = 0x0BADCAFE;
  params.sequence_number = 0xFFFF;
  params.timestamp = 0x01020304;
  params.payload_type = 96;
  return params;
}

TEST(RtpRewriterTest, RewritesHeaderRemapsExtensionsAndCopiesPayload) {
  auto in = RtpPacketView::Parse(kInput);
  ASSERT_TRUE(in);
  RtpRewriteParams params = Params();
  params.transport_sequence_id = 7;
  params.transport_sequence_number = 999;
  const std::array<ExtensionRemap, 2> remaps = {{{1, 4}, {3, 2}}};
  std::array<uint8_t, 1500> out{};
  const size_t size = WriteRewrittenRtp(*in, params, remaps, out);
  ASSERT_GT(size, 0u);

  auto view = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->marker());
  EXPECT_EQ(view->payload_type(), 96);
  EXPECT_EQ(view->sequence_number(), 0xFFFF);
  EXPECT_EQ(view->timestamp(), 0x01020304u);
  EXPECT_EQ(view->ssrc(), 0x0BADCAFEu);
  ASSERT_EQ(view->csrc_count(), 1u);
  EXPECT_EQ(view->csrc(0), 0xC5C5C5C5u);
  EXPECT_EQ(view->extension_format(), RtpExtensionFormat::kOneByte);
  EXPECT_THAT(Data(view->FindExtension(4)), ElementsAre('m', '0'));
  EXPECT_THAT(Data(view->FindExtension(2)), ElementsAre(0x85));
  EXPECT_THAT(Data(view->FindExtension(7)), ElementsAre(0x03, 0xE7));
  EXPECT_FALSE(view->FindExtensionElement(1));
  EXPECT_FALSE(view->FindExtensionElement(3));
  EXPECT_FALSE(view->FindExtensionElement(5));  // not remapped: dropped
  EXPECT_EQ(view->padding_size(), 0u);          // padding is not forwarded
  EXPECT_EQ(view->data()[0] & 0x20, 0);
  EXPECT_EQ(Data(view->payload()), Data(in->payload()));
  // 12 + 4 (CSRC) + 4 + 8 (2+3+3 bytes of elements, padded) + 4 payload.
  EXPECT_EQ(size, 32u);
}

TEST(RtpRewriterTest, ReturnsZeroWhenOutputTooSmall) {
  auto in = RtpPacketView::Parse(kInput);
  ASSERT_TRUE(in);
  const std::array<ExtensionRemap, 1> remaps = {{{1, 1}}};
  std::array<uint8_t, 1500> buffer{};
  const size_t needed = WriteRewrittenRtp(*in, Params(), remaps, buffer);
  ASSERT_GT(needed, 0u);
  for (size_t size = 0; size < needed; ++size) {
    EXPECT_EQ(WriteRewrittenRtp(*in, Params(), remaps, std::span<uint8_t>(buffer).first(size)),
              0u)
        << size;
  }
  EXPECT_EQ(WriteRewrittenRtp(*in, Params(), remaps, std::span<uint8_t>(buffer).first(needed)),
            needed);
}

TEST(RtpRewriterTest, NoKeptExtensionsMeansNoExtensionHeader) {
  auto in = RtpPacketView::Parse(kInput);
  ASSERT_TRUE(in);
  std::array<uint8_t, 1500> out{};
  const size_t size = WriteRewrittenRtp(*in, Params(), {}, out);
  auto view = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->has_extension());
  EXPECT_EQ(view->header_size(), 16u);
  EXPECT_THAT(Data(view->payload()), ElementsAre(0xD0, 0xD1, 0xD2, 0xD3));
}

struct FormatCase {
  const char* name;
  std::vector<uint8_t> input;  // complete RTP packet
  std::vector<ExtensionRemap> remaps;
  RtpExtensionFormat expected_format;
  uint8_t out_id;
  std::vector<uint8_t> expected_data;
};

class RtpRewriterFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(RtpRewriterFormatTest, ChoosesEncoding) {
  const FormatCase& c = GetParam();
  auto in = RtpPacketView::Parse(c.input);
  ASSERT_TRUE(in);
  std::array<uint8_t, 1500> out{};
  const size_t size = WriteRewrittenRtp(*in, Params(), c.remaps, out);
  ASSERT_GT(size, 0u);
  auto view = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->extension_format(), c.expected_format);
  auto data = view->FindExtensionElement(c.out_id);
  ASSERT_TRUE(data);
  EXPECT_EQ(Data(*data), c.expected_data);
  EXPECT_EQ(Data(view->payload()), Data(in->payload()));
}

// One-byte input: id 1 "xy".
const std::vector<uint8_t> kOneByteIn = Bytes({0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE,
                                               0xDE, 0, 1, 0x11, 'x', 'y', 0x00, 0x77});
// Two-byte input: id 1 zero-length, id 2 with 17 bytes.
const std::vector<uint8_t> kTwoByteIn = Bytes({
    0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0x00, 0, 6,  //
    0x01, 0x00, 0x02, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
    0x00, 0x00, 0x00, 0x88,
});

INSTANTIATE_TEST_SUITE_P(
    Encodings, RtpRewriterFormatTest,
    ::testing::Values(
        FormatCase{"OneByteStaysOneByte", kOneByteIn, {{1, 14}}, RtpExtensionFormat::kOneByte,
                   14, {'x', 'y'}},
        FormatCase{"IdAbove14NeedsTwoByte", kOneByteIn, {{1, 15}}, RtpExtensionFormat::kTwoByte,
                   15, {'x', 'y'}},
        FormatCase{"LargeIdTwoByte", kOneByteIn, {{1, 200}}, RtpExtensionFormat::kTwoByte, 200,
                   {'x', 'y'}},
        FormatCase{"ZeroLengthNeedsTwoByte", kTwoByteIn, {{1, 3}}, RtpExtensionFormat::kTwoByte,
                   3, {}},
        FormatCase{"SeventeenBytesNeedsTwoByte", kTwoByteIn, {{2, 3}},
                   RtpExtensionFormat::kTwoByte, 3,
                   {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
        FormatCase{"OutIdZeroIsIgnored", kTwoByteIn, {{2, 9}, {1, 0}},
                   RtpExtensionFormat::kTwoByte, 9,
                   {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}}),
    [](const ::testing::TestParamInfo<FormatCase>& info) { return info.param.name; });

TEST(RtpRewriterTest, TwoByteInputWithShortElementBecomesOneByte) {
  const auto input = Bytes({0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0x00, 0, 1, 0x20,
                            0x02, 0xAB, 0xCD, 0x42});
  auto in = RtpPacketView::Parse(input);
  ASSERT_TRUE(in);
  const std::array<ExtensionRemap, 1> remaps = {{{0x20, 5}}};
  std::array<uint8_t, 64> out{};
  const size_t size = WriteRewrittenRtp(*in, Params(), remaps, out);
  auto view = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->extension_format(), RtpExtensionFormat::kOneByte);
  EXPECT_THAT(Data(view->FindExtension(5)), ElementsAre(0xAB, 0xCD));
}

TEST(RtpRewriterTest, GeneratedExtensionsWinOverRemapsToSameId) {
  auto in = RtpPacketView::Parse(kInput);
  ASSERT_TRUE(in);
  RtpRewriteParams params = Params();
  params.transport_sequence_id = 3;
  params.transport_sequence_number = 0x0102;
  params.abs_send_time_id = 4;
  params.abs_send_time = 0xABCDEF;
  const std::array<ExtensionRemap, 2> remaps = {{{5, 3}, {1, 1}}};
  std::array<uint8_t, 1500> out{};
  const size_t size = WriteRewrittenRtp(*in, params, remaps, out);
  auto view = RtpPacketView::Parse(std::span<const uint8_t>(out).first(size));
  ASSERT_TRUE(view);
  std::vector<int> ids;
  view->ForEachExtension([&](const RtpExtensionElement& e) { ids.push_back(e.id); });
  EXPECT_THAT(ids, ElementsAre(1, 3, 4));
  EXPECT_THAT(Data(view->FindExtension(3)), ElementsAre(0x01, 0x02));
  EXPECT_THAT(Data(view->FindExtension(4)), ElementsAre(0xAB, 0xCD, 0xEF));
}

TEST(RtpRewriterTest, RewritesHeaderInPlace) {
  auto packet = kInput;
  ASSERT_TRUE(RewriteRtpHeaderInPlace(packet, Params()));
  auto view = RtpPacketView::Parse(packet);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->marker());
  EXPECT_EQ(view->payload_type(), 96);
  EXPECT_EQ(view->sequence_number(), 0xFFFF);
  EXPECT_EQ(view->timestamp(), 0x01020304u);
  EXPECT_EQ(view->ssrc(), 0x0BADCAFEu);
  EXPECT_THAT(Data(view->FindExtension(1)), ElementsAre('m', '0'));
  EXPECT_EQ(view->padding_size(), 3u);
  // Everything after the fixed header is untouched.
  EXPECT_TRUE(std::equal(packet.begin() + 12, packet.end(), kInput.begin() + 12));

  auto garbage = Bytes({0x00, 0x01, 0x02});
  EXPECT_FALSE(RewriteRtpHeaderInPlace(garbage, Params()));
  EXPECT_THAT(garbage, ElementsAre(0x00, 0x01, 0x02));
}

}  // namespace
}  // namespace switchyard::rtc
