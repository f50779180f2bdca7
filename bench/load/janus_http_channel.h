#ifndef SWITCHYARD_BENCH_LOAD_JANUS_HTTP_CHANNEL_H_
#define SWITCHYARD_BENCH_LOAD_JANUS_HTTP_CHANNEL_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bench/load/janus_api.h"

namespace switchyard::bench {

// The HTTP side of one Janus session, as janus.js uses the REST transport: requests are POSTed
// one at a time, in order, on one keep-alive connection; events come from a long poll (GET
// <session>?maxev=N, which Janus holds up to 30 s) on a second connection. Every response body
// of either connection goes to the Observer, in arrival order per connection.
//
// Lifetime: owned through a shared_ptr because pending asynchronous operations keep it alive.
// Close() detaches the observer (no callback after it returns) and stops the long poll; POSTs
// already queued still go out (so a session destroy reaches Janus), then the connection
// closes. Single-threaded: use only from the io_context's thread.
class JanusHttpChannel : public std::enable_shared_from_this<JanusHttpChannel> {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // A response body (POST) or a long-poll body (one event or an array of them).
    virtual void OnJanusBody(const std::string& body) = 0;
    // A connection failed, timed out, or answered with an HTTP error status.
    virtual void OnJanusChannelFailed(const std::string& why) = 0;
  };

  JanusHttpChannel(boost::asio::io_context& io, Observer& observer, HttpUrl url);
  ~JanusHttpChannel();

  // POSTs `body` to `target` (a path under the server: url.path, url.path + "/<session>", ...).
  void Post(std::string target, std::string body);
  // Starts polling GET `target` until Close(); call once.
  void StartPolling(std::string target);
  void Close();

 private:
  struct Connection {
    explicit Connection(boost::asio::io_context& io) : stream(io) {}
    boost::beast::tcp_stream stream;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    boost::beast::http::response<boost::beast::http::string_body> response;
    bool connected = false;
    bool busy = false;
  };

  void Connect(Connection& c, std::function<void()> then);
  void SendNextPost();
  void Poll();
  void Exchange(Connection& c, std::chrono::seconds timeout, std::function<void()> done);
  void Failed(const std::string& why);

  Observer* observer_;
  const HttpUrl url_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::optional<std::string> resolve_error_;
  Connection posts_;
  Connection poll_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::string poll_target_;
  bool closing_ = false;
  bool failed_ = false;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_JANUS_HTTP_CHANNEL_H_
