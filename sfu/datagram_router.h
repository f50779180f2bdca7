#ifndef SWITCHYARD_SFU_DATAGRAM_ROUTER_H_
#define SWITCHYARD_SFU_DATAGRAM_ROUTER_H_

#include <optional>
#include <span>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "sfu/drop_reason.h"
#include "transport/clock.h"
#include "transport/socket_address.h"

namespace switchyard::sfu {

class WebRtcTransport;

// Which transport a datagram arriving on a worker's socket belongs to (RFC 7983 demux by first
// byte): STUN binding requests by the local ufrag in their USERNAME (RFC 8445 §7.3), DTLS and
// SRTP by the remote address a validated check came from. Unroutable datagrams are counted
// drops. Shared by the Worker and by in-process test networks so both route identically.
class DatagramRouter {
 public:
  explicit DatagramRouter(DropCounters& drops) : drops_(drops) {}

  void RegisterUfrag(const std::string& ufrag, WebRtcTransport* transport);
  void UnregisterUfrag(const std::string& ufrag, WebRtcTransport* transport);
  void RouteAddress(const transport::SocketAddress& address, WebRtcTransport* transport);
  void UnrouteAddress(const transport::SocketAddress& address, WebRtcTransport* transport);

  void Deliver(std::span<uint8_t> data, const transport::SocketAddress& from,
               std::optional<transport::Timestamp> arrival = std::nullopt);

  size_t ufrag_count() const { return by_ufrag_.size(); }
  size_t address_count() const { return by_address_.size(); }

 private:
  DropCounters& drops_;
  absl::flat_hash_map<std::string, WebRtcTransport*> by_ufrag_;
  absl::flat_hash_map<transport::SocketAddress, WebRtcTransport*, transport::SocketAddressHash>
      by_address_;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_DATAGRAM_ROUTER_H_
