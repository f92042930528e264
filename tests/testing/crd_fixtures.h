// A CustomResourceDefinition for tests (header-only): example.com Widgets, namespaced, short
// name wd; v1 (served, storage) with a structural schema (spec.size required, at most 10;
// spec.color defaulting to blue; status.ready), the status and scale subresources and a
// Size printer column; v1beta1 served and preserving unknown fields; v1alpha1 not served.
#pragma once

#include <nlohmann/json.hpp>

namespace minik8s::testing {

inline nlohmann::json widgetCrd() {
  return nlohmann::json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
      "group": "example.com", "scope": "Namespaced",
      "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
      "versions": [
        {"name": "v1", "served": true, "storage": true,
         "schema": {"openAPIV3Schema": {"type": "object", "properties": {
           "spec": {"type": "object", "required": ["size"], "properties": {
             "size": {"type": "integer", "maximum": 10},
             "color": {"type": "string", "default": "blue"}}},
           "status": {"type": "object", "properties": {"ready": {"type": "integer"}}}}}},
         "subresources": {"status": {},
                          "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.ready"}},
         "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}]},
        {"name": "v1beta1", "served": true, "storage": false,
         "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
        {"name": "v1alpha1", "served": false, "storage": false,
         "schema": {"openAPIV3Schema": {"type": "object"}}}]
    }})");
}

}  // namespace minik8s::testing
