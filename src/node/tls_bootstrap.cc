#include "node/tls_bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "api/defaults.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "common/files.h"
#include "common/log.h"
#include "node/local_cluster.h"
#include "pki/ca_hash.h"
#include "pki/certificates.h"

namespace minik8s::node {

using nlohmann::json;

namespace tls_bootstrap_impl {

constexpr char kNodesGroup[] = "system:nodes";
constexpr char kNodeUserPrefix[] = "system:node:";

std::string rfc3339Now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Ok when the certificate is for node `node_name`.
Status checkNodeSubject(const pki::CertificateInfo& info, const std::string& node_name) {
  std::string want = std::string(kNodeUserPrefix) + node_name;
  if (info.subject.common_name != want) {
    return invalid("the certificate is for " + info.subject.common_name + ", not " + want);
  }
  const auto& orgs = info.subject.organizations;
  if (std::find(orgs.begin(), orgs.end(), kNodesGroup) == orgs.end()) {
    return invalid("the certificate is not in the group system:nodes");
  }
  return Status::ok();
}

}  // namespace tls_bootstrap_impl

const api::ResourceInfo& csrResource() {
  if (const auto* found = api::findResource("certificates.k8s.io", "v1", "certificatesigningrequests")) {
    return *found;
  }
  // Before the API serves them (the client only needs the names).
  static const api::ResourceInfo kCsr = [] {
    api::ResourceInfo info;
    info.group = "certificates.k8s.io";
    info.version = "v1";
    info.kind = "CertificateSigningRequest";
    info.plural = "certificatesigningrequests";
    info.singular = "certificatesigningrequest";
    info.namespaced = false;
    info.short_names = {"csr"};
    info.subresources = {"approval", "status"};
    return info;
  }();
  return kCsr;
}

std::optional<std::string> nodeCredentialsProblem(const NodeCredentials& credentials,
                                                  const std::string& node_name,
                                                  std::chrono::system_clock::time_point now) {
  if (credentials.cert_pem.empty() || credentials.key_pem.empty()) {
    return "it has no client certificate and key";
  }
  if (credentials.ca_pem.empty()) return "it has no certificate-authority-data";
  if (Status s = pki::keyMatchesCertificate(credentials.key_pem, credentials.cert_pem);
      !s.isOk()) {
    return "its key does not match its certificate (" + s.message() + ")";
  }
  if (Status s = pki::verifyCertificate(credentials.ca_pem, credentials.cert_pem, now);
      !s.isOk()) {
    return "its certificate does not verify against its CA (" + s.message() + ")";
  }
  auto info = pki::parseCertificate(credentials.cert_pem);
  if (!info.isOk()) return "its certificate does not parse (" + info.status().message() + ")";
  if (Status s = tls_bootstrap_impl::checkNodeSubject(*info, node_name); !s.isOk()) {
    return s.message();
  }
  auto lifetime = info->not_after - info->not_before;
  if (info->not_after - now < lifetime / 5) return "its certificate expires soon";
  return std::nullopt;
}

json nodeCsrObject(const std::string& csr_pem, std::optional<int32_t> expiration_seconds) {
  json spec = {{"request", api::base64Encode(csr_pem)},
               {"signerName", kNodeClientSignerName},
               {"usages", json::array({"digital signature", "client auth"})}};
  if (expiration_seconds) spec["expirationSeconds"] = *expiration_seconds;
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "CertificateSigningRequest"},
          {"metadata", {{"generateName", kNodeCsrGenerateName}}},
          {"spec", spec}};
}

Result<CsrOutcome> csrOutcome(const json& csr) {
  CsrOutcome outcome;
  const json status = csr.is_object() ? csr.value("status", json::object()) : json::object();
  if (!status.is_object()) return outcome;
  for (const auto& condition : status.value("conditions", json::array())) {
    if (!condition.is_object() || condition.value("status", "True") != "True") continue;
    std::string type = condition.value("type", "");
    if (type != "Denied" && type != "Failed") continue;
    outcome.state = type == "Denied" ? CsrOutcome::State::kDenied : CsrOutcome::State::kFailed;
    outcome.message = condition.value("reason", "");
    std::string message = condition.value("message", "");
    if (!message.empty()) outcome.message += (outcome.message.empty() ? "" : ": ") + message;
    return outcome;
  }
  std::string encoded = status.value("certificate", "");
  if (encoded.empty()) return outcome;
  if (!api::base64Decode(encoded, &outcome.certificate_pem)) {
    return invalid("status.certificate is not base64");
  }
  outcome.state = CsrOutcome::State::kIssued;
  return outcome;
}

Status checkIssuedCertificate(const std::string& cert_pem, const std::string& key_pem,
                              const std::string& ca_pem, const std::string& node_name,
                              std::chrono::system_clock::time_point now) {
  if (Status s = pki::keyMatchesCertificate(key_pem, cert_pem); !s.isOk()) {
    return invalid("the issued certificate is not for our key: " + s.message());
  }
  if (Status s = pki::verifyCertificate(ca_pem, cert_pem, now); !s.isOk()) {
    return invalid("the issued certificate does not verify against the cluster CA: " +
                   s.message());
  }
  ASSIGN_OR_RETURN(auto info, pki::parseCertificate(cert_pem));
  RETURN_IF_ERROR(tls_bootstrap_impl::checkNodeSubject(info, node_name));
  if (!info.client_auth) return invalid("the issued certificate is not for client auth");
  return Status::ok();
}

Result<NodeCredentials> requestNodeCertificate(client::Client& client, const ClusterInfo& cluster,
                                               const TlsBootstrapOptions& options,
                                               std::stop_token stop) {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::string key_pem = pki::generatePrivateKey();
  pki::Subject subject{std::string(tls_bootstrap_impl::kNodeUserPrefix) + options.node_name,
                       {tls_bootstrap_impl::kNodesGroup}};
  ASSIGN_OR_RETURN(std::string csr_pem, pki::createCsr(key_pem, subject));
  auto created = client.create(csrResource(), "", nodeCsrObject(csr_pem, options.expiration_seconds));
  if (!created.isOk()) return created.status().withContext("creating the CertificateSigningRequest");
  json current = *created;
  const std::string name = current["metadata"].value("name", "");
  log::info("agent: CertificateSigningRequest {} created for {}; waiting for its certificate",
            name, subject.common_name);
  while (true) {
    ASSIGN_OR_RETURN(CsrOutcome outcome, csrOutcome(current));
    switch (outcome.state) {
      case CsrOutcome::State::kDenied:
        return Status(Code::kForbidden,
                      "CertificateSigningRequest " + name + " was denied: " + outcome.message);
      case CsrOutcome::State::kFailed:
        return internalError("CertificateSigningRequest " + name + " failed: " + outcome.message);
      case CsrOutcome::State::kIssued: {
        RETURN_IF_ERROR(checkIssuedCertificate(outcome.certificate_pem, key_pem, cluster.ca_pem,
                                               options.node_name,
                                               std::chrono::system_clock::now()));
        return NodeCredentials{cluster.server, cluster.ca_pem, outcome.certificate_pem, key_pem};
      }
      case CsrOutcome::State::kPending:
        break;
    }
    auto left = std::chrono::duration_cast<std::chrono::seconds>(
        deadline - std::chrono::steady_clock::now());
    if (stop.stop_requested()) {
      return unavailable("stopped while waiting for CertificateSigningRequest " + name);
    }
    if (left.count() <= 0) {
      return Status(Code::kDeadlineExceeded,
                    "CertificateSigningRequest " + name + " got no certificate within " +
                        std::to_string(options.timeout.count()) +
                        " s: is the controller manager's csrapproving/csrsigning running?");
    }
    client::ListOptions watch;
    watch.field_selector = "metadata.name=" + name;
    watch.resource_version = current["metadata"].value("resourceVersion", "");
    watch.timeout_seconds = static_cast<int>(std::max<int64_t>(1, left.count()));
    bool deleted = false;
    Status watched = client.watch(
        csrResource(), "", watch,
        [&](const client::WatchEvent& event) {
          if (event.type == "DELETED") {
            deleted = true;
            return false;
          }
          if (event.type != "ADDED" && event.type != "MODIFIED") return true;
          current = event.object;
          auto seen = csrOutcome(current);
          return seen.isOk() && seen->state == CsrOutcome::State::kPending;
        },
        stop);
    if (deleted) return internalError("CertificateSigningRequest " + name + " was deleted");
    if (!watched.isOk() || std::chrono::steady_clock::now() >= deadline) {
      // Expired watch or a broken connection: read it again (the loop ends at the deadline).
      auto got = client.get(csrResource(), "", name);
      if (got.isOk()) {
        current = *got;
      } else if (got.status().code() == Code::kNotFound) {
        return internalError("CertificateSigningRequest " + name + " was deleted");
      }
    }
  }
}

Result<std::optional<NodeCredentials>> readNodeKubeconfig(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<NodeCredentials>();
  client::ConfigSources sources;
  sources.kubeconfig = path;
  auto config = client::loadConfig(sources);
  if (!config.isOk()) return config.status().withContext(path);
  return std::optional<NodeCredentials>(NodeCredentials{
      config->server, config->tls.ca_pem, config->tls.client_cert_pem, config->tls.client_key_pem});
}

Status writeNodeKubeconfig(const std::string& path, const NodeCredentials& credentials) {
  ASSIGN_OR_RETURN(std::string yaml,
                   mergeKubeconfig("", credentials.server,
                                   {credentials.ca_pem, credentials.cert_pem, credentials.key_pem}));
  return writeFileAtomically(path, yaml, 0600);
}

Result<std::string> readBootstrapTokenFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string why = std::strerror(errno);
    return Status(errno == ENOENT ? Code::kNotFound : Code::kInvalid,
                  "--token-file " + path + ": " + why);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid("--token-file " + path + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return invalid("--token-file " + path + " has mode " + mode +
                   ": a bootstrap token file must not be accessible to group or others (chmod 600)");
  }
  std::string text;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 4096) break;
  }
  ::close(fd);
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  std::string token = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  if (!pki::parseBootstrapToken(token)) {
    return invalid("--token-file " + path +
                   " does not hold a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}");
  }
  return token;
}

Result<std::string> joinCluster(const JoinOptions& options, std::stop_token stop) {
  const std::string path = options.data_dir + "/" + kNodeKubeconfigFile;
  const std::string& node_name = options.bootstrap.node_name;
  ASSIGN_OR_RETURN(auto existing, readNodeKubeconfig(path));
  if (existing) {
    auto problem = nodeCredentialsProblem(*existing, node_name, std::chrono::system_clock::now());
    if (!problem && !options.discovery.unsafe_skip_ca_verification) {
      if (Status pinned = pki::checkCaCertHash(existing->ca_pem, options.discovery.ca_pins);
          !pinned.isOk()) {
        problem = "its CA is not the pinned one (" + pinned.message() + ")";
      }
    }
    if (!problem) {
      log::info("agent: using the node credentials in {}", path);
      return path;
    }
    log::info("agent: not using {}: {}; bootstrapping new credentials", path, *problem);
  }
  DiscoveryOptions discovery = options.discovery;
  if (!discovery.token) {
    auto token = pki::parseBootstrapToken(options.token);
    if (!token) return invalid("the bootstrap token is not of the form [a-z0-9]{6}.[a-z0-9]{16}");
    discovery.token = *token;
  }
  ASSIGN_OR_RETURN(ClusterInfo cluster, discoverClusterInfo(discovery));
  log::info("agent: cluster-info from {} is signed with the token and its CA matches the "
            "pinned hash; requesting a certificate",
            options.discovery.server);
  client::ClientConfig config;
  config.server = cluster.server;
  config.user_agent = "minik8s-agent-bootstrap";
  config.tls.ca_pem = cluster.ca_pem;
  config.bearer_token = options.token;
  ASSIGN_OR_RETURN(auto bootstrap_client, client::RestClient::connect(config));
  ASSIGN_OR_RETURN(NodeCredentials credentials,
                   requestNodeCertificate(*bootstrap_client, cluster, options.bootstrap, stop));
  RETURN_IF_ERROR(writeNodeKubeconfig(path, credentials));
  log::info("agent: node credentials for system:node:{} written to {}", node_name, path);
  return path;
}

}  // namespace minik8s::node
