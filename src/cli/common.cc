#include "cli/common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "base/file.h"
#include "base/strings.h"

namespace wfs::cli {

bool UseColor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return isatty(fd) != 0;
}

Result<std::vector<std::string>> ExpandPaths(
    const std::vector<std::string>& args,
    const std::vector<std::string>& extensions) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    fs::file_status st = fs::status(arg, ec);
    if (ec || !fs::exists(st)) {
      return NotFound(StrCat("no such file or directory: ", arg));
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               arg, fs::directory_options::skip_permission_denied, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (!it->is_regular_file()) continue;
        std::string p = it->path().string();
        for (const std::string& ext : extensions) {
          if (EndsWith(p, ext)) {
            found.push_back(p);
            break;
          }
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(arg);
    }
  }
  std::vector<std::string> unique;
  for (const std::string& p : out) {
    if (std::find(unique.begin(), unique.end(), p) == unique.end()) {
      unique.push_back(p);
    }
  }
  return unique;
}

Result<SourceSet> ReadSources(const std::vector<std::string>& paths) {
  SourceSet set;
  for (const std::string& p : paths) {
    WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(p, 16 << 20));
    if (EndsWith(p, ".wfi")) {
      set.interfaces.push_back({p, std::move(text)});
    } else {
      set.workflows.push_back({p, std::move(text)});
    }
  }
  return set;
}

void PrintError(const std::string& message) {
  std::cerr << "wfstore: error: " << message << "\n";
}

}  // namespace wfs::cli
