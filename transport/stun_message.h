#ifndef SWITCHYARD_TRANSPORT_STUN_MESSAGE_H_
#define SWITCHYARD_TRANSPORT_STUN_MESSAGE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "transport/socket_address.h"

namespace switchyard::transport {

// STUN (RFC 8489) message codec: just enough of STUN for ICE connectivity checks (RFC 8445 §7)
// today, shaped so TURN (RFC 8656) methods and attributes can be added without redesign.

inline constexpr uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr size_t kStunHeaderSize = 20;
inline constexpr size_t kStunAttributeHeaderSize = 4;
// The FINGERPRINT CRC-32 is XORed with this so it differs from CRCs of other protocols that
// might share the port (RFC 8489 §14.7).
inline constexpr uint32_t kStunFingerprintXor = 0x5354554e;
inline constexpr size_t kStunMessageIntegritySize = 20;  // HMAC-SHA1 (RFC 8489 §14.5)
// Largest message the 16-bit length field can describe.
inline constexpr size_t kStunMaxMessageSize = kStunHeaderSize + 0xFFFF;

// Attribute types (RFC 8489 §18.3, RFC 8445 §16.1). Types below 0x8000 are
// comprehension-required: a request carrying one we do not understand gets a 420.
inline constexpr uint16_t kStunAttrMappedAddress = 0x0001;
inline constexpr uint16_t kStunAttrUsername = 0x0006;
inline constexpr uint16_t kStunAttrMessageIntegrity = 0x0008;
inline constexpr uint16_t kStunAttrErrorCode = 0x0009;
inline constexpr uint16_t kStunAttrUnknownAttributes = 0x000A;
inline constexpr uint16_t kStunAttrRealm = 0x0014;
inline constexpr uint16_t kStunAttrNonce = 0x0015;
inline constexpr uint16_t kStunAttrMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kStunAttrXorMappedAddress = 0x0020;
inline constexpr uint16_t kStunAttrPriority = 0x0024;
inline constexpr uint16_t kStunAttrUseCandidate = 0x0025;
// TURN (RFC 8656 §18).
inline constexpr uint16_t kStunAttrChannelNumber = 0x000C;
inline constexpr uint16_t kStunAttrLifetime = 0x000D;
inline constexpr uint16_t kStunAttrXorPeerAddress = 0x0012;
inline constexpr uint16_t kStunAttrData = 0x0013;
inline constexpr uint16_t kStunAttrXorRelayedAddress = 0x0016;
inline constexpr uint16_t kStunAttrRequestedAddressFamily = 0x0017;
inline constexpr uint16_t kStunAttrEvenPort = 0x0018;
inline constexpr uint16_t kStunAttrRequestedTransport = 0x0019;
inline constexpr uint16_t kStunAttrDontFragment = 0x001A;
inline constexpr uint16_t kStunAttrReservationToken = 0x0022;
// Comprehension-optional (>= 0x8000): ignored when not understood.
inline constexpr uint16_t kStunAttrSoftware = 0x8022;
inline constexpr uint16_t kStunAttrAlternateServer = 0x8023;
inline constexpr uint16_t kStunAttrFingerprint = 0x8028;
inline constexpr uint16_t kStunAttrIceControlled = 0x8029;
inline constexpr uint16_t kStunAttrIceControlling = 0x802A;
// Sent by Chromium on its checks; comprehension-optional, we never interpret them.
inline constexpr uint16_t kStunAttrGoogNetworkInfo = 0xC057;
inline constexpr uint16_t kStunAttrGoogLastIceCheckReceived = 0xC058;
inline constexpr uint16_t kStunAttrGoogMiscInfo = 0xC059;

// Error codes used by ICE (RFC 8489 §14.8, RFC 8445 §7.3.1.1).
inline constexpr uint16_t kStunErrorBadRequest = 400;
inline constexpr uint16_t kStunErrorUnauthenticated = 401;
inline constexpr uint16_t kStunErrorUnknownAttribute = 420;
inline constexpr uint16_t kStunErrorRoleConflict = 487;
inline constexpr uint16_t kStunErrorServerError = 500;
// Long-term credentials (RFC 8489 §9.2) and TURN (RFC 8656 §18).
inline constexpr uint16_t kStunErrorForbidden = 403;
inline constexpr uint16_t kStunErrorAllocationMismatch = 437;
inline constexpr uint16_t kStunErrorStaleNonce = 438;
inline constexpr uint16_t kStunErrorAddressFamilyNotSupported = 440;
inline constexpr uint16_t kStunErrorWrongCredentials = 441;
inline constexpr uint16_t kStunErrorUnsupportedTransport = 442;
inline constexpr uint16_t kStunErrorPeerAddressFamilyMismatch = 443;
inline constexpr uint16_t kStunErrorAllocationQuotaReached = 486;
inline constexpr uint16_t kStunErrorInsufficientCapacity = 508;

// The two class bits of the message type (RFC 8489 §5).
enum class StunClass : uint8_t {
  kRequest = 0b00,
  kIndication = 0b01,
  kSuccessResponse = 0b10,
  kErrorResponse = 0b11,
};

// The 12-bit method. Any 12-bit value can be held (parsing does not reject unknown methods;
// the consumer decides).
enum class StunMethod : uint16_t {
  kBinding = 0x001,
  // TURN (RFC 8656 §18).
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
};

using StunTransactionId = std::array<uint8_t, 12>;

// Interleaves method and class bits into the 14-bit message type (RFC 8489 §5, Figure 3).
uint16_t StunMessageType(StunClass message_class, StunMethod method);
// Cryptographically random transaction id (RFC 8489 §5: must be uniformly random).
StunTransactionId GenerateStunTransactionId();

struct StunErrorCode {
  uint16_t code = 0;        // 300..699
  std::string_view reason;  // views into the owning StunMessage
};

// A parsed, structurally validated STUN message.
//
// Ownership: the message keeps its own copy of the datagram bytes (inline for messages up to
// kInlineBytes, which covers every browser connectivity check, so parsing a check does not
// allocate). string_view/span accessors point into that copy and live as long as the message;
// moving or copying a message invalidates views taken from the old object.
class StunMessage {
 public:
  static constexpr size_t kInlineBytes = 256;
  // At most this many unknown comprehension-required attribute types are recorded (and echoed
  // in a 420's UNKNOWN-ATTRIBUTES); more are a sign of garbage and the list is truncated.
  static constexpr size_t kMaxUnknownAttributes = 16;

  // Validates and indexes `data` (one whole datagram):
  // - header: top two bits zero, magic cookie, length a multiple of 4 and equal to the bytes
  //   that follow the header (RFC 8489 §6.3);
  // - attributes: each fits with its padding; known attributes have their defined sizes and
  //   valid contents (address family, error class);
  // - MESSAGE-INTEGRITY: only MESSAGE-INTEGRITY-SHA256 or FINGERPRINT may follow it. RFC 8489
  //   §14.5 says other followers are to be ignored; we reject instead, since no ICE agent sends
  //   them and unauthenticated trailing attributes must never be acted on;
  // - FINGERPRINT: if present it is the last attribute and its CRC matches.
  // For repeated attributes the first occurrence wins (RFC 8489 §14).
  // Errors: kInvalidArgument for malformed messages, kDataLoss for a FINGERPRINT mismatch
  // (well-formed but not STUN, or corrupted: RFC 8489 §7.3 says silently discard).
  static absl::StatusOr<StunMessage> Parse(std::span<const uint8_t> data);

  StunClass message_class() const { return class_; }
  StunMethod method() const { return method_; }
  uint16_t message_type() const { return StunMessageType(class_, method_); }
  const StunTransactionId& transaction_id() const { return transaction_id_; }
  // The whole message as received.
  std::span<const uint8_t> bytes() const { return {raw_.data(), raw_.size()}; }

  std::optional<std::string_view> username() const { return View(username_); }
  std::optional<std::string_view> software() const { return View(software_); }
  std::optional<std::string_view> realm() const { return View(realm_); }
  std::optional<std::string_view> nonce() const { return View(nonce_); }
  std::optional<uint32_t> priority() const { return priority_; }
  bool use_candidate() const { return use_candidate_; }
  // Tiebreaker values (RFC 8445 §7.1.3).
  std::optional<uint64_t> ice_controlling() const { return ice_controlling_; }
  std::optional<uint64_t> ice_controlled() const { return ice_controlled_; }
  const std::optional<SocketAddress>& xor_mapped_address() const { return xor_mapped_address_; }
  const std::optional<SocketAddress>& mapped_address() const { return mapped_address_; }
  std::optional<StunErrorCode> error_code() const;
  // Contents of an UNKNOWN-ATTRIBUTES attribute (in a 420 response we received).
  std::span<const uint16_t> unknown_attributes() const {
    return {unknown_attributes_.data(), unknown_attributes_.size()};
  }
  // Comprehension-required attribute types present in this message that this codec does not
  // understand (RFC 8489 §6.3.1: a request with any gets a 420 listing them).
  std::span<const uint16_t> unknown_comprehension_required() const {
    return {unknown_required_.data(), unknown_required_.size()};
  }
  bool has_message_integrity() const { return integrity_offset_.has_value(); }
  bool has_fingerprint() const { return has_fingerprint_; }

  // Value of the first attribute of `type`, for attributes without a typed accessor.
  std::optional<std::span<const uint8_t>> FindAttribute(uint16_t type) const;
  // Every attribute of `type` in order (CreatePermission may carry several XOR-PEER-ADDRESS),
  // up to and excluding MESSAGE-INTEGRITY. Returns how many there were.
  size_t ForEachAttribute(uint16_t type,
                          const std::function<void(std::span<const uint8_t>)>& visit) const;
  // An XOR-encoded address attribute's value (XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS) decoded
  // with this message's transaction id; nullopt if malformed.
  std::optional<SocketAddress> DecodeXorAddress(std::span<const uint8_t> value) const;

  // RFC 8489 §14.5: HMAC-SHA1 keyed with `key` over the message up to MESSAGE-INTEGRITY, with
  // the header length field rewritten to end just after MESSAGE-INTEGRITY. For the short-term
  // credential mechanism (ICE) the key is the password as-is (RFC 8489 §9.1.2). Constant-time
  // comparison. False when there is no MESSAGE-INTEGRITY or `key` is empty.
  bool VerifyMessageIntegrity(std::string_view key) const;

 private:
  struct Slice {
    uint32_t offset = 0;  // from the start of the message; 0 = absent (values start at >= 24)
    uint32_t size = 0;
  };
  std::optional<std::string_view> View(const Slice& s) const;

  StunClass class_ = StunClass::kRequest;
  StunMethod method_ = StunMethod::kBinding;
  StunTransactionId transaction_id_{};
  absl::InlinedVector<uint8_t, kInlineBytes> raw_;

  Slice username_;
  Slice software_;
  Slice realm_;
  Slice nonce_;
  Slice error_reason_;
  std::optional<uint16_t> error_code_;
  std::optional<uint32_t> priority_;
  bool use_candidate_ = false;
  bool has_fingerprint_ = false;
  std::optional<uint64_t> ice_controlling_;
  std::optional<uint64_t> ice_controlled_;
  std::optional<SocketAddress> xor_mapped_address_;
  std::optional<SocketAddress> mapped_address_;
  std::optional<size_t> integrity_offset_;  // offset of the MESSAGE-INTEGRITY attribute header
  absl::InlinedVector<uint16_t, 4> unknown_attributes_;
  absl::InlinedVector<uint16_t, 4> unknown_required_;
};

// Builds one STUN message. Attributes are appended in call order into an inline buffer (no
// heap allocation for messages up to kInlineBytes, i.e. any ICE response), then serialized
// with optional MESSAGE-INTEGRITY and FINGERPRINT. Padding bytes are zero. The builder can be
// serialized several times (e.g. with different keys).
class StunMessageBuilder {
 public:
  static constexpr size_t kInlineBytes = 256;

  StunMessageBuilder(StunClass message_class, StunMethod method,
                     const StunTransactionId& transaction_id);

  // XOR-MAPPED-ADDRESS (RFC 8489 §14.2), IPv4 or IPv6. An empty address is ignored.
  StunMessageBuilder& AddXorMappedAddress(const SocketAddress& address);
  // The same encoding under another type (XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS: RFC 8656).
  StunMessageBuilder& AddXorAddress(uint16_t type, const SocketAddress& address);
  // A 32-bit big-endian value (LIFETIME, REQUESTED-TRANSPORT's protocol byte + RFFU, ...).
  StunMessageBuilder& AddUint32(uint16_t type, uint32_t value);
  StunMessageBuilder& AddUsername(std::string_view username);
  StunMessageBuilder& AddPriority(uint32_t priority);
  StunMessageBuilder& AddUseCandidate();
  StunMessageBuilder& AddIceControlling(uint64_t tiebreaker);
  StunMessageBuilder& AddIceControlled(uint64_t tiebreaker);
  // `code` must be 300..699 (else the builder fails); `reason` is truncated to 763 bytes
  // (RFC 8489 §14.8: fewer than 128 characters, at most 763 bytes).
  StunMessageBuilder& AddErrorCode(uint16_t code, std::string_view reason);
  StunMessageBuilder& AddUnknownAttributes(std::span<const uint16_t> types);
  StunMessageBuilder& AddSoftware(std::string_view software);
  // Any attribute, value as given (padding added). For tests and future attributes.
  StunMessageBuilder& AddAttribute(uint16_t type, std::span<const uint8_t> value);

  // False once an Add* could not be represented (value > 65535 bytes, message too long, bad
  // error code); Serialize* then fail.
  bool ok() const { return ok_; }

  // Writes the message into `out`, appending MESSAGE-INTEGRITY keyed with `integrity_key` (if
  // given; must be non-empty) and then FINGERPRINT (if `add_fingerprint`). Returns the number of
  // bytes written, or 0 when `out` is too small or the builder is not ok(). Allocation-free.
  size_t SerializeTo(std::span<uint8_t> out, std::optional<std::string_view> integrity_key,
                     bool add_fingerprint) const;
  // Same, into a new vector (control path).
  absl::StatusOr<std::vector<uint8_t>> Serialize(std::optional<std::string_view> integrity_key,
                                                 bool add_fingerprint) const;

  // Size SerializeTo will need.
  size_t SerializedSize(bool with_integrity, bool add_fingerprint) const;

 private:
  uint8_t* AppendAttributeHeader(uint16_t type, size_t value_size);

  absl::InlinedVector<uint8_t, kInlineBytes> buffer_;
  bool ok_ = true;
};

// Low-level finishing step shared by the builder and tests: `buffer[0, message_size)` holds a
// STUN header plus attributes (message_size - 20 a multiple of 4; the header length field is
// rewritten). Appends MESSAGE-INTEGRITY keyed with `integrity_key` (if given, non-empty) and
// FINGERPRINT (if `add_fingerprint`) after it, per RFC 8489 §14.5/§14.7, and returns the new
// message size, or 0 when the buffer is too small or the input is not a plausible message.
size_t AppendStunIntegrityAndFingerprint(std::span<uint8_t> buffer, size_t message_size,
                                         std::optional<std::string_view> integrity_key,
                                         bool add_fingerprint);

// CRC-32 (ISO-HDLC, as used by FINGERPRINT before the XOR). Exposed for tests.
uint32_t StunCrc32(std::span<const uint8_t> data);

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_STUN_MESSAGE_H_
