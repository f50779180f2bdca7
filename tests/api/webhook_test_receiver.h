#ifndef SWITCHYARD_TESTS_API_WEBHOOK_TEST_RECEIVER_H_
#define SWITCHYARD_TESTS_API_WEBHOOK_TEST_RECEIVER_H_

// A webhook receiver for tests: real HTTP/1.1 on 127.0.0.1, every request logged.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace switchyard::api::testing {

struct ReceivedRequest {
  std::string method;
  std::string url;  // the notifier's view: the URL it was sent to (fake) or target (HTTP)
  std::string content_type;
  std::string authorization;
  std::string body;
  std::chrono::steady_clock::time_point at;
};

// Collects requests and wakes waiters; shared by the HTTP receiver and the fake sender.
class RequestLog {
 public:
  size_t Add(ReceivedRequest request) {
    size_t index;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(std::move(request));
      index = requests_.size() - 1;
    }
    changed_.notify_all();
    return index;
  }

  // At least `count` requests, waiting at most `limit`; returns whatever arrived.
  std::vector<ReceivedRequest> WaitFor(size_t count, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return requests_.size() >= count; });
    return requests_;
  }

  std::vector<ReceivedRequest> All() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReceivedRequest> requests_;
};

// A webhook receiver over real HTTP/1.1 (Boost.Beast) on 127.0.0.1 and an ephemeral port,
// served by its own thread. `status_for(n)` answers the n-th request (0-based) with that HTTP
// status; 0 means never answer and hold the connection open (a hung receiver).
class TestReceiver {
 public:
  explicit TestReceiver(std::function<int(size_t)> status_for)
      : status_for_(std::move(status_for)),
        acceptor_(io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestReceiver() {
    io_.stop();
    thread_.join();
    held_.clear();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }

  RequestLog& log() { return log_; }

 private:
  struct Connection {
    explicit Connection(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
    boost::asio::ip::tcp::socket socket;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    boost::beast::http::response<boost::beast::http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      auto connection = std::make_shared<Connection>(std::move(socket));
      boost::beast::http::async_read(connection->socket, connection->buffer, connection->request,
                       [this, connection](boost::beast::error_code read_ec, size_t) {
                         if (!read_ec) OnRequest(connection);
                       });
      Accept();
    });
  }

  // On the receiver's thread.
  void OnRequest(const std::shared_ptr<Connection>& connection) {
    const auto& request = connection->request;
    ReceivedRequest received;
    received.method = std::string(request.method_string());
    received.url = std::string(request.target());
    received.content_type = std::string(request[boost::beast::http::field::content_type]);
    received.authorization = std::string(request[boost::beast::http::field::authorization]);
    received.body = request.body();
    received.at = std::chrono::steady_clock::now();
    const int status = status_for_(log_.Add(std::move(received)));
    if (status == 0) {
      held_.push_back(connection);
      return;
    }
    auto& response = connection->response;
    response.version(11);
    response.result(static_cast<unsigned>(status));
    response.keep_alive(false);
    if (status != 204) {  // a 204 has no body (RFC 9110 §15.3.5); Beast refuses one
      response.set(boost::beast::http::field::content_type, "text/plain");
      response.body() = "ok";
    }
    response.prepare_payload();
    boost::beast::http::async_write(connection->socket, response,
                      [connection](boost::beast::error_code, size_t) {
                        boost::beast::error_code ignored;
                        connection->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                      });
  }

  boost::asio::io_context io_;
  const std::function<int(size_t)> status_for_;
  boost::asio::ip::tcp::acceptor acceptor_;
  RequestLog log_;
  std::vector<std::shared_ptr<Connection>> held_;  // receiver thread only
  std::thread thread_;
};

}  // namespace switchyard::api::testing

#endif  // SWITCHYARD_TESTS_API_WEBHOOK_TEST_RECEIVER_H_
