#include "cli/ctl.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "api/scheme.h"
#include "cli/describe.h"
#include "cli/json_fields.h"
#include "cli/kinds.h"
#include "cli/manifest.h"
#include "cli/original.h"
#include "cli/printer.h"
#include "cli/update.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "common/clock.h"

namespace minik8s::cli {

using nlohmann::json;

namespace {

constexpr char kFieldManager[] = "mkctl";

struct Flags {
  // connection (like kubectl)
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string ns;
  std::string request_timeout = "30s";
  // command arguments
  std::string kind;
  std::vector<std::string> names;
  std::vector<std::string> files;
  std::string output;
  std::string selector;
  bool all_namespaces = false;
  bool watch = false;
  bool no_headers = false;
  int replicas = -1;
  std::string shell;
};

// "30s", "500ms", "2m", "1h", or a bare number of seconds. 0 means no timeout.
Result<std::chrono::milliseconds> parseTimeout(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  if (digits == 0 || digits > 9) {
    return badRequest("error: invalid --request-timeout \"" + text + "\"");
  }
  int64_t n = std::stoll(text.substr(0, digits));
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m") return std::chrono::milliseconds(n * 60000);
  if (unit == "h") return std::chrono::milliseconds(n * 3600000);
  return badRequest("error: invalid --request-timeout \"" + text + "\"");
}

std::vector<std::string> splitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// One command's run: the flags, the client and the output streams. Errors are returned as
// a Status whose message is the exact line to print.
class Session {
 public:
  Session(Flags flags, CtlIo io, Invocation invocation)
      : flags_(std::move(flags)),
        io_(io),
        invocation_(invocation),
        resources_(api::allResources()) {}

  Status connect(std::shared_ptr<client::HttpTransport> transport) {
    if (transport != nullptr) {
      client_ = std::make_unique<client::RestClient>(std::move(transport), "default");
      client_->setWarningHandler(
          [this](const std::string& text) { io_.err << "Warning: " << text << "\n"; });
      return Status::ok();
    }
    client::ConfigSources sources;
    sources.server = flags_.server;
    sources.kubeconfig = flags_.kubeconfig;
    sources.context = flags_.context;
    auto config = client::loadConfig(sources);
    if (!config.isOk()) return withPrefix(config.status());
    ASSIGN_OR_RETURN(config->timeout, parseTimeout(flags_.request_timeout));
    config->user_agent = "mkctl/v1.32.0 (minik8s)";
    auto made = client::RestClient::connect(*config);
    if (!made.isOk()) return withPrefix(made.status());
    client_ = std::move(made).value();
    client_->setWarningHandler(
        [this](const std::string& text) { io_.err << "Warning: " << text << "\n"; });
    return Status::ok();
  }

  Status create();
  Status get();
  Status update();
  Status remove();
  Status apply();
  Status describe();
  Status scale();

 private:
  static Status withPrefix(const Status& s) {
    if (s.message().rfind("error: ", 0) == 0) return s;
    return Status(s.code(), "error: " + s.message());
  }
  static Status server(const Status& s) { return Status(s.code(), formatServerError(s)); }

  std::string namespaceFlag() const {
    return flags_.ns.empty() ? client_->defaultNamespace() : flags_.ns;
  }

  // The namespace an object from a file goes to; kubectl refuses a -n that disagrees.
  Result<std::string> namespaceOf(const api::ResourceInfo& r, const json& object) const {
    if (!r.namespaced) return std::string();
    std::string in_file = stringAt(object, "metadata", "namespace");
    if (!in_file.empty() && !flags_.ns.empty() && in_file != flags_.ns) {
      return badRequest("error: the namespace from the provided object \"" + in_file +
                        "\" does not match the namespace \"" + flags_.ns +
                        "\". You must pass '--namespace=" + in_file +
                        "' to perform this operation.");
    }
    return in_file.empty() ? namespaceFlag() : in_file;
  }

  Result<std::vector<Manifest>> manifests() {
    if (flags_.files.empty()) return badRequest("error: must specify one of -f");
    std::vector<Manifest> out;
    for (const auto& f : flags_.files) {
      ASSIGN_OR_RETURN(auto some, readManifests(f, io_.in));
      for (auto& m : some) out.push_back(std::move(m));
    }
    return out;
  }

  // Finds a named object among the resources a word names (the first one that has it).
  Result<std::pair<const api::ResourceInfo*, json>> findNamed(
      const std::vector<const api::ResourceInfo*>& candidates, const std::string& name) {
    Status first_error;
    for (const auto* r : candidates) {
      auto got = client_->get(*r, r->namespaced ? namespaceFlag() : "", name);
      if (got.isOk()) return std::make_pair(r, std::move(got).value());
      if (got.status().code() != Code::kNotFound) return server(got.status());
      if (first_error.isOk()) first_error = got.status();
    }
    return server(first_error);
  }

  Result<json> tableOf(const api::ResourceInfo& r, const std::string& ns,
                       const std::string& field_selector = "") {
    client::ListOptions options;
    options.label_selector = flags_.selector;
    options.field_selector = field_selector;
    options.as_table = true;
    auto got = client_->list(r, ns, options);
    if (!got.isOk()) return server(got.status());
    if (got->is_object() && got->value("kind", "") == "Table") return std::move(got).value();
    return fallbackTable(*got, Clock::real().now());
  }

  // The objects of `r` in `ns` ("" for all), filtered by -l unless `all_labels`.
  Result<std::vector<json>> itemsOf(const api::ResourceInfo& r, const std::string& ns,
                                    bool all_labels = false) {
    client::ListOptions options;
    if (!all_labels) options.label_selector = flags_.selector;
    auto got = client_->list(r, ns, options);
    if (!got.isOk()) return server(got.status());
    std::vector<json> items;
    if (got->contains("items") && (*got)["items"].is_array()) {
      for (auto& item : (*got)["items"]) {
        if (!item.contains("apiVersion")) item["apiVersion"] = r.apiVersion();
        if (!item.contains("kind")) item["kind"] = r.kind;
        items.push_back(std::move(item));
      }
    }
    return items;
  }

  // The original's ENDPOINTS column of `get services`, from the Endpoints table of the
  // same namespace (best effort: left out when that list fails).
  void addEndpointsColumn(json& services, const std::string& ns) {
    const api::ResourceInfo* endpoints = api::findResource("", "v1", "endpoints");
    if (endpoints == nullptr) return;
    client::ListOptions options;
    options.as_table = true;
    auto got = client_->list(*endpoints, ns, options);
    if (!got.isOk()) return;
    insertColumn(services, "Endpoints", "Age", cellsByName(*got, "Endpoints"), "<none>");
  }

  Status replacePod(const api::ResourceInfo& r, const std::string& ns, const json& manifest,
                    const json& current);
  Status getList(const std::vector<const api::ResourceInfo*>& kinds, bool prefix_names,
                 OutputFormat format);
  Status getOriginal(const std::vector<const api::ResourceInfo*>& kinds, bool get_all,
                     bool prefix_names);
  Result<OriginalInputs> originalInputs(OriginalTable table,
                                        const std::vector<const api::ResourceInfo*>& shown);
  std::vector<json> nodeMetrics();
  Status watch(const api::ResourceInfo& r, OutputFormat format);

  Flags flags_;
  CtlIo io_;
  Invocation invocation_;
  const std::vector<api::ResourceInfo>& resources_;
  std::unique_ptr<client::RestClient> client_;
};

Status Session::create() {
  ASSIGN_OR_RETURN(auto kinds, resolveKindOrError(flags_.kind, resources_));
  (void)kinds;
  ASSIGN_OR_RETURN(auto docs, manifests());
  Status failed;
  for (const auto& m : docs) {
    ASSIGN_OR_RETURN(const api::ResourceInfo* r,
                     matchCommandKind(flags_.kind, m.object, resources_, m.source));
    ASSIGN_OR_RETURN(std::string ns, namespaceOf(*r, m.object));
    auto created = client_->create(*r, ns, m.object);
    if (!created.isOk()) {
      failed = server(created.status());
      io_.err << failed.message() << "\n";
      continue;
    }
    io_.out << actionMessage(r->kind, "created", stringAt(*created, "metadata", "name")) << "\n";
  }
  return failed.isOk() ? Status::ok() : Status(failed.code(), "");
}

Status Session::update() {
  ASSIGN_OR_RETURN(auto kinds, resolveKindOrError(flags_.kind, resources_));
  (void)kinds;
  ASSIGN_OR_RETURN(auto docs, manifests());
  for (const auto& m : docs) {
    ASSIGN_OR_RETURN(const api::ResourceInfo* r,
                     matchCommandKind(flags_.kind, m.object, resources_, m.source));
    ASSIGN_OR_RETURN(std::string ns, namespaceOf(*r, m.object));
    std::string name = stringAt(m.object, "metadata", "name");
    if (name.empty())
      return badRequest("error: the object in " + m.source + " has no metadata.name");
    // A replace of the stored object: read its resourceVersion (and the fields the cluster
    // allocated, which a manifest never carries) so the PUT is a compare-and-swap.
    auto current = client_->get(*r, ns, name);
    if (!current.isOk()) return server(current.status());
    json object = objectForUpdate(*r, m.object, *current);
    bool is_pod = r->group.empty() && r->kind == "Pod";
    if (is_pod && changesNodeName(object, *current)) {
      RETURN_IF_ERROR(replacePod(*r, ns, m.object, *current));
      continue;
    }
    auto updated = client_->update(*r, ns, object);
    if (is_pod && !updated.isOk() && isForbiddenPodUpdate(updated.status())) {
      RETURN_IF_ERROR(replacePod(*r, ns, m.object, *current));
      continue;
    }
    if (!updated.isOk()) return server(updated.status());
    io_.out << actionMessage(r->kind, "updated", name) << "\n";
  }
  return Status::ok();
}

// `kubectl replace --force` for a pod whose change cannot be made in place: the manifest
// is checked by a dry-run create first (nothing is deleted for a manifest the server would
// refuse), then the stored pod (by uid) is deleted, waited for, and created anew.
Status Session::replacePod(const api::ResourceInfo& r, const std::string& ns, const json& manifest,
                           const json& current) {
  std::string name = stringAt(manifest, "metadata", "name");
  json fresh = manifest;
  fresh["metadata"].erase("resourceVersion");
  auto checked = client_->raw("POST", client::resourcePath(r, ns) + "?dryRun=All", fresh.dump(),
                              "application/json");
  // (A server whose dry run checks names answers AlreadyExists for a valid manifest.)
  if (!checked.isOk() && checked.status().code() != Code::kAlreadyExists) {
    return server(checked.status());
  }
  std::string uid = stringAt(current, "metadata", "uid");
  client::DeleteOptions options;
  options.precondition_uid = uid;
  auto deleted = client_->remove(r, ns, name, options);
  if (!deleted.isOk() && deleted.status().code() != Code::kNotFound) {
    return server(deleted.status());
  }
  auto present = [&]() -> Result<bool> {
    auto got = client_->get(r, ns, name);
    if (!got.isOk() && got.status().code() == Code::kNotFound) return false;
    if (!got.isOk()) return server(got.status());
    return stringAt(*got, "metadata", "uid") == uid;
  };
  WaitSeams seams{Clock::real(),
                  [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
  RETURN_IF_ERROR(waitUntilGone(present, "pod \"" + name + "\"", replaceTimeout(current), seams));
  auto created = client_->create(r, ns, fresh);
  if (!created.isOk()) return server(created.status());
  io_.out << replacedMessage(r, name) << "\n";
  io_.out << actionMessage(r.kind, "updated", name) << "\n";
  return Status::ok();
}

Status Session::remove() {
  if (!flags_.files.empty()) {
    ASSIGN_OR_RETURN(auto docs, manifests());
    Status failed;
    for (const auto& m : docs) {
      const api::ResourceInfo* r = nullptr;
      if (!flags_.kind.empty()) {
        ASSIGN_OR_RETURN(r, matchCommandKind(flags_.kind, m.object, resources_, m.source));
      } else {
        ASSIGN_OR_RETURN(r, resourceOfObject(m.object, resources_, m.source));
      }
      ASSIGN_OR_RETURN(std::string ns, namespaceOf(*r, m.object));
      std::string name = stringAt(m.object, "metadata", "name");
      auto deleted = client_->remove(*r, ns, name);
      if (!deleted.isOk()) {
        failed = server(deleted.status());
        io_.err << failed.message() << "\n";
        continue;
      }
      io_.out << actionMessage(r->kind, "deleted", name) << "\n";
    }
    return failed.isOk() ? Status::ok() : Status(failed.code(), "");
  }
  if (flags_.kind.empty()) {
    return badRequest("error: You must provide one or more resources by argument or filename.");
  }
  ASSIGN_OR_RETURN(auto kinds, resolveKindOrError(flags_.kind, resources_));
  if (flags_.names.empty()) {
    return badRequest("error: resource(s) were provided, but no name was specified");
  }
  Status failed;
  for (const auto& name : flags_.names) {
    Status first_error;
    bool done = false;
    for (const auto* r : kinds) {
      auto deleted = client_->remove(*r, r->namespaced ? namespaceFlag() : "", name);
      if (deleted.isOk()) {
        io_.out << actionMessage(r->kind, "deleted", name) << "\n";
        done = true;
        break;
      }
      if (deleted.status().code() != Code::kNotFound) {
        first_error = deleted.status();
        break;
      }
      if (first_error.isOk()) first_error = deleted.status();
    }
    if (!done) {
      failed = server(first_error);
      io_.err << failed.message() << "\n";
    }
  }
  return failed.isOk() ? Status::ok() : Status(failed.code(), "");
}

Status Session::apply() {
  ASSIGN_OR_RETURN(auto docs, manifests());
  Status failed;
  for (const auto& m : docs) {
    ASSIGN_OR_RETURN(const api::ResourceInfo* r, resourceOfObject(m.object, resources_, m.source));
    ASSIGN_OR_RETURN(std::string ns, namespaceOf(*r, m.object));
    json object = m.object;
    if (r->namespaced && !ns.empty()) object["metadata"]["namespace"] = ns;
    auto applied = client_->apply(*r, ns, object, kFieldManager, /*force=*/true);
    if (!applied.isOk()) {
      failed = server(applied.status());
      io_.err << failed.message() << "\n";
      continue;
    }
    io_.out << actionMessage(r->kind, applied->created ? "created" : "configured",
                             stringAt(applied->object, "metadata", "name"))
            << "\n";
  }
  return failed.isOk() ? Status::ok() : Status(failed.code(), "");
}

Status Session::getList(const std::vector<const api::ResourceInfo*>& kinds, bool prefix_names,
                        OutputFormat format) {
  std::string ns = flags_.all_namespaces ? "" : namespaceFlag();
  if (format == OutputFormat::kYaml || format == OutputFormat::kJson ||
      format == OutputFormat::kName) {
    std::vector<json> all;
    for (const auto* r : kinds) {
      ASSIGN_OR_RETURN(auto items, itemsOf(*r, r->namespaced ? ns : ""));
      for (auto& item : items) {
        if (format == OutputFormat::kName) {
          io_.out << nameLine(*r, item) << "\n";
        } else {
          all.push_back(std::move(item));
        }
      }
    }
    if (format != OutputFormat::kName) io_.out << formatObject(listObject(all), format);
    return Status::ok();
  }
  bool printed = false;
  bool namespaced = false;
  for (const auto* r : kinds) {
    namespaced = namespaced || r->namespaced;
    ASSIGN_OR_RETURN(json table, tableOf(*r, r->namespaced ? ns : ""));
    if (r->group.empty() && r->plural == "services") addEndpointsColumn(table, ns);
    TablePrintOptions options;
    options.wide = format == OutputFormat::kWide;
    options.extra_columns = originalExtraColumns(*r);
    options.with_namespace = flags_.all_namespaces && r->namespaced;
    options.no_headers = flags_.no_headers;
    if (prefix_names) options.name_prefix = kindPrefix(*r) + "/";
    std::string text = printTable(table, options);
    if (text.empty()) continue;
    if (printed) io_.out << "\n";
    io_.out << text;
    printed = true;
  }
  if (!printed) io_.err << noResourcesMessage(ns, flags_.all_namespaces, namespaced) << "\n";
  return Status::ok();
}

// What one original table needs: its objects (from every resource it shows) and, for
// services, the Endpoints; for nodes, every pod and the metrics API's node usage (best
// effort: N/A when the metrics API does not answer).
Result<OriginalInputs> Session::originalInputs(OriginalTable table,
                                               const std::vector<const api::ResourceInfo*>& shown) {
  std::string ns = flags_.all_namespaces ? "" : namespaceFlag();
  OriginalInputs in;
  in.now = Clock::real().now();
  in.with_namespace = flags_.all_namespaces;
  for (const auto* r : shown) {
    ASSIGN_OR_RETURN(auto items, itemsOf(*r, r->namespaced ? ns : ""));
    for (auto& item : items) in.objects.push_back(std::move(item));
  }
  if (table == OriginalTable::kServices) {
    if (const auto* endpoints = api::findResource("", "v1", "endpoints")) {
      ASSIGN_OR_RETURN(in.endpoints, itemsOf(*endpoints, ns, /*all_labels=*/true));
    }
  }
  if (table == OriginalTable::kNodes && !in.objects.empty()) {
    if (const auto* pods = api::findResource("", "v1", "pods")) {
      ASSIGN_OR_RETURN(in.pods, itemsOf(*pods, "", /*all_labels=*/true));
    }
    in.node_metrics = nodeMetrics();
  }
  return in;
}

std::vector<json> Session::nodeMetrics() {
  auto body = client_->raw("GET", "/apis/metrics.k8s.io/v1beta1/nodes");
  if (!body.isOk()) return {};
  json list = json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) return {};
  return list["items"].get<std::vector<json>>();
}

// The original's tables: one per OriginalTable the kinds map to (`get all`: its six in
// order), each with its header even when empty. Kinds the original had no table for follow
// as kubectl's tables.
Status Session::getOriginal(const std::vector<const api::ResourceInfo*>& kinds, bool get_all,
                            bool prefix_names) {
  std::vector<OriginalTable> tables;
  if (get_all) tables.assign(std::begin(kOriginalGetAll), std::end(kOriginalGetAll));
  std::vector<const api::ResourceInfo*> others;
  for (const auto* r : kinds) {
    auto table = originalTableOf(*r);
    if (!table) {
      others.push_back(r);
    } else if (std::find(tables.begin(), tables.end(), *table) == tables.end()) {
      tables.push_back(*table);
    }
  }
  bool printed = false;
  for (OriginalTable table : tables) {
    // `get hpas` shows the seed kind, `get hpa` (and `get all`) both HPA kinds.
    std::vector<const api::ResourceInfo*> shown;
    for (const auto* r : get_all ? originalTableResources(table, resources_) : kinds) {
      if (originalTableOf(*r) == table) shown.push_back(r);
    }
    ASSIGN_OR_RETURN(OriginalInputs in, originalInputs(table, shown));
    auto rows = originalRows(table, in);
    if (flags_.no_headers) rows.erase(rows.begin());
    if (printed) io_.out << "\n";
    io_.out << alignColumns(rows);
    printed = true;
  }
  if (others.empty()) return Status::ok();
  if (printed) io_.out << "\n";
  return getList(others, prefix_names, OutputFormat::kTable);
}

Status Session::watch(const api::ResourceInfo& r, OutputFormat format) {
  std::string ns = r.namespaced && !flags_.all_namespaces ? namespaceFlag() : "";
  client::ListOptions options;
  options.label_selector = flags_.selector;
  if (!flags_.names.empty()) options.field_selector = "metadata.name=" + flags_.names.front();
  bool table = format == OutputFormat::kTable || format == OutputFormat::kWide;
  TablePrintOptions print;
  print.wide = format == OutputFormat::kWide;
  print.extra_columns = originalExtraColumns(r);
  print.with_namespace = flags_.all_namespaces && r.namespaced;
  std::vector<size_t> widths;
  json columns = json::array();
  bool header_printed = false;
  if (table) {
    // kubectl's get -w: the current table first, then one row per event from the list's
    // resourceVersion on, aligned with the header.
    ASSIGN_OR_RETURN(json initial, tableOf(r, ns, options.field_selector));
    options.resource_version = stringAt(initial, "metadata", "resourceVersion");
    if (initial.contains("columnDefinitions")) columns = initial["columnDefinitions"];
    auto cells = tableCells(initial, print);
    if (cells.size() <= 1) {
      io_.err << noResourcesMessage(ns, flags_.all_namespaces, r.namespaced) << "\n";
    } else {
      io_.out << alignColumns(cells, &widths);
      header_printed = true;
    }
    io_.out.flush();
    options.as_table = true;
  }
  Status result = client_->watch(r, ns, options, [&](const client::WatchEvent& event) {
    if (event.type == "ERROR") {
      io_.err << "error: " << event.object.value("message", "watch error") << "\n";
      return false;
    }
    if (event.type == "BOOKMARK") return true;
    if (table) {
      // Event tables carry no column definitions after the first; use the list's.
      json rows = event.object;
      if (!rows.contains("columnDefinitions") || rows["columnDefinitions"].empty()) {
        rows["columnDefinitions"] = columns;
      } else {
        columns = rows["columnDefinitions"];
      }
      print.no_headers = header_printed;
      io_.out << alignColumns(tableCells(rows, print), header_printed ? nullptr : &widths, widths);
      header_printed = true;
    } else if (format == OutputFormat::kName) {
      io_.out << nameLine(r, event.object) << "\n";
    } else {
      if (format == OutputFormat::kYaml) io_.out << "---\n";
      io_.out << formatObject(event.object, format);
    }
    io_.out.flush();
    return true;
  });
  if (!result.isOk()) return server(result);
  return Status::ok();
}

Status Session::get() {
  ASSIGN_OR_RETURN(
      OutputFormat format,
      parseOutputFormat(flags_.output, invocation_ == Invocation::kMkctl ? OutputFormat::kOriginal
                                                                         : OutputFormat::kTable));
  std::vector<const api::ResourceInfo*> kinds;
  std::vector<const api::ResourceInfo*> named_kinds;  // without `all`'s
  bool prefix = false;
  bool get_all = false;
  auto add = [](std::vector<const api::ResourceInfo*>& to, const api::ResourceInfo* r) {
    if (std::find(to.begin(), to.end(), r) == to.end()) to.push_back(r);
  };
  for (const auto& word : splitComma(flags_.kind)) {
    if (word == "all") {
      for (const auto* r : getAllResources(resources_)) add(kinds, r);
      prefix = true;
      get_all = true;
      continue;
    }
    ASSIGN_OR_RETURN(auto found, resolveKindOrError(word, resources_));
    for (const auto* r : found) {
      add(kinds, r);
      add(named_kinds, r);
    }
  }
  if (kinds.empty()) return badRequest("error: You must specify the type of resource to get.");
  if (splitComma(flags_.kind).size() > 1) prefix = true;
  // The original had no watch: -w prints kubectl's rows in either invocation.
  if (flags_.watch) {
    return watch(*kinds.front(), format == OutputFormat::kOriginal ? OutputFormat::kTable : format);
  }
  if (flags_.names.empty() && format == OutputFormat::kOriginal) {
    return getOriginal(named_kinds, get_all, prefix);
  }
  if (flags_.names.empty()) return getList(kinds, prefix, format);
  std::vector<json> found;
  Status failed;
  std::vector<std::vector<std::string>> rows;
  for (const auto& name : flags_.names) {
    auto got = findNamed(kinds, name);
    if (!got.isOk()) {
      failed = got.status();
      io_.err << failed.message() << "\n";
      continue;
    }
    const auto& [r, object] = *got;
    switch (format) {
      case OutputFormat::kName: io_.out << nameLine(*r, object) << "\n"; break;
      case OutputFormat::kTable:     // the original printed the object in full,
      case OutputFormat::kOriginal:  // as indented JSON
      case OutputFormat::kYaml:
      case OutputFormat::kJson: found.push_back(object); break;
      case OutputFormat::kWide: {
        auto table =
            client_->getTable(*r, r->namespaced ? namespaceFlag() : "", name);
        if (!table.isOk()) return server(table.status());
        TablePrintOptions options;
        options.wide = true;
        options.no_headers = !rows.empty();
        for (auto& row : tableCells(*table, options)) rows.push_back(std::move(row));
        break;
      }
    }
  }
  if (!rows.empty()) io_.out << alignColumns(rows);
  if (format == OutputFormat::kOriginal) {
    for (const auto& object : found) io_.out << formatObject(object, OutputFormat::kJson);
  } else if (found.size() == 1) {
    io_.out << formatObject(
        found.front(), format == OutputFormat::kJson ? OutputFormat::kJson : OutputFormat::kYaml);
  } else if (found.size() > 1) {
    io_.out << formatObject(listObject(found), format == OutputFormat::kJson ? OutputFormat::kJson
                                                                             : OutputFormat::kYaml);
  }
  return failed.isOk() ? Status::ok() : Status(failed.code(), "");
}

Status Session::describe() {
  ASSIGN_OR_RETURN(auto kinds, resolveKindOrError(flags_.kind, resources_));
  std::vector<json> objects;
  if (flags_.names.empty()) {
    for (const auto* r : kinds) {
      ASSIGN_OR_RETURN(auto items, itemsOf(*r, r->namespaced ? namespaceFlag() : ""));
      for (auto& item : items) objects.push_back(std::move(item));
    }
    if (objects.empty()) {
      io_.err << noResourcesMessage(namespaceFlag(), false, kinds.front()->namespaced) << "\n";
      return Status::ok();
    }
  } else {
    for (const auto& name : flags_.names) {
      ASSIGN_OR_RETURN(auto got, findNamed(kinds, name));
      if (!got.second.contains("kind")) got.second["kind"] = got.first->kind;
      objects.push_back(std::move(got.second));
    }
  }
  const api::ResourceInfo* events = api::findResource("", "v1", "events");
  bool first = true;
  for (const auto& object : objects) {
    json event_list = json::object();
    if (events != nullptr) {
      client::ListOptions options;
      options.field_selector = eventFieldSelector(object);
      auto got = client_->list(*events, stringAt(object, "metadata", "namespace"), options);
      if (got.isOk()) event_list = std::move(got).value();
    }
    if (!first) io_.out << "\n\n";
    io_.out << describeObject(object, event_list, Clock::real().now());
    first = false;
  }
  return Status::ok();
}

Status Session::scale() {
  ASSIGN_OR_RETURN(auto kinds, resolveKindOrError(flags_.kind, resources_));
  if (flags_.replicas < 0)
    return badRequest(
        "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to "
        "0");
  if (flags_.names.empty())
    return badRequest("error: resource(s) were provided, but no name was specified");
  const api::ResourceInfo* r = kinds.front();
  if (!r->hasSubresource("scale")) {
    return badRequest("error: " + r->qualifiedName() + " cannot be scaled");
  }
  for (const auto& name : flags_.names) {
    json patch = {{"spec", {{"replicas", flags_.replicas}}}};
    client::PatchOptions options;
    options.subresource = "scale";
    auto scaled =
        client_->patch(*r, namespaceFlag(), name, client::PatchType::kMerge, patch.dump(), options);
    if (!scaled.isOk()) return server(scaled.status());
    io_.out << actionMessage(r->kind, "scaled", name) << "\n";
  }
  return Status::ok();
}

}  // namespace

std::string bashCompletion() {
  std::string kinds = "all";
  for (const auto& r : api::allResources()) {
    kinds += " " + r.plural + " " + r.singular;
    for (const auto& s : r.short_names) kinds += " " + s;
  }
  return R"SH(# bash completion for minik8s and mkctl          -*- shell-script -*-
# Load with: source <(minik8s completion bash)
_minik8s_ctl_words() {
  local verbs="create get delete update apply describe scale completion"
  local kinds=")SH" +
         kinds + R"SH("
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local first=$1
  case "$prev" in
    -f|--filename|--kubeconfig) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "wide yaml json name original" -- "$cur")); return ;;
    -n|--namespace) COMPREPLY=($(compgen -W "$(mkctl_namespaces)" -- "$cur")); return ;;
  esac
  if [ "$COMP_CWORD" -eq "$first" ]; then
    COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
  elif [ "$COMP_CWORD" -eq $((first + 1)) ]; then
    COMPREPLY=($(compgen -W "$kinds" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "-n --namespace -A --all-namespaces -o --output -l --selector -w --watch -f --filename --replicas --server --kubeconfig --context" -- "$cur"))
  fi
}
mkctl_namespaces() {
  "${MINIK8S_COMPLETION_BIN:-mkctl}" get namespaces -o name 2>/dev/null | sed 's|^namespace/||'
}
_mkctl() { _minik8s_ctl_words 1; }
_minik8s() {
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "server apiserver ctl completion" -- "${COMP_WORDS[1]}"))
  elif [ "${COMP_WORDS[1]}" = "ctl" ]; then
    _minik8s_ctl_words 2
  elif [ "${COMP_WORDS[1]}" = "completion" ]; then
    COMPREPLY=($(compgen -W "bash" -- "${COMP_WORDS[COMP_CWORD]}"))
  fi
}
complete -o default -F _mkctl mkctl
complete -o default -F _minik8s minik8s
)SH";
}

int runCtl(const std::vector<std::string>& args, CtlIo io,
           std::shared_ptr<client::HttpTransport> transport, Invocation invocation) {
  Flags flags;
  CLI::App app{"mkctl: the minik8s command line (the original project's kubectl, done right)",
               "mkctl"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("-s,--server", flags.server, "The address of the API server (http://host:port)");
  app.add_option("--kubeconfig", flags.kubeconfig, "Path to the kubeconfig file");
  app.add_option("--context", flags.context, "The kubeconfig context to use");
  app.add_option("-n,--namespace", flags.ns, "The namespace of the request");
  app.add_option("--request-timeout", flags.request_timeout,
                 "How long to wait for one request (e.g. 5s, 500ms, 1m; 0 = no limit)");

  auto* create = app.add_subcommand("create", "Create objects from a file: create <kind> -f FILE");
  create->add_option("kind", flags.kind, "Kind of the objects in the file")->required();
  create->add_option("-f,--filename", flags.files, "File, directory or - (stdin)")->required();

  auto* get = app.add_subcommand("get", "Show objects: get <kind>[,<kind>] [NAME...] | get all");
  get->add_option("kind", flags.kind, "Kind (pods, po, pod, ...) or all")->required();
  get->add_option("names", flags.names, "Names of objects");
  get->add_option("-o,--output", flags.output,
                  "Output format: wide|yaml|json|name|original (mkctl's default: original)");
  get->add_option("-l,--selector", flags.selector, "Label selector (app=web,tier!=db)");
  get->add_flag("-A,--all-namespaces", flags.all_namespaces, "List across all namespaces");
  get->add_flag("-w,--watch", flags.watch, "After listing, watch for changes");
  get->add_flag("--no-headers", flags.no_headers, "Do not print table headers");

  auto* del =
      app.add_subcommand("delete", "Delete objects: delete <kind> NAME... | delete -f FILE");
  del->add_option("kind", flags.kind, "Kind of the objects");
  del->add_option("names", flags.names, "Names of objects");
  del->add_option("-f,--filename", flags.files, "File, directory or - (stdin)");

  auto* update = app.add_subcommand("update", "Replace objects from a file: update <kind> -f FILE");
  update->add_option("kind", flags.kind, "Kind of the objects in the file")->required();
  update->add_option("-f,--filename", flags.files, "File, directory or - (stdin)")->required();

  auto* apply = app.add_subcommand(
      "apply", "Create or update objects (server-side apply): apply -f FILE|DIR|-");
  apply->add_option("-f,--filename", flags.files, "File, directory or - (stdin)")->required();

  auto* describe = app.add_subcommand("describe", "Show an object in detail with its events");
  describe->add_option("kind", flags.kind, "Kind of the object")->required();
  describe->add_option("names", flags.names, "Names of objects");

  auto* scale = app.add_subcommand(
      "scale", "Set the replicas of a deployment: scale deployment NAME --replicas N");
  scale->add_option("kind", flags.kind, "deployment or replicaset")->required();
  scale->add_option("names", flags.names, "Names of objects");
  scale->add_option("--replicas", flags.replicas, "The new number of replicas")->required();

  auto* completion = app.add_subcommand("completion", "Print the bash completion script");
  completion->add_option("shell", flags.shell, "bash")->required();

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::ParseError& e) {
    io.err << "error: " << e.what() << "\n";
    return 1;
  }

  if (completion->parsed()) {
    if (flags.shell != "bash") {
      io.err << "error: unsupported shell type \"" << flags.shell << "\"\n";
      return 1;
    }
    io.out << bashCompletion();
    return 0;
  }

  Session session(flags, io, invocation);
  Status st = session.connect(std::move(transport));
  if (st.isOk()) {
    if (create->parsed())
      st = session.create();
    else if (get->parsed())
      st = session.get();
    else if (del->parsed())
      st = session.remove();
    else if (update->parsed())
      st = session.update();
    else if (apply->parsed())
      st = session.apply();
    else if (describe->parsed())
      st = session.describe();
    else if (scale->parsed())
      st = session.scale();
  }
  if (st.isOk()) return 0;
  if (!st.message().empty()) io.err << st.message() << "\n";
  return 1;
}

}  // namespace minik8s::cli
