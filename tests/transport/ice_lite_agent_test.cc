#include "transport/ice_lite_agent.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/clock.h"
#include "transport/stun_message.h"

namespace switchyard::transport {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;

constexpr std::string_view kLocalUfrag = "srvUfrag";
constexpr std::string_view kLocalPwd = "serverPassword0123456789";
constexpr std::string_view kRemoteUfrag = "brws";

// How the test browser builds a connectivity check; each field can be broken on purpose.
struct Check {
  StunClass message_class = StunClass::kRequest;
  StunMethod method = StunMethod::kBinding;
  std::optional<std::string> username = std::string(kLocalUfrag) + ":" + std::string(kRemoteUfrag);
  std::optional<std::string> key = std::string(kLocalPwd);
  bool fingerprint = true;
  bool priority = true;
  bool controlling = true;
  bool controlled = false;
  bool use_candidate = false;
  std::optional<uint16_t> extra_attribute;
};

std::vector<uint8_t> Build(const Check& c, const StunTransactionId& tid) {
  StunMessageBuilder builder(c.message_class, c.method, tid);
  if (c.username) builder.AddUsername(*c.username);
  builder.AddAttribute(kStunAttrGoogNetworkInfo, std::vector<uint8_t>{0, 1, 0, 10});
  if (c.priority) builder.AddPriority(0x6e7f1eff);
  if (c.controlling) builder.AddIceControlling(0x1122334455667788);
  if (c.controlled) builder.AddIceControlled(0x8877665544332211);
  if (c.use_candidate) builder.AddUseCandidate();
  if (c.extra_attribute) builder.AddAttribute(*c.extra_attribute, {});
  absl::StatusOr<std::vector<uint8_t>> bytes = builder.Serialize(c.key, c.fingerprint);
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

class IceLiteAgentTest : public ::testing::Test {
 protected:
  IceLiteAgentTest()
      : agent_(clock_, IceCredentials{std::string(kLocalUfrag), std::string(kLocalPwd)}) {}

  // Sends `check` from `from`; returns the outcome and parses the response (if any) into
  // last_response_.
  IceLiteAgent::Outcome Send(const Check& check, const SocketAddress& from) {
    last_tid_ = GenerateStunTransactionId();
    const std::vector<uint8_t> bytes = Build(check, last_tid_);
    std::array<uint8_t, 128> response;
    response.fill(0xAB);
    IceLiteAgent::Outcome outcome = agent_.HandleStunPacket(bytes, from, response);
    last_response_.reset();
    if (outcome.response_size > 0) {
      absl::StatusOr<StunMessage> parsed =
          StunMessage::Parse(std::span<const uint8_t>(response.data(), outcome.response_size));
      EXPECT_TRUE(parsed.ok()) << parsed.status();
      if (parsed.ok()) last_response_ = *std::move(parsed);
    }
    return outcome;
  }

  Check Nominate() {
    Check c;
    c.use_candidate = true;
    return c;
  }

  FakeClock clock_;
  IceLiteAgent agent_;
  StunTransactionId last_tid_{};
  std::optional<StunMessage> last_response_;
  const SocketAddress addr_a_ = *SocketAddress::Parse("198.51.100.10", 50000);
  const SocketAddress addr_b_ = *SocketAddress::Parse("2001:db8::42", 61000);
};

TEST(IceCredentialsTest, GeneratedCredentialsUseIceCharsAndLengths) {
  const std::string ice_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    IceCredentials c = GenerateIceCredentials();
    EXPECT_EQ(c.ufrag.size(), 8u);
    EXPECT_EQ(c.pwd.size(), 24u);
    EXPECT_EQ(c.ufrag.find_first_not_of(ice_chars), std::string::npos) << c.ufrag;
    EXPECT_EQ(c.pwd.find_first_not_of(ice_chars), std::string::npos) << c.pwd;
    seen.insert(c.pwd);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(IceCredentialsTest, LocalUfragFromUsername) {
  EXPECT_EQ(LocalUfragFromUsername("abcd:efgh"), "abcd");
  EXPECT_EQ(LocalUfragFromUsername("abcd:ef:gh"), "abcd");
  EXPECT_EQ(LocalUfragFromUsername(":efgh"), "");
  EXPECT_EQ(LocalUfragFromUsername("abcd"), "");
  EXPECT_EQ(LocalUfragFromUsername(""), "");
}

TEST_F(IceLiteAgentTest, CheckWithoutUseCandidateIsAnsweredButDoesNotSelect) {
  IceLiteAgent::Outcome outcome = Send(Check{}, addr_a_);
  EXPECT_FALSE(outcome.dropped);
  EXPECT_FALSE(outcome.selected_changed);
  EXPECT_EQ(outcome.error_code, 0);
  EXPECT_FALSE(agent_.selected_address());
  EXPECT_EQ(agent_.state(), IceState::kNew);

  ASSERT_TRUE(last_response_);
  EXPECT_EQ(last_response_->message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(last_response_->method(), StunMethod::kBinding);
  EXPECT_EQ(last_response_->transaction_id(), last_tid_);
  EXPECT_EQ(last_response_->xor_mapped_address(), addr_a_);
  EXPECT_TRUE(last_response_->has_fingerprint());
  EXPECT_TRUE(last_response_->VerifyMessageIntegrity(kLocalPwd));
  EXPECT_FALSE(last_response_->VerifyMessageIntegrity("otherPassword0123456789x"));
  EXPECT_FALSE(last_response_->username());
  EXPECT_EQ(agent_.responses_sent(), 1u);
}

TEST_F(IceLiteAgentTest, UseCandidateSelectsAndLaterNominationSwitches) {
  IceLiteAgent::Outcome outcome = Send(Nominate(), addr_a_);
  EXPECT_FALSE(outcome.dropped);
  EXPECT_TRUE(outcome.selected_changed);
  EXPECT_EQ(agent_.selected_address(), addr_a_);
  EXPECT_EQ(agent_.state(), IceState::kConnected);

  // Chromium keeps USE-CANDIDATE on its checks: same address is not a change.
  EXPECT_FALSE(Send(Nominate(), addr_a_).selected_changed);

  // A non-nominating check from B is answered (with B as mapped address) but does not switch.
  outcome = Send(Check{}, addr_b_);
  EXPECT_FALSE(outcome.selected_changed);
  EXPECT_EQ(last_response_->xor_mapped_address(), addr_b_);
  EXPECT_EQ(agent_.selected_address(), addr_a_);

  outcome = Send(Nominate(), addr_b_);
  EXPECT_TRUE(outcome.selected_changed);
  EXPECT_EQ(agent_.selected_address(), addr_b_);
  EXPECT_EQ(agent_.state(), IceState::kConnected);
  EXPECT_EQ(last_response_->xor_mapped_address(), addr_b_);
  EXPECT_TRUE(last_response_->VerifyMessageIntegrity(kLocalPwd));
}

TEST_F(IceLiteAgentTest, InvalidChecksAreDroppedWithReason) {
  agent_.SetRemoteCredentials(
      IceCredentials{std::string(kRemoteUfrag), "remotePassword0123456789"});
  struct Case {
    const char* name;
    Check check;
    IceDropReason reason;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, IceDropReason reason, auto mutate) {
    Check c = Nominate();
    mutate(c);
    cases.push_back({name, c, reason});
  };
  add("bad integrity", IceDropReason::kBadIntegrity,
      [](Check& c) { c.key = "wrongPassword01234567890"; });
  add("wrong local ufrag", IceDropReason::kUnknownUsername,
      [](Check& c) { c.username = "otherUfr:brws"; });
  add("local ufrag prefix only", IceDropReason::kUnknownUsername,
      [](Check& c) { c.username = "srvUfragX:brws"; });
  add("no colon", IceDropReason::kUnknownUsername, [](Check& c) { c.username = "srvUfrag"; });
  add("wrong remote ufrag", IceDropReason::kRemoteUfragMismatch,
      [](Check& c) { c.username = "srvUfrag:other"; });
  add("missing fingerprint", IceDropReason::kMissingFingerprint,
      [](Check& c) { c.fingerprint = false; });
  add("missing integrity", IceDropReason::kMissingIntegrity, [](Check& c) { c.key.reset(); });
  add("missing username", IceDropReason::kMissingUsername, [](Check& c) { c.username.reset(); });
  add("indication", IceDropReason::kNotRequest,
      [](Check& c) { c.message_class = StunClass::kIndication; });
  add("success response", IceDropReason::kNotRequest,
      [](Check& c) { c.message_class = StunClass::kSuccessResponse; });
  add("allocate request", IceDropReason::kNotBindingMethod,
      [](Check& c) { c.method = static_cast<StunMethod>(0x003); });

  for (const Case& c : cases) {
    const uint64_t before = agent_.drop_count(c.reason);
    IceLiteAgent::Outcome outcome = Send(c.check, addr_a_);
    ASSERT_TRUE(outcome.dropped) << c.name;
    EXPECT_EQ(*outcome.dropped, c.reason) << c.name << ": " << IceDropReasonName(*outcome.dropped);
    EXPECT_EQ(outcome.response_size, 0u) << c.name;
    EXPECT_FALSE(outcome.selected_changed) << c.name;
    EXPECT_EQ(agent_.drop_count(c.reason), before + 1) << c.name;
  }
  EXPECT_FALSE(agent_.selected_address());
  EXPECT_EQ(agent_.state(), IceState::kNew);
  EXPECT_EQ(agent_.responses_sent(), 0u);
}

TEST_F(IceLiteAgentTest, AnyRemoteUfragAcceptedUntilRemoteCredentialsKnown) {
  Check c;
  c.username = "srvUfrag:whatever";
  EXPECT_FALSE(Send(c, addr_a_).dropped);
  agent_.SetRemoteCredentials(IceCredentials{std::string(kRemoteUfrag), "x"});
  EXPECT_EQ(Send(c, addr_a_).dropped, IceDropReason::kRemoteUfragMismatch);
  EXPECT_FALSE(Send(Check{}, addr_a_).dropped);
}

// RFC 8445 §9: after a restart only the new credentials authenticate; the selected address
// stays until a check under them nominates, and consent restarts its timeout.
TEST_F(IceLiteAgentTest, RestartSwitchesCredentialsAndKeepsTheSelectedPathUntilRenominated) {
  agent_.SetRemoteCredentials(IceCredentials{std::string(kRemoteUfrag), "x"});
  ASSERT_TRUE(Send(Nominate(), addr_a_).selected_changed);
  clock_.Advance(std::chrono::seconds(20));
  agent_.Restart(IceCredentials{"newUfrag", "newPassword0123456789012"});
  EXPECT_EQ(agent_.local_credentials().ufrag, "newUfrag");
  EXPECT_FALSE(agent_.remote_credentials().has_value());
  EXPECT_EQ(agent_.selected_address(), addr_a_);
  EXPECT_EQ(agent_.state(), IceState::kConnected);
  EXPECT_EQ(agent_.NextTimeout(), clock_.Now() + IceLiteAgent::kDefaultConsentTimeout);
  // The old credentials no longer authenticate.
  EXPECT_EQ(Send(Nominate(), addr_a_).dropped, IceDropReason::kUnknownUsername);
  // The new ones do, with any remote ufrag until the peer's new one is known.
  Check renewed = Nominate();
  renewed.username = "newUfrag:brws2";
  renewed.key = "newPassword0123456789012";
  const auto outcome = Send(renewed, addr_b_);
  EXPECT_FALSE(outcome.dropped);
  EXPECT_TRUE(outcome.selected_changed);
  EXPECT_EQ(agent_.selected_address(), addr_b_);
  agent_.SetRemoteCredentials(IceCredentials{"brws2", "y"});
  EXPECT_FALSE(Send(renewed, addr_b_).dropped);
}

TEST_F(IceLiteAgentTest, UnparsableDatagramsAreCounted) {
  std::array<uint8_t, 128> response;
  std::vector<uint8_t> bytes = Build(Check{}, GenerateStunTransactionId());
  bytes.back() ^= 0x01;
  EXPECT_EQ(agent_.HandleStunPacket(bytes, addr_a_, response).dropped,
            IceDropReason::kBadFingerprint);
  bytes.resize(bytes.size() - 3);
  EXPECT_EQ(agent_.HandleStunPacket(bytes, addr_a_, response).dropped, IceDropReason::kMalformed);
  EXPECT_EQ(agent_.drop_count(IceDropReason::kBadFingerprint), 1u);
  EXPECT_EQ(agent_.drop_count(IceDropReason::kMalformed), 1u);
}

TEST_F(IceLiteAgentTest, AuthenticatedBadRequestsGetErrorResponses) {
  struct Case {
    const char* name;
    Check check;
    uint16_t error_code;
  };
  std::vector<Case> cases;
  {
    Check c = Nominate();
    c.extra_attribute = 0x0077;
    cases.push_back({"unknown comprehension-required", c, kStunErrorUnknownAttribute});
  }
  {
    Check c = Nominate();
    c.controlling = false;
    c.controlled = true;
    cases.push_back({"peer claims controlled", c, kStunErrorRoleConflict});
  }
  {
    Check c = Nominate();
    c.priority = false;
    cases.push_back({"no PRIORITY", c, kStunErrorBadRequest});
  }
  {
    Check c = Nominate();
    c.controlling = false;
    cases.push_back({"no role attribute", c, kStunErrorBadRequest});
  }
  for (const Case& c : cases) {
    IceLiteAgent::Outcome outcome = Send(c.check, addr_a_);
    EXPECT_FALSE(outcome.dropped) << c.name;
    EXPECT_EQ(outcome.error_code, c.error_code) << c.name;
    ASSERT_TRUE(last_response_) << c.name;
    EXPECT_EQ(last_response_->message_class(), StunClass::kErrorResponse) << c.name;
    EXPECT_EQ(last_response_->transaction_id(), last_tid_) << c.name;
    ASSERT_TRUE(last_response_->error_code()) << c.name;
    EXPECT_EQ(last_response_->error_code()->code, c.error_code) << c.name;
    EXPECT_TRUE(last_response_->VerifyMessageIntegrity(kLocalPwd)) << c.name;
    EXPECT_TRUE(last_response_->has_fingerprint()) << c.name;
    if (c.error_code == kStunErrorUnknownAttribute) {
      EXPECT_THAT(last_response_->unknown_attributes(), ElementsAre(0x0077));
    }
    // An error is not a valid check: no nomination, no consent.
    EXPECT_FALSE(outcome.selected_changed) << c.name;
    EXPECT_FALSE(agent_.selected_address()) << c.name;
  }
}

TEST_F(IceLiteAgentTest, UnknownComprehensionOptionalAttributeIsIgnored) {
  Check c = Nominate();
  c.extra_attribute = 0xC0FF;
  EXPECT_FALSE(Send(c, addr_a_).dropped);
  EXPECT_EQ(last_response_->message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(agent_.selected_address(), addr_a_);
}

TEST_F(IceLiteAgentTest, ConsentExpiresThirtySecondsAfterLastCheck) {
  Send(Nominate(), addr_a_);
  ASSERT_EQ(agent_.state(), IceState::kConnected);
  EXPECT_EQ(agent_.NextTimeout(), clock_.Now() + seconds(30));
  clock_.Advance(seconds(29));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kConnected);
  clock_.Advance(seconds(1));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kClosed);
  EXPECT_FALSE(agent_.NextTimeout());
  // Closed is terminal: even a valid nomination is dropped.
  EXPECT_EQ(Send(Nominate(), addr_a_).dropped, IceDropReason::kClosed);
  EXPECT_EQ(agent_.state(), IceState::kClosed);
}

TEST_F(IceLiteAgentTest, NoCheckAtAllClosesAfterTimeout) {
  EXPECT_EQ(agent_.NextTimeout(), clock_.Now() + seconds(30));
  clock_.Advance(seconds(29));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kNew);
  clock_.Advance(seconds(1));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kClosed);
}

TEST_F(IceLiteAgentTest, ChecksFromSelectedAddressKeepConsentAlive) {
  Send(Nominate(), addr_a_);
  for (int i = 0; i < 12; ++i) {  // a minute of consent checks every 5 s, without USE-CANDIDATE
    clock_.Advance(seconds(5));
    EXPECT_FALSE(Send(Check{}, addr_a_).dropped);
    agent_.OnTimer();
    EXPECT_EQ(agent_.state(), IceState::kConnected);
  }
  EXPECT_EQ(agent_.NextTimeout(), clock_.Now() + seconds(30));
  clock_.Advance(seconds(30));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kClosed);
}

TEST_F(IceLiteAgentTest, ChecksFromOtherAddressDoNotRefreshConsent) {
  Send(Nominate(), addr_a_);
  const Timestamp deadline = *agent_.NextTimeout();
  clock_.Advance(seconds(20));
  EXPECT_FALSE(Send(Check{}, addr_b_).dropped);  // answered...
  EXPECT_EQ(agent_.NextTimeout(), deadline);     // ...but no consent for A
  clock_.Advance(seconds(10));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kClosed);
}

TEST_F(IceLiteAgentTest, RejectedChecksFromSelectedAddressDoNotRefreshConsent) {
  Send(Nominate(), addr_a_);
  const Timestamp deadline = *agent_.NextTimeout();
  clock_.Advance(seconds(20));
  Check bad = Nominate();
  bad.key = "wrongPassword01234567890";
  EXPECT_TRUE(Send(bad, addr_a_).dropped);
  Check conflict = Nominate();
  conflict.controlling = false;
  conflict.controlled = true;
  EXPECT_EQ(Send(conflict, addr_a_).error_code, kStunErrorRoleConflict);
  EXPECT_EQ(agent_.NextTimeout(), deadline);
}

TEST_F(IceLiteAgentTest, ChecksBeforeNominationRestartTheTimeout) {
  clock_.Advance(seconds(20));
  Send(Check{}, addr_b_);
  EXPECT_EQ(agent_.NextTimeout(), clock_.Now() + seconds(30));
  clock_.Advance(seconds(29));
  agent_.OnTimer();
  EXPECT_EQ(agent_.state(), IceState::kNew);
}

TEST_F(IceLiteAgentTest, ResponseBufferTooSmallIsReportedNotOverrun) {
  const std::vector<uint8_t> bytes = Build(Check{}, GenerateStunTransactionId());
  std::array<uint8_t, 64> storage;
  storage.fill(0x5A);
  IceLiteAgent::Outcome outcome =
      agent_.HandleStunPacket(bytes, addr_b_, std::span<uint8_t>(storage.data(), 40));
  EXPECT_EQ(outcome.dropped, IceDropReason::kResponseTooLarge);
  EXPECT_EQ(outcome.response_size, 0u);
  for (size_t i = 40; i < storage.size(); ++i) EXPECT_EQ(storage[i], 0x5A);
}

TEST_F(IceLiteAgentTest, CustomConsentTimeoutAndClose) {
  IceLiteAgent agent(clock_, GenerateIceCredentials(), seconds(5));
  EXPECT_EQ(agent.NextTimeout(), clock_.Now() + seconds(5));
  agent.Close();
  EXPECT_EQ(agent.state(), IceState::kClosed);
  EXPECT_STREQ(IceStateName(agent.state()), "closed");
}

TEST(IceDropReasonTest, EveryReasonHasADistinctName) {
  std::set<std::string> names;
  for (size_t i = 0; i < kIceDropReasonCount; ++i) {
    names.insert(IceDropReasonName(static_cast<IceDropReason>(i)));
  }
  EXPECT_EQ(names.size(), kIceDropReasonCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace switchyard::transport
