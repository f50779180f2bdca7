#include "rtc/sdp_parser.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rtc/test_util.h"
#include "rtc/codec_capabilities.h"

namespace switchyard::rtc {
namespace {

using ::switchyard::rtc::testing::ReadSdpFixture;
using ::switchyard::rtc::testing::ParseSdpFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<uint8_t> PayloadTypes(const MediaSection& m) {
  std::vector<uint8_t> out;
  for (const Codec& c : m.codecs) out.push_back(c.payload_type);
  return out;
}

constexpr char kFixtureAFingerprint[] =
    "68:1D:10:87:26:14:53:5C:06:71:B7:42:6F:ED:B1:DD:7F:CD:FF:FF:4D:E3:70:51:73:CD:B5:43:0D:07:"
    "03:90";

TEST(SdpParserTest, ChromiumAudioVideoOffer) {
  SessionDescription d = ParseSdpFixture("chromium_audio_video_offer.sdp");
  EXPECT_EQ(d.origin_username, "-");
  EXPECT_EQ(d.session_id, 3093428471195168740u);
  EXPECT_EQ(d.session_version, 2u);
  EXPECT_EQ(d.session_name, "-");
  EXPECT_FALSE(d.ice_lite);
  EXPECT_TRUE(d.extmap_allow_mixed);
  ASSERT_EQ(d.bundle_groups.size(), 1u);
  EXPECT_THAT(d.bundle_groups[0], ElementsAre("0", "1"));
  ASSERT_EQ(d.media.size(), 2u);

  const MediaSection& audio = d.media[0];
  EXPECT_EQ(audio.kind, MediaKind::kAudio);
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.port, 9);
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.connection_address, "0.0.0.0");
  EXPECT_EQ(audio.direction, Direction::kSendOnly);
  EXPECT_EQ(audio.ice_ufrag, "f5Jf");
  EXPECT_EQ(audio.ice_pwd, "Jxn304TC/GrufkWkC7HdGiQ9");
  EXPECT_EQ(audio.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(audio.fingerprint_value, kFixtureAFingerprint);
  EXPECT_EQ(audio.setup, SetupRole::kActPass);
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_TRUE(audio.rtcp_rsize);
  EXPECT_THAT(PayloadTypes(audio), ElementsAre(111, 63, 9, 0, 8, 13, 110, 126));
  const Codec& opus = audio.codecs[0];
  EXPECT_EQ(opus.name, "opus");
  EXPECT_EQ(opus.clock_rate, 48000u);
  EXPECT_EQ(opus.channels, 2);
  EXPECT_EQ(opus.fmtp, "minptime=10;useinbandfec=1");
  EXPECT_THAT(opus.rtcp_fbs, ElementsAre("transport-cc"));
  EXPECT_EQ(audio.codecs[1].name, "red");
  EXPECT_EQ(audio.codecs[1].fmtp, "111/111");
  EXPECT_EQ(audio.codecs[3].name, "PCMU");
  EXPECT_EQ(audio.codecs[3].channels, 0);
  EXPECT_EQ(audio.codecs[6].name, "telephone-event");
  EXPECT_EQ(audio.codecs[6].clock_rate, 48000u);
  ASSERT_EQ(audio.extensions.size(), 4u);
  EXPECT_EQ(audio.extensions[0], (HeaderExtension{1, std::string(kExtAudioLevel), {}}));
  EXPECT_EQ(audio.extensions[2], (HeaderExtension{3, std::string(kExtTransportCc), {}}));
  EXPECT_EQ(audio.extensions[3].id, 4);
  EXPECT_EQ(audio.extensions[3].uri, kExtMid);
  EXPECT_EQ(audio.msid_stream, "afe00cf4-aa35-4c3f-96d0-8d8b92f4410d");
  EXPECT_EQ(audio.msid_track, "54e46dc3-cc85-4f4d-a641-46771548054a");
  ASSERT_EQ(audio.ssrcs.size(), 1u);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 1578351118u);
  EXPECT_EQ(audio.ssrcs[0].cname, "GABF4C2it5g2/hRx");
  EXPECT_EQ(audio.ssrcs[0].msid,
            "afe00cf4-aa35-4c3f-96d0-8d8b92f4410d 54e46dc3-cc85-4f4d-a641-46771548054a");
  EXPECT_TRUE(audio.candidates.empty());

  const MediaSection& video = d.media[1];
  EXPECT_EQ(video.kind, MediaKind::kVideo);
  EXPECT_EQ(video.mid, "1");
  EXPECT_EQ(video.direction, Direction::kSendOnly);
  EXPECT_THAT(PayloadTypes(video), ElementsAre(96, 97, 102, 103, 104, 107, 108, 109, 114, 115,
                                               116, 117, 39, 40, 45, 46, 98, 99, 100, 101, 118,
                                               119, 120));
  const Codec* vp8 = video.FindCodec(96);
  ASSERT_NE(vp8, nullptr);
  EXPECT_EQ(vp8->name, "VP8");
  EXPECT_EQ(vp8->clock_rate, 90000u);
  EXPECT_THAT(vp8->rtcp_fbs,
              ElementsAre("goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"));
  ASSERT_NE(video.FindCodec(97), nullptr);
  EXPECT_EQ(video.FindCodec(97)->apt(), 96);
  EXPECT_EQ(video.FindCodec(108)->FmtpParameter("profile-level-id"), "42e01f");
  EXPECT_EQ(video.FindCodec(104)->FmtpParameter("packetization-mode"), "0");
  EXPECT_EQ(video.FindCodec(45)->name, "AV1");
  EXPECT_EQ(video.FindCodec(100)->fmtp, "profile-id=2");
  EXPECT_EQ(video.FindCodec(119)->apt(), 118);
  ASSERT_EQ(video.extensions.size(), 11u);
  EXPECT_EQ(video.extensions[0].id, 14);
  EXPECT_EQ(video.extensions[0].uri, "urn:ietf:params:rtp-hdrext:toffset");
  ASSERT_NE(video.FindExtension(kExtRid), nullptr);
  EXPECT_EQ(video.FindExtension(kExtRid)->id, 10);
  EXPECT_EQ(video.FindExtension(kExtRepairedRid)->id, 11);
  ASSERT_EQ(video.ssrc_groups.size(), 1u);
  EXPECT_EQ(video.ssrc_groups[0].semantics, "FID");
  EXPECT_THAT(video.ssrc_groups[0].ssrcs, ElementsAre(1163768973u, 3746237877u));
  ASSERT_EQ(video.ssrcs.size(), 2u);
  EXPECT_EQ(video.ssrcs[1].ssrc, 3746237877u);
  EXPECT_EQ(video.ssrcs[1].cname, "GABF4C2it5g2/hRx");
  EXPECT_TRUE(video.rids.empty());
  EXPECT_FALSE(video.simulcast.has_value());
}

TEST(SdpParserTest, ChromiumSimulcastOffer) {
  SessionDescription d = ParseSdpFixture("chromium_simulcast_offer.sdp");
  ASSERT_EQ(d.media.size(), 2u);
  const MediaSection& video = d.media[1];
  EXPECT_EQ(video.mid, "1");
  EXPECT_EQ(video.ice_ufrag, "DalG");
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0], (RidDescription{"q", Direction::kSendOnly, {}, ""}));
  EXPECT_EQ(video.rids[1].rid, "h");
  EXPECT_EQ(video.rids[2].rid, "f");
  EXPECT_EQ(video.rids[2].direction, Direction::kSendOnly);
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_TRUE(video.simulcast->recv_layers.empty());
  ASSERT_EQ(video.simulcast->send_layers.size(), 3u);
  EXPECT_THAT(video.simulcast->send_layers[0], ElementsAre(SimulcastRid{"q", false}));
  EXPECT_THAT(video.simulcast->send_layers[1], ElementsAre(SimulcastRid{"h", false}));
  EXPECT_THAT(video.simulcast->send_layers[2], ElementsAre(SimulcastRid{"f", false}));
  // Chromium signals simulcast with rids only: no a=ssrc lines in the video section.
  EXPECT_TRUE(video.ssrcs.empty());
}

TEST(SdpParserTest, ChromiumAnswerToOurOffer) {
  SessionDescription d = ParseSdpFixture("chromium_recvonly_answer.sdp");
  ASSERT_EQ(d.media.size(), 3u);
  EXPECT_THAT(d.bundle_groups, ElementsAre(ElementsAre("0", "1")));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(d.media[i].direction, Direction::kRecvOnly);
    EXPECT_EQ(d.media[i].setup, SetupRole::kActive);
    EXPECT_EQ(d.media[i].ice_ufrag, "YfSe");
  }
  EXPECT_THAT(PayloadTypes(d.media[0]), ElementsAre(111));
  EXPECT_THAT(PayloadTypes(d.media[1]), ElementsAre(96, 97));
  EXPECT_THAT(d.media[1].codecs[0].rtcp_fbs, ElementsAre("ccm fir", "nack", "nack pli"));
  EXPECT_EQ(d.media[2].port, 0);
  EXPECT_TRUE(d.media[2].IsRejected());
  EXPECT_EQ(d.media[2].direction, Direction::kInactive);
}

TEST(SdpParserTest, FixturesRoundTripThroughSerialize) {
  for (const char* name : {"chromium_audio_video_offer.sdp", "chromium_simulcast_offer.sdp",
                           "chromium_recvonly_answer.sdp", "sfu_subscriber_offer.sdp"}) {
    SessionDescription first = ParseSdpFixture(name);
    absl::StatusOr<SessionDescription> second = ParseSdp(Serialize(first));
    ASSERT_TRUE(second.ok()) << name << ": " << second.status();
    EXPECT_EQ(*second, first) << name;
  }
}

TEST(SdpParserTest, AcceptsLfLineEndings) {
  std::string crlf = ReadSdpFixture("chromium_simulcast_offer.sdp");
  std::string lf;
  for (char c : crlf) {
    if (c != '\r') lf.push_back(c);
  }
  absl::StatusOr<SessionDescription> a = ParseSdp(crlf);
  absl::StatusOr<SessionDescription> b = ParseSdp(lf);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
}

constexpr char kMinimal[] =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n";

TEST(SdpParserTest, SessionDefaultsWildcardFeedbackAndUnknownAttributes) {
  std::string text = std::string(kMinimal) +
                     "c=IN IP4 192.0.2.1\r\n"
                     "a=recvonly\r\n"
                     "a=ice-ufrag:sess\r\n"
                     "a=x-unknown:whatever\r\n"
                     "b=AS:1000\r\n"
                     "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                     "a=mid:v\r\n"
                     "a=rtpmap:96 VP8/90000\r\n"
                     "a=rtpmap:97 VP9/90000\r\n"
                     "a=rtcp-fb:* nack\r\n"
                     "a=rtcp-fb:97 nack\r\n"
                     "a=rtcp-fb:96   ccm    fir \r\n"
                     "a=rtpmap:100 H264/90000\r\n"
                     "a=ssrc:5 label:plan-b-leftover\r\n"
                     "a=some-future-thing\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                     "c=IN IP4 0.0.0.0\r\n"
                     "a=sendrecv\r\n";
  absl::StatusOr<SessionDescription> d = ParseSdp(text);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->media.size(), 2u);
  const MediaSection& video = d->media[0];
  EXPECT_EQ(video.direction, Direction::kRecvOnly);
  EXPECT_EQ(video.connection_address, "192.0.2.1");
  EXPECT_EQ(d->IceUfragFor(video), "sess");
  EXPECT_THAT(video.codecs[0].rtcp_fbs, ElementsAre("ccm fir", "nack"));
  EXPECT_THAT(video.codecs[1].rtcp_fbs, ElementsAre("nack"));
  EXPECT_EQ(video.codecs.size(), 2u);  // the a=rtpmap for 100 describes nothing on the m= line
  EXPECT_TRUE(video.ssrcs.empty());
  EXPECT_EQ(d->media[1].direction, Direction::kSendRecv);
  EXPECT_EQ(d->media[1].connection_address, "0.0.0.0");
  EXPECT_EQ(d->media[1].codecs[0].name, "");  // no a=rtpmap: name stays empty
}

TEST(SdpParserTest, ParseCandidate) {
  absl::StatusOr<Candidate> c = ParseCandidate(
      "candidate:842163049 1 UDP 1677729535 198.51.100.7 61000 typ srflx raddr 10.0.0.2 "
      "rport 54400 generation 0 ufrag f5Jf network-cost 999");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1u);
  EXPECT_EQ(c->transport, "udp");
  EXPECT_EQ(c->priority, 1677729535u);
  EXPECT_EQ(c->address, "198.51.100.7");
  EXPECT_EQ(c->port, 61000);
  EXPECT_EQ(c->type, "srflx");
  EXPECT_EQ(c->related_address, "10.0.0.2");
  EXPECT_EQ(c->related_port, 54400);
  EXPECT_EQ(c->extra, "generation 0 ufrag f5Jf network-cost 999");

  absl::StatusOr<Candidate> tcp =
      ParseCandidate("a=candidate:1 1 tcp 1518280447 7c3e.local 9 typ host tcptype active");
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  EXPECT_EQ(tcp->address, "7c3e.local");
  EXPECT_EQ(tcp->tcp_type, "active");

  absl::StatusOr<Candidate> bare = ParseCandidate("7 2 udp 1 1.2.3.4 5 typ relay");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->component, 2u);
  EXPECT_EQ(bare->type, "relay");
  EXPECT_FALSE(ParseCandidate("").ok());
  EXPECT_FALSE(ParseCandidate("candidate:").ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 1.2.3.4 5 host").ok());  // no typ
  EXPECT_FALSE(ParseCandidate("candidate:1 0 udp 1 1.2.3.4 5 typ host").ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 4294967296 1.2.3.4 5 typ host").ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 1.2.3.4 65536 typ host").ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 1.2.3.4 5 typ host raddr").ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 1.2.3.4 5 typ host rport 7").ok());
}

struct MalformedCase {
  const char* line;  // appended after kMinimal + one video m= section
  const char* reason;
};

class MalformedSdpTest : public ::testing::TestWithParam<MalformedCase> {};

// Every bad line is the 7th line: kMinimal (4 lines) + m= + a=mid, then the case.
TEST_P(MalformedSdpTest, ErrorNamesLineNumberAndLine) {
  std::string text = std::string(kMinimal) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n" +
                     GetParam().line + "\r\na=rtcp-mux\r\n";
  absl::StatusOr<SessionDescription> d = ParseSdp(text);
  ASSERT_FALSE(d.ok()) << GetParam().line;
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(d.status().message());
  EXPECT_EQ(message, std::string("line 7: ") + GetParam().reason + ": '" + GetParam().line + "'");
}

INSTANTIATE_TEST_SUITE_P(
    Table, MalformedSdpTest,
    ::testing::Values(
        MalformedCase{"a=rtpmap:abc VP8/90000", "bad a=rtpmap"},
        MalformedCase{"a=rtpmap:96 VP8", "bad a=rtpmap"},
        MalformedCase{"a=rtpmap:96 VP8/0", "bad a=rtpmap"},
        MalformedCase{"a=rtpmap:128 VP8/90000", "bad a=rtpmap"},
        MalformedCase{"a=rtpmap:96 opus/48000/0", "bad a=rtpmap"},
        MalformedCase{"a=rtpmap:96 VP8/99999999999", "bad a=rtpmap"},
        MalformedCase{"a=fmtp:x apt=96", "bad a=fmtp"},
        MalformedCase{"a=rtcp-fb:96", "bad a=rtcp-fb"},
        MalformedCase{"a=extmap:0 urn:x", "bad a=extmap id"},
        MalformedCase{"a=extmap:256 urn:x", "bad a=extmap id"},
        MalformedCase{"a=extmap:1/sideways urn:x", "bad a=extmap direction"},
        MalformedCase{"a=extmap:1", "bad a=extmap"},
        MalformedCase{"a=ssrc:-1 cname:x", "bad a=ssrc"},
        MalformedCase{"a=ssrc:4294967296 cname:x", "bad a=ssrc"},
        MalformedCase{"a=ssrc-group:FID 1 x", "bad a=ssrc-group"},
        MalformedCase{"a=rid:q sideways", "bad a=rid"},
        MalformedCase{"a=rid:q! send", "bad a=rid"},
        MalformedCase{"a=rid:q send pt=96,300", "bad pt= in a=rid"},
        MalformedCase{"a=simulcast:send", "bad a=simulcast"},
        MalformedCase{"a=simulcast:send q;;f", "bad rid in a=simulcast"},
        MalformedCase{"a=simulcast:up q", "bad a=simulcast direction"},
        MalformedCase{"a=simulcast:send q send h", "duplicate direction in a=simulcast"},
        MalformedCase{"a=setup:sometimes", "bad a=setup"},
        MalformedCase{"a=fingerprint:sha-256", "bad a=fingerprint"},
        MalformedCase{"a=fingerprint:sha-256 ZZ:11", "bad a=fingerprint"},
        MalformedCase{"a=ice-ufrag:", "bad a=ice-ufrag"},
        MalformedCase{"a=ice-pwd:two words", "bad a=ice-pwd"},
        MalformedCase{"a=mid:", "bad a=mid"},
        MalformedCase{"a=msid:a b c", "bad a=msid"},
        MalformedCase{"a=candidate:1 1 udp 1 1.2.3.4 5 host x", "bad candidate: missing 'typ'"},
        MalformedCase{"a=candidate:1 1 udp 1 1.2.3.4 5", "bad candidate: too few fields"},
        MalformedCase{"a=sctp-port:70000", "bad a=sctp-port"},
        MalformedCase{"a=max-message-size:-5", "bad a=max-message-size"},
        MalformedCase{"c=IN IP4", "bad c= line"},
        MalformedCase{"m=video 9", "bad m= line"},
        MalformedCase{"m=video 70000 UDP/TLS/RTP/SAVPF 96", "bad m= port"},
        MalformedCase{"m=video 9/2 UDP/TLS/RTP/SAVPF 96", "bad m= port"},
        MalformedCase{"m=video 9 UDP/TLS/RTP/SAVPF 96 96", "duplicate payload type in m= line"},
        MalformedCase{"m=video 9 UDP/TLS/RTP/SAVPF 200", "bad payload type in m= line"},
        MalformedCase{"m=text 9 RTP/AVP 0", "unsupported media type in m= line"},
        MalformedCase{"o=- 1 1 IN IP4 127.0.0.1", "misplaced o= line"},
        MalformedCase{"v=0", "duplicate v= line"},
        MalformedCase{"garbage", "expected '<type>=<value>'"},
        MalformedCase{"=x", "expected '<type>=<value>'"}));

TEST(SdpParserTest, StructuralErrors) {
  EXPECT_THAT(std::string(ParseSdp("").status().message()), HasSubstr("no v= line"));
  EXPECT_EQ(std::string(ParseSdp("v=1\r\n").status().message()),
            "line 1: SDP must start with v=0: 'v=1'");
  EXPECT_EQ(std::string(ParseSdp("v=0\r\ns=-\r\n").status().message()), "missing o= line");
  EXPECT_EQ(std::string(ParseSdp(std::string(kMinimal) + "a=group:BUNDLE 0 1\r\n"
                                 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n")
                            .status()
                            .message()),
            "line 5: a=group:BUNDLE names unknown mid '1'");
  EXPECT_THAT(std::string(ParseSdp(std::string(kMinimal) +
                                   "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
                                   "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n")
                              .status()
                              .message()),
              HasSubstr("duplicate a=mid '0'"));
  std::string dup_rtpmap = std::string(kMinimal) +
                           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
                           "a=rtpmap:96 VP9/90000\r\n";
  EXPECT_EQ(std::string(ParseSdp(dup_rtpmap).status().message()),
            "line 7: duplicate a=rtpmap: 'a=rtpmap:96 VP9/90000'");
}

TEST(SdpParserTest, LongLinesAreTruncatedInErrors) {
  std::string line = "a=rtpmap:x " + std::string(500, 'A');
  absl::StatusOr<SessionDescription> d = ParseSdp(std::string(kMinimal) +
                                                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" + line);
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.status().message().size(), 200u);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("line 6: bad a=rtpmap: 'a=rtpmap:x "));
}

TEST(SdpParserTest, RejectsAbsurdSizes) {
  std::string huge = std::string(kMinimal) + std::string(kMaxSdpSize, 'x');
  EXPECT_THAT(std::string(ParseSdp(huge).status().message()), HasSubstr("SDP too large"));

  std::string many(kMinimal);
  for (size_t i = 0; i <= kMaxMediaSections; ++i) {
    many += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:" + std::to_string(i) + "\r\n";
  }
  absl::StatusOr<SessionDescription> d = ParseSdp(many);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(std::string(d.status().message()),
            "line " + std::to_string(5 + 2 * kMaxMediaSections) +
                ": too many m= sections: 'm=audio 9 UDP/TLS/RTP/SAVPF 111'");

  std::string candidates = std::string(kMinimal) + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  for (size_t i = 0; i <= kMaxCandidatesPerSection; ++i) {
    candidates += "a=candidate:1 1 udp 1 10.0.0.1 " + std::to_string(1000 + i) + " typ host\r\n";
  }
  EXPECT_THAT(std::string(ParseSdp(candidates).status().message()),
              HasSubstr("too many a=candidate"));

  std::string rids = std::string(kMinimal) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
  for (size_t i = 0; i <= kMaxRidsPerSection; ++i) {
    rids += "a=rid:r" + std::to_string(i) + " send\r\n";
  }
  EXPECT_THAT(std::string(ParseSdp(rids).status().message()), HasSubstr("too many a=rid"));

  std::string fbs = std::string(kMinimal) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
  for (size_t i = 0; i <= kMaxRtcpFbPerCodec; ++i) {
    fbs += "a=rtcp-fb:96 x" + std::to_string(i) + "\r\n";
  }
  EXPECT_THAT(std::string(ParseSdp(fbs).status().message()), HasSubstr("too many a=rtcp-fb"));

  std::string group = std::string(kMinimal) + "a=group:BUNDLE";
  for (size_t i = 0; i <= kMaxMediaSections; ++i) group += " m" + std::to_string(i);
  EXPECT_THAT(std::string(ParseSdp(group + "\r\n").status().message()),
              HasSubstr("line 5: too many mids in a=group:BUNDLE"));
}

TEST(SdpParserTest, NeverCrashesOnTruncationsOfARealOffer) {
  std::string text = ReadSdpFixture("chromium_simulcast_offer.sdp");
  size_t rejected = 0;
  for (size_t n = 0; n < text.size(); n += 7) {
    auto parsed = ParseSdp(std::string_view(text).substr(0, n));
    if (parsed.ok()) continue;
    ++rejected;
    // A rejection is a clear error that says where, never a crash or a bare failure.
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("line")) << n;
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_TRUE(ParseSdp(text).ok());
}

}  // namespace
}  // namespace switchyard::rtc
