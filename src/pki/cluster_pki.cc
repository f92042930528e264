#include "pki/cluster_pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/files.h"
#include "common/log.h"

namespace minik8s::pki {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kDefaultApiserverDnsNames = {
    "kubernetes", "kubernetes.default", "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local", "localhost"};
const std::vector<std::string> kDefaultApiserverIps = {"127.0.0.1"};

void appendUnique(std::vector<std::string>& out, const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
}

// "::0001" → "::1", so that a wanted IP compares equal to the one a certificate holds.
std::string canonicalIp(const std::string& ip) {
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, ip.c_str(), bytes) == 1 && inet_ntop(family, bytes, text, sizeof text)) {
      return text;
    }
  }
  return ip;
}

bool contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

Status errnoStatus(const std::string& what) {
  return internalError(what + ": " + std::strerror(errno));
}

// The file's contents, nullopt when it does not exist.
Result<std::optional<std::string>> readFileIfExists(const std::string& path) {
  auto content = readFile(path);
  if (!content.isOk() && content.status().code() == Code::kNotFound) {
    return std::optional<std::string>();
  }
  if (!content.isOk()) return content.status();
  return std::optional<std::string>(std::move(content).value());
}

Status writePair(const std::string& cert_path, const std::string& key_path,
                 const CertificateAndKey& pair) {
  // The key first: a crash in between leaves a certificate that does not match its key,
  // which the next start reissues.
  RETURN_IF_ERROR(writeFileAtomically(key_path, pair.key_pem, 0600));
  return writeFileAtomically(cert_path, pair.cert_pem, 0644);
}

// Both files of a pair, nullopt unless both exist.
Result<std::optional<CertificateAndKey>> readPair(const std::string& cert_path,
                                                  const std::string& key_path) {
  ASSIGN_OR_RETURN(auto cert, readFileIfExists(cert_path));
  ASSIGN_OR_RETURN(auto key, readFileIfExists(key_path));
  if (!cert || !key) return std::optional<CertificateAndKey>();
  return std::optional<CertificateAndKey>(CertificateAndKey{std::move(*cert), std::move(*key)});
}

// Tightens a key file left with looser permissions (by an editor, a copy) to 0600.
Status restrictKeyMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errnoStatus("stat " + path);
  if ((st.st_mode & 0777) != 0600 && ::chmod(path.c_str(), 0600) != 0) {
    return errnoStatus("chmod " + path);
  }
  return Status::ok();
}

Result<CertificateAndKey> ensureCa(const ClusterPki& pki) {
  ASSIGN_OR_RETURN(auto cert, readFileIfExists(pki.caPath()));
  ASSIGN_OR_RETURN(auto key, readFileIfExists(pki.caKeyPath()));
  if (cert && !key) {
    return invalid(pki.caPath() + " exists without " + pki.caKeyPath() +
                   "; restore the key or remove both to create a new CA");
  }
  if (cert) {
    CertificateAndKey ca{std::move(*cert), std::move(*key)};
    Status match = keyMatchesCertificate(ca.key_pem, ca.cert_pem);
    if (!match.isOk())
      return invalid(pki.caKeyPath() + " does not belong to " + pki.caPath() + ": " +
                     match.message());
    RETURN_IF_ERROR(restrictKeyMode(pki.caKeyPath()));
    return ca;
  }
  if (key) log::warn("pki: {} has no certificate; creating a new CA", pki.caKeyPath());
  ASSIGN_OR_RETURN(auto ca, createCa(kCaCommonName, kCaValidity));
  RETURN_IF_ERROR(writePair(pki.caPath(), pki.caKeyPath(), ca));
  log::info("pki: created the cluster CA in {}", pki.dir);
  return ca;
}

// Reuses or reissues one leaf certificate of the cluster.
Result<CertificateAndKey> ensureLeaf(const CertificateAndKey& ca, const std::string& cert_path,
                                     const std::string& key_path, const CertificateSpec& spec,
                                     std::string_view what) {
  ASSIGN_OR_RETURN(auto existing, readPair(cert_path, key_path));
  auto reason = certificateRenewalReason(ca, existing, spec, std::chrono::system_clock::now());
  if (!reason) {
    RETURN_IF_ERROR(restrictKeyMode(key_path));
    return std::move(*existing);
  }
  ASSIGN_OR_RETURN(auto issued, issueCertificate(ca, spec));
  RETURN_IF_ERROR(writePair(cert_path, key_path, issued));
  log::info("pki: issued the {} certificate ({})", what, *reason);
  return issued;
}

}  // namespace

CertificateSpec apiserverCertificateSpec(const ClusterPkiOptions& options) {
  CertificateSpec spec;
  spec.subject.common_name = kApiserverCommonName;
  spec.dns_names = kDefaultApiserverDnsNames;
  appendUnique(spec.dns_names, options.apiserver_dns_names);
  spec.ip_addresses = kDefaultApiserverIps;
  std::vector<std::string> ips;
  for (const auto& ip : options.apiserver_ips) ips.push_back(canonicalIp(ip));
  appendUnique(spec.ip_addresses, ips);
  spec.server_auth = true;
  spec.validity = kLeafValidity;
  return spec;
}

CertificateSpec adminCertificateSpec() {
  CertificateSpec spec;
  spec.subject = Subject{kAdminCommonName, {kMastersGroup}};
  spec.client_auth = true;
  spec.validity = kLeafValidity;
  return spec;
}

CertificateSpec kubeletClientCertificateSpec() {
  CertificateSpec spec;
  spec.subject = Subject{kKubeletClientCommonName, {kMastersGroup}};
  spec.client_auth = true;
  spec.validity = kLeafValidity;
  return spec;
}

std::optional<std::string> certificateRenewalReason(
    const CertificateAndKey& ca, const std::optional<CertificateAndKey>& existing,
    const CertificateSpec& wanted, std::chrono::system_clock::time_point now) {
  if (!existing) return "missing";
  if (Status st = keyMatchesCertificate(existing->key_pem, existing->cert_pem); !st.isOk()) {
    return "key and certificate do not match: " + st.message();
  }
  if (Status st = verifyCertificate(ca.cert_pem, existing->cert_pem, now); !st.isOk()) {
    return "does not verify against the CA: " + st.message();
  }
  auto info = parseCertificate(existing->cert_pem);
  if (!info.isOk()) return "unreadable: " + info.status().message();
  if (info->not_after - now < kRenewBefore) return "expires within 30 days";
  if (info->subject != wanted.subject) return "subject differs";
  if (wanted.server_auth && !info->server_auth) return "lacks serverAuth";
  if (wanted.client_auth && !info->client_auth) return "lacks clientAuth";
  for (const auto& dns : wanted.dns_names) {
    if (!contains(info->dns_names, dns)) return "lacks subjectAltName DNS:" + dns;
  }
  for (const auto& ip : wanted.ip_addresses) {
    if (!contains(info->ip_addresses, canonicalIp(ip))) return "lacks subjectAltName IP:" + ip;
  }
  return std::nullopt;
}

Result<ClusterPki> ensureClusterPki(const std::string& dir, const ClusterPkiOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internalError("create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return errnoStatus("chmod " + dir);

  ClusterPki pki;
  pki.dir = dir;
  ASSIGN_OR_RETURN(pki.ca, ensureCa(pki));
  ASSIGN_OR_RETURN(pki.apiserver,
                   ensureLeaf(pki.ca, pki.apiserverCertPath(), pki.apiserverKeyPath(),
                              apiserverCertificateSpec(options), "apiserver"));
  ASSIGN_OR_RETURN(pki.admin, ensureLeaf(pki.ca, pki.adminCertPath(), pki.adminKeyPath(),
                                         adminCertificateSpec(), "admin"));
  ASSIGN_OR_RETURN(pki.kubelet_client,
                   ensureLeaf(pki.ca, pki.kubeletClientCertPath(), pki.kubeletClientKeyPath(),
                              kubeletClientCertificateSpec(), "apiserver-kubelet-client"));
  return pki;
}

}  // namespace minik8s::pki
