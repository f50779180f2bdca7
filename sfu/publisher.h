#ifndef SWITCHYARD_SFU_PUBLISHER_H_
#define SWITCHYARD_SFU_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "rtc/rtp_header_extensions.h"
#include "rtc/session_description.h"
#include "sfu/producer.h"
#include "sfu/twcc_receiver.h"
#include "sfu/webrtc_transport.h"
#include "sfu/worker_context.h"

namespace switchyard::sfu {

// The uplink of one participant: the PeerConnection the browser offers, the producers for the
// tracks it sends, and the feedback the SFU gives it (RFC 4585 NACK and PLI/FIR, RFC 3550
// receiver reports, transport-wide-cc feedback so the browser's encoder adapts to its uplink).
class Publisher final : public WebRtcTransport::Listener, public Producer::Owner {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnPublisherClosed(const std::string& reason) = 0;
    // ICE and DTLS completed (every time the transport connects; normally once).
    virtual void OnPublisherConnected() = 0;
    // An RFC 6464 audio level from one of this participant's audio tracks.
    virtual void OnAudioLevel(uint8_t level, bool voice) = 0;
  };

  struct OfferResult {
    std::string answer_sdp;
    std::vector<std::unique_ptr<Producer>> removed;  // destroy after unsubscribing everyone
    std::vector<Producer*> added;
  };

  Publisher(WorkerContext& context, std::string participant_id, Delegate& delegate);
  ~Publisher() override;

  absl::StatusOr<OfferResult> HandleOffer(const std::string& sdp);
  const std::vector<std::unique_ptr<Producer>>& producers() const { return producers_; }
  // Takes every producer away (publish permission revoked): the caller unsubscribes everyone
  // and then destroys them. The transport stays up; packets of those tracks are dropped as
  // unknown SSRCs until a new offer publishes them again.
  std::vector<std::unique_ptr<Producer>> TakeProducers();
  const WebRtcTransport* transport() const { return transport_.get(); }
  void OnTimer();
  void Close();

  uint64_t rtp_packets_received() const { return rtp_packets_received_; }
  uint64_t nacks_sent() const { return nacks_sent_; }
  // Metrics: keyframe requests sent (PLI, or FIR when that is all the publisher negotiated);
  // DTLS handshakes of this transport that completed or failed.
  uint64_t plis_sent() const { return plis_sent_; }
  uint64_t dtls_handshakes_ok() const { return dtls_handshakes_ok_; }
  uint64_t dtls_handshakes_failed() const { return dtls_handshakes_failed_; }

 private:
  struct SsrcRoute {
    uint32_t ssrc;
    Producer* producer;
    int encoding;
    bool rtx;
  };

  // WebRtcTransport::Listener
  void OnRtp(WebRtcTransport& transport, std::span<uint8_t> packet) override;
  void OnRtcp(WebRtcTransport& transport, std::span<const uint8_t> packet) override;
  void OnTransportConnected(WebRtcTransport& transport) override;
  void OnTransportClosed(WebRtcTransport& transport, const std::string& reason) override;
  // Producer::Owner
  void SendKeyframeRequest(int encoding, std::optional<uint32_t> media_ssrc,
                           bool use_fir) override;

  absl::StatusOr<OfferResult> NegotiateOffer(const rtc::SessionDescription& offer);
  const SsrcRoute* Route(const rtc::RtpPacketView& packet);
  Producer* ProducerForPayloadType(uint8_t payload_type);
  void RebuildRoutes();
  void SendRtcp(std::span<uint8_t> buffer, size_t length);
  void SendNacks();
  void SendReceiverReports();

  WorkerContext& context_;
  const std::string participant_id_;
  Delegate& delegate_;
  std::unique_ptr<WebRtcTransport> transport_;
  std::vector<std::unique_ptr<Producer>> producers_;
  absl::InlinedVector<SsrcRoute, 8> routes_;
  rtc::RtpExtensionMap extensions_;
  std::unique_ptr<TwccReceiver> twcc_;
  uint64_t answer_version_ = 0;
  uint8_t fir_sequence_ = 0;
  std::optional<transport::Timestamp> last_receiver_report_;
  transport::Duration rtt_ = std::chrono::milliseconds(100);
  uint64_t rtp_packets_received_ = 0;
  uint64_t nacks_sent_ = 0;
  uint64_t plis_sent_ = 0;
  uint64_t dtls_handshakes_ok_ = 0;
  uint64_t dtls_handshakes_failed_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PUBLISHER_H_
