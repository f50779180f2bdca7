#ifndef SWITCHYARD_SFU_STREAM_ALLOCATOR_H_
#define SWITCHYARD_SFU_STREAM_ALLOCATOR_H_

#include <cstdint>
#include <span>
#include <vector>

#include "sfu/layer_selector.h"

namespace switchyard::sfu {

// One of a subscriber's tracks competing for its downlink estimate.
struct TrackDemand {
  uint64_t track_key = 0;
  int priority = 0;  // higher first: 2 pinned, 1 active speaker, 0 normal
  std::span<const LayerInfo> layers;  // audio: one layer
  LayerPreference preference;
  bool is_video = true;
  // What the track is allocated now (spatial -1: nothing yet, or paused). Moving UP to a
  // higher spatial layer than this needs the layer's bitrate × kUpgradeHysteresis to fit;
  // staying needs only ×1. Otherwise an estimate hovering near a layer's bitrate flips
  // between layers, and every flip costs a keyframe.
  LayerTarget current;
};

// Percent of a higher spatial layer's bitrate the budget must cover to move up to it.
constexpr uint64_t kUpgradeHysteresisPercent = 115;

// What the budget must cover for `track` to be given `target`: its bitrate, × the hysteresis
// margin when `target` is a higher spatial layer than `track.current`. Probing should aim at
// this, not at the bare bitrate, or the estimate may settle where no up-switch happens.
uint64_t RequiredBitrate(const TrackDemand& track, const LayerTarget& target);

struct TrackAllocation {
  uint64_t track_key = 0;
  LayerTarget target;
  bool operator==(const TrackAllocation&) const = default;
};

// Splits `budget_bps` (the subscriber's downlink estimate) across its tracks. Control path:
// runs on estimate changes and every ~500 ms; allocates.
//
// 1. Audio first: never paused for bandwidth (an explicit `preference.paused` is honoured);
//    its layer-0 bitrate is reserved, even past the budget. Audio target: {0, 0, bitrate}.
// 2. Video with priority > 0, highest priority first: each gets the best layer that fits what
//    is left, or is paused when even its lowest does not fit.
// 3. Priority-0 video shares the rest fairly: every track gets its lowest layer while that
//    fits (a track whose lowest layer does not fit is paused, so the others can still play
//    instead of everyone starving into freezes), then tracks are upgraded round-robin one
//    ladder step at a time while the step fits.
// Every "fits" above applies the hysteresis of TrackDemand::current to steps that would
// raise the spatial layer.
// Ties keep input order (the caller may sort by, e.g., time since last spoken). The result
// has one entry per input track, in input order.
std::vector<TrackAllocation> AllocateStreams(std::span<const TrackDemand> tracks,
                                             uint64_t budget_bps);

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_STREAM_ALLOCATOR_H_
