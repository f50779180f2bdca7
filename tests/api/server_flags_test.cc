#include "api/server_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "api/access_token.h"

namespace switchyard::api {
namespace {

using ::testing::Eq;
using ::testing::Optional;

// Parses a command line the way main() does; every test keeps its flag values to itself.
class ServerFlagsTest : public ::testing::Test {
 protected:
  ServerConfigOverrides Parse(std::initializer_list<std::string> args) {
    std::vector<std::string> storage = {"switchyard"};
    storage.insert(storage.end(), args);
    std::vector<char*> argv;
    for (auto& arg : storage) argv.push_back(arg.data());
    absl::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
    return OverridesFromFlags();
  }

 private:
  absl::FlagSaver saver_;
};

TEST_F(ServerFlagsTest, NoFlagsOverrideNothing) {
  const ServerConfigOverrides o = Parse({});
  EXPECT_EQ(ConfigFileFromFlags(), "");
  EXPECT_FALSE(o.http_address || o.http_port || o.tls_cert_file || o.tls_key_file ||
               o.max_body_bytes || o.api_rate_limit || o.rtc_address || o.rtc_port ||
               o.announced_ip || o.workers || o.placement || o.web_dir || o.dev_mode || o.api_keys ||
               o.auto_create_rooms || o.empty_timeout_seconds || o.max_participants ||
               o.webhook_urls || o.webhook_api_key || o.webhook_max_attempts);
}

TEST_F(ServerFlagsTest, EveryFlagReachesItsOverride) {
  const ServerConfigOverrides o = Parse(
      {"--config=/etc/switchyard.textproto", "--http_address=::", "--http_port=0",
       "--tls_cert_file=/c.pem", "--tls_key_file=/k.pem", "--max_body_bytes=2048",
       "--api_rate_limit=0", "--rtc_address=10.0.0.1", "--rtc_port=40100",
       "--announced_ip=203.0.113.9", "--workers=3", "--placement=room", "--web_dir=/srv/web", "--dev",
       "--api_keys=a:b", "--auto_create_rooms=false", "--empty_timeout_seconds=60",
       "--max_participants=9", "--webhook_urls=https://a.example/,http://b.example/",
       "--webhook_api_key=a", "--webhook_max_attempts=3"});
  EXPECT_EQ(ConfigFileFromFlags(), "/etc/switchyard.textproto");
  EXPECT_THAT(o.http_address, Optional(Eq("::")));
  EXPECT_THAT(o.http_port, Optional(Eq(0)));
  EXPECT_THAT(o.tls_cert_file, Optional(Eq("/c.pem")));
  EXPECT_THAT(o.tls_key_file, Optional(Eq("/k.pem")));
  EXPECT_THAT(o.max_body_bytes, Optional(Eq(2048u)));
  EXPECT_THAT(o.api_rate_limit, Optional(Eq(0u)));
  EXPECT_THAT(o.rtc_address, Optional(Eq("10.0.0.1")));
  EXPECT_THAT(o.rtc_port, Optional(Eq(40100)));
  EXPECT_THAT(o.announced_ip, Optional(Eq("203.0.113.9")));
  EXPECT_THAT(o.workers, Optional(Eq(3)));
  EXPECT_THAT(o.placement, Optional(Eq("room")));
  EXPECT_THAT(o.web_dir, Optional(Eq("/srv/web")));
  EXPECT_THAT(o.dev_mode, Optional(Eq(true)));
  EXPECT_THAT(o.api_keys, Optional(Eq("a:b")));
  EXPECT_THAT(o.auto_create_rooms, Optional(Eq(false)));
  EXPECT_THAT(o.empty_timeout_seconds, Optional(Eq(60u)));
  EXPECT_THAT(o.max_participants, Optional(Eq(9u)));
  EXPECT_THAT(o.webhook_urls, Optional(Eq("https://a.example/,http://b.example/")));
  EXPECT_THAT(o.webhook_api_key, Optional(Eq("a")));
  EXPECT_THAT(o.webhook_max_attempts, Optional(Eq(3u)));
}

TEST_F(ServerFlagsTest, DevSwitchForms) {
  EXPECT_THAT(Parse({"--dev"}).dev_mode, Optional(true));
  EXPECT_THAT(Parse({"--dev=false"}).dev_mode, Optional(false));  // can turn a file's off
  EXPECT_THAT(Parse({"--nodev"}).dev_mode, Optional(false));
  EXPECT_THAT(Parse({"--dev_mode"}).dev_mode, Optional(true));    // the old name still works
  EXPECT_THAT(Parse({"--dev_mode=true"}).dev_mode, Optional(true));
  EXPECT_THAT(Parse({"--dev_mode=false"}).dev_mode, Optional(false));
  EXPECT_THAT(Parse({"--dev", "--dev_mode=false"}).dev_mode, Optional(true));  // --dev wins
  EXPECT_THAT(Parse({"--nodev", "--dev_mode"}).dev_mode, Optional(false));
  EXPECT_EQ(Parse({"--workers=2"}).dev_mode, std::nullopt);
}

TEST_F(ServerFlagsTest, AutoCreateRoomsCountsOnlyWhenGiven) {
  EXPECT_EQ(Parse({}).auto_create_rooms, std::nullopt);
  EXPECT_THAT(Parse({"--noauto_create_rooms"}).auto_create_rooms, Optional(false));
  EXPECT_THAT(Parse({"--auto_create_rooms"}).auto_create_rooms, Optional(true));
}

TEST_F(ServerFlagsTest, EmptyStringFlagsAreOverridesToo) {
  const ServerConfigOverrides o =
      Parse({"--webhook_urls=", "--api_keys=", "--announced_ip=", "--tls_cert_file=",
             "--tls_key_file=", "--webhook_api_key="});
  EXPECT_THAT(o.webhook_urls, Optional(Eq("")));
  EXPECT_THAT(o.api_keys, Optional(Eq("")));
  EXPECT_THAT(o.announced_ip, Optional(Eq("")));
  EXPECT_THAT(o.tls_cert_file, Optional(Eq("")));
  EXPECT_THAT(o.tls_key_file, Optional(Eq("")));
  EXPECT_THAT(o.webhook_api_key, Optional(Eq("")));

  // Applied over a file that set them, they clear it.
  auto config = ParseServerConfig(
      "http { tls_cert_file: \"/c\" tls_key_file: \"/k\" }\n"
      "rtc { announced_ip: \"192.0.2.1\" }\n"
      "webhook { urls: \"https://h.example/\" api_key: \"a\" }\n"
      "api_keys { key: \"a\" secret: \"s\" }\n",
      "cfg");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(ApplyServerConfigOverrides(o, *config).ok());
  EXPECT_EQ(config->http().tls_cert_file(), "");
  EXPECT_EQ(config->http().tls_key_file(), "");
  EXPECT_EQ(config->rtc().announced_ip(), "");
  EXPECT_EQ(config->webhook().urls_size(), 0);
  EXPECT_EQ(config->webhook().api_key(), "");
  EXPECT_EQ(config->api_keys_size(), 0);
}

TEST_F(ServerFlagsTest, ValuesOfAnEarlierParseDoNotLeakIntoTheNextAsGiven) {
  Parse({"--announced_ip=192.0.2.1", "--dev"});
  const ServerConfigOverrides o = Parse({"--workers=2"});
  EXPECT_EQ(o.announced_ip, std::nullopt);
  EXPECT_EQ(o.dev_mode, std::nullopt);
}

TEST_F(ServerFlagsTest, BareDevStartsOnTheDefaultsWithTheDevKey) {
  auto config = ResolveServerConfig(ConfigFileFromFlags(), Parse({"--dev"}));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->api_keys_size(), 1);
  EXPECT_EQ(config->api_keys(0).key(), kDevApiKey);
}

}  // namespace
}  // namespace switchyard::api
