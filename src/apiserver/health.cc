#include "apiserver/health.h"

#include <algorithm>

namespace minik8s::apiserver {

namespace {

HttpResponse plainText(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(body);
  return r;
}

bool excluded(const HttpRequest& request, const std::string& name) {
  auto [first, last] = request.query.equal_range("exclude");
  return std::any_of(first, last, [&](const auto& kv) { return kv.second == name; });
}

}  // namespace

std::optional<HttpResponse> serveHealth(const std::string& endpoint,
                                        const std::vector<HealthCheck>& checks,
                                        const HttpRequest& request) {
  const std::string base = "/" + endpoint;
  if (request.path != base && !request.path.starts_with(base + "/")) return std::nullopt;
  std::string single =
      request.path.size() > base.size() ? request.path.substr(base.size() + 1) : "";

  if (!single.empty()) {
    auto it = std::find_if(checks.begin(), checks.end(),
                           [&](const HealthCheck& c) { return c.name == single; });
    if (it == checks.end()) return plainText(404, "404 page not found\n");
    Status s = it->run();
    if (s.isOk()) return plainText(200, "ok");
    return plainText(503, "internal server error: " + s.message() + "\n");
  }

  std::string listing;
  bool failed = false;
  for (const auto& check : checks) {
    if (excluded(request, check.name)) {
      listing += "[+]" + check.name + " excluded: ok\n";
      continue;
    }
    Status s = check.run();
    if (s.isOk()) {
      listing += "[+]" + check.name + " ok\n";
    } else {
      failed = true;
      listing += "[-]" + check.name + " failed: " + s.message() + "\n";
    }
  }
  if (failed) return plainText(503, listing + endpoint + " check failed\n");
  if (request.hasQuery("verbose")) return plainText(200, listing + endpoint + " check passed\n");
  return plainText(200, "ok");
}

}  // namespace minik8s::apiserver
