#include "rtc/sdp_parser.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"

namespace switchyard::rtc {
namespace {

using sdp_text::Cat;
using sdp_text::kWhitespace;

constexpr size_t kMaxTokenLength = 256;

std::vector<std::string_view> Tokens(std::string_view value) {
  return sdp_text::SplitWhitespace(value);
}

bool ConsumePrefix(std::string_view& text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// Strict decimal: digits only (no sign, no whitespace), value <= max.
template <typename T>
bool ParseUint(std::string_view text, T max, T& out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value > static_cast<uint64_t>(max)) return false;
  out = static_cast<T>(value);
  return true;
}

bool ParsePayloadType(std::string_view text, uint8_t& out) {
  return ParseUint<uint8_t>(text, 127, out);
}

// RFC 8851 §10 rid-syntax: 1*(alpha-numeric / "-" / "_").
bool IsRidId(std::string_view rid) {
  if (rid.empty() || rid.size() > kMaxTokenLength) return false;
  return std::all_of(rid.begin(), rid.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool IsHexColon(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':';
  });
}

absl::Status CandidateError(std::string_view why) {
  return absl::InvalidArgumentError(Cat("bad candidate: ", why));
}

class Parser {
 public:
  absl::StatusOr<SessionDescription> Run(std::string_view text);

 private:
  struct SectionState {
    bool has_direction = false;
    bool has_connection = false;
    bool has_msid = false;
    bool has_fingerprint = false;
    std::array<int16_t, 128> codec_index;  // PT -> index into codecs, -1 if not on the m= line
    std::array<bool, 128> has_rtpmap{};
    std::array<bool, 128> has_fmtp{};
    std::vector<std::string> wildcard_fbs;
    absl::flat_hash_map<uint32_t, size_t> ssrc_index;
  };

  absl::Status Error(std::string_view reason) const;
  absl::Status ParseLine(char type, std::string_view value);
  absl::Status ParseOrigin(std::string_view value);
  absl::Status ParseConnection(std::string_view value);
  absl::Status ParseMediaLine(std::string_view value);
  absl::Status ParseAttribute(std::string_view attribute);
  absl::Status ParseMediaAttribute(std::string_view name, std::string_view value);
  absl::Status ParseRtpmap(std::string_view value);
  absl::Status ParseFmtp(std::string_view value);
  absl::Status ParseRtcpFb(std::string_view value);
  absl::Status ParseExtmap(std::string_view value);
  absl::Status ParseSsrc(std::string_view value);
  absl::Status ParseSsrcGroup(std::string_view value);
  absl::Status ParseRid(std::string_view value);
  absl::Status ParseSimulcast(std::string_view value);
  absl::Status ParseFingerprint(std::string_view value, std::string& algorithm,
                                std::string& fingerprint);
  void FinishSection();
  absl::Status Finish();

  SessionDescription d_;
  MediaSection* media_ = nullptr;
  SectionState section_;
  size_t line_number_ = 0;
  std::string_view line_;
  bool seen_origin_ = false;
  bool seen_session_name_ = false;
  bool has_session_fingerprint_ = false;
  std::optional<Direction> session_direction_;
  std::optional<std::string> session_connection_;
  std::vector<size_t> group_lines_;  // line number of each bundle group, for Finish() errors
};

absl::Status Parser::Error(std::string_view reason) const {
  std::string_view shown = line_.substr(0, 120);
  return absl::InvalidArgumentError(Cat("line ", line_number_, ": ", reason, ": '",
                                                 shown, shown.size() < line_.size() ? "..." : "",
                                                 "'"));
}

absl::StatusOr<SessionDescription> Parser::Run(std::string_view text) {
  if (text.size() > kMaxSdpSize) {
    return absl::InvalidArgumentError(
        Cat("SDP too large: ", text.size(), " bytes (max ", kMaxSdpSize, ")"));
  }
  bool seen_version = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    line_ = text.substr(start, end - start);
    start = end + 1;
    ++line_number_;
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    if (line_.empty()) continue;
    if (line_.size() < 2 || line_[1] != '=') return Error("expected '<type>=<value>'");
    if (!seen_version) {
      if (line_ != "v=0") return Error("SDP must start with v=0");
      seen_version = true;
      continue;
    }
    absl::Status status = ParseLine(line_[0], line_.substr(2));
    if (!status.ok()) return status;
  }
  if (!seen_version) return absl::InvalidArgumentError("empty SDP: no v= line");
  line_ = {};
  absl::Status status = Finish();
  if (!status.ok()) return status;
  return std::move(d_);
}

absl::Status Parser::ParseLine(char type, std::string_view value) {
  switch (type) {
    case 'v': return Error("duplicate v= line");
    case 'o': return ParseOrigin(value);
    case 's':
      if (media_ != nullptr || seen_session_name_) return Error("misplaced s= line");
      seen_session_name_ = true;
      d_.session_name = std::string(value);
      return absl::OkStatus();
    case 'c': return ParseConnection(value);
    case 'm': return ParseMediaLine(value);
    case 'a': return ParseAttribute(value);
    default:
      // i=, u=, e=, p=, b=, t=, r=, z=, k= and unknown types carry nothing JSEP negotiates.
      return absl::OkStatus();
  }
}

absl::Status Parser::ParseOrigin(std::string_view value) {
  if (media_ != nullptr || seen_origin_) return Error("misplaced o= line");
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() != 6 || t[3] != "IN" || (t[4] != "IP4" && t[4] != "IP6") ||
      !ParseUint<uint64_t>(t[1], std::numeric_limits<uint64_t>::max(), d_.session_id) ||
      !ParseUint<uint64_t>(t[2], std::numeric_limits<uint64_t>::max(), d_.session_version)) {
    return Error("bad o= line");
  }
  seen_origin_ = true;
  d_.origin_username = std::string(t[0]);
  d_.origin_address = std::string(t[5]);
  return absl::OkStatus();
}

absl::Status Parser::ParseConnection(std::string_view value) {
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() != 3 || t[0] != "IN" || (t[1] != "IP4" && t[1] != "IP6")) {
    return Error("bad c= line");
  }
  if (media_ == nullptr) {
    session_connection_ = std::string(t[2]);
  } else {
    media_->connection_address = std::string(t[2]);
    section_.has_connection = true;
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseMediaLine(std::string_view value) {
  if (media_ != nullptr) FinishSection();
  if (d_.media.size() >= kMaxMediaSections) return Error("too many m= sections");
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() < 4) return Error("bad m= line");
  MediaSection section;
  if (t[0] == "audio") {
    section.kind = MediaKind::kAudio;
  } else if (t[0] == "video") {
    section.kind = MediaKind::kVideo;
  } else if (t[0] == "application") {
    section.kind = MediaKind::kApplication;
  } else {
    return Error("unsupported media type in m= line");
  }
  if (!ParseUint<uint16_t>(t[1], 65535, section.port)) return Error("bad m= port");
  section.protocol = std::string(t[2]);
  section_ = SectionState();
  section_.codec_index.fill(-1);
  if (section.IsRtp()) {
    for (size_t i = 3; i < t.size(); ++i) {
      uint8_t pt = 0;
      if (!ParsePayloadType(t[i], pt)) return Error("bad payload type in m= line");
      if (section_.codec_index[pt] >= 0) return Error("duplicate payload type in m= line");
      section_.codec_index[pt] = static_cast<int16_t>(section.codecs.size());
      Codec codec;
      codec.payload_type = pt;
      section.codecs.push_back(std::move(codec));
    }
  } else {
    for (size_t i = 3; i < t.size(); ++i) section.formats.emplace_back(t[i]);
  }
  d_.media.push_back(std::move(section));
  media_ = &d_.media.back();
  return absl::OkStatus();
}

absl::Status Parser::ParseAttribute(std::string_view attribute) {
  size_t colon = attribute.find(':');
  std::string_view name = attribute.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = sdp_text::StripWhitespace(attribute.substr(colon + 1));
  }
  if (std::optional<Direction> direction = ParseDirection(name)) {
    if (media_ == nullptr) {
      session_direction_ = *direction;
    } else {
      media_->direction = *direction;
      section_.has_direction = true;
    }
    return absl::OkStatus();
  }
  if (name == "ice-ufrag" || name == "ice-pwd") {
    // RFC 8839 §5.4: ice-char tokens of at most 256 characters.
    std::vector<std::string_view> t = Tokens(value);
    if (t.size() != 1 || t[0].size() > kMaxTokenLength) return Error(Cat("bad a=", name));
    std::string& target = media_ == nullptr ? (name == "ice-ufrag" ? d_.ice_ufrag : d_.ice_pwd)
                                            : (name == "ice-ufrag" ? media_->ice_ufrag
                                                                   : media_->ice_pwd);
    target = std::string(t[0]);
    return absl::OkStatus();
  }
  if (name == "fingerprint") {
    if (media_ == nullptr) {
      // RFC 8122 allows several; the first is the one DTLS verification starts with.
      if (has_session_fingerprint_) return absl::OkStatus();
      has_session_fingerprint_ = true;
      return ParseFingerprint(value, d_.fingerprint_algorithm, d_.fingerprint_value);
    }
    if (section_.has_fingerprint) return absl::OkStatus();
    section_.has_fingerprint = true;
    return ParseFingerprint(value, media_->fingerprint_algorithm, media_->fingerprint_value);
  }
  if (name == "setup") {
    std::optional<SetupRole> role = ParseSetupRole(value);
    if (!role) return Error("bad a=setup");
    (media_ == nullptr ? d_.setup : media_->setup) = role;
    return absl::OkStatus();
  }
  if (media_ == nullptr) {
    if (name == "ice-lite") {
      d_.ice_lite = true;
    } else if (name == "extmap-allow-mixed") {
      d_.extmap_allow_mixed = true;
    } else if (name == "group") {
      std::vector<std::string_view> t = Tokens(value);
      if (t.empty()) return Error("bad a=group");
      if (t[0] != "BUNDLE") return absl::OkStatus();  // LS etc. do not matter to an SFU
      if (t.size() - 1 > kMaxMediaSections) return Error("too many mids in a=group:BUNDLE");
      std::vector<std::string> mids;
      for (size_t i = 1; i < t.size(); ++i) {
        if (std::find(mids.begin(), mids.end(), t[i]) != mids.end()) {
          return Error("duplicate mid in a=group:BUNDLE");
        }
        mids.emplace_back(t[i]);
      }
      d_.bundle_groups.push_back(std::move(mids));
      group_lines_.push_back(line_number_);
    }
    return absl::OkStatus();
  }
  return ParseMediaAttribute(name, value);
}

absl::Status Parser::ParseMediaAttribute(std::string_view name, std::string_view value) {
  MediaSection& m = *media_;
  if (name == "mid") {
    std::vector<std::string_view> t = Tokens(value);
    if (t.size() != 1 || t[0].size() > kMaxTokenLength) return Error("bad a=mid");
    m.mid = std::string(t[0]);
  } else if (name == "rtcp-mux") {
    m.rtcp_mux = true;
  } else if (name == "rtcp-rsize") {
    m.rtcp_rsize = true;
  } else if (name == "bundle-only") {
    m.bundle_only = true;
  } else if (name == "end-of-candidates") {
    m.end_of_candidates = true;
  } else if (name == "msid") {
    std::vector<std::string_view> t = Tokens(value);
    if (t.empty() || t.size() > 2) return Error("bad a=msid");
    if (!section_.has_msid) {  // several a=msid = several streams; the first names the track
      section_.has_msid = true;
      m.msid_stream = std::string(t[0]);
      m.msid_track = t.size() == 2 ? std::string(t[1]) : std::string();
    }
  } else if (name == "extmap") {
    return ParseExtmap(value);
  } else if (name == "ssrc") {
    return ParseSsrc(value);
  } else if (name == "ssrc-group") {
    return ParseSsrcGroup(value);
  } else if (name == "rid") {
    return ParseRid(value);
  } else if (name == "simulcast") {
    return ParseSimulcast(value);
  } else if (name == "candidate") {
    if (m.candidates.size() >= kMaxCandidatesPerSection) return Error("too many a=candidate");
    absl::StatusOr<Candidate> candidate = ParseCandidate(value);
    if (!candidate.ok()) return Error(std::string_view(candidate.status().message().data(),
                                    candidate.status().message().size()));
    m.candidates.push_back(*std::move(candidate));
  } else if (name == "sctp-port") {
    if (!ParseUint<uint16_t>(value, 65535, m.sctp_port)) return Error("bad a=sctp-port");
  } else if (name == "max-message-size") {
    if (!ParseUint<uint32_t>(value, std::numeric_limits<uint32_t>::max(), m.max_message_size)) {
      return Error("bad a=max-message-size");
    }
  } else if (m.IsRtp()) {
    if (name == "rtpmap") return ParseRtpmap(value);
    if (name == "fmtp") return ParseFmtp(value);
    if (name == "rtcp-fb") return ParseRtcpFb(value);
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseFingerprint(std::string_view value, std::string& algorithm,
                                      std::string& fingerprint) {
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() != 2 || t[0].size() > 32 || t[1].size() > 3 * 64 || !IsHexColon(t[1])) {
    return Error("bad a=fingerprint");
  }
  algorithm = sdp_text::ToLower(t[0]);
  fingerprint = sdp_text::ToUpper(t[1]);
  return absl::OkStatus();
}

absl::Status Parser::ParseRtpmap(std::string_view value) {
  // a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>] (RFC 8866 §6.6)
  std::vector<std::string_view> t = Tokens(value);
  uint8_t pt = 0;
  if (t.size() != 2 || !ParsePayloadType(t[0], pt)) return Error("bad a=rtpmap");
  std::vector<std::string_view> parts = sdp_text::Split(t[1], '/');
  Codec parsed;
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() ||
      parts[0].size() > kMaxTokenLength ||
      !ParseUint<uint32_t>(parts[1], std::numeric_limits<uint32_t>::max(), parsed.clock_rate) ||
      parsed.clock_rate == 0 ||
      (parts.size() == 3 && (!ParseUint<uint8_t>(parts[2], 255, parsed.channels) ||
                             parsed.channels == 0))) {
    return Error("bad a=rtpmap");
  }
  int16_t index = section_.codec_index[pt];
  if (index < 0) return absl::OkStatus();  // not offered on the m= line: nothing to describe
  if (section_.has_rtpmap[pt]) return Error("duplicate a=rtpmap");
  section_.has_rtpmap[pt] = true;
  Codec& codec = media_->codecs[static_cast<size_t>(index)];
  codec.name = std::string(parts[0]);
  codec.clock_rate = parsed.clock_rate;
  codec.channels = parsed.channels;
  return absl::OkStatus();
}

absl::Status Parser::ParseFmtp(std::string_view value) {
  size_t space = value.find_first_of(kWhitespace);
  uint8_t pt = 0;
  if (!ParsePayloadType(value.substr(0, space), pt)) return Error("bad a=fmtp");
  int16_t index = section_.codec_index[pt];
  if (index < 0 || section_.has_fmtp[pt]) return absl::OkStatus();
  section_.has_fmtp[pt] = true;
  std::string_view params =
      space == std::string_view::npos ? std::string_view() : value.substr(space);
  media_->codecs[static_cast<size_t>(index)].fmtp =
      std::string(sdp_text::StripWhitespace(params));
  return absl::OkStatus();
}

absl::Status Parser::ParseRtcpFb(std::string_view value) {
  // a=rtcp-fb:<pt|*> <type> [<subtype>...] (RFC 4585 §4.2); tokens re-joined by one space.
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() < 2) return Error("bad a=rtcp-fb");
  std::string fb = sdp_text::Join(std::vector<std::string_view>(t.begin() + 1, t.end()), " ");
  if (fb.size() > kMaxTokenLength) return Error("bad a=rtcp-fb");
  if (t[0] == "*") {
    if (section_.wildcard_fbs.size() >= kMaxRtcpFbPerCodec) return Error("too many a=rtcp-fb");
    section_.wildcard_fbs.push_back(std::move(fb));
    return absl::OkStatus();
  }
  uint8_t pt = 0;
  if (!ParsePayloadType(t[0], pt)) return Error("bad a=rtcp-fb");
  int16_t index = section_.codec_index[pt];
  if (index < 0) return absl::OkStatus();
  Codec& codec = media_->codecs[static_cast<size_t>(index)];
  if (codec.HasRtcpFb(fb)) return absl::OkStatus();
  if (codec.rtcp_fbs.size() >= kMaxRtcpFbPerCodec) return Error("too many a=rtcp-fb");
  codec.rtcp_fbs.push_back(std::move(fb));
  return absl::OkStatus();
}

absl::Status Parser::ParseExtmap(std::string_view value) {
  // a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 §7)
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() < 2) return Error("bad a=extmap");
  HeaderExtension ext;
  std::string_view id = t[0];
  size_t slash = id.find('/');
  if (slash != std::string_view::npos) {
    ext.direction = ParseDirection(id.substr(slash + 1));
    if (!ext.direction) return Error("bad a=extmap direction");
    id = id.substr(0, slash);
  }
  if (!ParseUint<uint8_t>(id, 255, ext.id) || ext.id == 0) return Error("bad a=extmap id");
  for (const HeaderExtension& other : media_->extensions) {
    if (other.id == ext.id) return Error("duplicate a=extmap id");
  }
  ext.uri = std::string(t[1]);
  media_->extensions.push_back(std::move(ext));
  return absl::OkStatus();
}

absl::Status Parser::ParseSsrc(std::string_view value) {
  // a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 §4.1)
  size_t space = value.find_first_of(kWhitespace);
  uint32_t ssrc = 0;
  if (space == std::string_view::npos ||
      !ParseUint<uint32_t>(value.substr(0, space), std::numeric_limits<uint32_t>::max(), ssrc)) {
    return Error("bad a=ssrc");
  }
  std::string_view rest = sdp_text::StripWhitespace(value.substr(space));
  size_t colon = rest.find(':');
  std::string_view attribute = rest.substr(0, colon);
  if (colon == std::string_view::npos) return absl::OkStatus();
  std::string_view attr_value = sdp_text::StripWhitespace(rest.substr(colon + 1));
  if (attr_value.empty() || (attribute != "cname" && attribute != "msid")) {
    return absl::OkStatus();  // mslabel/label are Plan B leftovers
  }
  auto [it, inserted] = section_.ssrc_index.try_emplace(ssrc, media_->ssrcs.size());
  if (inserted) media_->ssrcs.push_back(SsrcAttribute{ssrc, {}, {}});
  SsrcAttribute& entry = media_->ssrcs[it->second];
  (attribute == "cname" ? entry.cname : entry.msid) = std::string(attr_value);
  return absl::OkStatus();
}

absl::Status Parser::ParseSsrcGroup(std::string_view value) {
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() < 2 || t[0].size() > kMaxTokenLength) return Error("bad a=ssrc-group");
  SsrcGroup group;
  group.semantics = std::string(t[0]);
  for (size_t i = 1; i < t.size(); ++i) {
    uint32_t ssrc = 0;
    if (!ParseUint<uint32_t>(t[i], std::numeric_limits<uint32_t>::max(), ssrc)) {
      return Error("bad a=ssrc-group");
    }
    group.ssrcs.push_back(ssrc);
  }
  media_->ssrc_groups.push_back(std::move(group));
  return absl::OkStatus();
}

absl::Status Parser::ParseRid(std::string_view value) {
  // a=rid:<rid-id> <send|recv> [pt=<fmt>,...;<restriction>=<value>;...] (RFC 8851 §10)
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() < 2 || t.size() > 3 || !IsRidId(t[0]) || (t[1] != "send" && t[1] != "recv")) {
    return Error("bad a=rid");
  }
  if (media_->rids.size() >= kMaxRidsPerSection) return Error("too many a=rid");
  RidDescription rid;
  rid.rid = std::string(t[0]);
  rid.direction = t[1] == "send" ? Direction::kSendOnly : Direction::kRecvOnly;
  for (const RidDescription& other : media_->rids) {
    if (other.rid == rid.rid) return Error("duplicate a=rid");
  }
  if (t.size() == 3) {
    std::vector<std::string_view> others;
    for (std::string_view restriction : sdp_text::Split(t[2], ';')) {
      if (restriction.empty()) return Error("bad a=rid restriction");
      if (restriction.substr(0, 3) == "pt=") {
        if (!rid.payload_types.empty()) return Error("duplicate pt= in a=rid");
        for (std::string_view pt_text : sdp_text::Split(restriction.substr(3), ',')) {
          uint8_t pt = 0;
          if (!ParsePayloadType(pt_text, pt)) return Error("bad pt= in a=rid");
          rid.payload_types.push_back(pt);
        }
      } else {
        others.push_back(restriction);
      }
    }
    rid.restrictions = sdp_text::Join(others, ";");
  }
  media_->rids.push_back(std::move(rid));
  return absl::OkStatus();
}

absl::Status Parser::ParseSimulcast(std::string_view value) {
  // a=simulcast:<send|recv> <list> [<send|recv> <list>] (RFC 8853 §5.1); a list is
  // ';'-separated layers of ','-separated alternatives, each rid optionally prefixed by '~'.
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() != 2 && t.size() != 4) return Error("bad a=simulcast");
  Simulcast simulcast;
  for (size_t i = 0; i < t.size(); i += 2) {
    std::vector<std::vector<SimulcastRid>>* layers = nullptr;
    if (t[i] == "send") {
      layers = &simulcast.send_layers;
    } else if (t[i] == "recv") {
      layers = &simulcast.recv_layers;
    } else {
      return Error("bad a=simulcast direction");
    }
    if (!layers->empty()) return Error("duplicate direction in a=simulcast");
    for (std::string_view layer : sdp_text::Split(t[i + 1], ';')) {
      std::vector<SimulcastRid> alternatives;
      for (std::string_view alternative : sdp_text::Split(layer, ',')) {
        SimulcastRid rid;
        if (ConsumePrefix(alternative, "~")) rid.paused = true;
        if (!IsRidId(alternative)) return Error("bad rid in a=simulcast");
        rid.rid = std::string(alternative);
        alternatives.push_back(std::move(rid));
      }
      layers->push_back(std::move(alternatives));
    }
  }
  media_->simulcast = std::move(simulcast);
  return absl::OkStatus();
}

void Parser::FinishSection() {
  MediaSection& m = *media_;
  for (const std::string& fb : section_.wildcard_fbs) {
    for (Codec& codec : m.codecs) {
      // Beyond the cap the wildcard is dropped rather than failing: the codec already has
      // kMaxRtcpFbPerCodec explicit values, far more than any endpoint offers.
      if (!codec.HasRtcpFb(fb) && codec.rtcp_fbs.size() < kMaxRtcpFbPerCodec) {
        codec.rtcp_fbs.push_back(fb);
      }
    }
  }
  if (!section_.has_direction && session_direction_) m.direction = *session_direction_;
  if (!section_.has_connection && session_connection_) m.connection_address = *session_connection_;
}

absl::Status Parser::Finish() {
  if (media_ != nullptr) FinishSection();
  if (!seen_origin_) return absl::InvalidArgumentError("missing o= line");
  if (!seen_session_name_) return absl::InvalidArgumentError("missing s= line");
  for (size_t i = 0; i < d_.media.size(); ++i) {
    if (d_.media[i].mid.empty()) continue;
    for (size_t j = i + 1; j < d_.media.size(); ++j) {
      if (d_.media[j].mid == d_.media[i].mid) {
        return absl::InvalidArgumentError(
            Cat("duplicate a=mid '", d_.media[i].mid, "' in m-sections ", i, " and ", j));
      }
    }
  }
  for (size_t g = 0; g < d_.bundle_groups.size(); ++g) {
    for (const std::string& mid : d_.bundle_groups[g]) {
      if (d_.FindMedia(mid) == nullptr) {
        return absl::InvalidArgumentError(Cat(
            "line ", group_lines_[g], ": a=group:BUNDLE names unknown mid '", mid, "'"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SessionDescription> ParseSdp(std::string_view text) {
  return Parser().Run(text);
}

absl::StatusOr<Candidate> ParseCandidate(std::string_view value) {
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
  //   [raddr <addr>] [rport <port>] [tcptype <type>] *(<name> <value>)  (RFC 8839 §5.1)
  value = sdp_text::StripWhitespace(value);
  ConsumePrefix(value, "a=");
  ConsumePrefix(value, "candidate:");
  std::vector<std::string_view> t = Tokens(value);
  if (t.size() < 8) return CandidateError("too few fields");
  for (std::string_view token : t) {
    if (token.size() > kMaxTokenLength) return CandidateError("field too long");
  }
  Candidate c;
  c.foundation = std::string(t[0]);
  if (!ParseUint<uint32_t>(t[1], 256, c.component) || c.component == 0) {
    return CandidateError("bad component");
  }
  c.transport = sdp_text::ToLower(t[2]);
  if (!ParseUint<uint32_t>(t[3], std::numeric_limits<uint32_t>::max(), c.priority)) {
    return CandidateError("bad priority");
  }
  c.address = std::string(t[4]);
  if (!ParseUint<uint16_t>(t[5], 65535, c.port)) return CandidateError("bad port");
  if (t[6] != "typ") return CandidateError("missing 'typ'");
  c.type = std::string(t[7]);
  bool has_rport = false;
  std::vector<std::string_view> extra;
  for (size_t i = 8; i < t.size(); ++i) {
    std::string_view name = t[i];
    if (name != "raddr" && name != "rport" && name != "tcptype") {
      extra.push_back(name);
      continue;
    }
    if (i + 1 >= t.size()) return CandidateError(Cat("'", name, "' without value"));
    std::string_view field = t[++i];
    if (name == "raddr") {
      c.related_address = std::string(field);
    } else if (name == "rport") {
      if (!ParseUint<uint16_t>(field, 65535, c.related_port)) return CandidateError("bad rport");
      has_rport = true;
    } else {
      c.tcp_type = std::string(field);
    }
  }
  if (has_rport && c.related_address.empty()) return CandidateError("rport without raddr");
  c.extra = sdp_text::Join(extra, " ");
  return c;
}

}  // namespace switchyard::rtc
