#include "image/loader.h"

#include <unistd.h>

#include "image/command.h"

namespace minik8s::image {

Status importArchive(const std::string& socket, const std::string& archive_path,
                     const std::string& ctr_binary) {
  if (::access(archive_path.c_str(), R_OK) != 0) {
    return notFound("image archive " + archive_path + " is not readable");
  }
  ASSIGN_OR_RETURN(CommandResult r, runCommand({ctr_binary, "-a", socket, "-n", "k8s.io",
                                                "images", "import",
                                                archive_path}));
  if (r.exit_code != 0) {
    Code code = r.err.find("connect") != std::string::npos ? Code::kUnavailable
                                                           : Code::kInvalid;
    return Status(code, "importing " + archive_path + " into " + socket + ": " + r.err);
  }
  return Status::ok();
}

}  // namespace minik8s::image
