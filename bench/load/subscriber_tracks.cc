#include "bench/load/subscriber_tracks.h"

#include <algorithm>

#include "bench/load/payload_stamp.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtp_packet.h"
#include "transport/byte_io.h"

namespace switchyard::bench {

void SubscriberTracks::ApplyOffer(const std::vector<OfferedTrack>& offered_tracks) {
  for (const OfferedTrack& offered : offered_tracks) {
    auto it = std::find_if(tracks_.begin(), tracks_.end(),
                           [&](const TrackReceiver& t) { return t.mid == offered.mid; });
    if (it == tracks_.end()) {
      tracks_.emplace_back();
      it = tracks_.end() - 1;
      it->mid = offered.mid;
    }
    const bool active = offered.active && offered.ssrc.has_value();
    if (active && it->active && it->ssrc != *offered.ssrc) {
      // A line carrying another stream now: measure it afresh.
      const std::string mid = it->mid;
      *it = TrackReceiver();
      it->mid = mid;
    }
    it->active = active;
    it->audio = offered.kind == rtc::MediaKind::kAudio;
    it->stream = offered.stream;
    if (active) {
      it->ssrc = *offered.ssrc;
      it->rtx_ssrc = offered.rtx_ssrc;
    }
  }
  ssrc_to_track_.clear();
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (!tracks_[i].active) continue;
    ssrc_to_track_[tracks_[i].ssrc] = static_cast<int>(i);
    if (tracks_[i].rtx_ssrc) ssrc_to_track_[*tracks_[i].rtx_ssrc] = -1;
  }
}

bool SubscriberTracks::OnRtp(std::span<uint8_t> packet, bool decrypted,
                             transport::Timestamp arrival, WorkerStats& stats) {
  if (packet.size() < rtc::kRtpFixedHeaderSize) return false;
  // The fixed header is plaintext in SRTP: SSRC and sequence number are readable either way.
  const uint32_t ssrc = transport::LoadBe32(packet.data() + 8);
  const uint16_t sequence_number = transport::LoadBe16(packet.data() + 2);
  TrafficCounters& counters = stats.counters;
  const auto found = ssrc_to_track_.find(ssrc);
  if (found == ssrc_to_track_.end()) {
    ++counters.unknown_ssrc;
    return false;
  }
  if (found->second < 0) {
    ++counters.rtx_or_padding;
    return false;
  }
  TrackReceiver& track = tracks_[static_cast<size_t>(found->second)];
  ++track.packets;
  const int64_t arrival_us = arrival.time_since_epoch().count();
  const int64_t extended = track.rtp_unwrap.Unwrap(sequence_number);
  if (!decrypted) {
    track.rtp.OnPacket(extended, std::nullopt, arrival_us);
    return false;
  }
  const auto view = rtc::RtpPacketView::Parse(packet);
  const auto stamp = view ? ReadPayloadStamp(view->payload()) : std::nullopt;
  if (!stamp) {
    ++counters.bad_stamp;
    return false;
  }
  const int64_t send_us = static_cast<int64_t>(stamp->send_time_ns / 1000);
  track.rtp.OnPacket(extended, send_us, arrival_us);
  // Every packet of a track must come from the one publisher stream the offer bound it to.
  if (!track.source) {
    track.source = stamp->source;
  } else if (*track.source != stamp->source) {
    ++counters.misrouted;
    return false;
  }
  if (stamp->audio != track.audio) {
    ++counters.misrouted;
    return false;
  }
  const int layer = std::min<int>(stamp->encoding, static_cast<int>(track.layers.size()) - 1);
  if (layer != track.current_layer) {
    if (track.current_layer >= 0) ++counters.layer_switches;
    track.layers[static_cast<size_t>(layer)].StartSegment();
    track.current_layer = layer;
  }
  const auto result =
      track.layers[static_cast<size_t>(layer)].OnPacket(stamp->sequence, send_us, arrival_us);
  if (result != ReceiveMeter::Result::kDuplicate && result != ReceiveMeter::Result::kTooOld) {
    const uint64_t latency = static_cast<uint64_t>(std::max<int64_t>(arrival_us - send_us, 0));
    stats.latency_interval.Record(latency);
    stats.latency_total.Record(latency);
  }
  track.got_media = true;
  return true;
}

int SubscriberTracks::tracks_with_media() const {
  int n = 0;
  for (const TrackReceiver& t : tracks_) {
    if (t.active && t.got_media) ++n;
  }
  return n;
}

void SubscriberTracks::AddQuality(QualityTotals& q, bool sampled) const {
  for (const TrackReceiver& t : tracks_) {
    if (sampled) {
      q.expected += t.rtp.expected();
      q.received += t.rtp.received();
      q.lost += t.rtp.lost();
      q.duplicates += t.rtp.duplicates();
      q.reordered += t.rtp.reordered();
    } else {
      for (const ReceiveMeter& m : t.layers) {
        q.expected += m.expected();
        q.received += m.received();
        q.lost += m.lost();
        q.duplicates += m.duplicates();
        q.reordered += m.reordered();
      }
    }
    if (t.current_layer >= 0) {
      q.jitter_sum_us += t.layers[static_cast<size_t>(t.current_layer)].jitter_us();
      ++q.jitter_tracks;
    }
  }
}

size_t SubscriberTracks::WriteReceiverReport(std::span<uint8_t> out,
                                             uint32_t sender_ssrc) const {
  std::array<rtc::ReportBlock, 31> blocks;
  size_t count = 0;
  for (const TrackReceiver& t : tracks_) {
    if (!t.active || t.packets == 0 || !t.rtp.started() || count == blocks.size()) continue;
    rtc::ReportBlock& b = blocks[count++];
    b = rtc::ReportBlock{};
    b.ssrc = t.ssrc;
    b.extended_highest_sequence = static_cast<uint32_t>(t.rtp.highest());
    b.cumulative_lost = static_cast<int32_t>(std::min<uint64_t>(t.rtp.lost(), 0x7fffff));
  }
  if (count == 0) return 0;
  return rtc::WriteReceiverReport(out, sender_ssrc,
                                  std::span<const rtc::ReportBlock>(blocks.data(), count));
}

}  // namespace switchyard::bench
