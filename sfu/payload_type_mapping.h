#ifndef SWITCHYARD_SFU_PAYLOAD_TYPE_MAPPING_H_
#define SWITCHYARD_SFU_PAYLOAD_TYPE_MAPPING_H_

#include <vector>

#include "rtc/media_kind.h"
#include "rtc/session_description.h"
#include "sfu/consumer.h"

namespace switchyard::sfu {

// Codec matching between a publisher's negotiated codecs and a subscriber that numbered its
// own payload types (a WHEP viewer's offer). The SFU never transcodes, so "matching" means the
// same bitstream format: same codec family, clock rate and channels, and for the formats whose
// fmtp changes the bitstream the same H.264 profile and packetization-mode (RFC 6184 §8.2.2;
// the level may differ), VP9 profile-id (RFC 9628 §6) or AV1 profile. RTX never matches here.
bool CodecsMatch(const rtc::Codec& publisher, const rtc::Codec& subscriber, rtc::MediaKind kind);

// The subset of `offered` (the subscriber's codecs, in its order and numbering) that matches
// one of `published`, plus the offered RTX (RFC 4588) whose apt names a kept codec.
std::vector<rtc::Codec> CodecsMatchingPublisher(const std::vector<rtc::Codec>& offered,
                                                const std::vector<rtc::Codec>& published,
                                                rtc::MediaKind kind);

// Publisher payload type -> subscriber payload type (and the subscriber's RTX for it) for
// every published codec with a match among `negotiated`. With `use_rtx` false no RTX mapping
// is made. The result is enabled; a map without any media entry means nothing can be
// forwarded (check HasAnyMedia).
PayloadTypeMap MapPayloadTypes(const std::vector<rtc::Codec>& published,
                               const std::vector<rtc::Codec>& negotiated, rtc::MediaKind kind,
                               bool use_rtx);
bool HasAnyMedia(const PayloadTypeMap& map);

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_PAYLOAD_TYPE_MAPPING_H_
