#include "sfu/room.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sfu/room_link.h"

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
  remotes_.clear();  // no local consumers are left on their mirrors
}

Participant* Room::FindParticipant(const std::string& participant_id) {
  for (auto& p : participants_) {
    if (p->id() == participant_id) return p.get();
  }
  return nullptr;
}

RemoteParticipant* Room::FindRemote(const std::string& participant_id) {
  for (auto& r : remotes_) {
    if (r->id() == participant_id) return r.get();
  }
  return nullptr;
}

std::vector<Producer*> Room::ProducersOf(const std::string& id) {
  std::vector<Producer*> out;
  if (Participant* p = FindParticipant(id)) {
    for (const auto& producer : p->producers()) out.push_back(producer.get());
  } else if (RemoteParticipant* r = FindRemote(id)) {
    out = r->producers();
  }
  return out;
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
  if (FindParticipant(options.participant_id) != nullptr ||
      FindRemote(options.participant_id) != nullptr) {
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
  for (const auto& r : remotes_) {
    if (r->kind() != ParticipantKind::kWhep) others.push_back(r->Summary());
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
    for (const auto& producer : p->producers()) MaybeSubscribe(joined, p->id(), *producer);
  }
  for (auto& r : remotes_) {
    for (Producer* producer : r->producers()) MaybeSubscribe(joined, r->id(), *producer);
  }
  if (RoomLink* l = link()) {
    RemoteParticipantInfo info{summary, joined.kind(), joined.whep_source(), l->worker_index()};
    l->PostToPeers(name_, /*create=*/true,
                   [info = std::move(info)](Room& shard) { shard.OnRemoteJoined(info); });
  }
  return absl::OkStatus();
}

void Room::MaybeSubscribe(Participant& subscriber, const std::string& owner_id,
                          Producer& producer) {
  if (subscriber.id() == owner_id || !subscriber.permission().can_subscribe) return;
  if (subscriber.kind() == ParticipantKind::kWhip) return;
  if (subscriber.kind() == ParticipantKind::kWhep && owner_id != subscriber.whep_source()) {
    return;
  }
  // The subscriber skips tracks it disabled and ones it already receives.
  subscriber.subscriber().Subscribe(producer, owner_id);
}

void Room::SubscribeToEverything(Participant& subscriber) {
  for (auto& p : participants_) {
    for (const auto& producer : p->producers()) MaybeSubscribe(subscriber, p->id(), *producer);
  }
  for (auto& r : remotes_) {
    for (Producer* producer : r->producers()) MaybeSubscribe(subscriber, r->id(), *producer);
  }
}

Producer* Room::FindProducer(const std::string& track_id, std::string* owner_id) {
  for (auto& p : participants_) {
    for (const auto& producer : p->producers()) {
      if (producer->track_id() != track_id) continue;
      if (owner_id != nullptr) *owner_id = p->id();
      return producer.get();
    }
  }
  for (auto& r : remotes_) {
    for (Producer* producer : r->producers()) {
      if (producer->track_id() != track_id) continue;
      if (owner_id != nullptr) *owner_id = r->id();
      return producer;
    }
  }
  return nullptr;
}

void Room::HandleSubscribeOffer(const std::string& participant_id, const std::string& sdp) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  std::vector<Producer*> source_tracks;
  if (p->kind() == ParticipantKind::kWhep) {
    for (Producer* producer : ProducersOf(p->whep_source())) {
      if (p->subscriber().track_enabled(producer->track_id())) source_tracks.push_back(producer);
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
    if (RoomLink* l = link(); l != nullptr && producer->relay_id() != 0) {
      l->PostToPeers(name_, /*create=*/false,
                     [owner_id = owner->id(), id = producer->relay_id(), muted](Room& shard) {
                       shard.OnRemoteTrackMuted(owner_id, id, muted);
                     });
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
    std::string owner_id;
    Producer* producer = FindProducer(track_id, &owner_id);
    if (producer == nullptr) continue;
    if (enabled) {
      MaybeSubscribe(*p, owner_id, *producer);
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

void Room::HandleRestartSubscriberIce(const std::string& participant_id) {
  Participant* p = FindParticipant(participant_id);
  if (p == nullptr) return;
  if (auto status = p->subscriber().RestartIce(); !status.ok()) {
    p->observer().OnError("bad_message", std::string(status.message()));
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
  // Keys are per shard; every shard ranks the same levels (remote ones are relayed with the
  // audio), so all shards announce the same speakers.
  auto id_of = [this](uint64_t key) -> const std::string* {
    for (const auto& p : participants_) {
      if (p->key() == key) return &p->id();
    }
    for (const auto& r : remotes_) {
      if (r->key() == key) return &r->id();
    }
    return nullptr;
  };
  std::vector<std::string> ids;
  for (uint64_t key : speakers_.ActiveSpeakers(now, 8)) {
    if (const std::string* id = id_of(key)) ids.push_back(*id);
  }
  if (dominant) {
    // The dominant speaker leads the list even when a louder burst ranks someone else first.
    if (const std::string* id = id_of(*dominant)) {
      const std::string dominant_id = *id;
      ids.erase(std::remove(ids.begin(), ids.end(), dominant_id), ids.end());
      ids.insert(ids.begin(), dominant_id);
      for (auto& other : participants_) other->subscriber().SetActiveSpeaker(dominant_id);
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
    relayed_.erase(producer->relay_id());
  }
  // The other shards drop their mirrors of its producers with it.
  if (RoomLink* l = link()) {
    l->PostToPeers(name_, /*create=*/false,
                   [participant_id](Room& shard) { shard.OnRemoteLeft(participant_id); });
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
    observer->OnTrackPublished(name_, owner.id(), producer.Summary());
  }
  AnnounceProducer(owner, producer);
  for (auto& p : participants_) MaybeSubscribe(*p, owner.id(), producer);
}

void Room::AnnounceProducer(Participant& owner, Producer& producer) {
  RoomLink* l = link();
  if (l == nullptr) return;
  const uint64_t id = l->NewProducerId();
  producer.EnableRelay(&l->relay(), id);
  relayed_[id] = &producer;
  l->PostToPeers(name_, /*create=*/true,
                 [owner_id = owner.id(), params = producer.params(), id,
                  muted = producer.muted()](Room& shard) {
                   shard.OnRemoteProducerAdded(owner_id, params, id, muted);
                 });
}

void Room::OnProducerRemoved(Participant& owner, Producer& producer) {
  for (auto& p : participants_) {
    if (p.get() != &owner) p->subscriber().Unsubscribe(producer);
  }
  if (RoomObserver* observer = room_observer()) {
    observer->OnTrackUnpublished(name_, owner.id(), producer.track_id());
  }
  if (RoomLink* l = link(); l != nullptr && producer.relay_id() != 0) {
    relayed_.erase(producer.relay_id());
    l->PostToPeers(name_, /*create=*/false,
                   [owner_id = owner.id(), id = producer.relay_id()](Room& shard) {
                     shard.OnRemoteProducerRemoved(owner_id, id);
                   });
  }
  // `producer` is no longer among the owner's producers by now.
  ReplaceWhepSources(owner.id());
}

void Room::ReplaceWhepSources(const std::string& owner_id) {
  // WHEP viewers of `owner_id` whose line went quiet take its next track of that kind, if any.
  for (auto& p : participants_) {
    if (p->kind() == ParticipantKind::kWhep && p->whep_source() == owner_id) {
      SubscribeToEverything(*p);
    }
  }
}

void Room::OnTimer() {
  for (auto& p : participants_) p->OnTimer();
  for (auto& r : remotes_) r->OnTimer();
  UpdateActiveSpeakers();
}

void Room::OnRemoteJoined(RemoteParticipantInfo info) {
  RoomLink* l = link();
  if (l == nullptr || FindRemote(info.summary.participant_id) != nullptr ||
      FindParticipant(info.summary.participant_id) != nullptr) {
    return;
  }
  remotes_.push_back(
      std::make_unique<RemoteParticipant>(context_.clock, *l, *this, next_key_++, std::move(info)));
  const RemoteParticipant& joined = *remotes_.back();
  if (joined.kind() == ParticipantKind::kWhep) return;
  const ParticipantSummary summary = joined.Summary();
  for (auto& p : participants_) p->observer().OnParticipantJoined(summary);
}

void Room::OnRemoteLeft(const std::string& participant_id) {
  auto it = std::find_if(remotes_.begin(), remotes_.end(),
                         [&](const auto& r) { return r->id() == participant_id; });
  if (it == remotes_.end()) return;
  std::unique_ptr<RemoteParticipant> leaving = std::move(*it);
  remotes_.erase(it);
  speakers_.Remove(leaving->key());
  // Consumers go before the mirrors they read from.
  auto mirrors = leaving->TakeAllProducers();
  for (auto& mirror : mirrors) {
    for (auto& p : participants_) p->subscriber().Unsubscribe(*mirror->producer);
  }
  if (leaving->kind() != ParticipantKind::kWhep) {
    for (auto& p : participants_) p->observer().OnParticipantLeft(participant_id);
  }
}

void Room::OnRemoteProducerAdded(const std::string& owner_id, ProducerParams params,
                                 uint64_t producer_id, bool muted) {
  RemoteParticipant* owner = FindRemote(owner_id);
  if (owner == nullptr || owner->FindProducer(producer_id) != nullptr) return;
  Producer& mirror = owner->AddProducer(std::move(params), producer_id, muted);
  for (auto& p : participants_) MaybeSubscribe(*p, owner_id, mirror);
}

void Room::OnRemoteProducerRemoved(const std::string& owner_id, uint64_t producer_id) {
  RemoteParticipant* owner = FindRemote(owner_id);
  if (owner == nullptr) return;
  auto mirror = owner->TakeProducer(producer_id);
  if (!mirror) return;
  for (auto& p : participants_) p->subscriber().Unsubscribe(*mirror->producer);
  mirror.reset();
  ReplaceWhepSources(owner_id);
}

void Room::OnRemoteTrackMuted(const std::string& owner_id, uint64_t producer_id, bool muted) {
  RemoteParticipant* owner = FindRemote(owner_id);
  Producer* mirror = owner != nullptr ? owner->FindProducer(producer_id) : nullptr;
  if (mirror == nullptr || mirror->muted() == muted) return;
  mirror->SetMuted(muted);
  for (auto& p : participants_) p->observer().OnTrackMuted(owner_id, mirror->track_id(), muted);
}

void Room::OnMirrorInterest(uint64_t producer_id, int worker, bool wanted) {
  auto it = relayed_.find(producer_id);
  if (it != relayed_.end()) it->second->SetRelayWorker(worker, wanted);
}

void Room::OnMirrorKeyframeRequest(uint64_t producer_id, int encoding) {
  auto it = relayed_.find(producer_id);
  if (it != relayed_.end()) it->second->RequestEncodingKeyframe(encoding);
}

void Room::OnRemoteAudioLevel(uint64_t member_key, uint8_t level, bool voice) {
  speakers_.OnAudioLevel(member_key, level, voice, context_.clock.Now());
}

}  // namespace switchyard::sfu
