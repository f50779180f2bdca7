#include "api/signaling_codec.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

namespace switchyard::api {

absl::StatusOr<ClientMessage> DecodeClientMessage(const std::string& json) {
  ClientMessage message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a ClientMessage: ", status.message().as_string()));
  }
  if (message.message_case() == ClientMessage::MESSAGE_NOT_SET) {
    return absl::InvalidArgumentError("empty ClientMessage");
  }
  return message;
}

std::string EncodeServerMessage(const ServerMessage& message) {
  struct Memo {
    std::string binary;
    std::string json;
  };
  thread_local Memo last;
  std::string binary;
  const bool keyed = message.SerializeToString(&binary);
  if (keyed && !last.binary.empty() && binary == last.binary) return last.json;
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  if (keyed) last = Memo{std::move(binary), out};
  return out;
}

absl::StatusOr<sfu::LayerPreference> ToLayerPreference(const UpdateSubscription& update) {
  if (update.track_id().empty()) return absl::InvalidArgumentError("track_id is required");
  if (update.width() > 16384 || update.height() > 16384) {
    return absl::InvalidArgumentError("width/height must be at most 16384");
  }
  sfu::LayerPreference preference;
  preference.max_width = static_cast<int>(update.width());
  preference.max_height = static_cast<int>(update.height());
  preference.paused = update.paused();
  if (update.has_max_spatial_layer()) {
    if (update.max_spatial_layer() < 0 || update.max_spatial_layer() >= sfu::kMaxSpatialLayers) {
      return absl::InvalidArgumentError("max_spatial_layer out of range");
    }
    preference.max_spatial = update.max_spatial_layer();
  }
  if (update.has_max_temporal_layer()) {
    if (update.max_temporal_layer() < 0 ||
        update.max_temporal_layer() >= sfu::kMaxTemporalLayers) {
      return absl::InvalidArgumentError("max_temporal_layer out of range");
    }
    preference.max_temporal = update.max_temporal_layer();
  }
  return preference;
}

absl::Status ValidateRoomName(const std::string& room) {
  if (room.empty() || room.size() > 64) {
    return absl::InvalidArgumentError("room must be 1-64 characters");
  }
  for (char c : room) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return absl::InvalidArgumentError("room may only contain A-Z a-z 0-9 . _ -");
  }
  return absl::OkStatus();
}

absl::Status ValidateDisplayName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("name must be 1-64 bytes");
  }
  // UTF-8 well-formedness (RFC 3629 §4) and no C0/DEL control characters.
  size_t i = 0;
  while (i < name.size()) {
    const auto c = static_cast<unsigned char>(name[i]);
    size_t extra = 0;
    if (c < 0x20 || c == 0x7F) return absl::InvalidArgumentError("name has control characters");
    if (c < 0x80) extra = 0;
    else if (c >= 0xC2 && c <= 0xDF) extra = 1;
    else if (c >= 0xE0 && c <= 0xEF) extra = 2;
    else if (c >= 0xF0 && c <= 0xF4) extra = 3;
    else return absl::InvalidArgumentError("name is not valid UTF-8");
    if (extra > 0 && i + extra >= name.size()) {
      return absl::InvalidArgumentError("name is not valid UTF-8");
    }
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(name[i + k]) & 0xC0) != 0x80) {
        return absl::InvalidArgumentError("name is not valid UTF-8");
      }
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF (RFC 3629 §4 table).
    const auto c1 = extra > 0 ? static_cast<unsigned char>(name[i + 1]) : 0;
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F)) {
      return absl::InvalidArgumentError("name is not valid UTF-8");
    }
    i += extra + 1;
  }
  return absl::OkStatus();
}

}  // namespace switchyard::api
