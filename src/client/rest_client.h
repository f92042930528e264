// RestClient: the typed-by-resource REST client every minik8s component uses to talk to
// the apiserver (CLI, controllers, scheduler, kubelet, proxy). Objects travel as JSON in
// their Kubernetes shape; resources are named by api::ResourceInfo (from api::allResources()
// or discovery).
//
// Errors: a non-2xx answer is converted once, here, from the server's `Status` object into
// a minik8s Status (code from `reason`, the server's message, `details.causes` as
// FieldErrors). Transport failures are kUnavailable / kDeadlineExceeded (isConnectionError).
//
// Thread-safe: one RestClient may be shared by many threads (the transport pools
// connections). Watches block the calling thread until they end or are stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "api/scheme.h"
#include "client/client.h"
#include "client/config.h"
#include "client/transport.h"
#include "common/status.h"

namespace minik8s::client {

// Content-Type of a patch type.
std::string_view patchContentType(PatchType type);

// The REST path of a collection or object: "/api/v1/namespaces/ns/pods/name/status",
// "/apis/apps/v1/deployments" (all namespaces when `ns` is empty; cluster-scoped
// resources ignore `ns`). Names are percent-encoded.
std::string resourcePath(const api::ResourceInfo& resource, std::string_view ns,
                         std::string_view name = "", std::string_view subresource = "");

// "?a=b&c=d" from non-empty parameters, values percent-encoded; "" when none.
std::string encodeQuery(const std::vector<std::pair<std::string, std::string>>& params);

// Converts a non-2xx response into a Status: the `Status` JSON body when there is one
// (reason → code, message, details.causes), else a message from the HTTP status alone.
Status statusFromResponse(int http_status, std::string_view body);

// The text of a `Warning: 299 - "text"` response header ("" when it is not one).
std::string parseWarningHeader(std::string_view value);

// Parses one watch event line ({"type":..,"object":..}). kBadRequest when malformed; an
// ERROR event is returned as an event (its object is a Status).
Result<WatchEvent> parseWatchEvent(std::string_view line);

class RestClient : public Client {
 public:
  // Connects lazily to `config.server` (http or https, with the config's TLS settings and
  // bearer token).
  static Result<std::unique_ptr<RestClient>> connect(const ClientConfig& config);
  // For tests and custom transports.
  explicit RestClient(std::shared_ptr<HttpTransport> transport,
                      std::string default_namespace = "default");

  const std::string& defaultNamespace() const { return default_namespace_; }

  // Called with the text of each Warning header the server sends (kubectl prints them on
  // stderr). REQUIRES: set before the client is shared between threads.
  void setWarningHandler(std::function<void(const std::string&)> handler) {
    warning_handler_ = std::move(handler);
  }

  using Client::list;
  using Client::remove;
  using Client::update;
  Result<nlohmann::json> get(const api::ResourceInfo& resource, std::string_view ns,
                             std::string_view name) override;
  // The object as a meta.k8s.io/v1 Table (kubectl get NAME).
  Result<nlohmann::json> getTable(const api::ResourceInfo& resource, std::string_view ns,
                                  std::string_view name);
  Result<nlohmann::json> list(const api::ResourceInfo& resource, std::string_view ns,
                              const ListOptions& options) override;
  Result<nlohmann::json> create(const api::ResourceInfo& resource, std::string_view ns,
                                const nlohmann::json& object) override;
  Result<nlohmann::json> createSubresource(const api::ResourceInfo& resource, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const nlohmann::json& object) override;
  Result<nlohmann::json> update(const api::ResourceInfo& resource, std::string_view ns,
                                const nlohmann::json& object,
                                std::string_view subresource) override;
  using Client::patch;
  Result<nlohmann::json> patch(const api::ResourceInfo& resource, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body,
                               const PatchOptions& options) override;
  // Server-side apply of a full object (create or merge).
  Result<ApplyResult> apply(const api::ResourceInfo& resource, std::string_view ns,
                            const nlohmann::json& object, std::string_view field_manager,
                            bool force = true);
  // Returns what the server returned (the deleted object or a Status).
  Result<nlohmann::json> remove(const api::ResourceInfo& resource, std::string_view ns,
                                std::string_view name, const DeleteOptions& options) override;
  Status watch(const api::ResourceInfo& resource, std::string_view ns, const ListOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event,
               std::stop_token stop) override;
  using Client::watch;

  // Any request (discovery, /version, logs): returns the body of a 2xx answer.
  Result<std::string> raw(std::string_view method, std::string_view target,
                          std::string_view body = "", std::string_view content_type = "",
                          std::string_view accept = "application/json");

 private:
  Result<HttpResponse> send(std::string_view method, std::string target, std::string_view body,
                            std::string_view content_type, std::string_view accept);
  Result<nlohmann::json> sendJson(std::string_view method, std::string target,
                                  std::string_view body, std::string_view content_type,
                                  std::string_view accept = "application/json");

  std::shared_ptr<HttpTransport> transport_;
  std::string default_namespace_;
  std::function<void(const std::string&)> warning_handler_;
};

}  // namespace minik8s::client
