#include "transport/dtls_transport.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/srtp.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace switchyard::transport {
namespace {

// RFC 5764 §4.2: the exporter label for DTLS-SRTP keying material.
constexpr char kSrtpExporterLabel[] = "EXTRACTOR-dtls_srtp";

std::string DrainOpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error detail" : out;
}

}  // namespace

// Trampolines from OpenSSL's C callbacks into the transport's private hooks.
struct DtlsTransportCallbacks {
  static DtlsTransport* FromBio(BIO* bio) { return static_cast<DtlsTransport*>(BIO_get_data(bio)); }

  static int Create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }
  static int Destroy(BIO* /*bio*/) { return 1; }

  static int Write(BIO* bio, const char* data, int len) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* transport = FromBio(bio);
    if (transport == nullptr || len < 0) return -1;
    transport->OnBioWrite(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)));
    return len;
  }

  static int Read(BIO* bio, char* out, int size) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* transport = FromBio(bio);
    int n = transport == nullptr ? 0 : transport->OnBioRead(reinterpret_cast<uint8_t*>(out), size);
    if (n <= 0) {
      // Nothing buffered: tell OpenSSL to come back later (SSL_ERROR_WANT_READ), never EOF.
      BIO_set_retry_read(bio);
      return -1;
    }
    return n;
  }

  static long Ctrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      // Pending counts, MTU queries and datagram timeouts: nothing to report; MTU comes from
      // DTLS_set_link_mtu and SSL_OP_NO_QUERY_MTU.
      default:
        return 0;
    }
  }

  static const BIO_METHOD* Method() {
    // Function-local static: initialised once, thread-safely; lives for the process.
    static BIO_METHOD* method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "switchyard-dtls");
      if (m == nullptr) return m;
      BIO_meth_set_create(m, Create);
      BIO_meth_set_destroy(m, Destroy);
      BIO_meth_set_write(m, Write);
      BIO_meth_set_read(m, Read);
      BIO_meth_set_ctrl(m, Ctrl);
      return m;
    }();
    return method;
  }

  static DtlsTransport* FromSsl(SSL* ssl) {
    return static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  }

  static unsigned int Timer(SSL* ssl, unsigned int previous_us) {
    DtlsTransport* transport = FromSsl(ssl);
    return transport == nullptr ? 1'000'000u : transport->OnTimerStarted(previous_us);
  }

  static int Verify(int /*preverify_ok*/, X509_STORE_CTX* store) {
    SSL* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    DtlsTransport* transport = ssl == nullptr ? nullptr : FromSsl(ssl);
    return transport == nullptr ? 0 : transport->OnVerifyPeer(store);
  }
};

DtlsTransport::DtlsTransport(const Clock& clock, const DtlsContext& context, Observer& observer)
    : clock_(clock), observer_(observer), context_(&context) {}

DtlsTransport::DtlsTransport(const Clock& clock, const Certificate& certificate,
                             Observer& observer)
    : clock_(clock), observer_(observer), context_(nullptr) {
  absl::StatusOr<std::unique_ptr<DtlsContext>> context = DtlsContext::Create(certificate);
  if (context.ok()) {
    owned_context_ = *std::move(context);
    context_ = owned_context_.get();
  } else {
    context_status_ = context.status();
  }
}

DtlsTransport::~DtlsTransport() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // Also frees bio_.
}

absl::Status DtlsTransport::Start(DtlsRole role, std::string remote_fingerprint_algorithm,
                                  std::string remote_fingerprint_value) {
  if (state_ != DtlsState::kNew) return absl::FailedPreconditionError("DTLS already started");
  if (context_ == nullptr) return context_status_;
  if (!IsSupportedFingerprintAlgorithm(remote_fingerprint_algorithm)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported fingerprint algorithm '", remote_fingerprint_algorithm, "'"));
  }
  if (remote_fingerprint_value.empty()) {
    return absl::InvalidArgumentError("empty remote fingerprint");
  }
  role_ = role;
  remote_fingerprint_algorithm_ = std::move(remote_fingerprint_algorithm);
  remote_fingerprint_value_ = std::move(remote_fingerprint_value);
  ResetSsl();
  if (ssl_ == nullptr) {
    absl::Status status = absl::InternalError(absl::StrCat("SSL_new: ", DrainOpenSslErrors()));
    return status;
  }
  state_ = DtlsState::kConnecting;
  if (role_ == DtlsRole::kClient) Drive();  // Sends the ClientHello.

  std::vector<std::vector<uint8_t>> early = std::move(early_datagrams_);
  early_datagrams_.clear();
  for (const std::vector<uint8_t>& datagram : early) {
    if (state_ != DtlsState::kConnecting && state_ != DtlsState::kConnected) break;
    HandleDatagram(datagram);
  }
  return absl::OkStatus();
}

void DtlsTransport::ResetSsl() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  bio_ = nullptr;
  pending_records_.clear();
  last_flight_.clear();
  deadline_.reset();
  retransmit_timeout_ = kInitialRetransmitTimeout;
  retransmissions_ = 0;
  verify_failure_ = absl::OkStatus();

  ERR_clear_error();
  const BIO_METHOD* method = DtlsTransportCallbacks::Method();
  if (method == nullptr) return;
  SSL* ssl = SSL_new(context_->ssl_ctx());
  if (ssl == nullptr) return;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl);
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl, bio, bio);  // Same BIO both ways: one reference, owned by the SSL.
  SSL_set_app_data(ssl, this);
  // Records (and thus datagrams) must fit kMtu; a ~1.5 KB flight is split by OpenSSL into
  // handshake fragments (RFC 6347 §4.2.3) instead of relying on IP fragmentation.
  DTLS_set_link_mtu(ssl, kMtu);
  DTLS_set_timer_cb(ssl, DtlsTransportCallbacks::Timer);
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                 DtlsTransportCallbacks::Verify);
  if (role_ == DtlsRole::kServer) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  ssl_ = ssl;
  bio_ = bio;
}

void DtlsTransport::HandleDatagram(std::span<const uint8_t> datagram) {
  if (datagram.empty()) return;
  switch (state_) {
    case DtlsState::kNew:
      if (early_datagrams_.size() < kMaxEarlyDatagrams) {
        early_datagrams_.emplace_back(datagram.begin(), datagram.end());
      }
      return;
    case DtlsState::kFailed:
    case DtlsState::kClosed:
      return;
    case DtlsState::kConnecting:
    case DtlsState::kConnected:
      break;
  }
  if (ssl_ == nullptr && record_cipher_.has_value()) {
    HandleRecordsAfterRelease(datagram);
    return;
  }
  input_ = datagram;
  input_consumed_ = false;
  if (state_ == DtlsState::kConnecting) {
    Drive();
    // The datagram that completes the handshake may carry more records.
    if (state_ == DtlsState::kConnected) ReadApplicationData();
  } else {
    ReadApplicationData();
  }
  input_ = {};
  input_consumed_ = true;
}

void DtlsTransport::Drive() {
  if (state_ != DtlsState::kConnecting || ssl_ == nullptr) return;
  ERR_clear_error();
  timer_callback_fired_ = false;
  ProcessHandshakeResult(SSL_do_handshake(ssl_));
}

void DtlsTransport::ProcessHandshakeResult(int ret) {
  if (ret == 1) {
    FlushOutput(/*is_flight=*/false);  // The final flight is resent only on demand.
    OnHandshakeComplete();
    return;
  }
  int error = SSL_get_error(ssl_, ret);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    bool produced = !pending_records_.empty();
    FlushOutput(/*is_flight=*/true);
    struct timeval left;
    if (DTLSv1_get_timeout(ssl_, &left) != 1) {
      deadline_.reset();  // No flight outstanding.
      return;
    }
    // A new or retransmitted flight (re)starts OpenSSL's timer; mirror it on our clock.
    if (timer_callback_fired_ || produced || !deadline_) {
      deadline_ = clock_.Now() + retransmit_timeout_;
    }
    if (retransmissions_ > kMaxRetransmissions) {
      Fail(absl::DeadlineExceededError("DTLS handshake: peer stopped answering"));
    }
    return;
  }

  std::string detail = DrainOpenSslErrors();
  if (role_ == DtlsRole::kServer && !sent_anything_ && verify_failure_.ok()) {
    // Nothing of ours is on the wire yet, so no peer state depends on this SSL object: treat
    // the input as noise (RFC 6347 §4.1.2.7 spirit) and wait for a real ClientHello.
    ResetSsl();
    if (ssl_ == nullptr) Fail(absl::InternalError("SSL_new failed while resetting"));
    return;
  }
  FlushOutput(/*is_flight=*/false);  // Deliver the fatal alert, if OpenSSL produced one.
  Fail(verify_failure_.ok() ? absl::UnavailableError(absl::StrCat("DTLS handshake failed: ", detail))
                            : verify_failure_);
}

void DtlsTransport::OnHandshakeComplete() {
  deadline_.reset();
  last_flight_.clear();

  absl::Status fingerprint = CheckPeerFingerprint(SSL_get0_peer_certificate(ssl_));
  if (!fingerprint.ok()) {
    Fail(std::move(fingerprint));
    return;
  }

  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (selected == nullptr) {
    Fail(absl::FailedPreconditionError("DTLS peer did not negotiate use_srtp"));
    return;
  }
  SrtpKeyMaterial keys;
  size_t key_len = 16;
  size_t salt_len = 0;
  switch (selected->id) {
    case SRTP_AEAD_AES_128_GCM:  // RFC 7714 §12: 128-bit key, 96-bit salt.
      keys.profile = SrtpProfile::kAeadAes128Gcm;
      salt_len = 12;
      break;
    case SRTP_AES128_CM_SHA1_80:  // RFC 5764 §4.1.2: 128-bit key, 112-bit salt.
      keys.profile = SrtpProfile::kAes128CmSha1_80;
      salt_len = 14;
      break;
    default:
      Fail(absl::FailedPreconditionError(
          absl::StrCat("unexpected SRTP profile ", selected->name)));
      return;
  }

  // RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt.
  std::vector<uint8_t> material(2 * (key_len + salt_len));
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kSrtpExporterLabel,
                                 sizeof(kSrtpExporterLabel) - 1, nullptr, 0, 0) != 1) {
    Fail(absl::InternalError(absl::StrCat("SSL_export_keying_material: ", DrainOpenSslErrors())));
    return;
  }
  auto key_salt = [&](bool client) {
    std::vector<uint8_t> out;
    out.reserve(key_len + salt_len);
    const uint8_t* key = material.data() + (client ? 0 : key_len);
    const uint8_t* salt = material.data() + 2 * key_len + (client ? 0 : salt_len);
    out.insert(out.end(), key, key + key_len);
    out.insert(out.end(), salt, salt + salt_len);
    return out;
  };
  bool we_are_client = role_ == DtlsRole::kClient;
  keys.local_master_key_salt = key_salt(we_are_client);
  keys.remote_master_key_salt = key_salt(!we_are_client);
  OPENSSL_cleanse(material.data(), material.size());

  state_ = DtlsState::kConnected;
  observer_.OnDtlsConnected(keys);
  OPENSSL_cleanse(keys.local_master_key_salt.data(), keys.local_master_key_salt.size());
  OPENSSL_cleanse(keys.remote_master_key_salt.data(), keys.remote_master_key_salt.size());
}

void DtlsTransport::ReadApplicationData() {
  std::array<uint8_t, 2048> sink;  // For discarded application data.
  while (state_ == DtlsState::kConnected && ssl_ != nullptr) {
    ERR_clear_error();
    int n = SSL_read(ssl_, sink.data(), static_cast<int>(sink.size()));
    if (n > 0) continue;  // No data channels: discard.
    int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      // OpenSSL may have resent our final flight after seeing the peer's flight again.
      ERR_clear_error();
      FlushOutput(/*is_flight=*/false);
      return;
    }
    if (error == SSL_ERROR_ZERO_RETURN) {
      // close_notify: answer with ours (RFC 5246 §7.2.1) and report.
      ERR_clear_error();
      SSL_shutdown(ssl_);
      ERR_clear_error();
      FlushOutput(/*is_flight=*/false);
      state_ = DtlsState::kClosed;
      observer_.OnDtlsClosed();
      return;
    }
    std::string detail = DrainOpenSslErrors();
    FlushOutput(/*is_flight=*/false);
    Fail(absl::UnavailableError(absl::StrCat("DTLS connection failed: ", detail)));
    return;
  }
}

void DtlsTransport::ReleaseHandshakeState() {
  if (state_ != DtlsState::kConnected || ssl_ == nullptr) return;
  absl::StatusOr<DtlsRecordCipher> cipher =
      DtlsRecordCipher::FromFinishedHandshake(ssl_, write_epoch_);
  ERR_clear_error();
  if (!cipher.ok()) return;  // Keep the SSL object: it still does the job, at its cost.
  record_cipher_.emplace(*std::move(cipher));
  SSL_free(ssl_);  // Also frees bio_.
  ssl_ = nullptr;
  bio_ = nullptr;
  pending_records_ = {};
  last_flight_ = {};
}

void DtlsTransport::HandleRecordsAfterRelease(std::span<const uint8_t> datagram) {
  std::span<const uint8_t> rest = datagram;
  while (state_ == DtlsState::kConnected) {
    std::optional<DtlsRecordCipher::Record> record = DtlsRecordCipher::NextRecord(rest, &rest);
    if (!record.has_value()) return;
    // Only alerts matter now. Application data (SCTP) is discarded unread as before; a
    // handshake record could only be a late duplicate of a flight that is already answered.
    constexpr uint8_t kAlert = 21;  // RFC 5246 §6.2.1 ContentType
    if (record->content_type != kAlert) continue;
    uint8_t alert[64];
    std::optional<size_t> size = record_cipher_->Open(*record, alert);
    if (!size.has_value() || *size != 2) continue;  // RFC 6347 §4.1.2.7: discard silently.
    const uint8_t level = alert[0];
    const uint8_t description = alert[1];
    if (description == 0) {
      // close_notify: answer with ours (RFC 5246 §7.2.1) and report.
      SendAlertAfterRelease(/*level=*/1, /*description=*/0);
      state_ = DtlsState::kClosed;
      observer_.OnDtlsClosed();
      return;
    }
    if (level == 2) {
      Fail(absl::UnavailableError(
          absl::StrCat("DTLS connection failed: peer sent fatal alert ", description)));
      return;
    }
    // Other warning alerts change nothing (RFC 5246 §7.2.2).
  }
}

void DtlsTransport::SendAlertAfterRelease(uint8_t level, uint8_t description) {
  const uint8_t alert[2] = {level, description};
  uint8_t record[DtlsRecordCipher::kHeaderSize + 8 + sizeof(alert) + 16];
  const size_t size = record_cipher_->Seal(/*content_type=*/21, next_write_sequence_, alert, record);
  if (size == 0) return;
  ++next_write_sequence_;
  SendDatagram(std::span<const uint8_t>(record, size));
}

void DtlsTransport::OnTimer() {
  if (state_ != DtlsState::kConnecting || !deadline_ || clock_.Now() < *deadline_) return;
  ERR_clear_error();
  timer_callback_fired_ = false;
  int ret = DTLSv1_handle_timeout(ssl_);
  if (ret < 0) {
    std::string detail = DrainOpenSslErrors();
    FlushOutput(/*is_flight=*/false);
    Fail(absl::DeadlineExceededError(absl::StrCat("DTLS handshake timed out: ", detail)));
    return;
  }
  if (ret > 0 && timer_callback_fired_) {
    // OpenSSL retransmitted with fresh record sequence numbers and doubled the timeout via
    // OnTimerStarted.
    FlushOutput(/*is_flight=*/true);
    deadline_ = clock_.Now() + retransmit_timeout_;
    if (retransmissions_ > kMaxRetransmissions) {
      Fail(absl::DeadlineExceededError("DTLS handshake: peer stopped answering"));
    }
    return;
  }
  ERR_clear_error();
  // OpenSSL's real-time deadline has not passed yet (see the class comment): resend verbatim.
  if (++retransmissions_ > kMaxRetransmissions) {
    Fail(absl::DeadlineExceededError("DTLS handshake: peer stopped answering"));
    return;
  }
  retransmit_timeout_ = std::min(retransmit_timeout_ * 2, kMaxRetransmitTimeout);
  deadline_ = clock_.Now() + retransmit_timeout_;
  for (const std::vector<uint8_t>& datagram : last_flight_) SendDatagram(datagram);
}

void DtlsTransport::Close() {
  if (state_ == DtlsState::kConnected && ssl_ == nullptr && record_cipher_.has_value()) {
    state_ = DtlsState::kClosed;
    SendAlertAfterRelease(/*level=*/1, /*description=*/0);
  }
  if (state_ == DtlsState::kConnected && ssl_ != nullptr) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // Queues close_notify; we do not wait for the peer's.
    ERR_clear_error();
    state_ = DtlsState::kClosed;
    FlushOutput(/*is_flight=*/false);
  }
  state_ = state_ == DtlsState::kFailed ? DtlsState::kFailed : DtlsState::kClosed;
  deadline_.reset();
  last_flight_.clear();
  early_datagrams_.clear();
}

void DtlsTransport::Fail(absl::Status why) {
  if (state_ == DtlsState::kFailed || state_ == DtlsState::kClosed) return;
  state_ = DtlsState::kFailed;
  deadline_.reset();
  last_flight_.clear();
  observer_.OnDtlsFailed(why);
}

void DtlsTransport::FlushOutput(bool is_flight) {
  if (pending_records_.empty()) return;
  // RFC 6347 §4.1.1: several records may share a datagram. OpenSSL writes one record per BIO
  // write, each within kMtu; pack them so a flight costs a few datagrams, not one per message.
  std::vector<std::vector<uint8_t>> datagrams;
  for (const std::vector<uint8_t>& record : pending_records_) {
    if (datagrams.empty() || datagrams.back().size() + record.size() > kMtu) {
      datagrams.emplace_back();
    }
    datagrams.back().insert(datagrams.back().end(), record.begin(), record.end());
  }
  pending_records_.clear();
  for (const std::vector<uint8_t>& datagram : datagrams) SendDatagram(datagram);
  if (is_flight) last_flight_ = std::move(datagrams);
}

void DtlsTransport::SendDatagram(std::span<const uint8_t> datagram) {
  sent_anything_ = true;
  observer_.OnDtlsSendPacket(datagram);
}

absl::Status DtlsTransport::CheckPeerFingerprint(X509* peer_cert) const {
  if (peer_cert == nullptr) {
    return absl::PermissionDeniedError("DTLS peer presented no certificate");
  }
  absl::StatusOr<std::string> actual = ComputeFingerprint(peer_cert, remote_fingerprint_algorithm_);
  if (!actual.ok()) return actual.status();
  if (!FingerprintsEqual(*actual, remote_fingerprint_value_)) {
    return absl::PermissionDeniedError(
        absl::StrCat("DTLS peer certificate fingerprint ", remote_fingerprint_algorithm_, " ",
                     *actual, " does not match the SDP fingerprint ", remote_fingerprint_value_));
  }
  return absl::OkStatus();
}

void DtlsTransport::OnBioWrite(std::span<const uint8_t> record) {
  pending_records_.emplace_back(record.begin(), record.end());
  // Track the numbering (RFC 6347 §4.1): epochs only grow, sequence numbers grow within one.
  std::span<const uint8_t> rest = record;
  while (std::optional<DtlsRecordCipher::Record> r = DtlsRecordCipher::NextRecord(rest, &rest)) {
    if (r->epoch > write_epoch_ || (r->epoch == write_epoch_ && r->sequence >= next_write_sequence_)) {
      write_epoch_ = r->epoch;
      next_write_sequence_ = r->sequence + 1;
    }
  }
}

int DtlsTransport::OnBioRead(uint8_t* out, int size) {
  if (input_consumed_ || size <= 0) return 0;
  // One datagram per read: OpenSSL's DTLS record layer treats each read as one datagram, so a
  // malformed datagram never swallows the next. Oversized input is truncated (it is invalid).
  size_t n = std::min(input_.size(), static_cast<size_t>(size));
  std::memcpy(out, input_.data(), n);
  input_consumed_ = true;
  return static_cast<int>(n);
}

unsigned int DtlsTransport::OnTimerStarted(unsigned int previous_us) {
  timer_callback_fired_ = true;
  if (previous_us == 0) {
    // A new flight: RFC 6347 §4.2.4.1 initial timer.
    retransmit_timeout_ = kInitialRetransmitTimeout;
    retransmissions_ = 0;
  } else {
    // The outstanding flight timed out and is being retransmitted: back off exponentially.
    retransmit_timeout_ = std::min(retransmit_timeout_ * 2, kMaxRetransmitTimeout);
    ++retransmissions_;
  }
  return static_cast<unsigned int>(retransmit_timeout_.count());
}

int DtlsTransport::OnVerifyPeer(X509_STORE_CTX* store) {
  // Chain errors (self-signed, unknown issuer) are expected in WebRTC; what authenticates the
  // peer is that its end-entity certificate matches the fingerprint from its SDP.
  absl::Status status = CheckPeerFingerprint(X509_STORE_CTX_get0_cert(store));
  if (!status.ok()) {
    verify_failure_ = std::move(status);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

}  // namespace switchyard::transport
