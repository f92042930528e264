#include "controller/csr_approving.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "api/codec.h"
#include "common/log.h"

namespace minik8s::controller {

const api::ResourceInfo* csrResource() {
  return api::findResource(api::kCertificatesGroup, "v1", "certificatesigningrequests");
}

namespace {

bool inGroup(const std::vector<std::string>& groups, std::string_view group) {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

}  // namespace

bool csrHasCondition(const api::CertificateSigningRequest& csr, std::string_view type) {
  for (const auto& c : csr.status.conditions) {
    if (c.type == type && c.status != "False") return true;
  }
  return false;
}

std::optional<std::string> kubeletClientCsrProblem(const pki::CsrInfo& parsed,
                                                   const std::vector<std::string>& usages) {
  if (parsed.subject.organizations != std::vector<std::string>{kNodesGroup}) {
    return "subject organization is not system:nodes";
  }
  const std::string& cn = parsed.subject.common_name;
  if (cn.rfind(kNodeUserPrefix, 0) != 0 || cn.size() == std::string_view(kNodeUserPrefix).size()) {
    return "subject common name does not begin with system:node:";
  }
  if (!parsed.dns_names.empty()) return "DNS subjectAltNames are not allowed";
  if (!parsed.ip_addresses.empty()) return "IP subjectAltNames are not allowed";
  const std::set<std::string> got(usages.begin(), usages.end());
  const std::set<std::string> with_rsa = {kUsageClientAuth, kUsageDigitalSignature,
                                          kUsageKeyEncipherment};
  const std::set<std::string> without_rsa = {kUsageClientAuth, kUsageDigitalSignature};
  if (got != with_rsa && got != without_rsa) {
    return "usages did not match [client auth digital signature key encipherment]";
  }
  return std::nullopt;
}

CsrApproval approvalFor(const api::CertificateSigningRequest& csr, const pki::CsrInfo& parsed) {
  if (csr.spec.signer_name != api::kSignerKubeApiserverClientKubelet) {
    return CsrApproval::kNoDecision;
  }
  if (kubeletClientCsrProblem(parsed, csr.spec.usages)) return CsrApproval::kNoDecision;
  // Renewal first, as Kubernetes orders its recognizers: the node asks for its own name.
  if (csr.spec.username == parsed.subject.common_name && inGroup(csr.spec.groups, kNodesGroup)) {
    return CsrApproval::kSelfNodeClient;
  }
  // A node may not ask for another node's certificate: only bootstrap users may.
  if (inGroup(csr.spec.groups, kBootstrappersGroup) && !inGroup(csr.spec.groups, kNodesGroup)) {
    return CsrApproval::kNodeClient;
  }
  return CsrApproval::kNoDecision;
}

std::string approvalMessage(CsrApproval approval) {
  switch (approval) {
    case CsrApproval::kNodeClient:
      return "Auto approving kubelet client certificate after SubjectAccessReview.";
    case CsrApproval::kSelfNodeClient:
      return "Auto approving self kubelet client certificate after SubjectAccessReview.";
    case CsrApproval::kNoDecision: break;
  }
  return "";
}

CsrApprovingController::CsrApprovingController(
    client::Client& client, const client::ObjectCache<api::CertificateSigningRequest>& csrs,
    Clock& clock)
    : client_(client),
      clock_(clock),
      csrs_resource_(csrResource()),
      csrs_(csrs),
      queue_(clock),
      loop_("csrapproving", queue_, [this](const std::string& key) { return sync(key); }) {}

CsrApprovingController::CsrApprovingController(client::Client& client,
                                               client::SharedInformerFactory& informers,
                                               Clock& clock)
    : CsrApprovingController(
          client, informers.informerFor<api::CertificateSigningRequest>(*csrResource()).cache(),
          clock) {
  auto& csrs = informers.informerFor<api::CertificateSigningRequest>(*csrs_resource_);
  informers_ = {&csrs};
  csrs.addHandler({
      .on_add = [this](const CsrPtr& csr) { onCsr(csr); },
      .on_update = [this](const CsrPtr&, const CsrPtr& csr) { onCsr(csr); },
      .on_delete = nullptr,
  });
}

CsrApprovingController::~CsrApprovingController() {
  stop();
}

Status CsrApprovingController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void CsrApprovingController::stop() {
  loop_.stop();
}

void CsrApprovingController::onCsr(const CsrPtr& csr) {
  if (csr->status.certificate.empty() && !csrHasCondition(*csr, api::kCsrApproved) &&
      !csrHasCondition(*csr, api::kCsrDenied)) {
    queue_.add(csr->metadata.name);
  }
}

Status CsrApprovingController::sync(const std::string& name) {
  CsrPtr csr = csrs_.get("", name);
  if (!csr) return Status::ok();
  if (!csr->status.certificate.empty() || csrHasCondition(*csr, api::kCsrApproved) ||
      csrHasCondition(*csr, api::kCsrDenied)) {
    return Status::ok();
  }
  auto parsed = pki::parseCsr(csr->spec.request);
  if (!parsed.isOk()) {
    // The request is immutable: retrying cannot help. The signer marks it Failed.
    log::debug("csrapproving: {}: unable to parse the request: {}", name,
               parsed.status().message());
    return Status::ok();
  }
  CsrApproval approval = approvalFor(*csr, *parsed);
  if (approval == CsrApproval::kNoDecision) return Status::ok();

  api::CertificateSigningRequest approved = *csr;
  const std::string now = formatRfc3339(clock_.now());
  approved.status.conditions.push_back({.type = api::kCsrApproved,
                                        .status = "True",
                                        .reason = "AutoApproved",
                                        .message = approvalMessage(approval),
                                        .last_update_time = now,
                                        .last_transition_time = now});
  nlohmann::json body = api::toJson(approved);
  body["apiVersion"] = csrs_resource_->apiVersion();
  body["kind"] = csrs_resource_->kind;
  auto written = client_.update(*csrs_resource_, "", body, "approval");
  if (written.status().code() == Code::kNotFound) return Status::ok();
  if (!written.isOk()) return written.status();
  log::info("csrapproving: approved {} for {} ({})", name, parsed->subject.common_name,
            csr->spec.username);
  return Status::ok();
}

}  // namespace minik8s::controller
