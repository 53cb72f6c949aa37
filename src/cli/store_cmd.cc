#include "cli/store_cmd.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "base/file.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/rollout_cmd.h"
#include "cli/store_dir.h"
#include "crypto/minisig.h"
#include "rollout/policy.h"

namespace wfs::cli {
namespace {

// NAME@VERSION or NAME (version "").
std::pair<std::string, std::string> SplitRef(const std::string& ref) {
  size_t at = ref.rfind('@');
  if (at == std::string::npos) return {ref, ""};
  return {ref.substr(0, at), ref.substr(at + 1)};
}

Result<std::string> ReadPassphraseFromTerminal(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) {
    return FailedPrecondition("no terminal to ask for the passphrase");
  }
  std::cerr << prompt << std::flush;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

// The passphrase from a file (first line), $WFSTORE_PASSPHRASE, or nothing.
Result<std::optional<std::string>> GivenPassphrase(const std::string& file) {
  if (!file.empty()) {
    WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(file, 4096));
    size_t nl = text.find('\n');
    return std::optional<std::string>(text.substr(0, nl));
  }
  const char* env = std::getenv("WFSTORE_PASSPHRASE");
  if (env != nullptr) return std::optional<std::string>(env);
  return std::optional<std::string>();
}

std::string Ago(int64_t us) { return FormatRfc3339(us); }

int Fail(const Status& s) {
  PrintError(s.message());
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

void PrintJson(const Json& j) { std::cout << PrettyJson(j) << "\n"; }

Json InfoJson(const store::PackageInfo& p) {
  Json deps = Json::array();
  for (const store::Dependency& d : p.deps) {
    deps.push_back(
        {{"name", d.name}, {"version", d.version}, {"package", d.package}});
  }
  Json j = {{"name", p.name},           {"version", p.version},
            {"package", p.package_id},  {"content_id", p.content_id},
            {"publisher", p.signer},    {"stage", p.stage},
            {"yanked", p.yanked},       {"summary", p.summary},
            {"published", Ago(p.published_us)},
            {"deps", deps},             {"flags", p.flags}};
  if (!p.deprecated.empty()) {
    j["deprecated"] = {{"message", p.deprecated}, {"successor", p.successor}};
  }
  return j;
}

// ---- the commands ------------------------------------------------------------

int Keygen(const StoreFlags& f) {
  std::string prefix = f.out;
  if (prefix.empty()) {
    auto dir = StoreDir(f.store);
    if (!dir.ok()) return Fail(dir.status());
    std::filesystem::create_directories(*dir + "/keys");
    ::chmod((*dir + "/keys").c_str(), 0700);  // holds secret keys
    prefix = *dir + "/keys/publisher";
  }
  std::string key_path = prefix + ".key", pub_path = prefix + ".pub";
  if (!f.force && (std::filesystem::exists(key_path) ||
                   std::filesystem::exists(pub_path))) {
    PrintError(StrCat(key_path, " or ", pub_path,
                      " exists; pass --force to replace it or --out PREFIX "
                      "to write elsewhere"));
    return kExitFailure;
  }
  std::optional<std::string> pass;
  if (f.ask_passphrase) {
    auto a = ReadPassphraseFromTerminal("passphrase: ");
    if (!a.ok()) return Fail(a.status());
    auto b = ReadPassphraseFromTerminal("passphrase again: ");
    if (!b.ok()) return Fail(b.status());
    if (*a != *b) {
      PrintError("the passphrases differ; nothing was written");
      return kExitFailure;
    }
    pass = *a;
  } else {
    auto given = GivenPassphrase(f.passphrase_file);
    if (!given.ok()) return Fail(given.status());
    pass = *given;
  }
  crypto::KeyPair pair = crypto::GenerateKeyPair();
  std::string text;
  if (pass.has_value()) {
    std::cerr << "encrypting the secret key (scrypt, a few seconds)...\n";
    auto t = crypto::FormatSecretKey(pair.secret_key, *pass);
    if (!t.ok()) return Fail(t.status());
    text = *t;
  } else {
    text = crypto::FormatSecretKeyUnencrypted(pair.secret_key);
  }
  Status s = crypto::WriteSecretKeyFile(key_path, text, f.force);
  if (!s.ok()) return Fail(s);
  s = crypto::WritePublicKeyFile(pub_path, pair.public_key);
  if (!s.ok()) return Fail(s);
  std::string id = crypto::KeyIdHex(pair.public_key.key_id);
  if (f.json) {
    PrintJson({{"key_id", id},
               {"secret_key", key_path},
               {"public_key", pub_path},
               {"encrypted", pass.has_value()}});
    return kExitOk;
  }
  std::cout << "key " << id << "\n  secret: " << key_path << " (mode 0600"
            << (pass ? ", encrypted" : ", NOT encrypted") << ")\n  public: "
            << pub_path << "\n";
  if (!pass) {
    std::cout << "  (to encrypt it, run keygen again with --ask-passphrase "
                 "or --passphrase-file FILE)\n";
  }
  return kExitOk;
}

int KeyAdd(store::Store& st, const StoreFlags& f) {
  auto key = crypto::LoadPublicKeyFile(f.files.front());
  if (!key.ok()) return Fail(key.status());
  Status s = st.AddKey(*key, f.label.empty() ? "added" : f.label);
  if (!s.ok()) return Fail(s);
  std::cout << "registered key " << crypto::KeyIdHex(key->key_id) << "\n";
  return kExitOk;
}

int Publish(store::Store& st, const StoreFlags& f) {
  auto key = LoadKey(f.key, f.passphrase_file);
  if (!key.ok()) return Fail(key.status());
  auto paths = ExpandPaths(f.files, {".wf"});
  if (!paths.ok()) return Fail(paths.status());
  auto sources = ReadSources(*paths);
  if (!sources.ok()) return Fail(sources.status());
  if (sources->workflows.empty()) {
    PrintError("no workflow files (.wf) among the arguments");
    return kExitUsage;
  }
  auto start = std::chrono::steady_clock::now();
  auto r = st.Publish(sources->workflows, *key);
  double secs = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  if (!r.ok()) return Fail(r.status());
  int fresh = 0;
  Json out = Json::array();
  for (const store::PublishResult& p : *r) {
    if (!p.already) ++fresh;
    if (f.json) {
      Json j = InfoJson(p.info);
      j["already"] = p.already;
      j["warnings"] = Json::array();
      for (const lang::Diagnostic& d : p.warnings) {
        j["warnings"].push_back(lang::DiagnosticToJson(d));
      }
      out.push_back(j);
      continue;
    }
    std::cout << (p.already ? "unchanged " : "published ") << p.info.name
              << "@" << p.info.version << "  " << p.info.package_id << "  ("
              << p.info.stage << ")\n";
    for (const lang::Diagnostic& d : p.warnings) {
      std::cout << "  warning " << d.code << ": " << d.message << "\n";
    }
  }
  if (f.json) {
    PrintJson(out);
  } else {
    std::cout << "published " << fresh << " of " << r->size()
              << " workflow(s) in " << static_cast<int64_t>(secs * 1000)
              << " ms, signed by " << crypto::KeyIdHex(key->key_id()) << "\n";
  }
  return kExitOk;
}

int Promote(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  if (version.empty()) {
    PrintError("promote needs NAME@VERSION");
    return kExitUsage;
  }
  auto key = LoadKey(f.key, f.passphrase_file);
  if (!key.ok()) return Fail(key.status());
  std::string evidence;
  if (!f.evidence.empty()) {
    auto e = ReadFile(f.evidence, 16 << 20);
    if (!e.ok()) return Fail(e.status());
    evidence = *e;
  }
  if (f.stage == "tested" && !f.json) {
    std::cerr << "running the tests and properties of " << f.ref << "...\n";
  }
  std::optional<RolloutParts> rollout;
  if (f.stage == "canary" || f.stage == "stable") {
    auto parts = OpenRollout(st);
    if (!parts.ok()) return Fail(parts.status());
    rollout = std::move(*parts);
  }
  if (f.stage == "stable" && evidence.empty()) {
    // A canary rolling out here: its figures are the evidence.
    auto current = rollout->controller->Current(name);
    if (current.ok() && current->canary == version &&
        current->state == "active") {
      auto store_key = st.StoreKey();
      if (!store_key.ok()) return Fail(store_key.status());
      auto certified = rollout->controller->Certify(name, version, *store_key);
      if (!certified.ok()) return Fail(certified.status());
    }
  }
  auto a = st.Promote(name, version, f.stage, *key, evidence);
  if (!a.ok()) return Fail(a.status());
  std::string rollout_line;
  if (f.stage == "canary") {
    auto policy = rollout::LoadPolicy(st.dir());
    if (!policy.ok()) return Fail(policy.status());
    auto r = rollout->controller->Start(name, version, policy->rollout);
    if (!r.ok()) {
      return Fail(Status(r.status().code(),
                         StrCat(f.ref, " is canary, but its rollout did not "
                                       "start: ",
                                r.status().message())));
    }
    rollout_line = StrCat(
        "  rolling out to ", static_cast<int>(r->policy.share * 100),
        "% of calls",
        r->stable.empty() ? std::string(" (no stable version yet)")
                          : StrCat(", the rest to stable ", r->stable),
        "; wfstore rollout status ", name);
  }
  if (f.stage == "stable") {
    Status done = rollout->controller->MarkPromoted(name, version);
    if (!done.ok()) return Fail(done);
  }
  if (f.json) {
    PrintJson({{"name", name},
               {"version", version},
               {"stage", f.stage},
               {"attestation", ParseJson(a->envelope).value_or(Json())},
               {"predicate", a->predicate}});
    return kExitOk;
  }
  std::cout << f.ref << " is now " << f.stage << "; attestation signed by "
            << a->signer << "\n";
  if (!rollout_line.empty()) std::cout << rollout_line << "\n";
  const Json& g = JsonObjectMember(a->predicate, "gate");
  if (f.stage == "tested") {
    std::cout << "  " << JsonIntMember(g, "tests", 0) << " tests and "
              << JsonIntMember(g, "properties", 0) << " properties ("
              << JsonIntMember(g, "cases", 0) << " cases) passed\n";
  }
  return kExitOk;
}

int Review(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  if (version.empty()) {
    PrintError("review needs NAME@VERSION");
    return kExitUsage;
  }
  auto key = LoadKey(f.key, f.passphrase_file);
  if (!key.ok()) return Fail(key.status());
  auto a = st.Review(name, version, *key, f.comment);
  if (!a.ok()) return Fail(a.status());
  std::cout << "review of " << f.ref << " recorded, signed by " << a->signer
            << "\n";
  return kExitOk;
}

int Evidence(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  auto e = ReadFile(f.evidence, 16 << 20);
  if (!e.ok()) return Fail(e.status());
  Status s = st.AddEvidence(name, version, *e);
  if (!s.ok()) return Fail(s);
  std::cout << "evidence recorded for " << f.ref << "\n";
  return kExitOk;
}

int Yank(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  auto key = LoadKey(f.key, f.passphrase_file);
  if (!key.ok()) return Fail(key.status());
  Status s = st.Yank(name, version, f.reason, *key);
  if (!s.ok()) return Fail(s);
  std::cout << "yanked " << f.ref
            << " (pinned callers still run it; new resolution skips it)\n";
  auto deps = st.Dependents(name, version);
  if (deps.ok() && !deps->empty()) {
    std::cout << "flagged dependents:\n";
    for (const store::PackageInfo& d : *deps) {
      std::cout << "  " << d.name << "@" << d.version << "\n";
    }
  }
  return kExitOk;
}

int Deprecate(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  auto key = LoadKey(f.key, f.passphrase_file);
  if (!key.ok()) return Fail(key.status());
  Status s = st.Deprecate(name, version, f.message, f.successor, *key);
  if (!s.ok()) return Fail(s);
  std::cout << "deprecated " << f.ref << "\n";
  return kExitOk;
}

void PrintReport(const Json& r) {
  std::cout << r["name"].get<std::string>() << "@"
            << r["version"].get<std::string>() << " — "
            << r["summary"].get<std::string>() << "\n"
            << r["grade_line"].get<std::string>() << "\n\n";
  std::cout << "package    " << r["package"].get<std::string>() << "\n"
            << "publisher  " << r["publisher"].get<std::string>() << ", "
            << r["published"].get<std::string>() << "\n"
            << "verified   "
            << (r["verified"].get<bool>()
                    ? "yes (digest, signature, namespace key)"
                    : "NO: " + r.value("verification_error", ""))
            << "\n";
  if (r.contains("deprecated")) {
    std::cout << "deprecated "
              << r["deprecated"]["message"].get<std::string>() << "\n";
  }
  if (r["yanked"].get<bool>()) {
    std::cout << "yanked     " << r.value("yank_reason", "") << "\n";
  }
  std::cout << "\nStages\n";
  for (const Json& s : r["stages"]) {
    bool reached = s["reached"].get<bool>();
    std::cout << "  [" << (reached ? "x" : " ") << "] " << std::left
              << std::setw(9) << s["stage"].get<std::string>();
    if (s.contains("at")) {
      std::cout << s["at"].get<std::string>() << " by "
                << s.value("by", "") ;
    }
    const Json& e = JsonObjectMember(s, "evidence");
    if (e.contains("tests")) {
      std::cout << "  " << e["tests"] << " tests, " << e["properties"]
                << " properties, " << e["cases"] << " cases, "
                << e["failed"] << " failed";
    } else if (e.contains("reviews")) {
      std::cout << "  " << e["reviews"] << " reviews";
    } else if (e.contains("evidence")) {
      std::cout << "  evidence signed by "
                << e["evidence"].value("signer", "");
    }
    std::cout << "\n";
  }
  if (r.contains("effects")) {
    std::cout << "\nWhat it may do\n";
    for (const Json& b : r["effects"]["budgets"]) {
      std::cout << "  - " << b["text"].get<std::string>() << "\n";
    }
    if (!r["effects"]["scopes"].empty()) std::cout << "Scopes\n";
    for (const Json& s : r["effects"]["scopes"]) {
      std::cout << "  - " << s["text"].get<std::string>() << "\n";
    }
    std::vector<std::string> targets =
        r.value("agent_chosen_targets", std::vector<std::string>{});
    std::cout << "Inputs that choose targets: "
              << (targets.empty() ? "none" : StrJoin(targets, ", ")) << "\n";
  }
  std::cout << "\nDependencies\n";
  if (r["dependencies"].empty()) std::cout << "  none\n";
  for (const Json& d : r["dependencies"]) {
    std::cout << "  " << d["name"].get<std::string>() << "@"
              << d["version"].get<std::string>() << "  "
              << d.value("stage", "missing")
              << (d.value("yanked", false) ? " (yanked)" : "") << "\n";
  }
  std::cout << "Dependents: "
            << (r["dependents"].empty()
                    ? std::string("none")
                    : StrJoin(r["dependents"].get<std::vector<std::string>>(),
                              ", "))
            << "\n";
  std::cout << "Reviews: " << r["reviews"].size() << " of "
            << r["required_reviews"] << " required\n";
  for (const Json& rv : r["reviews"]) {
    std::cout << "  " << rv["by"].get<std::string>() << " "
              << rv["at"].get<std::string>() << ": "
              << rv["comment"].get<std::string>()
              << (rv["verified"].get<bool>() ? "" : "  (DOES NOT VERIFY)")
              << "\n";
  }
  std::cout << "Warnings: " << (r["warnings"].empty() ? "none" : "") << "\n";
  for (const Json& w : r["warnings"]) {
    std::cout << "  - " << w.get<std::string>() << "\n";
  }
  std::cout << "Open problems: " << (r["flags"].empty() ? "none" : "") << "\n";
  for (const Json& w : r["flags"]) {
    std::cout << "  - " << w.get<std::string>() << "\n";
  }
  for (const Json& d : r["demotions"]) {
    std::cout << "Demoted " << d["at"].get<std::string>() << " by "
              << d["by"].get<std::string>() << " from "
              << d["from"].get<std::string>() << " to "
              << d["stage"].get<std::string>()
              << (d["verified"].get<bool>() ? "" : " (does NOT verify)")
              << ": " << d["reason"].get<std::string>() << "\n";
  }
}

int Report(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  auto r = st.Report(name, version);
  if (!r.ok()) return Fail(r.status());
  if (f.json) {
    PrintJson(*r);
  } else {
    PrintReport(*r);
  }
  return (*r)["verified"].get<bool>() ? kExitOk : kExitFailure;
}

int Show(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  auto info = version.empty() ? st.Latest(name) : st.Get(name, version);
  if (!info.ok()) return Fail(info.status());
  auto dependents = st.Dependents(info->name, info->version);
  if (!dependents.ok()) return Fail(dependents.status());
  auto all = st.List();
  if (!all.ok()) return Fail(all.status());
  Json j = InfoJson(*info);
  j["dependents"] = Json::array();
  for (const store::PackageInfo& d : *dependents) {
    j["dependents"].push_back(d.name + "@" + d.version);
  }
  j["versions"] = Json::array();
  for (const store::PackageInfo& v : *all) {
    if (v.name != info->name) continue;
    j["versions"].push_back({{"version", v.version},
                             {"stage", v.stage},
                             {"yanked", v.yanked}});
  }
  if (f.json) {
    PrintJson(j);
    return kExitOk;
  }
  std::cout << info->name << "@" << info->version << "  (" << info->stage
            << ")\n  " << info->summary << "\n  package " << info->package_id
            << "\n  publisher " << info->signer << "\n  versions:";
  for (const Json& v : j["versions"]) {
    std::cout << " " << v["version"].get<std::string>() << " ("
              << v["stage"].get<std::string>()
              << (v["yanked"].get<bool>() ? ", yanked" : "") << ")";
  }
  std::cout << "\n  depends on:";
  if (info->deps.empty()) std::cout << " nothing";
  for (const store::Dependency& d : info->deps) {
    std::cout << " " << d.name << "@" << d.version;
  }
  std::cout << "\n  dependents:";
  if (dependents->empty()) std::cout << " none";
  for (const store::PackageInfo& d : *dependents) {
    std::cout << " " << d.name << "@" << d.version;
  }
  std::cout << "\n";
  for (const std::string& flag : info->flags) {
    std::cout << "  problem: " << flag << "\n";
  }
  return kExitOk;
}

int List(store::Store& st, const StoreFlags& f) {
  auto all = st.List();
  if (!all.ok()) return Fail(all.status());
  if (f.json) {
    Json out = Json::array();
    for (const store::PackageInfo& p : *all) out.push_back(InfoJson(p));
    PrintJson(out);
    return kExitOk;
  }
  for (const store::PackageInfo& p : *all) {
    std::cout << std::left << std::setw(36)
              << (p.name + "@" + p.version) << std::setw(10) << p.stage
              << (p.yanked ? "yanked " : "")
              << (p.deprecated.empty() ? "" : "deprecated ")
              << (p.flags.empty() ? "" : "PROBLEMS ") << p.summary << "\n";
  }
  std::cout << all->size() << " package(s)\n";
  return kExitOk;
}

int Export(store::Store& st, const StoreFlags& f) {
  auto [name, version] = SplitRef(f.ref);
  if (version.empty()) {
    auto latest = st.Latest(name);
    if (!latest.ok()) return Fail(latest.status());
    version = latest->version;
  }
  auto info = st.Get(name, version);
  if (!info.ok()) return Fail(info.status());
  auto bytes = st.Bytes(name, version);  // verified
  if (!bytes.ok()) return Fail(bytes.status());
  auto sig = st.Signature(name, version);
  if (!sig.ok()) return Fail(sig.status());
  auto key = st.GetKey(info->signer);
  if (!key.ok()) return Fail(key.status());
  std::string dir = f.out.empty() ? "." : f.out;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string base = dir + "/" + name + "@" + version;
  Status s = WriteFileAtomic(base + ".json", *bytes);
  if (s.ok()) s = WriteFileAtomic(base + ".json.minisig", *sig);
  if (s.ok()) s = crypto::WritePublicKeyFile(base + ".pub", *key);
  if (s.ok()) {
    auto atts = st.Attestations(name, version);
    if (!atts.ok()) return Fail(atts.status());
    Json list = Json::array();
    for (const store::Attestation& a : *atts) {
      list.push_back(ParseJson(a.envelope).value_or(Json()));
    }
    s = WriteFileAtomic(base + ".attestations.json", PrettyJson(list) + "\n");
  }
  if (!s.ok()) return Fail(s);
  if (f.json) {
    PrintJson({{"package", base + ".json"},
               {"signature", base + ".json.minisig"},
               {"public_key", base + ".pub"},
               {"attestations", base + ".attestations.json"}});
    return kExitOk;
  }
  std::cout << "wrote " << base << ".json, .json.minisig, .pub and "
            << ".attestations.json\nverify with:\n  minisign -Vm '" << base
            << ".json' -p '" << base << ".pub'\n";
  return kExitOk;
}

int VerifyAll(store::Store& st, const StoreFlags& f) {
  std::vector<std::pair<std::string, std::string>> refs;
  if (!f.ref.empty()) {
    refs.push_back(SplitRef(f.ref));
  } else {
    auto all = st.List();
    if (!all.ok()) return Fail(all.status());
    for (const store::PackageInfo& p : *all) refs.push_back({p.name, p.version});
  }
  int bad = 0;
  Json out = Json::array();
  for (const auto& [n, v] : refs) {
    Status s = st.Verify(n, v);
    if (!s.ok()) ++bad;
    if (f.json) {
      out.push_back({{"name", n}, {"version", v}, {"ok", s.ok()},
                     {"error", s.ok() ? "" : s.message()}});
    } else if (!s.ok()) {
      std::cout << "FAIL " << n << "@" << v << ": " << s.message() << "\n";
    }
  }
  if (f.json) {
    PrintJson(out);
  } else {
    std::cout << refs.size() - bad << " of " << refs.size()
              << " package(s) verified\n";
  }
  return bad == 0 ? kExitOk : kExitFailure;
}

int NamespaceAllow(store::Store& st, const StoreFlags& f) {
  auto owner = LoadKey(f.key, f.passphrase_file);
  if (!owner.ok()) return Fail(owner.status());
  auto key = crypto::LoadPublicKeyFile(f.files.front());
  if (!key.ok()) return Fail(key.status());
  Status s = st.AllowInNamespace(f.ns, *key, *owner);
  if (!s.ok()) return Fail(s);
  std::cout << "key " << crypto::KeyIdHex(key->key_id)
            << " may now publish in " << f.ns << "\n";
  return kExitOk;
}

int Recheck(store::Store& st, const StoreFlags& f) {
  std::cerr << "re-checking and re-testing every package...\n";
  auto flagged = st.Recheck();
  if (!flagged.ok()) return Fail(flagged.status());
  if (f.json) {
    PrintJson(*flagged);
  } else {
    for (const std::string& s : *flagged) std::cout << "problem: " << s << "\n";
    std::cout << flagged->size() << " problem(s)\n";
  }
  return flagged->empty() ? kExitOk : kExitFailure;
}

int Config(store::Store& st, const StoreFlags& f) {
  if (f.setting != "required-reviews") {
    PrintError(StrCat("unknown setting ", Quote(f.setting),
                      " (settings: required-reviews)"));
    return kExitUsage;
  }
  if (f.value.empty()) {
    std::cout << st.required_reviews() << "\n";
    return kExitOk;
  }
  if (f.value.find_first_not_of("0123456789") != std::string::npos ||
      f.value.size() > 3) {
    PrintError("required-reviews takes a number from 1 to 100");
    return kExitUsage;
  }
  Status s = st.SetRequiredReviews(std::stoi(f.value));
  if (!s.ok()) return Fail(s);
  std::cout << "required-reviews = " << st.required_reviews() << "\n";
  return kExitOk;
}

}  // namespace

Result<std::unique_ptr<store::Store>> OpenStore(
    const std::string& dir_flag, std::chrono::microseconds recheck_every) {
  WFS_ASSIGN_OR_RETURN(std::string dir, StoreDir(dir_flag));
  store::StoreOptions o;
  o.dir = dir;
  o.recheck_every = recheck_every;
  return store::Store::Open(o);
}

Result<crypto::SecretKey> LoadKey(const std::string& path,
                                  const std::string& passphrase_file) {
  if (path.empty()) {
    return InvalidArgument(
        "no signing key: pass --key FILE (make one with `wfstore keygen`)");
  }
  WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 64 << 10));
  auto encrypted = crypto::SecretKeyIsEncrypted(text);
  if (!encrypted.ok()) {
    return InvalidArgument(
        StrCat(path, ": ", encrypted.status().message()));
  }
  std::string pass;
  if (*encrypted) {
    WFS_ASSIGN_OR_RETURN(std::optional<std::string> given,
                         GivenPassphrase(passphrase_file));
    if (given) {
      pass = *given;
    } else {
      auto typed = ReadPassphraseFromTerminal(
          StrCat("passphrase for ", path, ": "));
      if (!typed.ok()) {
        return FailedPrecondition(
            StrCat(path,
                   " is encrypted: pass --passphrase-file FILE, set "
                   "WFSTORE_PASSPHRASE, or run in a terminal"));
      }
      pass = *typed;
    }
  }
  auto key = crypto::ParseSecretKey(text, pass);
  if (!key.ok()) {
    if (key.status().code() == Code::kUnauthenticated) {
      return Unauthenticated(StrCat(path, ": wrong passphrase"));
    }
    return Status(key.status().code(),
                  StrCat(path, ": ", key.status().message()));
  }
  return *key;
}

void AddStoreCommands(CLI::App& app, StoreFlags& f) {
  auto add = [&](CLI::App* parent, const std::string& name,
                 const std::string& help, const std::string& id) {
    CLI::App* c = parent->add_subcommand(name, help);
    c->add_option("--store", f.store,
                  "Store directory (default $WFSTORE_HOME or ~/.wfstore)");
    f.commands.push_back({id, c});
    return c;
  };
  auto key_opts = [&](CLI::App* c, bool required) {
    auto* o = c->add_option("--key", f.key, "Secret key file (minisign format)");
    if (required) o->required();
    c->add_option("--passphrase-file", f.passphrase_file,
                  "File whose first line is the key's passphrase (else "
                  "$WFSTORE_PASSPHRASE, else a prompt)");
  };

  CLI::App* c = add(&app, "keygen",
                    "Make an ed25519 key pair in minisign's format: "
                    "PREFIX.key (0600) and PREFIX.pub",
                    "keygen");
  c->add_option("--out", f.out,
                "Path prefix (default <store>/keys/publisher)");
  c->add_flag("--ask-passphrase", f.ask_passphrase,
              "Encrypt the secret key with a passphrase typed twice");
  c->add_option("--passphrase-file", f.passphrase_file,
                "Encrypt with the first line of this file");
  c->add_flag("--force", f.force, "Replace existing files");
  c->add_flag("--json", f.json, "Print JSON");
  c->footer("Without a passphrase ($WFSTORE_PASSPHRASE, --passphrase-file or "
            "--ask-passphrase) the secret key is stored unencrypted.");

  CLI::App* key = app.add_subcommand("key", "Manage the keys the store knows");
  key->require_subcommand(1);
  c = add(key, "add",
          "Register a public key (e.g. a hardening lab's, whose evidence the "
          "store should accept)",
          "key add");
  c->add_option("pubkey", f.files, "Public key file")->required();
  c->add_option("--label", f.label, "What the key is for");

  c = add(&app, "publish",
          "Check, sign and store workflows (as drafts); versions are "
          "immutable",
          "publish");
  c->add_option("files", f.files, "Workflow files or directories")->required();
  key_opts(c, true);
  c->add_flag("--json", f.json, "Print JSON");

  c = add(&app, "promote",
          "Move NAME@VERSION to its next stage when that stage's gate holds "
          "(draft, tested, hardened, reviewed, canary, stable)",
          "promote");
  c->add_option("ref", f.ref, "NAME@VERSION")->required();
  c->add_option("stage", f.stage, "The next stage")->required();
  key_opts(c, true);
  c->add_option("--evidence", f.evidence,
                "A DSSE envelope (in-toto statement) the gate needs: a "
                "hardening result for `hardened`, a rollout for `stable`");
  c->add_flag("--json", f.json, "Print JSON");
  c->footer(
      "Gates: tested runs the workflow's tests and properties; hardened needs "
      "passed adversarial evidence; reviewed needs N reviews from other keys; "
      "canary needs verified dependencies that are reviewed; stable needs a "
      "clean rollout record. Each promotion records a signed attestation.");

  c = add(&app, "review", "Sign a review of NAME@VERSION (not your own)",
          "review");
  c->add_option("ref", f.ref, "NAME@VERSION")->required();
  key_opts(c, true);
  c->add_option("--comment", f.comment, "What you checked");

  c = add(&app, "evidence",
          "Record evidence (a DSSE envelope about the package, signed by a "
          "key the store knows)",
          "evidence");
  c->add_option("ref", f.ref, "NAME@VERSION")->required();
  c->add_option("file", f.evidence, "The envelope (JSON)")->required();

  c = add(&app, "yank",
          "Hide NAME@VERSION from new resolution (pinned callers still run "
          "it) and flag its dependents",
          "yank");
  c->add_option("ref", f.ref, "NAME@VERSION")->required();
  c->add_option("--reason", f.reason, "Why")->required();
  key_opts(c, true);

  c = add(&app, "deprecate", "Mark NAME@VERSION deprecated", "deprecate");
  c->add_option("ref", f.ref, "NAME@VERSION")->required();
  c->add_option("--message", f.message, "What to use instead")->required();
  c->add_option("--successor", f.successor, "NAME@VERSION that replaces it");
  key_opts(c, true);

  c = add(&app, "report",
          "The rigor report of NAME[@VERSION]: stages with evidence, budgets "
          "and scopes in plain words, dependencies, warnings, a grade",
          "report");
  c->add_option("ref", f.ref, "NAME or NAME@VERSION (latest when omitted)")
      ->required();
  c->add_flag("--json", f.json, "Print JSON");

  c = add(&app, "show", "Show a package, its versions, dependencies and "
                        "dependents", "show");
  c->add_option("ref", f.ref, "NAME or NAME@VERSION")->required();
  c->add_flag("--json", f.json, "Print JSON");

  c = add(&app, "list", "List every package in the store", "list");
  c->add_flag("--json", f.json, "Print JSON");

  c = add(&app, "export",
          "Write a package, its minisign signature, the publisher's public "
          "key and its attestations, for checking with standard tools",
          "export");
  c->add_option("ref", f.ref, "NAME or NAME@VERSION")->required();
  c->add_option("--out", f.out, "Directory (default .)");
  c->add_flag("--json", f.json, "Print JSON");

  c = add(&app, "verify",
          "Re-verify stored packages (digest, signature, namespace key); "
          "exit 1 when one fails",
          "verify");
  c->add_option("ref", f.ref, "NAME@VERSION (default: all)");
  c->add_flag("--json", f.json, "Print JSON");

  CLI::App* ns = app.add_subcommand("namespace", "Namespace ownership");
  ns->require_subcommand(1);
  c = add(ns, "allow",
          "Allow a key to publish in a namespace (signed by the owner's key)",
          "namespace allow");
  c->add_option("namespace", f.ns, "e.g. mail")->required();
  c->add_option("pubkey", f.files, "The public key file to allow")->required();
  key_opts(c, true);

  c = add(&app, "recheck",
          "Re-check and re-test every package against the current interfaces "
          "and dependencies; flag those that fail",
          "recheck");
  c->add_flag("--json", f.json, "Print JSON");

  c = add(&app, "config", "Read or change a store setting (required-reviews)",
          "config");
  c->add_option("setting", f.setting, "required-reviews")->required();
  c->add_option("value", f.value, "New value (omit to print it)");
}

int RunStoreCommand(const StoreFlags& f) {
  std::string which;
  for (const auto& [id, cmd] : f.commands) {
    if (cmd->parsed()) which = id;
  }
  if (which.empty()) return -1;
  if (which == "keygen") return Keygen(f);
  auto st = OpenStore(f.store);
  if (!st.ok()) return Fail(st.status());
  store::Store& s = **st;
  if (which == "key add") return KeyAdd(s, f);
  if (which == "publish") return Publish(s, f);
  if (which == "promote") return Promote(s, f);
  if (which == "review") return Review(s, f);
  if (which == "evidence") return Evidence(s, f);
  if (which == "yank") return Yank(s, f);
  if (which == "deprecate") return Deprecate(s, f);
  if (which == "report") return Report(s, f);
  if (which == "show") return Show(s, f);
  if (which == "list") return List(s, f);
  if (which == "export") return Export(s, f);
  if (which == "verify") return VerifyAll(s, f);
  if (which == "namespace allow") return NamespaceAllow(s, f);
  if (which == "recheck") return Recheck(s, f);
  if (which == "config") return Config(s, f);
  return kExitUsage;
}

}  // namespace wfs::cli
