#include "lang/labels.h"

namespace wfs::lang {

std::string ProvName(uint8_t prov) {
  static const char* kNames[] = {"literal", "agent",     "person",
                                 "trusted", "untrusted", "endorsed",
                                 "directory"};
  std::string out;
  for (int i = 0; i < 7; ++i) {
    if (prov & (1 << i)) {
      if (!out.empty()) out += "+";
      out += kNames[i];
    }
  }
  return out.empty() ? "none" : out;
}

const char* ConfName(uint8_t conf) {
  switch (conf) {
    case kPublic: return "public";
    case kPrivate: return "private";
    default: return "secret";
  }
}

}  // namespace wfs::lang
