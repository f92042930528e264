#include "apiserver/admission.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace minik8s::apiserver {
namespace admission_test {

using nlohmann::json;

json ingressClass(const std::string& name, const std::string& created, const char* is_default) {
  json c = {{"apiVersion", "networking.k8s.io/v1"},
            {"kind", "IngressClass"},
            {"metadata", {{"name", name}, {"creationTimestamp", created}}},
            {"spec", {{"controller", "example.com/" + name}}}};
  if (is_default != nullptr) {
    c["metadata"]["annotations"] = {{"ingressclass.kubernetes.io/is-default-class", is_default}};
  }
  return c;
}

TEST(DefaultIngressClass, NoneWithoutTheAnnotationSetToTrue) {
  EXPECT_EQ(defaultIngressClass({}), "");
  EXPECT_EQ(defaultIngressClass({ingressClass("a", "2026-12-07T01:00:00Z", nullptr),
                                 ingressClass("b", "2026-12-07T02:00:00Z", "false"),
                                 ingressClass("c", "2026-12-07T03:00:00Z", "True")}),
            "");
}

TEST(DefaultIngressClass, TheOneMarkedDefault) {
  EXPECT_EQ(defaultIngressClass({ingressClass("a", "2026-12-07T01:00:00Z", nullptr),
                                 ingressClass("minik8s-nginx", "2026-12-07T00:00:00Z", "true")}),
            "minik8s-nginx");
}

TEST(DefaultIngressClass, TheNewestWhenSeveralAreMarked) {
  EXPECT_EQ(defaultIngressClass({ingressClass("old", "2026-12-07T01:00:00Z", "true"),
                                 ingressClass("new", "2026-12-07T02:00:00Z", "true"),
                                 ingressClass("plain", "2026-12-07T03:00:00Z", nullptr)}),
            "new");
  // Created in the same second: the name decides, so the answer does not depend on order.
  EXPECT_EQ(defaultIngressClass({ingressClass("y", "2026-12-07T01:00:00Z", "true"),
                                 ingressClass("x", "2026-12-07T01:00:00Z", "true")}),
            "y");
}

}  // namespace admission_test
}  // namespace minik8s::apiserver
