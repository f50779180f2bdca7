#ifndef SWITCHYARD_SFU_WORKER_POOL_H_
#define SWITCHYARD_SFU_WORKER_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sfu/participant_observer.h"
#include "sfu/worker.h"
#include "sfu/worker_mesh.h"

namespace switchyard::sfu {

// A participant as seen from outside the workers (the signaling layer). Every method is
// thread-safe and asynchronous: it posts to the worker that owns the participant's room, and
// results come back through the participant's ParticipantObserver.
class ParticipantHandle {
 public:
  ParticipantHandle(Worker& worker, std::string room, std::string participant_id)
      : worker_(worker), room_(std::move(room)), participant_id_(std::move(participant_id)) {}

  const std::string& participant_id() const { return participant_id_; }
  const std::string& room() const { return room_; }
  // The worker the participant was placed on.
  int worker_index() const { return worker_.index(); }
  void PublishOffer(std::string sdp);
  void SubscribeAnswer(std::string sdp);
  void UpdateSubscription(std::string track_id, LayerPreference preference, bool pinned);
  // ICE restart of the subscriber connection: a subscribe offer with new credentials follows.
  void RestartSubscriberIce();
  // kWhep: the viewer's offer; the answer comes through OnSubscribeAnswer.
  void SubscribeOffer(std::string sdp);
  // Mutes or unmutes one of this participant's published tracks for every subscriber (on
  // unmute, subscribers get a keyframe request sent on their behalf). Unknown ids are ignored.
  void SetTrackMuted(std::string track_id, bool muted);
  // Stops (false) or resumes (true) forwarding these tracks of others to this participant; a
  // stopped track's m-line goes inactive. Remembered for tracks published later under the ids.
  void SetSubscriptionsEnabled(std::vector<std::string> track_ids, bool enabled);
  // Revoking can_publish unpublishes its tracks and refuses later publish offers
  // ("permission_denied" error); revoking can_subscribe removes everything it receives.
  void SetPermission(ParticipantPermission permission);
  void Leave();

 private:
  Worker& worker_;
  const std::string room_;
  const std::string participant_id_;
};

// Where WorkerPool::Join puts a new participant.
enum class Placement {
  // The worker with the fewest participants (ties: the room's home worker, a hash of its
  // name), so one large room spreads over every core; its shards talk through the mesh.
  kLeastLoaded,
  // Always the room's home worker: every room on one thread (no relaying), for comparisons.
  kRoomHash,
};

struct SfuOptions {
  int workers = 1;
  Placement placement = Placement::kLeastLoaded;
  std::string rtc_ip = "127.0.0.1";
  uint16_t rtc_port = 0;  // worker i binds rtc_port + i; 0 = ephemeral ports
  std::string announced_ip;
  // More addresses each worker serves on its port: (IP literal, announced IP or empty).
  std::vector<std::pair<std::string, std::string>> extra_addresses;
  bool ice_tcp = true;  // ICE over TCP on every address (WorkerOptions::ice_tcp)
  // Worker i's ICE-TCP port is ice_tcp_port + i; 0 = each worker's UDP port number.
  uint16_t ice_tcp_port = 0;
  // Each worker's periodic tick (RTCP, estimation, timeouts).
  transport::Duration timer_interval = std::chrono::milliseconds(20);
};

// The set of workers. Participants are placed on workers (SfuOptions::placement); a room spans
// every worker that has one of its participants: the workers' shards of the room share joins,
// leaves and producers over Worker's RoomLink and packets over the WorkerMesh, so a
// publisher's packets are decrypted once on its worker and re-protected on each subscriber's.
class WorkerPool {
 public:
  static absl::StatusOr<std::unique_ptr<WorkerPool>> Create(
      const SfuOptions& options, const transport::Clock& clock,
      const transport::Certificate& certificate);
  ~WorkerPool();

  void Start();
  void Stop();

  // Thread-safe. Joins `room` as `name`; the observer hears OnJoined (or OnError) next.
  std::unique_ptr<ParticipantHandle> Join(const std::string& room, const std::string& name,
                                          std::shared_ptr<ParticipantObserver> observer);
  // Thread-safe. Joins with everything the control plane decided (id, identity, permission,
  // kind); an empty participant_id gets a random one. The observer hears OnJoined (or
  // OnError "join_failed", e.g. for an id already in the room) next.
  std::unique_ptr<ParticipantHandle> Join(const std::string& room, const JoinOptions& options,
                                          std::shared_ptr<ParticipantObserver> observer);
  // Before Start() (later calls take effect on each worker thread). Borrowed: must outlive the
  // pool's workers; Stop() reports every remaining participant as left ("room closed").
  void SetRoomObserver(RoomObserver* observer);

  std::vector<Worker*> workers() const;

 private:
  explicit WorkerPool(Placement placement) : placement_(placement) {}
  Worker& PlaceParticipant(const std::string& room);

  const Placement placement_;
  // Declared first: the workers (destroyed before it) hold pointers into it.
  std::unique_ptr<WorkerMesh> mesh_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

// Random URL-safe identifier of `length` characters.
std::string RandomId(size_t length);

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WORKER_POOL_H_
