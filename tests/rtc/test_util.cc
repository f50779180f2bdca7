#include "tests/rtc/test_util.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "rtc/sdp_parser.h"

namespace switchyard::rtc::testing {

std::vector<uint8_t> Bytes(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

std::vector<uint8_t> Data(std::span<const uint8_t> span) {
  return std::vector<uint8_t>(span.begin(), span.end());
}

std::string ReadSdpFixture(const std::string& name) {
  std::ifstream in(std::string(SWITCHYARD_FIXTURES_DIR) + "/sdp/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  EXPECT_FALSE(buffer.str().empty()) << "missing fixture " << name;
  return buffer.str();
}

SessionDescription ParseSdpFixture(const std::string& name) {
  absl::StatusOr<SessionDescription> parsed = ParseSdp(ReadSdpFixture(name));
  EXPECT_TRUE(parsed.ok()) << name << ": " << parsed.status();
  return parsed.ok() ? *parsed : SessionDescription();
}

}  // namespace switchyard::rtc::testing
