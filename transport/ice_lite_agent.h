#ifndef SWITCHYARD_TRANSPORT_ICE_LITE_AGENT_H_
#define SWITCHYARD_TRANSPORT_ICE_LITE_AGENT_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "transport/clock.h"
#include "transport/socket_address.h"
#include "transport/stun_message.h"

namespace switchyard::transport {

struct IceCredentials {
  std::string ufrag;
  std::string pwd;
};

// Random ufrag (8 ice-chars, RFC 8445 §5.3 requires >= 4) and pwd (24 ice-chars, >= 22), from
// the OpenSSL CSPRNG: the pwd is the HMAC key that authenticates every check. ice-char is
// ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4).
IceCredentials GenerateIceCredentials();

// The USERNAME of a check sent to us is "<our ufrag>:<their ufrag>" (RFC 8445 §7.2.2). Returns
// the part before the first ':' (ice-chars never contain ':'), or an empty view when there is
// no ':'. Lets the receive loop find the agent for a check from an unknown address.
std::string_view LocalUfragFromUsername(std::string_view username);

enum class IceState {
  kNew,        // no pair nominated yet
  kConnected,  // a pair is nominated (selected_address() is set)
  kClosed,     // consent expired (RFC 7675 §5.1); terminal
};
const char* IceStateName(IceState state);

// Why a STUN message got no response at all. Authentication failures are dropped rather than
// answered with 400/401: an unauthenticated sender learns nothing and we never reflect traffic
// to a spoofed address.
enum class IceDropReason : uint8_t {
  kMalformed,           // Parse failed (only from HandleStunPacket)
  kBadFingerprint,      // FINGERPRINT mismatch (only from HandleStunPacket)
  kNotRequest,          // indication or response: a lite agent sends no requests
  kNotBindingMethod,    // a request for a method other than Binding
  kMissingFingerprint,  // RFC 8445 §7.1: checks carry FINGERPRINT
  kMissingUsername,
  kMissingIntegrity,
  kUnknownUsername,      // local part of USERNAME is not our ufrag
  kRemoteUfragMismatch,  // remote part differs from the ufrag in the peer's SDP
  kBadIntegrity,
  kClosed,            // agent already closed
  kResponseTooLarge,  // caller's response buffer cannot hold the response
};
inline constexpr size_t kIceDropReasonCount =
    static_cast<size_t>(IceDropReason::kResponseTooLarge) + 1;
const char* IceDropReasonName(IceDropReason reason);

// Sans-IO ICE-lite agent (RFC 8445 §2.5) for one transport. The server is always lite and so
// always controlled (RFC 8445 §6.1.1); the browser is the full, controlling agent. The agent
// only answers Binding requests: it never sends checks, gathers, or keeps a check list.
//
// Liveness: the browser sends consent checks (RFC 7675) every few seconds after nomination;
// when none arrives from the selected address for `consent_timeout` the agent closes. Before
// nomination, the same timeout runs from creation and is restarted by any valid check.
//
// Not thread-safe; driven from the transport's single thread. The per-check path allocates
// nothing (the STUN response is built in an inline buffer and written to the caller's span).
class IceLiteAgent {
 public:
  static constexpr Duration kDefaultConsentTimeout = std::chrono::seconds(30);

  // `clock` must outlive the agent.
  IceLiteAgent(const Clock& clock, IceCredentials local,
               Duration consent_timeout = kDefaultConsentTimeout);

  // From the peer's SDP (a=ice-ufrag/a=ice-pwd). Once set, the remote part of USERNAME must
  // equal remote.ufrag. Before it is set any remote part is accepted (a check may race the
  // answer). The remote pwd is unused by a lite agent, which never sends checks.
  void SetRemoteCredentials(IceCredentials remote);
  // ICE restart (RFC 8445 §9): new local credentials, the remote ones unknown until the peer's
  // new description arrives (SetRemoteCredentials; checks with any remote ufrag are accepted
  // meanwhile). The selected address stays, so media keeps flowing on the old pair until a
  // check under the new credentials nominates (RFC 8445 §9 asks for exactly that), and the
  // consent timeout restarts. A closed agent stays closed.
  void Restart(IceCredentials local);

  struct Outcome {
    size_t response_size = 0;              // bytes written to `response`; 0 when dropped
    std::optional<IceDropReason> dropped;  // set iff nothing must be sent
    uint16_t error_code = 0;               // non-zero when the response is an error response
    bool selected_changed = false;         // selected_address() was set or changed
  };

  // Handles one STUN message received from `from`. Either writes a response into `response`
  // (Binding success: XOR-MAPPED-ADDRESS = from, MESSAGE-INTEGRITY keyed with the local pwd,
  // FINGERPRINT; or an authenticated error response: 420 + UNKNOWN-ATTRIBUTES, 487 Role
  // Conflict, 400 Bad Request) to be sent back to `from`, or reports why it was dropped.
  // Order of checks: class/method, FINGERPRINT, USERNAME, MESSAGE-INTEGRITY (RFC 8489 §9.1.3),
  // then unknown comprehension-required attributes (420), role (487: a lite agent cannot become
  // controlling, RFC 8445 §7.3.1.1), PRIORITY and a role attribute present (400). Only a
  // success response counts as a valid check: it may nominate (USE-CANDIDATE) and refreshes
  // consent when it comes from the selected address.
  // 128 bytes of `response` always suffice.
  Outcome HandleStun(const StunMessage& message, const SocketAddress& from,
                     std::span<uint8_t> response);
  // Parses `datagram` first; parse failures are counted as kMalformed / kBadFingerprint.
  Outcome HandleStunPacket(std::span<const uint8_t> datagram, const SocketAddress& from,
                           std::span<uint8_t> response);

  // Address of the latest valid check carrying USE-CANDIDATE. A later nomination from another
  // address replaces it (network change without ICE restart); media goes to this address.
  const std::optional<SocketAddress>& selected_address() const { return selected_; }
  IceState state() const { return state_; }

  // When OnTimer must run next (the consent deadline); nullopt once closed.
  std::optional<Timestamp> NextTimeout() const;
  // Closes the agent when the consent deadline (clock.Now() >= NextTimeout()) has passed.
  // Expiry only happens here, never inside HandleStun. Safe to call early or repeatedly.
  void OnTimer();
  // Closes the agent immediately (e.g. the PeerConnection is torn down).
  void Close() { state_ = IceState::kClosed; }

  const IceCredentials& local_credentials() const { return local_; }
  const std::optional<IceCredentials>& remote_credentials() const { return remote_; }

  uint64_t drop_count(IceDropReason reason) const {
    return drop_counts_[static_cast<size_t>(reason)];
  }
  const std::array<uint64_t, kIceDropReasonCount>& drop_counts() const { return drop_counts_; }
  uint64_t responses_sent() const { return responses_sent_; }

 private:
  Outcome Drop(IceDropReason reason);
  // Local part must be our ufrag, then ':', then (if known) the remote ufrag.
  std::optional<IceDropReason> CheckUsername(std::string_view username) const;
  Outcome ErrorResponse(const StunMessage& request, uint16_t code, std::string_view reason,
                        std::span<uint8_t> response);

  const Clock& clock_;
  IceCredentials local_;
  std::optional<IceCredentials> remote_;
  Duration consent_timeout_;
  IceState state_ = IceState::kNew;
  std::optional<SocketAddress> selected_;
  // Last time consent was (re)granted: creation, then each valid check (any address before
  // nomination, the selected address after).
  Timestamp last_consent_;
  std::array<uint64_t, kIceDropReasonCount> drop_counts_{};
  uint64_t responses_sent_ = 0;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_ICE_LITE_AGENT_H_
