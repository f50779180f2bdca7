// The server's command-line flags (absl), one per config field, and their translation into
// ServerConfigOverrides (api/server_config.h).
//
// Every flag means "not given" unless it is on the command line, so that only flags actually
// passed override the config file; the defaults themselves live in DefaultServerConfig() and
// the help texts only repeat them. The flags are the server's and global: `switchyard token`
// and other subcommands parse their own arguments.
//
// Intended use in main():
//
//   absl::ParseCommandLine(argc, argv);
//   auto config = ResolveServerConfig(ConfigFileFromFlags(), OverridesFromFlags());
#ifndef SWITCHYARD_API_SERVER_FLAGS_H_
#define SWITCHYARD_API_SERVER_FLAGS_H_

#include <string>

#include "api/server_config.h"

namespace switchyard::api {

// --config: the config file's path, or "" for none.
std::string ConfigFileFromFlags();

// Every flag that was given, as overrides. Must be called after absl::ParseCommandLine (absl
// aborts otherwise). A bool or string flag counts when it appeared on the command line (or in
// a --flagfile), whatever its value, so the bare `--dev` and `--noauto_create_rooms` work and
// an empty value is an override too: `--announced_ip=` clears the file's announced_ip,
// `--webhook_urls=` and `--api_keys=` empty their lists. A numeric flag counts when it has a
// value. --dev and --dev_mode are the same switch; when both are given, --dev wins.
ServerConfigOverrides OverridesFromFlags();

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SERVER_FLAGS_H_
