#include "api/metrics.h"

#include <cmath>
#include <cstdio>

namespace switchyard::api {

namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

// Names are ours (never from the network), but a typo must not break the whole scrape.
std::string SanitizeName(std::string_view name, bool allow_colon) {
  if (name.empty()) return std::string(1, '_');
  std::string out(name);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!IsNameChar(out[i], i == 0, allow_colon)) out[i] = '_';
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '"': out.append("\\\""); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // 2^53: every integer below it is exact in a double, so print it without an exponent.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  }
  return buffer;
}

void MetricsWriter::Family::AddSample(const MetricLabels& labels, const std::string& value) {
  samples_.append(name_);
  if (!labels.empty()) {
    samples_.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) samples_.push_back(',');
      samples_.append(SanitizeName(labels[i].first, /*allow_colon=*/false));
      samples_.append("=\"");
      samples_.append(EscapeLabelValue(labels[i].second));
      samples_.push_back('"');
    }
    samples_.push_back('}');
  }
  samples_.push_back(' ');
  samples_.append(value);
  samples_.push_back('\n');
}

MetricsWriter::Family& MetricsWriter::Family::Add(const MetricLabels& labels, uint64_t value) {
  AddSample(labels, std::to_string(value));
  return *this;
}

MetricsWriter::Family& MetricsWriter::Family::Add(const MetricLabels& labels, double value) {
  AddSample(labels, FormatMetricValue(value));
  return *this;
}

MetricsWriter::Family& MetricsWriter::Counter(std::string_view name, std::string_view help) {
  return Declare(name, Type::kCounter, help);
}

MetricsWriter::Family& MetricsWriter::Gauge(std::string_view name, std::string_view help) {
  return Declare(name, Type::kGauge, help);
}

MetricsWriter::Family& MetricsWriter::Declare(std::string_view name, Type type,
                                              std::string_view help) {
  std::string clean = SanitizeName(name, /*allow_colon=*/true);
  if (auto it = by_name_.find(clean); it != by_name_.end()) return *it->second;
  families_.push_back(std::unique_ptr<Family>(new Family(clean, type, std::string(help))));
  Family* family = families_.back().get();
  by_name_.emplace(std::move(clean), family);
  return *family;
}

std::string MetricsWriter::Render() const {
  std::string out;
  for (const auto& family : families_) {
    out.append("# HELP ").append(family->name_).append(" ").append(EscapeHelp(family->help_));
    out.append("\n# TYPE ").append(family->name_);
    out.append(family->type_ == Type::kCounter ? " counter\n" : " gauge\n");
    out.append(family->samples_);
  }
  return out;
}

}  // namespace switchyard::api
