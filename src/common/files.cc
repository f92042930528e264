#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace minik8s {

namespace {

Status errnoStatus(const char* op, const std::string& path, int error) {
  std::string message = std::string(op) + " " + path + ": " + std::strerror(error);
  if (error == ENOENT || error == ENOTDIR) return notFound(std::move(message));
  return internalError(std::move(message));
}

}  // namespace

Result<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus("open", path, errno);
  std::string content;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return errnoStatus("read", path, error);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Status writeFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return internalError("create " + tmp + ": " + std::strerror(errno));
  auto failed = [&](const char* op) {
    return internalError(std::string(op) + " " + tmp + ": " + std::strerror(errno));
  };
  Status st;
  if (::fchmod(fd, mode) != 0) st = failed("chmod");  // an older temporary file keeps its mode
  for (size_t done = 0; st.isOk() && done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = failed("write");
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (st.isOk() && ::fsync(fd) != 0) st = failed("fsync");
  if (::close(fd) != 0 && st.isOk()) st = failed("close");
  if (st.isOk() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = internalError("rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  if (!st.isOk()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace minik8s
