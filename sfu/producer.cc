#include "sfu/producer.h"

#include <algorithm>

#include "sfu/consumer.h"

namespace switchyard::sfu {

namespace {

bool HasFeedback(const std::vector<rtc::Codec>& codecs, std::string_view fb) {
  for (const auto& codec : codecs) {
    for (const auto& f : codec.rtcp_fbs) {
      if (f == fb) return true;
    }
  }
  return false;
}

}  // namespace

Producer::Producer(const transport::Clock& clock, Owner& owner, ProducerParams params)
    : clock_(clock), owner_(owner), params_(std::move(params)) {
  use_fir_ = !HasFeedback(params_.codecs, "nack pli") && HasFeedback(params_.codecs, "ccm fir");
}

std::optional<rtc::VideoCodec> Producer::CodecForPayloadType(uint8_t payload_type) const {
  for (const auto& codec : params_.codecs) {
    if (codec.payload_type == payload_type) return rtc::VideoCodecFromName(codec.name);
  }
  return std::nullopt;
}

void Producer::OnRtp(const rtc::RtpPacketView& packet, std::span<uint8_t> scratch) {
  ++packets_received_;
  bool keyframe = false;
  if (params_.kind == rtc::MediaKind::kVideo) {
    if (auto codec = CodecForPayloadType(packet.payload_type())) {
      keyframe = rtc::IsKeyframe(*codec, packet.payload());
    }
    if (keyframe) {
      ++keyframes_received_;
      keyframe_requester_.OnKeyframe();
    }
  }
  for (Consumer* consumer : consumers_) consumer->Forward(packet, keyframe, scratch);
}

void Producer::AddConsumer(Consumer* consumer) {
  consumers_.push_back(consumer);
  // A new subscriber can only start decoding at a keyframe (RFC 4585 §6.3.1 PLI).
  if (params_.kind == rtc::MediaKind::kVideo) RequestKeyframe();
}

void Producer::RemoveConsumer(Consumer* consumer) {
  consumers_.erase(std::remove(consumers_.begin(), consumers_.end(), consumer), consumers_.end());
}

void Producer::RequestKeyframe() {
  if (params_.kind != rtc::MediaKind::kVideo || !params_.ssrc) return;
  if (keyframe_requester_.Request(clock_.Now())) owner_.SendKeyframeRequest(*params_.ssrc, use_fir_);
}

void Producer::OnTimer() {
  if (!params_.ssrc) return;
  if (keyframe_requester_.RetryDue(clock_.Now())) {
    owner_.SendKeyframeRequest(*params_.ssrc, use_fir_);
  }
}

}  // namespace switchyard::sfu
