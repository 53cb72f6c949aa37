#include "base/sha256.h"

#include <openssl/sha.h>

namespace wfs {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out.data());
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256Digest d = Sha256(data);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()),
                                    d.size()));
}

}  // namespace wfs
