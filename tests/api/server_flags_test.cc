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
               o.webhook_urls || o.webhook_api_key || o.webhook_max_attempts || o.turn_enabled ||
               o.turn_port || o.turn_secret || o.turn_tls || o.turn_tls_port ||
               o.turn_tls_cert_file || o.turn_tls_key_file || o.turn_tls_host ||
               o.rtc_extra_addresses || o.ice_tcp || o.ice_tcp_port || o.turn_in_process);
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

TEST_F(ServerFlagsTest, TurnFlagsReachTheConfig) {
  const ServerConfigOverrides o =
      Parse({"--noturn", "--turn_port=3479", "--turn_secret=s3", "--turn_tls=false",
             "--turn_tls_port=443", "--turn_tls_cert_file=/t.pem", "--turn_tls_key_file=/t.key",
             "--turn_tls_host=turn.example.com", "--noturn_in_process"});
  EXPECT_THAT(o.turn_in_process, Optional(false));
  EXPECT_THAT(o.turn_enabled, Optional(false));
  EXPECT_THAT(o.turn_port, Optional(Eq(3479)));
  EXPECT_THAT(o.turn_secret, Optional(Eq("s3")));
  EXPECT_THAT(o.turn_tls, Optional(false));
  EXPECT_THAT(o.turn_tls_port, Optional(Eq(443)));
  EXPECT_THAT(o.turn_tls_cert_file, Optional(Eq("/t.pem")));
  EXPECT_THAT(o.turn_tls_key_file, Optional(Eq("/t.key")));
  EXPECT_THAT(o.turn_tls_host, Optional(Eq("turn.example.com")));
  ServerConfig config = DefaultServerConfig();
  ASSERT_TRUE(ApplyServerConfigOverrides(o, config).ok());
  EXPECT_FALSE(config.turn().enabled());
  EXPECT_EQ(config.turn().port(), 3479u);
  EXPECT_FALSE(config.turn().tls());
  EXPECT_EQ(config.turn().tls_port(), 443u);
  EXPECT_EQ(config.turn().tls_cert_file(), "/t.pem");
  EXPECT_EQ(config.turn().tls_key_file(), "/t.key");
  EXPECT_EQ(config.turn().tls_host(), "turn.example.com");
  EXPECT_FALSE(config.turn().in_process());
}

// Media addresses and ICE-TCP: the flags reach the config, "ip=announced" splits, an empty
// list clears the file's.
TEST_F(ServerFlagsTest, RtcAddressAndIceTcpFlagsReachTheConfig) {
  const ServerConfigOverrides o =
      Parse({"--rtc_extra_addresses=::1,10.0.0.2=203.0.113.2", "--noice_tcp",
             "--ice_tcp_port=443"});
  EXPECT_THAT(o.rtc_extra_addresses, Optional(Eq("::1,10.0.0.2=203.0.113.2")));
  EXPECT_THAT(o.ice_tcp, Optional(false));
  EXPECT_THAT(o.ice_tcp_port, Optional(Eq(443)));
  ServerConfig config = DefaultServerConfig();
  ASSERT_TRUE(config.rtc().ice_tcp());
  ASSERT_TRUE(ApplyServerConfigOverrides(o, config).ok());
  ASSERT_EQ(config.rtc().extra_addresses_size(), 2);
  EXPECT_EQ(config.rtc().extra_addresses(0).address(), "::1");
  EXPECT_EQ(config.rtc().extra_addresses(0).announced_ip(), "");
  EXPECT_EQ(config.rtc().extra_addresses(1).address(), "10.0.0.2");
  EXPECT_EQ(config.rtc().extra_addresses(1).announced_ip(), "203.0.113.2");
  EXPECT_FALSE(config.rtc().ice_tcp());
  EXPECT_EQ(config.rtc().ice_tcp_port(), 443u);
  ServerConfigOverrides clear;
  clear.rtc_extra_addresses = "";
  ASSERT_TRUE(ApplyServerConfigOverrides(clear, config).ok());
  EXPECT_EQ(config.rtc().extra_addresses_size(), 0);
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
