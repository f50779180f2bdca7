// libFuzzer target: RTP parsing, extension walking, the forwarding rewrite and VP8 / keyframe
// payload parsers. The rewrite's output must always reparse with the new header fields.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "rtc/keyframe_detector.h"
#include "rtc/rtp_header_extensions.h"
#include "rtc/rtp_packet.h"
#include "rtc/rtp_rewriter.h"
#include "rtc/rtx.h"
#include "rtc/vp8_payload_descriptor.h"

namespace {

using switchyard::rtc::ExtensionRemap;
using switchyard::rtc::RtpExtensionElement;
using switchyard::rtc::RtpPacketView;
using switchyard::rtc::RtpRewriteParams;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  auto packet = RtpPacketView::Parse(input);
  if (!packet) return 0;
  Check(packet->header_size() + packet->padding_size() + packet->payload().size() == size);

  size_t elements = 0;
  packet->ForEachExtension([&](const RtpExtensionElement& e) {
    ++elements;
    Check(e.id != 0);
    Check(e.data.data() >= data && e.data.data() + e.data.size() <= data + size);
    Check(packet->FindExtensionElement(e.id).has_value());
  });
  switchyard::rtc::ParseSdesExtension(packet->FindExtension(1));
  switchyard::rtc::ParseAudioLevel(packet->FindExtension(2));
  switchyard::rtc::ParseAbsSendTime(packet->FindExtension(3));
  switchyard::rtc::ParseTransportSequenceNumber(packet->FindExtension(4));

  // Derive remaps and params from the packet itself so the fuzzer steers them.
  std::array<ExtensionRemap, 10> remaps{};
  for (size_t i = 0; i < remaps.size(); ++i) {
    remaps[i].in_id = static_cast<uint8_t>(i + 1);
    remaps[i].out_id = static_cast<uint8_t>((packet->ssrc() >> (i * 3)) * 37 + i);
  }
  RtpRewriteParams params;
  params.ssrc = ~packet->ssrc();
  params.sequence_number = static_cast<uint16_t>(packet->sequence_number() + 1);
  params.timestamp = packet->timestamp() ^ 0x5A5A5A5A;
  params.payload_type = static_cast<uint8_t>(packet->payload_type() + 3);
  params.transport_sequence_id = static_cast<uint8_t>(packet->timestamp() & 0xFF);
  params.transport_sequence_number = 77;
  params.abs_send_time_id = static_cast<uint8_t>((packet->timestamp() >> 8) & 0xFF);
  params.abs_send_time = 0x123456;

  static std::array<uint8_t, 70000> out;
  const size_t written = switchyard::rtc::WriteRewrittenRtp(*packet, params, remaps, out);
  if (written > 0) {
    auto rewritten = RtpPacketView::Parse(std::span<const uint8_t>(out).first(written));
    Check(rewritten.has_value());
    Check(rewritten->ssrc() == params.ssrc);
    Check(rewritten->sequence_number() == params.sequence_number);
    Check(rewritten->timestamp() == params.timestamp);
    Check(rewritten->payload_type() == (params.payload_type & 0x7F));
    Check(rewritten->marker() == packet->marker());
    Check(rewritten->csrc_count() == packet->csrc_count());
    Check(rewritten->padding_size() == 0);
    Check(rewritten->payload().size() == packet->payload().size());
    Check(packet->payload().empty() ||
          std::memcmp(rewritten->payload().data(), packet->payload().data(),
                      packet->payload().size()) == 0);
    if (params.transport_sequence_id != 0) {
      auto seq = rewritten->FindExtension(params.transport_sequence_id);
      Check(seq.size() == 2 && seq[0] == 0 && seq[1] == 77);
    }
    // A smaller buffer must be refused, never overrun.
    Check(switchyard::rtc::WriteRewrittenRtp(*packet, params, remaps,
                                             std::span<uint8_t>(out).first(written - 1)) == 0);
  } else {
    Check(false);  // 70000 bytes always suffice for a <= 65535-byte extension block
  }

  const std::span<const uint8_t> payload = packet->payload();
  if (auto vp8 = switchyard::rtc::Vp8PayloadDescriptor::Parse(payload)) {
    Check(vp8->size < payload.size());
    static std::array<uint8_t, 70000> copy;
    std::memcpy(copy.data(), payload.data(), payload.size());
    const std::span<uint8_t> mutable_payload(copy.data(), payload.size());
    switchyard::rtc::RewriteVp8PictureId(mutable_payload, *vp8, 0x1234);
    switchyard::rtc::RewriteVp8Tl0PicIdx(mutable_payload, *vp8, 9);
    auto again = switchyard::rtc::Vp8PayloadDescriptor::Parse(mutable_payload);
    Check(again.has_value() && again->size == vp8->size);
  }
  for (auto codec : {switchyard::rtc::VideoCodec::kVp8, switchyard::rtc::VideoCodec::kVp9,
                     switchyard::rtc::VideoCodec::kH264, switchyard::rtc::VideoCodec::kAv1}) {
    switchyard::rtc::IsKeyframe(codec, payload);
  }
  (void)switchyard::rtc::ParseVp8KeyframeSize(payload);
  // Any packet may arrive on an RTX SSRC (RFC 4588): unwrapping must stay in bounds and, when
  // it succeeds, produce a packet that parses.
  static std::array<uint8_t, 70000> restored;
  const size_t restored_size =
      switchyard::rtc::UnwrapRtx(*packet, 0x11223344, 96, std::span<uint8_t>(restored));
  if (restored_size > 0) {
    Check(switchyard::rtc::RtpPacketView::Parse(
              std::span<const uint8_t>(restored.data(), restored_size))
              .has_value());
  }
  return 0;
}
