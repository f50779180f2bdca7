#include "rtc/session_description.h"

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

using ::switchyard::rtc::testing::ReadSdpFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kFingerprint[] =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99";

// The subscriber-side offer the SFU builds by hand: ICE-lite, actpass, sendonly audio and video
// with msid + ssrc + FID group, and a recycled port-0 section. Chromium 156 accepted exactly
// this text (its answer is tests/fixtures/sdp/chromium_recvonly_answer.sdp).
SessionDescription SubscriberOffer() {
  SessionDescription d;
  d.session_id = 4242;
  d.session_version = 1;
  d.ice_lite = true;
  d.extmap_allow_mixed = true;
  d.bundle_groups = {{"0", "1"}};
  auto common = [](MediaSection& m) {
    m.ice_ufrag = "sfuU";
    m.ice_pwd = "sfuPasswordSfuPassword1";
    m.fingerprint_algorithm = "sha-256";
    m.fingerprint_value = kFingerprint;
    m.setup = SetupRole::kActPass;
    m.rtcp_mux = true;
    m.rtcp_rsize = true;
  };
  MediaSection audio;
  audio.kind = MediaKind::kAudio;
  audio.mid = "0";
  common(audio);
  audio.direction = Direction::kSendOnly;
  audio.codecs = {Codec{111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {}}};
  audio.extensions = {{1, std::string(kExtAudioLevel), {}}, {4, std::string(kExtMid), {}}};
  audio.msid_stream = "peer1";
  audio.msid_track = "peer1-audio";
  audio.ssrcs = {{1001, "sfu", "peer1 peer1-audio"}};
  audio.candidates = {
      Candidate{"1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host", "", 0, "", ""}};
  audio.end_of_candidates = true;
  MediaSection video;
  video.kind = MediaKind::kVideo;
  video.mid = "1";
  common(video);
  video.direction = Direction::kSendOnly;
  video.codecs = {Codec{96, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir"}},
                  Codec{97, "rtx", 90000, 0, "apt=96", {}}};
  video.extensions = {{2, std::string(kExtAbsSendTime), {}}, {4, std::string(kExtMid), {}}};
  video.msid_stream = "peer1";
  video.msid_track = "peer1-video";
  video.ssrc_groups = {{"FID", {2001, 2002}}};
  video.ssrcs = {{2001, "sfu", "peer1 peer1-video"}, {2002, "sfu", "peer1 peer1-video"}};
  MediaSection recycled;
  recycled.kind = MediaKind::kVideo;
  recycled.mid = "2";
  recycled.port = 0;
  recycled.direction = Direction::kInactive;
  recycled.codecs = {Codec{96, "VP8", 90000, 0, "", {}}};
  d.media = {audio, video, recycled};
  return d;
}

TEST(DirectionTest, NamesParseAndReverse) {
  EXPECT_EQ(DirectionName(Direction::kSendOnly), "sendonly");
  EXPECT_EQ(ParseDirection("recvonly"), Direction::kRecvOnly);
  EXPECT_EQ(ParseDirection("RECVONLY"), std::nullopt);
  EXPECT_EQ(ReverseDirection(Direction::kSendOnly), Direction::kRecvOnly);
  EXPECT_EQ(ReverseDirection(Direction::kRecvOnly), Direction::kSendOnly);
  EXPECT_EQ(ReverseDirection(Direction::kSendRecv), Direction::kSendRecv);
  EXPECT_EQ(ReverseDirection(Direction::kInactive), Direction::kInactive);
  EXPECT_EQ(ParseSetupRole("actpass"), SetupRole::kActPass);
  EXPECT_EQ(SetupRoleName(SetupRole::kPassive), "passive");
  EXPECT_EQ(ParseSetupRole("bogus"), std::nullopt);
}

TEST(CodecTest, FmtpLookupAndApt) {
  Codec h264{102, "H264", 90000, 0,
             "level-asymmetry-allowed=1; packetization-mode=1;profile-level-id=42e01f", {}};
  EXPECT_EQ(h264.FmtpParameter("packetization-mode"), "1");
  EXPECT_EQ(h264.FmtpParameter("Profile-Level-Id"), "42e01f");
  EXPECT_EQ(h264.FmtpParameter("apt"), std::nullopt);
  EXPECT_EQ(h264.apt(), std::nullopt);
  EXPECT_FALSE(h264.IsRtx());
  Codec rtx{103, "rtx", 90000, 0, "apt=102", {}};
  EXPECT_TRUE(rtx.IsRtx());
  EXPECT_EQ(rtx.apt(), 102);
  EXPECT_EQ((Codec{103, "rtx", 90000, 0, "apt=200", {}}).apt(), std::nullopt);
  EXPECT_EQ((Codec{103, "rtx", 90000, 0, "apt=-1", {}}).apt(), std::nullopt);
}

TEST(SessionDescriptionTest, SessionLevelDefaultsApplyToMedia) {
  SessionDescription d;
  d.ice_ufrag = "sess";
  d.ice_pwd = "sesspwd";
  d.fingerprint_algorithm = "sha-256";
  d.fingerprint_value = "AB:CD";
  d.setup = SetupRole::kActPass;
  MediaSection inherits;
  MediaSection overrides;
  overrides.ice_ufrag = "media";
  overrides.fingerprint_algorithm = "sha-1";
  overrides.fingerprint_value = "01:02";
  overrides.setup = SetupRole::kActive;
  EXPECT_EQ(d.IceUfragFor(inherits), "sess");
  EXPECT_EQ(d.IcePwdFor(inherits), "sesspwd");
  EXPECT_EQ(d.FingerprintValueFor(inherits), "AB:CD");
  EXPECT_EQ(d.SetupFor(inherits), SetupRole::kActPass);
  EXPECT_EQ(d.IceUfragFor(overrides), "media");
  EXPECT_EQ(d.IcePwdFor(overrides), "sesspwd");
  EXPECT_EQ(d.FingerprintAlgorithmFor(overrides), "sha-1");
  EXPECT_EQ(d.FingerprintValueFor(overrides), "01:02");
  EXPECT_EQ(d.SetupFor(overrides), SetupRole::kActive);
}

TEST(SessionDescriptionTest, FindMediaAndBundleGroup) {
  SessionDescription d = SubscriberOffer();
  ASSERT_NE(d.FindMedia("1"), nullptr);
  EXPECT_EQ(d.FindMedia("1")->kind, MediaKind::kVideo);
  EXPECT_EQ(d.FindMedia("9"), nullptr);
  ASSERT_NE(d.BundleGroupFor("1"), nullptr);
  EXPECT_THAT(*d.BundleGroupFor("1"), ElementsAre("0", "1"));
  EXPECT_EQ(d.BundleGroupFor("2"), nullptr);
  EXPECT_TRUE(d.media[2].IsRejected());
  EXPECT_FALSE(d.media[0].IsRejected());
}

TEST(SerializeTest, SubscriberOfferMatchesTheTextChromiumAccepted) {
  EXPECT_EQ(Serialize(SubscriberOffer()), ReadSdpFixture("sfu_subscriber_offer.sdp"));
}

TEST(SerializeTest, UsesCrlfAndRfc8866Order) {
  std::string text = Serialize(SubscriberOffer());
  EXPECT_EQ(text.rfind("v=0\r\no=- 4242 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 0), 0u);
  EXPECT_EQ(text.find("\n"), text.find("\r\n") + 1);
  EXPECT_EQ(text.find("\r\r"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  // Within the audio section: ICE, DTLS, mid, extmap, direction, msid, rtcp-mux, codecs, ssrc,
  // candidates.
  size_t order[] = {text.find("m=audio"),        text.find("a=ice-ufrag:sfuU"),
                    text.find("a=fingerprint:"), text.find("a=setup:actpass"),
                    text.find("a=mid:0"),        text.find("a=extmap:1 "),
                    text.find("a=sendonly"),     text.find("a=msid:peer1 peer1-audio"),
                    text.find("a=rtcp-mux"),     text.find("a=rtpmap:111 opus/48000/2"),
                    text.find("a=ssrc:1001 cname:sfu"), text.find("a=candidate:1 1 udp"),
                    text.find("a=end-of-candidates"), text.find("m=video")};
  for (size_t i = 1; i < std::size(order); ++i) {
    ASSERT_NE(order[i], std::string::npos) << i;
    EXPECT_LT(order[i - 1], order[i]) << i;
  }
  EXPECT_THAT(text, HasSubstr("a=ssrc-group:FID 2001 2002\r\n"));
  EXPECT_THAT(text, HasSubstr("m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                              "a=mid:2\r\na=inactive\r\na=rtpmap:96 VP8/90000\r\n"));
}

TEST(SerializeTest, SubscriberOfferRoundTrips) {
  SessionDescription offer = SubscriberOffer();
  absl::StatusOr<SessionDescription> parsed = ParseSdp(Serialize(offer));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, offer);
}

TEST(SerializeTest, EveryFieldRoundTrips) {
  SessionDescription d;
  d.origin_username = "switchyard";
  d.session_id = 18446744073709551615ull;
  d.session_version = 7;
  d.origin_address = "::1";
  d.session_name = "a session";
  d.ice_ufrag = "sessUfrag";
  d.ice_pwd = "sessPwd";
  d.fingerprint_algorithm = "sha-256";
  d.fingerprint_value = "01:02:03";
  d.setup = SetupRole::kActive;
  d.bundle_groups = {{"v", "d"}, {}};

  MediaSection video;
  video.kind = MediaKind::kVideo;
  video.mid = "v";
  video.connection_address = "2001:db8::1";
  video.port = 50000;
  video.direction = Direction::kRecvOnly;
  video.codecs = {Codec{96, "VP8", 90000, 0, "", {"nack", "nack pli"}},
                  Codec{97, "rtx", 90000, 0, "apt=96", {}},
                  Codec{0, "", 0, 0, "", {}},  // static PT without rtpmap
                  Codec{111, "opus", 48000, 2, "minptime=10", {"transport-cc"}}};
  video.extensions = {{3, "urn:x", Direction::kSendOnly}, {200, "urn:two-byte", {}}};
  video.rids = {{"q", Direction::kRecvOnly, {96, 97}, "max-width=320;max-height=180"},
                {"h", Direction::kRecvOnly, {}, ""},
                {"f", Direction::kSendOnly, {}, "max-fps=30"}};
  video.simulcast = Simulcast{{{{"f", false}}}, {{{"q", false}, {"x", true}}, {{"h", true}}}};
  video.rtcp_mux = true;
  video.setup = SetupRole::kPassive;
  video.candidates = {
      Candidate{"842163049", 1, "udp", 1677729535, "198.51.100.7", 61000, "srflx", "10.0.0.2",
                54400, "", "generation 0 network-cost 999"},
      Candidate{"1", 1, "tcp", 1518280447, "127.0.0.1", 9, "host", "", 0, "active", ""}};
  video.end_of_candidates = true;
  video.ssrc_groups = {{"SIM", {1, 2, 3}}};
  video.ssrcs = {{1, "c", ""}, {2, "", "s t"}};

  MediaSection data;
  data.kind = MediaKind::kApplication;
  data.mid = "d";
  data.port = 0;
  data.bundle_only = true;
  data.protocol = "UDP/DTLS/SCTP";
  data.formats = {"webrtc-datachannel"};
  data.sctp_port = 5000;
  data.max_message_size = 262144;
  data.msid_stream = "-";

  d.media = {video, data};
  std::string text = Serialize(d);
  absl::StatusOr<SessionDescription> parsed = ParseSdp(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(*parsed, d) << text;
  EXPECT_THAT(text, HasSubstr("o=switchyard 18446744073709551615 7 IN IP6 ::1\r\n"));
  EXPECT_THAT(text, HasSubstr("c=IN IP6 2001:db8::1\r\n"));
  EXPECT_THAT(text, HasSubstr("a=extmap:3/sendonly urn:x\r\n"));
  EXPECT_THAT(text, HasSubstr("a=rid:q recv pt=96,97;max-width=320;max-height=180\r\n"));
  EXPECT_THAT(text, HasSubstr("a=simulcast:send f recv q,~x;~h\r\n"));
  EXPECT_THAT(text, HasSubstr("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  EXPECT_THAT(text, HasSubstr("a=bundle-only\r\n"));
  EXPECT_THAT(text, HasSubstr("a=candidate:842163049 1 udp 1677729535 198.51.100.7 61000 typ "
                              "srflx raddr 10.0.0.2 rport 54400 generation 0 "
                              "network-cost 999\r\n"));
  EXPECT_THAT(text, HasSubstr("m=video 50000 UDP/TLS/RTP/SAVPF 96 97 0 111\r\n"));
}

TEST(SerializeTest, CandidateToStringIsTheTrickleForm) {
  Candidate c{"4", 1, "tcp", 100, "192.0.2.1", 443, "host", "", 0, "passive", ""};
  EXPECT_EQ(CandidateToString(c), "candidate:4 1 tcp 100 192.0.2.1 443 typ host tcptype passive");
}

TEST(SdpTextTest, Helpers) {
  EXPECT_EQ(sdp_text::StripWhitespace(" \tab c\r\n"), "ab c");
  EXPECT_EQ(sdp_text::StripWhitespace("   "), "");
  EXPECT_THAT(sdp_text::Split("a;;b", ';'), ElementsAre("a", "", "b"));
  EXPECT_THAT(sdp_text::Split("", ';'), ElementsAre(""));
  EXPECT_THAT(sdp_text::SplitWhitespace("  a \t b  "), ElementsAre("a", "b"));
  EXPECT_TRUE(sdp_text::EqualsIgnoreCase("VP8", "vp8"));
  EXPECT_FALSE(sdp_text::EqualsIgnoreCase("VP8", "VP9"));
  EXPECT_EQ(sdp_text::Cat("pt ", uint8_t{96}, '/', 90000u), "pt 96/90000");
}

}  // namespace
}  // namespace switchyard::rtc
