#ifndef SWITCHYARD_TRANSPORT_DTLS_RECORD_CIPHER_H_
#define SWITCHYARD_TRANSPORT_DTLS_RECORD_CIPHER_H_

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/status/statusor.h"

namespace switchyard::transport {

// The DTLS 1.2 record protection of one established connection (RFC 6347 §4.1.2 over RFC 5246
// §6.2.3.3), for the AEAD cipher suites DtlsContext negotiates: AES-128/256-GCM (RFC 5288) and
// ChaCha20-Poly1305 (RFC 7905).
//
// Why it exists: a WebRTC DTLS connection carries only the handshake and then, at most, alerts
// (Switchyard has no data channels and WebRTC forbids renegotiation). Keeping OpenSSL's SSL
// object for that costs ~72 KB per participant (read, write and handshake buffers of 16 KB
// each, the session, the peer certificate); this class holds the two directions' keys in
// ~100 bytes so DtlsTransport can free the SSL object once the handshake can no longer need a
// retransmission, and still send and receive close_notify and fatal alerts.
//
// Not a general record layer: no replay window (an authentic replayed alert can only repeat
// what the peer already said), no CBC suites, one epoch. Movable, not copyable; the keys are
// cleansed on destruction.
class DtlsRecordCipher {
 public:
  static constexpr size_t kHeaderSize = 13;  // type, version, epoch, sequence_number, length
  static constexpr uint16_t kVersionDtls12 = 0xfefd;
  static constexpr uint64_t kMaxSequence = (uint64_t{1} << 48) - 1;

  enum class Suite { kAes128Gcm, kAes256Gcm, kChacha20Poly1305 };

  struct Record {
    uint8_t content_type = 0;
    uint16_t epoch = 0;
    uint64_t sequence = 0;  // 48 bits
    std::span<const uint8_t> fragment;  // Still protected.
  };

  // Splits the first record off `datagram` (RFC 6347 §4.1: several records may share one);
  // nullopt when fewer bytes remain than the header or its length field claims. `rest` receives
  // what follows the record.
  static std::optional<Record> NextRecord(std::span<const uint8_t> datagram,
                                          std::span<const uint8_t>* rest);

  // Derives both directions' keys from a finished handshake (RFC 5246 §6.3: key_block =
  // PRF(master_secret, "key expansion", server_random + client_random)). `epoch` is the epoch
  // the handshake left both sides in (1 without renegotiation). Errors: FailedPrecondition if
  // the handshake is not finished or its suite is not one of the above; Internal on OpenSSL
  // failure.
  static absl::StatusOr<DtlsRecordCipher> FromFinishedHandshake(SSL* ssl, uint16_t epoch);

  // The same from raw inputs (for tests and the above).
  static absl::StatusOr<DtlsRecordCipher> Derive(Suite suite, bool local_is_client,
                                                 std::span<const uint8_t> master_secret,
                                                 std::span<const uint8_t> client_random,
                                                 std::span<const uint8_t> server_random,
                                                 uint16_t epoch);

  DtlsRecordCipher(DtlsRecordCipher&& other) noexcept;
  DtlsRecordCipher& operator=(DtlsRecordCipher&& other) noexcept;
  DtlsRecordCipher(const DtlsRecordCipher&) = delete;
  DtlsRecordCipher& operator=(const DtlsRecordCipher&) = delete;
  ~DtlsRecordCipher();

  Suite suite() const { return suite_; }
  uint16_t epoch() const { return epoch_; }

  // Protects `plaintext` as one record of `content_type` with our write key and the given
  // sequence number, header included, into `out`. Returns the record size, or 0 if `out` is
  // too small, `sequence` exceeds 48 bits or the cipher fails.
  size_t Seal(uint8_t content_type, uint64_t sequence, std::span<const uint8_t> plaintext,
              std::span<uint8_t> out) const;

  // Authenticates and decrypts `record` (which must be in our epoch) with the peer's write key
  // into `plaintext` (at least the fragment's size). Returns the plaintext size, or nullopt
  // for a record of another epoch, a short fragment or a failed tag check: RFC 6347 §4.1.2.7
  // has such records discarded silently.
  std::optional<size_t> Open(const Record& record, std::span<uint8_t> plaintext) const;

 private:
  struct Direction {
    std::array<uint8_t, 32> key{};
    std::array<uint8_t, 12> iv{};  // GCM uses the first 4 bytes (the salt), ChaCha all 12.
  };

  DtlsRecordCipher() = default;
  size_t KeySize() const;
  size_t ExplicitNonceSize() const;
  void Nonce(const Direction& direction, uint64_t epoch_and_sequence,
             std::span<const uint8_t> explicit_nonce, uint8_t out[12]) const;

  Suite suite_ = Suite::kAes128Gcm;
  uint16_t epoch_ = 0;
  Direction write_;
  Direction read_;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_DTLS_RECORD_CIPHER_H_
