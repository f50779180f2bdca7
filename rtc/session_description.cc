#include "rtc/session_description.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace switchyard::rtc {

namespace sdp_text {

std::string_view StripWhitespace(std::string_view text) {
  size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(kWhitespace);
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t begin = text.find_first_not_of(kWhitespace, pos);
    if (begin == std::string_view::npos) return out;
    size_t end = text.find_first_of(kWhitespace, begin);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(begin, end - begin));
    pos = end;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

std::string ToUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = absl::ascii_toupper(static_cast<unsigned char>(c));
  return out;
}

}  // namespace sdp_text

using sdp_text::Cat;
using sdp_text::Append;
using sdp_text::Join;

std::string_view DirectionName(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv: return "sendrecv";
    case Direction::kSendOnly: return "sendonly";
    case Direction::kRecvOnly: return "recvonly";
    case Direction::kInactive: return "inactive";
  }
  return "inactive";
}

std::optional<Direction> ParseDirection(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

bool DirectionSends(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kSendOnly;
}

bool DirectionReceives(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kRecvOnly;
}

Direction MakeDirection(bool send, bool recv) {
  if (send && recv) return Direction::kSendRecv;
  if (send) return Direction::kSendOnly;
  if (recv) return Direction::kRecvOnly;
  return Direction::kInactive;
}

Direction ReverseDirection(Direction direction) {
  return MakeDirection(DirectionReceives(direction), DirectionSends(direction));
}

std::string_view SetupRoleName(SetupRole role) {
  switch (role) {
    case SetupRole::kActPass: return "actpass";
    case SetupRole::kActive: return "active";
    case SetupRole::kPassive: return "passive";
    case SetupRole::kHoldConn: return "holdconn";
  }
  return "actpass";
}

std::optional<SetupRole> ParseSetupRole(std::string_view name) {
  if (name == "actpass") return SetupRole::kActPass;
  if (name == "active") return SetupRole::kActive;
  if (name == "passive") return SetupRole::kPassive;
  if (name == "holdconn") return SetupRole::kHoldConn;
  return std::nullopt;
}

std::optional<std::string_view> Codec::FmtpParameter(std::string_view key) const {
  for (std::string_view param : sdp_text::Split(fmtp, ';')) {
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (sdp_text::EqualsIgnoreCase(sdp_text::StripWhitespace(param.substr(0, eq)), key)) {
      return sdp_text::StripWhitespace(param.substr(eq + 1));
    }
  }
  return std::nullopt;
}

bool Codec::IsRtx() const { return sdp_text::EqualsIgnoreCase(name, "rtx"); }

std::optional<uint8_t> Codec::apt() const {
  std::optional<std::string_view> value = FmtpParameter("apt");
  if (!value || value->empty() || value->size() > 3) return std::nullopt;
  unsigned pt = 0;
  for (char c : *value) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    pt = pt * 10 + static_cast<unsigned>(c - '0');
  }
  if (pt > 127) return std::nullopt;
  return static_cast<uint8_t>(pt);
}

bool Codec::HasRtcpFb(std::string_view fb) const {
  return std::find(rtcp_fbs.begin(), rtcp_fbs.end(), fb) != rtcp_fbs.end();
}

bool MediaSection::IsRtp() const { return protocol.find("RTP/") != std::string::npos; }

const Codec* MediaSection::FindCodec(uint8_t payload_type) const {
  for (const Codec& codec : codecs) {
    if (codec.payload_type == payload_type) return &codec;
  }
  return nullptr;
}

const HeaderExtension* MediaSection::FindExtension(std::string_view uri) const {
  for (const HeaderExtension& extension : extensions) {
    if (extension.uri == uri) return &extension;
  }
  return nullptr;
}

std::string_view SessionDescription::IceUfragFor(const MediaSection& section) const {
  return section.ice_ufrag.empty() ? std::string_view(ice_ufrag) : section.ice_ufrag;
}

std::string_view SessionDescription::IcePwdFor(const MediaSection& section) const {
  return section.ice_pwd.empty() ? std::string_view(ice_pwd) : section.ice_pwd;
}

// The algorithm and value travel together: a media-level a=fingerprint replaces the session one.
std::string_view SessionDescription::FingerprintAlgorithmFor(const MediaSection& section) const {
  return section.fingerprint_value.empty() ? std::string_view(fingerprint_algorithm)
                                           : section.fingerprint_algorithm;
}

std::string_view SessionDescription::FingerprintValueFor(const MediaSection& section) const {
  return section.fingerprint_value.empty() ? std::string_view(fingerprint_value)
                                           : section.fingerprint_value;
}

std::optional<SetupRole> SessionDescription::SetupFor(const MediaSection& section) const {
  return section.setup ? section.setup : setup;
}

const MediaSection* SessionDescription::FindMedia(std::string_view mid) const {
  for (const MediaSection& section : media) {
    if (section.mid == mid) return &section;
  }
  return nullptr;
}

const std::vector<std::string>* SessionDescription::BundleGroupFor(std::string_view mid) const {
  for (const std::vector<std::string>& group : bundle_groups) {
    if (std::find(group.begin(), group.end(), mid) != group.end()) return &group;
  }
  return nullptr;
}

std::string CandidateToString(const Candidate& c) {
  std::string out = Cat("candidate:", c.foundation, " ", c.component, " ", c.transport,
                                 " ", c.priority, " ", c.address, " ", c.port, " typ ", c.type);
  if (!c.related_address.empty()) {
    Append(out, " raddr ", c.related_address, " rport ", c.related_port);
  }
  if (!c.tcp_type.empty()) Append(out, " tcptype ", c.tcp_type);
  if (!c.extra.empty()) Append(out, " ", c.extra);
  return out;
}

namespace {

constexpr std::string_view kCrlf = "\r\n";

void AppendLine(std::string& out, std::string_view a, std::string_view b = {},
                std::string_view c = {}, std::string_view d = {}) {
  Append(out, a, b, c, d, kCrlf);
}

std::string SimulcastListToString(const std::vector<std::vector<SimulcastRid>>& layers) {
  std::string out;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) out.push_back(';');
    for (size_t j = 0; j < layers[i].size(); ++j) {
      if (j > 0) out.push_back(',');
      if (layers[i][j].paused) out.push_back('~');
      out.append(layers[i][j].rid);
    }
  }
  return out;
}

void SerializeCodec(std::string& out, const Codec& codec) {
  std::string pt = Cat(codec.payload_type);
  if (!codec.name.empty()) {
    std::string line = Cat("a=rtpmap:", pt, " ", codec.name, "/", codec.clock_rate);
    if (codec.channels != 0) Append(line, "/", codec.channels);
    AppendLine(out, line);
  }
  for (const std::string& fb : codec.rtcp_fbs) AppendLine(out, "a=rtcp-fb:", pt, " ", fb);
  if (!codec.fmtp.empty()) AppendLine(out, "a=fmtp:", pt, " ", codec.fmtp);
}

void SerializeMedia(std::string& out, const MediaSection& m) {
  std::string mline = Cat("m=", MediaKindName(m.kind), " ", m.port, " ", m.protocol);
  if (m.IsRtp()) {
    for (const Codec& codec : m.codecs) Append(mline, " ", codec.payload_type);
  } else {
    for (const std::string& format : m.formats) Append(mline, " ", format);
  }
  AppendLine(out, mline);
  bool ipv6 = m.connection_address.find(':') != std::string::npos;
  AppendLine(out, ipv6 ? "c=IN IP6 " : "c=IN IP4 ",
             m.connection_address.empty() ? "0.0.0.0" : m.connection_address);
  if (m.bundle_only) AppendLine(out, "a=bundle-only");
  if (!m.ice_ufrag.empty()) AppendLine(out, "a=ice-ufrag:", m.ice_ufrag);
  if (!m.ice_pwd.empty()) AppendLine(out, "a=ice-pwd:", m.ice_pwd);
  if (!m.fingerprint_value.empty()) {
    AppendLine(out, "a=fingerprint:", m.fingerprint_algorithm, " ", m.fingerprint_value);
  }
  if (m.setup) AppendLine(out, "a=setup:", SetupRoleName(*m.setup));
  if (!m.mid.empty()) AppendLine(out, "a=mid:", m.mid);
  for (const HeaderExtension& ext : m.extensions) {
    std::string line = Cat("a=extmap:", ext.id);
    if (ext.direction) Append(line, "/", DirectionName(*ext.direction));
    Append(line, " ", ext.uri);
    AppendLine(out, line);
  }
  AppendLine(out, "a=", DirectionName(m.direction));
  if (!m.msid_stream.empty()) {
    AppendLine(out, "a=msid:", m.msid_stream, m.msid_track.empty() ? "" : " ", m.msid_track);
  }
  if (m.rtcp_mux) AppendLine(out, "a=rtcp-mux");
  if (m.rtcp_rsize) AppendLine(out, "a=rtcp-rsize");
  if (m.IsRtp()) {
    for (const Codec& codec : m.codecs) SerializeCodec(out, codec);
  }
  for (const SsrcGroup& group : m.ssrc_groups) {
    AppendLine(out, "a=ssrc-group:", group.semantics, group.ssrcs.empty() ? "" : " ",
               Join(group.ssrcs, " "));
  }
  for (const SsrcAttribute& ssrc : m.ssrcs) {
    std::string prefix = Cat("a=ssrc:", ssrc.ssrc);
    if (!ssrc.cname.empty()) AppendLine(out, prefix, " cname:", ssrc.cname);
    if (!ssrc.msid.empty()) AppendLine(out, prefix, " msid:", ssrc.msid);
  }
  for (const RidDescription& rid : m.rids) {
    std::string line = Cat("a=rid:", rid.rid, " ",
                                    rid.direction == Direction::kRecvOnly ? "recv" : "send");
    std::vector<std::string> restrictions;
    if (!rid.payload_types.empty()) {
      restrictions.push_back(Cat("pt=", Join(rid.payload_types, ",")));
    }
    if (!rid.restrictions.empty()) restrictions.push_back(rid.restrictions);
    if (!restrictions.empty()) Append(line, " ", Join(restrictions, ";"));
    AppendLine(out, line);
  }
  if (m.simulcast &&
      (!m.simulcast->send_layers.empty() || !m.simulcast->recv_layers.empty())) {
    std::string line = "a=simulcast:";
    if (!m.simulcast->send_layers.empty()) {
      Append(line, "send ", SimulcastListToString(m.simulcast->send_layers));
    }
    if (!m.simulcast->recv_layers.empty()) {
      Append(line, m.simulcast->send_layers.empty() ? "" : " ", "recv ",
                      SimulcastListToString(m.simulcast->recv_layers));
    }
    AppendLine(out, line);
  }
  if (m.sctp_port != 0) AppendLine(out, "a=sctp-port:", Cat(m.sctp_port));
  if (m.max_message_size != 0) {
    AppendLine(out, "a=max-message-size:", Cat(m.max_message_size));
  }
  for (const Candidate& candidate : m.candidates) {
    AppendLine(out, "a=", CandidateToString(candidate));
  }
  if (m.end_of_candidates) AppendLine(out, "a=end-of-candidates");
}

}  // namespace

std::string Serialize(const SessionDescription& d) {
  std::string out;
  out.reserve(1024 + 2048 * d.media.size());
  AppendLine(out, "v=0");
  AppendLine(out, Cat("o=", d.origin_username, " ", d.session_id, " ",
                               d.session_version, " IN ",
                               d.origin_address.find(':') != std::string::npos ? "IP6 " : "IP4 ",
                               d.origin_address));
  AppendLine(out, "s=", d.session_name);
  AppendLine(out, "t=0 0");
  for (const std::vector<std::string>& group : d.bundle_groups) {
    AppendLine(out, "a=group:BUNDLE", group.empty() ? "" : " ", Join(group, " "));
  }
  if (d.extmap_allow_mixed) AppendLine(out, "a=extmap-allow-mixed");
  if (d.ice_lite) AppendLine(out, "a=ice-lite");
  if (!d.ice_ufrag.empty()) AppendLine(out, "a=ice-ufrag:", d.ice_ufrag);
  if (!d.ice_pwd.empty()) AppendLine(out, "a=ice-pwd:", d.ice_pwd);
  if (!d.fingerprint_value.empty()) {
    AppendLine(out, "a=fingerprint:", d.fingerprint_algorithm, " ", d.fingerprint_value);
  }
  if (d.setup) AppendLine(out, "a=setup:", SetupRoleName(*d.setup));
  for (const MediaSection& section : d.media) SerializeMedia(out, section);
  return out;
}

}  // namespace switchyard::rtc
