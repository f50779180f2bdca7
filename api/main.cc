// The Switchyard server: workers for media, one control thread for HTTP and signaling.
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "api/http_server.h"
#include "api/token_command.h"
#include "api/server_config.h"
#include "sfu/worker_pool.h"
#include "transport/certificate.h"
#include "transport/clock.h"

// Every flag defaults to "not given" (nullopt) so that only flags on the command line override
// the config file; the defaults themselves live in DefaultServerConfig().
ABSL_FLAG(std::string, config, "",
          "Config file in protobuf text format (see deploy/switchyard.textproto); flags win");
ABSL_FLAG(std::optional<std::string>, http_address, std::nullopt,
          "Address the HTTP/WebSocket server binds (default 127.0.0.1) [http.address]");
ABSL_FLAG(std::optional<uint16_t>, http_port, std::nullopt,
          "HTTP port, 0 = ephemeral (default 8080) [http.port]");
ABSL_FLAG(std::optional<std::string>, rtc_address, std::nullopt,
          "Address the media UDP sockets bind (default 127.0.0.1) [rtc.address]");
ABSL_FLAG(std::optional<uint16_t>, rtc_port, std::nullopt,
          "UDP port of worker 0; worker i uses +i, 0 = ephemeral (default 40000) [rtc.port]");
ABSL_FLAG(std::optional<std::string>, announced_ip, std::nullopt,
          "IP put into ICE candidates (default: the bound rtc address) [rtc.announced_ip]");
ABSL_FLAG(std::optional<int>, workers, std::nullopt,
          "Media worker threads, 1-256 (default 1) [rtc.workers]");
ABSL_FLAG(std::optional<std::string>, web_dir, std::nullopt,
          "Directory of the demo page (default: the source tree's api/web) [web.dir]");
ABSL_FLAG(std::optional<bool>, dev_mode, std::nullopt,
          "--dev_mode=true accepts short API secrets (default false) [dev_mode]");
ABSL_FLAG(std::optional<std::string>, api_keys, std::nullopt,
          "key:secret[,key:secret...], replaces the file's api_keys (visible in ps; prefer the "
          "config file) [api_keys]");

int main(int argc, char** argv) {
  // Subcommands have their own small parsers: absl flags are the server's and global.
  if (switchyard::api::IsTokenCommand(argc, argv)) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return switchyard::api::RunTokenCommand(std::vector<std::string>(argv + 2, argv + argc), now,
                                            std::cout, std::cerr);
  }
  absl::SetProgramUsageMessage("Switchyard WebRTC SFU");
  absl::ParseCommandLine(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  // Config first: a bad config must be reported before any other work.
  auto config = switchyard::api::LoadServerConfig(absl::GetFlag(FLAGS_config));
  if (!config.ok()) {
    std::cerr << "switchyard: config: " << config.status().message() << "\n";
    return 1;
  }
  switchyard::api::ServerConfigOverrides overrides;
  overrides.http_address = absl::GetFlag(FLAGS_http_address);
  overrides.http_port = absl::GetFlag(FLAGS_http_port);
  overrides.rtc_address = absl::GetFlag(FLAGS_rtc_address);
  overrides.rtc_port = absl::GetFlag(FLAGS_rtc_port);
  overrides.announced_ip = absl::GetFlag(FLAGS_announced_ip);
  overrides.workers = absl::GetFlag(FLAGS_workers);
  overrides.web_dir = absl::GetFlag(FLAGS_web_dir);
  overrides.dev_mode = absl::GetFlag(FLAGS_dev_mode);
  overrides.api_keys = absl::GetFlag(FLAGS_api_keys);
  absl::Status valid = switchyard::api::ApplyServerConfigOverrides(overrides, *config);
  if (valid.ok()) valid = switchyard::api::ValidateServerConfig(*config);
  if (!valid.ok()) {
    std::cerr << "switchyard: invalid config: " << valid.message() << "\n";
    return 1;
  }

  auto certificate = switchyard::transport::Certificate::GenerateEcdsaP256("switchyard");
  if (!certificate.ok()) {
    std::cerr << "switchyard: certificate: " << certificate.status() << "\n";
    return 1;
  }
  switchyard::transport::SteadyClock clock;
  switchyard::sfu::SfuOptions options;
  options.workers = config->rtc().workers();
  options.rtc_ip = config->rtc().address();
  options.rtc_port = static_cast<uint16_t>(config->rtc().port());
  options.announced_ip = config->rtc().announced_ip();
  auto pool = switchyard::sfu::WorkerPool::Create(options, clock, **certificate);
  if (!pool.ok()) {
    std::cerr << "switchyard: " << pool.status() << "\n";
    return 1;
  }
  boost::asio::io_context io;
  auto server = switchyard::api::HttpServer::Create(
      io, config->http().address(), static_cast<uint16_t>(config->http().port()),
      config->web().dir(), **pool);
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
  std::string host = config->http().address();
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
