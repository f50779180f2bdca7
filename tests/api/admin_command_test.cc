#include "api/admin_command.h"

#include <google/protobuf/util/json_util.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "api/access_token.h"
#include "api/proto/room_service.pb.h"

namespace switchyard::api {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z
constexpr char kStrongSecret[] = "a-production-secret-of-at-least-32-bytes";

// Stands in for the server: records every request and answers with `response` (or fails the
// exchange with `failure`).
struct FakeServer {
  std::vector<HttpClientRequest> requests;
  HttpClientResponse response{200, "application/json", "{}", {}};
  absl::Status failure = absl::OkStatus();

  HttpSender Sender() {
    return [this](const HttpClientRequest& request) -> absl::StatusOr<HttpClientResponse> {
      requests.push_back(request);
      if (!failure.ok()) return failure;
      return response;
    };
  }
  void Answer(int status, std::string body) {
    response.status = status;
    response.body = std::move(body);
  }
};

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

RunResult RunAdmin(FakeServer& server, const std::vector<std::string>& args,
              std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  const int code = RunAdminCommand(
      args, kNow, out, err, server.Sender(),
      [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
      });
  return {code, out.str(), err.str()};
}

std::string HeaderOf(const HttpClientRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// The claims of the request's bearer token, verified as the server would.
absl::StatusOr<AccessTokenClaims> VerifiedClaims(const HttpClientRequest& request,
                                                 std::map<std::string, std::string> keys = {
                                                     {"devkey", "secret"}}) {
  const std::string authorization = HeaderOf(request, "Authorization");
  if (!authorization.starts_with("Bearer ")) {
    return absl::InvalidArgumentError("no bearer token: \"" + authorization + "\"");
  }
  TokenVerifier verifier(std::move(keys));
  return verifier.Verify(authorization.substr(7), kNow);
}

VideoGrant AdminGrant() {
  VideoGrant grant;
  grant.can_publish = false;
  grant.can_subscribe = false;
  grant.can_publish_data = false;
  return grant;
}

constexpr char kTwoRooms[] = R"({"rooms":[
  {"name":"demo","sid":"RM_1","emptyTimeout":300,"maxParticipants":10,
   "creationTime":"1800000000","numParticipants":2,"numPublishers":1,"futureField":true},
  {"name":"standup","sid":"RM_2","creationTime":"1800003600"}]})";

constexpr char kAlice[] = R"({"participantId":"PA_1","identity":"alice","name":"Ada",
  "state":"STATE_ACTIVE","kind":"KIND_STANDARD","joinedAt":"1799999000",
  "tracks":[{"trackId":"TR_a","kind":"TRACK_KIND_AUDIO","layers":1},
            {"trackId":"TR_v","kind":"TRACK_KIND_VIDEO","muted":true,"layers":3}]})";

TEST(AdminCommandTest, RoomsListSendsAListTokenAndPrintsATable) {
  FakeServer server;
  server.Answer(200, kTwoRooms);
  const RunResult result = RunAdmin(server, {"rooms", "list"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.err, IsEmpty());
  EXPECT_EQ(result.out,
            "NAME     PARTICIPANTS  PUBLISHERS  CREATED               EMPTY TIMEOUT  MAX\n"
            "demo     2             1           2027-01-15T08:00:00Z  300s           10\n"
            "standup  0             0           2027-01-15T09:00:00Z  default        "
            "unlimited\n");

  ASSERT_EQ(server.requests.size(), 1u);
  const HttpClientRequest& request = server.requests[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/v1/rooms");
  EXPECT_THAT(request.body, IsEmpty());
  EXPECT_FALSE(request.insecure_skip_verify);
  EXPECT_THAT(request.headers, Contains(Pair("Content-Type", "application/json")));
  EXPECT_THAT(request.headers, Contains(Pair("Accept", "application/json")));

  // No flags, no environment: the dev-mode key signs a 10-minute room_list token.
  auto claims = VerifiedClaims(request);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->api_key, "devkey");
  EXPECT_THAT(claims->identity, IsEmpty());
  EXPECT_EQ(claims->not_before, kNow);
  EXPECT_EQ(claims->expires_at, kNow + 600);
  VideoGrant expected = AdminGrant();
  expected.room_list = true;
  EXPECT_EQ(claims->video, expected);
}

TEST(AdminCommandTest, JsonPrintsTheServersResponseAsItIs) {
  FakeServer server;
  server.Answer(200, kTwoRooms);
  const RunResult result = RunAdmin(server, {"rooms", "list", "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(kTwoRooms) + "\n");

  server.Answer(200, "");
  const RunResult deleted = RunAdmin(server, {"rooms", "--json", "delete", "demo"});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "{}\n");
}

TEST(AdminCommandTest, EmptyListsSaySo) {
  FakeServer server;
  server.Answer(200, "{}");
  EXPECT_EQ(RunAdmin(server, {"rooms", "list"}).out, "no rooms\n");
  EXPECT_EQ(RunAdmin(server, {"participants", "list", "demo"}).out, "no participants in room demo\n");
}

TEST(AdminCommandTest, RoomsGetPercentEncodesAndScopesTheTokenToTheRoom) {
  FakeServer server;
  server.Answer(200, R"({"name":"a b/c","creationTime":"1800000000","numParticipants":1})");
  const RunResult result = RunAdmin(server, {"rooms", "get", "a b/c"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("a b/c  1 "));
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "GET");
  EXPECT_EQ(server.requests[0].url, "http://127.0.0.1:8080/v1/rooms/a%20b%2Fc");
  auto claims = VerifiedClaims(server.requests[0]);
  ASSERT_TRUE(claims.ok()) << claims.status();
  VideoGrant expected = AdminGrant();
  expected.room_admin = true;
  expected.room = "a b/c";
  EXPECT_EQ(claims->video, expected);
}

TEST(AdminCommandTest, RoomsCreatePostsTheRequestWithACreateToken) {
  FakeServer server;
  server.Answer(201, R"({"name":"demo","sid":"RM_9","emptyTimeout":120,"maxParticipants":4,
                         "creationTime":"1800000000","metadata":"hello"})");
  const RunResult result =
      RunAdmin(server, {"rooms", "create", "demo", "--empty-timeout", "120", "--max-participants=4",
                   "--metadata", "hello"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "NAME  PARTICIPANTS  PUBLISHERS  CREATED               EMPTY TIMEOUT  MAX\n"
            "demo  0             0           2027-01-15T08:00:00Z  120s           4\n");
  ASSERT_EQ(server.requests.size(), 1u);
  const HttpClientRequest& request = server.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/v1/rooms");
  v1::CreateRoomRequest body;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(request.body, &body).ok())
      << request.body;
  EXPECT_EQ(body.name(), "demo");
  EXPECT_EQ(body.empty_timeout(), 120u);
  EXPECT_EQ(body.max_participants(), 4u);
  EXPECT_EQ(body.metadata(), "hello");
  EXPECT_THAT(request.body, HasSubstr(R"("emptyTimeout":120)"));  // lowerCamelCase on the wire
  auto claims = VerifiedClaims(request);
  ASSERT_TRUE(claims.ok()) << claims.status();
  VideoGrant expected = AdminGrant();
  expected.room_create = true;
  EXPECT_EQ(claims->video, expected);
}

TEST(AdminCommandTest, RoomsDeleteSendsDeleteWithACreateToken) {
  FakeServer server;
  const RunResult result = RunAdmin(server, {"rooms", "delete", "demo"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "deleted room demo\n");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "DELETE");
  EXPECT_EQ(server.requests[0].url, "http://127.0.0.1:8080/v1/rooms/demo");
  auto claims = VerifiedClaims(server.requests[0]);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_TRUE(claims->video.room_create);
  EXPECT_FALSE(claims->video.room_admin);
  EXPECT_FALSE(claims->video.room_list);
}

TEST(AdminCommandTest, ParticipantsListPrintsStatesKindsAndTracks) {
  FakeServer server;
  server.Answer(200, std::string(R"({"participants":[)") + kAlice + R"(,
      {"participantId":"PA_2","identity":"cam-1","state":"STATE_JOINED","kind":"KIND_WHIP",
       "joinedAt":"1800000000"}]})");
  const RunResult result = RunAdmin(server, {"participants", "list", "demo"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "IDENTITY  NAME  STATE   KIND      TRACKS              JOINED\n"
            "alice     Ada   active  standard  audio,video(muted)  2027-01-15T07:43:20Z\n"
            "cam-1     -     joined  whip      -                   2027-01-15T08:00:00Z\n");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "GET");
  EXPECT_EQ(server.requests[0].url, "http://127.0.0.1:8080/v1/rooms/demo/participants");
  auto claims = VerifiedClaims(server.requests[0]);
  ASSERT_TRUE(claims.ok()) << claims.status();
  VideoGrant expected = AdminGrant();
  expected.room_admin = true;
  expected.room = "demo";
  EXPECT_EQ(claims->video, expected);
}

TEST(AdminCommandTest, ParticipantsGetAlsoListsTrackIds) {
  FakeServer server;
  server.Answer(200, kAlice);
  const RunResult result = RunAdmin(server, {"participants", "get", "demo", "alice"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "IDENTITY  NAME  STATE   KIND      TRACKS              JOINED\n"
            "alice     Ada   active  standard  audio,video(muted)  2027-01-15T07:43:20Z\n"
            "\n"
            "TRACK ID  KIND   MUTED  LAYERS\n"
            "TR_a      audio  no     1\n"
            "TR_v      video  yes    3\n");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "GET");
  EXPECT_EQ(server.requests[0].url,
            "http://127.0.0.1:8080/v1/rooms/demo/participants/alice");
}

TEST(AdminCommandTest, ParticipantsRemoveSendsDelete) {
  FakeServer server;
  const RunResult result = RunAdmin(server, {"participants", "remove", "demo", "bob@example.com"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "removed bob@example.com from room demo\n");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "DELETE");
  EXPECT_EQ(server.requests[0].url,
            "http://127.0.0.1:8080/v1/rooms/demo/participants/bob%40example.com");
  auto claims = VerifiedClaims(server.requests[0]);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_TRUE(claims->video.room_admin);
  EXPECT_EQ(claims->video.room, "demo");
}

TEST(AdminCommandTest, ParticipantsMuteAndUnmute) {
  FakeServer server;
  server.Answer(200, R"({"track":{"trackId":"TR_v","kind":"TRACK_KIND_VIDEO","muted":true}})");
  RunResult result = RunAdmin(server, {"participants", "mute", "demo", "alice", "TR_v"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "muted video track TR_v of alice in room demo\n");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "POST");
  EXPECT_EQ(server.requests[0].url,
            "http://127.0.0.1:8080/v1/rooms/demo/participants/alice/tracks/TR_v/mute");
  EXPECT_EQ(server.requests[0].body, R"({"muted":true})");
  auto claims = VerifiedClaims(server.requests[0]);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_TRUE(claims->video.room_admin);
  EXPECT_EQ(claims->video.room, "demo");

  server.Answer(200, R"({"track":{"trackId":"TR_v","kind":"TRACK_KIND_VIDEO"}})");
  result = RunAdmin(server, {"participants", "mute", "demo", "alice", "TR_v", "--unmute"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "unmuted video track TR_v of alice in room demo\n");
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1].body, R"({"muted":false})");
}

TEST(AdminCommandTest, EnvironmentAndFlagsChooseServerAndKey) {
  FakeServer server;
  const std::map<std::string, std::string> env = {
      {"SWITCHYARD_URL", "https://sfu.example.com/switchyard/"},
      {"SWITCHYARD_API_KEY", "prod"},
      {"SWITCHYARD_API_SECRET", kStrongSecret}};
  RunResult result = RunAdmin(server, {"rooms", "delete", "demo", "--insecure"}, env);
  ASSERT_EQ(result.code, 0) << result.err;
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].url, "https://sfu.example.com/switchyard/v1/rooms/demo");
  EXPECT_TRUE(server.requests[0].insecure_skip_verify);
  auto claims = VerifiedClaims(server.requests[0], {{"prod", kStrongSecret}});
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->api_key, "prod");

  // Flags win over the environment.
  result = RunAdmin(server,
               {"--url", "http://[::1]:9000", "--api-key=other", "--api-secret", "other-secret",
                "rooms", "delete", "demo"},
               env);
  ASSERT_EQ(result.code, 0) << result.err;
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1].url, "http://[::1]:9000/v1/rooms/demo");
  EXPECT_FALSE(server.requests[1].insecure_skip_verify);
  claims = VerifiedClaims(server.requests[1], {{"other", "other-secret"}});
  ASSERT_TRUE(claims.ok()) << claims.status();
  // Signed with the flag's secret, not the environment's.
  EXPECT_FALSE(VerifiedClaims(server.requests[1], {{"other", kStrongSecret}}).ok());
}

TEST(AdminCommandTest, ServerErrorsPrintStatusCodeAndMessage) {
  FakeServer server;
  server.Answer(404, R"({"code":"not_found","msg":"room \"x\" is not open","meta":{"room":"x"}})");
  RunResult result = RunAdmin(server, {"rooms", "get", "x"});
  EXPECT_EQ(result.code, kAdminCommandFailed);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_EQ(result.err, "switchyard: 404 not_found: room \"x\" is not open\n");

  // --json does not turn errors into output.
  result = RunAdmin(server, {"rooms", "get", "x", "--json"});
  EXPECT_EQ(result.code, kAdminCommandFailed);
  EXPECT_THAT(result.out, IsEmpty());

  server.Answer(502, "Bad Gateway\r\n");
  result = RunAdmin(server, {"rooms", "list"});
  EXPECT_EQ(result.code, kAdminCommandFailed);
  EXPECT_EQ(result.err, "switchyard: 502: Bad Gateway\n");

  server.Answer(401, R"({"code":"unauthenticated","msg":"token rejected: bad_signature"})");
  result = RunAdmin(server, {"rooms", "list"});
  EXPECT_EQ(result.code, kAdminCommandFailed);
  EXPECT_EQ(result.err, "switchyard: 401 unauthenticated: token rejected: bad_signature\n");
}

TEST(AdminCommandTest, TransportErrorsAndBadResponsesFail) {
  FakeServer server;
  server.failure = absl::UnavailableError("connect to 127.0.0.1:8080: Connection refused");
  RunResult result = RunAdmin(server, {"rooms", "list"});
  EXPECT_EQ(result.code, kAdminCommandFailed);
  EXPECT_EQ(result.err, "switchyard: connect to 127.0.0.1:8080: Connection refused\n");

  server.failure = absl::OkStatus();
  server.Answer(200, "<html>not json</html>");
  result = RunAdmin(server, {"rooms", "list"});
  EXPECT_EQ(result.code, kAdminCommandFailed);
  EXPECT_THAT(result.err, StartsWith("switchyard: cannot parse the server's response"));
}

TEST(AdminCommandTest, TableCellsCannotCarryTerminalControls) {
  FakeServer server;
  server.Answer(200, R"({"participants":[{"identity":"eve","name":"\u001b[2Jx\nY"}]})");
  const RunResult result = RunAdmin(server, {"participants", "list", "demo"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("eve       ?[2Jx?Y"));
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
}

TEST(AdminCommandTest, DoubleDashAllowsOperandsStartingWithADash) {
  FakeServer server;
  const RunResult result = RunAdmin(server, {"participants", "remove", "--", "demo", "-odd"});
  ASSERT_EQ(result.code, 0) << result.err;
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].url, "http://127.0.0.1:8080/v1/rooms/demo/participants/-odd");
}

TEST(AdminCommandTest, UsageErrorsExitTwoWithoutSending) {
  const std::vector<std::vector<std::string>> cases = {
      {"rooms"},
      {"rooms", "rename", "a"},
      {"participants", "list"},
      {"participants", "mute", "demo", "alice"},
      {"rooms", "get", "a", "b"},
      {"rooms", "list", "--bogus"},
      {"rooms", "list", "--unmute"},
      {"rooms", "get", "demo", "--max-participants", "3"},
      {"rooms", "create", "demo", "--max-participants", "lots"},
      {"rooms", "create", "demo", "--empty-timeout", "-5"},
      {"rooms", "create", "demo", "--empty-timeout", "4294967296"},
      {"rooms", "list", "--url"},
      {"rooms", "list", "--url", "ftp://example.com"},
      {"rooms", "list", "--url", "http://example.com/?x=1"},
      {"rooms", "list", "--api-key", "k"},
      {"rooms", "list", "--api-secret", "s"},
      {"rooms", "list", "--json=maybe"},
      {"rooms", "get", ".."},
      {"rooms", "get", ""},
      {"participants", "get", "demo", "."},
      {"token", "create"},
  };
  for (const auto& args : cases) {
    FakeServer server;
    const RunResult result = RunAdmin(server, args);
    std::string joined;
    for (const auto& arg : args) joined += " [" + arg + "]";
    EXPECT_EQ(result.code, kAdminCommandUsageError) << joined;
    EXPECT_THAT(result.err, StartsWith("switchyard: ")) << joined;
    EXPECT_THAT(result.out, IsEmpty()) << joined;
    EXPECT_TRUE(server.requests.empty()) << joined;
  }
}

TEST(AdminCommandTest, HelpPrintsUsage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"rooms", "--help"},
                                             {"participants", "mute", "-h"},
                                             {"rooms", "help"},
                                             {"rooms", "create", "demo", "--help"}}) {
    FakeServer server;
    const RunResult result = RunAdmin(server, args);
    EXPECT_EQ(result.code, 0);
    EXPECT_THAT(result.out, StartsWith("Usage: switchyard rooms|participants"));
    EXPECT_THAT(result.out, HasSubstr("participants mute ROOM IDENTITY TRACK_ID [--unmute]"));
    EXPECT_TRUE(server.requests.empty());
  }
}

TEST(AdminCommandTest, RecognizesItsSubcommands) {
  const char* rooms[] = {"switchyard", "rooms", "list"};
  const char* participants[] = {"switchyard", "participants"};
  const char* token[] = {"switchyard", "token", "create"};
  const char* server[] = {"switchyard", "--workers=2"};
  EXPECT_TRUE(IsAdminCommand(3, rooms));
  EXPECT_TRUE(IsAdminCommand(2, participants));
  EXPECT_FALSE(IsAdminCommand(3, token));
  EXPECT_FALSE(IsAdminCommand(2, server));
  EXPECT_FALSE(IsAdminCommand(1, rooms));
}

TEST(AdminCommandTest, PercentEncodesPathSegments) {
  EXPECT_EQ(PercentEncodePathSegment("demo.room_1-~"), "demo.room_1-~");
  EXPECT_EQ(PercentEncodePathSegment("a b/c?d#e%"), "a%20b%2Fc%3Fd%23e%25");
  EXPECT_EQ(PercentEncodePathSegment("\xC3\xBC"), "%C3%BC");
}

}  // namespace
}  // namespace switchyard::api
