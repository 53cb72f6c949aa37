#include "store/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "connectors/sim/world.h"
#include "crypto/dsse.h"
#include "crypto/intoto.h"
#include "crypto/minisig.h"
#include "lang/checker.h"
#include "store/internal.h"
#include "testing/test_runner.h"

namespace wfs::store {

int StageIndex(const std::string& stage) {
  for (int i = 0; i < static_cast<int>(std::size(kStages)); ++i) {
    if (stage == kStages[i]) return i;
  }
  return -1;
}

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys(
  key_id TEXT PRIMARY KEY, public TEXT NOT NULL, label TEXT NOT NULL,
  added_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces(
  ns TEXT PRIMARY KEY, owner TEXT NOT NULL REFERENCES keys(key_id),
  created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS namespace_keys(
  ns TEXT NOT NULL REFERENCES namespaces(ns),
  key_id TEXT NOT NULL REFERENCES keys(key_id),
  grant_sig TEXT NOT NULL, granted_us INTEGER NOT NULL,
  PRIMARY KEY(ns, key_id));
CREATE TABLE IF NOT EXISTS packages(
  name TEXT NOT NULL, version TEXT NOT NULL,
  major INTEGER NOT NULL, minor INTEGER NOT NULL, patch INTEGER NOT NULL,
  pre TEXT NOT NULL,
  package_id TEXT NOT NULL UNIQUE, content_id TEXT NOT NULL,
  signer TEXT NOT NULL REFERENCES keys(key_id),
  bytes TEXT NOT NULL, signature TEXT NOT NULL,
  stage TEXT NOT NULL, yanked INTEGER NOT NULL DEFAULT 0,
  yank_reason TEXT NOT NULL DEFAULT '',
  deprecated TEXT NOT NULL DEFAULT '', successor TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL, published_us INTEGER NOT NULL,
  PRIMARY KEY(name, version));
CREATE TABLE IF NOT EXISTS deps(
  name TEXT NOT NULL, version TEXT NOT NULL,
  dep_name TEXT NOT NULL, dep_version TEXT NOT NULL, dep_package TEXT NOT NULL,
  PRIMARY KEY(name, version, dep_name, dep_version));
CREATE INDEX IF NOT EXISTS deps_by_dep ON deps(dep_name, dep_version);
CREATE TABLE IF NOT EXISTS attestations(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL,
  kind TEXT NOT NULL, stage TEXT NOT NULL, predicate_type TEXT NOT NULL,
  signer TEXT NOT NULL, created_us INTEGER NOT NULL, envelope TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attestations_by_pkg ON attestations(name, version);
CREATE TABLE IF NOT EXISTS flags(
  name TEXT NOT NULL, version TEXT NOT NULL, flag TEXT NOT NULL,
  created_us INTEGER NOT NULL, PRIMARY KEY(name, version, flag));
)sql";

constexpr char kPackageColumns[] =
    "name, version, package_id, content_id, signer, stage, yanked, "
    "deprecated, successor, published_us, summary, yank_reason";

std::string GrantMessage(const std::string& ns, const crypto::PublicKey& key) {
  return StrCat("wfstore-namespace-grant/1\n", ns, "\n",
                crypto::KeyIdHex(key.key_id), "\n",
                crypto::PublicKeyBase64(key), "\n");
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '.' || c == '-')) {
      return false;
    }
  }
  return name.find('.') != std::string::npos && name.front() != '.' &&
         name.back() != '.';
}

}  // namespace

// ---- sub-workflow resolution ------------------------------------------------

// Signatures of stored workflows for the checker (the compiler's resolver).
class Store::Signatures : public lang::WorkflowResolver {
 public:
  explicit Signatures(Store* store) : store_(store) {}
  const lang::WorkflowSignature* Find(
      const std::string& name, const std::string& version) const override {
    std::string ref = name + "@" + version;
    auto it = cache_.find(ref);
    if (it != cache_.end()) return it->second.get();
    auto pkg = store_->Load(name, version);
    if (!pkg.ok()) return nullptr;
    auto sig = lang::SignatureFromIr(pkg->ir, store_->compiler_->types());
    if (!sig.ok()) return nullptr;
    const lang::WorkflowSignature* out = sig->get();
    cache_[ref] = *std::move(sig);
    return out;
  }

 private:
  Store* store_;
  mutable std::map<std::string, std::shared_ptr<lang::WorkflowSignature>>
      cache_;
};

// Programs of verified packages for the runtime.
class Store::Programs : public runtime::ProgramResolver {
 public:
  explicit Programs(Store* store) : store_(store) {}
  runtime::ProgramPtr Find(const std::string& name,
                           const std::string& version) const override {
    auto p = store_->LoadProgram(name, version);
    return p.ok() ? *p : nullptr;
  }

 private:
  Store* store_;
};

const runtime::ProgramResolver& Store::programs() const { return *programs_; }

// ---- opening ----------------------------------------------------------------

Store::Store(StoreOptions options) : options_(std::move(options)) {
  clock_ = options_.clock ? options_.clock : &system_clock_;
}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.dir.empty()) return InvalidArgument("no store directory given");
  if (options.required_reviews < 1) {
    return InvalidArgument("required_reviews must be at least 1");
  }
  std::unique_ptr<Store> store(new Store(options));
  WFS_RETURN_IF_ERROR(store->Init());
  return store;
}

Status Store::Init() {
  if (::mkdir(options_.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable(StrCat("cannot create the store directory ",
                              Quote(options_.dir), ": ", strerror(errno)));
  }
  sql::Db::Options o;
  WFS_ASSIGN_OR_RETURN(db_, sql::Db::Open(options_.dir + "/catalog.db", o));
  WFS_RETURN_IF_ERROR(db_->Exec(kSchema));
  WFS_RETURN_IF_ERROR(db_->Exec("PRAGMA foreign_keys = ON"));
  ::chmod((options_.dir + "/catalog.db").c_str(), 0600);

  signatures_ = std::make_unique<Signatures>(this);
  programs_ = std::make_unique<Programs>(this);
  lang::CompilerOptions co;
  co.interfaces = options_.interfaces;
  co.resolver = signatures_.get();
  compiler_ = lang::Compiler::Create(co);
  for (const lang::CompiledFile& f : compiler_->interface_files()) {
    if (!f.ok) {
      std::string text;
      for (const lang::Diagnostic& d : f.diagnostics) {
        text += lang::FormatDiagnostic(d, f.source.get());
      }
      return InvalidArgument(
          StrCat("interface file ", f.path, " has errors:\n", text));
    }
  }
  schema_ = connectors::sim::SchemaFromInterfaces(compiler_->interfaces());

  WFS_ASSIGN_OR_RETURN(std::string reviews, GetMeta("required_reviews"));
  if (!reviews.empty()) {
    if (reviews.size() > 3 ||
        reviews.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(reviews) < 1) {
      return DataLoss(StrCat("the store setting required_reviews is corrupt: ",
                             Quote(reviews)));
    }
    options_.required_reviews = std::stoi(reviews);
  }

  // When the interfaces differ from those the catalog was last checked
  // against, re-check and re-test everything (docs/store.md, "Change").
  std::string digest = InterfacesDigest();
  WFS_ASSIGN_OR_RETURN(std::string previous, GetMeta("interfaces_digest"));
  if (previous != digest) {
    if (!previous.empty()) {
      WFS_ASSIGN_OR_RETURN(std::vector<std::string> flagged, Recheck());
      (void)flagged;
    }
    WFS_RETURN_IF_ERROR(SetMeta("interfaces_digest", digest));
  }
  return Status::Ok();
}

std::string Store::InterfacesDigest() const {
  std::string all;
  for (const auto& [name, c] : compiler_->interfaces().all()) {
    all += StrCat(name, " ", c->version, " ", c->digest, "\n");
  }
  return "sha256:" + Sha256Hex(all);
}

Result<std::string> Store::GetMeta(const std::string& key) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt * st,
                       db_->Cached("SELECT value FROM meta WHERE key = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, key);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Text(0) : std::string();
}

Status Store::SetMeta(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("INSERT INTO meta(key, value) VALUES(?, ?) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, key).Bind(2, value);
  return st->Run();
}

Status Store::SetRequiredReviews(int n) {
  if (n < 1 || n > 100) {
    return InvalidArgument("required reviews must be between 1 and 100");
  }
  WFS_RETURN_IF_ERROR(SetMeta("required_reviews", std::to_string(n)));
  options_.required_reviews = n;
  return Status::Ok();
}

// ---- keys and namespaces ----------------------------------------------------

Status Store::AddKey(const crypto::PublicKey& key, const std::string& label) {
  std::lock_guard lock(mu_);
  return AddKeyLocked(key, label);
}

Status Store::AddKeyLocked(const crypto::PublicKey& key,
                           const std::string& label) {
  std::string id = crypto::KeyIdHex(key.key_id);
  std::string pub = crypto::PublicKeyBase64(key);
  // Registered: ok if it is this key. (nullopt: not registered.)
  auto registered = [&]() -> Result<std::optional<Status>> {
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt * st,
        db_->Cached("SELECT public FROM keys WHERE key_id = ?"));
    sql::ScopedReset st_reset(st);
    st->Bind(1, id);
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return std::optional<Status>();
    if (st->Text(0) == pub) return std::optional<Status>(Status::Ok());
    return std::optional<Status>(AlreadyExists(StrCat(
        "another public key with key id ", id,
        " is already registered; key ids must be unique (make a new key)")));
  };
  // Usually it is: a read, no write lock (every server start asks).
  WFS_ASSIGN_OR_RETURN(std::optional<Status> known, registered());
  if (known) return *known;
  // The look-up again and the insert in one transaction: another process
  // adding the same key meanwhile is then seen, not a constraint failure.
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_ASSIGN_OR_RETURN(known, registered());
  if (known) return *known;
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * ins,
      db_->Cached("INSERT INTO keys(key_id, public, label, added_us) "
                  "VALUES(?, ?, ?, ?)"));
  sql::ScopedReset ins_reset(ins);
  ins->Bind(1, id).Bind(2, pub).Bind(3, label).Bind(4, clock_->NowMicros());
  WFS_RETURN_IF_ERROR(ins->Run());
  return txn.Commit();
}

Result<crypto::PublicKey> Store::GetKey(const std::string& key_id) {
  std::lock_guard lock(mu_);
  return GetKeyLocked(key_id);
}

Result<crypto::PublicKey> Store::GetKeyLocked(const std::string& key_id) {
  WFS_ASSIGN_OR_RETURN(sql::Stmt * st,
                       db_->Cached("SELECT public FROM keys WHERE key_id = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, key_id);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFound(StrCat("no key ", key_id, " in the store"));
  auto key = crypto::ParsePublicKeyBase64(st->Text(0));
  if (!key.ok()) {
    return DataLoss(StrCat("the stored public key ", key_id,
                           " is corrupt: ", key.status().message()));
  }
  if (crypto::KeyIdHex(key->key_id) != key_id) {
    return DataLoss(StrCat("the stored public key ", key_id,
                           " carries another key id"));
  }
  return *key;
}

Result<std::vector<crypto::PublicKey>> Store::AllKeysLocked() {
  WFS_ASSIGN_OR_RETURN(sql::Stmt * st, db_->Cached("SELECT key_id FROM keys"));
  sql::ScopedReset st_reset(st);
  std::vector<std::string> ids;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ids.push_back(st->Text(0));
  }
  std::vector<crypto::PublicKey> keys;
  for (const std::string& id : ids) {
    WFS_ASSIGN_OR_RETURN(crypto::PublicKey k, GetKeyLocked(id));
    keys.push_back(k);
  }
  return keys;
}

Result<std::string> Store::OwnerLocked(const std::string& ns) {
  WFS_ASSIGN_OR_RETURN(sql::Stmt * st,
                       db_->Cached("SELECT owner FROM namespaces WHERE ns = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, ns);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Text(0) : std::string();
}

Status Store::AllowInNamespace(const std::string& ns,
                               const crypto::PublicKey& key,
                               const crypto::SecretKey& owner) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(std::string owner_id, OwnerLocked(ns));
  std::string signer = crypto::KeyIdHex(owner.key_id());
  if (owner_id.empty()) {
    return NotFound(StrCat("no namespace ", Quote(ns),
                           " yet; it belongs to whoever publishes in it first"));
  }
  if (owner_id != signer) {
    return PermissionDenied(StrCat("namespace ", Quote(ns), " belongs to key ",
                                   owner_id, ", not ", signer,
                                   "; only its owner may allow other keys"));
  }
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_RETURN_IF_ERROR(AddKeyLocked(key, "publisher"));
  auto sig = owner.SignDetached(GrantMessage(ns, key));
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("INSERT OR REPLACE INTO namespace_keys(ns, key_id, "
                  "grant_sig, granted_us) VALUES(?, ?, ?, ?)"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, ns)
      .Bind(2, crypto::KeyIdHex(key.key_id))
      .Bind(3, HexEncode(std::string_view(
                   reinterpret_cast<const char*>(sig.data()), sig.size())))
      .Bind(4, clock_->NowMicros());
  WFS_RETURN_IF_ERROR(st->Run());
  return txn.Commit();
}

Result<crypto::PublicKey> Store::AllowedKey(const std::string& ns,
                                            const std::string& key_id) {
  WFS_ASSIGN_OR_RETURN(std::string owner_id, OwnerLocked(ns));
  if (owner_id.empty()) {
    return PermissionDenied(StrCat("namespace ", Quote(ns), " has no owner"));
  }
  WFS_ASSIGN_OR_RETURN(crypto::PublicKey key, GetKeyLocked(key_id));
  if (owner_id == key_id) return key;
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("SELECT grant_sig FROM namespace_keys WHERE ns = ? AND "
                  "key_id = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, ns).Bind(2, key_id);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return PermissionDenied(StrCat(
        "key ", key_id, " may not publish in namespace ", Quote(ns),
        " (owned by key ", owner_id, "); the owner can allow it with `wfstore "
        "namespace allow ", ns, " KEY.pub --key OWNER.key`"));
  }
  std::string sig_hex = st->Text(0);
  WFS_ASSIGN_OR_RETURN(crypto::PublicKey owner, GetKeyLocked(owner_id));
  std::string sig = HexDecode(sig_hex).value_or("");
  if (sig.size() != crypto::kSignatureBytes ||
      !crypto::VerifyDetached(owner, GrantMessage(ns, key), sig)) {
    return DataLoss(StrCat("the grant allowing key ", key_id,
                           " in namespace ", Quote(ns),
                           " does not verify with the owner's key: the "
                           "store was altered"));
  }
  return key;
}

// ---- publishing -------------------------------------------------------------

Result<std::vector<PublishResult>> Store::Publish(
    const std::vector<lang::SourceText>& files, const crypto::SecretKey& key) {
  std::lock_guard lock(mu_);
  std::vector<lang::CompiledFile> compiled = compiler_->Check(files);
  std::string errors;
  int error_files = 0;
  for (const lang::CompiledFile& f : compiled) {
    if (f.ok) continue;
    ++error_files;
    for (const lang::Diagnostic& d : f.diagnostics) {
      if (d.severity == lang::Severity::kError) {
        errors += lang::FormatDiagnostic(d, f.source.get());
      }
    }
  }
  if (error_files > 0) {
    return InvalidArgument(StrCat(error_files, " of ", compiled.size(),
                                  " file(s) have errors; nothing was "
                                  "published:\n",
                                  errors));
  }

  // Dependencies first, so a batch can pin what it publishes itself.
  std::map<std::string, size_t> by_ref;
  for (size_t i = 0; i < compiled.size(); ++i) {
    by_ref[compiled[i].name + "@" + compiled[i].version] = i;
  }
  std::vector<size_t> order;
  std::vector<int> state(compiled.size(), 0);  // 0 new, 1 visiting, 2 done
  for (size_t root = 0; root < compiled.size(); ++root) {
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      if (next == 0) {
        if (state[i] == 2) {
          stack.pop_back();
          continue;
        }
        state[i] = 1;
      }
      const std::vector<std::string>& deps = compiled[i].signature->deps;
      if (next < deps.size()) {
        auto it = by_ref.find(deps[next++]);
        if (it != by_ref.end() && state[it->second] == 0) {
          stack.push_back({it->second, 0});
        }
        continue;
      }
      state[i] = 2;
      order.push_back(i);
      stack.pop_back();
    }
  }

  std::string signer = crypto::KeyIdHex(key.key_id());
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_RETURN_IF_ERROR(AddKeyLocked(key.public_key(), "publisher"));
  std::vector<PublishResult> out(compiled.size());
  std::map<std::string, std::string> batch_ids;  // ref -> package id
  std::set<std::string> published_names;
  for (size_t i : order) {
    const lang::CompiledFile& f = compiled[i];
    if (!ValidName(f.name)) {
      return InvalidArgument(
          StrCat(f.path, ": workflow name ", Quote(f.name),
                 " must be namespace.name (letters, digits, _ . -)"));
    }
    WFS_ASSIGN_OR_RETURN(Semver semver, ParseSemver(f.version));
    Package p;
    p.name = f.name;
    p.version = f.version;
    // Only the file's name: the same file published from another directory
    // (or by an absolute path) is the same package.
    p.source_path = std::filesystem::path(f.path).filename().string();
    p.source_text = files[i].text;
    p.ir = f.ir();
    p.content_id = f.content_id;
    for (const Json& d : JsonArrayMember(p.ir, "deps")) {
      Dependency dep;
      dep.name = d.value("name", "");
      dep.version = d.value("version", "");
      std::string ref = dep.name + "@" + dep.version;
      if (auto it = batch_ids.find(ref); it != batch_ids.end()) {
        dep.package = it->second;
      } else {
        WFS_ASSIGN_OR_RETURN(PackageInfo di, GetLocked(dep.name, dep.version));
        if (di.content_id != d.value("content_id", "")) {
          return FailedPrecondition(
              StrCat(f.path, ": ", ref, " changed while checking"));
        }
        dep.package = di.package_id;
      }
      p.deps.push_back(dep);
    }
    for (const Json& itf : JsonArrayMember(p.ir, "interfaces")) {
      p.interfaces.push_back({{"name", itf.value("name", "")},
                              {"version", itf.value("version", "")},
                              {"digest", itf.value("digest", "")}});
    }
    std::string bytes = p.Bytes();
    std::string id = Package::IdOf(bytes);
    std::string ref = p.name + "@" + p.version;
    batch_ids[ref] = id;

    // Namespace: the first publisher owns it.
    std::string ns = NamespaceOf(p.name);
    WFS_ASSIGN_OR_RETURN(std::string owner, OwnerLocked(ns));
    if (owner.empty()) {
      WFS_ASSIGN_OR_RETURN(
          sql::Stmt * st,
          db_->Cached("INSERT INTO namespaces(ns, owner, created_us) "
                      "VALUES(?, ?, ?)"));
      sql::ScopedReset st_reset(st);
      st->Bind(1, ns).Bind(2, signer).Bind(3, clock_->NowMicros());
      WFS_RETURN_IF_ERROR(st->Run());
    } else {
      auto allowed = AllowedKey(ns, signer);
      if (!allowed.ok()) {
        return Status(allowed.status().code(),
                      StrCat(f.path, ": ", allowed.status().message()));
      }
    }

    // Immutability.
    auto existing = GetLocked(p.name, p.version);
    if (existing.ok()) {
      if (existing->package_id != id) {
        return AlreadyExists(StrCat(
            f.path, ": ", ref,
            " is already published with other content; published versions "
            "are immutable (raise the version to publish a change)"));
      }
      out[i].info = *existing;
      out[i].already = true;
    } else {
      if (existing.status().code() != Code::kNotFound) return existing.status();
      std::string trusted =
          StrCat("wfstore package ", ref, " ", id, " file:", ref, ".json");
      WFS_ASSIGN_OR_RETURN(std::string minisig,
                           crypto::Sign(key, bytes, trusted));
      WFS_ASSIGN_OR_RETURN(
          sql::Stmt * st,
          db_->Cached("INSERT INTO packages(name, version, major, minor, "
                      "patch, pre, package_id, content_id, signer, bytes, "
                      "signature, stage, summary, published_us) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)"));
      sql::ScopedReset st_reset(st);
      st->Bind(1, p.name)
          .Bind(2, p.version)
          .Bind(3, semver.major)
          .Bind(4, semver.minor)
          .Bind(5, semver.patch)
          .Bind(6, semver.pre)
          .Bind(7, id)
          .Bind(8, p.content_id)
          .Bind(9, signer)
          .Bind(10, bytes)
          .Bind(11, minisig)
          .Bind(12, p.ir.value("summary", ""))
          .Bind(13, clock_->NowMicros());
      WFS_RETURN_IF_ERROR(st->Run());
      for (const Dependency& d : p.deps) {
        WFS_ASSIGN_OR_RETURN(
            sql::Stmt * ds,
            db_->Cached("INSERT INTO deps(name, version, dep_name, "
                        "dep_version, dep_package) VALUES(?, ?, ?, ?, ?)"));
        sql::ScopedReset ds_reset(ds);
        ds->Bind(1, p.name)
            .Bind(2, p.version)
            .Bind(3, d.name)
            .Bind(4, d.version)
            .Bind(5, d.package);
        WFS_RETURN_IF_ERROR(ds->Run());
      }
      WFS_ASSIGN_OR_RETURN(out[i].info, GetLocked(p.name, p.version));
      published_names.insert(p.name);
    }
    for (const lang::Diagnostic& d : f.diagnostics) {
      if (d.severity != lang::Severity::kError) out[i].warnings.push_back(d);
    }
  }
  WFS_RETURN_IF_ERROR(txn.Commit());
  return out;
}

// ---- reading ----------------------------------------------------------------

Result<PackageInfo> Store::ReadInfo(sql::Stmt& st) {
  PackageInfo info;
  info.name = st.Text(0);
  info.version = st.Text(1);
  info.package_id = st.Text(2);
  info.content_id = st.Text(3);
  info.signer = st.Text(4);
  info.stage = st.Text(5);
  info.yanked = st.Int(6) != 0;
  info.deprecated = st.Text(7);
  info.successor = st.Text(8);
  info.published_us = st.Int(9);
  info.summary = st.Text(10);
  info.yank_reason = st.Text(11);
  return info;
}

Status Store::FillDetailsLocked(PackageInfo* info) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("SELECT dep_name, dep_version, dep_package FROM deps WHERE "
                  "name = ? AND version = ? ORDER BY dep_name, dep_version"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, info->name).Bind(2, info->version);
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    info->deps.push_back({st->Text(0), st->Text(1), st->Text(2)});
  }
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * fs,
      db_->Cached("SELECT flag FROM flags WHERE name = ? AND version = ? "
                  "ORDER BY created_us, flag"));
  sql::ScopedReset fs_reset(fs);
  fs->Bind(1, info->name).Bind(2, info->version);
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, fs->Step());
    if (!row) break;
    info->flags.push_back(fs->Text(0));
  }
  return Status::Ok();
}

Result<PackageInfo> Store::GetLocked(const std::string& name,
                                     const std::string& version) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached(StrCat("SELECT ", kPackageColumns,
                         " FROM packages WHERE name = ? AND version = ?")));
  sql::ScopedReset st_reset(st);
  st->Bind(1, name).Bind(2, version);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return NotFound(StrCat("no workflow ", name, "@", version,
                           " in the store (`wfstore list` shows what is)"));
  }
  WFS_ASSIGN_OR_RETURN(PackageInfo info, ReadInfo(*st));
  st->Reset();
  WFS_RETURN_IF_ERROR(FillDetailsLocked(&info));
  return info;
}

Result<PackageInfo> Store::Get(const std::string& name,
                               const std::string& version) {
  std::lock_guard lock(mu_);
  return GetLocked(name, version);
}

Result<std::vector<PackageInfo>> Store::VersionsLocked(
    const std::string& name) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached(StrCat("SELECT ", kPackageColumns,
                         " FROM packages WHERE name = ?")));
  sql::ScopedReset st_reset(st);
  st->Bind(1, name);
  std::vector<PackageInfo> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    WFS_ASSIGN_OR_RETURN(PackageInfo info, ReadInfo(*st));
    out.push_back(std::move(info));
  }
  // Newest first by semantic-versioning precedence.
  std::sort(out.begin(), out.end(), [](const PackageInfo& a,
                                       const PackageInfo& b) {
    auto va = ParseSemver(a.version), vb = ParseSemver(b.version);
    if (!va.ok() || !vb.ok()) return a.version > b.version;
    return *vb < *va;
  });
  return out;
}

Result<PackageInfo> Store::Latest(const std::string& name) {
  return Resolve(name, "");
}

namespace {

// Whether `v` satisfies `range` ("", "1", "1.2", "^1.2.3", "~1.2.3").
Result<bool> InRange(const Semver& v, const std::string& range) {
  if (range.empty()) return v.pre.empty();
  char op = range[0];
  std::string rest = (op == '^' || op == '~') ? range.substr(1) : range;
  std::vector<std::string> parts = StrSplit(rest, '.');
  if (parts.empty() || parts.size() > 3) {
    return InvalidArgument(StrCat("invalid version range ", Quote(range)));
  }
  int64_t want[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i].size() > 9 ||
        parts[i].find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument(StrCat("invalid version range ", Quote(range),
                                    " (examples: 1.2.3, ^1.2, ~1.2.3, 1)"));
    }
    want[i] = std::stoll(parts[i]);
  }
  if (!v.pre.empty()) return false;  // pre-releases only by exact version
  Semver base{want[0], want[1], want[2], ""};
  if (op == '^') {
    if (v < base) return false;
    if (base.major != 0) return v.major == base.major;
    return v.major == 0 && v.minor == base.minor;
  }
  if (op == '~') {
    if (v < base) return false;
    return v.major == base.major &&
           (parts.size() == 1 || v.minor == base.minor);
  }
  // A prefix: "1" or "1.2"; a full version is matched exactly elsewhere.
  if (v.major != want[0]) return false;
  if (parts.size() >= 2 && v.minor != want[1]) return false;
  if (parts.size() == 3 && v.patch != want[2]) return false;
  return true;
}

}  // namespace

Result<bool> VersionInRange(const std::string& version,
                            const std::string& range) {
  WFS_ASSIGN_OR_RETURN(Semver v, ParseSemver(version));
  auto exact = ParseSemver(range);
  if (!range.empty() && exact.ok()) return *exact == v;
  return InRange(v, range);
}

Result<uint64_t> Store::Generation() {
  std::lock_guard lock(mu_);
  return GenerationLocked();
}

Result<uint64_t> Store::GenerationLocked() {
  CatalogGeneration& g = generation_;
  int64_t changes = db_->TotalChanges();
  int64_t now_us = clock_->MonotonicMicros();
  int64_t data_version = g.data_version;
  if (changes != g.changes ||
      now_us - g.asked_us >= options_.recheck_every.count()) {
    WFS_ASSIGN_OR_RETURN(data_version, db_->DataVersion());
    g.asked_us = now_us;
  }
  if (g.data_version != data_version || g.changes != changes) {
    ++g.number;
    g.data_version = data_version;
    g.changes = changes;
  }
  return g.number;
}

Result<PackageInfo> Store::Resolve(const std::string& name,
                                   const std::string& range) {
  std::lock_guard lock(mu_);
  // Inside a transaction (a gate resolving while it writes) the catalog may
  // hold changes that are later rolled back: no cache.
  if (db_->InTransaction()) return ResolveLocked(name, range);
  // The generation is read before resolving: a commit in between makes the
  // answer newer than its generation, never older, and the next call sees
  // the generation move.
  WFS_ASSIGN_OR_RETURN(uint64_t generation, GenerationLocked());
  ResolveCache& c = resolve_cache_;
  if (c.generation != generation) {
    c.entries.clear();
    c.generation = generation;
  }
  auto key = std::make_pair(name, range);
  auto it = c.entries.find(key);
  if (it != c.entries.end()) return it->second;
  WFS_ASSIGN_OR_RETURN(PackageInfo info, ResolveLocked(name, range));
  // Names and ranges come from callers: bound what they can make us keep.
  constexpr size_t kMaxEntries = 4096;
  if (c.entries.size() >= kMaxEntries) c.entries.clear();
  c.entries.emplace(std::move(key), info);
  return info;
}

Result<PackageInfo> Store::ResolveLocked(const std::string& name,
                                         const std::string& range) {
  if (!range.empty() && ParseSemver(range).ok()) {
    return GetLocked(name, range);  // exact: yanked versions still resolve
  }
  WFS_ASSIGN_OR_RETURN(std::vector<PackageInfo> versions,
                       VersionsLocked(name));
  if (versions.empty()) {
    return NotFound(StrCat("no workflow named ", name, " in the store"));
  }
  const PackageInfo* pre = nullptr;
  for (const PackageInfo& info : versions) {
    if (info.yanked) continue;
    WFS_ASSIGN_OR_RETURN(Semver v, ParseSemver(info.version));
    WFS_ASSIGN_OR_RETURN(bool ok, InRange(v, range));
    if (ok) return GetLocked(info.name, info.version);
    if (range.empty() && !pre) pre = &info;
  }
  if (pre) return GetLocked(pre->name, pre->version);
  return NotFound(StrCat("no version of ", name, " matches ",
                         range.empty() ? std::string("(any)") : Quote(range),
                         " (yanked versions resolve only by exact version)"));
}

Result<std::vector<PackageInfo>> Store::List() {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached(StrCat("SELECT ", kPackageColumns,
                         " FROM packages ORDER BY name, major DESC, minor "
                         "DESC, patch DESC, pre = '' DESC, pre DESC")));
  sql::ScopedReset st_reset(st);
  std::vector<PackageInfo> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    WFS_ASSIGN_OR_RETURN(PackageInfo info, ReadInfo(*st));
    out.push_back(std::move(info));
  }
  for (PackageInfo& info : out) {
    WFS_RETURN_IF_ERROR(FillDetailsLocked(&info));
  }
  return out;
}

Result<std::vector<PackageInfo>> Store::Dependents(const std::string& name,
                                                   const std::string& version) {
  std::lock_guard lock(mu_);
  return DependentsLocked(name, version);
}

Result<std::vector<PackageInfo>> Store::DependentsLocked(
    const std::string& name, const std::string& version) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("SELECT DISTINCT name, version FROM deps WHERE dep_name = ? "
                  "AND (? = '' OR dep_version = ?) ORDER BY name, version"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, name).Bind(2, version).Bind(3, version);
  std::vector<std::pair<std::string, std::string>> refs;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    refs.push_back({st->Text(0), st->Text(1)});
  }
  std::vector<PackageInfo> out;
  for (const auto& [n, v] : refs) {
    WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(n, v));
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::string> Store::Bytes(const std::string& name,
                                 const std::string& version) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(StoredPackage sp, LoadLocked(name, version));
  return sp.bytes;
}

Result<std::string> Store::Signature(const std::string& name,
                                     const std::string& version) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(StoredPackage sp, LoadLocked(name, version));
  return sp.signature;
}

Result<Package> Store::Load(const std::string& name,
                            const std::string& version) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(StoredPackage sp, LoadLocked(name, version));
  return std::move(sp.package);
}

Status Store::Verify(const std::string& name, const std::string& version) {
  return Load(name, version).status();
}

Result<Store::StoredPackage> Store::LoadLocked(const std::string& name,
                                               const std::string& version) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("SELECT bytes, signature, package_id, signer FROM packages "
                  "WHERE name = ? AND version = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, name).Bind(2, version);
  WFS_ASSIGN_OR_RETURN(bool row, st->Step());
  std::string ref = name + "@" + version;
  if (!row) {
    return NotFound(StrCat("no workflow ", ref,
                           " in the store (`wfstore list` shows what is)"));
  }
  StoredPackage sp;
  sp.bytes = st->Text(0);
  sp.signature = st->Text(1);
  std::string id = st->Text(2);
  std::string signer = st->Text(3);
  st->Reset();
  auto tampered = [&](const std::string& what) {
    return DataLoss(StrCat("package ", ref, " fails verification: ", what,
                           ". The store was changed outside wfstore; do not "
                           "run it (restore the store from a backup or "
                           "publish a new version)"));
  };
  if (Package::IdOf(sp.bytes) != id) {
    return tampered(StrCat("its bytes no longer match its digest ", id));
  }
  auto key = AllowedKey(NamespaceOf(name), signer);
  if (!key.ok()) return tampered(std::string(key.status().message()));
  auto verified = crypto::Verify(*key, sp.bytes, sp.signature);
  if (!verified.ok()) {
    return tampered(StrCat("its signature does not verify with key ", signer,
                           " (", verified.status().message(), ")"));
  }
  auto pkg = Package::Parse(sp.bytes);
  if (!pkg.ok()) return tampered(std::string(pkg.status().message()));
  if (pkg->name != name || pkg->version != version) {
    return tampered(StrCat("its bytes hold ", pkg->name, "@", pkg->version));
  }
  sp.package = *std::move(pkg);
  return sp;
}

Result<runtime::ProgramPtr> Store::LoadProgram(const std::string& name,
                                               const std::string& version) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(StoredPackage sp, LoadLocked(name, version));
  std::string key = Package::IdOf(sp.bytes);
  auto it = program_cache_.find(key);
  if (it != program_cache_.end()) return it->second;
  WFS_ASSIGN_OR_RETURN(runtime::ProgramPtr p,
                       runtime::Program::FromIr(sp.package.ir,
                                                sp.package.content_id));
  program_cache_[key] = p;
  return p;
}

// ---- starter catalog --------------------------------------------------------

Result<crypto::SecretKey> Store::StoreKey() {
  std::string keys = options_.dir + "/keys";
  if (::mkdir(keys.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable(StrCat("cannot create ", Quote(keys), ": ",
                              strerror(errno)));
  }
  std::string path = keys + "/store.key";
  // Twice at most: a key another process made between the look and the
  // write is the one to use.
  for (int attempt = 0;; ++attempt) {
    auto existing = crypto::LoadSecretKeyFile(path, "");
    if (existing.ok()) {
      // Known to the store, so what it signs (seeded packages, evidence)
      // verifies.
      WFS_RETURN_IF_ERROR(AddKey(existing->public_key(), "store"));
      return *existing;
    }
    if (existing.status().code() != Code::kNotFound) {
      return Status(existing.status().code(),
                    StrCat("the store's own key ", Quote(path),
                           " cannot be read: ", existing.status().message()));
    }
    crypto::KeyPair pair = crypto::GenerateKeyPair();
    Status written = crypto::WriteSecretKeyFile(
        path, crypto::FormatSecretKeyUnencrypted(pair.secret_key), false);
    if (written.code() == Code::kAlreadyExists && attempt == 0) continue;
    WFS_RETURN_IF_ERROR(written);
    WFS_RETURN_IF_ERROR(
        crypto::WritePublicKeyFile(keys + "/store.pub", pair.public_key));
    WFS_RETURN_IF_ERROR(AddKey(pair.public_key, "store"));
    return pair.secret_key;
  }
}

Result<SeedResult> Store::SeedStarterCatalog() {
  SeedResult out;
  WFS_ASSIGN_OR_RETURN(crypto::SecretKey key, StoreKey());
  std::lock_guard lock(mu_);
  // The check and the writes in one transaction (see the header).
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  {
    WFS_ASSIGN_OR_RETURN(sql::Stmt * st,
                         db_->Cached("SELECT COUNT(*) FROM packages"));
    sql::ScopedReset st_reset(st);
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->Int(0) > 0) return out;
  }
  WFS_ASSIGN_OR_RETURN(std::vector<PublishResult> published,
                       Publish(BuiltinCatalog(), key));
  for (const PublishResult& r : published) {
    ++out.published;
    auto a = Promote(r.info.name, r.info.version, "tested", key);
    if (a.ok()) {
      ++out.tested;
    } else if (a.status().code() == Code::kFailedPrecondition) {
      // Its gate does not hold here: it stays a draft, and the caller says so.
      out.problems.push_back(StrCat(r.info.name, "@", r.info.version, ": ",
                                    a.status().message()));
    } else {
      // The store could not record it: nothing of the catalog is kept.
      return Status(a.status().code(),
                    StrCat("promoting ", r.info.name, "@", r.info.version, ": ",
                           a.status().message()));
    }
  }
  WFS_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace wfs::store
