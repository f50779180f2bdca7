#include "sfu/stream_allocator.h"

#include <algorithm>

namespace switchyard::sfu {

namespace {

uint64_t SaturatingSub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

// The best ladder step that fits `budget_bps` (with hysteresis); paused if none does.
LayerTarget BestFit(const TrackDemand& track, const LayerLadder& ladder, uint64_t budget_bps) {
  for (int i = ladder.size - 1; i >= 0; --i) {
    if (RequiredBitrate(track, ladder.steps[i]) <= budget_bps) return ladder.steps[i];
  }
  return LayerTarget{};
}

}  // namespace

uint64_t RequiredBitrate(const TrackDemand& track, const LayerTarget& target) {
  if (track.current.spatial < 0 || target.spatial <= track.current.spatial) {
    return target.bitrate_bps;
  }
  // Divided first so that no bitrate can overflow; the remainder keeps it exact.
  return target.bitrate_bps / 100 * kUpgradeHysteresisPercent +
         target.bitrate_bps % 100 * kUpgradeHysteresisPercent / 100;
}

std::vector<TrackAllocation> AllocateStreams(std::span<const TrackDemand> tracks,
                                             uint64_t budget_bps) {
  std::vector<TrackAllocation> result(tracks.size());
  uint64_t remaining = budget_bps;

  for (size_t i = 0; i < tracks.size(); ++i) {
    const TrackDemand& track = tracks[i];
    result[i].track_key = track.track_key;
    if (track.is_video || track.preference.paused) continue;
    // Audio is tiny and losing it breaks the conversation; it is never traded for video.
    const uint64_t bitrate = track.layers.empty() ? 0 : track.layers[0].bitrate_bps;
    result[i].target = LayerTarget{0, 0, bitrate};
    remaining = SaturatingSub(remaining, bitrate);
  }

  std::vector<size_t> order;
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (tracks[i].is_video) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tracks[a].priority > tracks[b].priority;
  });

  std::vector<LayerLadder> ladders;
  std::vector<int> step;  // index into the ladder, -1 = paused
  std::vector<size_t> fair;  // indices into `tracks`
  for (size_t i : order) {
    const TrackDemand& track = tracks[i];
    if (track.priority > 0) {
      result[i].target =
          BestFit(track, BuildLayerLadder(track.layers, track.preference), remaining);
      remaining = SaturatingSub(remaining, result[i].target.bitrate_bps);
      continue;
    }
    fair.push_back(i);
    ladders.push_back(BuildLayerLadder(track.layers, track.preference));
  }

  step.assign(fair.size(), -1);
  for (size_t k = 0; k < fair.size(); ++k) {
    if (ladders[k].size == 0) continue;
    const uint64_t lowest = ladders[k].steps[0].bitrate_bps;
    if (RequiredBitrate(tracks[fair[k]], ladders[k].steps[0]) > remaining) continue;
    step[k] = 0;
    remaining -= lowest;
  }
  for (bool upgraded = true; upgraded;) {
    upgraded = false;
    for (size_t k = 0; k < fair.size(); ++k) {
      if (step[k] < 0 || step[k] + 1 >= ladders[k].size) continue;
      const uint64_t now = ladders[k].steps[step[k]].bitrate_bps;
      const uint64_t next = ladders[k].steps[step[k] + 1].bitrate_bps;
      const uint64_t extra = SaturatingSub(next, now);
      const uint64_t required = RequiredBitrate(tracks[fair[k]], ladders[k].steps[step[k] + 1]);
      if (SaturatingSub(required, now) > remaining) continue;
      // A step may be cheaper (a higher spatial layer at a lower frame rate); credit it back.
      remaining = remaining - extra + SaturatingSub(now, next);
      ++step[k];
      upgraded = true;
    }
  }
  for (size_t k = 0; k < fair.size(); ++k) {
    if (step[k] >= 0) result[fair[k]].target = ladders[k].steps[step[k]];
  }
  return result;
}

}  // namespace switchyard::sfu
