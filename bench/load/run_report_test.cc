#include "bench/load/run_report.h"

#include <string>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "gtest/gtest.h"

namespace switchyard::bench {
namespace {

RunResult CleanRun() {
  RunResult r;
  r.config.publishers = 1;
  r.config.subscribers = 2;
  r.config.room = "r\"oom";  // must be escaped in JSON
  r.elapsed_s = 5.0;
  r.measure_start_s = 1.0;
  r.measure_end_s = 5.0;
  r.counters.rtp_sent = 1000;
  r.counters.rtp_received = 2000;
  r.quality.expected = 2000;
  r.quality.received = 2000;
  r.subscribers_checked = 2;
  r.sessions = 3;
  for (int i = 1; i <= 3; ++i) {
    IntervalSample s;
    s.t_s = i;
    s.connected = 3;
    s.packets_in_per_s = 400;
    s.latency_p50_us = 300;
    r.series.push_back(s);
  }
  r.latency.Record(300);
  r.join_us.Record(50'000);
  r.failure_reasons["signaling: read: \"eof\"\n"] = 1;
  return r;
}

TEST(RunReportTest, JsonIsValidAndComplete) {
  const std::string json = RunResultToJson(CleanRun());
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  const auto& fields = parsed.fields();
  ASSERT_TRUE(fields.contains("series"));
  EXPECT_EQ(fields.at("series").list_value().values_size(), 3);
  EXPECT_EQ(fields.at("config").struct_value().fields().at("room").string_value(), "r\"oom");
  const auto& totals = fields.at("totals").struct_value().fields();
  EXPECT_EQ(totals.at("rtp_received").number_value(), 2000);
  EXPECT_EQ(totals.at("lost").number_value(), 0);
  EXPECT_DOUBLE_EQ(fields.at("join_time").struct_value().fields().at("count").number_value(), 1);
  EXPECT_TRUE(fields.contains("failure_reasons"));
}

TEST(RunReportTest, ZeroLossChecks) {
  RunResult clean = CleanRun();
  EXPECT_TRUE(ZeroLossViolations(clean).empty());

  RunResult lossy = clean;
  lossy.quality.lost = 3;
  ASSERT_EQ(ZeroLossViolations(lossy).size(), 1u);
  EXPECT_NE(ZeroLossViolations(lossy)[0].find("3 packets lost"), std::string::npos);

  RunResult failed = clean;
  failed.connect_failures = 1;
  EXPECT_EQ(ZeroLossViolations(failed).size(), 1u);

  RunResult incomplete = clean;
  incomplete.subscribers_incomplete = 1;
  EXPECT_EQ(ZeroLossViolations(incomplete).size(), 1u);

  RunResult misrouted = clean;
  misrouted.counters.misrouted = 2;
  EXPECT_EQ(ZeroLossViolations(misrouted).size(), 1u);

  RunResult silent = clean;
  silent.counters.rtp_received = 0;
  EXPECT_FALSE(ZeroLossViolations(silent).empty());

  RunResult late = clean;
  late.timed_out = true;
  EXPECT_FALSE(ZeroLossViolations(late).empty());
}

TEST(RunReportTest, LiveLineAndSummaryShowTheKeyFigures) {
  IntervalSample s;
  s.t_s = 12;
  s.connected = 20;
  s.packets_out_per_s = 350;
  s.packets_in_per_s = 25'000;
  s.loss_percent = 0.5;
  s.latency_p50_us = 1500;
  s.latency_p99_us = 9000;
  const std::string line = FormatLiveLine(s, 21);
  EXPECT_NE(line.find("connected 20/21"), std::string::npos) << line;
  EXPECT_NE(line.find("25.0k pkt/s"), std::string::npos) << line;
  EXPECT_NE(line.find("loss 0.500%"), std::string::npos) << line;
  EXPECT_NE(line.find("p50 1.50 ms p99 9.00 ms"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);

  const std::string summary = FormatSummary(CleanRun());
  EXPECT_NE(summary.find("0 of 2000 expected"), std::string::npos) << summary;
  EXPECT_NE(summary.find("join time"), std::string::npos);
  EXPECT_NE(summary.find("2/2 received every expected track"), std::string::npos) << summary;
}

}  // namespace
}  // namespace switchyard::bench
