#include "transport/turn_server.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "transport/byte_io.h"

namespace switchyard::transport {
namespace {

constexpr uint8_t kUdpProtocol = 17;  // REQUESTED-TRANSPORT (RFC 8656 §14.7)
constexpr size_t kChannelDataHeader = 4;

SocketAddress IpOnly(const SocketAddress& address) {
  if (address.is_ipv4()) return SocketAddress::FromIpv4(address.ipv4_host_order(), 0);
  return SocketAddress::FromIpv6(address.ip_bytes(), 0);
}

bool SameFamily(const SocketAddress& a, const SocketAddress& b) {
  return a.is_ipv4() == b.is_ipv4() && a.is_ipv6() == b.is_ipv6();
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// XOR-PEER-ADDRESS value (RFC 8489 §14.2 encoding) for `tid`; returns its size (8 or 20).
size_t WriteXorAddress(uint8_t* p, const SocketAddress& address, const uint8_t* tid) {
  const bool v4 = address.is_ipv4();
  p[0] = 0;
  p[1] = v4 ? 0x01 : 0x02;
  StoreBe16(p + 2, address.port() ^ static_cast<uint16_t>(kStunMagicCookie >> 16));
  if (v4) {
    StoreBe32(p + 4, address.ipv4_host_order() ^ kStunMagicCookie);
    return 8;
  }
  uint8_t mask[16];
  StoreBe32(mask, kStunMagicCookie);
  std::memcpy(mask + 4, tid, 12);
  for (int i = 0; i < 16; ++i) p[4 + i] = address.ip_bytes()[i] ^ mask[i];
  return 20;
}

}  // namespace

std::string_view TurnDropName(TurnDrop reason) {
  switch (reason) {
    case TurnDrop::kMalformed: return "malformed";
    case TurnDrop::kUnexpectedMessage: return "unexpected_message";
    case TurnDrop::kBindingRateLimited: return "binding_rate_limited";
    case TurnDrop::kNoAllocation: return "no_allocation";
    case TurnDrop::kNoPermission: return "no_permission";
    case TurnDrop::kUnboundChannel: return "unbound_channel";
    case TurnDrop::kBadPeer: return "bad_peer";
    case TurnDrop::kUnknownRelay: return "unknown_relay";
    case TurnDrop::kCount: break;
  }
  return "unknown";
}

struct TurnServer::Allocation {
  TurnClientTuple tuple;
  SocketAddress relay;
  std::string username;
  TurnKey key{};
  StunTransactionId allocate_transaction{};
  Timestamp expires;
  // Permissions are per peer IP (RFC 8656 §9); channels bind one peer transport address.
  absl::flat_hash_map<SocketAddress, Timestamp, SocketAddressHash> permissions;
  struct Channel {
    SocketAddress peer;
    Timestamp expires;
  };
  absl::flat_hash_map<uint16_t, Channel> channels;
  absl::flat_hash_map<SocketAddress, uint16_t, SocketAddressHash> channel_by_peer;

  bool Permitted(const SocketAddress& peer, Timestamp now) const {
    auto it = permissions.find(IpOnly(peer));
    return it != permissions.end() && now < it->second;
  }
};

TurnServer::TurnServer(const Clock& clock, std::function<int64_t()> unix_now,
                       TurnServerConfig config, Network& network)
    : clock_(clock),
      unix_now_(std::move(unix_now)),
      config_(std::move(config)),
      network_(network),
      nonces_(clock, config_.nonce_lifetime),
      out_(kMaxMessage + 64) {
  if (RAND_bytes(indication_salt_.data(), static_cast<int>(indication_salt_.size())) != 1) {
    indication_salt_.fill(0x5a);
  }
}

TurnServer::~TurnServer() {
  for (auto& [tuple, allocation] : allocations_) network_.CloseRelay(allocation->relay);
}

std::optional<SocketAddress> TurnServer::RelayOf(const TurnClientTuple& tuple) const {
  auto it = allocations_.find(tuple);
  if (it == allocations_.end()) return std::nullopt;
  return it->second->relay;
}

void TurnServer::HandleClientPacket(const TurnClientTuple& tuple, std::span<const uint8_t> data) {
  if (data.size() < kChannelDataHeader) {
    Drop(TurnDrop::kMalformed);
    return;
  }
  switch (data[0] >> 6) {
    case 0:
      HandleStun(tuple, data);
      return;
    case 1:
      HandleChannelData(tuple, data);
      return;
    default:
      Drop(TurnDrop::kMalformed);
      return;
  }
}

void TurnServer::HandleStun(const TurnClientTuple& tuple, std::span<const uint8_t> data) {
  absl::StatusOr<StunMessage> parsed = StunMessage::Parse(data);
  if (!parsed.ok()) {
    Drop(TurnDrop::kMalformed);
    return;
  }
  const StunMessage& message = *parsed;
  if (message.message_class() == StunClass::kIndication) {
    if (message.method() == StunMethod::kSend) {
      HandleSendIndication(tuple, message);
    } else {
      Drop(TurnDrop::kUnexpectedMessage);
    }
    return;
  }
  if (message.message_class() != StunClass::kRequest) {
    Drop(TurnDrop::kUnexpectedMessage);
    return;
  }
  if (!message.unknown_comprehension_required().empty()) {
    // RFC 8489 §6.3.1.1 (e.g. EVEN-PORT, RESERVATION-TOKEN, DONT-FRAGMENT: not offered here).
    SendError(tuple, message, kStunErrorUnknownAttribute, "Unknown Attribute", nullptr);
    return;
  }
  switch (message.method()) {
    case StunMethod::kBinding:
      HandleBinding(tuple, message);
      return;
    case StunMethod::kAllocate:
    case StunMethod::kRefresh:
    case StunMethod::kCreatePermission:
    case StunMethod::kChannelBind:
      break;
    default:
      SendError(tuple, message, kStunErrorBadRequest, "Unknown method", nullptr);
      return;
  }
  if (config_.auth_secret.empty()) {
    SendError(tuple, message, kStunErrorForbidden, "TURN is not enabled on this server", nullptr);
    return;
  }
  std::optional<Auth> auth = Authenticate(tuple, message);
  if (!auth) return;
  switch (message.method()) {
    case StunMethod::kAllocate:
      HandleAllocate(tuple, message, *auth);
      break;
    case StunMethod::kRefresh:
      HandleRefresh(tuple, message, *auth);
      break;
    case StunMethod::kCreatePermission:
      HandleCreatePermission(tuple, message, *auth);
      break;
    case StunMethod::kChannelBind:
      HandleChannelBind(tuple, message, *auth);
      break;
    default:
      break;
  }
}

void TurnServer::HandleBinding(const TurnClientTuple& tuple, const StunMessage& request) {
  if (!TakeBindingToken(tuple.client)) {
    Drop(TurnDrop::kBindingRateLimited);
    return;
  }
  ++stats_.binding_requests;
  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kBinding,
                             request.transaction_id());
  builder.AddXorMappedAddress(tuple.client);
  builder.AddSoftware(config_.software);
  SendResponse(tuple, builder, nullptr);
}

std::optional<TurnServer::Auth> TurnServer::Authenticate(const TurnClientTuple& tuple,
                                                         const StunMessage& request) {
  // RFC 8489 §9.2.4, in its order.
  if (!request.has_message_integrity()) {
    SendError(tuple, request, kStunErrorUnauthenticated, "Unauthenticated", nullptr);
    return std::nullopt;
  }
  const std::optional<std::string_view> username = request.username();
  const std::optional<std::string_view> realm = request.realm();
  const std::optional<std::string_view> nonce = request.nonce();
  if (!username || !realm || !nonce) {
    SendError(tuple, request, kStunErrorBadRequest, "USERNAME, REALM and NONCE are required",
              nullptr);
    return std::nullopt;
  }
  if (!nonces_.Valid(*nonce, tuple.client)) {
    SendError(tuple, request, kStunErrorStaleNonce, "Stale Nonce", nullptr);
    return std::nullopt;
  }
  if (*realm != config_.realm) {
    SendError(tuple, request, kStunErrorUnauthenticated, "Unauthenticated", nullptr);
    return std::nullopt;
  }
  absl::StatusOr<std::string> password =
      TurnRestPassword(config_.auth_secret, *username, unix_now_());
  if (!password.ok()) {
    SendError(tuple, request, kStunErrorUnauthenticated, "Unauthenticated", nullptr);
    return std::nullopt;
  }
  Auth auth;
  auth.username = std::string(*username);
  auth.key = LongTermCredentialKey(*username, *realm, *password);
  if (!request.VerifyMessageIntegrity(KeyView(auth.key))) {
    SendError(tuple, request, kStunErrorUnauthenticated, "Unauthenticated", nullptr);
    return std::nullopt;
  }
  return auth;
}

Duration TurnServer::LifetimeFor(const StunMessage& request, bool* zero) const {
  if (zero != nullptr) *zero = false;
  const std::optional<std::span<const uint8_t>> value = request.FindAttribute(kStunAttrLifetime);
  if (!value || value->size() != 4) return config_.default_lifetime;
  const uint32_t seconds = LoadBe32(value->data());
  if (seconds == 0 && zero != nullptr) {
    *zero = true;
    return Duration::zero();
  }
  // RFC 8656 §7.2 / §8: min(requested, maximum), but never below the default.
  const Duration requested = std::chrono::seconds(seconds);
  return std::max(std::min(requested, config_.max_lifetime), config_.default_lifetime);
}

void TurnServer::HandleAllocate(const TurnClientTuple& tuple, const StunMessage& request,
                                const Auth& auth) {
  ++stats_.allocate_requests;
  const Timestamp now = clock_.Now();
  if (auto it = allocations_.find(tuple); it != allocations_.end()) {
    Allocation& existing = *it->second;
    // RFC 8656 §7.2: a retransmitted Allocate (same transaction) gets the same answer.
    if (existing.allocate_transaction == request.transaction_id() &&
        existing.username == auth.username) {
      StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kAllocate,
                                 request.transaction_id());
      builder.AddXorAddress(kStunAttrXorRelayedAddress, existing.relay);
      builder.AddUint32(kStunAttrLifetime, static_cast<uint32_t>(std::max<int64_t>(
                                               0, std::chrono::duration_cast<std::chrono::seconds>(
                                                      existing.expires - now)
                                                      .count())));
      builder.AddXorMappedAddress(tuple.client);
      builder.AddSoftware(config_.software);
      SendResponse(tuple, builder, &auth);
      return;
    }
    SendError(tuple, request, kStunErrorAllocationMismatch, "Allocation Mismatch", &auth);
    return;
  }
  const std::optional<std::span<const uint8_t>> transport =
      request.FindAttribute(kStunAttrRequestedTransport);
  if (!transport || transport->size() != 4) {
    SendError(tuple, request, kStunErrorBadRequest, "REQUESTED-TRANSPORT is required", &auth);
    return;
  }
  if ((*transport)[0] != kUdpProtocol) {
    SendError(tuple, request, kStunErrorUnsupportedTransport, "Unsupported Transport Protocol",
              &auth);
    return;
  }
  if (auto family = request.FindAttribute(kStunAttrRequestedAddressFamily)) {
    // Relays are in the family of the server address the client reached.
    const uint8_t wanted = family->size() == 4 ? (*family)[0] : 0;
    const uint8_t ours = tuple.server.is_ipv4() ? 0x01 : 0x02;
    if (wanted != ours) {
      SendError(tuple, request, kStunErrorAddressFamilyNotSupported,
                "Address Family not Supported", &auth);
      return;
    }
  }
  // find, not operator[]: a refused Allocate must not leave a zero entry behind per username.
  if (auto user = per_user_.find(auth.username);
      user != per_user_.end() && user->second >= config_.max_allocations_per_user) {
    SendError(tuple, request, kStunErrorAllocationQuotaReached, "Allocation Quota Reached", &auth);
    return;
  }
  if (allocations_.size() >= config_.max_allocations_total) {
    SendError(tuple, request, kStunErrorInsufficientCapacity, "Insufficient Capacity", &auth);
    return;
  }
  TurnRelayRequest relay_request;
  const std::optional<std::span<const uint8_t>> even_port = request.FindAttribute(kStunAttrEvenPort);
  const std::optional<std::span<const uint8_t>> token =
      request.FindAttribute(kStunAttrReservationToken);
  if ((even_port && token) || (even_port && even_port->size() != 1) ||
      (token && token->size() != 8)) {
    // RFC 8656 §7.2: EVEN-PORT and RESERVATION-TOKEN together, or malformed, is a 400.
    SendError(tuple, request, kStunErrorBadRequest, "Bad EVEN-PORT or RESERVATION-TOKEN", &auth);
    return;
  }
  if (even_port) {
    relay_request.even_port = true;
    relay_request.reserve_next = ((*even_port)[0] & 0x80) != 0;
  }
  if (token) {
    TurnReservationToken t;
    std::memcpy(t.data(), token->data(), t.size());
    relay_request.reservation = t;
  }
  absl::StatusOr<TurnRelayGrant> grant = network_.OpenRelay(tuple, relay_request);
  if (!grant.ok()) {
    SendError(tuple, request, kStunErrorInsufficientCapacity, "Insufficient Capacity", &auth);
    return;
  }
  const SocketAddress* relay = &grant->relay;
  const Duration lifetime = LifetimeFor(request, nullptr);
  auto allocation = std::make_unique<Allocation>();
  allocation->tuple = tuple;
  allocation->relay = *relay;
  allocation->username = auth.username;
  allocation->key = auth.key;
  allocation->allocate_transaction = request.transaction_id();
  allocation->expires = now + lifetime;
  by_relay_[*relay] = allocation.get();
  allocations_[tuple] = std::move(allocation);
  ++per_user_[auth.username];
  RecountTotals();

  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kAllocate,
                             request.transaction_id());
  builder.AddXorAddress(kStunAttrXorRelayedAddress, *relay);
  builder.AddUint32(kStunAttrLifetime, static_cast<uint32_t>(
                                           std::chrono::duration_cast<std::chrono::seconds>(lifetime)
                                               .count()));
  if (grant->reservation) builder.AddAttribute(kStunAttrReservationToken, *grant->reservation);
  builder.AddXorMappedAddress(tuple.client);
  builder.AddSoftware(config_.software);
  SendResponse(tuple, builder, &auth);
}

TurnServer::Allocation* TurnServer::OwnAllocation(const TurnClientTuple& tuple,
                                                  const StunMessage& request, const Auth& auth) {
  auto it = allocations_.find(tuple);
  if (it == allocations_.end()) {
    SendError(tuple, request, kStunErrorAllocationMismatch, "Allocation Mismatch", &auth);
    return nullptr;
  }
  // RFC 8656 §6.2: later requests on an allocation must come from the user who made it.
  if (it->second->username != auth.username) {
    SendError(tuple, request, kStunErrorWrongCredentials, "Wrong Credentials", &auth);
    return nullptr;
  }
  return it->second.get();
}

void TurnServer::HandleRefresh(const TurnClientTuple& tuple, const StunMessage& request,
                               const Auth& auth) {
  Allocation* allocation = OwnAllocation(tuple, request, auth);
  if (allocation == nullptr) return;
  bool zero = false;
  const Duration lifetime = LifetimeFor(request, &zero);
  if (zero) {
    RemoveAllocation(tuple);
  } else {
    allocation->expires = clock_.Now() + lifetime;
  }
  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kRefresh,
                             request.transaction_id());
  builder.AddUint32(kStunAttrLifetime, static_cast<uint32_t>(
                                           std::chrono::duration_cast<std::chrono::seconds>(lifetime)
                                               .count()));
  builder.AddSoftware(config_.software);
  SendResponse(tuple, builder, &auth);
}

void TurnServer::HandleCreatePermission(const TurnClientTuple& tuple, const StunMessage& request,
                                        const Auth& auth) {
  Allocation* found = OwnAllocation(tuple, request, auth);
  if (found == nullptr) return;
  Allocation& allocation = *found;
  absl::InlinedVector<SocketAddress, 4> peers;
  bool malformed = false;
  const size_t count = request.ForEachAttribute(kStunAttrXorPeerAddress,
                                                [&](std::span<const uint8_t> value) {
    std::optional<SocketAddress> peer = request.DecodeXorAddress(value);
    if (peer) {
      peers.push_back(*peer);
    } else {
      malformed = true;
    }
  });
  if (count == 0 || malformed) {
    SendError(tuple, request, kStunErrorBadRequest, "XOR-PEER-ADDRESS is required", &auth);
    return;
  }
  // All or nothing (RFC 8656 §10.2): check every peer before installing any.
  for (const SocketAddress& peer : peers) {
    if (!SameFamily(peer, allocation.relay)) {
      SendError(tuple, request, kStunErrorPeerAddressFamilyMismatch,
                "Peer Address Family Mismatch", &auth);
      return;
    }
    if (!config_.peer_policy.Allows(peer)) {
      SendError(tuple, request, kStunErrorForbidden, "Forbidden", &auth);
      return;
    }
  }
  const Timestamp expires = clock_.Now() + config_.permission_lifetime;
  for (const SocketAddress& peer : peers) allocation.permissions[IpOnly(peer)] = expires;
  RecountTotals();
  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kCreatePermission,
                             request.transaction_id());
  builder.AddSoftware(config_.software);
  SendResponse(tuple, builder, &auth);
}

void TurnServer::HandleChannelBind(const TurnClientTuple& tuple, const StunMessage& request,
                                   const Auth& auth) {
  Allocation* found = OwnAllocation(tuple, request, auth);
  if (found == nullptr) return;
  Allocation& allocation = *found;
  const std::optional<std::span<const uint8_t>> number_attr =
      request.FindAttribute(kStunAttrChannelNumber);
  const std::optional<std::span<const uint8_t>> peer_attr =
      request.FindAttribute(kStunAttrXorPeerAddress);
  const uint16_t number =
      number_attr && number_attr->size() == 4 ? LoadBe16(number_attr->data()) : 0;
  if (number < kMinChannel || number > kMaxChannel) {
    SendError(tuple, request, kStunErrorBadRequest, "CHANNEL-NUMBER must be 0x4000-0x7FFF", &auth);
    return;
  }
  std::optional<SocketAddress> peer =
      peer_attr ? request.DecodeXorAddress(*peer_attr) : std::nullopt;
  if (!peer || peer->port() == 0) {
    SendError(tuple, request, kStunErrorBadRequest, "XOR-PEER-ADDRESS is required", &auth);
    return;
  }
  if (!SameFamily(*peer, allocation.relay)) {
    SendError(tuple, request, kStunErrorPeerAddressFamilyMismatch, "Peer Address Family Mismatch",
              &auth);
    return;
  }
  if (!config_.peer_policy.Allows(*peer)) {
    SendError(tuple, request, kStunErrorForbidden, "Forbidden", &auth);
    return;
  }
  // RFC 8656 §11.2: a channel is bound to one peer and a peer to one channel.
  auto channel = allocation.channels.find(number);
  auto bound = allocation.channel_by_peer.find(*peer);
  if ((channel != allocation.channels.end() && channel->second.peer != *peer) ||
      (bound != allocation.channel_by_peer.end() && bound->second != number)) {
    SendError(tuple, request, kStunErrorBadRequest, "Channel or peer already bound", &auth);
    return;
  }
  const Timestamp now = clock_.Now();
  allocation.channels[number] = Allocation::Channel{*peer, now + config_.channel_lifetime};
  allocation.channel_by_peer[*peer] = number;
  allocation.permissions[IpOnly(*peer)] = now + config_.permission_lifetime;
  RecountTotals();
  StunMessageBuilder builder(StunClass::kSuccessResponse, StunMethod::kChannelBind,
                             request.transaction_id());
  builder.AddSoftware(config_.software);
  SendResponse(tuple, builder, &auth);
}

void TurnServer::HandleSendIndication(const TurnClientTuple& tuple, const StunMessage& message) {
  auto it = allocations_.find(tuple);
  if (it == allocations_.end()) {
    Drop(TurnDrop::kNoAllocation);
    return;
  }
  Allocation& allocation = *it->second;
  const std::optional<std::span<const uint8_t>> peer_attr =
      message.FindAttribute(kStunAttrXorPeerAddress);
  const std::optional<std::span<const uint8_t>> data = message.FindAttribute(kStunAttrData);
  std::optional<SocketAddress> peer =
      peer_attr ? message.DecodeXorAddress(*peer_attr) : std::nullopt;
  if (!peer || !data) {
    Drop(TurnDrop::kMalformed);
    return;
  }
  if (peer->port() == 0 || !SameFamily(*peer, allocation.relay) ||
      !config_.peer_policy.Allows(*peer)) {
    Drop(TurnDrop::kBadPeer);
    return;
  }
  if (!allocation.Permitted(*peer, clock_.Now())) {
    Drop(TurnDrop::kNoPermission);
    return;
  }
  ++stats_.packets_to_peers;
  stats_.bytes_to_peers += data->size();
  network_.SendFromRelay(allocation.relay, *peer, *data);
}

void TurnServer::HandleChannelData(const TurnClientTuple& tuple, std::span<const uint8_t> data) {
  const uint16_t number = LoadBe16(data.data());
  const size_t length = LoadBe16(data.data() + 2);
  if (data.size() - kChannelDataHeader < length) {
    Drop(TurnDrop::kMalformed);
    return;
  }
  auto it = allocations_.find(tuple);
  if (it == allocations_.end()) {
    Drop(TurnDrop::kNoAllocation);
    return;
  }
  Allocation& allocation = *it->second;
  auto channel = allocation.channels.find(number);
  if (channel == allocation.channels.end() || clock_.Now() >= channel->second.expires) {
    Drop(TurnDrop::kUnboundChannel);
    return;
  }
  ++stats_.packets_to_peers;
  stats_.bytes_to_peers += length;
  network_.SendFromRelay(allocation.relay, channel->second.peer,
                         data.subspan(kChannelDataHeader, length));
}

void TurnServer::HandlePeerPacket(const SocketAddress& relay, const SocketAddress& peer,
                                  std::span<const uint8_t> data) {
  auto it = by_relay_.find(relay);
  if (it == by_relay_.end()) {
    Drop(TurnDrop::kUnknownRelay);
    return;
  }
  const Allocation& allocation = *it->second;
  const Timestamp now = clock_.Now();
  if (!allocation.Permitted(peer, now)) {
    Drop(TurnDrop::kNoPermission);
    return;
  }
  if (data.size() > kMaxMessage - 64) {
    Drop(TurnDrop::kMalformed);
    return;
  }
  uint8_t* out = out_.data();
  size_t size = 0;
  auto channel = allocation.channel_by_peer.find(peer);
  const bool stream = allocation.tuple.transport != TurnTransport::kUdp;
  if (channel != allocation.channel_by_peer.end() &&
      now < allocation.channels.at(channel->second).expires) {
    // RFC 8656 §12.5: ChannelData; padded to 4 bytes over TCP/TLS (§12.5 framing), not UDP.
    StoreBe16(out, channel->second);
    StoreBe16(out + 2, static_cast<uint16_t>(data.size()));
    std::memcpy(out + kChannelDataHeader, data.data(), data.size());
    size = kChannelDataHeader + data.size();
    if (stream) {
      while (size % 4 != 0) out[size++] = 0;
    }
  } else {
    // RFC 8656 §11.4: a Data indication with XOR-PEER-ADDRESS and DATA.
    StoreBe16(out, StunMessageType(StunClass::kIndication, StunMethod::kData));
    StoreBe32(out + 4, kStunMagicCookie);
    std::memcpy(out + 8, indication_salt_.data(), 4);
    StoreBe64(out + 12, ++indication_counter_);
    size_t pos = kStunHeaderSize;
    StoreBe16(out + pos, kStunAttrXorPeerAddress);
    const size_t address_size = WriteXorAddress(out + pos + 4, peer, out + 8);
    StoreBe16(out + pos + 2, static_cast<uint16_t>(address_size));
    pos += 4 + address_size;
    StoreBe16(out + pos, kStunAttrData);
    StoreBe16(out + pos + 2, static_cast<uint16_t>(data.size()));
    std::memcpy(out + pos + 4, data.data(), data.size());
    pos += 4 + data.size();
    while (pos % 4 != 0) out[pos++] = 0;
    StoreBe16(out + 2, static_cast<uint16_t>(pos - kStunHeaderSize));
    size = pos;
  }
  ++stats_.packets_to_clients;
  stats_.bytes_to_clients += data.size();
  network_.SendToClient(allocation.tuple, std::span<const uint8_t>(out, size));
}

void TurnServer::OnTimer() {
  const Timestamp now = clock_.Now();
  std::vector<TurnClientTuple> expired;
  for (auto& [tuple, allocation] : allocations_) {
    if (now >= allocation->expires) {
      expired.push_back(tuple);
      continue;
    }
    absl::erase_if(allocation->permissions, [&](const auto& p) { return now >= p.second; });
    for (auto c = allocation->channels.begin(); c != allocation->channels.end();) {
      if (now >= c->second.expires) {
        allocation->channel_by_peer.erase(c->second.peer);
        allocation->channels.erase(c++);
      } else {
        ++c;
      }
    }
  }
  for (const TurnClientTuple& tuple : expired) RemoveAllocation(tuple, /*recount=*/false);
  // Forget binding buckets that have refilled: they hold no state worth keeping.
  const Duration refill = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
      config_.binding_burst / std::max(config_.binding_rate_per_second, 1e-3)));
  absl::erase_if(binding_buckets_, [&](const auto& b) { return now - b.second.last > refill; });
  RecountTotals();
}

void TurnServer::OnClientClosed(const TurnClientTuple& tuple) { RemoveAllocation(tuple); }

void TurnServer::RemoveAllocation(const TurnClientTuple& tuple, bool recount) {
  auto it = allocations_.find(tuple);
  if (it == allocations_.end()) return;
  Allocation& allocation = *it->second;
  network_.CloseRelay(allocation.relay);
  by_relay_.erase(allocation.relay);
  if (auto user = per_user_.find(allocation.username); user != per_user_.end()) {
    if (--user->second == 0) per_user_.erase(user);
  }
  allocations_.erase(it);
  if (recount) RecountTotals();
}

void TurnServer::RecountTotals() {
  stats_.allocations = allocations_.size();
  stats_.permissions = 0;
  stats_.channels = 0;
  for (const auto& [tuple, allocation] : allocations_) {
    stats_.permissions += allocation->permissions.size();
    stats_.channels += allocation->channels.size();
  }
}

bool TurnServer::TakeBindingToken(const SocketAddress& source) {
  const Timestamp now = clock_.Now();
  const SocketAddress key = IpOnly(source);
  auto it = binding_buckets_.find(key);
  if (it == binding_buckets_.end()) {
    if (binding_buckets_.size() >= config_.max_binding_sources) return false;
    it = binding_buckets_.emplace(key, Bucket{config_.binding_burst, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  bucket.tokens = std::min(config_.binding_burst,
                           bucket.tokens + elapsed * config_.binding_rate_per_second);
  bucket.last = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

void TurnServer::SendError(const TurnClientTuple& tuple, const StunMessage& request,
                           uint16_t code, std::string_view reason, const Auth* auth) {
  ++stats_.error_responses;
  StunMessageBuilder builder(StunClass::kErrorResponse, request.method(),
                             request.transaction_id());
  builder.AddErrorCode(code, reason);
  if (code == kStunErrorUnauthenticated || code == kStunErrorStaleNonce) {
    const std::string nonce = nonces_.Issue(tuple.client);
    builder.AddAttribute(kStunAttrRealm, Bytes(config_.realm));
    builder.AddAttribute(kStunAttrNonce, Bytes(nonce));
  }
  if (code == kStunErrorUnknownAttribute) {
    builder.AddUnknownAttributes(request.unknown_comprehension_required());
  }
  builder.AddSoftware(config_.software);
  SendResponse(tuple, builder, auth);
}

void TurnServer::SendResponse(const TurnClientTuple& tuple, const StunMessageBuilder& builder,
                              const Auth* auth) {
  std::optional<std::string_view> key;
  if (auth != nullptr) key = KeyView(auth->key);
  const size_t size = builder.SerializeTo(out_, key, /*add_fingerprint=*/true);
  if (size == 0) return;
  network_.SendToClient(tuple, std::span<const uint8_t>(out_.data(), size));
}

}  // namespace switchyard::transport
