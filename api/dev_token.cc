#include "api/dev_token.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/access_token.h"
#include "api/api_codec.h"
#include "api/room_manager.h"
#include "api/signaling_codec.h"
#include "sfu/worker_pool.h"

namespace switchyard::api {

namespace {

constexpr int64_t kDevTokenSeconds = 6 * 3600;

}  // namespace

ApiResponse IssueDevToken(const std::string& target, const std::string& api_key,
                          const std::string& secret, int64_t now_unix_seconds) {
  std::string room, identity, name;
  const size_t q = target.find('?');
  if (q != std::string::npos) {
    for (absl::string_view param : absl::StrSplit(target.substr(q + 1), '&')) {
      const size_t eq = param.find('=');
      if (eq == absl::string_view::npos) continue;
      const std::string key(param.substr(0, eq));
      auto decoded = PercentDecode(
          std::string_view(param.data() + eq + 1, param.size() - eq - 1), /*plus_is_space=*/true);
      if (!decoded) return ApiErrorResponse(absl::InvalidArgumentError("query: bad percent-encoding"));
      std::string value = std::move(*decoded);
      if (key == "room") room = std::move(value);
      else if (key == "identity") identity = std::move(value);
      else if (key == "name") name = std::move(value);
    }
  }
  if (auto s = ValidateRoomName(room); !s.ok()) {
    return ApiErrorResponse(absl::InvalidArgumentError(absl::StrCat("room: ", std::string(s.message()))));
  }
  if (identity.empty()) identity = absl::StrCat("guest-", sfu::RandomId(8));
  if (identity.size() > 128) return ApiErrorResponse(absl::InvalidArgumentError("identity: at most 128 bytes"));
  if (!name.empty()) {
    if (auto s = ValidateDisplayName(name); !s.ok()) {
      return ApiErrorResponse(absl::InvalidArgumentError(absl::StrCat("name: ", std::string(s.message()))));
    }
  }
  AccessTokenClaims claims;
  claims.api_key = api_key;
  claims.identity = identity;
  claims.name = name;
  claims.not_before = now_unix_seconds;
  claims.expires_at = now_unix_seconds + kDevTokenSeconds;
  claims.video.room = room;
  claims.video.room_join = true;
  auto token = CreateAccessToken(claims, secret);
  if (!token.ok()) return ApiErrorResponse(token.status());
  const std::string body = absl::StrCat("{\"token\":", JsonQuote(*token), ",\"room\":",
                                        JsonQuote(room), ",\"identity\":", JsonQuote(identity),
                                        "}");
  ApiResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = body;
  return r;
}

}  // namespace switchyard::api
