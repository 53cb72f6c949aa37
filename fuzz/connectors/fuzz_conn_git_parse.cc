// Fuzzes the parsers of git's output (src/connectors/git/git_parse.h): the
// output carries repository content (paths, messages, file text), which the
// person who writes a repository controls.
// Input: one byte selecting the parser, then the output text.
//   0 name-status list, 1 raw diff, 2 log, 3 unified diff (the next byte
//   sets the size bound), 4 NUL-separated paths.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/git/git_parse.h"

namespace git = wfs::connectors::git;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 5;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0: {
      auto r = git::ParseNameStatusZ(in);
      if (r.ok()) {
        for (const auto& ns : *r) {
          if (ns.path.empty() || ns.path.find('\0') != std::string::npos) {
            __builtin_trap();
          }
        }
      }
      break;
    }
    case 1: {
      auto r = git::ParseRawDiffZ(in);
      if (r.ok()) {
        for (const auto& c : *r) {
          if (c.src_mode.size() != 6 || c.dst_mode.size() != 6 ||
              c.src_oid.size() != c.dst_oid.size() || c.path.empty()) {
            __builtin_trap();
          }
        }
      }
      break;
    }
    case 2: {
      auto r = git::ParseLogZ(in);
      if (r.ok()) {
        for (const auto& e : *r) {
          if (!git::IsObjectId(e.commit)) __builtin_trap();
        }
      }
      break;
    }
    case 3: {
      if (in.empty()) return 0;
      const size_t max = static_cast<size_t>(static_cast<uint8_t>(in[0])) * 16;
      in.remove_prefix(1);
      std::string out = git::NormalizeDiff(in, max);
      static const std::string kMarker = "\n... (diff truncated)\n";
      if (out.size() > max + kMarker.size()) __builtin_trap();
      // Every line is whole.
      if (!out.empty() && out.back() != '\n') __builtin_trap();
      break;
    }
    default: {
      for (const std::string& p : git::SplitZ(in)) {
        if (p.empty()) __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
