#include "sfu/layer_selector.h"

#include <algorithm>

namespace switchyard::sfu {

namespace {

bool Covers(const LayerInfo& layer, const LayerPreference& preference) {
  if (layer.width <= 0 || layer.height <= 0) return false;  // unknown size proves nothing
  return layer.width >= preference.max_width && layer.height >= preference.max_height;
}

}  // namespace

LayerLadder BuildLayerLadder(std::span<const LayerInfo> layers,
                             const LayerPreference& preference) {
  LayerLadder ladder;
  if (preference.paused || preference.max_spatial < 0 || preference.max_temporal < 0) {
    return ladder;
  }
  int max_spatial = std::min<int>({preference.max_spatial, kMaxSpatialLayers - 1,
                                   static_cast<int>(layers.size()) - 1});
  if (preference.max_width > 0 || preference.max_height > 0) {
    // Sending more pixels than the element shows only costs bandwidth and CPU on the
    // subscriber; the smallest covering layer looks the same once scaled.
    for (int s = 0; s <= max_spatial; ++s) {
      if (layers[s].active && Covers(layers[s], preference)) {
        max_spatial = s;
        break;
      }
    }
  }
  const int max_temporal = std::min(preference.max_temporal, kMaxTemporalLayers - 1);
  for (int s = 0; s <= max_spatial; ++s) {
    const LayerInfo& layer = layers[s];
    if (!layer.active) continue;
    const int seen = std::clamp(layer.temporal_layers, 1, kMaxTemporalLayers);
    bool any_temporal = false;
    for (int t = 0; t < seen && t <= max_temporal; ++t) {
      if (layer.temporal_bitrate_bps[t] == 0) continue;
      ladder.steps[ladder.size++] = LayerTarget{s, t, layer.temporal_bitrate_bps[t]};
      any_temporal = true;
    }
    if (!any_temporal) {
      // Per-temporal rates unknown: the whole layer, every temporal layer the preference
      // allows, is the only choice.
      ladder.steps[ladder.size++] = LayerTarget{s, max_temporal, layer.bitrate_bps};
    }
  }
  return ladder;
}

LayerTarget SelectLayer(std::span<const LayerInfo> layers, const LayerPreference& preference,
                        uint64_t budget_bps, bool allow_overshoot) {
  const LayerLadder ladder = BuildLayerLadder(layers, preference);
  for (int i = ladder.size - 1; i >= 0; --i) {
    if (ladder.steps[i].bitrate_bps <= budget_bps) return ladder.steps[i];
  }
  if (allow_overshoot && ladder.size > 0) return ladder.steps[0];
  return LayerTarget{};
}

}  // namespace switchyard::sfu
