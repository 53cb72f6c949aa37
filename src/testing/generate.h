// Generators of values, worlds and inputs for property tests, from types.
// Deterministic for a seed. Values of the same nominal type are drawn from a
// shared pool often, so generated inputs refer to things that exist in the
// generated world (a message id that is in the mailbox).
#ifndef WFSTORE_TESTING_GENERATE_H_
#define WFSTORE_TESTING_GENERATE_H_

#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/random.h"

namespace wfs::testing {

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  // A value of `type` (IR JSON type form) as JSON.
  Json Value(const Json& type, int depth = 0);
  // A world collection: a list of records, with unique "id" fields.
  Json Collection(const Json& list_type);

  Rng& rng() { return rng_; }

 private:
  std::string String(const std::string& nominal);
  Rng rng_;
  // nominal type name -> values generated so far
  std::map<std::string, std::vector<Json>> pools_;
};

// Smaller variants of a JSON value, smallest first (for shrinking).
std::vector<Json> ShrinkValue(const Json& v);

}  // namespace wfs::testing

#endif  // WFSTORE_TESTING_GENERATE_H_
