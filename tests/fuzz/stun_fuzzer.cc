// Fuzzes the STUN parser, its accessors, MESSAGE-INTEGRITY verification and the ICE-lite agent.
//
// Random bytes almost never carry a valid HMAC, so besides feeding the input as a datagram the
// fuzzer also wraps it into a check for the agent (our USERNAME, the input as further
// attributes, correct MESSAGE-INTEGRITY and FINGERPRINT) to reach the post-authentication paths.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "transport/byte_io.h"
#include "transport/clock.h"
#include "transport/ice_lite_agent.h"
#include "transport/packet_demux.h"
#include "transport/stun_message.h"

namespace {

using namespace switchyard::transport;

constexpr std::string_view kUfrag = "fuzzUfrg";
constexpr std::string_view kPwd = "fuzzPassword012345678901";

void ReadEverything(const StunMessage& m) {
  volatile size_t sink = 0;
  sink = sink + static_cast<size_t>(m.message_class()) + static_cast<size_t>(m.method());
  sink = sink + m.message_type() + m.transaction_id()[0] + m.bytes().size();
  if (auto u = m.username()) sink = sink + u->size() + (u->empty() ? 0 : (*u)[0]);
  if (auto s = m.software()) sink = sink + s->size();
  if (auto r = m.realm()) sink = sink + r->size();
  if (auto n = m.nonce()) sink = sink + n->size();
  if (auto p = m.priority()) sink = sink + *p;
  sink = sink + m.use_candidate();
  if (auto t = m.ice_controlling()) sink = sink + *t;
  if (auto t = m.ice_controlled()) sink = sink + *t;
  if (const auto& a = m.xor_mapped_address()) sink = sink + a->port() + a->ip_bytes()[15];
  if (const auto& a = m.mapped_address()) sink = sink + a->port();
  if (auto e = m.error_code()) sink = sink + e->code + e->reason.size();
  for (uint16_t t : m.unknown_attributes()) sink = sink + t;
  for (uint16_t t : m.unknown_comprehension_required()) sink = sink + t;
  sink = sink + m.has_message_integrity() + m.has_fingerprint();
  if (auto v = m.FindAttribute(kStunAttrGoogNetworkInfo)) sink = sink + v->size();
  sink = sink + m.VerifyMessageIntegrity(kPwd);
  (void)sink;
}

void Feed(IceLiteAgent& agent, std::span<const uint8_t> datagram, const SocketAddress& from) {
  std::array<uint8_t, 128> response;
  IceLiteAgent::Outcome outcome = agent.HandleStunPacket(datagram, from, response);
  if (outcome.dropped && outcome.response_size != 0) __builtin_trap();
  if (outcome.response_size == 0) return;
  if (outcome.response_size > response.size()) __builtin_trap();
  // Everything the agent sends must parse and authenticate with the local password.
  absl::StatusOr<StunMessage> reply =
      StunMessage::Parse(std::span<const uint8_t>(response.data(), outcome.response_size));
  if (!reply.ok() || !reply->VerifyMessageIntegrity(kPwd) || !reply->has_fingerprint()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  (void)ClassifyPacket(input);
  (void)IsRtcp(input);

  absl::StatusOr<StunMessage> message = StunMessage::Parse(input);
  if (message.ok()) ReadEverything(*message);

  FakeClock clock;
  IceLiteAgent agent(clock, IceCredentials{std::string(kUfrag), std::string(kPwd)});
  if (size > 0 && (data[0] & 1)) agent.SetRemoteCredentials(IceCredentials{"rmt1", "x"});
  const SocketAddress from_v4 = SocketAddress::FromIpv4(0xC6336401, 5000);
  std::array<uint8_t, 16> v6{};
  v6[0] = 0x20;
  v6[15] = size > 1 ? data[1] : 1;
  const SocketAddress from_v6 = SocketAddress::FromIpv6(v6, 6000);
  Feed(agent, input, from_v4);

  // Authenticated wrapper: header type + transaction id from the input, our USERNAME, then the
  // input (4-aligned) as raw attributes, then valid MESSAGE-INTEGRITY and FINGERPRINT.
  std::vector<uint8_t> check(kStunHeaderSize);
  StoreBe16(&check[0], size > 2 ? static_cast<uint16_t>((data[2] & 0x01) << 4 | 0x0001) : 0x0001);
  StoreBe32(&check[4], kStunMagicCookie);
  for (size_t i = 0; i < 12 && i < size; ++i) check[8 + i] = data[i];
  const std::string username = std::string(kUfrag) + (size > 3 && (data[3] & 1) ? ":rmt1" : ":x");
  check.push_back(0x00);
  check.push_back(0x06);
  check.push_back(0x00);
  check.push_back(static_cast<uint8_t>(username.size()));
  check.insert(check.end(), username.begin(), username.end());
  while (check.size() % 4) check.push_back(0);
  const size_t attributes = std::min<size_t>(size, 2000) & ~size_t{3};
  check.insert(check.end(), data, data + attributes);
  const size_t body = check.size();
  check.resize(body + 32);
  const size_t n = AppendStunIntegrityAndFingerprint(check, body, kPwd, true);
  if (n == 0) return 0;
  check.resize(n);
  // No integrity invariant here: an input attribute whose length runs past the input swallows
  // our MESSAGE-INTEGRITY and FINGERPRINT into its value, which is a well-formed message.
  if (absl::StatusOr<StunMessage> wrapped = StunMessage::Parse(check); wrapped.ok()) {
    ReadEverything(*wrapped);
  }
  Feed(agent, check, from_v6);
  clock.Advance(std::chrono::seconds(size > 4 ? data[4] : 0));
  agent.OnTimer();
  Feed(agent, check, from_v4);
  return 0;
}
