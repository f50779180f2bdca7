#include "rtc/transport_cc_feedback.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::Bytes;

struct Arrival {
  uint16_t seq;
  int64_t time_us;
};

struct Decoded {
  uint16_t seq;
  bool received;
  int64_t time_us;  // 0 when not received
  friend bool operator==(const Decoded&, const Decoded&) = default;
};

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
  return os << "{" << d.seq << (d.received ? " R " : " N ") << d.time_us << "}";
}

std::vector<uint8_t> Encode(const TransportCcFeedback& feedback) {
  std::vector<uint8_t> out(feedback.size_bytes());
  const size_t size = feedback.Write(out);
  EXPECT_EQ(size, out.size());
  EXPECT_EQ(size % 4, 0u);
  out.resize(size);
  return out;
}

std::optional<TransportCcFeedback> Decode(const std::vector<uint8_t>& bytes) {
  std::optional<RtcpPacketView> packet = RtcpPacketView::Parse(bytes);
  if (!packet || packet->size() != bytes.size()) return std::nullopt;
  return TransportCcFeedback::Parse(*packet);
}

std::vector<Decoded> Packets(const TransportCcFeedback& feedback) {
  std::vector<Decoded> out;
  feedback.ForEachPacket([&](uint16_t seq, bool received, int64_t time_us) {
    out.push_back(Decoded{seq, received, received ? time_us : 0});
  });
  return out;
}

// What a feedback built from `arrivals` (times multiples of 250 µs) must decode to: every
// sequence number from the first to the last, arrival times exact.
std::vector<Decoded> Expected(const std::vector<Arrival>& arrivals) {
  std::vector<Decoded> out;
  uint16_t seq = arrivals.front().seq;
  for (const Arrival& a : arrivals) {
    for (; seq != a.seq; ++seq) out.push_back(Decoded{seq, false, 0});
    out.push_back(Decoded{a.seq, true, a.time_us});
    ++seq;
  }
  return out;
}

// Times around 1000 s so the 24-bit reference time does not wrap and decoded times equal the
// arrival times themselves.
constexpr int64_t kT0 = 1'000'000'000 / 64000 * 64000;

struct RoundTripCase {
  const char* name;
  std::vector<Arrival> arrivals;
};

class TransportCcRoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(TransportCcRoundTripTest, DecodesToTheAddedPackets) {
  const RoundTripCase& c = GetParam();
  TransportCcFeedback feedback(0x11111111, 0x22222222, 42);
  for (const Arrival& a : c.arrivals) ASSERT_TRUE(feedback.AddReceivedPacket(a.seq, a.time_us));
  const std::vector<Decoded> expected = Expected(c.arrivals);
  EXPECT_EQ(feedback.packet_count(), expected.size());
  EXPECT_EQ(Packets(feedback), expected);

  const std::vector<uint8_t> bytes = Encode(feedback);
  std::optional<TransportCcFeedback> parsed = Decode(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->sender_ssrc(), 0x11111111u);
  EXPECT_EQ(parsed->media_ssrc(), 0x22222222u);
  EXPECT_EQ(parsed->feedback_count(), 42);
  EXPECT_EQ(parsed->base_sequence(), c.arrivals.front().seq);
  EXPECT_EQ(parsed->status_count(), expected.size());
  EXPECT_EQ(parsed->received_count(), c.arrivals.size());
  EXPECT_EQ(Packets(*parsed), expected);
  // Re-encoding a parsed message is canonical: same bytes.
  EXPECT_EQ(Encode(*parsed), bytes);
}

std::vector<Arrival> Regular(uint16_t first, int count, int64_t start_us, int64_t step_us) {
  std::vector<Arrival> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(Arrival{static_cast<uint16_t>(first + i), start_us + i * step_us});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TransportCcRoundTripTest,
    ::testing::Values(
        RoundTripCase{"AllReceivedSmallDeltas", Regular(1, 100, kT0 + 5000, 1000)},
        RoundTripCase{"SinglePacket", {{7, kT0 + 63750}}},
        RoundTripCase{"Gaps",
                      {{10, kT0}, {12, kT0 + 250}, {13, kT0 + 500}, {17, kT0 + 20000},
                       {18, kT0 + 20000}, {30, kT0 + 30000}}},
        RoundTripCase{"LongLostRun", {{0, kT0}, {1, kT0 + 1000}, {5000, kT0 + 2000}}},
        RoundTripCase{"LargeDelta", {{1, kT0}, {2, kT0 + 64000}, {3, kT0 + 64250},
                                     {4, kT0 + 8'000'000}}},
        RoundTripCase{"NegativeDeltasFromReordering",
                      {{1, kT0 + 10000}, {2, kT0 + 9000}, {3, kT0 + 11000}, {4, kT0 + 8000},
                       {5, kT0 + 8250}, {6, kT0 + 8500}, {7, kT0 + 8750}, {8, kT0 + 9000},
                       {9, kT0 + 9250}, {10, kT0 + 9500}, {11, kT0 + 9750}}},
        RoundTripCase{"MixedLargeAndLosses",
                      {{100, kT0}, {102, kT0 + 100000}, {103, kT0 + 100250},
                       {110, kT0 + 50000}, {111, kT0 + 50500}, {125, kT0 + 60000}}},
        RoundTripCase{"SequenceWrap",
                      {{65530, kT0}, {65531, kT0 + 1000}, {65533, kT0 + 2000},
                       {65535, kT0 + 3000}, {0, kT0 + 4000}, {2, kT0 + 5000}, {3, kT0 + 6000}}},
        RoundTripCase{"LongRunOfLargeDeltas", Regular(500, 40, kT0, 100000)}),
    [](const ::testing::TestParamInfo<RoundTripCase>& info) { return info.param.name; });

TEST(TransportCcFeedbackTest, WritesHandCheckedBytes) {
  // 100 at 1 000 000 µs: reference time 15 (960 000 µs), delta 40 000 µs = 160 ticks.
  // 101 at +1 ms (4 ticks), 102 lost, 103 at +250 µs (1 tick).
  TransportCcFeedback feedback(1, 2, 7);
  ASSERT_TRUE(feedback.AddReceivedPacket(100, 1'000'000));
  ASSERT_TRUE(feedback.AddReceivedPacket(101, 1'001'000));
  ASSERT_TRUE(feedback.AddReceivedPacket(103, 1'001'250));
  // Statuses R R N R, no large delta: a 1-bit status vector |1|0|1101 0000000000| = 0xB400.
  // 20 + 2 + 3 = 25 bytes, padded to 28 with the P bit and a count of 3 (RFC 3550 §6.4.1).
  EXPECT_EQ(Encode(feedback), Bytes({0xAF, 205, 0x00, 0x06,        // V=2 P FMT=15, PT, len
                                     0x00, 0x00, 0x00, 0x01,        // sender SSRC
                                     0x00, 0x00, 0x00, 0x02,        // media SSRC
                                     0x00, 0x64, 0x00, 0x04,        // base 100, count 4
                                     0x00, 0x00, 0x0F, 0x07,        // ref time 15, fb count 7
                                     0xB4, 0x00, 0xA0, 0x04,        // chunk, deltas 160 4
                                     0x01, 0x00, 0x00, 0x03}));     // delta 1, padding
}

TEST(TransportCcFeedbackTest, TwoBitVectorWhenLargeOrNegativeDeltas) {
  // Small (0 ticks from the reference), large (+400), large (-1), small (+2):
  // |1|1|01 10 10 01 00 00 00| = 0xDA40, then deltas 00, 0190, FFFF, 02.
  TransportCcFeedback feedback(1, 2, 0);
  ASSERT_TRUE(feedback.AddReceivedPacket(10, kT0));
  ASSERT_TRUE(feedback.AddReceivedPacket(11, kT0 + 100000));
  ASSERT_TRUE(feedback.AddReceivedPacket(12, kT0 + 99750));
  ASSERT_TRUE(feedback.AddReceivedPacket(13, kT0 + 100250));
  const std::vector<uint8_t> bytes = Encode(feedback);
  ASSERT_EQ(bytes.size(), 28u);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 20, bytes.end()),
            Bytes({0xDA, 0x40, 0x00, 0x01, 0x90, 0xFF, 0xFF, 0x02}));
}

TEST(TransportCcFeedbackTest, RunLengthChunksForLongRuns) {
  // 5 received, 1000 lost, 1 received: the first 14 statuses fill a 1-bit vector
  // |1|0|11111 000000000| = 0xBE00, then a run of 991 "not received" |0|00|0001111011111|
  // = 0x03DF, then a run of one small delta |0|01|0000000000001| = 0x2001.
  TransportCcFeedback feedback(1, 2, 0);
  for (uint16_t seq = 0; seq < 5; ++seq) ASSERT_TRUE(feedback.AddReceivedPacket(seq, kT0));
  ASSERT_TRUE(feedback.AddReceivedPacket(1005, kT0 + 1000));
  EXPECT_EQ(feedback.packet_count(), 1006u);
  const std::vector<uint8_t> bytes = Encode(feedback);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 20, bytes.begin() + 26),
            Bytes({0xBE, 0x00, 0x03, 0xDF, 0x20, 0x01}));
  // And 100 received in a row are a single run-length chunk |0|01|0000001100100| = 0x2064.
  TransportCcFeedback run(1, 2, 0);
  for (uint16_t seq = 0; seq < 100; ++seq) ASSERT_TRUE(run.AddReceivedPacket(seq, kT0 + seq));
  const std::vector<uint8_t> run_bytes = Encode(run);
  EXPECT_EQ(run_bytes[20], 0x20);
  EXPECT_EQ(run_bytes[21], 0x64);
  EXPECT_EQ(run_bytes.size(), (20u + 2 + 100 + 3) / 4 * 4);
}

// The chunk examples of draft-holmer-rmcat-transport-wide-cc-extensions-01: run-length
// example 1 (|0|00|0000011011101|: 221 not received) and status vector example 1
// (|1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0|: 1 not received, 5 received, 3 not, 3 received, 2 not).
// The draft's prose swaps the meaning of the 1-bit symbols; its bit pattern (1 = received) is
// what libwebrtc implements and what we decode. The message ends with zero padding and no P
// bit, as the draft's figure shows.
const std::vector<uint8_t> kDraftExamples = Bytes({
    0x8F, 205, 0x00, 0x08,  //
    0x00, 0x00, 0x00, 0x01,  // sender SSRC
    0x00, 0x00, 0x00, 0x02,  // media SSRC
    0x03, 0xE8, 0x00, 0xEC,  // base 1000, 236 statuses
    0x00, 0x00, 0x01, 0x05,  // reference time 1 (64 ms), fb count 5
    0x9F, 0x1C,              // status vector example 1
    0x00, 0xDD,              // run length example 1
    0x20, 0x01,              // one received with a small delta
    1, 2, 3, 4, 5, 6, 7, 8, 9,  // deltas in 250 µs ticks
    0x00,                    // zero padding
});

TEST(TransportCcFeedbackTest, ParsesTheDraftChunkExamples) {
  std::optional<TransportCcFeedback> feedback = Decode(kDraftExamples);
  ASSERT_TRUE(feedback);
  EXPECT_EQ(feedback->base_sequence(), 1000);
  EXPECT_EQ(feedback->status_count(), 236);
  EXPECT_EQ(feedback->reference_time_us(), 64000);
  EXPECT_EQ(feedback->feedback_count(), 5);
  EXPECT_EQ(feedback->received_count(), 9u);
  std::vector<Decoded> expected;
  int64_t time = 64000;
  int tick = 0;
  auto add = [&](bool received, int count) {
    for (int i = 0; i < count; ++i) {
      const uint16_t seq = static_cast<uint16_t>(1000 + expected.size());
      if (received) {
        time += 250 * ++tick;
        expected.push_back(Decoded{seq, true, time});
      } else {
        expected.push_back(Decoded{seq, false, 0});
      }
    }
  };
  add(false, 1);
  add(true, 5);
  add(false, 3);
  add(true, 3);
  add(false, 2);
  add(false, 221);
  add(true, 1);
  EXPECT_EQ(Packets(*feedback), expected);

  const std::vector<TransportCcPacket> packets = feedback->GetPackets();
  ASSERT_EQ(packets.size(), 236u);
  EXPECT_EQ(packets[0], (TransportCcPacket{1000, false, 0}));
  EXPECT_EQ(packets[1], (TransportCcPacket{1001, true, 250}));
  EXPECT_EQ(packets[235], (TransportCcPacket{1235, true, 2250}));
}

TEST(TransportCcFeedbackTest, RejectsMalformedMessages) {
  std::vector<uint8_t> bytes = kDraftExamples;
  ASSERT_TRUE(Decode(bytes));
  // Status vector example 2 (|1|1|00 11 01 01 01 00 00|) uses the reserved symbol 11: rejected,
  // as libwebrtc does, since there is no delta to read for it.
  bytes[20] = 0xCD;
  bytes[21] = 0x50;
  EXPECT_FALSE(Decode(bytes));
  // A run of the reserved symbol.
  bytes = kDraftExamples;
  bytes[22] = 0x60;
  EXPECT_FALSE(Decode(bytes));
  // Status count 0.
  bytes = kDraftExamples;
  bytes[14] = bytes[15] = 0;
  EXPECT_FALSE(Decode(bytes));
  // Status count beyond the chunks present: the chunk reader runs into the deltas and then the
  // end.
  bytes = kDraftExamples;
  bytes[14] = 0xFF;
  EXPECT_FALSE(Decode(bytes));
  // Too few delta bytes: drop the last delta word (length field shortened).
  bytes = kDraftExamples;
  bytes.resize(32);
  bytes[3] = 0x07;
  EXPECT_FALSE(Decode(bytes));
  // Not FMT 15, or no room for the fixed FCI fields.
  bytes = kDraftExamples;
  bytes[0] = 0x81;
  EXPECT_FALSE(Decode(bytes));
  bytes = Bytes({0x8F, 205, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1});
  EXPECT_FALSE(Decode(bytes));
}

TEST(TransportCcFeedbackTest, RefusesPacketsItCannotEncode) {
  TransportCcFeedback feedback(1, 2, 0);
  ASSERT_TRUE(feedback.AddReceivedPacket(100, kT0));
  EXPECT_FALSE(feedback.AddReceivedPacket(100, kT0 + 250));  // duplicate
  EXPECT_FALSE(feedback.AddReceivedPacket(99, kT0 + 250));   // out of order
  EXPECT_FALSE(feedback.AddReceivedPacket(static_cast<uint16_t>(100 + 0x8000), kT0));
  // Deltas: 32767 ticks is the largest, 32768 is not; -32768 the smallest.
  EXPECT_FALSE(feedback.AddReceivedPacket(101, kT0 + 32768 * 250));
  EXPECT_FALSE(feedback.AddReceivedPacket(101, kT0 - 32769 * 250));
  ASSERT_TRUE(feedback.AddReceivedPacket(101, kT0 + 32767 * 250));
  ASSERT_TRUE(feedback.AddReceivedPacket(102, kT0 + 32767 * 250 - 32768 * 250));
  // Refusals changed nothing.
  EXPECT_EQ(feedback.packet_count(), 3u);
  std::optional<TransportCcFeedback> parsed = Decode(Encode(feedback));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(Packets(*parsed),
            (std::vector<Decoded>{{100, true, kT0},
                                  {101, true, kT0 + 32767 * 250},
                                  {102, true, kT0 - 250}}));
  // Status count is 16 bits.
  TransportCcFeedback wide(1, 2, 0, 1 << 20);
  ASSERT_TRUE(wide.AddReceivedPacket(0, kT0));
  ASSERT_TRUE(wide.AddReceivedPacket(0x7FFF, kT0));
  ASSERT_TRUE(wide.AddReceivedPacket(0xFFFE, kT0));
  EXPECT_FALSE(wide.AddReceivedPacket(0xFFFF, kT0));
  EXPECT_EQ(wide.packet_count(), 0xFFFFu);
  ASSERT_TRUE(Decode(Encode(wide)));
}

TEST(TransportCcFeedbackTest, SizeLimitAndBufferChecks) {
  // 40 bytes: 20 fixed + one chunk + up to 18 one-byte deltas (all in one run-length chunk).
  TransportCcFeedback feedback(1, 2, 0, 40);
  int added = 0;
  while (feedback.AddReceivedPacket(static_cast<uint16_t>(added), kT0 + added * 1000)) ++added;
  EXPECT_EQ(added, 18);
  EXPECT_EQ(feedback.size_bytes(), 40u);
  std::vector<uint8_t> out(39);
  EXPECT_EQ(feedback.Write(out), 0u);
  out.resize(64);
  EXPECT_EQ(feedback.Write(out), 40u);
  // An empty message is never written.
  TransportCcFeedback empty(1, 2, 0);
  EXPECT_EQ(empty.packet_count(), 0u);
  EXPECT_EQ(empty.Write(out), 0u);
  // The default limit holds for a worst case of large deltas.
  TransportCcFeedback big(1, 2, 0);
  int count = 0;
  while (big.AddReceivedPacket(static_cast<uint16_t>(count), kT0 + (count % 2) * 100000)) {
    ++count;
  }
  EXPECT_GT(count, 400);
  EXPECT_LE(big.size_bytes(), TransportCcFeedback::kDefaultMaxSize);
  EXPECT_EQ(Encode(big).size(), big.size_bytes());
}

TEST(TransportCcFeedbackTest, RoundsArrivalTimesWithoutDrift) {
  // 1.1 ms spacing is 4.4 ticks: each delta rounds, but the running error stays within 125 µs.
  TransportCcFeedback feedback(1, 2, 0);
  std::vector<int64_t> times;
  for (int i = 0; i < 300; ++i) {
    times.push_back(kT0 + 17 + i * 1100);
    ASSERT_TRUE(feedback.AddReceivedPacket(static_cast<uint16_t>(i), times.back()));
  }
  std::optional<TransportCcFeedback> parsed = Decode(Encode(feedback));
  ASSERT_TRUE(parsed);
  size_t i = 0;
  parsed->ForEachPacket([&](uint16_t, bool received, int64_t time_us) {
    ASSERT_TRUE(received);
    EXPECT_EQ(time_us % 250, 0);
    EXPECT_LE(std::abs(time_us - times[i]), 125) << i;
    ++i;
  });
  EXPECT_EQ(i, times.size());
}

TEST(TransportCcFeedbackTest, SetBaseSequenceReportsLeadingLosses) {
  TransportCcFeedback feedback(1, 2, 0);
  feedback.SetBaseSequence(65534);
  ASSERT_TRUE(feedback.AddReceivedPacket(1, kT0 + 500));
  feedback.SetBaseSequence(7);  // ignored once packets were added
  std::optional<TransportCcFeedback> parsed = Decode(Encode(feedback));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->base_sequence(), 65534);
  EXPECT_EQ(Packets(*parsed), (std::vector<Decoded>{{65534, false, 0},
                                                     {65535, false, 0},
                                                     {0, false, 0},
                                                     {1, true, kT0 + 500}}));
}

TEST(TransportCcFeedbackTest, ReferenceTimeWrapsAt24Bits) {
  // 2^23 * 64 ms is the first value that reads back negative; deltas stay exact.
  const int64_t t = (int64_t{1} << 23) * 64000 + 1000;
  TransportCcFeedback feedback(1, 2, 0);
  ASSERT_TRUE(feedback.AddReceivedPacket(1, t));
  ASSERT_TRUE(feedback.AddReceivedPacket(2, t + 70000));
  EXPECT_EQ(feedback.reference_time_us(), -(int64_t{1} << 23) * 64000);
  std::optional<TransportCcFeedback> parsed = Decode(Encode(feedback));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->reference_time_us(), -(int64_t{1} << 23) * 64000);
  const std::vector<Decoded> packets = Packets(*parsed);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].time_us, parsed->reference_time_us() + 1000);
  EXPECT_EQ(packets[1].time_us - packets[0].time_us, 70000);
}

}  // namespace
}  // namespace switchyard::rtc
