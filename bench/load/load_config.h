#ifndef SWITCHYARD_BENCH_LOAD_LOAD_CONFIG_H_
#define SWITCHYARD_BENCH_LOAD_LOAD_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::bench {

// What switchyard-bench runs: the command line resolved against a scenario's defaults and an
// optional preset. Control path only.

enum class Scenario { kLivestream, kMeeting, kAudio, kChurn };
enum class MediaMix { kAudioVideo, kAudio, kVideo };
// The server under load: Switchyard over its signaling WebSocket, or Janus's videoroom plugin
// over Janus's HTTP API (bench/load/janus_client.h), for side-by-side runs.
enum class Target { kSwitchyard, kJanus };

std::string_view ScenarioName(Scenario scenario);
std::string_view MediaMixName(MediaMix media);
std::string_view TargetName(Target target);

struct LoadConfig {
  Target target = Target::kSwitchyard;
  std::string url = "ws://127.0.0.1:8080/ws";
  // --target janus: Janus's HTTP API base (janus.transport.http's base_path).
  std::string janus_url = "http://127.0.0.1:8088/janus";
  std::string api_key = "devkey";
  std::string api_secret = "secret";
  std::string room;  // empty: "bench-<pid>"
  Scenario scenario = Scenario::kLivestream;
  std::string preset;  // empty, or the preset that was applied

  // Publishers send media (audio, video or both, per `media`); subscribers only receive. With
  // publishers_subscribe, every publisher also receives everyone else (a meeting's N x N).
  int publishers = 1;
  int subscribers = 20;
  bool publishers_subscribe = false;
  MediaMix media = MediaMix::kAudioVideo;

  double ramp = 20.0;       // joins per second
  double duration_s = 10.0;  // measured time after the last join
  // Churn: after the ramp, this many subscribers per second leave; each rejoins (a new
  // session, a new join time) churn_rejoin_s later.
  double churn_rate = 0.0;
  double churn_rejoin_s = 1.0;

  // Video: 1 (one 1280x720 stream, no simulcast) or 2..3 simulcast encodings (q, h, f).
  int video_layers = 3;
  std::vector<uint64_t> video_bitrates_bps = {150'000, 500'000, 1'700'000};
  int fps = 30;
  double keyframe_interval_s = 3.0;
  int temporal_layers = 3;

  int threads = 1;
  // Receivers verify and decrypt 1 packet in K; loss then comes from the plaintext RTP
  // sequence numbers instead of the payload stamps (bench/load/README.md).
  int decrypt_sample = 1;
  // use_srtp profiles the clients offer: "gcm", "cm" or "any" (both, GCM preferred).
  std::string srtp_profile = "any";
  double connect_timeout_s = 10.0;
  double timeout_s = 0.0;  // hard limit for the whole run; 0 = derived (HardTimeoutSeconds)
  std::string bind_address = "127.0.0.1";

  std::string json_path;
  std::string plot_path;
  bool quiet = false;
  bool expect_zero_loss = false;
  bool help = false;
};

// Parses switchyard-bench's arguments (without argv[0]). Flags take "--flag value" or
// "--flag=value"; booleans also stand alone. Resolution order: the scenario's defaults, then
// the preset's values, then every flag given explicitly. InvalidArgument naming the flag for
// unknown flags, bad values and inconsistent combinations.
absl::StatusOr<LoadConfig> ParseLoadArgs(const std::vector<std::string>& args);

// The --help text.
std::string LoadUsage();

// "10", "10s", "1.5s", "500ms", "2m", "1h" -> seconds; nullopt when malformed or negative.
std::optional<double> ParseSeconds(std::string_view text);

// One simulated participant. Publishers come first (they join first, as in LiveKit's load
// tester), then subscribers.
struct ClientPlan {
  int index = 0;
  std::string identity;
  bool publisher = false;
  bool publish_audio = false;
  bool publish_video = false;
  bool subscribe = false;
  int publisher_index = -1;  // for publishers: 0..publishers-1 (PayloadStamp source)
  bool churnable = false;
};
std::vector<ClientPlan> PlanClients(const LoadConfig& config);

// Tracks a subscribing client should receive once everyone is in: every publisher's tracks
// except its own.
int ExpectedTracks(const LoadConfig& config, const ClientPlan& client);

// Seconds the ramp takes (joins / ramp rate), and the hard limit for the whole run: ramp +
// duration + connect timeout + a margin for the final leave, unless --timeout is given.
double RampSeconds(const LoadConfig& config);
double HardTimeoutSeconds(const LoadConfig& config);

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_LOAD_CONFIG_H_
