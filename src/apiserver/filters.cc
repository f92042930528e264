#include "apiserver/filters.h"

#include <nlohmann/json.hpp>

#include "api/selector.h"

namespace minik8s::apiserver {

Result<WatchFilter> makeFilter(const api::ResourceInfo& resource, const std::string& namespace_,
                               const std::string& label_selector,
                               const std::string& field_selector) {
  ASSIGN_OR_RETURN(api::LabelSelector labels, api::LabelSelector::parse(label_selector));
  ASSIGN_OR_RETURN(api::FieldSelector fields, api::FieldSelector::parse(field_selector, resource));
  WatchFilter filter;
  filter.namespace_ = resource.namespaced ? namespace_ : "";
  if (labels.matchesEverything() && fields.empty()) return filter;
  filter.matches = [labels = std::move(labels), fields = std::move(fields)](const nlohmann::json& attrs) {
    return labels.matchesObject(attrs) && fields.matches(attrs);
  };
  return filter;
}

}  // namespace minik8s::apiserver
