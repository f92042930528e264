// Character classes of Kubernetes' name and label syntax (ASCII only, locale-free).
#pragma once

namespace minik8s::api {

inline bool isAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
inline bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace minik8s::api
