#include "tests/api/api_test_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "api/signaling_codec.h"

namespace switchyard::api::testing {

ServerConfig TestServerConfig() {
  ServerConfig config = DefaultServerConfig();
  config.mutable_http()->set_address("127.0.0.1");
  config.mutable_http()->set_port(0);
  config.mutable_http()->set_api_rate_limit(0);
  config.mutable_rtc()->set_address("127.0.0.1");
  config.mutable_rtc()->set_port(0);
  config.mutable_turn()->set_port(0);  // tests run in parallel: never the shared 3478
  config.mutable_turn()->set_tls_port(0);  // nor 5349, where a test gives TURN a certificate
  config.set_dev_mode(false);
  auto* key = config.add_api_keys();
  key->set_key(kTestApiKey);
  key->set_secret(kTestApiSecret);
  return config;
}

TestServer::TestServer(ServerConfig config) {
  auto status = ValidateServerConfig(config);
  if (!status.ok()) std::abort();
  auto server = Server::Create(config, clock_);
  if (!server.ok()) std::abort();
  server_ = std::move(*server);
  server_->RunInBackground();
}

TestServer::~TestServer() { server_.reset(); }

std::string TestServer::url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port(), path);
}

std::string TestServer::Token(const VideoGrant& grant, const std::string& identity,
                              int64_t valid_for_seconds) const {
  AccessTokenClaims claims;
  claims.api_key = kTestApiKey;
  claims.identity = identity;
  claims.not_before = UnixNow() - 60;
  claims.expires_at = UnixNow() + valid_for_seconds;
  claims.video = grant;
  return *CreateAccessToken(claims, kTestApiSecret);
}

std::string TestServer::AdminToken() const {
  VideoGrant grant;
  grant.room_admin = true;
  grant.room_create = true;
  grant.room_list = true;
  grant.can_publish = grant.can_subscribe = grant.can_publish_data = false;
  return Token(grant);
}

std::string TestServer::JoinToken(const std::string& room, const std::string& identity) const {
  VideoGrant grant;
  grant.room = room;
  grant.room_join = true;
  return Token(grant, identity);
}

HttpClientResponse TestServer::Call(const std::string& method, const std::string& path,
                                    const std::string& body, const std::string& token,
                                    const std::string& content_type,
                                    const std::string& accept) const {
  HttpClientRequest request;
  request.method = method;
  request.url = url(path);
  request.body = body;
  request.timeout = std::chrono::milliseconds(5000);
  if (!token.empty()) request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", token));
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  if (!accept.empty()) request.headers.emplace_back("Accept", accept);
  auto response = SendHttpRequest(request);
  if (!response.ok()) {
    HttpClientResponse failed;
    failed.status = -1;
    failed.body = std::string(response.status().message());
    return failed;
  }
  return *response;
}

SignalingClient::SignalingClient(uint16_t port) : ws_(io_) {
  boost::beast::error_code ec;
  boost::beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
  boost::beast::get_lowest_layer(ws_).connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  ws_.handshake(absl::StrCat("127.0.0.1:", port), "/ws", ec);
  connected_ = !ec;
}

SignalingClient::~SignalingClient() {
  boost::beast::error_code ec;
  boost::beast::get_lowest_layer(ws_).socket().close(ec);
}

void SignalingClient::Send(const v1::ClientMessage& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  SendJson(json);
}

void SignalingClient::SendJson(const std::string& json) {
  boost::beast::error_code ec;
  boost::beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
  ws_.text(true);
  ws_.write(boost::asio::buffer(json), ec);
}

std::optional<v1::ServerMessage> SignalingClient::Receive(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  boost::beast::flat_buffer buffer;
  std::optional<v1::ServerMessage> result;
  bool done = false;
  boost::beast::get_lowest_layer(ws_).expires_after(timeout);
  ws_.async_read(buffer, [&](boost::beast::error_code ec, size_t) {
    done = true;
    if (ec) {
      // A timed-out read closes the TCP stream too (Beast's tcp_stream): either way the
      // connection is over.
      closed_ = true;
      return;
    }
    v1::ServerMessage message;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const std::string text = boost::beast::buffers_to_string(buffer.data());
    if (google::protobuf::util::JsonStringToMessage(text, &message, options).ok()) {
      result = std::move(message);
    }
  });
  io_.restart();
  io_.run();
  (void)done;
  return result;
}

std::optional<v1::ServerMessage> SignalingClient::ReceiveUntil(
    const std::function<bool(const v1::ServerMessage&)>& match,
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && !closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto message = Receive(left);
    if (message && match(*message)) return message;
  }
  return std::nullopt;
}

bool SignalingClient::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) {
    Receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
  }
  return closed_;
}

}  // namespace switchyard::api::testing
