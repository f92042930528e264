// fileText: a test's read of a whole file (common/files.h): its content, or "" and a test
// failure naming the path and the reason.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/files.h"

namespace minik8s::testing {

inline std::string fileText(const std::string& path) {
  auto text = readFile(path);
  if (!text.isOk()) {
    ADD_FAILURE() << text.status().toString();
    return "";
  }
  return std::move(text).value();
}

}  // namespace minik8s::testing
