#ifndef SWITCHYARD_TESTS_SFU_TEST_PEER_H_
#define SWITCHYARD_TESTS_SFU_TEST_PEER_H_

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rtc/media_kind.h"
#include "rtc/rtp_packet.h"
#include "rtc/session_description.h"
#include "sfu/participant_observer.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "transport/dtls_transport.h"
#include "transport/ice_lite_agent.h"
#include "transport/socket_address.h"
#include "transport/srtp_session.h"
#include "transport/stun_message.h"

namespace switchyard::sfu::testing {

// Payload types of the offers a TestPeer makes (Chromium's numbering).
inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr uint8_t kVp8PayloadType = 96;
inline constexpr uint8_t kVp8RtxPayloadType = 97;
inline constexpr uint32_t kOpusClockRate = 48000;
inline constexpr uint32_t kVideoClockRate = 90000;

// What CreatePublishOffer puts into the offer. Sections are audio (mid "0") then video (mid
// "1"), both sendonly, in one BUNDLE group, like Chromium's addTrack(audio), addTrack(video).
struct PublishOfferOptions {
  bool audio = true;
  bool video = true;
  uint32_t audio_ssrc = 0x11110001;
  uint32_t video_ssrc = 0x22220001;
  uint32_t video_rtx_ssrc = 0x22220002;  // announced with a=ssrc-group:FID
  // kSendOnly publishes the track; kInactive keeps the m-line without a track (how a browser
  // renegotiates after removeTrack: m-lines are never removed, JSEP §5.2.2).
  rtc::Direction audio_direction = rtc::Direction::kSendOnly;
  rtc::Direction video_direction = rtc::Direction::kSendOnly;
  std::string stream_id = "test-stream";
  std::string cname = "test-peer";
  // Fingerprint lines: the peer's real certificate unless overridden (e.g. with another
  // certificate's fingerprint to provoke a DTLS failure), or none at all.
  bool include_fingerprint = true;
  std::optional<std::string> fingerprint_override;
};

// One m-line of the latest subscribe offer the peer answered.
struct OfferedTrack {
  std::string mid;
  rtc::MediaKind kind = rtc::MediaKind::kAudio;
  rtc::Direction direction = rtc::Direction::kInactive;  // as offered (sendonly = active track)
  std::optional<uint32_t> ssrc;      // the media SSRC (first of a=ssrc-group:FID, else first a=ssrc)
  std::optional<uint32_t> rtx_ssrc;  // second of a=ssrc-group:FID
  std::string msid_stream;
  std::string msid_track;
  std::vector<rtc::Codec> codecs;
};

// Header fields of an RTP packet the peer sends (no CSRCs, no extensions).
struct RtpHeaderFields {
  uint8_t payload_type = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  bool marker = false;
};

// A decrypted RTP packet the peer received.
struct ReceivedRtp {
  uint32_t ssrc = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint8_t payload_type = 0;
  bool marker = false;
  std::vector<uint8_t> payload;
  transport::Timestamp received_at;
};

// A scripted browser PeerConnection (one bundled transport: ICE + DTLS-SRTP + RTP/RTCP) for
// driving a WebRtcTransport in tests and load generators, without a browser or sockets.
//
// Roles, as Chromium plays them against an ICE-lite SFU:
//  - ICE: the full, controlling agent (RFC 8445 §6.1.1). SendBindingRequest() sends a
//    connectivity check with USERNAME "<server ufrag>:<our ufrag>", PRIORITY, ICE-CONTROLLING,
//    optionally USE-CANDIDATE, MESSAGE-INTEGRITY keyed with the server's pwd and FINGERPRINT.
//    A success response whose transaction id matches and whose MESSAGE-INTEGRITY verifies
//    (with the server's pwd) makes ice_connected() true.
//  - DTLS: the role follows the SDP (RFC 5763 §5). Offers say actpass and our answers say
//    active, so against the SFU the peer is the DTLS client: it sends its ClientHello as soon as
//    the first check succeeds. The server certificate must match the fingerprint of the
//    server's SDP; a mismatch fails the handshake (dtls_failure()).
//  - SRTP: keys exported by DTLS (RFC 5764); connected() is true from then on.
//
// I/O contract: the peer owns no socket and no thread. Outgoing datagrams go to the
// SendFunction (which must not call back into the peer synchronously: queue or sendto), incoming
// ones are handed to OnDatagram(). Time comes from the injected Clock; call OnTimer() regularly
// (it retransmits DTLS flights and, when enabled, sends consent checks). Not thread-safe.
//
// Received media is recorded (received_rtp(), received_rtcp()) unless set_record_packets(false),
// which keeps only the counters in stats() (for long load runs).
class TestPeer final : public transport::DtlsTransport::Observer {
 public:
  using SendFunction = std::function<void(std::span<const uint8_t> datagram)>;

  struct Stats {
    uint64_t stun_requests_sent = 0;
    uint64_t stun_responses_accepted = 0;
    uint64_t stun_responses_rejected = 0;  // unknown transaction, bad integrity, error class
    uint64_t rtp_sent = 0;
    uint64_t rtcp_sent = 0;
    uint64_t rtp_received = 0;
    uint64_t rtcp_received = 0;
    uint64_t srtp_errors = 0;       // received SRTP/SRTCP that did not unprotect
    uint64_t unexpected_datagrams = 0;  // SRTP before keys, unknown first byte, ...
  };

  // `clock` and `certificate` must outlive the peer. `dtls_context` (optional) shares one
  // SSL_CTX between many peers presenting the same certificate (load generators); without it
  // the peer builds a private one.
  TestPeer(const transport::Clock& clock, const transport::Certificate& certificate,
           SendFunction send = nullptr, const transport::DtlsContext* dtls_context = nullptr);
  ~TestPeer() override;
  TestPeer(const TestPeer&) = delete;
  TestPeer& operator=(const TestPeer&) = delete;

  void SetSendFunction(SendFunction send) { send_ = std::move(send); }
  const transport::IceCredentials& ice_credentials() const { return local_ice_; }
  // ICE restart from our side: new local credentials for the next offer or answer we make.
  // Later checks use them (and the server's new ones once its description arrives).
  void RestartIce() { local_ice_ = transport::GenerateIceCredentials(); }
  const transport::IceCredentials& remote_ice_credentials() const { return remote_ice_; }
  const transport::Certificate& certificate() const { return certificate_; }

  // Signaling (publisher side): a sendonly offer as described by `options`, with our ICE
  // credentials, fingerprint and a=setup:actpass. The same ICE credentials are used for every
  // offer (renegotiation, not ICE restart).
  std::string CreatePublishOffer(const PublishOfferOptions& options = {});
  // Applies the server's answer: ICE credentials, fingerprint and setup of its first accepted
  // section (passive -> we are the DTLS client), and its first UDP candidate. The first call
  // configures the transport; later ones only check the ICE ufrag did not change.
  absl::Status SetPublishAnswer(const std::string& sdp);

  // Signaling (subscriber side): answers a server offer with the same sections, recvonly for
  // sendonly lines and inactive otherwise, our credentials and a=setup:active; records the
  // offered tracks (offered_tracks()). Applies the offer's transport parameters like
  // SetPublishAnswer (we are the DTLS client). Codecs (RTX included) and rtcp-fb are accepted
  // as offered, except the congestion-control feedback (transport-cc, goog-remb) and the
  // transport-wide-cc extension unless set_accept_bandwidth_feedback(true): the peer sends no
  // such feedback, and a server that negotiated it would estimate a link nobody reports on.
  absl::StatusOr<std::string> AnswerSubscribeOffer(const std::string& sdp);
  void set_accept_bandwidth_feedback(bool accept) { accept_bandwidth_feedback_ = accept; }
  const std::vector<OfferedTrack>& offered_tracks() const { return offered_tracks_; }
  // The active (sendonly) offered track of `kind` whose msid stream is `stream`, or nullptr.
  const OfferedTrack* FindOfferedTrack(rtc::MediaKind kind, const std::string& stream) const;

  // The transport parameters without SDP. `local_role` is our DTLS role. Later calls with a
  // new ICE ufrag take the new credentials (ICE restart); DTLS is not restarted.
  absl::Status SetRemoteParameters(const transport::IceCredentials& remote_ice,
                                   const std::string& fingerprint_algorithm,
                                   const std::string& fingerprint_value,
                                   transport::DtlsRole local_role);
  // The first UDP candidate of the remote SDP with an IP literal address, if any.
  const std::optional<transport::SocketAddress>& remote_candidate() const {
    return remote_candidate_;
  }
  // Whether the remote SDP offered a host candidate with this transport, address and port.
  bool HasRemoteCandidate(const std::string& transport, const std::string& address,
                          uint16_t port) const;
  // Sends checks (every 100 ms until one succeeds) and calls poll(5 ms) in between, until
  // DTLS-SRTP is up or `deadline` passes: Connect() of the test peers that own a socket.
  bool ConnectWithChecks(const std::function<void(std::chrono::milliseconds)>& poll,
                         std::chrono::milliseconds deadline);
  // The first passive TCP candidate (RFC 6544) of the remote SDP, if any.
  const std::optional<transport::SocketAddress>& remote_tcp_candidate() const {
    return remote_tcp_candidate_;
  }

  // Connectivity. SendBindingRequest requires remote parameters (no-op otherwise).
  void SendBindingRequest(bool use_candidate = true);
  // One datagram from the server (STUN, DTLS or SRTP by RFC 7983 demultiplexing). Decrypted in
  // place, so `datagram` is modified.
  void OnDatagram(std::span<uint8_t> datagram);
  void OnTimer();
  // When set, OnTimer sends a consent check (RFC 7675, no USE-CANDIDATE) every `interval`
  // once ICE is connected. Off by default so tests control every check.
  void set_consent_interval(std::optional<transport::Duration> interval) {
    consent_interval_ = interval;
  }
  // Sends close_notify (the server then closes this transport).
  void CloseDtls();

  bool ice_connected() const { return ice_connected_; }
  bool connected() const { return srtp_ != nullptr; }
  transport::DtlsState dtls_state() const { return dtls_->state(); }
  const std::optional<absl::Status>& dtls_failure() const { return dtls_failure_; }
  // The server sent close_notify.
  bool dtls_closed_by_server() const { return dtls_closed_by_server_; }
  // XOR-MAPPED-ADDRESS of the latest accepted response: our address as the server saw it.
  const std::optional<transport::SocketAddress>& mapped_address() const {
    return mapped_address_;
  }

  // Media. False (nothing sent) before connected() or when protection fails.
  bool SendRtp(const RtpHeaderFields& header, std::span<const uint8_t> payload);
  bool SendRtcp(std::span<const uint8_t> compound);
  bool SendPli(uint32_t media_ssrc);
  bool SendFir(uint32_t media_ssrc);
  // Generic NACK (RFC 4585 §6.2.1) for `lost` sequence numbers of `media_ssrc`.
  bool SendNack(uint32_t media_ssrc, std::span<const uint16_t> lost);
  // The SRTP datagram SendRtp would send, without sending it (to tamper with it).
  std::optional<std::vector<uint8_t>> ProtectRtp(const RtpHeaderFields& header,
                                                 std::span<const uint8_t> payload);

  // Raw access for scenario peers that build their own packets (e.g. with RFC 8285 header
  // extensions, tests/sfu/simulcast_publisher_peer.h) or need every packet's extensions
  // (transport-wide sequence numbers, tests/sfu/feedback_subscriber_peer.h).
  // SendRtpPacket SRTP-protects and sends a complete RTP packet; false (nothing sent) before
  // connected() or when protection fails.
  bool SendRtpPacket(std::span<const uint8_t> packet);
  // Called with every decrypted RTP packet / RTCP compound, before it is recorded. The
  // observer must not destroy the peer.
  using RtpObserver = std::function<void(const rtc::RtpPacketView& packet)>;
  using RtcpObserver = std::function<void(std::span<const uint8_t> compound)>;
  void set_rtp_observer(RtpObserver observer) { rtp_observer_ = std::move(observer); }
  void set_rtcp_observer(RtcpObserver observer) { rtcp_observer_ = std::move(observer); }

  void set_record_packets(bool record) { record_packets_ = record; }
  const std::vector<ReceivedRtp>& received_rtp() const { return received_rtp_; }
  std::vector<ReceivedRtp> ReceivedRtpFor(uint32_t ssrc) const;
  const std::vector<std::vector<uint8_t>>& received_rtcp() const { return received_rtcp_; }
  // PLI / FIR entries addressed to `media_ssrc` in everything received (and recorded) so far.
  size_t CountReceivedPli(uint32_t media_ssrc) const;
  size_t CountReceivedFir(uint32_t media_ssrc) const;
  // Every sequence number NACKed for `media_ssrc` so far, in arrival order.
  std::vector<uint16_t> ReceivedNacks(uint32_t media_ssrc) const;
  void ClearReceived();
  const Stats& stats() const { return stats_; }

 private:
  // transport::DtlsTransport::Observer
  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override;
  void OnDtlsConnected(const transport::SrtpKeyMaterial& keys) override;
  void OnDtlsFailed(const absl::Status& why) override;
  void OnDtlsClosed() override;

  absl::Status ApplyRemoteDescription(const rtc::SessionDescription& description,
                                      transport::DtlsRole local_role_if_actpass);
  void OnStun(std::span<const uint8_t> datagram);
  void OnSrtp(std::span<uint8_t> datagram);
  void Send(std::span<const uint8_t> datagram);
  size_t BuildRtp(const RtpHeaderFields& header, std::span<const uint8_t> payload,
                  std::vector<uint8_t>& out) const;

  const transport::Clock& clock_;
  const transport::Certificate& certificate_;
  SendFunction send_;
  transport::IceCredentials local_ice_;
  uint64_t tiebreaker_;
  std::unique_ptr<transport::DtlsTransport> dtls_;
  std::unique_ptr<transport::SrtpSession> srtp_;

  bool remote_set_ = false;
  transport::IceCredentials remote_ice_;
  transport::DtlsRole local_role_ = transport::DtlsRole::kClient;
  // The server's fingerprint, kept until ICE works and our ClientHello goes out.
  std::string client_fingerprint_algorithm_;
  std::string client_fingerprint_value_;
  std::optional<transport::SocketAddress> remote_candidate_;
  std::optional<transport::SocketAddress> remote_tcp_candidate_;
  std::vector<rtc::Candidate> remote_candidates_;
  uint64_t offer_version_ = 0;
  uint64_t session_id_;
  std::vector<OfferedTrack> offered_tracks_;
  bool accept_bandwidth_feedback_ = false;

  std::vector<transport::StunTransactionId> outstanding_checks_;
  bool ice_connected_ = false;
  std::optional<transport::SocketAddress> mapped_address_;
  std::optional<transport::Duration> consent_interval_;
  std::optional<transport::Timestamp> last_check_sent_;
  std::optional<absl::Status> dtls_failure_;
  bool dtls_closed_by_server_ = false;
  uint8_t fir_sequence_ = 0;

  RtpObserver rtp_observer_;
  RtcpObserver rtcp_observer_;
  bool record_packets_ = true;
  std::vector<ReceivedRtp> received_rtp_;
  std::vector<std::vector<uint8_t>> received_rtcp_;
  Stats stats_;
};

// A VP8 RTP payload (RFC 7741): descriptor with X=1, S=start_of_frame, PID=0, a 15-bit picture
// id, then a VP8 payload of `size` bytes in total. With start_of_frame, the payload begins with
// a frame tag whose P bit is 0 for a keyframe (followed by the start code 9d 01 2a and 640x480)
// and 1 for an interframe; other bytes are a pattern derived from `picture_id`.
std::vector<uint8_t> MakeVp8Payload(bool keyframe, uint16_t picture_id, size_t size = 200,
                                    bool start_of_frame = true);
// An Opus-like payload (TOC byte 0x78, then a pattern derived from `seed`).
std::vector<uint8_t> MakeOpusPayload(uint8_t seed, size_t size = 80);

struct SubscriptionStateEvent {
  std::string track_id;
  int spatial = 0;
  int temporal = 0;
  uint64_t estimate_bps = 0;
};

// Everything the sfu layer told one participant, in order. Thread-safe (the sfu calls
// observers on the worker thread; tests read on theirs).
struct ObservedEvents {
  bool joined = false;
  std::string participant_id;
  std::string room;
  std::vector<ParticipantSummary> others_at_join;
  std::vector<std::string> publish_answers;
  std::vector<std::string> subscribe_offers;
  std::vector<ParticipantSummary> participants_joined;
  std::vector<std::string> participants_left;
  std::vector<std::pair<std::string, TrackSummary>> tracks_published;  // (publisher, track)
  std::vector<std::pair<std::string, std::string>> tracks_unpublished;  // (publisher, track id)
  std::vector<SubscriptionStateEvent> subscription_states;
  std::vector<std::vector<std::string>> active_speakers;
  struct TrackMuted {
    std::string participant_id;
    std::string track_id;
    bool muted = false;
  };
  std::vector<TrackMuted> tracks_muted;
  std::vector<std::string> subscribe_answers;  // kWhep: answers to the viewer's offer
  std::vector<std::pair<std::string, std::string>> errors;              // (code, message)
  std::vector<std::string> closed_reasons;
};

class RecordingObserver final : public ParticipantObserver {
 public:
  ObservedEvents Snapshot() const;
  // Blocks (real time) until `predicate` holds for the events or `timeout` passes; for tests
  // with a real worker thread. Returns whether it held.
  bool WaitFor(const std::function<bool(const ObservedEvents&)>& predicate,
               std::chrono::milliseconds timeout) const;

  void OnJoined(const std::string& participant_id, const std::string& room,
                const std::vector<ParticipantSummary>& others) override;
  void OnPublishAnswer(const std::string& sdp) override;
  void OnSubscribeOffer(const std::string& sdp) override;
  void OnParticipantJoined(const ParticipantSummary& participant) override;
  void OnParticipantLeft(const std::string& participant_id) override;
  void OnTrackPublished(const std::string& participant_id, const TrackSummary& track) override;
  void OnTrackUnpublished(const std::string& participant_id,
                          const std::string& track_id) override;
  void OnSubscriptionState(const std::string& track_id, int spatial, int temporal,
                           uint64_t estimate_bps) override;
  void OnActiveSpeakers(const std::vector<std::string>& participant_ids) override;
  void OnTrackMuted(const std::string& participant_id, const std::string& track_id,
                    bool muted) override;
  void OnSubscribeAnswer(const std::string& sdp) override;
  void OnError(const std::string& code, const std::string& message) override;
  void OnClosed(const std::string& reason) override;

 private:
  template <typename F>
  void Record(F&& f) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      f(events_);
    }
    changed_.notify_all();
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  ObservedEvents events_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_TEST_PEER_H_
