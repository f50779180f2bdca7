#include "sfu/twcc_receiver.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "rtc/rtcp_packet.h"
#include "rtc/transport_cc_feedback.h"

namespace switchyard::sfu {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using transport::FakeClock;
using transport::Timestamp;

struct Report {
  uint16_t seq;
  bool received;
  int64_t time_us;  // 0 when not received
  friend bool operator==(const Report&, const Report&) = default;
};

std::ostream& operator<<(std::ostream& os, const Report& r) {
  return os << "{" << r.seq << (r.received ? " R " : " N ") << r.time_us << "}";
}

struct Decoded {
  std::vector<Report> reports;  // all feedback packets, concatenated
  std::vector<uint8_t> feedback_counts;
  std::vector<size_t> sizes;
};

int64_t Micros(Timestamp t) { return t.time_since_epoch().count(); }

// Parses everything BuildFeedback wrote. FakeClock starts at 1000 s, where the 24-bit
// reference time does not wrap, so decoded times are the arrival times themselves.
Decoded Decode(std::span<const uint8_t> bytes) {
  Decoded out;
  const bool ok = rtc::ForEachRtcpPacket(bytes, [&](const rtc::RtcpPacketView& packet) {
    std::optional<rtc::TransportCcFeedback> feedback = rtc::TransportCcFeedback::Parse(packet);
    EXPECT_TRUE(feedback);
    if (!feedback) return;
    EXPECT_EQ(feedback->sender_ssrc(), 0xAAAAu);
    EXPECT_EQ(feedback->media_ssrc(), 0xBBBBu);
    out.feedback_counts.push_back(feedback->feedback_count());
    out.sizes.push_back(packet.size());
    feedback->ForEachPacket([&](uint16_t seq, bool received, int64_t time_us) {
      out.reports.push_back(Report{seq, received, received ? time_us : 0});
    });
  });
  EXPECT_TRUE(ok);
  return out;
}

class TwccReceiverTest : public ::testing::Test {
 protected:
  // Receives `seq` now (plus `offset`).
  void Receive(uint16_t seq, microseconds offset = microseconds(0)) {
    receiver_.OnPacket(seq, clock_.Now() + offset);
  }
  Decoded Build() {
    std::vector<uint8_t> out(16384);
    const size_t size = receiver_.BuildFeedback(clock_.Now(), out);
    out.resize(size);
    return Decode(out);
  }
  int64_t Now() const { return Micros(clock_.Now()); }

  FakeClock clock_;
  TwccReceiver receiver_{0xAAAA, 0xBBBB};
};

TEST_F(TwccReceiverTest, FeedbackEveryIntervalWithExactArrivalTimes) {
  std::vector<Report> expected;
  for (int round = 0; round < 3; ++round) {
    expected.clear();
    for (int i = 0; i < 10; ++i) {
      const auto seq = static_cast<uint16_t>(round * 10 + i);
      Receive(seq);
      expected.push_back(Report{seq, true, Now()});
      if (i < 9) {
        clock_.Advance(milliseconds(10));
        EXPECT_FALSE(receiver_.FeedbackDue(clock_.Now())) << round << " " << i;
      }
    }
    clock_.Advance(milliseconds(10));
    ASSERT_TRUE(receiver_.FeedbackDue(clock_.Now())) << round;
    const Decoded decoded = Build();
    EXPECT_EQ(decoded.reports, expected);
    EXPECT_EQ(decoded.feedback_counts, std::vector<uint8_t>{static_cast<uint8_t>(round)});
    EXPECT_FALSE(receiver_.FeedbackDue(clock_.Now()));
  }
}

TEST_F(TwccReceiverTest, ArrivalTimesWithin250Microseconds) {
  std::vector<int64_t> times;
  for (int i = 0; i < 50; ++i) {
    clock_.Advance(microseconds(1913));
    times.push_back(Now());
    Receive(static_cast<uint16_t>(i));
  }
  const Decoded decoded = Build();
  ASSERT_EQ(decoded.reports.size(), times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_TRUE(decoded.reports[i].received);
    EXPECT_LE(std::abs(decoded.reports[i].time_us - times[i]), 125) << i;
  }
}

TEST_F(TwccReceiverTest, LossesAreReportedNotReceivedIncludingAfterAFeedback) {
  const int64_t t0 = Now();
  for (uint16_t seq : {0, 1, 3, 4}) Receive(seq);
  EXPECT_EQ(Build().reports, (std::vector<Report>{
                                 {0, true, t0}, {1, true, t0}, {2, false, 0}, {3, true, t0},
                                 {4, true, t0}}));
  // 5 and 6 lost right after the feedback: the next one starts at 5, not at 7.
  clock_.Advance(milliseconds(100));
  Receive(7);
  EXPECT_EQ(Build().reports,
            (std::vector<Report>{{5, false, 0}, {6, false, 0}, {7, true, t0 + 100000}}));
}

TEST_F(TwccReceiverTest, LatePacketIsReportedInTheNextFeedback) {
  const int64_t t0 = Now();
  for (uint16_t seq : {10, 11, 13}) Receive(seq);
  EXPECT_EQ(Build().reports.size(), 4u);
  clock_.Advance(milliseconds(30));
  Receive(12);  // late
  clock_.Advance(milliseconds(70));
  Receive(14);
  EXPECT_TRUE(receiver_.FeedbackDue(clock_.Now()));
  EXPECT_EQ(Build().reports, (std::vector<Report>{{12, true, t0 + 30000},
                                                   {13, true, t0},
                                                   {14, true, t0 + 100000}}));
  // A late duplicate of something already reported changes nothing.
  Receive(13);
  EXPECT_FALSE(receiver_.FeedbackDue(clock_.Now() + milliseconds(500)));
}

TEST_F(TwccReceiverTest, DuplicatesKeepTheFirstArrival) {
  const int64_t t0 = Now();
  Receive(5);
  Receive(5, milliseconds(3));
  Receive(6, milliseconds(1));
  EXPECT_EQ(Build().reports, (std::vector<Report>{{5, true, t0}, {6, true, t0 + 1000}}));
}

TEST_F(TwccReceiverTest, SequenceNumbersWrap) {
  const int64_t t0 = Now();
  for (uint16_t seq : {65533, 65534}) Receive(seq);
  EXPECT_EQ(Build().reports.size(), 2u);
  clock_.Advance(milliseconds(100));
  for (uint16_t seq : {0, 2}) Receive(seq);
  EXPECT_EQ(Build().reports, (std::vector<Report>{{65535, false, 0},
                                                   {0, true, t0 + 100000},
                                                   {1, false, 0},
                                                   {2, true, t0 + 100000}}));
}

TEST_F(TwccReceiverTest, NoFeedbackWhenNothingArrived) {
  std::vector<uint8_t> out(1500);
  EXPECT_FALSE(receiver_.FeedbackDue(clock_.Now() + milliseconds(1000)));
  EXPECT_EQ(receiver_.BuildFeedback(clock_.Now(), out), 0u);
  Receive(1);
  clock_.Advance(milliseconds(100));
  EXPECT_GT(receiver_.BuildFeedback(clock_.Now(), out), 0u);
  clock_.Advance(milliseconds(500));
  EXPECT_FALSE(receiver_.FeedbackDue(clock_.Now()));
  EXPECT_EQ(receiver_.BuildFeedback(clock_.Now(), out), 0u);
  EXPECT_EQ(receiver_.feedback_count(), 1);
}

TEST_F(TwccReceiverTest, FeedbackCountIncrementsAndWraps) {
  for (int i = 0; i < 300; ++i) {
    Receive(static_cast<uint16_t>(i));
    clock_.Advance(milliseconds(100));
    ASSERT_TRUE(receiver_.FeedbackDue(clock_.Now()));
    const Decoded decoded = Build();
    ASSERT_EQ(decoded.feedback_counts.size(), 1u);
    EXPECT_EQ(decoded.feedback_counts[0], static_cast<uint8_t>(i));
  }
}

TEST_F(TwccReceiverTest, HugeJumpRestartsWithoutPhantomLosses) {
  Receive(0);
  Receive(1);
  Build();
  clock_.Advance(milliseconds(100));
  Receive(30000);
  Receive(30002);
  EXPECT_EQ(Build().reports, (std::vector<Report>{{30000, true, Now()},
                                                   {30001, false, 0},
                                                   {30002, true, Now()}}));
  // Backwards as well (a restarted sender): pending packets are dropped, no stale entries.
  clock_.Advance(milliseconds(100));
  Receive(30003);
  Receive(100);
  Receive(102);
  EXPECT_EQ(Build().reports,
            (std::vector<Report>{{100, true, Now()}, {101, false, 0}, {102, true, Now()}}));
}

TEST_F(TwccReceiverTest, ManyPacketsSplitIntoSeveralFeedbackPackets) {
  std::vector<Report> expected;
  for (int i = 0; i < 3000; ++i) {
    // Every 50th packet lost; alternating 0 / 100 ms arrival spread forces large deltas.
    clock_.Advance(microseconds(i % 2 == 0 ? 100000 : -99000));
    const auto seq = static_cast<uint16_t>(60000 + i);
    if (i % 50 == 7) {
      expected.push_back(Report{seq, false, 0});
      continue;
    }
    Receive(seq);
    expected.push_back(Report{seq, true, Now()});
  }
  const Decoded decoded = Build();
  EXPECT_EQ(decoded.reports, expected);
  ASSERT_GE(decoded.sizes.size(), 3u);
  for (size_t i = 0; i < decoded.sizes.size(); ++i) {
    EXPECT_LE(decoded.sizes[i], rtc::TransportCcFeedback::kDefaultMaxSize);
    EXPECT_EQ(decoded.feedback_counts[i], i);
  }
}

TEST_F(TwccReceiverTest, KeepsTheRestWhenTheBufferFillsUp) {
  for (int i = 0; i < 2000; ++i) {
    Receive(static_cast<uint16_t>(i), microseconds(i * 1000));
  }
  clock_.Advance(milliseconds(100));
  std::vector<uint8_t> small(rtc::TransportCcFeedback::kDefaultMaxSize + 100);
  const size_t first = receiver_.BuildFeedback(clock_.Now(), small);
  ASSERT_GT(first, 0u);
  const Decoded part1 = Decode(std::span<const uint8_t>(small).first(first));
  ASSERT_EQ(part1.feedback_counts.size(), 1u);
  EXPECT_TRUE(receiver_.FeedbackDue(clock_.Now()));
  const Decoded part2 = Build();
  EXPECT_FALSE(receiver_.FeedbackDue(clock_.Now()));
  ASSERT_FALSE(part2.reports.empty());
  EXPECT_EQ(part2.feedback_counts.front(), 1);
  EXPECT_EQ(part1.reports.size() + part2.reports.size(), 2000u);
  EXPECT_EQ(part2.reports.front().seq, static_cast<uint16_t>(part1.reports.back().seq + 1));
  EXPECT_EQ(part2.reports.back().seq, 1999);
}

TEST_F(TwccReceiverTest, RingOverflowDropsTheOldestPending) {
  const int total = static_cast<int>(TwccReceiver::kRingSize) + 500;
  for (int i = 0; i < total; ++i) Receive(static_cast<uint16_t>(i));
  const Decoded decoded = Build();
  ASSERT_EQ(decoded.reports.size(), TwccReceiver::kRingSize);
  EXPECT_EQ(decoded.reports.front().seq, 500);
  EXPECT_EQ(decoded.reports.back().seq, total - 1);
  for (const Report& r : decoded.reports) EXPECT_TRUE(r.received);
}

}  // namespace
}  // namespace switchyard::sfu
