#include "transport/turn_peer_policy.h"

#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

struct Case {
  const char* ip;
  PeerAddressClass expected;
};

TEST(TurnPeerPolicyTest, ClassifiesAddresses) {
  const Case cases[] = {
      {"8.8.8.8", PeerAddressClass::kPublic},
      {"192.0.2.1", PeerAddressClass::kPublic},
      {"127.0.0.1", PeerAddressClass::kLoopback},
      {"127.255.0.9", PeerAddressClass::kLoopback},
      {"10.0.0.1", PeerAddressClass::kPrivate},
      {"172.16.0.1", PeerAddressClass::kPrivate},
      {"172.31.255.255", PeerAddressClass::kPrivate},
      {"172.32.0.1", PeerAddressClass::kPublic},
      {"192.168.0.1", PeerAddressClass::kPrivate},
      {"100.64.0.1", PeerAddressClass::kPrivate},
      {"100.128.0.1", PeerAddressClass::kPublic},
      {"169.254.1.1", PeerAddressClass::kLinkLocal},
      {"0.0.0.0", PeerAddressClass::kUnspecified},
      {"0.1.2.3", PeerAddressClass::kUnspecified},
      {"224.0.0.1", PeerAddressClass::kMulticast},
      {"255.255.255.255", PeerAddressClass::kMulticast},
      {"240.0.0.1", PeerAddressClass::kReserved},
      {"2001:db8::1", PeerAddressClass::kPublic},
      {"::1", PeerAddressClass::kLoopback},
      {"::", PeerAddressClass::kUnspecified},
      {"fd00::1", PeerAddressClass::kPrivate},
      {"fc00::1", PeerAddressClass::kPrivate},
      {"fe80::1", PeerAddressClass::kLinkLocal},
      {"ff02::1", PeerAddressClass::kMulticast},
      // IPv4-mapped addresses are judged by the IPv4 address: no way around the policy.
      {"::ffff:127.0.0.1", PeerAddressClass::kLoopback},
      {"::ffff:10.0.0.1", PeerAddressClass::kPrivate},
      {"::ffff:8.8.8.8", PeerAddressClass::kReserved},
  };
  for (const Case& c : cases) {
    auto address = SocketAddress::Parse(c.ip, 1000);
    ASSERT_TRUE(address.has_value()) << c.ip;
    EXPECT_EQ(ClassifyPeerAddress(*address), c.expected)
        << c.ip << " is " << PeerAddressClassName(ClassifyPeerAddress(*address));
  }
}

TEST(TurnPeerPolicyTest, AllowsPublicAlwaysAndLocalRangesOnlyWhenConfigured) {
  const SocketAddress loopback = *SocketAddress::Parse("127.0.0.1", 1);
  const SocketAddress private_ip = *SocketAddress::Parse("10.0.0.1", 1);
  const SocketAddress link_local = *SocketAddress::Parse("169.254.1.1", 1);
  const SocketAddress public_ip = *SocketAddress::Parse("198.51.100.1", 1);
  TurnPeerPolicy strict;
  EXPECT_TRUE(strict.Allows(public_ip));
  EXPECT_FALSE(strict.Allows(loopback));
  EXPECT_FALSE(strict.Allows(private_ip));
  TurnPeerPolicy dev;
  dev.allow_loopback = true;
  dev.allow_private = true;
  EXPECT_TRUE(dev.Allows(loopback));
  EXPECT_TRUE(dev.Allows(private_ip));
  EXPECT_FALSE(dev.Allows(link_local));
}

TEST(TurnPeerPolicyTest, TheSfusOwnAddressesAreAlwaysAllowed) {
  TurnPeerPolicy strict;
  const SocketAddress sfu = *SocketAddress::Parse("10.0.0.5", 40000);
  strict.always_allowed.push_back(sfu);
  EXPECT_TRUE(strict.Allows(sfu));
  EXPECT_FALSE(strict.Allows(*SocketAddress::Parse("10.0.0.5", 40001)));  // exact ports only
  EXPECT_FALSE(strict.Allows(*SocketAddress::Parse("10.0.0.6", 40000)));
}

}  // namespace
}  // namespace switchyard::transport
