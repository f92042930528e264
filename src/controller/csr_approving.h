// CsrApprovingController: approves the client certificate requests of kubelets
// (Kubernetes' csrapproving controller, pkg/controller/certificates/approver).
//
// A CertificateSigningRequest is approved when it is a kubelet client request
// (kubeletClientCsrProblem: signer kubernetes.io/kube-apiserver-client-kubelet, subject
// CN=system:node:<name>, O=[system:nodes] exactly, no subjectAltNames, usages
// {digital signature, client auth} with or without key encipherment) and its requestor
// may ask for it: a bootstrap-token user (group system:bootstrappers) for a new node
// ("nodeclient"), or the node itself (spec.username == the CN, group system:nodes) for a
// renewal ("selfnodeclient"). Kubernetes asks a SubjectAccessReview for these two
// permissions; without RBAC the groups stand for the default bindings. Everything else
// gets no decision: a human approves or denies it.
//
// sync(name) reads the CSR from the lister; one already Approved or Denied, or with a
// certificate, is left alone. The approval is the Approved condition (reason
// AutoApproved) written through the `approval` subresource with the cached
// resourceVersion (a conflict requeues). Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_certificates.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "pki/certificates.h"

namespace minik8s::controller {

using CsrPtr = std::shared_ptr<const api::CertificateSigningRequest>;

inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kNodesGroup[] = "system:nodes";
inline constexpr char kBootstrappersGroup[] = "system:bootstrappers";

// Key usages as certificates.k8s.io/v1 spells them.
inline constexpr char kUsageDigitalSignature[] = "digital signature";
inline constexpr char kUsageKeyEncipherment[] = "key encipherment";
inline constexpr char kUsageClientAuth[] = "client auth";
inline constexpr char kUsageServerAuth[] = "server auth";

// certificates.k8s.io/v1 certificatesigningrequests.
const api::ResourceInfo* csrResource();

// Whether `csr` has a condition of `type` (Approved, Denied, Failed) that is not "False"
// (Kubernetes' GetCertApprovalCondition looks at the type only; validation makes
// Approved and Denied True).
bool csrHasCondition(const api::CertificateSigningRequest& csr, std::string_view type);

// Why a request parsed into `parsed` with `usages` is not a kubelet client certificate
// request (Kubernetes' ValidateKubeletClientCSR, same wording), or nullopt when it is.
std::optional<std::string> kubeletClientCsrProblem(const pki::CsrInfo& parsed,
                                                   const std::vector<std::string>& usages);

enum class CsrApproval {
  kNoDecision,
  kNodeClient,      // a bootstrap user asks for a new node's client certificate
  kSelfNodeClient,  // a node renews its own client certificate
};

// The decision for `csr`, whose spec.request parsed into `parsed`. Pure: it does not look
// at the conditions (sync skips CSRs already decided).
CsrApproval approvalFor(const api::CertificateSigningRequest& csr, const pki::CsrInfo& parsed);

// The Approved condition's message for an approval (Kubernetes' wording).
std::string approvalMessage(CsrApproval approval);

class CsrApprovingController {
 public:
  CsrApprovingController(client::Client& client, client::SharedInformerFactory& informers,
                         Clock& clock = Clock::real());
  // For tests: reads a prefilled cache; no handlers are registered.
  CsrApprovingController(client::Client& client,
                         const client::ObjectCache<api::CertificateSigningRequest>& csrs,
                         Clock& clock = Clock::real());
  ~CsrApprovingController();
  CsrApprovingController(const CsrApprovingController&) = delete;
  CsrApprovingController& operator=(const CsrApprovingController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& name);
  void onCsr(const CsrPtr& csr);

  client::WorkQueue& queue() { return queue_; }

 private:
  client::Client& client_;
  Clock& clock_;
  const api::ResourceInfo* csrs_resource_;
  client::Lister<api::CertificateSigningRequest> csrs_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
