// discovery.k8s.io/v1 types: EndpointSlice. Plain aggregates with snake_case fields; the
// codec (codec.cc) maps them to Kubernetes' JSON keys. Kept out of types_core.h so that only
// the code that uses slices includes them. Conventions as in types_core.h: std::optional<T>
// for Kubernetes pointer fields (emitted whenever set), plain fields for omitempty values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "api/types_meta.h"

namespace minik8s::api {

struct EndpointConditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
};

struct ForZone {
  std::string name;  // required
};

struct EndpointHints {
  std::vector<ForZone> for_zones;
};

// One backend of a Service (discovery/v1 Endpoint).
struct Endpoint {
  std::vector<std::string> addresses;  // required: 1..100, interpreted per addressType
  EndpointConditions conditions;
  std::optional<std::string> hostname;
  std::optional<ObjectReference> target_ref;
  StringMap deprecated_topology;
  std::optional<std::string> node_name;
  std::optional<std::string> zone;
  std::optional<EndpointHints> hints;
};

// discovery/v1 EndpointPort (every field a pointer in Kubernetes; name and protocol are
// defaulted to "" and "TCP").
struct EndpointSlicePort {
  std::optional<std::string> name;
  std::optional<std::string> protocol;
  std::optional<int32_t> port;
  std::optional<std::string> app_protocol;
};

struct EndpointSlice {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::string address_type;              // required, immutable: IPv4, IPv6, FQDN
  std::vector<Endpoint> endpoints;       // always emitted (Kubernetes has no omitempty)
  std::vector<EndpointSlicePort> ports;  // always emitted
};

// Labels and annotations of the EndpointSlice and Endpoints controllers.
inline constexpr char kLabelServiceName[] = "kubernetes.io/service-name";
inline constexpr char kLabelManagedBy[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kLabelSkipMirror[] = "endpointslice.kubernetes.io/skip-mirror";
inline constexpr char kLabelHeadlessService[] = "service.kubernetes.io/headless";
inline constexpr char kAnnotationLastChangeTriggerTime[] =
    "endpoints.kubernetes.io/last-change-trigger-time";

}  // namespace minik8s::api
