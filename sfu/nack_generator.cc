#include "sfu/nack_generator.h"

#include <algorithm>

namespace switchyard::sfu {

NackGenerator::NackGenerator(const Config& config)
    : config_(config), ring_(std::max<size_t>(config.max_list_size, 1)) {}

int64_t NackGenerator::Unwrap(uint16_t sequence_number) const {
  const auto delta = static_cast<int16_t>(
      static_cast<uint16_t>(sequence_number - static_cast<uint16_t>(highest_)));
  return highest_ + delta;
}

bool NackGenerator::OnPacket(uint16_t sequence_number, bool keyframe, transport::Timestamp now) {
  if (highest_ < 0) {
    // Start one cycle up so that unwrapped numbers of slightly older packets stay positive.
    highest_ = int64_t{sequence_number} + (int64_t{1} << 16);
    if (keyframe) last_keyframe_ = highest_;
    return false;
  }
  const int64_t sequence = Unwrap(sequence_number);
  if (sequence == highest_) return false;  // duplicate

  if (sequence < highest_) {
    if (highest_ - sequence > config_.max_packet_age) {
      // Too old to be a useful late arrival. Two in a row mean the publisher restarted its
      // numbering (or jumped forward by more than half the sequence space): follow it.
      if (bad_sequence_ && *bad_sequence_ == sequence_number) {
        ClearList();
        bad_sequence_.reset();
        highest_ = sequence;
        last_keyframe_ = keyframe ? sequence : -1;
      } else {
        bad_sequence_ = static_cast<uint16_t>(sequence_number + 1);
      }
      return false;
    }
    if (keyframe) last_keyframe_ = std::max(last_keyframe_, sequence);
    if (!Remove(sequence)) return false;
    ++recovered_;
    return true;
  }

  bad_sequence_.reset();
  if (keyframe) last_keyframe_ = sequence;
  if (sequence > highest_ + 1) AddMissing(highest_ + 1, sequence, keyframe, now);
  highest_ = sequence;
  DropBefore(highest_ - config_.max_packet_age);
  return false;
}

bool NackGenerator::AddMissing(int64_t from, int64_t to, bool keyframe, transport::Timestamp now) {
  const auto missing = static_cast<size_t>(to - from);
  if (to - from > config_.max_packet_age) {
    // Even the newest missing packet would be given up at once: only a keyframe helps.
    ClearList();
    if (!keyframe) keyframe_needed_ = true;
    return false;
  }
  if (count_ + missing > ring_.size()) {
    Compact();
    // Losses before the latest keyframe no longer matter for decoding what comes next
    // (libwebrtc's NackRequester does the same when its list is full).
    if (count_ + missing > ring_.size() && last_keyframe_ >= 0) DropBefore(last_keyframe_);
    if (count_ + missing > ring_.size()) {
      ClearList();
      if (!keyframe) keyframe_needed_ = true;
      return false;
    }
  }
  for (int64_t sequence = from; sequence < to; ++sequence) {
    Entry& entry = At(count_++);
    entry = Entry{};
    entry.sequence = sequence;
    entry.created = now;
    entry.live = true;
    ++live_;
  }
  return true;
}

bool NackGenerator::Remove(int64_t sequence) {
  // Entries are in ascending sequence order (dead ones keep their number), so binary search.
  size_t lo = 0;
  size_t hi = count_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (At(mid).sequence < sequence) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == count_) return false;
  Entry& entry = At(lo);
  if (entry.sequence != sequence || !entry.live) return false;
  Kill(entry);
  PopDeadFront();
  return true;
}

void NackGenerator::Kill(Entry& entry) {
  entry.live = false;
  --live_;
}

void NackGenerator::PopDeadFront() {
  while (count_ > 0 && !At(0).live) {
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  if (count_ == 0) head_ = 0;
}

void NackGenerator::DropBefore(int64_t sequence) {
  while (count_ > 0 && At(0).sequence < sequence) {
    if (At(0).live) {
      Kill(At(0));
      ++given_up_;
    }
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  PopDeadFront();
}

void NackGenerator::Compact() {
  size_t kept = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (At(i).live) At(kept++) = At(i);
  }
  count_ = kept;
}

void NackGenerator::ClearList() {
  given_up_ += live_;
  head_ = 0;
  count_ = 0;
  live_ = 0;
}

transport::Timestamp NackGenerator::DueTime(const Entry& entry,
                                            transport::Duration retry_interval) const {
  return entry.retries == 0 ? entry.created + config_.reordering_delay
                            : entry.sent + retry_interval;
}

size_t NackGenerator::GetNacks(transport::Timestamp now, transport::Duration rtt,
                               std::span<uint16_t> out) {
  const transport::Duration retry_interval = std::max(rtt, config_.min_retry_interval);
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i) {
    Entry& entry = At(i);
    if (!entry.live) continue;
    if (highest_ - entry.sequence > config_.max_packet_age ||
        now - entry.created > config_.max_age) {
      Kill(entry);
      ++given_up_;
      continue;
    }
    if (now < DueTime(entry, retry_interval)) continue;
    // The last request had its full retry interval to be answered: give up now rather than
    // right after sending it, so a late answer still counts as recovered.
    if (entry.retries >= config_.max_retries) {
      Kill(entry);
      ++given_up_;
      continue;
    }
    if (n == out.size()) break;
    out[n++] = static_cast<uint16_t>(entry.sequence);
    entry.sent = now;
    ++entry.retries;
  }
  PopDeadFront();
  nacks_sent_ += n;
  return n;
}

std::optional<transport::Timestamp> NackGenerator::NextNackTime(transport::Duration rtt) const {
  const transport::Duration retry_interval = std::max(rtt, config_.min_retry_interval);
  std::optional<transport::Timestamp> next;
  for (size_t i = 0; i < count_; ++i) {
    const Entry& entry = At(i);
    if (!entry.live) continue;
    const transport::Timestamp due = DueTime(entry, retry_interval);
    if (!next || due < *next) next = due;
  }
  return next;
}

bool NackGenerator::TakeKeyframeNeeded() {
  const bool needed = keyframe_needed_;
  keyframe_needed_ = false;
  return needed;
}

void NackGenerator::Reset() {
  ClearList();
  highest_ = -1;
  last_keyframe_ = -1;
  bad_sequence_.reset();
  keyframe_needed_ = false;
}

}  // namespace switchyard::sfu
