// renderNginxConfig: the original's Dns semantics (prefix stripped), Ingress' (Prefix and
// Exact, path unchanged, hostless and wildcard rules, the defaultBackend), and every bad
// input as a 503 or a problem, never a throw.
#include "controller/ingress_render.h"

#include <gtest/gtest.h>

#include "controller/fixtures.h"

namespace minik8s::controller {
namespace ingress_render_test {

using testing::decoded;

std::shared_ptr<const api::Service> service(const std::string& name, const std::string& ip,
                                            int port, const std::string& ns = "default") {
  nlohmann::json j = {{"apiVersion", "v1"},
                      {"kind", "Service"},
                      {"metadata", {{"name", name}, {"namespace", ns}}},
                      {"spec", {{"clusterIP", ip}, {"ports", {{{"port", port}}}}}}};
  return std::make_shared<const api::Service>(decoded<api::Service>(j));
}

api::Dns seedDns() {  // dns.yaml of the seed manifests, plus a second path
  return decoded<api::Dns>(nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "Dns",
    "metadata": {"name": "test-dns", "namespace": "default"},
    "spec": {"hostname": "vahag.com", "paths": [
      {"serviceName": "simple-service", "servicePort": 80, "urlPath": "/test"},
      {"serviceName": "other", "servicePort": 8080, "urlPath": "/other/"}]}})"));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(IngressRender, DnsPathsStripTheirPrefix) {
  auto out = renderNginxConfig(routesOfDns(seedDns()), {service("simple-service", "10.96.0.5", 80),
                                                        service("other", "10.96.0.6", 8080)});
  EXPECT_TRUE(contains(out.config, "server_name vahag.com;")) << out.config;
  EXPECT_TRUE(contains(out.config, "location = /test {\n      proxy_pass http://10.96.0.5:80/;"))
      << out.config;
  EXPECT_TRUE(contains(out.config, "location /test/ {\n      proxy_pass http://10.96.0.5:80/;"))
      << out.config;
  EXPECT_TRUE(contains(out.config, "location /other/ {\n      proxy_pass http://10.96.0.6:8080/;"))
      << out.config;
  EXPECT_TRUE(out.problems.at("default/test-dns").empty());
  EXPECT_EQ(out.hosts, std::vector<std::string>{"vahag.com"});
}

TEST(IngressRender, RoutesAsKubernetesIngressKeepThePath) {
  struct Case {
    PathMatch match;
    std::string path;
    std::vector<std::string> want;
    std::vector<std::string> absent;
  };
  const std::vector<Case> cases = {
      {PathMatch::kPrefix,
       "/foo",
       {"location = /foo {\n      proxy_pass http://10.96.0.7:80;",
        "location /foo/ {\n      proxy_pass http://10.96.0.7:80;"},
       {}},
      {PathMatch::kExact,
       "/foo",
       {"location = /foo {\n      proxy_pass http://10.96.0.7:80;"},
       {"location /foo/"}},
      {PathMatch::kPrefix, "/", {"location / {\n      proxy_pass http://10.96.0.7:80;"}, {}},
  };
  for (const auto& c : cases) {
    IngressRoute r{"default/ing", "Web.Example.com", c.path, c.match, false, "default", "web", 80};
    auto out = renderNginxConfig({r}, {service("web", "10.96.0.7", 80)});
    EXPECT_TRUE(contains(out.config, "server_name web.example.com;")) << out.config;
    for (const auto& w : c.want)
      EXPECT_TRUE(contains(out.config, w)) << c.path << "\n" << out.config;
    for (const auto& a : c.absent) EXPECT_FALSE(contains(out.config, a)) << out.config;
    EXPECT_TRUE(out.problems.at("default/ing").empty());
  }
}

TEST(IngressRender, ExactWinsOverPrefixOnTheSamePath) {
  IngressRoute prefix{"default/a", "h.io", "/p", PathMatch::kPrefix, false, "default", "a", 80};
  IngressRoute exact{"default/b", "h.io", "/p", PathMatch::kExact, false, "default", "b", 80};
  auto out = renderNginxConfig({prefix, exact},
                               {service("a", "10.96.0.1", 80), service("b", "10.96.0.2", 80)});
  EXPECT_TRUE(contains(out.config, "location = /p {\n      proxy_pass http://10.96.0.2:80;"))
      << out.config;
  EXPECT_TRUE(contains(out.config, "location /p/ {\n      proxy_pass http://10.96.0.1:80;"))
      << out.config;
  EXPECT_TRUE(out.problems.at("default/a").empty());
  EXPECT_TRUE(out.problems.at("default/b").empty());
}

TEST(IngressRender, MissingBackendsRender503AndAProblem) {
  struct Case {
    std::vector<std::shared_ptr<const api::Service>> services;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {{}, "path /test: service default/simple-service not found"},
      {{service("simple-service", "10.96.0.5", 8080)},
       "path /test: service default/simple-service has no port 80"},
      {{service("simple-service", "None", 80)},
       "path /test: service default/simple-service has no ClusterIP"},
      {{service("simple-service", "10.96.0.5", 80, "other-ns")},
       "path /test: service default/simple-service not found"},
  };
  for (const auto& c : cases) {
    api::Dns dns = seedDns();
    dns.spec.paths.resize(1);
    auto out = renderNginxConfig(routesOfDns(dns), c.services);
    EXPECT_TRUE(contains(out.config, "location = /test {\n      return 503;")) << out.config;
    EXPECT_TRUE(contains(out.config, "location /test/ {\n      return 503;")) << out.config;
    ASSERT_EQ(out.problems.at("default/test-dns").size(), 1u);
    EXPECT_EQ(out.problems.at("default/test-dns")[0], c.problem);
  }
}

TEST(IngressRender, ASecondClaimOfAPathIsAProblemNotAnOverride) {
  api::Dns first = seedDns();
  api::Dns second = seedDns();
  second.metadata.name = "z-later";
  second.spec.paths = {{"intruder", 80, "/test"}};
  auto routes = routesOfDns(second);
  for (auto& r : routesOfDns(first)) routes.push_back(r);
  auto out = renderNginxConfig(
      routes, {service("simple-service", "10.96.0.5", 80), service("intruder", "10.96.0.9", 80)});
  EXPECT_FALSE(contains(out.config, "10.96.0.9")) << out.config;
  ASSERT_EQ(out.problems.at("default/z-later").size(), 1u);
  EXPECT_EQ(out.problems.at("default/z-later")[0],
            "path /test of host vahag.com is already served for default/test-dns");
}

TEST(IngressRender, HostsAndPathsNginxWouldMisreadAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"vahag.com;evil", "/x"}, {"*.", "/x"},         {"a b", "/x"},      {"ok.com", "/x;y"},
      {"ok.com", "/x{"},        {"ok.com", "/$host"}, {"ok.com", "/a b"}, {"ok.com", "relative"},
      {"ok.com", "/a//b"},      {"a.*.com", "/x"},    {"*.a;b", "/x"},
  };
  for (const auto& [host, path] : cases) {
    IngressRoute r{"default/bad", host, path, PathMatch::kPrefix, true, "default", "s", 80};
    auto out = renderNginxConfig({r}, {service("s", "10.96.0.5", 80)});
    EXPECT_EQ(out.problems.at("default/bad").size(), 1u) << host << " " << path;
    EXPECT_FALSE(contains(out.config, "10.96.0.5")) << out.config;
    EXPECT_TRUE(out.hosts.empty());
  }
}

TEST(IngressRender, NoRoutesLeavesOnlyTheDefaultServer) {
  auto out = renderNginxConfig({}, {});
  EXPECT_TRUE(contains(out.config, "listen 80 default_server;"));
  EXPECT_TRUE(contains(out.config, "return 404;"));
  EXPECT_TRUE(out.problems.empty());
  EXPECT_TRUE(out.hosts.empty());
}

TEST(IngressRender, EmptyUrlPathIsTheRootAndIPv6IsBracketed) {
  api::Dns dns = seedDns();
  dns.spec.paths = {{"simple-service", 80, ""}};
  auto out = renderNginxConfig(routesOfDns(dns), {service("simple-service", "fd00::5", 80)});
  EXPECT_TRUE(contains(out.config, "location / {\n      proxy_pass http://[fd00::5]:80;"))
      << out.config;
}

api::Ingress ingressOf(const std::string& spec) {
  return decoded<api::Ingress>(nlohmann::json::parse(
      R"({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
          "metadata": {"name": "ing", "namespace": "default"}, "spec": )" +
      spec + "}"));
}

TEST(IngressRender, IngressRulesBecomeRoutesWithTheirPathTypes) {
  auto routes =
      routesOfIngress(ingressOf(R"({"rules": [{"host": "Shop.Example.com", "http": {"paths": [
      {"path": "/a", "pathType": "Exact", "backend": {"service": {"name": "s", "port": {"number": 80}}}},
      {"path": "/b", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"name": "http"}}}},
      {"pathType": "ImplementationSpecific", "backend": {"service": {"name": "s", "port": {"number": 81}}}},
      {"path": "/r", "pathType": "Prefix", "backend": {"resource": {"kind": "Bucket", "name": "b"}}}]}}]})"));
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].owner, "Ingress default/ing");
  EXPECT_EQ(routes[0].host, "shop.example.com");
  EXPECT_EQ(routes[0].match, PathMatch::kExact);
  EXPECT_FALSE(routes[0].strip_prefix);
  EXPECT_EQ(routes[1].match, PathMatch::kPrefix);
  EXPECT_EQ(routes[1].service_port, 0);
  EXPECT_EQ(routes[1].service_port_name, "http");
  EXPECT_EQ(routes[2].match, PathMatch::kPrefix);  // ImplementationSpecific: as Prefix
  EXPECT_EQ(routes[2].path, "/");
  EXPECT_EQ(routes[3].problem,
            "path /r: resource backend Bucket/b is not supported (only Services)");

  auto out = renderNginxConfig(routes, {service("s", "10.96.0.7", 80)});
  EXPECT_EQ(out.problems.at("Ingress default/ing"),
            (std::vector<std::string>{"path /b: service default/s has no port named \"http\"",
                                      "path /: service default/s has no port 81",
                                      "path /r: resource backend Bucket/b is not supported (only "
                                      "Services)"}));
  EXPECT_TRUE(contains(out.config, "location = /r {\n      return 503;")) << out.config;
}

TEST(IngressRender, HostlessRulesAndTheDefaultBackendServeTheDefaultServer) {
  auto routes = routesOfIngress(ingressOf(R"({
      "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
      "rules": [{"http": {"paths": [{"path": "/any", "pathType": "Prefix",
                                     "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}},
                {"host": "h.io", "http": {"paths": [{"path": "/h", "pathType": "Exact",
                                     "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]})"));
  auto out = renderNginxConfig(
      routes, {service("s", "10.96.0.7", 80), service("fallback", "10.96.0.9", 80)});
  EXPECT_TRUE(out.problems.at("Ingress default/ing").empty());
  const std::string& c = out.config;
  size_t default_server = c.find("listen 80 default_server;");
  size_t h_server = c.find("server_name h.io;");
  ASSERT_NE(default_server, std::string::npos);
  ASSERT_NE(h_server, std::string::npos);
  // The default server: /any and the defaultBackend at "/"; no 404 left.
  EXPECT_LT(c.find("location /any/ {\n      proxy_pass http://10.96.0.7:80;"), h_server) << c;
  EXPECT_LT(c.find("location / {\n      proxy_pass http://10.96.0.9:80;"), h_server) << c;
  // h.io: its Exact path, and the defaultBackend for the rest.
  EXPECT_NE(c.find("location = /h {\n      proxy_pass http://10.96.0.7:80;", h_server),
            std::string::npos);
  EXPECT_NE(c.find("location / {\n      proxy_pass http://10.96.0.9:80;", h_server),
            std::string::npos)
      << c;
  EXPECT_EQ(c.find("return 404;"), std::string::npos) << c;
  EXPECT_EQ(out.hosts, std::vector<std::string>{"h.io"});
}

TEST(IngressRender, AFallbackYieldsToAnotherOwnersRootAndAServerWithoutRootAnswers404) {
  IngressRoute root{"Ingress default/a", "h.io", "/", PathMatch::kPrefix, false,
                    "default",           "a",    80};
  IngressRoute fallback{"Ingress default/b", "h.io", "/", PathMatch::kPrefix, false,
                        "default",           "b",    80};
  fallback.fallback = true;
  IngressRoute other{"Ingress default/b", "o.io", "/x", PathMatch::kPrefix, false,
                     "default",           "b",    80};
  auto out = renderNginxConfig({fallback, other, root},
                               {service("a", "10.96.0.1", 80), service("b", "10.96.0.2", 80)});
  EXPECT_TRUE(out.problems.at("Ingress default/b").empty());
  size_t h = out.config.find("server_name h.io;");
  size_t o = out.config.find("server_name o.io;");
  EXPECT_NE(out.config.find("location / {\n      proxy_pass http://10.96.0.1:80;", h),
            std::string::npos)
      << out.config;
  EXPECT_EQ(out.config.find("location / {\n      proxy_pass http://10.96.0.2:80;"),
            std::string::npos)
      << out.config;
  EXPECT_NE(out.config.find("location / {\n      return 404;", o), std::string::npos) << out.config;
}

TEST(IngressRender, AWildcardHostMatchesOneLeftmostLabel) {
  IngressRoute r{
      "Ingress default/w", "*.Example.com", "/", PathMatch::kPrefix, false, "default", "s", 80};
  auto out = renderNginxConfig({r}, {service("s", "10.96.0.7", 80)});
  EXPECT_TRUE(out.problems.at("Ingress default/w").empty());
  EXPECT_TRUE(contains(out.config, "server_name \"~^[^.]+\\.example\\.com$\";")) << out.config;
  EXPECT_TRUE(out.hosts.empty());
}

}  // namespace ingress_render_test
}  // namespace minik8s::controller
