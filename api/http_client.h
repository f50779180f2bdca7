#ifndef SWITCHYARD_API_HTTP_CLIENT_H_
#define SWITCHYARD_API_HTTP_CLIENT_H_

// A small blocking HTTP/1.1 client (Boost.Beast) for the control plane's own outbound calls:
// the CLI's room admin commands and webhook deliveries (on the webhook thread). Never used on
// a media worker.

#include <chrono>
#include <string>
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

// Sends one request on a new connection. Unavailable/DeadlineExceeded when the server cannot be
// reached or does not answer in time, InvalidArgument for a malformed URL; any HTTP status
// (including 4xx/5xx) is a successful exchange.
absl::StatusOr<HttpClientResponse> SendHttpRequest(const HttpClientRequest& request);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_HTTP_CLIENT_H_
