#ifndef SWITCHYARD_RTC_SESSION_DESCRIPTION_H_
#define SWITCHYARD_RTC_SESSION_DESCRIPTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rtc/media_kind.h"

namespace switchyard::rtc {

// The SDP data model for JSEP (RFC 8829) offers and answers. Plain owning structs: this is the
// control path, so clarity beats allocation count. ParseSdp (rtc/sdp_parser.h) fills it,
// Serialize (below) writes it, CreateAnswer (rtc/sdp_answerer.h) derives answers from offers.
// Only the attributes WebRTC endpoints actually negotiate are modelled; the parser drops others.

// RFC 8866 §6.7 media direction attributes.
enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view DirectionName(Direction direction);  // "sendrecv", ...
std::optional<Direction> ParseDirection(std::string_view name);
// The direction the peer sees: sendonly <-> recvonly; sendrecv and inactive are symmetric.
Direction ReverseDirection(Direction direction);
bool DirectionSends(Direction direction);
bool DirectionReceives(Direction direction);
Direction MakeDirection(bool send, bool recv);

// RFC 4145 §4 / RFC 5763 §5 DTLS role negotiation (a=setup).
enum class SetupRole { kActPass, kActive, kPassive, kHoldConn };
std::string_view SetupRoleName(SetupRole role);  // "actpass", ...
std::optional<SetupRole> ParseSetupRole(std::string_view name);

// One RTP payload type of an m= line with its a=rtpmap / a=fmtp / a=rtcp-fb lines.
struct Codec {
  uint8_t payload_type = 0;
  std::string name;  // as written, e.g. "VP8", "opus", "H264", "rtx"; empty if no a=rtpmap
  uint32_t clock_rate = 0;
  uint8_t channels = 0;  // 0 = unspecified (RFC 8866 §6.6: defaults to 1 for audio)
  std::string fmtp;      // raw parameter string of a=fmtp, e.g. "minptime=10;useinbandfec=1"
  std::vector<std::string> rtcp_fbs;  // e.g. "nack", "nack pli", "ccm fir", "transport-cc"

  // Value of a ';'-separated "key=value" fmtp parameter (key compared case-insensitively,
  // RFC 8866 leaves fmtp syntax to the payload format; all WebRTC formats use this form).
  std::optional<std::string_view> FmtpParameter(std::string_view key) const;
  bool IsRtx() const;  // name is "rtx" (RFC 4588)
  // RFC 4588 §8.6 associated payload type of an RTX codec; nullopt if absent/not a number.
  std::optional<uint8_t> apt() const;
  bool HasRtcpFb(std::string_view fb) const;

  friend bool operator==(const Codec&, const Codec&) = default;
};

// RFC 8285 a=extmap.
struct HeaderExtension {
  uint8_t id = 0;  // 1..255 (1..14 fit the one-byte form)
  std::string uri;
  std::optional<Direction> direction;

  friend bool operator==(const HeaderExtension&, const HeaderExtension&) = default;
};

// RFC 5576 a=ssrc-group (FID = RFC 4588 RTX pairing, SIM = legacy simulcast).
struct SsrcGroup {
  std::string semantics;
  std::vector<uint32_t> ssrcs;

  friend bool operator==(const SsrcGroup&, const SsrcGroup&) = default;
};

// The a=ssrc:<ssrc> cname:/msid: lines of one SSRC, merged (RFC 5576 §4.1, RFC 8830 §2).
struct SsrcAttribute {
  uint32_t ssrc = 0;
  std::string cname;
  std::string msid;  // raw "stream track" value of the msid: source attribute

  friend bool operator==(const SsrcAttribute&, const SsrcAttribute&) = default;
};

// RFC 8851 a=rid. direction is kSendOnly ("send") or kRecvOnly ("recv").
struct RidDescription {
  std::string rid;
  Direction direction = Direction::kSendOnly;
  std::vector<uint8_t> payload_types;  // the pt= restriction; empty = all
  std::string restrictions;            // the other restrictions, raw ("max-width=1280;...")

  friend bool operator==(const RidDescription&, const RidDescription&) = default;
};

// One rid in an RFC 8853 a=simulcast alternative list; "~" marks it initially paused.
struct SimulcastRid {
  std::string rid;
  bool paused = false;

  friend bool operator==(const SimulcastRid&, const SimulcastRid&) = default;
};

// RFC 8853 a=simulcast: each layer (';'-separated) is a list of alternatives (','-separated).
struct Simulcast {
  std::vector<std::vector<SimulcastRid>> send_layers;
  std::vector<std::vector<SimulcastRid>> recv_layers;

  friend bool operator==(const Simulcast&, const Simulcast&) = default;
};

// RFC 8839 §5.1 a=candidate.
struct Candidate {
  std::string foundation;
  uint32_t component = 1;
  std::string transport = "udp";  // "udp" / "tcp" (lower-cased on parse)
  uint32_t priority = 0;
  std::string address;  // IP literal or mDNS name
  uint16_t port = 0;
  std::string type = "host";  // host / srflx / prflx / relay
  std::string related_address;  // raddr, empty if absent
  uint16_t related_port = 0;    // rport
  std::string tcp_type;         // active / passive / so (RFC 6544), empty if absent
  std::string extra;            // remaining extension tokens raw, e.g. "generation 0 ufrag x"

  friend bool operator==(const Candidate&, const Candidate&) = default;
};

// Formats the value of an a=candidate line without "a=", i.e. "candidate:1 1 udp ...". This is
// also the string trickled in RTCIceCandidate.candidate.
std::string CandidateToString(const Candidate& candidate);

struct MediaSection {
  MediaKind kind = MediaKind::kAudio;
  std::string mid;
  uint16_t port = 9;  // 0 = rejected / recycled (JSEP §5.2.2) unless bundle_only
  std::string protocol = "UDP/TLS/RTP/SAVPF";
  std::string connection_address = "0.0.0.0";  // c= line (IP4, or IP6 when it contains ':')
  std::vector<Codec> codecs;         // RTP sections: in m= line order
  std::vector<std::string> formats;  // non-RTP sections (e.g. "webrtc-datachannel"): raw tokens
  Direction direction = Direction::kSendRecv;
  std::vector<HeaderExtension> extensions;
  std::vector<SsrcAttribute> ssrcs;
  std::vector<SsrcGroup> ssrc_groups;
  std::string msid_stream;  // a=msid:<stream> <track> (RFC 8830); "-" = no stream
  std::string msid_track;
  std::vector<RidDescription> rids;
  std::optional<Simulcast> simulcast;
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  bool bundle_only = false;  // RFC 8843 §6: port 0 but still part of the BUNDLE group
  std::string ice_ufrag;     // empty = inherit the session-level value
  std::string ice_pwd;
  std::string fingerprint_algorithm;  // lower-case, e.g. "sha-256"
  std::string fingerprint_value;      // upper-case hex with ':' separators
  std::optional<SetupRole> setup;
  std::vector<Candidate> candidates;
  bool end_of_candidates = false;
  uint16_t sctp_port = 0;          // RFC 8841 a=sctp-port; 0 = absent
  uint32_t max_message_size = 0;   // RFC 8841 a=max-message-size; 0 = absent

  // True for sections whose formats are RTP payload types (protocol contains "RTP/").
  bool IsRtp() const;
  bool IsRejected() const { return port == 0 && !bundle_only; }
  const Codec* FindCodec(uint8_t payload_type) const;
  const HeaderExtension* FindExtension(std::string_view uri) const;

  friend bool operator==(const MediaSection&, const MediaSection&) = default;
};

struct SessionDescription {
  // o= line (RFC 8866 §5.2). JSEP §5.2.1: username "-", address 127.0.0.1 in practice.
  std::string origin_username = "-";
  uint64_t session_id = 0;
  uint64_t session_version = 0;
  std::string origin_address = "127.0.0.1";
  std::string session_name = "-";
  bool ice_lite = false;
  std::vector<std::vector<std::string>> bundle_groups;  // a=group:BUNDLE mid lists
  bool extmap_allow_mixed = false;  // RFC 8285 §6 at session level
  // Session-level defaults; media-level values win (RFC 8839 §5.4, RFC 8122 §5).
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint_algorithm;
  std::string fingerprint_value;
  std::optional<SetupRole> setup;
  std::vector<MediaSection> media;

  // Media-level value if present, otherwise the session-level default.
  std::string_view IceUfragFor(const MediaSection& section) const;
  std::string_view IcePwdFor(const MediaSection& section) const;
  std::string_view FingerprintAlgorithmFor(const MediaSection& section) const;
  std::string_view FingerprintValueFor(const MediaSection& section) const;
  std::optional<SetupRole> SetupFor(const MediaSection& section) const;

  const MediaSection* FindMedia(std::string_view mid) const;
  // The BUNDLE group containing mid, or nullptr.
  const std::vector<std::string>* BundleGroupFor(std::string_view mid) const;

  friend bool operator==(const SessionDescription&, const SessionDescription&) = default;
};

// Writes RFC 8866 SDP with CRLF line endings: v, o, s, t, session attributes, then each m=
// section with c=, ICE, DTLS, mid, extmaps, direction, msid, rtcp-mux/rsize, per-codec
// rtpmap/rtcp-fb/fmtp, ssrc-group, ssrc, rid, simulcast, sctp, candidates. Empty strings and
// absent optionals are omitted, so a section with port 0 and no codecs details still yields a
// valid rejected/recycled m= line as long as it has at least one codec or format.
// ParseSdp(Serialize(x)) == x for every x that ParseSdp can produce.
std::string Serialize(const SessionDescription& description);

// Text helpers shared by the SDP parser, serializer and answerer. They exist because Debian's
// abseil is built with its own absl::string_view, so absl's string utilities do not accept
// std::string_view; these do.
namespace sdp_text {

inline constexpr std::string_view kWhitespace = " \t\n\v\f\r";
std::string_view StripWhitespace(std::string_view text);
// Splits on sep, keeping empty pieces ("a;;b" -> "a", "", "b"; "" -> one empty piece).
std::vector<std::string_view> Split(std::string_view text, char sep);
// Splits on runs of kWhitespace, dropping empty pieces.
std::vector<std::string_view> SplitWhitespace(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view text);
std::string ToUpper(std::string_view text);

inline void AppendPiece(std::string& out, std::string_view piece) { out.append(piece); }
inline void AppendPiece(std::string& out, char c) { out.push_back(c); }
template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, char> && !std::is_same_v<T, bool>)
void AppendPiece(std::string& out, T value) {
  out.append(std::to_string(value));
}
template <typename... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string out;
  (AppendPiece(out, pieces), ...);
  return out;
}
template <typename... Pieces>
void Append(std::string& out, const Pieces&... pieces) {
  (AppendPiece(out, pieces), ...);
}
template <typename Range>
std::string Join(const Range& range, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& piece : range) {
    if (!first) out.append(sep);
    first = false;
    AppendPiece(out, piece);
  }
  return out;
}

}  // namespace sdp_text

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_SESSION_DESCRIPTION_H_
