// Time, injected: production code reads a Clock it was given, tests pass a
// FakeClock they advance by hand.
#ifndef WFSTORE_BASE_CLOCK_H_
#define WFSTORE_BASE_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace wfs {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (wall clock, for records).
  virtual int64_t NowMicros() const = 0;
  // Microseconds from an arbitrary origin that never goes backwards (for
  // deadlines and latency).
  virtual int64_t MonotonicMicros() const = 0;
};

// The process's real clocks. Stateless; a single instance may be shared.
class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  int64_t MonotonicMicros() const override;
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1767225600000000)  // 2026-01-01
      : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicMicros() const override { return now_.load(); }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 UTC timestamp with second precision, e.g. "2026-11-24T10:00:00Z".
std::string FormatRfc3339(int64_t micros_since_epoch);

}  // namespace wfs

#endif  // WFSTORE_BASE_CLOCK_H_
