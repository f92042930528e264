// Status and Result<T>: the one error type of minik8s.
//
// Codes follow the Kubernetes API reasons so that the apiserver can map a Status to an
// HTTP `Status` object without a table per module. Errors are values: throwing libraries
// are caught at the codec or flag-parser edge and turned into a Status there.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace minik8s {

enum class Code {
  kOk,
  kBadRequest,         // 400: malformed input
  kUnauthorized,       // 401
  kForbidden,          // 403
  kNotFound,           // 404
  kMethodNotAllowed,   // 405
  kNotAcceptable,      // 406
  kAlreadyExists,      // 409: create of an existing name
  kConflict,           // 409: stale resourceVersion / compare-and-swap failed
  kGone,               // 410: resourceVersion too old (watch history, compaction)
  kRequestTooLarge,    // 413
  kUnsupportedMediaType,  // 415
  kInvalid,            // 422: field validation failed
  kTooManyRequests,    // 429
  kInternal,           // 500
  kUnavailable,        // 503: a dependency (etcd, containerd) is down
  kDeadlineExceeded,   // 504
};

std::string_view codeName(Code code);  // "NotFound", "Invalid", ...
int httpStatusOf(Code code);            // 404, 422, ...

// One invalid field, as Kubernetes reports it in `details.causes`.
struct FieldError {
  std::string field;    // "spec.containers[0].name"
  std::string reason;   // "FieldValueRequired", "FieldValueInvalid", ...
  std::string message;  // "Required value"

  bool operator==(const FieldError&) const = default;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(Code code, std::string message, std::vector<FieldError> causes)
      : code_(code), message_(std::move(message)), causes_(std::move(causes)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == Code::kOk; }
  explicit operator bool() const = delete;  // say isOk() explicitly
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& causes() const { return causes_; }

  // "NotFound: pods \"x\" not found"
  std::string toString() const;

  // Prefix the message: "reading config: <message>".
  Status withContext(std::string_view context) const;

  bool operator==(const Status&) const = default;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<FieldError> causes_;
};

inline Status badRequest(std::string m) { return {Code::kBadRequest, std::move(m)}; }
inline Status notFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status alreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status gone(std::string m) { return {Code::kGone, std::move(m)}; }
inline Status invalid(std::string m, std::vector<FieldError> causes = {}) {
  return {Code::kInvalid, std::move(m), std::move(causes)};
}
inline Status internalError(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status deadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }

// Result<T> holds a T or a non-ok Status (shaped like std::expected, which g++ 12 lacks
// in C++20).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).isOk() && "Result built from an ok Status");
  }

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const = delete;

  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; Status::ok() when a value is held.
  Status status() const { return isOk() ? Status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace minik8s

#define MINIK8S_CONCAT_INNER(a, b) a##b
#define MINIK8S_CONCAT(a, b) MINIK8S_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    ::minik8s::Status _st = (expr);               \
    if (!_st.isOk()) return _st;                  \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.isOk()) return tmp.status();       \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, computeX());
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(MINIK8S_CONCAT(_result_, __LINE__), lhs, expr)
