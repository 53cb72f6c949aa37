// Benchmarks of the store (docs/benchmarks.md, "Store"). Target: publish
// (check + sign + store) over 500 workflows/s.
//
//   BM_Publish/B        Store::Publish of B new workflows per call (one
//                       transaction, one durable commit per call)
//   BM_PeerInsertSign/B the peer: per package, a minisign signature of the
//                       same package bytes and a plain SQLite insert of them,
//                       B per durable commit; the ratio to BM_Publish/B is
//                       the store's overhead
//   BM_Check, BM_Encode, BM_EncodeSpliced, BM_Sign
//                       the parts of one publish, alone (CPU)
//   BM_Resolve*, BM_Load, BM_Report
//                       reading a store of 1,011 packages (200 names with
//                       five versions each, and the starter catalog), for
//                       context
//
// Workflows are the starter catalog's, each renamed to a name of its own
// (bench<k>.<name>_<i>), so every publish stores a new package. Stores live
// under $TMPDIR (default /tmp) and are removed at exit.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/json.h"
#include "base/json_writer.h"
#include "base/random.h"
#include "base/strings.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "lang/compiler.h"
#include "sql/sqlite.h"
#include "store/package.h"
#include "store/store.h"

namespace wfs::bench {
namespace {

std::vector<std::string>& Dirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

std::string NewDir(const std::string& what) {
  std::string d = (std::filesystem::temp_directory_path() /
                   ("wfs-store-bench-" + what + "-" + SecureRandomHex(4)))
                      .string();
  std::filesystem::create_directories(d);
  Dirs().push_back(d);
  return d;
}

std::unique_ptr<store::Store> OpenStore(const std::string& what) {
  store::StoreOptions o;
  o.dir = NewDir(what);
  auto s = store::Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "cannot open a store: %s\n",
                 std::string(s.status().message()).c_str());
    std::abort();
  }
  return *std::move(s);
}

int64_t NextSerial() {
  static std::atomic<int64_t> serial{0};
  return serial++;
}

// Workflow number `n`: the catalog's workflow n % 11 renamed to
// bench<n % 64>.<its name>_<n>, at `version`. `name` gets the new name.
lang::SourceText Variant(int64_t n, const std::string& version = "1.0.0",
                         std::string* name = nullptr) {
  const auto& catalog = store::BuiltinCatalog();
  const lang::SourceText& t = catalog[static_cast<size_t>(n) % catalog.size()];
  size_t at = t.text.compare(0, 9, "workflow ") == 0
                  ? 0
                  : t.text.find("\nworkflow ") + 1;
  size_t name_start = at + 9;
  size_t name_end = t.text.find(' ', name_start);
  size_t version_end = t.text.find(' ', name_end + 1);
  std::string old = t.text.substr(name_start, name_end - name_start);
  std::string base = old.substr(old.find('.') + 1);
  std::string renamed = StrCat("bench", n % 64, ".", base, "_", n);
  if (name != nullptr) *name = renamed;
  std::string text = StrCat(t.text.substr(0, name_start), renamed, " ", version,
                            t.text.substr(version_end));
  return {StrCat("bench/", base, "_", n, "-", version, ".wf"), std::move(text)};
}

const crypto::SecretKey& Key() {
  static auto* key =
      new crypto::SecretKey(crypto::GenerateKeyPair().secret_key);
  return *key;
}

// ---- publishing -------------------------------------------------------------

void BM_Publish(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  auto st = OpenStore("publish");
  std::vector<std::vector<lang::SourceText>> calls(state.max_iterations);
  for (size_t c = 0; c < calls.size(); ++c) {
    for (size_t j = 0; j < batch; ++j) {
      calls[c].push_back(Variant(NextSerial()));
    }
  }
  size_t c = 0;
  for (auto _ : state) {
    auto r = st->Publish(calls[c++], Key());
    if (!r.ok() || r->size() != batch || (*r)[0].already) {
      state.SkipWithError(r.ok() ? "a workflow was not new"
                                 : std::string(r.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(c * batch));
}
BENCHMARK(BM_Publish)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Package bytes as the store makes them (used by the peer and the parts).
struct Made {
  std::string bytes;
  lang::SourceText source;
};
const std::vector<Made>& CatalogPackages() {
  static auto* made = [] {
    auto* out = new std::vector<Made>();
    auto st = OpenStore("made");
    for (size_t i = 0; i < store::BuiltinCatalog().size(); ++i) {
      lang::SourceText src = Variant(static_cast<int64_t>(i));
      auto r = st->Publish({src}, Key());
      if (!r.ok()) std::abort();
      auto bytes = st->Bytes((*r)[0].info.name, (*r)[0].info.version);
      if (!bytes.ok()) std::abort();
      out->push_back({*bytes, src});
    }
    return out;
  }();
  return *made;
}

// The peer: sign the same bytes the store signs and insert them with a plain
// statement, `batch` per commit. sync_full:1 is the store's setting (WAL,
// synchronous=FULL: each commit durable before it returns); sync_full:0
// (synchronous=NORMAL) shows what the commit's fsync costs.
void BM_PeerInsertSign(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const std::vector<Made>& made = CatalogPackages();
  sql::Db::Options options;
  options.sync_full = state.range(1) != 0;
  auto db = sql::Db::Open(NewDir("peer") + "/peer.db", options).value();
  db->Exec(
        "CREATE TABLE packages(name TEXT NOT NULL, version TEXT NOT NULL, "
        "package_id TEXT NOT NULL, bytes TEXT NOT NULL, signature TEXT NOT "
        "NULL, PRIMARY KEY(name, version))")
      .IgnoreError();
  int64_t n = 0;
  for (auto _ : state) {
    db->ExecCached("BEGIN IMMEDIATE").IgnoreError();
    for (int j = 0; j < batch; ++j, ++n) {
      const std::string& bytes =
          made[static_cast<size_t>(n) % made.size()].bytes;
      std::string id = store::Package::IdOf(bytes);
      auto sig = crypto::Sign(Key(), bytes, StrCat("wfstore package ", id));
      auto* ins =
          db->Cached("INSERT INTO packages VALUES(?, ?, ?, ?, ?)").value();
      sql::ScopedReset reset(ins);
      ins->Bind(1, StrCat("peer.w", n))
          .Bind(2, "1.0.0")
          .Bind(3, id)
          .Bind(4, bytes)
          .Bind(5, sig.value());
      if (!ins->Run().ok()) {
        state.SkipWithError("insert failed");
        break;
      }
    }
    db->ExecCached("COMMIT").IgnoreError();
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_PeerInsertSign)
    ->ArgNames({"batch", "sync_full"})
    ->Args({1, 1})
    ->Args({10, 1})
    ->Args({100, 1})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// ---- the parts of one publish, alone ----------------------------------------

void BM_Check(benchmark::State& state) {
  const std::vector<Made>& made = CatalogPackages();
  auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
  size_t i = 0;
  for (auto _ : state) {
    auto out = compiler->Check({made[i++ % made.size()].source});
    if (!out[0].ok) {
      state.SkipWithError("a catalog workflow does not check");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_Check)->Unit(benchmark::kMicrosecond);

// What Publish does between the checker and the signature: parse the IR,
// build the package document, encode it canonically and hash it.
void BM_Encode(benchmark::State& state) {
  const std::vector<Made>& made = CatalogPackages();
  auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
  std::vector<lang::CompiledFile> compiled;
  for (const Made& m : made) compiled.push_back(compiler->Check({m.source})[0]);
  size_t i = 0;
  for (auto _ : state) {
    const lang::CompiledFile& f = compiled[i++ % compiled.size()];
    store::Package p;
    p.name = f.name;
    p.version = f.version;
    p.source_path = f.path;
    p.source_text = made[(i - 1) % made.size()].source.text;
    p.ir = f.ir();
    p.content_id = f.content_id;
    std::string bytes = p.Bytes();
    benchmark::DoNotOptimize(store::Package::IdOf(bytes));
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_Encode)->Unit(benchmark::kMicrosecond);

// The same bytes without the JSON round trip: the checker's canonical IR
// text spliced into the package as it is (JsonWriter::Raw), the interface
// pins cut from that text instead of parsing the whole IR. Not what the
// store does today; it measures what that change would save. Setup checks
// that the bytes are identical to Package::Bytes().
std::string SplicedBytes(const lang::CompiledFile& f,
                         const std::string& source_text) {
  const std::string& ir = f.canonical_ir;
  size_t from = ir.find(",\"interfaces\":") + 14;
  size_t to = ir.find(",\"kind\":\"workflow\"", from);
  Json pins = Json::array();
  for (const Json& i : ParseJson(ir.substr(from, to - from)).value()) {
    pins.push_back({{"name", i["name"]},
                    {"version", i["version"]},
                    {"digest", i["digest"]}});
  }
  std::string out;
  out.reserve(ir.size() + source_text.size() + 1024);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("content_id");
  w.String(f.content_id);
  w.Key("deps");
  w.BeginArray();  // the catalog's workflows have none
  w.EndArray();
  w.Key("format");
  w.String("wfstore-package/1");
  w.Key("interfaces");
  w.Raw(CanonicalJson(pins));
  w.Key("ir");
  w.Raw(ir);
  w.Key("name");
  w.String(f.name);
  w.Key("source");
  w.BeginObject();
  w.Key("path");
  w.String(f.path);
  w.Key("text");
  w.String(source_text);
  w.EndObject();
  w.Key("version");
  w.String(f.version);
  w.EndObject();
  return out;
}

void BM_EncodeSpliced(benchmark::State& state) {
  const std::vector<Made>& made = CatalogPackages();
  auto compiler = lang::Compiler::Create(lang::CompilerOptions{});
  std::vector<lang::CompiledFile> compiled;
  for (const Made& m : made) {
    compiled.push_back(compiler->Check({m.source})[0]);
    if (SplicedBytes(compiled.back(), m.source.text) != m.bytes) {
      state.SkipWithError("spliced bytes differ from Package::Bytes()");
      return;
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    size_t k = i++ % compiled.size();
    std::string bytes = SplicedBytes(compiled[k], made[k].source.text);
    benchmark::DoNotOptimize(store::Package::IdOf(bytes));
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_EncodeSpliced)->Unit(benchmark::kMicrosecond);

void BM_Sign(benchmark::State& state) {
  const std::vector<Made>& made = CatalogPackages();
  size_t i = 0;
  for (auto _ : state) {
    const std::string& bytes = made[i++ % made.size()].bytes;
    benchmark::DoNotOptimize(crypto::Sign(Key(), bytes, "wfstore package"));
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_Sign)->Unit(benchmark::kMicrosecond);

// ---- reading ----------------------------------------------------------------

constexpr int kNames = 200;
constexpr int kVersions = 5;

struct ReadStore {
  std::unique_ptr<store::Store> store;
  std::vector<std::string> names;
  std::string tested;  // a catalog workflow promoted to `tested`
};

ReadStore& Reader() {
  static auto* r = [] {
    auto* out = new ReadStore();
    out->store = OpenStore("read");
    auto seeded = out->store->SeedStarterCatalog();
    if (!seeded.ok() || seeded->tested == 0) std::abort();
    out->tested = "mail.delete_message";
    std::vector<lang::SourceText> batch;
    for (int n = 0; n < kNames; ++n) {
      int64_t serial = NextSerial();
      std::string name;
      for (int v = 0; v < kVersions; ++v) {
        batch.push_back(Variant(serial, StrCat("1.", v, ".0"), &name));
      }
      out->names.push_back(name);
      if (batch.size() >= 100) {
        if (!out->store->Publish(batch, Key()).ok()) std::abort();
        batch.clear();
      }
    }
    return out;
  }();
  return *r;
}

void BM_ResolveLatest(benchmark::State& state) {
  ReadStore& r = Reader();
  size_t i = 0;
  for (auto _ : state) {
    auto info = r.store->Latest(r.names[i++ % r.names.size()]);
    if (!info.ok() || info->version != "1.4.0") {
      state.SkipWithError("latest is not 1.4.0");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_ResolveLatest)->Unit(benchmark::kMicrosecond);

void BM_ResolveCaret(benchmark::State& state) {
  ReadStore& r = Reader();
  size_t i = 0;
  for (auto _ : state) {
    auto info = r.store->Resolve(r.names[i++ % r.names.size()], "^1.2");
    if (!info.ok() || info->version != "1.4.0") {
      state.SkipWithError("^1.2 is not 1.4.0");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_ResolveCaret)->Unit(benchmark::kMicrosecond);

void BM_ResolveExact(benchmark::State& state) {
  ReadStore& r = Reader();
  size_t i = 0;
  for (auto _ : state) {
    auto info = r.store->Resolve(r.names[i++ % r.names.size()], "1.2.0");
    if (!info.ok()) {
      state.SkipWithError("1.2.0 does not resolve");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_ResolveExact)->Unit(benchmark::kMicrosecond);

// A verified load: digest, namespace key and signature checked, bytes parsed.
void BM_Load(benchmark::State& state) {
  ReadStore& r = Reader();
  size_t i = 0;
  for (auto _ : state) {
    auto p = r.store->Load(r.names[i++ % r.names.size()], "1.4.0");
    if (!p.ok()) {
      state.SkipWithError(std::string(p.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_Load)->Unit(benchmark::kMicrosecond);

// The rigor report of a tested package (its attestation re-verified, its
// source re-checked for warnings).
void BM_Report(benchmark::State& state) {
  ReadStore& r = Reader();
  size_t i = 0;
  for (auto _ : state) {
    auto report = r.store->Report(r.tested, "");
    if (!report.ok() || (*report)["grade"] != "C") {
      state.SkipWithError("the report is not grade C");
      break;
    }
    ++i;
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_Report)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace wfs::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  for (const std::string& d : wfs::bench::Dirs()) {
    std::filesystem::remove_all(d, ec);
  }
  return 0;
}
