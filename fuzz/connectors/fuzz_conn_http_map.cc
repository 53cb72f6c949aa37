// Fuzzes the mapping of a server's JSON answer to an interface type
// (src/connectors/http/response_map.h) with the tracker interface's return
// types and the field map the GitHub profile uses. A mapped answer must
// always fit its type.
// Input: one byte selecting the type, then the answer's JSON text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "connectors/http/response_map.h"
#include "lang/compiler.h"
#include "lang/interfaces.h"

namespace {

struct Setup {
  std::vector<wfs::Json> types;
  wfs::Json field_map;
};

const Setup& Get() {
  static const Setup* s = [] {
    auto* st = new Setup;
    auto compiler = wfs::lang::Compiler::Create(wfs::lang::CompilerOptions{});
    const wfs::lang::ConnectorInfo* tracker =
        compiler->interfaces().Find("tracker");
    if (tracker == nullptr) __builtin_trap();
    wfs::Json contract = compiler->interfaces().ConnectorToJson(*tracker);
    for (const char* a : {"get_issue", "list_issues", "comment"}) {
      st->types.push_back(contract["actions"][a]["returns"]);
    }
    // A record with an optional, an enum, a time and a decimal field.
    st->types.push_back(wfs::ParseJson(R"({"record": [
        {"name": "o", "type": {"optional": "int"}},
        {"name": "e", "type": {"enum": ["a", "b"]}},
        {"name": "t", "type": "time"},
        {"name": "d", "type": "decimal"},
        {"name": "l", "type": {"list": {"list": "bool"}}}]})")
                            .value());
    st->field_map = wfs::ParseJson(R"({
        "Issue": {"author": "user.login", "labels": "labels[].name"},
        "Comment": {"author": "user.login"}})")
                        .value();
    return st;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Setup& s = Get();
  const wfs::Json& type = s.types[data[0] % s.types.size()];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  wfs::JsonLimits limits;
  limits.max_bytes = 1 << 16;
  auto value = wfs::ParseJson(text, limits);
  if (!value.ok()) return 0;
  auto mapped =
      wfs::connectors::http::MapResponse(*value, type, s.field_map, "result");
  if (mapped.ok()) {
    // What the mapping returns fits the type exactly.
    if (!wfs::connectors::http::CheckValue(*mapped, type, "result").ok()) {
      __builtin_trap();
    }
  }
  (void)wfs::connectors::http::CheckValue(*value, type, "result");
  (void)wfs::connectors::http::ExtractPath(*value, "a.b[].c");
  return 0;
}
