#include "sfu/remote_participant.h"

#include <algorithm>

#include "sfu/room.h"

namespace switchyard::sfu {

RemoteParticipant::RemoteParticipant(const transport::Clock& clock, RoomLink& link, Room& room,
                                     uint64_t key, RemoteParticipantInfo info)
    : clock_(clock), link_(link), room_(room), key_(key), info_(std::move(info)) {}

RemoteParticipant::~RemoteParticipant() {
  for (auto& mirror : mirrors_) link_.UnregisterMirror(mirror->id);
}

ParticipantSummary RemoteParticipant::Summary() const {
  ParticipantSummary summary = info_.summary;
  summary.tracks.clear();
  for (const Producer* producer : producers_) summary.tracks.push_back(producer->Summary());
  return summary;
}

Producer& RemoteParticipant::AddProducer(ProducerParams params, uint64_t producer_id,
                                         bool muted) {
  auto mirror = std::make_unique<Mirror>(link_, room_.name(), info_.home_worker, producer_id);
  mirror->producer = std::make_unique<Producer>(clock_, *mirror, std::move(params));
  mirror->producer->EnableRelay(nullptr, producer_id);  // a mirror never relays further
  if (muted) mirror->producer->SetMuted(true);
  Producer& producer = *mirror->producer;
  link_.RegisterMirror(producer_id, producer, room_, key_);
  producers_.push_back(&producer);
  mirrors_.push_back(std::move(mirror));
  return producer;
}

Producer* RemoteParticipant::FindProducer(uint64_t producer_id) {
  for (auto& mirror : mirrors_) {
    if (mirror->id == producer_id) return mirror->producer.get();
  }
  return nullptr;
}

std::unique_ptr<RemoteParticipant::Mirror> RemoteParticipant::TakeProducer(uint64_t producer_id) {
  auto it = std::find_if(mirrors_.begin(), mirrors_.end(),
                         [&](const auto& m) { return m->id == producer_id; });
  if (it == mirrors_.end()) return nullptr;
  std::unique_ptr<Mirror> taken = std::move(*it);
  mirrors_.erase(it);
  producers_.erase(std::remove(producers_.begin(), producers_.end(), taken->producer.get()),
                   producers_.end());
  link_.UnregisterMirror(producer_id);
  return taken;
}

std::vector<std::unique_ptr<RemoteParticipant::Mirror>> RemoteParticipant::TakeAllProducers() {
  for (auto& mirror : mirrors_) link_.UnregisterMirror(mirror->id);
  std::vector<std::unique_ptr<Mirror>> taken = std::move(mirrors_);
  mirrors_.clear();
  producers_.clear();
  return taken;
}

void RemoteParticipant::OnTimer() {
  for (Producer* producer : producers_) producer->OnTimer();
}

RemoteParticipant::Mirror::~Mirror() = default;

void RemoteParticipant::Mirror::SendKeyframeRequest(int encoding, std::optional<uint32_t>, bool) {
  // By encoding: the home producer knows the SSRCs (it learns them from packets), we may not.
  link.PostToShard(home, room, [id = id, encoding](Room& shard) {
    shard.OnMirrorKeyframeRequest(id, encoding);
  });
}

void RemoteParticipant::Mirror::OnConsumersChanged(bool has_consumers) {
  link.PostToShard(home, room, [id = id, worker = link.worker_index(), has_consumers](Room& shard) {
    shard.OnMirrorInterest(id, worker, has_consumers);
  });
}

}  // namespace switchyard::sfu
