#ifndef SWITCHYARD_TRANSPORT_TURN_SERVER_H_
#define SWITCHYARD_TRANSPORT_TURN_SERVER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "transport/clock.h"
#include "transport/socket_address.h"
#include "transport/stun_message.h"
#include "transport/turn_credentials.h"
#include "transport/turn_peer_policy.h"

namespace switchyard::transport {

enum class TurnTransport : uint8_t { kUdp, kTcp, kTls };

// The client half of an allocation's 5-tuple (RFC 8656 §2): the client's address as the server
// sees it, the server address it reached, and the transport between them.
struct TurnClientTuple {
  SocketAddress client;
  SocketAddress server;
  TurnTransport transport = TurnTransport::kUdp;

  friend bool operator==(const TurnClientTuple&, const TurnClientTuple&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TurnClientTuple& t) {
    return H::combine(std::move(h), t.client.Hash(), t.server.Hash(), t.transport);
  }
};

struct TurnServerConfig {
  std::string realm = "switchyard";
  // REST shared secret (TurnRestPassword). Empty: TURN methods are refused (403) and only the
  // STUN Binding service runs.
  std::string auth_secret;
  std::string software = "switchyard";
  Duration default_lifetime = std::chrono::seconds(600);   // RFC 8656 §2.2
  Duration max_lifetime = std::chrono::seconds(3600);      // RFC 8656 §7.2
  Duration permission_lifetime = std::chrono::seconds(300);  // RFC 8656 §9
  Duration channel_lifetime = std::chrono::seconds(600);     // RFC 8656 §12
  Duration nonce_lifetime = std::chrono::seconds(600);
  size_t max_allocations_per_user = 32;  // 486 Allocation Quota Reached beyond
  size_t max_allocations_total = 10000;  // 508 Insufficient Capacity beyond
  TurnPeerPolicy peer_policy;
  // Plain STUN Binding requests per source IP (token bucket): anyone may ask, nobody may flood.
  double binding_rate_per_second = 20;
  double binding_burst = 40;
  size_t max_binding_sources = 4096;  // tracked sources; the least recent are forgotten
};

// Why a packet was not relayed or answered; counted per reason.
enum class TurnDrop : uint8_t {
  kMalformed,          // neither a parsable STUN message nor ChannelData
  kUnexpectedMessage,  // a response or an unknown method/indication from a client
  kBindingRateLimited,
  kNoAllocation,       // data or an indication on a 5-tuple without an allocation
  kNoPermission,       // Send indication or peer data for an IP without a permission
  kUnboundChannel,     // ChannelData on a channel the allocation has not bound
  kBadPeer,            // data for a peer the policy forbids or with port 0
  kUnknownRelay,       // peer data for a relay address no allocation owns
  kCount,
};
std::string_view TurnDropName(TurnDrop reason);

// The embedded STUN/TURN server's protocol core (RFC 8489 Binding, RFC 8656 TURN over UDP
// relays), sans-IO: the owner feeds it what its client listeners (UDP, TCP, TLS; stream framing
// already undone: one STUN message or ChannelData message per call) and relay sockets receive,
// and it answers through Network. Single-threaded; time from the injected Clock, Unix time for
// credential expiry from `unix_now`.
//
// Authentication is the long-term mechanism (RFC 8489 §9.2) with REST credentials: a request
// without MESSAGE-INTEGRITY gets 401 with REALM and a NONCE; an expired nonce 438; unknown or
// expired credentials or a bad MESSAGE-INTEGRITY 401; every answer after a successful check is
// signed with the same key. Binding requests need no credentials (the public STUN service).
// What an Allocate asks of the relay port (RFC 8656 §7.2, §14.6, §14.9).
using TurnReservationToken = std::array<uint8_t, 8>;
struct TurnRelayRequest {
  bool even_port = false;     // EVEN-PORT: an even port number
  bool reserve_next = false;  // EVEN-PORT's R bit: also hold port + 1 for a later Allocate
  std::optional<TurnReservationToken> reservation;  // RESERVATION-TOKEN: the port held earlier
};
struct TurnRelayGrant {
  SocketAddress relay;
  std::optional<TurnReservationToken> reservation;  // set when reserve_next was granted
};

class TurnServer {
 public:
  class Network {
   public:
    virtual ~Network() = default;
    // One STUN or ChannelData message to the client over the tuple it came in on (a stream
    // transport writes it as is: both are self-delimiting and ChannelData is already padded).
    virtual void SendToClient(const TurnClientTuple& tuple, std::span<const uint8_t> data) = 0;
    // A relay transport address (UDP, same family as `tuple.server`) for a new allocation, as
    // `request` asks. An error (no port, unknown reservation) becomes 508 Insufficient
    // Capacity.
    virtual absl::StatusOr<TurnRelayGrant> OpenRelay(const TurnClientTuple& tuple,
                                                     const TurnRelayRequest& request) = 0;
    virtual void CloseRelay(const SocketAddress& relay) = 0;
    // A UDP datagram from `relay` to `peer`.
    virtual void SendFromRelay(const SocketAddress& relay, const SocketAddress& peer,
                               std::span<const uint8_t> data) = 0;
  };

  struct Stats {
    size_t allocations = 0;
    size_t permissions = 0;
    size_t channels = 0;
    uint64_t binding_requests = 0;
    uint64_t allocate_requests = 0;
    uint64_t error_responses = 0;
    uint64_t packets_to_peers = 0;
    uint64_t bytes_to_peers = 0;
    uint64_t packets_to_clients = 0;
    uint64_t bytes_to_clients = 0;
    std::array<uint64_t, static_cast<size_t>(TurnDrop::kCount)> drops{};
  };

  static constexpr size_t kMaxMessage = 65536 + 4;
  // RFC 8656 §12 allows 0x4000-0x4FFF; RFC 5766 allowed up to 0x7FFF and its clients (coturn's
  // turnutils_uclient among them) still pick from there. On the TURN port nothing else starts
  // with 0b01, so the wider range costs nothing and keeps them working, as coturn does.
  static constexpr uint16_t kMinChannel = 0x4000;
  static constexpr uint16_t kMaxChannel = 0x7FFF;

  TurnServer(const Clock& clock, std::function<int64_t()> unix_now, TurnServerConfig config,
             Network& network);
  ~TurnServer();
  TurnServer(const TurnServer&) = delete;
  TurnServer& operator=(const TurnServer&) = delete;

  // One message from a client: STUN (first two bits 00) or ChannelData (01).
  void HandleClientPacket(const TurnClientTuple& tuple, std::span<const uint8_t> data);
  // One datagram that arrived on relay address `relay` from `peer`.
  void HandlePeerPacket(const SocketAddress& relay, const SocketAddress& peer,
                        std::span<const uint8_t> data);
  // Expires allocations, permissions and channel bindings; call about once a second.
  void OnTimer();
  // A stream client disconnected: its allocation ends with it (RFC 8656 §3.1).
  void OnClientClosed(const TurnClientTuple& tuple);

  const Stats& stats() const { return stats_; }
  const TurnServerConfig& config() const { return config_; }
  // The relay address of the allocation on `tuple`, if any (tests, diagnostics).
  std::optional<SocketAddress> RelayOf(const TurnClientTuple& tuple) const;

 private:
  struct Allocation;
  struct Auth {
    std::string username;
    TurnKey key{};
  };

  void HandleStun(const TurnClientTuple& tuple, std::span<const uint8_t> data);
  void HandleChannelData(const TurnClientTuple& tuple, std::span<const uint8_t> data);
  void HandleSendIndication(const TurnClientTuple& tuple, const StunMessage& message);
  void HandleBinding(const TurnClientTuple& tuple, const StunMessage& request);
  // Long-term credential check; on failure it has answered and returns nullopt.
  std::optional<Auth> Authenticate(const TurnClientTuple& tuple, const StunMessage& request);
  void HandleAllocate(const TurnClientTuple& tuple, const StunMessage& request, const Auth& auth);
  // The allocation on `tuple` if `auth` made it; otherwise answers 437 or 441 and returns null.
  Allocation* OwnAllocation(const TurnClientTuple& tuple, const StunMessage& request,
                            const Auth& auth);
  void HandleRefresh(const TurnClientTuple& tuple, const StunMessage& request, const Auth& auth);
  void HandleCreatePermission(const TurnClientTuple& tuple, const StunMessage& request,
                              const Auth& auth);
  void HandleChannelBind(const TurnClientTuple& tuple, const StunMessage& request,
                         const Auth& auth);

  // Sends an error response; signed when `auth` is given, with REALM and a fresh NONCE for
  // 401/438.
  void SendError(const TurnClientTuple& tuple, const StunMessage& request, uint16_t code,
                 std::string_view reason, const Auth* auth);
  void SendResponse(const TurnClientTuple& tuple, const StunMessageBuilder& builder,
                    const Auth* auth);
  Duration LifetimeFor(const StunMessage& request, bool* zero) const;
  // `recount`: refresh the totals in stats_ (O(allocations); OnTimer does it once at the end).
  void RemoveAllocation(const TurnClientTuple& tuple, bool recount = true);
  void Drop(TurnDrop reason) { ++stats_.drops[static_cast<size_t>(reason)]; }
  bool TakeBindingToken(const SocketAddress& source);
  void RecountTotals();

  const Clock& clock_;
  std::function<int64_t()> unix_now_;
  const TurnServerConfig config_;
  Network& network_;
  TurnNonces nonces_;
  Stats stats_;
  absl::flat_hash_map<TurnClientTuple, std::unique_ptr<Allocation>> allocations_;
  absl::flat_hash_map<SocketAddress, Allocation*, SocketAddressHash> by_relay_;
  absl::flat_hash_map<std::string, size_t> per_user_;
  struct Bucket {
    double tokens = 0;
    Timestamp last;
  };
  absl::flat_hash_map<SocketAddress, Bucket, SocketAddressHash> binding_buckets_;
  std::vector<uint8_t> out_;  // Every response and relayed message is written here.
  uint64_t indication_counter_ = 0;
  std::array<uint8_t, 4> indication_salt_{};
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_TURN_SERVER_H_
