// Internal to src/pki: RAII owners for OpenSSL objects, PEM/BIO helpers and the one place
// OpenSSL's error queue becomes a Status. Not part of the module's public surface.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::pki::ossl {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS_free>>;

inline void freeGeneralNames(GENERAL_NAMES* names) {
  sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
}
inline void freeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<freeGeneralNames>>;
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), Deleter<freeExtensions>>;

// Drains this thread's OpenSSL error queue into one line ("error:...; error:..."), or
// "no OpenSSL error" when it is empty.
inline std::string drainErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error" : out;
}

// "<what>: <OpenSSL errors>" with `code`; drains the error queue.
inline Status opensslError(Code code, std::string_view what) {
  return Status(code, std::string(what) + ": " + drainErrors());
}

// A read-only memory BIO over `data` (which must outlive it).
inline BioPtr memoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// The bytes written to a memory BIO.
inline std::string bioContents(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return mem ? std::string(mem->data, mem->length) : std::string();
}

}  // namespace minik8s::pki::ossl
