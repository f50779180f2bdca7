#include "api/room_api.h"

#include <algorithm>
#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api_codec.h"
#include "api/proto/room_service.pb.h"

namespace switchyard::api {

namespace {

constexpr char kTwirpPrefix[] = "/twirp/switchyard.v1.RoomService/";
// Buckets of clients not seen for this long are forgotten (they would be full again anyway).
constexpr size_t kMaxBuckets = 10000;

// A request resolved to a method, with the fields its path names.
struct Route {
  std::string method;  // RoomService method name
  std::vector<std::pair<std::string, std::string>> path_fields;
  bool rest = false;
  int success_status = 200;
};

// Resolves REST paths; nullopt = no such resource, `allowed` lists the methods a known
// resource accepts (for 405).
std::optional<Route> ResolveRest(const std::string& method,
                                 const std::vector<std::string>& segments, std::string& allowed) {
  // segments[0] == "v1", segments[1] == "rooms".
  const size_t n = segments.size();
  Route route;
  route.rest = true;
  auto pick = [&](std::initializer_list<std::pair<const char*, const char*>> methods)
      -> std::optional<Route> {
    allowed.clear();
    for (const auto& [verb, name] : methods) {
      absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", verb);
      if (method == verb) {
        route.method = name;
        return route;
      }
    }
    return std::nullopt;
  };
  if (n == 2) {
    auto r = pick({{"GET", "ListRooms"}, {"POST", "CreateRoom"}});
    if (r && r->method == "CreateRoom") r->success_status = 201;
    return r;
  }
  route.path_fields.emplace_back("room", segments[2]);
  if (n == 3) return pick({{"GET", "GetRoom"}, {"PATCH", "UpdateRoom"}, {"DELETE", "DeleteRoom"}});
  if (n == 4 && segments[3] == "participants") return pick({{"GET", "ListParticipants"}});
  if (n == 4 && segments[3] == "data") return pick({{"POST", "SendData"}});
  if (segments[3] != "participants") return std::nullopt;
  route.path_fields.emplace_back("identity", segments[4]);
  if (n == 5) {
    return pick({{"GET", "GetParticipant"}, {"PATCH", "UpdateParticipant"},
                 {"DELETE", "RemoveParticipant"}});
  }
  if (n == 6 && segments[5] == "subscriptions") return pick({{"POST", "UpdateSubscriptions"}});
  if (n == 8 && segments[5] == "tracks" && segments[7] == "mute") {
    route.path_fields.emplace_back("track_id", segments[6]);
    return pick({{"POST", "MutePublishedTrack"}});
  }
  return std::nullopt;
}

std::unique_ptr<google::protobuf::Message> NewRequest(const std::string& method) {
  if (method == "CreateRoom") return std::make_unique<v1::CreateRoomRequest>();
  if (method == "ListRooms") return std::make_unique<v1::ListRoomsRequest>();
  if (method == "GetRoom") return std::make_unique<v1::GetRoomRequest>();
  if (method == "DeleteRoom") return std::make_unique<v1::DeleteRoomRequest>();
  if (method == "UpdateRoom") return std::make_unique<v1::UpdateRoomRequest>();
  if (method == "ListParticipants") return std::make_unique<v1::ListParticipantsRequest>();
  if (method == "GetParticipant") return std::make_unique<v1::ParticipantRequest>();
  if (method == "RemoveParticipant") return std::make_unique<v1::ParticipantRequest>();
  if (method == "UpdateParticipant") return std::make_unique<v1::UpdateParticipantRequest>();
  if (method == "MutePublishedTrack") return std::make_unique<v1::MutePublishedTrackRequest>();
  if (method == "UpdateSubscriptions") return std::make_unique<v1::UpdateSubscriptionsRequest>();
  if (method == "SendData") return std::make_unique<v1::SendDataRequest>();
  return nullptr;
}

// Path parameters win over the body: the URL names the resource.
void SetPathField(google::protobuf::Message& message, const std::string& name,
                  const std::string& value) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (!field || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      field->is_repeated()) {
    return;
  }
  message.GetReflection()->SetString(&message, field, value);
}

std::string RoomOf(const google::protobuf::Message& message) {
  const auto* descriptor = message.GetDescriptor();
  const auto* field = descriptor->FindFieldByName("room");
  if (!field) field = descriptor->FindFieldByName("name");  // CreateRoomRequest
  if (!field || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

// The grant each method needs (see room_service.proto).
absl::Status CheckGrant(const std::string& method, const std::string& room,
                        const VideoGrant& grant) {
  const bool admin = grant.room_admin && (grant.room.empty() || grant.room == room);
  bool ok = false;
  const char* needs = "roomAdmin for this room";
  if (method == "CreateRoom" || method == "DeleteRoom") {
    ok = grant.room_create;
    needs = "roomCreate";
  } else if (method == "ListRooms") {
    ok = grant.room_list;
    needs = "roomList";
  } else if (method == "GetRoom") {
    ok = grant.room_list || admin;
    needs = "roomList or roomAdmin for this room";
  } else {
    ok = admin;
  }
  if (ok) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(method, " needs the grant ", needs));
}

std::optional<v1::ParticipantPermission> PermissionOf(const v1::UpdateParticipantRequest& r) {
  if (!r.has_permission()) return std::nullopt;
  return r.permission();
}

}  // namespace

namespace {

ApiResponse ResponseOf(const ApiError& error) {
  ApiResponse r;
  r.status = error.http_status;
  r.content_type = "application/json";
  r.body = EncodeError(error);
  return r;
}

}  // namespace

ApiResponse ApiErrorResponse(int status, const std::string& code, const std::string& message) {
  ApiError e;
  e.http_status = status;
  e.code = code;
  e.message = message;
  return ResponseOf(e);
}

ApiResponse ApiErrorResponse(const absl::Status& status) {
  return ResponseOf(ErrorFromStatus(status));
}

absl::StatusOr<AccessTokenClaims> VerifyBearer(std::string_view authorization,
                                               const TokenVerifier& verifier, int64_t now) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.substr(0, kScheme.size()) != kScheme) {
    return absl::UnauthenticatedError(
        "missing \"Authorization: Bearer <token>\" (mint one with `switchyard token create`)");
  }
  return verifier.Verify(authorization.substr(kScheme.size()), now);
}

RoomApi::RoomApi(RoomManager& rooms, const TokenVerifier& verifier, Options options,
                 const transport::Clock& clock, std::function<int64_t()> unix_now)
    : rooms_(rooms),
      verifier_(verifier),
      options_(options),
      clock_(clock),
      unix_now_(std::move(unix_now)) {}

bool RoomApi::Serves(const std::string& target) {
  return target == "/v1/rooms" || absl::StartsWith(target, "/v1/rooms/") ||
         absl::StartsWith(target, "/v1/rooms?") || absl::StartsWith(target, "/twirp/");
}

bool RoomApi::Admit(const std::string& client) {
  if (options_.rate_limit == 0) return true;
  const transport::Timestamp now = clock_.Now();
  const double capacity = 2.0 * options_.rate_limit;
  if (buckets_.size() >= kMaxBuckets && !buckets_.contains(client)) {
    // Drop buckets that have refilled; what remains are clients being throttled right now.
    absl::erase_if(buckets_, [&](const auto& entry) {
      const double refill =
          std::chrono::duration<double>(now - entry.second.updated).count() * options_.rate_limit;
      return entry.second.tokens + refill >= capacity;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(client, Bucket{capacity, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * options_.rate_limit);
    bucket.updated = now;
  }
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

ApiResponse RoomApi::Handle(const ApiRequest& request) {
  ++counters_.calls;
  if (!Admit(request.client_address)) {
    ++counters_.rate_limited;
    ApiResponse r = ApiErrorResponse(429, "resource_exhausted", "too many requests; slow down");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  ApiResponse response = Dispatch(request);
  if (response.status == 401) ++counters_.unauthenticated;
  if (response.status == 403) ++counters_.permission_denied;
  return response;
}

ApiResponse RoomApi::Dispatch(const ApiRequest& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  const std::string query = request.target.size() > path.size()
                                ? request.target.substr(path.size() + 1)
                                : std::string();
  Route route;
  if (absl::StartsWith(path, kTwirpPrefix)) {
    route.method = path.substr(sizeof(kTwirpPrefix) - 1);
    if (!NewRequest(route.method)) {
      return ApiErrorResponse(404, "bad_route", absl::StrCat("no method ", route.method, " in RoomService"));
    }
    if (request.method != "POST") {
      ApiResponse r = ApiErrorResponse(405, "bad_route", "Twirp methods are called with POST");
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
  } else {
    std::vector<std::string> segments;
    for (absl::string_view raw : absl::StrSplit(absl::string_view(path.data(), path.size()), '/',
                                                absl::SkipEmpty())) {
      auto decoded = PercentDecode(std::string_view(raw.data(), raw.size()));
      if (!decoded) return ApiErrorResponse(400, "malformed", "bad percent-encoding in the path");
      segments.push_back(*decoded);
    }
    if (segments.size() < 2 || segments[0] != "v1" || segments[1] != "rooms") {
      return ApiErrorResponse(404, "bad_route", absl::StrCat("no resource at ", path));
    }
    std::string allowed;
    auto resolved = ResolveRest(request.method, segments, allowed);
    if (!resolved) {
      if (allowed.empty()) return ApiErrorResponse(404, "bad_route", absl::StrCat("no resource at ", path));
      ApiResponse r = ApiErrorResponse(405, "bad_route",
                            absl::StrCat(request.method, " is not allowed here; use ", allowed));
      r.headers.emplace_back("Allow", allowed);
      return r;
    }
    route = std::move(*resolved);
  }

  // Authentication before looking at the body.
  auto claims = VerifyBearer(request.authorization, verifier_, unix_now_());
  if (!claims.ok()) return ApiErrorResponse(claims.status());

  const BodyFormat in = RequestBodyFormat(request.content_type);
  const BodyFormat out = ResponseBodyFormat(request.accept, in);
  std::unique_ptr<google::protobuf::Message> message = NewRequest(route.method);
  const bool has_body = request.method == "POST" || request.method == "PATCH";
  if (has_body) {
    if (auto s = DecodeBody(request.body, in, *message); !s.ok()) {
      return ApiErrorResponse(s);
    }
  }
  for (const auto& [name, value] : route.path_fields) SetPathField(*message, name, value);
  if (route.method == "ListRooms" && !query.empty()) {
    auto& list = static_cast<v1::ListRoomsRequest&>(*message);
    for (absl::string_view param : absl::StrSplit(absl::string_view(query), '&')) {
      if (!absl::StartsWith(param, "names=")) continue;
      for (absl::string_view name : absl::StrSplit(param.substr(6), ',', absl::SkipEmpty())) {
        auto decoded = PercentDecode(std::string_view(name.data(), name.size()));
        if (!decoded) return ApiErrorResponse(400, "malformed", "bad percent-encoding in names");
        list.add_names(*decoded);
      }
    }
  }
  if (auto s = CheckGrant(route.method, RoomOf(*message), claims->video); !s.ok()) {
    return ApiErrorResponse(s);
  }

  auto reply = [&](const google::protobuf::Message& result) {
    ApiResponse r;
    r.status = route.success_status;
    r.content_type = ContentTypeOf(out);
    r.body = EncodeBody(result, out);
    return r;
  };
  auto fail = [](const absl::Status& s) { return ApiErrorResponse(s); };

  const std::string& m = route.method;
  if (m == "CreateRoom") {
    const auto& req = static_cast<const v1::CreateRoomRequest&>(*message);
    auto room = rooms_.CreateRoom(req.name(), req.empty_timeout(), req.max_participants(),
                                  req.metadata());
    if (!room.ok()) return fail(room.status());
    ApiResponse r = reply(*room);
    if (route.rest) r.headers.emplace_back("Location", absl::StrCat("/v1/rooms/", req.name()));
    return r;
  }
  if (m == "ListRooms") {
    const auto& req = static_cast<const v1::ListRoomsRequest&>(*message);
    v1::ListRoomsResponse resp;
    for (auto& room : rooms_.ListRooms({req.names().begin(), req.names().end()})) {
      *resp.add_rooms() = std::move(room);
    }
    return reply(resp);
  }
  if (m == "GetRoom") {
    auto room = rooms_.GetRoom(static_cast<const v1::GetRoomRequest&>(*message).room());
    return room.ok() ? reply(*room) : fail(room.status());
  }
  if (m == "DeleteRoom") {
    auto s = rooms_.DeleteRoom(static_cast<const v1::DeleteRoomRequest&>(*message).room());
    return s.ok() ? reply(v1::DeleteRoomResponse()) : fail(s);
  }
  if (m == "UpdateRoom") {
    const auto& req = static_cast<const v1::UpdateRoomRequest&>(*message);
    auto room = rooms_.UpdateRoom(
        req.room(), req.has_metadata() ? std::optional(req.metadata()) : std::nullopt,
        req.has_max_participants() ? std::optional(req.max_participants()) : std::nullopt,
        req.has_empty_timeout() ? std::optional(req.empty_timeout()) : std::nullopt);
    return room.ok() ? reply(*room) : fail(room.status());
  }
  if (m == "ListParticipants") {
    auto list =
        rooms_.ListParticipants(static_cast<const v1::ListParticipantsRequest&>(*message).room());
    if (!list.ok()) return fail(list.status());
    v1::ListParticipantsResponse resp;
    for (auto& p : *list) *resp.add_participants() = std::move(p);
    return reply(resp);
  }
  if (m == "GetParticipant") {
    const auto& req = static_cast<const v1::ParticipantRequest&>(*message);
    auto p = rooms_.GetParticipant(req.room(), req.identity());
    return p.ok() ? reply(*p) : fail(p.status());
  }
  if (m == "RemoveParticipant") {
    const auto& req = static_cast<const v1::ParticipantRequest&>(*message);
    auto s = rooms_.RemoveParticipant(req.room(), req.identity());
    return s.ok() ? reply(v1::RemoveParticipantResponse()) : fail(s);
  }
  if (m == "UpdateParticipant") {
    const auto& req = static_cast<const v1::UpdateParticipantRequest&>(*message);
    auto p = rooms_.UpdateParticipant(
        req.room(), req.identity(),
        req.has_metadata() ? std::optional(req.metadata()) : std::nullopt,
        req.has_name() ? std::optional(req.name()) : std::nullopt, PermissionOf(req));
    return p.ok() ? reply(*p) : fail(p.status());
  }
  if (m == "MutePublishedTrack") {
    const auto& req = static_cast<const v1::MutePublishedTrackRequest&>(*message);
    auto track = rooms_.MutePublishedTrack(req.room(), req.identity(), req.track_id(), req.muted());
    if (!track.ok()) return fail(track.status());
    v1::MutePublishedTrackResponse resp;
    *resp.mutable_track() = *track;
    return reply(resp);
  }
  if (m == "UpdateSubscriptions") {
    const auto& req = static_cast<const v1::UpdateSubscriptionsRequest&>(*message);
    auto s = rooms_.UpdateSubscriptions(req.room(), req.identity(),
                                        {req.track_ids().begin(), req.track_ids().end()},
                                        req.subscribe());
    return s.ok() ? reply(v1::UpdateSubscriptionsResponse()) : fail(s);
  }
  if (m == "SendData") {
    const auto& req = static_cast<const v1::SendDataRequest&>(*message);
    v1::DataMessage data;
    data.set_topic(req.topic());
    data.set_payload(req.payload());
    auto s = rooms_.SendData(req.room(), data,
                             {req.destination_identities().begin(),
                              req.destination_identities().end()});
    return s.ok() ? reply(v1::SendDataResponse()) : fail(s);
  }
  return ApiErrorResponse(404, "bad_route", absl::StrCat("no method ", m));
}

}  // namespace switchyard::api
