// Admission: the resource-specific rules the generic REST handler applies around a write.
// Services get ClusterIPs and NodePorts; pods naming a node that does not exist are left
// for the scheduler (the original project's behaviour); Ingresses without a class get the
// default one; allocations are released when the write fails or the object is deleted.
// Everything else passes through.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "apiserver/admission_options.h"
#include "apiserver/rest_handler.h"
#include "apiserver/service_allocator.h"
#include "store/store.h"

namespace minik8s::apiserver {

struct AdmissionDeps {
  store::Store& store;
  ServiceAllocator& allocator;
  const AdmissionOptions& options;
};

// DefaultTolerationSeconds on a pod's JSON: adds the NoExecute tolerations for the
// not-ready and unreachable node taints, unless the pod already tolerates them.
void addDefaultTolerations(nlohmann::json& pod, const AdmissionOptions& options);

// The original's Service manifests, which Kubernetes would refuse, made valid the way the
// original meant them, each change with a warning. On a Service's JSON as sent, before
// defaulting:
// - ports with a nodePort and no type: the Service becomes type NodePort (an explicit
//   type is left alone);
// - several ports, some without a name: those are named "<protocol>-<port>" ("tcp-80"), so
//   that their endpoints can tell them apart.
void adaptOriginalService(nlohmann::json& service, RequestContext& ctx);

// DefaultIngressClass: the name of the default among `classes` (stored IngressClasses), the
// one annotated ingressclass.kubernetes.io/is-default-class: "true"; the newest when several
// are (by creationTimestamp, then name). "" when there is none.
std::string defaultIngressClass(const std::vector<nlohmann::json>& classes);

// Mutates a normalized object before validation on create. An Ingress that names no class
// (neither spec.ingressClassName nor the legacy annotation) gets the default IngressClass.
Status admitCreate(const api::ResourceInfo& resource, nlohmann::json& object,
                   RequestContext& ctx, AdmissionDeps& deps);
// Mutates the desired object before validation on update (old is the stored one).
Status admitUpdate(const api::ResourceInfo& resource, nlohmann::json& object,
                   const nlohmann::json& old, RequestContext& ctx, AdmissionDeps& deps);
// Undoes what admitCreate allocated when the create itself failed.
void rollbackCreate(const api::ResourceInfo& resource, const nlohmann::json& object,
                    AdmissionDeps& deps);
// Releases what the object held once it is deleted; for updates, what `old` held and
// `now` no longer does.
void releaseAfterDelete(const api::ResourceInfo& resource, const nlohmann::json& object,
                        AdmissionDeps& deps);
void releaseAfterUpdate(const api::ResourceInfo& resource, const nlohmann::json& old,
                        const nlohmann::json& now, AdmissionDeps& deps);

}  // namespace minik8s::apiserver
