// Fuzzes a server-side DtlsTransport (our record buffering, handshake-reset and OpenSSL's DTLS
// parsing under it) with datagrams as they would arrive from the network. The input is split
// into datagrams by a 2-byte length prefix per datagram.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "transport/certificate.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"
#include "transport/dtls_transport.h"

namespace {

using namespace switchyard::transport;

class NullObserver final : public DtlsTransport::Observer {
 public:
  void OnDtlsSendPacket(std::span<const uint8_t>) override {}
  void OnDtlsConnected(const SrtpKeyMaterial&) override {}
  void OnDtlsFailed(const absl::Status&) override {}
  void OnDtlsClosed() override {}
};

std::unique_ptr<Certificate> GenerateOrDie();

const DtlsContext& Context() {
  static const auto* certificate = GenerateOrDie().release();
  static const auto* context = DtlsContext::Create(*certificate)->release();
  return *context;
}

std::unique_ptr<Certificate> GenerateOrDie() {
  auto certificate = Certificate::GenerateEcdsaP256("fuzz");
  if (!certificate.ok()) __builtin_trap();
  return std::move(*certificate);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FakeClock clock;
  NullObserver observer;
  DtlsTransport dtls(clock, Context(), observer);
  // Half the inputs arrive before Start (exercises the early-datagram buffer).
  const bool start_first = size > 0 && (data[0] & 1);
  if (start_first) {
    (void)dtls.Start(DtlsRole::kServer, "sha-256",
                     "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:"
                     "33:44:55:66:77:88:99");
  }
  size_t pos = size > 0 ? 1 : 0;
  while (pos + 2 <= size) {
    const size_t len = std::min<size_t>((size_t{data[pos]} << 8) | data[pos + 1], size - pos - 2);
    pos += 2;
    dtls.HandleDatagram(std::span<const uint8_t>(data + pos, len));
    pos += len;
    clock.Advance(std::chrono::milliseconds(10));
    if (auto t = dtls.NextTimeout(); t && *t <= clock.Now()) dtls.OnTimer();
  }
  if (!start_first) {
    (void)dtls.Start(DtlsRole::kServer, "sha-256", "00");
  }
  return 0;
}
