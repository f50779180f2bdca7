#ifndef SWITCHYARD_API_HTTP_CLIENT_H_
#define SWITCHYARD_API_HTTP_CLIENT_H_

// A small blocking HTTP/1.1 client (Boost.Beast) for the control plane's own outbound calls:
// the CLI's room admin commands and webhook deliveries (on the webhook thread). Never used on
// a media worker.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::api {

struct HttpClientRequest {
  std::string method = "GET";  // GET, POST, PATCH, DELETE, ...
  // http://host[:port]/path?query or https://... (IPv6 hosts in brackets).
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Connect + send + receive, in total.
  std::chrono::milliseconds timeout{10000};
  // https only: skip certificate verification (self-signed dev certificates).
  bool insecure_skip_verify = false;
};

struct HttpClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Response bodies larger than this fail the exchange (ResourceExhausted) rather than grow
// without bound: a control-plane answer is never this big.
inline constexpr size_t kMaxHttpResponseBodyBytes = 16 * 1024 * 1024;

// Sends one request on a new connection. Unavailable/DeadlineExceeded when the server cannot be
// reached or does not answer in time, InvalidArgument for a malformed URL; any HTTP status
// (including 4xx/5xx) is a successful exchange. ResourceExhausted when the response body
// exceeds kMaxHttpResponseBodyBytes.
//
// The timeout bounds everything: name resolution (on a helper thread that is abandoned if it
// outlives the deadline, since getaddrinfo cannot be interrupted), connect, TLS handshake,
// write and read. https verifies the server's certificate against the system's default CA
// paths and its name against the URL's host (RFC 6125; IP literals against IP SANs), and
// sends SNI for host names (RFC 6066 §3), unless insecure_skip_verify.
absl::StatusOr<HttpClientResponse> SendHttpRequest(const HttpClientRequest& request);

// The parts of an absolute http(s) URL (RFC 3986 §3) that a request needs.
struct HttpUrl {
  bool https = false;
  std::string host;     // without brackets for IPv6 literals
  uint16_t port = 0;    // the scheme's default (80/443) when the URL has none
  std::string target;   // path and query, "/" when empty; the fragment is dropped
};

// Parses http://host[:port][/path][?query][#fragment] (scheme case-insensitive, IPv6 literals
// in brackets). InvalidArgument for anything else, including userinfo ("user@host"), port 0
// or > 65535, and whitespace or control characters anywhere.
absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_HTTP_CLIENT_H_
