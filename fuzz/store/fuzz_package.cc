// Fuzzes package parsing: the bytes a store row, an export or an import
// hands over (docs/packages.md). A package that parses must be canonical
// (its bytes re-serialize to exactly the input) and its IR must either load
// as a program or be refused cleanly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/program.h"
#include "store/package.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto p = wfs::store::Package::Parse(bytes);
  if (!p.ok()) return 0;
  if (p->Bytes() != bytes) __builtin_trap();
  if (wfs::store::Package::IdOf(bytes).size() != 71) __builtin_trap();
  auto program = wfs::runtime::Program::FromIr(p->ir, p->content_id);
  (void)program;
  return 0;
}
