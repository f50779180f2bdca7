#include "sfu/worker_pool.h"

#include "absl/hash/hash.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace switchyard::sfu {

std::string RandomId(size_t length) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local absl::BitGen gen;
  std::string id(length, 'a');
  for (char& c : id) c = kAlphabet[absl::Uniform<size_t>(gen, 0, sizeof(kAlphabet) - 1)];
  return id;
}

void ParticipantHandle::PublishOffer(std::string sdp) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_, sdp = std::move(sdp)] {
    if (Room* r = worker.FindRoom(room)) r->HandlePublishOffer(id, sdp);
  });
}

void ParticipantHandle::SubscribeAnswer(std::string sdp) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_, sdp = std::move(sdp)] {
    if (Room* r = worker.FindRoom(room)) r->HandleSubscribeAnswer(id, sdp);
  });
}

void ParticipantHandle::RestartSubscriberIce() {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_] {
    if (Room* r = worker.FindRoom(room)) r->HandleRestartSubscriberIce(id);
  });
}

void ParticipantHandle::UpdateSubscription(std::string track_id, LayerPreference preference,
                                           bool pinned) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_,
                track_id = std::move(track_id), preference, pinned] {
    if (Room* r = worker.FindRoom(room)) r->HandleUpdateSubscription(id, track_id, preference, pinned);
  });
}

void ParticipantHandle::SubscribeOffer(std::string sdp) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_, sdp = std::move(sdp)] {
    if (Room* r = worker.FindRoom(room)) r->HandleSubscribeOffer(id, sdp);
  });
}

void ParticipantHandle::SetTrackMuted(std::string track_id, bool muted) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_,
                track_id = std::move(track_id), muted] {
    if (Room* r = worker.FindRoom(room)) r->SetTrackMuted(id, track_id, muted);
  });
}

void ParticipantHandle::SetSubscriptionsEnabled(std::vector<std::string> track_ids,
                                                bool enabled) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_,
                track_ids = std::move(track_ids), enabled] {
    if (Room* r = worker.FindRoom(room)) r->SetSubscriptionsEnabled(id, track_ids, enabled);
  });
}

void ParticipantHandle::SetPermission(ParticipantPermission permission) {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_, permission] {
    if (Room* r = worker.FindRoom(room)) r->SetPermission(id, permission);
  });
}

void ParticipantHandle::Leave() {
  worker_.Post([&worker = worker_, room = room_, id = participant_id_] {
    if (Room* r = worker.FindRoom(room)) {
      r->RemoveParticipant(id);
      worker.RemoveRoomIfEmpty(room);
    }
  });
}

absl::StatusOr<std::unique_ptr<WorkerPool>> WorkerPool::Create(
    const SfuOptions& options, const transport::Clock& clock,
    const transport::Certificate& certificate) {
  std::unique_ptr<WorkerPool> pool(new WorkerPool(options.placement));
  const int count = std::max(1, options.workers);
  if (count > 1) {
    auto mesh = WorkerMesh::Create(static_cast<size_t>(count));
    if (!mesh.ok()) return mesh.status();
    pool->mesh_ = std::move(*mesh);
  }
  for (int i = 0; i < count; ++i) {
    WorkerOptions worker_options;
    auto address = transport::SocketAddress::Parse(
        options.rtc_ip, options.rtc_port == 0 ? 0 : static_cast<uint16_t>(options.rtc_port + i));
    if (!address) return absl::InvalidArgumentError(absl::StrCat("bad rtc ip ", options.rtc_ip));
    worker_options.rtc_address = *address;
    worker_options.announced_ip = options.announced_ip;
    for (const auto& [ip, announced] : options.extra_addresses) {
      auto extra = transport::SocketAddress::Parse(ip, 0);
      if (!extra) return absl::InvalidArgumentError(absl::StrCat("bad rtc ip ", ip));
      worker_options.extra_addresses.push_back(ListenAddress{*extra, announced});
    }
    worker_options.ice_tcp = options.ice_tcp;
    if (options.ice_tcp_port != 0) {
      worker_options.ice_tcp_port = static_cast<uint16_t>(options.ice_tcp_port + i);
    }
    worker_options.timer_interval = options.timer_interval;
    auto worker = Worker::Create(i, worker_options, clock, certificate);
    if (!worker.ok()) return worker.status();
    pool->workers_.push_back(std::move(*worker));
  }
  if (pool->mesh_) {
    std::vector<Worker*> peers = pool->workers();
    for (auto& w : pool->workers_) w->AttachMesh(pool->mesh_.get(), peers);
  }
  return pool;
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  for (auto& w : workers_) w->Start();
}

void WorkerPool::Stop() {
  for (auto& w : workers_) w->Stop();
}

std::unique_ptr<ParticipantHandle> WorkerPool::Join(
    const std::string& room, const std::string& name,
    std::shared_ptr<ParticipantObserver> observer) {
  JoinOptions options;
  options.identity = name;
  options.name = name;
  return Join(room, options, std::move(observer));
}

std::unique_ptr<ParticipantHandle> WorkerPool::Join(
    const std::string& room, const JoinOptions& options,
    std::shared_ptr<ParticipantObserver> observer) {
  Worker& worker = PlaceParticipant(room);
  JoinOptions resolved = options;
  if (resolved.participant_id.empty()) resolved.participant_id = RandomId(12);
  const std::string id = resolved.participant_id;
  worker.Post([&worker, room, resolved = std::move(resolved),
               observer = std::move(observer)]() mutable {
    Room& r = worker.GetOrCreateRoom(room);
    if (auto status = r.Join(resolved, observer); !status.ok()) {
      observer->OnError("join_failed", std::string(status.message()));
      // A room made for this join alone must not linger.
      worker.RemoveRoomIfEmpty(room);
    }
  });
  return std::make_unique<ParticipantHandle>(worker, room, id);
}

Worker& WorkerPool::PlaceParticipant(const std::string& room) {
  Worker* home = workers_[absl::Hash<std::string>{}(room) % workers_.size()].get();
  if (placement_ == Placement::kRoomHash || workers_.size() == 1) return *home;
  Worker* best = home;
  for (const auto& w : workers_) {
    if (w->participant_load() < best->participant_load()) best = w.get();
  }
  best->NotePlacement();
  return *best;
}

void WorkerPool::SetRoomObserver(RoomObserver* observer) {
  for (auto& w : workers_) w->SetRoomObserver(observer);
}

std::vector<Worker*> WorkerPool::workers() const {
  std::vector<Worker*> out;
  for (const auto& w : workers_) out.push_back(w.get());
  return out;
}

}  // namespace switchyard::sfu

