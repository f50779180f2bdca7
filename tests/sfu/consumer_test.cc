#include "sfu/consumer.h"

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "rtc/rtp_packet.h"
#include "sfu/drop_reason.h"
#include "sfu/producer.h"
#include "tests/sfu/test_peer.h"
#include "transport/byte_io.h"
#include "transport/clock.h"

namespace switchyard::sfu {
namespace {

using testing::kVp8PayloadType;
using testing::MakeVp8Payload;

constexpr uint32_t kSsrc = 0x1234;

class NullOwner final : public Producer::Owner {
 public:
  void SendKeyframeRequest(int, std::optional<uint32_t>, bool) override {}
};

class RecordingSink final : public ConsumerSink {
 public:
  bool sink_connected() const override { return true; }
  uint16_t NextTransportSequenceNumber() override { return ++transport_sequence_; }
  bool SendRtpPacket(uint8_t* packet, size_t length, size_t, uint16_t) override {
    last_sequence = transport::LoadBe16(packet + 2);
    last_ssrc = transport::LoadBe32(packet + 8);
    last_length = length;
    ++sent;
    return true;
  }
  void OnLayersChanged() override {}

  uint16_t transport_sequence_ = 0;
  uint16_t last_sequence = 0;
  uint32_t last_ssrc = 0;
  size_t last_length = 0;
  int sent = 0;
};

ProducerParams Vp8Params() {
  ProducerParams params;
  params.track_id = std::string("camera");  // (GCC 12 -O3 warns, falsely, on = "literal".)
  params.kind = rtc::MediaKind::kVideo;
  params.mid = std::string("video");
  EncodingParams encoding;
  encoding.ssrc = kSsrc;
  params.encodings.push_back(encoding);
  rtc::Codec vp8;
  vp8.payload_type = kVp8PayloadType;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  vp8.rtcp_fbs = {"nack", "nack pli"};
  params.codecs = {vp8};
  return params;
}

// One producer, one consumer, and a publisher sending one-packet frames at a given rate.
class ConsumerTest : public ::testing::Test {
 protected:
  ConsumerTest() : producer_(clock_, owner_, Vp8Params()) {
    ConsumerOptions options;
    options.ssrc = 0xC0;
    options.mid = "0";
    consumer_ = std::make_unique<Consumer>(producer_, sink_, drops_, clock_, options);
    consumer_->SetTarget(LayerTarget{0, kMaxTemporalLayers - 1, 0});
  }

  // `count` packets at `rate` per second (media time and the clock advance together).
  void Publish(int count, int rate) {
    for (int i = 0; i < count; ++i) {
      std::vector<uint8_t> packet(12);
      packet[0] = 0x80;
      packet[1] = 0x80 | kVp8PayloadType;  // marker: one packet per frame
      transport::StoreBe16(packet.data() + 2, sequence_++);
      transport::StoreBe32(packet.data() + 4, timestamp_);
      transport::StoreBe32(packet.data() + 8, kSsrc);
      const std::vector<uint8_t> payload = MakeVp8Payload(sequence_ == 1, picture_id_++);
      packet.insert(packet.end(), payload.begin(), payload.end());
      const auto view = rtc::RtpPacketView::Parse(packet);
      ASSERT_TRUE(view.has_value());
      producer_.OnRtp(0, *view, /*retransmission=*/false, scratch_);
      timestamp_ += 90000 / rate;
      clock_.Advance(std::chrono::microseconds(1'000'000 / rate));
    }
  }

  transport::FakeClock clock_;
  NullOwner owner_;
  DropCounters drops_;
  Producer producer_;
  RecordingSink sink_;
  std::unique_ptr<Consumer> consumer_;
  std::array<uint8_t, 1600> scratch_{};
  uint16_t sequence_ = 0;
  uint32_t timestamp_ = 0;
  uint16_t picture_id_ = 0;
};

TEST_F(ConsumerTest, SentHistoryStaysSmallForSlowStreams) {
  Publish(400, 50);  // 8 s at 50 pkt/s: 128 entries are 2.5 s
  EXPECT_EQ(sink_.sent, 400);
  EXPECT_EQ(consumer_->sent_history_capacity(), 128u);
}

TEST_F(ConsumerTest, SentHistoryGrowsToHoldASecondAndStillAnswersNacks) {
  Publish(600, 200);  // 3 s at 200 pkt/s: one second needs 200 entries
  EXPECT_EQ(sink_.sent, 600);
  EXPECT_EQ(consumer_->sent_history_capacity(), 256u);
  const uint16_t newest = sink_.last_sequence;
  // A packet ~1 s old (what a NACK can still usefully ask for) is in the history.
  const uint16_t second_ago = static_cast<uint16_t>(newest - 199);
  ASSERT_TRUE(consumer_->Retransmit(second_ago, scratch_));
  EXPECT_EQ(sink_.last_sequence, second_ago);
  EXPECT_EQ(consumer_->retransmissions_sent(), 1u);
  // Older than the history: not answered.
  EXPECT_FALSE(consumer_->Retransmit(static_cast<uint16_t>(newest - 300), scratch_));

  Publish(2000, 600);  // Faster than the cap: 512 entries at most.
  EXPECT_EQ(consumer_->sent_history_capacity(), 512u);
  EXPECT_TRUE(consumer_->Retransmit(static_cast<uint16_t>(sink_.last_sequence - 400), scratch_));
}

TEST_F(ConsumerTest, GrowingKeepsEveryEntry) {
  Publish(120, 200);  // Fills 120 of 128 slots.
  const uint16_t first = static_cast<uint16_t>(sink_.last_sequence - 119);
  Publish(20, 200);  // Overwrites slots < 1 s old: grows to 256.
  ASSERT_EQ(consumer_->sent_history_capacity(), 256u);
  for (int back = 0; back < 140; ++back) {
    const uint16_t seq = static_cast<uint16_t>(first + back);
    EXPECT_TRUE(consumer_->Retransmit(seq, scratch_)) << back;
    EXPECT_EQ(sink_.last_sequence, seq);
  }
}

TEST(ConsumerAudioTest, AudioKeepsNoSentHistory) {
  transport::FakeClock clock;
  NullOwner owner;
  DropCounters drops;
  ProducerParams params;
  params.track_id = std::string("mic");
  params.kind = rtc::MediaKind::kAudio;
  EncodingParams encoding;
  encoding.ssrc = kSsrc;
  params.encodings.push_back(encoding);
  rtc::Codec opus;
  opus.payload_type = 111;
  opus.name = std::string("opus");
  opus.clock_rate = 48000;
  opus.channels = 2;
  params.codecs = {opus};
  Producer producer(clock, owner, params);
  RecordingSink sink;
  ConsumerOptions options;
  options.ssrc = 0xA0;
  Consumer consumer(producer, sink, drops, clock, options);
  std::array<uint8_t, 1600> scratch{};
  for (uint16_t seq = 0; seq < 10; ++seq) {
    std::vector<uint8_t> packet(12);
    packet[0] = 0x80;
    packet[1] = 111;
    transport::StoreBe16(packet.data() + 2, seq);
    transport::StoreBe32(packet.data() + 4, seq * 960u);
    transport::StoreBe32(packet.data() + 8, kSsrc);
    const std::vector<uint8_t> payload = testing::MakeOpusPayload(static_cast<uint8_t>(seq));
    packet.insert(packet.end(), payload.begin(), payload.end());
    producer.OnRtp(0, *rtc::RtpPacketView::Parse(packet), false, scratch);
    clock.Advance(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(sink.sent, 10);
  EXPECT_EQ(consumer.sent_history_capacity(), 0u);
  EXPECT_FALSE(consumer.Retransmit(sink.last_sequence, scratch));  // Nothing to NACK with.
  EXPECT_TRUE(consumer.has_sent());
}

}  // namespace
}  // namespace switchyard::sfu
