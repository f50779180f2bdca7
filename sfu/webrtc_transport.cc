#include "sfu/webrtc_transport.h"

#include <algorithm>
#include <array>

#include "transport/packet_demux.h"

namespace switchyard::sfu {

using transport::SocketAddress;

WebRtcTransport::WebRtcTransport(const transport::Clock& clock,
                                 const transport::DtlsContext& dtls_context,
                                 TransportNetwork& network, Listener& listener)
    : clock_(clock),
      network_(network),
      listener_(listener),
      ice_(clock, transport::GenerateIceCredentials()),
      dtls_(clock, dtls_context, *this) {
  network_.RegisterUfrag(ice_.local_credentials().ufrag, this);
}

WebRtcTransport::~WebRtcTransport() {
  network_.UnregisterUfrag(ice_.local_credentials().ufrag, this);
  for (const SocketAddress& a : routed_) network_.UnrouteAddress(a, this);
}

const transport::IceCredentials& WebRtcTransport::local_ice_credentials() const {
  return ice_.local_credentials();
}

absl::Status WebRtcTransport::SetRemoteParameters(const transport::IceCredentials& remote_ice,
                                                  const std::string& fingerprint_algorithm,
                                                  const std::string& fingerprint_value,
                                                  transport::DtlsRole role) {
  if (dtls_started_) {
    if (fingerprint_value != remote_fingerprint_) {
      return absl::UnimplementedError(
          "a changed DTLS fingerprint (a new DTLS session) needs a new connection");
    }
    if (remote_ice.ufrag == remote_ice_.ufrag) {
      if (remote_ice.pwd != remote_ice_.pwd) {
        return absl::InvalidArgumentError("ice-pwd changed without a new ice-ufrag");
      }
      return absl::OkStatus();
    }
    // ICE restart (RFC 8445 §9). The peer started it when we did not.
    if (!local_restart_pending_) RestartIce();
    local_restart_pending_ = false;
    remote_ice_ = remote_ice;
    ice_.SetRemoteCredentials(remote_ice);
    return absl::OkStatus();
  }
  remote_ice_ = remote_ice;
  remote_fingerprint_ = fingerprint_value;
  ice_.SetRemoteCredentials(remote_ice);
  absl::Status status = dtls_.Start(role, fingerprint_algorithm, fingerprint_value);
  if (!status.ok()) return status;
  dtls_started_ = true;
  return absl::OkStatus();
}

void WebRtcTransport::RestartIce() {
  if (!dtls_started_ || closed_) return;
  network_.UnregisterUfrag(ice_.local_credentials().ufrag, this);
  ice_.Restart(transport::GenerateIceCredentials());
  network_.RegisterUfrag(ice_.local_credentials().ufrag, this);
  local_restart_pending_ = true;
  restart_unconfirmed_ = true;
  ++ice_restarts_;
  network_.CountIceRestart();
}

void WebRtcTransport::OnStun(const transport::StunMessage& message, const SocketAddress& from) {
  if (closed_) return;
  std::array<uint8_t, 512> response;
  const bool had_selection = ice_.selected_address().has_value();
  const auto outcome = ice_.HandleStun(message, from, response);
  if (outcome.selected_changed && had_selection) network_.CountPathSwitch();
  if (outcome.dropped) {
    network_.drops().Count(DropReason::kStunRejected);
    return;
  }
  if (outcome.response_size > 0) {
    network_.SendDatagram(std::span<const uint8_t>(response.data(), outcome.response_size), from);
  }
  if (outcome.error_code != 0 || ice_.state() == transport::IceState::kClosed) return;
  if (restart_unconfirmed_) {
    // Only the new ufrag routes here since the restart: this check used the new credentials.
    restart_unconfirmed_ = false;
    network_.CountIceRestartCompleted();
  }
  // A check that got a success response proves the path: DTLS and media may follow from it
  // even before the controlling agent nominates (RFC 8445 §7.3.1.4).
  last_valid_address_ = from;
  if (std::find(routed_.begin(), routed_.end(), from) == routed_.end()) {
    routed_.push_back(from);
    network_.RouteAddress(from, this);
  }
}

void WebRtcTransport::OnDtls(std::span<const uint8_t> datagram, const SocketAddress&) {
  if (closed_) return;
  dtls_.HandleDatagram(datagram);
}

void WebRtcTransport::OnSrtp(std::span<uint8_t> datagram, const SocketAddress&,
                             std::optional<transport::Timestamp> arrival) {
  if (closed_) return;
  arrival_ = arrival.value_or(clock_.Now());
  if (!srtp_) {
    network_.drops().Count(DropReason::kSrtpNotReady);
    return;
  }
  size_t length = 0;
  if (transport::IsRtcp(datagram)) {
    if (srtp_->UnprotectRtcp(datagram.data(), datagram.size(), length) !=
        transport::SrtpError::kOk) {
      network_.drops().Count(DropReason::kSrtcpUnprotectFailed);
      return;
    }
    if (!dtls_released_) [[unlikely]] ReleaseDtlsHandshakeState();
    listener_.OnRtcp(*this, datagram.first(length));
    return;
  }
  if (srtp_->UnprotectRtp(datagram.data(), datagram.size(), length) !=
      transport::SrtpError::kOk) {
    network_.drops().Count(DropReason::kSrtpUnprotectFailed);
    return;
  }
  if (!dtls_released_) [[unlikely]] ReleaseDtlsHandshakeState();
  listener_.OnRtp(*this, datagram.first(length));
}

void WebRtcTransport::ReleaseDtlsHandshakeState() {
  dtls_released_ = true;
  dtls_.ReleaseHandshakeState();
}

const SocketAddress* WebRtcTransport::SendAddress() const {
  if (ice_.selected_address()) return &*ice_.selected_address();
  if (last_valid_address_) return &*last_valid_address_;
  return nullptr;
}

bool WebRtcTransport::SendRtp(uint8_t* packet, size_t length, size_t capacity) {
  const SocketAddress* to = SendAddress();
  if (!connected() || to == nullptr) {
    network_.drops().Count(DropReason::kConsumerNotConnected);
    return false;
  }
  size_t out_length = 0;
  if (srtp_->ProtectRtp(packet, length, capacity, out_length) != transport::SrtpError::kOk) {
    network_.drops().Count(DropReason::kSrtpProtectFailed);
    return false;
  }
  if (!network_.SendDatagram(std::span<const uint8_t>(packet, out_length), *to)) {
    network_.drops().Count(DropReason::kSendFailed);
    return false;
  }
  return true;
}

bool WebRtcTransport::SendRtcp(uint8_t* packet, size_t length, size_t capacity) {
  const SocketAddress* to = SendAddress();
  if (!connected() || to == nullptr) return false;
  size_t out_length = 0;
  if (srtp_->ProtectRtcp(packet, length, capacity, out_length) != transport::SrtpError::kOk) {
    network_.drops().Count(DropReason::kSrtpProtectFailed);
    return false;
  }
  return network_.SendDatagram(std::span<const uint8_t>(packet, out_length), *to);
}

std::optional<transport::Timestamp> WebRtcTransport::NextTimeout() const {
  if (closed_) return std::nullopt;
  auto a = ice_.NextTimeout();
  auto b = dtls_.NextTimeout();
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

void WebRtcTransport::OnTimer() {
  if (closed_) return;
  const auto now = clock_.Now();
  if (auto t = dtls_.NextTimeout(); t && *t <= now) dtls_.OnTimer();
  if (auto t = ice_.NextTimeout(); t && *t <= now) {
    ice_.OnTimer();
    if (ice_.state() == transport::IceState::kClosed) {
      SetClosed("ICE consent expired (RFC 7675)");
    }
  }
}

void WebRtcTransport::Close() {
  if (closed_) return;
  if (dtls_started_) dtls_.Close();
  closed_ = true;
}

void WebRtcTransport::OnDtlsSendPacket(std::span<const uint8_t> datagram) {
  if (const SocketAddress* to = SendAddress()) network_.SendDatagram(datagram, *to);
}

void WebRtcTransport::OnDtlsConnected(const transport::SrtpKeyMaterial& keys) {
  auto srtp = transport::SrtpTransform::Create(keys);
  if (!srtp.ok()) {
    SetClosed("SRTP setup failed: " + std::string(srtp.status().message()));
    return;
  }
  srtp_ = std::move(*srtp);
  listener_.OnTransportConnected(*this);
}

void WebRtcTransport::OnDtlsFailed(const absl::Status& why) {
  SetClosed("DTLS failed: " + std::string(why.message()));
}

void WebRtcTransport::OnDtlsClosed() { SetClosed("DTLS closed by the peer"); }

void WebRtcTransport::SetClosed(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  srtp_.reset();
  listener_.OnTransportClosed(*this, reason);
}

namespace {

// The section whose transport parameters count (BUNDLE: the first accepted one).
const rtc::MediaSection* TransportSection(const rtc::SessionDescription& description) {
  for (const auto& section : description.media) {
    if (!section.IsRejected()) return &section;
  }
  return nullptr;
}

}  // namespace

void RestartIceIfRemoteChanged(const rtc::SessionDescription& offer, WebRtcTransport& transport) {
  const rtc::MediaSection* first = TransportSection(offer);
  if (first == nullptr) return;
  transport::IceCredentials ice;
  ice.ufrag = std::string(offer.IceUfragFor(*first));
  ice.pwd = std::string(offer.IcePwdFor(*first));
  if (!ice.ufrag.empty() && transport.IsIceRestart(ice)) transport.RestartIce();
}

absl::Status ApplyRemoteDescription(const rtc::SessionDescription& description,
                                    WebRtcTransport& transport) {
  const rtc::MediaSection* first = TransportSection(description);
  if (first == nullptr) return absl::InvalidArgumentError("no accepted media section");
  transport::IceCredentials ice;
  ice.ufrag = std::string(description.IceUfragFor(*first));
  ice.pwd = std::string(description.IcePwdFor(*first));
  const std::string fingerprint_algorithm(description.FingerprintAlgorithmFor(*first));
  const std::string fingerprint_value(description.FingerprintValueFor(*first));
  if (ice.ufrag.empty() || ice.pwd.empty()) {
    return absl::InvalidArgumentError("missing a=ice-ufrag/a=ice-pwd");
  }
  if (fingerprint_algorithm.empty() || fingerprint_value.empty()) {
    return absl::InvalidArgumentError("missing a=fingerprint");
  }
  // An offerer's actpass makes us (the answerer, always passive) the server; in our own offers
  // we say actpass and the browser picks.
  const auto setup = description.SetupFor(*first).value_or(rtc::SetupRole::kActive);
  const auto role = setup == rtc::SetupRole::kPassive ? transport::DtlsRole::kClient
                                                     : transport::DtlsRole::kServer;
  return transport.SetRemoteParameters(ice, fingerprint_algorithm, fingerprint_value, role);
}

}  // namespace switchyard::sfu
