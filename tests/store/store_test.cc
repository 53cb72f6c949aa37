#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "crypto/dsse.h"
#include "crypto/intoto.h"
#include "crypto/minisig.h"

namespace wfs::store {
namespace {

crypto::KeyPair Key(uint8_t n) {
  std::array<uint8_t, crypto::kSeedBytes> seed{};
  seed.fill(n);
  crypto::KeyId id{};
  id.fill(static_cast<uint8_t>(n + 100));
  return crypto::KeyPairFromSeed(seed, id);
}

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("wfs-store-" + SecureRandomHex(6));
  std::filesystem::create_directories(dir);
  return dir.string();
}

constexpr char kLib[] = R"wf(workflow lib.move_one 1.0.0 {
  summary "Move one message to the archive."
  intent "archive a message"
  input id: mail.MessageId "The message."
  input mailbox: mail.Mailbox "Where it is."
  output moved: mail.MessageId "The message moved."
  uses mail.update
  limit mail.update <= 1
  scope mail.mailbox = [mailbox, "Archive"]
  run {
    mail.move(id, "Archive")
    return { moved: id }
  }
  test "moves it" {
    given mail.messages = [{id: "a", mailbox: "INBOX", from: "x@example.com", subject: "s", body: "b"}]
    call { id: "a", mailbox: "INBOX" }
    expect len(effects) == 1
  }
}
)wf";

constexpr char kApp[] = R"wf(workflow app.archive_two 1.0.0 {
  summary "Archive two messages."
  intent "archive two messages"
  input mailbox: mail.Mailbox "Where they are."
  output first: mail.MessageId "First."
  uses mail.update
  limit mail.update <= 2
  scope mail.mailbox = [mailbox, "Archive"]
  run {
    let x = workflow lib.move_one@1.0.0(id: "a", mailbox: mailbox)
    let y = workflow lib.move_one@1.0.0(id: "b", mailbox: mailbox)
    return { first: x.moved }
  }
  test "moves both" {
    given mail.messages = [
      {id: "a", mailbox: "INBOX", from: "x@example.com", subject: "s", body: "b"},
      {id: "b", mailbox: "INBOX", from: "x@example.com", subject: "s", body: "b"}]
    call { mailbox: "INBOX" }
    expect len(effects) == 2
  }
}
)wf";

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(std::vector<lang::SourceText> interfaces = {}) {
    store_.reset();
    StoreOptions o;
    o.dir = dir_;
    o.clock = &clock_;
    o.property_cases = 20;
    o.interfaces = std::move(interfaces);
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  // Another store on the same directory: another process's view.
  std::unique_ptr<Store> OpenAnother(
      std::chrono::microseconds recheck_every = std::chrono::microseconds(0)) {
    StoreOptions o;
    o.dir = dir_;
    o.clock = &clock_;
    o.property_cases = 20;
    o.recheck_every = recheck_every;
    auto s = Store::Open(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  // Runs SQL on the store's database behind its back.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/catalog.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
    ASSERT_GT(sqlite3_changes(db), 0) << sql;
    sqlite3_close(db);
  }
  const lang::SourceText& Catalog(const std::string& suffix) {
    for (const lang::SourceText& f : BuiltinCatalog()) {
      if (EndsWith(f.path, suffix)) return f;
    }
    ADD_FAILURE() << "no " << suffix;
    return BuiltinCatalog().front();
  }
  std::string Evidence(const std::string& name, const std::string& version,
                       const crypto::SecretKey& key, const std::string& type,
                       bool passed) {
    auto info = store_->Get(name, version);
    EXPECT_TRUE(info.ok());
    crypto::Statement st;
    st.subjects.push_back(
        {name + "@" + version, info->package_id.substr(7)});
    st.predicate_type = type;
    st.predicate = {{"passed", passed}, {"payloads", 120}};
    auto env = crypto::SignStatement(st, key);
    EXPECT_TRUE(env.ok());
    return crypto::FormatDsseEnvelope(*env);
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<Store> store_;
  crypto::KeyPair alice_ = Key(1), bob_ = Key(2), carol_ = Key(3),
                  dave_ = Key(4);
};

constexpr char kHardening[] = "https://wfstore.dev/attestations/hardening/v1";
constexpr char kRollout[] = "https://wfstore.dev/attestations/rollout/v1";

TEST_F(StoreTest, PublishesTheStarterCatalogSignedAsDrafts) {
  auto r = store_->Publish(BuiltinCatalog(), alice_.secret_key);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), BuiltinCatalog().size());
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), BuiltinCatalog().size());
  for (const PackageInfo& p : *list) {
    EXPECT_EQ(p.stage, "draft");
    EXPECT_EQ(p.signer, crypto::KeyIdHex(alice_.public_key.key_id));
    ASSERT_TRUE(store_->Verify(p.name, p.version).ok()) << p.name;
    // The signature is minisign's and covers exactly the package bytes.
    auto bytes = store_->Bytes(p.name, p.version);
    auto sig = store_->Signature(p.name, p.version);
    ASSERT_TRUE(bytes.ok() && sig.ok());
    EXPECT_TRUE(crypto::Verify(alice_.public_key, *bytes, *sig).ok());
    EXPECT_EQ(Package::IdOf(*bytes), p.package_id);
  }
}

TEST_F(StoreTest, RepublishingIdenticalIsANoOpAndVersionsAreImmutable) {
  const lang::SourceText& f = Catalog("mail/delete_message.wf");
  ASSERT_TRUE(store_->Publish({f}, alice_.secret_key).ok());
  auto again = store_->Publish({f}, alice_.secret_key);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->front().already);
  // The same file from another directory is the same package.
  lang::SourceText moved = f;
  moved.path = "/elsewhere/" + f.path;
  auto elsewhere = store_->Publish({moved}, alice_.secret_key);
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_TRUE(elsewhere->front().already);

  lang::SourceText changed = f;
  changed.text.replace(changed.text.find("summary \""), 9,
                       "summary \"Changed. ");
  auto r = store_->Publish({changed}, alice_.secret_key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAlreadyExists);
  EXPECT_NE(r.status().message().find("immutable"), std::string::npos);
}

TEST_F(StoreTest, ABatchWithOneBadFileStoresNothing) {
  lang::SourceText bad{"bad.wf", "workflow bad.x 1.0.0 { run { nope( } }"};
  auto r = store_->Publish({Catalog("contacts/lookup.wf"), bad},
                           alice_.secret_key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad.wf:1:"), std::string::npos)
      << r.status();
  EXPECT_TRUE(store_->List()->empty());
}

TEST_F(StoreTest, OnlyAllowedKeysPublishInANamespace) {
  ASSERT_TRUE(
      store_->Publish({Catalog("contacts/lookup.wf")}, alice_.secret_key).ok());
  lang::SourceText v2 = Catalog("contacts/lookup.wf");
  v2.text.replace(v2.text.find("1.0.0"), 5, "1.1.0");
  auto r = store_->Publish({v2}, bob_.secret_key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("namespace allow"), std::string::npos);

  // Only the owner may allow a key.
  Status s = store_->AllowInNamespace("contacts", bob_.public_key,
                                      carol_.secret_key);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  ASSERT_TRUE(store_->AllowInNamespace("contacts", bob_.public_key,
                                       alice_.secret_key)
                  .ok());
  auto ok = store_->Publish({v2}, bob_.secret_key);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(store_->Verify("contacts.lookup", "1.1.0").ok());
}

TEST_F(StoreTest, TamperingWithAStoredPackageIsDetected) {
  ASSERT_TRUE(
      store_->Publish({Catalog("mail/delete_message.wf")}, alice_.secret_key)
          .ok());
  ASSERT_TRUE(store_->Verify("mail.delete_message", "1.0.0").ok());
  // The bytes change: the digest no longer matches.
  Tamper(
      "UPDATE packages SET bytes = replace(bytes, 'Trash', 'Trasj') WHERE "
      "name = 'mail.delete_message'");
  Status s = store_->Verify("mail.delete_message", "1.0.0");
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("digest"), std::string::npos) << s;
  EXPECT_FALSE(store_->LoadProgram("mail.delete_message", "1.0.0").ok());
  auto report = store_->Report("mail.delete_message", "1.0.0");
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE((*report)["verified"].get<bool>());
  EXPECT_EQ((*report)["grade"], "F");
}

TEST_F(StoreTest, ChangingBytesAndDigestTogetherFailsTheSignature) {
  ASSERT_TRUE(
      store_->Publish({Catalog("mail/delete_message.wf")}, alice_.secret_key)
          .ok());
  auto bytes = store_->Bytes("mail.delete_message", "1.0.0");
  ASSERT_TRUE(bytes.ok());
  std::string forged = *bytes;
  forged.replace(forged.find("Trash"), 5, "Trasj");
  Tamper(StrCat("UPDATE packages SET bytes = '", forged,
                "', package_id = '", Package::IdOf(forged),
                "' WHERE name = 'mail.delete_message'"));
  Status s = store_->Verify("mail.delete_message", "1.0.0");
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("signature"), std::string::npos) << s;
}

TEST_F(StoreTest, ASignerOutsideTheNamespaceIsRefusedOnLoad) {
  ASSERT_TRUE(
      store_->Publish({Catalog("mail/delete_message.wf")}, alice_.secret_key)
          .ok());
  ASSERT_TRUE(store_->AddKey(bob_.public_key, "someone").ok());
  // Re-sign with bob's key and point the row at bob: bob may not publish
  // in `mail`, so the package is refused although its signature is good.
  auto bytes = store_->Bytes("mail.delete_message", "1.0.0");
  auto sig = crypto::Sign(bob_.secret_key, *bytes, "x");
  ASSERT_TRUE(sig.ok());
  Tamper(StrCat("UPDATE packages SET signature = '", *sig, "', signer = '",
                crypto::KeyIdHex(bob_.public_key.key_id),
                "' WHERE name = 'mail.delete_message'"));
  Status s = store_->Verify("mail.delete_message", "1.0.0");
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("may not publish"), std::string::npos) << s;
  // A forged grant row does not help: the owner never signed it.
  Tamper(StrCat(
      "INSERT INTO namespace_keys(ns, key_id, grant_sig, granted_us) VALUES "
      "('mail', '",
      crypto::KeyIdHex(bob_.public_key.key_id), "', '", std::string(128, 'a'),
      "', 0)"));
  s = store_->Verify("mail.delete_message", "1.0.0");
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("grant"), std::string::npos) << s;
}

TEST_F(StoreTest, StagesMoveOneGateAtATime) {
  const std::string n = "mail.delete_message", v = "1.0.0";
  ASSERT_TRUE(store_->Publish({Catalog("mail/delete_message.wf")},
                              alice_.secret_key)
                  .ok());
  // No skipping.
  auto skip = store_->Promote(n, v, "hardened", alice_.secret_key);
  ASSERT_FALSE(skip.ok());
  EXPECT_EQ(skip.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(skip.status().message().find("tested first"), std::string::npos)
      << skip.status();
  // Only keys of the namespace promote.
  EXPECT_EQ(store_->Promote(n, v, "tested", bob_.secret_key).status().code(),
            Code::kPermissionDenied);

  // tested: the store runs the tests.
  auto tested = store_->Promote(n, v, "tested", alice_.secret_key);
  ASSERT_TRUE(tested.ok()) << tested.status();
  const Json& gate = tested->predicate["gate"];
  EXPECT_GT(gate["tests"].get<int>(), 0);
  EXPECT_EQ(gate["failed"].get<int>(), 0);
  EXPECT_TRUE(tested->verified);

  // hardened: evidence must be about this package, pass, and come from a
  // key the store knows.
  auto none = store_->Promote(n, v, "hardened", alice_.secret_key);
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition);
  std::string stranger =
      Evidence(n, v, dave_.secret_key, kHardening, /*passed=*/true);
  EXPECT_EQ(store_->Promote(n, v, "hardened", alice_.secret_key, stranger)
                .status()
                .code(),
            Code::kPermissionDenied);
  ASSERT_TRUE(store_->AddKey(carol_.public_key, "hardening lab").ok());
  std::string failed = Evidence(n, v, carol_.secret_key, kHardening, false);
  EXPECT_EQ(store_->Promote(n, v, "hardened", alice_.secret_key, failed)
                .status()
                .code(),
            Code::kFailedPrecondition);
  std::string wrong_type = Evidence(n, v, carol_.secret_key, kRollout, true);
  EXPECT_EQ(store_->Promote(n, v, "hardened", alice_.secret_key, wrong_type)
                .status()
                .code(),
            Code::kFailedPrecondition);
  std::string good = Evidence(n, v, carol_.secret_key, kHardening, true);
  auto hardened = store_->Promote(n, v, "hardened", alice_.secret_key, good);
  ASSERT_TRUE(hardened.ok()) << hardened.status();

  // reviewed: two reviews by keys other than the publisher's.
  EXPECT_EQ(store_->Review(n, v, alice_.secret_key, "mine").status().code(),
            Code::kPermissionDenied);
  ASSERT_TRUE(store_->Review(n, v, bob_.secret_key, "looks right").ok());
  EXPECT_EQ(store_->Review(n, v, bob_.secret_key, "again").status().code(),
            Code::kAlreadyExists);
  auto one = store_->Promote(n, v, "reviewed", alice_.secret_key);
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("1 of the 2"), std::string::npos)
      << one.status();
  ASSERT_TRUE(store_->Review(n, v, dave_.secret_key, "ok").ok());
  ASSERT_TRUE(store_->Promote(n, v, "reviewed", alice_.secret_key).ok());
  ASSERT_TRUE(store_->Promote(n, v, "canary", alice_.secret_key).ok());

  // stable: needs a clean rollout.
  auto stable = store_->Promote(n, v, "stable", alice_.secret_key);
  EXPECT_EQ(stable.status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(store_
                  ->Promote(n, v, "stable", alice_.secret_key,
                            Evidence(n, v, carol_.secret_key, kRollout, true))
                  .ok());
  EXPECT_EQ(store_->Get(n, v)->stage, "stable");

  // Every promotion left a verified attestation.
  auto atts = store_->Attestations(n, v);
  ASSERT_TRUE(atts.ok());
  int promotions = 0;
  for (const Attestation& a : *atts) {
    EXPECT_TRUE(a.verified) << a.kind << " " << a.stage;
    if (a.kind == "promotion") ++promotions;
  }
  EXPECT_EQ(promotions, 5);

  auto report = store_->Report(n, "");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ((*report)["grade"], "A+");
  EXPECT_EQ((*report)["reviews"].size(), 2u);
  for (const Json& s : (*report)["stages"]) {
    EXPECT_TRUE(s["reached"].get<bool>()) << s;
  }
}

// Two processes acting on one version at once (two operators, or a server
// and the command line): the checks are made inside the write transaction,
// so one promotion, one review per key and one yank are recorded.
TEST_F(StoreTest, RacingActsOnOneVersionRecordOne) {
  const std::string n = "mail.delete_message", v = "1.0.0";
  ASSERT_TRUE(
      store_->Publish({Catalog("mail/delete_message.wf")}, alice_.secret_key)
          .ok());
  std::unique_ptr<Store> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  // Runs `act` on both stores at once; returns how many succeeded.
  auto race = [&](auto act) {
    std::atomic<int> ok{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (Store* s : {store_.get(), other.get()}) {
      threads.emplace_back([&, s] {
        while (!go.load()) std::this_thread::yield();
        if (act(*s)) ++ok;
      });
    }
    go = true;
    for (std::thread& t : threads) t.join();
    return ok.load();
  };
  auto count = [&](const std::string& kind) {
    int k = 0;
    for (const Attestation& a : store_->Attestations(n, v).value()) {
      if (a.kind == kind) ++k;
    }
    return k;
  };
  EXPECT_EQ(race([&](Store& s) {
              return s.Promote(n, v, "tested", alice_.secret_key).ok();
            }),
            1);
  EXPECT_EQ(count("promotion"), 1);
  EXPECT_EQ(race([&](Store& s) {
              return s.Review(n, v, bob_.secret_key, "fine").ok();
            }),
            1);
  EXPECT_EQ(count("review"), 1);
  // A yank of a yanked version succeeds and records nothing more.
  EXPECT_EQ(race([&](Store& s) {
              return s.Yank(n, v, "withdrawn", alice_.secret_key).ok();
            }),
            2);
  EXPECT_EQ(count("yank"), 1);
}

TEST_F(StoreTest, AForgedAttestationRowDoesNotCount) {
  const std::string n = "mail.delete_message", v = "1.0.0";
  ASSERT_TRUE(store_->Publish({Catalog("mail/delete_message.wf")},
                              alice_.secret_key)
                  .ok());
  ASSERT_TRUE(store_->Promote(n, v, "tested", alice_.secret_key).ok());
  ASSERT_TRUE(store_->AddKey(carol_.public_key, "lab").ok());
  ASSERT_TRUE(store_->AddEvidence(
                        n, v, Evidence(n, v, carol_.secret_key, kHardening, true))
                  .ok());
  ASSERT_TRUE(store_->Promote(n, v, "hardened", alice_.secret_key).ok());
  ASSERT_TRUE(store_->Review(n, v, bob_.secret_key, "fine").ok());
  // A second review row copied under another signer's name does not verify.
  ASSERT_TRUE(store_->AddKey(dave_.public_key, "x").ok());
  Tamper(StrCat(
      "INSERT INTO attestations(name, version, kind, stage, predicate_type, "
      "signer, created_us, envelope) SELECT name, version, kind, stage, "
      "predicate_type, '",
      crypto::KeyIdHex(dave_.public_key.key_id),
      "', created_us, envelope FROM attestations WHERE kind = 'review'"));
  auto r = store_->Promote(n, v, "reviewed", alice_.secret_key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("1 of the 2"), std::string::npos)
      << r.status();
}

TEST_F(StoreTest, FailingTestsKeepAWorkflowFromBeingTested) {
  lang::SourceText f = Catalog("contacts/lookup.wf");
  f.text.replace(f.text.find("[\"dana@example.com\"]"), 20,
                 "[\"ben@example.com\"]");
  ASSERT_TRUE(store_->Publish({f}, alice_.secret_key).ok());
  auto r = store_->Promote("contacts.lookup", "1.0.0", "tested",
                           alice_.secret_key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("finds by part of the name"),
            std::string::npos)
      << r.status();
  EXPECT_EQ(store_->Get("contacts.lookup", "1.0.0")->stage, "draft");
  EXPECT_TRUE(store_->Attestations("contacts.lookup", "1.0.0")->empty());
}

TEST_F(StoreTest, DependenciesArePinnedAndYankingFlagsDependents) {
  ASSERT_TRUE(store_->AddKey(alice_.public_key, "alice").ok());
  auto r = store_->Publish({{"app.wf", kApp}, {"lib.wf", kLib}},
                           alice_.secret_key);
  ASSERT_TRUE(r.ok()) << r.status();
  auto app = store_->Get("app.archive_two", "1.0.0");
  ASSERT_TRUE(app.ok());
  ASSERT_EQ(app->deps.size(), 1u);
  EXPECT_EQ(app->deps[0].name, "lib.move_one");
  EXPECT_EQ(app->deps[0].package,
            store_->Get("lib.move_one", "1.0.0")->package_id);
  auto dependents = store_->Dependents("lib.move_one", "1.0.0");
  ASSERT_TRUE(dependents.ok());
  ASSERT_EQ(dependents->size(), 1u);
  EXPECT_EQ((*dependents)[0].name, "app.archive_two");

  // The store's tests run the sub-workflow from its verified package.
  ASSERT_TRUE(
      store_->Promote("app.archive_two", "1.0.0", "tested", alice_.secret_key)
          .ok());

  ASSERT_TRUE(store_
                  ->Yank("lib.move_one", "1.0.0", "moves to the wrong folder",
                         alice_.secret_key)
                  .ok());
  EXPECT_FALSE(store_->Latest("lib.move_one").ok());
  EXPECT_TRUE(store_->Resolve("lib.move_one", "1.0.0").ok());  // pinned
  app = store_->Get("app.archive_two", "1.0.0");
  ASSERT_EQ(app->flags.size(), 1u);
  EXPECT_NE(app->flags[0].find("yanked"), std::string::npos);
  auto report = store_->Report("app.archive_two", "1.0.0");
  EXPECT_EQ((*report)["grade"], "F");
  // A flagged package is not promoted further.
  EXPECT_EQ(store_->Promote("app.archive_two", "1.0.0", "hardened",
                            alice_.secret_key)
                .status()
                .code(),
            Code::kFailedPrecondition);
}

TEST_F(StoreTest, AChangedInterfaceReChecksAndFlagsDependents) {
  ASSERT_TRUE(
      store_->Publish({Catalog("contacts/lookup.wf")}, alice_.secret_key).ok());
  // The contacts interface as built in, with `find` removed: the workflow
  // no longer checks.
  std::string itf;
  for (const lang::SourceText& f : lang::BuiltinInterfaces()) {
    if (EndsWith(f.path, "contacts.wfi")) itf = f.text;
  }
  ASSERT_FALSE(itf.empty());
  size_t at = itf.find("action find");
  ASSERT_NE(at, std::string::npos);
  itf.replace(at, 11, "action seek");
  Reopen({{"contacts.wfi", itf}});
  auto info = store_->Get("contacts.lookup", "1.0.0");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->flags.size(), 1u);
  EXPECT_NE(info->flags[0].find("no longer checks"), std::string::npos)
      << info->flags[0];
  // Back to the built-in interfaces: the flag clears.
  Reopen();
  EXPECT_TRUE(store_->Get("contacts.lookup", "1.0.0")->flags.empty());
}

TEST_F(StoreTest, ResolvesVersionRanges) {
  for (const char* v : {"1.0.0", "1.2.0", "1.10.1", "2.0.0-rc.1", "0.3.4"}) {
    lang::SourceText f = Catalog("contacts/lookup.wf");
    f.text.replace(f.text.find("1.0.0"), 5, v);
    ASSERT_TRUE(store_->Publish({f}, alice_.secret_key).ok()) << v;
  }
  auto resolve = [&](const std::string& range) {
    auto r = store_->Resolve("contacts.lookup", range);
    return r.ok() ? r->version : std::string(r.status().message());
  };
  EXPECT_EQ(resolve(""), "1.10.1");
  EXPECT_EQ(resolve("^1.2"), "1.10.1");
  EXPECT_EQ(resolve("~1.2.0"), "1.2.0");
  EXPECT_EQ(resolve("1"), "1.10.1");
  EXPECT_EQ(resolve("0"), "0.3.4");
  EXPECT_EQ(resolve("^0.3.0"), "0.3.4");
  EXPECT_EQ(resolve("2.0.0-rc.1"), "2.0.0-rc.1");
  EXPECT_NE(resolve("^3").find("no version"), std::string::npos);
  EXPECT_NE(resolve("^x").find("invalid version range"), std::string::npos);
}

TEST_F(StoreTest, ResolveSeesEveryChangeToTheCatalog) {
  auto publish = [&](Store& s, const char* version) {
    lang::SourceText f = Catalog("contacts/lookup.wf");
    f.text.replace(f.text.find("1.0.0"), 5, version);
    ASSERT_TRUE(s.Publish({f}, alice_.secret_key).ok()) << version;
  };
  auto latest = [&](Store& s) {
    auto r = s.Resolve("contacts.lookup", "^1");
    return r.ok() ? r->version + "/" + r->stage
                  : std::string(r.status().message());
  };
  publish(*store_, "1.0.0");
  EXPECT_EQ(latest(*store_), "1.0.0/draft");
  EXPECT_EQ(latest(*store_), "1.0.0/draft");  // answered from the cache
  // Changes through this store.
  publish(*store_, "1.1.0");
  EXPECT_EQ(latest(*store_), "1.1.0/draft");
  ASSERT_TRUE(
      store_->Yank("contacts.lookup", "1.1.0", "broken", alice_.secret_key)
          .ok());
  EXPECT_EQ(latest(*store_), "1.0.0/draft");
  EXPECT_TRUE(store_->Resolve("contacts.lookup", "1.1.0")->yanked);

  // Changes through another connection to the same catalog (as another
  // process, such as the command line beside a server, makes them).
  StoreOptions o;
  o.dir = dir_;
  o.clock = &clock_;
  o.property_cases = 20;
  auto other = Store::Open(o);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(
      (*other)
          ->Promote("contacts.lookup", "1.0.0", "tested", alice_.secret_key)
          .ok());
  EXPECT_EQ(latest(*store_), "1.0.0/tested");
  publish(**other, "1.2.0");
  EXPECT_EQ(latest(*store_), "1.2.0/draft");
  ASSERT_TRUE(
      (*other)
          ->Yank("contacts.lookup", "1.2.0", "broken", alice_.secret_key)
          .ok());
  EXPECT_EQ(latest(*store_), "1.0.0/tested");
  // And behind the store's back, with plain SQL.
  Tamper("UPDATE packages SET yanked = 1 WHERE version = '1.0.0'");
  EXPECT_NE(latest(*store_).find("no version"), std::string::npos);
}

// With recheck_every, Resolve trusts its answers that long before asking
// whether another process changed the catalog; its own writes show at once.
TEST_F(StoreTest, ResolveRechecksOtherProcessesAfterRecheckEvery) {
  auto server = OpenAnother(std::chrono::milliseconds(200));
  auto other = OpenAnother();
  ASSERT_TRUE(server && other);
  auto latest = [&] {
    auto r = server->Resolve("contacts.lookup", "^1");
    return r.ok() ? r->version : std::string(r.status().message());
  };
  lang::SourceText f = Catalog("contacts/lookup.wf");
  ASSERT_TRUE(server->Publish({f}, alice_.secret_key).ok());
  EXPECT_EQ(latest(), "1.0.0");  // its own write, at once
  ASSERT_TRUE(
      other->Yank("contacts.lookup", "1.0.0", "broken", alice_.secret_key)
          .ok());
  clock_.Advance(199'000);
  EXPECT_EQ(latest(), "1.0.0") << "trusted its answer for recheck_every";
  clock_.Advance(1'000);
  EXPECT_NE(latest().find("no version"), std::string::npos)
      << "then saw the yank";
}

// The generation moves at once for this store's writes, within
// recheck_every for another's, and not at all without a change.
TEST_F(StoreTest, GenerationMovesWhenTheCatalogChanges) {
  auto server = OpenAnother(std::chrono::milliseconds(200));
  auto other = OpenAnother();
  ASSERT_TRUE(server && other);
  auto generation = [&] { return server->Generation().value(); };
  uint64_t g0 = generation();
  clock_.Advance(1'000'000);
  EXPECT_EQ(generation(), g0) << "nothing changed";
  ASSERT_TRUE(
      server->Publish({Catalog("contacts/lookup.wf")}, alice_.secret_key).ok());
  uint64_t g1 = generation();
  EXPECT_NE(g1, g0) << "its own write, at once";
  ASSERT_TRUE(
      other->Yank("contacts.lookup", "1.0.0", "broken", alice_.secret_key)
          .ok());
  clock_.Advance(199'000);
  EXPECT_EQ(generation(), g1) << "trusted for recheck_every";
  clock_.Advance(1'000);
  EXPECT_NE(generation(), g1) << "then saw the other store's write";
}

TEST_F(StoreTest, ReportSaysWhatTheWorkflowMayDoInPlainWords) {
  ASSERT_TRUE(store_->Publish({Catalog("mail/delete_message.wf")},
                              alice_.secret_key)
                  .ok());
  auto r = store_->Report("mail.delete_message", "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["grade"], "D");
  EXPECT_TRUE((*r)["verified"].get<bool>());
  std::string all = (*r).dump();
  EXPECT_NE(all.find("may delete in mail at most once per run"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("mail.mailbox limited to exactly the input `mailbox`"),
            std::string::npos)
      << all;
  EXPECT_NE((*r)["grade_line"].get<std::string>().find("0 of 2 reviews"),
            std::string::npos);
}

TEST_F(StoreTest, DeprecationNeedsAMessageAndAnExistingSuccessor) {
  for (const char* v : {"1.0.0", "1.1.0"}) {
    lang::SourceText f = Catalog("contacts/lookup.wf");
    f.text.replace(f.text.find("1.0.0"), 5, v);
    ASSERT_TRUE(store_->Publish({f}, alice_.secret_key).ok());
  }
  EXPECT_EQ(store_
                ->Deprecate("contacts.lookup", "1.0.0", "", "",
                            alice_.secret_key)
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(store_
                ->Deprecate("contacts.lookup", "1.0.0", "use 9", 
                            "contacts.lookup@9.0.0", alice_.secret_key)
                .code(),
            Code::kNotFound);
  ASSERT_TRUE(store_
                  ->Deprecate("contacts.lookup", "1.0.0", "use 1.1",
                              "contacts.lookup@1.1.0", alice_.secret_key)
                  .ok());
  auto info = store_->Get("contacts.lookup", "1.0.0");
  EXPECT_EQ(info->deprecated, "use 1.1");
  EXPECT_EQ(info->successor, "contacts.lookup@1.1.0");
}

TEST_F(StoreTest, SeedsTheStarterCatalogOnceAndTestsIt) {
  auto seeded = store_->SeedStarterCatalog();
  ASSERT_TRUE(seeded.ok()) << seeded.status();
  EXPECT_EQ(seeded->published, static_cast<int>(BuiltinCatalog().size()));
  EXPECT_EQ(seeded->tested, seeded->published)
      << StrJoin(seeded->problems, "\n");
  auto again = store_->SeedStarterCatalog();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->published, 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/keys/store.key"));
  EXPECT_EQ(std::filesystem::status(dir_ + "/keys/store.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read |
                std::filesystem::perms::owner_write);
  auto entries = store_->IndexEntries();
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), BuiltinCatalog().size());
}

// Processes starting on the same new store at once (stores on the same
// directory, one connection each): one seeds it, the others find it seeded.
TEST_F(StoreTest, StoresStartingAtOnceSeedTheCatalogOnce) {
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) {
    stores.push_back(OpenAnother());
    ASSERT_NE(stores.back(), nullptr);
  }
  std::vector<Result<SeedResult>> results(kStores, Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = stores[i]->SeedStarterCatalog(); });
  }
  for (std::thread& t : threads) t.join();
  int seeders = 0;
  for (const Result<SeedResult>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->published > 0) {
      ++seeders;
      EXPECT_EQ(r->tested, static_cast<int>(BuiltinCatalog().size()));
    }
  }
  EXPECT_EQ(seeders, 1);
  auto listed = store_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), BuiltinCatalog().size());
  for (const PackageInfo& p : *listed) EXPECT_EQ(p.stage, "tested") << p.name;
}

// A server starting on a seeded store (it asks for the store's key) while
// another process writes the catalog does not wait for that writer.
TEST_F(StoreTest, TheStoreKeyIsReadWithoutTheWriteLock) {
  ASSERT_TRUE(store_->SeedStarterCatalog().ok());
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/catalog.db").c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto other = OpenAnother();
  ASSERT_NE(other, nullptr);
  auto key = other->StoreKey();
  EXPECT_TRUE(key.ok()) << key.status();
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
}

// A seed the store cannot finish (here: the fourth promotion cannot be
// recorded) keeps nothing, so the next start seeds the whole catalog.
TEST_F(StoreTest, ASeedThatFailsMidwayKeepsNothing) {
  Tamper(
      "CREATE TRIGGER fail_fourth BEFORE INSERT ON attestations "
      "WHEN (SELECT COUNT(*) FROM attestations) >= 3 "
      "BEGIN SELECT RAISE(ABORT, 'no room for it'); END; "
      "INSERT INTO meta(key, value) VALUES('tampered', '1')");
  auto seeded = store_->SeedStarterCatalog();
  ASSERT_FALSE(seeded.ok());
  EXPECT_NE(seeded.status().message().find("no room for it"), std::string::npos)
      << seeded.status();
  auto listed = store_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << listed->size() << " packages kept";
  Tamper("DROP TRIGGER fail_fourth; DELETE FROM meta WHERE key = 'tampered'");
  seeded = store_->SeedStarterCatalog();
  ASSERT_TRUE(seeded.ok()) << seeded.status();
  EXPECT_EQ(seeded->tested, static_cast<int>(BuiltinCatalog().size()));
}

TEST(PackageTest, ParseRefusesWhatIsNotCanonicalOrConsistent) {
  EXPECT_FALSE(Package::Parse("{}").ok());
  EXPECT_FALSE(Package::Parse("[1]").ok());
  EXPECT_FALSE(Package::Parse(R"({"format": 3})").ok());
  EXPECT_FALSE(Package::Parse(
                   R"({"format":"wfstore-package/1","name":1,"version":[]})")
                   .ok());
}

TEST(SemverTest, OrdersByPrecedence) {
  auto v = [](const char* s) { return ParseSemver(s).value(); };
  EXPECT_TRUE(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
  EXPECT_TRUE(v("1.0.0-alpha.1") < v("1.0.0-alpha.beta"));
  EXPECT_TRUE(v("1.0.0-beta.2") < v("1.0.0-beta.11"));
  EXPECT_TRUE(v("1.0.0-rc.1") < v("1.0.0"));
  EXPECT_TRUE(v("1.9.0") < v("1.10.0"));
  EXPECT_FALSE(ParseSemver("01.0.0").ok());
  EXPECT_FALSE(ParseSemver("1.0").ok());
  EXPECT_FALSE(ParseSemver("1.0.0-").ok());
}

}  // namespace
}  // namespace wfs::store
