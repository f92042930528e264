// CsrSigningController: issues the certificates of approved CertificateSigningRequests
// with the cluster CA (Kubernetes' csrsigning controller, pkg/controller/certificates/signer).
//
// Signers served: kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kube-apiserver-client
// and kubernetes.io/kubelet-serving; CSRs for any other signer are left to their signer. A CSR
// is signed when it is Approved, not Denied, not Failed and has no certificate yet. The pure
// planSigning decides: the request must parse (its self-signature verified) and fit the
// signer (signerProblem, Kubernetes' checks and wording), otherwise the CSR gets the Failed
// condition (reason SignerValidationFailure) and is never tried again. The lifetime is
// spec.expirationSeconds (at least 10 minutes) capped at --cluster-signing-duration (8760h),
// and never past the CA's own notAfter. The certificate (PEM) is written to status.certificate
// through the `status` subresource with the cached resourceVersion (a conflict requeues).
// Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_certificates.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "common/status.h"
#include "controller/csr_approving.h"
#include "pki/certificates.h"

namespace minik8s::controller {

inline constexpr std::chrono::seconds kDefaultClusterSigningDuration = std::chrono::hours(8760);
// Kubernetes' floor for spec.expirationSeconds.
inline constexpr std::chrono::seconds kMinSignedCertificateLifetime = std::chrono::minutes(10);

struct CsrSigningOptions {
  pki::CertificateAndKey ca;  // --cluster-signing-cert-file / --cluster-signing-key-file
  std::chrono::seconds duration = kDefaultClusterSigningDuration;  // --cluster-signing-duration
};

// Whether this controller signs for `signer_name`.
bool isServedSigner(std::string_view signer_name);

// Why a request parsed into `parsed` with `usages` does not fit `signer_name` (one of the
// served signers), or nullopt when it does. kube-apiserver-client: usages within {digital
// signature, key encipherment, client auth} and including client auth. ..-client-kubelet:
// kubeletClientCsrProblem. kubelet-serving: O=[system:nodes], CN system:node:<name>, at least
// one DNS or IP subjectAltName, usages {digital signature, server auth} (+ key encipherment).
std::optional<std::string> signerProblem(std::string_view signer_name, const pki::CsrInfo& parsed,
                                         const std::vector<std::string>& usages);

// The certificate's lifetime: `expiration_seconds` (floored at 10 minutes) or `max` when
// unset or longer, cut at `ca_not_after`. Zero or negative when the CA has expired at `now`.
std::chrono::seconds signedCertificateLifetime(std::optional<int32_t> expiration_seconds,
                                               std::chrono::seconds max,
                                               Clock::WallTime ca_not_after, Clock::WallTime now);

struct SigningPlan {
  // kRetry: the CA has expired; the CSR is left as is (Kubernetes returns an error).
  enum class Action { kSkip, kSign, kFail, kRetry };
  Action action = Action::kSkip;
  pki::CertificateSpec spec;  // kSign: the usages and validity (subject and SANs: the CSR's)
  std::string message;        // kFail: the Failed condition's message; kRetry: why
};

// What to do with `csr`. Skips a CSR of another signer, not approved, denied, failed or
// already issued. `parsed` is pki::parseCsr(csr.spec.request). Pure.
SigningPlan planSigning(const api::CertificateSigningRequest& csr,
                        const Result<pki::CsrInfo>& parsed, std::chrono::seconds max_duration,
                        Clock::WallTime ca_not_after, Clock::WallTime now);

class CsrSigningController {
 public:
  // kInvalid when options.ca is not a CA certificate with its key.
  static Result<std::unique_ptr<CsrSigningController>> create(
      client::Client& client, client::SharedInformerFactory& informers, CsrSigningOptions options,
      Clock& clock = Clock::real());
  // For tests: reads a prefilled cache; no handlers are registered.
  static Result<std::unique_ptr<CsrSigningController>> create(
      client::Client& client, const client::ObjectCache<api::CertificateSigningRequest>& csrs,
      CsrSigningOptions options, Clock& clock = Clock::real());
  ~CsrSigningController();
  CsrSigningController(const CsrSigningController&) = delete;
  CsrSigningController& operator=(const CsrSigningController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& name);
  void onCsr(const CsrPtr& csr);

  client::WorkQueue& queue() { return queue_; }

 private:
  CsrSigningController(client::Client& client,
                       const client::ObjectCache<api::CertificateSigningRequest>& csrs,
                       CsrSigningOptions options, Clock::WallTime ca_not_after, Clock& clock);
  Status writeStatus(const api::CertificateSigningRequest& csr);

  client::Client& client_;
  const CsrSigningOptions options_;
  const Clock::WallTime ca_not_after_;
  Clock& clock_;
  const api::ResourceInfo* csrs_resource_;
  client::Lister<api::CertificateSigningRequest> csrs_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
