// A general English word list for the analyzer: words spelled correctly, so
// that the index never "corrects" one into a catalog word one edit away
// ("contract" is not a typo of "contact"). Internal to src/discovery.
#ifndef WFSTORE_DISCOVERY_LEXICON_H_
#define WFSTORE_DISCOVERY_LEXICON_H_

#include <string>
#include <vector>

namespace wfs::discovery {

// The built-in words, plain and lower-case (not yet stemmed).
std::vector<std::string> DefaultLexicon();

}  // namespace wfs::discovery

#endif  // WFSTORE_DISCOVERY_LEXICON_H_
