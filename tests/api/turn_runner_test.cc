#include "api/turn_runner.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/api_test_server.h"
#include "transport/stun_message.h"
#include "transport/turn_credentials.h"

namespace switchyard::api {
namespace {

using namespace std::chrono_literals;
using testing::SignalingClient;
using testing::TestServer;
using testing::TestServerConfig;

// One STUN transaction over UDP on loopback; nullopt if nothing came back within 2 s.
std::optional<transport::StunMessage> Transact(int fd, const transport::SocketAddress& to,
                                               const std::vector<uint8_t>& request) {
  sockaddr_storage s;
  const socklen_t len = to.ToSockaddr(s);
  ::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&s), len);
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) != 1) return std::nullopt;
  std::vector<uint8_t> buffer(2048);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return std::nullopt;
  buffer.resize(static_cast<size_t>(n));
  auto m = transport::StunMessage::Parse(buffer);
  if (!m.ok()) return std::nullopt;
  return *std::move(m);
}

// `joined` carries stun:/turn: URLs for the server's own TURN port with credentials for the
// participant, and those credentials really allocate a relay there.
TEST(TurnRunnerTest, JoinedHandsOutIceServersWhoseCredentialsAllocate) {
  TestServer server(TestServerConfig());
  SignalingClient client(server.port());
  ASSERT_TRUE(client.connected());
  v1::ClientMessage join;
  join.mutable_join()->set_token(server.JoinToken("turn-room", "alice"));
  client.Send(join);
  auto joined = client.ReceiveUntil([](const auto& m) { return m.has_joined(); }, 5000ms);
  ASSERT_TRUE(joined.has_value());
  const auto& servers = joined->joined().ice_servers();
  ASSERT_EQ(servers.size(), 2);
  std::smatch match;
  const std::string stun_url = servers[0].urls(0);
  ASSERT_TRUE(std::regex_match(stun_url, match, std::regex(R"(stun:127\.0\.0\.1:(\d+))")))
      << stun_url;
  const uint16_t port = static_cast<uint16_t>(std::stoi(match[1]));
  EXPECT_EQ(servers[1].urls(0), "turn:127.0.0.1:" + std::to_string(port) + "?transport=udp");
  ASSERT_EQ(servers[1].urls_size(), 2);  // and over TCP, for clients whose UDP is blocked
  EXPECT_TRUE(std::regex_match(servers[1].urls(1), std::regex(R"(turn:127\.0\.0\.1:\d+\?transport=tcp)")))
      << servers[1].urls(1);
  const std::string username = servers[1].username();
  EXPECT_TRUE(std::regex_match(username, std::regex(R"(\d+:alice)"))) << username;
  EXPECT_FALSE(servers[1].credential().empty());

  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
  const transport::SocketAddress turn = *transport::SocketAddress::Parse("127.0.0.1", port);
  auto allocate = [&](const std::string& nonce, const std::string& realm) {
    transport::StunMessageBuilder b(transport::StunClass::kRequest,
                                    transport::StunMethod::kAllocate,
                                    transport::GenerateStunTransactionId());
    b.AddUint32(transport::kStunAttrRequestedTransport, 17u << 24);
    if (nonce.empty()) return *b.Serialize(std::nullopt, true);
    b.AddUsername(username);
    b.AddAttribute(transport::kStunAttrRealm,
                   {reinterpret_cast<const uint8_t*>(realm.data()), realm.size()});
    b.AddAttribute(transport::kStunAttrNonce,
                   {reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size()});
    const transport::TurnKey key =
        transport::LongTermCredentialKey(username, realm, servers[1].credential());
    return *b.Serialize(transport::KeyView(key), true);
  };
  auto challenge = Transact(fd, turn, allocate("", ""));
  ASSERT_TRUE(challenge.has_value());
  ASSERT_EQ(challenge->error_code()->code, 401);
  auto allocated = Transact(fd, turn, allocate(std::string(*challenge->nonce()),
                                               std::string(*challenge->realm())));
  ASSERT_TRUE(allocated.has_value());
  EXPECT_EQ(allocated->message_class(), transport::StunClass::kSuccessResponse)
      << (allocated->error_code() ? allocated->error_code()->reason : "");
  ::close(fd);
}

TEST(TurnRunnerTest, DisabledTurnGivesNoIceServers) {
  ServerConfig config = TestServerConfig();
  config.mutable_turn()->set_enabled(false);
  TestServer server(config);
  SignalingClient client(server.port());
  v1::ClientMessage join;
  join.mutable_join()->set_token(server.JoinToken("no-turn", "bob"));
  client.Send(join);
  auto joined = client.ReceiveUntil([](const auto& m) { return m.has_joined(); }, 5000ms);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(joined->joined().ice_servers_size(), 0);
}

}  // namespace
}  // namespace switchyard::api
