#ifndef SWITCHYARD_TESTS_SFU_FEEDBACK_SUBSCRIBER_PEER_H_
#define SWITCHYARD_TESTS_SFU_FEEDBACK_SUBSCRIBER_PEER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rtc/rtp_packet.h"
#include "sfu/nack_generator.h"
#include "sfu/ntp_time.h"
#include "sfu/receive_statistics.h"
#include "sfu/twcc_receiver.h"
#include "tests/sfu/simulcast_publisher_peer.h"
#include "tests/sfu/test_peer.h"
#include "transport/clock.h"

namespace switchyard::sfu::testing {

struct FeedbackSubscriberOptions {
  bool send_transport_cc = true;  // draft-holmer-rmcat-transport-wide-cc-extensions-01 feedback
  bool send_nacks = true;         // RFC 4585 generic NACK for our losses, PLI when hopeless
  // NACK retry spacing. A receive-only browser has no RTT measurement (no SR of its own to
  // be answered) and libwebrtc's NackRequester then assumes 100 ms.
  transport::Duration rtt = std::chrono::milliseconds(100);
  // RFC 3550 receiver reports (with LSR/DLSR, from which the SFU measures the round trip).
  transport::Duration receiver_report_interval = std::chrono::seconds(1);
};

// The receiving half of a browser on a TestPeer, for one subscribed video track: answers the
// SFU's subscribe offer accepting transport-cc, reports every packet's arrival in
// transport-wide feedback (sfu/twcc_receiver.h), NACKs its own losses (sfu/nack_generator.h),
// restores RTX retransmissions (RFC 4588), sends receiver reports and records every media packet
// once, by output sequence number, with what the synthetic payload says about it (keyframe size,
// source layer tag from SimulcastPublisherPeer).
//
// Installs itself as the peer's RTP and RTCP observer. Test code, single-threaded.
class FeedbackSubscriberPeer {
 public:
  struct VideoPacket {
    int64_t sequence = 0;  // output sequence number, unwrapped
    uint32_t timestamp = 0;
    bool marker = false;
    bool via_rtx = false;  // first copy came as an RTX retransmission
    bool keyframe_start = false;
    int width = 0;  // keyframe starts only
    int height = 0;
    std::optional<SyntheticTag> tag;
    transport::Timestamp arrival;
  };

  struct Stats {
    uint64_t media_packets = 0;    // on the media SSRC
    uint64_t rtx_packets = 0;      // on the RTX SSRC carrying a packet
    uint64_t padding_packets = 0;  // payload-less RTX packets (bandwidth probes)
    uint64_t rtx_repairs = 0;      // RTX packets that filled a hole
    uint64_t duplicates = 0;
    uint64_t nacked_sequences = 0;
    uint64_t plis_sent = 0;
    uint64_t feedback_packets = 0;
    uint64_t receiver_reports = 0;
  };

  FeedbackSubscriberPeer(TestPeer& peer, const transport::Clock& clock,
                         FeedbackSubscriberOptions options = {});
  ~FeedbackSubscriberPeer();
  FeedbackSubscriberPeer(const FeedbackSubscriberPeer&) = delete;
  FeedbackSubscriberPeer& operator=(const FeedbackSubscriberPeer&) = delete;

  // Answers the offer (through TestPeer::AnswerSubscribeOffer) and follows its first active
  // video track of `stream` (the publisher's participant id).
  absl::StatusOr<std::string> AnswerOffer(const std::string& sdp, const std::string& stream);
  // Sends the feedback that is due: transport-cc, NACKs, PLI.
  void Tick();

  std::optional<uint32_t> media_ssrc() const { return media_ssrc_; }
  std::optional<uint32_t> rtx_ssrc() const { return rtx_ssrc_; }
  // Every distinct output sequence number received (first copy), in sequence order.
  const std::map<int64_t, VideoPacket>& packets() const { return packets_; }
  // Keyframe starts in arrival order (each distinct one once).
  const std::vector<VideoPacket>& keyframes() const { return keyframes_; }
  // The source layer tag of the packet with the highest sequence number so far.
  std::optional<SyntheticTag> latest_tag() const;
  const Stats& stats() const { return stats_; }
  uint64_t nack_recovered() const { return nack_.recovered(); }
  uint64_t nack_given_up() const { return nack_.given_up(); }

 private:
  void OnRtp(const rtc::RtpPacketView& packet);
  void OnRtcp(std::span<const uint8_t> compound);
  void OnMedia(const rtc::RtpPacketView& packet, bool via_rtx, transport::Timestamp now);
  int64_t Unwrap(uint16_t sequence_number);

  TestPeer& peer_;
  const transport::Clock& clock_;
  const FeedbackSubscriberOptions options_;
  std::optional<uint32_t> media_ssrc_;
  std::optional<uint32_t> rtx_ssrc_;
  uint8_t media_payload_type_ = kVp8PayloadType;
  uint8_t rtx_payload_type_ = kVp8RtxPayloadType;
  uint8_t transport_sequence_id_ = 0;
  std::unique_ptr<TwccReceiver> twcc_;
  NackGenerator nack_;
  NtpClock ntp_;
  ReceiveStatistics statistics_{90000};
  std::optional<transport::Timestamp> last_receiver_report_;
  std::optional<int64_t> highest_;
  std::map<int64_t, VideoPacket> packets_;
  std::vector<VideoPacket> keyframes_;
  Stats stats_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_FEEDBACK_SUBSCRIBER_PEER_H_
