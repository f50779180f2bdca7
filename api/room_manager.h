#ifndef SWITCHYARD_API_ROOM_MANAGER_H_
#define SWITCHYARD_API_ROOM_MANAGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/proto/models.pb.h"
#include "api/proto/signaling.pb.h"
#include "api/proto/webhook.pb.h"
#include "sfu/participant_observer.h"
#include "sfu/worker_pool.h"

namespace switchyard::api {

// The connected end of a participant on the control thread: a signaling WebSocket, or a WHIP /
// WHEP resource. The manager calls these on the control thread.
class ParticipantClient {
 public:
  virtual ~ParticipantClient() = default;
  // Control-plane messages (data, metadata, permission and room updates).
  virtual void SendToClient(const v1::ServerMessage& message) = 0;
  // The server ends the session ("removed", "room_deleted", "duplicate_identity", ...). The
  // manager has already removed the participant and asked its worker to drop it; the client
  // tells its peer and closes. Must not call back into the manager synchronously.
  virtual void Disconnect(const std::string& reason) = 0;
};

struct RoomDefaults {
  bool auto_create = true;
  uint32_t empty_timeout_seconds = 300;
  uint32_t max_participants = 0;  // 0 = no limit
};

// Who is joining, as established by a verified join token.
struct JoinRequest {
  std::string room;
  std::string identity;
  std::string name;  // display name; empty = identity
  v1::ParticipantPermission permission;
  v1::ParticipantInfo::Kind kind = v1::ParticipantInfo::KIND_STANDARD;
  std::string whep_source_identity;  // KIND_WHEP: whose tracks to play
  // Empty = the manager makes one ("PA_..."); set when the caller's observer must know it.
  std::string participant_id;
};

// A fresh participant id ("PA_" and 12 random characters).
std::string NewParticipantId();

struct JoinResult {
  std::unique_ptr<sfu::ParticipantHandle> handle;
  v1::ParticipantInfo participant;
  v1::Room room;
};

// The control plane's view of rooms and participants: the state behind the room API and the
// source of webhooks. Lives on the control thread and is only touched there (no locks); the
// media workers own the real rooms and report changes through sfu::RoomObserver, whose calls
// the manager posts back to its thread (ObserverForWorkers()). Operations reach the workers by
// posting through participant handles, so the API never waits on a media thread.
//
// Room lifetime: a room opens when the API creates it or (with auto_create) on the first join,
// and closes when deleted or after empty_timeout seconds without participants (CheckTimeouts).
// Each open/close is one room_started/room_finished webhook, and each incarnation has its own
// sid.
class RoomManager {
 public:
  using EventSink = std::function<void(v1::WebhookEvent)>;
  // `post` runs a task on the control thread (the manager's thread); `now` is Unix seconds.
  RoomManager(sfu::WorkerPool& pool, RoomDefaults defaults,
              std::function<void(std::function<void()>)> post, std::function<int64_t()> now);
  ~RoomManager();
  RoomManager(const RoomManager&) = delete;
  RoomManager& operator=(const RoomManager&) = delete;

  // Webhook events go here (room_started, ..., track_unpublished). Optional.
  void SetEventSink(EventSink sink) { event_sink_ = std::move(sink); }
  // The observer to install with WorkerPool::SetRoomObserver before the pool starts. Its calls
  // are thread-safe and post to the control thread.
  sfu::RoomObserver* ObserverForWorkers();

  // Room API. Errors: InvalidArgument (bad names, naming the field), NotFound, AlreadyExists.
  absl::StatusOr<v1::Room> CreateRoom(const std::string& name, uint32_t empty_timeout,
                                      uint32_t max_participants, const std::string& metadata);
  std::vector<v1::Room> ListRooms(const std::vector<std::string>& names) const;
  absl::StatusOr<v1::Room> GetRoom(const std::string& name) const;
  absl::Status DeleteRoom(const std::string& name);
  absl::StatusOr<v1::Room> UpdateRoom(const std::string& name,
                                      const std::optional<std::string>& metadata,
                                      std::optional<uint32_t> max_participants,
                                      std::optional<uint32_t> empty_timeout);
  absl::StatusOr<std::vector<v1::ParticipantInfo>> ListParticipants(const std::string& room) const;
  absl::StatusOr<v1::ParticipantInfo> GetParticipant(const std::string& room,
                                                     const std::string& identity) const;
  absl::Status RemoveParticipant(const std::string& room, const std::string& identity,
                                 const std::string& reason = "removed");
  absl::StatusOr<v1::ParticipantInfo> UpdateParticipant(
      const std::string& room, const std::string& identity,
      const std::optional<std::string>& metadata, const std::optional<std::string>& name,
      const std::optional<v1::ParticipantPermission>& permission);
  absl::StatusOr<v1::TrackInfo> MutePublishedTrack(const std::string& room,
                                                   const std::string& identity,
                                                   const std::string& track_id, bool muted);
  absl::Status UpdateSubscriptions(const std::string& room, const std::string& identity,
                                   const std::vector<std::string>& track_ids, bool subscribe);
  // Delivers a data message to the destinations (identities; empty = everyone in the room
  // except `from_participant_id`). NotFound for an unknown room or destination.
  absl::Status SendData(const std::string& room, const v1::DataMessage& message,
                        const std::vector<std::string>& destination_identities);

  // Joins (auto-creating the room when allowed). FailedPrecondition "room_full" at the room's
  // limit, NotFound when the room does not exist and auto_create is off, NotFound for a
  // KIND_WHEP source that is not in the room. A participant already joined under the same
  // identity is disconnected ("duplicate_identity") first. `client` may be null (then the
  // participant is reachable only through its handle).
  absl::StatusOr<JoinResult> Join(const JoinRequest& request,
                                  std::shared_ptr<sfu::ParticipantObserver> observer,
                                  std::weak_ptr<ParticipantClient> client);
  // The participant's client went away or asked to leave.
  void Leave(const std::string& participant_id);
  // Data from a participant over signaling: needs can_publish_data.
  absl::Status SendDataFromParticipant(const std::string& participant_id, const std::string& topic,
                                       const std::string& payload,
                                       const std::vector<std::string>& destination_ids);

  // Closes rooms that have been empty for their timeout. Call about once a second.
  void CheckTimeouts();
  // Disconnects everyone ("server_shutdown") and closes every room.
  void Shutdown();

  size_t room_count() const { return rooms_.size(); }

 private:
  struct ParticipantRecord {
    v1::ParticipantInfo info;
    std::unique_ptr<sfu::ParticipantHandle> handle;
    std::weak_ptr<ParticipantClient> client;
    std::string whep_source_id;  // KIND_WHEP: the participant it plays
  };
  struct RoomRecord {
    v1::Room room;
    // By identity.
    std::map<std::string, std::unique_ptr<ParticipantRecord>> participants;
    int64_t empty_since = 0;
  };
  class WorkerObserver;

  RoomRecord* FindRoom(const std::string& name);
  const RoomRecord* FindRoom(const std::string& name) const;
  absl::StatusOr<RoomRecord*> RequireRoom(const std::string& name);
  absl::StatusOr<ParticipantRecord*> RequireParticipant(const std::string& room,
                                                        const std::string& identity);
  RoomRecord& OpenRoom(const std::string& name, uint32_t empty_timeout, uint32_t max_participants,
                       const std::string& metadata);
  void CloseRoom(const std::string& name);
  // Removes the record, tells the worker, optionally the client, and fires participant_left.
  void DropParticipant(RoomRecord& room, const std::string& identity,
                       const std::string& disconnect_reason, bool tell_worker);
  ParticipantRecord* FindById(const std::string& participant_id, RoomRecord** room = nullptr);
  v1::Room Snapshot(const RoomRecord& room) const;
  void Emit(const std::string& event, const RoomRecord& room,
            const v1::ParticipantInfo* participant = nullptr, const v1::TrackInfo* track = nullptr);
  void Broadcast(const RoomRecord& room, const v1::ServerMessage& message);

  // Worker events, on the control thread.
  void OnParticipantActive(const std::string& room, const std::string& participant_id);
  void OnParticipantLeft(const std::string& room, const std::string& participant_id,
                         const std::string& reason);
  void OnTrackPublished(const std::string& room, const std::string& participant_id,
                        const sfu::TrackSummary& track);
  void OnTrackUnpublished(const std::string& room, const std::string& participant_id,
                          const std::string& track_id);
  void OnTrackMuted(const std::string& room, const std::string& participant_id,
                    const std::string& track_id, bool muted);

  sfu::WorkerPool& pool_;
  const RoomDefaults defaults_;
  std::function<void(std::function<void()>)> post_;
  std::function<int64_t()> now_;
  EventSink event_sink_;
  std::unique_ptr<WorkerObserver> worker_observer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  absl::flat_hash_map<std::string, std::unique_ptr<RoomRecord>> rooms_;
  // participant_id -> room name.
  absl::flat_hash_map<std::string, std::string> room_of_participant_;
};

// sfu -> proto conversions shared by signaling and the room API.
v1::TrackKind ToProtoKind(rtc::MediaKind kind);
void FillTrackInfo(const sfu::TrackSummary& track, v1::TrackInfo* out);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_ROOM_MANAGER_H_
