#include "pki/ca_hash.h"

#include <openssl/pem.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

#include "pki/openssl_util.h"

namespace minik8s::pki {

namespace ca_hash_impl {

constexpr std::string_view kPrefix = "sha256:";

int noPassword(char*, int, int, void*) {
  return -1;
}

}  // namespace ca_hash_impl

using ca_hash_impl::kPrefix;

Result<std::string> caCertHash(std::string_view cert_pem) {
  auto bio = ossl::memoryBio(cert_pem);
  if (!bio) return ossl::opensslError(Code::kInternal, "BIO_new_mem_buf");
  ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, ca_hash_impl::noPassword, nullptr));
  if (!cert) return ossl::opensslError(Code::kBadRequest, "reading certificate PEM");
  // X509_get_X509_PUBKEY is the SubjectPublicKeyInfo as the certificate carries it.
  unsigned char* der = nullptr;
  int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &der);
  if (length <= 0) return ossl::opensslError(Code::kInternal, "encoding the public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(length), digest);
  OPENSSL_free(der);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kPrefix);
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

Status checkCaCertHash(std::string_view ca_pem, const std::vector<std::string>& pins) {
  ASSIGN_OR_RETURN(std::string actual, caCertHash(ca_pem));
  for (const auto& pin : pins) {
    std::string lower = pin;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    bool well_formed = lower.rfind(kPrefix, 0) == 0 && lower.size() == kPrefix.size() + 64 &&
                       std::all_of(lower.begin() + kPrefix.size(), lower.end(),
                                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!well_formed) {
      return invalid("CA certificate hash \"" + pin +
                     "\" is not in the format sha256:<64 hex digits>");
    }
    if (lower == actual) return Status::ok();
  }
  return Status(Code::kUnauthorized,
                "the cluster CA's public key hash " + actual +
                    " matches none of the given --discovery-token-ca-cert-hash values");
}

}  // namespace minik8s::pki
