#ifndef SWITCHYARD_SFU_RTP_SEQUENCE_REWRITER_H_
#define SWITCHYARD_SFU_RTP_SEQUENCE_REWRITER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

namespace switchyard::sfu {

// NTP <-> RTP timestamp pair from a sender report (RFC 3550 §6.4.1). `ntp` is the 64-bit
// 32.32 fixed-point NTP timestamp.
struct SenderReportTime {
  uint64_t ntp = 0;
  uint32_t rtp_timestamp = 0;
};

struct TimestampAlignment {
  uint32_t new_timestamp = 0;  // RTP timestamp of the new source's first packet
  std::optional<SenderReportTime> new_sender_report = std::nullopt;  // last SR of the new source
  std::optional<SenderReportTime> old_sender_report = std::nullopt;  // last SR of the source forwarded so far
  uint32_t old_timestamp_offset = 0;  // RtpSequenceRewriter::timestamp_offset() before the switch
  uint32_t last_output_timestamp = 0;  // RtpSequenceRewriter::last_output_timestamp()
  uint32_t clock_rate = 90000;
  // Used without both SRs. The caller may derive it from the wall time since the last
  // forwarded packet; one frame at 30 fps by default.
  uint32_t fallback_increment = 90000 / 30;
};

// The output timestamp for the first packet of a new source. With both sources' SRs the new
// timestamp is mapped through wall-clock time onto the old source's timeline (both layers of
// one simulcast sender share a capture clock, so a frame keeps its capture instant and
// lip-sync survives the switch). Without them: last output + `fallback_increment`. Never
// returns a timestamp at or before `last_output_timestamp` (RFC 3550 wrap-around compare):
// a receiver's jitter buffer must not see time go backwards.
uint32_t AlignTimestamp(const TimestampAlignment& alignment);

// Maps a producer's RTP sequence numbers and timestamps into a consumer's own numbering.
// The consumer's first packet gets a random sequence number and timestamp base (RFC 3550
// §5.1 asks for random initial values); after that both advance as the source's do, so gaps
// (real losses) and reordering in the source stay visible to the receiver's jitter buffer and
// NACK logic. Two things change that:
//  - Drop(): a packet of the current source intentionally not forwarded (e.g. a temporal
//    layer being filtered) closes up, so the receiver does not NACK what will never come.
//  - SwitchSource(): the output continues from a different input stream (another simulcast
//    layer) with unrelated numbering; the output stays gap-free unless the caller asks for a
//    one-number gap to mark the last forwarded frame as incomplete.
// Internally sequence numbers are unwrapped to 64 bits. Per-packet calls do not allocate.
class RtpSequenceRewriter {
 public:
  struct Output {
    uint16_t sequence_number;
    uint32_t timestamp;
  };
  // How many output sequence numbers InputFor() remembers, and how many drops back a late
  // packet can still be placed.
  static constexpr int kHistorySize = 512;  // as deep as the producer's video packet cache
  static constexpr int kOffsetHistorySize = 64;

  RtpSequenceRewriter();  // random bases
  RtpSequenceRewriter(uint16_t sequence_base, uint32_t timestamp_base);

  // Maps a packet of the current source. nullopt when the packet cannot be placed without
  // colliding with numbers already used: it predates the current source's first packet (a
  // straggler from before a switch), or it is older than the drop history covers.
  std::optional<Output> TryRewrite(uint16_t sequence_number, uint32_t timestamp);
  // As TryRewrite, but always returns something (the straight offset mapping when the packet
  // cannot be placed). Kept for single-source callers.
  Output Rewrite(uint16_t sequence_number, uint32_t timestamp);

  // An input packet of the current source that will not be forwarded. Later packets move
  // down by one so no gap appears. A packet older than the newest seen cannot close up
  // (numbers after it are already out): its gap stays.
  void Drop(uint16_t sequence_number);

  // The next packet comes from another source whose first packet is (`first_sequence_number`,
  // `first_timestamp`); it gets the next output sequence number (one more when
  // `previous_frame_incomplete`: the gap tells the receiver the frame cut short by the switch
  // will never complete) and `output_timestamp` (see AlignTimestamp()). Call it before
  // TryRewrite() of that first packet. `source` labels the source in InputFor(); by default
  // the previous label + 1. Before the first packet only the label is used: the first
  // source anchors on the bases.
  void SwitchSource(uint16_t first_sequence_number, uint32_t first_timestamp,
                    uint32_t output_timestamp, bool previous_frame_incomplete = false,
                    std::optional<int> source = std::nullopt);

  // The (input sequence number, source label) an output sequence number was made from, for
  // translating the subscriber's NACKs. nullopt when unknown or older than kHistorySize, and
  // always after DropHistory().
  std::optional<std::pair<uint16_t, int>> InputFor(uint16_t output_sequence_number) const;
  // Frees InputFor()'s memory (8 KB) for users that keep the mapping themselves (Consumer's
  // sent-packet history holds it with more per packet).
  void DropHistory() { history_.reset(); }

  bool started() const { return started_; }
  int source() const { return source_; }
  uint32_t timestamp_offset() const { return timestamp_offset_; }
  // Timestamp of the packet with the highest output sequence number so far.
  uint32_t last_output_timestamp() const { return last_output_timestamp_; }
  uint16_t last_output_sequence_number() const {
    return static_cast<uint16_t>(highest_output_);
  }

 private:
  struct OffsetChange {
    int64_t from_input = 0;  // offset applies to unwrapped inputs >= this
    int64_t offset = 0;
  };
  struct HistoryEntry {
    int64_t output = -1;
    uint16_t input = 0;
    int source = 0;
  };

  int64_t UnwrapInput(uint16_t sequence_number) const;
  std::optional<int64_t> OffsetFor(int64_t input) const;
  void PushOffset(int64_t from_input, int64_t offset);

  uint16_t sequence_base_;
  uint32_t timestamp_base_;
  bool started_ = false;
  int source_ = 0;
  uint32_t timestamp_offset_ = 0;
  uint32_t last_output_timestamp_ = 0;

  int64_t source_first_input_ = 0;  // unwrapped first input of the current source
  int64_t highest_input_ = 0;       // unwrapped, current source
  int64_t highest_output_ = -1;     // unwrapped
  // Ring of offset changes of the current source, newest at offsets_[(offset_head_ - 1)].
  std::array<OffsetChange, kOffsetHistorySize> offsets_{};
  int offset_count_ = 0;
  int offset_head_ = 0;
  std::unique_ptr<HistoryEntry[]> history_ = std::make_unique<HistoryEntry[]>(kHistorySize);
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_RTP_SEQUENCE_REWRITER_H_
