// networking.k8s.io/v1 (Ingress, IngressClass). Plain aggregates; codec.cc maps them to
// Kubernetes' JSON keys. Kept apart from types_apps.h so that only the code that routes
// HTTP includes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/types_meta.h"

namespace minik8s::api {

// The annotations of networking.k8s.io/v1.
inline constexpr char kIngressClassAnnotation[] = "kubernetes.io/ingress.class";  // legacy
inline constexpr char kIsDefaultIngressClassAnnotation[] =
    "ingressclass.kubernetes.io/is-default-class";

// pathType values.
inline constexpr char kPathTypeExact[] = "Exact";
inline constexpr char kPathTypePrefix[] = "Prefix";
inline constexpr char kPathTypeImplementationSpecific[] = "ImplementationSpecific";

struct ServiceBackendPort {
  std::string name;  // exactly one of name and number
  int32_t number = 0;
};

struct IngressServiceBackend {
  std::string name;  // required
  ServiceBackendPort port;
};

struct TypedLocalObjectReference {
  std::optional<std::string> api_group;
  std::string kind;  // required
  std::string name;  // required
};

// Exactly one of service and resource.
struct IngressBackend {
  std::optional<IngressServiceBackend> service;
  std::optional<TypedLocalObjectReference> resource;
};

struct HTTPIngressPath {
  std::string path;
  std::optional<std::string> path_type;  // required: Exact, Prefix, ImplementationSpecific
  IngressBackend backend;
};

struct HTTPIngressRuleValue {
  std::vector<HTTPIngressPath> paths;  // required
};

struct IngressRule {
  std::string host;  // "" matches every host; "*.example.com" one leftmost label
  std::optional<HTTPIngressRuleValue> http;
};

struct IngressTLS {
  std::vector<std::string> hosts;
  std::string secret_name;
};

struct IngressSpec {
  std::optional<std::string> ingress_class_name;
  std::optional<IngressBackend> default_backend;
  std::vector<IngressTLS> tls;
  std::vector<IngressRule> rules;
};

struct IngressPortStatus {
  int32_t port = 0;      // required
  std::string protocol;  // required
  std::optional<std::string> error;
};

struct IngressLoadBalancerIngress {
  std::string ip;
  std::string hostname;
  std::vector<IngressPortStatus> ports;
};

struct IngressLoadBalancerStatus {
  std::vector<IngressLoadBalancerIngress> ingress;
};

struct IngressStatus {
  IngressLoadBalancerStatus load_balancer;
};

struct Ingress {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  IngressSpec spec;
  IngressStatus status;
};

struct IngressClassParametersReference {
  std::optional<std::string> api_group;
  std::string kind;                       // required
  std::string name;                       // required
  std::optional<std::string> scope;       // Cluster (default) or Namespace
  std::optional<std::string> namespace_;  // required with scope Namespace, else forbidden
};

struct IngressClassSpec {
  std::string controller;  // required, immutable: a domain-prefixed path
  std::optional<IngressClassParametersReference> parameters;
};

// Cluster-scoped.
struct IngressClass {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  IngressClassSpec spec;
};

}  // namespace minik8s::api
