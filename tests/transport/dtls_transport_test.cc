#include "transport/dtls_transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transport/byte_io.h"
#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"

namespace switchyard::transport {
namespace {

using Datagram = std::vector<uint8_t>;

constexpr size_t kRecordHeader = 13;     // RFC 6347 §4.1
constexpr size_t kHandshakeHeader = 12;  // RFC 6347 §4.2.2

class RecordingObserver : public DtlsTransport::Observer {
 public:
  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override {
    outbox.emplace_back(datagram.begin(), datagram.end());
    ++sent_total;
  }
  void OnDtlsConnected(const SrtpKeyMaterial& k) override { keys = k; }
  void OnDtlsFailed(const absl::Status& why) override { failure = why; }
  void OnDtlsClosed() override { closed = true; }

  std::vector<Datagram> TakeOutbox() { return std::exchange(outbox, {}); }

  std::vector<Datagram> outbox;
  size_t sent_total = 0;
  std::optional<SrtpKeyMaterial> keys;
  std::optional<absl::Status> failure;
  bool closed = false;
};

// Certificates are slow-ish to generate; share them across the suite.
class DtlsTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_cert_ = Certificate::GenerateEcdsaP256("server").value().release();
    client_cert_ = Certificate::GenerateEcdsaP256("client").value().release();
    other_cert_ = Certificate::GenerateEcdsaP256("other").value().release();
  }
  static void TearDownTestSuite() {
    delete server_cert_;
    delete client_cert_;
    delete other_cert_;
  }

  void SetUp() override {
    server_context_ = DtlsContext::Create(*server_cert_).value();
    server_ = std::make_unique<DtlsTransport>(clock_, *server_context_, server_obs_);
    client_ = std::make_unique<DtlsTransport>(clock_, *client_cert_, client_obs_);
  }

  void StartBoth() {
    ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
    ASSERT_TRUE(client_->Start(DtlsRole::kClient, "sha-256", server_cert_->Fingerprint()).ok());
  }

  // Delivers queued datagrams both ways until both outboxes are empty. `filter` may drop (return
  // false) or edit datagrams; it sees (from_client, datagram).
  void Pump(const std::function<bool(bool, Datagram&)>& filter = nullptr) {
    for (int round = 0; round < 50; ++round) {
      std::vector<Datagram> from_client = client_obs_.TakeOutbox();
      std::vector<Datagram> from_server = server_obs_.TakeOutbox();
      if (from_client.empty() && from_server.empty()) return;
      for (Datagram& d : from_client) {
        EXPECT_LE(d.size(), DtlsTransport::kMtu);
        if (!filter || filter(true, d)) server_->HandleDatagram(d);
      }
      for (Datagram& d : from_server) {
        EXPECT_LE(d.size(), DtlsTransport::kMtu);
        if (!filter || filter(false, d)) client_->HandleDatagram(d);
      }
    }
    ADD_FAILURE() << "handshake did not settle";
  }

  void ExpectConnectedWithMirroredKeys() {
    ASSERT_EQ(server_->state(), DtlsState::kConnected);
    ASSERT_EQ(client_->state(), DtlsState::kConnected);
    ASSERT_TRUE(server_obs_.keys.has_value());
    ASSERT_TRUE(client_obs_.keys.has_value());
    EXPECT_EQ(server_obs_.keys->profile, client_obs_.keys->profile);
    EXPECT_EQ(server_obs_.keys->local_master_key_salt, client_obs_.keys->remote_master_key_salt);
    EXPECT_EQ(server_obs_.keys->remote_master_key_salt, client_obs_.keys->local_master_key_salt);
    EXPECT_NE(server_obs_.keys->local_master_key_salt, server_obs_.keys->remote_master_key_salt);
    EXPECT_FALSE(server_->NextTimeout().has_value());
    EXPECT_FALSE(client_->NextTimeout().has_value());
  }

  static inline Certificate* server_cert_ = nullptr;
  static inline Certificate* client_cert_ = nullptr;
  static inline Certificate* other_cert_ = nullptr;

  FakeClock clock_;
  RecordingObserver server_obs_;
  RecordingObserver client_obs_;
  std::unique_ptr<DtlsContext> server_context_;
  std::unique_ptr<DtlsTransport> server_;
  std::unique_ptr<DtlsTransport> client_;
};

TEST_F(DtlsTransportTest, HandshakeDerivesMirroredGcmKeys) {
  EXPECT_EQ(server_->state(), DtlsState::kNew);
  StartBoth();
  EXPECT_EQ(server_->state(), DtlsState::kConnecting);
  EXPECT_EQ(client_obs_.outbox.size(), 1u);  // ClientHello sent by Start(kClient).
  EXPECT_TRUE(client_->NextTimeout().has_value());
  EXPECT_TRUE(server_obs_.outbox.empty());
  Pump();
  ExpectConnectedWithMirroredKeys();
  // Both offer GCM first, and the server's order decides.
  EXPECT_EQ(server_obs_.keys->profile, SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(server_obs_.keys->local_master_key_salt.size(), 16u + 12u);
  EXPECT_FALSE(server_obs_.failure.has_value());
  EXPECT_FALSE(client_obs_.failure.has_value());
}

TEST_F(DtlsTransportTest, FingerprintAlgorithmAndValueAreCaseInsensitive) {
  std::string lower = client_cert_->Fingerprint();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "SHA-256", lower).ok());
  auto sha512 = ComputeFingerprint(server_cert_->x509(), "sha-512");
  ASSERT_TRUE(sha512.ok());
  ASSERT_TRUE(client_->Start(DtlsRole::kClient, "sha-512", *sha512).ok());
  Pump();
  ExpectConnectedWithMirroredKeys();
}

TEST_F(DtlsTransportTest, StartValidatesArguments) {
  EXPECT_EQ(server_->Start(DtlsRole::kServer, "md5", "AB").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->Start(DtlsRole::kServer, "sha-256", "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->state(), DtlsState::kNew);
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  EXPECT_EQ(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DtlsTransportTest, ServerRefusesClientWithWrongFingerprint) {
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", other_cert_->Fingerprint()).ok());
  ASSERT_TRUE(client_->Start(DtlsRole::kClient, "sha-256", server_cert_->Fingerprint()).ok());
  Pump();
  EXPECT_EQ(server_->state(), DtlsState::kFailed);
  ASSERT_TRUE(server_obs_.failure.has_value());
  EXPECT_EQ(server_obs_.failure->code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(server_obs_.keys.has_value());
  // The server's bad_certificate alert stops the client before it derives keys.
  EXPECT_EQ(client_->state(), DtlsState::kFailed);
  EXPECT_FALSE(client_obs_.keys.has_value());
}

TEST_F(DtlsTransportTest, ClientRefusesServerWithWrongFingerprint) {
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  ASSERT_TRUE(client_->Start(DtlsRole::kClient, "sha-256", other_cert_->Fingerprint()).ok());
  Pump();
  EXPECT_EQ(client_->state(), DtlsState::kFailed);
  ASSERT_TRUE(client_obs_.failure.has_value());
  EXPECT_EQ(client_obs_.failure->code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(client_obs_.keys.has_value());
  EXPECT_FALSE(server_obs_.keys.has_value());
  EXPECT_EQ(server_->state(), DtlsState::kFailed);
}

// Splits a single-record ClientHello datagram into two datagrams, each one record carrying one
// handshake fragment (RFC 6347 §4.2.3), like Chromium's 1200 + 263 byte ClientHello.
std::vector<Datagram> SplitClientHello(const Datagram& datagram, size_t split,
                                       uint64_t second_record_seq) {
  EXPECT_GE(datagram.size(), kRecordHeader + kHandshakeHeader);
  EXPECT_EQ(datagram[0], 22);                                // handshake record
  EXPECT_EQ(LoadBe16(&datagram[11]) + kRecordHeader, datagram.size());  // one record
  const uint8_t* hs = &datagram[kRecordHeader];
  EXPECT_EQ(hs[0], 1);  // client_hello
  uint32_t body_len = LoadBe24(hs + 1);
  EXPECT_EQ(LoadBe24(hs + 6), 0u);         // fragment_offset
  EXPECT_EQ(LoadBe24(hs + 9), body_len);   // unfragmented
  EXPECT_LT(split, body_len);
  const uint8_t* body = hs + kHandshakeHeader;

  auto make = [&](uint32_t offset, uint32_t length, uint64_t seq) {
    Datagram out(kRecordHeader + kHandshakeHeader + length);
    std::memcpy(out.data(), datagram.data(), kRecordHeader);
    StoreBe16(&out[5], static_cast<uint16_t>(seq >> 32));
    StoreBe32(&out[7], static_cast<uint32_t>(seq));
    StoreBe16(&out[11], static_cast<uint16_t>(kHandshakeHeader + length));
    std::memcpy(&out[kRecordHeader], hs, 6);  // type, total length, message_seq
    StoreBe24(&out[kRecordHeader + 6], offset);
    StoreBe24(&out[kRecordHeader + 9], length);
    std::memcpy(&out[kRecordHeader + kHandshakeHeader], body + offset, length);
    return out;
  };
  uint64_t first_seq = (uint64_t{LoadBe16(&datagram[5])} << 32) | LoadBe32(&datagram[7]);
  return {make(0, static_cast<uint32_t>(split), first_seq),
          make(static_cast<uint32_t>(split), static_cast<uint32_t>(body_len - split),
               second_record_seq)};
}

class DtlsFragmentTest : public DtlsTransportTest, public ::testing::WithParamInterface<bool> {};

TEST_P(DtlsFragmentTest, FragmentedClientHelloIsReassembled) {
  const bool reversed = GetParam();
  StartBoth();
  std::vector<Datagram> hello = client_obs_.TakeOutbox();
  ASSERT_EQ(hello.size(), 1u);
  size_t body_len = LoadBe24(&hello[0][kRecordHeader + 1]);
  // The second fragment gets a record number well above the client's later epoch-0 records
  // (1..4) but within the 64-record replay window, so those still get through.
  std::vector<Datagram> parts = SplitClientHello(hello[0], body_len / 2, 32);
  if (reversed) std::swap(parts[0], parts[1]);
  server_->HandleDatagram(parts[0]);
  EXPECT_TRUE(server_obs_.outbox.empty()) << "server answered half a ClientHello";
  server_->HandleDatagram(parts[1]);
  EXPECT_FALSE(server_obs_.outbox.empty());
  Pump();
  ExpectConnectedWithMirroredKeys();
}

INSTANTIATE_TEST_SUITE_P(InOrderAndReversed, DtlsFragmentTest, ::testing::Bool());

TEST_F(DtlsTransportTest, DroppedServerFlightIsRetransmittedOnTimer) {
  StartBoth();
  std::vector<Datagram> dropped;
  server_->HandleDatagram(client_obs_.TakeOutbox().at(0));
  dropped = server_obs_.TakeOutbox();
  ASSERT_FALSE(dropped.empty());
  ASSERT_TRUE(server_->NextTimeout().has_value());
  EXPECT_EQ(*server_->NextTimeout(), clock_.Now() + DtlsTransport::kInitialRetransmitTimeout);

  // Too early: nothing happens.
  clock_.Advance(DtlsTransport::kInitialRetransmitTimeout / 2);
  server_->OnTimer();
  EXPECT_TRUE(server_obs_.outbox.empty());

  clock_.Set(*server_->NextTimeout());
  server_->OnTimer();
  std::vector<Datagram> resent = server_obs_.TakeOutbox();
  EXPECT_EQ(resent.size(), dropped.size());
  // Backed off: the next deadline is twice the initial timeout away.
  ASSERT_TRUE(server_->NextTimeout().has_value());
  EXPECT_EQ(*server_->NextTimeout(), clock_.Now() + 2 * DtlsTransport::kInitialRetransmitTimeout);

  for (const Datagram& d : resent) client_->HandleDatagram(d);
  Pump();
  ExpectConnectedWithMirroredKeys();
}

TEST_F(DtlsTransportTest, DroppedClientHelloIsRetransmittedOnTimer) {
  StartBoth();
  client_obs_.TakeOutbox();  // Lost.
  ASSERT_TRUE(client_->NextTimeout().has_value());
  clock_.Set(*client_->NextTimeout());
  client_->OnTimer();
  EXPECT_EQ(client_obs_.outbox.size(), 1u);
  Pump();
  ExpectConnectedWithMirroredKeys();
}

TEST_F(DtlsTransportTest, GivesUpAfterMaxRetransmissions) {
  StartBoth();
  int timer_rounds = 0;
  while (client_->NextTimeout().has_value() && timer_rounds < 100) {
    client_obs_.TakeOutbox();  // Every flight is lost.
    clock_.Set(*client_->NextTimeout());
    client_->OnTimer();
    ++timer_rounds;
  }
  EXPECT_EQ(timer_rounds, DtlsTransport::kMaxRetransmissions + 1);
  EXPECT_EQ(client_->state(), DtlsState::kFailed);
  ASSERT_TRUE(client_obs_.failure.has_value());
  EXPECT_EQ(client_obs_.failure->code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(DtlsTransportTest, GarbageDoesNotBreakLaterHandshake) {
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  // Random-ish bytes in the DTLS first-byte range, a truncated record header, a record whose
  // length field lies, and a well-formed record carrying a nonsense handshake message.
  std::vector<Datagram> garbage = {
      {20},
      {22, 0xfe, 0xfd, 0, 0},
      {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 1, 2, 3},
      {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4},
      {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 9, 9,
       9, 9},
      {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 14, 11, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0,
       2, 9, 9},
  };
  Datagram noise(300);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 37 + 20);
  garbage.push_back(noise);
  for (const Datagram& g : garbage) server_->HandleDatagram(g);
  EXPECT_EQ(server_->state(), DtlsState::kConnecting);
  EXPECT_TRUE(server_obs_.outbox.empty()) << "answered garbage";
  EXPECT_FALSE(server_obs_.failure.has_value());

  ASSERT_TRUE(client_->Start(DtlsRole::kClient, "sha-256", server_cert_->Fingerprint()).ok());
  Pump();
  ExpectConnectedWithMirroredKeys();

  // Garbage after the handshake is dropped too.
  for (const Datagram& g : garbage) {
    server_->HandleDatagram(g);
    client_->HandleDatagram(g);
  }
  EXPECT_EQ(server_->state(), DtlsState::kConnected);
  EXPECT_EQ(client_->state(), DtlsState::kConnected);
}

TEST_F(DtlsTransportTest, MutatedClientHellosNeverCrash) {
  StartBoth();
  const Datagram hello = client_obs_.TakeOutbox().at(0);
  uint32_t rng = 12345;
  auto next = [&rng] {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
  };
  for (int i = 0; i < 300; ++i) {
    RecordingObserver obs;
    DtlsTransport server(clock_, *server_context_, obs);
    ASSERT_TRUE(server.Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
    Datagram mutated = hello;
    for (uint32_t flips = 1 + next() % 4; flips > 0; --flips) {
      mutated[next() % mutated.size()] ^= static_cast<uint8_t>(1 + next() % 255);
    }
    if (next() % 4 == 0) mutated.resize(next() % mutated.size());
    server.HandleDatagram(mutated);
    server.HandleDatagram(hello);  // Whatever happened, a later datagram is handled sanely too.
    EXPECT_NE(server.state(), DtlsState::kConnected);
  }
}

TEST_F(DtlsTransportTest, ClientHelloBeforeStartIsBuffered) {
  ASSERT_TRUE(client_->Start(DtlsRole::kClient, "sha-256", server_cert_->Fingerprint()).ok());
  for (const Datagram& d : client_obs_.TakeOutbox()) server_->HandleDatagram(d);
  EXPECT_EQ(server_->state(), DtlsState::kNew);
  EXPECT_TRUE(server_obs_.outbox.empty());
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  EXPECT_FALSE(server_obs_.outbox.empty());  // Answered the buffered ClientHello.
  Pump();
  ExpectConnectedWithMirroredKeys();
}

TEST_F(DtlsTransportTest, CloseNotifyReachesPeer) {
  StartBoth();
  Pump();
  ExpectConnectedWithMirroredKeys();
  client_->Close();
  EXPECT_EQ(client_->state(), DtlsState::kClosed);
  ASSERT_EQ(client_obs_.outbox.size(), 1u);  // The close_notify alert (record type 21).
  EXPECT_EQ(client_obs_.outbox[0][0], 21);
  Pump();
  EXPECT_TRUE(server_obs_.closed);
  EXPECT_EQ(server_->state(), DtlsState::kClosed);
  EXPECT_FALSE(client_obs_.closed);  // Local Close reports nothing.
  client_->Close();                  // Idempotent.
  EXPECT_EQ(client_->state(), DtlsState::kClosed);
}

// The production path: with a clock that tracks real time, OnTimer makes OpenSSL itself
// retransmit (fresh record sequence numbers). That is what repairs a lost final flight: the
// server only resends its ChangeCipherSpec/Finished when it sees the client's flight again, and
// a verbatim copy would be discarded by its replay window. Sleeps ~1 s (the initial timeout).
TEST_F(DtlsTransportTest, LostFinalFlightIsRecoveredWithRealClock) {
  SteadyClock steady;
  server_ = std::make_unique<DtlsTransport>(steady, *server_context_, server_obs_);
  client_ = std::make_unique<DtlsTransport>(steady, *client_cert_, client_obs_);
  StartBoth();
  bool dropped = false;
  Pump([&](bool from_client, Datagram&) {
    if (!from_client && server_->state() == DtlsState::kConnected && !dropped) {
      dropped = true;  // The server's last flight (ChangeCipherSpec + Finished), once.
      return false;
    }
    return true;
  });
  ASSERT_TRUE(dropped);
  EXPECT_EQ(server_->state(), DtlsState::kConnected);
  ASSERT_EQ(client_->state(), DtlsState::kConnecting);
  ASSERT_TRUE(client_->NextTimeout().has_value());
  std::this_thread::sleep_until(*client_->NextTimeout() + std::chrono::milliseconds(1));
  client_->OnTimer();
  ASSERT_FALSE(client_obs_.outbox.empty());
  Pump();
  ExpectConnectedWithMirroredKeys();
}

// A raw OpenSSL DTLS client, to check interop details our own client cannot produce.
class RawClient {
 public:
  RawClient(const Certificate& cert, const char* srtp_profiles) {
    ctx_ = SSL_CTX_new(DTLS_client_method());
    SSL_CTX_use_certificate(ctx_, cert.x509());
    SSL_CTX_use_PrivateKey(ctx_, cert.private_key());
    if (srtp_profiles != nullptr) SSL_CTX_set_tlsext_use_srtp(ctx_, srtp_profiles);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(ssl_, 1200);
    SSL_set_connect_state(ssl_);
  }
  ~RawClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  // Feeds one datagram (or none) and returns what the client wrote, as one datagram.
  std::vector<Datagram> Step(const Datagram* in) {
    if (in != nullptr) BIO_write(rbio_, in->data(), static_cast<int>(in->size()));
    SSL_do_handshake(ssl_);
    ERR_clear_error();
    std::vector<Datagram> out;
    char* data = nullptr;
    long len = BIO_get_mem_data(wbio_, &data);
    if (len > 0) out.emplace_back(data, data + len);
    (void)BIO_reset(wbio_);
    return out;
  }
  bool connected() const { return SSL_is_init_finished(ssl_); }
  SSL* ssl() { return ssl_; }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* rbio_;
  BIO* wbio_;
};

void HandshakeWithRawClient(RawClient& raw, DtlsTransport& server, RecordingObserver& obs) {
  std::vector<Datagram> to_server = raw.Step(nullptr);
  for (int round = 0; round < 20 && !to_server.empty(); ++round) {
    for (const Datagram& d : to_server) server.HandleDatagram(d);
    to_server.clear();
    for (const Datagram& d : obs.TakeOutbox()) {
      for (Datagram& out : raw.Step(&d)) to_server.push_back(std::move(out));
    }
  }
}

TEST_F(DtlsTransportTest, ServerPrefersGcmEvenWhenClientListsItLast) {
  RawClient raw(*client_cert_, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM");
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  HandshakeWithRawClient(raw, *server_, server_obs_);
  ASSERT_TRUE(raw.connected());
  ASSERT_EQ(server_->state(), DtlsState::kConnected);
  EXPECT_EQ(server_obs_.keys->profile, SrtpProfile::kAeadAes128Gcm);
  const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(raw.ssl());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->id, static_cast<unsigned long>(SRTP_AEAD_AES_128_GCM));
}

TEST_F(DtlsTransportTest, CmProfileKeysFollowRfc5764Layout) {
  RawClient raw(*client_cert_, "SRTP_AES128_CM_SHA1_80");
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  HandshakeWithRawClient(raw, *server_, server_obs_);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(server_obs_.keys.has_value());
  EXPECT_EQ(server_obs_.keys->profile, SrtpProfile::kAes128CmSha1_80);

  // client_key(16) server_key(16) client_salt(14) server_salt(14), exported by the peer.
  uint8_t material[60];
  ASSERT_EQ(SSL_export_keying_material(raw.ssl(), material, sizeof(material),
                                       "EXTRACTOR-dtls_srtp", 19, nullptr, 0, 0),
            1);
  Datagram client_write(material, material + 16);
  client_write.insert(client_write.end(), material + 32, material + 46);
  Datagram server_write(material + 16, material + 32);
  server_write.insert(server_write.end(), material + 46, material + 60);
  EXPECT_EQ(server_obs_.keys->local_master_key_salt, server_write);
  EXPECT_EQ(server_obs_.keys->remote_master_key_salt, client_write);
}

TEST_F(DtlsTransportTest, ClientWithoutUseSrtpFails) {
  RawClient raw(*client_cert_, nullptr);  // No use_srtp extension.
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  HandshakeWithRawClient(raw, *server_, server_obs_);
  EXPECT_EQ(server_->state(), DtlsState::kFailed);
  ASSERT_TRUE(server_obs_.failure.has_value());
  EXPECT_EQ(server_obs_.failure->code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(server_obs_.keys.has_value());
}

// Appends a supported_versions extension offering DTLS 1.3 (0xFEFC) and 1.2 (0xFEFD), as a
// DTLS 1.3 capable Chromium does, to an unfragmented single-record ClientHello.
Datagram AddDtls13SupportedVersions(const Datagram& hello) {
  const uint8_t ext[] = {0x00, 0x2b, 0x00, 0x05, 0x04, 0xfe, 0xfc, 0xfe, 0xfd};
  Datagram out = hello;
  size_t body = kRecordHeader + kHandshakeHeader;
  size_t pos = body + 2 + 32;              // client_version, random
  pos += 1 + out[pos];                     // session_id
  pos += 1 + out[pos];                     // cookie
  pos += 2 + LoadBe16(&out[pos]);          // cipher_suites
  pos += 1 + out[pos];                     // compression_methods
  size_t ext_len_pos = pos;
  EXPECT_EQ(ext_len_pos + 2 + LoadBe16(&out[ext_len_pos]), out.size());
  out.insert(out.end(), ext, ext + sizeof(ext));
  StoreBe16(&out[ext_len_pos], static_cast<uint16_t>(LoadBe16(&out[ext_len_pos]) + sizeof(ext)));
  uint32_t body_len = LoadBe24(&out[kRecordHeader + 1]) + sizeof(ext);
  StoreBe24(&out[kRecordHeader + 1], body_len);
  StoreBe24(&out[kRecordHeader + 9], body_len);
  StoreBe16(&out[11], static_cast<uint16_t>(LoadBe16(&out[11]) + sizeof(ext)));
  return out;
}

TEST_F(DtlsTransportTest, Dtls13OfferGetsCleanDtls12ServerHello) {
  StartBoth();
  std::vector<Datagram> hello = client_obs_.TakeOutbox();
  ASSERT_EQ(hello.size(), 1u);
  server_->HandleDatagram(AddDtls13SupportedVersions(hello[0]));
  std::vector<Datagram> flight = server_obs_.TakeOutbox();
  ASSERT_FALSE(flight.empty());
  const Datagram& d = flight[0];
  ASSERT_GT(d.size(), kRecordHeader + kHandshakeHeader + 2 + 32 + 1);
  EXPECT_EQ(d[0], 22);
  const uint8_t* sh = &d[kRecordHeader];
  ASSERT_EQ(sh[0], 2);  // server_hello
  const uint8_t* body = sh + kHandshakeHeader;
  EXPECT_EQ(LoadBe16(body), 0xfefd);  // DTLS 1.2
  // No RFC 8446 §4.1.3 downgrade sentinel ("DOWNGRD" + 0/1) in the last 8 bytes of random,
  // which a DTLS 1.3 client would reject.
  EXPECT_NE(std::memcmp(body + 2 + 24, "DOWNGRD", 7), 0);
  // And no supported_versions extension in the ServerHello.
  size_t pos = 2 + 32;
  pos += 1 + body[pos];  // session_id
  pos += 2 + 1;          // cipher_suite, compression_method
  size_t sh_len = LoadBe24(sh + 1);
  ASSERT_LE(pos + 2, sh_len);
  size_t ext_end = pos + 2 + LoadBe16(body + pos);
  ASSERT_LE(ext_end, sh_len);
  for (pos += 2; pos + 4 <= ext_end; pos += 4 + LoadBe16(body + pos + 2)) {
    EXPECT_NE(LoadBe16(body + pos), 0x002b) << "supported_versions in a DTLS 1.2 ServerHello";
  }
  EXPECT_EQ(server_->state(), DtlsState::kConnecting);
}

// After ReleaseHandshakeState the SSL object is gone and our DtlsRecordCipher protects and
// checks the alerts; OpenSSL on the other side is the oracle, for each AEAD suite we allow.
class DtlsReleaseTest : public DtlsTransportTest,
                        public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    DtlsTransportTest::SetUp();
    client_context_ = DtlsContext::Create(*client_cert_).value();
    ASSERT_EQ(SSL_CTX_set_cipher_list(client_context_->ssl_ctx(), GetParam()), 1);
    client_ = std::make_unique<DtlsTransport>(clock_, *client_context_, client_obs_);
    StartBoth();
    Pump();
    ExpectConnectedWithMirroredKeys();
  }
  std::unique_ptr<DtlsContext> client_context_;
};

TEST_P(DtlsReleaseTest, ReleasedServerReceivesAndAnswersCloseNotify) {
  server_->ReleaseHandshakeState();
  ASSERT_TRUE(server_->handshake_state_released());
  server_->ReleaseHandshakeState();  // Idempotent.
  EXPECT_EQ(server_->state(), DtlsState::kConnected);
  client_->Close();
  std::vector<Datagram> close_notify = client_obs_.TakeOutbox();
  ASSERT_EQ(close_notify.size(), 1u);
  Datagram tampered = close_notify[0];
  tampered.back() ^= 0x80;
  server_->HandleDatagram(tampered);  // Fails authentication: silently ignored.
  EXPECT_FALSE(server_obs_.closed);
  EXPECT_EQ(server_->state(), DtlsState::kConnected);
  server_->HandleDatagram(close_notify[0]);
  EXPECT_TRUE(server_obs_.closed);
  EXPECT_EQ(server_->state(), DtlsState::kClosed);
  ASSERT_EQ(server_obs_.outbox.size(), 1u);  // Our close_notify in reply.
  EXPECT_EQ(server_obs_.outbox[0][0], 21);
}

TEST_P(DtlsReleaseTest, ReleasedServerSendsCloseNotifyOpenSslAccepts) {
  server_->ReleaseHandshakeState();
  ASSERT_TRUE(server_->handshake_state_released());
  server_->Close();
  EXPECT_EQ(server_->state(), DtlsState::kClosed);
  std::vector<Datagram> out = server_obs_.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  // OpenSSL authenticates it and finds a fresh sequence number (its replay window would drop
  // a record numbered like our Finished).
  client_->HandleDatagram(out[0]);
  EXPECT_TRUE(client_obs_.closed);
  EXPECT_EQ(client_->state(), DtlsState::kClosed);
}

TEST_P(DtlsReleaseTest, BothReleasedStillCloseCleanly) {
  server_->ReleaseHandshakeState();
  client_->ReleaseHandshakeState();  // Our client role derives the mirrored keys.
  ASSERT_TRUE(client_->handshake_state_released());
  client_->Close();
  Pump();
  EXPECT_TRUE(server_obs_.closed);
  EXPECT_EQ(server_->state(), DtlsState::kClosed);
  EXPECT_FALSE(client_obs_.closed);  // Already closed locally: the reply changes nothing.
}

INSTANTIATE_TEST_SUITE_P(AeadSuites, DtlsReleaseTest,
                         ::testing::Values("ECDHE-ECDSA-AES128-GCM-SHA256",
                                           "ECDHE-ECDSA-AES256-GCM-SHA384",
                                           "ECDHE-ECDSA-CHACHA20-POLY1305"));

TEST_F(DtlsTransportTest, ReleaseBeforeConnectedDoesNothing) {
  server_->ReleaseHandshakeState();
  EXPECT_FALSE(server_->handshake_state_released());
  StartBoth();
  server_->ReleaseHandshakeState();
  EXPECT_FALSE(server_->handshake_state_released());
  Pump();
  ExpectConnectedWithMirroredKeys();
}

TEST_F(DtlsTransportTest, ReleasedServerFailsOnFatalAlert) {
  RawClient raw(*client_cert_, "SRTP_AEAD_AES_128_GCM");
  ASSERT_TRUE(server_->Start(DtlsRole::kServer, "sha-256", client_cert_->Fingerprint()).ok());
  HandshakeWithRawClient(raw, *server_, server_obs_);
  ASSERT_TRUE(raw.connected());
  ASSERT_EQ(server_->state(), DtlsState::kConnected);
  server_->ReleaseHandshakeState();
  ASSERT_TRUE(server_->handshake_state_released());
  // The raw client's keys, extracted the same way, seal what OpenSSL has no API to send.
  absl::StatusOr<DtlsRecordCipher> client_keys = DtlsRecordCipher::FromFinishedHandshake(raw.ssl(), 1);
  ASSERT_TRUE(client_keys.ok()) << client_keys.status();
  std::array<uint8_t, 64> record{};
  const uint8_t warning[2] = {1, 90};  // user_canceled: a warning, ignored.
  size_t n = client_keys->Seal(21, 100, warning, record);
  ASSERT_GT(n, 0u);
  server_->HandleDatagram(std::span<const uint8_t>(record.data(), n));
  EXPECT_EQ(server_->state(), DtlsState::kConnected);
  const uint8_t fatal[2] = {2, 40};  // handshake_failure
  n = client_keys->Seal(21, 101, fatal, record);
  server_->HandleDatagram(std::span<const uint8_t>(record.data(), n));
  EXPECT_EQ(server_->state(), DtlsState::kFailed);
  ASSERT_TRUE(server_obs_.failure.has_value());
  EXPECT_THAT(std::string(server_obs_.failure->message()), ::testing::HasSubstr("fatal alert 40"));
}

}  // namespace
}  // namespace switchyard::transport
