#include "rtc/sdp_answerer.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"
#include "rtc/codec_capabilities.h"
#include "rtc/sdp_parser.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::ParseSdpFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kOurFingerprint[] =
    "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"
    "FF:00";

AnswerOptions Options() {
  AnswerOptions options;
  options.ice_ufrag = "sfuU";
  options.ice_pwd = "sfuPasswordSfuPassword1";
  options.fingerprint_value = kOurFingerprint;
  options.candidates = {
      Candidate{"1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host", "", 0, "", ""},
      Candidate{"2", 1, "udp", 2130706175, "::1", 40000, "host", "", 0, "", ""}};
  options.session_id = 99;
  options.session_version = 3;
  return options;
}

std::vector<uint8_t> PayloadTypes(const MediaSection& m) {
  std::vector<uint8_t> out;
  for (const Codec& c : m.codecs) out.push_back(c.payload_type);
  return out;
}

std::vector<uint8_t> ExtensionIds(const MediaSection& m) {
  std::vector<uint8_t> out;
  for (const HeaderExtension& e : m.extensions) out.push_back(e.id);
  return out;
}

absl::StatusOr<SessionDescription> AnswerText(const std::string& offer_text,
                                              const AnswerOptions& options = Options()) {
  absl::StatusOr<SessionDescription> offer = ParseSdp(offer_text);
  if (!offer.ok()) return offer.status();
  return CreateAnswer(*offer, options);
}

TEST(SdpAnswererTest, AnswersChromiumAudioVideoOffer) {
  SessionDescription offer = ParseSdpFixture("chromium_audio_video_offer.sdp");
  absl::StatusOr<SessionDescription> answer = CreateAnswer(offer, Options());
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->ice_lite);
  EXPECT_TRUE(answer->extmap_allow_mixed);
  EXPECT_EQ(answer->session_id, 99u);
  EXPECT_EQ(answer->session_version, 3u);
  EXPECT_THAT(answer->bundle_groups, ElementsAre(ElementsAre("0", "1")));
  ASSERT_EQ(answer->media.size(), 2u);

  for (const MediaSection& m : answer->media) {
    EXPECT_EQ(m.port, 9);
    EXPECT_EQ(m.protocol, "UDP/TLS/RTP/SAVPF");
    EXPECT_EQ(m.ice_ufrag, "sfuU");
    EXPECT_EQ(m.ice_pwd, "sfuPasswordSfuPassword1");
    EXPECT_EQ(m.fingerprint_algorithm, "sha-256");
    EXPECT_EQ(m.fingerprint_value, kOurFingerprint);
    EXPECT_EQ(m.setup, SetupRole::kPassive);
    EXPECT_EQ(m.direction, Direction::kRecvOnly);
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_TRUE(m.rtcp_rsize);
    EXPECT_THAT(m.ssrcs, IsEmpty());
  }
  const MediaSection& audio = answer->media[0];
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.kind, MediaKind::kAudio);
  // Only opus survives (red, G722, PCMU/A, CN, telephone-event are not forwarded); its fmtp is
  // the offer's, and transport-cc feedback is off by default.
  ASSERT_THAT(PayloadTypes(audio), ElementsAre(111));
  EXPECT_EQ(audio.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_THAT(audio.codecs[0].rtcp_fbs, IsEmpty());
  EXPECT_THAT(ExtensionIds(audio), ElementsAre(1, 2, 4));  // audio-level, abs-send-time, mid
  EXPECT_EQ(audio.candidates, Options().candidates);
  EXPECT_TRUE(audio.end_of_candidates);

  const MediaSection& video = answer->media[1];
  EXPECT_EQ(video.mid, "1");
  // Everything but red (118), its rtx (119) and ulpfec (120), in the offer's order with the
  // offer's payload types; each rtx follows a kept codec.
  EXPECT_THAT(PayloadTypes(video), ElementsAre(96, 97, 102, 103, 104, 107, 108, 109, 114, 115,
                                               116, 117, 39, 40, 45, 46, 98, 99, 100, 101));
  for (const Codec& codec : video.codecs) {
    if (!codec.IsRtx()) continue;
    ASSERT_TRUE(codec.apt().has_value());
    ASSERT_NE(video.FindCodec(*codec.apt()), nullptr) << int{codec.payload_type};
    EXPECT_FALSE(video.FindCodec(*codec.apt())->IsRtx());
  }
  EXPECT_EQ(video.FindCodec(97)->apt(), 96);
  EXPECT_EQ(video.FindCodec(40)->apt(), 39);
  EXPECT_THAT(video.FindCodec(96)->rtcp_fbs, ElementsAre("ccm fir", "nack", "nack pli"));
  EXPECT_EQ(video.FindCodec(104)->fmtp,
            "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f");
  // abs-send-time, mid, rid, repaired-rid keep the offer's ids.
  EXPECT_THAT(ExtensionIds(video), ElementsAre(2, 4, 10, 11));
  EXPECT_THAT(video.candidates, IsEmpty());
  EXPECT_FALSE(video.end_of_candidates);
  EXPECT_THAT(video.rids, IsEmpty());
  EXPECT_FALSE(video.simulcast.has_value());
}

TEST(SdpAnswererTest, AnswerSerializesAsExpectedAndRoundTrips) {
  absl::StatusOr<SessionDescription> answer =
      CreateAnswer(ParseSdpFixture("chromium_audio_video_offer.sdp"), Options());
  ASSERT_TRUE(answer.ok());
  std::string text = Serialize(*answer);
  EXPECT_THAT(text, HasSubstr("a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=ice-lite\r\n"));
  EXPECT_THAT(text, HasSubstr("a=setup:passive\r\n"));
  EXPECT_THAT(text, HasSubstr("a=recvonly\r\n"));
  EXPECT_THAT(text, HasSubstr("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"));
  EXPECT_THAT(text, HasSubstr("a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"));
  EXPECT_THAT(text, Not(HasSubstr("transport-cc")));
  EXPECT_THAT(text, Not(HasSubstr("goog-remb")));
  absl::StatusOr<SessionDescription> reparsed = ParseSdp(text);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(*reparsed, *answer);
}

TEST(SdpAnswererTest, TransportCcCanBeSwitchedOn) {
  AnswerOptions options = Options();
  options.capabilities = MediaCapabilities::WithTransportCc();
  absl::StatusOr<SessionDescription> answer =
      CreateAnswer(ParseSdpFixture("chromium_audio_video_offer.sdp"), options);
  ASSERT_TRUE(answer.ok());
  EXPECT_THAT(answer->media[0].codecs[0].rtcp_fbs, ElementsAre("transport-cc"));
  EXPECT_THAT(ExtensionIds(answer->media[0]), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(answer->media[1].FindCodec(96)->rtcp_fbs,
              ElementsAre("transport-cc", "ccm fir", "nack", "nack pli"));
  EXPECT_THAT(ExtensionIds(answer->media[1]), ElementsAre(2, 3, 4, 10, 11));
}

TEST(SdpAnswererTest, SimulcastOfferGetsRecvRidsAndSimulcast) {
  absl::StatusOr<SessionDescription> answer =
      CreateAnswer(ParseSdpFixture("chromium_simulcast_offer.sdp"), Options());
  ASSERT_TRUE(answer.ok()) << answer.status();
  const MediaSection& video = answer->media[1];
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0], (RidDescription{"q", Direction::kRecvOnly, {}, ""}));
  EXPECT_EQ(video.rids[1], (RidDescription{"h", Direction::kRecvOnly, {}, ""}));
  EXPECT_EQ(video.rids[2], (RidDescription{"f", Direction::kRecvOnly, {}, ""}));
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_THAT(video.simulcast->send_layers, IsEmpty());
  EXPECT_THAT(video.simulcast->recv_layers,
              ElementsAre(ElementsAre(SimulcastRid{"q", false}),
                          ElementsAre(SimulcastRid{"h", false}),
                          ElementsAre(SimulcastRid{"f", false})));
  std::string text = Serialize(*answer);
  EXPECT_THAT(text, HasSubstr("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\n"
                              "a=simulcast:recv q;h;f\r\n"));
  EXPECT_THAT(answer->media[0].rids, IsEmpty());
}

constexpr char kOfferHead[] =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE a v\r\n"
    "a=ice-ufrag:offU\r\n"
    "a=ice-pwd:offPasswordOffPassword1\r\n"
    "a=fingerprint:sha-256 01:02:03\r\n"
    "a=setup:actpass\r\n";

constexpr char kAudio[] =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=mid:a\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

TEST(SdpAnswererTest, SessionLevelCredentialsAndDirectionNegotiation) {
  std::string video =
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "a=mid:v\r\n"
      "a=sendrecv\r\n"
      "a=rtcp-mux\r\n"
      "a=rtpmap:96 VP8/90000\r\n"
      "a=rtpmap:97 rtx/90000\r\n"
      "a=fmtp:97 apt=96\r\n";
  AnswerOptions options = Options();
  options.direction_by_mid["v"] = Direction::kSendRecv;
  absl::StatusOr<SessionDescription> answer =
      AnswerText(std::string(kOfferHead) + kAudio + video, options);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->media[0].direction, Direction::kRecvOnly);  // default: publisher receives
  EXPECT_EQ(answer->media[1].direction, Direction::kSendRecv);  // per-mid override
  EXPECT_FALSE(answer->media[0].rtcp_rsize);                    // not offered
  EXPECT_FALSE(answer->extmap_allow_mixed);                     // not offered

  options.capabilities.rtx = false;
  answer = AnswerText(std::string(kOfferHead) + kAudio + video, options);
  ASSERT_TRUE(answer.ok());
  EXPECT_THAT(PayloadTypes(answer->media[1]), ElementsAre(96));
}

TEST(SdpAnswererTest, NegotiateDirectionFollowsRfc3264) {
  EXPECT_EQ(NegotiateDirection(Direction::kSendOnly, Direction::kRecvOnly), Direction::kRecvOnly);
  EXPECT_EQ(NegotiateDirection(Direction::kSendRecv, Direction::kRecvOnly), Direction::kRecvOnly);
  EXPECT_EQ(NegotiateDirection(Direction::kRecvOnly, Direction::kRecvOnly), Direction::kInactive);
  EXPECT_EQ(NegotiateDirection(Direction::kRecvOnly, Direction::kSendRecv), Direction::kSendOnly);
  EXPECT_EQ(NegotiateDirection(Direction::kInactive, Direction::kSendRecv), Direction::kInactive);
  EXPECT_EQ(NegotiateDirection(Direction::kSendRecv, Direction::kSendRecv), Direction::kSendRecv);
}

TEST(SdpAnswererTest, OfferPassiveMakesUsActive) {
  std::string text = std::string(kOfferHead) + kAudio;
  text.replace(text.find("a=setup:actpass"), 15, "a=setup:passive");
  text.replace(text.find("a=group:BUNDLE a v"), 18, "a=group:BUNDLE a");
  absl::StatusOr<SessionDescription> answer = AnswerText(text);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->media[0].setup, SetupRole::kActive);
}

TEST(SdpAnswererTest, RejectsUnsupportedSectionsWithPortZero) {
  std::string text =
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE d h a\r\n"
      "a=ice-ufrag:offU\r\na=ice-pwd:offPasswordOffPassword1\r\n"
      "a=fingerprint:sha-256 01:02:03\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=mid:d\r\na=sctp-port:5000\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\n"
      "a=mid:h\r\na=sendonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:100 H264/90000\r\n"
      "a=fmtp:100 packetization-mode=1;profile-level-id=640c1f\r\n"  // constrained high
      "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
      "a=mid:a\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"  // outside the BUNDLE group
      "a=mid:x\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n";
  absl::StatusOr<SessionDescription> answer = AnswerText(text);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->media.size(), 4u);
  const MediaSection& data = answer->media[0];
  EXPECT_EQ(data.mid, "d");
  EXPECT_EQ(data.port, 0);
  EXPECT_THAT(data.formats, ElementsAre("webrtc-datachannel"));
  EXPECT_EQ(answer->media[1].port, 0);
  EXPECT_EQ(answer->media[1].direction, Direction::kInactive);
  EXPECT_THAT(PayloadTypes(answer->media[1]), ElementsAre(100));
  EXPECT_EQ(answer->media[2].port, 9);
  EXPECT_EQ(answer->media[3].mid, "x");
  EXPECT_EQ(answer->media[3].port, 0);
  // The offerer's tag "d" was rejected, so "a" becomes the tag and carries the candidates.
  EXPECT_THAT(answer->bundle_groups, ElementsAre(ElementsAre("a")));
  EXPECT_EQ(answer->media[2].candidates.size(), 2u);
  EXPECT_TRUE(answer->media[2].end_of_candidates);
  for (size_t i : {0, 1, 3}) {
    EXPECT_THAT(answer->media[i].candidates, IsEmpty());
    EXPECT_TRUE(answer->media[i].ice_ufrag.empty());
  }
  // Rejected sections still serialize to a parseable answer.
  absl::StatusOr<SessionDescription> reparsed = ParseSdp(Serialize(*answer));
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(*reparsed, *answer);
}

TEST(SdpAnswererTest, RidPayloadRestrictionsAreNarrowed) {
  std::string text = std::string(kOfferHead) +
                     "m=video 9 UDP/TLS/RTP/SAVPF 96 118\r\n"
                     "a=mid:v\r\na=sendonly\r\na=rtcp-mux\r\n"
                     "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
                     "a=rtpmap:96 VP8/90000\r\na=rtpmap:118 red/90000\r\n"
                     "a=rid:lo send pt=96,118;max-width=320\r\n"
                     "a=rid:red send pt=118\r\n"
                     "a=rid:hi send\r\n"
                     "a=simulcast:send lo,red;~hi\r\n";
  text.replace(text.find("a=group:BUNDLE a v"), 18, "a=group:BUNDLE v");
  absl::StatusOr<SessionDescription> answer = AnswerText(text);
  ASSERT_TRUE(answer.ok()) << answer.status();
  const MediaSection& video = answer->media[0];
  ASSERT_EQ(video.rids.size(), 2u);
  EXPECT_EQ(video.rids[0], (RidDescription{"lo", Direction::kRecvOnly, {96}, "max-width=320"}));
  EXPECT_EQ(video.rids[1].rid, "hi");
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_THAT(video.simulcast->recv_layers,
              ElementsAre(ElementsAre(SimulcastRid{"lo", false}),
                          ElementsAre(SimulcastRid{"hi", true})));
}

struct BadOfferCase {
  const char* name;
  std::string offer;
  const char* error;
};

TEST(SdpAnswererTest, BadOffersGiveClearErrors) {
  auto without = [](std::string text, std::string_view line) {
    size_t pos = text.find(line);
    EXPECT_NE(pos, std::string::npos) << line;
    text.erase(pos, line.size() + 2);
    return text;
  };
  std::string one = std::string(kOfferHead) + kAudio;
  one.replace(one.find("a=group:BUNDLE a v"), 18, "a=group:BUNDLE a");
  std::vector<BadOfferCase> cases = {
      {"no fingerprint", without(one, "a=fingerprint:sha-256 01:02:03"), "no a=fingerprint"},
      {"no ufrag", without(one, "a=ice-ufrag:offU"), "no a=ice-ufrag/a=ice-pwd"},
      {"no pwd", without(one, "a=ice-pwd:offPasswordOffPassword1"), "no a=ice-ufrag/a=ice-pwd"},
      {"no rtcp-mux", without(one, "a=rtcp-mux"), "no a=rtcp-mux (required)"},
      {"no mid", without(without(one, "a=mid:a"), "a=group:BUNDLE a"), "no a=mid"},
      {"holdconn", std::string(one).replace(one.find("actpass"), 7, "holdconn"),
       "a=setup:holdconn is not supported"},
  };
  std::string two = without(one, "a=group:BUNDLE a") + kAudio;
  two.replace(two.rfind("a=mid:a"), 7, "a=mid:b");
  cases.push_back({"no bundle", two, "no a=group:BUNDLE"});
  for (const BadOfferCase& c : cases) {
    absl::StatusOr<SessionDescription> answer = AnswerText(c.offer);
    ASSERT_FALSE(answer.ok()) << c.name;
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr(c.error)) << c.name;
  }
  AnswerOptions no_creds = Options();
  no_creds.ice_pwd.clear();
  EXPECT_FALSE(AnswerText(one, no_creds).ok());
  AnswerOptions no_fingerprint = Options();
  no_fingerprint.fingerprint_value.clear();
  EXPECT_FALSE(AnswerText(one, no_fingerprint).ok());
}

TEST(CodecCapabilitiesTest, H264ProfilesPerRfc6184) {
  EXPECT_EQ(ParseH264Profile("42e01f"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(ParseH264Profile("42E01F"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(ParseH264Profile("42001f"), H264Profile::kBaseline);
  EXPECT_EQ(ParseH264Profile("4d001f"), H264Profile::kMain);
  EXPECT_EQ(ParseH264Profile("4d801f"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(ParseH264Profile("640c1f"), H264Profile::kConstrainedHigh);
  EXPECT_EQ(ParseH264Profile("64001f"), H264Profile::kHigh);
  EXPECT_EQ(ParseH264Profile("42e01"), std::nullopt);
  EXPECT_EQ(ParseH264Profile("zze01f"), std::nullopt);
  EXPECT_EQ(ParseH264Profile("f4001f"), std::nullopt);
}

TEST(CodecCapabilitiesTest, SupportsCodec) {
  MediaCapabilities caps;
  auto h264 = [](std::string fmtp) { return Codec{102, "H264", 90000, 0, std::move(fmtp), {}}; };
  EXPECT_TRUE(caps.SupportsCodec(h264("packetization-mode=1;profile-level-id=42e01f"),
                                 MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsCodec(h264("packetization-mode=0;profile-level-id=42001f"),
                                 MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsCodec(h264("packetization-mode=1;profile-level-id=4d0032"),
                                 MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsCodec(h264(""), MediaKind::kVideo));  // 42000a, mode 0
  EXPECT_FALSE(caps.SupportsCodec(h264("packetization-mode=2;profile-level-id=42e01f"),
                                  MediaKind::kVideo));
  EXPECT_FALSE(caps.SupportsCodec(h264("packetization-mode=1;profile-level-id=640c1f"),
                                  MediaKind::kVideo));
  EXPECT_FALSE(caps.SupportsCodec(h264("packetization-mode=1;profile-level-id=42e01f"),
                                  MediaKind::kAudio));
  EXPECT_TRUE(caps.SupportsCodec(Codec{98, "VP9", 90000, 0, "profile-id=2", {}},
                                 MediaKind::kVideo));
  EXPECT_FALSE(caps.SupportsCodec(Codec{98, "VP9", 90000, 0, "profile-id=1", {}},
                                  MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsCodec(Codec{96, "vp8", 90000, 0, "", {}}, MediaKind::kVideo));
  EXPECT_FALSE(caps.SupportsCodec(Codec{96, "VP8", 48000, 0, "", {}}, MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsCodec(Codec{45, "AV1", 90000, 0, "profile=0", {}}, MediaKind::kVideo));
  EXPECT_FALSE(caps.SupportsCodec(Codec{45, "AV1", 90000, 0, "profile=1", {}},
                                  MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsCodec(Codec{111, "opus", 48000, 2, "", {}}, MediaKind::kAudio));
  EXPECT_FALSE(caps.SupportsCodec(Codec{111, "opus", 48000, 1, "", {}}, MediaKind::kAudio));
  EXPECT_FALSE(caps.SupportsCodec(Codec{0, "PCMU", 8000, 0, "", {}}, MediaKind::kAudio));
  EXPECT_FALSE(caps.SupportsCodec(Codec{97, "rtx", 90000, 0, "apt=96", {}}, MediaKind::kVideo));
  caps.codecs = {CodecFamily::kOpus};
  EXPECT_FALSE(caps.SupportsCodec(Codec{96, "VP8", 90000, 0, "", {}}, MediaKind::kVideo));
  EXPECT_TRUE(caps.SupportsExtension(kExtMid));
  EXPECT_FALSE(caps.SupportsExtension(kExtTransportCc));
  EXPECT_TRUE(MediaCapabilities::WithTransportCc().SupportsExtension(kExtTransportCc));
  EXPECT_TRUE(MediaCapabilities::WithTransportCc().SupportsRtcpFb(kRtcpFbTransportCc));
  EXPECT_FALSE(caps.SupportsRtcpFb(kRtcpFbGoogRemb));
}

TEST(CodecCapabilitiesTest, DefaultCodecsPairRtxWithEveryVideoCodec) {
  std::vector<Codec> video = DefaultCodecs(MediaKind::kVideo, MediaCapabilities());
  ASSERT_EQ(video.size(), 10u);
  for (size_t i = 0; i < video.size(); i += 2) {
    EXPECT_TRUE(MediaCapabilities().SupportsCodec(video[i], MediaKind::kVideo)) << video[i].name;
    EXPECT_THAT(video[i].rtcp_fbs, ElementsAre("nack", "nack pli", "ccm fir"));
    EXPECT_EQ(video[i + 1].apt(), video[i].payload_type);
  }
  std::vector<Codec> audio = DefaultCodecs(MediaKind::kAudio, MediaCapabilities());
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].payload_type, 111);
  EXPECT_TRUE(DefaultCodecs(MediaKind::kApplication, MediaCapabilities()).empty());
}

}  // namespace
}  // namespace switchyard::rtc
