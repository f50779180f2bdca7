#include "api/whip_handler.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api_codec.h"
#include "rtc/sdp_parser.h"

namespace switchyard::api {

namespace {

constexpr char kCorsAllowHeaders[] = "Authorization, Content-Type, If-Match";
constexpr char kCorsExposeHeaders[] = "Location, Link, ETag, Accept-Patch";

// Browser WHIP/WHEP players run on other origins; the Bearer token, not cookies, authorizes.
void AddCors(ApiResponse& r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Access-Control-Expose-Headers", kCorsExposeHeaders);
}

}  // namespace

struct WhipHandler::Pending {
  Respond respond;
  std::string location;
  std::unique_ptr<boost::asio::steady_timer> timer;
};

// Hears the participant's worker; only the answer (or the error instead of it) matters to an
// HTTP resource, and the end of the session frees it.
class WhipHandler::Observer final : public sfu::ParticipantObserver {
 public:
  Observer(WhipHandler& handler, std::string participant_id)
      : handler_(handler),
        alive_(handler.alive_),
        executor_(handler.executor_),
        participant_id_(std::move(participant_id)) {}

  void OnJoined(const std::string&, const std::string&,
                const std::vector<sfu::ParticipantSummary>&) override {}
  void OnPublishAnswer(const std::string& sdp) override { Post(true, sdp); }
  void OnSubscribeAnswer(const std::string& sdp) override { Post(true, sdp); }
  void OnSubscribeOffer(const std::string&) override {}
  void OnParticipantJoined(const sfu::ParticipantSummary&) override {}
  void OnParticipantLeft(const std::string&) override {}
  void OnTrackPublished(const std::string&, const sfu::TrackSummary&) override {}
  void OnTrackUnpublished(const std::string&, const std::string&) override {}
  void OnTrackMuted(const std::string&, const std::string&, bool) override {}
  void OnSubscriptionState(const std::string&, int, int, uint64_t) override {}
  void OnActiveSpeakers(const std::vector<std::string>&) override {}
  void OnError(const std::string& code, const std::string& message) override {
    Post(false, absl::StrCat(code, ": ", message));
  }
  void OnClosed(const std::string&) override {
    boost::asio::post(executor_, [handler = &handler_, alive = std::weak_ptr<bool>(alive_),
                                  id = participant_id_] {
      if (!alive.lock()) return;
      handler->Complete(id, false, "closed: the session ended");
      handler->resources_.erase(id);
    });
  }

 private:
  void Post(bool ok, std::string text) {
    boost::asio::post(executor_, [handler = &handler_, alive = std::weak_ptr<bool>(alive_),
                                  id = participant_id_, ok, text = std::move(text)] {
      if (alive.lock()) handler->Complete(id, ok, text);
    });
  }

  WhipHandler& handler_;
  std::shared_ptr<bool> alive_;
  boost::asio::any_io_executor executor_;
  const std::string participant_id_;
};

// An HTTP resource has no channel to its client: when the manager ends the session the resource
// is simply forgotten (a later DELETE answers 404), and an answer still pending fails.
class WhipHandler::Client final : public ParticipantClient {
 public:
  Client(WhipHandler& handler, std::string participant_id)
      : handler_(handler), participant_id_(std::move(participant_id)) {}
  void SendToClient(const v1::ServerMessage&) override {}
  void Disconnect(const std::string& reason) override {
    // Copies: erasing the resource may destroy this object's last other owner.
    WhipHandler& handler = handler_;
    const std::string id = participant_id_;
    handler.resources_.erase(id);
    handler.Complete(id, false, absl::StrCat("closed: ", reason));
  }

 private:
  WhipHandler& handler_;
  const std::string participant_id_;
};

WhipHandler::WhipHandler(RoomManager& rooms, const TokenVerifier& verifier,
                         boost::asio::any_io_executor executor, std::function<int64_t()> unix_now)
    : rooms_(rooms),
      verifier_(verifier),
      executor_(std::move(executor)),
      unix_now_(std::move(unix_now)) {}

WhipHandler::~WhipHandler() {
  alive_.reset();
  for (auto& [id, pending] : pending_) pending->timer->cancel();
}

bool WhipHandler::Serves(const std::string& target) {
  return absl::StartsWith(target, "/whip/") || absl::StartsWith(target, "/whep/");
}

void WhipHandler::Handle(const ApiRequest& request, Respond respond) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  std::vector<std::string> segments = absl::StrSplit(path, '/', absl::SkipEmpty());
  const bool whep = segments[0] == "whep";
  // Collection: /whip/{room} or /whep/{room}/{identity}; resource: one more segment.
  const size_t collection_size = whep ? 3 : 2;
  const bool is_collection = segments.size() == collection_size;
  const bool is_resource = segments.size() == collection_size + 1;
  if (!is_collection && !is_resource) {
    ApiResponse r = ApiErrorResponse(404, "bad_route", absl::StrCat("no resource at ", path));
    AddCors(r);
    return respond(std::move(r));
  }
  if (request.method == "OPTIONS") {
    ApiResponse r;
    r.status = 204;
    AddCors(r);
    r.headers.emplace_back("Access-Control-Allow-Methods",
                           is_collection ? "POST, OPTIONS" : "DELETE, PATCH, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", kCorsAllowHeaders);
    r.headers.emplace_back("Access-Control-Max-Age", "86400");
    if (is_collection) r.headers.emplace_back("Accept-Post", "application/sdp");
    return respond(std::move(r));
  }
  if (is_collection && request.method == "POST") {
    return Create(request, whep, segments[1], whep ? segments[2] : "", std::move(respond));
  }
  if (is_resource && request.method == "DELETE") {
    return Delete(request, segments[1], segments.back(), std::move(respond));
  }
  ApiResponse r = ApiErrorResponse(405, "method_not_allowed",
                        is_resource && request.method == "PATCH"
                            ? "trickle ICE is not supported: this server is ICE-lite and its "
                              "candidates are in the answer"
                            : absl::StrCat(request.method, " is not allowed here"));
  r.headers.emplace_back("Allow", is_collection ? "POST, OPTIONS" : "DELETE, OPTIONS");
  AddCors(r);
  respond(std::move(r));
}

void WhipHandler::Create(const ApiRequest& request, bool whep, const std::string& room,
                         const std::string& source_identity, Respond respond) {
  auto fail = [&](int status, const std::string& code, const std::string& message) {
    ApiResponse r = ApiErrorResponse(status, code, message);
    AddCors(r);
    respond(std::move(r));
  };
  auto claims = VerifyBearer(request.authorization, verifier_, unix_now_());
  if (!claims.ok()) return fail(401, "unauthenticated", std::string(claims.status().message()));
  const VideoGrant& grant = claims->video;
  if (!grant.room_join || grant.room != room) {
    return fail(403, "permission_denied",
                absl::StrCat("the token does not grant joining room \"", room, "\""));
  }
  if (whep ? !grant.can_subscribe : !grant.can_publish) {
    return fail(403, "permission_denied",
                whep ? "the token does not grant canSubscribe" : "the token does not grant canPublish");
  }
  const std::string type = absl::AsciiStrToLower(
      std::string(absl::StripAsciiWhitespace(request.content_type.substr(
          0, request.content_type.find(';')))));
  if (type != "application/sdp") {
    return fail(415, "unsupported_media_type", "the body must be an SDP offer (application/sdp)");
  }
  // Parsed here only to answer a garbage body with 400 at once; the worker parses it again.
  auto offer = rtc::ParseSdp(request.body);
  if (!offer.ok()) {
    return fail(400, "invalid_argument", absl::StrCat("sdp: ", std::string(offer.status().message())));
  }

  JoinRequest join;
  join.room = room;
  // Several players commonly share one viewing token: each WHEP session gets its own identity
  // so that none replaces another.
  join.identity = whep ? absl::StrCat(claims->identity, "/whep-", sfu::RandomId(6))
                       : claims->identity;
  join.name = claims->name;
  join.permission.set_can_publish(!whep && grant.can_publish);
  join.permission.set_can_subscribe(whep && grant.can_subscribe);
  join.permission.set_can_publish_data(false);
  join.kind = whep ? v1::ParticipantInfo::KIND_WHEP : v1::ParticipantInfo::KIND_WHIP;
  join.whep_source_identity = source_identity;

  join.participant_id = NewParticipantId();
  auto observer = std::make_shared<Observer>(*this, join.participant_id);
  auto client = std::make_shared<Client>(*this, join.participant_id);
  auto joined = rooms_.Join(join, observer, client);
  if (!joined.ok()) {
    const auto& s = joined.status();
    if (absl::StartsWith(s.message(), "room_full")) {
      return fail(403, "room_full", std::string(s.message()));
    }
    ApiError e = ErrorFromStatus(s);
    return fail(e.http_status, e.code, e.message);
  }
  const std::string id = joined->participant.participant_id();
  auto pending = std::make_unique<Pending>();
  pending->respond = std::move(respond);
  pending->location = whep ? absl::StrCat("/whep/", room, "/", source_identity, "/", id)
                           : absl::StrCat("/whip/", room, "/", id);
  pending->timer = std::make_unique<boost::asio::steady_timer>(executor_, kAnswerTimeout);
  pending->timer->async_wait([this, alive = std::weak_ptr<bool>(alive_), id](
                                 const boost::system::error_code& ec) {
    if (ec || !alive.lock()) return;
    Complete(id, false, "timeout: no answer from the media worker");
  });
  Resource resource;
  resource.room = room;
  resource.identity = claims->identity;
  resource.handle = std::move(joined->handle);
  resource.client = std::move(client);
  if (whep) {
    resource.handle->SubscribeOffer(request.body);
  } else {
    resource.handle->PublishOffer(request.body);
  }
  resources_[id] = std::move(resource);
  pending_[id] = std::move(pending);
}

void WhipHandler::Complete(const std::string& participant_id, bool ok,
                           const std::string& sdp_or_error) {
  auto it = pending_.find(participant_id);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> pending = std::move(it->second);
  pending_.erase(it);
  pending->timer->cancel();
  ApiResponse r;
  if (ok) {
    r.status = 201;
    r.content_type = "application/sdp";
    r.body = sdp_or_error;
    r.headers.emplace_back("Location", pending->location);
    // RFC 9725 §4.6: the server's STUN/TURN service, as RFC 8288 links, with this identity's
    // credentials on the turn: one.
    auto resource = resources_.find(participant_id);
    if (ice_servers_ && resource != resources_.end()) {
      for (const IceServerInfo& server : ice_servers_(resource->second.identity)) {
        for (const std::string& url : server.urls) {
          std::string link = absl::StrCat("<", url, ">; rel=\"ice-server\"");
          if (!server.username.empty()) {
            absl::StrAppend(&link, "; username=\"", server.username, "\"; credential=\"",
                            server.credential, "\"; credential-type=\"password\"");
          }
          r.headers.emplace_back("Link", std::move(link));
        }
      }
    }
  } else {
    rooms_.Leave(participant_id);
    resources_.erase(participant_id);
    const bool timeout = absl::StartsWith(sdp_or_error, "timeout");
    r = ApiErrorResponse(timeout ? 504 : 400, timeout ? "deadline_exceeded" : "invalid_argument",
              sdp_or_error);
  }
  AddCors(r);
  pending->respond(std::move(r));
}

void WhipHandler::Delete(const ApiRequest& request, const std::string& room,
                         const std::string& participant_id, Respond respond) {
  auto fail = [&](int status, const std::string& code, const std::string& message) {
    ApiResponse r = ApiErrorResponse(status, code, message);
    AddCors(r);
    respond(std::move(r));
  };
  auto claims = VerifyBearer(request.authorization, verifier_, unix_now_());
  if (!claims.ok()) return fail(401, "unauthenticated", std::string(claims.status().message()));
  auto it = resources_.find(participant_id);
  if (it == resources_.end() || it->second.room != room) {
    return fail(404, "not_found", "no such session (it may have ended already)");
  }
  if (claims->video.room != room || claims->identity != it->second.identity) {
    return fail(403, "permission_denied", "only the token's owner may end this session");
  }
  resources_.erase(it);
  rooms_.Leave(participant_id);
  ApiResponse r;
  r.status = 200;
  AddCors(r);
  respond(std::move(r));
}

}  // namespace switchyard::api
