#include "transport/stun_message.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "transport/byte_io.h"

namespace switchyard::transport {
namespace {

constexpr std::array<uint32_t, 256> MakeCrc32Table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32Table = MakeCrc32Table();

// One HMAC-SHA1 context per thread, re-keyed for every use: EVP_MAC_CTX_new/fetch allocate and
// take locks, which we do not want once per connectivity check.
class HmacSha1 {
 public:
  HmacSha1() {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (mac == nullptr) return;
    ctx_ = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    if (ctx_ == nullptr) return;
    char digest[] = "SHA1";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx_, params) != 1) {
      EVP_MAC_CTX_free(ctx_);
      ctx_ = nullptr;
    }
  }
  ~HmacSha1() { EVP_MAC_CTX_free(ctx_); }
  HmacSha1(const HmacSha1&) = delete;
  HmacSha1& operator=(const HmacSha1&) = delete;

  // HMAC(key, a || b). Empty keys are refused: OpenSSL treats a null key as "keep the previous
  // key", which would silently authenticate with another agent's password.
  bool Compute(std::string_view key, std::span<const uint8_t> a, std::span<const uint8_t> b,
               std::array<uint8_t, kStunMessageIntegritySize>& out) {
    if (ctx_ == nullptr || key.empty()) return false;
    if (EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr) != 1) {
      return false;
    }
    if (!a.empty() && EVP_MAC_update(ctx_, a.data(), a.size()) != 1) return false;
    if (!b.empty() && EVP_MAC_update(ctx_, b.data(), b.size()) != 1) return false;
    size_t len = 0;
    if (EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1) return false;
    return len == out.size();
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

HmacSha1& ThreadHmac() {
  thread_local HmacSha1 hmac;
  return hmac;
}

size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(std::string("STUN: ") + std::string(what));
}

// RFC 8489 §14.1/§14.2: family byte then port and address, XORed with the cookie (and, for
// IPv6, the transaction id) when `xored`.
bool DecodeAddress(std::span<const uint8_t> v, bool xored, const StunTransactionId& tid,
                   SocketAddress& out) {
  if (v.size() < 4) return false;
  const uint8_t family = v[1];
  uint16_t port = LoadBe16(&v[2]);
  if (xored) port ^= static_cast<uint16_t>(kStunMagicCookie >> 16);
  if (family == 0x01) {
    if (v.size() != 8) return false;
    uint32_t ip = LoadBe32(&v[4]);
    if (xored) ip ^= kStunMagicCookie;
    out = SocketAddress::FromIpv4(ip, port);
    return true;
  }
  if (family == 0x02) {
    if (v.size() != 20) return false;
    std::array<uint8_t, 16> ip;
    std::memcpy(ip.data(), &v[4], 16);
    if (xored) {
      std::array<uint8_t, 16> mask;
      StoreBe32(mask.data(), kStunMagicCookie);
      std::memcpy(mask.data() + 4, tid.data(), tid.size());
      for (size_t i = 0; i < 16; ++i) ip[i] ^= mask[i];
    }
    out = SocketAddress::FromIpv6(ip, port);
    return true;
  }
  return false;
}

bool IsUnderstoodComprehensionRequired(uint16_t type) {
  switch (type) {
    case kStunAttrMappedAddress:
    case kStunAttrUsername:
    case kStunAttrMessageIntegrity:
    case kStunAttrErrorCode:
    case kStunAttrUnknownAttributes:
    case kStunAttrRealm:
    case kStunAttrNonce:
    case kStunAttrXorMappedAddress:
    case kStunAttrPriority:
    case kStunAttrUseCandidate:
    case kStunAttrChannelNumber:
    case kStunAttrLifetime:
    case kStunAttrXorPeerAddress:
    case kStunAttrData:
    case kStunAttrXorRelayedAddress:
    case kStunAttrRequestedAddressFamily:
    case kStunAttrRequestedTransport:
    case kStunAttrEvenPort:
    case kStunAttrReservationToken:
      return true;
    default:
      return false;
  }
}

}  // namespace

uint32_t StunCrc32(std::span<const uint8_t> data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) c = kCrc32Table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint16_t StunMessageType(StunClass message_class, StunMethod method) {
  const uint16_t m = static_cast<uint16_t>(method) & 0x0FFF;
  const uint16_t c = static_cast<uint16_t>(message_class);
  // M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 Figure 3).
  return static_cast<uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                               ((c & 0x1) << 4) | ((c & 0x2) << 7));
}

StunTransactionId GenerateStunTransactionId() {
  StunTransactionId id{};
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
    // The OpenSSL DRBG does not fail once seeded; an all-zero id would still be a valid (if
    // predictable) id, so there is nothing better to do than carry on.
  }
  return id;
}

absl::StatusOr<StunMessage> StunMessage::Parse(std::span<const uint8_t> data) {
  if (data.size() < kStunHeaderSize) return Malformed("shorter than the header");
  const uint16_t type = LoadBe16(&data[0]);
  if (type & 0xC000) return Malformed("top two bits of the type are not zero");
  const uint16_t length = LoadBe16(&data[2]);
  if (length % 4 != 0) return Malformed("length is not a multiple of 4");
  if (data.size() != kStunHeaderSize + length) return Malformed("length does not match datagram");
  if (LoadBe32(&data[4]) != kStunMagicCookie) return Malformed("bad magic cookie");

  StunMessage msg;
  msg.method_ =
      static_cast<StunMethod>(((type & 0x3E00) >> 2) | ((type & 0x00E0) >> 1) | (type & 0x000F));
  msg.class_ = static_cast<StunClass>(((type & 0x0100) >> 7) | ((type & 0x0010) >> 4));
  std::memcpy(msg.transaction_id_.data(), &data[8], msg.transaction_id_.size());
  msg.raw_.assign(data.begin(), data.end());

  ByteReader reader(data);
  reader.Skip(kStunHeaderSize);
  while (reader.remaining() > 0) {
    if (msg.has_fingerprint_) return Malformed("attribute after FINGERPRINT");
    const size_t attr_offset = reader.position();
    uint16_t attr_type = 0;
    uint16_t attr_len = 0;
    if (!reader.ReadU16(attr_type) || !reader.ReadU16(attr_len)) {
      return Malformed("truncated attribute header");
    }
    std::span<const uint8_t> v;
    if (!reader.ReadBytes(attr_len, v) || !reader.Skip(Padded(attr_len) - attr_len)) {
      return Malformed("attribute overruns the message");
    }
    const size_t value_offset = attr_offset + kStunAttributeHeaderSize;
    if (msg.integrity_offset_ && attr_type != kStunAttrFingerprint &&
        attr_type != kStunAttrMessageIntegritySha256) {
      return Malformed("attribute after MESSAGE-INTEGRITY");
    }
    const Slice slice{static_cast<uint32_t>(value_offset), attr_len};

    switch (attr_type) {
      case kStunAttrUsername:
        if (msg.username_.offset == 0) msg.username_ = slice;
        break;
      case kStunAttrSoftware:
        if (msg.software_.offset == 0) msg.software_ = slice;
        break;
      case kStunAttrRealm:
        if (msg.realm_.offset == 0) msg.realm_ = slice;
        break;
      case kStunAttrNonce:
        if (msg.nonce_.offset == 0) msg.nonce_ = slice;
        break;
      case kStunAttrMessageIntegrity:
        if (attr_len != kStunMessageIntegritySize) return Malformed("bad MESSAGE-INTEGRITY size");
        msg.integrity_offset_ = attr_offset;
        break;
      case kStunAttrFingerprint: {
        if (attr_len != 4) return Malformed("bad FINGERPRINT size");
        // The header length already covers FINGERPRINT, as it must when the CRC is computed.
        const uint32_t expected = StunCrc32(data.first(attr_offset)) ^ kStunFingerprintXor;
        if (LoadBe32(v.data()) != expected) return absl::DataLossError("STUN: bad FINGERPRINT");
        msg.has_fingerprint_ = true;
        break;
      }
      case kStunAttrPriority:
        if (attr_len != 4) return Malformed("bad PRIORITY size");
        if (!msg.priority_) msg.priority_ = LoadBe32(v.data());
        break;
      case kStunAttrUseCandidate:
        if (attr_len != 0) return Malformed("bad USE-CANDIDATE size");
        msg.use_candidate_ = true;
        break;
      case kStunAttrIceControlling:
        if (attr_len != 8) return Malformed("bad ICE-CONTROLLING size");
        if (!msg.ice_controlling_) msg.ice_controlling_ = LoadBe64(v.data());
        break;
      case kStunAttrIceControlled:
        if (attr_len != 8) return Malformed("bad ICE-CONTROLLED size");
        if (!msg.ice_controlled_) msg.ice_controlled_ = LoadBe64(v.data());
        break;
      case kStunAttrXorMappedAddress:
      case kStunAttrMappedAddress: {
        const bool xored = attr_type == kStunAttrXorMappedAddress;
        SocketAddress address;
        if (!DecodeAddress(v, xored, msg.transaction_id_, address)) {
          return Malformed("bad address attribute");
        }
        auto& slot = xored ? msg.xor_mapped_address_ : msg.mapped_address_;
        if (!slot) slot = address;
        break;
      }
      case kStunAttrErrorCode: {
        if (attr_len < 4) return Malformed("ERROR-CODE too short");
        const uint8_t error_class = v[2] & 0x07;
        const uint8_t number = v[3];
        if (error_class < 3 || error_class > 6 || number > 99) return Malformed("bad ERROR-CODE");
        if (!msg.error_code_) {
          msg.error_code_ = static_cast<uint16_t>(error_class * 100 + number);
          msg.error_reason_ =
              Slice{static_cast<uint32_t>(value_offset + 4), static_cast<uint32_t>(attr_len - 4)};
        }
        break;
      }
      case kStunAttrUnknownAttributes:
        if (attr_len % 2 != 0) return Malformed("odd UNKNOWN-ATTRIBUTES size");
        if (msg.unknown_attributes_.empty()) {
          for (size_t i = 0; i + 1 < v.size() && i / 2 < kMaxUnknownAttributes; i += 2) {
            msg.unknown_attributes_.push_back(LoadBe16(&v[i]));
          }
        }
        break;
      default:
        if (attr_type < 0x8000 && !IsUnderstoodComprehensionRequired(attr_type) &&
            msg.unknown_required_.size() < kMaxUnknownAttributes &&
            std::find(msg.unknown_required_.begin(), msg.unknown_required_.end(), attr_type) ==
                msg.unknown_required_.end()) {
          msg.unknown_required_.push_back(attr_type);
        }
        break;
    }
  }
  return msg;
}

std::optional<std::string_view> StunMessage::View(const Slice& s) const {
  if (s.offset == 0) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(raw_.data()) + s.offset, s.size);
}

std::optional<StunErrorCode> StunMessage::error_code() const {
  if (!error_code_) return std::nullopt;
  return StunErrorCode{*error_code_, View(error_reason_).value_or(std::string_view())};
}

std::optional<std::span<const uint8_t>> StunMessage::FindAttribute(uint16_t type) const {
  // raw_ was validated by Parse, so the walk cannot overrun; ByteReader keeps it honest anyway.
  ByteReader reader(bytes());
  reader.Skip(kStunHeaderSize);
  uint16_t t = 0;
  uint16_t len = 0;
  while (reader.ReadU16(t) && reader.ReadU16(len)) {
    std::span<const uint8_t> v;
    if (!reader.ReadBytes(len, v)) return std::nullopt;
    if (t == type) return v;
    if (!reader.Skip(Padded(len) - len)) return std::nullopt;
  }
  return std::nullopt;
}

size_t StunMessage::ForEachAttribute(
    uint16_t type, const std::function<void(std::span<const uint8_t>)>& visit) const {
  ByteReader reader(bytes());
  reader.Skip(kStunHeaderSize);
  uint16_t t = 0;
  uint16_t len = 0;
  size_t count = 0;
  while (reader.ReadU16(t) && reader.ReadU16(len)) {
    if (t == kStunAttrMessageIntegrity || t == kStunAttrMessageIntegritySha256) break;
    std::span<const uint8_t> v;
    if (!reader.ReadBytes(len, v)) break;
    if (t == type) {
      ++count;
      visit(v);
    }
    if (!reader.Skip(Padded(len) - len)) break;
  }
  return count;
}

std::optional<SocketAddress> StunMessage::DecodeXorAddress(std::span<const uint8_t> value) const {
  SocketAddress address;
  if (!DecodeAddress(value, /*xored=*/true, transaction_id_, address)) return std::nullopt;
  return address;
}

bool StunMessage::VerifyMessageIntegrity(std::string_view key) const {
  if (!integrity_offset_) return false;
  const size_t mi = *integrity_offset_;
  const std::span<const uint8_t> all = bytes();
  // The HMAC covers the header with its length set as if MESSAGE-INTEGRITY were the last
  // attribute (RFC 8489 §14.5), so a FINGERPRINT added after it does not change the HMAC.
  std::array<uint8_t, kStunHeaderSize> header;
  std::memcpy(header.data(), all.data(), header.size());
  StoreBe16(&header[2], static_cast<uint16_t>(mi + kStunAttributeHeaderSize +
                                              kStunMessageIntegritySize - kStunHeaderSize));
  std::array<uint8_t, kStunMessageIntegritySize> mac;
  if (!ThreadHmac().Compute(key, header, all.subspan(kStunHeaderSize, mi - kStunHeaderSize), mac)) {
    return false;
  }
  return CRYPTO_memcmp(mac.data(), all.data() + mi + kStunAttributeHeaderSize, mac.size()) == 0;
}

size_t AppendStunIntegrityAndFingerprint(std::span<uint8_t> buffer, size_t message_size,
                                         std::optional<std::string_view> integrity_key,
                                         bool add_fingerprint) {
  if (message_size < kStunHeaderSize || message_size > buffer.size() ||
      (message_size - kStunHeaderSize) % 4 != 0) {
    return 0;
  }
  if (integrity_key && integrity_key->empty()) return 0;
  const size_t needed = message_size + (integrity_key ? 4 + kStunMessageIntegritySize : 0) +
                        (add_fingerprint ? 8 : 0);
  if (needed > buffer.size() || needed > kStunMaxMessageSize) return 0;

  size_t size = message_size;
  if (integrity_key) {
    StoreBe16(&buffer[2],
              static_cast<uint16_t>(size + 4 + kStunMessageIntegritySize - kStunHeaderSize));
    std::array<uint8_t, kStunMessageIntegritySize> mac;
    if (!ThreadHmac().Compute(*integrity_key, buffer.first(size), {}, mac)) return 0;
    StoreBe16(&buffer[size], kStunAttrMessageIntegrity);
    StoreBe16(&buffer[size + 2], kStunMessageIntegritySize);
    std::memcpy(&buffer[size + 4], mac.data(), mac.size());
    size += 4 + kStunMessageIntegritySize;
  }
  if (add_fingerprint) {
    StoreBe16(&buffer[2], static_cast<uint16_t>(size + 8 - kStunHeaderSize));
    const uint32_t crc = StunCrc32(buffer.first(size)) ^ kStunFingerprintXor;
    StoreBe16(&buffer[size], kStunAttrFingerprint);
    StoreBe16(&buffer[size + 2], 4);
    StoreBe32(&buffer[size + 4], crc);
    size += 8;
  }
  StoreBe16(&buffer[2], static_cast<uint16_t>(size - kStunHeaderSize));
  return size;
}

StunMessageBuilder::StunMessageBuilder(StunClass message_class, StunMethod method,
                                       const StunTransactionId& transaction_id) {
  buffer_.resize(kStunHeaderSize);
  StoreBe16(&buffer_[0], StunMessageType(message_class, method));
  StoreBe16(&buffer_[2], 0);
  StoreBe32(&buffer_[4], kStunMagicCookie);
  std::memcpy(&buffer_[8], transaction_id.data(), transaction_id.size());
}

uint8_t* StunMessageBuilder::AppendAttributeHeader(uint16_t type, size_t value_size) {
  // Leave room for MESSAGE-INTEGRITY and FINGERPRINT so a builder that is ok() always
  // serializes.
  constexpr size_t kTrailer = 4 + kStunMessageIntegritySize + 8;
  const size_t total = kStunAttributeHeaderSize + Padded(value_size);
  if (!ok_ || value_size > 0xFFFF || buffer_.size() + total + kTrailer > kStunMaxMessageSize) {
    ok_ = false;
    return nullptr;
  }
  const size_t at = buffer_.size();
  buffer_.resize(at + total, 0);  // zero padding
  StoreBe16(&buffer_[at], type);
  StoreBe16(&buffer_[at + 2], static_cast<uint16_t>(value_size));
  StoreBe16(&buffer_[2], static_cast<uint16_t>(buffer_.size() - kStunHeaderSize));
  return buffer_.data() + at + kStunAttributeHeaderSize;
}

StunMessageBuilder& StunMessageBuilder::AddAttribute(uint16_t type,
                                                     std::span<const uint8_t> value) {
  uint8_t* p = AppendAttributeHeader(type, value.size());
  if (p != nullptr && !value.empty()) std::memcpy(p, value.data(), value.size());
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddXorMappedAddress(const SocketAddress& address) {
  return AddXorAddress(kStunAttrXorMappedAddress, address);
}

StunMessageBuilder& StunMessageBuilder::AddUint32(uint16_t type, uint32_t value) {
  uint8_t v[4];
  StoreBe32(v, value);
  return AddAttribute(type, v);
}

StunMessageBuilder& StunMessageBuilder::AddXorAddress(uint16_t type, const SocketAddress& address) {
  if (address.empty()) return *this;
  const bool v4 = address.is_ipv4();
  uint8_t* p = AppendAttributeHeader(type, v4 ? 8 : 20);
  if (p == nullptr) return *this;
  p[0] = 0;
  p[1] = v4 ? 0x01 : 0x02;
  StoreBe16(p + 2, address.port() ^ static_cast<uint16_t>(kStunMagicCookie >> 16));
  if (v4) {
    StoreBe32(p + 4, address.ipv4_host_order() ^ kStunMagicCookie);
  } else {
    std::array<uint8_t, 16> mask;
    StoreBe32(mask.data(), kStunMagicCookie);
    std::memcpy(mask.data() + 4, &buffer_[8], 12);  // transaction id from the header
    for (size_t i = 0; i < 16; ++i) p[4 + i] = address.ip_bytes()[i] ^ mask[i];
  }
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddUsername(std::string_view username) {
  return AddAttribute(kStunAttrUsername,
                      {reinterpret_cast<const uint8_t*>(username.data()), username.size()});
}

StunMessageBuilder& StunMessageBuilder::AddSoftware(std::string_view software) {
  return AddAttribute(kStunAttrSoftware,
                      {reinterpret_cast<const uint8_t*>(software.data()), software.size()});
}

StunMessageBuilder& StunMessageBuilder::AddPriority(uint32_t priority) {
  if (uint8_t* p = AppendAttributeHeader(kStunAttrPriority, 4)) StoreBe32(p, priority);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddUseCandidate() {
  AppendAttributeHeader(kStunAttrUseCandidate, 0);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddIceControlling(uint64_t tiebreaker) {
  if (uint8_t* p = AppendAttributeHeader(kStunAttrIceControlling, 8)) StoreBe64(p, tiebreaker);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddIceControlled(uint64_t tiebreaker) {
  if (uint8_t* p = AppendAttributeHeader(kStunAttrIceControlled, 8)) StoreBe64(p, tiebreaker);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddErrorCode(uint16_t code, std::string_view reason) {
  if (code < 300 || code > 699) {
    ok_ = false;
    return *this;
  }
  reason = reason.substr(0, 763);
  uint8_t* p = AppendAttributeHeader(kStunAttrErrorCode, 4 + reason.size());
  if (p == nullptr) return *this;
  p[0] = 0;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(code / 100);
  p[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddUnknownAttributes(std::span<const uint16_t> types) {
  uint8_t* p = AppendAttributeHeader(kStunAttrUnknownAttributes, types.size() * 2);
  if (p == nullptr) return *this;
  for (size_t i = 0; i < types.size(); ++i) StoreBe16(p + 2 * i, types[i]);
  return *this;
}

size_t StunMessageBuilder::SerializedSize(bool with_integrity, bool add_fingerprint) const {
  return buffer_.size() + (with_integrity ? 4 + kStunMessageIntegritySize : 0) +
         (add_fingerprint ? 8 : 0);
}

size_t StunMessageBuilder::SerializeTo(std::span<uint8_t> out,
                                       std::optional<std::string_view> integrity_key,
                                       bool add_fingerprint) const {
  if (!ok_ || out.size() < SerializedSize(integrity_key.has_value(), add_fingerprint)) return 0;
  std::memcpy(out.data(), buffer_.data(), buffer_.size());
  return AppendStunIntegrityAndFingerprint(out, buffer_.size(), integrity_key, add_fingerprint);
}

absl::StatusOr<std::vector<uint8_t>> StunMessageBuilder::Serialize(
    std::optional<std::string_view> integrity_key, bool add_fingerprint) const {
  if (!ok_) return absl::InvalidArgumentError("STUN: builder holds an unrepresentable attribute");
  if (integrity_key && integrity_key->empty()) {
    return absl::InvalidArgumentError("STUN: empty MESSAGE-INTEGRITY key");
  }
  std::vector<uint8_t> out(SerializedSize(integrity_key.has_value(), add_fingerprint));
  const size_t n = SerializeTo(out, integrity_key, add_fingerprint);
  if (n == 0) return absl::InternalError("STUN: serialization failed");
  out.resize(n);
  return out;
}

}  // namespace switchyard::transport
