#ifndef SWITCHYARD_SFU_WORKER_POOL_H_
#define SWITCHYARD_SFU_WORKER_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sfu/participant_observer.h"
#include "sfu/worker.h"

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
  void PublishOffer(std::string sdp);
  void SubscribeAnswer(std::string sdp);
  void UpdateSubscription(std::string track_id, LayerPreference preference, bool pinned);
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

struct SfuOptions {
  int workers = 1;
  std::string rtc_ip = "127.0.0.1";
  uint16_t rtc_port = 0;  // worker i binds rtc_port + i; 0 = ephemeral ports
  std::string announced_ip;
};

// The set of workers. Rooms are placed on workers by a hash of their name, so a room (and
// everyone in it) lives on one thread.
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
  WorkerPool() = default;
  std::vector<std::unique_ptr<Worker>> workers_;
};

// Random URL-safe identifier of `length` characters.
std::string RandomId(size_t length);

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WORKER_POOL_H_
