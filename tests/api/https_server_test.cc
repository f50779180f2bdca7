// HTTPS and WSS on the control plane's HTTP port: the TLS context builder's errors, and a whole
// Server serving /healthz, the room API and the signaling WebSocket over TLS (and, for
// comparison, the same WebSocket exchange over plain TCP).

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/access_token.h"
#include "api/http_client.h"
#include "api/server.h"
#include "api/server_config.h"
#include "api/tls_context.h"
#include "tests/transport/test_pki.h"
#include "transport/clock.h"

namespace switchyard::api {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using std::chrono::milliseconds;
using tcp = boost::asio::ip::tcp;

// Every network step of the test clients gives up after this (the client stream's expiry);
// Await stops driving the loop a little later still.
constexpr milliseconds kStepTimeout(5000);
constexpr milliseconds kAwaitLimit(6000);

using Pki = transport::testing::TestPki;
using transport::testing::CertPem;
using transport::testing::KeyPem;

TEST(TlsContextTest, LoadsChainAndKeyWithModernSettings) {
  Pki pki;
  auto context = CreateServerTlsContext(pki.Path("chain.pem"), pki.Path("key.pem"));
  ASSERT_TRUE(context.ok()) << context.status();
  SSL_CTX* ctx = (*context)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(X509_cmp(SSL_CTX_get0_certificate(ctx), pki.leaf()), 0);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx, &chain), 1);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(sk_X509_num(chain), 1);  // the intermediate, sent after the leaf
  EXPECT_TRUE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION);

  auto self_signed = CreateServerTlsContext(pki.Path("self.pem"), pki.Path("self.key"));
  EXPECT_TRUE(self_signed.ok()) << self_signed.status();
}

void ExpectError(const absl::StatusOr<std::unique_ptr<ssl::context>>& result,
                 const std::string& prefix, const std::string& fragment) {
  ASSERT_FALSE(result.ok()) << prefix;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(result.status().message());
  EXPECT_TRUE(absl::StartsWith(message, prefix)) << message;
  EXPECT_TRUE(absl::StrContains(message, fragment)) << message;
}

TEST(TlsContextTest, BadFilesAreRefusedNamingTheField) {
  Pki pki;
  const std::string chain = pki.Path("chain.pem");
  const std::string key = pki.Path("key.pem");
  ExpectError(CreateServerTlsContext(pki.Path("missing.pem"), key),
              "http.tls_cert_file: ", "no such file");
  ExpectError(CreateServerTlsContext(chain, pki.Path("missing.key")),
              "http.tls_key_file: ", "no such file");
  ExpectError(CreateServerTlsContext(pki.dir().string(), key),
              "http.tls_cert_file: ", "not a regular file");
  const std::string garbage = pki.Write("garbage.txt", "this is not a certificate\n");
  ExpectError(CreateServerTlsContext(garbage, key), "http.tls_cert_file: ", "no PEM certificate");
  ExpectError(CreateServerTlsContext(chain, garbage), "http.tls_key_file: ", "no PEM private key");
  const std::string empty = pki.Write("empty.pem", "");
  ExpectError(CreateServerTlsContext(empty, key), "http.tls_cert_file: ", "no PEM certificate");
  // The two files swapped: a certificate is no key, a key no certificate.
  ExpectError(CreateServerTlsContext(key, chain), "http.tls_cert_file: ", "no PEM certificate");
  ExpectError(CreateServerTlsContext(chain, chain), "http.tls_key_file: ", "no PEM private key");
  // Valid PEM on both sides, but not a pair.
  ExpectError(CreateServerTlsContext(chain, pki.Path("self.key")),
              "http.tls_key_file: ", "does not match the certificate");
  const std::string damaged = pki.Write(
      "damaged.pem",
      CertPem(pki.leaf()) + "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n");
  ExpectError(CreateServerTlsContext(damaged, key), "http.tls_cert_file: ", "certificate 2 in");
  // Refused rather than prompting for a pass phrase on the terminal.
  const std::string encrypted = pki.Write("encrypted.key", KeyPem(pki.leaf_key(), "hunter2"));
  ExpectError(CreateServerTlsContext(chain, encrypted), "http.tls_key_file: ", "encrypted");
}

// The ALPN protocol a server context selects for a client offering `offer` (wire format,
// RFC 7301 §3.1; empty = no ALPN extension), over a handshake in memory; "" for none, and
// "handshake failed" when it fails.
std::string NegotiatedAlpn(ssl::context& server, const std::string& offer) {
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL* client = SSL_new(client_ctx);
  SSL* peer = SSL_new(server.native_handle());
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(peer, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(peer);
  if (!offer.empty()) {
    SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(offer.data()),
                        static_cast<unsigned int>(offer.size()));
  }
  bool client_done = false;
  bool server_done = false;
  for (int i = 0; i < 20 && !(client_done && server_done); ++i) {
    client_done = client_done || SSL_do_handshake(client) == 1;
    server_done = server_done || SSL_do_handshake(peer) == 1;
  }
  std::string result = "handshake failed";
  if (client_done && server_done) {
    const unsigned char* selected = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(client, &selected, &length);
    result.assign(reinterpret_cast<const char*>(selected), length);
  }
  SSL_free(client);
  SSL_free(peer);
  SSL_CTX_free(client_ctx);
  return result;
}

// HTTPS selects http/1.1, TURN "stun.turn" (RFC 7443); a client offering neither gets no ALPN
// answer and still connects.
TEST(TlsContextTest, AlpnSelectsTheServicesProtocol) {
  Pki pki;
  auto https = CreateServerTlsContext(pki.Path("chain.pem"), pki.Path("key.pem"));
  auto turn = CreateServerTlsContext(pki.Path("chain.pem"), pki.Path("key.pem"), TlsService::kTurn);
  ASSERT_TRUE(https.ok()) << https.status();
  ASSERT_TRUE(turn.ok()) << turn.status();
  const std::string h2_and_http11("\x02h2\x08http/1.1", 12);
  const std::string turn_and_http11("\x08http/1.1\x09stun.turn", 19);
  const std::string h2("\x02h2", 3);
  EXPECT_EQ(NegotiatedAlpn(**https, h2_and_http11), "http/1.1");
  EXPECT_EQ(NegotiatedAlpn(**https, h2), "");
  EXPECT_EQ(NegotiatedAlpn(**https, ""), "");
  EXPECT_EQ(NegotiatedAlpn(**turn, turn_and_http11), "stun.turn");
  EXPECT_EQ(NegotiatedAlpn(**turn, h2_and_http11), "");
  EXPECT_EQ(NegotiatedAlpn(**turn, ""), "");
  SSL_CTX* ctx = (*turn)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_TRUE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION);
}

// The same checks as for HTTPS, naming TURN's fields.
TEST(TlsContextTest, TurnErrorsNameTheTurnFields) {
  Pki pki;
  const std::string chain = pki.Path("chain.pem");
  const std::string key = pki.Path("key.pem");
  ExpectError(CreateServerTlsContext(pki.Path("missing.pem"), key, TlsService::kTurn),
              "turn.tls_cert_file: ", "no such file");
  ExpectError(CreateServerTlsContext(chain, pki.Path("missing.key"), TlsService::kTurn),
              "turn.tls_key_file: ", "no such file");
  ExpectError(CreateServerTlsContext(key, chain, TlsService::kTurn), "turn.tls_cert_file: ",
              "no PEM certificate");
  const std::string encrypted = pki.Write("encrypted.key", KeyPem(pki.leaf_key(), "hunter2"));
  ExpectError(CreateServerTlsContext(chain, encrypted, TlsService::kTurn), "turn.tls_key_file: ",
              "encrypted");
  ExpectError(CreateServerTlsContext(chain, pki.Path("self.key"), TlsService::kTurn),
              "turn.tls_key_file: ", "does not match the certificate in turn.tls_cert_file");
}

// Runs `io` until the operation `start` begins completes, or the step times out (the stream's
// own expiry should end it first). The state is shared so that a late completion is harmless.
template <class Start>
beast::error_code Await(net::io_context& io, Start start, milliseconds limit = kAwaitLimit) {
  struct State {
    bool done = false;
    beast::error_code ec = net::error::timed_out;
  };
  auto state = std::make_shared<State>();
  start([state](beast::error_code ec, auto&&...) {
    state->ec = ec;
    state->done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!state->done && std::chrono::steady_clock::now() < deadline) {
    io.run_for(milliseconds(20));
    if (io.stopped()) io.restart();
  }
  return state->ec;
}

// A TLS client that trusts only the test root and checks the server's name (127.0.0.1), so a
// completed handshake proves the server sent its configured chain.
class TlsClient {
 public:
  explicit TlsClient(const std::string& root_pem) : context_(ssl::context::tls_client) {
    context_.load_verify_file(root_pem);
    context_.set_verify_mode(ssl::verify_peer);
  }

  // Connects and handshakes `stream`, offering ALPN h2 and http/1.1.
  template <class SslStream>
  beast::error_code Connect(SslStream& stream, uint16_t port) {
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    static constexpr unsigned char kAlpn[] = {2,   'h', '2', 8,   'h', 't',
                                              't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(stream.native_handle(), kAlpn, sizeof(kAlpn));
    auto& socket = beast::get_lowest_layer(stream);
    socket.expires_after(kStepTimeout);
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    beast::error_code ec =
        Await(io_, [&](auto handler) { socket.async_connect(endpoint, handler); });
    if (ec) return ec;
    socket.expires_after(kStepTimeout);
    return Await(io_,
                 [&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); });
  }

  net::io_context& io() { return io_; }
  ssl::context& context() { return context_; }

 private:
  net::io_context io_;
  ssl::context context_;
};

class HttpsServerTest : public ::testing::Test {
 protected:
  void StartServer(bool tls) {
    ServerConfig config = DefaultServerConfig();
    config.set_dev_mode(true);
    config.mutable_turn()->set_port(0);  // never the shared 3478: tests run in parallel
    auto* key = config.add_api_keys();
    key->set_key(kDevApiKey);
    key->set_secret(kDevApiSecret);
    config.mutable_http()->set_port(0);
    config.mutable_rtc()->set_port(0);
    if (tls) {
      config.mutable_http()->set_tls_cert_file(pki_.Path("chain.pem"));
      config.mutable_http()->set_tls_key_file(pki_.Path("key.pem"));
    }
    ASSERT_TRUE(ValidateServerConfig(config).ok()) << ValidateServerConfig(config);
    auto server = Server::Create(config, clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->RunInBackground();
    port_ = server_->http_port();
  }
  void TearDown() override { server_.reset(); }

  std::string Url(const std::string& scheme, const std::string& path) const {
    return absl::StrCat(scheme, "://127.0.0.1:", port_, path);
  }

  static std::string Token(AccessTokenClaims claims) {
    claims.api_key = kDevApiKey;
    claims.expires_at = UnixNow() + 600;
    auto token = CreateAccessToken(claims, kDevApiSecret);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  static std::string JoinToken(const std::string& room, const std::string& identity) {
    AccessTokenClaims claims;
    claims.identity = identity;
    claims.video.room = room;
    claims.video.room_join = true;
    return Token(claims);
  }

  // Sends a join on an open signaling socket and reads messages until `joined` arrives (at
  // most 20 messages, each within the step timeout); returns it, or "" on failure.
  template <class WebSocket>
  static std::string JoinAndAwaitJoined(net::io_context& io, WebSocket& ws,
                                        const std::string& token) {
    const std::string join = absl::StrCat("{\"join\":{\"token\":\"", token, "\"}}");
    ws.text(true);
    beast::get_lowest_layer(ws).expires_after(kStepTimeout);
    beast::error_code ec =
        Await(io, [&](auto handler) { ws.async_write(net::buffer(join), handler); });
    if (ec) return absl::StrCat("write failed: ", ec.message());
    for (int i = 0; i < 20; ++i) {
      beast::flat_buffer buffer;
      beast::get_lowest_layer(ws).expires_after(kStepTimeout);
      ec = Await(io, [&](auto handler) { ws.async_read(buffer, handler); });
      if (ec) return absl::StrCat("read failed: ", ec.message());
      std::string text = beast::buffers_to_string(buffer.data());
      if (absl::StrContains(text, "\"joined\"")) return text;
    }
    return "no joined message";
  }

  transport::SteadyClock clock_;
  Pki pki_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpsServerTest, HealthzOverHttps) {
  StartServer(/*tls=*/true);
  HttpClientRequest request;
  request.url = Url("https", "/healthz");
  request.insecure_skip_verify = true;
  auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok\n");
}

TEST_F(HttpsServerTest, PlainHttpToTheTlsPortFailsAndTheServerGoesOn) {
  StartServer(/*tls=*/true);
  HttpClientRequest plain;
  plain.url = Url("http", "/healthz");
  plain.timeout = milliseconds(3000);
  auto response = SendHttpRequest(plain);
  EXPECT_FALSE(response.ok()) << "plain HTTP answered with status " << response->status;

  HttpClientRequest secure;
  secure.url = Url("https", "/healthz");
  secure.insecure_skip_verify = true;
  auto after = SendHttpRequest(secure);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpsServerTest, RoomApiOverHttps) {
  StartServer(/*tls=*/true);
  AccessTokenClaims admin;
  admin.video.room_list = true;
  HttpClientRequest request;
  request.url = Url("https", "/v1/rooms");
  request.insecure_skip_verify = true;
  request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", Token(admin)));
  auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_TRUE(absl::StartsWith(response->content_type, "application/json"))
      << response->content_type;

  request.headers.clear();
  auto unauthenticated = SendHttpRequest(request);
  ASSERT_TRUE(unauthenticated.ok()) << unauthenticated.status();
  EXPECT_EQ(unauthenticated->status, 401);
}

// Keep-alive across requests on one TLS connection, and a TLS close_notify (a clean end of
// stream, not a truncation) after the response to "Connection: close".
TEST_F(HttpsServerTest, KeepAliveThenGracefulTlsClose) {
  StartServer(/*tls=*/true);
  TlsClient client(pki_.Path("root.pem"));
  beast::ssl_stream<beast::tcp_stream> stream(client.io(), client.context());
  const beast::error_code connected = client.Connect(stream, port_);
  ASSERT_FALSE(connected) << connected.message();
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &alpn, &alpn_len);
  ASSERT_NE(alpn, nullptr) << "no ALPN protocol selected";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_len), "http/1.1");

  beast::flat_buffer buffer;
  for (const bool keep_alive : {true, false}) {
    http::request<http::empty_body> request(http::verb::get, "/healthz", 11);
    request.set(http::field::host, absl::StrCat("127.0.0.1:", port_));
    request.keep_alive(keep_alive);
    beast::get_lowest_layer(stream).expires_after(kStepTimeout);
    ASSERT_FALSE(Await(client.io(), [&](auto h) { http::async_write(stream, request, h); }));
    http::response<http::string_body> response;
    beast::get_lowest_layer(stream).expires_after(kStepTimeout);
    ASSERT_FALSE(
        Await(client.io(), [&](auto h) { http::async_read(stream, buffer, response, h); }));
    EXPECT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(response.body(), "ok\n");
    EXPECT_EQ(response.keep_alive(), keep_alive);
  }
  char byte;
  beast::get_lowest_layer(stream).expires_after(kStepTimeout);
  const beast::error_code end =
      Await(client.io(), [&](auto h) { stream.async_read_some(net::buffer(&byte, 1), h); });
  EXPECT_EQ(end, net::error::eof) << end.message();  // stream_truncated would mean no close_notify
}

TEST_F(HttpsServerTest, SignalingJoinOverWss) {
  StartServer(/*tls=*/true);
  TlsClient client(pki_.Path("root.pem"));
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(client.io(), client.context());
  beast::error_code ec = client.Connect(ws.next_layer(), port_);
  ASSERT_FALSE(ec) << ec.message();
  beast::get_lowest_layer(ws).expires_after(kStepTimeout);
  const std::string host = absl::StrCat("127.0.0.1:", port_);
  ec = Await(client.io(), [&](auto h) { ws.async_handshake(host, "/ws", h); });
  ASSERT_FALSE(ec) << ec.message();

  const std::string joined = JoinAndAwaitJoined(client.io(), ws, JoinToken("r1", "alice"));
  EXPECT_TRUE(absl::StrContains(joined, "\"joined\"")) << joined;
  EXPECT_TRUE(absl::StrContains(joined, "alice")) << joined;
  EXPECT_TRUE(absl::StrContains(joined, "r1")) << joined;

  beast::get_lowest_layer(ws).expires_after(kStepTimeout);
  ec = Await(client.io(), [&](auto h) { ws.async_close(websocket::close_code::normal, h); });
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(HttpsServerTest, SignalingJoinOverPlainWebSocketStillWorks) {
  StartServer(/*tls=*/false);
  net::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  auto& socket = beast::get_lowest_layer(ws);
  socket.expires_after(kStepTimeout);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port_);
  ASSERT_FALSE(Await(io, [&](auto h) { socket.async_connect(endpoint, h); }));
  socket.expires_after(kStepTimeout);
  const std::string host = absl::StrCat("127.0.0.1:", port_);
  ASSERT_FALSE(Await(io, [&](auto h) { ws.async_handshake(host, "/ws", h); }));

  const std::string joined = JoinAndAwaitJoined(io, ws, JoinToken("r1", "bob"));
  EXPECT_TRUE(absl::StrContains(joined, "\"joined\"")) << joined;
  EXPECT_TRUE(absl::StrContains(joined, "bob")) << joined;

  HttpClientRequest request;
  request.url = Url("http", "/healthz");
  auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpsServerTest, ServerRefusesToStartWithABadKeyFile) {
  ServerConfig config = DefaultServerConfig();
  config.set_dev_mode(true);
  config.mutable_turn()->set_port(0);
  config.mutable_http()->set_port(0);
  config.mutable_rtc()->set_port(0);
  config.mutable_http()->set_tls_cert_file(pki_.Path("chain.pem"));
  config.mutable_http()->set_tls_key_file(pki_.Path("self.key"));
  auto server = Server::Create(config, clock_);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StartsWith(server.status().message(), "http.tls_key_file: "))
      << server.status();
}

}  // namespace
}  // namespace switchyard::api
