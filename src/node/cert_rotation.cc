#include "node/cert_rotation.h"

#include <algorithm>
#include <optional>

#include "client/rest_client.h"
#include "common/log.h"
#include "pki/certificates.h"

namespace minik8s::node {

std::chrono::system_clock::time_point rotationDeadline(
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after, double jitter) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  const auto total = not_after - not_before;
  const auto at = std::chrono::round<std::chrono::system_clock::duration>(
      std::chrono::duration<double, std::chrono::system_clock::period>(total) *
      (0.7 + 0.2 * jitter));
  return not_before + at;
}

Result<NodeCredentials> renewNodeCertificate(const NodeCredentials& current,
                                             const TlsBootstrapOptions& options,
                                             std::stop_token stop) {
  client::ClientConfig config;
  config.server = current.server;
  config.user_agent = "minik8s-agent-certificate-rotation";
  config.tls.ca_pem = current.ca_pem;
  config.tls.client_cert_pem = current.cert_pem;
  config.tls.client_key_pem = current.key_pem;
  ASSIGN_OR_RETURN(auto client, client::RestClient::connect(config));
  return requestNodeCertificate(*client, ClusterInfo{current.server, current.ca_pem}, options,
                                stop);
}

CertificateRotator::CertificateRotator(CertificateRotatorOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  if (!options_.renew) {
    options_.renew = [bootstrap = options_.bootstrap](const NodeCredentials& current,
                                                      std::stop_token stop) {
      return renewNodeCertificate(current, bootstrap, stop);
    };
  }
}

CertificateRotator::~CertificateRotator() {
  stop();
}

Status CertificateRotator::start() {
  ASSIGN_OR_RETURN(auto read, readNodeKubeconfig(options_.kubeconfig));
  if (!read || read->cert_pem.empty()) {
    return invalid(options_.kubeconfig + " holds no client certificate to rotate");
  }
  RETURN_IF_ERROR(pki::parseCertificate(read->cert_pem).status());
  {
    std::lock_guard lock(mu_);
    current_ = *read;
  }
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
  return Status::ok();
}

void CertificateRotator::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

NodeCredentials CertificateRotator::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

int CertificateRotator::rotations() const {
  std::lock_guard lock(mu_);
  return rotations_;
}

void CertificateRotator::loop(std::stop_token stop) {
  constexpr auto kInitialBackoff = std::chrono::seconds(5);
  constexpr auto kMaxBackoff = std::chrono::minutes(5);
  std::chrono::nanoseconds backoff = kInitialBackoff;
  // When the certificate in use was received: the lifetime counts from then, not from a
  // notBefore the signer backdated (5 min), or a short-lived certificate would be due at once.
  std::optional<std::chrono::system_clock::time_point> received;
  while (!stop.stop_requested()) {
    NodeCredentials now_using = current();
    auto cert = pki::parseCertificate(now_using.cert_pem);
    if (!cert.isOk()) {
      log::error("agent: certificate rotation: {}", cert.status().toString());
      return;
    }
    const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    const auto start = received ? std::max(*received, cert->not_before) : cert->not_before;
    const auto deadline = rotationDeadline(start, cert->not_after, jitter);
    const auto wait = deadline - clock_.now();
    if (wait > std::chrono::nanoseconds::zero()) {
      log::info("agent: client certificate valid until {}; rotating it at {}",
                formatRfc3339(cert->not_after), formatRfc3339(deadline));
      if (!clock_.sleepFor(wait, stop)) return;
    }
    while (!stop.stop_requested()) {
      auto renewed = options_.renew(now_using, stop);
      Status written = renewed.isOk() ? writeNodeKubeconfig(options_.kubeconfig, *renewed)
                                      : renewed.status();
      if (written.isOk()) {
        {
          std::lock_guard lock(mu_);
          current_ = *renewed;
          ++rotations_;
        }
        received = clock_.now();
        auto issued = pki::parseCertificate(renewed->cert_pem);
        log::info("agent: client certificate rotated (valid until {}), written to {}",
                  issued.isOk() ? formatRfc3339(issued->not_after) : "?", options_.kubeconfig);
        if (options_.on_rotated) options_.on_rotated(*renewed);
        backoff = kInitialBackoff;
        break;
      }
      log::warn("agent: rotating the client certificate: {}; retrying in {} s",
                written.toString(),
                std::chrono::duration_cast<std::chrono::seconds>(backoff).count());
      if (!clock_.sleepFor(backoff, stop)) return;
      backoff = std::min<std::chrono::nanoseconds>(backoff * 2, kMaxBackoff);
    }
  }
}

}  // namespace minik8s::node
