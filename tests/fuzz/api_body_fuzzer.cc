// Fuzzes the room API's body decoding: every request body that reaches /v1/... or /twirp/...
// (JSON or binary protobuf, any of the service's request types) goes through DecodeBody, and
// its errors through the Twirp error encoder. The first byte picks the message type and the
// format; the rest is the body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/api_codec.h"
#include "api/proto/room_service.pb.h"

namespace {

std::unique_ptr<google::protobuf::Message> NewMessage(uint8_t selector) {
  using namespace switchyard::v1;
  switch (selector % 12) {
    case 0: return std::make_unique<CreateRoomRequest>();
    case 1: return std::make_unique<ListRoomsRequest>();
    case 2: return std::make_unique<GetRoomRequest>();
    case 3: return std::make_unique<DeleteRoomRequest>();
    case 4: return std::make_unique<UpdateRoomRequest>();
    case 5: return std::make_unique<ListParticipantsRequest>();
    case 6: return std::make_unique<ParticipantRequest>();
    case 7: return std::make_unique<UpdateParticipantRequest>();
    case 8: return std::make_unique<MutePublishedTrackRequest>();
    case 9: return std::make_unique<UpdateSubscriptionsRequest>();
    case 10: return std::make_unique<SendDataRequest>();
    default: return std::make_unique<ListRoomsResponse>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::api;
  if (size < 1 || size > 64 * 1024) return 0;
  const uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const BodyFormat format = (selector & 0x80) ? BodyFormat::kProtobuf : BodyFormat::kJson;
  auto message = NewMessage(selector & 0x7F);
  const absl::Status status = DecodeBody(body, format, *message);
  if (!status.ok()) {
    const ApiError error = ErrorFromStatus(status);
    if (error.http_status != 400) __builtin_trap();  // decoding only ever fails as bad input
    (void)EncodeError(error);
    return 0;
  }
  // What decoded re-encodes, and the binary encoding round-trips exactly.
  const std::string json = EncodeBody(*message, BodyFormat::kJson);
  const std::string binary = EncodeBody(*message, BodyFormat::kProtobuf);
  auto again = NewMessage(selector & 0x7F);
  if (!DecodeBody(binary, BodyFormat::kProtobuf, *again).ok()) __builtin_trap();
  if (again->SerializeAsString() != binary) __builtin_trap();
  (void)PercentDecode(body, (selector & 1) != 0);
  (void)JsonQuote(body);
  (void)json;
  return 0;
}
