#include "transport/packet_demux.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

TEST(PacketDemuxTest, ClassifiesByFirstByteRanges) {
  struct Case {
    uint8_t first;
    PacketClass expected;
  };
  const Case cases[] = {
      {0, PacketClass::kStun},         {3, PacketClass::kStun},
      {4, PacketClass::kUnknown},      {16, PacketClass::kUnknown},  // ZRTP
      {19, PacketClass::kUnknown},     {20, PacketClass::kDtls},
      {22, PacketClass::kDtls},        {63, PacketClass::kDtls},
      {64, PacketClass::kUnknown},     {79, PacketClass::kUnknown},  // TURN channel
      {127, PacketClass::kUnknown},    {128, PacketClass::kRtpOrRtcp},
      {0x90, PacketClass::kRtpOrRtcp}, {191, PacketClass::kRtpOrRtcp},
      {192, PacketClass::kUnknown},    {255, PacketClass::kUnknown},
  };
  for (const Case& c : cases) {
    const std::vector<uint8_t> packet = {c.first, 0, 0, 0};
    EXPECT_EQ(ClassifyPacket(packet), c.expected) << int{c.first};
  }
  EXPECT_EQ(ClassifyPacket({}), PacketClass::kUnknown);
}

TEST(PacketDemuxTest, RtcpIsToldApartBySecondByte) {
  struct Case {
    std::vector<uint8_t> packet;
    bool rtcp;
  };
  const Case cases[] = {
      {{0x80, 200}, true},    // SR
      {{0x81, 201}, true},    // RR
      {{0x8F, 206}, true},    // PSFB (PLI/FIR)
      {{0x80, 192}, true},    // lower bound
      {{0x80, 223}, true},    // upper bound
      {{0x80, 191}, false},   // RTP, marker set, PT 63
      {{0x80, 224}, false},   // RTP, marker set, PT 96
      {{0x80, 96}, false},    // RTP PT 96
      {{0x80, 0xE0}, false},  // RTP PT 96 with marker
      {{0x40, 200}, false},   // wrong version
      {{0x80}, false},        // too short
      {{}, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsRtcp(c.packet), c.rtcp)
        << (c.packet.size() > 1 ? int{c.packet[1]} : -1) << " size " << c.packet.size();
  }
}

}  // namespace
}  // namespace switchyard::transport
