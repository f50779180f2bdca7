#ifndef SWITCHYARD_SFU_SIMULCAST_FORWARDER_H_
#define SWITCHYARD_SFU_SIMULCAST_FORWARDER_H_

#include <array>
#include <cstdint>

#include "sfu/layer_selector.h"

namespace switchyard::sfu {

// Per subscriber and video producer: decides which packets of which simulcast layer reach
// the subscriber so that its decoder sees one continuous, always-decodable stream. Pure logic,
// allocation-free, one call per packet of every layer of the producer.
//
// Spatial (simulcast layers are independent encodings, so a switch must land on a keyframe):
//  - Only the current layer is forwarded. A switch to another layer happens at the first
//    packet of a keyframe of the target layer. A downswitch may also land on a keyframe of
//    any layer between target and current (it is already cheaper). Until then the current
//    layer keeps flowing, so a pending switch never leaves a hole.
//  - When the current layer goes inactive (SetLayerActive), a keyframe of any layer up to the
//    target is taken, since waiting on a dead layer would freeze the video.
//  - From paused / nothing forwarded yet: start at the first keyframe of the target.
//  - While forwarding is not on the desired layer (the target, or the best active layer below
//    an inactive target), every decision carries request_keyframe for keyframe_spatial; the
//    caller dedupes per publisher stream (sfu/keyframe_requester.h).
// Temporal (VP8 temporal layers; packets without one pass temporal_id 0):
//  - Packets with temporal_id <= the current temporal layer are forwarded; the others are
//    dropped and reported as drop_from_current so sequence numbers and picture ids close up.
//  - Down: at the next frame boundary (a frame is never cut in half).
//  - Up: one layer at a time, at a frame of that layer with the layer-sync bit (Y, RFC 7741
//    §4.2: it references only TL0, which the subscriber has), or at once on a keyframe.
//    Jumping several layers on one Y frame is unsafe: the skipped layer's later frames may
//    reference earlier frames of that layer the subscriber never got.
// Frame boundaries are derived from the end_of_frame of the previous packet of the same
// layer (or a keyframe start).
class SimulcastForwarder {
 public:
  struct Decision {
    bool forward = false;
    // This packet is the first of a new layer: call RtpSequenceRewriter::SwitchSource and
    // pass switched_source to Vp8Rewriter.
    bool switched = false;
    // With `switched`: the last forwarded packet did not end its frame. Leave a sequence gap
    // (SwitchSource's previous_frame_incomplete) so the receiver discards that frame.
    bool previous_frame_incomplete = false;
    // A packet of the forwarded layer filtered out by temporal scaling: call
    // RtpSequenceRewriter::Drop and Vp8Rewriter's drop path so no gap appears.
    bool drop_from_current = false;
    bool request_keyframe = false;
    int keyframe_spatial = -1;  // the layer to ask a keyframe of, with request_keyframe
    bool operator==(const Decision&) const = default;
  };

  // From the allocator. spatial -1 pauses at once. A negative temporal means all layers.
  void SetTarget(LayerTarget target);
  // The producer's view of a layer (LayerInfo::active); all layers start active.
  void SetLayerActive(int spatial, bool active);
  // Forget the current layer (e.g. the subscriber's transport was unusable and packets were
  // lost): forwarding resumes at the next keyframe of the target.
  void Restart();

  // `spatial`: the packet's layer; `keyframe_start`: first packet of a keyframe;
  // `temporal_id`/`layer_sync`: VP8 TID and Y (0/false when absent); `end_of_frame`: the RTP
  // marker bit. Out-of-range `spatial` is ignored (not forwarded).
  Decision OnPacket(int spatial, bool keyframe_start, int temporal_id, bool layer_sync,
                    bool end_of_frame);

  int current_spatial() const { return current_spatial_; }
  int target_spatial() const { return target_spatial_; }
  int current_temporal() const { return current_temporal_; }
  int target_temporal() const { return target_temporal_; }
  // The layer forwarding should end up on: the target, or the highest active layer below it
  // when the target is inactive; -1 when paused or nothing up to the target is active.
  int desired_spatial() const;
  // Forwarding is not (yet) on the desired layer: keyframes are being requested.
  bool switch_pending() const {
    const int desired = desired_spatial();
    return desired >= 0 && current_spatial_ != desired;
  }

 private:
  bool CanSwitchTo(int spatial) const;

  int target_spatial_ = -1;
  int target_temporal_ = kMaxTemporalLayers - 1;
  int current_spatial_ = -1;
  int current_temporal_ = -1;
  bool last_forwarded_end_of_frame_ = true;
  std::array<bool, kMaxSpatialLayers> layer_active_{true, true, true};
  std::array<bool, kMaxSpatialLayers> at_frame_boundary_{true, true, true};
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_SIMULCAST_FORWARDER_H_
