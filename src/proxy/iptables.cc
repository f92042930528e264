#include "proxy/iptables.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace minik8s::proxy {
namespace {

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) out += (out.empty() ? "" : " ") + arg;
  return out;
}

std::string firstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.empty() ? s : line;
}

}  // namespace

Result<CommandResult> runCommand(const std::vector<std::string>& argv, const std::string& input,
                                 std::chrono::milliseconds timeout) {
  if (argv.empty()) return invalid("runCommand: empty argv");
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return internalError("pipe: " + std::string(strerror(errno)));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    return internalError("pipe: " + std::string(strerror(errno)));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
    return internalError("pipe: " + std::string(strerror(errno)));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return internalError("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  int fd_in = in[1], fd_out = out[0], fd_err = err[0];
  if (input.empty()) closeFd(fd_in);
  for (int fd : {fd_in, fd_out, fd_err}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  }
  // A child that exits before reading its input must not kill us with SIGPIPE: writes then
  // fail with EPIPE. (Every long-running minik8s command ignores SIGPIPE already.)
  static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  CommandResult result;
  size_t written = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (fd_out >= 0 || fd_err >= 0) {
    pollfd fds[3];
    int n = 0;
    if (fd_in >= 0) fds[n++] = {fd_in, POLLOUT, 0};
    if (fd_out >= 0) fds[n++] = {fd_out, POLLIN, 0};
    if (fd_err >= 0) fds[n++] = {fd_err, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int rc = ::poll(fds, n, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == fd_in) {
        ssize_t w = ::write(fd_in, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = input.size();  // EPIPE: the child is gone
        if (written >= input.size()) closeFd(fd_in);
      } else {
        char buf[65536];
        ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r > 0) {
          (fds[i].fd == fd_out ? result.out : result.err).append(buf, static_cast<size_t>(r));
        } else if (r == 0 || errno != EAGAIN) {
          closeFd(fds[i].fd == fd_out ? fd_out : fd_err);
        }
      }
    }
  }
  closeFd(fd_in);
  closeFd(fd_out);
  closeFd(fd_err);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return deadlineExceeded(describe(argv) + ": timed out");
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (result.exit_code == 127 && result.out.empty() && result.err.empty())
    return unavailable(describe(argv) + ": cannot run " + argv[0]);
  return result;
}

Result<CommandResult> ExecIptables::run(std::vector<std::string> argv, const std::string& input) {
  std::vector<std::string> full = prefix_;
  full.insert(full.end(), argv.begin(), argv.end());
  return runCommand(full, input);
}

Result<std::string> ExecIptables::save(const std::string& table) {
  ASSIGN_OR_RETURN(CommandResult r, run({"iptables-save", "-t", table}));
  if (r.exit_code != 0) return unavailable("iptables-save -t " + table + ": " + firstLine(r.err));
  return r.out;
}

Status ExecIptables::restore(const std::string& text) {
  ASSIGN_OR_RETURN(CommandResult r, run({"iptables-restore", "--noflush", "-w", "5"}, text));
  if (r.exit_code != 0) return unavailable("iptables-restore: " + r.err);
  return Status::ok();
}

Status ExecIptables::deleteConntrack(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"conntrack", "-D"};
  argv.insert(argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(CommandResult r, run(argv));
  // conntrack exits 1 with "0 flow entries have been deleted" when nothing matched.
  if (r.exit_code == 0 || r.err.find("0 flow entries") != std::string::npos) return Status::ok();
  return unavailable(describe(argv) + ": " + firstLine(r.err));
}

Status ExecIptables::setSysctl(const std::string& name, const std::string& value) {
  ASSIGN_OR_RETURN(CommandResult r, run({"sysctl", "-q", "-w", name + "=" + value}));
  if (r.exit_code != 0) return unavailable("sysctl " + name + ": " + firstLine(r.err));
  return Status::ok();
}

}  // namespace minik8s::proxy
