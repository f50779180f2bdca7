#include "bench/load/run_report.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

extern char** environ;

namespace switchyard::bench {

namespace {

std::string Ms(uint64_t us) { return absl::StrFormat("%.2f ms", static_cast<double>(us) / 1000.0); }

std::string Rate(double per_second) {
  if (per_second >= 1e6) return absl::StrFormat("%.2fM", per_second / 1e6);
  if (per_second >= 1e4) return absl::StrFormat("%.1fk", per_second / 1e3);
  return absl::StrFormat("%.0f", per_second);
}

std::string Bits(double bits_per_second) {
  if (bits_per_second >= 1e9) return absl::StrFormat("%.2f Gb/s", bits_per_second / 1e9);
  if (bits_per_second >= 1e6) return absl::StrFormat("%.1f Mb/s", bits_per_second / 1e6);
  return absl::StrFormat("%.0f kb/s", bits_per_second / 1e3);
}

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) { return absl::StrFormat("%.6g", v); }

std::string HistogramJson(const LatencyHistogram& h) {
  return absl::StrFormat(
      "{\"count\": %d, \"min_ms\": %s, \"mean_ms\": %s, \"p50_ms\": %s, \"p90_ms\": %s, "
      "\"p99_ms\": %s, \"p999_ms\": %s, \"max_ms\": %s}",
      h.count(), JsonNumber(h.min() / 1000.0), JsonNumber(h.mean() / 1000.0),
      JsonNumber(h.Percentile(50) / 1000.0), JsonNumber(h.Percentile(90) / 1000.0),
      JsonNumber(h.Percentile(99) / 1000.0), JsonNumber(h.Percentile(99.9) / 1000.0),
      JsonNumber(h.max() / 1000.0));
}

std::string Distribution(const LatencyHistogram& h) {
  if (h.count() == 0) return "none";
  return absl::StrFormat("p50 %s  p90 %s  p99 %s  max %s  (n=%d)", Ms(h.Percentile(50)),
                         Ms(h.Percentile(90)), Ms(h.Percentile(99)), Ms(h.max()), h.count());
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    std::string candidate = dirs.substr(start, colon == std::string::npos ? std::string::npos
                                                                            : colon - start);
    if (candidate.empty()) candidate.push_back('.');
    candidate.push_back('/');
    candidate.append(program);
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

}  // namespace

std::vector<std::string> ZeroLossViolations(const RunResult& r) {
  std::vector<std::string> v;
  if (r.quality.lost > 0) {
    v.push_back(absl::StrFormat("%d packets lost of %d expected", r.quality.lost,
                                r.quality.expected));
  }
  if (r.connect_failures > 0) v.push_back(absl::StrFormat("%d connect failures", r.connect_failures));
  if (r.disconnects > 0) v.push_back(absl::StrFormat("%d disconnects", r.disconnects));
  if (r.counters.misrouted > 0) {
    v.push_back(absl::StrFormat("%d packets on the wrong track", r.counters.misrouted));
  }
  if (r.counters.srtp_errors > 0) {
    v.push_back(absl::StrFormat("%d SRTP authentication errors", r.counters.srtp_errors));
  }
  if (r.counters.bad_stamp > 0) {
    v.push_back(absl::StrFormat("%d media packets without a payload stamp", r.counters.bad_stamp));
  }
  if (r.subscribers_incomplete > 0) {
    v.push_back(absl::StrFormat("%d of %d subscribers missing expected tracks",
                                r.subscribers_incomplete, r.subscribers_checked));
  }
  if (r.counters.rtp_sent == 0) v.push_back("nothing was sent");
  if (r.subscribers_checked > 0 && r.counters.rtp_received == 0) v.push_back("nothing was received");
  if (r.timed_out) v.push_back("the hard timeout fired");
  return v;
}

std::string FormatLiveLine(const IntervalSample& s, int planned_clients) {
  return absl::StrFormat(
      "[%5.1fs] connected %d/%d | out %s pkt/s %s | in %s pkt/s %s | loss %.3f%% | "
      "p50 %.2f ms p99 %.2f ms | failed %d | gen lag %.1f ms",
      s.t_s, s.connected, planned_clients, Rate(s.packets_out_per_s), Bits(s.bits_out_per_s),
      Rate(s.packets_in_per_s), Bits(s.bits_in_per_s), s.loss_percent,
      s.latency_p50_us / 1000.0, s.latency_p99_us / 1000.0, s.failures,
      s.generator_lag_max_us / 1000.0);
}

std::string FormatSummary(const RunResult& r) {
  const LoadConfig& c = r.config;
  std::ostringstream out;
  out << absl::StrFormat(
      "\nswitchyard-bench: %s%s, %d publisher(s)%s + %d subscriber(s), media %s",
      ScenarioName(c.scenario), c.preset.empty() ? std::string() : absl::StrCat(" (preset ", c.preset, ")"),
      c.publishers, c.publishers_subscribe ? " receiving each other" : "", c.subscribers,
      MediaMixName(c.media));
  if (c.media != MediaMix::kAudio) {
    out << absl::StrFormat(", %d video layer(s)", c.video_layers);
  }
  out << absl::StrFormat("\n  room %s, %d thread(s), decrypt 1/%d, ran %.1f s (measured %.1f s "
                         "from %.1f s)%s\n",
                         c.room, c.threads, c.decrypt_sample, r.elapsed_s,
                         r.measure_end_s - r.measure_start_s, r.measure_start_s,
                         r.timed_out ? ", HARD TIMEOUT" : r.interrupted ? ", interrupted" : "");
  out << absl::StrFormat("  %-16s %14s %16s\n", "", "total", "per s (measured)");
  out << absl::StrFormat("  %-16s %14d %16s  %s\n", "RTP sent", r.counters.rtp_sent,
                         Rate(r.packets_out_per_s), Bits(r.bits_out_per_s));
  out << absl::StrFormat("  %-16s %14d %16s  %s\n", "RTP received", r.counters.rtp_received,
                         Rate(r.packets_in_per_s), Bits(r.bits_in_per_s));
  out << absl::StrFormat("  %-16s %d of %d expected (%.4f%%), %s\n", "loss", r.quality.lost,
                         r.quality.expected, Percent(r.quality.lost, r.quality.expected),
                         c.decrypt_sample > 1 ? "from RTP sequence numbers"
                                              : "from payload stamps per simulcast layer");
  out << absl::StrFormat("  %-16s duplicates %d (SRTP replays %d), reordered %d\n", "order",
                         r.quality.duplicates, r.counters.srtp_replays, r.quality.reordered);
  out << absl::StrFormat("  %-16s %s\n", "latency", Distribution(r.latency));
  out << absl::StrFormat(
      "  %-16s %.3f ms (mean of the tracks' RFC 3550 interarrival jitter)\n", "jitter",
      r.quality.jitter_tracks ? r.quality.jitter_sum_us / r.quality.jitter_tracks / 1000.0 : 0.0);
  out << absl::StrFormat(
      "  %-16s event-loop lag max %.1f ms (if large, the generator itself is saturated: use "
      "--threads or --decrypt-sample)\n",
      "generator", r.generator_lag_max_us / 1000.0);
  out << absl::StrFormat("  %-16s %s\n", "join time", Distribution(r.join_us));
  out << absl::StrFormat("  %-16s %s\n", "publish time", Distribution(r.publish_us));
  out << absl::StrFormat("  %-16s %d started, %d connect failures, %d disconnects\n", "sessions",
                         r.sessions, r.connect_failures, r.disconnects);
  for (const auto& [why, count] : r.failure_reasons) {
    out << absl::StrFormat("  %-16s %dx %s\n", "", count, why);
  }
  if (r.subscribers_checked > 0) {
    out << absl::StrFormat("  %-16s %d/%d received every expected track\n", "subscribers",
                           r.subscribers_checked - r.subscribers_incomplete,
                           r.subscribers_checked);
    for (const std::string& e : r.incomplete_examples) out << "                   " << e << "\n";
  }
  out << absl::StrFormat(
      "  %-16s keyframes sent %d, PLI/FIR received %d, NACKed %d, layer switches %d, "
      "RTX/padding %d, unknown SSRC %d, SRTP errors %d, misrouted %d, send failures %d\n",
      "other", r.quality.keyframes_sent, r.counters.plis_received, r.counters.nacks_received,
      r.counters.layer_switches, r.counters.rtx_or_padding, r.counters.unknown_ssrc,
      r.counters.srtp_errors, r.counters.misrouted, r.counters.send_failures);
  return out.str();
}

std::string RunResultToJson(const RunResult& r) {
  const LoadConfig& c = r.config;
  std::ostringstream o;
  o << "{\n  \"config\": {";
  o << "\"url\": " << JsonString(c.url) << ", \"room\": " << JsonString(c.room)
    << ", \"scenario\": " << JsonString(std::string(ScenarioName(c.scenario)))
    << ", \"preset\": " << JsonString(c.preset) << ", \"publishers\": " << c.publishers
    << ", \"subscribers\": " << c.subscribers
    << ", \"publishers_subscribe\": " << (c.publishers_subscribe ? "true" : "false")
    << ", \"media\": " << JsonString(std::string(MediaMixName(c.media)))
    << ", \"ramp_per_s\": " << JsonNumber(c.ramp) << ", \"duration_s\": " << JsonNumber(c.duration_s)
    << ", \"churn_rate\": " << JsonNumber(c.churn_rate) << ", \"video_layers\": " << c.video_layers
    << ", \"video_bitrates_bps\": [";
  for (size_t i = 0; i < c.video_bitrates_bps.size(); ++i) {
    o << (i ? ", " : "") << c.video_bitrates_bps[i];
  }
  o << "], \"fps\": " << c.fps << ", \"keyframe_interval_s\": " << JsonNumber(c.keyframe_interval_s)
    << ", \"temporal_layers\": " << c.temporal_layers << ", \"threads\": " << c.threads
    << ", \"decrypt_sample\": " << c.decrypt_sample << "},\n";
  o << "  \"elapsed_s\": " << JsonNumber(r.elapsed_s)
    << ", \"measure_start_s\": " << JsonNumber(r.measure_start_s)
    << ", \"measure_end_s\": " << JsonNumber(r.measure_end_s)
    << ", \"timed_out\": " << (r.timed_out ? "true" : "false")
    << ", \"interrupted\": " << (r.interrupted ? "true" : "false") << ",\n";
  o << "  \"totals\": {\"rtp_sent\": " << r.counters.rtp_sent
    << ", \"rtp_bytes_sent\": " << r.counters.rtp_bytes_sent
    << ", \"rtp_received\": " << r.counters.rtp_received
    << ", \"rtp_bytes_received\": " << r.counters.rtp_bytes_received
    << ", \"rtcp_sent\": " << r.counters.rtcp_sent << ", \"rtcp_received\": " << r.counters.rtcp_received
    << ", \"decrypted\": " << r.counters.decrypted << ", \"expected\": " << r.quality.expected
    << ", \"received\": " << r.quality.received << ", \"lost\": " << r.quality.lost
    << ", \"loss_percent\": " << JsonNumber(Percent(r.quality.lost, r.quality.expected))
    << ", \"duplicates\": " << r.quality.duplicates << ", \"srtp_replays\": " << r.counters.srtp_replays
    << ", \"reordered\": " << r.quality.reordered << ", \"jitter_mean_ms\": "
    << JsonNumber(r.quality.jitter_tracks ? r.quality.jitter_sum_us / r.quality.jitter_tracks / 1000.0
                                          : 0.0)
    << ", \"keyframes_sent\": " << r.quality.keyframes_sent
    << ", \"pli_fir_received\": " << r.counters.plis_received
    << ", \"nacked\": " << r.counters.nacks_received
    << ", \"layer_switches\": " << r.counters.layer_switches
    << ", \"rtx_or_padding\": " << r.counters.rtx_or_padding
    << ", \"unknown_ssrc\": " << r.counters.unknown_ssrc << ", \"srtp_errors\": " << r.counters.srtp_errors
    << ", \"bad_stamp\": " << r.counters.bad_stamp << ", \"misrouted\": " << r.counters.misrouted
    << ", \"send_failures\": " << r.counters.send_failures << ", \"sessions\": " << r.sessions
    << ", \"connect_failures\": " << r.connect_failures << ", \"disconnects\": " << r.disconnects
    << ", \"subscribers_checked\": " << r.subscribers_checked
    << ", \"subscribers_incomplete\": " << r.subscribers_incomplete
    << ", \"generator_lag_max_ms\": " << JsonNumber(r.generator_lag_max_us / 1000.0) << "},\n";
  o << "  \"measured_rates\": {\"packets_out_per_s\": " << JsonNumber(r.packets_out_per_s)
    << ", \"packets_in_per_s\": " << JsonNumber(r.packets_in_per_s)
    << ", \"bits_out_per_s\": " << JsonNumber(r.bits_out_per_s)
    << ", \"bits_in_per_s\": " << JsonNumber(r.bits_in_per_s) << "},\n";
  o << "  \"latency\": " << HistogramJson(r.latency) << ",\n";
  o << "  \"join_time\": " << HistogramJson(r.join_us) << ",\n";
  o << "  \"publish_time\": " << HistogramJson(r.publish_us) << ",\n";
  o << "  \"failure_reasons\": {";
  bool first = true;
  for (const auto& [why, count] : r.failure_reasons) {
    o << (first ? "" : ", ") << JsonString(why) << ": " << count;
    first = false;
  }
  o << "},\n  \"series\": [";
  for (size_t i = 0; i < r.series.size(); ++i) {
    const IntervalSample& s = r.series[i];
    o << (i ? ",\n    " : "\n    ")
      << absl::StrFormat(
             "{\"t_s\": %s, \"clients\": %d, \"connected\": %d, \"packets_out_per_s\": %s, "
             "\"packets_in_per_s\": %s, \"bits_out_per_s\": %s, \"bits_in_per_s\": %s, "
             "\"expected\": %d, \"lost\": %d, \"loss_percent\": %s, \"latency_p50_ms\": %s, "
             "\"latency_p99_ms\": %s, \"latency_max_ms\": %s, \"failures\": %d, "
             "\"generator_lag_max_ms\": %s}",
             JsonNumber(s.t_s), s.clients, s.connected, JsonNumber(s.packets_out_per_s),
             JsonNumber(s.packets_in_per_s), JsonNumber(s.bits_out_per_s),
             JsonNumber(s.bits_in_per_s), s.expected, s.lost, JsonNumber(s.loss_percent),
             JsonNumber(s.latency_p50_us / 1000.0), JsonNumber(s.latency_p99_us / 1000.0),
             JsonNumber(s.latency_max_us / 1000.0), s.failures,
             JsonNumber(s.generator_lag_max_us / 1000.0));
  }
  o << "\n  ]\n}\n";
  return o.str();
}

absl::Status WriteJsonFile(const RunResult& result, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::UnavailableError("cannot write " + path);
  file << RunResultToJson(result);
  if (!file.good()) return absl::UnavailableError("writing " + path + " failed");
  return absl::OkStatus();
}

bool GnuplotAvailable() { return OnPath("gnuplot"); }

absl::Status WritePlot(const RunResult& result, const std::string& png_path) {
  if (!GnuplotAvailable()) {
    return absl::FailedPreconditionError(
        "--plot needs gnuplot on PATH (Debian: apt-get install gnuplot-nox)");
  }
  const std::string data_path = png_path + ".tsv";
  const std::string script_path = png_path + ".gp";
  {
    std::ofstream data(data_path, std::ios::trunc);
    data << "# t_s\tpackets_out_per_s\tpackets_in_per_s\tloss_percent\tp50_ms\tp99_ms\t"
            "connected\n";
    for (const IntervalSample& s : result.series) {
      data << absl::StrFormat("%.3f\t%.1f\t%.1f\t%.5f\t%.4f\t%.4f\t%d\n", s.t_s,
                              s.packets_out_per_s, s.packets_in_per_s, s.loss_percent,
                              s.latency_p50_us / 1000.0, s.latency_p99_us / 1000.0,
                              s.connected);
    }
    if (!data.good()) return absl::UnavailableError("cannot write " + data_path);
  }
  const LoadConfig& c = result.config;
  const std::string title = absl::StrFormat(
      "switchyard-bench %s: %d pub + %d sub", ScenarioName(c.scenario), c.publishers,
      c.subscribers);
  {
    std::ofstream gp(script_path, std::ios::trunc);
    gp << "set terminal png size 1000,900\n"
       << "set output '" << png_path << "'\n"
       << "set datafile separator '\\t'\n"
       << "set multiplot layout 3,1 title '" << title << "'\n"
       << "set grid\nset key left top\nset xlabel 'time (s)'\n"
       << "set ylabel 'packets/s'\n"
       << "plot '" << data_path << "' using 1:2 with lines lw 2 title 'sent', '' using 1:3 "
       << "with lines lw 2 title 'received'\n"
       << "set ylabel 'loss (%)'\nset yrange [0:0.1<*]\n"
       << "plot '" << data_path << "' using 1:4 with lines lw 2 title 'loss'\n"
       << "set ylabel 'latency (ms)'\n"
       << "plot '" << data_path << "' using 1:5 with lines lw 2 title 'p50', '' using 1:6 "
       << "with lines lw 2 title 'p99'\n"
       << "unset multiplot\n";
    if (!gp.good()) return absl::UnavailableError("cannot write " + script_path);
  }
  pid_t pid = 0;
  std::string program = "gnuplot";
  char* argv[] = {program.data(), const_cast<char*>(script_path.c_str()), nullptr};
  if (::posix_spawnp(&pid, "gnuplot", nullptr, nullptr, argv, environ) != 0) {
    return absl::UnavailableError("cannot start gnuplot");
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::remove(script_path.c_str());
  std::remove(data_path.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError("gnuplot failed (exit status " +
                               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return absl::OkStatus();
}

}  // namespace switchyard::bench
