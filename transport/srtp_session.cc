#include "transport/srtp_session.h"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace switchyard::transport {
namespace {

constexpr size_t kMinRtpHeader = 12;   // RFC 3550 §5.1 fixed header.
constexpr size_t kMinRtcpHeader = 8;   // RFC 3550 §6.4: common header + sender SSRC.
constexpr size_t kSrtcpIndexLength = 4;  // RFC 3711 §3.4: E flag + 31-bit SRTCP index.

constexpr size_t kMasterKeyLength = 16;
constexpr size_t kCmSaltLength = 14;   // RFC 3711 §8.2 n_s = 112 bits.
constexpr size_t kGcmSaltLength = 12;  // RFC 7714 §8.1: 96-bit salt.
constexpr size_t kCmTagLength = 10;    // HMAC-SHA1-80.
constexpr size_t kGcmTagLength = 16;

absl::Status InitLibSrtp() {
  // srtp_init sets up libsrtp's global crypto kernel: exactly once per process, from whichever
  // thread creates the first session.
  static std::once_flag once;
  static srtp_err_status_t result = srtp_err_status_ok;
  std::call_once(once, [] { result = srtp_init(); });
  if (result != srtp_err_status_ok) {
    return absl::InternalError(absl::StrCat("srtp_init failed: ", static_cast<int>(result)));
  }
  return absl::OkStatus();
}

SrtpError MapError(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return SrtpError::kOk;
    case srtp_err_status_auth_fail:
      return SrtpError::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpError::kReplay;
    case srtp_err_status_bad_param:  // libsrtp's verdict on malformed headers/lengths.
    case srtp_err_status_parse_err:
      return SrtpError::kBadLength;
    default:
      return SrtpError::kOther;
  }
}

}  // namespace

SrtpSession::SrtpSession(srtp_ctx_t_* send, srtp_ctx_t_* receive, SrtpProfile profile)
    : send_(send), receive_(receive), profile_(profile) {
  size_t tag = profile == SrtpProfile::kAeadAes128Gcm ? kGcmTagLength : kCmTagLength;
  rtp_trailer_ = tag;
  rtcp_trailer_ = tag + kSrtcpIndexLength;
}

SrtpSession::~SrtpSession() {
  srtp_dealloc(send_);
  srtp_dealloc(receive_);
}

namespace {

// One libsrtp session holding a single template stream for `direction`.
absl::StatusOr<srtp_t> CreateLibSrtpSession(SrtpProfile profile, srtp_ssrc_type_t direction,
                                            const std::vector<uint8_t>& master_key_salt) {
  // libsrtp takes a non-const key pointer; it derives the session keys in srtp_create and keeps
  // no reference, so a stack copy (wiped afterwards) suffices.
  unsigned char key[kMasterKeyLength + kCmSaltLength] = {};
  std::memcpy(key, master_key_salt.data(), std::min(master_key_salt.size(), sizeof(key)));

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (profile == SrtpProfile::kAeadAes128Gcm) {
    // RFC 7714 §14.2 AEAD_AES_128_GCM: 16-byte tag for both SRTP and SRTCP.
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    // RFC 5764 §4.1.2 SRTP_AES128_CM_HMAC_SHA1_80 for both SRTP and SRTCP.
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  }
  policy.ssrc.type = direction;
  policy.key = key;
  policy.window_size = SrtpSession::kReplayWindow;
  // RTX/NACK-driven resends may reuse a sequence number with identical payload.
  policy.allow_repeat_tx = 1;
  policy.next = nullptr;

  srtp_t session = nullptr;
  srtp_err_status_t status = srtp_create(&session, &policy);
  OPENSSL_cleanse(key, sizeof(key));
  if (status != srtp_err_status_ok) {
    if (session != nullptr) srtp_dealloc(session);
    return absl::InternalError(absl::StrCat("srtp_create failed: ", static_cast<int>(status)));
  }
  return session;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SrtpSession>> SrtpSession::Create(const SrtpKeyMaterial& keys) {
  if (absl::Status init = InitLibSrtp(); !init.ok()) return init;

  size_t expected = kMasterKeyLength +
                    (keys.profile == SrtpProfile::kAeadAes128Gcm ? kGcmSaltLength : kCmSaltLength);
  if (keys.local_master_key_salt.size() != expected ||
      keys.remote_master_key_salt.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP master key||salt must be ", expected, " bytes, got ",
                     keys.local_master_key_salt.size(), "/", keys.remote_master_key_salt.size()));
  }
  absl::StatusOr<srtp_t> send =
      CreateLibSrtpSession(keys.profile, ssrc_any_outbound, keys.local_master_key_salt);
  if (!send.ok()) return send.status();
  absl::StatusOr<srtp_t> receive =
      CreateLibSrtpSession(keys.profile, ssrc_any_inbound, keys.remote_master_key_salt);
  if (!receive.ok()) {
    srtp_dealloc(*send);
    return receive.status();
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(*send, *receive, keys.profile));
}

SrtpError SrtpSession::ProtectRtp(uint8_t* data, size_t length, size_t capacity,
                                  size_t& out_length) {
  out_length = 0;
  if (data == nullptr || length < kMinRtpHeader || capacity < length ||
      capacity - length < rtp_trailer_ || length > INT_MAX - kMaxTrailer) {
    return SrtpError::kBadLength;
  }
  int len = static_cast<int>(length);
  SrtpError result = MapError(srtp_protect(send_, data, &len));
  if (result == SrtpError::kOk) out_length = static_cast<size_t>(len);
  return result;
}

SrtpError SrtpSession::UnprotectRtp(uint8_t* data, size_t length, size_t& out_length) {
  out_length = 0;
  if (data == nullptr || length < kMinRtpHeader + rtp_trailer_ || length > INT_MAX) {
    return SrtpError::kBadLength;
  }
  int len = static_cast<int>(length);
  SrtpError result = MapError(srtp_unprotect(receive_, data, &len));
  if (result == SrtpError::kOk) out_length = static_cast<size_t>(len);
  return result;
}

SrtpError SrtpSession::ProtectRtcp(uint8_t* data, size_t length, size_t capacity,
                                   size_t& out_length) {
  out_length = 0;
  if (data == nullptr || length < kMinRtcpHeader || capacity < length ||
      capacity - length < rtcp_trailer_ || length > INT_MAX - kMaxTrailer) {
    return SrtpError::kBadLength;
  }
  int len = static_cast<int>(length);
  SrtpError result = MapError(srtp_protect_rtcp(send_, data, &len));
  if (result == SrtpError::kOk) out_length = static_cast<size_t>(len);
  return result;
}

SrtpError SrtpSession::UnprotectRtcp(uint8_t* data, size_t length, size_t& out_length) {
  out_length = 0;
  if (data == nullptr || length < kMinRtcpHeader + rtcp_trailer_ || length > INT_MAX) {
    return SrtpError::kBadLength;
  }
  int len = static_cast<int>(length);
  SrtpError result = MapError(srtp_unprotect_rtcp(receive_, data, &len));
  if (result == SrtpError::kOk) out_length = static_cast<size_t>(len);
  return result;
}

}  // namespace switchyard::transport
