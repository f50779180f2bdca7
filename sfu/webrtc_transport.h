#ifndef SWITCHYARD_SFU_WEBRTC_TRANSPORT_H_
#define SWITCHYARD_SFU_WEBRTC_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/container/inlined_vector.h"
#include "rtc/session_description.h"
#include "sfu/drop_reason.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "transport/dtls_transport.h"
#include "transport/ice_lite_agent.h"
#include "transport/socket_address.h"
#include "transport/srtp_transform.h"
#include "transport/stun_message.h"

namespace switchyard::sfu {

// The network side a transport uses: implemented by the Worker (its UDP socket and its
// address/ufrag routing tables), by fakes in tests.
class TransportNetwork {
 public:
  virtual ~TransportNetwork() = default;
  virtual bool SendDatagram(std::span<const uint8_t> data, const transport::SocketAddress& to) = 0;
  // STUN binding requests whose USERNAME starts with `ufrag` go to `t` (RFC 8445 §7.3).
  virtual void RegisterUfrag(const std::string& ufrag, class WebRtcTransport* t) = 0;
  virtual void UnregisterUfrag(const std::string& ufrag, class WebRtcTransport* t) = 0;
  // Datagrams from `address` belong to `transport` from now on (a validated ICE check came from
  // it). Worker-side routing only; the transport remembers its addresses to unroute them.
  virtual void RouteAddress(const transport::SocketAddress& address, class WebRtcTransport* t) = 0;
  virtual void UnrouteAddress(const transport::SocketAddress& address,
                              class WebRtcTransport* t) = 0;
  virtual DropCounters& drops() = 0;
  // A connected transport's selected address moved to another one (a new nomination: the
  // peer's network or NAT mapping changed). For metrics.
  virtual void CountPathSwitch() {}
  // A transport restarted ICE (RFC 8445 §9), from either side, and later got its first valid
  // check under the new credentials (the restart worked). For metrics.
  virtual void CountIceRestart() {}
  virtual void CountIceRestartCompleted() {}
};

// One WebRTC transport = one browser PeerConnection's bundled ICE-lite + DTLS + SRTP session.
// Single-threaded: everything runs on the owning worker's thread.
class WebRtcTransport final : public transport::DtlsTransport::Observer {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Decrypted RTP; `packet` may be modified in place and is valid during the call only.
    virtual void OnRtp(WebRtcTransport& transport, std::span<uint8_t> packet) = 0;
    // Decrypted (compound) RTCP.
    virtual void OnRtcp(WebRtcTransport& transport, std::span<const uint8_t> packet) = 0;
    virtual void OnTransportConnected(WebRtcTransport& transport) = 0;
    // ICE consent expired, DTLS failed or the peer closed DTLS. The transport is unusable.
    virtual void OnTransportClosed(WebRtcTransport& transport, const std::string& reason) = 0;
  };

  // Bytes Protect* may append to a packet: callers keep this much free after the packet.
  static constexpr size_t kSrtpTrailer = transport::SrtpTransform::kMaxTrailer;

  WebRtcTransport(const transport::Clock& clock, const transport::DtlsContext& dtls_context,
                  TransportNetwork& network, Listener& listener);
  ~WebRtcTransport() override;
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  const transport::IceCredentials& local_ice_credentials() const;
  // From the peer's SDP. Starts DTLS in `role` on first call. Later calls (renegotiation)
  // with a changed ice-ufrag are an ICE restart (RFC 8445 §9): when we did not restart first
  // (RestartIce, for our own offer), the peer did in its offer and we restart now, so read
  // local_ice_credentials() for the answer after this call, or use
  // RestartIceIfRemoteChanged() before building it. DTLS and SRTP carry on unchanged: a
  // changed fingerprint (a new DTLS session) is refused.
  absl::Status SetRemoteParameters(const transport::IceCredentials& remote_ice,
                                   const std::string& fingerprint_algorithm,
                                   const std::string& fingerprint_value,
                                   transport::DtlsRole role);

  // Starts an ICE restart from our side (before sending an offer with the new credentials):
  // new local ufrag/pwd, the old ufrag no longer routes here. Media stays on the selected
  // address until a check under the new credentials nominates. No-op before the first
  // SetRemoteParameters.
  void RestartIce();
  // True when `remote` (from a new description of the peer) means an ICE restart.
  bool IsIceRestart(const transport::IceCredentials& remote) const {
    return dtls_started_ && remote.ufrag != remote_ice_.ufrag;
  }
  uint32_t ice_restarts() const { return ice_restarts_; }

  void OnStun(const transport::StunMessage& message, const transport::SocketAddress& from);
  void OnDtls(std::span<const uint8_t> datagram, const transport::SocketAddress& from);
  // `arrival`: when the datagram reached the host (defaults to now); listeners read it back
  // through arrival_time() during OnRtp/OnRtcp.
  void OnSrtp(std::span<uint8_t> datagram, const transport::SocketAddress& from,
              std::optional<transport::Timestamp> arrival = std::nullopt);
  transport::Timestamp arrival_time() const { return arrival_; }

  // Encrypts `packet` (length bytes, in a buffer of `capacity` >= length + kSrtpTrailer) in
  // place and sends it to the selected address. False (and a counted drop) if not connected.
  bool SendRtp(uint8_t* packet, size_t length, size_t capacity);
  bool SendRtcp(uint8_t* packet, size_t length, size_t capacity);

  bool connected() const { return srtp_ != nullptr && !closed_; }
  // True once media from the peer let the DTLS transport free its SSL object.
  bool dtls_handshake_state_released() const { return dtls_.handshake_state_released(); }
  bool closed() const { return closed_; }
  std::optional<transport::Timestamp> NextTimeout() const;
  void OnTimer();
  void Close();

  const std::optional<transport::SocketAddress>& selected_address() const {
    return ice_.selected_address();
  }
  const transport::IceLiteAgent& ice() const { return ice_; }

 private:
  // transport::DtlsTransport::Observer
  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override;
  void OnDtlsConnected(const transport::SrtpKeyMaterial& keys) override;
  void OnDtlsFailed(const absl::Status& why) override;
  void OnDtlsClosed() override;

  void SetClosed(const std::string& reason);
  void ReleaseDtlsHandshakeState();
  const transport::SocketAddress* SendAddress() const;

  const transport::Clock& clock_;
  TransportNetwork& network_;
  Listener& listener_;
  transport::IceLiteAgent ice_;
  transport::DtlsTransport dtls_;
  std::unique_ptr<transport::SrtpTransform> srtp_;
  bool dtls_started_ = false;
  // RestartIce() ran and the peer's description with its new credentials has not come yet.
  bool local_restart_pending_ = false;
  // RestartIce() ran and no valid check has come under the new credentials yet.
  bool restart_unconfirmed_ = false;
  uint32_t ice_restarts_ = 0;
  std::string remote_fingerprint_;
  // Set by the first authenticated SRTP/SRTCP packet from the peer, which proves it finished
  // the DTLS handshake: the SSL object is freed then (DtlsTransport::ReleaseHandshakeState).
  bool dtls_released_ = false;
  bool closed_ = false;
  transport::IceCredentials remote_ice_;
  // Addresses routed to this transport (validated checks). Few: one per candidate pair tried.
  absl::InlinedVector<transport::SocketAddress, 4> routed_;
  std::optional<transport::SocketAddress> last_valid_address_;
  transport::Timestamp arrival_;
};

// Hands the peer's ICE credentials, DTLS fingerprint and DTLS role (RFC 5763 §5: the side
// whose a=setup is "active" is the client) from its SDP's first accepted (bundle-tag) section
// to `transport`.
absl::Status ApplyRemoteDescription(const rtc::SessionDescription& description,
                                    WebRtcTransport& transport);

// For an offer from the peer: when its credentials differ from the ones in use (the peer
// restarts ICE), restarts ours first so the answer we build carries new ones (RFC 8445 §9:
// both sides change their credentials). Call before building the answer.
void RestartIceIfRemoteChanged(const rtc::SessionDescription& offer, WebRtcTransport& transport);

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_WEBRTC_TRANSPORT_H_
