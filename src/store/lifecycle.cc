// Stages, gates, reviews, evidence, yanking, deprecation and re-checks.
#include <algorithm>
#include <set>

#include "base/sha256.h"
#include "base/strings.h"
#include "crypto/dsse.h"
#include "crypto/intoto.h"
#include "store/internal.h"
#include "store/store.h"
#include "testing/test_runner.h"

namespace wfs::store {

using internal::StrMember;

namespace {

// The hex digest in a package id ("sha256:<hex>").
std::string DigestHex(const std::string& package_id) {
  return package_id.substr(package_id.find(':') + 1);
}

std::string Ref(const PackageInfo& info) {
  return info.name + "@" + info.version;
}

}  // namespace

Result<Attestation> Store::Attest(const PackageInfo& info,
                                  const std::string& kind,
                                  const std::string& stage,
                                  const std::string& predicate_type,
                                  Json predicate,
                                  const crypto::SecretKey& key) {
  crypto::Statement st;
  st.subjects.push_back({Ref(info), DigestHex(info.package_id)});
  st.predicate_type = predicate_type;
  predicate["package"] = Ref(info);
  predicate["at"] = FormatRfc3339(clock_->NowMicros());
  st.predicate = std::move(predicate);
  WFS_ASSIGN_OR_RETURN(crypto::DsseEnvelope env,
                       crypto::SignStatement(st, key));
  Attestation a;
  a.kind = kind;
  a.stage = stage;
  a.predicate_type = predicate_type;
  a.predicate = st.predicate;
  a.signer = crypto::KeyIdHex(key.key_id());
  a.created_us = clock_->NowMicros();
  a.envelope = crypto::FormatDsseEnvelope(env);
  a.verified = true;
  return a;
}

Status Store::InsertAttestation(const PackageInfo& info, const Attestation& a) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("INSERT INTO attestations(name, version, kind, stage, "
                  "predicate_type, signer, created_us, envelope) "
                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, info.name)
      .Bind(2, info.version)
      .Bind(3, a.kind)
      .Bind(4, a.stage)
      .Bind(5, a.predicate_type)
      .Bind(6, a.signer)
      .Bind(7, a.created_us)
      .Bind(8, a.envelope);
  return st->Run();
}

Result<std::vector<Attestation>> Store::Attestations(
    const std::string& name, const std::string& version) {
  std::lock_guard lock(mu_);
  return AttestationsLocked(name, version);
}

Result<std::vector<Attestation>> Store::AttestationsLocked(
    const std::string& name, const std::string& version) {
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("SELECT kind, stage, predicate_type, signer, created_us, "
                  "envelope FROM attestations WHERE name = ? AND version = ? "
                  "ORDER BY id"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, name).Bind(2, version);
  std::vector<Attestation> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    Attestation a;
    a.kind = st->Text(0);
    a.stage = st->Text(1);
    a.predicate_type = st->Text(2);
    a.signer = st->Text(3);
    a.created_us = st->Int(4);
    a.envelope = st->Text(5);
    out.push_back(std::move(a));
  }
  // Nothing in a row is believed until its envelope verifies: the predicate
  // shown is the one the signature covers, about this very package.
  for (Attestation& a : out) {
    a.predicate = Json::object();
    auto key = GetKeyLocked(a.signer);
    if (!key.ok()) continue;
    auto env = crypto::ParseDsseEnvelope(a.envelope);
    if (!env.ok()) continue;
    crypto::PublicKey keys[] = {*key};
    auto v = crypto::VerifyStatement(*env, keys);
    if (!v.ok()) continue;
    const crypto::Statement& s = v->statement;
    bool about_this = false;
    for (const crypto::Subject& sub : s.subjects) {
      if (sub.sha256 == DigestHex(info.package_id)) about_this = true;
    }
    if (!about_this || s.predicate_type != a.predicate_type) continue;
    a.predicate = s.predicate;
    a.verified = true;
  }
  return out;
}

Result<Attestation> Store::CheckEvidence(const PackageInfo& info,
                                         const std::string& envelope) {
  auto env = crypto::ParseDsseEnvelope(envelope);
  if (!env.ok()) {
    return InvalidArgument(StrCat("the evidence is not a DSSE envelope: ",
                                  env.status().message()));
  }
  WFS_ASSIGN_OR_RETURN(std::vector<crypto::PublicKey> keys, AllKeysLocked());
  if (keys.empty()) return FailedPrecondition("the store has no keys");
  auto v = crypto::VerifyStatement(*env, keys);
  if (!v.ok()) {
    return Status(
        v.status().code() == Code::kUnauthenticated
            ? Code::kPermissionDenied
            : v.status().code(),
        StrCat("the evidence does not verify with any key the store knows (",
               v.status().message(),
               "); register the signer's public key with `wfstore key add`"));
  }
  bool about_this = false;
  for (const crypto::Subject& s : v->statement.subjects) {
    if (s.sha256 == DigestHex(info.package_id)) about_this = true;
  }
  if (!about_this) {
    return FailedPrecondition(
        StrCat("the evidence is about another package: its subjects do not "
               "include ",
               info.package_id, " (", Ref(info), ")"));
  }
  Attestation a;
  a.kind = "evidence";
  a.predicate_type = v->statement.predicate_type;
  a.predicate = v->statement.predicate;
  a.signer = v->key_ids.front();
  a.created_us = clock_->NowMicros();
  a.envelope = crypto::FormatDsseEnvelope(*env);
  a.verified = true;
  return a;
}

Result<Attestation> Store::RecordEvidence(const std::string& name,
                                          const std::string& version,
                                          const std::string& predicate_type,
                                          Json predicate,
                                          const crypto::SecretKey& key) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  WFS_ASSIGN_OR_RETURN(crypto::PublicKey known,
                       GetKeyLocked(crypto::KeyIdHex(key.key_id())));
  (void)known;
  WFS_ASSIGN_OR_RETURN(Attestation a, Attest(info, "evidence", "",
                                             predicate_type,
                                             std::move(predicate), key));
  WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
  return a;
}

Status Store::AddEvidence(const std::string& name, const std::string& version,
                          const std::string& envelope) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  WFS_ASSIGN_OR_RETURN(Attestation a, CheckEvidence(info, envelope));
  return InsertAttestation(info, a);
}

Result<Json> Store::RunTests(const Package& package, bool* passed) {
  WFS_ASSIGN_OR_RETURN(runtime::ProgramPtr program,
                       runtime::Program::FromIr(package.ir, package.content_id));
  testing::TestRunner runner(schema_, &programs());
  testing::TestOptions opts;
  opts.seed = 1;
  opts.property_cases = options_.property_cases;
  int64_t start = clock_->NowMicros();
  std::vector<testing::TestResult> results = runner.Run(*program, opts);
  int tests = 0, properties = 0, cases = 0, failed = 0;
  Json list = Json::array();
  for (const testing::TestResult& r : results) {
    (r.property ? properties : tests)++;
    cases += r.cases;
    if (!r.passed) ++failed;
    Json item = {{"name", r.name},
                 {"property", r.property},
                 {"passed", r.passed},
                 {"cases", r.cases}};
    if (!r.passed) item["message"] = r.message;
    list.push_back(std::move(item));
  }
  *passed = failed == 0 && !results.empty();
  return Json{{"runner", "wfstore-test/1"},
              {"seed", 1},
              {"property_cases", options_.property_cases},
              {"tests", tests},
              {"properties", properties},
              {"cases", cases},
              {"failed", failed},
              {"millis", (clock_->NowMicros() - start) / 1000},
              {"results", list}};
}

Result<Json> Store::CheckGate(const PackageInfo& info, const std::string& stage,
                              const std::string& evidence) {
  std::string ref = Ref(info);
  if (stage == "tested") {
    WFS_ASSIGN_OR_RETURN(StoredPackage sp, LoadLocked(info.name, info.version));
    bool passed = false;
    WFS_ASSIGN_OR_RETURN(Json gate, RunTests(sp.package, &passed));
    if (gate["results"].empty()) {
      return FailedPrecondition(
          StrCat(ref, " has no tests or properties; the `tested` gate runs "
                      "them, so add `test` blocks to the workflow"));
    }
    if (!passed) {
      std::vector<std::string> failing;
      for (const Json& r : gate["results"]) {
        if (!r["passed"].get<bool>()) {
          failing.push_back(StrCat(r["name"].get<std::string>(), ": ",
                                   r.value("message", "")));
        }
      }
      return FailedPrecondition(
          StrCat(ref, " failed ", failing.size(), " of ",
                 gate["results"].size(), " tests:\n  ",
                 StrJoin(failing, "\n  "),
                 "\n(`wfstore test FILE` reproduces them)"));
    }
    return gate;
  }
  if (stage == "hardened" || stage == "stable") {
    const char* type =
        stage == "hardened" ? internal::kHardeningType : internal::kRolloutType;
    const char* what = stage == "hardened"
                           ? "a passed adversarial evaluation"
                           : "a clean canary rollout";
    std::vector<Attestation> candidates;
    if (!evidence.empty()) {
      WFS_ASSIGN_OR_RETURN(Attestation a, CheckEvidence(info, evidence));
      if (a.predicate_type != type) {
        return FailedPrecondition(
            StrCat("the evidence has predicate type ", a.predicate_type,
                   "; `", stage, "` needs ", type));
      }
      WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
      candidates.push_back(a);
    } else {
      WFS_ASSIGN_OR_RETURN(std::vector<Attestation> all,
                           AttestationsLocked(info.name, info.version));
      for (Attestation& a : all) {
        if (a.kind == "evidence" && a.verified && a.predicate_type == type) {
          candidates.push_back(std::move(a));
        }
      }
    }
    for (const Attestation& a : candidates) {
      const Json& p = a.predicate;
      auto it = p.find("passed");
      if (it != p.end() && it->is_boolean() && it->get<bool>()) {
        return Json{{"evidence",
                     {{"signer", a.signer},
                      {"predicate_type", a.predicate_type},
                      {"digest", "sha256:" + Sha256Hex(a.envelope)}}}};
      }
    }
    return FailedPrecondition(StrCat(
        ref, " has no evidence of ", what, " (an in-toto statement of type ",
        type, " with \"passed\": true, signed by a key the store knows)",
        candidates.empty() ? "" : "; the evidence given did not pass",
        stage == "hardened" ? "; `wfstore harden` produces it"
                            : "; a canary rollout records it"));
  }
  if (stage == "reviewed") {
    WFS_ASSIGN_OR_RETURN(std::vector<Attestation> all,
                         AttestationsLocked(info.name, info.version));
    std::set<std::string> reviewers;
    for (const Attestation& a : all) {
      if (a.kind == "review" && a.verified && a.signer != info.signer &&
          StrMember(a.predicate, "verdict") == "approve") {
        reviewers.insert(a.signer);
      }
    }
    if (static_cast<int>(reviewers.size()) < options_.required_reviews) {
      return FailedPrecondition(StrCat(
          ref, " has ", reviewers.size(), " of the ",
          options_.required_reviews,
          " required reviews by keys other than the publisher's; reviewers "
          "sign with `wfstore review ",
          ref, " --key KEY`"));
    }
    return Json{{"reviews", reviewers.size()},
                {"required", options_.required_reviews},
                {"reviewers", std::vector<std::string>(reviewers.begin(),
                                                       reviewers.end())}};
  }
  if (stage == "canary") {
    // The package must still hold: bytes and signature re-verified, no open
    // flags (checked by Promote), every dependency itself at least reviewed.
    WFS_ASSIGN_OR_RETURN(StoredPackage sp, LoadLocked(info.name, info.version));
    for (const Dependency& d : sp.package.deps) {
      WFS_ASSIGN_OR_RETURN(PackageInfo di, GetLocked(d.name, d.version));
      if (StageIndex(di.stage) < StageIndex("reviewed")) {
        return FailedPrecondition(
            StrCat(ref, " depends on ", d.name, "@", d.version, ", which is ",
                   di.stage, "; dependencies must be reviewed first"));
      }
    }
    return Json{{"verified", true}, {"dependencies", sp.package.deps.size()}};
  }
  return InvalidArgument(StrCat("unknown stage ", Quote(stage)));
}

Status Store::SetStageLocked(const PackageInfo& info,
                             const std::string& stage) {
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("UPDATE packages SET stage = ? WHERE name = ? AND "
                  "version = ? AND stage = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, stage).Bind(2, info.name).Bind(3, info.version).Bind(4,
                                                                    info.stage);
  WFS_RETURN_IF_ERROR(st->Run());
  if (db_->Changes() != 1) {
    return Aborted(StrCat(Ref(info), " changed stage meanwhile; try again"));
  }
  return Status::Ok();
}

Result<Attestation> Store::Promote(const std::string& name,
                                   const std::string& version,
                                   const std::string& stage,
                                   const crypto::SecretKey& key,
                                   const std::string& evidence) {
  std::lock_guard lock(mu_);
  // Read and checked inside the write transaction: of two processes
  // promoting the same version at once, the second sees it promoted.
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  std::string ref = Ref(info);
  int want = StageIndex(stage);
  int have = StageIndex(info.stage);
  if (want < 0) {
    return InvalidArgument(StrCat(
        "unknown stage ", Quote(stage),
        " (stages: draft, tested, hardened, reviewed, canary, stable)"));
  }
  if (info.yanked) {
    return FailedPrecondition(StrCat(ref, " is yanked; it cannot be promoted"));
  }
  if (want <= have) {
    return FailedPrecondition(
        StrCat(ref, " is already ", info.stage, "; stages only move forward"));
  }
  if (want != have + 1) {
    return FailedPrecondition(StrCat(
        ref, " is ", info.stage, "; the next stage is ", kStages[have + 1],
        ", and no gate may be skipped (promote to ", kStages[have + 1],
        " first)"));
  }
  if (!info.flags.empty()) {
    return FailedPrecondition(StrCat(ref, " has open problems:\n  ",
                                     StrJoin(info.flags, "\n  "),
                                     "\nfix them (publish a new version) "
                                     "before promoting"));
  }
  auto allowed = AllowedKey(NamespaceOf(name), crypto::KeyIdHex(key.key_id()));
  if (!allowed.ok() || !(*allowed == key.public_key())) {
    return PermissionDenied(StrCat(
        "key ", crypto::KeyIdHex(key.key_id()), " may not promote ", ref,
        ": only keys allowed in namespace ", Quote(NamespaceOf(name)),
        " may"));
  }
  WFS_ASSIGN_OR_RETURN(Json gate, CheckGate(info, stage, evidence));
  Json predicate = {{"from", info.stage}, {"stage", stage}, {"gate", gate}};
  WFS_ASSIGN_OR_RETURN(Attestation a,
                       Attest(info, "promotion", stage,
                              internal::kPromotionType, predicate, key));
  WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
  WFS_RETURN_IF_ERROR(SetStageLocked(info, stage));
  WFS_RETURN_IF_ERROR(txn.Commit());
  return a;
}

Result<Attestation> Store::Review(const std::string& name,
                                  const std::string& version,
                                  const crypto::SecretKey& key,
                                  const std::string& comment) {
  std::lock_guard lock(mu_);
  sql::Txn txn(db_.get());  // one review per key, also across processes
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  std::string reviewer = crypto::KeyIdHex(key.key_id());
  if (reviewer == info.signer) {
    return PermissionDenied(
        StrCat("key ", reviewer, " published ", Ref(info),
               "; a review must come from someone else's key"));
  }
  WFS_ASSIGN_OR_RETURN(std::vector<Attestation> all,
                       AttestationsLocked(name, version));
  for (const Attestation& a : all) {
    if (a.kind == "review" && a.signer == reviewer && a.verified) {
      return AlreadyExists(
          StrCat("key ", reviewer, " has already reviewed ", Ref(info)));
    }
  }
  // The reviewer reads what is stored: the package must verify.
  WFS_RETURN_IF_ERROR(LoadLocked(name, version).status());
  WFS_RETURN_IF_ERROR(AddKeyLocked(key.public_key(), "reviewer"));
  Json predicate = {{"verdict", "approve"}, {"comment", comment}};
  WFS_ASSIGN_OR_RETURN(Attestation a,
                       Attest(info, "review", info.stage, internal::kReviewType,
                              predicate, key));
  WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
  WFS_RETURN_IF_ERROR(txn.Commit());
  return a;
}

Result<Attestation> Store::Demote(const std::string& name,
                                  const std::string& version,
                                  const std::string& stage,
                                  const std::string& reason, Json details,
                                  const crypto::SecretKey& key) {
  std::lock_guard lock(mu_);
  // The stage is read inside the write transaction: of two processes
  // demoting the same version at once, the second finds it demoted.
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  std::string ref = Ref(info);
  int want = StageIndex(stage);
  if (want < 0) return InvalidArgument(StrCat("unknown stage ", Quote(stage)));
  if (want >= StageIndex(info.stage)) {
    return FailedPrecondition(StrCat(ref, " is ", info.stage,
                                     "; a demotion moves to an earlier stage"));
  }
  if (reason.empty()) return InvalidArgument("a demotion needs a reason");
  std::string key_id = crypto::KeyIdHex(key.key_id());
  auto own = crypto::LoadSecretKeyFile(options_.dir + "/keys/store.key", "");
  if (!own.ok() || crypto::KeyIdHex(own->key_id()) != key_id) {
    auto allowed = AllowedKey(NamespaceOf(name), key_id);
    if (!allowed.ok() || !(*allowed == key.public_key())) {
      return PermissionDenied(StrCat(
          "key ", key_id, " may not demote ", ref, ": only the store's key ",
          "and keys allowed in namespace ", Quote(NamespaceOf(name)), " may"));
    }
  }
  Json predicate = {{"from", info.stage},
                    {"stage", stage},
                    {"reason", reason},
                    {"details", std::move(details)}};
  WFS_ASSIGN_OR_RETURN(Attestation a,
                       Attest(info, "demotion", stage, internal::kDemotionType,
                              predicate, key));
  WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
  WFS_RETURN_IF_ERROR(SetStageLocked(info, stage));
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * ins,
      db_->Cached("INSERT OR IGNORE INTO flags(name, version, flag, "
                  "created_us) VALUES(?, ?, ?, ?)"));
  sql::ScopedReset ins_reset(ins);
  ins->Bind(1, name)
      .Bind(2, version)
      .Bind(3, StrCat(kDemotedFlagPrefix, stage, ": ", reason))
      .Bind(4, clock_->NowMicros());
  WFS_RETURN_IF_ERROR(ins->Run());
  WFS_RETURN_IF_ERROR(txn.Commit());
  return a;
}

Status Store::Yank(const std::string& name, const std::string& version,
                   const std::string& reason, const crypto::SecretKey& key) {
  {
    std::lock_guard lock(mu_);
    sql::Txn txn(db_.get());  // one yank, also across processes
    WFS_RETURN_IF_ERROR(txn.Begin());
    WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
    WFS_RETURN_IF_ERROR(
        AllowedKey(NamespaceOf(name), crypto::KeyIdHex(key.key_id()))
            .status());
    if (info.yanked) return Status::Ok();
    WFS_ASSIGN_OR_RETURN(Attestation a,
                         Attest(info, "yank", info.stage, internal::kYankType,
                                Json{{"reason", reason}}, key));
    WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt * st,
        db_->Cached("UPDATE packages SET yanked = 1, yank_reason = ? WHERE "
                    "name = ? AND version = ?"));
    sql::ScopedReset st_reset(st);
    st->Bind(1, reason).Bind(2, name).Bind(3, version);
    WFS_RETURN_IF_ERROR(st->Run());
    WFS_RETURN_IF_ERROR(txn.Commit());
  }
  // Dependents learn of it in their reports.
  return Recheck().status();
}

Status Store::Deprecate(const std::string& name, const std::string& version,
                        const std::string& message,
                        const std::string& successor,
                        const crypto::SecretKey& key) {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(name, version));
  WFS_RETURN_IF_ERROR(
      AllowedKey(NamespaceOf(name), crypto::KeyIdHex(key.key_id())).status());
  if (message.empty()) {
    return InvalidArgument("a deprecation needs a message saying what to use");
  }
  if (!successor.empty()) {
    size_t at = successor.rfind('@');
    if (at == std::string::npos) {
      return InvalidArgument(StrCat("successor ", Quote(successor),
                                    " must be NAME@VERSION"));
    }
    WFS_RETURN_IF_ERROR(
        GetLocked(successor.substr(0, at), successor.substr(at + 1)).status());
  }
  sql::Txn txn(db_.get());
  WFS_RETURN_IF_ERROR(txn.Begin());
  WFS_ASSIGN_OR_RETURN(
      Attestation a,
      Attest(info, "deprecation", info.stage, internal::kDeprecationType,
             Json{{"message", message}, {"successor", successor}}, key));
  WFS_RETURN_IF_ERROR(InsertAttestation(info, a));
  WFS_ASSIGN_OR_RETURN(
      sql::Stmt * st,
      db_->Cached("UPDATE packages SET deprecated = ?, successor = ? WHERE "
                  "name = ? AND version = ?"));
  sql::ScopedReset st_reset(st);
  st->Bind(1, message).Bind(2, successor).Bind(3, name).Bind(4, version);
  WFS_RETURN_IF_ERROR(st->Run());
  return txn.Commit();
}

// ---- change ------------------------------------------------------------------

Status Store::RecheckOne(const PackageInfo& info,
                         std::vector<std::string>* flags) {
  auto sp = LoadLocked(info.name, info.version);
  if (!sp.ok()) {
    flags->push_back(std::string(sp.status().message()));
    return Status::Ok();
  }
  for (const Dependency& d : sp->package.deps) {
    auto di = GetLocked(d.name, d.version);
    std::string dref = d.name + "@" + d.version;
    if (!di.ok()) {
      flags->push_back(StrCat("depends on ", dref, ", which is missing"));
      continue;
    }
    if (di->package_id != d.package) {
      flags->push_back(StrCat("depends on ", dref,
                              ", whose stored package differs from the one "
                              "pinned at publish"));
    }
    if (di->yanked) {
      flags->push_back(StrCat("depends on ", dref, ", which was yanked",
                              di->yank_reason.empty()
                                  ? std::string()
                                  : StrCat(" (", di->yank_reason, ")")));
    }
    if (!di->flags.empty()) {
      flags->push_back(StrCat("depends on ", dref, ", which has problems"));
    }
  }
  // Check the source again against today's interfaces.
  std::vector<lang::CompiledFile> out = compiler_->Check(
      {{sp->package.source_path, sp->package.source_text}});
  const lang::CompiledFile& f = out.front();
  if (!f.ok) {
    std::string first;
    for (const lang::Diagnostic& d : f.diagnostics) {
      if (d.severity == lang::Severity::kError) {
        first = StrCat(d.code, " ", d.message);
        break;
      }
    }
    flags->push_back(StrCat(
        "no longer checks against the current interfaces: ", first));
    return Status::Ok();
  }
  if (f.content_id == sp->package.content_id) return Status::Ok();
  // The interfaces changed under it: its tests must pass on the new IR.
  Package fresh = sp->package;
  fresh.ir = f.ir();
  fresh.content_id = f.content_id;
  bool passed = false;
  auto gate = RunTests(fresh, &passed);
  if (!gate.ok()) {
    flags->push_back(StrCat("cannot be re-tested: ", gate.status().message()));
  } else if (!passed) {
    std::vector<std::string> failing;
    for (const Json& r : (*gate)["results"]) {
      if (!r["passed"].get<bool>()) failing.push_back(r["name"]);
    }
    flags->push_back(StrCat("fails its tests against the current interfaces: ",
                            StrJoin(failing, ", ")));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Store::Recheck() {
  std::lock_guard lock(mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt * st,
                       db_->Cached("SELECT name, version FROM packages"));
  sql::ScopedReset st_reset(st);
  std::vector<std::pair<std::string, std::string>> refs;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    refs.push_back({st->Text(0), st->Text(1)});
  }
  // Dependencies before dependents, so a problem flows up the graph in one
  // pass (iterative depth-first order over the deps table).
  std::map<std::string, std::vector<std::string>> deps_of;
  for (const auto& [n, v] : refs) {
    WFS_ASSIGN_OR_RETURN(PackageInfo info, GetLocked(n, v));
    for (const Dependency& d : info.deps) {
      deps_of[n + "@" + v].push_back(d.name + "@" + d.version);
    }
  }
  std::vector<std::string> order;
  std::set<std::string> done;
  for (const auto& [n, v] : refs) {
    std::vector<std::pair<std::string, size_t>> stack{{n + "@" + v, 0}};
    while (!stack.empty()) {
      auto& [ref, next] = stack.back();
      if (next == 0 && done.count(ref)) {
        stack.pop_back();
        continue;
      }
      const std::vector<std::string>& ds = deps_of[ref];
      if (next < ds.size()) {
        std::string d = ds[next++];
        if (!done.count(d) && stack.size() <= refs.size()) {
          stack.push_back({d, 0});
        }
        continue;
      }
      done.insert(ref);
      order.push_back(ref);
      stack.pop_back();
    }
  }
  std::vector<std::string> flagged;
  for (const std::string& ref : order) {
    size_t at = ref.rfind('@');
    auto info = GetLocked(ref.substr(0, at), ref.substr(at + 1));
    if (!info.ok()) continue;  // a pinned dependency that is not stored
    std::vector<std::string> flags;
    if (!info->yanked) WFS_RETURN_IF_ERROR(RecheckOne(*info, &flags));
    sql::Txn txn(db_.get());
    WFS_RETURN_IF_ERROR(txn.Begin());
    WFS_ASSIGN_OR_RETURN(
        sql::Stmt * del,
        db_->Cached("DELETE FROM flags WHERE name = ? AND version = ? AND "
                    "substr(flag, 1, ?) != ?"));
    sql::ScopedReset del_reset(del);
    del->Bind(1, info->name)
        .Bind(2, info->version)
        .Bind(3, static_cast<int64_t>(sizeof(kDemotedFlagPrefix) - 1))
        .Bind(4, kDemotedFlagPrefix);
    WFS_RETURN_IF_ERROR(del->Run());
    for (const std::string& flag : flags) {
      WFS_ASSIGN_OR_RETURN(
          sql::Stmt * ins,
          db_->Cached("INSERT OR IGNORE INTO flags(name, version, flag, "
                      "created_us) VALUES(?, ?, ?, ?)"));
      sql::ScopedReset ins_reset(ins);
      ins->Bind(1, info->name)
          .Bind(2, info->version)
          .Bind(3, flag)
          .Bind(4, clock_->NowMicros());
      WFS_RETURN_IF_ERROR(ins->Run());
      flagged.push_back(StrCat(ref, ": ", flag));
    }
    WFS_RETURN_IF_ERROR(txn.Commit());
  }
  return flagged;
}

}  // namespace wfs::store
