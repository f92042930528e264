#include "kubelet/hollow_node.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/log.h"

namespace minik8s::kubelet {

Result<std::string> hollowPodCidr(int index) {
  if (index < 0 || index >= 56 * 256) {
    return invalid("hollow node index " + std::to_string(index) + " is outside 0..14335");
  }
  return "10." + std::to_string(200 + index / 256) + "." + std::to_string(index % 256) + ".0/24";
}

KubeletOptions hollowKubeletOptions(const HollowNodeOptions& options) {
  KubeletOptions k;
  k.node.node_name = options.name;
  k.node.node_ip = "127.0.0.1";
  k.node.kubelet_port = 0;  // no endpoint
  k.node.pod_cidr = options.pod_cidr;
  k.paths.data_dir = options.data_dir;
  k.paths.cgroup_root = "minik8s-hollow";  // never used: manage_cgroups is off
  k.manage_cgroups = false;
  k.manage_volumes = false;
  k.watch_config_objects = false;  // a GET on use: no two watches and threads per node
  k.workers = options.workers;
  k.probe_threads = 1;
  k.heartbeat_period = options.heartbeat_period;
  return k;
}

HollowNode::HollowNode(const client::ClientConfig& config, HollowNodeOptions options)
    : options_(std::move(options)), config_(config) {}

HollowNode::~HollowNode() {
  stop();
}

Status HollowNode::start() {
  client::ClientConfig config = config_;
  config.user_agent = "minik8s-kubelet-hollow";
  ASSIGN_OR_RETURN(client_, client::RestClient::connect(config));
  runtime_.setRecordCalls(false);
  runtime_.setAnyImagePresent(true);
  if (!options_.pod_cidr.empty()) RETURN_IF_ERROR(runtime_.setPodCidr(options_.pod_cidr));
  kubelet_ = std::make_unique<Kubelet>(*client_, runtime_, hollowKubeletOptions(options_));
  return kubelet_->start();
}

void HollowNode::stop() {
  if (kubelet_) kubelet_->stop();
}

HollowNodes::HollowNodes(const client::ClientConfig& config, HollowNodesOptions options)
    : config_(config), options_(std::move(options)) {}

HollowNodes::~HollowNodes() {
  stop();
}

Status HollowNodes::start() {
  for (int i = 0; i < options_.count; ++i) {
    int index = options_.first_index + i;
    HollowNodeOptions node;
    node.name = options_.name_prefix + std::to_string(index);
    ASSIGN_OR_RETURN(node.pod_cidr, hollowPodCidr(index));
    node.data_dir = options_.data_dir + "/" + node.name;
    std::error_code ec;
    std::filesystem::create_directories(node.data_dir, ec);
    if (ec) return internalError("creating " + node.data_dir + ": " + ec.message());
    node.heartbeat_period = options_.heartbeat_period;
    node.workers = options_.workers;
    nodes_.push_back(std::make_unique<HollowNode>(config_, std::move(node)));
  }
  // Registration is a few round trips per node: several nodes at once.
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  {
    std::vector<std::jthread> starters;
    int parallel = std::max(1, std::min<int>(options_.start_parallelism, options_.count));
    for (int t = 0; t < parallel; ++t) {
      starters.emplace_back([&] {
        for (size_t i = next++; i < nodes_.size(); i = next++) {
          Status s = nodes_[i]->start();
          if (!s.isOk()) {
            std::lock_guard lock(mu);
            if (first_error.isOk()) first_error = s.withContext("hollow node " + nodes_[i]->name());
            next = nodes_.size();  // start no more
          }
        }
      });
    }
  }  // joined
  if (!first_error.isOk()) {
    stop();
    return first_error;
  }
  log::info("hollow-nodes: {} nodes running", nodes_.size());
  return Status::ok();
}

void HollowNodes::stop() {
  // Several at once: each stop joins a few threads.
  std::atomic<size_t> next{0};
  std::vector<std::jthread> stoppers;
  for (int t = 0; t < std::min<int>(16, static_cast<int>(nodes_.size())); ++t) {
    stoppers.emplace_back([&] {
      for (size_t i = next++; i < nodes_.size(); i = next++) nodes_[i]->stop();
    });
  }
}

}  // namespace minik8s::kubelet
