#ifndef SWITCHYARD_API_API_CODEC_H_
#define SWITCHYARD_API_API_CODEC_H_

// Request and response bodies of the room API: protobuf's canonical JSON mapping
// (application/json) or the binary wire format (application/x-protobuf), as Twirp serves
// them; and the Twirp error body. No Boost and no sfu, so the fuzz tree builds it.

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace switchyard::api {

enum class BodyFormat { kJson, kProtobuf };

// application/x-protobuf (or application/protobuf) selects binary; anything else, including
// no Content-Type at all, is read as JSON so that `curl -d '{...}'` works.
BodyFormat RequestBodyFormat(std::string_view content_type);
// Binary only when Accept asks for it, JSON when Accept names JSON, else the request's format.
BodyFormat ResponseBodyFormat(std::string_view accept, BodyFormat request_format);
const char* ContentTypeOf(BodyFormat format);

// Decodes `body` into `message` (cleared first). An empty body is the empty message. JSON
// must be an object whose fields all exist in the message (unknown fields are an error: a
// typo in an optional field would otherwise be silently ignored). InvalidArgument whose
// message names the problem, e.g. "body: invalid JSON: INVALID_ARGUMENT:...".
absl::Status DecodeBody(std::string_view body, BodyFormat format,
                        google::protobuf::Message& message);
// JSON prints every field, defaults included (lowerCamelCase names, int64 as strings).
std::string EncodeBody(const google::protobuf::Message& message, BodyFormat format);

// A Twirp error (https://twitchtv.github.io/twirp/docs/spec_v7.html#error-codes) with the
// HTTP status its code maps to.
struct ApiError {
  int http_status = 500;
  std::string code;      // "invalid_argument", "not_found", ...
  std::string message;
  std::string argument;  // the offending field for invalid_argument, when known
};

// Maps a status from the control plane: InvalidArgument -> 400 invalid_argument (the field is
// the message's prefix before ':' when that is a plain field path), Unauthenticated -> 401,
// PermissionDenied -> 403, NotFound -> 404, AlreadyExists -> 409, FailedPrecondition -> 412,
// ResourceExhausted -> 429, Unimplemented -> 501, Unavailable -> 503, others -> 500.
ApiError ErrorFromStatus(const absl::Status& status);
// {"code":"...","msg":"...","message":"...","meta":{"argument":"..."}}: "msg" for Twirp
// clients, "message" for everyone else.
std::string EncodeError(const ApiError& error);

// `s` as a JSON string literal, quotes included (RFC 8259 §7).
std::string JsonQuote(std::string_view s);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings);
// nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space = false);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_API_CODEC_H_
