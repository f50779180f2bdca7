#include "api/turn_runner.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/api_test_server.h"
#include "tests/transport/test_pki.h"
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

// `joined` of a server whose TURN has a certificate (for 127.0.0.1, issued by a test root),
// or none when `pki` is null.
std::optional<v1::ServerMessage> JoinedWithTurnTls(const transport::testing::TestPki* pki,
                                                   const std::string& tls_host,
                                                   uint16_t* tls_port = nullptr,
                                                   uint16_t* tcp_port = nullptr) {
  ServerConfig config = TestServerConfig();
  if (pki != nullptr) {
    config.mutable_turn()->set_tls_cert_file(pki->Path("chain.pem"));
    config.mutable_turn()->set_tls_key_file(pki->Path("key.pem"));
  }
  config.mutable_turn()->set_tls_host(tls_host);
  TestServer server(config);
  if (tls_port != nullptr) *tls_port = server.server().turn_tls_port();
  if (tcp_port != nullptr) *tcp_port = server.server().turn_tcp_port();
  SignalingClient client(server.port());
  v1::ClientMessage join;
  join.mutable_join()->set_token(server.JoinToken("tls-room", "carol"));
  client.Send(join);
  return client.ReceiveUntil([](const auto& m) { return m.has_joined(); }, 5000ms);
}

// TURN over TLS: a turns: URL in the same entry as the turn: URLs (same credentials), on the
// TLS port; turn.tls_host replaces the IP (IPv6 literals bracketed); no certificate, no URL.
TEST(TurnRunnerTest, TurnsUrlWhenACertificateIsConfigured) {
  transport::testing::TestPki pki;
  uint16_t tls_port = 0;
  uint16_t tcp_port = 0;
  auto joined = JoinedWithTurnTls(&pki, "", &tls_port, &tcp_port);
  ASSERT_TRUE(joined.has_value());
  ASSERT_NE(tls_port, 0);
  EXPECT_NE(tls_port, tcp_port);
  const auto& servers = joined->joined().ice_servers();
  ASSERT_EQ(servers.size(), 2);
  ASSERT_EQ(servers[1].urls_size(), 3);
  EXPECT_EQ(servers[1].urls(2), "turns:127.0.0.1:" + std::to_string(tls_port) + "?transport=tcp");

  auto named = JoinedWithTurnTls(&pki, "turn.example.com", &tls_port);
  ASSERT_TRUE(named.has_value());
  ASSERT_EQ(named->joined().ice_servers(1).urls_size(), 3);
  EXPECT_EQ(named->joined().ice_servers(1).urls(2),
            "turns:turn.example.com:" + std::to_string(tls_port) + "?transport=tcp");

  auto v6 = JoinedWithTurnTls(&pki, "2001:db8::5", &tls_port);
  ASSERT_TRUE(v6.has_value());
  ASSERT_EQ(v6->joined().ice_servers(1).urls_size(), 3);
  EXPECT_EQ(v6->joined().ice_servers(1).urls(2),
            "turns:[2001:db8::5]:" + std::to_string(tls_port) + "?transport=tcp");

  auto without = JoinedWithTurnTls(nullptr, "", &tls_port);
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(tls_port, 0);
  EXPECT_EQ(without->joined().ice_servers(1).urls_size(), 2);
}

// A client that trusts the test root reaches the TLS port, checks the certificate against
// 127.0.0.1, gets ALPN "stun.turn" (RFC 7443), and allocates with the joined credentials.
TEST(TurnRunnerTest, TurnOverTlsAllocatesWithTheJoinedCredentials) {
  transport::testing::TestPki pki;
  ServerConfig config = TestServerConfig();
  config.mutable_turn()->set_tls_cert_file(pki.Path("chain.pem"));
  config.mutable_turn()->set_tls_key_file(pki.Path("key.pem"));
  TestServer server(config);
  SignalingClient client(server.port());
  v1::ClientMessage join;
  join.mutable_join()->set_token(server.JoinToken("tls-room", "dave"));
  client.Send(join);
  auto joined = client.ReceiveUntil([](const auto& m) { return m.has_joined(); }, 5000ms);
  ASSERT_TRUE(joined.has_value());
  const auto& turn = joined->joined().ice_servers(1);

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_storage s;
  const auto address =
      *transport::SocketAddress::Parse("127.0.0.1", server.server().turn_tls_port());
  const socklen_t len = address.ToSockaddr(s);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&s), len), 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, pki.Path("root.pem").c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  static constexpr unsigned char kAlpn[] = {9, 's', 't', 'u', 'n', '.', 't', 'u', 'r', 'n'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn));
  ASSERT_EQ(SSL_connect(ssl), 1);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_length), "stun.turn");

  // One STUN message each way: the answers are small enough for one read.
  auto transact =
      [&](const std::vector<uint8_t>& request) -> std::optional<transport::StunMessage> {
    if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) return std::nullopt;
    std::vector<uint8_t> buffer(4096);
    const int n = SSL_read(ssl, buffer.data(), static_cast<int>(buffer.size()));
    if (n <= 0) return std::nullopt;
    buffer.resize(static_cast<size_t>(n));
    auto m = transport::StunMessage::Parse(buffer);
    if (!m.ok()) return std::nullopt;
    return *std::move(m);
  };
  auto allocate = [&](const std::string& nonce, const std::string& realm) {
    transport::StunMessageBuilder b(transport::StunClass::kRequest,
                                    transport::StunMethod::kAllocate,
                                    transport::GenerateStunTransactionId());
    b.AddUint32(transport::kStunAttrRequestedTransport, 17u << 24);
    if (nonce.empty()) return *b.Serialize(std::nullopt, true);
    b.AddUsername(turn.username());
    b.AddAttribute(transport::kStunAttrRealm,
                   {reinterpret_cast<const uint8_t*>(realm.data()), realm.size()});
    b.AddAttribute(transport::kStunAttrNonce,
                   {reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size()});
    const transport::TurnKey key =
        transport::LongTermCredentialKey(turn.username(), realm, turn.credential());
    return *b.Serialize(transport::KeyView(key), true);
  };
  auto challenge = transact(allocate("", ""));
  ASSERT_TRUE(challenge.has_value());
  ASSERT_EQ(challenge->error_code()->code, 401);
  auto allocated =
      transact(allocate(std::string(*challenge->nonce()), std::string(*challenge->realm())));
  ASSERT_TRUE(allocated.has_value());
  EXPECT_EQ(allocated->message_class(), transport::StunClass::kSuccessResponse)
      << (allocated->error_code() ? allocated->error_code()->reason : "");
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
}

// A TLS port already taken stops the server at start, naming TLS, the address and the setting.
TEST(TurnRunnerTest, TakenTlsPortIsReportedWithItsSetting) {
  transport::testing::TestPki pki;
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  socklen_t length = sizeof(local);
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&local), &length);
  const uint16_t port = ntohs(local.sin_port);

  ServerConfig config = TestServerConfig();
  config.mutable_turn()->set_tls_cert_file(pki.Path("chain.pem"));
  config.mutable_turn()->set_tls_key_file(pki.Path("key.pem"));
  config.mutable_turn()->set_tls_port(port);
  ASSERT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
  transport::SteadyClock clock;
  auto server = Server::Create(config, clock);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().message(),
            "turn: TLS: bind 127.0.0.1:" + std::to_string(port) +
                ": Address already in use (set turn.tls_port / --turn_tls_port, or "
                "--turn_tls=false)");
  ::close(taken);
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
