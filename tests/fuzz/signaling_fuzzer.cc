// Fuzzes the signaling WebSocket's message decoder and the join validators: every text frame a
// browser (or anyone reaching /ws) sends goes through these first.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/signaling_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > switchyard::api::kMaxSignalingMessageSize) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto message = switchyard::api::DecodeClientMessage(text);
  if (message.ok() && message->has_join()) {
    (void)switchyard::api::ValidateRoomName(message->join().room());
    (void)switchyard::api::ValidateDisplayName(message->join().name());
  }
  (void)switchyard::api::ValidateDisplayName(text);
  (void)switchyard::api::ValidateRoomName(text);
  return 0;
}
