// KubeletServer: the kubelet's HTTP endpoint (docs/kubelet.md "Kubelet HTTP endpoint"):
// /healthz, /containerLogs/{ns}/{pod}/{container}, /exec/{ns}/{pod}/{container}
// (WebSocket), /stats/summary.
//
// It knows pods only through CRI: containers are found by the labels every sandbox and
// container carries (io.kubernetes.pod.namespace/name/uid, io.kubernetes.container.name)
// and a container's log file is ContainerStatus.log_path, so it works beside any pod
// worker that follows those conventions. Owned by the kubelet: start() after the runtime
// is reachable, stop() before the runtime goes away. Threads: the HttpServer's; one per
// `logs -f` stream (polls the file and the container's state: local state without events);
// one stats sampler. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "cri/runtime.h"

namespace minik8s::kubelet {

struct KubeletServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 10250;  // 0: any free port (see KubeletServer::port())
  std::string node_name;  // reported in /stats/summary
  // CPU rates are deltas between samples this far apart; the first two samples are taken
  // 1 s apart so that rates exist soon after start.
  std::chrono::milliseconds stats_interval{10000};
  // `logs -f`: how often the file is checked for new lines and the container for exit.
  std::chrono::milliseconds log_poll_interval{200};
  std::chrono::milliseconds container_poll_interval{1000};
  int worker_threads = 4;
  int io_threads = 1;
  // HTTPS (the kubelet's --tls-cert-file, --tls-private-key-file, --client-ca-file; PEM).
  // With client_ca_pem every caller must present a certificate from that CA (no certificate:
  // the handshake fails), and only the API server is authorized: CN
  // kube-apiserver-kubelet-client or group system:masters; anyone else gets 403. Without
  // client_ca_pem: plain HTTP, anyone (`up --tls=false`).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string client_ca_pem;
};

// The identity the kubelet authorizes (kubeadm's name for the API server's kubelet client).
inline constexpr char kApiserverKubeletClientName[] = "kube-apiserver-kubelet-client";

// Whether a caller with this client certificate subject may use the kubelet endpoint.
bool kubeletCallerAllowed(const std::string& common_name,
                          const std::vector<std::string>& organizations);

// The kubelet's own serving certificate when it was given none (as the kubelet's
// --cert-dir default): `dir`/kubelet.crt and kubelet.key, a certificate for `node_name`
// (DNS) and `ips` signed by a self-signed CA "<node_name>-ca@<unix time>" (the chain is in
// kubelet.crt), made once and reused while it names them and is valid for 30 more days.
struct ServingCertificate {
  std::string cert_pem;  // leaf then CA
  std::string key_pem;
};
Result<ServingCertificate> ensureSelfSignedServingCertificate(const std::string& dir,
                                                              const std::string& node_name,
                                                              const std::vector<std::string>& ips);

class KubeletServer {
 public:
  KubeletServer(cri::Runtime& runtime, KubeletServerOptions options);
  ~KubeletServer();  // stop()

  KubeletServer(const KubeletServer&) = delete;
  KubeletServer& operator=(const KubeletServer&) = delete;

  // Binds (kUnavailable when the port is taken) and starts the stats sampler.
  Status start();
  // Ends open log streams and exec sessions, joins every thread. Idempotent.
  void stop();
  // The bound port; valid after start().
  uint16_t port() const;

  // The current /stats/summary document (JSON); samples now when no sample exists yet.
  std::string statsSummary();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::kubelet
