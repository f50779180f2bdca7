#ifndef SWITCHYARD_SFU_ROOM_H_
#define SWITCHYARD_SFU_ROOM_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "sfu/active_speaker_detector.h"
#include "sfu/layer_selector.h"
#include "sfu/participant.h"
#include "sfu/participant_observer.h"
#include "sfu/remote_participant.h"
#include "sfu/worker_context.h"

namespace switchyard::sfu {

// A room's shard on one worker. A room spans the workers its participants were placed on:
// each such worker (and every other worker of the pool, once it hears of the room) keeps a
// Room holding its own participants (Participant: transports, publisher, subscriber) and
// RemoteParticipants mirroring the participants that live on other workers (see
// RemoteParticipant and RoomLink). Each shard tells the others about its participants' joins,
// leaves, producers and mutes; local subscribers consume remote producers through their
// mirrors exactly as they consume local ones. Without a RoomLink (one worker) a room is one
// shard. Every participant subscribes to every other participant's
// producers, except where the room API says otherwise: a participant without can_subscribe,
// tracks it disabled (SetSubscriptionsEnabled), WHIP ingest participants (never subscribe) and
// WHEP viewers (only their source's tracks). The room wires producers to consumers, tells
// everyone who came and went, and reports room-level events to the worker's RoomObserver.
class Room {
 public:
  Room(WorkerContext& context, std::string name);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }
  // No participants here and none mirrored from other workers.
  bool empty() const { return participants_.empty() && remotes_.empty(); }
  // Participants on this worker.
  size_t participant_count() const { return participants_.size(); }
  const std::vector<std::unique_ptr<RemoteParticipant>>& remote_participants() const {
    return remotes_;
  }
  Participant* FindParticipant(const std::string& participant_id);
  const std::vector<std::unique_ptr<Participant>>& participants() const { return participants_; }

  // options.participant_id must be non-empty and new in the room; a kWhep participant needs
  // whep_source_participant_id (the source need not have joined yet).
  absl::Status Join(const JoinOptions& options, std::shared_ptr<ParticipantObserver> observer);
  // A standard participant with identity = name and full permissions.
  absl::Status Join(const std::string& participant_id, const std::string& name,
                    std::shared_ptr<ParticipantObserver> observer);
  // Errors go to the participant's observer as signaling errors; other participants are not
  // affected by one participant's bad SDP.
  void HandlePublishOffer(const std::string& participant_id, const std::string& sdp);
  void HandleSubscribeAnswer(const std::string& participant_id, const std::string& sdp);
  // kWhep: the viewer's offer; the answer goes to its observer's OnSubscribeAnswer.
  void HandleSubscribeOffer(const std::string& participant_id, const std::string& sdp);
  // Room API. Unknown participants and track ids are ignored; repeating the current state is a
  // no-op (no events).
  void SetTrackMuted(const std::string& participant_id, const std::string& track_id, bool muted);
  void SetSubscriptionsEnabled(const std::string& participant_id,
                               const std::vector<std::string>& track_ids, bool enabled);
  void SetPermission(const std::string& participant_id, const ParticipantPermission& permission);
  // The participant's subscriber connection restarts ICE (its network changed).
  void HandleRestartSubscriberIce(const std::string& participant_id);
  void HandleUpdateSubscription(const std::string& participant_id, const std::string& track_id,
                                const LayerPreference& preference, bool pinned);
  // Leaves (explicitly, by closed signaling, or because its transport died). `reason` empty
  // for a voluntary leave; otherwise the participant's observer gets OnClosed(reason).
  void RemoveParticipant(const std::string& participant_id, const std::string& reason = "");

  // From participants.
  void OnProducerAdded(Participant& owner, Producer& producer);
  void OnProducerRemoved(Participant& owner, Producer& producer);
  void OnAudioLevel(Participant& participant, uint8_t level, bool voice);
  void OnParticipantActive(Participant& participant);

  void OnTimer();

  // From the shards of this room on other workers (RoomLink::PostToPeers). Unknown ids are
  // ignored (the participant may have left meanwhile).
  void OnRemoteJoined(RemoteParticipantInfo info);
  void OnRemoteLeft(const std::string& participant_id);
  void OnRemoteProducerAdded(const std::string& owner_id, ProducerParams params,
                             uint64_t producer_id, bool muted);
  void OnRemoteProducerRemoved(const std::string& owner_id, uint64_t producer_id);
  void OnRemoteTrackMuted(const std::string& owner_id, uint64_t producer_id, bool muted);
  // From mirrors of this shard's producers on other workers.
  void OnMirrorInterest(uint64_t producer_id, int worker, bool wanted);
  void OnMirrorKeyframeRequest(uint64_t producer_id, int encoding);
  // An RFC 6464 level relayed with a remote participant's audio (key: RemoteParticipant::key).
  void OnRemoteAudioLevel(uint64_t member_key, uint8_t level, bool voice);

  // Metrics. The track and consumer figures are current; the feedback and DTLS totals include
  // participants that have left, so they only grow while the room exists.
  struct Counters {
    size_t audio_tracks = 0;
    size_t video_tracks = 0;
    size_t consumers = 0;
    uint64_t nacks_sent = 0;      // sequence numbers we NACKed to publishers
    uint64_t nacks_received = 0;  // sequence numbers subscribers NACKed to us
    uint64_t plis_sent = 0;       // keyframe requests to publishers
    uint64_t plis_received = 0;   // keyframe requests from subscribers
    uint64_t dtls_handshakes_ok = 0;
    uint64_t dtls_handshakes_failed = 0;
    // Adds the totals (not the current figures) of `other`.
    void AddTotals(const Counters& other);
  };
  Counters CollectCounters() const;

 private:
  WorkerContext& context_;
  const std::string name_;
  void UpdateActiveSpeakers();
  RoomObserver* room_observer() const { return context_.room_observer; }
  RoomLink* link() const { return context_.link; }
  RemoteParticipant* FindRemote(const std::string& participant_id);
  // Subscribes `subscriber` to `producer` of participant `owner_id` (local or remote) if the
  // room's rules allow it.
  void MaybeSubscribe(Participant& subscriber, const std::string& owner_id, Producer& producer);
  // The producers of participant `id` (local or remote; empty when unknown).
  std::vector<Producer*> ProducersOf(const std::string& id);
  // Tells the other shards (no-op without a link).
  void AnnounceProducer(Participant& owner, Producer& producer);
  void ReplaceWhepSources(const std::string& owner_id);
  // Everything currently published that `subscriber` may receive.
  void SubscribeToEverything(Participant& subscriber);
  Producer* FindProducer(const std::string& track_id, std::string* owner_id);

  std::vector<std::unique_ptr<Participant>> participants_;
  std::vector<std::unique_ptr<RemoteParticipant>> remotes_;
  // Local producers by relay id, for requests from their mirrors on other workers.
  absl::flat_hash_map<uint64_t, Producer*> relayed_;
  uint64_t next_key_ = 1;
  ActiveSpeakerDetector speakers_;
  std::vector<std::string> announced_speakers_;
  static constexpr transport::Duration kSpeakerUpdateInterval = std::chrono::milliseconds(100);
  std::optional<transport::Timestamp> last_speaker_update_;
  Counters departed_;  // totals of participants that left
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_ROOM_H_
