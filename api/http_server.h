#ifndef SWITCHYARD_API_HTTP_SERVER_H_
#define SWITCHYARD_API_HTTP_SERVER_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "api/metrics_collector.h"
#include "api/room_api.h"
#include "api/signaling_session.h"
#include "api/whip_handler.h"
#include "sfu/worker_pool.h"

namespace switchyard::api {

struct StaticFile {
  std::string body;
  std::string content_type;
};

// Maps a request target ("/", "/app.js?x=1") to a file under `root`; nullopt when it does not
// exist or would escape the root (no "..", no absolute or hidden paths).
std::optional<StaticFile> LoadStaticFile(const std::filesystem::path& root,
                                         const std::string& target);

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::filesystem::path web_dir;
  // Larger bodies are answered 413.
  size_t max_body_bytes = 1 << 20;
  // Dev mode serves GET /dev/token signed with this key.
  bool dev_mode = false;
  std::string dev_api_key;
  std::string dev_api_secret;
  // Both set: the port speaks HTTPS only (and /ws is WSS), with this PEM certificate chain
  // (leaf first) and private key, loaded once by Create (api/tls_context.h). Both empty: plain
  // HTTP. One without the other is refused.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// What the HTTP server routes to. Borrowed; outlives the server.
struct HttpServices {
  sfu::WorkerPool& pool;
  RoomApi& room_api;
  WhipHandler& whip;
  SignalingContext& signaling;
  std::function<int64_t()> unix_now;
  // Extra metrics lines appended to /metrics (API, tokens, webhooks); may be empty.
  std::function<std::string()> extra_metrics;
};

// The control plane's HTTP server: the demo page's static files, the signaling WebSocket at
// /ws, the room API (/v1/..., /twirp/...), WHIP/WHEP, /healthz (the process answers), /readyz
// (every worker is running and answered within a second), /metrics (Prometheus text format)
// and, in dev mode, /dev/token. Runs on the control thread's io_context, never on a worker:
// metrics and readiness ask the workers by posting to them.
//
// With TLS, each connection completes its handshake (within 10 s) before any request is read,
// and is closed with a TLS close_notify (RFC 8446 §6.1) after the last response. A client that
// speaks plain HTTP to a TLS port fails the handshake and is disconnected without an answer.
class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(boost::asio::io_context& io,
                                                            HttpServerOptions options,
                                                            HttpServices services);
  void Start();
  void Stop();
  uint16_t port() const;
  bool tls() const { return tls_ != nullptr; }
  HttpRequestCounts& request_counts() { return requests_; }

 private:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpServices services);
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const HttpServerOptions options_;
  // Set when serving HTTPS. Sessions' SSL objects hold their own reference to the native
  // context, so connections may outlive the server.
  std::unique_ptr<boost::asio::ssl::context> tls_;
  HttpServices services_;
  MetricsCollector collector_;
  HttpRequestCounts requests_;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_HTTP_SERVER_H_
