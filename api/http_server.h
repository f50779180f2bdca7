#ifndef SWITCHYARD_API_HTTP_SERVER_H_
#define SWITCHYARD_API_HTTP_SERVER_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "api/metrics_collector.h"
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

// The control plane's HTTP server: the demo page's static files, the signaling WebSocket at
// /ws, /healthz (the process answers), /readyz (every worker is running and answered within
// a second) and /metrics (Prometheus text format). Runs on the control thread's io_context,
// never on a worker: metrics and readiness ask the workers by posting to them.
class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(boost::asio::io_context& io,
                                                            const std::string& address,
                                                            uint16_t port,
                                                            std::filesystem::path web_dir,
                                                            sfu::WorkerPool& pool);
  void Start();
  void Stop();
  uint16_t port() const;

 private:
  HttpServer(boost::asio::io_context& io, std::filesystem::path web_dir, sfu::WorkerPool& pool);
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::filesystem::path web_dir_;
  sfu::WorkerPool& pool_;
  MetricsCollector collector_;
  HttpRequestCounts requests_;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_HTTP_SERVER_H_
