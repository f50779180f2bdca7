#include "api/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace switchyard::api {
namespace {

TEST(MetricsWriterTest, GoldenExpositionWithEscapingAndOneHeaderPerFamily) {
  MetricsWriter w;
  auto& requests = w.Counter("demo_requests_total", "Requests served.");
  requests.Add({{"path", "/a"}, {"status", "200"}}, uint64_t{3});
  w.Gauge("demo_temperature", "Line one\nback\\slash \"quoted\"").Add(21.5);
  // Samples added to an earlier family after another family still print under its header,
  // and re-declaring a family returns the same one (one HELP/TYPE pair per family).
  w.Counter("demo_requests_total", "ignored").Add(
      {{"path", "quote\" back\\slash\nnewline"}, {"status", "500"}}, uint64_t{18446744073709551615u});
  w.Gauge("demo_empty", "No samples yet.");

  EXPECT_EQ(w.Render(),
            "# HELP demo_requests_total Requests served.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{path=\"/a\",status=\"200\"} 3\n"
            "demo_requests_total{path=\"quote\\\" back\\\\slash\\nnewline\",status=\"500\"} "
            "18446744073709551615\n"
            "# HELP demo_temperature Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE demo_temperature gauge\n"
            "demo_temperature 21.5\n"
            "# HELP demo_empty No samples yet.\n"
            "# TYPE demo_empty gauge\n");
}

TEST(MetricsWriterTest, InvalidNameCharactersBecomeUnderscores) {
  MetricsWriter w;
  w.Gauge("9bad-name", "x").Add({{"bad label", "v"}}, uint64_t{1});
  w.Gauge("ns:ok_name", "y").Add(uint64_t{2});
  w.Gauge("", "z").Add(uint64_t{3});
  EXPECT_EQ(w.Render(),
            "# HELP _bad_name x\n# TYPE _bad_name gauge\n_bad_name{bad_label=\"v\"} 1\n"
            "# HELP ns:ok_name y\n# TYPE ns:ok_name gauge\nns:ok_name 2\n"
            "# HELP _ z\n# TYPE _ gauge\n_ 3\n");
}

TEST(MetricsFormatTest, Escaping) {
  struct Case {
    const char* in;
    const char* label;
    const char* help;
  };
  const Case cases[] = {
      {"plain", "plain", "plain"},
      {"a\"b", "a\\\"b", "a\"b"},
      {"a\\b", "a\\\\b", "a\\\\b"},
      {"a\nb", "a\\nb", "a\\nb"},
      {"\\\"\n", "\\\\\\\"\\n", "\\\\\"\\n"},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EscapeLabelValue(c.in), c.label) << c.in;
    EXPECT_EQ(EscapeHelp(c.in), c.help) << c.in;
  }
}

TEST(MetricsFormatTest, Values) {
  EXPECT_EQ(FormatMetricValue(0.0), "0");
  EXPECT_EQ(FormatMetricValue(42.0), "42");
  EXPECT_EQ(FormatMetricValue(-7.0), "-7");
  EXPECT_EQ(FormatMetricValue(0.0205), "0.0205");
  EXPECT_EQ(FormatMetricValue(1.5e-6), "1.5e-06");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

}  // namespace
}  // namespace switchyard::api
