#include "sfu/participant.h"

#include "sfu/room.h"

namespace switchyard::sfu {

Participant::Participant(WorkerContext& context, const NtpClock& ntp, Room& room, uint64_t key,
                         const JoinOptions& options,
                         std::shared_ptr<ParticipantObserver> observer)
    : context_(context),
      room_(room),
      key_(key),
      id_(options.participant_id),
      name_(options.name),
      identity_(options.identity),
      kind_(options.kind),
      whep_source_(options.whep_source_participant_id),
      permission_(options.permission),
      observer_(std::move(observer)),
      subscriber_(context, ntp, *observer_, *this,
                  options.kind == ParticipantKind::kWhep ? Subscriber::Mode::kAnswer
                                                         : Subscriber::Mode::kOffer),
      publisher_(context, id_, *this) {}

Participant::~Participant() { *alive_ = false; }

ParticipantSummary Participant::Summary() const {
  ParticipantSummary summary{id_, identity_, name_, {}};
  for (const auto& producer : publisher_.producers()) summary.tracks.push_back(producer->Summary());
  return summary;
}

absl::Status Participant::HandlePublishOffer(const std::string& sdp) {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  if (kind_ == ParticipantKind::kWhep) {
    return absl::PermissionDeniedError("a WHEP viewer does not publish");
  }
  if (!permission_.can_publish) {
    return absl::PermissionDeniedError("this participant may not publish");
  }
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

void Participant::OnTransportConnected() {
  if (active_) return;
  active_ = true;
  room_.OnParticipantActive(*this);
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
