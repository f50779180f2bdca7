#ifndef SWITCHYARD_SFU_PARTICIPANT_H_
#define SWITCHYARD_SFU_PARTICIPANT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rtc/rtp_header_extensions.h"
#include "rtc/session_description.h"
#include "sfu/consumer.h"
#include "sfu/participant_observer.h"
#include "sfu/producer.h"
#include "sfu/webrtc_transport.h"
#include "sfu/worker_context.h"

namespace switchyard::sfu {

class Room;

// A participant has two PeerConnections, as LiveKit's clients do: a publisher transport that
// the browser offers (we answer recvonly) and a subscriber transport that we offer (sendonly
// m-lines, one per track of every other participant). Keeping them apart means a publisher's
// renegotiation never races a subscriber renegotiation that the server initiated.
class Participant final : public WebRtcTransport::Listener, public Producer::Owner {
 public:
  Participant(WorkerContext& context, Room& room, std::string id, std::string name,
              std::shared_ptr<ParticipantObserver> observer);
  ~Participant() override;

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  ParticipantObserver& observer() { return *observer_; }
  ParticipantSummary Summary() const;
  const std::vector<std::unique_ptr<Producer>>& producers() const { return producers_; }

  // Signaling. Errors are returned so the room can report them; state stays consistent.
  absl::Status HandlePublishOffer(const std::string& sdp);
  absl::Status HandleSubscribeAnswer(const std::string& sdp);

  // Subscriptions, driven by the room.
  void Subscribe(Producer& producer, const std::string& publisher_id);
  void Unsubscribe(Producer& producer);

  void OnTimer();
  void Close();

  // Counters for tests and metrics.
  uint64_t rtp_packets_received() const { return rtp_packets_received_; }
  const WebRtcTransport* publisher_transport() const { return publisher_transport_.get(); }
  const WebRtcTransport* subscriber_transport() const { return subscriber_transport_.get(); }

 private:
  // One m-line of the subscriber PeerConnection. Once offered a mid is never reused for
  // another track: a removed track's line stays, inactive (JSEP §5.2.2 allows recycling, but
  // browsers then fire ontrack on a reused transceiver, which confuses simple clients).
  struct SubscriberSlot {
    std::string mid;
    rtc::MediaKind kind;
    std::unique_ptr<Consumer> consumer;  // null = inactive
    std::string publisher_id;
    std::string track_id;
    std::vector<rtc::Codec> codecs;
  };

  // WebRtcTransport::Listener
  void OnRtp(WebRtcTransport& transport, std::span<uint8_t> packet) override;
  void OnRtcp(WebRtcTransport& transport, std::span<const uint8_t> packet) override;
  void OnTransportConnected(WebRtcTransport& transport) override;
  void OnTransportClosed(WebRtcTransport& transport, const std::string& reason) override;
  // Producer::Owner
  void SendKeyframeRequest(uint32_t media_ssrc, bool use_fir) override;

  void OnPublisherRtcp(std::span<const uint8_t> packet);
  void OnSubscriberRtcp(std::span<const uint8_t> packet);
  Producer* FindProducerBySsrc(uint32_t ssrc);
  Consumer* FindConsumerBySsrc(uint32_t ssrc);
  uint32_t NewConsumerSsrc();
  void ScheduleSubscribeOffer();
  void SendSubscribeOffer();
  rtc::SessionDescription BuildSubscribeOffer() const;
  // Hands the peer's ICE credentials, DTLS fingerprint and role (from its first accepted,
  // i.e. bundle-tag, section) to `transport`.
  static absl::Status ApplyRemoteDescription(const rtc::SessionDescription& description,
                                             WebRtcTransport& transport);

  WorkerContext& context_;
  Room& room_;
  const std::string id_;
  const std::string name_;
  std::shared_ptr<ParticipantObserver> observer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::unique_ptr<WebRtcTransport> publisher_transport_;
  std::vector<std::unique_ptr<Producer>> producers_;
  rtc::RtpExtensionMap publisher_extensions_;
  uint64_t publish_answer_version_ = 0;

  std::unique_ptr<WebRtcTransport> subscriber_transport_;
  std::vector<SubscriberSlot> slots_;
  uint32_t next_mid_ = 0;
  uint64_t subscribe_offer_version_ = 0;
  uint64_t subscribe_session_id_;
  bool offer_outstanding_ = false;
  bool offer_scheduled_ = false;
  bool renegotiation_needed_ = false;
  bool subscriber_started_ = false;
  uint8_t fir_sequence_ = 0;

  uint64_t rtp_packets_received_ = 0;
  bool closed_ = false;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PARTICIPANT_H_
