#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <string>
#include <string_view>

namespace minik8s::http {

namespace {

namespace ssl = boost::asio::ssl;

// The OpenSSL errors queued on this thread, oldest first, and clears them.
std::string opensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Status tlsError(std::string_view what, const boost::system::error_code& ec) {
  std::string detail = opensslErrors();
  if (detail.empty()) detail = ec.message();
  return invalid("tls: " + std::string(what) + ": " + detail);
}

// ALPN: http/1.1 when offered; otherwise no protocol (HTTP/1.1 all the same). Never h2.
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof kHttp11 && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// The text of the entries `nid` of `name`, in order.
std::vector<std::string> nameEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0) out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  return out;
}

// Adds every certificate of `pem` as a trusted client CA and to the CA names sent in the
// CertificateRequest. kInvalid when none loads.
Status addClientCas(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return invalid("tls: client CA: out of memory");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    bool ok = X509_STORE_add_cert(store, cert) == 1 && SSL_CTX_add_client_CA(ctx, cert) == 1;
    X509_free(cert);
    if (!ok) {
      BIO_free(bio);
      return invalid("tls: client CA: " + opensslErrors());
    }
    ++added;
  }
  BIO_free(bio);
  ERR_clear_error();  // the PEM reader's "no start line" at the end
  if (added == 0) return invalid("tls: client CA: no PEM certificate in client_ca_pem");
  return Status::ok();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> makeServerTlsContext(const TlsServerOptions& options) {
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_alpn_select_cb(native, selectAlpn, nullptr);
  // Session resumption with client certificates needs a context id.
  static constexpr unsigned char kSessionContext[] = "minik8s-http";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);

  boost::system::error_code ec;
  if (options.cert_pem.empty()) return invalid("tls: no server certificate (cert_pem)");
  if (options.key_pem.empty()) return invalid("tls: no private key (key_pem)");
  ctx->use_certificate_chain(boost::asio::buffer(options.cert_pem), ec);
  if (ec) return tlsError("loading the server certificate", ec);
  ctx->use_private_key(boost::asio::buffer(options.key_pem), ssl::context::pem, ec);
  // Asio has taken the error off the queue: its code is the packed OpenSSL error.
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return tlsError("the private key does not match the server certificate", ec);
  }
  if (ec) return tlsError("loading the private key", ec);
  if (SSL_CTX_check_private_key(native) != 1) {
    return invalid("tls: the private key does not match the server certificate: " +
                   opensslErrors());
  }
  if (!options.client_ca_pem.empty()) {
    RETURN_IF_ERROR(addClientCas(native, options.client_ca_pem));
    int mode = SSL_VERIFY_PEER;
    if (options.require_client_certificate) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(native, mode, nullptr);
  } else if (options.require_client_certificate) {
    return invalid("tls: require_client_certificate needs client_ca_pem");
  }
  return ctx;
}

std::optional<ClientCertificate> verifiedClientCertificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  std::optional<ClientCertificate> out;
  // With SSL_VERIFY_PEER a failed verification already failed the handshake; this guards
  // against a context without client CAs.
  if (SSL_get_verify_result(ssl) == X509_V_OK &&
      (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
    X509_NAME* subject = X509_get_subject_name(cert);
    out.emplace();
    auto cn = nameEntries(subject, NID_commonName);
    if (!cn.empty()) out->common_name = cn.back();
    out->organizations = nameEntries(subject, NID_organizationName);
  }
  X509_free(cert);
  return out;
}

}  // namespace minik8s::http
