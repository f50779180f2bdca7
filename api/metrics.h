#ifndef SWITCHYARD_API_METRICS_H_
#define SWITCHYARD_API_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::api {

// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): one "# HELP" and one "# TYPE"
// line per metric family, then one line per sample `name{label="value",...} value`.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Builds one exposition. Families keep the order they were first named in, and samples added to
// a family later (after other families) still print under its single HELP/TYPE header, as the
// format requires. Not thread-safe; build one per scrape.
class MetricsWriter {
 public:
  enum class Type { kCounter, kGauge };

  class Family {
   public:
    // Counters and gauges with integer values print exactly (no float rounding of big counts).
    Family& Add(const MetricLabels& labels, uint64_t value);
    Family& Add(const MetricLabels& labels, double value);
    Family& Add(uint64_t value) { return Add(MetricLabels{}, value); }
    Family& Add(double value) { return Add(MetricLabels{}, value); }

   private:
    friend class MetricsWriter;
    Family(std::string name, Type type, std::string help)
        : name_(std::move(name)), type_(type), help_(std::move(help)) {}
    void AddSample(const MetricLabels& labels, const std::string& value);

    std::string name_;
    Type type_;
    std::string help_;
    std::string samples_;
  };

  // Returns the family `name`, declaring it on first use (later calls ignore `type`/`help`).
  // Characters not allowed in metric names ([a-zA-Z_:][a-zA-Z0-9_:]*) become '_'.
  Family& Counter(std::string_view name, std::string_view help);
  Family& Gauge(std::string_view name, std::string_view help);

  std::string Render() const;

 private:
  Family& Declare(std::string_view name, Type type, std::string_view help);

  std::vector<std::unique_ptr<Family>> families_;
  std::map<std::string, Family*, std::less<>> by_name_;
};

// Label value escaping of the text format: backslash, double quote and line feed become \\, \"
// and \n.
std::string EscapeLabelValue(std::string_view value);
// HELP text escaping: backslash and line feed only.
std::string EscapeHelp(std::string_view help);
// Sample value as the format spells it: integers exactly, NaN, +Inf, -Inf.
std::string FormatMetricValue(double value);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_METRICS_H_
