#ifndef SWITCHYARD_API_WHIP_HANDLER_H_
#define SWITCHYARD_API_WHIP_HANDLER_H_

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "absl/container/flat_hash_map.h"
#include "api/access_token.h"
#include "api/room_api.h"
#include "api/room_manager.h"
#include "api/turn_runner.h"

namespace switchyard::api {

// WHIP ingest (RFC 9725) and WHEP playback over plain HTTP, both answering the client's SDP
// offer with an ICE-lite answer that carries our candidates (no trickle):
//
//   POST   /whip/{room}                         offer (application/sdp) -> 201 + answer,
//                                               Location: /whip/{room}/{participant_id}
//   DELETE /whip/{room}/{participant_id}        ends the ingest
//   POST   /whep/{room}/{identity}              plays that participant's tracks
//   DELETE /whep/{room}/{identity}/{participant_id}
//   OPTIONS on any of them                      CORS preflight (browser clients)
//
// Every request carries `Authorization: Bearer <join token>` for the room: roomJoin plus
// canPublish (WHIP) or canSubscribe (WHEP); DELETE needs a token for the same room and
// identity. PATCH (trickle ICE, RFC 9725 §4.3.1) is answered 405: an ICE-lite server has
// nothing to trickle and takes the client's candidates from its connectivity checks.
// Control thread only.
class WhipHandler {
 public:
  using Respond = std::function<void(ApiResponse)>;
  WhipHandler(RoomManager& rooms, const TokenVerifier& verifier,
              boost::asio::any_io_executor executor, std::function<int64_t()> unix_now);
  ~WhipHandler();

  static bool Serves(const std::string& target);
  // Calls `respond` exactly once, possibly later (when the worker has answered).
  void Handle(const ApiRequest& request, Respond respond);

  // ICE servers for the `Link: <url>; rel="ice-server"` headers of a 201 (RFC 9725 §4.6), per
  // identity (the embedded STUN/TURN server with credentials); unset = none.
  void SetIceServers(std::function<std::vector<IceServerInfo>(const std::string&)> ice_servers) {
    ice_servers_ = std::move(ice_servers);
  }

  // How long a POST waits for the worker's answer before 504.
  static constexpr std::chrono::seconds kAnswerTimeout{10};

 private:
  struct Pending;
  class Observer;
  class Client;
  void Create(const ApiRequest& request, bool whep, const std::string& room,
              const std::string& source_identity, Respond respond);
  void Delete(const ApiRequest& request, const std::string& room,
              const std::string& participant_id, Respond respond);
  void Complete(const std::string& participant_id, bool ok, const std::string& sdp_or_error);

  RoomManager& rooms_;
  const TokenVerifier& verifier_;
  boost::asio::any_io_executor executor_;
  std::function<int64_t()> unix_now_;
  std::function<std::vector<IceServerInfo>(const std::string&)> ice_servers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // participant_id -> request waiting for its answer.
  absl::flat_hash_map<std::string, std::unique_ptr<Pending>> pending_;
  struct Resource {
    std::string room;
    std::string identity;  // of the token that created it
    std::unique_ptr<sfu::ParticipantHandle> handle;
    // The manager's way to end the session (room deleted, participant removed, source left).
    std::shared_ptr<Client> client;
  };
  // participant_id -> live WHIP/WHEP session.
  absl::flat_hash_map<std::string, Resource> resources_;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_WHIP_HANDLER_H_
