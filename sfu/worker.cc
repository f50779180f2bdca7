#include "sfu/worker.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <future>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "rtc/rtp_header_extensions.h"

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
  auto candidates = worker->BindSockets();
  if (!candidates.ok()) return candidates.status();

  Worker* w = worker.get();
  worker->context_ = std::make_unique<WorkerContext>(WorkerContext{
      clock, certificate, *worker->dtls_context_, *worker, worker->ntp_,
      [w](std::function<void()> task) { w->Post(std::move(task)); },
      std::move(*candidates), std::span<uint8_t>(worker->scratch_), nullptr});
  return worker;
}

absl::StatusOr<std::vector<rtc::Candidate>> Worker::BindSockets() {
  std::vector<ListenAddress> listen;
  listen.push_back(ListenAddress{options_.rtc_address, options_.announced_ip});
  listen.insert(listen.end(), options_.extra_addresses.begin(), options_.extra_addresses.end());
  if (listen.size() > kMaxListenAddresses) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxListenAddresses, " rtc addresses per worker"));
  }
  const bool ephemeral = options_.rtc_address.port() == 0;
  // Binds `address` on `port`; with an ephemeral configuration a taken port falls back to any.
  auto bind_udp = [&](const SocketAddress& address, uint16_t port)
      -> absl::StatusOr<std::unique_ptr<transport::UdpSocket>> {
    auto socket = transport::UdpSocket::Bind(io_, address.WithPort(port), *this, clock_);
    if (!socket.ok() && ephemeral && port != 0) {
      socket = transport::UdpSocket::Bind(io_, address.WithPort(0), *this, clock_);
    }
    return socket;
  };
  uint16_t port = options_.rtc_address.port();
  for (size_t i = 0; i < listen.size(); ++i) {
    auto socket = bind_udp(listen[i].address, port);
    if (!socket.ok()) return socket.status();
    (*socket)->set_local_id(static_cast<uint32_t>(i));
    if (i == 0) port = (*socket)->local_address().port();
    listen[i].address = (*socket)->local_address();
    sockets_.push_back(std::move(*socket));
  }
  std::vector<uint16_t> tcp_ports;
  if (options_.ice_tcp) {
    transport::IceTcpServer::Options tcp_options;
    tcp_options.first_id = kFirstTcpLocalId;
    tcp_ = std::make_unique<transport::IceTcpServer>(io_, *this, clock_, tcp_options);
    const uint16_t tcp_port = options_.ice_tcp_port != 0 ? options_.ice_tcp_port : port;
    const bool tcp_ephemeral = options_.ice_tcp_port == 0 && ephemeral;
    for (const ListenAddress& entry : listen) {
      auto bound = tcp_->Listen(entry.address.WithPort(tcp_port));
      if (!bound.ok() && tcp_ephemeral) bound = tcp_->Listen(entry.address.WithPort(0));
      if (!bound.ok()) return bound.status();
      tcp_ports.push_back(bound->port());
    }
  }
  listen_ = listen;
  return HostCandidates(listen, tcp_ports);
}

std::vector<SocketAddress> Worker::local_addresses() const {
  std::vector<SocketAddress> out;
  for (const auto& socket : sockets_) out.push_back(socket->local_address());
  return out;
}

std::vector<SocketAddress> Worker::tcp_addresses() const {
  return tcp_ ? tcp_->listen_addresses() : std::vector<SocketAddress>{};
}

void Worker::FlushSends() {
  for (const auto& socket : sockets_) socket->Flush();
  if (tcp_) tcp_->Flush();
  if (turn_wake_needed_) {
    turn_wake_needed_ = false;
    to_turn_->WakeIfNeeded();
  }
}

std::vector<rtc::Candidate> HostCandidates(const std::vector<ListenAddress>& bound,
                                           const std::vector<uint16_t>& tcp_ports) {
  std::vector<rtc::Candidate> out;
  for (size_t i = 0; i < bound.size(); ++i) {
    const std::string ip =
        bound[i].announced_ip.empty() ? bound[i].address.IpString() : bound[i].announced_ip;
    // RFC 8445 §5.1.1.3: one foundation per type, base address and transport.
    rtc::Candidate udp;
    udp.foundation = absl::StrCat("udp", i);
    udp.component = 1;
    udp.transport = "udp";
    udp.priority = (126u << 24) | ((65535u - static_cast<uint32_t>(i)) << 8) | (256u - 1u);
    udp.address = ip;
    udp.port = bound[i].address.port();
    udp.type = "host";
    out.push_back(udp);
    if (i < tcp_ports.size()) {
      rtc::Candidate tcp = udp;
      tcp.foundation = absl::StrCat("tcp", i);
      tcp.transport = "tcp";
      const uint32_t local_preference = (4u << 13) | (8191u - static_cast<uint32_t>(i));
      tcp.priority = (90u << 24) | (local_preference << 8) | (256u - 1u);
      tcp.port = tcp_ports[i];
      tcp.tcp_type = "passive";
      out.push_back(tcp);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const rtc::Candidate& a, const rtc::Candidate& b) {
    return a.priority > b.priority;
  });
  return out;
}

Worker::~Worker() { Stop(); }

void Worker::AttachMesh(WorkerMesh* mesh, std::vector<Worker*> peers) {
  if (mesh == nullptr || mesh->size() < 2) return;
  mesh_ = mesh;
  peers_ = std::move(peers);
  context_->link = this;
}

void Worker::AttachTurnQueues(transport::DatagramQueue* from_turn,
                              transport::DatagramQueue* to_turn) {
  from_turn_ = from_turn;
  to_turn_ = to_turn;
}

void Worker::Start() {
  if (running_.exchange(true)) return;
  for (const auto& socket : sockets_) socket->Start();
  if (tcp_) tcp_->Start();
  if (from_turn_ != nullptr) {
    turn_wake_ = std::make_unique<transport::EventfdWaiter>(io_, from_turn_->wake_fd(),
                                                             [this] { DrainTurn(); });
    turn_wake_->Start();
  }
  if (mesh_ != nullptr) {
    // The descriptor object closes what it holds: give it its own copy of the mesh's eventfd.
    wake_ = std::make_unique<transport::EventfdWaiter>(
        io_, mesh_->wake_fd(static_cast<size_t>(index_)), [this] { DrainRelays(); });
    wake_->Start();
  }
  ScheduleTimer();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::Stop() {
  if (!running_.exchange(false)) return;
  std::promise<void> done;
  Post([this, &done] {
    rooms_.clear();
    timer_.cancel();
    if (wake_) wake_->Close();
    if (turn_wake_) turn_wake_->Close();
    for (const auto& socket : sockets_) socket->Close();
    if (tcp_) tcp_->Close();
    work_guard_.reset();
    stopped_ = true;
    done.set_value();
  });
  done.get_future().wait();
  // Cancelled waits still queued are destroyed with io_; their HandlerMemory is shared with
  // them, so that is safe.
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Worker::Post(std::function<void()> task) {
  // Whatever the task queued for sending leaves at its end (see UdpSocket::QueueSend).
  boost::asio::post(io_, [this, task = std::move(task)] {
    // Tasks other workers post after the shutdown (their rooms' leaves) find nothing to do.
    if (stopped_) return;
    task();
    FlushSends();
  });
}

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
    Tick();
    ScheduleTimer();
  });
}

void Worker::Tick() {
  std::vector<std::string> empty;
  for (auto& [name, room] : rooms_) {
    room->OnTimer();
    if (room->empty()) empty.push_back(name);
  }
  for (const auto& name : empty) RemoveRoomIfEmpty(name);
  UpdateLoad();
  if (tcp_) tcp_->OnTimer(clock_.Now());
  FlushSends();
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
  for (const auto& socket : sockets_) {
    const transport::UdpSocket::Counters& c = socket->counters();
    stats.socket.datagrams_received += c.datagrams_received;
    stats.socket.bytes_received += c.bytes_received;
    stats.socket.datagrams_sent += c.datagrams_sent;
    stats.socket.bytes_sent += c.bytes_sent;
    stats.socket.truncated_drops += c.truncated_drops;
    stats.socket.send_drops += c.send_drops;
  }
  if (tcp_) {
    stats.ice_tcp = tcp_->counters();
    stats.ice_tcp_connections = tcp_->connection_count();
  }
  stats.packets_relayed_out = packets_relayed_out_;
  stats.packets_relayed_in = packets_relayed_in_;
  stats.mirrored_producers = mirrors_.size();
  stats.ice_path_switches = path_switches_;
  stats.ice_restarts = ice_restarts_;
  stats.ice_restarts_completed = ice_restarts_completed_;
  stats.turn_in_process_in = turn_in_;
  stats.turn_in_process_out = turn_out_;
  stats.turn_in_process_drops = turn_drops_;
  for (size_t i = 0; i < stats.drops.size(); ++i) {
    stats.drops[i] = drops_.Get(static_cast<DropReason>(i));
  }
  return stats;
}

bool Worker::SendDatagram(std::span<const uint8_t> data, const SocketAddress& to) {
  // Batched: every event that can get here (a receive batch, a relay drain, the timer, a
  // posted task) ends with a Flush, so one sendmmsg(2) carries a whole fan-out.
  const uint32_t id = to.local_id();
  if (id < sockets_.size()) [[likely]] return sockets_[id]->QueueSend(data, to);
  if (id >= kInProcessTurnLocalId && id < kInProcessTurnLocalId + sockets_.size() &&
      to_turn_ != nullptr) {
    // To one of the embedded TURN server's relays, from the socket it addressed.
    const SocketAddress& from = sockets_[id - kInProcessTurnLocalId]->local_address();
    if (!to_turn_->Push(data, from, to.WithoutLocalId())) {
      ++turn_drops_;
      return false;
    }
    ++turn_out_;
    turn_wake_needed_ = true;
    return true;
  }
  return tcp_ != nullptr && tcp_->Send(data, to);
}

void Worker::RegisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  router_.RegisterUfrag(ufrag, t);
}

void Worker::UnregisterUfrag(const std::string& ufrag, WebRtcTransport* t) {
  router_.UnregisterUfrag(ufrag, t);
}

void Worker::RouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  router_.RouteAddress(address, t);
  if (tcp_ && tcp_->owns(address.local_id())) tcp_->MarkValidated(address);
}

void Worker::UnrouteAddress(const SocketAddress& address, WebRtcTransport* t) {
  router_.UnrouteAddress(address, t);
  // The transport the connection served is gone: nothing else will use it.
  if (tcp_ && tcp_->owns(address.local_id())) tcp_->CloseConnection(address);
}

void Worker::OnDatagram(std::span<uint8_t> data, const SocketAddress& from,
                        transport::Timestamp arrival) {
  router_.Deliver(data, from, arrival);
}

}  // namespace switchyard::sfu

namespace switchyard::sfu {

void Worker::UpdateLoad() {
  size_t participants = 0;
  for (const auto& [name, room] : rooms_) participants += room->participant_count();
  participant_load_.store(participants, std::memory_order_relaxed);
}

void Worker::PostToPeers(const std::string& room, bool create, std::function<void(Room&)> task) {
  // One shared copy of the task for all peers: it only reads its captures.
  auto shared = std::make_shared<std::function<void(Room&)>>(std::move(task));
  for (Worker* peer : peers_) {
    if (peer == this) continue;
    peer->Post([peer, room, create, shared] {
      Room* shard = create ? &peer->GetOrCreateRoom(room) : peer->FindRoom(room);
      if (shard == nullptr) return;
      (*shared)(*shard);
      peer->RemoveRoomIfEmpty(room);
    });
  }
}

void Worker::PostToShard(int worker, const std::string& room, std::function<void(Room&)> task) {
  if (worker < 0 || worker >= static_cast<int>(peers_.size())) return;
  Worker* peer = peers_[worker];
  peer->Post([peer, room, task = std::move(task)] {
    if (Room* shard = peer->FindRoom(room)) task(*shard);
  });
}

uint64_t Worker::NewProducerId() {
  // Worker index in the top byte: ids from different workers never collide, and 0 stays
  // "never relayed".
  return (static_cast<uint64_t>(index_ + 1) << 56) | next_producer_id_++;
}

void Worker::RegisterMirror(uint64_t producer_id, Producer& mirror, Room& room,
                            uint64_t member_key) {
  MirrorEntry entry{&mirror, &room, member_key, 0};
  if (mirror.kind() == rtc::MediaKind::kAudio) entry.audio_level_id = mirror.params().audio_level_id;
  mirrors_[producer_id] = entry;
}

void Worker::UnregisterMirror(uint64_t producer_id) { mirrors_.erase(producer_id); }

void Worker::Relay(uint64_t producer_id, uint64_t workers, int encoding,
                   const rtc::RtpPacketView& packet, bool retransmission) {
  PacketPool& pool = mesh_->pool(static_cast<size_t>(index_));
  const std::span<const uint8_t> bytes = packet.data();
  if (bytes.size() > PacketPool::kMaxPacketSize) {
    drops_.Count(DropReason::kRelayPoolExhausted);
    return;
  }
  const PacketHandle handle = pool.Acquire();
  if (!handle.valid()) {
    drops_.Count(DropReason::kRelayPoolExhausted);
    return;
  }
  std::memcpy(pool.data(handle).data(), bytes.data(), bytes.size());
  // Our reference travels with the first copy: one reference per receiving worker.
  const int copies = std::popcount(workers);
  if (copies > 1) pool.Share(handle, static_cast<uint32_t>(copies - 1));
  const RelayedPacket entry{producer_id, handle, static_cast<uint16_t>(bytes.size()),
                            static_cast<uint8_t>(encoding),
                            static_cast<uint8_t>(retransmission ? 1 : 0)};
  for (uint64_t rest = workers; rest != 0; rest &= rest - 1) {
    const auto to = static_cast<size_t>(std::countr_zero(rest));
    if (to >= mesh_->size() || to == static_cast<size_t>(index_) ||
        !mesh_->ring(static_cast<size_t>(index_), to).TryPush(entry)) {
      pool.Release(handle);  // that worker's reference, never handed over
      drops_.Count(DropReason::kRelayRingFull);
      continue;
    }
    ++packets_relayed_out_;
    if (mesh_->MarkPending(to)) mesh_->Wake(to);
  }
}

void Worker::RelaySenderReport(uint64_t producer_id, uint64_t workers, int encoding,
                               uint64_t ntp, uint32_t rtp_timestamp) {
  for (uint64_t rest = workers; rest != 0; rest &= rest - 1) {
    const auto to = static_cast<size_t>(std::countr_zero(rest));
    if (to >= peers_.size() || to == static_cast<size_t>(index_)) continue;
    Worker* peer = peers_[to];
    peer->Post([peer, producer_id, encoding, ntp, rtp_timestamp] {
      auto it = peer->mirrors_.find(producer_id);
      if (it != peer->mirrors_.end()) {
        it->second.producer->OnRelayedSenderReport(encoding, ntp, rtp_timestamp);
      }
    });
  }
}

void Worker::DrainTurn() {
  const transport::Timestamp now = clock_.Now();
  // Bounded like the relay drain: what is left re-arms the wakeup (DatagramQueue::Drain).
  turn_in_ += from_turn_->Drain(
      transport::DatagramQueue::kCapacity,
      [this, now](std::span<uint8_t> data, const SocketAddress& from, const SocketAddress& to) {
        // Which of our sockets the relay addressed: replies leave "from" it (SendDatagram).
        uint32_t socket = 0;
        for (uint32_t i = 0; i < sockets_.size(); ++i) {
          if (sockets_[i]->local_address() == to) socket = i;
        }
        router_.Deliver(data, from.WithLocalId(kInProcessTurnLocalId + socket), now);
      });
  FlushSends();
}

void Worker::DrainRelays() {
  const auto self = static_cast<size_t>(index_);
  mesh_->ClearPending(self);
  // Bounded per wakeup so one busy sender cannot starve this worker's own socket and timers;
  // whatever is left re-arms the wakeup below.
  constexpr size_t kMaxPerSender = WorkerMesh::kRingCapacity;
  std::array<RelayedPacket, 64> batch;
  bool left_over = false;
  for (size_t from = 0; from < mesh_->size(); ++from) {
    if (from == self) continue;
    WorkerMesh::Ring& ring = mesh_->ring(from, self);
    PacketPool& pool = mesh_->pool(from);
    size_t drained = 0;
    while (drained < kMaxPerSender) {
      const size_t n = ring.PopBatch(batch);
      if (n == 0) break;
      for (size_t i = 0; i < n; ++i) {
        DeliverRelayed(batch[i], pool);
        pool.ReleaseRemote(batch[i].handle, self);
      }
      drained += n;
    }
    if (drained >= kMaxPerSender && !ring.empty_approx()) left_over = true;
  }
  if (left_over && mesh_->MarkPending(self)) mesh_->Wake(self);
  FlushSends();
}

void Worker::DeliverRelayed(const RelayedPacket& entry, PacketPool& pool) {
  ++packets_relayed_in_;
  auto it = mirrors_.find(entry.producer_id);
  if (it == mirrors_.end()) {
    // Removed here while the packet was in flight (a leave or unpublish raced it).
    drops_.Count(DropReason::kRelayUnknownProducer);
    return;
  }
  const MirrorEntry& mirror = it->second;
  const auto packet = rtc::RtpPacketView::Parse(
      std::span<const uint8_t>(pool.data(entry.handle).data(), entry.length));
  if (!packet || entry.encoding >= mirror.producer->encoding_count()) {
    drops_.Count(DropReason::kMalformedRtp);  // cannot happen: the sender parsed it
    return;
  }
  if (mirror.audio_level_id != 0) {
    if (auto level = rtc::ParseAudioLevel(packet->FindExtension(mirror.audio_level_id))) {
      mirror.room->OnRemoteAudioLevel(mirror.member_key, level->level, level->voice_activity);
    }
  }
  mirror.producer->OnRtp(entry.encoding, *packet, entry.retransmission != 0, context_->scratch);
}

}  // namespace switchyard::sfu
