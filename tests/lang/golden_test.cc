// Golden diagnostics: every file in tests/lang/broken/ is checked and its
// diagnostics must match NAME.expected byte for byte. The file name starts
// with the code it demonstrates (e401_..., w406_...), and that code must be
// among the diagnostics. Regenerate with WFS_UPDATE_GOLDEN=1 after reading
// the difference.
#include <algorithm>
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

std::string SourceDir() {
  const char* dir = std::getenv("WFS_SOURCE_DIR");
  return dir ? dir : ".";
}

std::string Render(const std::vector<CompiledFile>& files) {
  std::string out;
  for (const CompiledFile& f : files) {
    for (const Diagnostic& d : f.diagnostics) {
      out += FormatDiagnostic(d, f.source.get(), /*color=*/false);
    }
  }
  return out;
}

std::vector<std::string> BrokenFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(
           SourceDir() + "/tests/lang/broken")) {
    std::string name = e.path().filename().string();
    if (EndsWith(name, ".wf") || EndsWith(name, ".wfi")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedDiagnostics) {
  const std::string name = GetParam();
  const std::string rel = "tests/lang/broken/" + name;
  auto text = ReadFile(SourceDir() + "/" + rel);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  std::vector<CompiledFile> results;
  if (EndsWith(name, ".wfi")) {
    CompilerOptions opts;
    opts.interfaces = {{rel, *text}};
    auto compiler = Compiler::Create(opts);
    for (const CompiledFile& f : compiler->interface_files()) {
      if (f.path == rel) results.push_back(f);
    }
  } else {
    auto compiler = Compiler::Create(CompilerOptions{});
    results = compiler->Check({{rel, *text}});
  }
  std::string actual = Render(results);
  std::string code = ToLower(name.substr(0, 4));
  code[0] = static_cast<char>(std::toupper(code[0]));
  EXPECT_NE(actual.find("[" + code + "]"), std::string::npos)
      << name << " must produce " << code << "; got:\n"
      << actual;
  std::string golden_path =
      SourceDir() + "/" + rel.substr(0, rel.rfind('.')) + ".expected";
  const char* update = std::getenv("WFS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(WriteFileAtomic(golden_path, actual).ok());
    return;
  }
  auto expected = ReadFile(golden_path);
  ASSERT_TRUE(expected.ok()) << "missing golden " << golden_path
                             << "; run with WFS_UPDATE_GOLDEN=1";
  EXPECT_EQ(*expected, actual) << "diagnostics of " << name << " changed";
}

INSTANTIATE_TEST_SUITE_P(Broken, GoldenTest, testing::ValuesIn(BrokenFiles()),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           }
                           return n;
                         });

TEST(GoldenTest, AtLeastOneFilePerRule) {
  // The rules named in docs/language.md, each with its own broken example.
  const char* rules[] = {"e001", "e002", "e003", "e004", "e101", "e102",
                         "e103", "e104", "e105", "e201", "e202", "e203",
                         "e301", "e302", "e303", "e304", "w305", "e401",
                         "e402", "e403", "e404", "e405", "w406", "w407",
                         "e501", "e601"};
  std::vector<std::string> files = BrokenFiles();
  for (const char* r : rules) {
    bool found = false;
    for (const std::string& f : files) found |= StartsWith(f, r);
    EXPECT_TRUE(found) << "no broken example for " << r;
  }
}

}  // namespace
}  // namespace wfs::lang
