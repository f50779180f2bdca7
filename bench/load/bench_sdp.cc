#include "bench/load/bench_sdp.h"

#include <algorithm>

#include "absl/status/status.h"
#include "rtc/codec_capabilities.h"

namespace switchyard::bench {

namespace {

constexpr uint32_t kOpusClockRate = 48000;
constexpr uint32_t kVideoClockRate = 90000;

rtc::MediaSection TransportSection(rtc::MediaKind kind, std::string mid,
                                   const transport::IceCredentials& ice,
                                   const std::string& fingerprint, rtc::SetupRole setup) {
  rtc::MediaSection section;
  section.kind = kind;
  section.mid = std::move(mid);
  section.rtcp_mux = true;
  section.rtcp_rsize = true;
  section.ice_ufrag = ice.ufrag;
  section.ice_pwd = ice.pwd;
  section.fingerprint_algorithm = "sha-256";
  section.fingerprint_value = fingerprint;
  section.setup = setup;
  return section;
}

}  // namespace

std::string BuildPublishOffer(const PublishOfferSpec& spec, const transport::IceCredentials& ice,
                              const std::string& fingerprint, uint64_t session_id,
                              uint64_t session_version) {
  rtc::SessionDescription offer;
  offer.session_id = session_id;
  offer.session_version = session_version;
  offer.extmap_allow_mixed = true;
  std::vector<std::string> bundle;
  if (spec.audio) {
    rtc::MediaSection audio =
        TransportSection(rtc::MediaKind::kAudio, "0", ice, fingerprint, rtc::SetupRole::kActPass);
    rtc::Codec opus;
    opus.payload_type = kOpusPayloadType;
    opus.name = "opus";
    opus.clock_rate = kOpusClockRate;
    opus.channels = 2;
    opus.fmtp = "minptime=10;useinbandfec=1";
    audio.codecs.push_back(opus);
    audio.extensions.push_back({kAudioLevelExtensionId, std::string(rtc::kExtAudioLevel), {}});
    audio.extensions.push_back({kMidExtensionId, std::string(rtc::kExtMid), {}});
    audio.direction = rtc::Direction::kSendOnly;
    audio.msid_stream = spec.stream_id;
    audio.msid_track = spec.stream_id + "-audio";
    audio.ssrcs.push_back({spec.audio_ssrc, spec.cname, spec.stream_id + " " + audio.msid_track});
    bundle.push_back(audio.mid);
    offer.media.push_back(std::move(audio));
  }
  if (spec.video && !spec.video_encodings.empty()) {
    rtc::MediaSection video =
        TransportSection(rtc::MediaKind::kVideo, "1", ice, fingerprint, rtc::SetupRole::kActPass);
    rtc::Codec vp8;
    vp8.payload_type = kVp8PayloadType;
    vp8.name = "VP8";
    vp8.clock_rate = kVideoClockRate;
    vp8.rtcp_fbs = {std::string(rtc::kRtcpFbCcmFir), std::string(rtc::kRtcpFbNack),
                    std::string(rtc::kRtcpFbNackPli)};
    rtc::Codec rtx;
    rtx.payload_type = kVp8RtxPayloadType;
    rtx.name = "rtx";
    rtx.clock_rate = kVideoClockRate;
    rtx.fmtp = "apt=" + std::to_string(kVp8PayloadType);
    video.codecs = {vp8, rtx};
    video.extensions.push_back({kMidExtensionId, std::string(rtc::kExtMid), {}});
    video.direction = rtc::Direction::kSendOnly;
    video.msid_stream = spec.stream_id;
    video.msid_track = spec.stream_id + "-video";
    const bool simulcast = spec.video_encodings.size() > 1;
    if (simulcast) {
      video.extensions.push_back({kRidExtensionId, std::string(rtc::kExtRid), {}});
      video.extensions.push_back(
          {kRepairedRidExtensionId, std::string(rtc::kExtRepairedRid), {}});
      rtc::Simulcast layers;
      for (const VideoEncodingConfig& e : spec.video_encodings) {
        rtc::RidDescription rid;
        rid.rid = e.rid;
        rid.direction = rtc::Direction::kSendOnly;
        video.rids.push_back(rid);
        layers.send_layers.push_back({rtc::SimulcastRid{e.rid, false}});
      }
      video.simulcast = layers;
    } else {
      const uint32_t ssrc = spec.video_encodings.front().ssrc;
      video.ssrcs.push_back({ssrc, spec.cname, spec.stream_id + " " + video.msid_track});
    }
    bundle.push_back(video.mid);
    offer.media.push_back(std::move(video));
  }
  if (!bundle.empty()) offer.bundle_groups.push_back(std::move(bundle));
  return rtc::Serialize(offer);
}

absl::StatusOr<RemoteTransport> RemoteTransportOf(const rtc::SessionDescription& description) {
  const rtc::MediaSection* first = nullptr;
  for (const auto& section : description.media) {
    if (!section.IsRejected()) {
      first = &section;
      break;
    }
  }
  if (first == nullptr) return absl::InvalidArgumentError("no accepted media section");
  RemoteTransport out;
  out.ice.ufrag = std::string(description.IceUfragFor(*first));
  out.ice.pwd = std::string(description.IcePwdFor(*first));
  out.fingerprint_algorithm = std::string(description.FingerprintAlgorithmFor(*first));
  out.fingerprint_value = std::string(description.FingerprintValueFor(*first));
  out.setup = description.SetupFor(*first);
  if (out.ice.ufrag.empty() || out.ice.pwd.empty()) {
    return absl::InvalidArgumentError("remote ICE credentials missing");
  }
  if (out.fingerprint_value.empty()) return absl::InvalidArgumentError("remote fingerprint missing");
  // With BUNDLE the candidates sit in the tag section; look through all of them.
  for (const auto& section : description.media) {
    for (const rtc::Candidate& candidate : section.candidates) {
      if (candidate.transport != "udp") continue;
      if (auto address = transport::SocketAddress::Parse(candidate.address, candidate.port)) {
        out.candidate = address;
        return out;
      }
    }
  }
  return out;
}

NegotiatedExtensions NegotiatedExtensionsOf(const rtc::SessionDescription& answer) {
  NegotiatedExtensions ids;
  for (const auto& section : answer.media) {
    if (section.IsRejected()) continue;
    if (const auto* e = section.FindExtension(rtc::kExtMid)) ids.mid = e->id;
    if (const auto* e = section.FindExtension(rtc::kExtRid)) ids.rid = e->id;
    if (const auto* e = section.FindExtension(rtc::kExtAudioLevel)) ids.audio_level = e->id;
  }
  return ids;
}

absl::StatusOr<SubscribeAnswer> BuildSubscribeAnswer(const rtc::SessionDescription& offer,
                                                     const transport::IceCredentials& ice,
                                                     const std::string& fingerprint,
                                                     uint64_t session_id,
                                                     uint64_t session_version) {
  SubscribeAnswer out;
  rtc::SessionDescription answer;
  answer.session_id = session_id;
  answer.session_version = session_version;
  answer.extmap_allow_mixed = offer.extmap_allow_mixed;
  std::vector<std::string> bundle;
  for (const rtc::MediaSection& offered : offer.media) {
    OfferedTrack track;
    track.mid = offered.mid;
    track.kind = offered.kind;
    track.active = offered.direction == rtc::Direction::kSendOnly && !offered.IsRejected();
    if (!offered.ssrcs.empty()) track.ssrc = offered.ssrcs.front().ssrc;
    for (const rtc::SsrcGroup& group : offered.ssrc_groups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2) {
        track.ssrc = group.ssrcs[0];
        track.rtx_ssrc = group.ssrcs[1];
      }
    }
    track.stream = offered.msid_stream;
    track.track = offered.msid_track;
    out.tracks.push_back(track);

    rtc::MediaSection section =
        TransportSection(offered.kind, offered.mid, ice, fingerprint, rtc::SetupRole::kActive);
    section.port = offered.IsRejected() ? 0 : 9;
    section.codecs = offered.codecs;
    for (rtc::Codec& codec : section.codecs) {
      std::erase_if(codec.rtcp_fbs, [](const std::string& fb) {
        return fb == rtc::kRtcpFbTransportCc || fb == rtc::kRtcpFbGoogRemb;
      });
    }
    section.extensions = offered.extensions;
    std::erase_if(section.extensions, [](const rtc::HeaderExtension& ext) {
      return ext.uri == rtc::kExtTransportCc;
    });
    section.rtcp_rsize = offered.rtcp_rsize;
    section.direction = rtc::DirectionSends(offered.direction) ? rtc::Direction::kRecvOnly
                                                               : rtc::Direction::kInactive;
    if (!offered.IsRejected()) bundle.push_back(offered.mid);
    answer.media.push_back(std::move(section));
  }
  if (answer.media.empty()) return absl::InvalidArgumentError("offer without media sections");
  if (!bundle.empty()) answer.bundle_groups.push_back(std::move(bundle));
  out.sdp = rtc::Serialize(answer);
  return out;
}

}  // namespace switchyard::bench
