#include "transport/certificate.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include <cctype>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

using ::testing::MatchesRegex;

TEST(CertificateTest, GeneratesSelfSignedP256CertificateThatVerifies) {
  auto cert = Certificate::GenerateEcdsaP256("unit-test");
  ASSERT_TRUE(cert.ok()) << cert.status();
  X509* x509 = (*cert)->x509();
  ASSERT_NE(x509, nullptr);
  ASSERT_NE((*cert)->private_key(), nullptr);

  EXPECT_EQ(X509_get_version(x509), 2);  // v3
  EXPECT_EQ(EVP_PKEY_get_base_id((*cert)->private_key()), EVP_PKEY_EC);
  char group[32] = {};
  size_t group_len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name((*cert)->private_key(), group, sizeof(group), &group_len), 1);
  EXPECT_STREQ(group, "prime256v1");

  // Self-signed: issuer == subject and the signature verifies with the certificate's own key.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)), 0);
  EXPECT_EQ(X509_verify(x509, (*cert)->private_key()), 1);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "unit-test");

  // Currently valid: notBefore in the past, notAfter in the future (about 30 days).
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(x509)), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(x509)), 0);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(x509), X509_get0_notAfter(x509)),
            1);
  EXPECT_EQ(days, 31);

  // Serial is positive and non-zero.
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nullptr);
  ASSERT_NE(serial, nullptr);
  EXPECT_FALSE(BN_is_zero(serial));
  EXPECT_FALSE(BN_is_negative(serial));
  BN_free(serial);
}

TEST(CertificateTest, EachCertificateGetsItsOwnKeyAndSerial) {
  auto a = Certificate::GenerateEcdsaP256();
  auto b = Certificate::GenerateEcdsaP256();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->Fingerprint(), (*b)->Fingerprint());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber((*a)->x509()),
                             X509_get0_serialNumber((*b)->x509())),
            0);
}

TEST(CertificateTest, FingerprintIsUppercaseColonSeparatedSha256OfDer) {
  auto cert = Certificate::GenerateEcdsaP256();
  ASSERT_TRUE(cert.ok());
  const std::string& fp = (*cert)->Fingerprint();
  EXPECT_THAT(fp, MatchesRegex("([0-9A-F]{2}:){31}[0-9A-F]{2}"));

  // Independently hash the DER encoding.
  unsigned char* der = nullptr;
  int der_len = i2d_X509((*cert)->x509(), &der);
  ASSERT_GT(der_len, 0);
  unsigned char digest[32];
  unsigned int digest_len = 0;
  ASSERT_EQ(EVP_Digest(der, der_len, digest, &digest_len, EVP_sha256(), nullptr), 1);
  OPENSSL_free(der);
  char expected[3 * 32] = {};
  for (unsigned int i = 0; i < digest_len; ++i) {
    snprintf(expected + 3 * i, 4, i + 1 < digest_len ? "%02X:" : "%02X", digest[i]);
  }
  EXPECT_EQ(fp, expected);
}

TEST(CertificateTest, ComputeFingerprintSupportsRfc8122HashesCaseInsensitively) {
  auto cert = Certificate::GenerateEcdsaP256();
  ASSERT_TRUE(cert.ok());
  struct Case {
    const char* name;
    size_t bytes;
  } cases[] = {{"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}};
  for (const Case& c : cases) {
    auto fp = ComputeFingerprint((*cert)->x509(), c.name);
    ASSERT_TRUE(fp.ok()) << c.name;
    EXPECT_EQ(fp->size(), c.bytes * 3 - 1) << c.name;
    std::string upper = c.name;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto fp_upper = ComputeFingerprint((*cert)->x509(), upper);
    ASSERT_TRUE(fp_upper.ok()) << upper;
    EXPECT_EQ(*fp, *fp_upper);
    EXPECT_TRUE(IsSupportedFingerprintAlgorithm(upper));
  }
  EXPECT_EQ(*ComputeFingerprint((*cert)->x509(), "SHA-256"), (*cert)->Fingerprint());
}

TEST(CertificateTest, RejectsUnsupportedAlgorithmsAndNullCertificate) {
  auto cert = Certificate::GenerateEcdsaP256();
  ASSERT_TRUE(cert.ok());
  for (const char* bad : {"md5", "md2", "sha256", "", "sha-3"}) {
    EXPECT_EQ(ComputeFingerprint((*cert)->x509(), bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_FALSE(IsSupportedFingerprintAlgorithm(bad));
  }
  EXPECT_FALSE(ComputeFingerprint(nullptr, "sha-256").ok());
}

TEST(CertificateTest, FingerprintComparisonIgnoresCase) {
  EXPECT_TRUE(FingerprintsEqual("AB:CD:0F", "ab:cd:0f"));
  EXPECT_FALSE(FingerprintsEqual("AB:CD:0F", "AB:CD:0E"));
  EXPECT_FALSE(FingerprintsEqual("AB:CD", "AB:CD:0F"));
  EXPECT_FALSE(FingerprintsEqual("", ""));
}

}  // namespace
}  // namespace switchyard::transport
