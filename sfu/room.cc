#include "sfu/room.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace switchyard::sfu {

namespace {

std::string ErrorCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return "bad_sdp";
    case absl::StatusCode::kFailedPrecondition: return "bad_state";
    case absl::StatusCode::kUnimplemented: return "unsupported";
    default: return "internal";
  }
}

Room::Counters CountersOf(Participant& p) {
  Room::Counters c;
  for (const auto& producer : p.producers()) {
    if (producer->kind() == rtc::MediaKind::kAudio) ++c.audio_tracks;
    if (producer->kind() == rtc::MediaKind::kVideo) ++c.video_tracks;
  }
  c.consumers = p.subscriber().consumer_count();
  c.nacks_sent = p.publisher().nacks_sent();
  c.nacks_received = p.subscriber().nacks_received();
  c.plis_sent = p.publisher().plis_sent();
  c.plis_received = p.subscriber().plis_received();
  c.dtls_handshakes_ok = p.publisher().dtls_handshakes_ok() + p.subscriber().dtls_handshakes_ok();
  c.dtls_handshakes_failed =
      p.publisher().dtls_handshakes_failed() + p.subscriber().dtls_handshakes_failed();
  return c;
}

}  // namespace

void Room::Counters::AddTotals(const Counters& other) {
  nacks_sent += other.nacks_sent;
  nacks_received += other.nacks_received;
  plis_sent += other.plis_sent;
  plis_received += other.plis_received;
  dtls_handshakes_ok += other.dtls_handshakes_ok;
  dtls_handshakes_failed += other.dtls_handshakes_failed;
}

Room::Counters Room::CollectCounters() const {
  Counters total = departed_;
  for (const auto& p : participants_) {
    const Counters c = CountersOf(*p);
    total.audio_tracks += c.audio_tracks;
    total.video_tracks += c.video_tracks;
    total.consumers += c.consumers;
    total.AddTotals(c);
  }
  return total;
}

Room::Room(WorkerContext& context, std::string name) : context_(context), name_(std::move(name)) {}

Room::~Room() {
  while (!participants_.empty()) RemoveParticipant(participants_.back()->id(), "room closed");
}

Participant* Room::FindParticipant(const std::string& participant_id) {
  for (auto& p : participants_) {
    if (p->id() == participant_id) return p.get();
  }
  return nullptr;
}

absl::Status Room::Join(const std::string& participant_id, const std::string& name,
                        std::shared_ptr<ParticipantObserver> observer) {
  if (FindParticipant(participant_id) != nullptr) {
    return absl::AlreadyExistsError("participant id already in the room");
  }
  std::vector<ParticipantSummary> others;
  for (const auto& p : participants_) others.push_back(p->Summary());
  participants_.push_back(std::make_unique<Participant>(
      context_, context_.ntp, *this, next_key_++, participant_id, name, std::move(observer)));
  Participant& joined = *participants_.back();
  joined.observer().OnJoined(participant_id, name_, others);

  const ParticipantSummary summary = joined.Summary();
  for (auto& p : participants_) {
    if (p.get() == &joined) continue;
    p->observer().OnParticipantJoined(summary);
    for (const auto& producer : p->producers()) joined.subscriber().Subscribe(*producer, p->id());
  }
  return absl::OkStatus();
}

void Room::HandlePublishOffer(const std::string& participant_id, const std::string& sdp) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  if (auto status = p->HandlePublishOffer(sdp); !status.ok()) {
    p->observer().OnError(ErrorCodeFor(status),
                          absl::StrCat("publish offer: ", status.message()));
  }
}

void Room::HandleSubscribeAnswer(const std::string& participant_id, const std::string& sdp) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  if (auto status = p->HandleSubscribeAnswer(sdp); !status.ok()) {
    p->observer().OnError(ErrorCodeFor(status),
                          absl::StrCat("subscribe answer: ", status.message()));
  }
}

void Room::HandleUpdateSubscription(const std::string& participant_id,
                                    const std::string& track_id,
                                    const LayerPreference& preference, bool pinned) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  if (auto status = p->subscriber().UpdateSubscription(track_id, preference, pinned);
      !status.ok()) {
    p->observer().OnError("bad_track", std::string(status.message()));
  }
}

void Room::OnAudioLevel(Participant& participant, uint8_t level, bool voice) {
  speakers_.OnAudioLevel(participant.key(), level, voice, context_.clock.Now());
}

void Room::UpdateActiveSpeakers() {
  const transport::Timestamp now = context_.clock.Now();
  // Speaker changes need hundreds of milliseconds of hysteresis anyway; ranking every worker
  // tick (20 ms) would only cost allocations.
  if (last_speaker_update_ && now - *last_speaker_update_ < kSpeakerUpdateInterval) return;
  last_speaker_update_ = now;
  const auto dominant = speakers_.Update(now);
  std::vector<std::string> ids;
  for (uint64_t key : speakers_.ActiveSpeakers(now, 8)) {
    for (const auto& p : participants_) {
      if (p->key() == key) ids.push_back(p->id());
    }
  }
  if (dominant) {
    // The dominant speaker leads the list even when a louder burst ranks someone else first.
    for (const auto& p : participants_) {
      if (p->key() != *dominant) continue;
      ids.erase(std::remove(ids.begin(), ids.end(), p->id()), ids.end());
      ids.insert(ids.begin(), p->id());
      for (auto& other : participants_) other->subscriber().SetActiveSpeaker(p->id());
    }
  }
  if (ids == announced_speakers_) return;
  announced_speakers_ = ids;
  for (auto& p : participants_) p->observer().OnActiveSpeakers(ids);
}

void Room::RemoveParticipant(const std::string& participant_id, const std::string& reason) {
  auto it = std::find_if(participants_.begin(), participants_.end(),
                         [&](const auto& p) { return p->id() == participant_id; });
  if (it == participants_.end()) return;
  std::unique_ptr<Participant> leaving = std::move(*it);
  participants_.erase(it);
  leaving->Close();
  departed_.AddTotals(CountersOf(*leaving));
  speakers_.Remove(leaving->key());
  // Consumers of the leaving participant's producers must go before the producers do.
  for (const auto& producer : leaving->producers()) {
    for (auto& p : participants_) p->subscriber().Unsubscribe(*producer);
  }
  for (auto& p : participants_) p->observer().OnParticipantLeft(participant_id);
  if (!reason.empty()) leaving->observer().OnClosed(reason);
  // Our own consumers unregister from other participants' producers in ~Participant.
}

void Room::OnProducerAdded(Participant& owner, Producer& producer) {
  for (auto& p : participants_) {
    if (p.get() != &owner) p->subscriber().Subscribe(producer, owner.id());
  }
}

void Room::OnProducerRemoved(Participant& owner, Producer& producer) {
  for (auto& p : participants_) {
    if (p.get() != &owner) p->subscriber().Unsubscribe(producer);
  }
}

void Room::OnTimer() {
  for (auto& p : participants_) p->OnTimer();
  UpdateActiveSpeakers();
}

}  // namespace switchyard::sfu
