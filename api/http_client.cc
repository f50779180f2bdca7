#include "api/http_client.h"

#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace switchyard::api {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Generous for any sane server; Beast's default of 8 KiB is tight for proxies adding headers.
constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;
// 1xx responses (e.g. 103 Early Hints) skipped before the final one; bounded so a server
// cannot keep us reading them until the deadline for nothing.
constexpr int kMaxInformationalResponses = 8;

std::string ToStd(beast::string_view text) { return std::string(text.data(), text.size()); }

// RFC 9110 §5.6.2 tchar: the characters of a method or header name.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Header values may not carry CR, LF or NUL (RFC 9110 §5.5): they would split the header and
// let a caller's data inject headers or a second request.
bool IsSafeHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  (void)net::ip::make_address(host, ec);
  return !ec;
}

// "host:port" as a message names it; IPv6 in brackets.
std::string Authority(const HttpUrl& url) {
  if (url.host.find(':') != std::string::npos) return absl::StrCat("[", url.host, "]:", url.port);
  return absl::StrCat(url.host, ":", url.port);
}

// The Host header (RFC 9110 §7.2): the port only when it is not the scheme's default.
std::string HostHeader(const HttpUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? absl::StrCat("[", url.host, "]")
                                                               : url.host;
  const uint16_t default_port = url.https ? 443 : 80;
  if (url.port != default_port) absl::StrAppend(&host, ":", url.port);
  return host;
}

absl::Status NetworkError(std::string_view step, const HttpUrl& url, const beast::error_code& ec,
                          std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(absl::StrCat(std::string(step), " ", Authority(url),
                                                    ": no answer within ", timeout.count(),
                                                    " ms"));
  }
  if (ec == http::error::body_limit) {
    return absl::ResourceExhaustedError(absl::StrCat("response from ", Authority(url),
                                                     " exceeds ", kMaxHttpResponseBodyBytes,
                                                     " bytes"));
  }
  return absl::UnavailableError(
      absl::StrCat(std::string(step), " ", Authority(url), ": ", ec.message()));
}

// Runs the io_context until the one operation `initiate` starts has completed, and returns its
// error. Timeouts come from the tcp_stream's expiry, which completes the operation with
// beast::error::timeout, so this never waits past the deadline.
template <typename Initiate>
beast::error_code RunUntilDone(net::io_context& io, Initiate&& initiate) {
  bool done = false;
  beast::error_code result;
  std::forward<Initiate>(initiate)([&done, &result](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  while (!done) {
    // Nothing left to run while our operation is pending cannot happen; fail rather than spin.
    if (io.run_one() == 0) return net::error::operation_aborted;
  }
  return result;
}

// getaddrinfo cannot be cancelled, so a name is resolved on a detached helper thread that we
// stop waiting for at the deadline (it finishes, or not, on its own). IP literals skip it.
absl::StatusOr<std::vector<tcp::endpoint>> Resolve(const HttpUrl& url, Clock::time_point deadline,
                                                   std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(url.host, ec);
  if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(address, url.port)};

  struct Lookup {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    boost::system::error_code error;
    std::vector<tcp::endpoint> endpoints;
  };
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, host = url.host, port = url.port] {
      net::io_context io;
      tcp::resolver resolver(io);
      boost::system::error_code error;
      const tcp::resolver::results_type results =
          resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, error);
      std::vector<tcp::endpoint> endpoints;
      if (!error) {
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
      }
      std::lock_guard lock(lookup->mutex);
      lookup->error = error;
      lookup->endpoints = std::move(endpoints);
      lookup->done = true;
      lookup->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error& error) {
    return absl::UnavailableError(absl::StrCat("resolve ", url.host, ": ", error.what()));
  }
  std::unique_lock lock(lookup->mutex);
  if (!lookup->done_cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("resolve ", url.host, ": no answer within ", timeout.count(), " ms"));
  }
  if (lookup->error) {
    return absl::UnavailableError(
        absl::StrCat("resolve ", url.host, ": ", lookup->error.message()));
  }
  if (lookup->endpoints.empty()) {
    return absl::UnavailableError(absl::StrCat("resolve ", url.host, ": no addresses"));
  }
  return std::move(lookup->endpoints);
}

absl::StatusOr<http::request<http::string_body>> BuildRequest(const HttpClientRequest& request,
                                                              const HttpUrl& url) {
  if (!IsToken(request.method)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid HTTP method \"", request.method, "\""));
  }
  http::request<http::string_body> message;
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    message.method_string(request.method);
  } else {
    message.method(verb);
  }
  message.target(url.target);
  message.version(11);
  message.set(http::field::host, HostHeader(url));
  message.set(http::field::user_agent, "switchyard");
  // One request per connection: the server may close after answering.
  message.keep_alive(false);
  std::vector<std::string> replaced;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid header name \"", name, "\""));
    }
    if (!IsSafeHeaderValue(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("header ", name, " contains CR, LF or NUL"));
    }
    // A caller's Host, User-Agent or Connection replaces ours; everything else adds a line.
    const std::string lower = absl::AsciiStrToLower(name);
    if ((lower == "host" || lower == "user-agent" || lower == "connection") &&
        std::find(replaced.begin(), replaced.end(), lower) == replaced.end()) {
      message.erase(lower);
      replaced.push_back(lower);
    }
    message.insert(name, value);
  }
  message.body() = request.body;
  message.prepare_payload();
  return message;
}

// Writes the request and reads the final response on a connected (and, for https,
// handshaken) stream.
template <typename Stream>
absl::StatusOr<HttpClientResponse> Exchange(net::io_context& io, Stream& stream,
                                            http::request<http::string_body>& message,
                                            const HttpUrl& url, Clock::time_point deadline,
                                            std::chrono::milliseconds timeout) {
  beast::tcp_stream& socket = beast::get_lowest_layer(stream);
  socket.expires_at(deadline);
  beast::error_code ec = RunUntilDone(io, [&](auto handler) {
    http::async_write(stream, message, std::move(handler));
  });
  if (ec) return NetworkError("send to", url, ec, timeout);

  beast::flat_buffer buffer;
  const bool head = message.method() == http::verb::head;
  for (int informational = 0;; ++informational) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxHttpResponseBodyBytes);
    parser.header_limit(kMaxResponseHeaderBytes);
    // A HEAD response announces a body it does not send (RFC 9110 §9.3.2).
    parser.skip(head);
    // Not eager, and async_read_some in a loop rather than http::async_read (which forces
    // eager): in Boost 1.74 an eager parser that finds body bytes in the same buffer as the
    // header discards the header's body_limit error and reads the body anyway, defeating the
    // cap. A non-eager parser stops after the header and reports it.
    parser.eager(false);
    socket.expires_at(deadline);
    while (!parser.is_done()) {
      ec = RunUntilDone(io, [&](auto handler) {
        http::async_read_some(stream, buffer, parser, std::move(handler));
      });
      if (ec) break;
      // Checked here as well: whether Beast reports body_limit for an announced length depends
      // on how the bytes were split across reads.
      if (parser.is_header_done() && parser.content_length() &&
          *parser.content_length() > kMaxHttpResponseBodyBytes) {
        ec = http::error::body_limit;
        break;
      }
    }
    // A TLS peer that closes without close_notify after a complete, length-delimited message
    // lost us nothing; for an EOF-delimited body it could be a truncation attack.
    if (ec == ssl::error::stream_truncated && parser.is_done()) ec = {};
    if (ec) return NetworkError("read from", url, ec, timeout);
    http::response<http::string_body> response = parser.release();
    const int status = response.result_int();
    if (status >= 100 && status < 200 && status != 101) {
      if (informational + 1 >= kMaxInformationalResponses) {
        return absl::UnavailableError(absl::StrCat(Authority(url), " sent only ",
                                                   kMaxInformationalResponses,
                                                   " informational responses"));
      }
      continue;
    }
    HttpClientResponse result;
    result.status = status;
    result.content_type = ToStd(response[http::field::content_type]);
    for (const auto& field : response) {
      result.headers.emplace_back(ToStd(field.name_string()), ToStd(field.value()));
    }
    result.body = std::move(response.body());
    return result;
  }
}

absl::StatusOr<HttpClientResponse> SendPlain(net::io_context& io, const HttpUrl& url,
                                             const std::vector<tcp::endpoint>& endpoints,
                                             http::request<http::string_body>& message,
                                             Clock::time_point deadline,
                                             std::chrono::milliseconds timeout) {
  beast::tcp_stream stream(io);
  stream.expires_at(deadline);
  const beast::error_code ec = RunUntilDone(io, [&](auto handler) {
    stream.async_connect(endpoints, std::move(handler));
  });
  if (ec) return NetworkError("connect to", url, ec, timeout);
  return Exchange(io, stream, message, url, deadline, timeout);
}

absl::StatusOr<HttpClientResponse> SendTls(net::io_context& io, const HttpUrl& url,
                                           const std::vector<tcp::endpoint>& endpoints,
                                           http::request<http::string_body>& message,
                                           bool insecure_skip_verify,
                                           Clock::time_point deadline,
                                           std::chrono::milliseconds timeout) {
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  if (insecure_skip_verify) {
    context.set_verify_mode(ssl::verify_none);
  } else {
    beast::error_code ec;
    context.set_default_verify_paths(ec);
    if (ec) return absl::InternalError(absl::StrCat("loading CA certificates: ", ec.message()));
    context.set_verify_mode(ssl::verify_peer);
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  if (!insecure_skip_verify) {
    // Checks DNS names against the SANs (RFC 6125), IP literals against IP SANs.
    stream.set_verify_callback(ssl::host_name_verification(url.host));
  }
  // SNI carries host names only, never IP literals (RFC 6066 §3).
  if (!IsIpLiteral(url.host) &&
      SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
    return absl::InternalError(absl::StrCat("setting SNI to ", url.host, " failed"));
  }
  beast::tcp_stream& socket = beast::get_lowest_layer(stream);
  socket.expires_at(deadline);
  beast::error_code ec = RunUntilDone(io, [&](auto handler) {
    socket.async_connect(endpoints, std::move(handler));
  });
  if (ec) return NetworkError("connect to", url, ec, timeout);
  socket.expires_at(deadline);
  ec = RunUntilDone(io, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec) return NetworkError("TLS handshake with", url, ec, timeout);
  // No TLS shutdown afterwards: the response is complete and the connection is ours alone.
  return Exchange(io, stream, message, url, deadline, timeout);
}

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return absl::InvalidArgumentError("URL contains whitespace or control characters");
    }
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError("URL must start with http:// or https://");
  }
  const std::string scheme = absl::AsciiStrToLower(std::string(url.substr(0, scheme_end)));
  HttpUrl parsed;
  if (scheme == "https") {
    parsed.https = true;
  } else if (scheme != "http") {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported URL scheme \"", scheme, "\" (http or https)"));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view remainder =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("URLs with user information (user@host) are not supported");
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("URL has an unterminated IPv6 literal");
    }
    parsed.host = std::string(authority.substr(1, close - 1));
    boost::system::error_code ec;
    (void)net::ip::make_address_v6(parsed.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL host [", parsed.host, "] is not an IPv6 address"));
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError("URL has characters after its IPv6 literal");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (parsed.host.empty()) return absl::InvalidArgumentError("URL has no host");
    for (char c : parsed.host) {
      if (!IsHostChar(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("URL host \"", parsed.host, "\" is not a host name or address"));
      }
    }
  }
  if (parsed.host.empty()) return absl::InvalidArgumentError("URL has no host");

  parsed.port = parsed.https ? 443 : 80;
  // "host:" with an empty port means the default (RFC 3986 §3.2.3).
  if (has_port && !port_text.empty()) {
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL port \"", std::string(port_text), "\" is not 1-65535"));
    }
    parsed.port = static_cast<uint16_t>(port);
  }

  std::string_view target = remainder.substr(0, remainder.find('#'));
  const bool needs_slash = target.empty() || target.front() == '?';
  parsed.target = absl::StrCat(needs_slash ? "/" : "", absl::string_view(target.data(), target.size()));
  return parsed;
}

absl::StatusOr<HttpClientResponse> SendHttpRequest(const HttpClientRequest& request) {
  const Clock::time_point deadline = Clock::now() + request.timeout;
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(request.url);
  if (!url.ok()) return url.status();
  absl::StatusOr<http::request<http::string_body>> message = BuildRequest(request, *url);
  if (!message.ok()) return message.status();
  try {
    absl::StatusOr<std::vector<tcp::endpoint>> endpoints =
        Resolve(*url, deadline, request.timeout);
    if (!endpoints.ok()) return endpoints.status();
    // Declared before the streams (inside the helpers) so it outlives them.
    net::io_context io;
    if (url->https) {
      return SendTls(io, *url, *endpoints, *message, request.insecure_skip_verify, deadline,
                     request.timeout);
    }
    return SendPlain(io, *url, *endpoints, *message, deadline, request.timeout);
  } catch (const std::exception& error) {
    // Asio/Beast throw only on resource exhaustion (e.g. no file descriptors); keep it a Status.
    return absl::UnavailableError(absl::StrCat("HTTP request to ", Authority(*url), " failed: ",
                                               error.what()));
  }
}

}  // namespace switchyard::api
