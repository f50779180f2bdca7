#ifndef SWITCHYARD_SFU_SUBSCRIBER_H_
#define SWITCHYARD_SFU_SUBSCRIBER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rtc/session_description.h"
#include "sfu/bandwidth_estimator.h"
#include "sfu/consumer.h"
#include "sfu/layer_selector.h"
#include "sfu/ntp_time.h"
#include "sfu/participant_observer.h"
#include "sfu/producer.h"
#include "sfu/webrtc_transport.h"
#include "sfu/worker_context.h"

namespace switchyard::sfu {

// The downlink of one participant: the PeerConnection the server offers (one sendonly m-line
// per remote track), its consumers, and the loop that keeps it smooth: a send-side bandwidth
// estimate from the browser's transport-wide feedback (REMB as fallback), allocation of that
// estimate across the tracks (simulcast layer per track), retransmissions for its NACKs,
// sender reports, and probing for headroom before switching up.
class Subscriber final : public WebRtcTransport::Listener, public ConsumerSink {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnSubscriberClosed(const std::string& reason) = 0;
  };

  // How often the estimate is re-allocated across tracks (also at once on changes).
  static constexpr transport::Duration kAllocationInterval = std::chrono::milliseconds(250);
  // Header extension ids we use in our offers (one id space under BUNDLE, RFC 8843 §9.1).
  static constexpr uint8_t kAudioLevelId = 1;
  static constexpr uint8_t kTransportSequenceId = 3;

  Subscriber(WorkerContext& context, const NtpClock& ntp, ParticipantObserver& observer,
             Delegate& delegate);
  ~Subscriber() override;

  void Subscribe(Producer& producer, const std::string& publisher_id);
  void Unsubscribe(Producer& producer);
  absl::Status HandleAnswer(const std::string& sdp);
  absl::Status UpdateSubscription(const std::string& track_id, const LayerPreference& preference,
                                  bool pinned);
  void SetActiveSpeaker(const std::string& participant_id);

  void OnTimer();
  void Close();

  const WebRtcTransport* transport() const { return transport_.get(); }
  uint64_t estimate_bps() const;
  Consumer* FindConsumerByTrack(const std::string& track_id);

  // Metrics: active consumers; sequence numbers the browser NACKed; keyframe requests (PLI and
  // FIR entries) it sent; DTLS handshakes of this transport that completed or failed.
  size_t consumer_count() const;
  uint64_t nacks_received() const { return nacks_received_; }
  uint64_t plis_received() const { return plis_received_; }
  uint64_t dtls_handshakes_ok() const { return dtls_handshakes_ok_; }
  uint64_t dtls_handshakes_failed() const { return dtls_handshakes_failed_; }

  // ConsumerSink
  bool sink_connected() const override;
  uint16_t NextTransportSequenceNumber() override { return ++transport_sequence_; }
  bool SendRtpPacket(uint8_t* packet, size_t length, size_t capacity,
                     uint16_t transport_sequence_number) override;
  void OnLayersChanged() override { last_allocation_.reset(); }

 private:
  // One m-line of the subscriber PeerConnection. Once offered a mid is never reused for
  // another track: a removed track's line stays, inactive (JSEP §5.2.2 allows recycling, but
  // browsers then fire ontrack on a reused transceiver, which confuses simple clients).
  struct Slot {
    std::string mid;
    rtc::MediaKind kind;
    std::unique_ptr<Consumer> consumer;  // null = inactive
    std::string publisher_id;
    std::string track_id;
    std::vector<rtc::Codec> codecs;
    LayerPreference preference;
    bool pinned = false;
    LayerTarget reported;
  };

  // WebRtcTransport::Listener
  void OnRtp(WebRtcTransport& transport, std::span<uint8_t> packet) override;
  void OnRtcp(WebRtcTransport& transport, std::span<const uint8_t> packet) override;
  void OnTransportConnected(WebRtcTransport& transport) override;
  void OnTransportClosed(WebRtcTransport& transport, const std::string& reason) override;

  Consumer* FindConsumerBySsrc(uint32_t ssrc);
  uint32_t NewSsrc();
  void ScheduleOffer();
  void SendOffer();
  rtc::SessionDescription BuildOffer() const;
  void Allocate();
  void SendProbes();
  void SendSenderReports();
  void OnTransportFeedback(const rtc::RtcpPacketView& view);

  WorkerContext& context_;
  const NtpClock& ntp_;
  ParticipantObserver& observer_;
  Delegate& delegate_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<WebRtcTransport> transport_;
  std::vector<Slot> slots_;
  uint32_t next_mid_ = 0;
  uint64_t offer_version_ = 0;
  const uint64_t session_id_;
  bool offer_outstanding_ = false;
  bool offer_scheduled_ = false;
  bool renegotiation_needed_ = false;
  bool closed_ = false;

  BandwidthEstimator estimator_;
  bool transport_cc_negotiated_ = false;
  bool remb_negotiated_ = false;
  uint16_t transport_sequence_ = 0;
  int probe_cluster_id_ = -1;
  std::string active_speaker_;
  std::optional<transport::Timestamp> last_allocation_;
  std::optional<transport::Timestamp> last_sender_report_;
  std::vector<PacketFeedback> feedback_;  // reused across feedback packets
  uint64_t nacks_received_ = 0;
  uint64_t plis_received_ = 0;
  uint64_t dtls_handshakes_ok_ = 0;
  uint64_t dtls_handshakes_failed_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_SUBSCRIBER_H_
