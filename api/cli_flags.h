#ifndef SWITCHYARD_API_CLI_FLAGS_H_
#define SWITCHYARD_API_CLI_FLAGS_H_

// The option syntax shared by the `switchyard` subcommands (token, rooms, participants), which
// parse their own arguments because absl flags are global to the server: `--name=value`,
// `--name value` for string options, `--name` / `--name=false` for booleans (a boolean never
// takes the next argument, so `--json rooms` keeps "rooms" positional). Tables map names to
// fields of the subcommand's parsed-arguments struct.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::api {

template <typename Parsed, typename Field>
struct CliFlag {
  std::string_view name;
  Field Parsed::*field;
};

// "true"/"1"/"yes" and "false"/"0"/"no".
inline std::optional<bool> ParseCliBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return std::nullopt;
}

// Applies the option `option` (args[i] without its leading dashes) to `parsed`; a string option
// given without "=value" consumes args[i + 1] and advances `i`. Returns the option's name, or
// InvalidArgument for an unknown option, a missing value or a bad boolean.
template <typename Parsed, typename StringField, size_t kStrings, typename BoolField,
          size_t kBools>
absl::StatusOr<std::string> ApplyCliOption(
    std::string_view option, const std::vector<std::string>& args, size_t& i,
    const CliFlag<Parsed, StringField> (&strings)[kStrings],
    const CliFlag<Parsed, BoolField> (&bools)[kBools], Parsed& parsed) {
  const size_t equals = option.find('=');
  const std::string name(option.substr(0, equals));
  const std::optional<std::string_view> inline_value =
      equals == std::string_view::npos ? std::nullopt
                                       : std::optional<std::string_view>(option.substr(equals + 1));
  for (const auto& flag : strings) {
    if (flag.name != name) continue;
    if (inline_value) {
      parsed.*flag.field = std::string(*inline_value);
    } else if (i + 1 < args.size()) {
      parsed.*flag.field = args[++i];
    } else {
      return absl::InvalidArgumentError("--" + name + " needs a value");
    }
    return name;
  }
  for (const auto& flag : bools) {
    if (flag.name != name) continue;
    const std::optional<bool> value = inline_value ? ParseCliBool(*inline_value) : true;
    if (!value) {
      return absl::InvalidArgumentError("--" + name + " takes true or false, not \"" +
                                        std::string(*inline_value) + "\"");
    }
    parsed.*flag.field = *value;
    return name;
  }
  return absl::InvalidArgumentError("unknown flag --" + name);
}

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_CLI_FLAGS_H_
