#ifndef SWITCHYARD_BENCH_LOAD_SIGNALING_CLIENT_H_
#define SWITCHYARD_BENCH_LOAD_SIGNALING_CLIENT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/status/statusor.h"
#include "api/proto/signaling.pb.h"

namespace switchyard::bench {

// ws://host:port/path split up. Hosts are IP literals or "localhost".
struct WebSocketUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};
absl::StatusOr<WebSocketUrl> ParseWebSocketUrl(const std::string& url);
// The same for any "<scheme>host[:port][/path]" URL (scheme including "://"); IPv6 hosts in
// brackets. Shared with the Janus client's http:// URLs.
absl::StatusOr<WebSocketUrl> ParseSchemeUrl(const std::string& url, std::string_view scheme);

// JSON (protobuf's canonical mapping, as api/proto/signaling.proto prescribes) of signaling
// messages, client side: what the demo page sends and reads.
std::string EncodeClientMessage(const v1::ClientMessage& message);
absl::StatusOr<v1::ServerMessage> DecodeServerMessage(const std::string& json);

// The signaling WebSocket of one load client (Boost.Beast, asynchronous on the client's
// io_context). Connect, then Send() client messages; server messages and the close arrive on
// the Observer, in order. Writes are queued and go out one at a time.
//
// Lifetime: owned through a shared_ptr because pending asynchronous operations keep it alive;
// Close() detaches the observer (no callback after it returns) and closes the socket, so the
// owner may go away right after. Single-threaded: use only from the io_context's thread.
class SignalingClient : public std::enable_shared_from_this<SignalingClient> {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnSignalingOpen() = 0;
    virtual void OnSignalingMessage(const v1::ServerMessage& message) = 0;
    // The connection failed or closed (not called after Close()).
    virtual void OnSignalingClosed(const std::string& why) = 0;
  };

  SignalingClient(boost::asio::io_context& io, Observer& observer);
  ~SignalingClient();

  // Resolves (IP literals need no lookup), connects and performs the WebSocket handshake.
  void Connect(const WebSocketUrl& url);
  void Send(const v1::ClientMessage& message);
  // Sends a WebSocket close after the queued messages, then closes. Detaches the observer.
  void Close();
  bool open() const { return open_; }

 private:
  void OnConnected(const WebSocketUrl& url);
  void Read();
  void WriteNext();
  void Failed(const std::string& why);

  Observer* observer_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> write_queue_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_SIGNALING_CLIENT_H_
