#include "api/room_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/signaling_codec.h"

namespace switchyard::api {

v1::TrackKind ToProtoKind(rtc::MediaKind kind) {
  switch (kind) {
    case rtc::MediaKind::kAudio: return v1::TRACK_KIND_AUDIO;
    case rtc::MediaKind::kVideo: return v1::TRACK_KIND_VIDEO;
    default: return v1::TRACK_KIND_UNSPECIFIED;
  }
}

void FillTrackInfo(const sfu::TrackSummary& track, v1::TrackInfo* out) {
  out->set_track_id(track.track_id);
  out->set_kind(ToProtoKind(track.kind));
  out->set_mid(track.mid);
  out->set_muted(track.muted);
  out->set_layers(static_cast<uint32_t>(std::max(1, track.layers)));
}

std::string NewParticipantId() { return absl::StrCat("PA_", sfu::RandomId(12)); }

namespace {

// Application metadata is small state, not a data channel: 64 KiB is LiveKit's limit too.
constexpr size_t kMaxMetadataBytes = 64 * 1024;
constexpr size_t kMaxDataPayloadBytes = 64 * 1024;
constexpr uint32_t kMaxEmptyTimeoutSeconds = 7 * 24 * 3600;

absl::Status ValidateMetadata(const std::string& metadata) {
  if (metadata.size() > kMaxMetadataBytes) {
    return absl::InvalidArgumentError("metadata: at most 65536 bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidateIdentity(const std::string& identity) {
  if (identity.empty() || identity.size() > 128) {
    return absl::InvalidArgumentError("identity: must be 1-128 bytes");
  }
  for (char c : identity) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return absl::InvalidArgumentError("identity: control characters are not allowed");
    }
  }
  return absl::OkStatus();
}

absl::Status RoomField(const std::string& name) {
  if (auto s = ValidateRoomName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("room: ", std::string(s.message())));
  }
  return absl::OkStatus();
}

sfu::ParticipantPermission ToSfuPermission(const v1::ParticipantPermission& p) {
  sfu::ParticipantPermission out;
  out.can_publish = p.can_publish();
  out.can_subscribe = p.can_subscribe();
  return out;
}

}  // namespace

// Runs on worker threads: copies the event and posts it to the control thread.
class RoomManager::WorkerObserver final : public sfu::RoomObserver {
 public:
  explicit WorkerObserver(RoomManager& manager)
      : manager_(manager), post_(manager.post_), alive_(manager.alive_) {}

  void OnParticipantJoined(const std::string&, const sfu::ParticipantSummary&) override {
    // The manager records joins itself, synchronously, when it asks for them.
  }
  void OnParticipantActive(const std::string& room, const std::string& id) override {
    Post([room, id](RoomManager& m) { m.OnParticipantActive(room, id); });
  }
  void OnParticipantLeft(const std::string& room, const std::string& id,
                         const std::string& reason) override {
    Post([room, id, reason](RoomManager& m) { m.OnParticipantLeft(room, id, reason); });
  }
  void OnTrackPublished(const std::string& room, const std::string& id,
                        const sfu::TrackSummary& track) override {
    Post([room, id, track](RoomManager& m) { m.OnTrackPublished(room, id, track); });
  }
  void OnTrackUnpublished(const std::string& room, const std::string& id,
                          const std::string& track_id) override {
    Post([room, id, track_id](RoomManager& m) { m.OnTrackUnpublished(room, id, track_id); });
  }
  void OnTrackMuted(const std::string& room, const std::string& id, const std::string& track_id,
                    bool muted) override {
    Post([room, id, track_id, muted](RoomManager& m) {
      m.OnTrackMuted(room, id, track_id, muted);
    });
  }

 private:
  template <typename F>
  void Post(F f) {
    post_([manager = &manager_, alive = std::weak_ptr<bool>(alive_), f = std::move(f)] {
      if (alive.lock()) f(*manager);
    });
  }

  RoomManager& manager_;
  std::function<void(std::function<void()>)> post_;
  std::shared_ptr<bool> alive_;
};

RoomManager::RoomManager(sfu::WorkerPool& pool, RoomDefaults defaults,
                         std::function<void(std::function<void()>)> post,
                         std::function<int64_t()> now)
    : pool_(pool), defaults_(defaults), post_(std::move(post)), now_(std::move(now)) {
  worker_observer_ = std::make_unique<WorkerObserver>(*this);
}

RoomManager::~RoomManager() { alive_.reset(); }

sfu::RoomObserver* RoomManager::ObserverForWorkers() { return worker_observer_.get(); }

RoomManager::RoomRecord* RoomManager::FindRoom(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

const RoomManager::RoomRecord* RoomManager::FindRoom(const std::string& name) const {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

absl::StatusOr<RoomManager::RoomRecord*> RoomManager::RequireRoom(const std::string& name) {
  if (auto s = RoomField(name); !s.ok()) return s;
  RoomRecord* room = FindRoom(name);
  if (!room) return absl::NotFoundError(absl::StrCat("room \"", name, "\" does not exist"));
  return room;
}

absl::StatusOr<RoomManager::ParticipantRecord*> RoomManager::RequireParticipant(
    const std::string& room_name, const std::string& identity) {
  auto room = RequireRoom(room_name);
  if (!room.ok()) return room.status();
  if (auto s = ValidateIdentity(identity); !s.ok()) return s;
  auto it = (*room)->participants.find(identity);
  if (it == (*room)->participants.end()) {
    return absl::NotFoundError(
        absl::StrCat("participant \"", identity, "\" is not in room \"", room_name, "\""));
  }
  return it->second.get();
}

v1::Room RoomManager::Snapshot(const RoomRecord& record) const {
  v1::Room room = record.room;
  uint32_t publishers = 0;
  for (const auto& [identity, p] : record.participants) {
    if (p->info.tracks_size() > 0) ++publishers;
  }
  room.set_num_participants(static_cast<uint32_t>(record.participants.size()));
  room.set_num_publishers(publishers);
  return room;
}

void RoomManager::Emit(const std::string& event, const RoomRecord& room,
                       const v1::ParticipantInfo* participant, const v1::TrackInfo* track) {
  if (!event_sink_) return;
  v1::WebhookEvent e;
  e.set_event(event);
  *e.mutable_room() = Snapshot(room);
  if (participant) *e.mutable_participant() = *participant;
  if (track) *e.mutable_track() = *track;
  e.set_created_at(now_());
  event_sink_(std::move(e));
}

void RoomManager::Broadcast(const RoomRecord& room, const v1::ServerMessage& message) {
  for (const auto& [identity, p] : room.participants) {
    if (auto client = p->client.lock()) client->SendToClient(message);
  }
}

RoomManager::RoomRecord& RoomManager::OpenRoom(const std::string& name, uint32_t empty_timeout,
                                               uint32_t max_participants,
                                               const std::string& metadata) {
  auto record = std::make_unique<RoomRecord>();
  record->room.set_name(name);
  record->room.set_sid(absl::StrCat("RM_", sfu::RandomId(12)));
  record->room.set_empty_timeout(empty_timeout ? empty_timeout : defaults_.empty_timeout_seconds);
  record->room.set_max_participants(max_participants ? max_participants
                                                     : defaults_.max_participants);
  record->room.set_creation_time(now_());
  record->room.set_metadata(metadata);
  record->empty_since = now_();
  RoomRecord& room = *record;
  rooms_[name] = std::move(record);
  Emit("room_started", room);
  return room;
}

absl::StatusOr<v1::Room> RoomManager::CreateRoom(const std::string& name, uint32_t empty_timeout,
                                                 uint32_t max_participants,
                                                 const std::string& metadata) {
  if (auto s = RoomField(name); !s.ok()) return s;
  if (auto s = ValidateMetadata(metadata); !s.ok()) return s;
  if (empty_timeout > kMaxEmptyTimeoutSeconds) {
    return absl::InvalidArgumentError("empty_timeout: at most 604800 seconds (7 days)");
  }
  if (FindRoom(name)) {
    return absl::AlreadyExistsError(absl::StrCat("room \"", name, "\" already exists"));
  }
  return Snapshot(OpenRoom(name, empty_timeout, max_participants, metadata));
}

std::vector<v1::Room> RoomManager::ListRooms(const std::vector<std::string>& names) const {
  std::vector<v1::Room> out;
  if (names.empty()) {
    for (const auto& [name, record] : rooms_) out.push_back(Snapshot(*record));
  } else {
    for (const auto& name : names) {
      if (const RoomRecord* record = FindRoom(name)) out.push_back(Snapshot(*record));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const v1::Room& a, const v1::Room& b) { return a.name() < b.name(); });
  return out;
}

absl::StatusOr<v1::Room> RoomManager::GetRoom(const std::string& name) const {
  if (auto s = RoomField(name); !s.ok()) return s;
  const RoomRecord* record = FindRoom(name);
  if (!record) return absl::NotFoundError(absl::StrCat("room \"", name, "\" does not exist"));
  return Snapshot(*record);
}

absl::Status RoomManager::DeleteRoom(const std::string& name) {
  auto room = RequireRoom(name);
  if (!room.ok()) return room.status();
  CloseRoom(name);
  return absl::OkStatus();
}

void RoomManager::CloseRoom(const std::string& name) {
  RoomRecord* room = FindRoom(name);
  if (!room) return;
  while (!room->participants.empty()) {
    DropParticipant(*room, room->participants.begin()->first, "room_deleted", /*tell_worker=*/true);
  }
  Emit("room_finished", *room);
  rooms_.erase(name);
}

absl::StatusOr<v1::Room> RoomManager::UpdateRoom(const std::string& name,
                                                 const std::optional<std::string>& metadata,
                                                 std::optional<uint32_t> max_participants,
                                                 std::optional<uint32_t> empty_timeout) {
  auto room = RequireRoom(name);
  if (!room.ok()) return room.status();
  if (metadata) {
    if (auto s = ValidateMetadata(*metadata); !s.ok()) return s;
  }
  if (empty_timeout && *empty_timeout > kMaxEmptyTimeoutSeconds) {
    return absl::InvalidArgumentError("empty_timeout: at most 604800 seconds (7 days)");
  }
  RoomRecord& r = **room;
  if (metadata) r.room.set_metadata(*metadata);
  if (max_participants) r.room.set_max_participants(*max_participants);
  if (empty_timeout) {
    r.room.set_empty_timeout(*empty_timeout ? *empty_timeout : defaults_.empty_timeout_seconds);
  }
  v1::Room snapshot = Snapshot(r);
  v1::ServerMessage update;
  *update.mutable_room_updated() = snapshot;
  Broadcast(r, update);
  return snapshot;
}

absl::StatusOr<std::vector<v1::ParticipantInfo>> RoomManager::ListParticipants(
    const std::string& room_name) const {
  if (auto s = RoomField(room_name); !s.ok()) return s;
  const RoomRecord* room = FindRoom(room_name);
  if (!room) return absl::NotFoundError(absl::StrCat("room \"", room_name, "\" does not exist"));
  std::vector<v1::ParticipantInfo> out;
  for (const auto& [identity, p] : room->participants) out.push_back(p->info);
  return out;
}

absl::StatusOr<v1::ParticipantInfo> RoomManager::GetParticipant(const std::string& room,
                                                                const std::string& identity) const {
  auto p = const_cast<RoomManager*>(this)->RequireParticipant(room, identity);
  if (!p.ok()) return p.status();
  return (*p)->info;
}

void RoomManager::DropParticipant(RoomRecord& room, const std::string& identity,
                                  const std::string& disconnect_reason, bool tell_worker) {
  auto it = room.participants.find(identity);
  if (it == room.participants.end()) return;
  std::unique_ptr<ParticipantRecord> record = std::move(it->second);
  room.participants.erase(it);
  room_of_participant_.erase(record->info.participant_id());
  if (tell_worker && record->handle) record->handle->Leave();
  if (!disconnect_reason.empty()) {
    if (auto client = record->client.lock()) client->Disconnect(disconnect_reason);
  }
  record->info.set_state(v1::ParticipantInfo::STATE_DISCONNECTED);
  if (room.participants.empty()) room.empty_since = now_();
  // Its tracks end with it; the worker's own unpublish events arrive after the record is gone.
  for (const v1::TrackInfo& track : record->info.tracks()) {
    Emit("track_unpublished", room, &record->info, &track);
  }
  Emit("participant_left", room, &record->info);
  // WHEP players of this participant have nothing left to play (a returning publisher is a new
  // participant); ending them tells the player to reconnect rather than show a frozen frame.
  std::vector<std::string> viewers;
  for (const auto& [viewer_identity, p] : room.participants) {
    if (p->whep_source_id == record->info.participant_id()) viewers.push_back(viewer_identity);
  }
  for (const auto& viewer : viewers) {
    DropParticipant(room, viewer, "source_left", /*tell_worker=*/true);
  }
}

absl::Status RoomManager::RemoveParticipant(const std::string& room, const std::string& identity,
                                            const std::string& reason) {
  auto p = RequireParticipant(room, identity);
  if (!p.ok()) return p.status();
  DropParticipant(*FindRoom(room), identity, reason, /*tell_worker=*/true);
  return absl::OkStatus();
}

absl::StatusOr<v1::ParticipantInfo> RoomManager::UpdateParticipant(
    const std::string& room, const std::string& identity,
    const std::optional<std::string>& metadata, const std::optional<std::string>& name,
    const std::optional<v1::ParticipantPermission>& permission) {
  auto p = RequireParticipant(room, identity);
  if (!p.ok()) return p.status();
  if (metadata) {
    if (auto s = ValidateMetadata(*metadata); !s.ok()) return s;
  }
  if (name) {
    if (auto s = ValidateDisplayName(*name); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("name: ", std::string(s.message())));
    }
  }
  ParticipantRecord& record = **p;
  if (metadata) record.info.set_metadata(*metadata);
  if (name) record.info.set_name(*name);
  if (permission) {
    *record.info.mutable_permission() = *permission;
    if (record.handle) record.handle->SetPermission(ToSfuPermission(*permission));
  }
  v1::ServerMessage update;
  *update.mutable_participant_updated() = record.info;
  Broadcast(*FindRoom(room), update);
  return record.info;
}

absl::StatusOr<v1::TrackInfo> RoomManager::MutePublishedTrack(const std::string& room,
                                                              const std::string& identity,
                                                              const std::string& track_id,
                                                              bool muted) {
  auto p = RequireParticipant(room, identity);
  if (!p.ok()) return p.status();
  ParticipantRecord& record = **p;
  for (auto& track : *record.info.mutable_tracks()) {
    if (track.track_id() != track_id) continue;
    // Recorded now so the API answers with the new state; the worker confirms it with
    // OnTrackMuted (which is then a no-op here).
    track.set_muted(muted);
    if (record.handle) record.handle->SetTrackMuted(track_id, muted);
    return track;
  }
  return absl::NotFoundError(
      absl::StrCat("participant \"", identity, "\" has no track \"", track_id, "\""));
}

absl::Status RoomManager::UpdateSubscriptions(const std::string& room, const std::string& identity,
                                              const std::vector<std::string>& track_ids,
                                              bool subscribe) {
  auto p = RequireParticipant(room, identity);
  if (!p.ok()) return p.status();
  if (track_ids.empty()) return absl::InvalidArgumentError("track_ids: at least one is required");
  for (const auto& id : track_ids) {
    if (id.empty() || id.size() > 128) {
      return absl::InvalidArgumentError("track_ids: each must be 1-128 bytes");
    }
  }
  if ((*p)->handle) (*p)->handle->SetSubscriptionsEnabled(track_ids, subscribe);
  return absl::OkStatus();
}

absl::Status RoomManager::SendData(const std::string& room_name, const v1::DataMessage& message,
                                   const std::vector<std::string>& destination_identities) {
  auto room = RequireRoom(room_name);
  if (!room.ok()) return room.status();
  if (message.payload().size() > kMaxDataPayloadBytes) {
    return absl::InvalidArgumentError("payload: at most 65536 bytes");
  }
  if (message.topic().size() > 256) return absl::InvalidArgumentError("topic: at most 256 bytes");
  std::vector<ParticipantRecord*> targets;
  if (destination_identities.empty()) {
    for (auto& [identity, p] : (*room)->participants) {
      if (p->info.participant_id() != message.participant_id()) targets.push_back(p.get());
    }
  } else {
    for (const auto& identity : destination_identities) {
      auto it = (*room)->participants.find(identity);
      if (it == (*room)->participants.end()) {
        return absl::NotFoundError(
            absl::StrCat("destination_identities: \"", identity, "\" is not in the room"));
      }
      targets.push_back(it->second.get());
    }
  }
  v1::ServerMessage out;
  *out.mutable_data() = message;
  for (ParticipantRecord* p : targets) {
    if (auto client = p->client.lock()) client->SendToClient(out);
  }
  return absl::OkStatus();
}

absl::StatusOr<JoinResult> RoomManager::Join(const JoinRequest& request,
                                             std::shared_ptr<sfu::ParticipantObserver> observer,
                                             std::weak_ptr<ParticipantClient> client) {
  if (auto s = RoomField(request.room); !s.ok()) return s;
  if (auto s = ValidateIdentity(request.identity); !s.ok()) return s;
  const std::string name = request.name.empty() ? request.identity : request.name;
  if (auto s = ValidateDisplayName(name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("name: ", std::string(s.message())));
  }
  RoomRecord* room = FindRoom(request.room);
  if (!room) {
    if (!defaults_.auto_create) {
      return absl::NotFoundError(absl::StrCat(
          "room \"", request.room, "\" does not exist (rooms are created through the API)"));
    }
    room = &OpenRoom(request.room, 0, 0, "");
  }
  std::string whep_source_id;
  if (request.kind == v1::ParticipantInfo::KIND_WHEP) {
    auto it = room->participants.find(request.whep_source_identity);
    if (it == room->participants.end()) {
      return absl::NotFoundError(absl::StrCat("participant \"", request.whep_source_identity,
                                              "\" is not in room \"", request.room, "\""));
    }
    whep_source_id = it->second->info.participant_id();
  }
  // A reconnecting client replaces its old session rather than being refused by the limit.
  const bool replacing = room->participants.contains(request.identity);
  if (!replacing && room->room.max_participants() != 0 &&
      room->participants.size() >= room->room.max_participants()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "room_full: room \"", request.room, "\" has its maximum of ",
        room->room.max_participants(), " participants"));
  }
  if (replacing) {
    DropParticipant(*room, request.identity, "duplicate_identity", /*tell_worker=*/true);
  }

  auto record = std::make_unique<ParticipantRecord>();
  v1::ParticipantInfo& info = record->info;
  info.set_participant_id(request.participant_id.empty() ? NewParticipantId()
                                                         : request.participant_id);
  info.set_identity(request.identity);
  info.set_name(name);
  info.set_state(v1::ParticipantInfo::STATE_JOINED);
  info.set_joined_at(now_());
  *info.mutable_permission() = request.permission;
  info.set_kind(request.kind);
  record->client = std::move(client);
  record->whep_source_id = whep_source_id;

  sfu::JoinOptions options;
  options.participant_id = info.participant_id();
  options.identity = request.identity;
  options.name = name;
  options.permission = ToSfuPermission(request.permission);
  switch (request.kind) {
    case v1::ParticipantInfo::KIND_WHIP: options.kind = sfu::ParticipantKind::kWhip; break;
    case v1::ParticipantInfo::KIND_WHEP: options.kind = sfu::ParticipantKind::kWhep; break;
    default: options.kind = sfu::ParticipantKind::kStandard; break;
  }
  options.whep_source_participant_id = whep_source_id;
  auto handle = pool_.Join(request.room, options, std::move(observer));
  record->handle = std::make_unique<sfu::ParticipantHandle>(*handle);

  JoinResult result;
  result.handle = std::move(handle);
  result.participant = info;
  room_of_participant_[info.participant_id()] = request.room;
  room->participants[request.identity] = std::move(record);
  result.room = Snapshot(*room);
  Emit("participant_joined", *room, &result.participant);
  return result;
}

RoomManager::ParticipantRecord* RoomManager::FindById(const std::string& participant_id,
                                                      RoomRecord** room_out) {
  auto it = room_of_participant_.find(participant_id);
  if (it == room_of_participant_.end()) return nullptr;
  RoomRecord* room = FindRoom(it->second);
  if (!room) return nullptr;
  for (auto& [identity, p] : room->participants) {
    if (p->info.participant_id() == participant_id) {
      if (room_out) *room_out = room;
      return p.get();
    }
  }
  return nullptr;
}

void RoomManager::Leave(const std::string& participant_id) {
  RoomRecord* room = nullptr;
  ParticipantRecord* p = FindById(participant_id, &room);
  if (!p) return;
  DropParticipant(*room, p->info.identity(), "", /*tell_worker=*/true);
}

absl::Status RoomManager::SendDataFromParticipant(const std::string& participant_id,
                                                  const std::string& topic,
                                                  const std::string& payload,
                                                  const std::vector<std::string>& destination_ids) {
  RoomRecord* room = nullptr;
  ParticipantRecord* p = FindById(participant_id, &room);
  if (!p) return absl::FailedPreconditionError("not joined");
  if (!p->info.permission().can_publish_data()) {
    return absl::PermissionDeniedError("this participant may not publish data");
  }
  std::vector<std::string> identities;
  for (const auto& id : destination_ids) {
    RoomRecord* target_room = nullptr;
    ParticipantRecord* target = FindById(id, &target_room);
    if (!target || target_room != room) {
      return absl::NotFoundError(absl::StrCat("participant \"", id, "\" is not in the room"));
    }
    identities.push_back(target->info.identity());
  }
  v1::DataMessage message;
  message.set_participant_id(participant_id);
  message.set_topic(topic);
  message.set_payload(payload);
  return SendData(room->room.name(), message, identities);
}

void RoomManager::CheckTimeouts() {
  const int64_t now = now_();
  std::vector<std::string> expired;
  for (const auto& [name, room] : rooms_) {
    if (room->participants.empty() &&
        now - room->empty_since >= static_cast<int64_t>(room->room.empty_timeout())) {
      expired.push_back(name);
    }
  }
  for (const auto& name : expired) CloseRoom(name);
}

void RoomManager::Shutdown() {
  std::vector<std::string> names;
  for (const auto& [name, room] : rooms_) names.push_back(name);
  for (const auto& name : names) {
    RoomRecord* room = FindRoom(name);
    while (room && !room->participants.empty()) {
      DropParticipant(*room, room->participants.begin()->first, "server_shutdown", true);
    }
    if (room) {
      Emit("room_finished", *room);
      rooms_.erase(name);
    }
  }
}

void RoomManager::OnParticipantActive(const std::string&, const std::string& participant_id) {
  if (ParticipantRecord* p = FindById(participant_id)) {
    p->info.set_state(v1::ParticipantInfo::STATE_ACTIVE);
  }
}

void RoomManager::OnParticipantLeft(const std::string&, const std::string& participant_id,
                                    const std::string& reason) {
  RoomRecord* room = nullptr;
  ParticipantRecord* p = FindById(participant_id, &room);
  if (!p) return;  // we removed it ourselves
  // The worker already dropped it (and told its observer why); only the record goes.
  (void)reason;
  DropParticipant(*room, p->info.identity(), "", /*tell_worker=*/false);
}

void RoomManager::OnTrackPublished(const std::string&, const std::string& participant_id,
                                   const sfu::TrackSummary& track) {
  RoomRecord* room = nullptr;
  ParticipantRecord* p = FindById(participant_id, &room);
  if (!p) return;
  v1::TrackInfo* info = p->info.add_tracks();
  FillTrackInfo(track, info);
  info->clear_mid();  // the mid is per subscriber
  Emit("track_published", *room, &p->info, info);
}

void RoomManager::OnTrackUnpublished(const std::string&, const std::string& participant_id,
                                     const std::string& track_id) {
  RoomRecord* room = nullptr;
  ParticipantRecord* p = FindById(participant_id, &room);
  if (!p) return;
  auto* tracks = p->info.mutable_tracks();
  for (int i = 0; i < tracks->size(); ++i) {
    if (tracks->Get(i).track_id() != track_id) continue;
    v1::TrackInfo track = tracks->Get(i);
    tracks->DeleteSubrange(i, 1);
    Emit("track_unpublished", *room, &p->info, &track);
    return;
  }
}

void RoomManager::OnTrackMuted(const std::string&, const std::string& participant_id,
                               const std::string& track_id, bool muted) {
  if (ParticipantRecord* p = FindById(participant_id)) {
    for (auto& track : *p->info.mutable_tracks()) {
      if (track.track_id() == track_id) track.set_muted(muted);
    }
  }
}

}  // namespace switchyard::api
