#ifndef SWITCHYARD_SFU_RTP_SEQUENCE_REWRITER_H_
#define SWITCHYARD_SFU_RTP_SEQUENCE_REWRITER_H_

#include <cstdint>
#include <optional>

namespace switchyard::sfu {

// Maps a producer's RTP sequence numbers and timestamps into a consumer's own numbering.
// The consumer's first packet gets a random sequence number and timestamp base (RFC 3550
// §5.1 asks for random initial values); after that both advance exactly as the source's do, so
// gaps (losses) and reordering in the source stay visible to the receiver's jitter buffer and
// NACK logic. Arithmetic is modulo 2^16 / 2^32.
class RtpSequenceRewriter {
 public:
  struct Output {
    uint16_t sequence_number;
    uint32_t timestamp;
  };

  RtpSequenceRewriter();  // random bases
  RtpSequenceRewriter(uint16_t sequence_base, uint32_t timestamp_base);

  Output Rewrite(uint16_t sequence_number, uint32_t timestamp);
  bool started() const { return started_; }

 private:
  uint16_t sequence_base_;
  uint32_t timestamp_base_;
  bool started_ = false;
  uint16_t sequence_offset_ = 0;
  uint32_t timestamp_offset_ = 0;
};

}  // namespace switchyard::sfu

#endif  // SWITCHYARD_SFU_RTP_SEQUENCE_REWRITER_H_
