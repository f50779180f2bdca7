#include "bench/load/peer_connection.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "transport/packet_demux.h"

namespace switchyard::bench {

namespace {

// At most this many checks await a response; older ones are forgotten.
constexpr size_t kMaxOutstandingChecks = 16;
// PRIORITY of our checks: a peer-reflexive candidate's priority (RFC 8445 §7.1.1, type
// preference 110), as Chromium sends.
constexpr uint32_t kCheckPriority = (110u << 24) | (65535u << 8) | 255u;
constexpr uint64_t kAlwaysDecryptFirst = 64;

uint64_t RandomU64() {
  uint64_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof(value)) != 1) value = 42;
  return value;
}

}  // namespace

PeerConnection::PeerConnection(const transport::Clock& clock,
                               const transport::DtlsContext& dtls_context, Observer& observer,
                               TrafficCounters& counters, int decrypt_sample)
    : clock_(clock),
      dtls_context_(dtls_context),
      observer_(observer),
      counters_(counters),
      decrypt_sample_(std::max(decrypt_sample, 1)),
      local_ice_(transport::GenerateIceCredentials()),
      tiebreaker_(RandomU64()),
      session_id_(RandomU64() >> 2) {}

PeerConnection::~PeerConnection() {
  // No close_notify from a destructor: callers Close() first when they want one.
  closed_ = true;
  if (socket_) socket_->Close();
}

absl::StatusOr<std::unique_ptr<PeerConnection>> PeerConnection::Create(
    boost::asio::io_context& io, const transport::Clock& clock,
    const transport::DtlsContext& dtls_context, const transport::SocketAddress& bind_address,
    Observer& observer, TrafficCounters& counters, int decrypt_sample) {
  std::unique_ptr<PeerConnection> pc(
      new PeerConnection(clock, dtls_context, observer, counters, decrypt_sample));
  auto socket = transport::UdpSocket::Bind(io, bind_address, *pc, clock);
  if (!socket.ok()) return socket.status();
  pc->socket_ = std::move(*socket);
  pc->dtls_ = std::make_unique<transport::DtlsTransport>(clock, dtls_context, *pc);
  pc->socket_->Start();
  return pc;
}

const std::string& PeerConnection::fingerprint() const {
  return dtls_context_.certificate().Fingerprint();
}

absl::Status PeerConnection::SetRemoteTransport(const RemoteTransport& remote) {
  if (remote_set_) {
    if (remote.ice.ufrag != remote_.ice.ufrag) {
      return absl::UnimplementedError("remote ICE ufrag changed (ICE restart)");
    }
    return absl::OkStatus();
  }
  if (!remote.candidate) return absl::InvalidArgumentError("no usable UDP candidate");
  // RFC 5763 §5: the answerer's active makes it the DTLS client. Janus answers our actpass
  // offers with active; Switchyard answers passive.
  dtls_role_ = remote.setup == rtc::SetupRole::kActive ? transport::DtlsRole::kServer
                                                        : transport::DtlsRole::kClient;
  remote_ = remote;
  remote_address_ = *remote.candidate;
  remote_set_ = true;
  SendCheck(/*use_candidate=*/true, clock_.Now());
  return absl::OkStatus();
}

void PeerConnection::SendCheck(bool use_candidate, transport::Timestamp now) {
  if (closed_) return;
  const transport::StunTransactionId id = transport::GenerateStunTransactionId();
  transport::StunMessageBuilder builder(transport::StunClass::kRequest,
                                        transport::StunMethod::kBinding, id);
  builder.AddUsername(remote_.ice.ufrag + ":" + local_ice_.ufrag);
  builder.AddPriority(kCheckPriority);
  if (ice_controlling_) {
    builder.AddIceControlling(tiebreaker_);
    if (use_candidate) builder.AddUseCandidate();
  } else {
    builder.AddIceControlled(tiebreaker_);
  }
  std::array<uint8_t, 512> out;
  const size_t length = builder.SerializeTo(out, remote_.ice.pwd, /*add_fingerprint=*/true);
  if (length == 0) return;
  if (outstanding_.size() >= kMaxOutstandingChecks) outstanding_.erase(outstanding_.begin());
  outstanding_.push_back({id, ice_controlling_});
  last_check_ = now;
  if (!socket_->Send(std::span<const uint8_t>(out.data(), length), remote_address_)) {
    ++counters_.send_failures;
  }
}

void PeerConnection::OnTimer(transport::Timestamp now) {
  if (closed_ || failed_ || !remote_set_) return;
  if (!ice_connected_) {
    if (!last_check_ || now - *last_check_ >= kCheckInterval) SendCheck(true, now);
  } else {
    MaybeStartDtls();
    if (!last_check_ || now - *last_check_ >= kConsentInterval) SendCheck(false, now);
    if (last_response_ && now - *last_response_ > kConsentLost) {
      Fail("no answer to consent checks (RFC 7675)");
      return;
    }
  }
  if (auto deadline = dtls_->NextTimeout(); deadline && *deadline <= now) dtls_->OnTimer();
}

void PeerConnection::OnDatagram(std::span<uint8_t> data, const transport::SocketAddress& from,
                                transport::Timestamp arrival) {
  if (closed_) return;
  if (!remote_set_ || from != remote_address_) {
    ++counters_.unexpected_datagrams;
    return;
  }
  switch (transport::ClassifyPacket(data)) {
    case transport::PacketClass::kStun:
      OnStun(data, arrival);
      return;
    case transport::PacketClass::kDtls:
      dtls_->HandleDatagram(data);
      return;
    case transport::PacketClass::kRtpOrRtcp:
      OnSrtp(data, arrival);
      return;
    case transport::PacketClass::kUnknown:
      ++counters_.unexpected_datagrams;
      return;
  }
}

void PeerConnection::AnswerCheck(const transport::StunMessage& request) {
  // RFC 8445 §7.3: only a request for our ufrag, keyed with our password, is answered. No
  // 400/401 for the rest: the agents here are ours and Janus's, a mismatch is a bug to see.
  const auto username = request.username();
  if (!username || !username->starts_with(local_ice_.ufrag + ":") ||
      !request.VerifyMessageIntegrity(local_ice_.pwd)) {
    ++counters_.unexpected_datagrams;
    return;
  }
  // RFC 8445 §7.3.1.1: both controlling (or both controlled): the larger tie-breaker keeps
  // (or takes) the controlling role; the other side learns it from a 487.
  bool conflict = false;
  if (ice_controlling_ && request.ice_controlling()) {
    if (tiebreaker_ >= *request.ice_controlling()) {
      conflict = true;
    } else {
      ice_controlling_ = false;
    }
  } else if (!ice_controlling_ && request.ice_controlled()) {
    if (tiebreaker_ >= *request.ice_controlled()) {
      ice_controlling_ = true;
    } else {
      conflict = true;
    }
  }
  SendStunResponse(request, conflict);
  // The peer has selected the pair once its own check succeeded (we nominated it with
  // USE-CANDIDATE) or, when it controls, once it nominates (RFC 8445 §7.3.1.5, §8.1.1).
  if (!conflict && (ice_controlling_ || request.use_candidate()) && !peer_selected_at_) {
    peer_selected_at_ = clock_.Now();
  }
}

void PeerConnection::SendStunResponse(const transport::StunMessage& request, bool role_conflict) {
  transport::StunMessageBuilder builder(role_conflict ? transport::StunClass::kErrorResponse
                                                      : transport::StunClass::kSuccessResponse,
                                        transport::StunMethod::kBinding,
                                        request.transaction_id());
  if (role_conflict) {
    builder.AddErrorCode(transport::kStunErrorRoleConflict, "Role Conflict");
  } else {
    builder.AddXorMappedAddress(remote_address_);
  }
  std::array<uint8_t, 256> out;
  const size_t length = builder.SerializeTo(out, local_ice_.pwd, /*add_fingerprint=*/true);
  if (length == 0 ||
      !socket_->Send(std::span<const uint8_t>(out.data(), length), remote_address_)) {
    ++counters_.send_failures;
  }
}

void PeerConnection::OnStun(std::span<const uint8_t> datagram, transport::Timestamp now) {
  auto message = transport::StunMessage::Parse(datagram);
  if (!message.ok() || message->method() != transport::StunMethod::kBinding) return;
  if (message->message_class() == transport::StunClass::kRequest) {
    AnswerCheck(*message);
    return;
  }
  auto it = std::find_if(outstanding_.begin(), outstanding_.end(), [&](const OutstandingCheck& c) {
    return c.id == message->transaction_id();
  });
  if (it == outstanding_.end() || !message->VerifyMessageIntegrity(remote_.ice.pwd)) return;
  if (message->message_class() == transport::StunClass::kErrorResponse) {
    // RFC 8445 §7.2.5.1: a 487 to a check sent in the controlling role makes us controlled
    // (and the reverse); the check is sent again at once in the new role.
    const auto error = message->error_code();
    if (error && error->code == transport::kStunErrorRoleConflict) {
      ice_controlling_ = !it->controlling;
      outstanding_.erase(it);
      SendCheck(/*use_candidate=*/!ice_connected_, now);
    }
    return;
  }
  if (message->message_class() != transport::StunClass::kSuccessResponse) return;
  outstanding_.erase(it);
  last_response_ = now;
  if (ice_connected_) return;
  ice_connected_ = true;
  ice_connected_at_ = now;
  MaybeStartDtls();
}

void PeerConnection::MaybeStartDtls() {
  if (dtls_->state() != transport::DtlsState::kNew || !ice_connected_) return;
  if (dtls_after_peer_check_) {
    const transport::Timestamp now = clock_.Now();
    const bool peer_ready = peer_selected_at_ && now - *peer_selected_at_ >= kDtlsStartDelay;
    if (!peer_ready && now - *ice_connected_at_ < kPeerSelectionWait) return;
  }
  // As browsers do: the DTLS client sends its ClientHello once ICE works (a server replays a
  // ClientHello that came earlier).
  if (absl::Status s = dtls_->Start(dtls_role_, remote_.fingerprint_algorithm,
                                    remote_.fingerprint_value);
      !s.ok()) {
    Fail("DTLS start: " + std::string(s.message()));
  }
}

void PeerConnection::OnSrtp(std::span<uint8_t> datagram, transport::Timestamp arrival) {
  if (!srtp_) {
    ++counters_.unexpected_datagrams;
    return;
  }
  size_t length = 0;
  if (transport::IsRtcp(datagram)) {
    if (srtp_->UnprotectRtcp(datagram.data(), datagram.size(), length) !=
        transport::SrtpError::kOk) {
      ++counters_.srtp_errors;
      return;
    }
    ++counters_.rtcp_received;
    ReleaseDtlsOnce();
    observer_.OnPeerRtcp(*this, std::span<const uint8_t>(datagram.data(), length));
    return;
  }
  ++counters_.rtp_received;
  counters_.rtp_bytes_received += datagram.size();
  // The first packets are always decrypted so that join time (first media decrypted) does not
  // depend on the sampling.
  const bool decrypt = decrypt_sample_ == 1 || rtp_seen_ < kAlwaysDecryptFirst ||
                       rtp_seen_ % static_cast<uint64_t>(decrypt_sample_) == 0;
  ++rtp_seen_;
  if (!decrypt) {
    observer_.OnPeerRtp(*this, datagram, /*decrypted=*/false, arrival);
    return;
  }
  switch (srtp_->UnprotectRtp(datagram.data(), datagram.size(), length)) {
    case transport::SrtpError::kOk:
      ++counters_.decrypted;
      ReleaseDtlsOnce();
      observer_.OnPeerRtp(*this, datagram.first(length), /*decrypted=*/true, arrival);
      return;
    case transport::SrtpError::kReplay:
      ++counters_.srtp_replays;
      return;
    default:
      ++counters_.srtp_errors;
      return;
  }
}

void PeerConnection::ReleaseDtlsOnce() {
  // Media from the server proves it finished the handshake: keep only the record keys (see
  // transport::DtlsTransport::ReleaseHandshakeState), ~72 KB less per simulated client.
  if (dtls_released_ || dtls_ == nullptr) return;
  dtls_released_ = true;
  dtls_->ReleaseHandshakeState();
}

bool PeerConnection::SendRtp(std::span<uint8_t> buffer, size_t length) {
  if (!srtp_ || closed_) return false;
  size_t out_length = 0;
  if (srtp_->ProtectRtp(buffer.data(), length, buffer.size(), out_length) !=
      transport::SrtpError::kOk) {
    ++counters_.send_failures;
    return false;
  }
  if (!socket_->Send(std::span<const uint8_t>(buffer.data(), out_length), remote_address_)) {
    ++counters_.send_failures;
    return false;
  }
  ++counters_.rtp_sent;
  counters_.rtp_bytes_sent += out_length;
  return true;
}

bool PeerConnection::SendRtcp(std::span<const uint8_t> compound) {
  if (!srtp_ || closed_ ||
      compound.size() + transport::SrtpTransform::kMaxTrailer > rtcp_buffer_.size()) {
    return false;
  }
  std::memcpy(rtcp_buffer_.data(), compound.data(), compound.size());
  size_t out_length = 0;
  if (srtp_->ProtectRtcp(rtcp_buffer_.data(), compound.size(), rtcp_buffer_.size(), out_length) !=
          transport::SrtpError::kOk ||
      !socket_->Send(std::span<const uint8_t>(rtcp_buffer_.data(), out_length), remote_address_)) {
    ++counters_.send_failures;
    return false;
  }
  ++counters_.rtcp_sent;
  return true;
}

void PeerConnection::Close() {
  if (closed_) return;
  // close_notify first (through OnDtlsSendPacket), while the socket is still open.
  if (dtls_ && dtls_->state() == transport::DtlsState::kConnected) dtls_->Close();
  closed_ = true;
  srtp_.reset();
  if (socket_) socket_->Close();
}

void PeerConnection::Fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  observer_.OnPeerFailed(*this, why);
}

void PeerConnection::OnDtlsSendPacket(std::span<const uint8_t> datagram) {
  if (!remote_set_ || !socket_) return;
  if (!socket_->Send(datagram, remote_address_)) ++counters_.send_failures;
}

void PeerConnection::OnDtlsConnected(const transport::SrtpKeyMaterial& keys) {
  auto srtp = transport::SrtpTransform::Create(keys);
  if (!srtp.ok()) {
    Fail("SRTP: " + std::string(srtp.status().message()));
    return;
  }
  srtp_ = std::move(*srtp);
  observer_.OnPeerConnected(*this);
}

void PeerConnection::OnDtlsFailed(const absl::Status& why) {
  Fail("DTLS: " + std::string(why.message()));
}

void PeerConnection::OnDtlsClosed() {
  srtp_.reset();
  Fail("the server closed DTLS");
}

}  // namespace switchyard::bench
