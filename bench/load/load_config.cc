#include "bench/load/load_config.h"

#include <charconv>
#include <cmath>
#include <map>
#include <string>

#include "absl/status/status.h"

namespace switchyard::bench {

namespace {

// Every flag and whether it takes a value. Booleans accept "--flag", "--flag=true|false".
struct FlagSpec {
  std::string_view name;
  bool boolean;
};
constexpr FlagSpec kFlags[] = {
    {"target", false},        {"janus-url", false},
    {"url", false},           {"api-key", false},        {"api-secret", false},
    {"room", false},          {"scenario", false},       {"preset", false},
    {"publishers", false},    {"subscribers", false},    {"participants", false},
    {"publishers-subscribe", true},
    {"media", false},         {"ramp", false},           {"duration", false},
    {"churn-rate", false},    {"churn-rejoin", false},   {"video-layers", false},
    {"bitrates", false},      {"fps", false},            {"keyframe-interval", false},
    {"temporal-layers", false},
    {"threads", false},       {"decrypt-sample", false}, {"srtp-profile", false}, {"connect-timeout", false},
    {"timeout", false},       {"bind", false},           {"json", false},
    {"plot", false},          {"quiet", true},           {"expect-zero-loss", true},
    {"help", true},
};

const FlagSpec* FindFlag(std::string_view name) {
  for (const FlagSpec& f : kFlags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status Bad(std::string_view flag, std::string_view why) {
  return absl::InvalidArgumentError("--" + std::string(flag) + ": " + std::string(why));
}

std::optional<long long> ParseInt(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    if (used != text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return std::nullopt;
}

std::optional<Scenario> ParseScenario(std::string_view name) {
  if (name == "livestream") return Scenario::kLivestream;
  if (name == "meeting") return Scenario::kMeeting;
  if (name == "audio") return Scenario::kAudio;
  if (name == "churn") return Scenario::kChurn;
  return std::nullopt;
}

std::optional<MediaMix> ParseMedia(std::string_view name) {
  if (name == "av" || name == "audio+video") return MediaMix::kAudioVideo;
  if (name == "audio") return MediaMix::kAudio;
  if (name == "video") return MediaMix::kVideo;
  return std::nullopt;
}

void ApplyScenarioDefaults(Scenario scenario, LoadConfig& c) {
  c.scenario = scenario;
  c.churn_rate = 0.0;
  switch (scenario) {
    case Scenario::kLivestream:
      c.publishers = 1;
      c.subscribers = 20;
      c.publishers_subscribe = false;
      c.media = MediaMix::kAudioVideo;
      break;
    case Scenario::kMeeting:
      c.publishers = 4;
      c.subscribers = 0;
      c.publishers_subscribe = true;
      c.media = MediaMix::kAudioVideo;
      break;
    case Scenario::kAudio:
      c.publishers = 3;
      c.subscribers = 50;
      c.publishers_subscribe = false;
      c.media = MediaMix::kAudio;
      break;
    case Scenario::kChurn:
      c.publishers = 2;
      c.subscribers = 20;
      c.publishers_subscribe = false;
      c.media = MediaMix::kAudioVideo;
      c.churn_rate = 2.0;
      break;
  }
}

// LiveKit's published benchmark rows (docs.livekit.io, "Benchmarking"), run there with
// `lk load-test`: publishers and subscribers are separate participants (publishers do not
// subscribe), video publishers publish 720p simulcast video only, audio publishers audio only,
// and participants join at the load tester's default 5 per second.
struct Preset {
  std::string_view name;
  Scenario scenario;
  int publishers;
  int subscribers;
  MediaMix media;
  std::string_view description;
};
constexpr Preset kPresets[] = {
    {"livekit-audio", Scenario::kAudio, 10, 3000, MediaMix::kAudio,
     "audio only: 10 audio publishers, 3000 subscribers (lk load-test --audio-publishers 10 "
     "--subscribers 3000)"},
    {"livekit-meeting", Scenario::kMeeting, 150, 150, MediaMix::kVideo,
     "large meeting: 150 video publishers, 150 subscribers (lk load-test --video-publishers "
     "150 --subscribers 150)"},
    {"livekit-livestream", Scenario::kLivestream, 1, 3000, MediaMix::kVideo,
     "livestreaming: 1 video publisher, 3000 subscribers (lk load-test --video-publishers 1 "
     "--subscribers 3000)"},
};
constexpr double kPresetRamp = 5.0;
constexpr double kPresetDuration = 60.0;

const Preset* FindPreset(std::string_view name) {
  for (const Preset& p : kPresets) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

absl::Status ApplyFlag(std::string_view name, const std::string& value, LoadConfig& c) {
  auto positive_int = [&](int& out, long long min, long long max) -> absl::Status {
    auto v = ParseInt(value);
    if (!v || *v < min || *v > max) {
      return Bad(name, "expects an integer in " + std::to_string(min) + ".." + std::to_string(max) +
                           ", got \"" + value + "\"");
    }
    out = static_cast<int>(*v);
    return absl::OkStatus();
  };
  auto seconds = [&](double& out, bool allow_zero) -> absl::Status {
    auto v = ParseSeconds(value);
    if (!v || (!allow_zero && *v <= 0)) {
      return Bad(name, "expects a duration like 10, 10s, 500ms or 2m, got \"" + value + "\"");
    }
    out = *v;
    return absl::OkStatus();
  };
  auto boolean = [&](bool& out) -> absl::Status {
    auto v = ParseBool(value);
    if (!v) return Bad(name, "expects true or false, got \"" + value + "\"");
    out = *v;
    return absl::OkStatus();
  };
  if (name == "target") {
    if (value == "switchyard") {
      c.target = Target::kSwitchyard;
    } else if (value == "janus") {
      c.target = Target::kJanus;
    } else {
      return Bad(name, "expects switchyard or janus, got \"" + value + "\"");
    }
  } else if (name == "janus-url") {
    c.janus_url = value;
  } else if (name == "url") {
    c.url = value;
  } else if (name == "api-key") {
    c.api_key = value;
  } else if (name == "api-secret") {
    c.api_secret = value;
  } else if (name == "room") {
    c.room = value;
  } else if (name == "publishers" || name == "participants") {
    return positive_int(c.publishers, 0, 100000);
  } else if (name == "subscribers") {
    return positive_int(c.subscribers, 0, 100000);
  } else if (name == "publishers-subscribe") {
    return boolean(c.publishers_subscribe);
  } else if (name == "media") {
    auto m = ParseMedia(value);
    if (!m) return Bad(name, "expects av, audio or video, got \"" + value + "\"");
    c.media = *m;
  } else if (name == "ramp") {
    auto v = ParseDouble(value);
    if (!v || *v <= 0) return Bad(name, "expects joins per second > 0, got \"" + value + "\"");
    c.ramp = *v;
  } else if (name == "duration") {
    return seconds(c.duration_s, false);
  } else if (name == "churn-rate") {
    auto v = ParseDouble(value);
    if (!v || *v < 0) return Bad(name, "expects leaves per second >= 0, got \"" + value + "\"");
    c.churn_rate = *v;
  } else if (name == "churn-rejoin") {
    return seconds(c.churn_rejoin_s, true);
  } else if (name == "video-layers") {
    return positive_int(c.video_layers, 1, 3);
  } else if (name == "bitrates") {
    std::vector<uint64_t> rates;
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = value.find(',', start);
      const std::string piece =
          value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto kbps = ParseInt(piece);
      if (!kbps || *kbps <= 0 || *kbps > 100'000) {
        return Bad(name, "expects kbps per layer, lowest first, e.g. 150,500,1700; got \"" +
                             value + "\"");
      }
      rates.push_back(static_cast<uint64_t>(*kbps) * 1000);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    c.video_bitrates_bps = std::move(rates);
  } else if (name == "fps") {
    return positive_int(c.fps, 1, 120);
  } else if (name == "keyframe-interval") {
    return seconds(c.keyframe_interval_s, false);
  } else if (name == "temporal-layers") {
    return positive_int(c.temporal_layers, 1, 3);
  } else if (name == "threads") {
    return positive_int(c.threads, 1, 64);
  } else if (name == "decrypt-sample") {
    return positive_int(c.decrypt_sample, 1, 1000000);
  } else if (name == "srtp-profile") {
    if (value != "gcm" && value != "cm" && value != "any") {
      return absl::InvalidArgumentError("--srtp-profile: gcm, cm or any");
    }
    c.srtp_profile = value;
  } else if (name == "connect-timeout") {
    return seconds(c.connect_timeout_s, false);
  } else if (name == "timeout") {
    return seconds(c.timeout_s, false);
  } else if (name == "bind") {
    c.bind_address = value;
  } else if (name == "json") {
    c.json_path = value;
  } else if (name == "plot") {
    c.plot_path = value;
  } else if (name == "quiet") {
    return boolean(c.quiet);
  } else if (name == "expect-zero-loss") {
    return boolean(c.expect_zero_loss);
  } else if (name == "help") {
    return boolean(c.help);
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ScenarioName(Scenario scenario) {
  switch (scenario) {
    case Scenario::kLivestream: return "livestream";
    case Scenario::kMeeting: return "meeting";
    case Scenario::kAudio: return "audio";
    case Scenario::kChurn: return "churn";
  }
  return "?";
}

std::string_view MediaMixName(MediaMix media) {
  switch (media) {
    case MediaMix::kAudioVideo: return "av";
    case MediaMix::kAudio: return "audio";
    case MediaMix::kVideo: return "video";
  }
  return "?";
}

std::string_view TargetName(Target target) {
  switch (target) {
    case Target::kSwitchyard: return "switchyard";
    case Target::kJanus: return "janus";
  }
  return "?";
}

std::optional<double> ParseSeconds(std::string_view text) {
  double unit = 1.0;
  std::string_view number = text;
  if (text.ends_with("ms")) {
    unit = 0.001;
    number.remove_suffix(2);
  } else if (text.ends_with("s")) {
    number.remove_suffix(1);
  } else if (text.ends_with("m")) {
    unit = 60.0;
    number.remove_suffix(1);
  } else if (text.ends_with("h")) {
    unit = 3600.0;
    number.remove_suffix(1);
  }
  auto v = ParseDouble(number);
  if (!v || *v < 0) return std::nullopt;
  return *v * unit;
}

absl::StatusOr<LoadConfig> ParseLoadArgs(const std::vector<std::string>& args) {
  // First pass: collect name -> value (last one wins), so that scenario and preset apply
  // before the explicit flags whatever their order on the command line.
  std::vector<std::pair<std::string, std::string>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError("unexpected argument \"" + args[i] + "\"");
    }
    arg.remove_prefix(2);
    std::string name(arg);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = FindFlag(name);
    if (spec == nullptr) return absl::InvalidArgumentError("unknown flag --" + name);
    if (!value) {
      if (spec->boolean) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Bad(name, "needs a value");
      }
    }
    given.emplace_back(name, *value);
  }
  auto last = [&](std::string_view name) -> std::optional<std::string> {
    std::optional<std::string> found;
    for (const auto& [n, v] : given) {
      if (n == name) found = v;
    }
    return found;
  };

  LoadConfig config;
  const Preset* preset = nullptr;
  if (auto name = last("preset")) {
    preset = FindPreset(*name);
    if (preset == nullptr) {
      std::string names;
      for (const Preset& p : kPresets) names += (names.empty() ? "" : ", ") + std::string(p.name);
      return Bad("preset", "unknown preset \"" + *name + "\" (known: " + names + ")");
    }
  }
  Scenario scenario = preset ? preset->scenario : Scenario::kLivestream;
  if (auto name = last("scenario")) {
    auto s = ParseScenario(*name);
    if (!s) {
      return Bad("scenario", "expects livestream, meeting, audio or churn, got \"" + *name + "\"");
    }
    scenario = *s;
  }
  ApplyScenarioDefaults(scenario, config);
  if (preset != nullptr) {
    config.preset = std::string(preset->name);
    config.publishers = preset->publishers;
    config.subscribers = preset->subscribers;
    config.media = preset->media;
    config.publishers_subscribe = false;
    config.ramp = kPresetRamp;
    config.duration_s = kPresetDuration;
  }
  for (const auto& [name, value] : given) {
    if (name == "scenario" || name == "preset") continue;
    if (name == "participants" && config.scenario != Scenario::kMeeting) {
      return Bad(name, "only for --scenario meeting (elsewhere use --publishers/--subscribers)");
    }
    if (absl::Status s = ApplyFlag(name, value, config); !s.ok()) return s;
  }
  if (config.help) return config;

  if (!config.url.starts_with("ws://")) {
    return Bad("url", "expects ws://host:port/path (wss:// is not supported), got \"" +
                          config.url + "\"");
  }
  if (config.target == Target::kJanus && !config.janus_url.starts_with("http://")) {
    return Bad("janus-url", "expects http://host:port/path (https is not supported), got \"" +
                                config.janus_url + "\"");
  }
  if (config.publishers + config.subscribers == 0) {
    return absl::InvalidArgumentError("nobody to simulate: --publishers and --subscribers are 0");
  }
  if (config.publishers == 0) {
    return Bad("publishers", "the " + std::string(ScenarioName(config.scenario)) +
                                 " scenario needs at least one publisher");
  }
  const bool has_video = config.media != MediaMix::kAudio;
  if (has_video && config.video_layers > 1 &&
      config.video_bitrates_bps.size() != static_cast<size_t>(config.video_layers)) {
    if (last("bitrates")) {
      return Bad("bitrates", "gives " + std::to_string(config.video_bitrates_bps.size()) +
                                 " bitrates for " + std::to_string(config.video_layers) +
                                 " video layers");
    }
    config.video_bitrates_bps.resize(static_cast<size_t>(config.video_layers));
  }
  if (has_video && config.video_layers == 1 && config.video_bitrates_bps.size() != 1) {
    if (last("bitrates")) {
      return Bad("bitrates", "gives " + std::to_string(config.video_bitrates_bps.size()) +
                                 " bitrates for 1 video layer");
    }
    config.video_bitrates_bps = {config.video_bitrates_bps.back()};
  }
  if (config.churn_rate > 0 && config.subscribers == 0) {
    return Bad("churn-rate", "churn replaces subscribers, and there are none");
  }
  if (config.room.empty()) config.room = "bench";
  return config;
}

std::vector<ClientPlan> PlanClients(const LoadConfig& config) {
  std::vector<ClientPlan> plan;
  plan.reserve(static_cast<size_t>(config.publishers + config.subscribers));
  for (int i = 0; i < config.publishers; ++i) {
    ClientPlan c;
    c.index = static_cast<int>(plan.size());
    c.identity = "pub-" + std::to_string(i);
    c.publisher = true;
    c.publish_audio = config.media != MediaMix::kVideo;
    c.publish_video = config.media != MediaMix::kAudio;
    c.subscribe = config.publishers_subscribe;
    c.publisher_index = i;
    plan.push_back(std::move(c));
  }
  for (int i = 0; i < config.subscribers; ++i) {
    ClientPlan c;
    c.index = static_cast<int>(plan.size());
    c.identity = "sub-" + std::to_string(i);
    c.subscribe = true;
    c.churnable = config.churn_rate > 0;
    plan.push_back(std::move(c));
  }
  return plan;
}

int ExpectedTracks(const LoadConfig& config, const ClientPlan& client) {
  if (!client.subscribe) return 0;
  const int per_publisher =
      (config.media != MediaMix::kVideo ? 1 : 0) + (config.media != MediaMix::kAudio ? 1 : 0);
  const int others = config.publishers - (client.publisher ? 1 : 0);
  return others * per_publisher;
}

double RampSeconds(const LoadConfig& config) {
  return static_cast<double>(config.publishers + config.subscribers) / config.ramp;
}

double HardTimeoutSeconds(const LoadConfig& config) {
  if (config.timeout_s > 0) return config.timeout_s;
  return RampSeconds(config) + config.duration_s + config.connect_timeout_s + 15.0;
}

std::string LoadUsage() {
  std::string presets;
  for (const Preset& p : kPresets) {
    presets += "    " + std::string(p.name) + ": " + std::string(p.description) + "\n";
  }
  return R"(Usage: switchyard-bench [flags]

Simulates WebRTC participants against a Switchyard server: each one joins over the signaling
WebSocket like the demo page, publishes and/or subscribes over its own PeerConnections (ICE,
DTLS, SRTP on our transport code), and sends synthetic VP8 simulcast / Opus streams whose
payloads carry a send time and sequence number. Receivers measure loss, jitter, latency and
join time. Prints a live line every second, a summary at the end, optionally JSON and a plot.

Server and room:
  --target NAME           switchyard (default) or janus: Janus's videoroom plugin over its
                          HTTP API, with the same participants, media and measurement
  --url URL               signaling WebSocket (default ws://127.0.0.1:8080/ws)
  --janus-url URL         --target janus: Janus's HTTP API (default http://127.0.0.1:8088/janus;
                          Janus gathers no loopback candidates, so use a non-loopback address
                          and --bind on it, e.g. a veth in a network namespace:
                          bench/side_by_side.sh)
  --api-key KEY           key for join tokens (default devkey, the --dev key)
  --api-secret SECRET     its secret (default secret)
  --room NAME             room to join (default bench; Janus: that number, or a hash of it)

Scenario (--scenario sets defaults, --preset a LiveKit row, explicit flags win):
  --scenario NAME         livestream (1 publisher -> 20 subscribers), meeting (4 participants
                          each publishing and receiving everyone), audio (3 audio publishers ->
                          50 subscribers), churn (2 publishers, 20 subscribers, 2 leave and
                          rejoin per second after the ramp)
  --preset NAME           LiveKit's published benchmark rows (ramp 5/s, 60 s):
)" + presets + R"(  --publishers N          publishing participants
  --participants N        meeting size (= --publishers for --scenario meeting)
  --subscribers N         receive-only participants
  --publishers-subscribe[=BOOL]  publishers also receive everyone else (meeting: true)
  --media av|audio|video  what publishers send (default av; audio scenario: audio)
  --ramp R                joins per second (default 20)
  --duration D            measured time after the last join (default 10s; 500ms, 2m, ...)
  --churn-rate R          subscribers leaving per second after the ramp (churn: 2)
  --churn-rejoin D        delay before a churned subscriber joins again (default 1s)

Media:
  --video-layers N        1 (one 1280x720 stream) or 2..3 simulcast encodings q/h/f (default 3)
  --bitrates K,K,K        kbps per encoding, lowest first (default 150,500,1700)
  --fps N                 video frame rate (default 30)
  --keyframe-interval D   periodic keyframes (default 3s); PLI/FIR also get one
  --temporal-layers N     VP8 temporal layers per encoding, 1..3 (default 3)

Measurement and output:
  --threads N             event-loop threads (default 1); participants are spread over them
  --decrypt-sample K      decrypt 1 of every K received packets (default 1 = all). K > 1 cuts
                          the receivers' CPU: loss and duplicates then come from the RTP
                          sequence numbers (plaintext in SRTP, rewritten but continuous per
                          subscriber stream), latency and jitter from the sampled packets
  --srtp-profile P        SRTP profile the clients offer: gcm (AEAD_AES_128_GCM), cm
                          (AES_CM_128_HMAC_SHA1_80, what browsers end up with) or any (both;
                          the server picks GCM) (default any)
  --connect-timeout D     a participant not connected within this counts as failed (10s)
  --timeout D             hard limit for the whole run (default ramp + duration + 25s)
  --bind ADDR             local address of the UDP sockets (default 127.0.0.1)
  --json FILE             write totals and the per-second series as JSON
  --plot FILE.png         plot throughput, loss and latency over time (needs gnuplot;
                          Debian: apt-get install gnuplot-nox)
  --quiet                 no live line
  --expect-zero-loss      exit 1 on any loss, failed connection, misrouted packet, or a
                          subscriber missing an expected track
  --help                  this text

Exit status: 0 ok, 1 an --expect-zero-loss check failed, 2 bad flags or setup error,
3 the hard timeout fired.
)";
}

}  // namespace switchyard::bench
