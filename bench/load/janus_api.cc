#include "bench/load/janus_api.h"

#include "bench/load/signaling_client.h"

#include <charconv>
#include <cmath>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"

namespace switchyard::bench {

namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Largest integer a double holds exactly; Janus's ids stay below it.
constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53

std::string Ids(const std::vector<uint64_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"feed\":" + std::to_string(ids[i]) + "}";
  }
  return out + "]";
}

const Value* Field(const Struct& object, const char* name) {
  const auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const Struct& object, const char* name) {
  const Value* v = Field(object, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

// Non-negative integral numbers below 2^53 only; anything else reads as 0.
uint64_t IdField(const Struct& object, const char* name) {
  const Value* v = Field(object, name);
  if (v == nullptr || v->kind_case() != Value::kNumberValue) return 0;
  const double d = v->number_value();
  if (!(d >= 0 && d < kMaxSafeInteger) || std::floor(d) != d) return 0;
  return static_cast<uint64_t>(d);
}

int IntField(const Struct& object, const char* name) {
  const Value* v = Field(object, name);
  if (v == nullptr || v->kind_case() != Value::kNumberValue) return 0;
  const double d = v->number_value();
  return std::isfinite(d) && std::abs(d) < 1e9 ? static_cast<int>(d) : 0;
}

const Struct* ObjectField(const Struct& object, const char* name) {
  const Value* v = Field(object, name);
  return v != nullptr && v->kind_case() == Value::kStructValue ? &v->struct_value() : nullptr;
}

// The ids of a list of objects ({"id": N, ...}); with `require_true`, only the entries whose
// field of that name is true.
std::vector<uint64_t> IdsOf(const Struct& object, const char* list,
                            const char* require_true = nullptr) {
  std::vector<uint64_t> out;
  const Value* v = Field(object, list);
  if (v == nullptr || v->kind_case() != Value::kListValue) return out;
  for (const Value& entry : v->list_value().values()) {
    if (entry.kind_case() != Value::kStructValue) continue;
    const Struct& e = entry.struct_value();
    if (require_true != nullptr) {
      const Value* flag = Field(e, require_true);
      if (flag == nullptr || flag->kind_case() != Value::kBoolValue || !flag->bool_value()) {
        continue;
      }
    }
    if (const uint64_t id = IdField(e, "id"); id != 0) out.push_back(id);
  }
  return out;
}

JanusMessage FromObject(const Struct& object) {
  JanusMessage m;
  m.janus = StringField(object, "janus");
  m.transaction = StringField(object, "transaction");
  m.session_id = IdField(object, "session_id");
  m.sender = IdField(object, "sender");
  m.reason = StringField(object, "reason");
  if (const Struct* data = ObjectField(object, "data")) m.data_id = IdField(*data, "id");
  if (const Struct* error = ObjectField(object, "error")) {
    m.error_code = IntField(*error, "code");
    m.error_reason = StringField(*error, "reason");
  }
  if (const Struct* plugindata = ObjectField(object, "plugindata")) {
    if (const Struct* data = ObjectField(*plugindata, "data")) {
      m.has_plugin_data = true;
      m.videoroom = StringField(*data, "videoroom");
      m.plugin_error_code = IntField(*data, "error_code");
      m.plugin_error = StringField(*data, "error");
      m.id = IdField(*data, "id");
      m.publishers = IdsOf(*data, "publishers");
      m.publishing_participants = IdsOf(*data, "participants", "publisher");
      m.configured = StringField(*data, "configured");
      m.started = StringField(*data, "started");
    }
  }
  if (const Struct* jsep = ObjectField(object, "jsep")) {
    Jsep j;
    j.type = StringField(*jsep, "type");
    j.sdp = StringField(*jsep, "sdp");
    if (!j.type.empty() && !j.sdp.empty()) m.jsep = std::move(j);
  }
  return m;
}

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(const std::string& url) {
  auto parsed = ParseSchemeUrl(url, "http://");
  if (!parsed.ok()) return parsed.status();
  HttpUrl out{std::move(parsed->host), parsed->port, std::move(parsed->target)};
  while (out.path.size() > 1 && out.path.back() == '/') out.path.pop_back();
  return out;
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char ch : text) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(ch >> 4) & 0xf];
          out += kHex[ch & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

uint64_t JanusRoomId(const std::string& room) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(room.data(), room.data() + room.size(), value);
  if (ec == std::errc() && end == room.data() + room.size() && value > 0 &&
      static_cast<double>(value) < kMaxSafeInteger) {
    return value;
  }
  uint32_t hash = 2166136261u;  // FNV-1a, 32 bits
  for (const char ch : room) {
    hash ^= static_cast<uint8_t>(ch);
    hash *= 16777619u;
  }
  return (hash & 0x7fffffffu) | 1u;
}

std::string JanusCreateSessionRequest(const std::string& transaction) {
  return "{\"janus\":\"create\",\"transaction\":" + JsonQuote(transaction) + "}";
}

std::string JanusAttachRequest(const std::string& transaction, std::string_view plugin) {
  return "{\"janus\":\"attach\",\"plugin\":" + JsonQuote(plugin) +
         ",\"transaction\":" + JsonQuote(transaction) + "}";
}

std::string JanusKeepaliveRequest(const std::string& transaction) {
  return "{\"janus\":\"keepalive\",\"transaction\":" + JsonQuote(transaction) + "}";
}

std::string JanusDestroyRequest(const std::string& transaction) {
  return "{\"janus\":\"destroy\",\"transaction\":" + JsonQuote(transaction) + "}";
}

std::string JanusMessageRequest(const std::string& transaction, const std::string& body_json,
                                const std::optional<Jsep>& jsep) {
  std::string out = "{\"janus\":\"message\",\"transaction\":" + JsonQuote(transaction) +
                    ",\"body\":" + body_json;
  if (jsep) {
    out += ",\"jsep\":{\"type\":" + JsonQuote(jsep->type) + ",\"sdp\":" + JsonQuote(jsep->sdp) +
           "}";
  }
  return out + "}";
}

std::string VideoRoomCreateBody(uint64_t room, int max_publishers) {
  return "{\"request\":\"create\",\"room\":" + std::to_string(room) +
         ",\"permanent\":false,\"publishers\":" + std::to_string(max_publishers) +
         ",\"bitrate\":0,\"fir_freq\":0,\"audiocodec\":\"opus\",\"videocodec\":\"vp8\""
         ",\"notify_joining\":false,\"audiolevel_event\":false}";
}

std::string VideoRoomJoinPublisherBody(uint64_t room, const std::string& display) {
  return "{\"request\":\"join\",\"ptype\":\"publisher\",\"room\":" + std::to_string(room) +
         ",\"display\":" + JsonQuote(display) + "}";
}

std::string VideoRoomPublishBody() { return "{\"request\":\"publish\"}"; }

std::string VideoRoomListParticipantsBody(uint64_t room) {
  return "{\"request\":\"listparticipants\",\"room\":" + std::to_string(room) + "}";
}

std::string VideoRoomJoinSubscriberBody(uint64_t room, const std::vector<uint64_t>& feeds) {
  return "{\"request\":\"join\",\"ptype\":\"subscriber\",\"room\":" + std::to_string(room) +
         ",\"streams\":" + Ids(feeds) + "}";
}

std::string VideoRoomSubscribeBody(const std::vector<uint64_t>& feeds) {
  return "{\"request\":\"subscribe\",\"streams\":" + Ids(feeds) + "}";
}

std::string VideoRoomStartBody() { return "{\"request\":\"start\"}"; }

absl::StatusOr<std::vector<JanusMessage>> ParseJanusMessages(const std::string& json) {
  Value value;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  if (!status.ok()) {
    return absl::InvalidArgumentError("not JSON: " + status.message().as_string());
  }
  std::vector<JanusMessage> out;
  if (value.kind_case() == Value::kStructValue) {
    out.push_back(FromObject(value.struct_value()));
  } else if (value.kind_case() == Value::kListValue) {
    for (const Value& entry : value.list_value().values()) {
      if (entry.kind_case() != Value::kStructValue) {
        return absl::InvalidArgumentError("an event list entry is not an object");
      }
      out.push_back(FromObject(entry.struct_value()));
    }
  } else {
    return absl::InvalidArgumentError("neither an object nor a list of objects");
  }
  return out;
}

}  // namespace switchyard::bench
