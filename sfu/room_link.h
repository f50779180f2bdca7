#ifndef SWITCHYARD_SFU_ROOM_LINK_H_
#define SWITCHYARD_SFU_ROOM_LINK_H_

#include <cstdint>
#include <functional>
#include <string>

namespace switchyard::sfu {

class Producer;
class ProducerRelay;
class Room;

// How a room's shard on one worker reaches the shards of the same room on the other workers of
// the pool (implemented by Worker). A room spans workers: each worker that has participants of
// the room (or hears about them) keeps a Room object for it holding its own participants and
// RemoteParticipants mirroring everyone else's. Everything here is control path (allocates,
// posts to other event loops); packets travel through the WorkerMesh rings instead.
//
// Ordering: tasks posted from one worker to another run in the order they were posted, so a
// shard always hears of a participant before its producers and of a producer before its
// removal.
class RoomLink {
 public:
  virtual ~RoomLink() = default;
  virtual int worker_index() const = 0;
  virtual int worker_count() const = 0;
  // Runs `task` on every other worker with that worker's shard of `room`; a worker without one
  // creates it when `create`, else skips the task.
  virtual void PostToPeers(const std::string& room, bool create,
                           std::function<void(Room&)> task) = 0;
  // Runs `task` on worker `worker` with its shard of `room`, if it still has one.
  virtual void PostToShard(int worker, const std::string& room,
                           std::function<void(Room&)> task) = 0;
  // A producer id unique across the pool (Producer::relay_id()).
  virtual uint64_t NewProducerId() = 0;
  // Where local producers relay packets for other workers.
  virtual ProducerRelay& relay() = 0;
  // Packets relayed for `producer_id` go to `mirror` (a producer of `room`'s RemoteParticipant
  // with key `member_key`) until UnregisterMirror. Worker thread only.
  virtual void RegisterMirror(uint64_t producer_id, Producer& mirror, Room& room,
                              uint64_t member_key) = 0;
  virtual void UnregisterMirror(uint64_t producer_id) = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_ROOM_LINK_H_
