// Fuzzes access-token verification: every Authorization header and join token an untrusted
// client sends reaches TokenVerifier::Verify first. Two modes per input: the raw bytes as a
// token (header/base64url/signature handling), and, split at the first newline into header
// and payload JSON, properly signed with the configured secret, so the claims reader behind
// the HMAC gets exercised too. Accepted claims must survive a re-mint round trip.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/access_token.h"

namespace {

constexpr char kKey[] = "fuzzkey";
constexpr char kSecret[] = "fuzz-secret-0123456789abcdef0123456789";
constexpr int64_t kNow = 1'800'000'000;

std::string Sign(std::string_view header, std::string_view payload) {
  using switchyard::api::Base64UrlEncode;
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), length));
}

void Check(const switchyard::api::TokenVerifier& verifier, std::string_view token) {
  auto claims = verifier.Verify(token, kNow);
  if (!claims.ok()) {
    // Every rejection carries a reason for the metrics.
    if (!switchyard::api::TokenRejectReasonOf(claims.status())) std::abort();
    return;
  }
  auto again = switchyard::api::CreateAccessToken(*claims, kSecret);
  if (!again.ok()) return;  // e.g. nbf after exp: verifiable at this instant, not mintable
  auto reparsed = verifier.Verify(*again, kNow);
  if (!reparsed.ok() || !(*reparsed == *claims)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const switchyard::api::TokenVerifier* verifier =
      new switchyard::api::TokenVerifier({{kKey, kSecret}, {"other", "other-secret"}});
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(*verifier, input);
  (void)switchyard::api::VerifyHs256Signature(input, kSecret);

  // Strict base64url: whatever decodes must re-encode to the same text.
  if (auto decoded = switchyard::api::Base64UrlDecode(input)) {
    if (switchyard::api::Base64UrlEncode(*decoded) != input) std::abort();
  }

  const size_t newline = input.find('\n');
  if (newline != std::string_view::npos && size <= switchyard::api::kMaxTokenBytes) {
    Check(*verifier, Sign(input.substr(0, newline), input.substr(newline + 1)));
  }
  return 0;
}
