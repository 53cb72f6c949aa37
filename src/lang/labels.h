// Provenance and confidentiality labels. Shared by the checker (static labels)
// and described in docs/security-model.md; the runtime carries the same bits.
#ifndef WFSTORE_LANG_LABELS_H_
#define WFSTORE_LANG_LABELS_H_

#include <algorithm>
#include <cstdint>
#include <string>

namespace wfs::lang {

// Who could have chosen a value. A value derived from several sources carries
// every source's bit.
enum Prov : uint8_t {
  kProvLiteral = 1 << 0,    // the reviewed workflow text
  kProvAgent = 1 << 1,      // the calling agent's inputs
  kProvPerson = 1 << 2,     // confirmed or chosen by the person
  kProvTrusted = 1 << 3,    // a connector field declared trustworthy
  kProvUntrusted = 1 << 4,  // text an outsider could have written
  kProvEndorsed = 1 << 5,   // endorsed by the workflow with a reason
  kProvDirectory = 1 << 6,  // a directory the person keeps (contacts, payees)
};

enum Conf : uint8_t { kPublic = 0, kPrivate = 1, kSecret = 2 };

// "literal+agent", "untrusted", ...
std::string ProvName(uint8_t prov);
const char* ConfName(uint8_t conf);

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_LABELS_H_
