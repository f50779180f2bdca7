#include "api/http_server.h"

#include <fstream>
#include <sstream>
#include <type_traits>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/api_codec.h"
#include "api/dev_token.h"
#include "api/metrics.h"
#include "api/signaling_session.h"
#include "api/tls_context.h"

namespace switchyard::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

std::optional<StaticFile> LoadStaticFile(const std::filesystem::path& root,
                                         const std::string& target) {
  std::string path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path[0] != '/') return std::nullopt;
  if (path == "/") path = "/index.html";
  // Only plain names: every segment of [A-Za-z0-9._-], none starting with '.'.
  for (size_t i = 1; i < path.size(); ++i) {
    const char c = path[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '/';
    if (!ok) return std::nullopt;
    if (c == '.' && path[i - 1] == '/') return std::nullopt;
  }
  const std::filesystem::path file = root / path.substr(1);
  std::ifstream in(file, std::ios::binary);
  if (!in || std::filesystem::is_directory(file)) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  StaticFile result{body.str(), "application/octet-stream"};
  if (absl::EndsWith(path, ".html")) result.content_type = "text/html; charset=utf-8";
  else if (absl::EndsWith(path, ".js") || absl::EndsWith(path, ".mjs"))
    result.content_type = "text/javascript; charset=utf-8";
  else if (absl::EndsWith(path, ".css")) result.content_type = "text/css; charset=utf-8";
  else if (absl::EndsWith(path, ".svg")) result.content_type = "image/svg+xml";
  else if (absl::EndsWith(path, ".png")) result.content_type = "image/png";
  else if (absl::EndsWith(path, ".ico")) result.content_type = "image/x-icon";
  else if (absl::EndsWith(path, ".json")) result.content_type = "application/json";
  return result;
}

namespace {

using PlainStream = SignalingSession::PlainStream;
using TlsStream = SignalingSession::TlsStream;

// A client that connects and never finishes its handshake holds a socket until this passes.
constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
// Bounds the wait for the client's close_notify after ours.
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(5);

// One HTTP/1.1 connection: serves requests until it is upgraded to the signaling WebSocket.
// `Stream` is PlainStream (http://) or TlsStream (https://); the latter completes the server
// side of the TLS handshake before reading the first request.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  static_assert(kTls || std::is_same_v<Stream, PlainStream>);

 public:
  // `tls` is used only when kTls; the SSL object keeps its own reference to it.
  HttpSession(tcp::socket socket, boost::asio::ssl::context* tls,
              const HttpServerOptions& options, HttpServices& services,
              MetricsCollector& collector, HttpRequestCounts& requests)
      : stream_(MakeStream(std::move(socket), tls)),
        options_(options),
        services_(services),
        collector_(collector),
        requests_(requests) {}

  void Start() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(kTlsHandshakeTimeout);
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                // Timed out, plain HTTP, no common version or cipher: there is
                                // no TLS session to close; dropping the session closes the
                                // socket.
                                if (ec) return;
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  static Stream MakeStream(tcp::socket socket, boost::asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  void Read() {
    request_ = {};
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::body_limit) return self->TooLarge();
                       if (ec) return self->Close();
                       self->request_ = self->parser_->release();
                       self->Handle();
                     });
  }

  // The body is not read to its end, so the connection cannot be reused: answer and close.
  void TooLarge() {
    request_ = parser_->release();
    request_.keep_alive(false);
    path_label_ = HttpPathLabel(std::string(request_.target()), false);
    ApiError e;
    e.http_status = 413;
    e.code = "payload_too_large";
    e.message = absl::StrCat("the body exceeds ", options_.max_body_bytes, " bytes");
    Respond(http::status::payload_too_large, EncodeError(e), "application/json");
  }

  ApiRequest ToApiRequest() {
    ApiRequest r;
    r.method = std::string(request_.method_string());
    r.target = std::string(request_.target());
    r.content_type = std::string(request_[http::field::content_type]);
    r.accept = std::string(request_[http::field::accept]);
    r.authorization = std::string(request_[http::field::authorization]);
    r.body = request_.body();
    beast::error_code ec;
    const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) r.client_address = remote.address().to_string();
    return r;
  }

  void Handle() {
    const std::string target(request_.target());
    path_label_ = HttpPathLabel(target, /*is_static_file=*/false);
    if (beast::websocket::is_upgrade(request_)) {
      if (target.substr(0, target.find('?')) != "/ws") {
        return Respond(http::status::not_found, "no such socket\n");
      }
      requests_.Count(path_label_, static_cast<int>(http::status::switching_protocols));
      // The WebSocket stream keeps its own timeouts from here on.
      beast::get_lowest_layer(stream_).expires_never();
      std::shared_ptr<SignalingSession> session;
      if constexpr (kTls) {
        session = std::make_shared<SignalingSession>(std::move(stream_), services_.signaling);
      } else {
        session = std::make_shared<SignalingSession>(PlainStream(stream_.release_socket()),
                                                     services_.signaling);
      }
      session->Start(std::move(request_));
      return;
    }
    if (RoomApi::Serves(target)) {
      return RespondApi(services_.room_api.Handle(ToApiRequest()));
    }
    if (WhipHandler::Serves(target)) {
      services_.whip.Handle(ToApiRequest(), [self = this->shared_from_this()](ApiResponse r) {
        self->RespondApi(std::move(r));
      });
      return;
    }
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      return Respond(http::status::method_not_allowed, "method not allowed\n");
    }
    const std::string path = target.substr(0, target.find('?'));
    if (path == "/dev/token" && options_.dev_mode) {
      return RespondApi(IssueDevToken(target, options_.dev_api_key, options_.dev_api_secret,
                                      services_.unix_now()));
    }
    if (target == "/healthz") return Respond(http::status::ok, "ok\n");
    if (target == "/readyz") return Ready();
    if (target == "/metrics") return Metrics();
    auto file = LoadStaticFile(options_.web_dir, target);
    if (!file) return Respond(http::status::not_found, "not found\n");
    path_label_ = HttpPathLabel(target, /*is_static_file=*/true);
    Respond(http::status::ok, std::move(file->body), file->content_type);
  }

  void RespondApi(ApiResponse r) {
    Respond(static_cast<http::status>(r.status), std::move(r.body),
            r.content_type.empty() ? "text/plain; charset=utf-8" : r.content_type, false,
            std::move(r.headers));
  }

  // Answered once every worker replied (the session reads no further request meanwhile).
  void Ready() {
    collector_.Ping([self = this->shared_from_this()](absl::Status status) {
      if (status.ok()) return self->Respond(http::status::ok, "ready\n");
      self->Respond(http::status::service_unavailable,
                    absl::StrCat("not ready: ", status.message(), "\n"));
    });
  }

  void Metrics() {
    collector_.Collect([self = this->shared_from_this()](
                           absl::StatusOr<MetricsCollector::Snapshot> snapshot) {
      if (!snapshot.ok()) {
        return self->Respond(http::status::service_unavailable,
                             absl::StrCat("metrics unavailable: ", snapshot.status().message(),
                                          "\n"));
      }
      // Counted first so this scrape sees itself, like any other answered request.
      self->requests_.Count(self->path_label_, static_cast<int>(http::status::ok));
      std::string body = RenderMetrics(*snapshot, self->requests_);
      if (self->services_.extra_metrics) body.append(self->services_.extra_metrics());
      self->Respond(http::status::ok, std::move(body), kPrometheusContentType, /*counted=*/true);
    });
  }

  void Respond(http::status status, std::string body,
               const std::string& content_type = "text/plain; charset=utf-8",
               bool counted = false,
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!counted) requests_.Count(path_label_, static_cast<int>(status));
    auto response = std::make_shared<http::response<http::string_body>>(status, request_.version());
    response->set(http::field::server, "switchyard");
    if (status != http::status::no_content) response->set(http::field::content_type, content_type);
    response->set(http::field::cache_control, "no-cache");
    response->set("X-Content-Type-Options", "nosniff");
    for (auto& [name, value] : headers) response->insert(name, value);
    response->keep_alive(request_.keep_alive());
    if (request_.method() != http::verb::head) response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    if constexpr (kTls) {
      // close_notify, then the client's (RFC 8446 §6.1). Fails at once on a connection that
      // is already gone; the socket closes when the session is dropped.
      beast::get_lowest_layer(stream_).expires_after(kTlsShutdownTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  const HttpServerOptions& options_;
  HttpServices& services_;
  MetricsCollector& collector_;
  HttpRequestCounts& requests_;
  std::string path_label_ = "other";
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, HttpServerOptions options,
                       HttpServices services)
    : io_(io),
      acceptor_(io),
      options_(std::move(options)),
      services_(std::move(services)),
      collector_(io, services_.pool.workers()) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(boost::asio::io_context& io,
                                                               HttpServerOptions options,
                                                               HttpServices services) {
  const std::string address = options.address;
  const uint16_t port = options.port;
  std::unique_ptr<HttpServer> server(new HttpServer(io, std::move(options), std::move(services)));
  const HttpServerOptions& opts = server->options_;
  if (opts.tls_cert_file.empty() != opts.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        opts.tls_cert_file.empty() ? "http.tls_cert_file: required when http.tls_key_file is set"
                                   : "http.tls_key_file: required when http.tls_cert_file is set");
  }
  if (!opts.tls_cert_file.empty()) {
    auto tls = CreateServerTlsContext(opts.tls_cert_file, opts.tls_key_file);
    if (!tls.ok()) return tls.status();
    server->tls_ = std::move(*tls);
  }
  beast::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad http address ", address));
  const tcp::endpoint endpoint(ip, port);
  server->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) server->acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) server->acceptor_.bind(endpoint, ec);
  if (!ec) server->acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("http listen on ", address, ":", port, ": ", ec.message()));
  }
  return server;
}

void HttpServer::Start() { Accept(); }

void HttpServer::Stop() {
  beast::error_code ec;
  acceptor_.close(ec);
}

uint16_t HttpServer::port() const { return acceptor_.local_endpoint().port(); }

void HttpServer::Accept() {
  acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) {
      // Signaling writes small messages back to back (joined, then the subscribe offer): with
      // Nagle's algorithm the second waits for the ACK of the first, which the peer delays by
      // up to 40 ms (Linux delayed ACK). Measured: every join took ~43 ms longer.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
    }
    if (!ec && tls_) {
      std::make_shared<HttpSession<TlsStream>>(std::move(socket), tls_.get(), options_, services_,
                                               collector_, requests_)
          ->Start();
    } else if (!ec) {
      std::make_shared<HttpSession<PlainStream>>(std::move(socket), nullptr, options_, services_,
                                                 collector_, requests_)
          ->Start();
    }
    Accept();
  });
}

}  // namespace switchyard::api
