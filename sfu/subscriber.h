#ifndef SWITCHYARD_SFU_SUBSCRIBER_H_
#define SWITCHYARD_SFU_SUBSCRIBER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
//
// Two signaling modes share everything below the SDP:
//  - kOffer (signaling clients): the server offers, one sendonly m-line per track, and
//    renegotiates as tracks come and go.
//  - kAnswer (WHEP viewers): the viewer offers recvonly m-lines once (HandleViewerOffer); we
//    answer sendonly and bind each line to a track of the source participant as it appears
//    (Subscribe), with the viewer's payload types and header extension ids. A line without a
//    track yet is answered sendonly with its SSRC already declared, and starts carrying media
//    when the source publishes a track of that kind; when the track goes, the line goes quiet
//    (there is no server-initiated renegotiation in WHEP).
class Subscriber final : public WebRtcTransport::Listener, public ConsumerSink {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnSubscriberClosed(const std::string& reason) = 0;
    // ICE and DTLS completed.
    virtual void OnSubscriberConnected() = 0;
  };

  enum class Mode { kOffer, kAnswer };

  // How often the estimate is re-allocated across tracks (also at once on changes).
  static constexpr transport::Duration kAllocationInterval = std::chrono::milliseconds(250);
  // Header extension ids we use in our offers (one id space under BUNDLE, RFC 8843 §9.1).
  static constexpr uint8_t kAudioLevelId = 1;
  static constexpr uint8_t kTransportSequenceId = 3;

  Subscriber(WorkerContext& context, const NtpClock& ntp, ParticipantObserver& observer,
             Delegate& delegate, Mode mode = Mode::kOffer);
  ~Subscriber() override;

  // Starts forwarding `producer` (no-op when it already is, or the track is disabled). kAnswer:
  // binds the first free line of its kind whose codecs fit; no line, no forwarding.
  void Subscribe(Producer& producer, const std::string& publisher_id);
  // Stops forwarding `producer`; its line goes inactive (kOffer, through renegotiation) or
  // quiet (kAnswer). The observer hears OnTrackUnpublished for it either way: the track is no
  // longer in this participant's subscriber PeerConnection.
  void Unsubscribe(Producer& producer);
  void UnsubscribeAll();
  bool IsSubscribed(const Producer& producer) const;
  // SetSubscriptionsEnabled: remembered per track id, also for tracks not published yet.
  // Callers subscribe / unsubscribe accordingly.
  void SetTrackEnabled(const std::string& track_id, bool enabled);
  bool track_enabled(const std::string& track_id) const {
    return !disabled_tracks_.contains(track_id);
  }
  absl::Status HandleAnswer(const std::string& sdp);
  // kOffer: ICE restart (RFC 8445 §9) from our side, asked for by the client whose network
  // changed: new credentials and a new offer carrying them; media stays on the old path until
  // the browser's checks nominate a new one. Nothing to do before the first offer.
  absl::Status RestartIce();
  // kAnswer only, once: the viewer's offer. `source_tracks` are the source's producers now;
  // each line's codecs are narrowed to what its future track sends (when there is one).
  // Returns our answer; the caller then Subscribe()s the source's producers.
  absl::StatusOr<std::string> HandleViewerOffer(const std::string& sdp,
                                                const std::vector<Producer*>& source_tracks,
                                                const std::string& source_id);
  Mode mode() const { return mode_; }
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
    // kAnswer: fixed by the viewer's offer and our answer, whether or not a track is bound.
    uint32_t ssrc = 0;
    std::optional<uint32_t> rtx_ssrc;
    uint8_t transport_cc_id = 0;
    uint8_t audio_level_id = 0;
  };

  // WebRtcTransport::Listener
  void OnRtp(WebRtcTransport& transport, std::span<uint8_t> packet) override;
  void OnRtcp(WebRtcTransport& transport, std::span<const uint8_t> packet) override;
  void OnTransportConnected(WebRtcTransport& transport) override;
  void OnTransportClosed(WebRtcTransport& transport, const std::string& reason) override;

  Consumer* FindConsumerBySsrc(uint32_t ssrc);
  bool SsrcInUse(uint32_t ssrc) const;
  void BindViewerLine(Producer& producer, const std::string& publisher_id);
  void OnSubscribed(Slot& slot, Producer& producer);
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
  const Mode mode_;
  absl::flat_hash_set<std::string> disabled_tracks_;
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
