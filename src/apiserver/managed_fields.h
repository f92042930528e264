// metadata.managedFields: who owns which field of an object, as kube-apiserver's fieldmanager
// and structured-merge-diff keep it, and server-side apply built on that ownership.
//
// A field set is a tree of path elements spelled as in `fieldsV1`: `f:<field>`,
// `k:<key fields as JSON>` (an element of a list keyed by some of its fields: containers by
// name, a Service's ports by port+protocol, ...), `v:<value as JSON>` (an element of a set,
// such as metadata.finalizers) and `i:<index>`. Objects are never members themselves (but an
// empty `{}` is a leaf); leaves, list-map elements and set elements are. Lists that are not
// keyed are atomic: one leaf. Which lists are keyed comes from a table consistent with the
// list-map keys openapi.cc serves (listShapeOf).
//
// Pure functions over objects in their Kubernetes JSON shape; thread-safe; never throw.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::apiserver {

struct FieldSet {
  bool member = false;                       // the path that leads here is in the set
  std::map<std::string, FieldSet> children;  // by path element ("f:spec", "k:{...}", ...)

  // No member anywhere in the tree.
  bool empty() const;
  bool operator==(const FieldSet&) const = default;
};

FieldSet unionOf(const FieldSet& a, const FieldSet& b);
FieldSet intersectionOf(const FieldSet& a, const FieldSet& b);
// The members of `a` that are not members of `b`.
FieldSet differenceOf(const FieldSet& a, const FieldSet& b);

// fieldsV1 <-> FieldSet. Encoding: a member leaf is `{}`, a member with children has a
// `".": {}` entry. kBadRequest for anything malformed (not an object, an unknown element
// prefix, a `k:`/`v:` that is not JSON, a `k:` that is not an object).
Result<FieldSet> decodeFieldsV1(const nlohmann::json& fields);
nlohmann::json encodeFieldsV1(const FieldSet& set);

// Each member's path as kube-apiserver prints it: `.spec.replicas`,
// `.spec.ports[port=80,protocol="TCP"].targetPort`, `.metadata.finalizers[="x"]`.
std::vector<std::string> pathStrings(const FieldSet& set);

// How a list at dotted `path` (indices left out, e.g. "spec.template.spec.containers.env")
// of `kind` is keyed.
struct ListShape {
  enum class Type { kAtomic, kMap, kSet } type = Type::kAtomic;
  // kMap: the key fields, each with its default when the element leaves it out (null: none),
  // as Kubernetes' schema defaults a port's protocol to TCP.
  std::vector<std::pair<std::string, nlohmann::json>> keys;
};
ListShape listShapeOf(std::string_view kind, std::string_view path);

// The fields set in `object` (leaves, list-map and set elements; nulls are left out).
FieldSet fieldSetOf(const nlohmann::json& object, std::string_view kind);

// `config` merged over `live` the way server-side apply merges: objects field by field,
// list-maps element by element (by key), sets as a union, anything else replaced; nulls in
// `config` are ignored.
nlohmann::json mergeApplied(nlohmann::json live, const nlohmann::json& config,
                            std::string_view kind);

// What a write changed: `changed` the fields added or given another value, `removed` the
// fields that are gone.
struct FieldChanges {
  FieldSet changed;
  FieldSet removed;
};
FieldChanges compareObjects(const nlohmann::json& before, const nlohmann::json& after,
                            std::string_view kind);

// Removes from `object` the members of `remove`, except where `keep` holds the path or
// anything below it; an object or list emptied by the removal goes too.
void removeFields(nlohmann::json& object, const FieldSet& remove, const FieldSet& keep,
                  std::string_view kind);

// One metadata.managedFields entry.
struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;         // RFC 3339, "" when absent
  std::string subresource;  // "" for the main resource
  FieldSet fields;
};

// kBadRequest for a malformed list (not a list, an entry without a manager, an operation
// other than Apply/Update, a fieldsType other than FieldsV1, malformed fieldsV1).
Result<std::vector<ManagedFieldsEntry>> decodeManagedFields(const nlohmann::json& list);
nlohmann::json encodeManagedFields(const std::vector<ManagedFieldsEntry>& entries);

// Who writes and how.
struct FieldManagerOptions {
  std::string manager;      // empty: nothing is recorded
  std::string api_version;  // the request's group/version
  std::string kind;
  std::string subresource;          // "status": only status is tracked; otherwise status is not
  bool status_subresource = false;  // the kind has one (its status is not the main write's)
  std::string time;                 // now, RFC 3339
  bool force = false;               // apply: take the fields other managers own
};

// The fieldmanager of kube-apiserver's manager name for a request: `field_manager` when
// set, else the User-Agent's program name (what precedes the first '/'), cut to 128 bytes.
std::string managerName(std::string_view field_manager, std::string_view user_agent);

// metadata.managedFields of `object` after a write that is not an apply (create, PUT, JSON,
// merge and strategic merge patches), as kube-apiserver's Update operation: the entries are
// those `object` carries when they decode and are not empty (`[{}]` clears them), else
// `live`'s (null on create); the manager's Update entry takes every field the write added or
// changed, other managers lose those, and removed fields leave every entry. Without a
// manager the entries stay `live`'s.
void recordUpdate(const nlohmann::json* live, nlohmann::json& object,
                  const FieldManagerOptions& options);

// Server-side apply of the configuration `config` over `live` (null: the object is created).
// Returns the merged object with its managedFields: the manager's Apply entry is exactly the
// configuration's fields; fields it applied before and no longer applies are removed from
// the object unless another manager owns them; changing a field another manager owns is a
// conflict (409 naming each field and manager, kube-apiserver's words) unless
// `options.force`, which takes it over. A configuration carrying managedFields is a 400.
// The server-owned metadata, apiVersion, kind, name and namespace are never owned; nor is
// status when the kind has a status subresource (unless applying to it).
Result<nlohmann::json> serverSideApply(const nlohmann::json* live, const nlohmann::json& config,
                                       const FieldManagerOptions& options);

}  // namespace minik8s::apiserver
