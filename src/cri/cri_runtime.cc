#include "cri/cri_runtime.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "cri.grpc.pb.h"
#include "rpc/connection_keeper.h"

namespace minik8s::cri {

namespace pb = ::runtime::v1;

namespace {

using SteadyClock = std::chrono::steady_clock;

// The one place where gRPC errors become Status.
Status fromGrpc(const grpc::Status& s, std::string_view call) {
  if (s.ok()) return Status::ok();
  std::string msg = "CRI " + std::string(call) + ": " + s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return notFound(std::move(msg));
    case grpc::StatusCode::ALREADY_EXISTS:
      return alreadyExists(std::move(msg));
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return invalid(std::move(msg));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return deadlineExceeded(std::move(msg));
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
      return unavailable(std::move(msg));
    case grpc::StatusCode::FAILED_PRECONDITION:
      return conflict(std::move(msg));
    case grpc::StatusCode::UNKNOWN:
      // containerd reports a reserved sandbox/container name as UNKNOWN.
      if (s.error_message().find("failed to reserve") != std::string::npos) {
        return alreadyExists(std::move(msg));
      }
      if (s.error_message().find("not found") != std::string::npos) {
        return notFound(std::move(msg));
      }
      return internalError(std::move(msg));
    default:
      return internalError(std::move(msg));
  }
}

template <typename Map>
void putLabels(Map* out, const Labels& in) {
  for (const auto& [k, v] : in) (*out)[k] = v;
}

template <typename Map>
Labels getLabels(const Map& in) {
  return Labels(in.begin(), in.end());
}

void toPb(const NamespaceOptions& in, pb::NamespaceOption* out) {
  out->set_network(static_cast<pb::NamespaceMode>(in.network));
  out->set_pid(static_cast<pb::NamespaceMode>(in.pid));
  out->set_ipc(static_cast<pb::NamespaceMode>(in.ipc));
  out->set_target_id(in.target_id);
}

void toPb(const PodSandboxMetadata& in, pb::PodSandboxMetadata* out) {
  out->set_name(in.name);
  out->set_uid(in.uid);
  out->set_namespace_(in.namespace_);
  out->set_attempt(in.attempt);
}

PodSandboxMetadata fromPb(const pb::PodSandboxMetadata& in) {
  return {in.name(), in.uid(), in.namespace_(), in.attempt()};
}

ContainerMetadata fromPb(const pb::ContainerMetadata& in) { return {in.name(), in.attempt()}; }

void toPb(const PodSandboxConfig& in, pb::PodSandboxConfig* out) {
  toPb(in.metadata, out->mutable_metadata());
  out->set_hostname(in.hostname);
  out->set_log_directory(in.log_directory);
  if (in.dns) {
    auto* dns = out->mutable_dns_config();
    for (const auto& s : in.dns->servers) dns->add_servers(s);
    for (const auto& s : in.dns->searches) dns->add_searches(s);
    for (const auto& s : in.dns->options) dns->add_options(s);
  }
  for (const auto& p : in.port_mappings) {
    auto* pm = out->add_port_mappings();
    pm->set_protocol(static_cast<pb::Protocol>(p.protocol));
    pm->set_container_port(p.container_port);
    pm->set_host_port(p.host_port);
    pm->set_host_ip(p.host_ip);
  }
  putLabels(out->mutable_labels(), in.labels);
  putLabels(out->mutable_annotations(), in.annotations);
  auto* linux_cfg = out->mutable_linux();
  linux_cfg->set_cgroup_parent(in.cgroup_parent);
  putLabels(linux_cfg->mutable_sysctls(), in.sysctls);
  auto* sc = linux_cfg->mutable_security_context();
  toPb(in.namespace_options, sc->mutable_namespace_options());
  sc->set_privileged(in.privileged);
}

void toPb(const Mount& in, pb::Mount* out) {
  out->set_container_path(in.container_path);
  out->set_host_path(in.host_path);
  out->set_readonly(in.readonly);
  out->set_propagation(static_cast<pb::MountPropagation>(in.propagation));
}

Mount fromPb(const pb::Mount& in) {
  return {in.container_path(), in.host_path(), in.readonly(),
          static_cast<MountPropagation>(in.propagation())};
}

void toPb(const ContainerConfig& in, pb::ContainerConfig* out) {
  out->mutable_metadata()->set_name(in.metadata.name);
  out->mutable_metadata()->set_attempt(in.metadata.attempt);
  out->mutable_image()->set_image(in.image);
  for (const auto& s : in.command) out->add_command(s);
  for (const auto& s : in.args) out->add_args(s);
  out->set_working_dir(in.working_dir);
  for (const auto& [k, v] : in.envs) {
    auto* kv = out->add_envs();
    kv->set_key(k);
    kv->set_value(v);
  }
  for (const auto& m : in.mounts) toPb(m, out->add_mounts());
  putLabels(out->mutable_labels(), in.labels);
  putLabels(out->mutable_annotations(), in.annotations);
  out->set_log_path(in.log_path);
  out->set_stdin(in.stdin);
  out->set_stdin_once(in.stdin_once);
  out->set_tty(in.tty);
  auto* linux_cfg = out->mutable_linux();
  auto* r = linux_cfg->mutable_resources();
  r->set_cpu_period(in.resources.cpu_period);
  r->set_cpu_quota(in.resources.cpu_quota);
  r->set_cpu_shares(in.resources.cpu_shares);
  r->set_memory_limit_in_bytes(in.resources.memory_limit_in_bytes);
  r->set_oom_score_adj(in.resources.oom_score_adj);
  r->set_cpuset_cpus(in.resources.cpuset_cpus);
  r->set_cpuset_mems(in.resources.cpuset_mems);
  auto* sc = linux_cfg->mutable_security_context();
  sc->set_privileged(in.privileged);
  sc->set_readonly_rootfs(in.readonly_rootfs);
  if (in.run_as_user) sc->mutable_run_as_user()->set_value(*in.run_as_user);
  if (in.run_as_group) sc->mutable_run_as_group()->set_value(*in.run_as_group);
  for (const auto& c : in.add_capabilities) sc->mutable_capabilities()->add_add_capabilities(c);
  for (const auto& c : in.drop_capabilities) {
    sc->mutable_capabilities()->add_drop_capabilities(c);
  }
  toPb(in.namespace_options, sc->mutable_namespace_options());
}

ContainerStats fromPb(const pb::ContainerStats& in) {
  ContainerStats out;
  out.id = in.attributes().id();
  out.metadata = fromPb(in.attributes().metadata());
  out.labels = getLabels(in.attributes().labels());
  out.annotations = getLabels(in.attributes().annotations());
  if (in.has_cpu()) {
    out.timestamp = in.cpu().timestamp();
    if (in.cpu().has_usage_core_nano_seconds()) {
      out.cpu_usage_core_nano_seconds = in.cpu().usage_core_nano_seconds().value();
    }
  }
  if (in.has_memory()) {
    const auto& m = in.memory();
    if (m.has_working_set_bytes()) out.memory_working_set_bytes = m.working_set_bytes().value();
    if (m.has_usage_bytes()) out.memory_usage_bytes = m.usage_bytes().value();
    if (m.has_rss_bytes()) out.memory_rss_bytes = m.rss_bytes().value();
    if (m.has_available_bytes()) out.memory_available_bytes = m.available_bytes().value();
  }
  if (in.has_writable_layer() && in.writable_layer().has_used_bytes()) {
    out.writable_layer_bytes = in.writable_layer().used_bytes().value();
  }
  return out;
}

Image fromPb(const pb::Image& in) {
  Image out;
  out.id = in.id();
  out.repo_tags.assign(in.repo_tags().begin(), in.repo_tags().end());
  out.repo_digests.assign(in.repo_digests().begin(), in.repo_digests().end());
  out.size = in.size();
  if (in.has_uid()) out.uid = in.uid().value();
  out.username = in.username();
  return out;
}

std::string socketTarget(const std::string& endpoint) {
  if (endpoint.rfind("unix:", 0) == 0) return endpoint;
  return "unix://" + endpoint;
}

}  // namespace

std::string_view containerStateName(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated:
      return "CONTAINER_CREATED";
    case ContainerState::kRunning:
      return "CONTAINER_RUNNING";
    case ContainerState::kExited:
      return "CONTAINER_EXITED";
    case ContainerState::kUnknown:
      break;
  }
  return "CONTAINER_UNKNOWN";
}

struct CriRuntime::Impl {
  CriRuntimeOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::RuntimeService::Stub> runtime;
  std::unique_ptr<pb::ImageService::Stub> images;
  std::unique_ptr<rpc::ConnectionKeeper> connection_keeper;  // see rpc/connection_keeper.h

  void setDeadline(grpc::ClientContext* ctx, std::chrono::milliseconds timeout) const {
    ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  }

  // Calls stub->*method with a fresh context and deadline; converts the status.
  template <typename Stub, typename Req, typename Resp>
  Status call(Stub* stub,
              grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
              std::string_view name, const Req& req, Resp* resp,
              std::chrono::milliseconds timeout) const {
    grpc::ClientContext ctx;
    setDeadline(&ctx, timeout);
    return fromGrpc((stub->*method)(&ctx, req, resp), name);
  }
};

CriRuntime::CriRuntime(std::string endpoint, std::unique_ptr<Impl> impl)
    : endpoint_(std::move(endpoint)), impl_(std::move(impl)) {}

CriRuntime::~CriRuntime() = default;

std::unique_ptr<CriRuntime> CriRuntime::connect(const std::string& endpoint,
                                                CriRuntimeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Reconnect quickly after a containerd restart: the keeper drives the reconnects, with
  // our own subchannels, so no other client of the socket hides or disturbs them.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  impl->channel = grpc::CreateCustomChannel(socketTarget(endpoint),
                                            grpc::InsecureChannelCredentials(), args);
  impl->connection_keeper = std::make_unique<rpc::ConnectionKeeper>(impl->channel);
  impl->runtime = pb::RuntimeService::NewStub(impl->channel);
  impl->images = pb::ImageService::NewStub(impl->channel);
  return std::unique_ptr<CriRuntime>(new CriRuntime(endpoint, std::move(impl)));
}

Status CriRuntime::waitReady(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  Status last;
  for (;;) {
    pb::VersionRequest req;
    pb::VersionResponse resp;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                      SteadyClock::now());
    if (left.count() <= 0) break;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::min(left, std::chrono::milliseconds(1000)));
    ctx.set_wait_for_ready(true);  // wait for the socket to appear instead of failing fast
    last = fromGrpc(impl_->runtime->Version(&ctx, req, &resp), "Version");
    if (last.isOk()) return last;
    if (SteadyClock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return deadlineExceeded("CRI runtime at " + endpoint_ + " not ready within " +
                          std::to_string(timeout.count()) + " ms: " + last.message());
}

Result<VersionInfo> CriRuntime::version() {
  pb::VersionRequest req;
  req.set_version("v1");
  pb::VersionResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::Version,
                              "Version", req, &resp, impl_->options.call_timeout));
  return VersionInfo{resp.version(), resp.runtime_name(), resp.runtime_version(),
                     resp.runtime_api_version()};
}

Result<std::vector<RuntimeCondition>> CriRuntime::status() {
  pb::StatusRequest req;
  pb::StatusResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::Status, "Status",
                              req, &resp, impl_->options.call_timeout));
  std::vector<RuntimeCondition> out;
  for (const auto& c : resp.status().conditions()) {
    out.push_back({c.type(), c.status(), c.reason(), c.message()});
  }
  return out;
}

Result<std::string> CriRuntime::runPodSandbox(const PodSandboxConfig& config) {
  pb::RunPodSandboxRequest req;
  toPb(config, req.mutable_config());
  pb::RunPodSandboxResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::RunPodSandbox,
                              "RunPodSandbox", req, &resp,
                              impl_->options.sandbox_call_timeout));
  return resp.pod_sandbox_id();
}

Status CriRuntime::stopPodSandbox(const std::string& sandbox_id) {
  pb::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  pb::StopPodSandboxResponse resp;
  Status s = impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::StopPodSandbox,
                         "StopPodSandbox", req, &resp, impl_->options.sandbox_call_timeout);
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

Status CriRuntime::removePodSandbox(const std::string& sandbox_id) {
  pb::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  pb::RemovePodSandboxResponse resp;
  Status s = impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::RemovePodSandbox,
                         "RemovePodSandbox", req, &resp, impl_->options.sandbox_call_timeout);
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

Result<PodSandboxStatus> CriRuntime::podSandboxStatus(const std::string& sandbox_id) {
  pb::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  pb::PodSandboxStatusResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::PodSandboxStatus,
                              "PodSandboxStatus", req, &resp, impl_->options.call_timeout));
  const auto& s = resp.status();
  PodSandboxStatus out;
  out.id = s.id();
  out.metadata = fromPb(s.metadata());
  out.state = static_cast<SandboxState>(s.state());
  out.created_at = s.created_at();
  out.ip = s.network().ip();
  for (const auto& ip : s.network().additional_ips()) out.additional_ips.push_back(ip.ip());
  out.labels = getLabels(s.labels());
  out.annotations = getLabels(s.annotations());
  return out;
}

Result<std::vector<PodSandbox>> CriRuntime::listPodSandbox(const PodSandboxFilter& filter) {
  pb::ListPodSandboxRequest req;
  auto* f = req.mutable_filter();
  f->set_id(filter.id);
  if (filter.state) f->mutable_state()->set_state(static_cast<pb::PodSandboxState>(*filter.state));
  putLabels(f->mutable_label_selector(), filter.label_selector);
  pb::ListPodSandboxResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::ListPodSandbox,
                              "ListPodSandbox", req, &resp, impl_->options.call_timeout));
  std::vector<PodSandbox> out;
  for (const auto& s : resp.items()) {
    out.push_back({s.id(), fromPb(s.metadata()), static_cast<SandboxState>(s.state()),
                   s.created_at(), getLabels(s.labels()), getLabels(s.annotations())});
  }
  return out;
}

Result<std::string> CriRuntime::createContainer(const std::string& sandbox_id,
                                                const ContainerConfig& config,
                                                const PodSandboxConfig& sandbox_config) {
  pb::CreateContainerRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  toPb(config, req.mutable_config());
  toPb(sandbox_config, req.mutable_sandbox_config());
  pb::CreateContainerResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::CreateContainer,
                              "CreateContainer", req, &resp, impl_->options.call_timeout));
  return resp.container_id();
}

Status CriRuntime::startContainer(const std::string& container_id) {
  pb::StartContainerRequest req;
  req.set_container_id(container_id);
  pb::StartContainerResponse resp;
  return impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::StartContainer,
                     "StartContainer", req, &resp, impl_->options.call_timeout);
}

Status CriRuntime::stopContainer(const std::string& container_id, std::chrono::seconds grace) {
  pb::StopContainerRequest req;
  req.set_container_id(container_id);
  req.set_timeout(grace.count());
  pb::StopContainerResponse resp;
  Status s = impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::StopContainer,
                         "StopContainer", req, &resp,
                         impl_->options.call_timeout +
                             std::chrono::duration_cast<std::chrono::milliseconds>(grace));
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

Status CriRuntime::removeContainer(const std::string& container_id) {
  pb::RemoveContainerRequest req;
  req.set_container_id(container_id);
  pb::RemoveContainerResponse resp;
  Status s = impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::RemoveContainer,
                         "RemoveContainer", req, &resp, impl_->options.call_timeout);
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

Result<std::vector<Container>> CriRuntime::listContainers(const ContainerFilter& filter) {
  pb::ListContainersRequest req;
  auto* f = req.mutable_filter();
  f->set_id(filter.id);
  if (filter.state) {
    f->mutable_state()->set_state(static_cast<pb::ContainerState>(*filter.state));
  }
  f->set_pod_sandbox_id(filter.pod_sandbox_id);
  putLabels(f->mutable_label_selector(), filter.label_selector);
  pb::ListContainersResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::ListContainers,
                              "ListContainers", req, &resp, impl_->options.call_timeout));
  std::vector<Container> out;
  for (const auto& c : resp.containers()) {
    out.push_back({c.id(), c.pod_sandbox_id(), fromPb(c.metadata()), c.image().image(),
                   c.image_ref(), static_cast<ContainerState>(c.state()), c.created_at(),
                   getLabels(c.labels()), getLabels(c.annotations())});
  }
  return out;
}

Result<ContainerStatus> CriRuntime::containerStatus(const std::string& container_id) {
  pb::ContainerStatusRequest req;
  req.set_container_id(container_id);
  pb::ContainerStatusResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::ContainerStatus,
                              "ContainerStatus", req, &resp, impl_->options.call_timeout));
  const auto& s = resp.status();
  ContainerStatus out;
  out.id = s.id();
  out.metadata = fromPb(s.metadata());
  out.state = static_cast<ContainerState>(s.state());
  out.created_at = s.created_at();
  out.started_at = s.started_at();
  out.finished_at = s.finished_at();
  out.exit_code = s.exit_code();
  out.image = s.image().image();
  out.image_ref = s.image_ref();
  out.reason = s.reason();
  out.message = s.message();
  out.labels = getLabels(s.labels());
  out.annotations = getLabels(s.annotations());
  for (const auto& m : s.mounts()) out.mounts.push_back(fromPb(m));
  out.log_path = s.log_path();
  return out;
}

Result<ExecResult> CriRuntime::execSync(const std::string& container_id,
                                        const std::vector<std::string>& cmd,
                                        std::chrono::seconds timeout) {
  pb::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (const auto& c : cmd) req.add_cmd(c);
  req.set_timeout(timeout.count());
  pb::ExecSyncResponse resp;
  auto deadline = timeout.count() > 0
                      ? impl_->options.call_timeout +
                            std::chrono::duration_cast<std::chrono::milliseconds>(timeout)
                      : std::chrono::milliseconds(std::chrono::hours(24));
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::ExecSync,
                              "ExecSync", req, &resp, deadline));
  return ExecResult{resp.stdout(), resp.stderr(), resp.exit_code()};
}

Result<std::string> CriRuntime::exec(const ExecRequest& request) {
  pb::ExecRequest req;
  req.set_container_id(request.container_id);
  for (const auto& c : request.cmd) req.add_cmd(c);
  req.set_tty(request.tty);
  req.set_stdin(request.stdin);
  req.set_stdout(request.stdout);
  req.set_stderr(request.stderr);
  pb::ExecResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::Exec, "Exec", req,
                              &resp, impl_->options.call_timeout));
  if (resp.url().empty()) return internalError("CRI Exec: the runtime returned no URL");
  return resp.url();
}

Result<std::string> CriRuntime::attach(const AttachRequest& request) {
  pb::AttachRequest req;
  req.set_container_id(request.container_id);
  req.set_stdin(request.stdin);
  req.set_tty(request.tty);
  req.set_stdout(request.stdout);
  req.set_stderr(request.stderr);
  pb::AttachResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::Attach, "Attach",
                              req, &resp, impl_->options.call_timeout));
  if (resp.url().empty()) return internalError("CRI Attach: the runtime returned no URL");
  return resp.url();
}

Result<std::string> CriRuntime::portForward(const std::string& pod_sandbox_id,
                                            const std::vector<int32_t>& ports) {
  pb::PortForwardRequest req;
  req.set_pod_sandbox_id(pod_sandbox_id);
  for (int32_t p : ports) req.add_port(p);
  pb::PortForwardResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::PortForward,
                              "PortForward", req, &resp, impl_->options.call_timeout));
  if (resp.url().empty()) return internalError("CRI PortForward: the runtime returned no URL");
  return resp.url();
}

Result<ContainerStats> CriRuntime::containerStats(const std::string& container_id) {
  pb::ContainerStatsRequest req;
  req.set_container_id(container_id);
  pb::ContainerStatsResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(), &pb::RuntimeService::Stub::ContainerStats,
                              "ContainerStats", req, &resp, impl_->options.call_timeout));
  return fromPb(resp.stats());
}

Result<std::vector<ContainerStats>> CriRuntime::listContainerStats(
    const ContainerStatsFilter& filter) {
  pb::ListContainerStatsRequest req;
  auto* f = req.mutable_filter();
  f->set_id(filter.id);
  f->set_pod_sandbox_id(filter.pod_sandbox_id);
  putLabels(f->mutable_label_selector(), filter.label_selector);
  pb::ListContainerStatsResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->runtime.get(),
                              &pb::RuntimeService::Stub::ListContainerStats,
                              "ListContainerStats", req, &resp, impl_->options.call_timeout));
  std::vector<ContainerStats> out;
  for (const auto& s : resp.stats()) out.push_back(fromPb(s));
  return out;
}

Result<std::vector<Image>> CriRuntime::listImages() {
  pb::ListImagesRequest req;
  pb::ListImagesResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->images.get(), &pb::ImageService::Stub::ListImages,
                              "ListImages", req, &resp, impl_->options.call_timeout));
  std::vector<Image> out;
  for (const auto& i : resp.images()) out.push_back(fromPb(i));
  return out;
}

Result<Image> CriRuntime::imageStatus(const std::string& image) {
  pb::ImageStatusRequest req;
  req.mutable_image()->set_image(image);
  pb::ImageStatusResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->images.get(), &pb::ImageService::Stub::ImageStatus,
                              "ImageStatus", req, &resp, impl_->options.call_timeout));
  if (!resp.has_image()) return notFound("image \"" + image + "\" not found");
  return fromPb(resp.image());
}

Result<std::string> CriRuntime::pullImage(const std::string& image, const AuthConfig& auth,
                                          const PodSandboxConfig& sandbox_config) {
  pb::PullImageRequest req;
  req.mutable_image()->set_image(image);
  if (!auth.empty()) {
    pb::AuthConfig* a = req.mutable_auth();
    a->set_username(auth.username);
    a->set_password(auth.password);
    a->set_auth(auth.auth);
    a->set_server_address(auth.server_address);
  }
  toPb(sandbox_config, req.mutable_sandbox_config());
  pb::PullImageResponse resp;
  RETURN_IF_ERROR(impl_->call(impl_->images.get(), &pb::ImageService::Stub::PullImage, "PullImage",
                              req, &resp, impl_->options.pull_timeout));
  return resp.image_ref();
}

Status CriRuntime::removeImage(const std::string& image) {
  pb::RemoveImageRequest req;
  req.mutable_image()->set_image(image);
  pb::RemoveImageResponse resp;
  Status s = impl_->call(impl_->images.get(), &pb::ImageService::Stub::RemoveImage,
                         "RemoveImage", req, &resp, impl_->options.call_timeout);
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

}  // namespace minik8s::cri
