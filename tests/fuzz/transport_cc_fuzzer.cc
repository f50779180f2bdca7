// libFuzzer target: transport-wide CC feedback (RTPFB FMT 15). Every RTCP packet in the input
// goes through TransportCcFeedback::Parse; what parses is walked, written again and rebuilt
// from its received packets, and both must parse back to the same statuses and arrival times.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "rtc/rtcp_packet.h"
#include "rtc/transport_cc_feedback.h"

namespace {

namespace rtc = switchyard::rtc;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Status {
  uint16_t seq;
  bool received;
  int64_t time_us;
};

std::vector<Status> Statuses(const rtc::TransportCcFeedback& feedback) {
  std::vector<Status> out;
  feedback.ForEachPacket([&](uint16_t seq, bool received, int64_t time_us) {
    out.push_back(Status{seq, received, received ? time_us : 0});
  });
  return out;
}

std::optional<rtc::TransportCcFeedback> WriteAndParse(const rtc::TransportCcFeedback& feedback) {
  std::vector<uint8_t> bytes(feedback.size_bytes());
  const size_t size = feedback.Write(bytes);
  Check(size == bytes.size() && size % 4 == 0);
  std::optional<rtc::RtcpPacketView> view = rtc::RtcpPacketView::Parse(bytes);
  Check(view && view->size() == size);
  return rtc::TransportCcFeedback::Parse(*view);
}

// The 24-bit reference time wraps every 2^24 * 64 ms; a rebuilt message may pick a base on
// the other side of the wrap, so arrival times compare modulo that period.
bool SameTime(int64_t a, int64_t b) {
  constexpr int64_t kPeriod = (int64_t{1} << 24) * rtc::TransportCcFeedback::kReferenceTimeTickUs;
  return ((a - b) % kPeriod) == 0;
}

void Visit(const rtc::RtcpPacketView& packet) {
  std::optional<rtc::TransportCcFeedback> feedback = rtc::TransportCcFeedback::Parse(packet);
  if (!feedback) return;
  const std::vector<Status> original = Statuses(*feedback);
  Check(original.size() == feedback->status_count() && !original.empty());
  Check(original.front().seq == feedback->base_sequence());
  Check(feedback->GetPackets().size() == original.size());

  // Written again as is: identical statuses and times.
  std::optional<rtc::TransportCcFeedback> again = WriteAndParse(*feedback);
  Check(again.has_value());
  const std::vector<Status> rewritten = Statuses(*again);
  Check(rewritten.size() == original.size());
  for (size_t i = 0; i < original.size(); ++i) {
    Check(rewritten[i].seq == original[i].seq && rewritten[i].received == original[i].received);
    Check(rewritten[i].time_us == original[i].time_us);
  }

  // Rebuilt from the received packets through the receive-side API: the same statuses up to
  // the last received packet (trailing losses cannot be expressed that way), same times.
  // The builder takes sequence numbers less than 2^15 apart (it orders them by serial number
  // arithmetic); wider gaps are legal on the wire but cannot be rebuilt.
  size_t previous = 0;
  bool first = true;
  for (size_t i = 0; i < original.size(); ++i) {
    if (!original[i].received) continue;
    if (i - (first ? 0 : previous) >= 0x8000) return;
    previous = i;
    first = false;
  }
  rtc::TransportCcFeedback rebuilt(feedback->sender_ssrc(), feedback->media_ssrc(),
                                   feedback->feedback_count(), std::numeric_limits<size_t>::max());
  rebuilt.SetBaseSequence(feedback->base_sequence());
  size_t last_received = 0;
  bool any = false;
  for (size_t i = 0; i < original.size(); ++i) {
    if (!original[i].received) continue;
    Check(rebuilt.AddReceivedPacket(original[i].seq, original[i].time_us));
    last_received = i;
    any = true;
  }
  if (!any) {
    Check(rebuilt.Write(std::span<uint8_t>()) == 0 && rebuilt.packet_count() == 0);
    return;
  }
  std::optional<rtc::TransportCcFeedback> reparsed = WriteAndParse(rebuilt);
  Check(reparsed.has_value());
  const std::vector<Status> result = Statuses(*reparsed);
  Check(result.size() == last_received + 1);
  for (size_t i = 0; i < result.size(); ++i) {
    Check(result[i].seq == original[i].seq && result[i].received == original[i].received);
    if (result[i].received) Check(SameTime(result[i].time_us, original[i].time_us));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  rtc::ForEachRtcpPacket(input, [&](const rtc::RtcpPacketView& packet) { Visit(packet); });
  // Also as a bare FMT 15 body, so the fuzzer need not discover the header first.
  if (size <= 4 * 0xFFFF) {
    std::vector<uint8_t> wrapped(4 + (size + 3) / 4 * 4, 0);
    wrapped[0] = 0x8F;
    wrapped[1] = rtc::kRtcpTransportLayerFeedback;
    const size_t words = (wrapped.size() / 4) - 1;
    wrapped[2] = static_cast<uint8_t>(words >> 8);
    wrapped[3] = static_cast<uint8_t>(words);
    if (size > 0) std::copy(data, data + size, wrapped.begin() + 4);
    if (std::optional<rtc::RtcpPacketView> view = rtc::RtcpPacketView::Parse(wrapped)) {
      Visit(*view);
    }
  }
  return 0;
}
