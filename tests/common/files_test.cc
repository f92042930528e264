#include "common/files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace minik8s {
namespace files_test {

namespace fs = std::filesystem;

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "minik8s-files-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(ReadFileTest, ReadsEveryByteOfALargeBinaryFile) {
  std::string content;
  for (int i = 0; i < 200000; ++i) content.push_back(static_cast<char>(i % 251));
  content[1000] = '\0';
  auto got = readFile(write("big", content));
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(*got, content);
}

TEST_F(ReadFileTest, AnEmptyFileIsEmpty) {
  auto got = readFile(write("empty", ""));
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(*got, "");
}

TEST_F(ReadFileTest, ProcFilesAreReadToTheirEnd) {
  auto got = readFile("/proc/self/status");  // stat says size 0
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_NE(got->find("Pid:"), std::string::npos);
}

TEST_F(ReadFileTest, AMissingFileIsNotFoundNamingThePath) {
  auto got = readFile(dir_ + "/missing");
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(got.status().message(), "open " + dir_ + "/missing: No such file or directory");
  // A regular file used as a directory: not found too (ENOTDIR).
  got = readFile(write("plain", "x") + "/inside");
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(got.status().message(), "open " + dir_ + "/plain/inside: Not a directory");
}

TEST_F(ReadFileTest, ADirectoryIsAnErrorNamingThePath) {
  auto got = readFile(dir_);
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kInternal);
  EXPECT_EQ(got.status().message(), "read " + dir_ + ": Is a directory");
}

mode_t modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(ReadFileTest, WriteFileAtomicallyGivesTheModeWhateverTheUmask) {
  const std::string path = dir_ + "/secret";
  write("secret.tmp", "an older temporary file, readable by all");
  ::chmod((path + ".tmp").c_str(), 0666);
  mode_t old = ::umask(0);  // a umask that would leave a new file open to everyone
  Status st = writeFileAtomically(path, "token\n", 0600);
  ::umask(old);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(modeOf(path), 0600u);
  EXPECT_EQ(*readFile(path), "token\n");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  ASSERT_TRUE(writeFileAtomically(path, "replaced", 0644).isOk());  // replaces, new mode
  EXPECT_EQ(*readFile(path), "replaced");
  EXPECT_EQ(modeOf(path), 0644u);
}

TEST_F(ReadFileTest, WriteFileAtomicallyNamesTheFailureAndLeavesNothing) {
  Status st = writeFileAtomically(dir_ + "/missing/x", "data", 0600);
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "create " + dir_ + "/missing/x.tmp: No such file or directory");
}

}  // namespace files_test
}  // namespace minik8s
