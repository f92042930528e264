// The main() of every test binary: gtest's, except that a run in which a test was skipped
// (GTEST_SKIP, e.g. a missing kubectl or containerd) and none failed exits with 77, the
// SKIP_RETURN_CODE tests/CMakeLists.txt gives ctest. ctest then reports the binary as
// skipped instead of passed, and scripts/test.sh fails on any skipped test. A failure still
// exits 1, so a skip never hides a failure.
#include <gtest/gtest.h>

namespace {
constexpr int kSkippedExitCode = 77;
}

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  if (rc == 0 && testing::UnitTest::GetInstance()->skipped_test_count() > 0) {
    return kSkippedExitCode;
  }
  return rc;
}
