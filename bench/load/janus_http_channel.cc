#include "bench/load/janus_http_channel.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace switchyard::bench {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

constexpr auto kPostTimeout = std::chrono::seconds(10);
// Janus answers a long poll after at most 30 s (with a keepalive when nothing happened).
constexpr auto kPollTimeout = std::chrono::seconds(45);
// Events per long-poll answer.
constexpr int kMaxEventsPerPoll = 16;

}  // namespace

JanusHttpChannel::JanusHttpChannel(boost::asio::io_context& io, Observer& observer, HttpUrl url)
    : observer_(&observer), url_(std::move(url)), posts_(io), poll_(io) {
  boost::system::error_code ec;
  const auto address =
      boost::asio::ip::make_address(url_.host == "localhost" ? "127.0.0.1" : url_.host, ec);
  if (ec) {
    resolve_error_ = "the Janus host must be an IP literal, got \"" + url_.host + "\"";
  } else {
    endpoint_ = tcp::endpoint(address, url_.port);
  }
}

JanusHttpChannel::~JanusHttpChannel() = default;

void JanusHttpChannel::Post(std::string target, std::string body) {
  if (failed_) return;
  queue_.emplace_back(std::move(target), std::move(body));
  SendNextPost();
}

void JanusHttpChannel::StartPolling(std::string target) {
  poll_target_ = std::move(target) + "?maxev=" + std::to_string(kMaxEventsPerPoll);
  Poll();
}

void JanusHttpChannel::Close() {
  observer_ = nullptr;
  closing_ = true;
  beast::error_code ignored;
  poll_.stream.socket().close(ignored);
  if (!posts_.busy && queue_.empty()) posts_.stream.socket().close(ignored);
}

void JanusHttpChannel::Connect(Connection& c, std::function<void()> then) {
  if (c.connected) return then();
  if (resolve_error_) return Failed(*resolve_error_);
  c.stream.expires_after(kPostTimeout);
  c.stream.async_connect(endpoint_, [self = shared_from_this(), &c,
                                     then = std::move(then)](beast::error_code ec) {
    if (ec) return self->Failed("connect to Janus: " + ec.message());
    c.connected = true;
    c.stream.socket().set_option(tcp::no_delay(true));
    then();
  });
}

void JanusHttpChannel::Exchange(Connection& c, std::chrono::seconds timeout,
                                std::function<void()> done) {
  c.request.version(11);
  c.request.set(http::field::host, url_.host + ":" + std::to_string(url_.port));
  c.request.keep_alive(true);
  c.request.prepare_payload();
  c.response = {};
  c.stream.expires_after(timeout);
  http::async_write(c.stream, c.request, [self = shared_from_this(), &c,
                                          done = std::move(done)](beast::error_code ec,
                                                                  size_t) mutable {
    if (ec) return self->Failed("write to Janus: " + ec.message());
    http::async_read(c.stream, c.buffer, c.response,
                     [self, &c, done = std::move(done)](beast::error_code ec, size_t) {
                       if (ec) return self->Failed("read from Janus: " + ec.message());
                       if (c.response.result() != http::status::ok) {
                         return self->Failed("Janus answered HTTP " +
                                             std::to_string(c.response.result_int()));
                       }
                       if (!c.response.keep_alive()) c.connected = false;
                       if (self->observer_ != nullptr) {
                         self->observer_->OnJanusBody(c.response.body());
                       }
                       done();
                     });
  });
}

void JanusHttpChannel::SendNextPost() {
  if (posts_.busy || failed_) return;
  if (queue_.empty()) {
    if (closing_) {
      beast::error_code ignored;
      posts_.stream.socket().close(ignored);
    }
    return;
  }
  posts_.busy = true;
  Connect(posts_, [this] {
    auto [target, body] = std::move(queue_.front());
    queue_.pop_front();
    posts_.request = {};
    posts_.request.method(http::verb::post);
    posts_.request.target(target);
    posts_.request.set(http::field::content_type, "application/json");
    posts_.request.body() = std::move(body);
    Exchange(posts_, std::chrono::duration_cast<std::chrono::seconds>(kPostTimeout), [this] {
      posts_.busy = false;
      SendNextPost();
    });
  });
}

void JanusHttpChannel::Poll() {
  if (closing_ || failed_) return;
  Connect(poll_, [this] {
    if (closing_) return;
    poll_.request = {};
    poll_.request.method(http::verb::get);
    poll_.request.target(poll_target_);
    Exchange(poll_, std::chrono::duration_cast<std::chrono::seconds>(kPollTimeout),
             [this] { Poll(); });
  });
}

void JanusHttpChannel::Failed(const std::string& why) {
  if (failed_) return;
  // After Close(), the long poll's cancellation and the end of the last POST are expected.
  if (closing_) {
    if (queue_.empty()) return;
    queue_.clear();
    return;
  }
  failed_ = true;
  queue_.clear();
  if (observer_ != nullptr) observer_->OnJanusChannelFailed(why);
}

}  // namespace switchyard::bench
