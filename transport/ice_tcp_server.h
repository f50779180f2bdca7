#ifndef SWITCHYARD_TRANSPORT_ICE_TCP_SERVER_H_
#define SWITCHYARD_TRANSPORT_ICE_TCP_SERVER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "transport/clock.h"
#include "transport/handler_memory.h"
#include "transport/socket_address.h"
#include "transport/udp_socket.h"

namespace switchyard::transport {

// The passive side of ICE over TCP (RFC 6544) for one worker: TCP listeners (one per local
// address, each normally on the port of that address's UDP socket) whose connections carry
// RFC 4571 frames. Every frame goes to the same Receiver as the UDP sockets' datagrams, with
// the connection's identity in the source address (SocketAddress::local_id): from there on
// ICE, DTLS and SRTP run exactly as over UDP, and Send() to such an address frames the
// datagram onto that connection. A client whose UDP is blocked reaches the server this way.
//
// Connection ids are handed out from `first_id` upward and never reused while the counter
// lasts, so a route to a closed connection can never reach a newer one.
//
// Protection against idle or hostile connections (each holds ~12 KB of buffers):
//  * the first frame must be a STUN message (the active side opens the connection to send its
//    connectivity check, RFC 6544 §7.1), otherwise the connection is closed;
//  * a connection no ICE check has validated (MarkValidated) within `unvalidated_timeout`,
//    and one that receives nothing for `idle_timeout` (consent checks arrive every ~5 s,
//    RFC 7675 §5.1), are closed;
//  * at most `max_connections` at once; more are refused;
//  * a peer that reads slower than we send loses frames past `max_write_backlog` (counted),
//    as a congested UDP path would, instead of growing memory.
//
// Single-threaded: everything runs on the io_context's thread. Sending allocates nothing once
// a connection's buffers have grown to its traffic.
class IceTcpServer {
 public:
  struct Options {
    uint32_t first_id = 256;
    size_t max_connections = 1024;
    Duration unvalidated_timeout = std::chrono::seconds(10);
    Duration idle_timeout = std::chrono::seconds(30);
    size_t max_write_backlog = 256 * 1024;
  };

  struct Counters {
    uint64_t accepted = 0;
    uint64_t refused = 0;           // over max_connections
    uint64_t closed_not_stun = 0;   // first frame was not STUN
    uint64_t closed_unvalidated = 0;
    uint64_t closed_idle = 0;
    uint64_t closed_by_peer = 0;    // EOF or a socket error
    uint64_t frames_received = 0;
    uint64_t bytes_received = 0;
    uint64_t frames_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t oversized_drops = 0;   // received frames longer than kMaxDatagramSize, skipped
    uint64_t send_drops = 0;        // backlog full, or no such connection
  };

  // `receiver` and `clock` must outlive the server.
  IceTcpServer(boost::asio::io_context& io, UdpSocket::Receiver& receiver, const Clock& clock,
               Options options);
  ~IceTcpServer();
  IceTcpServer(const IceTcpServer&) = delete;
  IceTcpServer& operator=(const IceTcpServer&) = delete;

  // Binds a listener to `local` (port 0 = ephemeral); returns the bound address. Before Start().
  absl::StatusOr<SocketAddress> Listen(const SocketAddress& local);
  void Start();
  // Closes the listeners and every connection. Idempotent.
  void Close();

  // Frames `data` onto the connection `to.local_id()` names (its write happens at Flush()).
  // False, counted, when the connection is gone or its backlog is full.
  bool Send(std::span<const uint8_t> data, const SocketAddress& to);
  // Starts writing every connection with queued frames (one write per connection for all its
  // frames). Call at the end of each event, like UdpSocket::Flush().
  void Flush();
  // An ICE check from `remote` was valid: the connection is no longer subject to
  // unvalidated_timeout.
  void MarkValidated(const SocketAddress& remote);
  // Closes the connection once its queued frames are written (e.g. the transport it served is
  // gone). Unknown ids are ignored.
  void CloseConnection(const SocketAddress& remote);
  // Applies the timeouts. Call periodically (the worker's tick).
  void OnTimer(Timestamp now);

  bool owns(uint32_t local_id) const { return local_id >= options_.first_id; }
  size_t connection_count() const { return connections_.size(); }
  const std::vector<SocketAddress>& listen_addresses() const { return listen_addresses_; }
  const Counters& counters() const { return counters_; }

 private:
  class Connection;
  struct Listener {
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
    std::shared_ptr<HandlerMemory> memory = std::make_shared<HandlerMemory>();
  };
  void Accept(Listener& listener);
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  void OnFrame(Connection& connection, std::span<uint8_t> frame);
  void Remove(uint32_t id);
  uint32_t NextId();

  boost::asio::io_context& io_;
  UdpSocket::Receiver& receiver_;
  const Clock& clock_;
  const Options options_;
  std::vector<Listener> listeners_;
  std::vector<SocketAddress> listen_addresses_;
  absl::flat_hash_map<uint32_t, std::shared_ptr<Connection>> connections_;
  std::vector<uint32_t> dirty_;  // connections with frames queued since the last Flush()
  uint32_t next_id_;
  bool closed_ = false;
  Counters counters_;
  friend class Connection;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_ICE_TCP_SERVER_H_
