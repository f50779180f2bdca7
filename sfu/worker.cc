#include "sfu/worker.h"

#include <algorithm>
#include <future>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"

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
      {host}, std::span<uint8_t>(worker->scratch_), nullptr});
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

void Worker::SetRoomObserver(RoomObserver* observer) {
  if (!running_.load()) {
    context_->room_observer = observer;
    return;
  }
  Post([this, observer] { context_->room_observer = observer; });
}

void Worker::ScheduleTimer() {
  timer_.expires_after(options_.timer_interval);
  timer_due_ = clock_.Now() + options_.timer_interval;
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    event_loop_lag_ = std::max(transport::Duration(0), clock_.Now() - timer_due_);
    event_loop_lag_max_ = std::max(event_loop_lag_max_, event_loop_lag_);
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
  if (it != rooms_.end() && it->second->empty()) {
    closed_rooms_.AddTotals(it->second->CollectCounters());
    rooms_.erase(it);
  }
}

Worker::Stats Worker::CollectStats() const {
  Stats stats;
  stats.rooms = rooms_.size();
  stats.media = closed_rooms_;
  for (const auto& [name, room] : rooms_) {
    stats.participants += room->participant_count();
    const Room::Counters c = room->CollectCounters();
    stats.media.audio_tracks += c.audio_tracks;
    stats.media.video_tracks += c.video_tracks;
    stats.media.consumers += c.consumers;
    stats.media.AddTotals(c);
  }
  stats.event_loop_lag = event_loop_lag_;
  stats.event_loop_lag_max = event_loop_lag_max_;
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
  router_.RegisterUfrag(ufrag, t);
}

void Worker::UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  router_.UnregisterUfrag(ufrag, t);
}

void Worker::RouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  router_.RouteAddress(address, t);
}

void Worker::UnrouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  router_.UnrouteAddress(address, t);
}

void Worker::OnDatagram(std::span<uint8_t> data, const SocketAddress& from,
                        transport::Timestamp arrival) {
  router_.Deliver(data, from, arrival);
}

}  // namespace switchyard::sfu
