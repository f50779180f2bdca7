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
};

struct ParticipantSummary {
  std::string participant_id;
  std::string name;
  std::vector<TrackSummary> tracks;
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
  virtual void OnTrackPublished(const std::string& participant_id, const TrackSummary& track) = 0;
  virtual void OnTrackUnpublished(const std::string& participant_id,
                                  const std::string& track_id) = 0;
  // Which layer is forwarded for `track_id` now (spatial -1 = paused), and the estimate.
  virtual void OnSubscriptionState(const std::string& track_id, int spatial, int temporal,
                                   uint64_t estimate_bps) = 0;
  // Who is speaking, loudest first.
  virtual void OnActiveSpeakers(const std::vector<std::string>& participant_ids) = 0;
  // code is stable and machine-readable ("bad_sdp", "not_joined", ...).
  virtual void OnError(const std::string& code, const std::string& message) = 0;
  // The participant was removed by the server (e.g. ICE consent expired); no more events follow.
  virtual void OnClosed(const std::string& reason) = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PARTICIPANT_OBSERVER_H_
