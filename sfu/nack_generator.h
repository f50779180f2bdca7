#ifndef SWITCHYARD_SFU_NACK_GENERATOR_H_
#define SWITCHYARD_SFU_NACK_GENERATOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "transport/clock.h"

namespace switchyard::sfu {

// Receive side of one publisher stream: detects sequence number gaps and decides which missing
// packets to request with Generic NACK (RFC 4585 §6.2.1) and when, like libwebrtc's
// NackRequester / mediasoup's NackGenerator.
//
// - A new gap is NACKed once it is `reordering_delay` old (packets a few ms out of order are
//   not losses), then again every max(rtt, min_retry_interval) while still missing.
// - A packet is given up after `max_retries` requests, when it is older than `max_age`, or when
//   it falls more than `max_packet_age` packets behind the newest (the publisher's retransmission
//   buffer will not have it any more, and the receiver has moved on).
// - When a gap cannot be repaired by NACK (a jump of more than `max_packet_age`, or more missing
//   packets than `max_list_size` even after dropping those older than the last keyframe), the
//   list is cleared and TakeKeyframeNeeded() turns true: the caller sends a PLI instead. A jump
//   onto a keyframe packet needs no keyframe request.
//
// Pure logic on injected time. The list is a fixed ring allocated at construction, ordered by
// sequence number; OnPacket and GetNacks never allocate.
class NackGenerator {
 public:
  struct Config {
    transport::Duration reordering_delay = std::chrono::milliseconds(5);
    transport::Duration min_retry_interval = std::chrono::milliseconds(20);
    int max_retries = 10;
    transport::Duration max_age = std::chrono::seconds(1);
    int64_t max_packet_age = 1000;  // packets behind the newest
    size_t max_list_size = 1000;
  };

  NackGenerator() : NackGenerator(Config{}) {}
  explicit NackGenerator(const Config& config);

  // Records a received packet (original sequence number, also for unwrapped RTX). `keyframe`
  // marks packets of a keyframe, which bound how far back losses still matter. Returns whether
  // the packet was a retransmission/late arrival filling a gap on the NACK list.
  bool OnPacket(uint16_t sequence_number, bool keyframe, transport::Timestamp now);
  // Sequence numbers to NACK now, oldest first, written to `out` (the caller's fixed array);
  // returns the count. Entries that did not fit are returned by the next call. Also expires
  // entries that are given up.
  size_t GetNacks(transport::Timestamp now, transport::Duration rtt, std::span<uint16_t> out);
  // When GetNacks will next have something to send (for timer scheduling); nullopt when the
  // list is empty.
  std::optional<transport::Timestamp> NextNackTime(transport::Duration rtt) const;
  // True (once) when too many packets are missing to repair: the caller should request a
  // keyframe instead. The list has already been cleared.
  bool TakeKeyframeNeeded();
  // Forgets everything (e.g. the publisher's stream was replaced).
  void Reset();

  // Missing packets currently tracked.
  size_t pending() const { return live_; }
  // Sequence numbers NACKed, counting each repeat.
  uint64_t nacks_sent() const { return nacks_sent_; }
  // Missing packets that arrived later (retransmitted or reordered).
  uint64_t recovered() const { return recovered_; }
  // Missing packets dropped from the list without arriving.
  uint64_t given_up() const { return given_up_; }

 private:
  struct Entry {
    int64_t sequence = 0;  // extended
    transport::Timestamp created;
    transport::Timestamp sent;
    int retries = 0;
    bool live = false;
  };

  int64_t Unwrap(uint16_t sequence_number) const;
  Entry& At(size_t i) { return ring_[(head_ + i) % ring_.size()]; }
  const Entry& At(size_t i) const { return ring_[(head_ + i) % ring_.size()]; }
  // Adds [from, to) as missing. Returns false (list cleared) when they cannot all be tracked.
  bool AddMissing(int64_t from, int64_t to, bool keyframe, transport::Timestamp now);
  // Marks the entry for `sequence` received; false when it was not a live entry.
  bool Remove(int64_t sequence);
  void Kill(Entry& entry);
  void PopDeadFront();
  // Drops live entries older than `sequence` from the front, counting them as given up.
  void DropBefore(int64_t sequence);
  void Compact();
  void ClearList();
  transport::Timestamp DueTime(const Entry& entry, transport::Duration retry_interval) const;

  Config config_;
  std::vector<Entry> ring_;  // max_list_size slots, sized once
  size_t head_ = 0;
  size_t count_ = 0;  // occupied slots, including received (dead) entries not yet popped
  size_t live_ = 0;
  int64_t highest_ = -1;  // extended sequence number of the newest packet
  int64_t last_keyframe_ = -1;
  // RFC 3550 A.1: a far-off sequence number is only accepted as a restart of the numbering
  // when the next packet follows it.
  std::optional<uint16_t> bad_sequence_;
  bool keyframe_needed_ = false;
  uint64_t nacks_sent_ = 0;
  uint64_t recovered_ = 0;
  uint64_t given_up_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_NACK_GENERATOR_H_
