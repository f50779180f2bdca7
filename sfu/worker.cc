#include "sfu/worker.h"

#include <future>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "transport/packet_demux.h"
#include "transport/stun_message.h"

namespace switchyard::sfu {

using transport::SocketAddress;

Worker::Worker(int index, const WorkerOptions& options, const transport::Clock& clock,
               const transport::Certificate& certificate)
    : index_(index),
      options_(options),
      clock_(clock),
      certificate_(certificate),
      ntp_(clock),
      work_guard_(boost::asio::make_work_guard(io_)),
      timer_(io_) {}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(int index, const WorkerOptions& options,
                                                       const transport::Clock& clock,
                                                       const transport::Certificate& certificate) {
  std::unique_ptr<Worker> worker(new Worker(index, options, clock, certificate));
  auto dtls_context = transport::DtlsContext::Create(certificate);
  if (!dtls_context.ok()) return dtls_context.status();
  worker->dtls_context_ = std::move(*dtls_context);
  auto socket = transport::UdpSocket::Bind(worker->io_, options.rtc_address, *worker, clock);
  if (!socket.ok()) return socket.status();
  worker->socket_ = std::move(*socket);

  rtc::Candidate host;
  host.foundation = absl::StrCat(index + 1);
  host.component = 1;
  host.transport = "udp";
  // RFC 8445 §5.1.2.1 recommended formula for a host candidate: type preference 126, local
  // preference 65535, component 1.
  host.priority = (126u << 24) | (65535u << 8) | (256u - 1u);
  host.address = options.announced_ip.empty() ? worker->socket_->local_address().IpString()
                                              : options.announced_ip;
  host.port = worker->socket_->local_address().port();
  host.type = "host";

  Worker* w = worker.get();
  worker->context_ = std::make_unique<WorkerContext>(WorkerContext{
      clock, certificate, *worker->dtls_context_, *worker, worker->ntp_,
      [w](std::function<void()> task) { boost::asio::post(w->io_, std::move(task)); },
      {host}, std::span<uint8_t>(worker->scratch_)});
  return worker;
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  if (running_.exchange(true)) return;
  socket_->Start();
  ScheduleTimer();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::Stop() {
  if (!running_.exchange(false)) return;
  std::promise<void> done;
  Post([this, &done] {
    rooms_.clear();
    timer_.cancel();
    socket_->Close();
    work_guard_.reset();
    done.set_value();
  });
  done.get_future().wait();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Worker::Post(std::function<void()> task) { boost::asio::post(io_, std::move(task)); }

void Worker::ScheduleTimer() {
  timer_.expires_after(options_.timer_interval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::vector<std::string> empty;
    for (auto& [name, room] : rooms_) {
      room->OnTimer();
      if (room->empty()) empty.push_back(name);
    }
    for (const auto& name : empty) RemoveRoomIfEmpty(name);
    ScheduleTimer();
  });
}

Room& Worker::GetOrCreateRoom(const std::string& name) {
  auto& room = rooms_[name];
  if (!room) room = std::make_unique<Room>(*context_, name);
  return *room;
}

Room* Worker::FindRoom(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

void Worker::RemoveRoomIfEmpty(const std::string& name) {
  auto it = rooms_.find(name);
  if (it != rooms_.end() && it->second->empty()) rooms_.erase(it);
}

Worker::Stats Worker::CollectStats() const {
  Stats stats;
  stats.rooms = rooms_.size();
  for (const auto& [name, room] : rooms_) stats.participants += room->participant_count();
  stats.socket = socket_->counters();
  for (size_t i = 0; i < stats.drops.size(); ++i) {
    stats.drops[i] = drops_.Get(static_cast<DropReason>(i));
  }
  return stats;
}

bool Worker::SendDatagram(std::span<const uint8_t> data, const SocketAddress& to) {
  return socket_->Send(data, to);
}

void Worker::RegisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  transports_by_ufrag_[ufrag] = t;
}

void Worker::UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  auto it = transports_by_ufrag_.find(ufrag);
  if (it != transports_by_ufrag_.end() && it->second == t) transports_by_ufrag_.erase(it);
}

void Worker::RouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  transports_by_address_[address] = t;
}

void Worker::UnrouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  auto it = transports_by_address_.find(address);
  if (it != transports_by_address_.end() && it->second == t) transports_by_address_.erase(it);
}

void Worker::OnDatagram(std::span<uint8_t> data, const SocketAddress& from,
                        transport::Timestamp arrival) {
  switch (transport::ClassifyPacket(data)) {
    case transport::PacketClass::kStun:
      OnStunDatagram(data, from);
      return;
    case transport::PacketClass::kDtls: {
      auto it = transports_by_address_.find(from);
      if (it == transports_by_address_.end()) {
        drops_.Count(DropReason::kUnknownRemoteAddress);
        return;
      }
      it->second->OnDtls(data, from);
      return;
    }
    case transport::PacketClass::kRtpOrRtcp: {
      auto it = transports_by_address_.find(from);
      if (it == transports_by_address_.end()) {
        drops_.Count(DropReason::kUnknownRemoteAddress);
        return;
      }
      it->second->OnSrtp(data, from, arrival);
      return;
    }
    case transport::PacketClass::kUnknown:
      drops_.Count(DropReason::kUnknownPacketClass);
      return;
  }
}

void Worker::OnStunDatagram(std::span<const uint8_t> data, const SocketAddress& from) {
  auto message = transport::StunMessage::Parse(data);
  if (!message.ok()) {
    drops_.Count(DropReason::kMalformedStun);
    return;
  }
  const auto ufrag = transport::LocalUfragFromUsername(message->username().value_or(""));
  auto it = transports_by_ufrag_.find(absl::string_view(ufrag.data(), ufrag.size()));
  if (it == transports_by_ufrag_.end()) {
    drops_.Count(DropReason::kStunUnknownUfrag);
    return;
  }
  it->second->OnStun(*message, from);
}

}  // namespace switchyard::sfu
