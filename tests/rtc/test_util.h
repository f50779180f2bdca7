#ifndef SWITCHYARD_TESTS_RTC_TEST_UTIL_H_
#define SWITCHYARD_TESTS_RTC_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "rtc/session_description.h"

namespace switchyard::rtc::testing {

// {0x80, 0x60, ...} as bytes: keeps hand-written packets readable in tests.
std::vector<uint8_t> Bytes(std::initializer_list<int> values);
// A copy of a view's bytes, for EXPECT_EQ/ElementsAre on spans.
std::vector<uint8_t> Data(std::span<const uint8_t> span);
// Contents of tests/fixtures/sdp/<name>; empty (and a test failure) when missing.
std::string ReadSdpFixture(const std::string& name);
// ParseSdp of a fixture; a test failure (and an empty description) when it does not parse.
SessionDescription ParseSdpFixture(const std::string& name);

}  // namespace switchyard::rtc::testing

#endif  // SWITCHYARD_TESTS_RTC_TEST_UTIL_H_
