// Result<T>: a value or the Status that explains why there is none.
//
// The project's equivalent of absl::StatusOr / std::expected (which clang 14,
// used for fuzzing, cannot compile from libstdc++ 12). Accessing the value of
// an error Result is a programming error and aborts.
#ifndef WFSTORE_BASE_RESULT_H_
#define WFSTORE_BASE_RESULT_H_

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/status.h"

namespace wfs {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return SomeError(...);` both work.
  Result(T value) : v_(std::move(value)) {}  // NOLINT
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) {
      v_ = Status(Code::kInternal, "Result constructed from an OK status");
    }
  }
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

  T& value() & { Check(); return std::get<T>(v_); }
  const T& value() const& { Check(); return std::get<T>(v_); }
  // By value, so `for (auto& x : F().value())` does not dangle.
  T value() && { Check(); return std::get<T>(std::move(v_)); }

  // The value, or `fallback` when there is none.
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : fallback; }
  T value_or(T fallback) && {
    return ok() ? std::get<T>(std::move(v_)) : std::move(fallback);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void Check() const {
    if (!ok()) std::abort();
  }
  std::variant<T, Status> v_;
};

}  // namespace wfs

#define WFS_CONCAT_INNER_(a, b) a##b
#define WFS_CONCAT_(a, b) WFS_CONCAT_INNER_(a, b)

// WFS_ASSIGN_OR_RETURN(auto x, Expr()); returns the error status on failure.
#define WFS_ASSIGN_OR_RETURN(lhs, expr) \
  WFS_ASSIGN_OR_RETURN_IMPL_(WFS_CONCAT_(wfs_result_, __LINE__), lhs, expr)
#define WFS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // WFSTORE_BASE_RESULT_H_
