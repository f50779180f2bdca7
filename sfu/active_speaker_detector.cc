#include "sfu/active_speaker_detector.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace switchyard::sfu {
namespace {

constexpr uint8_t kSilentLevel = 127;  // RFC 6464 §3: -127 dBov = digital silence
// A packet's level is taken to hold for at most this long before it (Opus frames are 10-60 ms);
// a longer gap since the previous packet counts as silence.
constexpr transport::Duration kMaxSampleSpan = std::chrono::milliseconds(100);
// Span assumed for a participant's first packet.
constexpr transport::Duration kFirstSampleSpan = std::chrono::milliseconds(20);

double Seconds(transport::Duration d) { return std::chrono::duration<double>(d).count(); }

// Continuous-time exponential average of a signal that was 0 for `silent` and then `value` for
// `span`, starting from `average`.
double Blend(double average, double value, transport::Duration silent, transport::Duration span,
             transport::Duration window) {
  const double tau = Seconds(window);
  if (tau <= 0) return value;
  average *= std::exp(-Seconds(silent) / tau);
  return value + (average - value) * std::exp(-Seconds(span) / tau);
}

double Decayed(double average, transport::Duration elapsed, transport::Duration window) {
  const double tau = Seconds(window);
  if (tau <= 0 || elapsed <= transport::Duration(0)) return average;
  return average * std::exp(-Seconds(elapsed) / tau);
}

}  // namespace

ActiveSpeakerDetector::ActiveSpeakerDetector(const Config& config) : config_(config) {}

ActiveSpeakerDetector::Participant* ActiveSpeakerDetector::Find(uint64_t key) {
  for (Participant& p : participants_) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

void ActiveSpeakerDetector::OnAudioLevel(uint64_t participant_key, uint8_t level, bool voice,
                                         transport::Timestamp now) {
  Participant* p = Find(participant_key);
  if (p == nullptr) {
    participants_.push_back(Participant{});
    p = &participants_.back();
    p->key = participant_key;
    p->last_sample = now - kFirstSampleSpan;
  }
  level &= 0x7F;
  const bool speech =
      level < kSilentLevel && level <= config_.speech_level_threshold &&
      (voice || !config_.use_voice_flag);
  const double loudness = speech ? static_cast<double>(kSilentLevel - level) : 0.0;

  // Packets arriving out of order (timestamps going back) contribute nothing.
  const transport::Duration elapsed = std::max(now - p->last_sample, transport::Duration(0));
  const transport::Duration span = std::min(elapsed, kMaxSampleSpan);
  const transport::Duration silent = elapsed - span;
  p->short_average = Blend(p->short_average, loudness, silent, span, config_.short_window);
  p->medium_average = Blend(p->medium_average, loudness, silent, span, config_.medium_window);
  p->last_sample = std::max(p->last_sample, now);
  if (speech) p->last_speech = now;
}

double ActiveSpeakerDetector::ShortScore(const Participant& p, transport::Timestamp now) const {
  return Decayed(p.short_average, now - p.last_sample, config_.short_window);
}

double ActiveSpeakerDetector::MediumScore(const Participant& p, transport::Timestamp now) const {
  return Decayed(p.medium_average, now - p.last_sample, config_.medium_window);
}

bool ActiveSpeakerDetector::Speaking(const Participant& p, transport::Timestamp now) const {
  return p.last_speech && now - *p.last_speech <= config_.speaking_hold;
}

std::optional<uint64_t> ActiveSpeakerDetector::Update(transport::Timestamp now) {
  if (dominant_) {
    const Participant* d = Find(*dominant_);
    if (d == nullptr || !d->last_speech || now - *d->last_speech >= config_.silence_timeout) {
      dominant_.reset();
    }
  }

  const Participant* best = nullptr;
  double best_score = 0;
  for (const Participant& p : participants_) {
    if (!Speaking(p, now)) continue;
    const double score = ShortScore(p, now);
    if (score >= config_.min_score && score > best_score) {
      best = &p;
      best_score = score;
    }
  }
  if (best == nullptr || (dominant_ && best->key == *dominant_)) {
    challenger_.reset();
    return std::nullopt;
  }
  // `best` beats every other speaking participant; against a dominant that has paused (not
  // speaking right now) the comparison still uses its decaying score, so a short pause in the
  // dominant's speech does not hand over at once.
  if (dominant_) {
    const Participant* d = Find(*dominant_);
    if (d != nullptr && ShortScore(*d, now) >= best_score) {
      challenger_.reset();
      return std::nullopt;
    }
  }
  if (!challenger_ || *challenger_ != best->key) {
    challenger_ = best->key;
    challenger_since_ = now;
    return std::nullopt;
  }
  if (now - challenger_since_ < config_.switch_delay) return std::nullopt;
  if (last_switch_ && now - *last_switch_ < config_.min_switch_interval) return std::nullopt;

  dominant_ = best->key;
  last_switch_ = now;
  challenger_.reset();
  if (last_reported_ && *last_reported_ == *dominant_) return std::nullopt;  // clients have it
  last_reported_ = dominant_;
  return dominant_;
}

std::vector<uint64_t> ActiveSpeakerDetector::ActiveSpeakers(transport::Timestamp now,
                                                            size_t max) const {
  std::vector<std::pair<double, uint64_t>> ranked;
  for (const Participant& p : participants_) {
    if (!p.last_speech || now - *p.last_speech >= config_.silence_timeout) continue;
    ranked.emplace_back(MediumScore(p, now), p.key);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<uint64_t> keys;
  keys.reserve(std::min(max, ranked.size()));
  for (size_t i = 0; i < ranked.size() && i < max; ++i) keys.push_back(ranked[i].second);
  return keys;
}

void ActiveSpeakerDetector::Remove(uint64_t participant_key) {
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i].key != participant_key) continue;
    participants_[i] = participants_.back();
    participants_.pop_back();
    break;
  }
  if (dominant_ == participant_key) dominant_.reset();
  if (challenger_ == participant_key) challenger_.reset();
  if (last_reported_ == participant_key) last_reported_.reset();
}

}  // namespace switchyard::sfu
