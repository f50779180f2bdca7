#include "bench/load/media_session.h"

#include <array>
#include <atomic>
#include <chrono>

namespace switchyard::bench {
namespace {

// libwebrtc sends a receiver report about once a second for video.
constexpr transport::Duration kReceiverReportInterval = std::chrono::seconds(1);

uint32_t NextReceiverSsrc() {
  static std::atomic<uint32_t> next{0x5eed0001};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

MediaSession::MediaSession(ClientEnvironment& env) : env_(env), receiver_ssrc_(NextReceiverSsrc()) {}

bool MediaSession::TickMedia(transport::Timestamp now) {
  if (finished()) return false;
  if (publisher_) publisher_->OnTimer(now);
  if (subscriber_) subscriber_->OnTimer(now);
  if (finished()) return false;
  if (publisher_connected_) media_->Send(*publisher_, now);
  if (subscriber_ && first_media_ &&
      (!last_receiver_report_ || now - *last_receiver_report_ >= kReceiverReportInterval)) {
    last_receiver_report_ = now;
    std::array<uint8_t, 8 + 31 * 24> report;
    const size_t length = tracks_.WriteReceiverReport(report, receiver_ssrc_);
    if (length > 0) subscriber_->SendRtcp(std::span<const uint8_t>(report.data(), length));
  }
  return true;
}

void MediaSession::ReleasePeerConnections() {
  if (publisher_) publisher_->Close();
  if (subscriber_) subscriber_->Close();
}

void MediaSession::OnPeerConnected(PeerConnection& pc) {
  if (&pc != publisher_.get() || publisher_connected_) return;
  publisher_connected_ = true;
  const transport::Timestamp now = env_.clock.Now();
  if (join_sent_at_) {
    env_.stats.new_publish_us.push_back(static_cast<uint64_t>((now - *join_sent_at_).count()));
  }
  media_->Start(now);
}

void MediaSession::OnPeerFailed(PeerConnection& pc, const std::string& why) {
  Fail((&pc == publisher_.get() ? "publisher: " : "subscriber: ") + why);
}

void MediaSession::OnPeerRtp(PeerConnection& pc, std::span<uint8_t> packet, bool decrypted,
                             transport::Timestamp arrival) {
  if (&pc != subscriber_.get()) return;
  if (tracks_.OnRtp(packet, decrypted, arrival, env_.stats) && !first_media_) {
    first_media_ = true;
    if (join_sent_at_) {
      env_.stats.new_join_us.push_back(static_cast<uint64_t>((arrival - *join_sent_at_).count()));
    }
  }
}

void MediaSession::OnPeerRtcp(PeerConnection& pc, std::span<const uint8_t> compound) {
  if (&pc == publisher_.get() && media_) media_->OnRtcp(compound, env_.stats.counters);
}

bool MediaSession::RecordFailure(const std::string& why) {
  if (finished()) return false;
  failed_ = true;
  failure_ = why;
  if (was_connected_) {
    ++env_.stats.disconnects;
  } else {
    ++env_.stats.connect_failures;
  }
  ++env_.stats.failure_reasons[why];
  return true;
}

}  // namespace switchyard::bench
