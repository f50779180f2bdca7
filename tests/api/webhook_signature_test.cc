#include "api/webhook_signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <string>

namespace switchyard::api {
namespace {

constexpr char kKey[] = "hookkey";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000;

// A token over an arbitrary payload, signed like CreateAccessToken signs, so that tests can
// build claim sets CreateAccessToken refuses to make.
std::string SignRawPayload(const std::string& payload, const std::string& secret) {
  std::string token = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  token.append(".").append(Base64UrlEncode(payload));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_size);
  token.append(".").append(
      Base64UrlEncode(std::string(reinterpret_cast<const char*>(mac), mac_size)));
  return token;
}

v1::WebhookEvent SampleEvent() {
  v1::WebhookEvent event;
  event.set_event("participant_joined");
  event.set_id("EV_abc");
  event.set_created_at(kNow);
  event.mutable_room()->set_name("studio");
  event.mutable_room()->set_sid("RM_1");
  event.mutable_participant()->set_identity("alice");
  event.mutable_participant()->set_participant_id("PA_1");
  event.mutable_participant()->set_state(v1::ParticipantInfo::STATE_ACTIVE);
  return event;
}

std::string ToJson(const v1::WebhookEvent& event) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(event, &json).ok());
  return json;
}

class WebhookSignatureTest : public ::testing::Test {
 protected:
  TokenVerifier verifier_{std::map<std::string, std::string>{{kKey, kSecret}}};
};

TEST(WebhookBodySha256Test, IsPaddedStandardBase64OfSha256) {
  // FIPS 180-2 test vectors, base64-encoded.
  EXPECT_EQ(WebhookBodySha256(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(WebhookBodySha256("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST_F(WebhookSignatureTest, RoundTripYieldsTheEvent) {
  const v1::WebhookEvent sent = SampleEvent();
  const std::string body = ToJson(sent);
  absl::StatusOr<std::string> token = SignWebhook(body, kKey, kSecret, kNow);
  ASSERT_TRUE(token.ok()) << token.status();

  absl::StatusOr<v1::WebhookEvent> received = VerifyWebhook(body, *token, verifier_, kNow + 1);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(sent, *received))
      << received->DebugString();
}

TEST_F(WebhookSignatureTest, TokenCarriesIssuerLifetimeHashAndNoGrants) {
  const std::string body = ToJson(SampleEvent());
  absl::StatusOr<std::string> token = SignWebhook(body, kKey, kSecret, kNow);
  ASSERT_TRUE(token.ok());
  absl::StatusOr<AccessTokenClaims> claims = verifier_.Verify(*token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->api_key, kKey);
  EXPECT_EQ(claims->not_before, kNow);
  EXPECT_EQ(claims->expires_at, kNow + kWebhookTokenLifetimeSeconds);
  EXPECT_EQ(claims->sha256, WebhookBodySha256(body));
  EXPECT_TRUE(claims->identity.empty());
  EXPECT_FALSE(claims->video.room_join || claims->video.room_admin ||
               claims->video.room_create || claims->video.room_list);
  EXPECT_FALSE(claims->video.can_publish || claims->video.can_subscribe ||
               claims->video.can_publish_data);

  absl::StatusOr<AccessTokenClaims> checked =
      VerifyWebhookSignature(body, *token, verifier_, kNow);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(*checked, *claims);
}

TEST_F(WebhookSignatureTest, BearerSchemeIsAccepted) {
  const std::string body = ToJson(SampleEvent());
  const std::string token = *SignWebhook(body, kKey, kSecret, kNow);
  for (const std::string& header :
       {"Bearer " + token, "bearer " + token, "BEARER   " + token, " " + token + " "}) {
    EXPECT_TRUE(VerifyWebhook(body, header, verifier_, kNow).ok()) << header;
  }
  // A scheme glued to the token is not a scheme.
  EXPECT_FALSE(VerifyWebhook(body, "Bearer" + token, verifier_, kNow).ok());
  EXPECT_FALSE(VerifyWebhook(body, "Basic " + token, verifier_, kNow).ok());
  EXPECT_FALSE(VerifyWebhook(body, "", verifier_, kNow).ok());
}

TEST_F(WebhookSignatureTest, TamperedBodyIsRejected) {
  const std::string body = ToJson(SampleEvent());
  const std::string token = *SignWebhook(body, kKey, kSecret, kNow);

  std::string tampered = body;
  const size_t at = tampered.find("alice");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at, 5, "mallo");
  for (const std::string& other : {tampered, body + " ", body.substr(0, body.size() - 1),
                                   std::string()}) {
    absl::StatusOr<v1::WebhookEvent> result = VerifyWebhook(other, token, verifier_, kNow);
    ASSERT_FALSE(result.ok()) << other;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    // The token itself is fine: the refusal is about the body.
    EXPECT_FALSE(TokenRejectReasonOf(result.status()).has_value());
  }
}

TEST_F(WebhookSignatureTest, WrongSecretOrUnknownKeyIsRejected) {
  const std::string body = ToJson(SampleEvent());
  const std::string forged =
      *SignWebhook(body, kKey, "ffffffffffffffffffffffffffffffff", kNow);
  absl::StatusOr<v1::WebhookEvent> result = VerifyWebhook(body, forged, verifier_, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(TokenRejectReasonOf(result.status()), TokenRejectReason::kBadSignature);

  const std::string other_key = *SignWebhook(body, "otherkey", kSecret, kNow);
  result = VerifyWebhook(body, other_key, verifier_, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TokenRejectReasonOf(result.status()), TokenRejectReason::kUnknownKey);
}

TEST_F(WebhookSignatureTest, ExpiredAndNotYetValidTokensAreRejected) {
  const std::string body = ToJson(SampleEvent());
  const std::string token = *SignWebhook(body, kKey, kSecret, kNow);
  // Valid until exp plus the clock-skew leeway, from nbf minus it.
  const int64_t last_valid = kNow + kWebhookTokenLifetimeSeconds + kTokenClockSkewSeconds - 1;
  EXPECT_TRUE(VerifyWebhook(body, token, verifier_, last_valid).ok());
  absl::StatusOr<v1::WebhookEvent> result =
      VerifyWebhook(body, token, verifier_, last_valid + 1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TokenRejectReasonOf(result.status()), TokenRejectReason::kExpired);

  EXPECT_TRUE(VerifyWebhook(body, token, verifier_, kNow - kTokenClockSkewSeconds).ok());
  result = VerifyWebhook(body, token, verifier_, kNow - kTokenClockSkewSeconds - 1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TokenRejectReasonOf(result.status()), TokenRejectReason::kNotYetValid);
}

TEST_F(WebhookSignatureTest, TokenWithoutSha256ClaimIsRejected) {
  // A valid access token (e.g. an admin token) is no webhook signature.
  AccessTokenClaims claims;
  claims.api_key = kKey;
  claims.expires_at = kNow + 60;
  claims.video.room_admin = true;
  const std::string token = *CreateAccessToken(claims, kSecret);
  const std::string body = ToJson(SampleEvent());
  ASSERT_TRUE(verifier_.Verify(token, kNow).ok());
  absl::StatusOr<v1::WebhookEvent> result = VerifyWebhook(body, token, verifier_, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(std::string(result.status().message()).find("sha256"), std::string::npos);
}

TEST_F(WebhookSignatureTest, Sha256ClaimRoundTripsThroughAccessTokens) {
  AccessTokenClaims claims;
  claims.api_key = kKey;
  claims.identity = "bob";
  claims.expires_at = kNow + 60;
  claims.sha256 = WebhookBodySha256("payload");
  absl::StatusOr<std::string> token = CreateAccessToken(claims, kSecret);
  ASSERT_TRUE(token.ok());
  absl::StatusOr<AccessTokenClaims> parsed = verifier_.Verify(*token, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->sha256, claims.sha256);

  // Absent claim: empty, and not written into the payload.
  claims.sha256.clear();
  token = CreateAccessToken(claims, kSecret);
  ASSERT_TRUE(token.ok());
  const std::string payload_b64 = token->substr(token->find('.') + 1,
                                                token->rfind('.') - token->find('.') - 1);
  EXPECT_EQ(Base64UrlDecode(payload_b64)->find("sha256"), std::string::npos);
  parsed = verifier_.Verify(*token, kNow);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->sha256.empty());

  claims.sha256 = "\xff\xfe";
  EXPECT_EQ(CreateAccessToken(claims, kSecret).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(WebhookSignatureTest, Sha256ClaimOfTheWrongTypeIsMalformed) {
  for (const char* value : {"5", "true", "[\"a\"]", "{}"}) {
    const std::string payload =
        std::string(R"({"exp":)") + std::to_string(kNow + 60) + R"(,"iss":"hookkey","sha256":)" +
        value + "}";
    absl::StatusOr<AccessTokenClaims> parsed =
        verifier_.Verify(SignRawPayload(payload, kSecret), kNow);
    ASSERT_FALSE(parsed.ok()) << value;
    EXPECT_EQ(TokenRejectReasonOf(parsed.status()), TokenRejectReason::kMalformed) << value;
  }
  // null reads as absent, as for the other optional claims.
  const std::string payload = std::string(R"({"exp":)") + std::to_string(kNow + 60) +
                              R"(,"iss":"hookkey","sha256":null})";
  absl::StatusOr<AccessTokenClaims> parsed =
      verifier_.Verify(SignRawPayload(payload, kSecret), kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->sha256.empty());
}

TEST_F(WebhookSignatureTest, UnknownFieldsAreIgnoredAndNonEventsRefused) {
  const std::string future =
      R"({"event":"room_started","room":{"name":"r","futureField":1},"addedLater":"x"})";
  absl::StatusOr<v1::WebhookEvent> event =
      VerifyWebhook(future, *SignWebhook(future, kKey, kSecret, kNow), verifier_, kNow);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event(), "room_started");
  EXPECT_EQ(event->room().name(), "r");

  for (const std::string& body : {std::string("not json"), std::string(R"({"event":5})"),
                                  std::string(R"(["room_started"])")}) {
    absl::StatusOr<v1::WebhookEvent> result =
        VerifyWebhook(body, *SignWebhook(body, kKey, kSecret, kNow), verifier_, kNow);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
}

TEST(SignWebhookTest, RefusesMissingCredentials) {
  EXPECT_EQ(SignWebhook("{}", "", kSecret, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignWebhook("{}", kKey, "", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignWebhook("{}", kKey, kSecret, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchyard::api
