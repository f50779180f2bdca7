#include "api/token_command.h"

#include <charconv>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/cli_flags.h"
#include "api/access_token.h"

namespace switchyard::api {
namespace {

constexpr int64_t kDefaultValidForSeconds = 6 * 3600;  // LiveKit's default token lifetime
// Long enough for any sane use, short enough that now + it never overflows.
constexpr int64_t kMaxValidForSeconds = 10LL * 366 * 24 * 3600;

constexpr char kUsage[] =
    R"(Usage: switchyard token create --api-key KEY --api-secret SECRET [options]

Prints a signed access token (HS256 JWT, LiveKit-style claims) on stdout.

Options:
  --api-key KEY          API key; becomes the token's "iss" (dev mode: devkey)
  --api-secret SECRET    the key's secret (dev mode: secret)
  --room ROOM            room the token is for
  --identity ID          participant identity ("sub"); makes it a join token
  --name NAME            display name
  --valid-for DURATION   lifetime, e.g. 6h, 30m, 1h30m, 3600s, 7d (default 6h)
  --join[=BOOL]          grant roomJoin (default: true when --identity is given)
  --can-publish[=BOOL]   may publish media (default true)
  --can-subscribe[=BOOL] may subscribe to media (default true)
  --can-publish-data[=BOOL]  may send data messages (default true)
  --room-admin[=BOOL]    may administer ROOM (or all rooms without --room)
  --room-create[=BOOL]   may create and delete rooms
  --room-list[=BOOL]     may list rooms
  --help                 this text

Example:
  switchyard token create --api-key devkey --api-secret secret --room demo --identity alice
)";

struct ParsedArgs {
  std::optional<std::string> api_key, api_secret, room, identity, name, valid_for;
  std::optional<bool> join, can_publish, can_subscribe, can_publish_data;
  std::optional<bool> room_admin, room_create, room_list;
  bool help = false;
};

// "6h", "90m", "1h30m", "3600s", "2d": one or more <digits><unit> groups.
std::optional<int64_t> ParseDurationSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  while (!text.empty()) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end == text.data() + text.size() || value < 0) {
      return std::nullopt;
    }
    int64_t unit;
    switch (*end) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return std::nullopt;
    }
    if (value > kMaxValidForSeconds / unit) return std::nullopt;
    total += value * unit;
    if (total > kMaxValidForSeconds) return std::nullopt;
    text.remove_prefix(static_cast<size_t>(end - text.data()) + 1);
  }
  return total;
}

absl::Status ParseArgs(const std::vector<std::string>& args, ParsedArgs& parsed) {
  using StringFlag = CliFlag<ParsedArgs, std::optional<std::string>>;
  using BoolFlag = CliFlag<ParsedArgs, std::optional<bool>>;
  static constexpr StringFlag kStringFlags[] = {
      {"api-key", &ParsedArgs::api_key},   {"api-secret", &ParsedArgs::api_secret},
      {"room", &ParsedArgs::room},         {"identity", &ParsedArgs::identity},
      {"name", &ParsedArgs::name},         {"valid-for", &ParsedArgs::valid_for},
  };
  static constexpr BoolFlag kBoolFlags[] = {
      {"join", &ParsedArgs::join},
      {"can-publish", &ParsedArgs::can_publish},
      {"can-subscribe", &ParsedArgs::can_subscribe},
      {"can-publish-data", &ParsedArgs::can_publish_data},
      {"room-admin", &ParsedArgs::room_admin},
      {"room-create", &ParsedArgs::room_create},
      {"room-list", &ParsedArgs::room_list},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "help") {
      parsed.help = true;
      return absl::OkStatus();
    }
    // Both -flag and --flag, as absl flags accept, so the server's habits carry over.
    if (arg.starts_with("--")) {
      arg.remove_prefix(2);
    } else if (arg.starts_with("-") && arg.size() > 1) {
      arg.remove_prefix(1);
    } else {
      return absl::InvalidArgumentError("unexpected argument \"" + args[i] + "\"");
    }
    // Booleans never take the next argument, so `--room-admin --room x` stays unambiguous.
    auto applied = ApplyCliOption(arg, args, i, kStringFlags, kBoolFlags, parsed);
    if (!applied.ok()) return applied.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<AccessTokenClaims> BuildClaims(const ParsedArgs& parsed, int64_t now) {
  if (!parsed.api_key || parsed.api_key->empty()) {
    return absl::InvalidArgumentError("--api-key is required");
  }
  if (!parsed.api_secret || parsed.api_secret->empty()) {
    return absl::InvalidArgumentError("--api-secret is required");
  }
  int64_t valid_for = kDefaultValidForSeconds;
  if (parsed.valid_for) {
    const std::optional<int64_t> seconds = ParseDurationSeconds(*parsed.valid_for);
    if (!seconds || *seconds <= 0) {
      return absl::InvalidArgumentError("--valid-for \"" + *parsed.valid_for +
                                        "\" is not a positive duration like 6h or 30m");
    }
    valid_for = *seconds;
  }
  AccessTokenClaims claims;
  claims.api_key = *parsed.api_key;
  claims.identity = parsed.identity.value_or("");
  claims.name = parsed.name.value_or("");
  claims.not_before = now;
  claims.expires_at = now + valid_for;
  VideoGrant& grant = claims.video;
  grant.room = parsed.room.value_or("");
  grant.room_join = parsed.join.value_or(parsed.identity.has_value());
  grant.room_admin = parsed.room_admin.value_or(false);
  grant.room_create = parsed.room_create.value_or(false);
  grant.room_list = parsed.room_list.value_or(false);
  grant.can_publish = parsed.can_publish.value_or(true);
  grant.can_subscribe = parsed.can_subscribe.value_or(true);
  grant.can_publish_data = parsed.can_publish_data.value_or(true);
  if (grant.room_join && grant.room.empty()) {
    return absl::InvalidArgumentError("a join token needs --room");
  }
  if (grant.room_join && claims.identity.empty()) {
    return absl::InvalidArgumentError("a join token needs --identity");
  }
  if (!grant.room_join && !grant.room_admin && !grant.room_create && !grant.room_list) {
    return absl::InvalidArgumentError(
        "the token would grant nothing: give --identity and --room to join, or "
        "--room-admin/--room-create/--room-list");
  }
  return claims;
}

int UsageError(std::ostream& err, std::string_view message) {
  err << "switchyard token: " << message << "\n"
      << "Run `switchyard token create --help` for usage.\n";
  return kTokenCommandUsageError;
}

}  // namespace

bool IsTokenCommand(int argc, const char* const* argv) {
  return argc >= 2 && argv[1] != nullptr && std::string_view(argv[1]) == "token";
}

int RunTokenCommand(const std::vector<std::string>& args, int64_t now_unix_seconds,
                    std::ostream& out, std::ostream& err) {
  if (args.empty()) return UsageError(err, "missing subcommand (create)");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kUsage;
    return 0;
  }
  if (args[0] != "create") return UsageError(err, "unknown subcommand \"" + args[0] + "\"");
  ParsedArgs parsed;
  if (absl::Status status =
          ParseArgs(std::vector<std::string>(args.begin() + 1, args.end()), parsed);
      !status.ok()) {
    return UsageError(err, std::string(status.message()));
  }
  if (parsed.help) {
    out << kUsage;
    return 0;
  }
  absl::StatusOr<AccessTokenClaims> claims = BuildClaims(parsed, now_unix_seconds);
  if (!claims.ok()) return UsageError(err, std::string(claims.status().message()));
  absl::StatusOr<std::string> token = CreateAccessToken(*claims, *parsed.api_secret);
  if (!token.ok()) return UsageError(err, std::string(token.status().message()));
  // Weak secrets are fine for dev mode's "secret"; the server decides, we only warn.
  if (absl::Status strength = CheckSecretStrength(*parsed.api_secret); !strength.ok()) {
    err << "switchyard token: warning: " << strength.message()
        << "; a production server refuses it\n";
  }
  out << *token << "\n";
  return 0;
}

}  // namespace switchyard::api
