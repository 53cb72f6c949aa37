// Status: the error value every module boundary returns.
//
// A Status is either OK or carries a code and a human-readable message. The
// message says what went wrong and, where possible, what to do next. Codes map
// to exit codes, JSON-RPC errors and HTTP statuses in exactly one place each
// (src/cli and src/mcp), never ad hoc.
#ifndef WFSTORE_BASE_STATUS_H_
#define WFSTORE_BASE_STATUS_H_

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace wfs {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // bad input from a caller, a file or a connector
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,   // a rule, grant or scope refused the request
  kUnauthenticated,
  kFailedPrecondition, // the system is not in a state that allows this
  kResourceExhausted,  // a budget or limit was hit
  kAborted,            // a person denied, or a run was stopped
  kCancelled,
  kDeadlineExceeded,
  kUnavailable,        // a dependency (connector, server) is unreachable
  kDataLoss,           // stored data is corrupt or was tampered with
  kUnimplemented,
  kInternal,
};

// Stable lower-case name of a code, e.g. "invalid_argument".
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: message", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context + ": "`.
  Status WithContext(std::string_view context) const;

  // Explicitly drops a status whose failure the caller has decided not to act
  // on (for example a best-effort cleanup).
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// ToString(), for logs and test failure messages.
inline std::ostream& operator<<(std::ostream& os, const Status& s) {
  return os << s.ToString();
}

inline Status InvalidArgument(std::string m) {
  return Status(Code::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) {
  return Status(Code::kNotFound, std::move(m));
}
inline Status AlreadyExists(std::string m) {
  return Status(Code::kAlreadyExists, std::move(m));
}
inline Status PermissionDenied(std::string m) {
  return Status(Code::kPermissionDenied, std::move(m));
}
inline Status Unauthenticated(std::string m) {
  return Status(Code::kUnauthenticated, std::move(m));
}
inline Status FailedPrecondition(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
inline Status ResourceExhausted(std::string m) {
  return Status(Code::kResourceExhausted, std::move(m));
}
inline Status Aborted(std::string m) {
  return Status(Code::kAborted, std::move(m));
}
inline Status Cancelled(std::string m) {
  return Status(Code::kCancelled, std::move(m));
}
inline Status DeadlineExceeded(std::string m) {
  return Status(Code::kDeadlineExceeded, std::move(m));
}
inline Status Unavailable(std::string m) {
  return Status(Code::kUnavailable, std::move(m));
}
inline Status DataLoss(std::string m) {
  return Status(Code::kDataLoss, std::move(m));
}
inline Status Unimplemented(std::string m) {
  return Status(Code::kUnimplemented, std::move(m));
}
inline Status Internal(std::string m) {
  return Status(Code::kInternal, std::move(m));
}

}  // namespace wfs

#define WFS_RETURN_IF_ERROR(expr)               \
  do {                                          \
    ::wfs::Status wfs_status_ = (expr);         \
    if (!wfs_status_.ok()) return wfs_status_;  \
  } while (0)

#endif  // WFSTORE_BASE_STATUS_H_
