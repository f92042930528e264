// The managed /etc/hosts block: entries from Dns objects and the add-on Service, the block
// replaced or removed with every other line kept, and the file rewritten in place.
#include "dns/hosts_block.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dns/dns_test_util.h"
#include "dns/records.h"
#include "testing/file_text.h"

namespace minik8s::dns {
namespace hosts_block_test {

using namespace dnstest;  // NOLINT

std::shared_ptr<const api::Dns> dns(std::string name, std::string hostname) {
  auto d = std::make_shared<api::Dns>();
  d->metadata.namespace_ = "default";
  d->metadata.name = std::move(name);
  d->spec.hostname = std::move(hostname);
  return d;
}

TEST(HostsEntries, DnsHostnamesWithTheAddonsClusterIpOnceValidAndSorted) {
  auto addon =
      service(kIngressServiceNamespace, kIngressServiceName, "10.96.0.80", {port("http", 80)});
  EXPECT_TRUE(hostsEntries({dns("a", "vahag.com")}, {}).empty());
  auto entries = hostsEntries({dns("b", "Zeta.io"), dns("a", "vahag.com"), dns("c", "vahag.com"),
                               dns("d", "bad host;"), dns("e", "")},
                              {service("default", "web", "10.96.0.9", {port("http", 80)}), addon});
  EXPECT_EQ(entries,
            (std::vector<HostsEntry>{{"10.96.0.80", "vahag.com"}, {"10.96.0.80", "zeta.io"}}));
}

TEST(WithHostsBlock, AddsReplacesAndRemovesKeepingOtherLines) {
  const std::string base = "127.0.0.1 localhost\n::1 ip6-localhost\n";
  std::string added = withHostsBlock(base, {{"10.96.0.80", "vahag.com"}});
  EXPECT_EQ(added, base + "# BEGIN minik8s\n10.96.0.80 vahag.com\n# END minik8s\n");
  std::string with_after = added + "192.168.1.1 router\n";
  std::string replaced = withHostsBlock(with_after, {{"10.96.0.81", "a.io"}});
  EXPECT_EQ(replaced,
            base + "192.168.1.1 router\n# BEGIN minik8s\n10.96.0.81 a.io\n# END minik8s\n");
  EXPECT_EQ(withHostsBlock(replaced, {}), base + "192.168.1.1 router\n");
  EXPECT_EQ(withHostsBlock(base, {}), base);
  // A BEGIN without its END (a hand edit) keeps the lines after it, now and on later writes.
  const std::string dangling = base + "# BEGIN minik8s\n10.0.0.9 mine.example\n";
  std::string once = withHostsBlock(dangling, {{"10.96.0.80", "vahag.com"}});
  EXPECT_EQ(once, dangling + "# BEGIN minik8s\n10.96.0.80 vahag.com\n# END minik8s\n");
  EXPECT_EQ(withHostsBlock(once, {{"10.96.0.81", "a.io"}}),
            dangling + "# BEGIN minik8s\n10.96.0.81 a.io\n# END minik8s\n");
  EXPECT_EQ(withHostsBlock(once, {}), dangling);
  // A file without a final newline keeps its last line.
  EXPECT_EQ(withHostsBlock("127.0.0.1 localhost", {}), "127.0.0.1 localhost\n");
}

TEST(WriteHostsBlock, RewritesTheFileInPlaceOnlyWhenItChanges) {
  std::string dir = std::filesystem::temp_directory_path() / ("hosts-test-XXXXXX");
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/hosts";
  { std::ofstream(path) << "127.0.0.1 localhost\n"; }
  auto inode = std::filesystem::status(path).permissions();
  ASSERT_TRUE(writeHostsBlock(path, {{"10.96.0.80", "vahag.com"}}).isOk());
  EXPECT_EQ(testing::fileText(path),
            "127.0.0.1 localhost\n# BEGIN minik8s\n10.96.0.80 vahag.com\n# END minik8s\n");
  EXPECT_EQ(std::filesystem::status(path).permissions(), inode);
  ASSERT_TRUE(removeHostsBlock(path).isOk());
  EXPECT_EQ(testing::fileText(path), "127.0.0.1 localhost\n");
  EXPECT_TRUE(removeHostsBlock(dir + "/missing").isOk());
  std::filesystem::remove_all(dir);
}

}  // namespace hosts_block_test
}  // namespace minik8s::dns
