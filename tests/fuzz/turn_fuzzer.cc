// Fuzzes the embedded STUN/TURN server core (transport/turn_server.h) with what clients and
// peers can send: STUN requests and indications, ChannelData, and relayed peer datagrams. Each
// run starts from an authenticated allocation with a permission and a channel bound (built by
// the harness with valid credentials), so the fuzzer reaches the relay paths, not only the
// 401 in front of them. Input: a sequence of [flags][len hi][len lo][bytes...] records;
// flags bit 0 = from the peer (else from the client), bit 1 = over TCP, bit 2 = advance the
// clock 100 s and run the timer first.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "transport/clock.h"
#include "transport/stun_message.h"
#include "transport/turn_credentials.h"
#include "transport/turn_server.h"

namespace {

using namespace switchyard::transport;

class Sink final : public TurnServer::Network {
 public:
  void SendToClient(const TurnClientTuple&, std::span<const uint8_t> data) override {
    last.assign(data.begin(), data.end());
  }
  absl::StatusOr<TurnRelayGrant> OpenRelay(const TurnClientTuple&,
                                           const TurnRelayRequest&) override {
    return TurnRelayGrant{SocketAddress::Parse("203.0.113.1", 50000).value(), std::nullopt};
  }
  void CloseRelay(const SocketAddress&) override {}
  void SendFromRelay(const SocketAddress&, const SocketAddress&, std::span<const uint8_t>) override {}
  std::vector<uint8_t> last;
};

void Request(TurnServer& server, Sink& sink, const TurnClientTuple& tuple, StunMethod method,
             const std::string& nonce, const TurnRestCredential& credential,
             void (*attributes)(StunMessageBuilder&)) {
  StunMessageBuilder b(StunClass::kRequest, method, GenerateStunTransactionId());
  attributes(b);
  b.AddUsername(credential.username);
  const std::string realm = server.config().realm;
  b.AddAttribute(kStunAttrRealm, {reinterpret_cast<const uint8_t*>(realm.data()), realm.size()});
  b.AddAttribute(kStunAttrNonce, {reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size()});
  const TurnKey key = LongTermCredentialKey(credential.username, realm, credential.password);
  auto bytes = b.Serialize(KeyView(key), true);
  if (!bytes.ok()) __builtin_trap();
  server.HandleClientPacket(tuple, *bytes);
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FakeClock clock;
  Sink sink;
  TurnServerConfig config;
  config.auth_secret = "secret";
  TurnServer server(clock, [] { return int64_t{1'700'000'000}; }, config, sink);
  const TurnClientTuple udp{*SocketAddress::Parse("198.51.100.7", 40000),
                            *SocketAddress::Parse("203.0.113.1", 3478), TurnTransport::kUdp};
  TurnClientTuple tcp = udp;
  tcp.transport = TurnTransport::kTcp;
  const TurnRestCredential credential =
      MakeTurnRestCredential("secret", "fuzz", 1'700'000'000 + 3600);
  for (const TurnClientTuple& tuple : {udp, tcp}) {
    // Challenge for a nonce, then Allocate, CreatePermission, ChannelBind 0x4000.
    StunMessageBuilder challenge(StunClass::kRequest, StunMethod::kAllocate,
                                 GenerateStunTransactionId());
    server.HandleClientPacket(tuple, *challenge.Serialize(std::nullopt, false));
    auto answer = StunMessage::Parse(sink.last);
    if (!answer.ok() || !answer->nonce()) __builtin_trap();
    const std::string nonce(*answer->nonce());
    Request(server, sink, tuple, StunMethod::kAllocate, nonce, credential,
            [](StunMessageBuilder& b) { b.AddUint32(kStunAttrRequestedTransport, 17u << 24); });
    Request(server, sink, tuple, StunMethod::kChannelBind, nonce, credential,
            [](StunMessageBuilder& b) {
              b.AddUint32(kStunAttrChannelNumber, 0x4000u << 16);
              b.AddXorAddress(kStunAttrXorPeerAddress, *SocketAddress::Parse("192.0.2.50", 6000));
            });
  }
  if (server.stats().channels != 2) __builtin_trap();
  const SocketAddress relay = *server.RelayOf(udp);
  const SocketAddress peer = *SocketAddress::Parse("192.0.2.50", 6000);

  size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t flags = data[pos];
    const size_t len = std::min<size_t>((size_t{data[pos + 1]} << 8) | data[pos + 2], size - pos - 3);
    const std::span<const uint8_t> packet(data + pos + 3, len);
    pos += 3 + len;
    if (flags & 4) {
      clock.Advance(std::chrono::seconds(100));
      server.OnTimer();
    }
    if (flags & 1) {
      server.HandlePeerPacket(relay, peer, packet);
    } else {
      server.HandleClientPacket((flags & 2) ? tcp : udp, packet);
    }
  }
  return 0;
}
