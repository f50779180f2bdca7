#include "sfu/simulcast_forwarder.h"

#include <gtest/gtest.h>

#include <vector>

#include "rtc/vp8_payload_descriptor.h"
#include "sfu/rtp_sequence_rewriter.h"
#include "sfu/vp8_rewriter.h"

namespace switchyard::sfu {
namespace {

enum class Op { kPacket, kTarget, kInactive, kActive, kRestart };

// A packet (with the decision expected for it) or a control call. For kTarget, `spatial` and
// `tid` are the target; for kInactive/kActive, `spatial` is the layer.
struct Step {
  Op op = Op::kPacket;
  int spatial = 0;
  bool key = false;
  int tid = 0;
  bool sync = false;
  bool eof = true;
  // Expected decision.
  bool fwd = false;
  bool switched = false;
  bool incomplete = false;
  bool drop = false;
  int kf = -1;  // layer a keyframe is requested for, -1 = none
  // Expected state after the step; -2 = not checked.
  int current = -2;
  int temporal = -2;
};

Step Target(int spatial, int temporal = kMaxTemporalLayers - 1) {
  return Step{.op = Op::kTarget, .spatial = spatial, .tid = temporal};
}
Step Inactive(int spatial) { return Step{.op = Op::kInactive, .spatial = spatial}; }
Step Active(int spatial) { return Step{.op = Op::kActive, .spatial = spatial}; }

void RunSteps(const std::vector<Step>& steps) {
  SimulcastForwarder f;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    switch (s.op) {
      case Op::kTarget:
        f.SetTarget(LayerTarget{s.spatial, s.tid, 0});
        continue;
      case Op::kInactive:
        f.SetLayerActive(s.spatial, false);
        continue;
      case Op::kActive:
        f.SetLayerActive(s.spatial, true);
        continue;
      case Op::kRestart:
        f.Restart();
        continue;
      case Op::kPacket:
        break;
    }
    const SimulcastForwarder::Decision want{s.fwd,         s.switched, s.incomplete, s.drop,
                                            s.kf >= 0,     s.kf};
    const SimulcastForwarder::Decision got = f.OnPacket(s.spatial, s.key, s.tid, s.sync, s.eof);
    EXPECT_EQ(got.forward, want.forward) << "step " << i;
    EXPECT_EQ(got.switched, want.switched) << "step " << i;
    EXPECT_EQ(got.previous_frame_incomplete, want.previous_frame_incomplete) << "step " << i;
    EXPECT_EQ(got.drop_from_current, want.drop_from_current) << "step " << i;
    EXPECT_EQ(got.request_keyframe, want.request_keyframe) << "step " << i;
    EXPECT_EQ(got.keyframe_spatial, want.keyframe_spatial) << "step " << i;
    if (s.current != -2) {
      EXPECT_EQ(f.current_spatial(), s.current) << "step " << i;
    }
    if (s.temporal != -2) {
      EXPECT_EQ(f.current_temporal(), s.temporal) << "step " << i;
    }
  }
}

TEST(SimulcastForwarderTest, StartsAtKeyframeAndSwitchesUpOnlyOnTargetKeyframe) {
  RunSteps({
      Target(0),
      {.spatial = 0, .kf = 0, .current = -1},           // delta: cannot start here
      {.spatial = 1, .key = true, .kf = 0},             // keyframe of another layer
      {.spatial = 0, .key = true, .fwd = true, .switched = true, .current = 0},
      {.spatial = 0, .fwd = true},
      Target(2),
      // The old layer keeps flowing while the target's keyframe is awaited.
      {.spatial = 0, .eof = false, .fwd = true, .kf = 2},
      {.spatial = 2, .kf = 2},
      {.spatial = 1, .key = true, .kf = 2, .current = 0},  // up lands only on the target
      // Cut mid-frame of layer 0: flagged so the rewriter leaves a gap.
      {.spatial = 2, .key = true, .eof = false, .fwd = true, .switched = true,
       .incomplete = true, .current = 2},
      {.spatial = 0},  // the old layer is no longer forwarded
      {.spatial = 2, .fwd = true},
      {.spatial = 2, .fwd = true},
  });
}

TEST(SimulcastForwarderTest, SwitchesDownOnFirstKeyframeAtOrBelowCurrent) {
  RunSteps({
      Target(2),
      {.spatial = 2, .key = true, .fwd = true, .switched = true, .current = 2},
      Target(0),
      {.spatial = 2, .fwd = true, .kf = 0},
      // A keyframe between target and current is already a step down: taken at once.
      {.spatial = 1, .key = true, .fwd = true, .switched = true, .kf = 0, .current = 1},
      {.spatial = 2, .key = true, .kf = 0},  // never back up past the target
      {.spatial = 1, .fwd = true, .kf = 0},
      {.spatial = 0, .key = true, .fwd = true, .switched = true, .current = 0},
      {.spatial = 1, .key = true},
      {.spatial = 0, .fwd = true},
  });
}

TEST(SimulcastForwarderTest, LeavesInactiveLayerAtAnyKeyframeUpToTarget) {
  RunSteps({
      Target(1),
      {.spatial = 1, .key = true, .fwd = true, .switched = true, .current = 1},
      Inactive(1),
      {.spatial = 0, .kf = 0},  // ask the best live layer for a keyframe
      {.spatial = 0, .key = true, .fwd = true, .switched = true, .current = 0},
      {.spatial = 0, .fwd = true},  // on the best live layer: no more requests
      Active(1),
      {.spatial = 0, .fwd = true, .kf = 1},
      {.spatial = 1, .key = true, .fwd = true, .switched = true, .current = 1},
  });
}

TEST(SimulcastForwarderTest, InactiveTargetFromNothingStartsOnLowerLayer) {
  RunSteps({
      Inactive(2),
      Target(2),
      {.spatial = 1, .kf = 1},
      {.spatial = 1, .key = true, .fwd = true, .switched = true, .current = 1},
  });
}

TEST(SimulcastForwarderTest, PauseStopsAtOnceAndResumeWaitsForKeyframe) {
  RunSteps({
      Target(0),
      {.spatial = 0, .key = true, .fwd = true, .switched = true},
      {.spatial = 0, .eof = false, .fwd = true},
      Target(-1),
      {.spatial = 0, .eof = false, .current = -1},
      {.spatial = 0, .key = true},  // paused: not even keyframes
      Target(0),
      {.spatial = 0, .kf = 0},
      {.spatial = 0, .key = true, .fwd = true, .switched = true, .incomplete = true,
       .current = 0},
      {.op = Op::kRestart},
      {.spatial = 0, .kf = 0, .current = -1},
      {.spatial = 0, .key = true, .fwd = true, .switched = true},
  });
}

TEST(SimulcastForwarderTest, TemporalDownAtFrameEndUpOnlyAtLayerSync) {
  RunSteps({
      Target(0, 2),
      {.spatial = 0, .key = true, .fwd = true, .switched = true, .temporal = 2},
      {.spatial = 0, .tid = 2, .eof = false, .fwd = true},
      Target(0, 0),
      {.spatial = 0, .tid = 2, .fwd = true, .temporal = 2},  // finish the frame
      {.spatial = 0, .tid = 1, .drop = true, .temporal = 0},
      {.spatial = 0, .tid = 0, .fwd = true},
      {.spatial = 0, .tid = 2, .eof = false, .drop = true},
      {.spatial = 0, .tid = 2, .drop = true},  // whole frame dropped
      Target(0, 2),
      {.spatial = 0, .tid = 2, .sync = true, .drop = true, .temporal = 0},  // TL1 first
      {.spatial = 0, .tid = 1, .drop = true, .temporal = 0},  // no Y: may need a lost TL1
      {.spatial = 0, .tid = 1, .sync = true, .eof = false, .fwd = true, .temporal = 1},
      {.spatial = 0, .tid = 1, .sync = true, .fwd = true, .temporal = 1},
      {.spatial = 0, .tid = 2, .drop = true, .temporal = 1},
      {.spatial = 0, .tid = 2, .sync = true, .fwd = true, .temporal = 2},
      {.spatial = 0, .tid = 1, .fwd = true},
      Target(0, 0),
      {.spatial = 0, .tid = 0, .fwd = true, .temporal = 0},
      Target(0, 2),
      // A keyframe makes every temporal layer decodable at once.
      {.spatial = 0, .key = true, .fwd = true, .temporal = 2},
      {.spatial = 0, .tid = 2, .fwd = true},
  });
}

TEST(SimulcastForwarderTest, IgnoresOutOfRangeLayers) {
  RunSteps({
      Target(0),
      {.spatial = 0, .key = true, .fwd = true, .switched = true},
      {.spatial = -1, .key = true},
      {.spatial = kMaxSpatialLayers, .key = true},
      {.spatial = 0, .fwd = true, .current = 0},
  });
}


// The pieces wired as a consumer wires them, on a synthetic three-layer VP8 simulcast stream
// (three packets per frame, layers interleaved packet by packet, temporal pattern 0-2-1-2,
// staggered keyframes), through target changes and a pause. What the subscriber receives
// must be one glitch-free stream.
TEST(SimulcastForwarderTest, PipelineOutputIsOneContinuousStream) {
  constexpr int kFrames = 160;
  constexpr int kPacketsPerFrame = 3;
  const uint16_t seq_base[kMaxSpatialLayers] = {65000, 100, 30000};  // layer 0 wraps
  const uint32_t ts_base[kMaxSpatialLayers] = {4'294'000'000u, 7, 1'000'000};
  const uint16_t pid_base[kMaxSpatialLayers] = {32700, 5, 1000};  // layer 0 wraps
  const uint8_t tl0_base[kMaxSpatialLayers] = {250, 0, 128};
  constexpr uint64_t kNtp = uint64_t{3'900'000'000} << 32;
  struct Change {
    int frame;
    LayerTarget target;
  };
  const Change changes[] = {{0, {0, 2, 0}},  {20, {2, 2, 0}}, {50, {1, 0, 0}},
                            {66, {1, 2, 0}}, {70, {0, 2, 0}}, {90, {-1, -1, 0}},
                            {95, {2, 1, 0}}, {130, {0, 0, 0}}};

  SimulcastForwarder forwarder;
  RtpSequenceRewriter rewriter(500, 90'000);
  Vp8Rewriter vp8;
  int source_layer = -1;
  int switches = 0;
  int incomplete_switches = 0;
  int dropped = 0;
  int layers_seen_mask = 0;
  std::optional<uint16_t> prev_seq;
  std::optional<uint32_t> prev_ts;
  std::optional<uint16_t> prev_pid;
  std::optional<uint8_t> last_tl0;
  uint32_t out_ts_base = 0;
  size_t next_change = 0;
  for (int n = 0; n < kFrames; ++n) {
    if (next_change < std::size(changes) && changes[next_change].frame == n) {
      forwarder.SetTarget(changes[next_change++].target);
    }
    const int tid = (n % 4 == 0) ? 0 : (n % 2 == 1 ? 2 : 1);
    const bool sync = tid > 0 && n % 8 < 4;
    for (int p = 0; p < kPacketsPerFrame; ++p) {
      for (int s = 0; s < kMaxSpatialLayers; ++s) {
        const bool key = p == 0 && n % 24 == 8 * s;
        const bool eof = p == kPacketsPerFrame - 1;
        const auto seq = static_cast<uint16_t>(seq_base[s] + n * kPacketsPerFrame + p);
        const uint32_t ts = ts_base[s] + 3000u * static_cast<uint32_t>(n);
        rtc::Vp8PayloadDescriptor d;
        d.extended = d.has_picture_id = d.picture_id_15bit = true;
        d.has_tl0_pic_idx = d.has_temporal_id = true;
        d.start_of_partition = p == 0;
        d.picture_id = static_cast<uint16_t>((pid_base[s] + n) & 0x7FFF);
        d.tl0_pic_idx = static_cast<uint8_t>(tl0_base[s] + n / 4);
        d.temporal_id = static_cast<uint8_t>(tid);
        d.layer_sync = sync;

        const SimulcastForwarder::Decision dec = forwarder.OnPacket(s, key, tid, sync, eof);
        SCOPED_TRACE(testing::Message() << "frame " << n << " layer " << s << " packet " << p);
        if (dec.drop_from_current) {
          ASSERT_EQ(s, source_layer);
          rewriter.Drop(seq);
          vp8.Drop(d);
          ++dropped;
        }
        if (!dec.forward) continue;
        if (dec.switched) {
          ASSERT_TRUE(key) << "a switch must land on a keyframe";
          if (rewriter.started()) {
            // Every layer's SR pairs the same NTP instant with its own base: one capture clock.
            TimestampAlignment align;
            align.new_timestamp = ts;
            align.new_sender_report = SenderReportTime{kNtp, ts_base[s]};
            align.old_sender_report = SenderReportTime{kNtp, ts_base[source_layer]};
            align.old_timestamp_offset = rewriter.timestamp_offset();
            align.last_output_timestamp = rewriter.last_output_timestamp();
            rewriter.SwitchSource(seq, ts, AlignTimestamp(align), dec.previous_frame_incomplete,
                                  s);
          } else {
            rewriter.SwitchSource(seq, ts, 0, false, s);
          }
          source_layer = s;
          ++switches;
          if (dec.previous_frame_incomplete) ++incomplete_switches;
          layers_seen_mask |= 1 << s;
        }
        ASSERT_EQ(s, source_layer);
        const auto out = rewriter.TryRewrite(seq, ts);
        ASSERT_TRUE(out);
        const Vp8Output v = vp8.Forward(d, dec.switched);
        if (!prev_seq) out_ts_base = out->timestamp - 3000u * static_cast<uint32_t>(n);

        if (prev_seq) {
          const int want_step = dec.switched && dec.previous_frame_incomplete ? 2 : 1;
          EXPECT_EQ(static_cast<uint16_t>(out->sequence_number - *prev_seq), want_step);
          EXPECT_GE(static_cast<int32_t>(out->timestamp - *prev_ts), 0) << "time went back";
        }
        // The capture instant survives every switch (up to +1 per switch from the
        // never-backwards clamp when a switch lands on a frame the old layer started).
        const auto drift =
            static_cast<int32_t>(out->timestamp - (out_ts_base + 3000u * static_cast<uint32_t>(n)));
        EXPECT_GE(drift, 0);
        EXPECT_LE(drift, switches);
        if (p == 0) {
          if (prev_pid) {
            EXPECT_EQ(v.picture_id, (*prev_pid + 1) & 0x7FFF) << "picture id gap";
          }
          if (tid == 0 && last_tl0) {
            EXPECT_EQ(v.tl0picidx, static_cast<uint8_t>(*last_tl0 + 1));
          }
        } else {
          EXPECT_EQ(v.picture_id, *prev_pid);
        }
        if (tid > 0) {
          EXPECT_EQ(v.tl0picidx, *last_tl0);
        }
        prev_seq = out->sequence_number;
        prev_ts = out->timestamp;
        prev_pid = v.picture_id;
        last_tl0 = v.tl0picidx;
        EXPECT_EQ(rewriter.InputFor(out->sequence_number), std::make_pair(seq, s));
      }
    }
  }
  EXPECT_EQ(layers_seen_mask, 0b111);
  EXPECT_EQ(switches, 6);  // start, up to 2, down to 1, down to 0, resume on 2, down to 0
  EXPECT_GE(incomplete_switches, 1);  // upswitches cut the lower layer's frame
  EXPECT_GT(dropped, 0);              // temporal filtering happened
  EXPECT_EQ(forwarder.current_spatial(), 0);
  EXPECT_EQ(forwarder.current_temporal(), 0);
}

}  // namespace
}  // namespace switchyard::sfu
