// Certificates: the cluster's certificate authority as pure functions over PEM text.
//
// Keys are ECDSA P-256 in PKCS#8 PEM ("PRIVATE KEY"); certificates are X.509 v3 signed with
// SHA-256 ("CERTIFICATE"); requests are PKCS#10 ("CERTIFICATE REQUEST"). Nothing here
// touches the file system or keeps state, and every function is thread-safe. Malformed
// input is kBadRequest, a failed verification kUnauthorized, an OpenSSL failure kInternal;
// OpenSSL's own error text is in the message.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::pki {

struct CertificateAndKey {
  std::string cert_pem;  // PEM "CERTIFICATE"
  std::string key_pem;   // PEM "PRIVATE KEY" (PKCS#8)
};

// The parts of a distinguished name Kubernetes reads: CN is the user, O the groups.
struct Subject {
  std::string common_name;
  std::vector<std::string> organizations;

  bool operator==(const Subject&) const = default;
};

struct CertificateSpec {
  Subject subject;
  std::vector<std::string> dns_names;     // subjectAltName DNS
  std::vector<std::string> ip_addresses;  // subjectAltName IP (IPv4 and IPv6 text)
  bool server_auth = false;               // extendedKeyUsage serverAuth
  bool client_auth = false;               // extendedKeyUsage clientAuth
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
};

// A new ECDSA P-256 key as PKCS#8 PEM. Crashes if OpenSSL cannot make one (no entropy):
// nothing in the cluster can work then.
std::string generatePrivateKey();

// A self-signed CA: new key, CA:TRUE (critical), keyUsage keyCertSign|cRLSign|
// digitalSignature (critical), SKI, random 128-bit serial, notBefore = now - 5 min.
// `validity` must be positive (10 years is typical); kInvalid otherwise.
Result<CertificateAndKey> createCa(const std::string& common_name, std::chrono::seconds validity);

// A new key and a certificate for it signed by `ca`: spec's subject and SANs, CA:FALSE
// (critical), keyUsage digitalSignature (critical), extendedKeyUsage from spec, SKI and AKI,
// random 128-bit serial, notBefore = now - 5 min (clock skew), notAfter = now + validity.
// kBadRequest when `ca` is unreadable, not a CA, or its key does not match its certificate;
// kInvalid for a non-positive validity or an IP SAN that is not an address.
Result<CertificateAndKey> issueCertificate(const CertificateAndKey& ca,
                                           const CertificateSpec& spec);

// A PKCS#10 request signed by `key_pem` for `subject` (and, in the second form, with a
// subjectAltName extension request: what a kubelet asks for its serving certificate).
Result<std::string> createCsr(std::string_view key_pem, const Subject& subject);
Result<std::string> createCsr(std::string_view key_pem, const Subject& subject,
                              const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses);

struct CsrInfo {
  Subject subject;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
};

// Reads the first request in `csr_pem` and verifies its self-signature (proof that the
// requester holds the key). kBadRequest with the reason on garbage or a bad signature.
Result<CsrInfo> parseCsr(std::string_view csr_pem);

// Signs a request with `ca`: subject (the whole name) and SANs come from the CSR, usages
// and validity from `spec` (its subject and SANs are ignored). The CSR's signature is
// verified first (kBadRequest). Returns the certificate PEM.
Result<std::string> signCsr(const CertificateAndKey& ca, std::string_view csr_pem,
                            const CertificateSpec& spec);

struct CertificateInfo {
  Subject subject;
  Subject issuer;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // canonical text: "10.0.0.1", "::1"
  std::chrono::system_clock::time_point not_before, not_after;
  bool is_ca = false;        // basicConstraints CA:TRUE
  bool server_auth = false;  // extendedKeyUsage present and lists serverAuth
  bool client_auth = false;  // extendedKeyUsage present and lists clientAuth
  std::string serial_hex;    // upper-case hex, as `openssl x509 -serial` prints it
};

// Reads the first certificate of `cert_pem` (kBadRequest when there is none).
Result<CertificateInfo> parseCertificate(std::string_view cert_pem);

// Verifies that the first certificate of `cert_pem` chains to a certificate of `ca_pem`
// (a bundle of roots) and that every certificate on the chain is valid at `now`.
// kUnauthorized with the reason ("certificate has expired", "unable to get local issuer
// certificate", ...) on failure or an unreadable `cert_pem`; kBadRequest when `ca_pem`
// holds no certificate.
Status verifyCertificate(std::string_view ca_pem, std::string_view cert_pem,
                         std::chrono::system_clock::time_point now);

// Ok when `key_pem` is the private key of the first certificate in `cert_pem`; kInvalid
// when it is another key, kBadRequest when either does not parse.
Status keyMatchesCertificate(std::string_view key_pem, std::string_view cert_pem);

}  // namespace minik8s::pki
