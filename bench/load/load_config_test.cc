#include "bench/load/load_config.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::bench {
namespace {

absl::StatusOr<LoadConfig> Parse(std::vector<std::string> args) { return ParseLoadArgs(args); }

TEST(LoadConfigTest, DefaultsAreASmallLivestream) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->scenario, Scenario::kLivestream);
  EXPECT_EQ(c->publishers, 1);
  EXPECT_EQ(c->subscribers, 20);
  EXPECT_FALSE(c->publishers_subscribe);
  EXPECT_EQ(c->media, MediaMix::kAudioVideo);
  EXPECT_EQ(c->url, "ws://127.0.0.1:8080/ws");
  EXPECT_EQ(c->api_key, "devkey");
  EXPECT_EQ(c->api_secret, "secret");
  EXPECT_EQ(c->video_layers, 3);
  EXPECT_EQ(c->video_bitrates_bps, (std::vector<uint64_t>{150'000, 500'000, 1'700'000}));
  EXPECT_EQ(c->decrypt_sample, 1);
  EXPECT_EQ(c->threads, 1);
  EXPECT_FALSE(c->room.empty());
}

TEST(LoadConfigTest, ScenarioDefaults) {
  auto meeting = Parse({"--scenario", "meeting"});
  ASSERT_TRUE(meeting.ok());
  EXPECT_EQ(meeting->publishers, 4);
  EXPECT_EQ(meeting->subscribers, 0);
  EXPECT_TRUE(meeting->publishers_subscribe);
  auto sized = Parse({"--scenario=meeting", "--participants", "3"});
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->publishers, 3);

  auto audio = Parse({"--scenario", "audio"});
  ASSERT_TRUE(audio.ok());
  EXPECT_EQ(audio->media, MediaMix::kAudio);
  EXPECT_EQ(audio->publishers, 3);
  EXPECT_EQ(audio->subscribers, 50);

  auto churn = Parse({"--scenario", "churn"});
  ASSERT_TRUE(churn.ok());
  EXPECT_GT(churn->churn_rate, 0.0);
  EXPECT_GT(churn->subscribers, 0);

  EXPECT_FALSE(Parse({"--scenario", "webinar"}).ok());
  EXPECT_FALSE(Parse({"--participants", "3"}).ok());  // only for meetings
}

TEST(LoadConfigTest, PresetsMirrorLiveKitRowsAndExplicitFlagsWin) {
  auto audio = Parse({"--preset", "livekit-audio"});
  ASSERT_TRUE(audio.ok());
  EXPECT_EQ(audio->preset, "livekit-audio");
  EXPECT_EQ(audio->scenario, Scenario::kAudio);
  EXPECT_EQ(audio->publishers, 10);
  EXPECT_EQ(audio->subscribers, 3000);
  EXPECT_EQ(audio->media, MediaMix::kAudio);
  EXPECT_DOUBLE_EQ(audio->ramp, 5.0);

  auto meeting = Parse({"--preset=livekit-meeting"});
  ASSERT_TRUE(meeting.ok());
  EXPECT_EQ(meeting->publishers, 150);
  EXPECT_EQ(meeting->subscribers, 150);
  EXPECT_FALSE(meeting->publishers_subscribe);  // as lk load-test: separate participants
  EXPECT_EQ(meeting->media, MediaMix::kVideo);

  auto live = Parse({"--preset", "livekit-livestream"});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->publishers, 1);
  EXPECT_EQ(live->subscribers, 3000);

  // Explicit flags override the preset wherever they appear on the command line.
  auto small = Parse({"--subscribers", "200", "--preset", "livekit-livestream", "--duration", "5s"});
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->subscribers, 200);
  EXPECT_EQ(small->publishers, 1);
  EXPECT_DOUBLE_EQ(small->duration_s, 5.0);
  // A scenario given with a preset replaces the preset's scenario, not its counts.
  auto mixed = Parse({"--preset", "livekit-audio", "--scenario", "churn"});
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->scenario, Scenario::kChurn);
  EXPECT_EQ(mixed->subscribers, 3000);

  auto unknown = Parse({"--preset", "livekit-xl"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(std::string(unknown.status().message()).find("livekit-audio"), std::string::npos);
}

TEST(LoadConfigTest, FlagsAndValidation) {
  auto c = Parse({"--url=ws://10.1.2.3:7880/rtc", "--room", "r1", "--ramp", "2.5", "--duration",
                  "2m", "--threads", "4", "--decrypt-sample", "8", "--quiet",
                  "--expect-zero-loss=true", "--json", "out.json", "--video-layers", "2"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->url, "ws://10.1.2.3:7880/rtc");
  EXPECT_EQ(c->room, "r1");
  EXPECT_DOUBLE_EQ(c->ramp, 2.5);
  EXPECT_DOUBLE_EQ(c->duration_s, 120.0);
  EXPECT_EQ(c->threads, 4);
  EXPECT_EQ(c->decrypt_sample, 8);
  EXPECT_TRUE(c->quiet);
  EXPECT_TRUE(c->expect_zero_loss);
  EXPECT_EQ(c->json_path, "out.json");
  EXPECT_EQ(c->video_bitrates_bps, (std::vector<uint64_t>{150'000, 500'000}));

  auto one = Parse({"--video-layers", "1"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->video_bitrates_bps, (std::vector<uint64_t>{1'700'000}));
  auto rates = Parse({"--bitrates", "100,300,900"});
  ASSERT_TRUE(rates.ok());
  EXPECT_EQ(rates->video_bitrates_bps, (std::vector<uint64_t>{100'000, 300'000, 900'000}));

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--frobnicate"},
           {"--publishers"},
           {"--publishers", "many"},
           {"--publishers", "-1"},
           {"--ramp", "0"},
           {"--duration", "soon"},
           {"--threads", "0"},
           {"--decrypt-sample", "0"},
           {"--video-layers", "4"},
           {"--bitrates", "100,200", "--video-layers", "3"},
           {"--bitrates", "100,x"},
           {"--url", "wss://example/ws"},
           {"--url", "http://127.0.0.1/ws"},
           {"--publishers", "0"},
           {"--quiet=maybe"},
           {"positional"},
       }) {
    EXPECT_FALSE(Parse(bad).ok()) << bad[0];
  }
  auto named = Parse({"--threads", "x"});
  ASSERT_FALSE(named.ok());
  EXPECT_NE(std::string(named.status().message()).find("--threads"), std::string::npos);

  auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->help);
  EXPECT_NE(LoadUsage().find("--expect-zero-loss"), std::string::npos);
}

TEST(LoadConfigTest, ParseSeconds) {
  EXPECT_EQ(ParseSeconds("10"), 10.0);
  EXPECT_EQ(ParseSeconds("1.5s"), 1.5);
  EXPECT_EQ(ParseSeconds("500ms"), 0.5);
  EXPECT_EQ(ParseSeconds("2m"), 120.0);
  EXPECT_EQ(ParseSeconds("1h"), 3600.0);
  EXPECT_FALSE(ParseSeconds("").has_value());
  EXPECT_FALSE(ParseSeconds("s").has_value());
  EXPECT_FALSE(ParseSeconds("-3").has_value());
  EXPECT_FALSE(ParseSeconds("3x").has_value());
}

TEST(LoadConfigTest, PlanAndExpectedTracks) {
  auto live = Parse({"--subscribers", "3"});
  ASSERT_TRUE(live.ok());
  auto plan = PlanClients(*live);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_TRUE(plan[0].publisher);
  EXPECT_TRUE(plan[0].publish_audio && plan[0].publish_video);
  EXPECT_FALSE(plan[0].subscribe);
  EXPECT_EQ(plan[0].publisher_index, 0);
  EXPECT_EQ(ExpectedTracks(*live, plan[0]), 0);
  for (size_t i = 1; i < plan.size(); ++i) {
    EXPECT_FALSE(plan[i].publisher);
    EXPECT_TRUE(plan[i].subscribe);
    EXPECT_EQ(ExpectedTracks(*live, plan[i]), 2);  // audio + video of the one publisher
    EXPECT_EQ(plan[i].index, static_cast<int>(i));
  }
  EXPECT_NE(plan[1].identity, plan[2].identity);

  auto meeting = Parse({"--scenario", "meeting", "--participants", "3"});
  ASSERT_TRUE(meeting.ok());
  auto mplan = PlanClients(*meeting);
  ASSERT_EQ(mplan.size(), 3u);
  for (const auto& c : mplan) {
    EXPECT_TRUE(c.publisher && c.subscribe);
    EXPECT_EQ(ExpectedTracks(*meeting, c), 4);  // two others, audio + video each
  }

  auto audio = Parse({"--preset", "livekit-audio", "--subscribers", "5"});
  ASSERT_TRUE(audio.ok());
  auto aplan = PlanClients(*audio);
  EXPECT_FALSE(aplan[0].publish_video);
  EXPECT_EQ(ExpectedTracks(*audio, aplan.back()), 10);

  auto churn = Parse({"--scenario", "churn"});
  ASSERT_TRUE(churn.ok());
  for (const auto& c : PlanClients(*churn)) EXPECT_EQ(c.churnable, !c.publisher);
}

TEST(LoadConfigTest, RunIsBounded) {
  auto c = Parse({"--subscribers", "39", "--ramp", "10", "--duration", "5", "--connect-timeout",
                  "4"});
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(RampSeconds(*c), 4.0);
  EXPECT_DOUBLE_EQ(HardTimeoutSeconds(*c), 4.0 + 5.0 + 4.0 + 15.0);
  auto explicit_timeout = Parse({"--timeout", "30s"});
  ASSERT_TRUE(explicit_timeout.ok());
  EXPECT_DOUBLE_EQ(HardTimeoutSeconds(*explicit_timeout), 30.0);
}

}  // namespace
}  // namespace switchyard::bench
