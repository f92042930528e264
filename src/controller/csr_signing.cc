#include "controller/csr_signing.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "api/codec.h"
#include "common/log.h"

namespace minik8s::controller {

namespace {

std::optional<std::string> kubeApiserverClientProblem(const std::vector<std::string>& usages) {
  bool client_auth = false;
  for (const auto& usage : usages) {
    if (usage == kUsageClientAuth) {
      client_auth = true;
    } else if (usage != kUsageDigitalSignature && usage != kUsageKeyEncipherment) {
      return "invalid usage for client certificate: " + usage;
    }
  }
  if (!client_auth)
    return std::string("missing required usage for client certificate: client auth");
  return std::nullopt;
}

std::optional<std::string> kubeletServingProblem(const pki::CsrInfo& parsed,
                                                 const std::vector<std::string>& usages) {
  if (parsed.subject.organizations != std::vector<std::string>{kNodesGroup}) {
    return "subject organization is not system:nodes";
  }
  const std::string& cn = parsed.subject.common_name;
  if (cn.rfind(kNodeUserPrefix, 0) != 0 || cn.size() == std::string_view(kNodeUserPrefix).size()) {
    return "subject common name does not begin with system:node:";
  }
  if (parsed.dns_names.empty() && parsed.ip_addresses.empty()) {
    return "DNS or IP subjectAltName is required";
  }
  const std::set<std::string> got(usages.begin(), usages.end());
  const std::set<std::string> with_rsa = {kUsageDigitalSignature, kUsageKeyEncipherment,
                                          kUsageServerAuth};
  const std::set<std::string> without_rsa = {kUsageDigitalSignature, kUsageServerAuth};
  if (got != with_rsa && got != without_rsa) {
    return "usages did not match [digital signature key encipherment server auth]";
  }
  return std::nullopt;
}

}  // namespace

bool isServedSigner(std::string_view signer_name) {
  return signer_name == api::kSignerKubeApiserverClientKubelet ||
         signer_name == api::kSignerKubeApiserverClient ||
         signer_name == api::kSignerKubeletServing;
}

std::optional<std::string> signerProblem(std::string_view signer_name, const pki::CsrInfo& parsed,
                                         const std::vector<std::string>& usages) {
  if (signer_name == api::kSignerKubeApiserverClientKubelet) {
    return kubeletClientCsrProblem(parsed, usages);
  }
  if (signer_name == api::kSignerKubeApiserverClient) return kubeApiserverClientProblem(usages);
  if (signer_name == api::kSignerKubeletServing) return kubeletServingProblem(parsed, usages);
  return "signer " + std::string(signer_name) + " is not served here";
}

std::chrono::seconds signedCertificateLifetime(std::optional<int32_t> expiration_seconds,
                                               std::chrono::seconds max,
                                               Clock::WallTime ca_not_after, Clock::WallTime now) {
  std::chrono::seconds lifetime = max;
  if (expiration_seconds) {
    lifetime = std::min(
        std::max(std::chrono::seconds(*expiration_seconds), kMinSignedCertificateLifetime), max);
  }
  auto left = std::chrono::duration_cast<std::chrono::seconds>(ca_not_after - now);
  return std::min(lifetime, left);
}

SigningPlan planSigning(const api::CertificateSigningRequest& csr,
                        const Result<pki::CsrInfo>& parsed, std::chrono::seconds max_duration,
                        Clock::WallTime ca_not_after, Clock::WallTime now) {
  SigningPlan plan;
  if (!isServedSigner(csr.spec.signer_name) || !csr.status.certificate.empty() ||
      !csrHasCondition(csr, api::kCsrApproved) || csrHasCondition(csr, api::kCsrDenied) ||
      csrHasCondition(csr, api::kCsrFailed)) {
    return plan;
  }
  if (!parsed.isOk()) {
    plan.action = SigningPlan::Action::kFail;
    plan.message =
        "unable to parse csr \"" + csr.metadata.name + "\": " + parsed.status().message();
    return plan;
  }
  if (auto problem = signerProblem(csr.spec.signer_name, *parsed, csr.spec.usages)) {
    plan.action = SigningPlan::Action::kFail;
    plan.message = *problem;
    return plan;
  }
  auto lifetime =
      signedCertificateLifetime(csr.spec.expiration_seconds, max_duration, ca_not_after, now);
  if (lifetime <= std::chrono::seconds(0)) {
    plan.action = SigningPlan::Action::kRetry;
    plan.message = "the signer has expired: NotAfter=" + formatRfc3339(ca_not_after);
    return plan;
  }
  plan.action = SigningPlan::Action::kSign;
  plan.spec.validity = lifetime;
  for (const auto& usage : csr.spec.usages) {
    if (usage == kUsageClientAuth) plan.spec.client_auth = true;
    if (usage == kUsageServerAuth) plan.spec.server_auth = true;
  }
  return plan;
}

Result<std::unique_ptr<CsrSigningController>> CsrSigningController::create(
    client::Client& client, const client::ObjectCache<api::CertificateSigningRequest>& csrs,
    CsrSigningOptions options, Clock& clock) {
  auto ca = pki::parseCertificate(options.ca.cert_pem);
  if (!ca.isOk()) return invalid("cluster signing certificate: " + ca.status().message());
  if (!ca->is_ca) return invalid("cluster signing certificate is not a CA (CA:TRUE)");
  if (Status s = pki::keyMatchesCertificate(options.ca.key_pem, options.ca.cert_pem); !s.isOk()) {
    return invalid("cluster signing key: " + s.message());
  }
  if (options.duration <= std::chrono::seconds(0)) {
    return invalid("--cluster-signing-duration must be positive");
  }
  Clock::WallTime not_after =
      std::chrono::time_point_cast<Clock::WallTime::duration>(ca->not_after);
  return std::unique_ptr<CsrSigningController>(
      new CsrSigningController(client, csrs, std::move(options), not_after, clock));
}

Result<std::unique_ptr<CsrSigningController>> CsrSigningController::create(
    client::Client& client, client::SharedInformerFactory& informers, CsrSigningOptions options,
    Clock& clock) {
  auto& informer = informers.informerFor<api::CertificateSigningRequest>(*csrResource());
  ASSIGN_OR_RETURN(auto controller, create(client, informer.cache(), std::move(options), clock));
  CsrSigningController* self = controller.get();
  self->informers_ = {&informer};
  informer.addHandler({
      .on_add = [self](const CsrPtr& csr) { self->onCsr(csr); },
      .on_update = [self](const CsrPtr&, const CsrPtr& csr) { self->onCsr(csr); },
      .on_delete = nullptr,
  });
  return controller;
}

CsrSigningController::CsrSigningController(
    client::Client& client, const client::ObjectCache<api::CertificateSigningRequest>& csrs,
    CsrSigningOptions options, Clock::WallTime ca_not_after, Clock& clock)
    : client_(client),
      options_(std::move(options)),
      ca_not_after_(ca_not_after),
      clock_(clock),
      csrs_resource_(csrResource()),
      csrs_(csrs),
      queue_(clock),
      loop_("csrsigning", queue_, [this](const std::string& key) { return sync(key); }) {}

CsrSigningController::~CsrSigningController() {
  stop();
}

Status CsrSigningController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void CsrSigningController::stop() {
  loop_.stop();
}

void CsrSigningController::onCsr(const CsrPtr& csr) {
  if (isServedSigner(csr->spec.signer_name) && csr->status.certificate.empty() &&
      csrHasCondition(*csr, api::kCsrApproved) && !csrHasCondition(*csr, api::kCsrDenied) &&
      !csrHasCondition(*csr, api::kCsrFailed)) {
    queue_.add(csr->metadata.name);
  }
}

Status CsrSigningController::writeStatus(const api::CertificateSigningRequest& csr) {
  nlohmann::json body = api::toJson(csr);
  body["apiVersion"] = csrs_resource_->apiVersion();
  body["kind"] = csrs_resource_->kind;
  auto written = client_.update(*csrs_resource_, "", body, "status");
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

Status CsrSigningController::sync(const std::string& name) {
  CsrPtr csr = csrs_.get("", name);
  if (!csr) return Status::ok();
  const Clock::WallTime now = clock_.now();
  auto parsed = pki::parseCsr(csr->spec.request);
  SigningPlan plan = planSigning(*csr, parsed, options_.duration, ca_not_after_, now);
  std::string failure;
  switch (plan.action) {
    case SigningPlan::Action::kSkip: return Status::ok();
    case SigningPlan::Action::kRetry: return unavailable(plan.message);
    case SigningPlan::Action::kFail: failure = plan.message; break;
    case SigningPlan::Action::kSign: {
      auto cert = pki::signCsr(options_.ca, csr->spec.request, plan.spec);
      if (cert.isOk()) {
        api::CertificateSigningRequest issued = *csr;
        issued.status.certificate = std::move(cert).value();
        RETURN_IF_ERROR(writeStatus(issued));
        log::info("csrsigning: issued a certificate for {} ({}, {} s)", name,
                  parsed->subject.common_name, plan.spec.validity.count());
        return Status::ok();
      }
      if (cert.status().code() != Code::kBadRequest) return cert.status();
      failure = "unable to sign csr \"" + name + "\": " + cert.status().message();
      break;
    }
  }
  api::CertificateSigningRequest failed = *csr;
  const std::string stamp = formatRfc3339(now);
  failed.status.conditions.push_back({.type = api::kCsrFailed,
                                      .status = "True",
                                      .reason = "SignerValidationFailure",
                                      .message = failure,
                                      .last_update_time = stamp,
                                      .last_transition_time = stamp});
  RETURN_IF_ERROR(writeStatus(failed));
  log::info("csrsigning: {} failed: {}", name, failure);
  return Status::ok();
}

}  // namespace minik8s::controller
