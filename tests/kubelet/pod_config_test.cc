#include "kubelet/pod_config.h"

#include <gtest/gtest.h>


#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/yaml.h"
#include "testing/file_text.h"

namespace minik8s::kubelet {
namespace pod_config_test {

api::Quantity q(const char* text) { return api::Quantity::parseLenient(text); }

api::Pod basePod() {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "prod";
  pod.metadata.uid = "uid-1";
  pod.metadata.labels = {{"app", "web"}, {"tier", "front"}};
  pod.metadata.annotations = {{"note", "hi"}};
  api::Container c;
  c.name = "app";
  c.image = "greeting-app";
  pod.spec.containers.push_back(c);
  return pod;
}

const NodePaths kPaths{"/var/lib/minik8s", "minik8s"};
const PodIdentity kIdentity{"node-a", "192.168.1.10", "10.244.0.7"};

api::EnvVar plain(const std::string& name, const std::string& value) {
  api::EnvVar e;
  e.name = name;
  e.value = value;
  return e;
}

api::EnvVar fieldRef(const std::string& name, const std::string& path) {
  api::EnvVar e;
  e.name = name;
  e.value_from.emplace();
  e.value_from->field_ref = api::ObjectFieldSelector{"v1", path};
  return e;
}

api::EnvVar keyRef(const std::string& name, bool secret, const std::string& object,
                   const std::string& key, std::optional<bool> optional = std::nullopt) {
  api::EnvVar e;
  e.name = name;
  e.value_from.emplace();
  api::KeySelector sel{object, key, optional};
  if (secret) {
    e.value_from->secret_key_ref = sel;
  } else {
    e.value_from->config_map_key_ref = sel;
  }
  return e;
}

// ConfigMap "settings" {mode: fast, level: 3}; Secret "creds" {password: s3cret}.
std::optional<ObjectData> lookup(const std::string& kind, const std::string& name) {
  if (kind == "configmap" && name == "settings") return ObjectData{{{"mode", "fast"}, {"level", "3"}}};
  if (kind == "secret" && name == "creds") return ObjectData{{{"password", "s3cret"}}};
  return std::nullopt;
}

Result<cri::ContainerConfig> configOf(const api::Pod& pod, uint32_t restarts = 0,
                                      const VolumePaths& volumes = {}) {
  return makeContainerConfig(pod, pod.spec.containers[0], restarts, volumes, kIdentity, lookup);
}

std::map<std::string, std::string> envMap(const cri::ContainerConfig& config) {
  return {config.envs.begin(), config.envs.end()};
}

// ---- makeSandboxConfig ----

TEST(MakeSandboxConfig, CarriesMetadataLabelsAnnotationsAndPaths) {
  api::Pod pod = basePod();
  cri::PodSandboxConfig config = makeSandboxConfig(pod, kPaths, 3);
  EXPECT_EQ(config.metadata.name, "web");
  EXPECT_EQ(config.metadata.namespace_, "prod");
  EXPECT_EQ(config.metadata.uid, "uid-1");
  EXPECT_EQ(config.metadata.attempt, 3u);
  EXPECT_EQ(config.labels.at(kPodNameLabel), "web");
  EXPECT_EQ(config.labels.at(kPodNamespaceLabel), "prod");
  EXPECT_EQ(config.labels.at(kPodUidLabel), "uid-1");
  EXPECT_EQ(config.labels.at("app"), "web");
  EXPECT_EQ(config.labels.at("tier"), "front");
  EXPECT_EQ(config.annotations.at("note"), "hi");
  EXPECT_EQ(config.log_directory, "/var/lib/minik8s/logs/prod_web_uid-1");
  EXPECT_EQ(config.cgroup_parent, "/minik8s/poduid-1");
}

TEST(MakeSandboxConfig, KubeletLabelsWinOverPodLabelsOfTheSameName) {
  api::Pod pod = basePod();
  pod.metadata.labels[kPodNameLabel] = "impostor";
  EXPECT_EQ(makeSandboxConfig(pod, kPaths, 0).labels.at(kPodNameLabel), "web");
}

TEST(MakeSandboxConfig, HostnameIsSpecHostnameElseThePodNameTruncatedTo63) {
  struct Case {
    std::string name, spec_hostname, want;
  };
  std::string long_name(70, 'a');
  std::vector<Case> cases = {
      {"web", "", "web"},
      {"web", "custom", "custom"},
      {long_name, "", std::string(63, 'a')},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.metadata.name = c.name;
    pod.spec.hostname = c.spec_hostname;
    EXPECT_EQ(makeSandboxConfig(pod, kPaths, 0).hostname, c.want) << c.name << "/" << c.spec_hostname;
  }
}

TEST(MakeSandboxConfig, MapsOnlyPortsWithAHostPort) {
  api::Pod pod = basePod();
  pod.spec.containers[0].ports = {{"http", 8080, 80, "", ""},
                                  {"metrics", 0, 9090, "TCP", ""},
                                  {"dns", 5353, 53, "UDP", "127.0.0.1"}};
  api::Container second;
  second.name = "sidecar";
  second.ports = {{"sctp", 3868, 3868, "SCTP", ""}};
  pod.spec.containers.push_back(second);
  auto ports = makeSandboxConfig(pod, kPaths, 0).port_mappings;
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0].protocol, cri::Protocol::kTcp);
  EXPECT_EQ(ports[0].container_port, 80);
  EXPECT_EQ(ports[0].host_port, 8080);
  EXPECT_EQ(ports[1].protocol, cri::Protocol::kUdp);
  EXPECT_EQ(ports[1].container_port, 53);
  EXPECT_EQ(ports[1].host_port, 5353);
  EXPECT_EQ(ports[1].host_ip, "127.0.0.1");
  EXPECT_EQ(ports[2].protocol, cri::Protocol::kSctp);
  EXPECT_EQ(ports[2].host_port, 3868);
}

TEST(MakeSandboxConfig, NamespaceOptionsFollowHostFlagsAndShareProcessNamespace) {
  using M = cri::NamespaceMode;
  struct Case {
    std::string name;
    bool host_network, host_pid, host_ipc;
    std::optional<bool> share_pid;
    M network, pid, ipc;
  };
  std::vector<Case> cases = {
      {"default", false, false, false, std::nullopt, M::kPod, M::kContainer, M::kPod},
      {"hostNetwork", true, false, false, std::nullopt, M::kNode, M::kContainer, M::kPod},
      {"shareProcessNamespace", false, false, false, true, M::kPod, M::kPod, M::kPod},
      {"shareProcessNamespace false", false, false, false, false, M::kPod, M::kContainer, M::kPod},
      {"hostPID wins over sharing", false, true, false, true, M::kPod, M::kNode, M::kPod},
      {"hostIPC", false, false, true, std::nullopt, M::kPod, M::kContainer, M::kNode},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.host_network = c.host_network;
    pod.spec.host_pid = c.host_pid;
    pod.spec.host_ipc = c.host_ipc;
    pod.spec.share_process_namespace = c.share_pid;
    auto ns = makeSandboxConfig(pod, kPaths, 0).namespace_options;
    EXPECT_EQ(ns.network, c.network) << c.name;
    EXPECT_EQ(ns.pid, c.pid) << c.name;
    EXPECT_EQ(ns.ipc, c.ipc) << c.name;
    auto container = configOf(pod);
    ASSERT_TRUE(container.isOk()) << c.name;
    EXPECT_EQ(container->namespace_options.network, c.network) << c.name;
    EXPECT_EQ(container->namespace_options.pid, c.pid) << c.name;
  }
}

// ---- makeContainerConfig ----

TEST(MakeContainerConfig, NormalisesTheImageName) {
  struct Case {
    std::string image, want;
  };
  std::vector<Case> cases = {
      {"greeting-app", "docker.io/library/greeting-app:latest"},
      {"busybox:1.36.1", "docker.io/library/busybox:1.36.1"},
      {"someone/tool", "docker.io/someone/tool:latest"},
      {"k8s.local/pause:1.0", "k8s.local/pause:1.0"},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.containers[0].image = c.image;
    auto config = configOf(pod);
    ASSERT_TRUE(config.isOk()) << c.image;
    EXPECT_EQ(config->image, c.want) << c.image;
  }
}

TEST(MakeContainerConfig, ExpandsVarsInCommandAndArgs) {
  api::Pod pod = basePod();
  auto& c = pod.spec.containers[0];
  c.env = {plain("NAME", "World"), plain("GREETING", "Hello $(NAME)")};
  c.command = {"sh", "-c"};
  c.args = {"echo $(GREETING) from $(POD) $$(NAME)", "$(NAME)"};
  auto config = configOf(pod);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->command, (std::vector<std::string>{"sh", "-c"}));
  EXPECT_EQ(config->args,
            (std::vector<std::string>{"echo Hello World from $(POD) $(NAME)", "World"}));
}

TEST(MakeContainerConfig, KeepsEnvOrderAndLetsLaterEntriesOverride) {
  api::Pod pod = basePod();
  auto& c = pod.spec.containers[0];
  c.env = {plain("A", "1"), plain("B", "2"), plain("A", "3"), plain("C", "$(A)$(B)")};
  auto config = configOf(pod);
  ASSERT_TRUE(config.isOk());
  std::vector<std::pair<std::string, std::string>> want = {{"A", "3"}, {"B", "2"}, {"C", "32"}};
  EXPECT_EQ(config->envs, want);
}

TEST(MakeContainerConfig, ResolvesDownwardApiFieldRefs) {
  struct Case {
    std::string path, want;
  };
  std::vector<Case> cases = {
      {"metadata.name", "web"},
      {"metadata.namespace", "prod"},
      {"metadata.uid", "uid-1"},
      {"metadata.labels['app']", "web"},
      {"metadata.labels['missing']", ""},
      {"metadata.annotations['note']", "hi"},
      {"status.podIP", "10.244.0.7"},
      {"status.hostIP", "192.168.1.10"},
      {"spec.nodeName", "node-a"},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.containers[0].env = {fieldRef("V", c.path)};
    auto config = configOf(pod);
    ASSERT_TRUE(config.isOk()) << c.path;
    EXPECT_EQ(envMap(*config).at("V"), c.want) << c.path;
  }
}

TEST(MakeContainerConfig, AnUnsupportedFieldPathIsInvalid) {
  api::Pod pod = basePod();
  pod.spec.containers[0].env = {fieldRef("V", "spec.nope")};
  auto config = configOf(pod);
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), Code::kInvalid);
}

// An env var from a resourceFieldRef ("limits.cpu", …) with an optional divisor ("" for none).
api::EnvVar resourceRef(const std::string& name, const std::string& resource,
                        const std::string& divisor) {
  api::EnvVar e;
  e.name = name;
  e.value_from.emplace();
  api::ResourceFieldSelector sel;
  sel.resource = resource;
  if (!divisor.empty()) sel.divisor = q(divisor.c_str());
  e.value_from->resource_field_ref = sel;
  return e;
}

TEST(MakeContainerConfig, ResolvesResourceFieldRefsWithDivisors) {
  struct Case {
    std::string resource;
    std::string divisor;  // "" for none
    std::string want;
  };
  std::vector<Case> cases = {
      {"limits.cpu", "", "1"},  // 500m rounds up to 1 core
      {"limits.cpu", "1m", "500"},
      {"requests.cpu", "1m", "250"},
      {"limits.memory", "", "67108864"},
      {"limits.memory", "1Mi", "64"},
      {"requests.memory", "1Mi", "32"},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    auto& container = pod.spec.containers[0];
    container.resources.limits = {{"cpu", q("500m")}, {"memory", q("64Mi")}};
    container.resources.requests = {{"cpu", q("250m")}, {"memory", q("32Mi")}};
    container.env = {resourceRef("V", c.resource, c.divisor)};
    auto config = configOf(pod);
    ASSERT_TRUE(config.isOk()) << c.resource;
    EXPECT_EQ(envMap(*config).at("V"), c.want) << c.resource << " / " << c.divisor;
  }
}

TEST(MakeContainerConfig, AnUnsetLimitReadsAsTheNodesAllocatable) {
  struct Case {
    std::string resource;
    std::string divisor;  // "" for none
    std::string want;
  };
  std::vector<Case> cases = {
      {"limits.cpu", "", "2"},
      {"limits.cpu", "1m", "2000"},
      {"limits.memory", "1Mi", "4096"},
      {"requests.cpu", "1m", "0"},  // an unset request is 0, not the node's
      {"requests.memory", "", "0"},
  };
  PodIdentity identity = kIdentity;
  identity.node_allocatable = {{"cpu", q("2")}, {"memory", q("4Gi")}};
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.containers[0].env = {resourceRef("V", c.resource, c.divisor)};
    auto env = resolveEnv(pod, pod.spec.containers[0], identity, {});
    ASSERT_TRUE(env.isOk()) << c.resource;
    ASSERT_EQ(env->size(), 1u);
    EXPECT_EQ(env->at(0).second, c.want) << c.resource << " / " << c.divisor;
  }
}

TEST(MakeContainerConfig, ResolvesConfigMapAndSecretKeys) {
  struct Case {
    std::string name;
    api::EnvVar var;
    bool ok;
    std::optional<std::string> want;  // nullopt: the variable is left out
  };
  std::vector<Case> cases = {
      {"configMap key", keyRef("V", false, "settings", "mode"), true, "fast"},
      {"secret key", keyRef("V", true, "creds", "password"), true, "s3cret"},
      {"missing key", keyRef("V", false, "settings", "nope"), false, std::nullopt},
      {"missing configMap", keyRef("V", false, "gone", "mode"), false, std::nullopt},
      {"missing secret", keyRef("V", true, "gone", "password"), false, std::nullopt},
      {"optional missing key", keyRef("V", false, "settings", "nope", true), true, std::nullopt},
      {"optional missing secret", keyRef("V", true, "gone", "x", true), true, std::nullopt},
      {"optional=false missing", keyRef("V", true, "gone", "x", false), false, std::nullopt},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.containers[0].env = {plain("BEFORE", "b"), c.var};
    auto config = configOf(pod);
    ASSERT_EQ(config.isOk(), c.ok) << c.name;
    if (!c.ok) {
      EXPECT_EQ(config.status().code(), Code::kInvalid) << c.name;
      continue;
    }
    auto env = envMap(*config);
    EXPECT_EQ(env.at("BEFORE"), "b") << c.name;
    if (c.want) {
      EXPECT_EQ(env.at("V"), *c.want) << c.name;
    } else {
      EXPECT_EQ(env.count("V"), 0u) << c.name;
    }
  }
}

TEST(MakeContainerConfig, EnvFromAddsEveryKeyWithThePrefixAndEnvOverridesIt) {
  api::Pod pod = basePod();
  auto& c = pod.spec.containers[0];
  api::EnvFromSource cm;
  cm.prefix = "CFG_";
  cm.config_map_ref = api::EnvFromRef{"settings", std::nullopt};
  api::EnvFromSource secret;
  secret.secret_ref = api::EnvFromRef{"creds", std::nullopt};
  api::EnvFromSource optional_missing;
  optional_missing.config_map_ref = api::EnvFromRef{"gone", true};
  c.env_from = {cm, secret, optional_missing};
  c.env = {plain("CFG_mode", "slow"), plain("X", "$(password)")};
  auto config = configOf(pod);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  std::vector<std::pair<std::string, std::string>> want = {
      {"CFG_level", "3"}, {"CFG_mode", "slow"}, {"password", "s3cret"}, {"X", "s3cret"}};
  EXPECT_EQ(config->envs, want);
}

TEST(MakeContainerConfig, EnvFromAMissingObjectIsInvalidUnlessOptional) {
  api::Pod pod = basePod();
  api::EnvFromSource from;
  from.secret_ref = api::EnvFromRef{"gone", std::nullopt};
  pod.spec.containers[0].env_from = {from};
  auto config = configOf(pod);
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), Code::kInvalid);
}

TEST(MakeContainerConfig, MountsVolumesWithSubPathReadOnlyAndPropagation) {
  api::Pod pod = basePod();
  auto& c = pod.spec.containers[0];
  c.volume_mounts = {{"data", false, "/data", "", "", ""},
                     {"config", true, "/etc/app.conf", "app.conf", "", ""},
                     {"host", false, "/host", "", "HostToContainer", ""},
                     {"host", false, "/host2", "", "Bidirectional", ""}};
  VolumePaths volumes = {{"data", "/v/empty-dir/data"},
                         {"config", "/v/configmap/config"},
                         {"host", "/srv"}};
  auto config = configOf(pod, 0, volumes);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  ASSERT_EQ(config->mounts.size(), 4u);
  EXPECT_EQ(config->mounts[0].container_path, "/data");
  EXPECT_EQ(config->mounts[0].host_path, "/v/empty-dir/data");
  EXPECT_FALSE(config->mounts[0].readonly);
  EXPECT_EQ(config->mounts[0].propagation, cri::MountPropagation::kPrivate);
  EXPECT_EQ(config->mounts[1].host_path, "/v/configmap/config/app.conf");
  EXPECT_TRUE(config->mounts[1].readonly);
  EXPECT_EQ(config->mounts[2].propagation, cri::MountPropagation::kHostToContainer);
  EXPECT_EQ(config->mounts[3].propagation, cri::MountPropagation::kBidirectional);
}

TEST(MakeContainerConfig, AMountNamingNoVolumeIsInvalid) {
  api::Pod pod = basePod();
  pod.spec.containers[0].volume_mounts = {{"nowhere", false, "/x", "", "", ""}};
  auto config = configOf(pod, 0, {{"data", "/v"}});
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), Code::kInvalid);
  EXPECT_NE(config.status().message().find("nowhere"), std::string::npos);
}

TEST(MakeContainerConfig, LabelsAnnotationsAttemptAndLogPath) {
  api::Pod pod = basePod();
  pod.spec.termination_grace_period_seconds = 5;
  auto config = configOf(pod, 4);
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->metadata.name, "app");
  EXPECT_EQ(config->metadata.attempt, 4u);
  EXPECT_EQ(config->labels.at(kPodNameLabel), "web");
  EXPECT_EQ(config->labels.at(kPodNamespaceLabel), "prod");
  EXPECT_EQ(config->labels.at(kPodUidLabel), "uid-1");
  EXPECT_EQ(config->labels.at(kContainerNameLabel), "app");
  EXPECT_EQ(config->annotations.at(kRestartCountAnnotation), "4");
  EXPECT_EQ(config->annotations.at(kContainerHashAnnotation), containerHash(pod.spec.containers[0]));
  EXPECT_EQ(config->annotations.at(kGracePeriodAnnotation), "5");
  EXPECT_EQ(config->log_path, "app/4.log");
  EXPECT_EQ(configOf(basePod())->annotations.at(kGracePeriodAnnotation), "30");
}

TEST(ContainerHash, IsStableAndChangesWithTheSpec) {
  api::Container a;
  a.name = "app";
  a.image = "nginx:1.25";
  api::Container b = a;
  EXPECT_EQ(containerHash(a), containerHash(b));
  EXPECT_EQ(containerHash(a).size(), 16u);
  b.image = "nginx:1.26";
  EXPECT_NE(containerHash(a), containerHash(b));
}

// ---- expandVars ----

TEST(ExpandVars, FollowsKubernetesRules) {
  std::map<std::string, std::string> vars = {{"A", "x"}, {"EMPTY", ""}, {"B", "$(A)"}};
  struct Case {
    std::string in, want;
  };
  std::vector<Case> cases = {
      {"", ""},
      {"plain", "plain"},
      {"$(A)", "x"},
      {"a$(A)b$(A)c", "axbxc"},
      {"$(EMPTY)|", "|"},
      {"$(B)", "$(A)"},  // no recursive expansion
      {"$$(A)", "$(A)"},  // escaped
      {"$$", "$"},
      {"$$$$", "$$"},
      {"$(UNKNOWN)", "$(UNKNOWN)"},
      {"$(UNKNOWN) $(A)", "$(UNKNOWN) x"},
      {"$(A", "$(A"},  // unterminated
      {"$(", "$("},
      {"$", "$"},
      {"a$b", "a$b"},
      {"$()", "$()"},
  };
  for (const auto& c : cases) EXPECT_EQ(expandVars(c.in, vars), c.want) << c.in;
}

// ---- containerResources ----

TEST(ContainerResources, ConvertsRequestsAndLimitsToCgroupSettings) {
  struct Case {
    std::string name;
    api::ResourceList limits, requests;
    int64_t period, quota, shares, memory;
  };
  std::vector<Case> cases = {
      {"nothing", {}, {}, 0, 0, 2, 0},
      {"cpu limit 100m, request defaults to it", {{"cpu", q("100m")}}, {}, 100000, 10000, 102, 0},
      {"cpu request only", {}, {{"cpu", q("250m")}}, 0, 0, 256, 0},
      {"cpu request and limit", {{"cpu", q("2")}}, {{"cpu", q("500m")}}, 100000, 200000, 512, 0},
      {"tiny limit floors quota at 1000", {{"cpu", q("1m")}}, {}, 100000, 1000, 2, 0},
      {"memory 64Mi", {{"memory", q("64Mi")}}, {}, 0, 0, 2, 67108864},
      {"memory request only leaves the limit unset", {}, {{"memory", q("64Mi")}}, 0, 0, 2, 0},
  };
  for (const auto& c : cases) {
    api::ResourceRequirements r;
    r.limits = c.limits;
    r.requests = c.requests;
    cri::LinuxResources got = containerResources(r);
    EXPECT_EQ(got.cpu_period, c.period) << c.name;
    EXPECT_EQ(got.cpu_quota, c.quota) << c.name;
    EXPECT_EQ(got.cpu_shares, c.shares) << c.name;
    EXPECT_EQ(got.memory_limit_in_bytes, c.memory) << c.name;
  }
}

// ---- podCgroupLimits ----

api::Pod seedPod() {
  std::string here = __FILE__;
  std::string root = here.substr(0, here.rfind("/tests/kubelet/"));
  std::string text = minik8s::testing::fileText(root + "/e2e/seed-manifests/pod.yaml");
  EXPECT_FALSE(text.empty()) << "e2e/seed-manifests/pod.yaml not found from " << here;
  auto json = api::parseYaml(text);
  EXPECT_TRUE(json.isOk()) << json.status().toString();
  auto pod = api::decode<api::Pod>(*json);
  EXPECT_TRUE(pod.isOk()) << pod.status().toString();
  return pod.isOk() ? *pod : api::Pod{};
}

TEST(PodCgroupLimits, UsesPodLevelLimitsOfTheOriginalPodYaml) {
  api::Pod pod = seedPod();
  ASSERT_EQ(pod.spec.containers.size(), 3u);
  ASSERT_TRUE(pod.spec.resources.has_value());
  PodCgroupLimits limits = podCgroupLimits(pod);
  EXPECT_EQ(limits.memory_bytes, std::optional<int64_t>(30 * 1024 * 1024));
  EXPECT_EQ(limits.cpu_quota, std::optional<int64_t>(3000));  // 30m of a 100 ms period
  EXPECT_EQ(limits.cpu_shares, 10);                           // requests.cpu 10m
  EXPECT_EQ(qosClass(pod), "Burstable");
}

TEST(PodCgroupLimits, SumsContainerLimitsWhenEveryContainerHasOne) {
  auto container = [](const char* name, api::ResourceList limits, api::ResourceList requests) {
    api::Container c;
    c.name = name;
    c.resources.limits = std::move(limits);
    c.resources.requests = std::move(requests);
    return c;
  };
  struct Case {
    std::string name;
    std::vector<api::Container> containers;
    std::optional<int64_t> memory, quota;
    int64_t shares;
  };
  std::vector<Case> cases = {
      {"both limited",
       {container("a", {{"cpu", q("100m")}, {"memory", q("64Mi")}}, {}),
        container("b", {{"cpu", q("200m")}, {"memory", q("32Mi")}}, {{"cpu", q("50m")}})},
       96 * 1024 * 1024,
       30000,
       153},  // (100 + 50) * 1024 / 1000
      {"one without a memory limit",
       {container("a", {{"cpu", q("100m")}, {"memory", q("64Mi")}}, {}),
        container("b", {{"cpu", q("100m")}}, {})},
       std::nullopt,
       20000,
       204},
      {"nothing limited", {container("a", {}, {}), container("b", {}, {})}, std::nullopt,
       std::nullopt, 0},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.containers = c.containers;
    PodCgroupLimits limits = podCgroupLimits(pod);
    EXPECT_EQ(limits.memory_bytes, c.memory) << c.name;
    EXPECT_EQ(limits.cpu_quota, c.quota) << c.name;
    EXPECT_EQ(limits.cpu_shares, c.shares) << c.name;
  }
}

// ---- qosClass ----

TEST(QosClass, ClassifiesByRequestsAndLimits) {
  using RL = api::ResourceList;
  struct Case {
    std::string name;
    std::vector<std::pair<RL, RL>> containers;  // limits, requests
    std::string want;
  };
  RL full = {{"cpu", q("100m")}, {"memory", q("64Mi")}};
  std::vector<Case> cases = {
      {"nothing set", {{{}, {}}, {{}, {}}}, "BestEffort"},
      {"limits only (requests default to them)", {{full, {}}}, "Guaranteed"},
      {"limits equal requests", {{full, full}}, "Guaranteed"},
      {"equal in another notation", {{full, {{"cpu", q("0.1")}, {"memory", q("64Mi")}}}},
       "Guaranteed"},
      {"request below limit", {{full, {{"cpu", q("50m")}}}}, "Burstable"},
      {"memory limit missing", {{{{"cpu", q("100m")}}, {}}}, "Burstable"},
      {"requests only", {{{}, full}}, "Burstable"},
      {"one guaranteed one best effort", {{full, {}}, {{}, {}}}, "Burstable"},
  };
  for (const auto& c : cases) {
    api::Pod pod = basePod();
    pod.spec.containers.clear();
    for (size_t i = 0; i < c.containers.size(); ++i) {
      api::Container container;
      container.name = "c" + std::to_string(i);
      container.resources.limits = c.containers[i].first;
      container.resources.requests = c.containers[i].second;
      pod.spec.containers.push_back(container);
    }
    EXPECT_EQ(qosClass(pod), c.want) << c.name;
  }
}

TEST(QosClass, PodLevelResourcesDecideAlone) {
  api::ResourceList full = {{"cpu", q("100m")}, {"memory", q("64Mi")}};
  api::Pod pod = basePod();  // its container sets nothing
  pod.spec.resources.emplace();
  pod.spec.resources->limits = full;
  EXPECT_EQ(qosClass(pod), "Guaranteed");
  pod.spec.resources->requests = {{"cpu", q("10m")}};
  EXPECT_EQ(qosClass(pod), "Burstable");
  pod.spec.resources->limits.clear();
  pod.spec.resources->requests.clear();
  EXPECT_EQ(qosClass(pod), "BestEffort");  // an empty pod-level block is no setting
}

TEST(QosClass, InitContainersCount) {
  api::ResourceList full = {{"cpu", q("100m")}, {"memory", q("64Mi")}};
  api::Pod pod = basePod();
  pod.spec.containers[0].resources.limits = full;
  EXPECT_EQ(qosClass(pod), "Guaranteed");
  api::Container init;
  init.name = "init";
  init.resources.requests = {{"cpu", q("10m")}};
  pod.spec.init_containers = {init};
  EXPECT_EQ(qosClass(pod), "Burstable");
}

}  // namespace pod_config_test
}  // namespace minik8s::kubelet
