#include "cli/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace minik8s::cli {
namespace manifest_test {

TEST(ParseManifestText, ReadsSeveralDocumentsAndSkipsEmptyOnes) {
  auto m = parseManifestText(
      "---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n",
      "f.yaml");
  ASSERT_TRUE(m.isOk()) << m.status().toString();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].object["kind"], "Pod");
  EXPECT_EQ((*m)[1].object["metadata"]["name"], "b");
  EXPECT_EQ((*m)[1].source, "f.yaml");
}

TEST(ParseManifestText, ExpandsAList) {
  auto m = parseManifestText(
      R"({"kind":"List","apiVersion":"v1","items":[{"kind":"Pod"},{"kind":"Service"}]})", "l.json");
  ASSERT_TRUE(m.isOk());
  EXPECT_EQ(m->size(), 2u);
}

TEST(ParseManifestText, BrokenYamlIsAOneLineErrorNamingTheFile) {
  auto m = parseManifestText("kind: Pod\nmetadata: [unclosed\n", "bad.yaml");
  ASSERT_FALSE(m.isOk());
  EXPECT_EQ(m.status().message().rfind("error: error parsing bad.yaml: ", 0), 0u)
      << m.status().message();
  EXPECT_EQ(m.status().message().find('\n'), std::string::npos);
}

TEST(ParseManifestText, EmptyOrScalarInputIsAnError) {
  EXPECT_FALSE(parseManifestText("", "e.yaml").isOk());
  EXPECT_FALSE(parseManifestText("just a string\n", "s.yaml").isOk());
}

TEST(ReadManifests, MissingPathIsKubectlsError) {
  std::istringstream in;
  auto m = readManifests("/no/such/file.yaml", in);
  ASSERT_FALSE(m.isOk());
  EXPECT_EQ(m.status().message(), "error: the path \"/no/such/file.yaml\" does not exist");
}

TEST(ReadManifests, DashReadsStdin) {
  std::istringstream in("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
  auto m = readManifests("-", in);
  ASSERT_TRUE(m.isOk());
  EXPECT_EQ((*m)[0].source, "STDIN");
}

TEST(ReadManifests, ADirectoryGivesItsManifestFilesInNameOrder) {
  auto dir = std::filesystem::temp_directory_path() / ("mkctl-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "kind: Service\n";
  std::ofstream(dir / "a.yml") << "kind: Pod\n";
  std::ofstream(dir / "c.json") << R"({"kind":"Deployment"})";
  std::ofstream(dir / "notes.txt") << "not a manifest";
  std::istringstream in;
  auto m = readManifests(dir.string(), in);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(m.isOk()) << m.status().toString();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].object["kind"], "Pod");
  EXPECT_EQ((*m)[1].object["kind"], "Service");
  EXPECT_EQ((*m)[2].object["kind"], "Deployment");
}

}  // namespace manifest_test
}  // namespace minik8s::cli
