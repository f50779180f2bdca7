// The Switchyard server: workers for media, one control thread for HTTP, the room API,
// signaling and WHIP/WHEP. Subcommands: `token create`, `rooms ...`, `participants ...`.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "api/access_token.h"
#include "api/admin_command.h"
#include "api/http_client.h"
#include "api/server.h"
#include "api/server_flags.h"
#include "api/token_command.h"
#include "transport/clock.h"

int main(int argc, char** argv) {
  // Subcommands have their own small parsers: absl flags are the server's and global.
  if (switchyard::api::IsTokenCommand(argc, argv)) {
    return switchyard::api::RunTokenCommand(std::vector<std::string>(argv + 2, argv + argc),
                                            switchyard::api::UnixNow(), std::cout, std::cerr);
  }
  if (switchyard::api::IsAdminCommand(argc, argv)) {
    return switchyard::api::RunAdminCommand(std::vector<std::string>(argv + 1, argv + argc),
                                            switchyard::api::UnixNow(), std::cout, std::cerr,
                                            switchyard::api::SendHttpRequest);
  }
  absl::SetProgramUsageMessage(
      "Switchyard WebRTC SFU.\n"
      "  switchyard [--config=FILE] [--dev] [flags]   run the server\n"
      "  switchyard token create --help              mint an access token\n"
      "  switchyard rooms|participants --help        administer rooms through the API");
  absl::ParseCommandLine(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  // Config first: a bad config must be reported before any other work.
  auto config = switchyard::api::ResolveServerConfig(switchyard::api::ConfigFileFromFlags(),
                                                     switchyard::api::OverridesFromFlags());
  if (!config.ok()) {
    std::cerr << "switchyard: invalid config: " << config.status().message() << "\n";
    return 1;
  }

  switchyard::transport::SteadyClock clock;
  auto server = switchyard::api::Server::Create(*config, clock);
  if (!server.ok()) {
    std::cerr << "switchyard: " << server.status() << "\n";
    return 1;
  }
  for (auto* worker : (*server)->pool().workers()) {
    // Every address on the worker's port: UDP, and TCP for ICE-TCP (RFC 6544) when on.
    std::cout << "switchyard: worker " << worker->index() << " media on udp";
    const char* separator = " ";
    for (const auto& address : worker->local_addresses()) {
      std::cout << separator << address.ToString();
      separator = ", ";
    }
    separator = "; tcp ";
    for (const auto& address : worker->tcp_addresses()) {
      std::cout << separator << address.ToString();
      separator = ", ";
    }
    std::cout << "\n";
  }
  if (const uint16_t turn = (*server)->turn_port(); turn != 0) {
    std::cout << "switchyard: STUN/TURN on udp port " << turn;
    if (const uint16_t tcp = (*server)->turn_tcp_port(); tcp != 0) std::cout << ", tcp port " << tcp;
    if (const uint16_t tls = (*server)->turn_tls_port(); tls != 0) {
      std::cout << ", tls port " << tls;
    }
    std::cout << " (realm " << config->turn().realm() << ")\n";
  }
  std::string host = config->http().address();
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  const bool tls = !config->http().tls_cert_file().empty();
  std::cout << "switchyard: serving " << (tls ? "https" : "http") << "://" << host << ":"
            << (*server)->http_port() << "/\n";
  if (config->dev_mode() && config->api_keys(0).key() == switchyard::api::kDevApiKey) {
    // As LiveKit's --dev: the well-known credentials, so the CLI and examples work as pasted.
    std::cout << "switchyard: DEV MODE (never in production): API key "
              << config->api_keys(0).key() << ", secret " << config->api_keys(0).secret()
              << "; join tokens for the demo page at /dev/token\n";
  }
  std::cout.flush();

  {
    boost::asio::signal_set signals((*server)->io(), SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) (*server)->Stop();
    });
    (*server)->Run();
  }
  server->reset();
  std::cout << "switchyard: stopped" << std::endl;
  return 0;
}
