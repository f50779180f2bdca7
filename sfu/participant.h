#ifndef SWITCHYARD_SFU_PARTICIPANT_H_
#define SWITCHYARD_SFU_PARTICIPANT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sfu/ntp_time.h"
#include "sfu/participant_observer.h"
#include "sfu/publisher.h"
#include "sfu/subscriber.h"
#include "sfu/worker_context.h"

namespace switchyard::sfu {

class Room;

// A participant has two PeerConnections, as LiveKit's clients do: a publisher transport that
// the browser offers (we answer recvonly) and a subscriber transport that we offer (sendonly
// m-lines, one per track of every other participant). Keeping them apart means a publisher's
// renegotiation never races a subscriber renegotiation that the server initiated.
class Participant final : public Publisher::Delegate, public Subscriber::Delegate {
 public:
  // kWhep participants get an answering subscriber (Subscriber::Mode::kAnswer) and never
  // publish; kWhip participants never subscribe (the room gives them no consumers).
  Participant(WorkerContext& context, const NtpClock& ntp, Room& room, uint64_t key,
              const JoinOptions& options, std::shared_ptr<ParticipantObserver> observer);
  ~Participant() override;

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& identity() const { return identity_; }
  ParticipantKind kind() const { return kind_; }
  const std::string& whep_source() const { return whep_source_; }
  const ParticipantPermission& permission() const { return permission_; }
  void set_permission(const ParticipantPermission& permission) { permission_ = permission; }
  // A transport of this participant has connected at least once.
  bool active() const { return active_; }
  // Small integer identity inside the room (active speaker detection keys on it).
  uint64_t key() const { return key_; }
  ParticipantObserver& observer() { return *observer_; }
  ParticipantSummary Summary() const;
  const std::vector<std::unique_ptr<Producer>>& producers() const {
    return publisher_.producers();
  }
  Publisher& publisher() { return publisher_; }
  Subscriber& subscriber() { return subscriber_; }

  // Signaling. Errors are returned so the room can report them; state stays consistent.
  absl::Status HandlePublishOffer(const std::string& sdp);
  absl::Status HandleSubscribeAnswer(const std::string& sdp) {
    return subscriber_.HandleAnswer(sdp);
  }
  // Publish permission revoked: see Publisher::TakeProducers.
  std::vector<std::unique_ptr<Producer>> TakeProducers() { return publisher_.TakeProducers(); }

  void OnTimer();
  void Close();

 private:
  // Publisher::Delegate
  void OnPublisherClosed(const std::string& reason) override { OnTransportClosed(reason); }
  void OnPublisherConnected() override { OnTransportConnected(); }
  void OnAudioLevel(uint8_t level, bool voice) override;
  // Subscriber::Delegate
  void OnSubscriberClosed(const std::string& reason) override { OnTransportClosed(reason); }
  void OnSubscriberConnected() override { OnTransportConnected(); }

  void OnTransportClosed(const std::string& reason);
  void OnTransportConnected();

  WorkerContext& context_;
  Room& room_;
  const uint64_t key_;
  const std::string id_;
  const std::string name_;
  const std::string identity_;
  const ParticipantKind kind_;
  const std::string whep_source_;
  ParticipantPermission permission_;
  bool active_ = false;
  std::shared_ptr<ParticipantObserver> observer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Declared before the publisher: consumers (in the subscriber) of other participants'
  // producers are independent, but our own producers' consumers live in other participants
  // and the room removes them before we are destroyed.
  Subscriber subscriber_;
  Publisher publisher_;
  bool closed_ = false;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PARTICIPANT_H_
