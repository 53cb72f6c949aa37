// CanonicalJson side by side with its definition, nlohmann's dump with the
// same settings (docs/benchmarks.md, "JSON serialization"). Three documents:
//   call     a tool call's answer as the MCP server sends it (small, short
//            ASCII strings)
//   catalog  a listing of 200 workflows (many keys and medium strings)
//   text     a message body of 64 KiB with some escapes and UTF-8
#include <benchmark/benchmark.h>

#include <string>

#include "base/json.h"

namespace {

using wfs::Json;

Json CallAnswer() {
  Json result = {{"outputs", {{"text", "hi"}}},
                 {"outcome", "completed"},
                 {"run_id", "r-0006270b1c2d3e4f5a6b7c8d"},
                 {"workflow", "bench.echo@0.1.0"}};
  return {{"jsonrpc", "2.0"},
          {"id", 42},
          {"result",
           {{"content", Json::array({{{"type", "text"},
                                      {"text", wfs::CanonicalJson(result)}}})},
            {"structuredContent", result},
            {"isError", false}}}};
}

Json Catalog() {
  Json list = Json::array();
  for (int i = 0; i < 200; ++i) {
    std::string n = std::to_string(i);
    list.push_back({{"name", "mail.archive_thread_" + n},
                    {"version", "1." + n + ".0"},
                    {"summary",
                     "Archives every message of one thread after "
                     "the person confirms, keeping a copy " +
                         n},
                    {"effects", Json::array({"mail.read", "mail.move"})},
                    {"stage", "stable"},
                    {"score", i * 7}});
  }
  return {{"workflows", list}};
}

Json Text() {
  std::string body;
  while (body.size() < 64 * 1024) {
    body +=
        "Dear team,\n\tthe \"quarterly\" report is attached (size: 2 MB, "
        "path C:\\reports\\q3). Grüße, André — €12.\n";
  }
  return {{"body", body}};
}

void Run(benchmark::State& state, const Json& doc, bool reference) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out =
        reference ? doc.dump(-1, ' ', false, Json::error_handler_t::replace)
                  : wfs::CanonicalJson(doc);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_Call_Wfstore(benchmark::State& s) { Run(s, CallAnswer(), false); }
void BM_Call_Nlohmann(benchmark::State& s) { Run(s, CallAnswer(), true); }
void BM_Catalog_Wfstore(benchmark::State& s) { Run(s, Catalog(), false); }
void BM_Catalog_Nlohmann(benchmark::State& s) { Run(s, Catalog(), true); }
void BM_Text_Wfstore(benchmark::State& s) { Run(s, Text(), false); }
void BM_Text_Nlohmann(benchmark::State& s) { Run(s, Text(), true); }
BENCHMARK(BM_Call_Wfstore);
BENCHMARK(BM_Call_Nlohmann);
BENCHMARK(BM_Catalog_Wfstore);
BENCHMARK(BM_Catalog_Nlohmann);
BENCHMARK(BM_Text_Wfstore);
BENCHMARK(BM_Text_Nlohmann);

}  // namespace

BENCHMARK_MAIN();
