#include "sfu/participant.h"

#include "sfu/room.h"

namespace switchyard::sfu {

Participant::Participant(WorkerContext& context, const NtpClock& ntp, Room& room, uint64_t key,
                         std::string id, std::string name,
                         std::shared_ptr<ParticipantObserver> observer)
    : context_(context),
      room_(room),
      key_(key),
      id_(std::move(id)),
      name_(std::move(name)),
      observer_(std::move(observer)),
      subscriber_(context, ntp, *observer_, *this),
      publisher_(context, id_, *this) {}

Participant::~Participant() { *alive_ = false; }

ParticipantSummary Participant::Summary() const {
  ParticipantSummary summary{id_, name_, {}};
  for (const auto& producer : publisher_.producers()) {
    summary.tracks.push_back(TrackSummary{producer->track_id(), producer->kind(), ""});
  }
  return summary;
}

absl::Status Participant::HandlePublishOffer(const std::string& sdp) {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  auto result = publisher_.HandleOffer(sdp);
  if (!result.ok()) return result.status();
  observer_->OnPublishAnswer(result->answer_sdp);
  for (auto& producer : result->removed) room_.OnProducerRemoved(*this, *producer);
  for (Producer* producer : result->added) room_.OnProducerAdded(*this, *producer);
  return absl::OkStatus();
}

void Participant::OnAudioLevel(uint8_t level, bool voice) {
  room_.OnAudioLevel(*this, level, voice);
}

void Participant::OnTransportClosed(const std::string& reason) {
  if (closed_) return;
  // Called from inside a transport: leave the room only after this event unwinds.
  std::weak_ptr<bool> alive = alive_;
  context_.defer([this, alive, reason] {
    if (alive.expired()) return;
    room_.RemoveParticipant(id_, reason);
  });
}

void Participant::OnTimer() {
  publisher_.OnTimer();
  subscriber_.OnTimer();
}

void Participant::Close() {
  if (closed_) return;
  closed_ = true;
  publisher_.Close();
  subscriber_.Close();
}

}  // namespace switchyard::sfu
