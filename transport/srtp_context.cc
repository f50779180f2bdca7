// The low-level SHA-1 API is deprecated in OpenSSL 3 but is the only allocation-free way to
// reuse an HMAC key schedule there (see the class comment); it runs the same SHA-NI code as EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "transport/srtp_context.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <climits>
#include <cstring>

#include "absl/status/status.h"

namespace switchyard::transport {
namespace {

constexpr size_t kRtpHeaderLength = 12;   // RFC 3550 §5.1 fixed header.
constexpr size_t kRtcpHeaderLength = 8;   // RFC 3550 §6.4: common header + sender SSRC.
constexpr uint32_t kSrtcpEncryptedFlag = 0x80000000u;
constexpr uint32_t kMaxSrtcpIndex = 0x7fffffffu;

// The window an SSRC not seen yet is checked against.
constexpr SrtpReplayWindow kFreshWindow{};

static_assert(sizeof(SHA_CTX) <= 128, "SHA_CTX must fit SrtpContext::Sha1State");

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void Store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Length of the RTP header (fixed part, CSRCs, RFC 3550 §5.3.1 extension) within the first
// `length` bytes, or 0 if it does not fit.
size_t RtpHeaderLength(const uint8_t* data, size_t length) {
  if (length < kRtpHeaderLength) return 0;
  size_t header = kRtpHeaderLength + 4 * size_t{static_cast<uint8_t>(data[0] & 0x0f)};
  if (data[0] & 0x10) {
    if (header + 4 > length) return 0;
    header += 4 + 4 * size_t{Load16(data + header + 2)};
  }
  return header <= length ? header : 0;
}

// RFC 7714 §8.1: 00 00 || SSRC || ROC || SEQ, XOR the 12-byte salt.
void GcmRtpIv(const uint8_t* salt, uint32_t ssrc, uint64_t index, uint8_t* iv) {
  uint8_t block[12] = {0, 0};
  Store32(block + 2, ssrc);
  Store32(block + 6, static_cast<uint32_t>(index >> 16));
  block[10] = static_cast<uint8_t>(index >> 8);
  block[11] = static_cast<uint8_t>(index);
  for (int i = 0; i < 12; ++i) iv[i] = block[i] ^ salt[i];
}

// RFC 7714 §9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index, XOR the 12-byte salt.
void GcmRtcpIv(const uint8_t* salt, uint32_t ssrc, uint32_t index, uint8_t* iv) {
  uint8_t block[12] = {};
  Store32(block + 2, ssrc);
  Store32(block + 8, index & kMaxSrtcpIndex);
  for (int i = 0; i < 12; ++i) iv[i] = block[i] ^ salt[i];
}

void HmacSchedule(const uint8_t* key, size_t key_length, SHA_CTX* inner, SHA_CTX* outer) {
  uint8_t pad[SHA_CBLOCK];
  std::memset(pad, 0x36, sizeof(pad));
  for (size_t i = 0; i < key_length; ++i) pad[i] ^= key[i];
  SHA1_Init(inner);
  SHA1_Update(inner, pad, sizeof(pad));
  std::memset(pad, 0x5c, sizeof(pad));
  for (size_t i = 0; i < key_length; ++i) pad[i] ^= key[i];
  SHA1_Init(outer);
  SHA1_Update(outer, pad, sizeof(pad));
  OPENSSL_cleanse(pad, sizeof(pad));
}

}  // namespace

void SrtpContext::CipherCtxFree::operator()(evp_cipher_ctx_st* ctx) const {
  EVP_CIPHER_CTX_free(ctx);
}

SrtpContext::SrtpContext(SrtpProfile profile) : profile_(profile) {}

SrtpContext::~SrtpContext() {
  OPENSSL_cleanse(rtp_.salt, sizeof(rtp_.salt));
  OPENSSL_cleanse(rtcp_.salt, sizeof(rtcp_.salt));
  OPENSSL_cleanse(&rtp_.hmac, sizeof(rtp_.hmac));
  OPENSSL_cleanse(&rtcp_.hmac, sizeof(rtcp_.hmac));
}

absl::StatusOr<std::unique_ptr<SrtpContext>> SrtpContext::Create(
    SrtpProfile profile, absl::Span<const uint8_t> master_key_salt) {
  absl::StatusOr<SrtpSessionKeys> keys = DeriveSrtpSessionKeys(profile, master_key_salt);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<SrtpContext>> context = CreateFromSessionKeys(profile, *keys);
  OPENSSL_cleanse(&*keys, sizeof(SrtpSessionKeys));
  return context;
}

absl::StatusOr<std::unique_ptr<SrtpContext>> SrtpContext::CreateFromSessionKeys(
    SrtpProfile profile, const SrtpSessionKeys& keys) {
  std::unique_ptr<SrtpContext> context(new SrtpContext(profile));
  if (absl::Status status = context->Init(keys); !status.ok()) return status;
  return context;
}

absl::Status SrtpContext::Init(const SrtpSessionKeys& keys) {
  // The ciphers are looked up once here; per packet only the IV changes (EVP_*Init_ex2 with a
  // null cipher and key keeps the key schedule).
  auto init_direction = [this](Direction& dir, const uint8_t* key, const uint8_t* salt,
                               const uint8_t* auth_key) -> absl::Status {
    std::memcpy(dir.salt, salt, kSrtpCmSaltLength);
    dir.encrypt.reset(EVP_CIPHER_CTX_new());
    if (dir.encrypt == nullptr) return absl::InternalError("EVP_CIPHER_CTX_new failed");
    if (gcm()) {
      dir.decrypt.reset(EVP_CIPHER_CTX_new());
      if (dir.decrypt == nullptr) return absl::InternalError("EVP_CIPHER_CTX_new failed");
      // 12-byte IV is AES-GCM's default (RFC 7714 §8.1).
      if (EVP_EncryptInit_ex2(dir.encrypt.get(), EVP_aes_128_gcm(), key, nullptr, nullptr) != 1 ||
          EVP_DecryptInit_ex2(dir.decrypt.get(), EVP_aes_128_gcm(), key, nullptr, nullptr) != 1) {
        return absl::InternalError("AES-128-GCM init failed");
      }
    } else {
      if (EVP_EncryptInit_ex2(dir.encrypt.get(), EVP_aes_128_ctr(), key, nullptr, nullptr) != 1) {
        return absl::InternalError("AES-128-CTR init failed");
      }
      HmacSchedule(auth_key, kSrtpAuthKeyLength, reinterpret_cast<SHA_CTX*>(&dir.hmac.inner),
                   reinterpret_cast<SHA_CTX*>(&dir.hmac.outer));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = init_direction(rtp_, keys.rtp_key, keys.rtp_salt, keys.rtp_auth_key);
      !s.ok()) {
    return s;
  }
  return init_direction(rtcp_, keys.rtcp_key, keys.rtcp_salt, keys.rtcp_auth_key);
}

bool SrtpContext::AesCm(Direction& dir, uint32_t ssrc, uint64_t index, uint8_t* data,
                        size_t length) {
  // RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); the low 16 bits are
  // the block counter, which AES-128-CTR increments.
  uint8_t iv[16];
  std::memcpy(iv, dir.salt, kSrtpCmSaltLength);
  iv[14] = 0;
  iv[15] = 0;
  iv[4] ^= static_cast<uint8_t>(ssrc >> 24);
  iv[5] ^= static_cast<uint8_t>(ssrc >> 16);
  iv[6] ^= static_cast<uint8_t>(ssrc >> 8);
  iv[7] ^= static_cast<uint8_t>(ssrc);
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  if (EVP_EncryptInit_ex2(dir.encrypt.get(), nullptr, nullptr, iv, nullptr) != 1) return false;
  if (length == 0) return true;
  int written = 0;
  return EVP_EncryptUpdate(dir.encrypt.get(), data, &written, data, static_cast<int>(length)) ==
             1 &&
         static_cast<size_t>(written) == length;
}

void SrtpContext::HmacSha1_80(const HmacKey& key, const uint8_t* data, size_t length,
                              const uint8_t* tail, size_t tail_length, uint8_t* tag) {
  // RFC 2104 from the precomputed pad states (RFC 3711 §4.2.1).
  SHA_CTX ctx;
  std::memcpy(&ctx, &key.inner, sizeof(ctx));
  SHA1_Update(&ctx, data, length);
  if (tail_length != 0) SHA1_Update(&ctx, tail, tail_length);
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1_Final(digest, &ctx);
  std::memcpy(&ctx, &key.outer, sizeof(ctx));
  SHA1_Update(&ctx, digest, sizeof(digest));
  SHA1_Final(digest, &ctx);
  std::memcpy(tag, digest, kCmTagLength);
}

bool SrtpContext::GcmSeal(Direction& dir, const uint8_t* iv, const uint8_t* aad,
                          size_t aad_length, const uint8_t* aad2, size_t aad2_length,
                          uint8_t* data, size_t length, uint8_t* tag) {
  EVP_CIPHER_CTX* ctx = dir.encrypt.get();
  int written = 0;
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) != 1) return false;
  if (EVP_EncryptUpdate(ctx, nullptr, &written, aad, static_cast<int>(aad_length)) != 1) {
    return false;
  }
  if (aad2_length != 0 &&
      EVP_EncryptUpdate(ctx, nullptr, &written, aad2, static_cast<int>(aad2_length)) != 1) {
    return false;
  }
  if (length != 0 &&
      EVP_EncryptUpdate(ctx, data, &written, data, static_cast<int>(length)) != 1) {
    return false;
  }
  if (EVP_EncryptFinal_ex(ctx, data + length, &written) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kGcmTagLength, tag) == 1;
}

bool SrtpContext::GcmOpen(Direction& dir, const uint8_t* iv, const uint8_t* aad,
                          size_t aad_length, const uint8_t* aad2, size_t aad2_length,
                          uint8_t* data, size_t length, const uint8_t* tag) {
  EVP_CIPHER_CTX* ctx = dir.decrypt.get();
  int written = 0;
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) != 1) return false;
  if (EVP_DecryptUpdate(ctx, nullptr, &written, aad, static_cast<int>(aad_length)) != 1) {
    return false;
  }
  if (aad2_length != 0 &&
      EVP_DecryptUpdate(ctx, nullptr, &written, aad2, static_cast<int>(aad2_length)) != 1) {
    return false;
  }
  if (length != 0 &&
      EVP_DecryptUpdate(ctx, data, &written, data, static_cast<int>(length)) != 1) {
    return false;
  }
  // The ctrl takes a non-const pointer but only copies the tag in.
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kGcmTagLength,
                          const_cast<uint8_t*>(tag)) != 1) {
    return false;
  }
  return EVP_DecryptFinal_ex(ctx, data + length, &written) == 1;
}

SrtpError SrtpContext::ProtectRtp(uint8_t* data, size_t length, size_t capacity,
                                  size_t& out_length) {
  out_length = 0;
  const size_t tag_length = rtp_trailer();
  if (data == nullptr || capacity < length || capacity - length < tag_length ||
      length > INT_MAX - tag_length) {
    return SrtpError::kBadLength;
  }
  const size_t header = RtpHeaderLength(data, length);
  if (header == 0) return SrtpError::kBadLength;
  const uint16_t seq = Load16(data + 2);
  const uint32_t ssrc = Load32(data + 8);

  Stream& stream = streams_[ssrc];
  int64_t delta = 0;
  const uint64_t index = EstimateSrtpIndex(stream.send_highest, seq, delta);
  if (delta > 0) stream.send_highest = index;

  uint8_t* payload = data + header;
  const size_t payload_length = length - header;
  if (gcm()) {
    uint8_t iv[12];
    GcmRtpIv(rtp_.salt, ssrc, index, iv);
    // RFC 7714 §8.2: the whole header (CSRCs and extension included) is the AAD.
    if (!GcmSeal(rtp_, iv, data, header, nullptr, 0, payload, payload_length, data + length)) {
      return SrtpError::kOther;
    }
  } else {
    if (!AesCm(rtp_, ssrc, index, payload, payload_length)) return SrtpError::kOther;
    // §4.2: authenticated portion || ROC.
    uint8_t roc[4];
    Store32(roc, static_cast<uint32_t>(index >> 16));
    HmacSha1_80(rtp_.hmac, data, length, roc, sizeof(roc), data + length);
  }
  out_length = length + tag_length;
  return SrtpError::kOk;
}

SrtpError SrtpContext::UnprotectRtp(uint8_t* data, size_t length, size_t& out_length) {
  out_length = 0;
  const size_t tag_length = rtp_trailer();
  if (data == nullptr || length < kRtpHeaderLength + tag_length || length > INT_MAX) {
    return SrtpError::kBadLength;
  }
  const size_t body = length - tag_length;
  const size_t header = RtpHeaderLength(data, body);
  if (header == 0) return SrtpError::kBadLength;
  const uint16_t seq = Load16(data + 2);
  const uint32_t ssrc = Load32(data + 8);

  // An unknown SSRC is checked against a fresh window and inserted only once it authenticated.
  auto it = streams_.find(ssrc);
  const SrtpReplayWindow& window = it != streams_.end() ? it->second.rtp_replay : kFreshWindow;
  int64_t delta = 0;
  const uint64_t index = EstimateSrtpIndex(window.highest(), seq, delta);
  if (!window.Check(index, delta)) return SrtpError::kReplay;

  uint8_t* payload = data + header;
  const size_t payload_length = body - header;
  if (gcm()) {
    uint8_t iv[12];
    GcmRtpIv(rtp_.salt, ssrc, index, iv);
    if (!GcmOpen(rtp_, iv, data, header, nullptr, 0, payload, payload_length, data + body)) {
      return SrtpError::kAuthFailed;
    }
  } else {
    uint8_t roc[4];
    Store32(roc, static_cast<uint32_t>(index >> 16));
    uint8_t tag[kCmTagLength];
    HmacSha1_80(rtp_.hmac, data, body, roc, sizeof(roc), tag);
    if (CRYPTO_memcmp(tag, data + body, kCmTagLength) != 0) return SrtpError::kAuthFailed;
    if (!AesCm(rtp_, ssrc, index, payload, payload_length)) return SrtpError::kOther;
  }
  if (it == streams_.end()) it = streams_.try_emplace(ssrc).first;
  it->second.rtp_replay.Add(index, delta);
  out_length = body;
  return SrtpError::kOk;
}

SrtpError SrtpContext::ProtectRtcp(uint8_t* data, size_t length, size_t capacity,
                                   size_t& out_length) {
  out_length = 0;
  const size_t trailer = rtcp_trailer();
  if (data == nullptr || length < kRtcpHeaderLength || capacity < length ||
      capacity - length < trailer || length > INT_MAX - trailer) {
    return SrtpError::kBadLength;
  }
  const uint32_t ssrc = Load32(data + 4);
  Stream& stream = streams_[ssrc];
  // §3.4: the index must not wrap under one key; libsrtp reports key expiry the same way.
  if (stream.send_srtcp_index >= kMaxSrtcpIndex) return SrtpError::kOther;
  const uint32_t index = ++stream.send_srtcp_index;
  uint8_t e_index[4];
  Store32(e_index, kSrtcpEncryptedFlag | index);

  uint8_t* payload = data + kRtcpHeaderLength;
  const size_t payload_length = length - kRtcpHeaderLength;
  if (gcm()) {
    // RFC 7714 §9: header || ciphertext || tag || E + index; AAD = header || E + index (§9.2).
    uint8_t iv[12];
    GcmRtcpIv(rtcp_.salt, ssrc, index, iv);
    if (!GcmSeal(rtcp_, iv, data, kRtcpHeaderLength, e_index, sizeof(e_index), payload,
                 payload_length, data + length)) {
      return SrtpError::kOther;
    }
    std::memcpy(data + length + kGcmTagLength, e_index, sizeof(e_index));
  } else {
    // RFC 3711 §3.4: header || ciphertext || E + index || tag, the tag over all before it.
    if (!AesCm(rtcp_, ssrc, index, payload, payload_length)) return SrtpError::kOther;
    std::memcpy(data + length, e_index, sizeof(e_index));
    HmacSha1_80(rtcp_.hmac, data, length + sizeof(e_index), nullptr, 0,
                data + length + sizeof(e_index));
  }
  out_length = length + trailer;
  return SrtpError::kOk;
}

SrtpError SrtpContext::UnprotectRtcp(uint8_t* data, size_t length, size_t& out_length) {
  out_length = 0;
  const size_t trailer = rtcp_trailer();
  if (data == nullptr || length < kRtcpHeaderLength + trailer || length > INT_MAX) {
    return SrtpError::kBadLength;
  }
  const size_t body = length - trailer;
  const uint32_t ssrc = Load32(data + 4);
  const uint8_t* e_index = gcm() ? data + length - kSrtcpIndexLength : data + body;
  const uint32_t e_index_value = Load32(e_index);
  const bool encrypted = (e_index_value & kSrtcpEncryptedFlag) != 0;
  const uint32_t index = e_index_value & kMaxSrtcpIndex;

  auto it = streams_.find(ssrc);
  const SrtpReplayWindow& window = it != streams_.end() ? it->second.rtcp_replay : kFreshWindow;
  const int64_t delta = static_cast<int64_t>(index) - static_cast<int64_t>(window.highest());
  if (!window.Check(index, delta)) return SrtpError::kReplay;

  uint8_t* payload = data + kRtcpHeaderLength;
  const size_t payload_length = body - kRtcpHeaderLength;
  if (gcm()) {
    uint8_t iv[12];
    GcmRtcpIv(rtcp_.salt, ssrc, index, iv);
    const uint8_t* tag = data + body;
    // RFC 7714 §9.2 / §17.3: with E = 0 the whole packet is AAD and nothing is encrypted.
    const bool ok =
        encrypted ? GcmOpen(rtcp_, iv, data, kRtcpHeaderLength, e_index, kSrtcpIndexLength,
                            payload, payload_length, tag)
                  : GcmOpen(rtcp_, iv, data, body, e_index, kSrtcpIndexLength, nullptr, 0, tag);
    if (!ok) return SrtpError::kAuthFailed;
  } else {
    uint8_t tag[kCmTagLength];
    HmacSha1_80(rtcp_.hmac, data, body + kSrtcpIndexLength, nullptr, 0, tag);
    if (CRYPTO_memcmp(tag, data + body + kSrtcpIndexLength, kCmTagLength) != 0) {
      return SrtpError::kAuthFailed;
    }
    if (encrypted && !AesCm(rtcp_, ssrc, index, payload, payload_length)) {
      return SrtpError::kOther;
    }
  }
  if (it == streams_.end()) it = streams_.try_emplace(ssrc).first;
  it->second.rtcp_replay.Add(index, delta);
  out_length = body;
  return SrtpError::kOk;
}

void SrtpContext::SetNextSrtcpIndex(uint32_t ssrc, uint32_t index) {
  streams_[ssrc].send_srtcp_index = (index - 1) & kMaxSrtcpIndex;
}

}  // namespace switchyard::transport
