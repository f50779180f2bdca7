#include "transport/ice_tcp_server.h"

#include <netinet/tcp.h>

#include <cstring>
#include <utility>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "transport/packet_demux.h"
#include "transport/rfc4571_framer.h"

namespace switchyard::transport {

namespace {

boost::asio::ip::tcp::endpoint ToEndpoint(const SocketAddress& address) {
  sockaddr_storage storage;
  const socklen_t length = address.ToSockaddr(storage);
  boost::asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), &storage, length);
  endpoint.resize(length);
  return endpoint;
}

std::optional<SocketAddress> FromEndpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  return SocketAddress::FromSockaddr(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
}

}  // namespace

// One accepted connection. Shared with its outstanding read and write operations, so closing
// it from inside a handler (or the server going away) never frees what an operation in the
// io_context's queue still refers to.
class IceTcpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(IceTcpServer& server, boost::asio::ip::tcp::socket socket, uint32_t id,
             SocketAddress remote, Timestamp now)
      : server_(&server),
        socket_(std::move(socket)),
        id_(id),
        remote_(remote.WithLocalId(id)),
        accepted_(now),
        last_received_(now) {}

  uint32_t id() const { return id_; }
  const SocketAddress& remote() const { return remote_; }
  bool validated() const { return validated_; }
  void set_validated() { validated_ = true; }
  Timestamp accepted() const { return accepted_; }
  Timestamp last_received() const { return last_received_; }
  bool writing() const { return writing_; }
  bool has_backlog() const { return !backlog_.empty(); }

  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(
        boost::asio::buffer(reader_.WritableSpace().data(), reader_.WritableSpace().size()),
        WithMemory(read_memory_, [self](const boost::system::error_code& ec, size_t n) {
          self->OnRead(ec, n);
        }));
  }

  bool Queue(std::span<const uint8_t> data, size_t max_backlog) {
    return AppendRfc4571Frame(data, max_backlog, backlog_);
  }

  // Writes everything queued in one operation; frames queued meanwhile wait for the next.
  void Write() {
    if (writing_ || backlog_.empty() || server_ == nullptr) return;
    writing_ = true;
    in_flight_.swap(backlog_);
    backlog_.clear();
    auto self = shared_from_this();
    boost::asio::async_write(
        socket_, boost::asio::buffer(in_flight_),
        WithMemory(write_memory_, [self](const boost::system::error_code& ec, size_t n) {
          self->OnWritten(ec, n);
        }));
  }

  // Closes once the queued frames are out.
  void CloseAfterWrites() {
    close_after_writes_ = true;
    if (!writing_ && backlog_.empty()) Shutdown();
  }

  // Detaches from the server and closes the socket; pending operations complete with
  // operation_aborted and find server_ null.
  void Shutdown() {
    server_ = nullptr;
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void OnRead(const boost::system::error_code& ec, size_t n) {
    IceTcpServer* const server = server_;
    if (server == nullptr) return;
    if (ec) {
      ++server->counters_.closed_by_peer;
      server->Remove(id_);
      return;
    }
    last_received_ = server->clock_.Now();
    server->counters_.bytes_received += n;
    const uint64_t oversized_before = reader_.oversized_frames();
    reader_.Commit(n, [this](std::span<uint8_t> frame) {
      if (server_ != nullptr) server_->OnFrame(*this, frame);
    });
    server->counters_.oversized_drops += reader_.oversized_frames() - oversized_before;
    if (server_ != nullptr) Read();  // else a frame closed it
    // Whatever the frames made the receiver send (replies here, fan-out elsewhere) leaves now.
    server->receiver_.OnBatchEnd();
  }

  void OnWritten(const boost::system::error_code& ec, size_t n) {
    writing_ = false;
    in_flight_.clear();
    if (server_ == nullptr) return;
    if (ec) {
      ++server_->counters_.closed_by_peer;
      server_->Remove(id_);
      return;
    }
    server_->counters_.bytes_sent += n;
    if (!backlog_.empty()) {
      Write();
    } else if (close_after_writes_) {
      IceTcpServer* server = server_;
      server->Remove(id_);
    }
  }

  IceTcpServer* server_;  // null once closed
  boost::asio::ip::tcp::socket socket_;
  const uint32_t id_;
  const SocketAddress remote_;
  const Timestamp accepted_;
  Timestamp last_received_;
  bool validated_ = false;
  bool first_frame_seen_ = false;
  bool writing_ = false;
  bool close_after_writes_ = false;
  Rfc4571Reader reader_{UdpSocket::kMaxDatagramSize};
  std::vector<uint8_t> backlog_;
  std::vector<uint8_t> in_flight_;
  std::shared_ptr<HandlerMemory> read_memory_ = std::make_shared<HandlerMemory>();
  std::shared_ptr<HandlerMemory> write_memory_ = std::make_shared<HandlerMemory>();
  friend class IceTcpServer;
};

IceTcpServer::IceTcpServer(boost::asio::io_context& io, UdpSocket::Receiver& receiver,
                           const Clock& clock, Options options)
    : io_(io), receiver_(receiver), clock_(clock), options_(options), next_id_(options.first_id) {}

IceTcpServer::~IceTcpServer() { Close(); }

absl::StatusOr<SocketAddress> IceTcpServer::Listen(const SocketAddress& local) {
  Listener listener;
  listener.acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(io_);
  boost::system::error_code ec;
  const auto endpoint = ToEndpoint(local);
  listener.acceptor->open(endpoint.protocol(), ec);
  if (!ec && local.is_ipv6()) {
    // Families stay apart: an IPv4 listener on the same port handles IPv4.
    listener.acceptor->set_option(boost::asio::ip::v6_only(true), ec);
  }
  if (!ec) listener.acceptor->set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) listener.acceptor->bind(endpoint, ec);
  if (!ec) listener.acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("ICE-TCP listen on ", local.ToString(), ": ", ec.message()));
  }
  auto bound = FromEndpoint(listener.acceptor->local_endpoint(ec));
  if (ec || !bound) return absl::InternalError("ICE-TCP listener has no local address");
  listeners_.push_back(std::move(listener));
  listen_addresses_.push_back(*bound);
  return *bound;
}

void IceTcpServer::Start() {
  for (Listener& listener : listeners_) Accept(listener);
}

void IceTcpServer::Accept(Listener& listener) {
  listener.acceptor->async_accept(WithMemory(
      listener.memory, [this, &listener](const boost::system::error_code& ec,
                                         boost::asio::ip::tcp::socket socket) {
        if (closed_ || ec == boost::asio::error::operation_aborted) return;
        if (!ec) OnAccepted(std::move(socket));
        Accept(listener);
      }));
}

void IceTcpServer::OnAccepted(boost::asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  if (connections_.size() >= options_.max_connections) {
    ++counters_.refused;
    socket.close(ec);
    return;
  }
  const auto remote = FromEndpoint(socket.remote_endpoint(ec));
  if (ec || !remote) {
    socket.close(ec);
    return;
  }
  // Media frames must not wait for Nagle's algorithm to fill a segment.
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  socket.non_blocking(true, ec);
  const uint32_t id = NextId();
  auto connection =
      std::make_shared<Connection>(*this, std::move(socket), id, *remote, clock_.Now());
  connections_[id] = connection;
  ++counters_.accepted;
  connection->Read();
}

uint32_t IceTcpServer::NextId() {
  // Skip ids still in use after a wrap (practically never: 4 billion connections).
  while (connections_.contains(next_id_) || next_id_ < options_.first_id) {
    next_id_ = next_id_ + 1 < options_.first_id ? options_.first_id : next_id_ + 1;
  }
  return next_id_++;
}

void IceTcpServer::OnFrame(Connection& connection, std::span<uint8_t> frame) {
  if (!connection.first_frame_seen_) {
    connection.first_frame_seen_ = true;
    if (ClassifyPacket(frame) != PacketClass::kStun) {
      ++counters_.closed_not_stun;
      Remove(connection.id());
      return;
    }
  }
  ++counters_.frames_received;
  receiver_.OnDatagram(frame, connection.remote(), clock_.Now());
}

bool IceTcpServer::Send(std::span<const uint8_t> data, const SocketAddress& to) {
  auto it = connections_.find(to.local_id());
  if (it == connections_.end() || it->second->close_after_writes_ ||
      !it->second->Queue(data, options_.max_write_backlog)) {
    ++counters_.send_drops;
    return false;
  }
  ++counters_.frames_sent;
  Connection& connection = *it->second;
  if (!connection.writing() && connection.backlog_.size() == kRfc4571HeaderSize + data.size()) {
    dirty_.push_back(connection.id());  // first frame since its last write started
  }
  return true;
}

void IceTcpServer::Flush() {
  for (uint32_t id : dirty_) {
    auto it = connections_.find(id);
    if (it != connections_.end()) it->second->Write();
  }
  dirty_.clear();
}

void IceTcpServer::MarkValidated(const SocketAddress& remote) {
  auto it = connections_.find(remote.local_id());
  if (it != connections_.end()) it->second->set_validated();
}

void IceTcpServer::CloseConnection(const SocketAddress& remote) {
  auto it = connections_.find(remote.local_id());
  if (it == connections_.end()) return;
  it->second->Write();
  it->second->CloseAfterWrites();
  if (it->second->server_ == nullptr) connections_.erase(it);
}

void IceTcpServer::OnTimer(Timestamp now) {
  std::vector<uint32_t> expired;
  for (const auto& [id, connection] : connections_) {
    if (!connection->validated() && now - connection->accepted() >= options_.unvalidated_timeout) {
      ++counters_.closed_unvalidated;
      expired.push_back(id);
    } else if (now - connection->last_received() >= options_.idle_timeout) {
      ++counters_.closed_idle;
      expired.push_back(id);
    }
  }
  for (uint32_t id : expired) Remove(id);
}

void IceTcpServer::Remove(uint32_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second->Shutdown();
  connections_.erase(it);
}

void IceTcpServer::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  for (Listener& listener : listeners_) listener.acceptor->close(ignored);
  for (auto& [id, connection] : connections_) connection->Shutdown();
  connections_.clear();
  dirty_.clear();
}

}  // namespace switchyard::transport
