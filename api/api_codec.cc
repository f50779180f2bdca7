#include "api/api_codec.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchyard::api {

namespace {

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(std::string(s)); }

bool IsFieldPath(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' ||
                    c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// JSON string escaping for the error body (RFC 8259 §7).
void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (s[i] != '%') {
      out.push_back(s[i]);
    } else {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return out;
}

BodyFormat RequestBodyFormat(std::string_view content_type) {
  const std::string type = Lower(content_type.substr(0, content_type.find(';')));
  const std::string trimmed(absl::StripAsciiWhitespace(type));
  if (trimmed == "application/x-protobuf" || trimmed == "application/protobuf") {
    return BodyFormat::kProtobuf;
  }
  return BodyFormat::kJson;
}

BodyFormat ResponseBodyFormat(std::string_view accept, BodyFormat request_format) {
  const std::string a = Lower(accept);
  if (absl::StrContains(a, "application/x-protobuf") ||
      absl::StrContains(a, "application/protobuf")) {
    return BodyFormat::kProtobuf;
  }
  if (absl::StrContains(a, "json")) return BodyFormat::kJson;
  return request_format;
}

const char* ContentTypeOf(BodyFormat format) {
  return format == BodyFormat::kProtobuf ? "application/x-protobuf" : "application/json";
}

absl::Status DecodeBody(std::string_view body, BodyFormat format,
                        google::protobuf::Message& message) {
  message.Clear();
  if (format == BodyFormat::kProtobuf) {
    if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return absl::InvalidArgumentError("body: not a valid binary protobuf message");
    }
    return absl::OkStatus();
  }
  const absl::string_view trimmed = absl::StripAsciiWhitespace(
      absl::string_view(body.data(), body.size()));
  if (trimmed.empty()) return absl::OkStatus();
  if (trimmed.front() != '{') return absl::InvalidArgumentError("body: must be a JSON object");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(trimmed.data(), trimmed.size()), &message, options);
  if (!status.ok()) {
    // Protobuf names the field first ("maxParticipants: invalid value ..."): keep it first so
    // the error's argument is the offending field.
    const std::string detail = status.message().as_string();
    const size_t colon = detail.find(':');
    if (colon != std::string::npos && IsFieldPath(std::string_view(detail.data(), colon))) {
      return absl::InvalidArgumentError(absl::StrCat(
          detail.substr(0, colon), ":", detail.substr(colon + 1), " (in the JSON body)"));
    }
    return absl::InvalidArgumentError(absl::StrCat("body: invalid JSON: ", detail));
  }
  return absl::OkStatus();
}

std::string EncodeBody(const google::protobuf::Message& message, BodyFormat format) {
  if (format == BodyFormat::kProtobuf) return message.SerializeAsString();
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  // Printing a well-formed message cannot fail (only Any with unknown types can).
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

ApiError ErrorFromStatus(const absl::Status& status) {
  ApiError error;
  error.message = std::string(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: {
      error.http_status = 400;
      error.code = "invalid_argument";
      const size_t colon = error.message.find(':');
      if (colon != std::string::npos) {
        const std::string_view field(error.message.data(), colon);
        if (IsFieldPath(field)) error.argument = std::string(field);
      }
      break;
    }
    case absl::StatusCode::kUnauthenticated: error.http_status = 401; error.code = "unauthenticated"; break;
    case absl::StatusCode::kPermissionDenied: error.http_status = 403; error.code = "permission_denied"; break;
    case absl::StatusCode::kNotFound: error.http_status = 404; error.code = "not_found"; break;
    case absl::StatusCode::kAlreadyExists: error.http_status = 409; error.code = "already_exists"; break;
    case absl::StatusCode::kFailedPrecondition: error.http_status = 412; error.code = "failed_precondition"; break;
    case absl::StatusCode::kResourceExhausted: error.http_status = 429; error.code = "resource_exhausted"; break;
    case absl::StatusCode::kUnimplemented: error.http_status = 501; error.code = "unimplemented"; break;
    case absl::StatusCode::kUnavailable: error.http_status = 503; error.code = "unavailable"; break;
    default: error.http_status = 500; error.code = "internal"; break;
  }
  return error;
}

std::string EncodeError(const ApiError& error) {
  std::string out = "{\"code\":";
  AppendJsonString(out, error.code);
  out.append(",\"msg\":");
  AppendJsonString(out, error.message);
  out.append(",\"message\":");
  AppendJsonString(out, error.message);
  if (!error.argument.empty()) {
    out.append(",\"meta\":{\"argument\":");
    AppendJsonString(out, error.argument);
    out.append("}");
  }
  out.append("}");
  return out;
}

}  // namespace switchyard::api
