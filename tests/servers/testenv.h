// Access from C++ tests to the servers that scripts/testenv/start runs on
// loopback (docs/testing-servers.md). Header-only, standard library only.
//
//   TEST(ImapConnector, MovesOneMessageToTrash) {
//     WFS_REQUIRE_TESTENV(env);            // skips when run outside ctest
//     ImapConfig c{env.at("WFS_IMAP_HOST"), env.port("WFS_IMAP_PORT"),
//                  env.at("WFS_IMAP_USER"), env.at("WFS_IMAP_PASSWORD")};
//     ...
//   }
//
// The env file is the one $WFS_TESTENV names: lines KEY='VALUE' (values hold
// no quote or newline), blank lines and # comments.
#pragma once

#include <cstdlib>
#include <fstream>
#include <istream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace wfs::testenv {

class Env {
 public:
  explicit Env(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  bool has(const std::string& key) const { return vars_.count(key) != 0; }

  // The value of KEY; throws std::out_of_range naming KEY when it is absent
  // (e.g. that server was not started).
  const std::string& at(const std::string& key) const {
    auto it = vars_.find(key);
    if (it == vars_.end()) {
      throw std::out_of_range("test env: no " + key + " (was that server started?)");
    }
    return it->second;
  }

  // A port number (1..65535); throws std::invalid_argument otherwise.
  int port(const std::string& key) const {
    const std::string& v = at(key);
    std::size_t used = 0;
    int p = 0;
    try {
      p = std::stoi(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || p < 1 || p > 65535) {
      throw std::invalid_argument("test env: " + key + " is not a port: " + v);
    }
    return p;
  }

  const std::map<std::string, std::string>& vars() const { return vars_; }

 private:
  std::map<std::string, std::string> vars_;
};

// Parses the env file format; throws std::runtime_error on a malformed line.
inline Env Parse(std::istream& in) {
  std::map<std::string, std::string> vars;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    std::size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::runtime_error("test env: line " + std::to_string(n) + " is not KEY=VALUE");
    }
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    vars[key] = value;
  }
  return Env(std::move(vars));
}

// Reads the env file at PATH; throws std::runtime_error when it cannot.
inline Env LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("test env: cannot read " + path);
  return Parse(in);
}

// The env file $WFS_TESTENV names, or nullopt when WFS_TESTENV is unset or
// empty. Throws when it is set but the file is unreadable or malformed.
inline std::optional<Env> Load() {
  const char* path = std::getenv("WFS_TESTENV");
  if (path == nullptr || *path == '\0') return std::nullopt;
  return LoadFile(path);
}

}  // namespace wfs::testenv

// In a GoogleTest body: declares `const wfs::testenv::Env& VAR`, or skips the
// test when WFS_TESTENV is unset (a test binary run by hand; under ctest the
// fixture always sets it, so a test there never skips for this reason).
#define WFS_REQUIRE_TESTENV(var)                                              \
  const auto var##_loaded_ = ::wfs::testenv::Load();                          \
  if (!var##_loaded_) {                                                       \
    GTEST_SKIP() << "WFS_TESTENV is not set: run this test through ctest "    \
                    "or scripts/testenv/run";                                 \
  }                                                                           \
  const ::wfs::testenv::Env& var = *var##_loaded_
