#include "tests/sfu/test_peer.h"

#include <openssl/rand.h>

#include <algorithm>

#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtp_packet.h"
#include "rtc/sdp_parser.h"
#include "transport/byte_io.h"
#include "transport/packet_demux.h"

namespace switchyard::sfu::testing {

namespace {

using transport::DtlsRole;

// At most this many checks await a response; older ones are forgotten (like a browser's
// abandoned transactions).
constexpr size_t kMaxOutstandingChecks = 64;
// PRIORITY of our checks: a peer-reflexive candidate's priority (RFC 8445 §7.1.1, type
// preference 110), as Chromium sends.
constexpr uint32_t kCheckPriority = (110u << 24) | (65535u << 8) | 255u;
// Our RTCP sender SSRC (a receive-only endpoint, like libwebrtc's 1).
constexpr uint32_t kRtcpSenderSsrc = 1;
constexpr std::string_view kRtcpFbTransportCc = "transport-cc";
constexpr std::string_view kRtcpFbGoogRemb = "goog-remb";
constexpr std::string_view kTransportCcExtension =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

uint64_t RandomU64() {
  uint64_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof(value)) != 1) value = 42;
  return value;
}

rtc::MediaSection TransportSection(rtc::MediaKind kind, std::string mid,
                                   const transport::IceCredentials& ice,
                                   const std::string& fingerprint, bool include_fingerprint,
                                   rtc::SetupRole setup) {
  rtc::MediaSection section;
  section.kind = kind;
  section.mid = std::move(mid);
  section.rtcp_mux = true;
  section.rtcp_rsize = true;
  section.ice_ufrag = ice.ufrag;
  section.ice_pwd = ice.pwd;
  if (include_fingerprint) {
    section.fingerprint_algorithm = "sha-256";
    section.fingerprint_value = fingerprint;
  }
  section.setup = setup;
  return section;
}

}  // namespace

TestPeer::TestPeer(const transport::Clock& clock, const transport::Certificate& certificate,
                   SendFunction send, const transport::DtlsContext* dtls_context)
    : clock_(clock),
      certificate_(certificate),
      send_(std::move(send)),
      local_ice_(transport::GenerateIceCredentials()),
      tiebreaker_(RandomU64()),
      session_id_(RandomU64() >> 2) {
  dtls_ = dtls_context != nullptr
              ? std::make_unique<transport::DtlsTransport>(clock_, *dtls_context, *this)
              : std::make_unique<transport::DtlsTransport>(clock_, certificate_, *this);
}

TestPeer::~TestPeer() = default;

std::string TestPeer::CreatePublishOffer(const PublishOfferOptions& options) {
  rtc::SessionDescription offer;
  offer.session_id = session_id_;
  offer.session_version = ++offer_version_;
  const std::string fingerprint = options.fingerprint_override.value_or(certificate_.Fingerprint());
  std::vector<std::string> bundle;
  if (options.audio) {
    rtc::MediaSection audio =
        TransportSection(rtc::MediaKind::kAudio, std::to_string(offer.media.size()), local_ice_,
                         fingerprint, options.include_fingerprint, rtc::SetupRole::kActPass);
    rtc::Codec opus;
    opus.payload_type = kOpusPayloadType;
    opus.name = "opus";
    opus.clock_rate = kOpusClockRate;
    opus.channels = 2;
    opus.fmtp = "minptime=10;useinbandfec=1";
    audio.codecs.push_back(opus);
    audio.extensions.push_back({1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", {}});
    audio.extensions.push_back({4, "urn:ietf:params:rtp-hdrext:sdes:mid", {}});
    audio.direction = options.audio_direction;
    if (rtc::DirectionSends(audio.direction)) {
      audio.msid_stream = options.stream_id;
      audio.msid_track = options.stream_id + "-audio";
      audio.ssrcs.push_back({options.audio_ssrc, options.cname,
                             options.stream_id + " " + audio.msid_track});
    }
    bundle.push_back(audio.mid);
    offer.media.push_back(std::move(audio));
  }
  if (options.video) {
    rtc::MediaSection video =
        TransportSection(rtc::MediaKind::kVideo, std::to_string(offer.media.size()), local_ice_,
                         fingerprint, options.include_fingerprint, rtc::SetupRole::kActPass);
    rtc::Codec vp8;
    vp8.payload_type = kVp8PayloadType;
    vp8.name = "VP8";
    vp8.clock_rate = kVideoClockRate;
    vp8.rtcp_fbs = {"ccm fir", "nack", "nack pli"};
    rtc::Codec rtx;
    rtx.payload_type = kVp8RtxPayloadType;
    rtx.name = "rtx";
    rtx.clock_rate = kVideoClockRate;
    rtx.fmtp = "apt=" + std::to_string(kVp8PayloadType);
    video.codecs = {vp8, rtx};
    video.extensions.push_back({4, "urn:ietf:params:rtp-hdrext:sdes:mid", {}});
    video.direction = options.video_direction;
    if (rtc::DirectionSends(video.direction)) {
      video.msid_stream = options.stream_id;
      video.msid_track = options.stream_id + "-video";
      const std::string msid = options.stream_id + " " + video.msid_track;
      video.ssrc_groups.push_back({"FID", {options.video_ssrc, options.video_rtx_ssrc}});
      video.ssrcs.push_back({options.video_ssrc, options.cname, msid});
      video.ssrcs.push_back({options.video_rtx_ssrc, options.cname, msid});
    }
    bundle.push_back(video.mid);
    offer.media.push_back(std::move(video));
  }
  if (!bundle.empty()) offer.bundle_groups.push_back(std::move(bundle));
  return rtc::Serialize(offer);
}

absl::Status TestPeer::SetPublishAnswer(const std::string& sdp) {
  auto answer = rtc::ParseSdp(sdp);
  if (!answer.ok()) return answer.status();
  // An answer says active or passive; actpass there would be invalid, treat it like passive.
  return ApplyRemoteDescription(*answer, DtlsRole::kClient);
}

absl::StatusOr<std::string> TestPeer::AnswerSubscribeOffer(const std::string& sdp) {
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return offer.status();
  // We answer actpass with active (RFC 5763 §5, as browsers do): we are the DTLS client.
  if (auto status = ApplyRemoteDescription(*offer, DtlsRole::kClient); !status.ok()) {
    return status;
  }

  rtc::SessionDescription answer;
  answer.session_id = session_id_;
  answer.session_version = ++offer_version_;
  std::vector<std::string> bundle;
  offered_tracks_.clear();
  for (const rtc::MediaSection& offered : offer->media) {
    OfferedTrack track;
    track.mid = offered.mid;
    track.kind = offered.kind;
    track.direction = offered.direction;
    if (!offered.ssrcs.empty()) track.ssrc = offered.ssrcs.front().ssrc;
    for (const rtc::SsrcGroup& group : offered.ssrc_groups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2) {
        track.ssrc = group.ssrcs[0];
        track.rtx_ssrc = group.ssrcs[1];
      }
    }
    track.msid_stream = offered.msid_stream;
    track.msid_track = offered.msid_track;
    track.codecs = offered.codecs;
    offered_tracks_.push_back(std::move(track));

    rtc::MediaSection section =
        TransportSection(offered.kind, offered.mid, local_ice_, certificate_.Fingerprint(),
                         /*include_fingerprint=*/true, rtc::SetupRole::kActive);
    section.port = offered.IsRejected() ? 0 : 9;
    section.codecs = offered.codecs;
    section.extensions = offered.extensions;
    if (!accept_bandwidth_feedback_) {
      for (rtc::Codec& codec : section.codecs) {
        std::erase_if(codec.rtcp_fbs, [](const std::string& fb) {
          return fb == kRtcpFbTransportCc || fb == kRtcpFbGoogRemb;
        });
      }
      std::erase_if(section.extensions, [](const rtc::HeaderExtension& ext) {
        return ext.uri == kTransportCcExtension;
      });
    }
    section.rtcp_rsize = offered.rtcp_rsize;
    section.direction = rtc::DirectionSends(offered.direction) ? rtc::Direction::kRecvOnly
                                                               : rtc::Direction::kInactive;
    if (!offered.IsRejected()) bundle.push_back(offered.mid);
    answer.media.push_back(std::move(section));
  }
  if (!bundle.empty()) answer.bundle_groups.push_back(std::move(bundle));
  return rtc::Serialize(answer);
}

const OfferedTrack* TestPeer::FindOfferedTrack(rtc::MediaKind kind,
                                               const std::string& stream) const {
  for (const OfferedTrack& track : offered_tracks_) {
    if (track.kind == kind && track.msid_stream == stream &&
        track.direction == rtc::Direction::kSendOnly) {
      return &track;
    }
  }
  return nullptr;
}

absl::Status TestPeer::ApplyRemoteDescription(const rtc::SessionDescription& description,
                                              DtlsRole local_role_if_actpass) {
  const rtc::MediaSection* first = nullptr;
  for (const auto& section : description.media) {
    if (!section.IsRejected()) {
      first = &section;
      break;
    }
  }
  if (first == nullptr) return absl::InvalidArgumentError("no accepted media section");
  transport::IceCredentials ice{std::string(description.IceUfragFor(*first)),
                                std::string(description.IcePwdFor(*first))};
  const std::string algorithm(description.FingerprintAlgorithmFor(*first));
  const std::string value(description.FingerprintValueFor(*first));
  DtlsRole role = local_role_if_actpass;
  switch (description.SetupFor(*first).value_or(rtc::SetupRole::kActPass)) {
    case rtc::SetupRole::kActive: role = DtlsRole::kServer; break;
    case rtc::SetupRole::kPassive: role = DtlsRole::kClient; break;
    default: break;
  }
  if (!first->candidates.empty()) remote_candidates_ = first->candidates;
  for (const rtc::Candidate& candidate : first->candidates) {
    auto address = transport::SocketAddress::Parse(candidate.address, candidate.port);
    if (!address) continue;
    if (candidate.transport == "udp" && !remote_candidate_) remote_candidate_ = address;
    if (candidate.transport == "tcp" && candidate.tcp_type == "passive" &&
        !remote_tcp_candidate_) {
      remote_tcp_candidate_ = address;
    }
  }
  return SetRemoteParameters(ice, algorithm, value, role);
}

bool TestPeer::ConnectWithChecks(const std::function<void(std::chrono::milliseconds)>& poll,
                                 std::chrono::milliseconds deadline_after) {
  const auto deadline = std::chrono::steady_clock::now() + deadline_after;
  auto next_check = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    if (connected()) return true;
    if (!ice_connected() && std::chrono::steady_clock::now() >= next_check) {
      SendBindingRequest(/*use_candidate=*/true);
      next_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    }
    poll(std::chrono::milliseconds(5));
  }
  return connected();
}

bool TestPeer::HasRemoteCandidate(const std::string& transport, const std::string& address,
                                  uint16_t port) const {
  for (const rtc::Candidate& c : remote_candidates_) {
    if (c.transport == transport && c.address == address && c.port == port) return true;
  }
  return false;
}

absl::Status TestPeer::SetRemoteParameters(const transport::IceCredentials& remote_ice,
                                           const std::string& fingerprint_algorithm,
                                           const std::string& fingerprint_value,
                                           DtlsRole local_role) {
  if (remote_set_) {
    // New remote credentials: an ICE restart (RFC 8445 §9); DTLS carries on.
    if (remote_ice.ufrag != remote_ice_.ufrag) remote_ice_ = remote_ice;
    return absl::OkStatus();
  }
  if (remote_ice.ufrag.empty() || remote_ice.pwd.empty()) {
    return absl::InvalidArgumentError("remote ICE credentials missing");
  }
  remote_ice_ = remote_ice;
  local_role_ = local_role;
  remote_set_ = true;
  // A DTLS server just waits; a client starts once ICE works (see OnStun), as browsers do.
  if (local_role_ == DtlsRole::kServer) {
    return dtls_->Start(DtlsRole::kServer, fingerprint_algorithm, fingerprint_value);
  }
  client_fingerprint_algorithm_ = fingerprint_algorithm;
  client_fingerprint_value_ = fingerprint_value;
  return absl::OkStatus();
}

void TestPeer::SendBindingRequest(bool use_candidate) {
  if (!remote_set_) return;
  const transport::StunTransactionId id = transport::GenerateStunTransactionId();
  transport::StunMessageBuilder builder(transport::StunClass::kRequest,
                                        transport::StunMethod::kBinding, id);
  builder.AddUsername(remote_ice_.ufrag + ":" + local_ice_.ufrag);
  builder.AddPriority(kCheckPriority);
  builder.AddIceControlling(tiebreaker_);
  if (use_candidate) builder.AddUseCandidate();
  auto bytes = builder.Serialize(remote_ice_.pwd, /*add_fingerprint=*/true);
  if (!bytes.ok()) return;
  if (outstanding_checks_.size() >= kMaxOutstandingChecks) {
    outstanding_checks_.erase(outstanding_checks_.begin());
  }
  outstanding_checks_.push_back(id);
  last_check_sent_ = clock_.Now();
  ++stats_.stun_requests_sent;
  Send(*bytes);
}

void TestPeer::OnDatagram(std::span<uint8_t> datagram) {
  switch (transport::ClassifyPacket(datagram)) {
    case transport::PacketClass::kStun:
      OnStun(datagram);
      return;
    case transport::PacketClass::kDtls:
      dtls_->HandleDatagram(datagram);
      return;
    case transport::PacketClass::kRtpOrRtcp:
      OnSrtp(datagram);
      return;
    case transport::PacketClass::kUnknown:
      ++stats_.unexpected_datagrams;
      return;
  }
}

void TestPeer::OnStun(std::span<const uint8_t> datagram) {
  auto message = transport::StunMessage::Parse(datagram);
  if (!message.ok() || message->method() != transport::StunMethod::kBinding) {
    ++stats_.stun_responses_rejected;
    return;
  }
  auto it = std::find(outstanding_checks_.begin(), outstanding_checks_.end(),
                      message->transaction_id());
  if (it == outstanding_checks_.end() ||
      message->message_class() != transport::StunClass::kSuccessResponse ||
      !message->VerifyMessageIntegrity(remote_ice_.pwd)) {
    ++stats_.stun_responses_rejected;
    return;
  }
  outstanding_checks_.erase(it);
  ++stats_.stun_responses_accepted;
  mapped_address_ = message->xor_mapped_address();
  if (!ice_connected_) {
    ice_connected_ = true;
    if (local_role_ == DtlsRole::kClient && dtls_->state() == transport::DtlsState::kNew) {
      if (auto status = dtls_->Start(DtlsRole::kClient, client_fingerprint_algorithm_,
                                     client_fingerprint_value_);
          !status.ok()) {
        dtls_failure_ = status;
      }
    }
  }
}

void TestPeer::OnSrtp(std::span<uint8_t> datagram) {
  if (!srtp_) {
    ++stats_.unexpected_datagrams;
    return;
  }
  size_t length = 0;
  if (transport::IsRtcp(datagram)) {
    if (srtp_->UnprotectRtcp(datagram.data(), datagram.size(), length) !=
        transport::SrtpError::kOk) {
      ++stats_.srtp_errors;
      return;
    }
    ++stats_.rtcp_received;
    if (rtcp_observer_) rtcp_observer_(std::span<const uint8_t>(datagram.data(), length));
    if (record_packets_) received_rtcp_.emplace_back(datagram.begin(), datagram.begin() + length);
    return;
  }
  if (srtp_->UnprotectRtp(datagram.data(), datagram.size(), length) !=
      transport::SrtpError::kOk) {
    ++stats_.srtp_errors;
    return;
  }
  auto packet = rtc::RtpPacketView::Parse(datagram.first(length));
  if (!packet) {
    ++stats_.unexpected_datagrams;
    return;
  }
  ++stats_.rtp_received;
  if (rtp_observer_) rtp_observer_(*packet);
  if (!record_packets_) return;
  ReceivedRtp received;
  received.ssrc = packet->ssrc();
  received.sequence_number = packet->sequence_number();
  received.timestamp = packet->timestamp();
  received.payload_type = packet->payload_type();
  received.marker = packet->marker();
  received.payload.assign(packet->payload().begin(), packet->payload().end());
  received.received_at = clock_.Now();
  received_rtp_.push_back(std::move(received));
}

void TestPeer::OnTimer() {
  const transport::Timestamp now = clock_.Now();
  if (auto deadline = dtls_->NextTimeout(); deadline && *deadline <= now) dtls_->OnTimer();
  if (consent_interval_ && ice_connected_ &&
      (!last_check_sent_ || now - *last_check_sent_ >= *consent_interval_)) {
    SendBindingRequest(/*use_candidate=*/false);
  }
}

void TestPeer::CloseDtls() {
  dtls_->Close();
  srtp_.reset();
}

size_t TestPeer::BuildRtp(const RtpHeaderFields& header, std::span<const uint8_t> payload,
                          std::vector<uint8_t>& out) const {
  const size_t length = rtc::kRtpFixedHeaderSize + payload.size();
  out.assign(length + transport::SrtpSession::kMaxTrailer, 0);
  out[0] = 0x80;  // V=2, no padding, no extension, no CSRC
  out[1] = static_cast<uint8_t>((header.marker ? 0x80 : 0x00) | (header.payload_type & 0x7F));
  transport::StoreBe16(&out[2], header.sequence_number);
  transport::StoreBe32(&out[4], header.timestamp);
  transport::StoreBe32(&out[8], header.ssrc);
  std::copy(payload.begin(), payload.end(), out.begin() + rtc::kRtpFixedHeaderSize);
  return length;
}

std::optional<std::vector<uint8_t>> TestPeer::ProtectRtp(const RtpHeaderFields& header,
                                                         std::span<const uint8_t> payload) {
  if (!srtp_) return std::nullopt;
  std::vector<uint8_t> buffer;
  const size_t length = BuildRtp(header, payload, buffer);
  size_t out_length = 0;
  if (srtp_->ProtectRtp(buffer.data(), length, buffer.size(), out_length) !=
      transport::SrtpError::kOk) {
    return std::nullopt;
  }
  buffer.resize(out_length);
  return buffer;
}

bool TestPeer::SendRtp(const RtpHeaderFields& header, std::span<const uint8_t> payload) {
  auto datagram = ProtectRtp(header, payload);
  if (!datagram) return false;
  ++stats_.rtp_sent;
  Send(*datagram);
  return true;
}

bool TestPeer::SendRtpPacket(std::span<const uint8_t> packet) {
  if (!srtp_ || packet.size() < rtc::kRtpFixedHeaderSize) return false;
  std::vector<uint8_t> buffer(packet.begin(), packet.end());
  buffer.resize(packet.size() + transport::SrtpSession::kMaxTrailer);
  size_t out_length = 0;
  if (srtp_->ProtectRtp(buffer.data(), packet.size(), buffer.size(), out_length) !=
      transport::SrtpError::kOk) {
    return false;
  }
  buffer.resize(out_length);
  ++stats_.rtp_sent;
  Send(buffer);
  return true;
}

bool TestPeer::SendRtcp(std::span<const uint8_t> compound) {
  if (!srtp_) return false;
  std::vector<uint8_t> buffer(compound.begin(), compound.end());
  buffer.resize(compound.size() + transport::SrtpSession::kMaxTrailer);
  size_t out_length = 0;
  if (srtp_->ProtectRtcp(buffer.data(), compound.size(), buffer.size(), out_length) !=
      transport::SrtpError::kOk) {
    return false;
  }
  buffer.resize(out_length);
  ++stats_.rtcp_sent;
  Send(buffer);
  return true;
}

bool TestPeer::SendPli(uint32_t media_ssrc) {
  std::array<uint8_t, 32> rtcp{};
  const size_t length = rtc::WritePli(rtcp, kRtcpSenderSsrc, media_ssrc);
  return length > 0 && SendRtcp(std::span<const uint8_t>(rtcp.data(), length));
}

bool TestPeer::SendFir(uint32_t media_ssrc) {
  std::array<uint8_t, 32> rtcp{};
  const size_t length = rtc::WriteFir(rtcp, kRtcpSenderSsrc, media_ssrc, fir_sequence_++);
  return length > 0 && SendRtcp(std::span<const uint8_t>(rtcp.data(), length));
}

bool TestPeer::SendNack(uint32_t media_ssrc, std::span<const uint16_t> lost) {
  std::array<uint8_t, 256> rtcp{};
  const size_t length = rtc::WriteNack(rtcp, kRtcpSenderSsrc, media_ssrc, lost);
  return length > 0 && SendRtcp(std::span<const uint8_t>(rtcp.data(), length));
}

std::vector<uint16_t> TestPeer::ReceivedNacks(uint32_t media_ssrc) const {
  std::vector<uint16_t> lost;
  for (const auto& compound : received_rtcp_) {
    rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& view) {
      if (view.packet_type() != rtc::kRtcpTransportLayerFeedback) return;
      auto nack = rtc::NackView::Parse(view);
      if (!nack || nack->media_ssrc() != media_ssrc) return;
      nack->ForEachLostSequence([&](uint16_t seq) { lost.push_back(seq); });
    });
  }
  return lost;
}

std::vector<ReceivedRtp> TestPeer::ReceivedRtpFor(uint32_t ssrc) const {
  std::vector<ReceivedRtp> out;
  for (const ReceivedRtp& packet : received_rtp_) {
    if (packet.ssrc == ssrc) out.push_back(packet);
  }
  return out;
}

size_t TestPeer::CountReceivedPli(uint32_t media_ssrc) const {
  size_t count = 0;
  for (const auto& compound : received_rtcp_) {
    rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& view) {
      if (view.packet_type() != rtc::kRtcpPayloadSpecificFeedback ||
          view.count() != rtc::kPsfbPli) {
        return;
      }
      if (auto pli = rtc::PliView::Parse(view); pli && pli->media_ssrc() == media_ssrc) ++count;
    });
  }
  return count;
}

size_t TestPeer::CountReceivedFir(uint32_t media_ssrc) const {
  size_t count = 0;
  for (const auto& compound : received_rtcp_) {
    rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& view) {
      if (view.packet_type() != rtc::kRtcpPayloadSpecificFeedback ||
          view.count() != rtc::kPsfbFir) {
        return;
      }
      if (auto fir = rtc::FirView::Parse(view)) {
        for (size_t i = 0; i < fir->entry_count(); ++i) {
          if (fir->entry(i).ssrc == media_ssrc) ++count;
        }
      }
    });
  }
  return count;
}

void TestPeer::ClearReceived() {
  received_rtp_.clear();
  received_rtcp_.clear();
}

void TestPeer::Send(std::span<const uint8_t> datagram) {
  if (send_) send_(datagram);
}

void TestPeer::OnDtlsSendPacket(std::span<const uint8_t> datagram) { Send(datagram); }

void TestPeer::OnDtlsConnected(const transport::SrtpKeyMaterial& keys) {
  auto srtp = transport::SrtpSession::Create(keys);
  if (!srtp.ok()) {
    dtls_failure_ = srtp.status();
    return;
  }
  srtp_ = std::move(*srtp);
}

void TestPeer::OnDtlsFailed(const absl::Status& why) { dtls_failure_ = why; }

void TestPeer::OnDtlsClosed() {
  dtls_closed_by_server_ = true;
  srtp_.reset();
}

std::vector<uint8_t> MakeVp8Payload(bool keyframe, uint16_t picture_id, size_t size,
                                    bool start_of_frame) {
  std::vector<uint8_t> payload;
  // RFC 7741 §4.2: X=1, S, PID=0; I=1 with M=1 (15-bit picture id).
  payload.push_back(static_cast<uint8_t>(0x80 | (start_of_frame ? 0x10 : 0x00)));
  payload.push_back(0x80);
  payload.push_back(static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7F)));
  payload.push_back(static_cast<uint8_t>(picture_id & 0xFF));
  if (start_of_frame) {
    // RFC 6386 §9.1 frame tag: bit 0 is P (0 = key frame), bit 4 show_frame.
    payload.push_back(keyframe ? 0x10 : 0x11);
    payload.push_back(0x02);
    payload.push_back(0x00);
    if (keyframe) {
      for (uint8_t b : {0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}) payload.push_back(b);
    }
  }
  for (size_t i = 0; payload.size() < size; ++i) {
    payload.push_back(static_cast<uint8_t>(picture_id * 7 + i));
  }
  return payload;
}

std::vector<uint8_t> MakeOpusPayload(uint8_t seed, size_t size) {
  std::vector<uint8_t> payload;
  payload.push_back(0x78);  // TOC: SILK+CELT hybrid-ish config, one frame
  for (size_t i = 0; payload.size() < size; ++i) {
    payload.push_back(static_cast<uint8_t>(seed * 13 + i));
  }
  return payload;
}

ObservedEvents RecordingObserver::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

bool RecordingObserver::WaitFor(const std::function<bool(const ObservedEvents&)>& predicate,
                                std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(events_); });
}

void RecordingObserver::OnJoined(const std::string& participant_id, const std::string& room,
                                 const std::vector<ParticipantSummary>& others) {
  Record([&](ObservedEvents& e) {
    e.joined = true;
    e.participant_id = participant_id;
    e.room = room;
    e.others_at_join = others;
  });
}

void RecordingObserver::OnPublishAnswer(const std::string& sdp) {
  Record([&](ObservedEvents& e) { e.publish_answers.push_back(sdp); });
}

void RecordingObserver::OnSubscribeOffer(const std::string& sdp) {
  Record([&](ObservedEvents& e) { e.subscribe_offers.push_back(sdp); });
}

void RecordingObserver::OnParticipantJoined(const ParticipantSummary& participant) {
  Record([&](ObservedEvents& e) { e.participants_joined.push_back(participant); });
}

void RecordingObserver::OnParticipantLeft(const std::string& participant_id) {
  Record([&](ObservedEvents& e) { e.participants_left.push_back(participant_id); });
}

void RecordingObserver::OnTrackPublished(const std::string& participant_id,
                                         const TrackSummary& track) {
  Record([&](ObservedEvents& e) { e.tracks_published.emplace_back(participant_id, track); });
}

void RecordingObserver::OnTrackUnpublished(const std::string& participant_id,
                                           const std::string& track_id) {
  Record([&](ObservedEvents& e) { e.tracks_unpublished.emplace_back(participant_id, track_id); });
}

void RecordingObserver::OnSubscriptionState(const std::string& track_id, int spatial,
                                            int temporal, uint64_t estimate_bps) {
  Record([&](ObservedEvents& e) {
    e.subscription_states.push_back({track_id, spatial, temporal, estimate_bps});
  });
}

void RecordingObserver::OnActiveSpeakers(const std::vector<std::string>& participant_ids) {
  Record([&](ObservedEvents& e) { e.active_speakers.push_back(participant_ids); });
}

void RecordingObserver::OnTrackMuted(const std::string& participant_id,
                                     const std::string& track_id, bool muted) {
  Record([&](ObservedEvents& e) { e.tracks_muted.push_back({participant_id, track_id, muted}); });
}

void RecordingObserver::OnSubscribeAnswer(const std::string& sdp) {
  Record([&](ObservedEvents& e) { e.subscribe_answers.push_back(sdp); });
}

void RecordingObserver::OnError(const std::string& code, const std::string& message) {
  Record([&](ObservedEvents& e) { e.errors.emplace_back(code, message); });
}

void RecordingObserver::OnClosed(const std::string& reason) {
  Record([&](ObservedEvents& e) { e.closed_reasons.push_back(reason); });
}

}  // namespace switchyard::sfu::testing
