#ifndef SWITCHYARD_API_SIGNALING_SESSION_H_
#define SWITCHYARD_API_SIGNALING_SESSION_H_

#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/status/statusor.h"
#include "api/proto/signaling.pb.h"
#include "api/signaling_codec.h"
#include "sfu/worker_pool.h"

namespace switchyard::api {

// One browser's signaling WebSocket (/ws). Lives on the control thread's io_context; events
// from the participant's worker are posted back to it.
class SignalingSession : public std::enable_shared_from_this<SignalingSession> {
 public:
  SignalingSession(boost::asio::ip::tcp::socket socket, sfu::WorkerPool& pool);
  ~SignalingSession();

  // Completes the WebSocket handshake for an already-read upgrade request.
  void Start(boost::beast::http::request<boost::beast::http::string_body> request);
  // Control thread only.
  void Send(const ServerMessage& message);
  void SendError(const std::string& code, const std::string& message);
  void CloseAfterSending();

 private:
  void Read();
  void OnMessage(const std::string& text);
  void WriteNext();
  void Shutdown();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  sfu::WorkerPool& pool_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> write_queue_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  std::unique_ptr<sfu::ParticipantHandle> participant_;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SIGNALING_SESSION_H_
