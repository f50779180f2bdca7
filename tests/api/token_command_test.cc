#include "api/token_command.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/access_token.h"

namespace switchyard::api {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kStrongSecret[] = "a-production-secret-of-at-least-32-bytes";

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

RunResult RunToken(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunTokenCommand(args, kNow, out, err);
  return {code, out.str(), err.str()};
}

absl::StatusOr<AccessTokenClaims> VerifyPrinted(const RunResult& result, int64_t now = kNow) {
  TokenVerifier verifier({{"devkey", "secret"}, {"prod", kStrongSecret}});
  std::string token = result.out;
  if (!token.empty() && token.back() == '\n') token.pop_back();
  return verifier.Verify(token, now);
}

TEST(TokenCommandTest, CreatesAJoinTokenTheVerifierAccepts) {
  const RunResult result = RunToken({"create", "--api-key", "devkey", "--api-secret", "secret",
                                "--room", "demo", "--identity", "alice", "--name", "Alice"});
  ASSERT_EQ(result.code, 0) << result.err;
  ASSERT_FALSE(result.out.empty());
  EXPECT_EQ(result.out.back(), '\n');
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1);
  // The dev secret is weak: a warning, but still a token.
  EXPECT_THAT(result.err, HasSubstr("warning"));

  auto claims = VerifyPrinted(result);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->api_key, "devkey");
  EXPECT_EQ(claims->identity, "alice");
  EXPECT_EQ(claims->name, "Alice");
  EXPECT_EQ(claims->not_before, kNow);
  EXPECT_EQ(claims->expires_at, kNow + 6 * 3600);  // default --valid-for 6h
  VideoGrant expected;
  expected.room = "demo";
  expected.room_join = true;
  EXPECT_EQ(claims->video, expected);
}

TEST(TokenCommandTest, AppliesGrantFlagsAndValidity) {
  const RunResult result =
      RunToken({"create", "--api-key=prod", "--api-secret=" + std::string(kStrongSecret),
           "--room=r1", "--identity=bob", "--valid-for=1h30m", "--can-publish=false",
           "--can-subscribe=true", "--can-publish-data=0", "--room-admin", "-room-list"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.err, IsEmpty());  // strong secret: no warning
  auto claims = VerifyPrinted(result);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->expires_at, kNow + 5400);
  EXPECT_EQ(claims->video.room, "r1");
  EXPECT_TRUE(claims->video.room_join);
  EXPECT_FALSE(claims->video.can_publish);
  EXPECT_TRUE(claims->video.can_subscribe);
  EXPECT_FALSE(claims->video.can_publish_data);
  EXPECT_TRUE(claims->video.room_admin);
  EXPECT_TRUE(claims->video.room_list);
  EXPECT_FALSE(claims->video.room_create);
  // It expires when it says (plus the verifier's leeway).
  EXPECT_EQ(TokenRejectReasonOf(VerifyPrinted(result, kNow + 5400 + kTokenClockSkewSeconds)
                                    .status()),
            TokenRejectReason::kExpired);
}

TEST(TokenCommandTest, AdminOnlyTokenNeedsNoIdentity) {
  const RunResult result = RunToken({"create", "--api-key", "devkey", "--api-secret", "secret",
                                "--room-create", "--room-list", "--valid-for", "10m"});
  ASSERT_EQ(result.code, 0) << result.err;
  auto claims = VerifyPrinted(result);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_FALSE(claims->video.room_join);
  EXPECT_TRUE(claims->video.room_create);
  EXPECT_TRUE(claims->video.room_list);
  EXPECT_EQ(claims->expires_at, kNow + 600);
}

TEST(TokenCommandTest, HelpGoesToStdoutWithExitZero) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"create", "--help"}, {"create", "-h"}}) {
    const RunResult result = RunToken(args);
    EXPECT_EQ(result.code, 0);
    EXPECT_THAT(result.out, HasSubstr("--api-secret"));
    EXPECT_THAT(result.out, HasSubstr("--valid-for"));
    EXPECT_THAT(result.err, IsEmpty());
  }
}

TEST(TokenCommandTest, ErrorsGoToStderrWithExitTwo) {
  const std::vector<std::string> base = {"create", "--api-key", "devkey", "--api-secret",
                                         "secret"};
  struct Case {
    std::vector<std::string> extra;
    const char* message;
  };
  const Case cases[] = {
      {{"--room", "r"}, "grant nothing"},
      {{"--identity", "a"}, "needs --room"},
      {{"--room", "r", "--join"}, "needs --identity"},
      {{"--room", "r", "--identity", "a", "--valid-for", "6 hours"}, "--valid-for"},
      {{"--room", "r", "--identity", "a", "--valid-for", "0s"}, "--valid-for"},
      {{"--room", "r", "--identity", "a", "--valid-for", "99999999d"}, "--valid-for"},
      {{"--room", "r", "--identity", "a", "--can-publish=maybe"}, "true or false"},
      {{"--room", "r", "--identity", "a", "--colour", "blue"}, "unknown flag --colour"},
      {{"--room", "r", "--identity", "a", "stray"}, "unexpected argument"},
      {{"--room", "r", "--identity"}, "--identity needs a value"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = base;
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const RunResult result = RunToken(args);
    EXPECT_EQ(result.code, kTokenCommandUsageError) << c.message;
    EXPECT_THAT(result.out, IsEmpty()) << c.message;
    EXPECT_THAT(result.err, HasSubstr(c.message));
  }
  EXPECT_EQ(RunToken({}).code, kTokenCommandUsageError);
  EXPECT_THAT(RunToken({"revoke"}).err, HasSubstr("unknown subcommand"));
  EXPECT_THAT(RunToken({"create", "--room", "r", "--identity", "a"}).err,
              HasSubstr("--api-key is required"));
  EXPECT_THAT(RunToken({"create", "--api-key", "k", "--room", "r", "--identity", "a"}).err,
              HasSubstr("--api-secret is required"));
}

TEST(TokenCommandTest, RecognisesTheSubcommand) {
  const char* token_argv[] = {"switchyard", "token", "create"};
  const char* server_argv[] = {"switchyard", "--http_port=0"};
  EXPECT_TRUE(IsTokenCommand(3, token_argv));
  EXPECT_FALSE(IsTokenCommand(2, server_argv));
  EXPECT_FALSE(IsTokenCommand(1, token_argv));
}

}  // namespace
}  // namespace switchyard::api
