// `describe`: an object in kubectl's describe layout (Name, Namespace, Labels, Annotations,
// CreationTimestamp, then the rest of the object as an indented tree) followed by its
// events. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"

namespace minik8s::cli {

// `events` is an EventList (items may be empty or absent).
std::string describeObject(const nlohmann::json& object, const nlohmann::json& events,
                           Clock::WallTime now);

// An event's Age column as kubectl shows it: "30s", or "30s (x5 over 10m)" for a repeat.
std::string eventAge(const nlohmann::json& event, Clock::WallTime now);

// The field selector that finds the events of `object`:
// "involvedObject.kind=Pod,involvedObject.name=x,involvedObject.namespace=default".
std::string eventFieldSelector(const nlohmann::json& object);

}  // namespace minik8s::cli
