#include "transport/ice_lite_agent.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace switchyard::transport {
namespace {

constexpr std::string_view kIceChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kIceChars.size() == 64);

std::string RandomIceString(size_t n) {
  std::array<uint8_t, 32> random{};
  std::string out(n, 'A');
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min(n - done, random.size());
    if (RAND_bytes(random.data(), static_cast<int>(chunk)) != 1) {
      // Never hand out a predictable password: without entropy we cannot run ICE safely.
      std::abort();
    }
    // 64 symbols: the low 6 bits of a uniform byte are uniform, no modulo bias.
    for (size_t i = 0; i < chunk; ++i) out[done + i] = kIceChars[random[i] & 0x3F];
    done += chunk;
  }
  return out;
}

}  // namespace

IceCredentials GenerateIceCredentials() {
  return IceCredentials{RandomIceString(8), RandomIceString(24)};
}

std::string_view LocalUfragFromUsername(std::string_view username) {
  const size_t colon = username.find(':');
  if (colon == std::string_view::npos) return {};
  return username.substr(0, colon);
}

const char* IceStateName(IceState state) {
  switch (state) {
    case IceState::kNew:
      return "new";
    case IceState::kConnected:
      return "connected";
    case IceState::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* IceDropReasonName(IceDropReason reason) {
  switch (reason) {
    case IceDropReason::kMalformed:
      return "malformed";
    case IceDropReason::kBadFingerprint:
      return "bad_fingerprint";
    case IceDropReason::kNotRequest:
      return "not_request";
    case IceDropReason::kNotBindingMethod:
      return "not_binding_method";
    case IceDropReason::kMissingFingerprint:
      return "missing_fingerprint";
    case IceDropReason::kMissingUsername:
      return "missing_username";
    case IceDropReason::kMissingIntegrity:
      return "missing_integrity";
    case IceDropReason::kUnknownUsername:
      return "unknown_username";
    case IceDropReason::kRemoteUfragMismatch:
      return "remote_ufrag_mismatch";
    case IceDropReason::kBadIntegrity:
      return "bad_integrity";
    case IceDropReason::kClosed:
      return "closed";
    case IceDropReason::kResponseTooLarge:
      return "response_too_large";
  }
  return "unknown";
}

IceLiteAgent::IceLiteAgent(const Clock& clock, IceCredentials local, Duration consent_timeout)
    : clock_(clock),
      local_(std::move(local)),
      consent_timeout_(consent_timeout),
      last_consent_(clock.Now()) {}

void IceLiteAgent::SetRemoteCredentials(IceCredentials remote) { remote_ = std::move(remote); }

void IceLiteAgent::Restart(IceCredentials local) {
  local_ = std::move(local);
  remote_.reset();
  last_consent_ = clock_.Now();
}

IceLiteAgent::Outcome IceLiteAgent::Drop(IceDropReason reason) {
  ++drop_counts_[static_cast<size_t>(reason)];
  Outcome outcome;
  outcome.dropped = reason;
  return outcome;
}

std::optional<IceDropReason> IceLiteAgent::CheckUsername(std::string_view username) const {
  // Compared piecewise so that no "ufrag:ufrag" string is built per check.
  if (username.size() <= local_.ufrag.size() || username[local_.ufrag.size()] != ':' ||
      username.substr(0, local_.ufrag.size()) != local_.ufrag) {
    return IceDropReason::kUnknownUsername;
  }
  if (remote_ && username.substr(local_.ufrag.size() + 1) != remote_->ufrag) {
    return IceDropReason::kRemoteUfragMismatch;
  }
  return std::nullopt;
}

IceLiteAgent::Outcome IceLiteAgent::ErrorResponse(const StunMessage& request, uint16_t code,
                                                  std::string_view reason,
                                                  std::span<uint8_t> response) {
  StunMessageBuilder builder(StunClass::kErrorResponse, request.method(), request.transaction_id());
  builder.AddErrorCode(code, reason);
  if (code == kStunErrorUnknownAttribute) {
    builder.AddUnknownAttributes(request.unknown_comprehension_required());
  }
  // The request authenticated, so the error is authenticated too: the browser checks
  // MESSAGE-INTEGRITY on a 487 before switching roles.
  const size_t n = builder.SerializeTo(response, local_.pwd, /*add_fingerprint=*/true);
  if (n == 0) return Drop(IceDropReason::kResponseTooLarge);
  ++responses_sent_;
  Outcome outcome;
  outcome.response_size = n;
  outcome.error_code = code;
  return outcome;
}

IceLiteAgent::Outcome IceLiteAgent::HandleStunPacket(std::span<const uint8_t> datagram,
                                                     const SocketAddress& from,
                                                     std::span<uint8_t> response) {
  if (state_ == IceState::kClosed) return Drop(IceDropReason::kClosed);
  absl::StatusOr<StunMessage> message = StunMessage::Parse(datagram);
  if (!message.ok()) {
    return Drop(message.status().code() == absl::StatusCode::kDataLoss
                    ? IceDropReason::kBadFingerprint
                    : IceDropReason::kMalformed);
  }
  return HandleStun(*message, from, response);
}

IceLiteAgent::Outcome IceLiteAgent::HandleStun(const StunMessage& message,
                                               const SocketAddress& from,
                                               std::span<uint8_t> response) {
  if (state_ == IceState::kClosed) return Drop(IceDropReason::kClosed);
  if (message.message_class() != StunClass::kRequest) return Drop(IceDropReason::kNotRequest);
  if (message.method() != StunMethod::kBinding) return Drop(IceDropReason::kNotBindingMethod);
  if (!message.has_fingerprint()) return Drop(IceDropReason::kMissingFingerprint);
  const std::optional<std::string_view> username = message.username();
  if (!username) return Drop(IceDropReason::kMissingUsername);
  if (!message.has_message_integrity()) return Drop(IceDropReason::kMissingIntegrity);
  if (std::optional<IceDropReason> bad = CheckUsername(*username)) return Drop(*bad);
  if (!message.VerifyMessageIntegrity(local_.pwd)) return Drop(IceDropReason::kBadIntegrity);

  // Authenticated from here on.
  if (!message.unknown_comprehension_required().empty()) {
    return ErrorResponse(message, kStunErrorUnknownAttribute, "Unknown Attribute", response);
  }
  if (message.ice_controlled()) {
    // Both sides think they are controlled. A full agent would compare tiebreakers and maybe
    // switch to controlling; a lite agent never controls, so the peer must switch.
    return ErrorResponse(message, kStunErrorRoleConflict, "Role Conflict", response);
  }
  if (!message.priority() || !message.ice_controlling()) {
    // RFC 8445 §7.1.1/§7.1.3: every check carries PRIORITY and a role attribute.
    return ErrorResponse(message, kStunErrorBadRequest, "Bad Request", response);
  }

  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kBinding,
                             message.transaction_id());
  builder.AddXorMappedAddress(from);
  const size_t n = builder.SerializeTo(response, local_.pwd, /*add_fingerprint=*/true);
  if (n == 0) return Drop(IceDropReason::kResponseTooLarge);
  ++responses_sent_;

  Outcome outcome;
  outcome.response_size = n;
  if (message.use_candidate()) {
    // RFC 8445 §7.3.1.5: a valid check with USE-CANDIDATE nominates the pair. The browser may
    // renominate from a new address (e.g. Wi-Fi -> cellular); the latest nomination wins.
    if (selected_ != from) {
      selected_ = from;
      outcome.selected_changed = true;
    }
    state_ = IceState::kConnected;
  }
  if (!selected_ || *selected_ == from) last_consent_ = clock_.Now();
  return outcome;
}

std::optional<Timestamp> IceLiteAgent::NextTimeout() const {
  if (state_ == IceState::kClosed) return std::nullopt;
  return last_consent_ + consent_timeout_;
}

void IceLiteAgent::OnTimer() {
  if (state_ == IceState::kClosed) return;
  if (clock_.Now() >= last_consent_ + consent_timeout_) state_ = IceState::kClosed;
}

}  // namespace switchyard::transport
