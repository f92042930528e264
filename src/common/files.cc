#include "common/files.h"

#include <fcntl.h>
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

}  // namespace minik8s
