#include "sfu/simulcast_forwarder.h"

#include <algorithm>

namespace switchyard::sfu {

void SimulcastForwarder::SetTarget(LayerTarget target) {
  target_spatial_ = std::min(target.spatial, kMaxSpatialLayers - 1);
  if (target_spatial_ < 0) {
    target_spatial_ = -1;
    current_spatial_ = -1;
    current_temporal_ = -1;
    return;
  }
  target_temporal_ = target.temporal < 0 ? kMaxTemporalLayers - 1
                                         : std::min(target.temporal, kMaxTemporalLayers - 1);
}

void SimulcastForwarder::SetLayerActive(int spatial, bool active) {
  if (spatial < 0 || spatial >= kMaxSpatialLayers) return;
  layer_active_[spatial] = active;
}

void SimulcastForwarder::Restart() {
  current_spatial_ = -1;
  current_temporal_ = -1;
}

bool SimulcastForwarder::CanSwitchTo(int spatial) const {
  if (target_spatial_ < 0 || spatial == current_spatial_) return false;
  if (spatial == target_spatial_ || spatial == desired_spatial()) return true;
  if (current_spatial_ < 0) {
    // Nothing flowing: only the target, unless the target itself is dead.
    return spatial < target_spatial_ && !layer_active_[target_spatial_];
  }
  // A downswitch may land early on any layer between target and current: already cheaper.
  if (spatial > target_spatial_) return spatial < current_spatial_;
  // Below the target only to get off a dead layer: waiting on it would freeze the video.
  return !layer_active_[current_spatial_];
}

int SimulcastForwarder::desired_spatial() const {
  for (int s = target_spatial_; s >= 0; --s) {
    if (layer_active_[s]) return s;
  }
  return -1;
}

SimulcastForwarder::Decision SimulcastForwarder::OnPacket(int spatial, bool keyframe_start,
                                                          int temporal_id, bool layer_sync,
                                                          bool end_of_frame) {
  Decision d;
  if (spatial < 0 || spatial >= kMaxSpatialLayers) return d;
  const bool frame_start = keyframe_start || at_frame_boundary_[spatial];
  at_frame_boundary_[spatial] = end_of_frame;

  if (keyframe_start && CanSwitchTo(spatial)) {
    d.switched = true;
    d.previous_frame_incomplete = !last_forwarded_end_of_frame_;
    current_spatial_ = spatial;
  }
  if (switch_pending()) {
    d.request_keyframe = true;
    d.keyframe_spatial = desired_spatial();
  }
  if (spatial != current_spatial_) return d;

  if (frame_start) {
    if (keyframe_start) {
      current_temporal_ = target_temporal_;  // a keyframe references nothing
    } else if (target_temporal_ < current_temporal_) {
      current_temporal_ = target_temporal_;
    } else if (target_temporal_ > current_temporal_ && layer_sync &&
               temporal_id == current_temporal_ + 1) {
      current_temporal_ = temporal_id;
    }
  }
  if (temporal_id > current_temporal_) {
    d.drop_from_current = true;
    return d;
  }
  d.forward = true;
  last_forwarded_end_of_frame_ = end_of_frame;
  return d;
}

}  // namespace switchyard::sfu
