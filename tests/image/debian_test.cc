#include "image/debian.h"

#include <gtest/gtest.h>

namespace minik8s::image {
namespace debian_test {

TEST(ParseLddOutput, TakesResolvedPathsAndReportsMissing) {
  const std::string out =
      "\tlinux-vdso.so.1 (0x00007ffd5f9e2000)\n"
      "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f1)\n"
      "\tlibfoo.so.3 => not found\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)\n";
  std::vector<std::string> missing;
  auto libs = parseLddOutput(out, &missing);
  EXPECT_EQ(libs, (std::vector<std::string>{"/lib/x86_64-linux-gnu/libz.so.1",
                                            "/lib/x86_64-linux-gnu/libc.so.6",
                                            "/lib64/ld-linux-x86-64.so.2"}));
  EXPECT_EQ(missing, (std::vector<std::string>{"libfoo.so.3"}));
}

TEST(IsSkippedPackagePath, SkipsDocsManualsAndLocales) {
  EXPECT_TRUE(isSkippedPackagePath("/usr/share/doc/nginx/copyright"));
  EXPECT_TRUE(isSkippedPackagePath("/usr/share/man/man8/nginx.8.gz"));
  EXPECT_TRUE(isSkippedPackagePath("/usr/share/locale"));
  EXPECT_FALSE(isSkippedPackagePath("/usr/share/nginx/html/index.html"));
  EXPECT_FALSE(isSkippedPackagePath("/usr/share/documents"));
}

// Real dpkg and ldd on this machine: coreutils is always installed.
TEST(AddDebianPackages, InstalledPackageWithLibraryClosure) {
  Rootfs r;
  ASSERT_TRUE(addDebianPackages(r, {"coreutils"}, "/tmp").isOk());
  EXPECT_TRUE(r.contains("/bin/ls"));
  EXPECT_FALSE(r.contains("/usr/share/doc/coreutils/copyright"));
  auto st = addSharedLibraryClosure(r);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_TRUE(r.contains("/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(r.contains("/lib64/ld-linux-x86-64.so.2"));
}

TEST(AddDebianPackages, UnknownPackageIsNotFound) {
  Rootfs r;
  auto st = addDebianPackages(r, {"minik8s-no-such-package-xyz"}, "/tmp");
  EXPECT_EQ(st.code(), Code::kNotFound) << st.toString();
}

}  // namespace debian_test
}  // namespace minik8s::image
