#include "api/http_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "transport/certificate.h"

namespace switchyard::api {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// The server thread stops by itself after this, whatever the client did.
constexpr std::chrono::seconds kServerLifetime{10};

// A loopback HTTP(S) server on its own thread: answers each request on a connection of its own
// with `handler`'s response and closes. Bounded by kServerLifetime.
class TestServer {
 public:
  using Handler = std::function<Response(const Request&)>;

  explicit TestServer(Handler handler, ssl::context* tls = nullptr)
      : handler_(std::move(handler)),
        tls_(tls),
        acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run_for(kServerLifetime); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(std::string_view target) const {
    return "http" + std::string(tls_ ? "s" : "") + "://127.0.0.1:" + std::to_string(port()) +
           std::string(target);
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  template <typename Stream>
  struct Session : std::enable_shared_from_this<Session<Stream>> {
    template <typename... Args>
    explicit Session(TestServer* server, Args&&... args)
        : server(server), stream(std::forward<Args>(args)...) {}

    void Read() {
      http::async_read(stream, buffer, request,
                       [self = this->shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return;
                         self->response = self->server->Handle(self->request);
                         http::async_write(self->stream, self->response,
                                           [self](beast::error_code, size_t) {
                                             beast::error_code ignored;
                                             self->stream.lowest_layer().close(ignored);
                                           });
                       });
    }

    TestServer* server;
    Stream stream;
    beast::flat_buffer buffer;
    Request request;
    Response response;
  };

  Response Handle(const Request& request) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    return handler_(request);
  }

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      if (tls_ != nullptr) {
        auto session =
            std::make_shared<Session<ssl::stream<tcp::socket>>>(this, std::move(socket), *tls_);
        session->stream.async_handshake(ssl::stream_base::server,
                                        [session](beast::error_code ec) {
                                          if (!ec) session->Read();
                                        });
      } else {
        std::make_shared<Session<tcp::socket>>(this, std::move(socket))->Read();
      }
      Accept();
    });
  }

  Handler handler_;
  ssl::context* tls_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Request> requests_;
};

Response MakeResponse(http::status status, std::string body,
                      std::string content_type = "application/json") {
  Response response(status, 11);
  response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string HeaderOf(const Request& request, std::string_view name) {
  const auto value = request[beast::string_view(name.data(), name.size())];
  return std::string(value.data(), value.size());
}

TEST(ParseHttpUrlTest, FillsDefaults) {
  auto url = ParseHttpUrl("http://example.com");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_FALSE(url->https);
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");

  url = ParseHttpUrl("HTTPS://sfu.example.com/v1/rooms?names=a,b#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v1/rooms?names=a,b");

  url = ParseHttpUrl("http://127.0.0.1:8080?x=1");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/?x=1");

  url = ParseHttpUrl("https://[::1]:8443/a/b");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/a/b");

  url = ParseHttpUrl("http://[2001:db8::1]");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "2001:db8::1");
  EXPECT_EQ(url->port, 80);

  url = ParseHttpUrl("http://host:/x");  // empty port = default (RFC 3986 §3.2.3)
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->port, 80);
}

TEST(ParseHttpUrlTest, RejectsMalformedUrls) {
  for (const char* bad :
       {"", "example.com", "ftp://example.com/", "http://", "http:///path", "http://:80/",
        "http://user:pw@example.com/", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:80a/", "http://example.com:-1/", "http://[::1/",
        "http://[not-v6]/", "http://[::1]x/", "http://::1/", "http://exa mple.com/",
        "http://example.com/a b", "http://example.com/\r\nX: y", "http://exam%70le.com/"}) {
    const auto url = ParseHttpUrl(bad);
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << "\"" << bad << "\"";
  }
}

TEST(HttpClientTest, RoundTripsMethodPathHeadersAndBody) {
  TestServer server([](const Request& request) {
    Response response = MakeResponse(http::status::created, R"({"name":"demo"})");
    response.set("X-Reply", "yes");
    response.set("X-Echo-Method", std::string(request.method_string()));
    return response;
  });
  HttpClientRequest request;
  request.method = "POST";
  request.url = server.url("/v1/rooms?dry=1");
  request.headers = {{"Authorization", "Bearer abc"},
                     {"Content-Type", "application/json"},
                     {"X-Multi", "one"},
                     {"X-Multi", "two"}};
  request.body = R"({"name":"demo"})";
  const auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->body, R"({"name":"demo"})");
  EXPECT_THAT(response->headers, Contains(Pair("X-Reply", "yes")));
  EXPECT_THAT(response->headers, Contains(Pair("X-Echo-Method", "POST")));

  const std::vector<Request> received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  const Request& seen = received[0];
  EXPECT_EQ(seen.method(), http::verb::post);
  EXPECT_EQ(seen.target(), "/v1/rooms?dry=1");
  EXPECT_EQ(HeaderOf(seen, "Authorization"), "Bearer abc");
  EXPECT_EQ(HeaderOf(seen, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(seen, "Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(HeaderOf(seen, "Content-Length"), std::to_string(request.body.size()));
  EXPECT_EQ(seen.body(), request.body);
  EXPECT_EQ(std::count_if(seen.begin(), seen.end(),
                          [](const auto& field) { return field.name_string() == "X-Multi"; }),
            2);
}

TEST(HttpClientTest, ErrorStatusesAreSuccessfulExchanges) {
  TestServer server([](const Request&) {
    return MakeResponse(http::status::not_found, R"({"code":"not_found","msg":"no room"})");
  });
  HttpClientRequest request;
  request.method = "DELETE";
  request.url = server.url("/v1/rooms/x");
  const auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
  EXPECT_THAT(response->body, HasSubstr("not_found"));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].method(), http::verb::delete_);
  // No body: no Content-Length claiming one.
  EXPECT_EQ(HeaderOf(server.requests()[0], "Content-Length"), "");
}

TEST(HttpClientTest, CallerHostHeaderReplacesTheDefault) {
  TestServer server([](const Request&) { return MakeResponse(http::status::ok, "{}"); });
  HttpClientRequest request;
  request.url = server.url("/");
  request.headers = {{"host", "sfu.example.com"}};
  ASSERT_TRUE(SendHttpRequest(request).ok());
  const std::vector<Request> received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  const Request& seen = received[0];
  EXPECT_EQ(HeaderOf(seen, "Host"), "sfu.example.com");
  EXPECT_EQ(seen.count(http::field::host), 1u);
}

TEST(HttpClientTest, ReadsABodyDelimitedByConnectionClose) {
  TestServer server([](const Request&) {
    Response response(http::status::ok, 11);
    response.keep_alive(false);
    response.body() = "until the end";  // no Content-Length, not chunked: EOF ends it
    return response;
  });
  HttpClientRequest request;
  request.url = server.url("/");
  const auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "until the end");
}

TEST(HttpClientTest, HeadDoesNotWaitForTheAnnouncedBody) {
  TestServer server([](const Request&) {
    Response response(http::status::ok, 11);
    response.content_length(1000);
    return response;
  });
  HttpClientRequest request;
  request.method = "HEAD";
  request.url = server.url("/");
  request.timeout = std::chrono::milliseconds(3000);
  const auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
}

TEST(HttpClientTest, RefusesBodiesOverTheCap) {
  TestServer server([](const Request&) {
    return MakeResponse(http::status::ok, std::string(kMaxHttpResponseBodyBytes + 1, 'x'),
                        "text/plain");
  });
  HttpClientRequest request;
  request.url = server.url("/big");
  const auto response = SendHttpRequest(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted) << response.status();
}

TEST(HttpClientTest, ResolvesHostNames) {
  TestServer server([](const Request&) { return MakeResponse(http::status::ok, "{}"); });
  HttpClientRequest request;
  // localhost may resolve to ::1 first; the client tries every address.
  request.url = "http://localhost:" + std::to_string(server.port()) + "/";
  const auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(HeaderOf(server.requests()[0], "Host"),
            "localhost:" + std::to_string(server.port()));
}

TEST(HttpClientTest, TimesOutAgainstAServerThatNeverAnswers) {
  // Listening but never accepting: the kernel completes the TCP handshake, nobody answers.
  net::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  HttpClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  request.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const auto response = SendHttpRequest(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(2));

  // The same deadline bounds a TLS handshake nobody answers.
  request.url = "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  const auto tls_start = std::chrono::steady_clock::now();
  const auto tls_response = SendHttpRequest(request);
  const auto tls_elapsed = std::chrono::steady_clock::now() - tls_start;
  EXPECT_EQ(tls_response.status().code(), absl::StatusCode::kDeadlineExceeded)
      << tls_response.status();
  EXPECT_THAT(std::string(tls_response.status().message()), HasSubstr("TLS handshake"));
  EXPECT_LT(tls_elapsed, std::chrono::seconds(2));
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t port;
  {
    // An ephemeral port that was just free and is now closed again.
    net::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  HttpClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  request.timeout = std::chrono::milliseconds(2000);
  const auto response = SendHttpRequest(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("127.0.0.1"));
}

TEST(HttpClientTest, MalformedRequestsAreInvalidArgument) {
  HttpClientRequest request;
  request.url = "not a url";
  EXPECT_EQ(SendHttpRequest(request).status().code(), absl::StatusCode::kInvalidArgument);

  request.url = "http://127.0.0.1:9/";
  request.headers = {{"X-Injected", "a\r\nEvil: yes"}};
  EXPECT_EQ(SendHttpRequest(request).status().code(), absl::StatusCode::kInvalidArgument);

  request.headers = {{"Bad Name", "x"}};
  EXPECT_EQ(SendHttpRequest(request).status().code(), absl::StatusCode::kInvalidArgument);

  request.headers.clear();
  request.method = "GET /other";
  EXPECT_EQ(SendHttpRequest(request).status().code(), absl::StatusCode::kInvalidArgument);
}

class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certificate = transport::Certificate::GenerateEcdsaP256("localhost");
    ASSERT_TRUE(certificate.ok()) << certificate.status();
    certificate_ = *std::move(certificate);
    ASSERT_EQ(SSL_CTX_use_certificate(tls_.native_handle(), certificate_->x509()), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey(tls_.native_handle(), certificate_->private_key()), 1);
  }

  std::unique_ptr<transport::Certificate> certificate_;
  ssl::context tls_{ssl::context::tls_server};
};

TEST_F(HttpsClientTest, InsecureSkipVerifyAcceptsASelfSignedCertificate) {
  TestServer server([](const Request& request) {
    return MakeResponse(http::status::ok, "secure " + request.body(), "text/plain");
  }, &tls_);
  HttpClientRequest request;
  request.method = "POST";
  request.url = server.url("/v1/rooms");
  request.body = "hello";
  request.insecure_skip_verify = true;
  request.timeout = std::chrono::milliseconds(5000);
  const auto response = SendHttpRequest(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "secure hello");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target(), "/v1/rooms");
}

TEST_F(HttpsClientTest, VerificationRefusesASelfSignedCertificate) {
  TestServer server([](const Request&) { return MakeResponse(http::status::ok, "{}"); }, &tls_);
  HttpClientRequest request;
  request.url = server.url("/");
  request.timeout = std::chrono::milliseconds(5000);
  const auto response = SendHttpRequest(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("TLS handshake"));
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace switchyard::api
