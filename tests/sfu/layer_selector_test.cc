#include "sfu/layer_selector.h"

#include <gtest/gtest.h>

#include <vector>

namespace switchyard::sfu {
namespace {

LayerInfo Layer(uint64_t bps, int width, int height, std::vector<uint64_t> temporal = {}) {
  LayerInfo info;
  info.active = true;
  info.bitrate_bps = bps;
  info.width = width;
  info.height = height;
  for (size_t t = 0; t < temporal.size(); ++t) info.temporal_bitrate_bps[t] = temporal[t];
  info.temporal_layers = temporal.empty() ? 1 : static_cast<int>(temporal.size());
  return info;
}

// Chrome's usual three-layer simulcast for a 720p camera.
std::vector<LayerInfo> ThreeLayers() {
  return {Layer(150'000, 320, 180), Layer(500'000, 640, 360), Layer(1'500'000, 1280, 720)};
}

struct Case {
  const char* name;
  std::vector<LayerInfo> layers;
  LayerPreference preference;
  uint64_t budget;
  bool overshoot;
  LayerTarget want;
};

TEST(LayerSelectorTest, SelectsBestFittingAllowedLayer) {
  std::vector<LayerInfo> top_inactive = ThreeLayers();
  top_inactive[2].active = false;
  std::vector<LayerInfo> none_active = ThreeLayers();
  for (LayerInfo& l : none_active) l.active = false;
  const std::vector<LayerInfo> temporal = {
      Layer(150'000, 320, 180, {60'000, 100'000, 150'000}),
      Layer(500'000, 640, 360, {200'000, 350'000, 500'000})};

  const Case cases[] = {
      {"big budget: top", ThreeLayers(), {}, 10'000'000, false, {2, 3, 1'500'000}},
      {"exact fit", ThreeLayers(), {}, 500'000, false, {1, 3, 500'000}},
      {"just under the middle", ThreeLayers(), {}, 499'999, false, {0, 3, 150'000}},
      {"nothing fits", ThreeLayers(), {}, 100'000, false, {}},
      {"nothing fits, overshoot", ThreeLayers(), {}, 100'000, true, {0, 3, 150'000}},
      {"max_spatial caps", ThreeLayers(), {.max_spatial = 1}, 10'000'000, false,
       {1, 3, 500'000}},
      {"paused", ThreeLayers(), {.paused = true}, 10'000'000, true, {}},
      {"inactive layer skipped", top_inactive, {}, 10'000'000, false, {1, 3, 500'000}},
      {"no active layer", none_active, {}, 10'000'000, true, {}},
      // Element size: the smallest layer covering it, never a bigger one.
      {"element 320x180", ThreeLayers(), {.max_width = 320, .max_height = 180}, 10'000'000,
       false, {0, 3, 150'000}},
      {"element 400x200", ThreeLayers(), {.max_width = 400, .max_height = 200}, 10'000'000,
       false, {1, 3, 500'000}},
      {"element bigger than all", ThreeLayers(), {.max_width = 1920, .max_height = 1080},
       10'000'000, false, {2, 3, 1'500'000}},
      {"element width only", ThreeLayers(), {.max_width = 600}, 10'000'000, false,
       {1, 3, 500'000}},
      // Temporal layers: cumulative bitrates give finer steps.
      {"temporal: middle TL1", temporal, {}, 400'000, false, {1, 1, 350'000}},
      {"temporal: low TL2 beats nothing", temporal, {}, 199'999, false, {0, 2, 150'000}},
      {"temporal: max_temporal caps", temporal, {.max_temporal = 0}, 10'000'000, false,
       {1, 0, 200'000}},
      {"temporal: overshoot takes lowest", temporal, {}, 1'000, true, {0, 0, 60'000}},
      // Per-temporal rates unknown: the whole layer with every allowed temporal layer.
      {"unknown temporal rates honour max_temporal", ThreeLayers(), {.max_temporal = 1},
       10'000'000, false, {2, 1, 1'500'000}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SelectLayer(c.layers, c.preference, c.budget, c.overshoot), c.want) << c.name;
  }
}

TEST(LayerSelectorTest, LadderOrdersSpatialThenTemporal) {
  const std::vector<LayerInfo> layers = {Layer(150'000, 320, 180, {60'000, 150'000}),
                                         Layer(500'000, 640, 360, {300'000, 500'000})};
  const LayerLadder ladder = BuildLayerLadder(layers, {});
  const std::vector<LayerTarget> want = {
      {0, 0, 60'000}, {0, 1, 150'000}, {1, 0, 300'000}, {1, 1, 500'000}};
  ASSERT_EQ(ladder.size, 4);
  for (int i = 0; i < ladder.size; ++i) EXPECT_EQ(ladder.steps[i], want[i]) << i;
}

TEST(LayerSelectorTest, EmptyLayersSelectNothing) {
  EXPECT_EQ(SelectLayer({}, {}, 1'000'000, true), LayerTarget{});
  EXPECT_EQ(BuildLayerLadder({}, {}).size, 0);
}

}  // namespace
}  // namespace switchyard::sfu
