// Objects for controller unit tests, written as the JSON a user would send.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/codec.h"
#include "api/types_apps.h"
#include "api/types_core.h"

namespace minik8s::controller::testing {

inline nlohmann::json replicaSetJson(const std::string& name, int replicas,
                                     const std::string& uid = "rs-uid") {
  return nlohmann::json::parse(R"({
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": ")" + name + R"(", "namespace": "default", "uid": ")" + uid +
                               R"(", "generation": 2, "resourceVersion": "7",
                 "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"replicas": )" + std::to_string(replicas) + R"(,
             "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web", "tier": "front"}},
                          "spec": {"containers": [{"name": "c", "image": "myip:latest"}]}}}
  })");
}

// A pod of the ReplicaSet `owner_uid` ("" for an orphan), with app=web.
inline nlohmann::json podJson(const std::string& name, const std::string& owner_uid,
                              const std::string& node = "", const std::string& phase = "Pending",
                              bool ready = false,
                              const std::string& created = "2026-01-01T00:00:00Z") {
  nlohmann::json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "uid-" + name},
        {"resourceVersion", "5"},
        {"creationTimestamp", created},
        {"labels", {{"app", "web"}, {"tier", "front"}}}}},
      {"spec", {{"containers", {{{"name", "c"}, {"image", "myip:latest"}}}}}},
      {"status", {{"phase", phase}}}};
  if (!node.empty()) pod["spec"]["nodeName"] = node;
  if (!owner_uid.empty()) {
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                           {"kind", "ReplicaSet"},
                                           {"name", "web"},
                                           {"uid", owner_uid},
                                           {"controller", true},
                                           {"blockOwnerDeletion", true}}};
  }
  if (ready) {
    pod["status"]["conditions"] = {{{"type", "Ready"},
                                    {"status", "True"},
                                    {"lastTransitionTime", "2026-01-01T00:00:10Z"}}};
  }
  return pod;
}

template <typename T>
T decoded(const nlohmann::json& j) {
  auto r = api::decode<T>(j);
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  return std::move(r).value();
}

}  // namespace minik8s::controller::testing
