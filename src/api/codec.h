// JSON codecs of the typed API structs (types_meta.h, types_core.h, types_apps.h).
//
// fromJson decodes leniently like the Kubernetes apiserver: absent and `null` fields keep
// their defaults, unknown keys are skipped and reported by path
// ("spec.containers[0].imagePulPolicy"), and a value of the wrong JSON type fails the
// whole decode with kBadRequest naming the path ("spec.replicas: expected integer, got
// string"). Quantities that do not parse are kept verbatim for validation to report.
//
// toJson encodes like Kubernetes' omitempty: empty strings, zero numbers, false, empty
// lists/maps/objects and unset optionals are omitted, except the fields client libraries
// require (ContainerStatus name/image/imageID/ready/restartCount, Condition type/status,
// NodeSystemInfo's ten strings, ...), which are always emitted.
//
// Both are instantiated for every kind and for ObjectMeta, ListMeta, OwnerReference,
// ObjectReference, LabelSelectorSpec, Condition, PodSpec, PodStatus, PodTemplateSpec,
// Container, ContainerStatus, ContainerState, ResourceRequirements, Volume, Toleration,
// ServiceSpec, EndpointSubset, NodeSpec, NodeStatus, DeploymentSpec, DeploymentStatus,
// ReplicaSetStatus and HorizontalPodAutoscalerStatus. Never throw.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "api/types_meta.h"
#include "common/status.h"

namespace minik8s::api {

template <typename T>
Status fromJson(const nlohmann::json& in, T& out,
                std::vector<std::string>* unknown_fields = nullptr);

template <typename T>
nlohmann::json toJson(const T& value);

// fromJson returning the value.
template <typename T>
Result<T> decode(const nlohmann::json& in, std::vector<std::string>* unknown_fields = nullptr) {
  T out{};
  RETURN_IF_ERROR(fromJson(in, out, unknown_fields));
  return out;
}

}  // namespace minik8s::api
