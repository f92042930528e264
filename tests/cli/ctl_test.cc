// runCtl end to end without a server: argument errors, kind errors that need no request,
// completion, and an unreachable server.
#include "cli/ctl.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

namespace minik8s::cli {
namespace ctl_test {

struct CtlRun {
  int rc;
  std::string out;
  std::string err;
};

CtlRun run(std::vector<std::string> args, const std::string& input = "") {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(input);
  int rc = runCtl(args, CtlIo{out, err, in});
  return {rc, out.str(), err.str()};
}

// A port nothing listens on.
std::string deadServer() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

TEST(RunCtl, UnknownKindIsAOneLineErrorBeforeAnyRequest) {
  CtlRun r = run({"get", "widgets", "-s", deadServer()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "error: the server doesn't have a resource type \"widgets\"\n");
}

TEST(RunCtl, MissingFileIsAOneLineError) {
  CtlRun r = run({"create", "pod", "-f", "/no/such.yaml", "-s", deadServer()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "error: the path \"/no/such.yaml\" does not exist\n");
}

TEST(RunCtl, KindMismatchIsRefusedBeforeAnyRequest) {
  CtlRun r = run({"create", "pod", "-f", "-", "-s", deadServer()},
                 "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "error: the kind in STDIN is Service, not pod\n");
}

TEST(RunCtl, UnparsableYamlIsAOneLineError) {
  CtlRun r = run({"apply", "-f", "-", "-s", deadServer()}, "kind: [Pod\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err.rfind("error: error parsing STDIN:", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(RunCtl, UnreachableServerIsOneLineAndNonZero) {
  std::string server = deadServer();
  CtlRun r = run({"get", "pods", "-s", server});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "The connection to the server " + server.substr(7) +
                       " was refused - did you specify the right host or port?\n");
}

TEST(RunCtl, BadOutputFormatAndMissingArgumentsAreErrors) {
  EXPECT_EQ(run({"get", "pods", "-o", "xml", "-s", deadServer()}).rc, 1);
  EXPECT_EQ(run({"create", "pod"}).rc, 1);
  EXPECT_EQ(run({}).rc, 1);
  EXPECT_EQ(run({"frobnicate"}).rc, 1);
}

TEST(RunCtl, HelpExitsZero) {
  CtlRun r = run({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("create"), std::string::npos);
}

TEST(RunCtl, CompletionBashPrintsAScriptWithVerbsAndKinds) {
  CtlRun r = run({"completion", "bash"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("complete -o default -F _mkctl mkctl"), std::string::npos);
  EXPECT_NE(r.out.find("deployments"), std::string::npos);
  EXPECT_NE(r.out.find("dnses"), std::string::npos);
  EXPECT_EQ(run({"completion", "fish"}).rc, 1);
}

}  // namespace ctl_test
}  // namespace minik8s::cli
