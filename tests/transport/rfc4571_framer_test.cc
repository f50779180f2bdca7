#include "transport/rfc4571_framer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

using ::testing::ElementsAre;

std::vector<uint8_t> Frame(const std::string& payload) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(AppendRfc4571Frame(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
      1 << 20, out));
  return out;
}

std::vector<uint8_t> Concat(const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Feeds `stream` in reads of `chunk` bytes; returns the frames as strings.
std::vector<std::string> Feed(Rfc4571Reader& reader, const std::vector<uint8_t>& stream,
                              size_t chunk) {
  std::vector<std::string> frames;
  size_t pos = 0;
  while (pos < stream.size()) {
    std::span<uint8_t> space = reader.WritableSpace();
    const size_t n = std::min({chunk, space.size(), stream.size() - pos});
    std::copy_n(stream.begin() + static_cast<ptrdiff_t>(pos), n, space.begin());
    pos += n;
    reader.Commit(n, [&frames](std::span<uint8_t> frame) {
      frames.emplace_back(frame.begin(), frame.end());
    });
  }
  return frames;
}

TEST(Rfc4571FramerTest, AppendWritesBigEndianLength) {
  EXPECT_THAT(Frame("abc"), ElementsAre(0, 3, 'a', 'b', 'c'));
  std::vector<uint8_t> big;
  const std::vector<uint8_t> payload(0x1234, 7);
  ASSERT_TRUE(AppendRfc4571Frame(payload, 1 << 20, big));
  EXPECT_EQ(big[0], 0x12);
  EXPECT_EQ(big[1], 0x34);
}

TEST(Rfc4571FramerTest, AppendRefusesPastTheCapAndOverLongFrames) {
  std::vector<uint8_t> out;
  const std::vector<uint8_t> ten(10, 1);
  ASSERT_TRUE(AppendRfc4571Frame(ten, 24, out));  // 12 bytes
  ASSERT_TRUE(AppendRfc4571Frame(ten, 24, out));  // 24 bytes
  EXPECT_FALSE(AppendRfc4571Frame(ten, 24, out));
  EXPECT_EQ(out.size(), 24u);
  const std::vector<uint8_t> too_long(0x10000, 0);
  EXPECT_FALSE(AppendRfc4571Frame(too_long, 1 << 20, out));
  EXPECT_EQ(out.size(), 24u);
}

TEST(Rfc4571FramerTest, FramesSurviveEverySplitOfTheStream) {
  const std::vector<uint8_t> stream =
      Concat({Frame("first"), Frame(std::string(1500, 'x')), Frame("z"), Frame("last one")});
  for (size_t chunk : {1u, 2u, 3u, 7u, 100u, 1501u, 4096u}) {
    Rfc4571Reader reader(2048);
    const auto frames = Feed(reader, stream, chunk);
    ASSERT_EQ(frames.size(), 4u) << "chunk " << chunk;
    EXPECT_EQ(frames[0], "first");
    EXPECT_EQ(frames[1], std::string(1500, 'x'));
    EXPECT_EQ(frames[2], "z");
    EXPECT_EQ(frames[3], "last one");
    EXPECT_EQ(reader.buffered(), 0u);
    EXPECT_EQ(reader.frames(), 4u);
  }
}

TEST(Rfc4571FramerTest, OversizedFramesAreSkippedWithoutLosingStep) {
  // A 5000-byte frame with a 2048 limit, between two good frames, read in several sizes.
  const std::vector<uint8_t> stream =
      Concat({Frame("before"), Frame(std::string(5000, 'o')), Frame("after")});
  for (size_t chunk : {1u, 333u, 4096u, 20000u}) {
    Rfc4571Reader reader(2048);
    const auto frames = Feed(reader, stream, chunk);
    EXPECT_THAT(frames, ElementsAre("before", "after")) << "chunk " << chunk;
    EXPECT_EQ(reader.oversized_frames(), 1u);
  }
}

TEST(Rfc4571FramerTest, EmptyFramesAreIgnoredAndPartialFramesWait) {
  Rfc4571Reader reader(2048);
  std::vector<uint8_t> stream = Concat({{0, 0}, Frame("ab")});
  stream.push_back(0);  // the first byte of the next header
  const auto frames = Feed(reader, stream, 64);
  EXPECT_THAT(frames, ElementsAre("ab"));
  EXPECT_EQ(reader.buffered(), 1u);
}

}  // namespace
}  // namespace switchyard::transport
