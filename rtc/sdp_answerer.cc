#include "rtc/sdp_answerer.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/status/status.h"

namespace switchyard::rtc {
namespace {

// JSEP §5.1.2 requires DTLS-SRTP with AVPF feedback; plain RTP/AVP offers are rejected per
// section rather than failing the whole negotiation.
bool IsDtlsSrtpProtocol(std::string_view protocol) {
  return protocol.find("TLS/RTP/SAVPF") != std::string_view::npos;
}

absl::Status SectionError(size_t index, const MediaSection& section, std::string_view what) {
  return absl::InvalidArgumentError(sdp_text::Cat("offer m-section ", index, " (",
                                                 MediaKindName(section.kind), " mid '",
                                                 section.mid, "'): ", what));
}

Codec FilterFeedback(const Codec& offered, const MediaCapabilities& caps) {
  Codec codec = offered;
  codec.rtcp_fbs.clear();
  for (const std::string& fb : offered.rtcp_fbs) {
    if (caps.SupportsRtcpFb(fb)) codec.rtcp_fbs.push_back(fb);
  }
  return codec;
}

// The offer's codecs we forward, in the offer's order, keeping payload types and fmtp. RTX
// (RFC 4588 §8.6) is kept only when its apt names a kept codec of the same clock rate.
std::vector<Codec> NegotiateCodecs(const MediaSection& offered, const MediaCapabilities& caps) {
  std::array<bool, 128> kept{};
  for (const Codec& codec : offered.codecs) {
    if (!codec.IsRtx() && codec.payload_type < 128 && caps.SupportsCodec(codec, offered.kind)) {
      kept[codec.payload_type] = true;
    }
  }
  std::vector<Codec> out;
  for (const Codec& codec : offered.codecs) {
    if (codec.payload_type >= 128) continue;
    if (codec.IsRtx()) {
      std::optional<uint8_t> apt = codec.apt();
      const Codec* primary = apt ? offered.FindCodec(*apt) : nullptr;
      if (caps.rtx && primary != nullptr && kept[*apt] &&
          primary->clock_rate == codec.clock_rate) {
        out.push_back(FilterFeedback(codec, caps));
      }
    } else if (kept[codec.payload_type]) {
      out.push_back(FilterFeedback(codec, caps));
    }
  }
  return out;
}

std::vector<HeaderExtension> NegotiateExtensions(const MediaSection& offered,
                                                 const MediaCapabilities& caps) {
  std::vector<HeaderExtension> out;
  for (const HeaderExtension& ext : offered.extensions) {
    if (!caps.SupportsExtension(ext.uri)) continue;
    HeaderExtension answer = ext;
    if (answer.direction) answer.direction = ReverseDirection(*answer.direction);
    out.push_back(std::move(answer));
  }
  return out;
}

// Offered send rids become our recv rids (RFC 8851 §7.2), their pt= lists narrowed to the
// answer's codecs; a rid whose every listed payload type was dropped is itself dropped. The
// a=simulcast:send list is echoed as recv (RFC 8853 §5.3) minus dropped rids, which makes
// Chromium encode every layer.
void NegotiateSimulcast(const MediaSection& offered, MediaSection& answer) {
  for (const RidDescription& rid : offered.rids) {
    if (rid.direction != Direction::kSendOnly) continue;  // we never send simulcast here
    RidDescription echoed = rid;
    echoed.direction = Direction::kRecvOnly;
    echoed.payload_types.clear();
    for (uint8_t pt : rid.payload_types) {
      if (answer.FindCodec(pt) != nullptr) echoed.payload_types.push_back(pt);
    }
    if (!rid.payload_types.empty() && echoed.payload_types.empty()) continue;
    answer.rids.push_back(std::move(echoed));
  }
  if (!offered.simulcast || offered.simulcast->send_layers.empty()) return;
  auto declared = [&](const std::string& id) {
    return std::any_of(answer.rids.begin(), answer.rids.end(),
                       [&](const RidDescription& r) { return r.rid == id; });
  };
  Simulcast simulcast;
  for (const std::vector<SimulcastRid>& layer : offered.simulcast->send_layers) {
    std::vector<SimulcastRid> alternatives;
    for (const SimulcastRid& rid : layer) {
      if (declared(rid.rid)) alternatives.push_back(rid);
    }
    if (!alternatives.empty()) simulcast.recv_layers.push_back(std::move(alternatives));
  }
  if (!simulcast.recv_layers.empty()) answer.simulcast = std::move(simulcast);
}

MediaSection RejectedSection(const MediaSection& offered) {
  MediaSection section;
  section.kind = offered.kind;
  section.mid = offered.mid;
  section.port = 0;
  section.protocol = offered.protocol;
  section.direction = Direction::kInactive;
  // JSEP §5.3.1: a rejected m= line still lists a format; echo the first offered one.
  if (offered.IsRtp()) {
    if (!offered.codecs.empty()) {
      const Codec& first = offered.codecs.front();
      section.codecs.push_back(Codec{first.payload_type, first.name, first.clock_rate,
                                     first.channels, {}, {}});
    }
  } else {
    section.formats = offered.formats;
  }
  return section;
}

}  // namespace

Direction NegotiateDirection(Direction offered, Direction wanted) {
  return MakeDirection(DirectionSends(wanted) && DirectionReceives(offered),
                       DirectionReceives(wanted) && DirectionSends(offered));
}

absl::StatusOr<SessionDescription> CreateAnswer(const SessionDescription& offer,
                                                const AnswerOptions& options) {
  if (options.ice_ufrag.empty() || options.ice_pwd.empty()) {
    return absl::InvalidArgumentError("AnswerOptions: missing ICE ufrag/pwd");
  }
  if (options.fingerprint_algorithm.empty() || options.fingerprint_value.empty()) {
    return absl::InvalidArgumentError("AnswerOptions: missing DTLS fingerprint");
  }
  // The SFU runs one ICE/DTLS transport per PeerConnection (max-bundle), so everything it
  // accepts must share the offer's first BUNDLE group.
  const std::vector<std::string>* bundle =
      offer.bundle_groups.empty() ? nullptr : &offer.bundle_groups.front();
  if (bundle == nullptr && offer.media.size() > 1) {
    return absl::InvalidArgumentError(
        sdp_text::Cat("offer has ", offer.media.size(),
                     " m-sections but no a=group:BUNDLE (the SFU requires max-bundle)"));
  }
  const MediaCapabilities& caps = options.capabilities;

  SessionDescription answer;
  answer.session_id = options.session_id;
  answer.session_version = options.session_version;
  answer.ice_lite = options.ice_lite;
  answer.extmap_allow_mixed = options.extmap_allow_mixed && offer.extmap_allow_mixed;

  std::vector<std::string> accepted_mids;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const MediaSection& offered = offer.media[i];
    if (offered.mid.empty()) return SectionError(i, offered, "no a=mid (JSEP §5.2.1)");
    bool accept = offered.kind != MediaKind::kApplication && offered.IsRtp() &&
                  IsDtlsSrtpProtocol(offered.protocol) && !offered.IsRejected() &&
                  (bundle == nullptr ||
                   std::find(bundle->begin(), bundle->end(), offered.mid) != bundle->end());
    std::vector<Codec> codecs;
    if (accept) codecs = NegotiateCodecs(offered, caps);
    if (codecs.empty()) {
      answer.media.push_back(RejectedSection(offered));
      continue;
    }

    if (offer.IceUfragFor(offered).empty() || offer.IcePwdFor(offered).empty()) {
      return SectionError(i, offered, "no a=ice-ufrag/a=ice-pwd");
    }
    if (offer.FingerprintValueFor(offered).empty()) {
      return SectionError(i, offered, "no a=fingerprint");
    }
    if (!offered.rtcp_mux) return SectionError(i, offered, "no a=rtcp-mux (required)");
    // RFC 5763 §5: the answerer takes the role the offer leaves; a missing a=setup means the
    // offerer is active (RFC 4145 §4), so we are passive then too.
    SetupRole role = SetupRole::kPassive;
    if (std::optional<SetupRole> offered_role = offer.SetupFor(offered)) {
      if (*offered_role == SetupRole::kHoldConn) {
        return SectionError(i, offered, "a=setup:holdconn is not supported");
      }
      if (*offered_role == SetupRole::kPassive) role = SetupRole::kActive;
    }

    MediaSection section;
    section.kind = offered.kind;
    section.mid = offered.mid;
    section.port = 9;  // JSEP §5.2.1 discard port; candidates carry the real address
    section.protocol = offered.protocol;
    section.codecs = std::move(codecs);
    auto override_it = options.direction_by_mid.find(offered.mid);
    Direction wanted = override_it != options.direction_by_mid.end() ? override_it->second
                                                                      : options.wanted_direction;
    section.direction = NegotiateDirection(offered.direction, wanted);
    section.extensions = NegotiateExtensions(offered, caps);
    section.rtcp_mux = true;
    section.rtcp_rsize = offered.rtcp_rsize;
    section.ice_ufrag = options.ice_ufrag;
    section.ice_pwd = options.ice_pwd;
    section.fingerprint_algorithm = options.fingerprint_algorithm;
    section.fingerprint_value = options.fingerprint_value;
    section.setup = role;
    if (DirectionReceives(section.direction) && caps.SupportsExtension(kExtRid)) {
      NegotiateSimulcast(offered, section);
    }
    accepted_mids.push_back(offered.mid);
    answer.media.push_back(std::move(section));
  }

  if (!accepted_mids.empty()) {
    // RFC 8843 §7.3.1: the answer's group keeps the offer's order, so the offerer's tag stays
    // first unless we rejected it, in which case the next accepted mid becomes the tag.
    std::vector<std::string> group;
    if (bundle != nullptr) {
      for (const std::string& mid : *bundle) {
        if (std::find(accepted_mids.begin(), accepted_mids.end(), mid) != accepted_mids.end()) {
          group.push_back(mid);
        }
      }
    } else {
      group = accepted_mids;  // a lone section: no group was offered, so none is answered
    }
    const std::string tag = group.front();
    if (bundle != nullptr) answer.bundle_groups.push_back(std::move(group));
    for (MediaSection& section : answer.media) {
      if (section.mid != tag) continue;
      section.candidates = options.candidates;
      section.end_of_candidates = true;  // ICE-lite: all our candidates are known up front
    }
  }
  return answer;
}

}  // namespace switchyard::rtc
