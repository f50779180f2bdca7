#ifndef SWITCHYARD_SFU_LAYER_SELECTOR_H_
#define SWITCHYARD_SFU_LAYER_SELECTOR_H_

#include <array>
#include <cstdint>
#include <span>

namespace switchyard::sfu {

constexpr int kMaxSpatialLayers = 3;
constexpr int kMaxTemporalLayers = 4;

// One simulcast encoding as measured by the producer; index 0 = lowest quality.
struct LayerInfo {
  bool active = false;       // packets seen within the last second
  uint64_t bitrate_bps = 0;  // measured, all temporal layers
  // Cumulative bitrate up to and including temporal layer t. All zero when unknown: then
  // `bitrate_bps` is the only option for this layer.
  std::array<uint64_t, kMaxTemporalLayers> temporal_bitrate_bps{};
  int temporal_layers = 1;  // number of temporal layers seen (1 if none/unknown)
  int width = 0, height = 0;  // from the last keyframe, 0 if unknown
};

// What the subscriber asked for.
struct LayerPreference {
  int max_spatial = kMaxSpatialLayers - 1;
  int max_temporal = kMaxTemporalLayers - 1;
  // Size of the element showing the video, in device pixels; 0 = no limit.
  int max_width = 0, max_height = 0;
  bool paused = false;
};

struct LayerTarget {
  int spatial = -1;  // -1 = send nothing (paused)
  int temporal = -1;
  uint64_t bitrate_bps = 0;
  bool operator==(const LayerTarget&) const = default;
};

// Every (spatial, temporal) choice a preference allows, from lowest to highest quality
// (spatial first, then temporal, as LiveKit orders them). Fixed size: no allocation.
struct LayerLadder {
  std::array<LayerTarget, kMaxSpatialLayers * kMaxTemporalLayers> steps{};
  int size = 0;
  std::span<const LayerTarget> view() const { return {steps.data(), static_cast<size_t>(size)}; }
};

// Builds the ladder: only active layers, capped by `max_spatial`/`max_temporal` and by the
// element size. Resolution cap: the smallest layer whose known size covers the element
// (width >= max_width and height >= max_height) is the highest allowed, never a bigger one;
// when no layer covers it, all are allowed. Empty when paused or nothing is active.
LayerLadder BuildLayerLadder(std::span<const LayerInfo> layers, const LayerPreference& preference);

// The best layer allowed by the preference that fits `budget_bps`; the lowest allowed active
// layer if nothing fits but `allow_overshoot`; spatial -1 if no layer is active, the
// preference is paused, or nothing fits without overshoot.
LayerTarget SelectLayer(std::span<const LayerInfo> layers, const LayerPreference& preference,
                        uint64_t budget_bps, bool allow_overshoot);

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_LAYER_SELECTOR_H_
