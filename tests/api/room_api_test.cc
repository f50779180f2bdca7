// The room API over real HTTP against an in-process server: every method in JSON (REST and
// Twirp) and binary protobuf, every error status, auth failures, limits, races.
#include "api/room_api.h"

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "api/proto/room_service.pb.h"
#include "api/webhook_signature.h"
#include "tests/api/api_test_server.h"
#include "tests/api/webhook_test_receiver.h"

namespace switchyard::api {
namespace {

using ::switchyard::api::testing::SignalingClient;
using ::switchyard::api::testing::TestServer;
using ::switchyard::api::testing::TestServerConfig;
using ::testing::HasSubstr;

constexpr auto kWait = std::chrono::milliseconds(5000);

template <typename T>
T ParseJson(const std::string& json) {
  T message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
  return message;
}

std::string ErrorCode(const HttpClientResponse& r) {
  auto pos = r.body.find("\"code\":\"");
  if (pos == std::string::npos) return "";
  pos += 8;
  return r.body.substr(pos, r.body.find('"', pos) - pos);
}

// Joins `room` as `identity` over signaling and waits for `joined`.
std::unique_ptr<SignalingClient> Join(TestServer& server, const std::string& room,
                                      const std::string& identity) {
  auto client = std::make_unique<SignalingClient>(server.port());
  EXPECT_TRUE(client->connected());
  v1::ClientMessage join;
  join.mutable_join()->set_token(server.JoinToken(room, identity));
  client->Send(join);
  auto joined = client->ReceiveUntil([](const auto& m) { return m.has_joined(); }, kWait);
  EXPECT_TRUE(joined.has_value()) << identity;
  if (joined) {
    EXPECT_EQ(joined->joined().local().identity(), identity);
    EXPECT_EQ(joined->joined().room_info().name(), room);
  }
  return client;
}

TEST(RoomApiTest, RestRoomLifecycleInJson) {
  TestServer server;
  const std::string admin = server.AdminToken();

  auto created = server.Call("POST", "/v1/rooms",
                             R"({"name":"lobby","maxParticipants":8,"metadata":"m1"})", admin);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.content_type, "application/json");
  const auto room = ParseJson<v1::Room>(created.body);
  EXPECT_EQ(room.name(), "lobby");
  EXPECT_EQ(room.max_participants(), 8u);
  EXPECT_EQ(room.metadata(), "m1");
  EXPECT_EQ(room.empty_timeout(), 300u);  // the config default
  EXPECT_THAT(room.sid(), ::testing::StartsWith("RM_"));
  bool has_location = false;
  for (const auto& [name, value] : created.headers) {
    if (name == "Location") has_location = value == "/v1/rooms/lobby";
  }
  EXPECT_TRUE(has_location);

  auto list = server.Call("GET", "/v1/rooms", "", admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(ParseJson<v1::ListRoomsResponse>(list.body).rooms_size(), 1);
  // Defaults are printed: a client sees numParticipants 0 rather than a missing field.
  EXPECT_THAT(list.body, HasSubstr("\"numParticipants\":0"));

  auto got = server.Call("GET", "/v1/rooms/lobby", "", admin);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(ParseJson<v1::Room>(got.body).sid(), room.sid());

  auto patched = server.Call("PATCH", "/v1/rooms/lobby", R"({"metadata":"m2","emptyTimeout":60})",
                             admin);
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto updated = ParseJson<v1::Room>(patched.body);
  EXPECT_EQ(updated.metadata(), "m2");
  EXPECT_EQ(updated.empty_timeout(), 60u);
  EXPECT_EQ(updated.max_participants(), 8u);  // absent = unchanged

  auto participants = server.Call("GET", "/v1/rooms/lobby/participants", "", admin);
  ASSERT_EQ(participants.status, 200);
  EXPECT_EQ(ParseJson<v1::ListParticipantsResponse>(participants.body).participants_size(), 0);

  ASSERT_EQ(server.Call("DELETE", "/v1/rooms/lobby", "", admin).status, 200);
  EXPECT_EQ(server.Call("GET", "/v1/rooms/lobby", "", admin).status, 404);
  // A new incarnation gets a new sid.
  auto again = server.Call("POST", "/v1/rooms", R"({"name":"lobby"})", admin);
  ASSERT_EQ(again.status, 201);
  EXPECT_NE(ParseJson<v1::Room>(again.body).sid(), room.sid());
}

TEST(RoomApiTest, TwirpMethodsInJsonAndBinary) {
  TestServer server;
  const std::string admin = server.AdminToken();
  const std::string prefix = "/twirp/switchyard.v1.RoomService/";

  // JSON.
  auto created = server.Call("POST", prefix + "CreateRoom", R"({"name":"t1"})", admin);
  ASSERT_EQ(created.status, 200) << created.body;  // Twirp answers 200, not 201
  EXPECT_EQ(ParseJson<v1::Room>(created.body).name(), "t1");

  // Binary in, binary out.
  v1::CreateRoomRequest create;
  create.set_name("t2");
  create.set_max_participants(3);
  auto binary = server.Call("POST", prefix + "CreateRoom", create.SerializeAsString(), admin,
                            "application/x-protobuf");
  ASSERT_EQ(binary.status, 200) << binary.body;
  EXPECT_EQ(binary.content_type, "application/x-protobuf");
  v1::Room room;
  ASSERT_TRUE(room.ParseFromString(binary.body));
  EXPECT_EQ(room.name(), "t2");
  EXPECT_EQ(room.max_participants(), 3u);

  // JSON in, binary out (Accept decides).
  auto mixed = server.Call("POST", prefix + "ListRooms", "{}", admin, "application/json",
                           "application/x-protobuf");
  ASSERT_EQ(mixed.status, 200);
  v1::ListRoomsResponse rooms;
  ASSERT_TRUE(rooms.ParseFromString(mixed.body));
  EXPECT_EQ(rooms.rooms_size(), 2);

  // Every remaining method in binary.
  v1::ListRoomsRequest filter;
  filter.add_names("t2");
  auto filtered = server.Call("POST", prefix + "ListRooms", filter.SerializeAsString(), admin,
                              "application/x-protobuf");
  ASSERT_TRUE(rooms.ParseFromString(filtered.body));
  ASSERT_EQ(rooms.rooms_size(), 1);
  EXPECT_EQ(rooms.rooms(0).name(), "t2");

  auto client = Join(server, "t2", "alice");
  v1::GetRoomRequest get;
  get.set_room("t2");
  auto got = server.Call("POST", prefix + "GetRoom", get.SerializeAsString(), admin,
                         "application/x-protobuf");
  ASSERT_EQ(got.status, 200);
  ASSERT_TRUE(room.ParseFromString(got.body));
  EXPECT_EQ(room.num_participants(), 1u);

  v1::UpdateRoomRequest update;
  update.set_room("t2");
  update.set_metadata("hello");
  auto updated = server.Call("POST", prefix + "UpdateRoom", update.SerializeAsString(), admin,
                             "application/x-protobuf");
  ASSERT_EQ(updated.status, 200);
  ASSERT_TRUE(room.ParseFromString(updated.body));
  EXPECT_EQ(room.metadata(), "hello");
  // Participants hear about it.
  auto room_updated =
      client->ReceiveUntil([](const auto& m) { return m.has_room_updated(); }, kWait);
  ASSERT_TRUE(room_updated.has_value());
  EXPECT_EQ(room_updated->room_updated().metadata(), "hello");

  v1::ListParticipantsRequest list;
  list.set_room("t2");
  auto listed = server.Call("POST", prefix + "ListParticipants", list.SerializeAsString(), admin,
                            "application/x-protobuf");
  v1::ListParticipantsResponse participants;
  ASSERT_TRUE(participants.ParseFromString(listed.body));
  ASSERT_EQ(participants.participants_size(), 1);
  EXPECT_EQ(participants.participants(0).identity(), "alice");
  EXPECT_THAT(participants.participants(0).participant_id(), ::testing::StartsWith("PA_"));
  EXPECT_TRUE(participants.participants(0).permission().can_publish());

  v1::ParticipantRequest who;
  who.set_room("t2");
  who.set_identity("alice");
  auto participant = server.Call("POST", prefix + "GetParticipant", who.SerializeAsString(),
                                 admin, "application/x-protobuf");
  v1::ParticipantInfo info;
  ASSERT_TRUE(info.ParseFromString(participant.body));
  EXPECT_EQ(info.identity(), "alice");

  v1::UpdateParticipantRequest change;
  change.set_room("t2");
  change.set_identity("alice");
  change.set_metadata("speaker");
  change.mutable_permission()->set_can_subscribe(true);
  change.mutable_permission()->set_can_publish(false);
  auto changed = server.Call("POST", prefix + "UpdateParticipant", change.SerializeAsString(),
                             admin, "application/x-protobuf");
  ASSERT_EQ(changed.status, 200);
  ASSERT_TRUE(info.ParseFromString(changed.body));
  EXPECT_EQ(info.metadata(), "speaker");
  EXPECT_FALSE(info.permission().can_publish());
  auto participant_updated =
      client->ReceiveUntil([](const auto& m) { return m.has_participant_updated(); }, kWait);
  ASSERT_TRUE(participant_updated.has_value());
  EXPECT_EQ(participant_updated->participant_updated().metadata(), "speaker");

  v1::MutePublishedTrackRequest mute;
  mute.set_room("t2");
  mute.set_identity("alice");
  mute.set_track_id("nope");
  mute.set_muted(true);
  auto muted = server.Call("POST", prefix + "MutePublishedTrack", mute.SerializeAsString(), admin,
                           "application/x-protobuf");
  EXPECT_EQ(muted.status, 404);  // alice publishes nothing
  EXPECT_EQ(ErrorCode(muted), "not_found");

  v1::UpdateSubscriptionsRequest subscriptions;
  subscriptions.set_room("t2");
  subscriptions.set_identity("alice");
  subscriptions.add_track_ids("TR_x");
  subscriptions.set_subscribe(false);
  EXPECT_EQ(server.Call("POST", prefix + "UpdateSubscriptions",
                        subscriptions.SerializeAsString(), admin, "application/x-protobuf")
                .status,
            200);

  v1::SendDataRequest data;
  data.set_room("t2");
  data.set_topic("chat");
  data.set_payload(std::string("\x00\x01hi", 4));
  EXPECT_EQ(server.Call("POST", prefix + "SendData", data.SerializeAsString(), admin,
                        "application/x-protobuf")
                .status,
            200);
  auto received = client->ReceiveUntil([](const auto& m) { return m.has_data(); }, kWait);
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->data().topic(), "chat");
  EXPECT_EQ(received->data().payload(), std::string("\x00\x01hi", 4));

  auto removed = server.Call("POST", prefix + "RemoveParticipant", who.SerializeAsString(), admin,
                             "application/x-protobuf");
  EXPECT_EQ(removed.status, 200);
  auto disconnected =
      client->ReceiveUntil([](const auto& m) { return m.has_disconnected(); }, kWait);
  ASSERT_TRUE(disconnected.has_value());
  EXPECT_EQ(disconnected->disconnected().reason(), "removed");
  EXPECT_TRUE(client->WaitClosed(kWait));

  v1::DeleteRoomRequest del;
  del.set_room("t2");
  EXPECT_EQ(server.Call("POST", prefix + "DeleteRoom", del.SerializeAsString(), admin,
                        "application/x-protobuf")
                .status,
            200);
  EXPECT_EQ(server.Call("POST", prefix + "DeleteRoom", del.SerializeAsString(), admin,
                        "application/x-protobuf")
                .status,
            404);
}

TEST(RoomApiTest, RestParticipantMethods) {
  TestServer server;
  const std::string admin = server.AdminToken();
  auto alice = Join(server, "r", "alice");
  auto bob = Join(server, "r", "bob");

  auto got = server.Call("GET", "/v1/rooms/r/participants/bob", "", admin);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(ParseJson<v1::ParticipantInfo>(got.body).identity(), "bob");

  auto patched = server.Call("PATCH", "/v1/rooms/r/participants/bob", R"({"name":"Robert"})",
                             admin);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(ParseJson<v1::ParticipantInfo>(patched.body).name(), "Robert");

  EXPECT_EQ(server.Call("POST", "/v1/rooms/r/participants/bob/subscriptions",
                        R"({"trackIds":["TR_a"],"subscribe":true})", admin)
                .status,
            200);
  EXPECT_EQ(server.Call("POST", "/v1/rooms/r/participants/bob/tracks/TR_none/mute",
                        R"({"muted":true})", admin)
                .status,
            404);

  // Data to one destination only.
  ASSERT_EQ(server.Call("POST", "/v1/rooms/r/data",
                        R"({"payload":"aGk=","topic":"t","destinationIdentities":["bob"]})",
                        admin)
                .status,
            200);
  auto data = bob->ReceiveUntil([](const auto& m) { return m.has_data(); }, kWait);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->data().payload(), "hi");

  // Removing bob: alice sees him leave.
  ASSERT_EQ(server.Call("DELETE", "/v1/rooms/r/participants/bob", "", admin).status, 200);
  EXPECT_TRUE(bob->WaitClosed(kWait));
  auto left = alice->ReceiveUntil([](const auto& m) { return m.has_participant_left(); }, kWait);
  ASSERT_TRUE(left.has_value());
  auto list = server.Call("GET", "/v1/rooms/r/participants", "", admin);
  const auto participants = ParseJson<v1::ListParticipantsResponse>(list.body);
  ASSERT_EQ(participants.participants_size(), 1);
  EXPECT_EQ(participants.participants(0).identity(), "alice");

  // Deleting the room disconnects the rest.
  ASSERT_EQ(server.Call("DELETE", "/v1/rooms/r", "", admin).status, 200);
  auto gone = alice->ReceiveUntil([](const auto& m) { return m.has_disconnected(); }, kWait);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->disconnected().reason(), "room_deleted");
  EXPECT_EQ(server.Call("GET", "/v1/rooms", "", admin).body, R"({"rooms":[]})");
}

TEST(RoomApiTest, ErrorStatuses) {
  ServerConfig config = TestServerConfig();
  config.mutable_http()->set_max_body_bytes(4096);
  TestServer server(config);
  const std::string admin = server.AdminToken();

  // 400 naming the field.
  auto bad_name = server.Call("POST", "/v1/rooms", R"({"name":"no spaces"})", admin);
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(ErrorCode(bad_name), "invalid_argument");
  EXPECT_THAT(bad_name.body, HasSubstr(R"("meta":{"argument":"room"})"));
  auto typo = server.Call("POST", "/v1/rooms", R"({"name":"a","maxParticipant":1})", admin);
  EXPECT_EQ(typo.status, 400);
  EXPECT_THAT(typo.body, HasSubstr(R"("argument":"maxParticipant")"));
  auto wrong_type = server.Call("POST", "/v1/rooms", R"({"name":"a","maxParticipants":"x"})",
                                admin);
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(server.Call("POST", "/v1/rooms", "[1,2]", admin).status, 400);
  EXPECT_EQ(server.Call("POST", "/v1/rooms", "\x08\xff\xff", admin, "application/x-protobuf")
                .status,
            400);

  // 401: none, garbage, wrong secret, expired.
  auto none = server.Call("GET", "/v1/rooms");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  EXPECT_EQ(server.Call("GET", "/v1/rooms", "", "not.a.jwt").status, 401);
  AccessTokenClaims forged;
  forged.api_key = testing::kTestApiKey;
  forged.expires_at = UnixNow() + 600;
  forged.video.room_list = true;
  EXPECT_EQ(server.Call("GET", "/v1/rooms", "",
                        *CreateAccessToken(forged, "another-secret-another-secret-0000"))
                .status,
            401);
  VideoGrant list_grant;
  list_grant.room_list = true;
  EXPECT_EQ(server.Call("GET", "/v1/rooms", "", server.Token(list_grant, "", -30)).status, 401);

  // 403: a join token is no admin token; admin of another room.
  auto join_token = server.JoinToken("a", "alice");
  auto denied = server.Call("GET", "/v1/rooms", "", join_token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorCode(denied), "permission_denied");
  ASSERT_EQ(server.Call("POST", "/v1/rooms", R"({"name":"a"})", admin).status, 201);
  VideoGrant other_admin;
  other_admin.room_admin = true;
  other_admin.room = "b";
  EXPECT_EQ(server.Call("GET", "/v1/rooms/a/participants", "", server.Token(other_admin)).status,
            403);
  VideoGrant own_admin = other_admin;
  own_admin.room = "a";
  EXPECT_EQ(server.Call("GET", "/v1/rooms/a/participants", "", server.Token(own_admin)).status,
            200);
  EXPECT_EQ(server.Call("POST", "/v1/rooms", R"({"name":"c"})", server.Token(own_admin)).status,
            403);

  // 404: no room, no participant, no route, no method.
  EXPECT_EQ(server.Call("GET", "/v1/rooms/zzz", "", admin).status, 404);
  EXPECT_EQ(server.Call("GET", "/v1/rooms/a/participants/nobody", "", admin).status, 404);
  auto no_route = server.Call("GET", "/v1/rooms/a/nothing", "", admin);
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(ErrorCode(no_route), "bad_route");
  EXPECT_EQ(server.Call("POST", "/twirp/switchyard.v1.RoomService/Explode", "{}", admin).status,
            404);

  // 405 with Allow.
  auto wrong_method = server.Call("PUT", "/v1/rooms/a", "{}", admin);
  EXPECT_EQ(wrong_method.status, 405);
  bool allow = false;
  for (const auto& [name, value] : wrong_method.headers) {
    if (name == "Allow") allow = value == "GET, PATCH, DELETE";
  }
  EXPECT_TRUE(allow);

  // 409.
  auto twice = server.Call("POST", "/v1/rooms", R"({"name":"a"})", admin);
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(ErrorCode(twice), "already_exists");

  // 413: over max_body_bytes; the server stays fine.
  auto huge = server.Call("POST", "/v1/rooms",
                          absl::StrCat(R"({"name":"big","metadata":")", std::string(8000, 'x'),
                                       "\"}"),
                          admin);
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(ErrorCode(huge), "payload_too_large");
  EXPECT_EQ(server.Call("GET", "/v1/rooms/a", "", admin).status, 200);
}

TEST(RoomApiTest, RateLimitAnswers429) {
  ServerConfig config = TestServerConfig();
  config.mutable_http()->set_api_rate_limit(5);  // bursts of 10
  TestServer server(config);
  const std::string admin = server.AdminToken();
  int ok = 0, limited = 0;
  for (int i = 0; i < 30; ++i) {
    const int status = server.Call("GET", "/v1/rooms", "", admin).status;
    if (status == 200) ++ok;
    if (status == 429) ++limited;
  }
  EXPECT_GE(ok, 10);
  EXPECT_LE(ok, 14);  // the burst plus what refilled during the loop
  EXPECT_GE(limited, 16);
  // Unauthenticated guessing is throttled the same way.
  EXPECT_EQ(server.Call("GET", "/v1/rooms", "", "guess").status, 429);
}

TEST(RoomApiTest, ConcurrentCreateAndDeleteOfOneRoomStayConsistent) {
  TestServer server;
  const std::string admin = server.AdminToken();
  std::atomic<int> created{0}, deleted{0}, unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if ((i + t) % 2 == 0) {
          const int s = server.Call("POST", "/v1/rooms", R"({"name":"race"})", admin).status;
          if (s == 201) ++created;
          else if (s != 409) ++unexpected;
        } else {
          const int s = server.Call("DELETE", "/v1/rooms/race", "", admin).status;
          if (s == 200) ++deleted;
          else if (s != 404) ++unexpected;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  const int exists = server.Call("GET", "/v1/rooms/race", "", admin).status == 200 ? 1 : 0;
  // Every successful create is matched by a successful delete, except the room that remains.
  EXPECT_EQ(created.load() - deleted.load(), exists);
  EXPECT_EQ(server.Call("GET", "/healthz").status, 200);
}

TEST(RoomApiTest, JoinNeedsAValidTokenForTheRoom) {
  TestServer server;
  {
    SignalingClient client(server.port());
    client.SendJson(R"({"join":{"room":"r","name":"x"}})");
    auto error = client.ReceiveUntil([](const auto& m) { return m.has_error(); }, kWait);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->error().code(), "unauthenticated");
    EXPECT_TRUE(client.WaitClosed(kWait));
  }
  {
    SignalingClient client(server.port());
    v1::ClientMessage join;
    join.mutable_join()->set_room("other");
    join.mutable_join()->set_token(server.JoinToken("r", "alice"));
    client.Send(join);
    auto error = client.ReceiveUntil([](const auto& m) { return m.has_error(); }, kWait);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->error().code(), "permission_denied");
  }
  {
    VideoGrant admin_only;
    admin_only.room_admin = true;
    admin_only.room = "r";
    SignalingClient client(server.port());
    v1::ClientMessage join;
    join.mutable_join()->set_token(server.Token(admin_only, "alice"));
    client.Send(join);
    auto error = client.ReceiveUntil([](const auto& m) { return m.has_error(); }, kWait);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->error().code(), "permission_denied");
  }
}

TEST(RoomApiTest, RoomLimitsAndDuplicateIdentity) {
  TestServer server;
  const std::string admin = server.AdminToken();
  ASSERT_EQ(server.Call("POST", "/v1/rooms", R"({"name":"small","maxParticipants":1})", admin)
                .status,
            201);
  auto alice = Join(server, "small", "alice");
  {
    SignalingClient bob(server.port());
    v1::ClientMessage join;
    join.mutable_join()->set_token(server.JoinToken("small", "bob"));
    bob.Send(join);
    auto error = bob.ReceiveUntil([](const auto& m) { return m.has_error(); }, kWait);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->error().code(), "room_full");
  }
  // The same identity again replaces the first session, limit or not.
  auto alice2 = Join(server, "small", "alice");
  auto replaced = alice->ReceiveUntil([](const auto& m) { return m.has_disconnected(); }, kWait);
  ASSERT_TRUE(replaced.has_value());
  EXPECT_EQ(replaced->disconnected().reason(), "duplicate_identity");
  auto list = server.Call("GET", "/v1/rooms/small/participants", "", admin);
  EXPECT_EQ(ParseJson<v1::ListParticipantsResponse>(list.body).participants_size(), 1);
}

TEST(RoomApiTest, EmptyRoomsCloseAfterTheirTimeout) {
  TestServer server;
  const std::string admin = server.AdminToken();
  ASSERT_EQ(server.Call("POST", "/v1/rooms", R"({"name":"brief","emptyTimeout":1})", admin).status,
            201);
  ASSERT_EQ(server.Call("POST", "/v1/rooms", R"({"name":"stays"})", admin).status, 201);
  {
    // Occupied rooms do not time out; the clock starts when the last one leaves.
    auto alice = Join(server, "brief", "alice");
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    EXPECT_EQ(server.Call("GET", "/v1/rooms/brief", "", admin).status, 200);
  }
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    closed = server.Call("GET", "/v1/rooms/brief", "", admin).status == 404;
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(server.Call("GET", "/v1/rooms/stays", "", admin).status, 200);
}

TEST(RoomApiTest, AutoCreateOffRefusesJoinsToUnknownRooms) {
  ServerConfig config = TestServerConfig();
  config.mutable_room()->set_auto_create(false);
  TestServer server(config);
  SignalingClient client(server.port());
  v1::ClientMessage join;
  join.mutable_join()->set_token(server.JoinToken("nope", "alice"));
  client.Send(join);
  auto error = client.ReceiveUntil([](const auto& m) { return m.has_error(); }, kWait);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error().code(), "no_such_room");
  ASSERT_EQ(server.Call("POST", "/v1/rooms", R"({"name":"nope"})", server.AdminToken()).status,
            201);
  Join(server, "nope", "alice");
}

TEST(RoomApiTest, MetricsCountApiCallsAndRejections) {
  TestServer server;
  server.Call("GET", "/v1/rooms");
  server.Call("GET", "/v1/rooms", "", server.AdminToken());
  auto metrics = server.Call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("switchyard_api_refused_total{reason=\"unauthenticated\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("switchyard_http_requests_total{path=\"/v1\",status=\"401\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("switchyard_http_requests_total{path=\"/v1\",status=\"200\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("switchyard_tokens_total{outcome=\"accepted\"} 1"));
}

TEST(RoomApiTest, WebhooksReportJoinPublishLeaveSignedAndInOrder) {
  testing::TestReceiver receiver([](size_t) { return 200; });
  ServerConfig config = TestServerConfig();
  config.mutable_webhook()->add_urls(receiver.url());
  config.mutable_room()->set_empty_timeout_seconds(1);
  TestServer server(config);
  {
    auto alice = Join(server, "hooks", "alice");
    std::ifstream file(std::string(SWITCHYARD_FIXTURES_DIR) + "/sdp/chromium_audio_video_offer.sdp");
    std::stringstream offer;
    offer << file.rdbuf();
    v1::ClientMessage publish;
    publish.mutable_publish_offer()->set_sdp(offer.str());
    alice->Send(publish);
    ASSERT_TRUE(alice->ReceiveUntil([](const auto& m) { return m.has_publish_answer(); }, kWait));
    // Wait for both tracks to be known before leaving.
    bool published = false;
    for (int i = 0; i < 100 && !published; ++i) {
      auto p = server.Call("GET", "/v1/rooms/hooks/participants/alice", "", server.AdminToken());
      published = ParseJson<v1::ParticipantInfo>(p.body).tracks_size() == 2;
      if (!published) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(published);
    v1::ClientMessage leave;
    leave.mutable_leave();
    alice->Send(leave);
    EXPECT_TRUE(alice->WaitClosed(kWait));
  }
  // room_finished follows after the 1 s empty timeout.
  const auto requests = receiver.log().WaitFor(8);
  ASSERT_EQ(requests.size(), 8u);
  TokenVerifier verifier(std::map<std::string, std::string>{
      {testing::kTestApiKey, testing::kTestApiSecret}});
  std::vector<std::string> events;
  std::set<std::string> ids;
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.content_type, "application/webhook+json");
    auto event = VerifyWebhook(request.body, request.authorization, verifier, UnixNow());
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->room().name(), "hooks");
    ids.insert(event->id());
    std::string name = event->event();
    if (event->has_track() && !event->track().track_id().empty()) {
      absl::StrAppend(&name, ":", event->track().kind() == v1::TRACK_KIND_AUDIO ? "audio" : "video");
    }
    if (event->has_participant() && !event->participant().identity().empty()) {
      EXPECT_EQ(event->participant().identity(), "alice");
    }
    events.push_back(name);
  }
  EXPECT_EQ(ids.size(), 8u);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0], "room_started");
  EXPECT_EQ(events[1], "participant_joined");
  EXPECT_THAT(std::vector<std::string>(events.begin() + 2, events.begin() + 4),
              ::testing::UnorderedElementsAre("track_published:audio", "track_published:video"));
  EXPECT_THAT(std::vector<std::string>(events.begin() + 4, events.begin() + 6),
              ::testing::UnorderedElementsAre("track_unpublished:audio",
                                              "track_unpublished:video"));
  EXPECT_EQ(events[6], "participant_left");
  EXPECT_EQ(events[7], "room_finished");
  // A tampered body fails verification.
  EXPECT_FALSE(VerifyWebhook(requests[0].body + " ", requests[0].authorization, verifier,
                             UnixNow())
                   .ok());
}

}  // namespace
}  // namespace switchyard::api
