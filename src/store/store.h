// The catalog: packages, versions, stages, keys, signatures, attestations
// (docs/store.md).
//
//   StoreOptions o;  o.dir = "~/.wfstore";
//   auto store = Store::Open(o).value();
//   store->Publish({{"mail/delete.wf", text}}, key);        // draft
//   store->Promote("mail.delete_message", "1.0.0", "tested", key);
//   store->Report("mail.delete_message", "") -> the rigor report
//
// Every package is signed; every load re-checks bytes, digest, signature and
// that the signing key may publish in the package's namespace, so a package
// changed behind the store's back is refused (DataLoss). Every promotion
// checks its gate and records a signed in-toto attestation.
#ifndef WFSTORE_STORE_STORE_H_
#define WFSTORE_STORE_STORE_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "connectors/sim/world.h"
#include "crypto/keys.h"
#include "lang/compiler.h"
#include "runtime/program.h"
#include "sql/sqlite.h"
#include "store/package.h"

namespace wfs::store {

// The lifecycle, in order. Deprecated and yanked are marks on a package,
// set with Deprecate and Yank, not stages one promotes to.
inline constexpr const char* kStages[] = {"draft",    "tested", "hardened",
                                          "reviewed", "canary", "stable"};
int StageIndex(const std::string& stage);  // -1 when unknown

// Predicate types of evidence the gates accept.
inline constexpr char kHardeningPredicate[] =
    "https://wfstore.dev/attestations/hardening/v1";
inline constexpr char kRolloutPredicate[] =
    "https://wfstore.dev/attestations/rollout/v1";

// Flags that start with this prefix record a demotion (Store::Demote). A
// re-check leaves them in place: only a new version clears them.
inline constexpr char kDemotedFlagPrefix[] = "demoted to ";

// Whether `version` satisfies `range` as Store::Resolve reads ranges: "" (any
// release), "1.2.3" (exactly), "^1.2", "~1.2.3", "1", "1.2".
// InvalidArgument for a malformed version or range.
Result<bool> VersionInRange(const std::string& version,
                            const std::string& range);

struct StoreOptions {
  std::string dir;  // holds store.db; created when absent
  const Clock* clock = nullptr;
  int required_reviews = 2;
  // Extra interface files (.wfi) the store checks workflows against, beside
  // the built-in ones.
  std::vector<lang::SourceText> interfaces;
  // Property cases per property for the `tested` gate.
  int property_cases = 200;
  // How long Resolve trusts its cached answers before asking the database
  // whether another process changed the catalog (a read transaction per
  // ask); writes through this store are seen at once. 0: ask every time. A
  // server answering many calls sets a millisecond: a yank or promotion
  // from the command line then takes effect within it.
  std::chrono::microseconds recheck_every{0};
};

struct PackageInfo {
  std::string name;
  std::string version;
  std::string package_id;
  std::string content_id;
  std::string signer;  // key id (hex) of the publisher
  std::string stage;
  bool yanked = false;
  std::string yank_reason;
  std::string deprecated;  // the message, when deprecated
  std::string successor;
  int64_t published_us = 0;
  std::vector<Dependency> deps;
  std::vector<std::string> flags;  // open problems (e.g. failed recheck)
  std::string summary;
};

struct Attestation {
  std::string kind;  // promotion, review, evidence
  std::string stage;
  std::string predicate_type;
  Json predicate;
  std::string signer;  // key id
  int64_t created_us = 0;
  std::string envelope;  // the DSSE envelope (JSON)
  bool verified = false;  // the envelope verifies with the signer's key
};

struct SeedResult {
  int published = 0;  // 0 when the store already held packages
  int tested = 0;     // promoted to `tested` (their tests passed)
  std::vector<std::string> problems;  // why others were not
};

struct PublishResult {
  PackageInfo info;
  bool already = false;  // identical package was published before
  std::vector<lang::Diagnostic> warnings;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();

  // ---- keys and namespaces ---------------------------------------------------
  // Registers a public key (idempotent).
  Status AddKey(const crypto::PublicKey& key, const std::string& label);
  // Allows `key` to publish in `ns`. The namespace's owner signs the grant.
  Status AllowInNamespace(const std::string& ns, const crypto::PublicKey& key,
                          const crypto::SecretKey& owner);
  Result<crypto::PublicKey> GetKey(const std::string& key_id);

  // ---- publishing ---------------------------------------------------------------
  // Checks, signs and stores workflows (one transaction). A namespace seen
  // for the first time becomes the signer's. Errors: InvalidArgument with the
  // checker's diagnostics; PermissionDenied when the key may not publish in
  // the namespace; AlreadyExists when name@version exists with other
  // content (published versions are immutable).
  Result<std::vector<PublishResult>> Publish(
      const std::vector<lang::SourceText>& files, const crypto::SecretKey& key);

  // ---- reading ----------------------------------------------------------------
  Result<PackageInfo> Get(const std::string& name, const std::string& version);
  // The newest version that is not yanked (releases before pre-releases).
  Result<PackageInfo> Latest(const std::string& name);
  // Resolves "1.2.3", "" (latest), "^1.2", "~1.2.3" or "1" to a version;
  // yanked versions match only an exact version. Answers are cached until
  // the catalog changes (through this store, or any other connection or
  // process writing the same catalog.db), so they always reflect the latest
  // publishes, promotions and yanks.
  Result<PackageInfo> Resolve(const std::string& name,
                              const std::string& range);
  // A number that moves whenever the catalog may have changed: at once for
  // writes through this store, within `recheck_every` for commits of other
  // connections and processes. What is derived from the catalog (Resolve's
  // answers, a server's search index) is rebuilt when it moves; read it
  // before reading the catalog, so that a change in between shows as a move
  // at the next look.
  Result<uint64_t> Generation();
  Result<std::vector<PackageInfo>> List();
  // Packages that depend on name@version.
  Result<std::vector<PackageInfo>> Dependents(const std::string& name,
                                              const std::string& version);
  // The verified package (bytes, digest, signature, namespace key).
  Result<Package> Load(const std::string& name, const std::string& version);
  Result<std::string> Bytes(const std::string& name, const std::string& version);
  Result<std::string> Signature(const std::string& name,
                                const std::string& version);
  // The runtime program of a verified package (cached).
  Result<runtime::ProgramPtr> LoadProgram(const std::string& name,
                                          const std::string& version);
  // Resolves sub-workflows for the runtime from verified packages.
  const runtime::ProgramResolver& programs() const;
  Status Verify(const std::string& name, const std::string& version);

  // ---- lifecycle -----------------------------------------------------------------
  // Moves name@version to `stage` (the next one only) when its gate holds,
  // recording an attestation signed by `key`. `evidence` (a DSSE envelope)
  // is what the hardened gate accepts. FailedPrecondition names what is
  // missing.
  Result<Attestation> Promote(const std::string& name,
                              const std::string& version,
                              const std::string& stage,
                              const crypto::SecretKey& key,
                              const std::string& evidence = "");
  // A review signature by a key other than the publisher's.
  Result<Attestation> Review(const std::string& name,
                             const std::string& version,
                             const crypto::SecretKey& key,
                             const std::string& comment);
  // Records evidence (e.g. a hardening run) signed by `key`: a DSSE
  // envelope whose statement's subject is the package.
  Status AddEvidence(const std::string& name, const std::string& version,
                     const std::string& envelope);
  // Signs `predicate` as an in-toto statement of `predicate_type` about
  // name@version with `key` (which the store must know) and records it as
  // evidence, e.g. a passed hardening run (kHardeningPredicate).
  Result<Attestation> RecordEvidence(const std::string& name,
                                     const std::string& version,
                                     const std::string& predicate_type,
                                     Json predicate,
                                     const crypto::SecretKey& key);
  // Moves name@version back to the earlier `stage` (e.g. a canary rolled
  // back, or a hardened workflow that no longer passes), recording a signed
  // attestation (kind "demotion", predicate {reason, details}) and a flag
  // (kDemotedFlagPrefix) that keeps it from being promoted again: fixing it
  // means publishing a new version. `key` must be allowed in the namespace
  // or be the store's own key (demoting only ever lowers trust).
  Result<Attestation> Demote(const std::string& name,
                             const std::string& version,
                             const std::string& stage,
                             const std::string& reason, Json details,
                             const crypto::SecretKey& key);
  // Hides name@version from new resolution (pinned callers still work) and
  // flags its dependents. `key` must be allowed in the namespace; the act is
  // recorded as a signed attestation.
  Status Yank(const std::string& name, const std::string& version,
              const std::string& reason, const crypto::SecretKey& key);
  // Marks name@version deprecated with a message and an optional successor
  // ("name@version", which must exist).
  Status Deprecate(const std::string& name, const std::string& version,
                   const std::string& message, const std::string& successor,
                   const crypto::SecretKey& key);
  // Every attestation of name@version, oldest first, each re-verified
  // (`verified` false when its envelope no longer verifies).
  Result<std::vector<Attestation>> Attestations(const std::string& name,
                                                const std::string& version);
  // Re-checks and re-tests packages against the current interfaces and
  // dependencies; those that fail get a flag (shown in their report).
  // Returns what was flagged.
  Result<std::vector<std::string>> Recheck();

  // ---- reports and what search indexes ------------------------------------------
  // The rigor report (JSON; docs/store.md lists its fields).
  Result<Json> Report(const std::string& name, const std::string& version);

  // What a search index needs of each package that is not yanked, read from
  // the stored IR without verifying signatures (the text is for ranking
  // only; running a package always verifies it).
  struct IndexEntry {
    std::string name, version, stage, summary, signer;
    std::vector<std::string> intents;
    std::vector<std::pair<std::string, std::string>> params;  // name, doc
    std::vector<std::string> effects;  // "mail.delete", ...
  };
  Result<std::vector<IndexEntry>> IndexEntries();

  // Seeds a new, empty store with the built-in starter catalog, signed with
  // the store's own key (created in dir/keys). No-op when packages exist.
  // One transaction: processes starting on the same new store at once seed
  // it once (the others wait, then find it seeded), and a start stopped
  // midway leaves no workflow (only the store's key), to be seeded by the
  // next.
  Result<SeedResult> SeedStarterCatalog();
  // The store's own signing key (dir/keys/store.key, made when absent; when
  // another process makes it at the same time, the one it made).
  Result<crypto::SecretKey> StoreKey();

  const lang::InterfaceSet& interfaces() const { return compiler_->interfaces(); }
  const std::string& dir() const { return options_.dir; }
  // Reviews the `reviewed` gate requires. Kept in the store (it outlives
  // options): SetRequiredReviews persists it, Open reads it back.
  int required_reviews() const { return options_.required_reviews; }
  Status SetRequiredReviews(int n);
  const connectors::sim::WorldSchema& schema() const { return schema_; }
  // Digest of the interface set workflows are checked against.
  std::string InterfacesDigest() const;
  int64_t NowMicros() const { return clock_->NowMicros(); }

 private:
  class Signatures;
  class Programs;
  struct StoredPackage {
    std::string bytes;
    std::string signature;
    Package package;
  };
  explicit Store(StoreOptions options);
  Status Init();
  Result<std::string> GetMeta(const std::string& key);
  Status SetMeta(const std::string& key, const std::string& value);
  // *Locked: the caller holds mu_.
  Status AddKeyLocked(const crypto::PublicKey& key, const std::string& label);
  Result<crypto::PublicKey> GetKeyLocked(const std::string& key_id);
  Result<std::vector<crypto::PublicKey>> AllKeysLocked();
  Result<std::string> OwnerLocked(const std::string& ns);
  Result<PackageInfo> ReadInfo(sql::Stmt& st);
  Status FillDetailsLocked(PackageInfo* info);
  Result<PackageInfo> GetLocked(const std::string& name,
                                const std::string& version);
  Result<PackageInfo> ResolveLocked(const std::string& name,
                                    const std::string& range);
  Result<std::vector<PackageInfo>> VersionsLocked(const std::string& name);
  Result<std::vector<PackageInfo>> DependentsLocked(const std::string& name,
                                                    const std::string& version);
  Result<StoredPackage> LoadLocked(const std::string& name,
                                   const std::string& version);
  Result<crypto::PublicKey> AllowedKey(const std::string& ns,
                                       const std::string& key_id);
  Result<std::vector<Attestation>> AttestationsLocked(
      const std::string& name, const std::string& version);
  Result<Attestation> Attest(const PackageInfo& info, const std::string& kind,
                             const std::string& stage,
                             const std::string& predicate_type,
                             Json predicate, const crypto::SecretKey& key);
  Status InsertAttestation(const PackageInfo& info, const Attestation& a);
  // Verifies a DSSE envelope about `info` signed by a registered key.
  Result<Attestation> CheckEvidence(const PackageInfo& info,
                                    const std::string& envelope);
  // Moves info's row from info.stage to `stage` (Aborted if it moved
  // meanwhile). The caller holds mu_ and a transaction.
  Status SetStageLocked(const PackageInfo& info, const std::string& stage);
  Result<Json> CheckGate(const PackageInfo& info, const std::string& stage,
                         const std::string& evidence);
  Result<Json> RunTests(const Package& package, bool* passed);
  Status RecheckOne(const PackageInfo& info, std::vector<std::string>* flags);

  StoreOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::unique_ptr<Signatures> signatures_;
  std::unique_ptr<Programs> programs_;
  std::unique_ptr<lang::Compiler> compiler_;
  connectors::sim::WorldSchema schema_;
  std::unique_ptr<sql::Db> db_;
  // The database connection and caches. Recursive: gates load programs and
  // the checker resolves sub-workflows through the store while it is held.
  std::recursive_mutex mu_;
  std::map<std::string, runtime::ProgramPtr> program_cache_;
  Result<uint64_t> GenerationLocked();
  // The catalog's generation: this connection's change count (writes
  // through this store) and SQLite's data_version (commits of other
  // connections and processes); either moving moves `number`.
  struct CatalogGeneration {
    uint64_t number = 0;
    int64_t changes = -1;
    int64_t data_version = -1;
    int64_t asked_us = 0;  // data_version read (clock_'s monotonic time)
  };
  CatalogGeneration generation_;
  // Resolve's answers for one generation of the catalog.
  struct ResolveCache {
    uint64_t generation = 0;
    std::map<std::pair<std::string, std::string>, PackageInfo> entries;
  };
  ResolveCache resolve_cache_;
};

// The starter catalog compiled into the binary: (path, text) of every
// catalog/*/*.wf.
const std::vector<lang::SourceText>& BuiltinCatalog();

}  // namespace wfs::store

#endif  // WFSTORE_STORE_STORE_H_
