#include "bench/load/bench_sdp.h"

#include <string>

#include "bench/load/signaling_client.h"
#include "gtest/gtest.h"
#include "rtc/codec_capabilities.h"
#include "rtc/sdp_answerer.h"
#include "rtc/sdp_parser.h"

namespace switchyard::bench {
namespace {

constexpr char kOurFingerprint[] =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99";
constexpr char kServerFingerprint[] =
    "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"
    "FF:00";

transport::IceCredentials OurIce() { return {"benchU", "benchPasswordBenchPassw0"}; }

PublishOfferSpec SimulcastSpec() {
  PublishOfferSpec spec;
  spec.audio_ssrc = 0x1000;
  spec.video_encodings = DefaultSimulcastEncodings();
  for (size_t i = 0; i < spec.video_encodings.size(); ++i) {
    spec.video_encodings[i].ssrc = 0x1001 + static_cast<uint32_t>(i);
  }
  spec.stream_id = "bench-pub-0";
  spec.cname = "bench-pub-0";
  return spec;
}

// What sfu/publisher.cc does with a publish offer: rtc::CreateAnswer with transport-cc
// capabilities, recvonly, the server's candidates.
absl::StatusOr<rtc::SessionDescription> ServerAnswer(const std::string& offer_sdp) {
  auto offer = rtc::ParseSdp(offer_sdp);
  if (!offer.ok()) return offer.status();
  rtc::AnswerOptions options;
  options.ice_ufrag = "sfuU";
  options.ice_pwd = "sfuPasswordSfuPassword1";
  options.fingerprint_value = kServerFingerprint;
  options.candidates = {
      rtc::Candidate{"1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host", "", 0, "", ""}};
  options.capabilities = rtc::MediaCapabilities::WithTransportCc();
  options.wanted_direction = rtc::Direction::kRecvOnly;
  return rtc::CreateAnswer(*offer, options);
}

TEST(BenchSdpTest, TheServerAcceptsTheSimulcastPublishOffer) {
  const std::string sdp = BuildPublishOffer(SimulcastSpec(), OurIce(), kOurFingerprint, 7, 1);
  auto offer = rtc::ParseSdp(sdp);
  ASSERT_TRUE(offer.ok()) << offer.status();
  ASSERT_EQ(offer->media.size(), 2u);
  EXPECT_EQ(offer->media[0].kind, rtc::MediaKind::kAudio);
  EXPECT_EQ(offer->media[0].mid, "0");
  EXPECT_EQ(offer->media[1].mid, "1");
  EXPECT_EQ(offer->media[0].setup, rtc::SetupRole::kActPass);
  ASSERT_TRUE(offer->media[1].simulcast.has_value());
  EXPECT_EQ(offer->media[1].rids.size(), 3u);
  EXPECT_TRUE(offer->media[1].ssrcs.empty());  // rid-based: SSRCs learned from mid + rid

  auto answer = ServerAnswer(sdp);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->media.size(), 2u);
  for (const auto& section : answer->media) {
    EXPECT_FALSE(section.IsRejected()) << section.mid;
    EXPECT_EQ(section.direction, rtc::Direction::kRecvOnly) << section.mid;
  }
  ASSERT_TRUE(answer->media[1].simulcast.has_value());
  EXPECT_EQ(answer->media[1].simulcast->recv_layers.size(), 3u);
  const NegotiatedExtensions ids = NegotiatedExtensionsOf(*answer);
  EXPECT_EQ(ids.mid, kMidExtensionId);
  EXPECT_EQ(ids.rid, kRidExtensionId);
  EXPECT_EQ(ids.audio_level, kAudioLevelExtensionId);

  auto remote = RemoteTransportOf(*answer);
  ASSERT_TRUE(remote.ok()) << remote.status();
  EXPECT_EQ(remote->ice.ufrag, "sfuU");
  EXPECT_EQ(remote->fingerprint_value, kServerFingerprint);
  EXPECT_EQ(remote->setup, rtc::SetupRole::kPassive);  // we are the DTLS client
  ASSERT_TRUE(remote->candidate.has_value());
  EXPECT_EQ(remote->candidate->ToString(), "127.0.0.1:40000");
}

TEST(BenchSdpTest, SingleStreamAndAudioOnlyOffers) {
  PublishOfferSpec single = SimulcastSpec();
  single.video_encodings = {{"", 1280, 720, 1'700'000, 0x2000}};
  auto offer = rtc::ParseSdp(BuildPublishOffer(single, OurIce(), kOurFingerprint, 7, 1));
  ASSERT_TRUE(offer.ok());
  EXPECT_FALSE(offer->media[1].simulcast.has_value());
  ASSERT_EQ(offer->media[1].ssrcs.size(), 1u);
  EXPECT_EQ(offer->media[1].ssrcs[0].ssrc, 0x2000u);

  PublishOfferSpec audio_only = SimulcastSpec();
  audio_only.video = false;
  const std::string sdp = BuildPublishOffer(audio_only, OurIce(), kOurFingerprint, 7, 1);
  auto parsed = rtc::ParseSdp(sdp);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->media.size(), 1u);
  auto answer = ServerAnswer(sdp);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->media[0].IsRejected());
}

// A subscribe offer as sfu/subscriber.cc builds it: ICE-lite, actpass, one sendonly line per
// track with FID-grouped SSRCs, transport-cc offered, an inactive line for a removed track.
rtc::SessionDescription ServerSubscribeOffer() {
  rtc::SessionDescription offer;
  offer.session_id = 5;
  offer.session_version = 2;
  offer.ice_lite = true;
  std::vector<std::string> bundle;
  auto line = [&](rtc::MediaKind kind, const std::string& mid, bool active, uint32_t ssrc,
                  std::optional<uint32_t> rtx) {
    rtc::MediaSection s;
    s.kind = kind;
    s.mid = mid;
    s.rtcp_mux = true;
    s.rtcp_rsize = true;
    s.ice_ufrag = "subU";
    s.ice_pwd = "subPasswordSubPassword12";
    s.fingerprint_algorithm = "sha-256";
    s.fingerprint_value = kServerFingerprint;
    s.setup = rtc::SetupRole::kActPass;
    rtc::Codec codec;
    if (kind == rtc::MediaKind::kAudio) {
      codec.payload_type = 111;
      codec.name = "opus";
      codec.clock_rate = 48000;
      codec.channels = 2;
      s.codecs = {codec};
      s.extensions.push_back({1, std::string(rtc::kExtAudioLevel), {}});
    } else {
      codec.payload_type = 96;
      codec.name = "VP8";
      codec.clock_rate = 90000;
      codec.rtcp_fbs = {"nack", "nack pli", "transport-cc", "goog-remb"};
      rtc::Codec rtx_codec;
      rtx_codec.payload_type = 97;
      rtx_codec.name = "rtx";
      rtx_codec.clock_rate = 90000;
      rtx_codec.fmtp = "apt=96";
      s.codecs = {codec, rtx_codec};
    }
    s.extensions.push_back({3, std::string(rtc::kExtTransportCc), {}});
    s.direction = active ? rtc::Direction::kSendOnly : rtc::Direction::kInactive;
    if (active) {
      s.msid_stream = "PA_publisher";
      s.msid_track = "PA_publisher-" + mid;
      s.ssrcs.push_back({ssrc, "PA_publisher", "PA_publisher " + s.msid_track});
      if (rtx) {
        s.ssrcs.push_back({*rtx, "PA_publisher", "PA_publisher " + s.msid_track});
        s.ssrc_groups.push_back({"FID", {ssrc, *rtx}});
      }
    }
    if (bundle.empty()) {
      s.candidates = {
          rtc::Candidate{"1", 1, "udp", 2130706431, "127.0.0.1", 40001, "host", "", 0, "", ""}};
    }
    bundle.push_back(mid);
    offer.media.push_back(std::move(s));
  };
  line(rtc::MediaKind::kAudio, "0", true, 111111, std::nullopt);
  line(rtc::MediaKind::kVideo, "1", true, 222222, 333333);
  line(rtc::MediaKind::kVideo, "2", false, 0, std::nullopt);
  offer.bundle_groups.push_back(bundle);
  return offer;
}

TEST(BenchSdpTest, AnswersSubscribeOffersLikeABrowserWithoutBandwidthFeedback) {
  const rtc::SessionDescription offer = ServerSubscribeOffer();
  auto answer = BuildSubscribeAnswer(offer, OurIce(), kOurFingerprint, 9, 1);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->tracks.size(), 3u);
  EXPECT_TRUE(answer->tracks[0].active);
  EXPECT_EQ(answer->tracks[0].kind, rtc::MediaKind::kAudio);
  EXPECT_EQ(answer->tracks[0].ssrc, 111111u);
  EXPECT_FALSE(answer->tracks[0].rtx_ssrc.has_value());
  EXPECT_EQ(answer->tracks[0].stream, "PA_publisher");
  EXPECT_TRUE(answer->tracks[1].active);
  EXPECT_EQ(answer->tracks[1].ssrc, 222222u);
  EXPECT_EQ(answer->tracks[1].rtx_ssrc, 333333u);
  EXPECT_FALSE(answer->tracks[2].active);

  auto parsed = rtc::ParseSdp(answer->sdp);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->media.size(), 3u);
  EXPECT_EQ(parsed->media[0].direction, rtc::Direction::kRecvOnly);
  EXPECT_EQ(parsed->media[1].direction, rtc::Direction::kRecvOnly);
  EXPECT_EQ(parsed->media[2].direction, rtc::Direction::kInactive);
  for (const auto& section : parsed->media) {
    EXPECT_EQ(section.setup, rtc::SetupRole::kActive);
    EXPECT_EQ(section.ice_ufrag, "benchU");
    EXPECT_EQ(section.fingerprint_value, kOurFingerprint);
    EXPECT_EQ(section.FindExtension(rtc::kExtTransportCc), nullptr);
    for (const auto& codec : section.codecs) {
      EXPECT_FALSE(codec.HasRtcpFb(rtc::kRtcpFbTransportCc));
      EXPECT_FALSE(codec.HasRtcpFb(rtc::kRtcpFbGoogRemb));
    }
  }
  EXPECT_TRUE(parsed->media[1].codecs[0].HasRtcpFb(rtc::kRtcpFbNackPli));
  EXPECT_NE(parsed->media[0].FindExtension(rtc::kExtAudioLevel), nullptr);

  auto remote = RemoteTransportOf(offer);
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(remote->setup, rtc::SetupRole::kActPass);
  ASSERT_TRUE(remote->candidate.has_value());
  EXPECT_EQ(remote->candidate->port(), 40001);
}

TEST(BenchSdpTest, RemoteTransportNeedsCredentials) {
  rtc::SessionDescription empty;
  EXPECT_FALSE(RemoteTransportOf(empty).ok());
  rtc::SessionDescription offer = ServerSubscribeOffer();
  for (auto& s : offer.media) s.ice_pwd.clear();
  EXPECT_FALSE(RemoteTransportOf(offer).ok());
}

TEST(SignalingClientTest, ParsesWebSocketUrls) {
  auto url = ParseWebSocketUrl("ws://127.0.0.1:8080/ws");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/ws");
  auto bare = ParseWebSocketUrl("ws://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->target, "/");
  auto v6 = ParseWebSocketUrl("ws://[::1]:9000/ws?x=1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->target, "/ws?x=1");
  EXPECT_FALSE(ParseWebSocketUrl("http://127.0.0.1/ws").ok());
  EXPECT_FALSE(ParseWebSocketUrl("ws://:80/ws").ok());
  EXPECT_FALSE(ParseWebSocketUrl("ws://h:0/ws").ok());
  EXPECT_FALSE(ParseWebSocketUrl("ws://h:99999/ws").ok());
}

TEST(SignalingClientTest, SpeaksTheCanonicalJsonMapping) {
  v1::ClientMessage join;
  join.mutable_join()->set_token("abc");
  EXPECT_EQ(EncodeClientMessage(join), R"({"join":{"token":"abc"}})");
  v1::ClientMessage answer;
  answer.mutable_subscribe_answer()->set_sdp("v=0");
  EXPECT_EQ(EncodeClientMessage(answer), R"({"subscribeAnswer":{"sdp":"v=0"}})");

  auto joined = DecodeServerMessage(
      R"({"joined":{"participantId":"PA_1","room":"r","futureField":1}})");
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->joined().participant_id(), "PA_1");
  auto offer = DecodeServerMessage(R"({"subscribeOffer":{"sdp":"v=0\r\n"}})");
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->subscribe_offer().sdp(), "v=0\r\n");
  EXPECT_FALSE(DecodeServerMessage("not json").ok());
}

}  // namespace
}  // namespace switchyard::bench
