// Detached JSON Web Signatures (RFC 7515, compact serialization without the payload) over
// the kubeconfig in kube-public/cluster-info, as Kubernetes' bootstrap signer writes them
// (k8s.io/cluster-bootstrap/token/jws): HS256 (HMAC-SHA256, RFC 7518 §3.2) keyed with the
// bootstrap token's secret, protected header {"alg":"HS256","kid":"<token-id>"}, output
// "<base64url(header)>..<base64url(mac)>". A joining node that knows the token can check
// that whoever published cluster-info knew it too. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s::pki {

// The data key of the signature made with token `token_id`: "jws-kubeconfig-<token-id>".
inline constexpr char kJwsKubeconfigPrefix[] = "jws-kubeconfig-";
std::string jwsKubeconfigKey(std::string_view token_id);

// RFC 4648 §5 base64url without padding; decoding accepts no padding, whitespace or other
// alphabet (nullopt-like false then).
std::string base64UrlEncode(std::string_view bytes);
bool base64UrlDecode(std::string_view text, std::string* bytes);

// The detached JWS of `content` (kubeadm's ComputeDetachedSignature).
std::string computeDetachedJws(std::string_view content, std::string_view token_id,
                               std::string_view token_secret);

// Ok when `jws` is exactly the detached signature of `content` made with this token: a
// three-part compact JWS with an empty payload, a header that is a JSON object with "alg"
// "HS256" and "kid" `token_id` (no "crit"), and a MAC compared in constant time.
// kUnauthorized saying what does not match otherwise.
Status verifyDetachedJws(std::string_view jws, std::string_view content,
                         std::string_view token_id, std::string_view token_secret);

}  // namespace minik8s::pki
