// Status and Result<T>: errors as values.
//
// Every fallible call in berth returns a Status (or a Result<T> carrying a
// value or a Status). A Status has a code, a message that names the object and
// the action ("start machine 'node2': libvirt: domain not found"), and can be
// wrapped with more context as it travels up: WithContext("start machine 'x'").
// Exceptions from third-party libraries are caught at the edges and turned into
// a Status there.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace berth {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong; fix the input
  kNotFound,            // the named object does not exist
  kAlreadyExists,       // the named object exists already
  kFailedPrecondition,  // the system is not in a state to do this (e.g. daemon down)
  kUnavailable,         // a dependency did not answer (retry may help)
  kDeadlineExceeded,    // a wait ran out of time
  kCancelled,           // interrupted by the user
  kPermissionDenied,
  kIo,  // an OS call failed
  kInternal,
};

// Short lowercase name of a code, e.g. "not found".
const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message". No-op when ok().
  // "context: message"; unchanged when ok or when the message already starts
  // with "context: ".
  Status WithContext(const std::string& context) const;
  std::string ToString() const { return ok() ? "ok" : message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// Status from errno: "ACTION: strerror(err)", code mapped from err.
Status ErrnoStatus(const std::string& action, int err);

// Result<T>: either a value or a non-ok Status. Accessing value() of an error
// result is a programming error (asserts).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T value_or(T fallback) const { return ok() ? std::get<T>(v_) : std::move(fallback); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace berth

// Propagates a non-ok Status from an expression returning Status.
#define BERTH_RETURN_IF_ERROR(expr) \
  do {                              \
    ::berth::Status _st = (expr);   \
    if (!_st.ok()) return _st;      \
  } while (0)

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)
// Declares `lhs` from a Result<T> expression, or returns its Status.
#define BERTH_ASSIGN_OR_RETURN(lhs, expr)                                                 \
  auto BERTH_CONCAT(_res_, __LINE__) = (expr);                                            \
  if (!BERTH_CONCAT(_res_, __LINE__).ok()) return BERTH_CONCAT(_res_, __LINE__).status(); \
  lhs = std::move(BERTH_CONCAT(_res_, __LINE__)).value()
