// Helpers for the crypto tests: base64, fixed keys, temp dirs.
#ifndef WFSTORE_TESTS_CRYPTO_TEST_UTIL_H_
#define WFSTORE_TESTS_CRYPTO_TEST_UTIL_H_

#include <sodium.h>
#include <stdlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "base/strings.h"
#include "crypto/keys.h"

namespace wfs::crypto::testing {

inline std::string B64(std::string_view bytes) {
  std::string out(
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL),
      '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

inline std::string UnB64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), text.data(), text.size(), nullptr, &len,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    ADD_FAILURE() << "test helper: bad base64 " << text;
    return "";
  }
  out.resize(len);
  return out;
}

// The lines of `text` (split on '\n', no trailing empty line).
inline std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out = StrSplit(text, '\n');
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

inline std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// Replaces the base64 blob on line `index` (0-based) of `file` after
// letting `edit` change the decoded bytes.
template <typename Edit>
std::string EditBlob(std::string_view file, size_t index, Edit edit) {
  std::vector<std::string> lines = Lines(file);
  std::string blob = UnB64(lines.at(index));
  edit(blob);
  lines.at(index) = B64(blob);
  return JoinLines(lines);
}

inline KeyPair FixedKeyPair(uint8_t n) {
  std::array<uint8_t, kSeedBytes> seed;
  seed.fill(n);
  KeyId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(n + i);
  return KeyPairFromSeed(seed, id);
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/wfs_crypto_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }

 private:
  std::string path_;
};

}  // namespace wfs::crypto::testing

#endif  // WFSTORE_TESTS_CRYPTO_TEST_UTIL_H_
