// Randomness, injected. Seeded generators make tests and property runs
// reproducible; ids that must be unguessable come from the OS.
#ifndef WFSTORE_BASE_RANDOM_H_
#define WFSTORE_BASE_RANDOM_H_

#include <cstdint>
#include <string>

namespace wfs {

// xoshiro256** seeded through splitmix64. Not for secrets.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n);
  // True with probability num/den.
  bool OneIn(uint64_t den) { return Uniform(den) == 0; }

 private:
  uint64_t s_[4];
};

// `bytes` random bytes from the OS (getrandom), hex-encoded.
std::string SecureRandomHex(size_t bytes);

}  // namespace wfs

#endif  // WFSTORE_BASE_RANDOM_H_
