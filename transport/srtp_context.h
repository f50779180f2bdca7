#ifndef SWITCHYARD_TRANSPORT_SRTP_CONTEXT_H_
#define SWITCHYARD_TRANSPORT_SRTP_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "transport/dtls_transport.h"
#include "transport/srtp_key_derivation.h"
#include "transport/srtp_replay.h"
#include "transport/srtp_session.h"

// OpenSSL types, forward-declared to keep openssl/evp.h out of includers.
struct evp_cipher_ctx_st;

namespace switchyard::transport {

// SRTP/SRTCP for one master key (one direction of a DTLS-SRTP association), written directly on
// OpenSSL 3: SRTP_AES128_CM_HMAC_SHA1_80 (RFC 3711: AES-CM §4.1.1, HMAC-SHA1-80 §4.2, SRTCP
// §3.4) and SRTP_AEAD_AES_128_GCM (RFC 7714: IV §8.1/§9.1, AAD §8.2/§9.2, 16-byte tag). Keys
// apply to every SSRC (like libsrtp's ssrc_any_* templates); per-SSRC state is the sender's
// highest index and SRTCP index and the receiver's replay windows.
//
// Header extensions are authenticated but not encrypted (no RFC 6904). No MKI.
//
// Hot path: no exceptions, no logging, no heap allocation per packet. The OpenSSL cipher
// contexts are keyed once at creation and re-initialised with only a new IV per packet; the
// HMAC is SHA-1 from precomputed inner/outer states that are copied per packet (OpenSSL 3.0's
// EVP_MAC/HMAC re-init duplicates the digest context, a malloc per packet; see
// bench/srtp_bench.cc). The first packet of an SSRC not seen before allocates its state (on
// receive only once it authenticated, so forged SSRCs cannot grow the table). On any error the
// buffer's contents are unspecified (unprotect may have decrypted in place before the GCM tag
// check failed): drop the packet. Not thread-safe.
class SrtpContext {
 public:
  static constexpr size_t kCmTagLength = 10;    // HMAC-SHA1 truncated to 80 bits.
  static constexpr size_t kGcmTagLength = 16;   // RFC 7714 §14.2.
  static constexpr size_t kSrtcpIndexLength = 4;  // E flag + 31-bit SRTCP index.
  static constexpr size_t kReplayWindow = SrtpReplayWindow::kSize;

  // Keys from master key || salt (SrtpKeyMaterial layout) through the RFC 3711 §4.3 KDF.
  static absl::StatusOr<std::unique_ptr<SrtpContext>> Create(
      SrtpProfile profile, absl::Span<const uint8_t> master_key_salt);
  // Session keys given directly (the RFC 3711 B.2 and RFC 7714 §16/§17 vectors).
  static absl::StatusOr<std::unique_ptr<SrtpContext>> CreateFromSessionKeys(
      SrtpProfile profile, const SrtpSessionKeys& keys);

  ~SrtpContext();
  SrtpContext(const SrtpContext&) = delete;
  SrtpContext& operator=(const SrtpContext&) = delete;

  // Same contracts as SrtpSession: in place, `capacity` >= length + rtp_trailer() /
  // rtcp_trailer() (kBadLength otherwise, packet untouched), out_length the new length.
  // ProtectRtp accepts any sequence number (retransmissions reuse theirs); its ROC follows the
  // highest sequence number sent per SSRC (§3.3.1, the same estimate as the receiver's).
  SrtpError ProtectRtp(uint8_t* data, size_t length, size_t capacity, size_t& out_length);
  // kAuthFailed for a bad tag, kReplay for a duplicate or an index older than the window,
  // kBadLength for a packet too short for its header (CSRCs, extension) plus the tag.
  SrtpError UnprotectRtp(uint8_t* data, size_t length, size_t& out_length);
  // SRTCP always encrypts (E = 1); the SRTCP index counts from 1 per sender SSRC, like libsrtp.
  SrtpError ProtectRtcp(uint8_t* data, size_t length, size_t capacity, size_t& out_length);
  // Accepts E = 0 (authentication only) as well.
  SrtpError UnprotectRtcp(uint8_t* data, size_t length, size_t& out_length);

  // Makes the next ProtectRtcp for `ssrc` use SRTCP index `index` (< 2^31). For known-answer
  // tests that start mid-session.
  void SetNextSrtcpIndex(uint32_t ssrc, uint32_t index);

  SrtpProfile profile() const { return profile_; }
  size_t rtp_trailer() const { return gcm() ? kGcmTagLength : kCmTagLength; }
  size_t rtcp_trailer() const { return rtp_trailer() + kSrtcpIndexLength; }

 private:
  struct Stream {
    uint64_t send_highest = 0;  // Highest 48-bit RTP index protected.
    uint32_t send_srtcp_index = 0;  // Last SRTCP index used.
    SrtpReplayWindow rtp_replay;
    SrtpReplayWindow rtcp_replay;
  };
  // HMAC-SHA1 key schedule: SHA-1 state after absorbing (key XOR ipad) and (key XOR opad).
  // Opaque storage for SHA_CTX (96 bytes in OpenSSL 3) to keep openssl/sha.h out of here.
  struct alignas(8) Sha1State {
    unsigned char bytes[128];
  };
  struct HmacKey {
    Sha1State inner;
    Sha1State outer;
  };
  struct CipherCtxFree {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  using CipherCtx = std::unique_ptr<evp_cipher_ctx_st, CipherCtxFree>;
  // Keys and contexts of one of SRTP / SRTCP.
  struct Direction {
    uint8_t salt[kSrtpCmSaltLength] = {};
    CipherCtx encrypt;  // AES-128-CTR (CM; also decrypts) or AES-128-GCM encryption.
    CipherCtx decrypt;  // AES-128-GCM decryption; null for CM.
    HmacKey hmac;       // CM only.
  };

  explicit SrtpContext(SrtpProfile profile);
  absl::Status Init(const SrtpSessionKeys& keys);
  bool gcm() const { return profile_ == SrtpProfile::kAeadAes128Gcm; }

  bool AesCm(Direction& dir, uint32_t ssrc, uint64_t index, uint8_t* data, size_t length);
  void HmacSha1_80(const HmacKey& key, const uint8_t* data, size_t length, const uint8_t* tail,
                   size_t tail_length, uint8_t* tag);
  bool GcmSeal(Direction& dir, const uint8_t* iv, const uint8_t* aad, size_t aad_length,
               const uint8_t* aad2, size_t aad2_length, uint8_t* data, size_t length,
               uint8_t* tag);
  bool GcmOpen(Direction& dir, const uint8_t* iv, const uint8_t* aad, size_t aad_length,
               const uint8_t* aad2, size_t aad2_length, uint8_t* data, size_t length,
               const uint8_t* tag);

  SrtpProfile profile_;
  Direction rtp_;
  Direction rtcp_;
  absl::flat_hash_map<uint32_t, Stream> streams_;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_SRTP_CONTEXT_H_
