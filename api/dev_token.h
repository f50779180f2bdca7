#ifndef SWITCHYARD_API_DEV_TOKEN_H_
#define SWITCHYARD_API_DEV_TOKEN_H_

#include <cstdint>
#include <string>

#include "api/room_api.h"

namespace switchyard::api {

// GET /dev/token?room=R[&identity=I][&name=N] — dev mode only (the server does not route it
// otherwise): a join token for the demo page, signed with the dev key, valid for 6 hours,
// publish/subscribe/data granted. identity defaults to a random "guest-..." so that two tabs
// do not replace each other. Answers {"token":"...","room":"...","identity":"..."}.
ApiResponse IssueDevToken(const std::string& target, const std::string& api_key,
                          const std::string& secret, int64_t now_unix_seconds);

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_DEV_TOKEN_H_
