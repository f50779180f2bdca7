// Fuzzes what a DtlsTransport does with datagrams once its SSL object is released
// (DtlsTransport::ReleaseHandshakeState): record splitting (DtlsRecordCipher::NextRecord) and
// authenticated decryption (Open) under each AEAD suite, with keys derived from fixed secrets.
// The first input byte picks the suite; a valid record is also sealed and re-opened so the
// round trip is checked on every input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "transport/dtls_record_cipher.h"

namespace {

using switchyard::transport::DtlsRecordCipher;

const DtlsRecordCipher& Cipher(DtlsRecordCipher::Suite suite, bool client) {
  static std::vector<DtlsRecordCipher>* ciphers = [] {
    auto* all = new std::vector<DtlsRecordCipher>();
    std::array<uint8_t, 48> master{};
    std::array<uint8_t, 32> client_random{};
    std::array<uint8_t, 32> server_random{};
    for (size_t i = 0; i < master.size(); ++i) master[i] = static_cast<uint8_t>(i * 7 + 1);
    for (size_t i = 0; i < 32; ++i) client_random[i] = static_cast<uint8_t>(i);
    for (size_t i = 0; i < 32; ++i) server_random[i] = static_cast<uint8_t>(0xff - i);
    for (auto s : {DtlsRecordCipher::Suite::kAes128Gcm, DtlsRecordCipher::Suite::kAes256Gcm,
                   DtlsRecordCipher::Suite::kChacha20Poly1305}) {
      for (bool is_client : {false, true}) {
        auto c = DtlsRecordCipher::Derive(s, is_client, master, client_random, server_random, 1);
        if (!c.ok()) __builtin_trap();
        all->push_back(*std::move(c));
      }
    }
    return all;
  }();
  return (*ciphers)[static_cast<size_t>(suite) * 2 + (client ? 1 : 0)];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto suite = static_cast<DtlsRecordCipher::Suite>(data[0] % 3);
  const DtlsRecordCipher& server = Cipher(suite, false);
  const DtlsRecordCipher& client = Cipher(suite, true);
  std::span<const uint8_t> rest(data + 1, size - 1);
  std::array<uint8_t, 65536> plain;
  int records = 0;
  while (std::optional<DtlsRecordCipher::Record> record = DtlsRecordCipher::NextRecord(rest, &rest)) {
    (void)server.Open(*record, plain);
    (void)server.Open(*record, std::span<uint8_t>(plain.data(), 2));  // Too small: refused.
    if (++records > 64) break;
  }
  // Round trip: whatever the input, a record sealed by the client opens on the server.
  const size_t payload = std::min<size_t>(size - 1, 1024);
  std::vector<uint8_t> sealed(DtlsRecordCipher::kHeaderSize + 8 + payload + 16);
  const size_t n = client.Seal(23, size, std::span<const uint8_t>(data + 1, payload), sealed);
  if (n == 0) __builtin_trap();
  std::optional<DtlsRecordCipher::Record> record = DtlsRecordCipher::NextRecord(
      std::span<const uint8_t>(sealed.data(), n), nullptr);
  if (!record) __builtin_trap();
  std::optional<size_t> opened = server.Open(*record, plain);
  if (!opened || *opened != payload || std::memcmp(plain.data(), data + 1, payload) != 0) {
    __builtin_trap();
  }
  return 0;
}
