#include "common/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace minik8s {
namespace {

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Our environment, plus a PATH when it has none.
std::vector<std::string> environmentWithPath() {
  std::vector<std::string> env;
  bool has_path = false;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    env.emplace_back(*e);
    if (env.back().rfind("PATH=", 0) == 0) has_path = true;
  }
  if (!has_path) env.push_back(kDefaultPath);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<pid_t> spawnProcess(const std::vector<std::string>& argv_in, const std::string& log_path,
                           SpawnMode mode) {
  if (argv_in.empty()) return invalid("no command to run");
  std::vector<std::string> args = argv_in;
  std::vector<char*> argv = pointers(args);
  std::vector<std::string> env_strings = environmentWithPath();
  std::vector<char*> envp = pointers(env_strings);

  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return internalError("opening " + log_path + ": " + std::strerror(errno));
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (mode == SpawnMode::kAttached) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      ::setpgid(0, 0);
    } else {
      ::setsid();
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    if (mode == SpawnMode::kAttached) {
      ::execv(argv[0], argv.data());
    } else {
      ::execve(argv[0], argv.data(), envp.data());
    }
    ::_exit(127);
  }
  int err = errno;
  ::close(log_fd);
  if (pid < 0) return internalError(std::string("fork: ") + std::strerror(err));
  return pid;
}

}  // namespace minik8s
