#include "api/access_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace switchyard::api {
namespace {

constexpr char kRejectReasonPayloadUrl[] = "type.switchyard.dev/TokenRejectReason";
constexpr size_t kHs256Bytes = 32;
// Our claims nest two levels; foreign tokens may carry deeper metadata, which we skip. The
// bound keeps recursion on hostile input shallow.
constexpr int kMaxJsonDepth = 16;

constexpr std::array<std::string_view, kTokenRejectReasonCount> kReasonNames = {
    "malformed",     "too_large", "bad_algorithm", "unknown_key",
    "bad_signature", "expired",   "not_yet_valid", "invalid_claims"};

absl::Status Reject(TokenRejectReason reason, std::string_view detail) {
  absl::Status status(absl::StatusCode::kUnauthenticated,
                      absl::StrCat("token rejected: ", std::string(TokenRejectReasonName(reason)),
                                   ": ", std::string(detail)));
  status.SetPayload(kRejectReasonPayloadUrl,
                    absl::Cord(std::string(TokenRejectReasonName(reason))));
  return status;
}

// Length of the well-formed UTF-8 sequence starting at text[pos] with a non-ASCII byte
// (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view text, size_t pos) {
  const size_t left = text.size() - pos;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const auto cont = [&](size_t i) { return i < left && (byte(i) & 0xC0) == 0x80; };
  const uint8_t b0 = byte(0);
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;
    return 4;
  }
  return 0;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t length = Utf8SequenceLength(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

// A small strict JSON (RFC 8259) reader for JWT headers and claim sets. Objects keep their
// members in order; duplicate names are rejected because RFC 7519 §4 lets a parser either
// reject them or take the last one, and a verifier that disagrees with the issuer about which
// one counts is a privilege-escalation bug.
struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kObject, kArray };
  Type type = Type::kNull;
  bool boolean = false;
  bool is_integer = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  std::vector<std::pair<std::string, std::unique_ptr<JsonValue>>> members;
  std::vector<std::unique_ptr<JsonValue>> elements;

  const JsonValue* Find(std::string_view name) const {
    for (const auto& [key, value] : members) {
      if (key == name) return value.get();
    }
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  // The whole text as one JSON object; nullopt on any syntax error or trailing data.
  std::unique_ptr<JsonValue> ReadObjectDocument() {
    auto value = std::make_unique<JsonValue>();
    SkipSpace();
    if (Peek() != '{' || !ReadValue(*value, 0)) return nullptr;
    SkipSpace();
    if (pos_ != text_.size()) return nullptr;
    return value;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool AtEnd() const { return pos_ >= text_.size(); }

  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                        text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  bool ReadValue(JsonValue& out, int depth) {
    if (depth > kMaxJsonDepth) return false;
    SkipSpace();
    switch (Peek()) {
      case '{':
        return ReadObject(out, depth);
      case '[':
        return ReadArray(out, depth);
      case '"':
        out.type = JsonValue::Type::kString;
        return ReadString(out.string);
      case 't':
        out.type = JsonValue::Type::kBool;
        out.boolean = true;
        return Consume("true");
      case 'f':
        out.type = JsonValue::Type::kBool;
        out.boolean = false;
        return Consume("false");
      case 'n':
        out.type = JsonValue::Type::kNull;
        return Consume("null");
      default:
        return ReadNumber(out);
    }
  }

  bool ReadObject(JsonValue& out, int depth) {
    out.type = JsonValue::Type::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      std::string name;
      if (Peek() != '"' || !ReadString(name)) return false;
      if (out.Find(name) != nullptr) return false;
      SkipSpace();
      if (Peek() != ':') return false;
      ++pos_;
      auto value = std::make_unique<JsonValue>();
      if (!ReadValue(*value, depth + 1)) return false;
      out.members.emplace_back(std::move(name), std::move(value));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  bool ReadArray(JsonValue& out, int depth) {
    out.type = JsonValue::Type::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      auto value = std::make_unique<JsonValue>();
      if (!ReadValue(*value, depth + 1)) return false;
      out.elements.push_back(std::move(value));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  static void AppendUtf8(uint32_t code_point, std::string& out) {
    if (code_point < 0x80) {
      out.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
      out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
  }

  bool ReadHex4(uint32_t& out) {
    if (text_.size() - pos_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      out = (out << 4) | digit;
    }
    return true;
  }

  bool ReadString(std::string& out) {
    ++pos_;  // '"'
    while (true) {
      if (AtEnd()) return false;
      const char c = text_[pos_];
      const auto uc = static_cast<uint8_t>(c);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (uc < 0x20) return false;  // RFC 8259 §7: control characters must be escaped
      if (uc >= 0x80) {
        const size_t length = Utf8SequenceLength(text_, pos_);
        if (length == 0) return false;
        out.append(text_.substr(pos_, length));
        pos_ += length;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) return false;
      const char escape = text_[pos_++];
      switch (escape) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t unit;
          if (!ReadHex4(unit)) return false;
          if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // lone low surrogate
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            uint32_t low;
            if (!Consume("\\u") || !ReadHex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return false;
            }
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(unit, out);
          break;
        }
        default:
          return false;
      }
    }
  }

  // RFC 8259 §6 grammar exactly: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ReadNumber(JsonValue& out) {
    const size_t start = pos_;
    const auto digits = [&] {
      const size_t from = pos_;
      while (!AtEnd() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return false;
    }
    bool integral = true;
    if (Peek() == '.') {
      ++pos_;
      if (digits() == 0) return false;
      integral = false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (digits() == 0) return false;
      integral = false;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    out.type = JsonValue::Type::kNumber;
    if (integral) {
      auto [end, error] = std::from_chars(first, last, out.integer);
      if (error == std::errc() && end == last) {
        out.is_integer = true;
        out.number = static_cast<double>(out.integer);
        return true;
      }
    }
    auto [end, error] = std::from_chars(first, last, out.number);
    // Out-of-range numbers are valid JSON; they just fail the claim-type checks later.
    if (error == std::errc::result_out_of_range) {
      out.number = HUGE_VAL;
      return true;
    }
    return error == std::errc() && end == last;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void AppendJsonString(std::string_view value, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : value) {
    const auto uc = static_cast<uint8_t>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (uc < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[uc >> 4]);
      out.push_back(kHex[uc & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  // HMAC() accepts a zero-length key; callers reject empty secrets before getting here.
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &digest_length);
  if (result == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(digest), digest_length);
}

// The three parts of a compact JWS (RFC 7515 §7.1), still encoded.
struct CompactJws {
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
  std::string_view signing_input;  // "<header_b64>.<payload_b64>"
};

std::optional<CompactJws> SplitCompact(std::string_view token) {
  const size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  CompactJws jws;
  jws.header_b64 = token.substr(0, first);
  jws.payload_b64 = token.substr(first + 1, second - first - 1);
  jws.signature_b64 = token.substr(second + 1);
  jws.signing_input = token.substr(0, second);
  if (jws.header_b64.empty() || jws.payload_b64.empty()) return std::nullopt;
  return jws;
}

// Decodes and checks the header: a JSON object with "alg" exactly "HS256" (RFC 7515 §4.1.1;
// RFC 8725 §3.1: never let the token pick a weaker algorithm, and never "none"). "typ", when
// present, must be "JWT" (RFC 7519 §5.1). Returns the "kid" (possibly empty).
absl::StatusOr<std::string> CheckHeader(std::string_view header_b64) {
  const std::optional<std::string> header_json = Base64UrlDecode(header_b64);
  if (!header_json) return Reject(TokenRejectReason::kMalformed, "header is not base64url");
  const std::unique_ptr<JsonValue> header = JsonReader(*header_json).ReadObjectDocument();
  if (!header) return Reject(TokenRejectReason::kMalformed, "header is not a JSON object");
  const JsonValue* alg = header->Find("alg");
  if (alg == nullptr || alg->type != JsonValue::Type::kString) {
    return Reject(TokenRejectReason::kMalformed, "header has no \"alg\"");
  }
  if (alg->string != "HS256") {
    std::string shown = alg->string.substr(0, 16);
    for (char& c : shown) {
      if (static_cast<uint8_t>(c) < 0x20 || static_cast<uint8_t>(c) >= 0x7F) c = '?';
    }
    return Reject(TokenRejectReason::kBadAlgorithm,
                  absl::StrCat("alg \"", shown, "\" is not HS256"));
  }
  if (const JsonValue* typ = header->Find("typ");
      typ != nullptr && (typ->type != JsonValue::Type::kString || typ->string != "JWT")) {
    return Reject(TokenRejectReason::kMalformed, "header typ is not JWT");
  }
  // RFC 7515 §4.1.11: we understand no extensions, so a token that demands one is refused.
  if (header->Find("crit") != nullptr) {
    return Reject(TokenRejectReason::kMalformed, "header has unsupported \"crit\"");
  }
  const JsonValue* kid = header->Find("kid");
  if (kid == nullptr) return std::string();
  if (kid->type != JsonValue::Type::kString) {
    return Reject(TokenRejectReason::kMalformed, "header kid is not a string");
  }
  return kid->string;
}

absl::Status CheckSignature(const CompactJws& jws, std::string_view secret) {
  const std::optional<std::string> signature = Base64UrlDecode(jws.signature_b64);
  if (!signature) return Reject(TokenRejectReason::kMalformed, "signature is not base64url");
  if (secret.empty()) return Reject(TokenRejectReason::kBadSignature, "no secret");
  const std::string expected = HmacSha256(secret, jws.signing_input);
  // Constant time so that timing reveals nothing about how much of a forged signature matched.
  if (expected.size() != kHs256Bytes || signature->size() != kHs256Bytes ||
      CRYPTO_memcmp(expected.data(), signature->data(), kHs256Bytes) != 0) {
    return Reject(TokenRejectReason::kBadSignature, "signature mismatch");
  }
  return absl::OkStatus();
}

// Reads an optional string claim; false when present with another type.
bool ReadString(const JsonValue& object, std::string_view name, std::string& out) {
  const JsonValue* value = object.Find(name);
  if (value == nullptr || value->type == JsonValue::Type::kNull) return true;
  if (value->type != JsonValue::Type::kString) return false;
  out = value->string;
  return true;
}

bool ReadBool(const JsonValue& object, std::string_view name, std::optional<bool>& out) {
  const JsonValue* value = object.Find(name);
  if (value == nullptr || value->type == JsonValue::Type::kNull) return true;
  if (value->type != JsonValue::Type::kBool) return false;
  out = value->boolean;
  return true;
}

// RFC 7519 §2 NumericDate: seconds since the epoch, possibly fractional; we keep whole seconds
// (floor) and refuse negatives and values beyond year ~292e9 that cannot be int64 seconds.
bool ReadNumericDate(const JsonValue& object, std::string_view name,
                     std::optional<int64_t>& out) {
  const JsonValue* value = object.Find(name);
  if (value == nullptr || value->type == JsonValue::Type::kNull) return true;
  if (value->type != JsonValue::Type::kNumber) return false;
  if (value->is_integer) {
    if (value->integer < 0) return false;
    out = value->integer;
    return true;
  }
  if (!std::isfinite(value->number) || value->number < 0 || value->number >= 9.0e18) {
    return false;
  }
  out = static_cast<int64_t>(std::floor(value->number));
  return true;
}

absl::StatusOr<AccessTokenClaims> ParseClaims(const JsonValue& payload) {
  const auto malformed = [](std::string_view claim) {
    return Reject(TokenRejectReason::kMalformed,
                  absl::StrCat("claim \"", std::string(claim), "\" has the wrong type"));
  };
  AccessTokenClaims claims;
  if (!ReadString(payload, "iss", claims.api_key)) return malformed("iss");
  if (!ReadString(payload, "sub", claims.identity)) return malformed("sub");
  if (!ReadString(payload, "name", claims.name)) return malformed("name");
  if (!ReadString(payload, "jti", claims.jwt_id)) return malformed("jti");
  if (!ReadString(payload, "sha256", claims.sha256)) return malformed("sha256");
  std::optional<int64_t> nbf, exp;
  if (!ReadNumericDate(payload, "nbf", nbf)) return malformed("nbf");
  if (!ReadNumericDate(payload, "exp", exp)) return malformed("exp");
  // A token that never expires cannot be revoked by waiting; LiveKit refuses them too.
  if (!exp) return Reject(TokenRejectReason::kMalformed, "claim \"exp\" is missing");
  claims.expires_at = *exp;
  claims.not_before = nbf.value_or(0);

  VideoGrant& grant = claims.video;
  const JsonValue* video = payload.Find("video");
  if (video != nullptr && video->type != JsonValue::Type::kNull) {
    if (video->type != JsonValue::Type::kObject) return malformed("video");
    std::optional<bool> join, create, list, admin, publish, subscribe, publish_data;
    if (!ReadString(*video, "room", grant.room)) return malformed("video.room");
    if (!ReadBool(*video, "roomJoin", join)) return malformed("video.roomJoin");
    if (!ReadBool(*video, "roomCreate", create)) return malformed("video.roomCreate");
    if (!ReadBool(*video, "roomList", list)) return malformed("video.roomList");
    if (!ReadBool(*video, "roomAdmin", admin)) return malformed("video.roomAdmin");
    if (!ReadBool(*video, "canPublish", publish)) return malformed("video.canPublish");
    if (!ReadBool(*video, "canSubscribe", subscribe)) return malformed("video.canSubscribe");
    if (!ReadBool(*video, "canPublishData", publish_data)) {
      return malformed("video.canPublishData");
    }
    grant.room_join = join.value_or(false);
    grant.room_create = create.value_or(false);
    grant.room_list = list.value_or(false);
    grant.room_admin = admin.value_or(false);
    grant.can_publish = publish.value_or(grant.room_join);
    grant.can_subscribe = subscribe.value_or(grant.room_join);
    grant.can_publish_data = publish_data.value_or(grant.room_join);
  } else {
    grant.can_publish = grant.can_subscribe = grant.can_publish_data = false;
  }
  return claims;
}

}  // namespace

std::string_view TokenRejectReasonName(TokenRejectReason reason) {
  const auto index = static_cast<size_t>(reason);
  return index < kReasonNames.size() ? kReasonNames[index] : "unknown";
}

std::optional<TokenRejectReason> TokenRejectReasonOf(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  const auto payload = status.GetPayload(kRejectReasonPayloadUrl);
  if (!payload) return std::nullopt;
  const std::string name(*payload);
  for (size_t i = 0; i < kReasonNames.size(); ++i) {
    if (kReasonNames[i] == name) return static_cast<TokenRejectReason>(i);
  }
  return std::nullopt;
}

std::string Base64UrlEncode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t group = (static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16) |
                           (static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8) |
                           static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kAlphabet[(group >> 6) & 0x3F]);
    out.push_back(kAlphabet[group & 0x3F]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (rest == 2) group |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    if (rest == 2) out.push_back(kAlphabet[(group >> 6) & 0x3F]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  const auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  // A lone trailing character carries only 6 bits: no whole byte (RFC 4648 §4 quanta).
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = sextet(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, or two different strings would decode to the same bytes.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

absl::StatusOr<std::string> CreateAccessToken(const AccessTokenClaims& claims,
                                              std::string_view secret) {
  if (secret.empty()) return absl::InvalidArgumentError("API secret is empty");
  if (claims.api_key.empty()) return absl::InvalidArgumentError("API key is empty");
  if (claims.expires_at <= 0) return absl::InvalidArgumentError("token needs an expiry");
  if (claims.not_before < 0) return absl::InvalidArgumentError("not_before is negative");
  if (claims.expires_at <= claims.not_before) {
    return absl::InvalidArgumentError("token expires before it becomes valid");
  }
  if (claims.video.room_join && claims.video.room.empty()) {
    return absl::InvalidArgumentError("a join grant needs a room");
  }
  if (claims.video.room_join && claims.identity.empty()) {
    return absl::InvalidArgumentError("a join grant needs an identity");
  }
  for (const auto* field : {&claims.api_key, &claims.identity, &claims.name, &claims.jwt_id,
                            &claims.video.room, &claims.sha256}) {
    if (!IsValidUtf8(*field)) return absl::InvalidArgumentError("claims must be valid UTF-8");
  }

  std::string payload = "{\"exp\":";
  payload.append(std::to_string(claims.expires_at)).append(",\"iss\":");
  AppendJsonString(claims.api_key, payload);
  if (!claims.jwt_id.empty()) {
    payload.append(",\"jti\":");
    AppendJsonString(claims.jwt_id, payload);
  }
  if (!claims.name.empty()) {
    payload.append(",\"name\":");
    AppendJsonString(claims.name, payload);
  }
  if (claims.not_before > 0) {
    payload.append(",\"nbf\":").append(std::to_string(claims.not_before));
  }
  if (!claims.sha256.empty()) {
    payload.append(",\"sha256\":");
    AppendJsonString(claims.sha256, payload);
  }
  if (!claims.identity.empty()) {
    payload.append(",\"sub\":");
    AppendJsonString(claims.identity, payload);
  }
  const VideoGrant& grant = claims.video;
  payload.append(",\"video\":{");
  const auto flag = [&](std::string_view name, bool value) {
    payload.append("\"").append(name).append(value ? "\":true," : "\":false,");
  };
  // The media permissions are always written out so that no reader's defaults matter.
  flag("canPublish", grant.can_publish);
  flag("canPublishData", grant.can_publish_data);
  flag("canSubscribe", grant.can_subscribe);
  payload.append("\"room\":");
  AppendJsonString(grant.room, payload);
  if (grant.room_admin) payload.append(",\"roomAdmin\":true");
  if (grant.room_create) payload.append(",\"roomCreate\":true");
  if (grant.room_join) payload.append(",\"roomJoin\":true");
  if (grant.room_list) payload.append(",\"roomList\":true");
  payload.append("}}");

  std::string token = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  token.push_back('.');
  token.append(Base64UrlEncode(payload));
  const std::string signature = HmacSha256(secret, token);
  if (signature.size() != kHs256Bytes) return absl::InternalError("HMAC-SHA256 failed");
  token.push_back('.');
  token.append(Base64UrlEncode(signature));
  return token;
}

absl::Status CheckSecretStrength(std::string_view secret) {
  if (secret.size() >= kMinSecretBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("API secret has ", secret.size(), " bytes; production needs at least ",
                   kMinSecretBytes, " (e.g. `openssl rand -base64 32`)"));
}

absl::Status VerifyHs256Signature(std::string_view token, std::string_view secret) {
  if (token.size() > kMaxTokenBytes) {
    return Reject(TokenRejectReason::kTooLarge, absl::StrCat(token.size(), " bytes"));
  }
  const std::optional<CompactJws> jws = SplitCompact(token);
  if (!jws) return Reject(TokenRejectReason::kMalformed, "not a compact JWS");
  if (absl::StatusOr<std::string> kid = CheckHeader(jws->header_b64); !kid.ok()) {
    return kid.status();
  }
  return CheckSignature(*jws, secret);
}

TokenVerifier::TokenVerifier(std::map<std::string, std::string> key_to_secret)
    : key_to_secret_(std::move(key_to_secret)) {}

absl::StatusOr<AccessTokenClaims> TokenVerifier::Verify(std::string_view token,
                                                        int64_t now_unix_seconds) const {
  absl::StatusOr<AccessTokenClaims> result = VerifyUncounted(token, now_unix_seconds);
  if (result.ok()) {
    accepted_.fetch_add(1, std::memory_order_relaxed);
  } else if (const std::optional<TokenRejectReason> reason =
                 TokenRejectReasonOf(result.status())) {
    rejected_[static_cast<size_t>(*reason)].fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

absl::StatusOr<AccessTokenClaims> TokenVerifier::VerifyUncounted(
    std::string_view token, int64_t now_unix_seconds) const {
  if (token.size() > kMaxTokenBytes) {
    return Reject(TokenRejectReason::kTooLarge, absl::StrCat(token.size(), " bytes"));
  }
  const std::optional<CompactJws> jws = SplitCompact(token);
  if (!jws) return Reject(TokenRejectReason::kMalformed, "not a compact JWS");
  absl::StatusOr<std::string> kid = CheckHeader(jws->header_b64);
  if (!kid.ok()) return kid.status();

  // The payload must be read before the signature is checked because "iss" picks the key;
  // the reader is strict and bounded, and nothing from it is trusted until the HMAC matches.
  const std::optional<std::string> payload_json = Base64UrlDecode(jws->payload_b64);
  if (!payload_json) return Reject(TokenRejectReason::kMalformed, "payload is not base64url");
  const std::unique_ptr<JsonValue> payload = JsonReader(*payload_json).ReadObjectDocument();
  if (!payload) return Reject(TokenRejectReason::kMalformed, "payload is not a JSON object");
  absl::StatusOr<AccessTokenClaims> claims = ParseClaims(*payload);
  if (!claims.ok()) return claims.status();

  if (claims->api_key.empty()) {
    claims->api_key = *kid;
  } else if (!kid->empty() && *kid != claims->api_key) {
    return Reject(TokenRejectReason::kMalformed, "header kid and claim iss disagree");
  }
  if (claims->api_key.empty()) return Reject(TokenRejectReason::kUnknownKey, "no iss or kid");
  const auto key = key_to_secret_.find(claims->api_key);
  if (key == key_to_secret_.end()) {
    // The key name is attacker-chosen: do not echo it into logs.
    return Reject(TokenRejectReason::kUnknownKey, "iss names no configured API key");
  }
  if (absl::Status signature = CheckSignature(*jws, key->second); !signature.ok()) {
    return signature;
  }

  // RFC 7519 §4.1.4: reject when now is at or after exp (plus the leeway); §4.1.5: reject
  // when now is before nbf (minus the leeway). Saturating so that huge claims cannot overflow.
  const int64_t latest =
      claims->expires_at > INT64_MAX - kTokenClockSkewSeconds
          ? INT64_MAX
          : claims->expires_at + kTokenClockSkewSeconds;
  if (now_unix_seconds >= latest) {
    return Reject(TokenRejectReason::kExpired,
                  absl::StrCat("expired at ", claims->expires_at, ", now ", now_unix_seconds));
  }
  if (claims->not_before > 0 && now_unix_seconds < claims->not_before - kTokenClockSkewSeconds) {
    return Reject(TokenRejectReason::kNotYetValid,
                  absl::StrCat("valid from ", claims->not_before, ", now ", now_unix_seconds));
  }
  if (claims->video.room_join && (claims->video.room.empty() || claims->identity.empty())) {
    return Reject(TokenRejectReason::kInvalidClaims, "join grant without room or identity");
  }
  return claims;
}

}  // namespace switchyard::api
