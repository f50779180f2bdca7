#ifndef SWITCHYARD_SFU_REMOTE_PARTICIPANT_H_
#define SWITCHYARD_SFU_REMOTE_PARTICIPANT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sfu/participant_observer.h"
#include "sfu/producer.h"
#include "sfu/room_link.h"
#include "transport/clock.h"

namespace switchyard::sfu {

class Room;

// What a room shard tells the other shards about one of its participants when it joins.
struct RemoteParticipantInfo {
  ParticipantSummary summary;  // tracks left empty: producers are announced one by one
  ParticipantKind kind = ParticipantKind::kStandard;
  std::string whep_source;
  int home_worker = 0;
};

// A participant of this room that lives on another worker ("home"), as this worker's shard of
// the room sees it: enough for signaling (summaries, joins and leaves) and a mirror Producer for
// each of its producers. Mirrors are fed by the home worker's relay through the WorkerMesh with
// the packets the home producer accepted, so this worker's consumers rewrite and re-protect
// them here, answer NACKs from the mirror's own packet cache, and rank layers from the same
// packets. Keyframe requests and "somebody here consumes it" go home over the RoomLink.
// Worker thread only.
class RemoteParticipant {
 public:
  // `room` is the shard this participant is mirrored in; it outlives the participant.
  RemoteParticipant(const transport::Clock& clock, RoomLink& link, Room& room, uint64_t key,
                    RemoteParticipantInfo info);
  ~RemoteParticipant();
  RemoteParticipant(const RemoteParticipant&) = delete;
  RemoteParticipant& operator=(const RemoteParticipant&) = delete;

  const std::string& id() const { return info_.summary.participant_id; }
  uint64_t key() const { return key_; }
  ParticipantKind kind() const { return info_.kind; }
  const std::string& whep_source() const { return info_.whep_source; }
  int home_worker() const { return info_.home_worker; }
  ParticipantSummary Summary() const;

  // Mirrors the home producer `producer_id` and registers it with the link for relayed packets
  // (unregistered by TakeProducer / TakeAllProducers / the destructor). The caller subscribes
  // local participants to it.
  Producer& AddProducer(ProducerParams params, uint64_t producer_id, bool muted);
  Producer* FindProducer(uint64_t producer_id);
  // Unregisters and hands the mirror back; the caller unsubscribes everyone, then destroys it
  // (destroying the returned holder destroys the mirror).
  struct Mirror;
  std::unique_ptr<Mirror> TakeProducer(uint64_t producer_id);
  std::vector<std::unique_ptr<Mirror>> TakeAllProducers();
  // The mirrors, in announcement order.
  const std::vector<Producer*>& producers() const { return producers_; }

  void OnTimer();

 private:
  const transport::Clock& clock_;
  RoomLink& link_;
  Room& room_;
  const uint64_t key_;
  const RemoteParticipantInfo info_;
  std::vector<std::unique_ptr<Mirror>> mirrors_;
  std::vector<Producer*> producers_;  // mirrors_[i]->producer, for iteration
};

// One mirrored producer and the Producer::Owner that routes its requests home.
struct RemoteParticipant::Mirror final : public Producer::Owner {
  Mirror(RoomLink& link, std::string room, int home, uint64_t id)
      : link(link), room(std::move(room)), home(home), id(id) {}
  ~Mirror() override;
  void SendKeyframeRequest(int encoding, std::optional<uint32_t> media_ssrc,
                           bool use_fir) override;
  void OnConsumersChanged(bool has_consumers) override;

  RoomLink& link;
  const std::string room;
  const int home;
  const uint64_t id;
  std::unique_ptr<Producer> producer;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_REMOTE_PARTICIPANT_H_
