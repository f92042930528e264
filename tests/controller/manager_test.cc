#include "controller/manager.h"

#include <gtest/gtest.h>

namespace minik8s::controller {
namespace manager_test {

TEST(EnabledControllers, StarNameAndMinusNameAsKubeControllerManager) {
  EXPECT_EQ(
      enabledControllers({"*"}).value(),
      (std::set<std::string>{"bootstrapsigner", "cronjob", "csrapproving", "csrsigning", "daemonset", "deployment",
                             "disruption", "endpoint", "endpointslice",
                             "garbagecollector", "horizontalpodautoscaling", "hpa", "ingress",
                             "job", "namespace", "nodeipam", "nodelifecycle", "podgc", "replicaset",
                             "taint-eviction-controller", "ttl-after-finished"}));
  EXPECT_EQ(enabledControllers({"replicaset"}).value(), std::set<std::string>{"replicaset"});
  EXPECT_EQ(enabledControllers({"*", "-replicaset"}).value(),
            (std::set<std::string>{"bootstrapsigner", "cronjob", "csrapproving", "csrsigning", "daemonset",
                                   "deployment", "disruption", "endpoint",
                                   "endpointslice", "garbagecollector", "horizontalpodautoscaling",
                                   "hpa", "ingress", "job", "namespace", "nodeipam", "nodelifecycle", "podgc",
                                   "taint-eviction-controller", "ttl-after-finished"}));
  EXPECT_TRUE(enabledControllers({}).value().empty());
  auto unknown = enabledControllers({"nonsense"});
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().message(), "--controllers: unknown controller \"nonsense\"");
}

}  // namespace manager_test
}  // namespace minik8s::controller
