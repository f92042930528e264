// What the API server does to a certificates.k8s.io/v1 CertificateSigningRequest beyond the
// generic REST rules, as kube-apiserver's csr strategies (pkg/registry/certificates):
//
// - create: the requester's identity (spec.username, uid, groups, extra) comes from the
//   authenticated user, never from the body; without authentication (plain loopback
//   mode) the body's is kept. The status is dropped (the generic create does that).
// - update of the object: spec and status stay as stored (only metadata changes).
// - /status: writes status.certificate and the conditions, but keeps the stored Approved
//   and Denied conditions (those change only through /approval).
// - /approval: writes only the Approved and Denied conditions.
// - every write: a condition without lastUpdateTime gets now; one without
//   lastTransitionTime gets the stored condition's when its status did not change, else now.
//
// Validation (api/validation.cc) then refuses what may not change: a removed Approved,
// Denied or Failed condition, a changed certificate. Pure functions on the JSON objects.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "apiserver/authentication.h"
#include "common/clock.h"

namespace minik8s::apiserver {

bool isCertificateSigningRequest(const std::string& group, const std::string& plural);

// `object` is the body of a create; `user` nullptr when the server has no authentication.
void prepareCsrForCreate(nlohmann::json& object, const UserInfo* user);

// `desired` is what the request asks for (after the generic subresource handling),
// `current` the stored object; `subresource` is "", "status" or "approval".
void prepareCsrForUpdate(nlohmann::json& desired, const nlohmann::json& current,
                         const std::string& subresource, Clock::WallTime now);

}  // namespace minik8s::apiserver
