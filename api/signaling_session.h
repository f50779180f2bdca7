#ifndef SWITCHYARD_API_SIGNALING_SESSION_H_
#define SWITCHYARD_API_SIGNALING_SESSION_H_

#include <deque>
#include <memory>
#include <string>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/status/statusor.h"
#include "api/access_token.h"
#include "api/proto/signaling.pb.h"
#include "api/room_manager.h"
#include "api/turn_runner.h"
#include "api/signaling_codec.h"
#include "sfu/worker_pool.h"

namespace switchyard::api {

// What a signaling session needs from the server. Borrowed; outlives every session.
struct SignalingContext {
  RoomManager& rooms;
  const TokenVerifier& verifier;
  std::function<int64_t()> unix_now;
  // ICE servers (with credentials) for a joining identity; unset = none (TURN disabled).
  std::function<std::vector<IceServerInfo>(const std::string& identity)> ice_servers;
};

// One client's signaling WebSocket (/ws). Lives on the control thread's io_context; events
// from the participant's worker are posted back to it. Joining needs a join token (in the join
// message, or as ?access_token= on the WebSocket URL).
//
// Runs over plain TCP (ws://) or over TLS (wss://, RFC 6455 §3) on the HTTP connection it was
// upgraded from; the protocol above the stream is the same for both.
class SignalingSession : public std::enable_shared_from_this<SignalingSession>,
                         public ParticipantClient {
 public:
  using PlainStream = boost::beast::tcp_stream;
  // A TLS connection whose handshake has completed.
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  SignalingSession(PlainStream stream, SignalingContext& context);
  SignalingSession(TlsStream stream, SignalingContext& context);
  ~SignalingSession() override;

  // Completes the WebSocket handshake for an already-read upgrade request.
  void Start(boost::beast::http::request<boost::beast::http::string_body> request);
  // Control thread only.
  void Send(const ServerMessage& message);
  void SendError(const std::string& code, const std::string& message);
  void CloseAfterSending();
  // The worker dropped the participant (transport failure).
  void OnServerClosed(const std::string& reason);

  // ParticipantClient
  void SendToClient(const v1::ServerMessage& message) override { Send(message); }
  void Disconnect(const std::string& reason) override;

 private:
  void Read();
  void OnMessage(const std::string& text);
  void HandleJoin(const v1::Join& join);
  void WriteNext();
  void Shutdown();

  // Either kind of socket; every operation visits the one in use.
  std::variant<boost::beast::websocket::stream<PlainStream>,
               boost::beast::websocket::stream<TlsStream>>
      ws_;
  SignalingContext& context_;
  std::string url_token_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> write_queue_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  std::unique_ptr<sfu::ParticipantHandle> participant_;
  // Filled into the worker's `joined` message on its way out.
  v1::ParticipantInfo local_;
  v1::Room room_info_;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SIGNALING_SESSION_H_
