#ifndef SWITCHYARD_SFU_RTP_PACKET_CACHE_H_
#define SWITCHYARD_SFU_RTP_PACKET_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "transport/clock.h"

namespace switchyard::sfu {

// Recently received packets of one publisher stream, kept so that NACKs from any of its
// consumers can be answered by retransmission (RFC 4585 §6.2.1, RFC 4588) without asking the
// publisher. One cache per received stream, shared by all consumers; it stores the original
// (decrypted) packets and each consumer rewrites/wraps on the way out.
//
// Sizing: the default of 512 slots of 1500 bytes (768 KB) holds ~2 s of a 2.5 Mbps video stream
// at 1200-byte packets (~260 packets/s), or ~1 s at 5 Mbps. Receivers stop NACKing a packet
// after about a second (see NackGenerator), so older packets are useless anyway.
//
// Growth: a cache may start smaller (`initial_packets`) and double, up to its capacity, when a
// packet would evict one that arrived less than kKeepAtLeast ago: a 150 kbps simulcast layer
// (~16 packets/s) keeps 128 slots (192 KB) while the 1.7 Mbps layer grows to what a second of
// it needs. That allocates a few times per stream (each doubling), never per packet otherwise;
// Get never allocates. Storage pages are not touched before packets land in them.
//
// Slot = extended sequence number modulo the capacity (rounded up to a power of two so that the
// mapping stays continuous across the 16-bit wrap). Each slot remembers the extended sequence
// number it holds, so a lookup never returns a different packet that shares the slot, nor a
// packet with the same 16-bit number from 65536 packets ago.
class RtpPacketCache {
 public:
  // Largest packet stored (a typical path MTU); larger packets are not cached.
  static constexpr size_t kMaxPacketSize = 1500;

  static constexpr transport::Duration kKeepAtLeast = std::chrono::seconds(1);

  // `capacity_packets` (the most slots) is rounded up to a power of two within [1, 32768];
  // `initial_packets` likewise, at most the capacity; 0 = start at the capacity.
  explicit RtpPacketCache(size_t capacity_packets = 512, size_t initial_packets = 0);

  // Copies `packet` into the slot of `sequence_number`, replacing what was there. Ignored when
  // the packet is larger than kMaxPacketSize or empty, or when it is so old (a capacity or more
  // behind the newest) that it would evict a newer packet. A packet further behind than both
  // the capacity and 3000 (RFC 3550 A.1 MAX_DROPOUT) is a sequence discontinuity: the cache is
  // cleared and restarts from it.
  void Insert(std::span<const uint8_t> packet, uint16_t sequence_number,
              transport::Timestamp arrival);
  // The packet with that sequence number if still cached (newer entries overwrite older ones).
  // Valid until the next Insert or Clear.
  std::optional<std::span<const uint8_t>> Get(uint16_t sequence_number) const;
  // When the cached packet with that sequence number arrived; nullopt when not cached. Lets the
  // caller refuse to retransmit packets too old to be useful.
  std::optional<transport::Timestamp> ArrivalTime(uint16_t sequence_number) const;

  void Clear();
  // Slots now (grows up to max_capacity()).
  size_t capacity() const { return capacity_; }
  size_t max_capacity() const { return max_capacity_; }

 private:
  struct Slot {
    int64_t extended_sequence = -1;  // -1: empty
    size_t size = 0;
    transport::Timestamp arrival;
  };

  // Index of the slot holding `sequence_number`, or -1 when not cached.
  int64_t Find(uint16_t sequence_number) const;
  // Unwraps relative to the newest inserted sequence number.
  int64_t Unwrap(uint16_t sequence_number) const;
  void Grow();

  size_t max_capacity_;
  size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<uint8_t[]> storage_;  // capacity_ * kMaxPacketSize bytes
  int64_t highest_ = -1;                // extended sequence number of the newest packet
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_RTP_PACKET_CACHE_H_
