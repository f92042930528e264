// The runtime's streaming URL, split for dialing (streaming_url.h).
#include "kubelet_server/streaming_url.h"

#include <gtest/gtest.h>

namespace minik8s::kubelet {
namespace {

TEST(StreamingUrl, SplitsHostPortAndTarget) {
  auto u = parseStreamingUrl("http://127.0.0.1:40123/exec/AbC?cmd=1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "40123");
  EXPECT_EQ(u->target, "/exec/AbC?cmd=1");
}

TEST(StreamingUrl, Ipv6PortAndPathDefaults) {
  auto u = parseStreamingUrl("http://[::1]:9/portforward/x");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "9");
  auto bare = parseStreamingUrl("http://runtime");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->target, "/");
}

TEST(StreamingUrl, RefusesOtherSchemesAndMissingHosts) {
  EXPECT_FALSE(parseStreamingUrl("https://127.0.0.1/x").has_value());
  EXPECT_FALSE(parseStreamingUrl("http:///x").has_value());
  EXPECT_FALSE(parseStreamingUrl("http://[::1/x").has_value());
  EXPECT_FALSE(parseStreamingUrl("").has_value());
}

}  // namespace
}  // namespace minik8s::kubelet
