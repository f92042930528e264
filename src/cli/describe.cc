#include "cli/describe.h"

#include <algorithm>
#include <sstream>

#include "api/yaml.h"
#include "cli/printer.h"

namespace minik8s::cli {

using nlohmann::json;

namespace {

const json& at(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string str(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

// "a=b\n              c=d" with continuation lines aligned under the first value.
std::string mapLines(const json& map, size_t indent) {
  if (!map.is_object() || map.empty()) return "<none>";
  std::string out;
  bool first = true;
  for (const auto& [k, v] : map.items()) {
    if (!first) out += "\n" + std::string(indent, ' ');
    out += k + "=" + str(v);
    first = false;
  }
  return out;
}

std::string titleCase(const std::string& key) {
  std::string out = key;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string indentLines(const std::string& text, size_t indent) {
  std::istringstream in(text);
  std::string line;
  std::string out;
  while (std::getline(in, line)) out += std::string(indent, ' ') + line + "\n";
  return out;
}

std::string ageOf(const std::string& timestamp, Clock::WallTime now) {
  Clock::WallTime t;
  if (!parseRfc3339(timestamp, &t)) return "<unknown>";
  auto d = std::chrono::duration_cast<std::chrono::seconds>(now - t);
  return humanDuration(std::max(d, std::chrono::seconds(0)));
}

}  // namespace

std::string eventFieldSelector(const json& object) {
  const json& meta = at(object, "metadata");
  std::string out = "involvedObject.kind=" + str(at(object, "kind")) +
                    ",involvedObject.name=" + str(at(meta, "name"));
  std::string ns = str(at(meta, "namespace"));
  if (!ns.empty()) out += ",involvedObject.namespace=" + ns;
  return out;
}

std::string eventAge(const json& event, Clock::WallTime now) {
  std::string last = str(at(event, "lastTimestamp"));
  if (last.empty()) last = str(at(event, "eventTime"));
  if (last.empty()) last = str(at(at(event, "metadata"), "creationTimestamp"));
  const json& count = at(event, "count");
  std::string first = str(at(event, "firstTimestamp"));
  if (!count.is_number_integer() || count.get<int64_t>() <= 1 || first.empty()) {
    return ageOf(last, now);
  }
  return ageOf(last, now) + " (x" + std::to_string(count.get<int64_t>()) + " over " +
         ageOf(first, now) + ")";
}

std::string describeObject(const json& object, const json& events, Clock::WallTime now) {
  constexpr size_t kValueColumn = 19;  // "CreationTimestamp: " is the longest label
  const json& meta = at(object, "metadata");
  auto line = [&](const std::string& label, const std::string& value) {
    std::string head = label + ":";
    head.append(kValueColumn > head.size() ? kValueColumn - head.size() : 1, ' ');
    return head + value + "\n";
  };
  std::string out;
  out += line("Name", str(at(meta, "name")));
  if (!str(at(meta, "namespace")).empty()) out += line("Namespace", str(at(meta, "namespace")));
  out += line("Labels", mapLines(at(meta, "labels"), kValueColumn));
  out += line("Annotations", mapLines(at(meta, "annotations"), kValueColumn));
  out += line("CreationTimestamp", str(at(meta, "creationTimestamp")));
  if (object.is_object()) {
    for (const auto& [key, value] : object.items()) {
      if (key == "metadata" || key == "kind" || key == "apiVersion") continue;
      if (value.is_object() || value.is_array()) {
        out += titleCase(key) + ":\n" + indentLines(api::toYaml(value), 2);
      } else {
        out += line(titleCase(key), str(value));
      }
    }
  }
  const json& items = at(events, "items");
  if (!items.is_array() || items.empty()) {
    out += "Events:            <none>\n";
    return out;
  }
  std::vector<std::vector<std::string>> rows = {{"Type", "Reason", "Age", "From", "Message"},
                                                {"----", "------", "----", "----", "-------"}};
  for (const auto& e : items) {
    rows.push_back({str(at(e, "type")), str(at(e, "reason")), eventAge(e, now),
                    str(at(at(e, "source"), "component")), str(at(e, "message"))});
  }
  out += "Events:\n" + indentLines(alignColumns(rows), 2);
  return out;
}

}  // namespace minik8s::cli
