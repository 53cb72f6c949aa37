#include "harden/harden.h"

#include <filesystem>
#include <set>

#include "base/clock.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "testing/test_runner.h"

namespace wfs::harden {
namespace {

class HardenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wfs-harden-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::StoreOptions o;
    o.dir = dir_.string();
    o.clock = &clock_;
    auto s = store::Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    auto seeded = store_->SeedStarterCatalog();
    ASSERT_TRUE(seeded.ok()) << seeded.status();
    runner_ = std::make_unique<testing::TestRunner>(store_->schema(),
                                                    &store_->programs());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  runtime::ProgramPtr Load(const std::string& name) {
    auto p = store_->Latest(name);
    EXPECT_TRUE(p.ok()) << p.status();
    auto prog = store_->LoadProgram(name, p->version);
    EXPECT_TRUE(prog.ok()) << prog.status();
    return *prog;
  }

  // A program built from `ir` without the checker: how a weakened workflow
  // would look if it got past review.
  runtime::ProgramPtr FromIr(const Json& ir) {
    auto p = runtime::Program::FromIr(ir, "sha256:weakened");
    EXPECT_TRUE(p.ok()) << p.status();
    return *p;
  }

  HardenReport Run(const runtime::Program& p) {
    HardenOptions o;
    o.property_cases = 50;
    auto r = Harden(p, *runner_, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }

  static bool HasFinding(const HardenReport& r, const std::string& kind,
                         const std::string& name_part) {
    for (const Finding& f : r.findings) {
      if (f.kind == kind && f.name.find(name_part) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<testing::TestRunner> runner_;
};

TEST(PayloadsTest, CorpusIsLargeVariedAndAimedAtTargets) {
  const auto& p = InjectionPayloads();
  EXPECT_GE(p.size(), 100u);
  std::set<std::string> distinct(p.begin(), p.end());
  EXPECT_EQ(distinct.size(), p.size());
  for (const std::string& s : p) {
    EXPECT_NE(s.find(kMarker), std::string::npos) << s;
  }
}

TEST_F(HardenTest, EveryStarterWorkflowPasses) {
  auto all = store_->List();
  ASSERT_TRUE(all.ok());
  ASSERT_GE(all->size(), 10u);
  for (const store::PackageInfo& info : *all) {
    HardenReport r = Run(*Load(info.name));
    EXPECT_TRUE(r.passed) << info.name << ": "
                          << r.ToJson(HardenOptions{}).dump(2);
    EXPECT_EQ(r.tests_failed, 0) << info.name;
  }
}

TEST_F(HardenTest, InjectionsArePlantedInEveryUntrustedField) {
  HardenReport r = Run(*Load("mail.reply"));
  EXPECT_EQ(r.payloads, static_cast<int>(InjectionPayloads().size()));
  // Every untrusted field of the tests' messages, every payload.
  EXPECT_GT(r.adversarial_cases, r.payloads * 3);
}

TEST_F(HardenTest, ADroppedConfirmationFailsAndNamesTheTest) {
  runtime::ProgramPtr p = Load("mail.delete_message");
  Json ir = p->ir;
  Json code = Json::array();
  for (const Json& op : ir["code"]) {
    if (op.value("op", "") != "confirm") code.push_back(op);
  }
  ASSERT_LT(code.size(), ir["code"].size());
  ir["code"] = code;
  HardenReport r = Run(*FromIr(ir));
  EXPECT_FALSE(r.passed);
  EXPECT_GT(r.tests_failed, 0);
  EXPECT_TRUE(HasFinding(r, "failed", "denied")) << r.ToJson({}).dump(2);
}

TEST_F(HardenTest, ATargetFromAnUntrustedFieldIsCaught) {
  // mail.reply with its confirmation replaced by the author endorsing the
  // sender's address: the runtime lets the send through (the workflow says
  // the value is fine), and the adversarial phase catches the attacker's
  // address in `to`.
  runtime::ProgramPtr p = Load("mail.reply");
  Json ir = p->ir;
  Json code = Json::array();
  for (const Json& op : ir["code"]) {
    if (op.value("op", "") == "confirm") {
      for (const Json& e : op["endorse"]) {
        code.push_back({{"op", "endorse"},
                        {"slot", e["slot"]},
                        {"path", e["path"]},
                        {"reason", "weakened"},
                        {"at", op["at"]}});
      }
    } else {
      code.push_back(op);
    }
  }
  ir["code"] = code;
  HardenReport r = Run(*FromIr(ir));
  EXPECT_FALSE(r.passed);
  EXPECT_TRUE(HasFinding(r, "target", "payload")) << r.ToJson({}).dump(2);
  bool names_to = false;
  for (const Finding& f : r.findings) {
    names_to |= f.kind == "target" &&
                f.detail.find("mail.send ran with attacker-chosen `to`") !=
                    std::string::npos;
  }
  EXPECT_TRUE(names_to);
}

TEST_F(HardenTest, AWidenedLimitWithoutATestSurvivesMutation) {
  // archive_from_sender moves up to 50 messages; a mutant with the loop's
  // limit widened is only killed if a test exercises the limit.
  HardenReport r = Run(*Load("mail.archive_from_sender"));
  EXPECT_GT(r.mutants, 0);
  EXPECT_EQ(r.mutants_killed + static_cast<int>(r.surviving_mutants.size()),
            r.mutants);
}

TEST_F(HardenTest, ReportCarriesCoverageAndThresholds) {
  HardenReport r = Run(*Load("mail.forward_to_contact"));
  Json j = r.ToJson(HardenOptions{});
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["coverage"]["branch_sides"], r.branch_sides);
  EXPECT_GT(r.branch_sides, 0);
  EXPECT_EQ(j["coverage"]["threshold"], 0.5);
  EXPECT_TRUE(j["findings"].empty());
}

TEST_F(HardenTest, PassedEvidenceOpensTheHardenedGate) {
  auto info = store_->Latest("mail.delete_message");
  ASSERT_TRUE(info.ok());
  auto key = store_->StoreKey();
  ASSERT_TRUE(key.ok());
  // Seeding runs the tests and promotes to `tested`.
  ASSERT_EQ(info->stage, "tested");
  // No evidence yet: refused.
  EXPECT_FALSE(store_->Promote(info->name, info->version, "hardened", *key, "")
                   .ok());
  HardenReport r = Run(*Load("mail.delete_message"));
  ASSERT_TRUE(r.passed);
  ASSERT_TRUE(store_
                  ->RecordEvidence(info->name, info->version,
                                   store::kHardeningPredicate,
                                   r.ToJson(HardenOptions{}), *key)
                  .ok());
  auto promoted =
      store_->Promote(info->name, info->version, "hardened", *key, "");
  EXPECT_TRUE(promoted.ok()) << promoted.status();
}

}  // namespace
}  // namespace wfs::harden
