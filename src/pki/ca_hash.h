// The CA pin a joining node checks, as kubeadm writes it for --discovery-token-ca-cert-hash:
// "sha256:" and the lower-case hex SHA-256 of the certificate's DER SubjectPublicKeyInfo
// (`openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum`). Pure,
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::pki {

// The pin of the first certificate in `cert_pem` (kBadRequest when there is none).
Result<std::string> caCertHash(std::string_view cert_pem);

// Ok when the first certificate of `ca_pem` matches one of `pins` ("sha256:<hex>", the hex
// in either case). kInvalid for a pin not in that format; kUnauthorized naming the actual
// pin when none matches (or `pins` is empty).
Status checkCaCertHash(std::string_view ca_pem, const std::vector<std::string>& pins);

}  // namespace minik8s::pki
