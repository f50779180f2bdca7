#include "api/http_server.h"

#include <fstream>
#include <sstream>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/metrics.h"
#include "api/signaling_session.h"

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

// One HTTP/1.1 connection: serves requests until it is upgraded to the signaling WebSocket.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, const std::filesystem::path& web_dir, sfu::WorkerPool& pool,
              MetricsCollector& collector, HttpRequestCounts& requests)
      : stream_(std::move(socket)),
        web_dir_(web_dir),
        pool_(pool),
        collector_(collector),
        requests_(requests) {}

  void Start() { Read(); }

 private:
  void Read() {
    request_ = {};
    parser_.emplace();
    parser_->body_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->request_ = self->parser_->release();
                       self->Handle();
                     });
  }

  void Handle() {
    const std::string target(request_.target());
    path_label_ = HttpPathLabel(target, /*is_static_file=*/false);
    if (beast::websocket::is_upgrade(request_)) {
      if (request_.target() != "/ws") return Respond(http::status::not_found, "no such socket\n");
      requests_.Count(path_label_, static_cast<int>(http::status::switching_protocols));
      stream_.expires_never();
      auto session = std::make_shared<SignalingSession>(stream_.release_socket(), pool_);
      session->Start(std::move(request_));
      return;
    }
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      return Respond(http::status::method_not_allowed, "method not allowed\n");
    }
    if (target == "/healthz") return Respond(http::status::ok, "ok\n");
    if (target == "/readyz") return Ready();
    if (target == "/metrics") return Metrics();
    auto file = LoadStaticFile(web_dir_, target);
    if (!file) return Respond(http::status::not_found, "not found\n");
    path_label_ = HttpPathLabel(target, /*is_static_file=*/true);
    Respond(http::status::ok, std::move(file->body), file->content_type);
  }

  // Answered once every worker replied (the session reads no further request meanwhile).
  void Ready() {
    collector_.Ping([self = shared_from_this()](absl::Status status) {
      if (status.ok()) return self->Respond(http::status::ok, "ready\n");
      self->Respond(http::status::service_unavailable,
                    absl::StrCat("not ready: ", status.message(), "\n"));
    });
  }

  void Metrics() {
    collector_.Collect([self = shared_from_this()](
                           absl::StatusOr<MetricsCollector::Snapshot> snapshot) {
      if (!snapshot.ok()) {
        return self->Respond(http::status::service_unavailable,
                             absl::StrCat("metrics unavailable: ", snapshot.status().message(),
                                          "\n"));
      }
      // Counted first so this scrape sees itself, like any other answered request.
      self->requests_.Count(self->path_label_, static_cast<int>(http::status::ok));
      self->Respond(http::status::ok, RenderMetrics(*snapshot, self->requests_),
                    kPrometheusContentType, /*counted=*/true);
    });
  }

  void Respond(http::status status, std::string body,
               const std::string& content_type = "text/plain; charset=utf-8",
               bool counted = false) {
    if (!counted) requests_.Count(path_label_, static_cast<int>(status));
    auto response = std::make_shared<http::response<http::string_body>>(status, request_.version());
    response->set(http::field::server, "switchyard");
    response->set(http::field::content_type, content_type);
    response->set(http::field::cache_control, "no-cache");
    response->set("X-Content-Type-Options", "nosniff");
    response->keep_alive(request_.keep_alive());
    if (request_.method() != http::verb::head) response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  const std::filesystem::path& web_dir_;
  sfu::WorkerPool& pool_;
  MetricsCollector& collector_;
  HttpRequestCounts& requests_;
  std::string path_label_ = "other";
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, std::filesystem::path web_dir,
                       sfu::WorkerPool& pool)
    : io_(io),
      acceptor_(io),
      web_dir_(std::move(web_dir)),
      pool_(pool),
      collector_(io, pool.workers()) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(boost::asio::io_context& io,
                                                               const std::string& address,
                                                               uint16_t port,
                                                               std::filesystem::path web_dir,
                                                               sfu::WorkerPool& pool) {
  std::unique_ptr<HttpServer> server(new HttpServer(io, std::move(web_dir), pool));
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
      std::make_shared<HttpSession>(std::move(socket), web_dir_, pool_, collector_, requests_)
          ->Start();
    }
    Accept();
  });
}

}  // namespace switchyard::api
