#include "tests/sfu/whep_viewer.h"

#include "rtc/session_description.h"

namespace switchyard::sfu::testing {

namespace {

constexpr std::string_view kTransportCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

rtc::Codec MakeCodec(uint8_t pt, std::string name, uint32_t clock_rate, uint8_t channels,
                     std::string fmtp, std::vector<std::string> fbs) {
  rtc::Codec codec;
  codec.payload_type = pt;
  codec.name = std::move(name);
  codec.clock_rate = clock_rate;
  codec.channels = channels;
  codec.fmtp = std::move(fmtp);
  codec.rtcp_fbs = std::move(fbs);
  return codec;
}

rtc::MediaSection RecvOnlySection(const TestPeer& peer, rtc::MediaKind kind, std::string mid,
                                  const WhepOfferOptions& options) {
  rtc::MediaSection section;
  section.kind = kind;
  section.mid = std::move(mid);
  section.direction = rtc::Direction::kRecvOnly;
  section.rtcp_mux = true;
  section.rtcp_rsize = true;
  section.ice_ufrag = peer.ice_credentials().ufrag;
  section.ice_pwd = peer.ice_credentials().pwd;
  section.fingerprint_algorithm = "sha-256";
  section.fingerprint_value = peer.certificate().Fingerprint();
  section.setup = rtc::SetupRole::kActPass;
  section.extensions.push_back({options.mid_id, "urn:ietf:params:rtp-hdrext:sdes:mid", {}});
  if (kind == rtc::MediaKind::kAudio) {
    section.extensions.push_back(
        {options.audio_level_id, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", {}});
  }
  if (options.transport_cc_id != 0) {
    section.extensions.push_back({options.transport_cc_id, std::string(kTransportCcUri), {}});
  }
  return section;
}

}  // namespace

std::string CreateWhepOffer(const TestPeer& peer, const WhepOfferOptions& options) {
  rtc::SessionDescription offer;
  offer.session_id = 4242;
  offer.session_version = 1;
  std::vector<std::string> bundle;
  const std::vector<std::string> video_fbs = {"goog-remb", "transport-cc", "ccm fir", "nack",
                                              "nack pli"};
  if (options.audio) {
    rtc::MediaSection audio = RecvOnlySection(peer, rtc::MediaKind::kAudio, "0", options);
    audio.codecs.push_back(MakeCodec(options.opus_payload_type, "opus", 48000, 2,
                                     "minptime=10;useinbandfec=1", {"transport-cc"}));
    bundle.push_back(audio.mid);
    offer.media.push_back(std::move(audio));
  }
  if (options.video) {
    rtc::MediaSection video = RecvOnlySection(peer, rtc::MediaKind::kVideo, "1", options);
    video.codecs.push_back(MakeCodec(
        options.h264_payload_type, "H264", 90000, 0,
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", video_fbs));
    video.codecs.push_back(MakeCodec(options.h264_rtx_payload_type, "rtx", 90000, 0,
                                     "apt=" + std::to_string(options.h264_payload_type), {}));
    video.codecs.push_back(MakeCodec(options.vp8_payload_type, "VP8", 90000, 0, "", video_fbs));
    video.codecs.push_back(MakeCodec(options.vp8_rtx_payload_type, "rtx", 90000, 0,
                                     "apt=" + std::to_string(options.vp8_payload_type), {}));
    bundle.push_back(video.mid);
    offer.media.push_back(std::move(video));
  }
  offer.bundle_groups.push_back(std::move(bundle));
  return rtc::Serialize(offer);
}

}  // namespace switchyard::sfu::testing
