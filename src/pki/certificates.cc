#include "pki/certificates.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "pki/openssl_util.h"

namespace minik8s::pki {

namespace {

constexpr std::chrono::seconds kClockSkew = std::chrono::minutes(5);

// Never prompt on the terminal for an encrypted PEM: refuse it.
int noPassword(char*, int, int, void*) {
  return -1;
}

Result<ossl::PkeyPtr> readPrivateKey(std::string_view pem) {
  auto bio = ossl::memoryBio(pem);
  if (!bio) return ossl::opensslError(Code::kInternal, "BIO_new_mem_buf");
  ossl::PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
  if (!key) return ossl::opensslError(Code::kBadRequest, "reading private key PEM");
  return key;
}

// Every certificate of a PEM bundle; kBadRequest when there is none.
Result<std::vector<ossl::X509Ptr>> readCertificates(std::string_view pem) {
  auto bio = ossl::memoryBio(pem);
  if (!bio) return ossl::opensslError(Code::kInternal, "BIO_new_mem_buf");
  std::vector<ossl::X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr)) {
    certs.emplace_back(cert);
  }
  if (certs.empty()) return ossl::opensslError(Code::kBadRequest, "reading certificate PEM");
  ERR_clear_error();  // the read past the last certificate
  return certs;
}

Result<ossl::X509Ptr> readCertificate(std::string_view pem) {
  auto bio = ossl::memoryBio(pem);
  if (!bio) return ossl::opensslError(Code::kInternal, "BIO_new_mem_buf");
  ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr));
  if (!cert) return ossl::opensslError(Code::kBadRequest, "reading certificate PEM");
  return cert;
}

// The first request of `pem`, its self-signature verified.
Result<ossl::X509ReqPtr> readVerifiedCsr(std::string_view pem) {
  auto bio = ossl::memoryBio(pem);
  if (!bio) return ossl::opensslError(Code::kInternal, "BIO_new_mem_buf");
  ossl::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, noPassword, nullptr));
  if (!req) return ossl::opensslError(Code::kBadRequest, "reading certificate request PEM");
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(req.get());
  if (!public_key) {
    return ossl::opensslError(Code::kBadRequest, "certificate request has no usable public key");
  }
  if (X509_REQ_verify(req.get(), public_key) != 1) {
    return ossl::opensslError(Code::kBadRequest, "certificate request signature does not verify");
  }
  return req;
}

Result<std::string> privateKeyPem(EVP_PKEY* key) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ossl::opensslError(Code::kInternal, "writing private key PEM");
  }
  return ossl::bioContents(bio.get());
}

Result<std::string> certificatePem(X509* cert) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return ossl::opensslError(Code::kInternal, "writing certificate PEM");
  }
  return ossl::bioContents(bio.get());
}

Result<std::string> csrPem(X509_REQ* req) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req) != 1) {
    return ossl::opensslError(Code::kInternal, "writing certificate request PEM");
  }
  return ossl::bioContents(bio.get());
}

Result<ossl::PkeyPtr> newPrivateKey() {
  ossl::PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ossl::opensslError(Code::kInternal, "generating an ECDSA P-256 key");
  return key;
}

// O=... (one per organization), then CN, the order Go's crypto/x509 writes them in.
Result<ossl::X509NamePtr> makeName(const Subject& subject) {
  ossl::X509NamePtr name(X509_NAME_new());
  if (!name) return ossl::opensslError(Code::kInternal, "X509_NAME_new");
  auto add = [&](int nid, const std::string& value) {
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  for (const auto& org : subject.organizations) {
    if (org.empty()) return invalid("empty organization in subject");
    if (!add(NID_organizationName, org)) {
      return ossl::opensslError(Code::kInvalid, "organization \"" + org + "\"");
    }
  }
  if (!subject.common_name.empty() && !add(NID_commonName, subject.common_name)) {
    return ossl::opensslError(Code::kInvalid, "common name \"" + subject.common_name + "\"");
  }
  return name;
}

Subject readName(const X509_NAME* name) {
  Subject subject;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (nid != NID_commonName && nid != NID_organizationName) continue;
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length < 0) {
      ERR_clear_error();
      continue;
    }
    std::string value(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
    if (nid == NID_commonName) {
      subject.common_name = std::move(value);
    } else {
      subject.organizations.push_back(std::move(value));
    }
  }
  return subject;
}

Result<ossl::GeneralNamesPtr> makeAltNames(const std::vector<std::string>& dns_names,
                                           const std::vector<std::string>& ip_addresses) {
  ossl::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return ossl::opensslError(Code::kInternal, "sk_GENERAL_NAME_new_null");
  auto push = [&](int type, ASN1_STRING* value) -> Status {
    ossl::GeneralNamePtr general_name(GENERAL_NAME_new());
    if (!general_name) {
      ASN1_STRING_free(value);
      return ossl::opensslError(Code::kInternal, "GENERAL_NAME_new");
    }
    GENERAL_NAME_set0_value(general_name.get(), type, value);  // owns value now
    if (sk_GENERAL_NAME_push(names.get(), general_name.get()) <= 0) {
      return ossl::opensslError(Code::kInternal, "sk_GENERAL_NAME_push");
    }
    static_cast<void>(general_name.release());  // owned by names now
    return Status::ok();
  };
  for (const auto& dns : dns_names) {
    bool printable = !dns.empty();
    for (char c : dns) printable = printable && c > ' ' && c < 0x7f;
    if (!printable) return invalid("invalid DNS name in subjectAltName: \"" + dns + "\"");
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (!value || ASN1_STRING_set(value, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(value);
      return ossl::opensslError(Code::kInternal, "ASN1_STRING_set");
    }
    RETURN_IF_ERROR(push(GEN_DNS, value));
  }
  for (const auto& ip : ip_addresses) {
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(ip.c_str());
    if (!value) {
      ERR_clear_error();
      return invalid("invalid IP address in subjectAltName: \"" + ip + "\"");
    }
    RETURN_IF_ERROR(push(GEN_IPADD, value));
  }
  return names;
}

void readAltNames(const GENERAL_NAMES* names, std::vector<std::string>& dns_names,
                  std::vector<std::string>& ip_addresses) {
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                             static_cast<size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      int length = ASN1_STRING_length(ip);
      int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
      if (family && inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text)) {
        ip_addresses.emplace_back(text);
      }
    }
  }
}

// The CSR's requested subjectAltNames (none when it has no extension request).
void readCsrAltNames(X509_REQ* req, std::vector<std::string>& dns_names,
                     std::vector<std::string>& ip_addresses) {
  ossl::ExtensionsPtr extensions(X509_REQ_get_extensions(req));
  if (extensions) {
    ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(extensions.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (names) readAltNames(names.get(), dns_names, ip_addresses);
  }
  ERR_clear_error();
}

Result<std::chrono::system_clock::time_point> toTimePoint(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) {
    return ossl::opensslError(Code::kBadRequest, "reading certificate time");
  }
  using namespace std::chrono;
  sys_days date = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                  day{static_cast<unsigned>(tm.tm_mday)};
  return system_clock::time_point(date + hours{tm.tm_hour} + minutes{tm.tm_min} +
                                  seconds{tm.tm_sec});
}

// The CA's certificate and key, checked to belong together and to be a CA.
struct Signer {
  ossl::X509Ptr cert;
  ossl::PkeyPtr key;
};

Result<Signer> readSigner(const CertificateAndKey& ca) {
  auto cert = readCertificate(ca.cert_pem);
  if (!cert.isOk()) return cert.status().withContext("CA certificate");
  auto key = readPrivateKey(ca.key_pem);
  if (!key.isOk()) return key.status().withContext("CA key");
  if (X509_check_ca(cert->get()) != 1) {
    ERR_clear_error();
    return badRequest("CA certificate is not a CA (no basicConstraints CA:TRUE)");
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(cert->get()), key->get()) != 1) {
    ERR_clear_error();
    return badRequest("CA key does not match the CA certificate");
  }
  return Signer{std::move(cert).value(), std::move(key).value()};
}

// What goes into one certificate besides its issuer.
struct Template {
  const X509_NAME* subject = nullptr;
  EVP_PKEY* public_key = nullptr;
  const std::vector<std::string>* dns_names = nullptr;
  const std::vector<std::string>* ip_addresses = nullptr;
  bool is_ca = false;
  bool server_auth = false;
  bool client_auth = false;
  std::chrono::seconds validity{0};
};

Status addExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ossl::X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return ossl::opensslError(Code::kInternal,
                              std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  return Status::ok();
}

Status setRandomSerial(X509* cert) {
  ossl::BignumPtr serial;
  unsigned char bytes[16];  // 128 bits
  do {
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      return ossl::opensslError(Code::kInternal, "RAND_bytes");
    }
    serial.reset(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!serial) return ossl::opensslError(Code::kInternal, "BN_bin2bn");
  } while (BN_is_zero(serial.get()));
  if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert))) {
    return ossl::opensslError(Code::kInternal, "setting the serial number");
  }
  return Status::ok();
}

// A certificate for `t` signed by `signer_key`; `issuer` null means self-signed.
Result<ossl::X509Ptr> buildCertificate(const Template& t, X509* issuer, EVP_PKEY* signer_key) {
  if (t.validity <= std::chrono::seconds(0)) {
    return invalid("certificate validity must be positive, not " +
                   std::to_string(t.validity.count()) + "s");
  }
  ossl::X509Ptr cert(X509_new());
  if (!cert) return ossl::opensslError(Code::kInternal, "X509_new");
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, t.subject) != 1 ||
      X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : t.subject) != 1 ||
      X509_set_pubkey(x, t.public_key) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(x), -static_cast<long>(kClockSkew.count())) ||
      !X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(t.validity.count()))) {
    return ossl::opensslError(Code::kInternal, "filling in the certificate");
  }
  RETURN_IF_ERROR(setRandomSerial(x));

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  RETURN_IF_ERROR(addExtension(x, &ctx, NID_basic_constraints,
                               t.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  std::string key_usage = "critical,digitalSignature";
  if (t.is_ca) key_usage += ",keyCertSign,cRLSign";
  if (!t.is_ca && EVP_PKEY_get_base_id(t.public_key) == EVP_PKEY_RSA) {
    key_usage += ",keyEncipherment";
  }
  RETURN_IF_ERROR(addExtension(x, &ctx, NID_key_usage, key_usage));
  std::string extended_key_usage;
  if (t.server_auth) extended_key_usage = "serverAuth";
  if (t.client_auth)
    extended_key_usage += extended_key_usage.empty() ? "clientAuth" : ",clientAuth";
  if (!extended_key_usage.empty()) {
    RETURN_IF_ERROR(addExtension(x, &ctx, NID_ext_key_usage, extended_key_usage));
  }
  RETURN_IF_ERROR(addExtension(x, &ctx, NID_subject_key_identifier, "hash"));
  if (issuer) {  // like Go's crypto/x509, a self-signed root carries no AKI
    RETURN_IF_ERROR(addExtension(x, &ctx, NID_authority_key_identifier, "keyid:always"));
  }
  if (!t.dns_names->empty() || !t.ip_addresses->empty()) {
    ASSIGN_OR_RETURN(auto names, makeAltNames(*t.dns_names, *t.ip_addresses));
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
      return ossl::opensslError(Code::kInternal, "adding subjectAltName");
    }
  }
  if (X509_sign(x, signer_key, EVP_sha256()) <= 0) {
    return ossl::opensslError(Code::kInternal, "signing the certificate");
  }
  return cert;
}

}  // namespace

std::string generatePrivateKey() {
  auto key = newPrivateKey();
  auto pem = key.isOk() ? privateKeyPem(key->get()) : Result<std::string>(key.status());
  if (!pem.isOk()) {
    std::fprintf(stderr, "minik8s pki: cannot generate a private key: %s\n",
                 pem.status().toString().c_str());
    std::abort();
  }
  return std::move(pem).value();
}

Result<CertificateAndKey> createCa(const std::string& common_name, std::chrono::seconds validity) {
  if (common_name.empty()) return invalid("CA common name is empty");
  ASSIGN_OR_RETURN(auto key, newPrivateKey());
  ASSIGN_OR_RETURN(auto name, makeName(Subject{common_name, {}}));
  const std::vector<std::string> none;
  Template t{.subject = name.get(),
             .public_key = key.get(),
             .dns_names = &none,
             .ip_addresses = &none,
             .is_ca = true,
             .validity = validity};
  ASSIGN_OR_RETURN(auto cert, buildCertificate(t, nullptr, key.get()));
  ASSIGN_OR_RETURN(auto cert_pem, certificatePem(cert.get()));
  ASSIGN_OR_RETURN(auto key_pem, privateKeyPem(key.get()));
  return CertificateAndKey{std::move(cert_pem), std::move(key_pem)};
}

Result<CertificateAndKey> issueCertificate(const CertificateAndKey& ca,
                                           const CertificateSpec& spec) {
  ASSIGN_OR_RETURN(auto signer, readSigner(ca));
  ASSIGN_OR_RETURN(auto key, newPrivateKey());
  ASSIGN_OR_RETURN(auto name, makeName(spec.subject));
  Template t{.subject = name.get(),
             .public_key = key.get(),
             .dns_names = &spec.dns_names,
             .ip_addresses = &spec.ip_addresses,
             .server_auth = spec.server_auth,
             .client_auth = spec.client_auth,
             .validity = spec.validity};
  ASSIGN_OR_RETURN(auto cert, buildCertificate(t, signer.cert.get(), signer.key.get()));
  ASSIGN_OR_RETURN(auto cert_pem, certificatePem(cert.get()));
  ASSIGN_OR_RETURN(auto key_pem, privateKeyPem(key.get()));
  return CertificateAndKey{std::move(cert_pem), std::move(key_pem)};
}

Result<std::string> createCsr(std::string_view key_pem, const Subject& subject) {
  return createCsr(key_pem, subject, {}, {});
}

Result<std::string> createCsr(std::string_view key_pem, const Subject& subject,
                              const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses) {
  ASSIGN_OR_RETURN(auto key, readPrivateKey(key_pem));
  ASSIGN_OR_RETURN(auto name, makeName(subject));
  ossl::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return ossl::opensslError(Code::kInternal, "filling in the certificate request");
  }
  if (!dns_names.empty() || !ip_addresses.empty()) {
    ASSIGN_OR_RETURN(auto names, makeAltNames(dns_names, ip_addresses));
    ossl::ExtensionsPtr extensions(sk_X509_EXTENSION_new_null());
    ossl::X509ExtensionPtr alt_names(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    if (!extensions || !alt_names ||
        sk_X509_EXTENSION_push(extensions.get(), alt_names.get()) <= 0) {
      return ossl::opensslError(Code::kInternal, "building the subjectAltName request");
    }
    static_cast<void>(alt_names.release());  // owned by extensions now
    if (X509_REQ_add_extensions(req.get(), extensions.get()) != 1) {
      return ossl::opensslError(Code::kInternal, "adding the extension request");
    }
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return ossl::opensslError(Code::kInternal, "signing the certificate request");
  }
  return csrPem(req.get());
}

Result<CsrInfo> parseCsr(std::string_view csr_pem) {
  ASSIGN_OR_RETURN(auto req, readVerifiedCsr(csr_pem));
  CsrInfo info;
  info.subject = readName(X509_REQ_get_subject_name(req.get()));
  readCsrAltNames(req.get(), info.dns_names, info.ip_addresses);
  return info;
}

Result<std::string> signCsr(const CertificateAndKey& ca, std::string_view csr_pem,
                            const CertificateSpec& spec) {
  ASSIGN_OR_RETURN(auto signer, readSigner(ca));
  ASSIGN_OR_RETURN(auto req, readVerifiedCsr(csr_pem));
  std::vector<std::string> dns_names, ip_addresses;
  readCsrAltNames(req.get(), dns_names, ip_addresses);
  Template t{.subject = X509_REQ_get_subject_name(req.get()),
             .public_key = X509_REQ_get0_pubkey(req.get()),
             .dns_names = &dns_names,
             .ip_addresses = &ip_addresses,
             .server_auth = spec.server_auth,
             .client_auth = spec.client_auth,
             .validity = spec.validity};
  ASSIGN_OR_RETURN(auto cert, buildCertificate(t, signer.cert.get(), signer.key.get()));
  return certificatePem(cert.get());
}

Result<CertificateInfo> parseCertificate(std::string_view cert_pem) {
  ASSIGN_OR_RETURN(auto cert, readCertificate(cert_pem));
  X509* x = cert.get();
  CertificateInfo info;
  info.subject = readName(X509_get_subject_name(x));
  info.issuer = readName(X509_get_issuer_name(x));
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  if (names) readAltNames(names.get(), info.dns_names, info.ip_addresses);
  ASSIGN_OR_RETURN(info.not_before, toTimePoint(X509_get0_notBefore(x)));
  ASSIGN_OR_RETURN(info.not_after, toTimePoint(X509_get0_notAfter(x)));
  ossl::BasicConstraintsPtr constraints(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr)));
  info.is_ca = constraints && constraints->ca;
  if (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) {
    uint32_t usages = X509_get_extended_key_usage(x);
    info.server_auth = usages & XKU_SSL_SERVER;
    info.client_auth = usages & XKU_SSL_CLIENT;
  }
  ossl::BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr));
  char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
  if (!hex) return ossl::opensslError(Code::kInternal, "reading the serial number");
  info.serial_hex = hex;
  OPENSSL_free(hex);
  ERR_clear_error();  // X509_get_ext_d2i of an absent extension
  return info;
}

Status verifyCertificate(std::string_view ca_pem, std::string_view cert_pem,
                         std::chrono::system_clock::time_point now) {
  auto roots = readCertificates(ca_pem);
  if (!roots.isOk()) return roots.status().withContext("CA bundle");
  auto cert = readCertificate(cert_pem);
  if (!cert.isOk()) return Status(Code::kUnauthorized, cert.status().message());
  ossl::X509StorePtr store(X509_STORE_new());
  if (!store) return ossl::opensslError(Code::kInternal, "X509_STORE_new");
  for (const auto& root : *roots) {
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
      return ossl::opensslError(Code::kInternal, "X509_STORE_add_cert");
    }
  }
  ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1) {
    return ossl::opensslError(Code::kInternal, "X509_STORE_CTX_init");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Status(Code::kUnauthorized, std::string("x509: certificate verify failed: ") +
                                           X509_verify_cert_error_string(error));
  }
  return Status::ok();
}

Status keyMatchesCertificate(std::string_view key_pem, std::string_view cert_pem) {
  ASSIGN_OR_RETURN(auto key, readPrivateKey(key_pem));
  ASSIGN_OR_RETURN(auto cert, readCertificate(cert_pem));
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) != 1) {
    ERR_clear_error();
    return invalid("private key does not match the certificate");
  }
  return Status::ok();
}

}  // namespace minik8s::pki
