#include "cri/fake_runtime.h"

#include <cstdio>

namespace minik8s::cri {

namespace {

bool labelsMatch(const Labels& have, const Labels& selector) {
  for (const auto& [k, v] : selector) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

std::string hexId(uint64_t n) {
  char buf[65];
  std::snprintf(buf, sizeof(buf), "%064llx", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace

FakeRuntime::FakeRuntime(Clock& clock) : clock_(clock) {}

int64_t FakeRuntime::nowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch())
      .count();
}

void FakeRuntime::addImage(const std::string& name, uint64_t size) {
  std::lock_guard lock(mu_);
  addImageLocked(name, size);
}

void FakeRuntime::addImageLocked(const std::string& name, uint64_t size) {
  for (auto& [id, img] : images_) {
    for (const auto& t : img.repo_tags) {
      if (t == name) return;
    }
  }
  Image img;
  img.id = "sha256:" + hexId(0xfeed0000ULL + images_.size());
  img.repo_tags = {name};
  img.size = size;
  images_[img.id] = img;
}

void FakeRuntime::failNext(const std::string& method, Status status) {
  std::lock_guard lock(mu_);
  fail_next_[method] = std::move(status);
}

void FakeRuntime::setExecResult(ExecResult result) {
  std::lock_guard lock(mu_);
  exec_result_ = std::move(result);
}

void FakeRuntime::setAvailable(bool available) {
  std::lock_guard lock(mu_);
  available_ = available;
}

std::vector<std::string> FakeRuntime::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

void FakeRuntime::clearCalls() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

Status FakeRuntime::setPodCidr(const std::string& cidr) {
  unsigned a = 0, b = 0, c = 0, d = 0, bits = 0;
  char tail = 0;
  if (std::sscanf(cidr.c_str(), "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &bits, &tail) != 5 ||
      a > 255 || b > 255 || c > 255 || d > 255 || bits > 30) {
    return invalid("pod CIDR \"" + cidr + "\": want an IPv4 CIDR of /30 or larger");
  }
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  uint32_t network = ((a << 24) | (b << 16) | (c << 8) | d) & mask;
  std::lock_guard lock(mu_);
  cidr_set_ = true;
  cidr_first_ = network + 2;          // .1 is the bridge's on a real node
  cidr_last_ = (network | ~mask) - 1;  // below the broadcast address
  cidr_used_.clear();
  return Status::ok();
}

void FakeRuntime::setAnyImagePresent(bool any) {
  std::lock_guard lock(mu_);
  any_image_ = any;
}

void FakeRuntime::setRecordCalls(bool record) {
  std::lock_guard lock(mu_);
  record_calls_ = record;
  if (!record) calls_.clear();
}

std::string FakeRuntime::allocateIp() {
  if (!cidr_set_) {
    std::string ip = "10.88." + std::to_string(next_ip_ / 256) + "." + std::to_string(next_ip_ % 256);
    ++next_ip_;
    return ip;
  }
  uint32_t ip = cidr_first_;
  for (uint32_t used : cidr_used_) {  // ascending: the first gap
    if (used != ip) break;
    ++ip;
  }
  if (ip > cidr_last_) return "";
  cidr_used_.insert(ip);
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

void FakeRuntime::releaseIp(const std::string& ip) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (std::sscanf(ip.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4) return;
  cidr_used_.erase((a << 24) | (b << 16) | (c << 8) | d);
}

const Image* FakeRuntime::findOrAddImage(const std::string& name) {
  const Image* img = findImage(name);
  if (img != nullptr || !any_image_) return img;
  addImageLocked(name, 1 << 20);
  return findImage(name);
}

Status FakeRuntime::enter(const std::string& method) {
  if (record_calls_) calls_.push_back(method);
  if (!available_) return unavailable("CRI " + method + ": runtime is down (fake)");
  auto it = fail_next_.find(method);
  if (it != fail_next_.end()) {
    Status s = std::move(it->second);
    fail_next_.erase(it);
    return s;
  }
  return Status::ok();
}

const Image* FakeRuntime::findImage(const std::string& name) const {
  for (const auto& [id, img] : images_) {
    if (id == name) return &img;
    for (const auto& t : img.repo_tags) {
      if (t == name) return &img;
    }
  }
  return nullptr;
}

void FakeRuntime::killContainer(ContainerRecord& c, int32_t exit_code,
                                const std::string& reason) {
  if (c.status.state == ContainerState::kExited) return;
  if (c.status.state == ContainerState::kCreated) {
    c.status.state = ContainerState::kExited;
    c.status.reason = "Error";
    c.status.exit_code = 128;
    return;
  }
  c.status.state = ContainerState::kExited;
  c.status.finished_at = nowNs();
  c.status.exit_code = exit_code;
  c.status.reason = reason.empty() ? (exit_code == 0 ? "Completed" : "Error") : reason;
}

void FakeRuntime::exitContainer(const std::string& container_id, int32_t exit_code,
                                const std::string& reason) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(container_id);
  if (it != containers_.end()) killContainer(it->second, exit_code, reason);
}

Result<VersionInfo> FakeRuntime::version() {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("version"));
  return VersionInfo{"0.1.0", "fake", "0.0.1", "v1"};
}

Result<std::vector<RuntimeCondition>> FakeRuntime::status() {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("status"));
  return std::vector<RuntimeCondition>{{"RuntimeReady", true, "", ""},
                                       {"NetworkReady", true, "", ""}};
}

Result<std::string> FakeRuntime::runPodSandbox(const PodSandboxConfig& config) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("runPodSandbox"));
  const auto& m = config.metadata;
  if (m.name.empty() || m.uid.empty()) return invalid("sandbox metadata needs name and uid");
  std::string name = m.name + "_" + m.namespace_ + "_" + m.uid + "_" + std::to_string(m.attempt);
  if (!reserved_names_.insert(name).second) {
    return alreadyExists("failed to reserve sandbox name \"" + name + "\"");
  }
  SandboxRecord rec;
  rec.reserved_name = name;
  auto& s = rec.status;
  s.id = hexId(next_id_++);
  s.metadata = m;
  s.state = SandboxState::kReady;
  s.created_at = nowNs();
  if (config.namespace_options.network != NamespaceMode::kNode) {
    s.ip = allocateIp();
    if (s.ip.empty()) {
      reserved_names_.erase(name);
      return unavailable("no free address left in the pod CIDR (fake)");
    }
  }
  s.labels = config.labels;
  s.annotations = config.annotations;
  std::string id = s.id;
  sandboxes_[id] = std::move(rec);
  return id;
}

Status FakeRuntime::stopPodSandbox(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("stopPodSandbox"));
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) return Status::ok();
  for (auto& [id, c] : containers_) {
    if (c.sandbox_id == sandbox_id) killContainer(c, 137, "");
  }
  it->second.status.state = SandboxState::kNotReady;
  return Status::ok();
}

Status FakeRuntime::removePodSandbox(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("removePodSandbox"));
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) return Status::ok();
  for (auto c = containers_.begin(); c != containers_.end();) {
    if (c->second.sandbox_id == sandbox_id) {
      reserved_names_.erase(c->second.reserved_name);
      c = containers_.erase(c);
    } else {
      ++c;
    }
  }
  reserved_names_.erase(it->second.reserved_name);
  if (cidr_set_) releaseIp(it->second.status.ip);
  sandboxes_.erase(it);
  return Status::ok();
}

Result<PodSandboxStatus> FakeRuntime::podSandboxStatus(const std::string& sandbox_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("podSandboxStatus"));
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) return notFound("sandbox " + sandbox_id + " not found");
  return it->second.status;
}

Result<std::vector<PodSandbox>> FakeRuntime::listPodSandbox(const PodSandboxFilter& filter) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("listPodSandbox"));
  std::vector<PodSandbox> out;
  for (const auto& [id, rec] : sandboxes_) {
    const auto& s = rec.status;
    if (!filter.id.empty() && filter.id != id) continue;
    if (filter.state && *filter.state != s.state) continue;
    if (!labelsMatch(s.labels, filter.label_selector)) continue;
    out.push_back({s.id, s.metadata, s.state, s.created_at, s.labels, s.annotations});
  }
  return out;
}

Result<std::string> FakeRuntime::createContainer(const std::string& sandbox_id,
                                                 const ContainerConfig& config,
                                                 const PodSandboxConfig& sandbox_config) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("createContainer"));
  auto sb = sandboxes_.find(sandbox_id);
  if (sb == sandboxes_.end()) return notFound("sandbox " + sandbox_id + " not found");
  if (sb->second.status.state != SandboxState::kReady) {
    return invalid("sandbox " + sandbox_id + " is not ready");
  }
  const Image* img = findOrAddImage(config.image);
  if (img == nullptr) {
    return notFound("failed to resolve image \"" + config.image + "\": not found");
  }
  const auto& m = sandbox_config.metadata;
  std::string name = config.metadata.name + "_" + m.name + "_" + m.namespace_ + "_" + m.uid +
                     "_" + std::to_string(config.metadata.attempt);
  if (!reserved_names_.insert(name).second) {
    return alreadyExists("failed to reserve container name \"" + name + "\"");
  }
  ContainerRecord rec;
  rec.sandbox_id = sandbox_id;
  rec.reserved_name = name;
  auto& s = rec.status;
  s.id = hexId(next_id_++);
  s.metadata = config.metadata;
  s.state = ContainerState::kCreated;
  s.created_at = nowNs();
  s.image = config.image;
  s.image_ref = img->id;
  s.labels = config.labels;
  s.annotations = config.annotations;
  s.mounts = config.mounts;
  s.log_path = sandbox_config.log_directory + "/" + config.log_path;
  std::string id = s.id;
  containers_[id] = std::move(rec);
  return id;
}

Status FakeRuntime::startContainer(const std::string& container_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("startContainer"));
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return notFound("container " + container_id + " not found");
  auto& s = it->second.status;
  if (s.state != ContainerState::kCreated) {
    return invalid("container " + container_id + " is in state " +
                   std::string(containerStateName(s.state)));
  }
  s.state = ContainerState::kRunning;
  s.started_at = nowNs();
  return Status::ok();
}

Status FakeRuntime::stopContainer(const std::string& container_id, std::chrono::seconds grace) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("stopContainer"));
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return Status::ok();
  // As if the process ignored SIGTERM only when there is no grace period.
  killContainer(it->second, grace.count() > 0 ? 143 : 137, "");
  return Status::ok();
}

Status FakeRuntime::removeContainer(const std::string& container_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("removeContainer"));
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return Status::ok();
  reserved_names_.erase(it->second.reserved_name);
  containers_.erase(it);
  return Status::ok();
}

Result<std::vector<Container>> FakeRuntime::listContainers(const ContainerFilter& filter) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("listContainers"));
  std::vector<Container> out;
  for (const auto& [id, rec] : containers_) {
    const auto& s = rec.status;
    if (!filter.id.empty() && filter.id != id) continue;
    if (filter.state && *filter.state != s.state) continue;
    if (!filter.pod_sandbox_id.empty() && filter.pod_sandbox_id != rec.sandbox_id) continue;
    if (!labelsMatch(s.labels, filter.label_selector)) continue;
    out.push_back({s.id, rec.sandbox_id, s.metadata, s.image, s.image_ref, s.state,
                   s.created_at, s.labels, s.annotations});
  }
  return out;
}

Result<ContainerStatus> FakeRuntime::containerStatus(const std::string& container_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("containerStatus"));
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return notFound("container " + container_id + " not found");
  return it->second.status;
}

Result<ExecResult> FakeRuntime::execSync(const std::string& container_id,
                                         const std::vector<std::string>& /*cmd*/,
                                         std::chrono::seconds /*timeout*/) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("execSync"));
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return notFound("container " + container_id + " not found");
  if (it->second.status.state != ContainerState::kRunning) {
    return invalid("container " + container_id + " is not running");
  }
  return exec_result_;
}

Result<std::string> FakeRuntime::exec(const ExecRequest& request) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("exec"));
  auto it = containers_.find(request.container_id);
  if (it == containers_.end()) {
    return notFound("container " + request.container_id + " not found");
  }
  if (it->second.status.state != ContainerState::kRunning) {
    return invalid("container " + request.container_id + " is not running");
  }
  if (exec_url_.empty()) return unavailable("FakeRuntime has no streaming server");
  last_exec_ = request;
  return exec_url_;
}

namespace {
// The exec URL with its "/exec/" replaced by `kind` ("/attach/", "/portforward/").
std::string streamingUrl(const std::string& exec_url, const std::string& kind) {
  std::string url = exec_url;
  size_t at = url.find("/exec/");
  if (at != std::string::npos) url.replace(at, 6, kind);
  return url;
}
}  // namespace

Result<std::string> FakeRuntime::attach(const AttachRequest& request) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("attach"));
  auto it = containers_.find(request.container_id);
  if (it == containers_.end()) {
    return notFound("container " + request.container_id + " not found");
  }
  if (it->second.status.state != ContainerState::kRunning) {
    return invalid("container " + request.container_id + " is not running");
  }
  if (exec_url_.empty()) return unavailable("FakeRuntime has no streaming server");
  return streamingUrl(exec_url_, "/attach/");
}

Result<std::string> FakeRuntime::portForward(const std::string& pod_sandbox_id,
                                             const std::vector<int32_t>&) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("portForward"));
  if (!sandboxes_.count(pod_sandbox_id)) {
    return notFound("sandbox " + pod_sandbox_id + " not found");
  }
  if (exec_url_.empty()) return unavailable("FakeRuntime has no streaming server");
  return streamingUrl(exec_url_, "/portforward/");
}

void FakeRuntime::setExecUrl(std::string url) {
  std::lock_guard lock(mu_);
  exec_url_ = std::move(url);
}

ExecRequest FakeRuntime::lastExecRequest() const {
  std::lock_guard lock(mu_);
  return last_exec_;
}

Result<ContainerStats> FakeRuntime::containerStats(const std::string& container_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("containerStats"));
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return notFound("container " + container_id + " not found");
  const auto& s = it->second.status;
  ContainerStats st;
  st.id = s.id;
  st.metadata = s.metadata;
  st.labels = s.labels;
  st.annotations = s.annotations;
  if (s.state == ContainerState::kRunning) {
    st.timestamp = nowNs();
    st.cpu_usage_core_nano_seconds = static_cast<uint64_t>(st.timestamp - s.started_at) / 100;
    st.memory_working_set_bytes = 4 << 20;
    st.memory_usage_bytes = 5 << 20;
    st.memory_rss_bytes = 3 << 20;
  }
  return st;
}

Result<std::vector<ContainerStats>> FakeRuntime::listContainerStats(
    const ContainerStatsFilter& filter) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(enter("listContainerStats"));
    for (const auto& [id, rec] : containers_) {
      if (!filter.id.empty() && filter.id != id) continue;
      if (!filter.pod_sandbox_id.empty() && filter.pod_sandbox_id != rec.sandbox_id) continue;
      if (!labelsMatch(rec.status.labels, filter.label_selector)) continue;
      if (rec.status.state != ContainerState::kRunning) continue;
      ids.push_back(id);
    }
  }
  std::vector<ContainerStats> out;
  for (const auto& id : ids) {
    auto st = containerStats(id);
    if (st.isOk()) out.push_back(std::move(st).value());
  }
  return out;
}

Result<std::vector<Image>> FakeRuntime::listImages() {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("listImages"));
  std::vector<Image> out;
  for (const auto& [id, img] : images_) out.push_back(img);
  return out;
}

Result<Image> FakeRuntime::imageStatus(const std::string& image) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("imageStatus"));
  const Image* img = findOrAddImage(image);
  if (img == nullptr) return notFound("image \"" + image + "\" not found");
  return *img;
}

void FakeRuntime::addRegistryImage(const std::string& name, std::optional<AuthConfig> credentials) {
  std::lock_guard lock(mu_);
  registry_[name] = std::move(credentials);
}

AuthConfig FakeRuntime::lastPullAuth() const {
  std::lock_guard lock(mu_);
  return last_pull_auth_;
}

AuthConfig FakeRuntime::lastSuccessfulPullAuth() const {
  std::lock_guard lock(mu_);
  return last_successful_pull_auth_;
}

Result<std::string> FakeRuntime::pullImage(const std::string& image, const AuthConfig& auth,
                                           const PodSandboxConfig&) {
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(enter("pullImage"));
    last_pull_auth_ = auth;
    auto it = registry_.find(image);
    if (it == registry_.end()) {
      return notFound("failed to pull and unpack image \"" + image + "\": not found");
    }
    if (it->second &&
        (auth.username != it->second->username || auth.password != it->second->password)) {
      return internalError("failed to pull and unpack image \"" + image +
                           "\": unexpected status: 401 Unauthorized");
    }
    last_successful_pull_auth_ = auth;
  }
  addImage(image);
  std::lock_guard lock(mu_);
  return findImage(image)->id;
}

Status FakeRuntime::removeImage(const std::string& image) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(enter("removeImage"));
  const Image* img = findImage(image);
  if (img != nullptr) images_.erase(img->id);
  return Status::ok();
}

}  // namespace minik8s::cri
