#include "bench/load/signaling_client.h"

#include <charconv>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace switchyard::bench {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::asio::ip::tcp;

namespace {

// A subscribe offer for a large meeting has one m-line per track: ~1 KB each.
constexpr size_t kMaxMessageBytes = 8 * 1024 * 1024;
constexpr auto kConnectTimeout = std::chrono::seconds(10);

}  // namespace

absl::StatusOr<WebSocketUrl> ParseWebSocketUrl(const std::string& url) {
  return ParseSchemeUrl(url, "ws://");
}

absl::StatusOr<WebSocketUrl> ParseSchemeUrl(const std::string& url, std::string_view scheme) {
  if (!std::string_view(url).starts_with(scheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", absl::string_view(scheme.data(), scheme.size()),
                     "host:port/path, got \"", url, "\""));
  }
  std::string_view rest = std::string_view(url).substr(scheme.size());
  WebSocketUrl out;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("bad IPv6 host in " + url);
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(":")) port_text = authority.substr(1);
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return absl::InvalidArgumentError("no host in " + url);
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return absl::InvalidArgumentError("bad port in " + url);
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

std::string EncodeClientMessage(const v1::ClientMessage& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::StatusOr<v1::ServerMessage> DecodeServerMessage(const std::string& json) {
  v1::ServerMessage message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer server may add fields
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  if (!status.ok()) return absl::InvalidArgumentError(std::string(status.message()));
  return message;
}

SignalingClient::SignalingClient(boost::asio::io_context& io, Observer& observer)
    : observer_(&observer), resolver_(io), ws_(io) {}

SignalingClient::~SignalingClient() = default;

void SignalingClient::Connect(const WebSocketUrl& url) {
  auto self = shared_from_this();
  beast::get_lowest_layer(ws_).expires_after(kConnectTimeout);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(url.host, ec);
  if (!ec) {
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(address, url.port), [self, url](beast::error_code ec) {
          if (ec) return self->Failed("connect: " + ec.message());
          self->OnConnected(url);
        });
    return;
  }
  resolver_.async_resolve(
      url.host, std::to_string(url.port),
      [self, url](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return self->Failed("resolve " + url.host + ": " + ec.message());
        if (self->done_) return;
        beast::get_lowest_layer(self->ws_).async_connect(
            results, [self, url](beast::error_code ec, const tcp::endpoint&) {
              if (ec) return self->Failed("connect: " + ec.message());
              self->OnConnected(url);
            });
      });
}

void SignalingClient::OnConnected(const WebSocketUrl& url) {
  if (done_) return;
  // From here on the WebSocket's own timeouts apply (the tcp_stream's must be off).
  beast::get_lowest_layer(ws_).expires_never();
  beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws_.read_message_max(kMaxMessageBytes);
  const std::string host = url.host.find(':') != std::string::npos
                               ? "[" + url.host + "]:" + std::to_string(url.port)
                               : url.host + ":" + std::to_string(url.port);
  ws_.async_handshake(host, url.target, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->Failed("WebSocket handshake: " + ec.message());
    if (self->done_) return;
    self->open_ = true;
    if (self->observer_) self->observer_->OnSignalingOpen();
    if (self->done_) return;
    self->Read();
    if (!self->writing_) self->WriteNext();
  });
}

void SignalingClient::Read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      return self->Failed(ec == websocket::error::closed ? "closed by the server"
                                                          : "read: " + ec.message());
    }
    const std::string text = beast::buffers_to_string(self->read_buffer_.data());
    self->read_buffer_.consume(self->read_buffer_.size());
    if (auto message = DecodeServerMessage(text); message.ok() && self->observer_) {
      self->observer_->OnSignalingMessage(*message);
    }
    if (!self->done_) self->Read();
  });
}

void SignalingClient::Send(const v1::ClientMessage& message) {
  if (done_ || closing_) return;
  write_queue_.push_back(EncodeClientMessage(message));
  if (open_ && !writing_) WriteNext();
}

void SignalingClient::WriteNext() {
  if (done_) return;
  if (write_queue_.empty()) {
    writing_ = false;
    if (closing_) {
      writing_ = true;  // the close frame occupies the write side
      ws_.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](beast::error_code) {
                        self->done_ = true;
                        self->open_ = false;
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->ws_).socket().close(ignored);
                      });
    }
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(write_queue_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->write_queue_.pop_front();
                    self->writing_ = false;
                    if (ec) return self->Failed("write: " + ec.message());
                    self->WriteNext();
                  });
}

void SignalingClient::Close() {
  observer_ = nullptr;
  if (done_ || closing_) return;
  closing_ = true;
  if (!open_) {
    // Still connecting or handshaking: abandon it.
    done_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return;
  }
  if (!writing_) WriteNext();
}

void SignalingClient::Failed(const std::string& why) {
  if (done_) return;
  done_ = true;
  open_ = false;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  if (Observer* observer = observer_) {
    observer_ = nullptr;
    observer->OnSignalingClosed(why);
  }
}

}  // namespace switchyard::bench
