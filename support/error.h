// Error type for user-caused failures (std::expected) and XBAR_CHECK for programming bugs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <expected>
#include <string>
#include <utility>

namespace xbar {

/// Kind of failure; tools map kInvalidArgument to exit 2 (usage) and the rest to exit 1.
enum class ErrorCode {
  kInvalidArgument,  // a bad option or parameter value
  kNotFound,         // a missing file or data set
  kDataLoss,         // a truncated, corrupt or wrong-version file
  kFailedPrecondition,
  kInternal,
};

/// A user-facing failure: a lower-case one-line message naming the value and the limit.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Expected = std::expected<T, Error>;

/// Shorthand for returning an error from a function that returns Expected<T>.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

/// Prefixes an error's message with context such as a file name.
inline Error WithContext(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

[[noreturn]] inline void CheckFailed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "xbar internal error: check '%s' failed at %s:%d\n", cond, file, line);
  std::abort();
}

}  // namespace xbar

/// Asserts an invariant of the program (a bug if it fails), in every build type.
#define XBAR_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::xbar::CheckFailed(#cond, __FILE__, __LINE__))
