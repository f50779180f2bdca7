#ifndef SWITCHYARD_SFU_PARTICIPANT_OBSERVER_H_
#define SWITCHYARD_SFU_PARTICIPANT_OBSERVER_H_

#include <string>
#include <vector>

#include "rtc/media_kind.h"

namespace switchyard::sfu {

struct TrackSummary {
  std::string track_id;
  rtc::MediaKind kind = rtc::MediaKind::kAudio;
  std::string mid;  // in the receiving participant's subscriber PeerConnection; may be empty
  bool muted = false;  // muted through the room API: nothing of it is forwarded
  int layers = 1;      // simulcast encodings the publisher declared
};

struct ParticipantSummary {
  std::string participant_id;
  std::string identity;
  std::string name;
  std::vector<TrackSummary> tracks;
};

// What a participant may do; changed at runtime through the room API.
struct ParticipantPermission {
  bool can_publish = true;
  bool can_subscribe = true;
  bool operator==(const ParticipantPermission&) const = default;
};

enum class ParticipantKind {
  kStandard,  // signaling client: publisher PC offered by the client, subscriber PC by us
  kWhip,      // WHIP ingest (RFC 9725): publisher PC only, never subscribes
  kWhep,      // WHEP viewer: one PC offered by the client (recvonly), fed one participant's tracks
};

struct JoinOptions {
  std::string participant_id;  // chosen by the caller, unique on the server
  std::string identity;
  std::string name;
  ParticipantPermission permission;
  ParticipantKind kind = ParticipantKind::kStandard;
  // kWhep: the participant whose tracks this viewer receives (none other).
  std::string whep_source_participant_id;
};

// What a participant is told. The sfu layer calls these on the participant's worker thread;
// implementations (the api layer's signaling session) hand them to their own thread and must
// not call back into the sfu synchronously. The sfu never depends on how they are delivered.
class ParticipantObserver {
 public:
  virtual ~ParticipantObserver() = default;
  virtual void OnJoined(const std::string& participant_id, const std::string& room,
                        const std::vector<ParticipantSummary>& others) = 0;
  virtual void OnPublishAnswer(const std::string& sdp) = 0;
  virtual void OnSubscribeOffer(const std::string& sdp) = 0;
  virtual void OnParticipantJoined(const ParticipantSummary& participant) = 0;
  virtual void OnParticipantLeft(const std::string& participant_id) = 0;
  // A track of `participant_id` was added to / removed from this participant's subscriber
  // PeerConnection (track.mid is its m-line there). Removal also happens while the track stays
  // published: its subscription was disabled (ParticipantHandle::SetSubscriptionsEnabled) or
  // can_subscribe was revoked; re-enabling announces it again under a new mid. Room-wide
  // publication state is RoomObserver's.
  virtual void OnTrackPublished(const std::string& participant_id, const TrackSummary& track) = 0;
  virtual void OnTrackUnpublished(const std::string& participant_id,
                                  const std::string& track_id) = 0;
  // Which layer is forwarded for `track_id` now (spatial -1 = paused), and the estimate.
  virtual void OnSubscriptionState(const std::string& track_id, int spatial, int temporal,
                                   uint64_t estimate_bps) = 0;
  // Who is speaking, loudest first.
  virtual void OnActiveSpeakers(const std::vector<std::string>& participant_ids) = 0;
  // A publisher's track was muted or unmuted through the room API (own tracks included).
  virtual void OnTrackMuted(const std::string& participant_id, const std::string& track_id,
                            bool muted) = 0;
  // kWhep: the answer to the viewer's offer (ParticipantHandle::SubscribeOffer). ICE-lite with
  // our candidates, a=setup:passive (active if the viewer offered passive), one sendonly line
  // per offered audio/video line, each with its SSRC (and RTX SSRC) declared. A line whose
  // track does not exist yet keeps every offered codec we forward and starts carrying media
  // when the source publishes a track of its kind; a line whose track exists keeps only the
  // viewer's codecs matching what the source sends, or is answered inactive if none do.
  virtual void OnSubscribeAnswer(const std::string& sdp) = 0;
  // code is stable and machine-readable: "bad_sdp", "bad_state", "unsupported",
  // "permission_denied" (publishing without can_publish, or as a WHEP viewer), "bad_track",
  // "join_failed", "internal".
  virtual void OnError(const std::string& code, const std::string& message) = 0;
  // The participant was removed by the server (e.g. ICE consent expired); no more events follow.
  virtual void OnClosed(const std::string& reason) = 0;
};

// Room-level events for the control plane's registry (room API, webhooks). Called on the
// worker thread that owns the room; implementations post to their own thread and must not call
// back into the sfu synchronously. One observer for the whole pool.
class RoomObserver {
 public:
  virtual ~RoomObserver() = default;
  // Every participant kind (WHIP and WHEP participants included).
  virtual void OnParticipantJoined(const std::string& room,
                                   const ParticipantSummary& participant) = 0;
  // A media transport of the participant connected (ICE + DTLS) for the first time.
  virtual void OnParticipantActive(const std::string& room, const std::string& participant_id) = 0;
  // reason: "" for a leave asked by the client or the control plane (ParticipantHandle::Leave),
  // otherwise why the server dropped it ("ICE consent expired (RFC 7675)", "DTLS failed: ...",
  // "room closed" when the worker stops). Its tracks are reported unpublished just before.
  virtual void OnParticipantLeft(const std::string& room, const std::string& participant_id,
                                 const std::string& reason) = 0;
  // track.mid is empty here (mids are per subscriber).
  virtual void OnTrackPublished(const std::string& room, const std::string& participant_id,
                                const TrackSummary& track) = 0;
  virtual void OnTrackUnpublished(const std::string& room, const std::string& participant_id,
                                  const std::string& track_id) = 0;
  virtual void OnTrackMuted(const std::string& room, const std::string& participant_id,
                            const std::string& track_id, bool muted) = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PARTICIPANT_OBSERVER_H_
