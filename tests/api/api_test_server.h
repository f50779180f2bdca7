#ifndef SWITCHYARD_TESTS_API_API_TEST_SERVER_H_
#define SWITCHYARD_TESTS_API_API_TEST_SERVER_H_

// A whole Switchyard server in-process on ephemeral loopback ports, plus the clients the API
// tests talk to it with: HTTP (api/http_client.h) and a signaling WebSocket.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/status/statusor.h"
#include "api/access_token.h"
#include "api/http_client.h"
#include "api/proto/signaling.pb.h"
#include "api/server.h"
#include "api/server_config.h"
#include "transport/clock.h"

namespace switchyard::api::testing {

inline constexpr char kTestApiKey[] = "testkey";
inline constexpr char kTestApiSecret[] = "0123456789abcdef0123456789abcdef-test";

// Production-like config: one strong key, no dev mode, loopback, ephemeral ports, no rate
// limit (tests that want one set it).
ServerConfig TestServerConfig();

class TestServer {
 public:
  explicit TestServer(ServerConfig config = TestServerConfig());
  ~TestServer();

  std::string url(const std::string& path) const;
  uint16_t port() const { return server_->http_port(); }
  Server& server() { return *server_; }

  // A token signed with the test key. `grant` is the "video" claim.
  std::string Token(const VideoGrant& grant, const std::string& identity = "",
                    int64_t valid_for_seconds = 600) const;
  std::string AdminToken() const;  // roomAdmin (all rooms) + roomCreate + roomList
  std::string JoinToken(const std::string& room, const std::string& identity) const;

  HttpClientResponse Call(const std::string& method, const std::string& path,
                          const std::string& body = "", const std::string& token = "",
                          const std::string& content_type = "application/json",
                          const std::string& accept = "") const;

 private:
  transport::SteadyClock clock_;
  std::unique_ptr<Server> server_;
};

// A blocking signaling client (the browser's side of /ws), every read bounded in time.
class SignalingClient {
 public:
  explicit SignalingClient(uint16_t port);
  ~SignalingClient();
  bool connected() const { return connected_; }
  void Send(const v1::ClientMessage& message);
  void SendJson(const std::string& json);
  // The next message, or nullopt after `timeout` or when the socket closed. A timeout ends the
  // connection (as a read timeout does on Beast's tcp_stream).
  std::optional<v1::ServerMessage> Receive(std::chrono::milliseconds timeout);
  // Reads until a message satisfies `match` (others are skipped), bounded by `timeout`.
  std::optional<v1::ServerMessage> ReceiveUntil(
      const std::function<bool(const v1::ServerMessage&)>& match,
      std::chrono::milliseconds timeout);
  // True once the server closed the socket (within `timeout`).
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  bool connected_ = false;
  bool closed_ = false;
};

}  // namespace switchyard::api::testing

#endif  // SWITCHYARD_TESTS_API_API_TEST_SERVER_H_
