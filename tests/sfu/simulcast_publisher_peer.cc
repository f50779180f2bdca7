#include "tests/sfu/simulcast_publisher_peer.h"

#include <algorithm>
#include <array>

#include "rtc/codec_capabilities.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtp_packet.h"
#include "rtc/sdp_parser.h"
#include "rtc/session_description.h"
#include "transport/byte_io.h"

namespace switchyard::sfu::testing {

namespace {

constexpr uint8_t kTagMagic0 = 'S';
constexpr uint8_t kTagMagic1 = 'Y';
// RFC 7741 §4.2 descriptor we write: X=1 (S in the first byte), I=1 with M=1 (15-bit id).
constexpr size_t kVp8DescriptorSize = 4;
// RFC 6386 §9.1: 3-byte frame tag, and for keyframes start code + width + height.
constexpr size_t kVp8KeyframeHeaderSize = 10;
// More than this many frames late (the test thread stalled): skip them instead of bursting.
constexpr uint64_t kMaxFramesBehind = 5;

}  // namespace

std::optional<SyntheticTag> ParseSyntheticTag(std::span<const uint8_t> payload) {
  if (payload.size() < kSyntheticTagSize) return std::nullopt;
  const uint8_t* tag = payload.data() + payload.size() - kSyntheticTagSize;
  if (tag[0] != kTagMagic0 || tag[1] != kTagMagic1) return std::nullopt;
  return SyntheticTag{tag[2], transport::LoadBe32(tag + 4), tag[3]};
}

SimulcastPublisherPeer::SimulcastPublisherPeer(TestPeer& peer, const transport::Clock& clock,
                                               SimulcastPublisherOptions options)
    : peer_(peer), clock_(clock), options_(std::move(options)), ntp_(clock) {
  layers_.resize(options_.layers.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    // Independent encodings have unrelated numbering (as in Chromium).
    layer.sequence = static_cast<uint16_t>(1000 + 9000 * i);
    layer.rtx_sequence = static_cast<uint16_t>(50 + 333 * i);
    layer.timestamp_base = static_cast<uint32_t>(0x10000000u + 0x01234567u * i);
    layer.picture_id = static_cast<uint16_t>(100 + 5000 * i);
    layer.history.resize(options_.history_per_layer);
  }
  peer_.set_rtcp_observer([this](std::span<const uint8_t> compound) { OnRtcp(compound); });
}

SimulcastPublisherPeer::~SimulcastPublisherPeer() { peer_.set_rtcp_observer(nullptr); }

std::string SimulcastPublisherPeer::CreateOffer() const {
  rtc::SessionDescription offer;
  offer.session_id = 0x5eed5eed;
  offer.session_version = 1;
  rtc::MediaSection video;
  video.kind = rtc::MediaKind::kVideo;
  video.mid = mid_;
  video.rtcp_mux = true;
  video.rtcp_rsize = true;
  video.ice_ufrag = peer_.ice_credentials().ufrag;
  video.ice_pwd = peer_.ice_credentials().pwd;
  video.fingerprint_algorithm = "sha-256";
  video.fingerprint_value = peer_.certificate().Fingerprint();
  video.setup = rtc::SetupRole::kActPass;
  video.direction = rtc::Direction::kSendOnly;
  rtc::Codec vp8;
  vp8.payload_type = kVp8PayloadType;
  vp8.name = "VP8";
  vp8.clock_rate = kVideoClockRate;
  vp8.rtcp_fbs = {"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"};
  rtc::Codec rtx;
  rtx.payload_type = kVp8RtxPayloadType;
  rtx.name = "rtx";
  rtx.clock_rate = kVideoClockRate;
  rtx.fmtp = "apt=" + std::to_string(kVp8PayloadType);
  video.codecs = {vp8, rtx};
  video.extensions.push_back({options_.mid_id, std::string(rtc::kExtMid), {}});
  video.extensions.push_back({options_.rid_id, std::string(rtc::kExtRid), {}});
  video.extensions.push_back({options_.repaired_rid_id, std::string(rtc::kExtRepairedRid), {}});
  video.extensions.push_back(
      {options_.transport_sequence_id, std::string(rtc::kExtTransportCc), {}});
  video.msid_stream = options_.stream_id;
  video.msid_track = options_.stream_id + "-video";
  rtc::Simulcast simulcast;
  for (const SimulcastLayerConfig& layer : options_.layers) {
    rtc::RidDescription rid;
    rid.rid = layer.rid;
    rid.direction = rtc::Direction::kSendOnly;
    video.rids.push_back(rid);
    simulcast.send_layers.push_back({rtc::SimulcastRid{layer.rid, false}});
  }
  video.simulcast = simulcast;
  offer.bundle_groups.push_back({video.mid});
  offer.media.push_back(std::move(video));
  return rtc::Serialize(offer);
}

void SimulcastPublisherPeer::Start() { start_requested_ = true; }

std::optional<transport::Timestamp> SimulcastPublisherPeer::NextFrameTime() const {
  if (!start_) return std::nullopt;
  return *start_ + transport::Duration(static_cast<int64_t>(next_frame_index_) * 1'000'000 /
                                       options_.frames_per_second);
}

uint32_t SimulcastPublisherPeer::RtpTimestampAt(const Layer& layer,
                                                transport::Timestamp now) const {
  const int64_t elapsed_us = start_ ? (now - *start_).count() : 0;
  return layer.timestamp_base +
         static_cast<uint32_t>(elapsed_us * static_cast<int64_t>(kVideoClockRate) / 1'000'000);
}

void SimulcastPublisherPeer::Tick() {
  const transport::Timestamp now = clock_.Now();
  if (start_requested_ && !start_) start_ = now;
  if (!start_ || !peer_.connected()) return;
  const uint64_t due = static_cast<uint64_t>((now - *start_).count()) *
                           static_cast<uint64_t>(options_.frames_per_second) / 1'000'000 +
                       1;
  if (due > next_frame_index_ + kMaxFramesBehind) next_frame_index_ = due - 1;
  while (next_frame_index_ < due) {
    // Like a pacer working through several SSRCs, the layers' packets of one capture instant
    // go out interleaved: a forwarded frame can be cut short by a switch to another layer.
    std::vector<std::vector<std::vector<uint8_t>>> frames(layers_.size());
    for (size_t i = 0; i < layers_.size(); ++i) frames[i] = BuildFrame(i, next_frame_index_);
    for (size_t p = 0;; ++p) {
      bool any = false;
      for (size_t i = 0; i < layers_.size(); ++i) {
        if (p >= frames[i].size()) continue;
        any = true;
        if (peer_.SendRtpPacket(frames[i][p])) {
          ++layers_[i].stats.packets;
          layers_[i].stats.bytes += frames[i][p].size();
        }
      }
      if (!any) break;
    }
    ++next_frame_index_;
  }
  SendSenderReports(now);
}

void SimulcastPublisherPeer::WriteHeader(std::vector<uint8_t>& out, uint8_t payload_type,
                                         bool marker, uint16_t sequence_number, uint32_t timestamp,
                                         uint32_t ssrc, const std::string& rid, bool repaired) {
  out.clear();
  out.resize(rtc::kRtpFixedHeaderSize);
  out[0] = 0x90;  // V=2, X=1
  out[1] = static_cast<uint8_t>((marker ? 0x80 : 0x00) | payload_type);
  transport::StoreBe16(&out[2], sequence_number);
  transport::StoreBe32(&out[4], timestamp);
  transport::StoreBe32(&out[8], ssrc);
  // RFC 8285 §4.2 one-byte elements: id << 4 | (length - 1).
  std::vector<uint8_t> elements;
  auto add = [&](uint8_t id, std::span<const uint8_t> data) {
    elements.push_back(static_cast<uint8_t>((id << 4) | (data.size() - 1)));
    elements.insert(elements.end(), data.begin(), data.end());
  };
  add(options_.mid_id,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(mid_.data()), mid_.size()));
  add(repaired ? options_.repaired_rid_id : options_.rid_id,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(rid.data()), rid.size()));
  std::array<uint8_t, 2> twcc;
  transport::StoreBe16(twcc.data(), ++transport_sequence_);
  add(options_.transport_sequence_id, twcc);
  while (elements.size() % 4 != 0) elements.push_back(0);
  std::array<uint8_t, 4> extension_header;
  transport::StoreBe16(&extension_header[0], 0xBEDE);
  transport::StoreBe16(&extension_header[2], static_cast<uint16_t>(elements.size() / 4));
  out.insert(out.end(), extension_header.begin(), extension_header.end());
  out.insert(out.end(), elements.begin(), elements.end());
}

std::vector<std::vector<uint8_t>> SimulcastPublisherPeer::BuildFrame(size_t index,
                                                                     uint64_t frame_index) {
  std::vector<std::vector<uint8_t>> out;
  Layer& layer = layers_[index];
  const SimulcastLayerConfig& config = options_.layers[index];
  const transport::Timestamp frame_time =
      *start_ + transport::Duration(static_cast<int64_t>(frame_index) * 1'000'000 /
                                    options_.frames_per_second);
  const bool keyframe = layer.keyframe_requested || !layer.last_keyframe ||
                        frame_time - *layer.last_keyframe >= options_.keyframe_interval;
  if (keyframe) {
    layer.keyframe_requested = false;
    layer.last_keyframe = frame_time;
    ++layer.stats.keyframes;
  }
  const uint32_t timestamp = RtpTimestampAt(layer, frame_time);
  size_t frame_bytes = config.bitrate_bps / 8 / static_cast<uint64_t>(options_.frames_per_second);
  if (keyframe) frame_bytes *= static_cast<size_t>(options_.keyframe_size_factor);
  frame_bytes = std::max(frame_bytes, kVp8KeyframeHeaderSize + 16);

  std::vector<uint8_t> packet;
  // Only to learn the header size: the transport-wide number it took is given back.
  const uint16_t transport_sequence = transport_sequence_;
  WriteHeader(packet, kVp8PayloadType, false, 0, 0, 0, config.rid, false);
  transport_sequence_ = transport_sequence;
  const size_t header_size = packet.size();
  const size_t per_packet_data =
      options_.max_packet_size - header_size - kVp8DescriptorSize - kSyntheticTagSize;
  const size_t packets = (frame_bytes + per_packet_data - 1) / per_packet_data;
  size_t remaining = frame_bytes;
  for (size_t p = 0; p < packets; ++p) {
    const size_t data_size = remaining / (packets - p);
    remaining -= data_size;
    const bool first = p == 0;
    const bool last = p + 1 == packets;
    std::vector<uint8_t> payload;
    payload.reserve(kVp8DescriptorSize + data_size + kSyntheticTagSize);
    payload.push_back(static_cast<uint8_t>(0x80 | (first ? 0x10 : 0x00)));
    payload.push_back(0x80);
    payload.push_back(static_cast<uint8_t>(0x80 | ((layer.picture_id >> 8) & 0x7F)));
    payload.push_back(static_cast<uint8_t>(layer.picture_id & 0xFF));
    if (first) {
      payload.push_back(keyframe ? 0x10 : 0x11);  // P bit (0 = key frame), show_frame
      payload.push_back(0x02);
      payload.push_back(0x00);
      if (keyframe) {
        payload.push_back(0x9d);
        payload.push_back(0x01);
        payload.push_back(0x2a);
        payload.push_back(static_cast<uint8_t>(config.width & 0xFF));
        payload.push_back(static_cast<uint8_t>((config.width >> 8) & 0x3F));
        payload.push_back(static_cast<uint8_t>(config.height & 0xFF));
        payload.push_back(static_cast<uint8_t>((config.height >> 8) & 0x3F));
      }
    }
    while (payload.size() < kVp8DescriptorSize + data_size) {
      payload.push_back(static_cast<uint8_t>(layer.frame * 31 + payload.size()));
    }
    const size_t tag_at = payload.size();
    payload.resize(tag_at + kSyntheticTagSize);
    payload[tag_at] = kTagMagic0;
    payload[tag_at + 1] = kTagMagic1;
    payload[tag_at + 2] = static_cast<uint8_t>(index);
    payload[tag_at + 3] = static_cast<uint8_t>(p);
    transport::StoreBe32(&payload[tag_at + 4], layer.frame);

    const uint16_t sequence = layer.sequence++;
    WriteHeader(packet, kVp8PayloadType, last, sequence, timestamp, config.ssrc, config.rid, false);
    packet.insert(packet.end(), payload.begin(), payload.end());
    SentPacket& slot = layer.history[sequence % layer.history.size()];
    slot.sequence = sequence;
    slot.timestamp = timestamp;
    slot.marker = last;
    slot.payload = std::move(payload);
    out.push_back(packet);
  }
  ++layer.stats.frames;
  ++layer.frame;
  layer.picture_id = static_cast<uint16_t>((layer.picture_id + 1) & 0x7FFF);
  return out;
}

void SimulcastPublisherPeer::Retransmit(size_t index, uint16_t sequence_number) {
  Layer& layer = layers_[index];
  const SimulcastLayerConfig& config = options_.layers[index];
  ++layer.stats.nacked;
  const SentPacket& slot = layer.history[sequence_number % layer.history.size()];
  if (slot.sequence != sequence_number) return;
  std::vector<uint8_t> packet;
  // RFC 4588 §4: RTX header (own SSRC, payload type and numbering; original timestamp and
  // marker), payload = original sequence number + original payload.
  WriteHeader(packet, kVp8RtxPayloadType, slot.marker, layer.rtx_sequence++, slot.timestamp,
              config.rtx_ssrc, config.rid, /*repaired=*/true);
  std::array<uint8_t, 2> osn;
  transport::StoreBe16(osn.data(), sequence_number);
  packet.insert(packet.end(), osn.begin(), osn.end());
  packet.insert(packet.end(), slot.payload.begin(), slot.payload.end());
  if (peer_.SendRtpPacket(packet)) ++layer.stats.retransmitted;
}

void SimulcastPublisherPeer::SendSenderReports(transport::Timestamp now) {
  if (last_sender_report_ && now - *last_sender_report_ < options_.sender_report_interval) return;
  last_sender_report_ = now;
  std::array<uint8_t, 256> buffer{};
  size_t length = 0;
  const uint64_t ntp = ntp_.Now();
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = layers_[i];
    length += rtc::WriteSenderReport(
        std::span<uint8_t>(buffer.data() + length, buffer.size() - length), options_.layers[i].ssrc,
        ntp, RtpTimestampAt(layer, now), static_cast<uint32_t>(layer.stats.packets),
        static_cast<uint32_t>(layer.stats.bytes), {});
  }
  if (length > 0) (void)peer_.SendRtcp(std::span<const uint8_t>(buffer.data(), length));
}

void SimulcastPublisherPeer::OnRtcp(std::span<const uint8_t> compound) {
  auto layer_of = [this](uint32_t ssrc) -> std::optional<size_t> {
    for (size_t i = 0; i < options_.layers.size(); ++i) {
      if (options_.layers[i].ssrc == ssrc) return i;
    }
    return std::nullopt;
  };
  rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& view) {
    if (view.packet_type() == rtc::kRtcpPayloadSpecificFeedback) {
      if (view.count() == rtc::kPsfbPli) {
        if (auto pli = rtc::PliView::Parse(view)) {
          if (auto layer = layer_of(pli->media_ssrc())) {
            layers_[*layer].keyframe_requested = true;
            ++layers_[*layer].stats.plis;
          }
        }
      } else if (view.count() == rtc::kPsfbFir) {
        if (auto fir = rtc::FirView::Parse(view)) {
          for (size_t i = 0; i < fir->entry_count(); ++i) {
            if (auto layer = layer_of(fir->entry(i).ssrc)) {
              layers_[*layer].keyframe_requested = true;
              ++layers_[*layer].stats.firs;
            }
          }
        }
      }
      return;
    }
    if (view.packet_type() == rtc::kRtcpTransportLayerFeedback && view.count() == rtc::kRtpfbNack) {
      auto nack = rtc::NackView::Parse(view);
      if (!nack) return;
      if (auto layer = layer_of(nack->media_ssrc())) {
        nack->ForEachLostSequence([&](uint16_t seq) { Retransmit(*layer, seq); });
      }
    }
  });
}

}  // namespace switchyard::sfu::testing
