#ifndef SWITCHYARD_BENCH_LOAD_PEER_CONNECTION_H_
#define SWITCHYARD_BENCH_LOAD_PEER_CONNECTION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/load/bench_sdp.h"
#include "bench/load/traffic_counters.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "transport/dtls_transport.h"
#include "transport/ice_lite_agent.h"
#include "transport/socket_address.h"
#include "transport/srtp_transform.h"
#include "transport/stun_message.h"
#include "transport/udp_socket.h"

namespace switchyard::bench {

// One lightweight browser-side PeerConnection of a load client: its own UDP socket, the
// controlling ICE agent's checks (RFC 8445 §7.2.4, as Chromium against an ICE-lite server),
// DTLS 1.2 as client (our answers say a=setup:active, Switchyard's answers passive; a server
// that answers active, as Janus does, gets us as the DTLS server), and SRTP on
// transport::SrtpTransform (our OpenSSL EVP implementation, the one the server uses).
//
// A full ICE agent on the other side (Janus's libnice) also checks us (RFC 8445 §7.2.5): its
// binding requests, authenticated with our ICE password, are answered with a success response
// carrying XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT (RFC 8445 §7.3). We start
// controlling; a full agent that offered is controlling too (Janus for subscriber
// PeerConnections), and the role conflict is resolved by the tie-breakers as RFC 8445
// §7.3.1.1 (their requests) and §7.2.5.1 (a 487 answer to ours) say: the loser switches to
// controlled, which sends ICE-CONTROLLED and no USE-CANDIDATE and leaves nomination to the peer.
// A lighter tests/sfu/test_peer.h: no recording, no NACK/PLI generation, no bandwidth feedback.
//
// ICE: once the remote parameters are known, a check with USE-CANDIDATE goes out at once and is
// repeated every kCheckInterval until one is answered (success response, matching transaction,
// MESSAGE-INTEGRITY verified with the server's pwd); then DTLS starts. Afterwards a consent
// check (RFC 7675) every kConsentInterval keeps the server's consent timer fed.
//
// Receive: RTCP is always verified and decrypted; RTP is verified and decrypted for one packet
// in `decrypt_sample` (1 = all; the first 64 packets always) and handed over as ciphertext
// otherwise (the RTP header is plaintext in SRTP, so SSRC and sequence number can still be
// counted).
//
// Single-threaded: everything runs on the io_context the socket was bound on. Not copyable.
class PeerConnection final : public transport::UdpSocket::Receiver,
                             public transport::DtlsTransport::Observer {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // DTLS done, SRTP keys installed: media may flow.
    virtual void OnPeerConnected(PeerConnection& pc) = 0;
    // ICE, DTLS or consent failed; the connection is dead (Close() it).
    virtual void OnPeerFailed(PeerConnection& pc, const std::string& why) = 0;
    // An RTP packet: decrypted (`packet` is the RTP packet) or not (`packet` is the SRTP packet,
    // only its fixed header may be read). `arrival` is the kernel's receive time.
    virtual void OnPeerRtp(PeerConnection& pc, std::span<uint8_t> packet, bool decrypted,
                           transport::Timestamp arrival) = 0;
    virtual void OnPeerRtcp(PeerConnection& pc, std::span<const uint8_t> compound) = 0;
  };

  static constexpr transport::Duration kCheckInterval = std::chrono::milliseconds(100);
  static constexpr transport::Duration kConsentInterval = std::chrono::seconds(5);
  // No answer to any check for this long after connecting: the server is gone.
  static constexpr transport::Duration kConsentLost = std::chrono::seconds(20);
  // set_dtls_after_peer_check: the longest DTLS waits for the peer's selection, and how long
  // after it (below Chromium's first DTLS retransmission at 50 ms).
  static constexpr transport::Duration kPeerSelectionWait = std::chrono::milliseconds(500);
  static constexpr transport::Duration kDtlsStartDelay = std::chrono::milliseconds(20);

  // Binds an ephemeral UDP port on `bind_address`. `clock`, `dtls_context`, `observer` and
  // `counters` must outlive the connection.
  static absl::StatusOr<std::unique_ptr<PeerConnection>> Create(
      boost::asio::io_context& io, const transport::Clock& clock,
      const transport::DtlsContext& dtls_context, const transport::SocketAddress& bind_address,
      Observer& observer, TrafficCounters& counters, int decrypt_sample);
  ~PeerConnection() override;
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  const transport::IceCredentials& local_ice() const { return local_ice_; }
  const std::string& fingerprint() const;
  uint64_t session_id() const { return session_id_; }
  uint64_t NextSessionVersion() { return ++session_version_; }

  // The remote description's transport (first call only; later calls check the ICE ufrag did
  // not change, since ICE restarts are not supported). Starts the ICE checks. A remote
  // a=setup:active makes us the DTLS server, anything else the client.
  absl::Status SetRemoteTransport(const RemoteTransport& remote);

  // With `on`, DTLS starts only once the peer has selected the pair too, not as soon as our
  // check succeeded: kDtlsStartDelay after we answered its check (we control and nominated with
  // USE-CANDIDATE) or its nomination (it controls), or kPeerSelectionWait after our check
  // succeeded. For a full ICE agent that drops DTLS until it has selected a pair: Janus takes
  // DTLS only once libnice has selected one (and, measured, not always right after answering
  // its nomination), so an earlier ClientHello is lost and costs our initial 1 s DTLS
  // retransmission timeout; Chromium resends after 2x the ICE RTT, at least 50 ms, so it loses
  // far less. The timer (OnTimer) starts DTLS. Set before SetRemoteTransport.
  void set_dtls_after_peer_check(bool on) { dtls_after_peer_check_ = on; }

  // Timers: ICE check retransmission, consent, DTLS retransmission.
  void OnTimer(transport::Timestamp now);

  // Encrypts the RTP packet in buffer[0, length) in place (buffer must have
  // transport::SrtpTransform::kMaxTrailer spare bytes after it) and sends it. False before
  // connected() or when protection or sendto fails.
  bool SendRtp(std::span<uint8_t> buffer, size_t length);
  bool SendRtcp(std::span<const uint8_t> compound);

  // close_notify (the server then drops the transport) and closes the socket. Idempotent.
  void Close();

  bool ice_connected() const { return ice_connected_; }
  bool connected() const { return srtp_ != nullptr; }
  bool failed() const { return failed_; }
  bool closed() const { return closed_; }

  // transport::UdpSocket::Receiver
  void OnDatagram(std::span<uint8_t> data, const transport::SocketAddress& from,
                  transport::Timestamp arrival) override;

 private:
  PeerConnection(const transport::Clock& clock, const transport::DtlsContext& dtls_context,
                 Observer& observer, TrafficCounters& counters, int decrypt_sample);

  // transport::DtlsTransport::Observer
  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override;
  void OnDtlsConnected(const transport::SrtpKeyMaterial& keys) override;
  void OnDtlsFailed(const absl::Status& why) override;
  void OnDtlsClosed() override;

  void SendCheck(bool use_candidate, transport::Timestamp now);
  void AnswerCheck(const transport::StunMessage& request);
  void SendStunResponse(const transport::StunMessage& request, bool role_conflict);
  void MaybeStartDtls();
  void OnStun(std::span<const uint8_t> datagram, transport::Timestamp now);
  void OnSrtp(std::span<uint8_t> datagram, transport::Timestamp arrival);
  void ReleaseDtlsOnce();
  void Fail(const std::string& why);

  const transport::Clock& clock_;
  const transport::DtlsContext& dtls_context_;
  Observer& observer_;
  TrafficCounters& counters_;
  const int decrypt_sample_;
  std::unique_ptr<transport::UdpSocket> socket_;
  std::unique_ptr<transport::DtlsTransport> dtls_;
  std::unique_ptr<transport::SrtpTransform> srtp_;
  transport::IceCredentials local_ice_;
  uint64_t tiebreaker_;
  uint64_t session_id_;
  uint64_t session_version_ = 0;

  bool remote_set_ = false;
  RemoteTransport remote_;
  transport::DtlsRole dtls_role_ = transport::DtlsRole::kClient;
  transport::SocketAddress remote_address_;
  struct OutstandingCheck {
    transport::StunTransactionId id;
    bool controlling = true;  // the role the check was sent in
  };
  std::vector<OutstandingCheck> outstanding_;
  std::optional<transport::Timestamp> last_check_;
  std::optional<transport::Timestamp> last_response_;
  bool ice_connected_ = false;
  bool ice_controlling_ = true;
  bool dtls_after_peer_check_ = false;
  std::optional<transport::Timestamp> peer_selected_at_;
  std::optional<transport::Timestamp> ice_connected_at_;
  bool failed_ = false;
  bool closed_ = false;
  bool dtls_released_ = false;
  uint64_t rtp_seen_ = 0;
  std::array<uint8_t, 1500> rtcp_buffer_{};
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_PEER_CONNECTION_H_
