#ifndef SWITCHYARD_API_SIGNALING_CODEC_H_
#define SWITCHYARD_API_SIGNALING_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "api/proto/signaling.pb.h"
#include "sfu/layer_selector.h"

namespace switchyard::api {

// The schema's messages (package switchyard.v1) under the names the api layer uses.
using v1::ClientMessage;
using v1::ParticipantInfo;
using v1::ServerMessage;
using v1::TrackInfo;
using v1::UpdateSubscription;

// Largest signaling message accepted: an SDP is capped at 256 KiB by the parser; JSON escaping
// can grow it a little.
inline constexpr size_t kMaxSignalingMessageSize = 320 * 1024;

// Decodes one client message (protobuf canonical JSON). Errors name what was wrong.
absl::StatusOr<ClientMessage> DecodeClientMessage(const std::string& json);
// Canonical JSON with default values printed. Broadcasts (active speakers every 100 ms, joins,
// mutes, room updates) reach every session of a room back to back on the control thread, so
// the last encoding is remembered per thread and reused when the next message is the same
// (compared by its binary serialization, ~20x cheaper than printing JSON).
std::string EncodeServerMessage(const ServerMessage& message);
// Room names: 1-64 of [A-Za-z0-9._-]. Display names: 1-64 bytes of valid UTF-8 without control
// characters.
absl::Status ValidateRoomName(const std::string& room);
// The subscriber's wishes for one track, checked: layers within range, sizes at most 16384.
absl::StatusOr<sfu::LayerPreference> ToLayerPreference(const UpdateSubscription& update);
absl::Status ValidateDisplayName(const std::string& name);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SIGNALING_CODEC_H_
