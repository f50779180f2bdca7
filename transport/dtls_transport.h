#ifndef SWITCHYARD_TRANSPORT_DTLS_TRANSPORT_H_
#define SWITCHYARD_TRANSPORT_DTLS_TRANSPORT_H_

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "transport/dtls_record_cipher.h"

namespace switchyard::transport {

// We answer offers with a=setup:passive, which makes us the DTLS server (RFC 5763 §5,
// RFC 8842 §5). kClient only when we offered actpass and the peer's answer says setup:passive.
enum class DtlsRole { kServer, kClient };

// The DTLS-SRTP protection profiles we negotiate (RFC 5764 §4.1.2, RFC 7714 §14.2).
enum class SrtpProfile { kAes128CmSha1_80, kAeadAes128Gcm };

// Master key and salt for one direction, each concatenated as key || salt: the layout libsrtp's
// srtp_policy_t::key expects. kAes128CmSha1_80: 16 + 14 bytes; kAeadAes128Gcm: 16 + 12 bytes.
struct SrtpKeyMaterial {
  SrtpProfile profile = SrtpProfile::kAes128CmSha1_80;
  std::vector<uint8_t> local_master_key_salt;   // Protects what we send.
  std::vector<uint8_t> remote_master_key_salt;  // Verifies what the peer sends.
};

enum class DtlsState { kNew, kConnecting, kConnected, kFailed, kClosed };

// Sans-IO DTLS 1.2 endpoint (RFC 6347) with the use_srtp extension (RFC 5764) for one WebRTC
// transport. It owns no socket and no timer: datagrams come in through HandleDatagram and go out
// through Observer::OnDtlsSendPacket; the caller polls NextTimeout() and calls OnTimer().
// Single-threaded: all methods and callbacks run on the caller's thread. Callbacks must not
// destroy the transport, and OnDtlsSendPacket must not feed anything back into it synchronously
// (queue instead); OnDtlsConnected/Failed/Closed may call Close().
//
// Retransmission and the clock (RFC 6347 §4.2.4): OpenSSL keeps its own retransmission deadline
// and checks it against gettimeofday(); there is no API to make it read another clock or to
// force a retransmission early. We therefore own the schedule: the DTLS_set_timer_cb callback
// supplies OpenSSL's durations (1 s initial, doubling to 60 s) and mirrors each one as a
// deadline on the injected Clock, which is what NextTimeout() reports. OnTimer() first asks
// OpenSSL to retransmit (DTLSv1_handle_timeout; succeeds whenever the injected clock tracks real
// time, i.e. in production, with OpenSSL's 15 ms tolerance for early timers). If OpenSSL
// declines because real time has not caught up with the injected clock (FakeClock in tests, a
// wall-clock step), we resend the last flight's datagrams verbatim. To the peer that is
// indistinguishable from network duplication: it repairs a lost flight, but because the records
// keep their sequence numbers a peer that already got them drops them as replays, so it cannot
// prompt a peer to resend its final flight (only a genuine OpenSSL retransmission can). Caveat
// in the other direction: if real time runs ahead of a stalled event loop, OpenSSL may also
// retransmit on its own while processing an incoming datagram; the callback re-syncs our
// deadline when that happens. A flight is abandoned (kFailed) after kMaxRetransmissions.
class DtlsTransport {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // One UDP datagram (<= kMtu bytes) to send to the peer's selected ICE candidate pair.
    virtual void OnDtlsSendPacket(std::span<const uint8_t> datagram) = 0;
    // Handshake done, peer certificate matched the SDP fingerprint, use_srtp negotiated.
    virtual void OnDtlsConnected(const SrtpKeyMaterial& keys) = 0;
    // Handshake failed (fingerprint mismatch, fatal alert, retransmission limit, no use_srtp).
    virtual void OnDtlsFailed(const absl::Status& why) = 0;
    // The peer sent close_notify (RFC 5246 §7.2.1); we have answered with our own.
    virtual void OnDtlsClosed() = 0;
  };

  // UDP payload budget per datagram: fits the IPv6 minimum MTU (1280) minus IP/UDP headers
  // with room for TURN ChannelData framing, like libwebrtc's 1200-byte packets.
  static constexpr size_t kMtu = 1200;
  static constexpr Duration kInitialRetransmitTimeout = std::chrono::seconds(1);
  static constexpr Duration kMaxRetransmitTimeout = std::chrono::seconds(60);
  static constexpr int kMaxRetransmissions = 7;
  // Datagrams that arrive before Start() are kept (in order) up to this many, then dropped.
  static constexpr size_t kMaxEarlyDatagrams = 16;

  // Borrows `context` (shared SSL_CTX; see DtlsContext), `clock` and `observer`; all must
  // outlive the transport.
  DtlsTransport(const Clock& clock, const DtlsContext& context, Observer& observer);
  // Convenience for tests and tools: builds a private DtlsContext for `certificate` (an SSL_CTX
  // per transport; servers should share a DtlsContext). If that fails, Start returns the error.
  DtlsTransport(const Clock& clock, const Certificate& certificate, Observer& observer);
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Begins the handshake: kServer waits for the ClientHello (and replays any datagrams that
  // arrived earlier), kClient sends its ClientHello now. The peer's certificate must hash to
  // `remote_fingerprint_value` under `remote_fingerprint_algorithm` (from the peer's SDP
  // a=fingerprint, RFC 8122); it is checked as soon as the peer's Certificate message arrives,
  // so a mismatch aborts the handshake with a bad_certificate alert and kFailed, and it is
  // checked again before keys are released. Errors: FailedPrecondition if already started,
  // InvalidArgument for an unsupported algorithm or empty value.
  absl::Status Start(DtlsRole role, std::string remote_fingerprint_algorithm,
                     std::string remote_fingerprint_value);

  // One datagram from the peer whose first byte is in 20..63 (RFC 7983 §7). May be called
  // before Start (Chromium sends its ClientHello as soon as ICE connects, which can precede our
  // applying the SDP). Malformed input never crashes: invalid records are dropped silently as
  // RFC 6347 §4.1.2.7 asks, and as a server that has not sent anything yet, input that OpenSSL
  // treats as fatal just resets the handshake instead of failing the transport. After the
  // handshake, incoming application data (e.g. SCTP) is discarded: Switchyard has no data
  // channels.
  void HandleDatagram(std::span<const uint8_t> datagram);

  // When OnTimer should next be called, or nullopt when no handshake flight awaits an answer.
  std::optional<Timestamp> NextTimeout() const { return deadline_; }
  // Retransmits the outstanding flight if NextTimeout() has passed on the injected clock.
  void OnTimer();

  DtlsState state() const { return state_; }
  DtlsRole role() const { return role_; }

  // Sends close_notify when connected and moves to kClosed (no callback). Idempotent.
  void Close();

  // Frees OpenSSL's connection state (~72 KB: the SSL object with its 16 KB read, write and
  // handshake buffers, session and peer certificate) and keeps only the record keys
  // (DtlsRecordCipher), which is all a WebRTC DTLS connection needs after the handshake: it
  // carries no data (no data channels here) and no renegotiation, only alerts. Afterwards
  // close_notify and fatal alerts are still received and close_notify is still sent by Close().
  //
  // Call it once the peer has proven that it finished the handshake too, i.e. when the first
  // SRTP or SRTCP packet from it authenticates: until then a lost final flight of ours may
  // have to be resent when the peer repeats its own (RFC 6347 §4.2.4), which needs the SSL
  // object. No-op unless kConnected; if the keys cannot be extracted the SSL object is kept.
  void ReleaseHandshakeState();
  bool handshake_state_released() const { return record_cipher_.has_value(); }

 private:
  friend struct DtlsTransportCallbacks;

  void ResetSsl();
  void Drive();
  void ProcessHandshakeResult(int ret);
  void ReadApplicationData();
  void HandleRecordsAfterRelease(std::span<const uint8_t> datagram);
  void SendAlertAfterRelease(uint8_t level, uint8_t description);
  void OnHandshakeComplete();
  void Fail(absl::Status why);
  void FlushOutput(bool is_flight);
  void SendDatagram(std::span<const uint8_t> datagram);
  absl::Status CheckPeerFingerprint(X509* peer_cert) const;

  // Hooks called from the OpenSSL callbacks in the .cc.
  void OnBioWrite(std::span<const uint8_t> record);
  int OnBioRead(uint8_t* out, int size);
  unsigned int OnTimerStarted(unsigned int previous_us);
  int OnVerifyPeer(X509_STORE_CTX* store);

  const Clock& clock_;
  Observer& observer_;
  std::unique_ptr<DtlsContext> owned_context_;  // Only with the Certificate constructor.
  const DtlsContext* context_;                  // Null if owned_context_ creation failed.
  absl::Status context_status_;

  SSL* ssl_ = nullptr;  // Owned (SSL_free); also owns bio_.
  BIO* bio_ = nullptr;  // Both rbio and wbio: hands OpenSSL one datagram per read.
  DtlsState state_ = DtlsState::kNew;
  DtlsRole role_ = DtlsRole::kServer;
  std::string remote_fingerprint_algorithm_;
  std::string remote_fingerprint_value_;
  absl::Status verify_failure_;  // Set by the verify callback on a fingerprint mismatch.

  // Input: the datagram being fed to OpenSSL (not copied; valid during HandleDatagram only).
  std::span<const uint8_t> input_;
  bool input_consumed_ = true;
  std::vector<std::vector<uint8_t>> early_datagrams_;

  // Output: records written by OpenSSL during the current call, packed into datagrams by
  // FlushOutput. last_flight_ keeps the latest handshake flight for verbatim resends.
  std::vector<std::vector<uint8_t>> pending_records_;
  std::vector<std::vector<uint8_t>> last_flight_;
  bool sent_anything_ = false;

  std::optional<Timestamp> deadline_;
  Duration retransmit_timeout_ = kInitialRetransmitTimeout;
  int retransmissions_ = 0;
  bool timer_callback_fired_ = false;

  // Our latest record's epoch and next sequence number, read from the records OpenSSL writes,
  // so that records we protect after ReleaseHandshakeState continue its numbering.
  uint16_t write_epoch_ = 0;
  uint64_t next_write_sequence_ = 0;
  std::optional<DtlsRecordCipher> record_cipher_;  // Set by ReleaseHandshakeState.
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_DTLS_TRANSPORT_H_
