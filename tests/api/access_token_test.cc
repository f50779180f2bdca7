#include "api/access_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchyard::api {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "APIkey123";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-long-enough";
constexpr int64_t kNow = 1'800'000'000;

// Signs arbitrary header/payload JSON independently of CreateAccessToken, so tests can build
// tokens our minting code would never produce.
std::string Sign(const std::string& header, const std::string& payload,
                 const std::string& secret = kSecret) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), length));
}

constexpr char kHs256Header[] = R"({"alg":"HS256","typ":"JWT"})";

AccessTokenClaims JoinClaims() {
  AccessTokenClaims claims;
  claims.api_key = kKey;
  claims.identity = "alice";
  claims.name = "Alice \"A\" Liddell \xC3\xA9";
  claims.not_before = kNow - 60;
  claims.expires_at = kNow + 3600;
  claims.jwt_id = "id-1";
  claims.video.room = "demo";
  claims.video.room_join = true;
  claims.video.can_publish = false;
  claims.video.can_subscribe = true;
  claims.video.can_publish_data = false;
  return claims;
}

TokenVerifier MakeVerifier() { return TokenVerifier({{kKey, kSecret}, {"other", "x"}}); }

std::optional<TokenRejectReason> ReasonOf(const absl::StatusOr<AccessTokenClaims>& result) {
  return TokenRejectReasonOf(result.status());
}

TEST(Base64UrlTest, RoundTripsAllLengthsAndIsStrict) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    const std::string encoded = Base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find_first_of("=+/"), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(encoded), bytes) << i;
    bytes.push_back(static_cast<char>(0xF0 + i * 37));
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(Base64UrlDecode("Zm9v"), "foo");
  EXPECT_FALSE(Base64UrlDecode("Zm8="));   // padding
  EXPECT_FALSE(Base64UrlDecode("Zm+v"));   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));  // 1 char in the last quantum
  EXPECT_EQ(Base64UrlDecode("Zm8"), "fo");
  EXPECT_FALSE(Base64UrlDecode("Zm9"));    // also "fo", but with non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n"));
}

TEST(AccessTokenTest, RoundTripsAllClaims) {
  const AccessTokenClaims claims = JoinClaims();
  auto token = CreateAccessToken(claims, kSecret);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(std::count(token->begin(), token->end(), '.'), 2);
  // Header is exactly what LiveKit emits.
  EXPECT_EQ(token->substr(0, token->find('.')), Base64UrlEncode(kHs256Header));

  TokenVerifier verifier = MakeVerifier();
  auto verified = verifier.Verify(*token, kNow);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified, claims);
  EXPECT_EQ(verifier.accepted(), 1u);
  EXPECT_TRUE(VerifyHs256Signature(*token, kSecret).ok());
}

TEST(AccessTokenTest, RoundTripsAdminGrantsWithoutJoin) {
  AccessTokenClaims claims;
  claims.api_key = kKey;
  claims.expires_at = kNow + 10;
  claims.video.room_admin = true;
  claims.video.room_create = true;
  claims.video.room_list = true;
  claims.video.can_publish = claims.video.can_subscribe = claims.video.can_publish_data = false;
  auto token = CreateAccessToken(claims, kSecret);
  ASSERT_TRUE(token.ok()) << token.status();
  auto verified = MakeVerifier().Verify(*token, kNow);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified, claims);
}

TEST(AccessTokenTest, CreateRejectsClaimsThatCouldNeverVerify) {
  struct Case {
    const char* what;
    void (*mutate)(AccessTokenClaims&);
  };
  const Case cases[] = {
      {"no key", [](AccessTokenClaims& c) { c.api_key.clear(); }},
      {"no expiry", [](AccessTokenClaims& c) { c.expires_at = 0; }},
      {"exp before nbf", [](AccessTokenClaims& c) { c.expires_at = c.not_before; }},
      {"join without room", [](AccessTokenClaims& c) { c.video.room.clear(); }},
      {"join without identity", [](AccessTokenClaims& c) { c.identity.clear(); }},
      {"invalid UTF-8", [](AccessTokenClaims& c) { c.name.assign(1, static_cast<char>(0xC3)); }},
  };
  for (const Case& c : cases) {
    AccessTokenClaims claims = JoinClaims();
    c.mutate(claims);
    auto token = CreateAccessToken(claims, kSecret);
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
  }
  EXPECT_FALSE(CreateAccessToken(JoinClaims(), "").ok());
}

// RFC 7515 Appendix A.1: the HS256 example JWS and its JWK "k".
constexpr char kRfcToken[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
    "cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr char kRfcKeyB64[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

TEST(AccessTokenTest, Rfc7515AppendixA1VerifiesAtSignatureLevel) {
  const std::optional<std::string> key = Base64UrlDecode(kRfcKeyB64);
  ASSERT_TRUE(key.has_value());
  ASSERT_EQ(key->size(), 64u);
  EXPECT_TRUE(VerifyHs256Signature(kRfcToken, *key).ok());
  EXPECT_FALSE(VerifyHs256Signature(kRfcToken, "wrong").ok());

  // Its claims ("iss":"joe", exp 1300819380, a private claim) are also a valid, grant-less
  // token for key "joe" before it expires, and expired after.
  TokenVerifier verifier({{"joe", *key}});
  auto claims = verifier.Verify(kRfcToken, 1300819380 - 100);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->api_key, "joe");
  EXPECT_EQ(claims->expires_at, 1300819380);
  EXPECT_FALSE(claims->video.room_join);
  EXPECT_FALSE(claims->video.can_publish);
  EXPECT_EQ(ReasonOf(verifier.Verify(kRfcToken, 1300819380 + 10)), TokenRejectReason::kExpired);
}

TEST(AccessTokenTest, RejectsTampering) {
  const std::string token = *CreateAccessToken(JoinClaims(), kSecret);
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.rfind('.');
  const std::string header = token.substr(0, dot1);
  const std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = token.substr(dot2 + 1);
  TokenVerifier verifier = MakeVerifier();

  // Payload: same signature over a payload granting more.
  AccessTokenClaims escalated = JoinClaims();
  escalated.video.can_publish = true;
  const std::string other = *CreateAccessToken(escalated, "attacker secret");
  const std::string other_payload = other.substr(other.find('.') + 1,
                                                 other.rfind('.') - other.find('.') - 1);
  ASSERT_NE(other_payload, payload);
  auto forged = verifier.Verify(header + "." + other_payload + "." + signature, kNow);
  EXPECT_EQ(forged.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ReasonOf(forged), TokenRejectReason::kBadSignature);
  EXPECT_THAT(forged.status().message(), HasSubstr("bad_signature"));

  // Signature: flip one bit of one byte (keeping the encoding canonical).
  std::string bytes = *Base64UrlDecode(signature);
  bytes[5] ^= 0x01;
  EXPECT_EQ(ReasonOf(verifier.Verify(header + "." + payload + "." + Base64UrlEncode(bytes), kNow)),
            TokenRejectReason::kBadSignature);
  // Truncated and empty signatures.
  EXPECT_EQ(ReasonOf(verifier.Verify(header + "." + payload + "." + Base64UrlEncode(
                                         bytes.substr(0, 31)), kNow)),
            TokenRejectReason::kBadSignature);
  EXPECT_EQ(ReasonOf(verifier.Verify(header + "." + payload + ".", kNow)),
            TokenRejectReason::kBadSignature);

  // Header: an equivalent header with other bytes changes the signing input.
  const std::string spaced = Base64UrlEncode(R"({"alg":"HS256", "typ":"JWT"})");
  EXPECT_EQ(ReasonOf(verifier.Verify(spaced + "." + payload + "." + signature, kNow)),
            TokenRejectReason::kBadSignature);

  EXPECT_EQ(verifier.rejected(TokenRejectReason::kBadSignature), 5u);
  EXPECT_EQ(verifier.accepted(), 0u);
}

TEST(AccessTokenTest, RejectsOtherAlgorithms) {
  const std::string payload =
      R"({"iss":"APIkey123","sub":"a","exp":1800003600,"video":{"room":"r","roomJoin":true}})";
  TokenVerifier verifier = MakeVerifier();
  // "none" with an empty signature (RFC 7519 §6.1 unsecured JWT) and with a real one.
  const std::string none_header = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string unsecured = none_header + "." + Base64UrlEncode(payload) + ".";
  for (const std::string& token :
       {unsecured, Sign(R"({"alg":"none"})", payload), Sign(R"({"alg":"HS512"})", payload),
        Sign(R"({"alg":"hs256"})", payload), Sign(R"({"alg":"RS256"})", payload)}) {
    auto result = verifier.Verify(token, kNow);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(ReasonOf(result), TokenRejectReason::kBadAlgorithm) << result.status();
    EXPECT_EQ(VerifyHs256Signature(token, kSecret).code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(verifier.rejected(TokenRejectReason::kBadAlgorithm), 5u);
  // The same payload properly signed is fine, also without "typ" and with a matching "kid".
  EXPECT_TRUE(verifier.Verify(Sign(R"({"alg":"HS256"})", payload), kNow).ok());
  EXPECT_TRUE(verifier.Verify(Sign(R"({"alg":"HS256","kid":"APIkey123"})", payload), kNow).ok());
  EXPECT_EQ(ReasonOf(verifier.Verify(Sign(R"({"alg":"HS256","kid":"other"})", payload), kNow)),
            TokenRejectReason::kMalformed);
  EXPECT_EQ(ReasonOf(verifier.Verify(Sign(R"({"alg":"HS256","typ":"JWE"})", payload), kNow)),
            TokenRejectReason::kMalformed);
  EXPECT_EQ(ReasonOf(verifier.Verify(Sign(R"({"alg":"HS256","crit":["x"]})", payload), kNow)),
            TokenRejectReason::kMalformed);
}

TEST(AccessTokenTest, KidNamesTheKeyWhenIssIsAbsent) {
  const std::string payload = R"({"sub":"a","exp":1800003600,"video":{"roomList":true}})";
  auto claims = MakeVerifier().Verify(Sign(R"({"alg":"HS256","kid":"APIkey123"})", payload), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->api_key, kKey);
  EXPECT_TRUE(claims->video.room_list);
  EXPECT_EQ(ReasonOf(MakeVerifier().Verify(Sign(kHs256Header, payload), kNow)),
            TokenRejectReason::kUnknownKey);
}

TEST(AccessTokenTest, ExpiryAndNotBeforeHonourTheSkew) {
  AccessTokenClaims claims = JoinClaims();
  claims.not_before = kNow;
  claims.expires_at = kNow + 100;
  const std::string token = *CreateAccessToken(claims, kSecret);
  TokenVerifier verifier = MakeVerifier();
  struct Case {
    int64_t now;
    std::optional<TokenRejectReason> reason;
  };
  const Case cases[] = {
      {kNow - kTokenClockSkewSeconds - 1, TokenRejectReason::kNotYetValid},
      {kNow - kTokenClockSkewSeconds, std::nullopt},
      {kNow, std::nullopt},
      {kNow + 100, std::nullopt},  // at exp, still inside the leeway
      {kNow + 100 + kTokenClockSkewSeconds - 1, std::nullopt},
      {kNow + 100 + kTokenClockSkewSeconds, TokenRejectReason::kExpired},
      {INT64_MAX, TokenRejectReason::kExpired},
  };
  for (const Case& c : cases) {
    auto result = verifier.Verify(token, c.now);
    EXPECT_EQ(result.ok(), !c.reason.has_value()) << c.now << " " << result.status();
    EXPECT_EQ(ReasonOf(result), c.reason) << c.now;
  }
  EXPECT_EQ(verifier.rejected(TokenRejectReason::kExpired), 2u);
  EXPECT_EQ(verifier.rejected(TokenRejectReason::kNotYetValid), 1u);
  EXPECT_EQ(verifier.accepted(), 4u);
  EXPECT_THAT(verifier.Verify(token, kNow + 1000).status().message(), HasSubstr("expired"));
}

TEST(AccessTokenTest, RejectsUnknownKeyAndWrongSecret) {
  AccessTokenClaims claims = JoinClaims();
  claims.api_key = "stranger";
  EXPECT_EQ(ReasonOf(MakeVerifier().Verify(*CreateAccessToken(claims, kSecret), kNow)),
            TokenRejectReason::kUnknownKey);
  claims.api_key = "other";  // known key, signed with the wrong secret
  EXPECT_EQ(ReasonOf(MakeVerifier().Verify(*CreateAccessToken(claims, kSecret), kNow)),
            TokenRejectReason::kBadSignature);
}

TEST(AccessTokenTest, RejectsOversizeTokensBeforeDecoding) {
  AccessTokenClaims claims = JoinClaims();
  claims.name = std::string(kMaxTokenBytes, 'n');
  const std::string token = *CreateAccessToken(claims, kSecret);
  ASSERT_GT(token.size(), kMaxTokenBytes);
  TokenVerifier verifier = MakeVerifier();
  EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow)), TokenRejectReason::kTooLarge);
  EXPECT_EQ(verifier.rejected(TokenRejectReason::kTooLarge), 1u);
  EXPECT_EQ(ReasonOf(verifier.Verify(std::string(kMaxTokenBytes + 1, 'a'), kNow)),
            TokenRejectReason::kTooLarge);
  // Just under the limit parses normally.
  claims.name = std::string(kMaxTokenBytes * 3 / 4 - 400, 'n');
  const std::string fits = *CreateAccessToken(claims, kSecret);
  ASSERT_LE(fits.size(), kMaxTokenBytes);
  EXPECT_TRUE(verifier.Verify(fits, kNow).ok());
}

TEST(AccessTokenTest, ParsesGrantsWithLiveKitDefaults) {
  struct Case {
    const char* video;
    VideoGrant expected;
  };
  const Case cases[] = {
      // A bare join token may publish, subscribe and send data (LiveKit's defaults).
      {R"({"room":"r","roomJoin":true})",
       {.room = "r", .room_join = true}},
      {R"({"room":"r","roomJoin":true,"canPublish":false,"canPublishData":false})",
       {.room = "r", .room_join = true, .can_publish = false, .can_publish_data = false}},
      {R"({"room":"r","roomJoin":true,"canSubscribe":false})",
       {.room = "r", .room_join = true, .can_subscribe = false}},
      // Admin-only tokens carry no media rights unless they say so.
      {R"({"roomAdmin":true,"room":"r"})",
       {.room = "r", .room_admin = true, .can_publish = false, .can_subscribe = false,
        .can_publish_data = false}},
      {R"({"roomCreate":true,"roomList":true,"canPublish":true})",
       {.room = "", .room_create = true, .room_list = true, .can_publish = true,
        .can_subscribe = false, .can_publish_data = false}},
      // LiveKit's other grants and nulls are ignored.
      {R"({"room":"r","roomJoin":true,"hidden":false,"canUpdateOwnMetadata":true,
           "canPublishSources":["camera"],"recorder":null,"roomRecord":null})",
       {.room = "r", .room_join = true}},
  };
  for (const Case& c : cases) {
    const std::string payload = std::string(R"({"iss":"APIkey123","sub":"s","exp":1800000100,)") +
                                R"("metadata":"{\"a\":[1,2,{}]}","video":)" + c.video + "}";
    auto claims = MakeVerifier().Verify(Sign(kHs256Header, payload), kNow);
    ASSERT_TRUE(claims.ok()) << c.video << " " << claims.status();
    EXPECT_EQ(claims->video, c.expected) << c.video;
  }
}

TEST(AccessTokenTest, ParsesClaimDetails) {
  // Fractional NumericDates (RFC 7519 §2) floor; escapes and surrogate pairs decode.
  const std::string payload =
      R"({"iss":"APIkey123","sub":"\u00e9\ud83d\ude00\n","nbf":1799999999.9,"exp":1.8000001e9,)"
      R"("video":{"room":"a\/b","roomJoin":true}})";
  auto claims = MakeVerifier().Verify(Sign(kHs256Header, payload), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->identity, "\xC3\xA9\xF0\x9F\x98\x80\n");
  EXPECT_EQ(claims->not_before, 1799999999);
  EXPECT_EQ(claims->expires_at, 1800000100);
  EXPECT_EQ(claims->video.room, "a/b");
}

TEST(AccessTokenTest, RejectsMalformedAndMistypedClaims) {
  const char* payloads[] = {
      "",
      "[]",
      "{",
      R"({"iss":"APIkey123","exp":1800003600} x)",
      R"({"iss":"APIkey123"})",                             // no exp
      R"({"iss":"APIkey123","exp":"1800003600"})",          // exp as string
      R"({"iss":"APIkey123","exp":-5})",
      R"({"iss":"APIkey123","exp":1e300})",
      R"({"iss":"APIkey123","exp":01800003600})",           // leading zero
      R"({"iss":7,"exp":1800003600})",
      R"({"iss":"APIkey123","exp":1800003600,"video":[]})",
      R"({"iss":"APIkey123","exp":1800003600,"video":{"roomJoin":"yes"}})",
      R"({"iss":"APIkey123","exp":1800003600,"video":{"room":1}})",
      // Duplicate names: the issuer and we could disagree about which one counts.
      R"({"iss":"APIkey123","exp":1800003600,"video":{"roomAdmin":false,"roomAdmin":true}})",
      R"({"iss":"APIkey123","exp":1800003600,"sub":"a\ud800"})",  // lone surrogate
      "{\"iss\":\"APIkey123\",\"exp\":1800003600,\"sub\":\"\xC3\"}",   // bad UTF-8
      "{\"iss\":\"APIkey123\",\"exp\":1800003600,\"sub\":\"a\tb\"}",   // raw control char
      R"({"iss":"APIkey123","exp":1800003600,"x":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]})",
  };
  TokenVerifier verifier = MakeVerifier();
  for (const char* payload : payloads) {
    auto result = verifier.Verify(Sign(kHs256Header, payload), kNow);
    EXPECT_EQ(ReasonOf(result), TokenRejectReason::kMalformed) << payload;
  }
  for (const char* token : {"", "a", "a.b", "a.b.c.d", ".b.c", "a..c", "!!.b.c"}) {
    EXPECT_EQ(ReasonOf(verifier.Verify(token, kNow)), TokenRejectReason::kMalformed) << token;
  }
  // Signed and current, but a join grant without identity is refused after the checks.
  const std::string anonymous_join =
      R"({"iss":"APIkey123","exp":1800003600,"video":{"room":"r","roomJoin":true}})";
  EXPECT_EQ(ReasonOf(verifier.Verify(Sign(kHs256Header, anonymous_join), kNow)),
            TokenRejectReason::kInvalidClaims);
}

TEST(AccessTokenTest, ReasonNamesAreStableAndUnique) {
  EXPECT_EQ(TokenRejectReasonName(TokenRejectReason::kMalformed), "malformed");
  EXPECT_EQ(TokenRejectReasonName(TokenRejectReason::kBadSignature), "bad_signature");
  EXPECT_EQ(TokenRejectReasonName(TokenRejectReason::kInvalidClaims), "invalid_claims");
  std::set<std::string_view> names;
  for (size_t i = 0; i < kTokenRejectReasonCount; ++i) {
    names.insert(TokenRejectReasonName(static_cast<TokenRejectReason>(i)));
  }
  EXPECT_EQ(names.size(), kTokenRejectReasonCount);
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_EQ(TokenRejectReasonOf(VerifyHs256Signature("x", "y")), TokenRejectReason::kMalformed);
  EXPECT_EQ(TokenRejectReasonOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(TokenRejectReasonOf(absl::UnauthenticatedError("x")), std::nullopt);
}

TEST(CheckSecretStrengthTest, RequiresThirtyTwoBytes) {
  EXPECT_FALSE(CheckSecretStrength(kDevApiSecret).ok());
  EXPECT_FALSE(CheckSecretStrength(std::string(31, 'x')).ok());
  EXPECT_TRUE(CheckSecretStrength(std::string(32, 'x')).ok());
  EXPECT_THAT(std::string(CheckSecretStrength("short").message()), HasSubstr("5 bytes"));
}

}  // namespace
}  // namespace switchyard::api
