#include "api/admin_command.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/cli_flags.h"
#include "api/access_token.h"
#include "api/proto/models.pb.h"
#include "api/proto/room_service.pb.h"

namespace switchyard::api {
namespace {

constexpr char kUsage[] =
    R"(Usage: switchyard rooms|participants COMMAND [ARGS] [options]

Administers a running Switchyard server through its room API.

Commands:
  rooms list                          every open room
  rooms get ROOM                      one room
  rooms create ROOM [--empty-timeout SECONDS] [--max-participants N] [--metadata TEXT]
                                      opens ROOM (0 = the server's default)
  rooms delete ROOM                   closes ROOM, disconnecting everyone in it
  participants list ROOM              everyone in ROOM
  participants get ROOM IDENTITY      one participant and its tracks (with their ids)
  participants remove ROOM IDENTITY   disconnects IDENTITY from ROOM
  participants mute ROOM IDENTITY TRACK_ID [--unmute]
                                      stops (or resumes) forwarding a published track

Options:
  --url URL              the server (default $SWITCHYARD_URL, else http://127.0.0.1:8080)
  --api-key KEY          API key (default $SWITCHYARD_API_KEY, else the dev-mode devkey)
  --api-secret SECRET    its secret (default $SWITCHYARD_API_SECRET, else the dev-mode secret)
  --json                 print the server's JSON response instead of a table
  --insecure             https only: accept any certificate (self-signed dev servers)
  --help                 this text
  --                     what follows are arguments, even if they start with -

Each call signs a 10-minute admin token with the key and secret.
Exit status: 0 done, 1 the server refused or could not be reached, 2 usage error.

Example:
  switchyard rooms create standup --max-participants 10
  switchyard participants list standup --url https://sfu.example.com
)";

enum class Operation {
  kListRooms,
  kGetRoom,
  kCreateRoom,
  kDeleteRoom,
  kListParticipants,
  kGetParticipant,
  kRemoveParticipant,
  kMuteTrack,
};

struct CommandSpec {
  std::string_view resource;
  std::string_view verb;
  Operation operation;
  std::vector<std::string_view> operands;       // names, for messages
  std::vector<std::string_view> command_flags;  // flags beyond the global ones
};

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      {"rooms", "list", Operation::kListRooms, {}, {}},
      {"rooms", "get", Operation::kGetRoom, {"ROOM"}, {}},
      {"rooms",
       "create",
       Operation::kCreateRoom,
       {"ROOM"},
       {"empty-timeout", "max-participants", "metadata"}},
      {"rooms", "delete", Operation::kDeleteRoom, {"ROOM"}, {}},
      {"participants", "list", Operation::kListParticipants, {"ROOM"}, {}},
      {"participants", "get", Operation::kGetParticipant, {"ROOM", "IDENTITY"}, {}},
      {"participants", "remove", Operation::kRemoveParticipant, {"ROOM", "IDENTITY"}, {}},
      {"participants",
       "mute",
       Operation::kMuteTrack,
       {"ROOM", "IDENTITY", "TRACK_ID"},
       {"unmute"}},
  };
  return kCommands;
}

struct ParsedArgs {
  std::vector<std::string> positionals;  // resource, verb, operands
  std::optional<std::string> url, api_key, api_secret, empty_timeout, max_participants, metadata;
  bool json = false;
  bool insecure = false;
  bool unmute = false;
  bool help = false;
  std::set<std::string> flags_given;
};

absl::Status ParseArgs(const std::vector<std::string>& args, ParsedArgs& parsed) {
  using StringFlag = CliFlag<ParsedArgs, std::optional<std::string>>;
  using BoolFlag = CliFlag<ParsedArgs, bool>;
  static constexpr StringFlag kStringFlags[] = {
      {"url", &ParsedArgs::url},
      {"api-key", &ParsedArgs::api_key},
      {"api-secret", &ParsedArgs::api_secret},
      {"empty-timeout", &ParsedArgs::empty_timeout},
      {"max-participants", &ParsedArgs::max_participants},
      {"metadata", &ParsedArgs::metadata},
  };
  static constexpr BoolFlag kBoolFlags[] = {
      {"json", &ParsedArgs::json},
      {"insecure", &ParsedArgs::insecure},
      {"unmute", &ParsedArgs::unmute},
  };
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (only_positionals || arg.size() < 2 || arg.front() != '-') {
      parsed.positionals.push_back(args[i]);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return absl::OkStatus();
    }
    // Both -flag and --flag, as absl flags and the token command accept.
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    auto name = ApplyCliOption(arg, args, i, kStringFlags, kBoolFlags, parsed);
    if (!name.ok()) return name.status();
    parsed.flags_given.insert(*name);
  }
  return absl::OkStatus();
}

std::optional<uint32_t> ParseUint32(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      value > std::numeric_limits<uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// Where to send requests and with which key.
struct Connection {
  std::string base_url;  // without a trailing slash
  std::string api_key;
  std::string api_secret;
  bool insecure = false;
};

absl::StatusOr<Connection> ResolveConnection(const ParsedArgs& parsed,
                                             const EnvironmentLookup& environment) {
  Connection connection;
  connection.base_url =
      parsed.url ? *parsed.url : environment("SWITCHYARD_URL").value_or(kDefaultAdminUrl);
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(connection.base_url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--url \"", connection.base_url, "\": ", std::string(url.status().message())));
  }
  // A path prefix is fine (a server behind a proxy at /sfu); a query or fragment would end up
  // in the middle of every request path.
  if (connection.base_url.find_first_of("?#") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--url \"", connection.base_url, "\" must not have a query or fragment"));
  }
  while (connection.base_url.ends_with('/')) connection.base_url.pop_back();

  std::optional<std::string> key = parsed.api_key;
  if (!key) key = environment("SWITCHYARD_API_KEY");
  std::optional<std::string> secret = parsed.api_secret;
  if (!secret) secret = environment("SWITCHYARD_API_SECRET");
  // The dev-mode pair only as a pair: a real key with the dev secret (or the reverse) is a
  // forgotten variable, which the server would only answer with "bad signature".
  if (!key && !secret) {
    key = kDevApiKey;
    secret = kDevApiSecret;
  } else if (!key || key->empty()) {
    return absl::InvalidArgumentError(
        "--api-secret needs --api-key (or SWITCHYARD_API_KEY) as well");
  } else if (!secret || secret->empty()) {
    return absl::InvalidArgumentError(
        "--api-key needs --api-secret (or SWITCHYARD_API_SECRET) as well");
  }
  connection.api_key = *key;
  connection.api_secret = *secret;
  connection.insecure = parsed.insecure;
  return connection;
}

// A path segment from a command-line operand. "." and ".." are refused: percent-encoding does
// not protect them (RFC 3986 §6.2.2.2 normalizes %2E back to "."), so they would climb the path.
absl::StatusOr<std::string> PathSegment(std::string_view name, const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), " must not be empty"));
  }
  if (value == "." || value == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), " \"", value, "\" is not a valid name"));
  }
  return PercentEncodePathSegment(value);
}

struct PlannedCall {
  std::string method;
  std::string path;  // below the base URL, starting with /v1/
  std::string body;
  VideoGrant grant;
};

absl::StatusOr<PlannedCall> PlanCall(const CommandSpec& spec, const ParsedArgs& parsed) {
  const std::vector<std::string> operands(parsed.positionals.begin() + 2,
                                          parsed.positionals.end());
  std::vector<std::string> segments;
  for (size_t i = 0; i < operands.size(); ++i) {
    absl::StatusOr<std::string> segment = PathSegment(spec.operands[i], operands[i]);
    if (!segment.ok()) return segment.status();
    segments.push_back(*std::move(segment));
  }
  PlannedCall call;
  // Admin tokens carry no media rights: they are never meant to join a room.
  call.grant.can_publish = false;
  call.grant.can_subscribe = false;
  call.grant.can_publish_data = false;
  // Room-scoped calls get a token for that room only.
  auto room_admin = [&] {
    call.grant.room_admin = true;
    call.grant.room = operands[0];
  };
  switch (spec.operation) {
    case Operation::kListRooms:
      call.method = "GET";
      call.path = "/v1/rooms";
      call.grant.room_list = true;
      break;
    case Operation::kGetRoom:
      call.method = "GET";
      call.path = absl::StrCat("/v1/rooms/", segments[0]);
      room_admin();
      break;
    case Operation::kCreateRoom: {
      v1::CreateRoomRequest request;
      request.set_name(operands[0]);
      if (parsed.empty_timeout) {
        const std::optional<uint32_t> seconds = ParseUint32(*parsed.empty_timeout);
        if (!seconds) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--empty-timeout \"", *parsed.empty_timeout, "\" is not a number of seconds"));
        }
        request.set_empty_timeout(*seconds);
      }
      if (parsed.max_participants) {
        const std::optional<uint32_t> max = ParseUint32(*parsed.max_participants);
        if (!max) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--max-participants \"", *parsed.max_participants, "\" is not a number"));
        }
        request.set_max_participants(*max);
      }
      if (parsed.metadata) request.set_metadata(*parsed.metadata);
      call.method = "POST";
      call.path = "/v1/rooms";
      (void)google::protobuf::util::MessageToJsonString(request, &call.body);
      call.grant.room_create = true;
      break;
    }
    case Operation::kDeleteRoom:
      call.method = "DELETE";
      call.path = absl::StrCat("/v1/rooms/", segments[0]);
      call.grant.room_create = true;
      break;
    case Operation::kListParticipants:
      call.method = "GET";
      call.path = absl::StrCat("/v1/rooms/", segments[0], "/participants");
      room_admin();
      break;
    case Operation::kGetParticipant:
    case Operation::kRemoveParticipant:
      call.method = spec.operation == Operation::kGetParticipant ? "GET" : "DELETE";
      call.path = absl::StrCat("/v1/rooms/", segments[0], "/participants/", segments[1]);
      room_admin();
      break;
    case Operation::kMuteTrack:
      call.method = "POST";
      call.path = absl::StrCat("/v1/rooms/", segments[0], "/participants/", segments[1],
                               "/tracks/", segments[2], "/mute");
      // Written out: canonical JSON would drop a false "muted", leaving "{}".
      call.body = parsed.unmute ? R"({"muted":false})" : R"({"muted":true})";
      room_admin();
      break;
  }
  return call;
}

// Table output. Cells are sanitized so a participant's chosen name cannot move the cursor or
// recolour the terminal, and widths count UTF-8 code points rather than bytes.
std::string Sanitize(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    clean.push_back(byte < 0x20 || byte == 0x7f ? '?' : c);
  }
  return clean;
}

size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    out << line << "\n";
  };
  print(header);
  for (const auto& row : rows) print(row);
}

std::string FormatTime(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (gmtime_r(&time, &utc) == nullptr) return "-";
  char text[32];
  const size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return length == 0 ? "-" : std::string(text, length);
}

std::string_view TrackKindName(v1::TrackKind kind) {
  switch (kind) {
    case v1::TRACK_KIND_AUDIO: return "audio";
    case v1::TRACK_KIND_VIDEO: return "video";
    default: return "unknown";
  }
}

std::string_view StateName(v1::ParticipantInfo::State state) {
  switch (state) {
    case v1::ParticipantInfo::STATE_JOINED: return "joined";
    case v1::ParticipantInfo::STATE_ACTIVE: return "active";
    case v1::ParticipantInfo::STATE_DISCONNECTED: return "disconnected";
    default: return "-";
  }
}

std::string_view ParticipantKindName(v1::ParticipantInfo::Kind kind) {
  switch (kind) {
    case v1::ParticipantInfo::KIND_STANDARD: return "standard";
    case v1::ParticipantInfo::KIND_WHIP: return "whip";
    case v1::ParticipantInfo::KIND_WHEP: return "whep";
    default: return "-";
  }
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : Sanitize(text); }

void PrintRooms(std::ostream& out, const std::vector<const v1::Room*>& rooms) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Room* room : rooms) {
    rows.push_back({
        OrDash(room->name()),
        absl::StrCat(room->num_participants()),
        absl::StrCat(room->num_publishers()),
        FormatTime(room->creation_time()),
        room->empty_timeout() == 0 ? "default" : absl::StrCat(room->empty_timeout(), "s"),
        room->max_participants() == 0 ? "unlimited" : absl::StrCat(room->max_participants()),
    });
  }
  PrintTable(out, {"NAME", "PARTICIPANTS", "PUBLISHERS", "CREATED", "EMPTY TIMEOUT", "MAX"},
             rows);
}

std::string DescribeTracks(const v1::ParticipantInfo& participant) {
  std::vector<std::string> tracks;
  for (const v1::TrackInfo& track : participant.tracks()) {
    tracks.push_back(
        absl::StrCat(std::string(TrackKindName(track.kind())), track.muted() ? "(muted)" : ""));
  }
  return tracks.empty() ? "-" : absl::StrJoin(tracks, ",");
}

void PrintParticipants(std::ostream& out,
                       const std::vector<const v1::ParticipantInfo*>& participants) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ParticipantInfo* participant : participants) {
    rows.push_back({
        OrDash(participant->identity()),
        OrDash(participant->name()),
        std::string(StateName(participant->state())),
        std::string(ParticipantKindName(participant->kind())),
        DescribeTracks(*participant),
        FormatTime(participant->joined_at()),
    });
  }
  PrintTable(out, {"IDENTITY", "NAME", "STATE", "KIND", "TRACKS", "JOINED"}, rows);
}

// `participants get` also lists track ids: they are what `participants mute` takes.
void PrintTracks(std::ostream& out, const v1::ParticipantInfo& participant) {
  if (participant.tracks().empty()) return;
  std::vector<std::vector<std::string>> rows;
  for (const v1::TrackInfo& track : participant.tracks()) {
    rows.push_back({OrDash(track.track_id()), std::string(TrackKindName(track.kind())),
                    track.muted() ? "yes" : "no", absl::StrCat(track.layers())});
  }
  out << "\n";
  PrintTable(out, {"TRACK ID", "KIND", "MUTED", "LAYERS"}, rows);
}

template <typename Message>
absl::Status ParseResponse(const std::string& body, Message& message) {
  google::protobuf::util::JsonParseOptions options;
  // A newer server may add fields; they must not break an older CLI.
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(
      body.empty() ? std::string("{}") : body, &message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse the server's response: ",
                                                   status.message().as_string()));
  }
  return absl::OkStatus();
}

// Prints the human-readable result of a successful call.
absl::Status PrintResult(std::ostream& out, const CommandSpec& spec, const ParsedArgs& parsed,
                         const std::string& body) {
  const std::vector<std::string>& positionals = parsed.positionals;
  switch (spec.operation) {
    case Operation::kListRooms: {
      v1::ListRoomsResponse response;
      if (absl::Status status = ParseResponse(body, response); !status.ok()) return status;
      if (response.rooms().empty()) {
        out << "no rooms\n";
        return absl::OkStatus();
      }
      std::vector<const v1::Room*> rooms;
      for (const v1::Room& room : response.rooms()) rooms.push_back(&room);
      PrintRooms(out, rooms);
      return absl::OkStatus();
    }
    case Operation::kGetRoom:
    case Operation::kCreateRoom: {
      v1::Room room;
      if (absl::Status status = ParseResponse(body, room); !status.ok()) return status;
      PrintRooms(out, {&room});
      return absl::OkStatus();
    }
    case Operation::kDeleteRoom:
      out << "deleted room " << Sanitize(positionals[2]) << "\n";
      return absl::OkStatus();
    case Operation::kListParticipants: {
      v1::ListParticipantsResponse response;
      if (absl::Status status = ParseResponse(body, response); !status.ok()) return status;
      if (response.participants().empty()) {
        out << "no participants in room " << Sanitize(positionals[2]) << "\n";
        return absl::OkStatus();
      }
      std::vector<const v1::ParticipantInfo*> participants;
      for (const v1::ParticipantInfo& participant : response.participants()) {
        participants.push_back(&participant);
      }
      PrintParticipants(out, participants);
      return absl::OkStatus();
    }
    case Operation::kGetParticipant: {
      v1::ParticipantInfo participant;
      if (absl::Status status = ParseResponse(body, participant); !status.ok()) return status;
      PrintParticipants(out, {&participant});
      PrintTracks(out, participant);
      return absl::OkStatus();
    }
    case Operation::kRemoveParticipant:
      out << "removed " << Sanitize(positionals[3]) << " from room " << Sanitize(positionals[2])
          << "\n";
      return absl::OkStatus();
    case Operation::kMuteTrack: {
      v1::MutePublishedTrackResponse response;
      if (absl::Status status = ParseResponse(body, response); !status.ok()) return status;
      const v1::TrackInfo& track = response.track();
      out << (track.muted() ? "muted " : "unmuted ")
          << (response.has_track() ? absl::StrCat(std::string(TrackKindName(track.kind())), " ")
                                   : std::string())
          << "track " << Sanitize(track.track_id().empty() ? positionals[4] : track.track_id())
          << " of " << Sanitize(positionals[3]) << " in room " << Sanitize(positionals[2])
          << "\n";
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// "switchyard: 404 not_found: room \"x\" is not open" from the server's Twirp-style error body;
// whatever it sent (trimmed) when that is not the expected JSON.
std::string DescribeHttpError(const HttpClientResponse& response) {
  constexpr size_t kMaxQuotedBody = 200;
  google::protobuf::Struct error;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  std::string code, message;
  if (google::protobuf::util::JsonStringToMessage(response.body, &error, options).ok()) {
    const auto& fields = error.fields();
    if (auto it = fields.find("code"); it != fields.end()) code = it->second.string_value();
    if (auto it = fields.find("msg"); it != fields.end()) message = it->second.string_value();
  }
  std::string text = absl::StrCat("switchyard: ", response.status);
  if (!code.empty() || !message.empty()) {
    if (!code.empty()) absl::StrAppend(&text, " ", Sanitize(code));
    if (!message.empty()) absl::StrAppend(&text, ": ", Sanitize(message));
    return text;
  }
  std::string body = response.body.substr(0, kMaxQuotedBody);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (!body.empty()) absl::StrAppend(&text, ": ", Sanitize(body));
  return text;
}

int UsageError(std::ostream& err, std::string_view message) {
  err << "switchyard: " << message << "\n"
      << "Run `switchyard rooms --help` for usage.\n";
  return kAdminCommandUsageError;
}

std::optional<std::string> ProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace

std::string PercentEncodePathSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(segment.size());
  for (char c : segment) {
    if (IsUnreserved(c)) {
      encoded.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      const char escaped[3] = {'%', kHex[byte >> 4], kHex[byte & 0xF]};
      encoded.append(escaped, sizeof(escaped));
    }
  }
  return encoded;
}

bool IsAdminCommand(int argc, const char* const* argv) {
  if (argc < 2 || argv[1] == nullptr) return false;
  const std::string_view command = argv[1];
  return command == "rooms" || command == "participants";
}

int RunAdminCommand(const std::vector<std::string>& args, int64_t now_unix_seconds,
                    std::ostream& out, std::ostream& err, const HttpSender& send,
                    const EnvironmentLookup& environment) {
  ParsedArgs parsed;
  if (absl::Status status = ParseArgs(args, parsed); !status.ok()) {
    return UsageError(err, std::string(status.message()));
  }
  if (parsed.help) {
    out << kUsage;
    return 0;
  }
  const std::vector<std::string>& positionals = parsed.positionals;
  if (positionals.size() >= 2 && positionals[1] == "help") {
    out << kUsage;
    return 0;
  }
  if (positionals.empty() || (positionals[0] != "rooms" && positionals[0] != "participants")) {
    return UsageError(err, "expected rooms or participants");
  }
  const std::string& resource = positionals[0];
  if (positionals.size() < 2) {
    return UsageError(err, resource == "rooms" ? "rooms: missing command (list, get, create, delete)"
                                               : "participants: missing command (list, get, "
                                                 "remove, mute)");
  }
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& candidate : Commands()) {
    if (candidate.resource == resource && candidate.verb == positionals[1]) spec = &candidate;
  }
  if (spec == nullptr) {
    return UsageError(err, absl::StrCat(resource, ": unknown command \"", positionals[1], "\""));
  }
  const std::string command = absl::StrCat(resource, " ", positionals[1]);
  const size_t operand_count = positionals.size() - 2;
  if (operand_count < spec->operands.size()) {
    return UsageError(err, absl::StrCat(command, " needs ",
                                        std::string(spec->operands[operand_count])));
  }
  if (operand_count > spec->operands.size()) {
    return UsageError(err, absl::StrCat(command, ": unexpected argument \"",
                                        positionals[2 + spec->operands.size()], "\""));
  }
  static const std::set<std::string> kGlobalFlags = {"url", "api-key", "api-secret", "json",
                                                     "insecure"};
  for (const std::string& flag : parsed.flags_given) {
    if (kGlobalFlags.contains(flag)) continue;
    if (std::find(spec->command_flags.begin(), spec->command_flags.end(), flag) ==
        spec->command_flags.end()) {
      return UsageError(err, absl::StrCat("--", flag, " does not apply to ", command));
    }
  }

  absl::StatusOr<Connection> connection =
      ResolveConnection(parsed, environment ? environment : EnvironmentLookup(ProcessEnvironment));
  if (!connection.ok()) return UsageError(err, std::string(connection.status().message()));
  absl::StatusOr<PlannedCall> call = PlanCall(*spec, parsed);
  if (!call.ok()) return UsageError(err, std::string(call.status().message()));

  AccessTokenClaims claims;
  claims.api_key = connection->api_key;
  claims.not_before = now_unix_seconds;
  claims.expires_at = now_unix_seconds + kAdminTokenValidForSeconds;
  claims.video = call->grant;
  absl::StatusOr<std::string> token = CreateAccessToken(claims, connection->api_secret);
  if (!token.ok()) return UsageError(err, std::string(token.status().message()));

  HttpClientRequest request;
  request.method = call->method;
  request.url = connection->base_url + call->path;
  request.headers = {{"Authorization", "Bearer " + *token},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"}};
  request.body = call->body;
  request.insecure_skip_verify = connection->insecure;

  const absl::StatusOr<HttpClientResponse> response = send(request);
  if (!response.ok()) {
    err << "switchyard: " << response.status().message() << "\n";
    return kAdminCommandFailed;
  }
  if (response->status < 200 || response->status >= 300) {
    err << DescribeHttpError(*response) << "\n";
    return kAdminCommandFailed;
  }
  if (parsed.json) {
    // The server's answer as it is, for scripts (jq); an empty body is still valid JSON "{}".
    const std::string& body = response->body.empty() ? std::string("{}") : response->body;
    out << body;
    if (!body.ends_with('\n')) out << "\n";
    return 0;
  }
  if (absl::Status status = PrintResult(out, *spec, parsed, response->body); !status.ok()) {
    err << "switchyard: " << status.message() << "\n";
    return kAdminCommandFailed;
  }
  return 0;
}

}  // namespace switchyard::api
