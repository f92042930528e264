#include "common/heap_trim.h"

#include <gtest/gtest.h>

namespace minik8s {
namespace heap_trim_test {

TEST(HeapTrim, TrimsOnlyAfterABurstClosed) {
  EXPECT_FALSE(shouldTrimHeap(0, 0, 256));
  EXPECT_FALSE(shouldTrimHeap(300, 100, 256));   // a drop of 200: too small
  EXPECT_FALSE(shouldTrimHeap(1000, 600, 256));  // 400 fewer, but more than half still open
  EXPECT_TRUE(shouldTrimHeap(1000, 500, 256));
  EXPECT_TRUE(shouldTrimHeap(300, 0, 256));
}

TEST(HeapTrim, EachTrimStartsANewHighWaterMark) {
  HeapTrimPolicy policy(4);
  int trims = 0;
  for (size_t open = 1; open <= 10; ++open) trims += policy.observe(open);
  EXPECT_EQ(trims, 0);
  for (size_t open = 9; open > 0; --open) trims += policy.observe(open);
  EXPECT_EQ(trims, 2);  // at 5 (10 -> 5), then at 1 (5 -> 1)
  trims += policy.observe(0);  // 1 -> 0: too small a drop
  trims += policy.observe(3);
  trims += policy.observe(0);
  EXPECT_EQ(trims, 2);
}

}  // namespace heap_trim_test
}  // namespace minik8s
