// The starter catalog checks clean: no errors, no warnings.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/strings.h"
#include "lang/compiler.h"

namespace wfs::lang {
namespace {

TEST(CatalogTest, EveryStarterWorkflowChecksClean) {
  const char* dir = std::getenv("WFS_SOURCE_DIR");
  std::string root = std::string(dir ? dir : ".") + "/catalog";
  std::vector<SourceText> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    std::string p = e.path().string();
    if (!EndsWith(p, ".wf")) continue;
    auto text = ReadFile(p);
    ASSERT_TRUE(text.ok());
    files.push_back({p, *text});
  }
  ASSERT_GE(files.size(), 8u);
  auto compiler = Compiler::Create(CompilerOptions{});
  for (const CompiledFile& f : compiler->interface_files()) {
    EXPECT_TRUE(f.ok) << f.path;
    EXPECT_EQ(f.diagnostics.size(), 0u) << f.path;
  }
  for (const CompiledFile& f : compiler->Check(files)) {
    std::string shown;
    for (const Diagnostic& d : f.diagnostics) {
      shown += FormatDiagnostic(d, f.source.get());
    }
    EXPECT_TRUE(f.ok) << shown;
    EXPECT_TRUE(f.diagnostics.empty()) << shown;
    EXPECT_TRUE(StartsWith(f.content_id, "sha256:")) << f.path;
  }
}

}  // namespace
}  // namespace wfs::lang
