// The Switchyard server: workers for media, one control thread for HTTP and signaling.
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "api/http_server.h"
#include "sfu/worker_pool.h"
#include "transport/certificate.h"
#include "transport/clock.h"

ABSL_FLAG(std::string, http_address, "127.0.0.1", "Address the HTTP/WebSocket server binds");
ABSL_FLAG(uint16_t, http_port, 8080, "HTTP port (0 = ephemeral)");
ABSL_FLAG(std::string, rtc_address, "127.0.0.1", "Address the media UDP sockets bind");
ABSL_FLAG(uint16_t, rtc_port, 40000, "UDP port of worker 0; worker i uses +i (0 = ephemeral)");
ABSL_FLAG(std::string, announced_ip, "",
          "IP put into ICE candidates (default: the bound rtc address)");
ABSL_FLAG(int, workers, 1, "Media worker threads");
ABSL_FLAG(std::string, web_dir, SWITCHYARD_WEB_DIR, "Directory of the demo page");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Switchyard WebRTC SFU");
  absl::ParseCommandLine(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  auto certificate = switchyard::transport::Certificate::GenerateEcdsaP256("switchyard");
  if (!certificate.ok()) {
    std::cerr << "switchyard: certificate: " << certificate.status() << "\n";
    return 1;
  }
  switchyard::transport::SteadyClock clock;
  switchyard::sfu::SfuOptions options;
  options.workers = absl::GetFlag(FLAGS_workers);
  options.rtc_ip = absl::GetFlag(FLAGS_rtc_address);
  options.rtc_port = absl::GetFlag(FLAGS_rtc_port);
  options.announced_ip = absl::GetFlag(FLAGS_announced_ip);
  auto pool = switchyard::sfu::WorkerPool::Create(options, clock, **certificate);
  if (!pool.ok()) {
    std::cerr << "switchyard: " << pool.status() << "\n";
    return 1;
  }
  boost::asio::io_context io;
  auto server = switchyard::api::HttpServer::Create(io, absl::GetFlag(FLAGS_http_address),
                                                    absl::GetFlag(FLAGS_http_port),
                                                    absl::GetFlag(FLAGS_web_dir), **pool);
  if (!server.ok()) {
    std::cerr << "switchyard: " << server.status() << "\n";
    return 1;
  }
  (*pool)->Start();
  (*server)->Start();
  for (auto* worker : (*pool)->workers()) {
    std::cout << "switchyard: worker " << worker->index() << " media on udp "
              << worker->rtc_address().ToString() << "\n";
  }
  std::string host = absl::GetFlag(FLAGS_http_address);
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  std::cout << "switchyard: serving http://" << host << ":" << (*server)->port() << "/"
            << std::endl;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*server)->Stop();
    io.stop();
  });
  io.run();
  (*pool)->Stop();
  std::cout << "switchyard: stopped" << std::endl;
  return 0;
}
