#ifndef SWITCHYARD_SFU_BANDWIDTH_USAGE_H_
#define SWITCHYARD_SFU_BANDWIDTH_USAGE_H_

namespace switchyard::sfu {

// The overuse detector's verdict on the bottleneck queue (draft-ietf-rmcat-gcc-02 section 5.4):
// growing (overusing), draining (underusing) or stable (normal).
enum class BandwidthUsage { kNormal, kUnderusing, kOverusing };

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_BANDWIDTH_USAGE_H_
