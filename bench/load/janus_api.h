#ifndef SWITCHYARD_BENCH_LOAD_JANUS_API_H_
#define SWITCHYARD_BENCH_LOAD_JANUS_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::bench {

// The JSON of Janus's HTTP API (janus.plugin.videoroom over the REST transport of Janus 1.x,
// as janus.js speaks it): request builders and a parser for what comes back. Pure functions,
// control path only.
//
// Every id Janus hands out (sessions, handles, publisher feeds) is below 2^53 (Janus keeps them
// JavaScript-safe), so they survive JSON numbers parsed as doubles.

// http://host:port/path, hosts as IP literals or names.
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path = "/";  // without a trailing slash unless it is "/"
};
absl::StatusOr<HttpUrl> ParseHttpUrl(const std::string& url);

// `text` as a JSON string literal, quotes included (RFC 8259 §7 escapes).
std::string JsonQuote(std::string_view text);

// The numeric videoroom room id for --room: the number itself when it is one (1..2^53), else a
// stable FNV-1a hash of the name in 1..2^31.
uint64_t JanusRoomId(const std::string& room);

// Janus core requests (POST to the base path, /<session>, /<session>/<handle>).
std::string JanusCreateSessionRequest(const std::string& transaction);
std::string JanusAttachRequest(const std::string& transaction, std::string_view plugin);
std::string JanusKeepaliveRequest(const std::string& transaction);
std::string JanusDestroyRequest(const std::string& transaction);
// A plugin message: `body_json` is the plugin request object; the JSEP is attached when given.
struct Jsep {
  std::string type;  // "offer" or "answer"
  std::string sdp;
};
std::string JanusMessageRequest(const std::string& transaction, const std::string& body_json,
                                const std::optional<Jsep>& jsep);

// Videoroom plugin request bodies (Janus 1.x multistream API).
// create: a temporary room for `max_publishers` with no bitrate cap (the load client sends no
// bandwidth feedback, as against Switchyard) and no periodic FIR (keyframes come every 3 s and
// on PLI). Opus and VP8, as the load client sends.
std::string VideoRoomCreateBody(uint64_t room, int max_publishers);
std::string VideoRoomJoinPublisherBody(uint64_t room, const std::string& display);
std::string VideoRoomPublishBody();
std::string VideoRoomListParticipantsBody(uint64_t room);
// join as subscriber of every stream of each feed (one multistream PeerConnection).
std::string VideoRoomJoinSubscriberBody(uint64_t room, const std::vector<uint64_t>& feeds);
// subscribe: add feeds to an existing subscription (Janus renegotiates with an "updated" offer).
std::string VideoRoomSubscribeBody(const std::vector<uint64_t>& feeds);
// start: sent with the JSEP answer to a subscriber offer.
std::string VideoRoomStartBody();

// One message from Janus: a synchronous response to a POST or an event from the long poll.
struct JanusMessage {
  std::string janus;        // "success", "ack", "event", "error", "keepalive", "webrtcup",
                            // "media", "hangup", "slowlink", "detached", "timeout", ...
  std::string transaction;  // empty for events Janus raises on its own
  uint64_t session_id = 0;
  uint64_t sender = 0;   // the handle an event concerns
  uint64_t data_id = 0;  // create/attach success: the new session or handle id
  int error_code = 0;    // "error": Janus core error
  std::string error_reason;
  std::string reason;  // hangup

  // plugindata.data (videoroom)
  bool has_plugin_data = false;
  std::string videoroom;  // "created", "joined", "event", "attached", "updated", "participants"
  int plugin_error_code = 0;
  std::string plugin_error;
  uint64_t id = 0;  // joined: our publisher id
  // joined / event: publishers announced (every one with streams is publishing).
  std::vector<uint64_t> publishers;
  // participants (listparticipants): the ids of those publishing.
  std::vector<uint64_t> publishing_participants;
  std::string configured;  // "ok" after publish
  std::string started;     // "ok" after start

  std::optional<Jsep> jsep;
};

// A long-poll body (one object or an array of them, ?maxev=N) or a POST response.
absl::StatusOr<std::vector<JanusMessage>> ParseJanusMessages(const std::string& json);

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_JANUS_API_H_
