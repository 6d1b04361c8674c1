// Status and Result<T>: every fallible call returns one of these; "not found" is an ordinary
// result, never an exception. Codes say whether a caller may retry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace shequ {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // bad input: do not retry with the same input
  kNotFound,           // an ordinary answer
  kAlreadyExists,      // uniqueness violated
  kPermissionDenied,   // grant, scope, signature or certificate refused
  kUnavailable,        // transient: network, peer busy; retry later
  kAborted,            // concurrent modification or cancelled; retry
  kResourceExhausted,  // disk or map full, too large, too many
  kCorruption,         // stored or received bytes are not what they claim
  kInternal,           // a bug or an unexpected library failure
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status Denied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Aborted(std::string m) { return {Code::kAborted, std::move(m)}; }
  static Status Exhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool retryable() const {
    return code_ == Code::kUnavailable || code_ == Code::kAborted ||
           code_ == Code::kResourceExhausted;
  }
  // "invalid argument: message" (or "ok").
  std::string ToString() const;
  // Prefixes the message with context: "reading cards.json: <message>".
  Status With(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Holds a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace shequ

#define SHEQU_CONCAT_INNER(a, b) a##b
#define SHEQU_CONCAT(a, b) SHEQU_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)     \
  do {                            \
    ::shequ::Status _st = (expr); \
    if (!_st.ok()) return _st;    \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()); declares x from a Result or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(SHEQU_CONCAT(_res_, __LINE__), lhs, expr)
