#include "sfu/datagram_router.h"

#include "sfu/webrtc_transport.h"
#include "transport/packet_demux.h"
#include "transport/stun_message.h"

namespace switchyard::sfu {

void DatagramRouter::RegisterUfrag(const std::string& ufrag, WebRtcTransport* transport) {
  by_ufrag_[ufrag] = transport;
}

void DatagramRouter::UnregisterUfrag(const std::string& ufrag, WebRtcTransport* transport) {
  auto it = by_ufrag_.find(ufrag);
  if (it != by_ufrag_.end() && it->second == transport) by_ufrag_.erase(it);
}

void DatagramRouter::RouteAddress(const transport::SocketAddress& address,
                                  WebRtcTransport* transport) {
  by_address_[address] = transport;
}

void DatagramRouter::UnrouteAddress(const transport::SocketAddress& address,
                                    WebRtcTransport* transport) {
  auto it = by_address_.find(address);
  if (it != by_address_.end() && it->second == transport) by_address_.erase(it);
}

void DatagramRouter::Deliver(std::span<uint8_t> data, const transport::SocketAddress& from,
                             std::optional<transport::Timestamp> arrival) {
  const transport::PacketClass packet_class = transport::ClassifyPacket(data);
  switch (packet_class) {
    case transport::PacketClass::kStun: {
      auto message = transport::StunMessage::Parse(data);
      if (!message.ok()) {
        drops_.Count(DropReason::kMalformedStun);
        return;
      }
      const std::string_view ufrag =
          transport::LocalUfragFromUsername(message->username().value_or(""));
      auto it = by_ufrag_.find(absl::string_view(ufrag.data(), ufrag.size()));
      if (it == by_ufrag_.end()) {
        drops_.Count(DropReason::kStunUnknownUfrag);
        return;
      }
      it->second->OnStun(*message, from);
      return;
    }
    case transport::PacketClass::kDtls:
    case transport::PacketClass::kRtpOrRtcp: {
      auto it = by_address_.find(from);
      if (it == by_address_.end()) {
        drops_.Count(DropReason::kUnknownRemoteAddress);
        return;
      }
      if (packet_class == transport::PacketClass::kDtls) {
        it->second->OnDtls(data, from);
      } else {
        it->second->OnSrtp(data, from, arrival);
      }
      return;
    }
    case transport::PacketClass::kUnknown:
      drops_.Count(DropReason::kUnknownPacketClass);
      return;
  }
}

}  // namespace switchyard::sfu
