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
    case absl::StatusCode::kPermissionDenied: return "permission_denied";
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
  JoinOptions options;
  options.participant_id = participant_id;
  options.identity = name;
  options.name = name;
  return Join(options, std::move(observer));
}

absl::Status Room::Join(const JoinOptions& options,
                        std::shared_ptr<ParticipantObserver> observer) {
  if (options.participant_id.empty()) return absl::InvalidArgumentError("empty participant id");
  if (FindParticipant(options.participant_id) != nullptr) {
    return absl::AlreadyExistsError("participant id already in the room");
  }
  if (options.kind == ParticipantKind::kWhep &&
      (options.whep_source_participant_id.empty() ||
       options.whep_source_participant_id == options.participant_id)) {
    return absl::InvalidArgumentError("a WHEP viewer needs another participant as its source");
  }
  // WHEP viewers are an audience, not members: nobody is told about them (as LiveKit's hidden
  // participants), so conference UIs show no empty tiles for players.
  std::vector<ParticipantSummary> others;
  for (const auto& p : participants_) {
    if (p->kind() != ParticipantKind::kWhep) others.push_back(p->Summary());
  }
  participants_.push_back(std::make_unique<Participant>(context_, context_.ntp, *this,
                                                        next_key_++, options,
                                                        std::move(observer)));
  Participant& joined = *participants_.back();
  joined.observer().OnJoined(joined.id(), name_, others);

  const ParticipantSummary summary = joined.Summary();
  if (RoomObserver* observer = room_observer()) observer->OnParticipantJoined(name_, summary);
  for (auto& p : participants_) {
    if (p.get() == &joined) continue;
    if (joined.kind() != ParticipantKind::kWhep) p->observer().OnParticipantJoined(summary);
    for (const auto& producer : p->producers()) MaybeSubscribe(joined, *p, *producer);
  }
  return absl::OkStatus();
}

void Room::MaybeSubscribe(Participant& subscriber, Participant& owner, Producer& producer) {
  if (&subscriber == &owner || !subscriber.permission().can_subscribe) return;
  if (subscriber.kind() == ParticipantKind::kWhip) return;
  if (subscriber.kind() == ParticipantKind::kWhep && owner.id() != subscriber.whep_source()) {
    return;
  }
  // The subscriber skips tracks it disabled and ones it already receives.
  subscriber.subscriber().Subscribe(producer, owner.id());
}

void Room::SubscribeToEverything(Participant& subscriber) {
  for (auto& p : participants_) {
    for (const auto& producer : p->producers()) MaybeSubscribe(subscriber, *p, *producer);
  }
}

Producer* Room::FindProducer(const std::string& track_id, Participant** owner) {
  for (auto& p : participants_) {
    for (const auto& producer : p->producers()) {
      if (producer->track_id() != track_id) continue;
      if (owner != nullptr) *owner = p.get();
      return producer.get();
    }
  }
  return nullptr;
}

void Room::HandleSubscribeOffer(const std::string& participant_id, const std::string& sdp) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  std::vector<Producer*> source_tracks;
  if (Participant* source = p->kind() == ParticipantKind::kWhep
                                ? FindParticipant(p->whep_source())
                                : nullptr) {
    for (const auto& producer : source->producers()) {
      if (p->subscriber().track_enabled(producer->track_id())) {
        source_tracks.push_back(producer.get());
      }
    }
  }
  auto answer = p->subscriber().HandleViewerOffer(sdp, source_tracks, p->whep_source());
  if (!answer.ok()) {
    p->observer().OnError(ErrorCodeFor(answer.status()),
                          absl::StrCat("subscribe offer: ", answer.status().message()));
    return;
  }
  p->observer().OnSubscribeAnswer(*answer);
  SubscribeToEverything(*p);
}

void Room::SetTrackMuted(const std::string& participant_id, const std::string& track_id,
                         bool muted) {
  Participant* owner = FindParticipant(participant_id);
  if (owner == nullptr) return;
  for (const auto& producer : owner->producers()) {
    if (producer->track_id() != track_id) continue;
    if (producer->muted() == muted) return;
    producer->SetMuted(muted);
    for (auto& p : participants_) p->observer().OnTrackMuted(owner->id(), track_id, muted);
    if (RoomObserver* observer = room_observer()) {
      observer->OnTrackMuted(name_, owner->id(), track_id, muted);
    }
    return;
  }
}

void Room::SetSubscriptionsEnabled(const std::string& participant_id,
                                   const std::vector<std::string>& track_ids, bool enabled) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  for (const std::string& track_id : track_ids) {
    p->subscriber().SetTrackEnabled(track_id, enabled);
    Participant* owner = nullptr;
    Producer* producer = FindProducer(track_id, &owner);
    if (producer == nullptr) continue;
    if (enabled) {
      MaybeSubscribe(*p, *owner, *producer);
    } else {
      p->subscriber().Unsubscribe(*producer);
    }
  }
  // A WHEP viewer's line freed by a disabled track takes the source's next track of its kind.
  if (p->kind() == ParticipantKind::kWhep) SubscribeToEverything(*p);
}

void Room::SetPermission(const std::string& participant_id,
                         const ParticipantPermission& permission) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  const ParticipantPermission old = p->permission();
  p->set_permission(permission);
  if (old.can_publish && !permission.can_publish) {
    // Consumers go before their producers: `taken` is destroyed after every unsubscription.
    std::vector<std::unique_ptr<Producer>> taken = p->TakeProducers();
    for (auto& producer : taken) OnProducerRemoved(*p, *producer);
  }
  if (old.can_subscribe && !permission.can_subscribe) p->subscriber().UnsubscribeAll();
  if (!old.can_subscribe && permission.can_subscribe) SubscribeToEverything(*p);
}

void Room::OnParticipantActive(Participant& participant) {
  if (RoomObserver* observer = room_observer()) {
    observer->OnParticipantActive(name_, participant.id());
  }
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
  RoomObserver* observer = room_observer();
  for (const auto& producer : leaving->producers()) {
    for (auto& p : participants_) p->subscriber().Unsubscribe(*producer);
    if (observer != nullptr) observer->OnTrackUnpublished(name_, participant_id, producer->track_id());
  }
  if (leaving->kind() != ParticipantKind::kWhep) {
    for (auto& p : participants_) p->observer().OnParticipantLeft(participant_id);
  }
  if (observer != nullptr) observer->OnParticipantLeft(name_, participant_id, reason);
  if (!reason.empty()) leaving->observer().OnClosed(reason);
  // Our own consumers unregister from other participants' producers in ~Participant.
}

void Room::OnProducerAdded(Participant& owner, Producer& producer) {
  if (RoomObserver* observer = room_observer()) {
    observer->OnTrackPublished(
        name_, owner.id(),
        TrackSummary{producer.track_id(), producer.kind(), "", producer.muted(),
                     static_cast<int>(producer.encoding_count())});
  }
  for (auto& p : participants_) MaybeSubscribe(*p, owner, producer);
}

void Room::OnProducerRemoved(Participant& owner, Producer& producer) {
  for (auto& p : participants_) {
    if (p.get() != &owner) p->subscriber().Unsubscribe(producer);
  }
  if (RoomObserver* observer = room_observer()) {
    observer->OnTrackUnpublished(name_, owner.id(), producer.track_id());
  }
  // WHEP viewers of `owner` whose line went quiet take its next track of that kind, if any
  // (`producer` is no longer among the owner's producers by now).
  for (auto& p : participants_) {
    if (p->kind() == ParticipantKind::kWhep && p->whep_source() == owner.id()) {
      SubscribeToEverything(*p);
    }
  }
}

void Room::OnTimer() {
  for (auto& p : participants_) p->OnTimer();
  UpdateActiveSpeakers();
}

}  // namespace switchyard::sfu
