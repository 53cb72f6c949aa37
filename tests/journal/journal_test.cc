#include "journal/journal.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "base/random.h"
#include "base/strings.h"
#include "connectors/sim/simulators.h"
#include "journal/runner.h"
#include "lang/compiler.h"
#include "tests/journal/crash_workload.h"

namespace wfs::journal {
namespace {

namespace conn = wfs::connectors;

class TempDir {
 public:
  TempDir()
      : path_((std::filesystem::temp_directory_path() /
               ("wfs-journal-" + SecureRandomHex(4)))
                  .string()) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<Journal> OpenJournal(const std::string& path,
                                     int64_t max_pages = 0) {
  JournalOptions o;
  o.path = path;
  o.max_pages = max_pages;
  auto j = Journal::Open(o);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return std::move(*j);
}

// Simulators over an in-memory world, optionally wrapped.
class SimProvider : public ConnectorProvider {
 public:
  explicit SimProvider(connectors::sim::World* world) {
    sims_ = connectors::sim::MakeSimulators(world);
    for (auto& s : sims_) set_.Add(s.get());
  }
  void Wrap(conn::Connector* replacement) { set_.Add(replacement); }
  conn::Connector* Find(const std::string& name) {
    for (auto& s : sims_) {
      if (s->name() == name) return s.get();
    }
    return nullptr;
  }
  Result<std::unique_ptr<ConnectorLease>> Open(const Json&) override {
    class L : public ConnectorLease {
     public:
      explicit L(const conn::ConnectorSet* s) : s_(s) {}
      const conn::ConnectorSet& set() const override { return *s_; }

     private:
      const conn::ConnectorSet* s_;
    };
    return std::unique_ptr<ConnectorLease>(new L(&set_));
  }

 private:
  std::vector<std::unique_ptr<conn::Connector>> sims_;
  conn::ConnectorSet set_;
};

struct Env {
  std::unique_ptr<lang::Compiler> compiler =
      lang::Compiler::Create(lang::CompilerOptions{});
  connectors::sim::WorldSchema schema =
      connectors::sim::SchemaFromInterfaces(compiler->interfaces());
  runtime::ProgramPtr Program(const std::string& src) {
    auto out = compiler->Check({{"t.wf", src}});
    EXPECT_TRUE(out[0].ok);
    return runtime::Program::FromIr(out[0].ir(), out[0].content_id).value();
  }
  connectors::sim::World World(const Json& doc) {
    return connectors::sim::World::FromJson(doc, schema).value();
  }
};

int Payments(connectors::sim::World& w) {
  Json doc = w.ToJson();
  return static_cast<int>(doc["payments"]["payments"].size());
}

TEST(RunIdTest, TimeOrderedWithARandomDraw) {
  FakeClock clock;
  std::string previous;
  double sum = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    std::string id = NewRunId(clock);
    ASSERT_EQ(id.size(), 24u) << id;
    ASSERT_EQ(id.substr(0, 2), "r-");
    EXPECT_GT(id.substr(0, 16),
              previous.substr(0, std::min<size_t>(16, previous.size())));
    previous = id;
    double d = RunIdDraw(id);
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    sum += d;
    clock.Advance(1);
  }
  // Uniform: the mean of 4000 draws is within 0.05 of one half (about 5.5
  // standard deviations).
  EXPECT_NEAR(sum / n, 0.5, 0.05);
  EXPECT_EQ(RunIdDraw("r-0123"), 0.0);
  EXPECT_EQ(RunIdDraw("r-00000000000000zzzzzzzz"), 0.0);
}

TEST(JournalTest, RecordsRunsAndEventsInOrder) {
  TempDir dir;
  auto j = OpenJournal(dir.File("j.db"));
  RunRecord r;
  r.run_id = "a";
  r.workflow = "w@1.0.0";
  r.content_id = "sha256:x";
  r.inputs = {{"k", 1}};
  ASSERT_TRUE(j->CreateRun(r).ok());
  EXPECT_EQ(j->CreateRun(r).code(), Code::kAlreadyExists);
  for (int i = 1; i <= 3; ++i) {
    EventRecord e;
    e.seq = i;
    e.kind = i == 3 ? "outcome" : "intent";
    e.effect = 0;
    e.data = {{"i", i}};
    ASSERT_TRUE(j->Append("a", e, i == 3).ok());
  }
  ASSERT_TRUE(
      j->SetState("a", "completed", {{"outcome", "completed"}}, true).ok());
  auto events = j->Events("a").value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].data["i"], 2);
  auto run = j->GetRun("a").value();
  EXPECT_EQ(run.state, "completed");
  EXPECT_EQ(run.inputs["k"], 1);
  // An intent without a result in a finished run is inconsistent.
  auto problems = j->Verify().value();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("intent but no result"), std::string::npos);
  EXPECT_EQ(j->GetRun("nope").status().code(), Code::kNotFound);
}

RunRecord RunningRun(const std::string& id) {
  RunRecord r;
  r.run_id = id;
  r.workflow = "t.w@1.0.0";
  r.content_id = "c";
  r.caller = "t";
  return r;
}

// Journals open on one file stand for processes: a running run is claimed
// by another only once its owner's journal has closed.
TEST(JournalTest, ARunIsClaimedOnlyOnceItsOwnerHasEnded) {
  TempDir dir;
  auto a = OpenJournal(dir.File("j.db"));
  auto b = OpenJournal(dir.File("j.db"));
  ASSERT_NE(a->owner_id(), b->owner_id());
  ASSERT_TRUE(a->CreateRun(RunningRun("x")).ok());
  EXPECT_TRUE(a->Claim("x").value()) << "its own run";
  EXPECT_FALSE(b->Claim("x").value()) << "a live owner keeps it";
  a.reset();
  EXPECT_TRUE(b->Claim("x").value()) << "its owner ended";
  auto c = OpenJournal(dir.File("j.db"));
  EXPECT_FALSE(c->Claim("x").value()) << "now b's, and b is live";
  ASSERT_TRUE(b->SetState("x", "completed", Json::object(), true).ok());
  b.reset();
  EXPECT_FALSE(c->Claim("x").value()) << "a finished run is nobody's to take";
  EXPECT_EQ(c->Claim("y").status().code(), Code::kNotFound);
}

// A process that died leaves its owner file unlocked (and a journal from
// before owners has none): each of its runs goes to exactly one of the
// processes claiming it at once.
TEST(JournalTest, ARunOfAProcessThatDiedGoesToOneClaimant) {
  TempDir dir;
  std::string dead = "0123456789abcdef0123456789abcdef";
  constexpr int kRuns = 32, kClaimants = 3;
  {
    auto a = OpenJournal(dir.File("j.db"));
    for (int i = 0; i < kRuns; ++i) {
      ASSERT_TRUE(a->CreateRun(RunningRun(StrCat("r", i))).ok());
    }
  }
  {
    auto db = sql::Db::Open(dir.File("j.db"), {}).value();
    // Even runs: the dead owner's; odd ones: from before owners.
    ASSERT_TRUE(db->Exec(StrCat("UPDATE runs SET owner = CASE WHEN "
                                "CAST(substr(run_id, 2) AS INTEGER) % 2 = 0 "
                                "THEN '",
                                dead, "' ELSE '' END"))
                    .ok());
  }
  std::string file = dir.File("j.db-owners/" + dead);
  { std::ofstream(file) << ""; }  // left behind, unlocked
  std::vector<std::unique_ptr<Journal>> journals;
  for (int i = 0; i < kClaimants; ++i) {
    journals.push_back(OpenJournal(dir.File("j.db")));
  }
  std::vector<std::atomic<int>> takers(kRuns);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClaimants; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < kRuns; ++i) {
        auto claimed = journals[c]->Claim(StrCat("r", i));
        if (!claimed.ok()) ++errors;
        if (claimed.ok() && *claimed) ++takers[i];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  for (int i = 0; i < kRuns; ++i) {
    EXPECT_EQ(takers[i].load(), 1) << "run r" << i;
  }
  EXPECT_FALSE(std::filesystem::exists(file)) << "the dead owner's file goes";
}

// A journal written before runs had owners opens (the column is added, by
// one of two processes opening it at once) and its running runs resume.
TEST(JournalTest, AJournalFromBeforeOwnersOpens) {
  TempDir dir;
  {
    auto db = sql::Db::Open(dir.File("j.db"), {}).value();
    ASSERT_TRUE(db->Exec("CREATE TABLE runs (run_id TEXT PRIMARY KEY, "
                         "workflow TEXT NOT NULL, content_id TEXT NOT NULL, "
                         "caller TEXT NOT NULL, inputs TEXT NOT NULL, "
                         "connectors TEXT NOT NULL, state TEXT NOT NULL, "
                         "outcome TEXT NOT NULL, created_us INTEGER NOT NULL, "
                         "updated_us INTEGER NOT NULL); "
                         "INSERT INTO runs VALUES ('old', 't.w@1.0.0', 'c', "
                         "'t', '{}', '{}', 'running', '{}', 1, 1)")
                    .ok());
  }
  std::unique_ptr<Journal> a, b;
  std::thread other([&] { a = OpenJournal(dir.File("j.db")); });
  b = OpenJournal(dir.File("j.db"));
  other.join();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->Claim("old").value());
  ASSERT_TRUE(a->CreateRun(RunningRun("new")).ok());
  EXPECT_FALSE(b->Claim("new").value());
}

// A journal whose writer holds records nobody waits for ten minutes (far
// longer than a test), with run "a" recorded.
std::unique_ptr<Journal> OpenSlowJournal(const TempDir& dir,
                                         int max_queued = 8192) {
  JournalOptions o;
  o.path = dir.File("j.db");
  o.commit_delay = std::chrono::seconds(600);
  o.max_queued = max_queued;
  auto j = Journal::Open(o).value();
  RunRecord r;
  r.run_id = "a";
  r.workflow = "w@1";
  r.content_id = "c";
  EXPECT_TRUE(j->CreateRun(r, /*wait=*/true).ok());
  return j;
}

// Queues "answer" events `from`..`to` of run "a"; only the last one's
// caller waits for its commit, when `wait_for_last`.
void AppendAnswers(Journal& j, int from, int to, bool wait_for_last = false) {
  for (int i = from; i <= to; ++i) {
    EventRecord e;
    e.seq = i;
    e.kind = "answer";
    ASSERT_TRUE(j.Append("a", e, /*wait=*/wait_for_last && i == to).ok());
  }
}

// Records nobody waits for share commits: the writer holds them up to
// commit_delay after its previous commit. A waiter, a read or closing the
// journal commits at once.
TEST(JournalTest, UnwaitedRecordsShareCommitsUntilSomeoneNeedsThem) {
  TempDir dir;
  auto j = OpenSlowJournal(dir);
  int64_t commits = j->stats().commits;
  AppendAnswers(*j, 1, 100);
  // A read sees them all (it asks for the commit instead of waiting ten
  // minutes), and they went in at most two commits.
  EXPECT_EQ(j->Events("a").value().size(), 100u);
  EXPECT_LE(j->stats().commits - commits, 2);
  // A waiter does not wait for the deadline either.
  commits = j->stats().commits;
  AppendAnswers(*j, 101, 110, /*wait_for_last=*/true);
  EXPECT_LE(j->stats().commits - commits, 2);
  // Closing commits what is queued.
  AppendAnswers(*j, 111, 111);
  j.reset();
  auto again = OpenJournal(dir.File("j.db"));
  EXPECT_EQ(again->Events("a").value().size(), 111u);
}

TEST(JournalTest, AFullQueueMakesItsCallersWaitForTheWriter) {
  TempDir dir;
  auto j = OpenSlowJournal(dir, /*max_queued=*/8);
  int64_t commits = j->stats().commits;
  // Never more than 8 queued: the 9th and the 17th wait for a batch to be
  // taken, which wakes the writer before its deadline.
  AppendAnswers(*j, 1, 20);
  Journal::Stats st = j->stats();
  EXPECT_EQ(st.full_waits, 2);
  EXPECT_GE(st.commits - commits, 1);
  EXPECT_EQ(j->Events("a").value().size(), 20u);
}

TEST(JournalTest, GroupCommitKeepsEveryWaiter) {
  TempDir dir;
  auto j = OpenJournal(dir.File("j.db"));
  const int kThreads = 64, kEach = 20;
  for (int t = 0; t < kThreads; ++t) {
    RunRecord r;
    r.run_id = StrCat("r", t);
    r.workflow = "w@1";
    r.content_id = "c";
    ASSERT_TRUE(j->CreateRun(r).ok());
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kEach; ++i) {
        EventRecord e;
        e.seq = i;
        e.kind = "answer";
        if (!j->Append(StrCat("r", t), e, true).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  j.reset();  // reopen: everything acknowledged is there
  auto again = OpenJournal(dir.File("j.db"));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(again->Events(StrCat("r", t)).value().size(),
              static_cast<size_t>(kEach));
  }
}

// Touches nothing: it only computes on its input.
const char* kEcho = R"(workflow t.echo 1.0.0 {
  summary "s"
  intent "i"
  input text: string "t"
  output text: string "t"
  run {
    return { text: text }
  }
})";

const char* kPay = R"(workflow t.pay 1.0.0 {
  summary "s"
  intent "i"
  input memo: string "m"
  uses payments.spend
  scope payments.account = "acct"
  limit payments.spend <= 1
  run {
    confirm "Pay 1.00 for {memo}?"
    let id = payments.pay("acct", "DE00", 1.00, memo)
  }
})";

Json Bank() {
  return Json::parse(R"({"payments": {"accounts": [
    {"id": "acct", "name": "a", "balance": "100.00"}]}})");
}

TEST(JournalTest, ListsTheMostRecentRunsWithoutAState) {
  TempDir dir;
  auto j = OpenJournal(dir.File("j.db"));
  // Recorded in the order a, b, c, d; created in the order b, a, d, c.
  const std::pair<const char*, int64_t> runs[] = {
      {"a", 20}, {"b", 10}, {"c", 40}, {"d", 30}};
  for (const auto& [id, created] : runs) {
    RunRecord r;
    r.run_id = id;
    r.workflow = "w@1.0.0";
    r.content_id = "sha256:x";
    r.state = created == 10 ? "waiting" : "completed";
    r.created_us = created;
    ASSERT_TRUE(j->CreateRun(r).ok());
  }
  auto ids = [](const std::vector<RunRecord>& rs) {
    std::string out;
    for (const RunRecord& r : rs) out += r.run_id;
    return out;
  };
  EXPECT_EQ(ids(j->ListRuns("", 10).value()), "cdab");
  // The two recorded last, newest first.
  EXPECT_EQ(ids(j->ListRuns("", 2).value()), "cd");
  EXPECT_EQ(ids(j->ListRuns("completed", 2).value()), "cd");
  EXPECT_EQ(ids(j->ListRuns("waiting", 2).value()), "b");
}

TEST(JournalTest, ScansRunsByFilterAndByWhatWasRecordedSince) {
  TempDir dir;
  auto j = OpenJournal(dir.File("j.db"));
  EXPECT_EQ(j->LastRun().value().seq, 0);
  auto record = [&](const std::string& id, const std::string& workflow,
                    const std::string& caller, int64_t created,
                    const Json& undo) {
    RunRecord r;
    r.run_id = id;
    r.workflow = workflow;
    r.content_id = "sha256:x";
    r.caller = caller;
    r.state = "completed";
    r.outcome = {{"outcome", "completed"}, {"undo", undo}};
    r.created_us = created;
    ASSERT_TRUE(j->CreateRun(r).ok());
  };
  Json none = Json::array();
  record("a", "w@1", "ann", 10, none);
  record("b", "w@2", "ann", 20, Json::array({{{"effect", 1}}}));
  record("c", "w@1", "bob", 30, none);
  int64_t after_c = j->LastRun().value().seq;
  record("d", "w@1", "ann", 5, none);  // recorded later, created earlier
  record("e", "w@1", "bob", 40, none);
  int64_t after_e = j->LastRun().value().seq;
  record("f", "w@1", "ann", 50, none);

  auto scan = [&](const Journal::RunFilter& f) {
    std::set<std::string> ids;
    Status s = j->ScanRuns(f, [&](const Journal::RunSummary& r) {
      ids.insert(r.run_id);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s;
    std::string out;
    for (const std::string& id : ids) out += id;
    return out;
  };
  Journal::RunFilter f;
  EXPECT_EQ(scan(f), "abcdef");
  f.workflow = "w@1";
  EXPECT_EQ(scan(f), "acdef");
  f.caller = "ann";
  EXPECT_EQ(scan(f), "adf");
  f.since_us = 10;
  EXPECT_EQ(scan(f), "af");
  // What was recorded after c, through e: d and e whatever their times.
  Journal::RunFilter since;
  since.workflow = "w@1";
  since.after_seq = after_c;
  since.through_seq = after_e;
  EXPECT_EQ(scan(since), "de");
  since.through_seq = 0;
  EXPECT_EQ(scan(since), "def");
  since.since_us = 40;
  EXPECT_EQ(scan(since), "ef");

  // One run's summary, by name (nullopt when there is none).
  auto summary = [&](const std::string& id) {
    std::optional<Journal::RunSummary> out;
    Journal::RunFilter one;
    one.run_ids = {id};
    EXPECT_TRUE(j->ScanRuns(one, [&](const Journal::RunSummary& r) {
                   out = r;
                   return Status::Ok();
                 }).ok());
    return out;
  };
  Journal::RunSummary b = summary("b").value();
  EXPECT_TRUE(b.compensated);
  EXPECT_EQ(b.workflow, "w@2");
  EXPECT_EQ(b.caller, "ann");
  EXPECT_EQ(b.created_us, 20);
  EXPECT_FALSE(summary("a")->compensated);
  EXPECT_LT(summary("c")->seq, summary("d")->seq);
  EXPECT_EQ(summary("f")->seq, j->LastRun()->seq);
  EXPECT_EQ(j->LastRun()->run_id, "f");
  // Named runs (and the other conditions still apply).
  Journal::RunFilter named;
  named.run_ids = {"a", "c", "e", "zz"};
  EXPECT_EQ(scan(named), "ace");
  named.caller = "bob";
  EXPECT_EQ(scan(named), "ce");
  std::vector<std::string> many;
  for (int i = 0; i < 600; ++i) many.push_back(StrCat("x", i));
  many.push_back("b");
  named = {};
  named.run_ids = many;
  EXPECT_EQ(scan(named), "b");
  EXPECT_FALSE(summary("zz").has_value());

  // The visitor's error ends the scan and is returned.
  int visited = 0;
  Status stop = j->ScanRuns({}, [&](const Journal::RunSummary&) {
    ++visited;
    return Aborted("enough");
  });
  EXPECT_EQ(stop.code(), Code::kAborted);
  EXPECT_EQ(visited, 1);
}

// A scan may skip committing what this process queued (a later scan
// bounded by LastRun reads it); by default it commits it first.
TEST(JournalTest, AScanMayLeaveQueuedRecordsForTheNextOne) {
  TempDir dir;
  JournalOptions o;
  o.path = dir.File("j.db");
  o.commit_delay = std::chrono::seconds(60);  // nothing commits on its own
  auto j = Journal::Open(o).value();
  RunRecord r;
  r.run_id = "first";
  r.workflow = "w@1";
  r.content_id = "sha256:x";
  ASSERT_TRUE(j->RecordFinishedRun(r, 1, /*wait=*/true).ok());
  r.run_id = "queued";
  ASSERT_TRUE(j->RecordFinishedRun(r, 1, /*wait=*/false).ok());
  auto ids = [&](bool wait) {
    Journal::RunFilter f;
    f.wait_for_queued = wait;
    std::string out;
    EXPECT_TRUE(j->ScanRuns(f, [&](const Journal::RunSummary& s) {
                   out += s.run_id + " ";
                   return Status::Ok();
                 }).ok());
    return out;
  };
  EXPECT_EQ(ids(false), "first ");
  EXPECT_EQ(ids(true), "first queued ");
}

// Refuses every configuration, and counts the attempts.
class BrokenProvider : public ConnectorProvider {
 public:
  Result<std::unique_ptr<ConnectorLease>> Open(const Json&) override {
    ++opened;
    return Unavailable("the world file is gone");
  }
  int opened = 0;
};

TEST(RunnerTest, AWorkflowWithoutConnectorsDoesNotOpenThem) {
  TempDir dir;
  Env env;
  BrokenProvider provider;
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  auto r = runner.Start(*env.Program(kEcho), {{"text", "a"}}, {}, &approve,
                        "t", "e0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, runtime::Outcome::kCompleted);
  EXPECT_EQ(provider.opened, 0);
  // One that uses a connector opens them, and fails with the provider.
  r = runner.Start(*env.Program(kPay), {{"memo", "m"}}, {}, &approve, "t",
                   "p0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("world file is gone"),
            std::string::npos);
  EXPECT_EQ(provider.opened, 1);
}

// The durability contract at the least cost: a run's creation is durable
// before it runs, an effect's intent before its connector is called, a
// waiting state before the caller hears of it; everything else (results,
// the outcome of a finished run) rides along with the next commit.
TEST(RunnerTest, ARunWaitsOnlyForWhatMustBeDurable) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  SimProvider provider(&world);
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  auto echo = env.Program(kEcho);
  auto pay = env.Program(kPay);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  runtime::FixedApprover later(runtime::Answer::Defer());
  // The first run of a program also records the program.
  ASSERT_TRUE(
      runner.Start(*echo, {{"text", "a"}}, {}, &approve, "t", "e0").ok());
  ASSERT_TRUE(
      runner.Start(*pay, {{"memo", "m"}}, {}, &approve, "t", "p0").ok());

  int64_t before = j->stats().waits;
  auto r = runner.Start(*echo, {{"text", "b"}}, {}, &approve, "t", "e1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(j->stats().waits - before, 1) << "no effects: its creation only";
  // Reads see the outcome at once, though nobody waited for it.
  EXPECT_EQ(j->GetRun("e1")->state, "completed");

  before = j->stats().waits;
  r = runner.Start(*pay, {{"memo", "m"}}, {}, &approve, "t", "p1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, runtime::Outcome::kCompleted);
  EXPECT_EQ(j->stats().waits - before, 2) << "its creation and one intent";
  EXPECT_EQ(j->GetRun("p1")->state, "completed");

  // A waiting run is durable before the caller is told: another process
  // sees it waiting while this one still runs.
  before = j->stats().waits;
  r = runner.Start(*pay, {{"memo", "m"}}, {}, &later, "t", "w1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, runtime::Outcome::kWaiting);
  EXPECT_EQ(j->stats().waits - before, 2) << "its creation and its state";
  {
    sql::Db::Options ro;
    ro.wal = false;
    auto other = sql::Db::Open(dir.File("j.db"), ro).value();
    auto st = other->Prepare("SELECT state FROM runs WHERE run_id = 'w1'");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Step().value());
    EXPECT_EQ(st->Text(0), "waiting");
  }
  // What nobody waited for is durable once the journal closes.
  j.reset();
  auto j2 = OpenJournal(dir.File("j.db"));
  EXPECT_EQ(j2->GetRun("e1")->state, "completed");
  EXPECT_EQ(j2->GetRun("p1")->state, "completed");
  EXPECT_TRUE(j2->Verify()->empty());
}

// Sees, at each call, whether the run is on disk: through a connection of
// its own, as another process would.
class DiskWitness : public conn::Connector {
 public:
  DiskWitness(conn::Connector* inner, std::string db) : inner_(inner), db_(db) {}
  const std::string& name() const override { return inner_->name(); }
  Result<conn::ActionResponse> Invoke(const conn::ActionRequest& r) override {
    sql::Db::Options ro;
    ro.wal = false;
    auto other = sql::Db::Open(db_, ro).value();
    auto st = other->Prepare("SELECT count(*) FROM runs").value();
    EXPECT_TRUE(st.Step().value());
    runs_on_disk.push_back(st.Int(0));
    return inner_->Invoke(r);
  }
  Result<std::optional<conn::ActionResponse>> Lookup(
      const std::string& key) override {
    return inner_->Lookup(key);
  }
  std::vector<int64_t> runs_on_disk;  // at each Invoke

 private:
  conn::Connector* inner_;
  std::string db_;
};

// A run with an id of its own making (NewRunId cannot collide) is not
// waited for at its start: it is durable before it touches the world (its
// first read, effect or question), and a run that touches nothing rides
// along with the next commit.
TEST(RunnerTest, AFreshRunIsDurableBeforeItTouchesTheWorld) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  SimProvider provider(&world);
  DiskWitness witness(provider.Find("payments"), dir.File("j.db"));
  provider.Wrap(&witness);
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  auto echo = env.Program(kEcho);
  auto look = env.Program(R"(workflow t.look 1.0.0 {
  summary "s"
  intent "i"
  uses payments.read
  scope payments.account = "acct"
  output shown: bool "t"
  run {
    let b = payments.balance("acct")
    return { shown: true }
  }
})");
  auto pay = env.Program(kPay);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  // Programs are recorded (and waited for) once.
  ASSERT_TRUE(runner.Start(*echo, {{"text", "a"}}, {}, &approve, "t").ok());
  ASSERT_TRUE(runner.Start(*look, Json::object(), {}, &approve, "t").ok());
  ASSERT_TRUE(runner.Start(*pay, {{"memo", "m"}}, {}, &approve,
                           "t")
                  .ok());
  witness.runs_on_disk.clear();

  int64_t before = j->stats().waits;
  auto r = runner.Start(*echo, {{"text", "b"}}, {}, &approve, "t");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(j->stats().waits - before, 0) << "touches nothing: no wait";

  before = j->stats().waits;
  r = runner.Start(*look, Json::object(), {}, &approve, "t");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, runtime::Outcome::kCompleted) << r->error;
  EXPECT_EQ(j->stats().waits - before, 1) << "once, before its read";
  ASSERT_EQ(witness.runs_on_disk.size(), 1u);
  EXPECT_EQ(witness.runs_on_disk[0], 5) << "this run and the four before it";

  before = j->stats().waits;
  r = runner.Start(*pay, {{"memo", "m"}}, {}, &approve, "t");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, runtime::Outcome::kCompleted) << r->error;
  EXPECT_EQ(j->stats().waits - before, 2)
      << "before its question, and its payment's intent";
  ASSERT_EQ(witness.runs_on_disk.size(), 2u);
  EXPECT_EQ(witness.runs_on_disk[1], 6);

  auto runs = j->ListRuns("completed", 100).value();
  EXPECT_EQ(runs.size(), 6u);
  j.reset();  // what nobody waited for is durable once the journal closes
  auto j2 = OpenJournal(dir.File("j.db"));
  EXPECT_EQ(j2->ListRuns("completed", 100).value().size(), 6u);
  EXPECT_TRUE(j2->Verify()->empty());
}

TEST(RunnerTest, AWaitingRunIsAnsweredLater) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  SimProvider provider(&world);
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  auto p = env.Program(kPay);
  runtime::FixedApprover later(runtime::Answer::Defer());
  auto r = runner.Start(*p, {{"memo", "invoice 7"}}, Json::object(), &later,
                        "test", "w1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, runtime::Outcome::kWaiting);
  EXPECT_EQ(j->GetRun("w1")->state, "waiting");
  EXPECT_EQ(Payments(world), 0);
  // A new process (a new runner and journal handle) answers.
  j.reset();
  auto j2 = OpenJournal(dir.File("j.db"));
  Runner runner2(j2.get(), &provider, nullptr);
  auto done = runner2.Answer("w1", runtime::Answer::Approve(), &later);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->outcome, runtime::Outcome::kCompleted);
  EXPECT_EQ(Payments(world), 1);
  EXPECT_EQ(j2->GetRun("w1")->state, "completed");
  EXPECT_EQ(
      runner2.Answer("w1", runtime::Answer::Approve(), &later).status().code(),
      Code::kFailedPrecondition);
  EXPECT_TRUE(j2->Verify()->empty());
}

// Two processes answering one waiting run at once (`wfstore approve` or an
// agent's answer_run, and `wfstore deny`): one answer counts, the other is
// told the run was answered, never a storage error, and the payment happens
// at most once.
TEST(RunnerTest, OfTwoAnswersAtOnceOneCounts) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  SimProvider provider(&world);
  auto a = OpenJournal(dir.File("j.db"));
  auto b = OpenJournal(dir.File("j.db"));
  Runner ra(a.get(), &provider, nullptr), rb(b.get(), &provider, nullptr);
  auto p = env.Program(kPay);
  runtime::FixedApprover later(runtime::Answer::Defer());
  runtime::FixedApprover approve(runtime::Answer::Approve());
  for (int i = 0; i < 20; ++i) {
    std::string id = StrCat("w", i);
    ASSERT_TRUE(ra.Start(*p, {{"memo", id}}, {}, &later, "t", id).ok());
    Result<runtime::RunResult> ya = Internal("not run"), yb = ya;
    // Odd runs: the first asks the person again (answer_run) instead of
    // recording an answer (wfstore approve).
    std::thread t([&] {
      ya = i % 2 ? ra.ResumeWaiting(id, &approve)
                 : ra.Answer(id, runtime::Answer::Approve(), &later);
    });
    yb = rb.Answer(id, runtime::Answer::Deny(), &later);
    t.join();
    EXPECT_NE(ya.ok(), yb.ok()) << id;
    for (const auto* y : {&ya, &yb}) {
      if (!y->ok()) {
        EXPECT_EQ(y->status().code(), Code::kFailedPrecondition)
            << y->status().ToString();
      }
    }
  }
  EXPECT_LE(Payments(world), 20);
  EXPECT_TRUE(b->Verify()->empty());
}

// Cuts run `run_id` back to just after its last intent and marks it running
// again: what a process that died between an effect and its result leaves.
void CutBackToIntent(const std::string& path, const std::string& run_id,
                     const std::vector<EventRecord>& events) {
  auto db = sql::Db::Open(path, {}).value();
  int64_t intent = 0;
  for (const EventRecord& e : events) {
    if (e.kind == "intent") intent = e.seq;
  }
  ASSERT_GT(intent, 0);
  ASSERT_TRUE(db->Exec(StrCat("DELETE FROM events WHERE run_id = '", run_id,
                              "' AND seq > ", intent))
                  .ok());
  ASSERT_TRUE(db->Exec(StrCat("UPDATE runs SET state = 'running' WHERE "
                              "run_id = '",
                              run_id, "'"))
                  .ok());
}

TEST(RunnerTest, AnIntentWithoutAResultIsReconciledNotRepeated) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  world.set_honor_idempotency_keys(false);
  SimProvider provider(&world);
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  auto p = env.Program(kPay);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  ASSERT_TRUE(runner.Start(*p, {{"memo", "m"}}, {}, &approve, "t", "x").ok());
  ASSERT_EQ(Payments(world), 1);
  // Cut the journal back to just after the payment's intent, as if the
  // process had died between the payment and its result.
  auto events = j->Events("x").value();
  j.reset();
  ASSERT_NO_FATAL_FAILURE(CutBackToIntent(dir.File("j.db"), "x", events));
  auto j2 = OpenJournal(dir.File("j.db"));
  Runner runner2(j2.get(), &provider, nullptr);
  auto rec = runner2.Recover(&approve);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  ASSERT_EQ(rec->size(), 1u);
  EXPECT_EQ((*rec)[0].second.outcome, runtime::Outcome::kCompleted);
  EXPECT_EQ(Payments(world), 1) << "the payment must not be made twice";
  EXPECT_EQ(j2->GetRun("x")->outcome["reconciled"], 1);
  EXPECT_TRUE(j2->Verify()->empty());
}

// A run another live process is executing is not recovered from under it
// (a second server starting on the same store); once that process has
// ended, it is, and its effect is reconciled, not repeated.
TEST(RunnerTest, RecoveryLeavesARunToItsLiveProcess) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  world.set_honor_idempotency_keys(false);
  SimProvider provider(&world);
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  ASSERT_TRUE(
      runner.Start(*env.Program(kPay), {{"memo", "m"}}, {}, &approve, "t", "x")
          .ok());
  ASSERT_EQ(Payments(world), 1);
  // As seen while the payment is under way: its intent on disk, no result.
  auto events = j->Events("x").value();
  ASSERT_NO_FATAL_FAILURE(CutBackToIntent(dir.File("j.db"), "x", events));
  auto j2 = OpenJournal(dir.File("j.db"));
  Runner runner2(j2.get(), &provider, nullptr);
  std::vector<std::string> left;
  auto rec = runner2.Recover(&approve, &left);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_TRUE(rec->empty()) << "the run is still its first process's";
  EXPECT_EQ(left, std::vector<std::string>{"x"});
  EXPECT_EQ(j2->GetRun("x")->state, "running");
  j.reset();  // that process ends
  rec = runner2.Recover(&approve);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  ASSERT_EQ(rec->size(), 1u);
  EXPECT_EQ((*rec)[0].second.outcome, runtime::Outcome::kCompleted);
  EXPECT_EQ(Payments(world), 1) << "the payment must not be made twice";
  EXPECT_TRUE(j2->Verify()->empty());
}

// Does the effect, then reports a timeout (the answer was lost), or reports a
// timeout without doing anything.
class Flaky : public conn::Connector {
 public:
  Flaky(conn::Connector* inner, bool effect_happens)
      : inner_(inner), happens_(effect_happens) {}
  const std::string& name() const override { return inner_->name(); }
  Result<conn::ActionResponse> Invoke(const conn::ActionRequest& r) override {
    if (r.action != "pay") return inner_->Invoke(r);
    if (happens_) {
      auto done = inner_->Invoke(r);
      if (!done.ok()) return done;
    }
    return DeadlineExceeded("no answer from the bank within 30 s");
  }
  Result<std::optional<conn::ActionResponse>> Lookup(
      const std::string& key) override {
    return inner_->Lookup(key);
  }

 private:
  conn::Connector* inner_;
  bool happens_;
};

TEST(RunnerTest, ConnectorTimeoutsAreReconciledThroughTheConnector) {
  Env env;
  auto p = env.Program(kPay);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  for (bool happens : {true, false}) {
    TempDir dir;
    auto world = env.World(Bank());
    SimProvider provider(&world);
    Flaky flaky(provider.Find("payments"), happens);
    provider.Wrap(&flaky);
    auto j = OpenJournal(dir.File("j.db"));
    Runner runner(j.get(), &provider, nullptr);
    auto r = runner.Start(*p, {{"memo", "m"}}, {}, &approve, "t", "x");
    ASSERT_TRUE(r.ok());
    if (happens) {
      EXPECT_EQ(r->outcome, runtime::Outcome::kCompleted) << r->error;
      EXPECT_EQ(r->calls.back().decision, "reconciled");
    } else {
      EXPECT_EQ(r->outcome, runtime::Outcome::kFailed);
      EXPECT_NE(r->error.find("no answer"), std::string::npos);
    }
    EXPECT_EQ(Payments(world), happens ? 1 : 0);
    EXPECT_TRUE(j->Verify()->empty());
  }
}

TEST(RunnerTest, AFullDiskStopsRunsBeforeTheirEffects) {
  TempDir dir;
  Env env;
  auto world = env.World(Bank());
  SimProvider provider(&world);
  auto j = OpenJournal(dir.File("j.db"), /*max_pages=*/12);
  Runner runner(j.get(), &provider, nullptr);
  auto p = env.Program(kPay);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  int started = 0;
  Status failure;
  for (int i = 0; i < 500 && failure.ok(); ++i) {
    auto r = runner.Start(*p, {{"memo", StrCat("m", i)}}, {}, &approve, "t",
                          StrCat("r", i));
    if (!r.ok()) {
      failure = r.status();
    } else {
      ++started;
      if (r->outcome != runtime::Outcome::kCompleted) {
        failure = Internal(r->error);
      }
    }
  }
  ASSERT_FALSE(failure.ok()) << "the journal never filled up";
  EXPECT_EQ(j->health().code(), Code::kResourceExhausted)
      << j->health().ToString();
  // Every payment in the world has its intent in the journal.
  int intents = 0;
  for (const RunRecord& r : j->ListRuns("", 10000).value()) {
    for (const EventRecord& e : j->Events(r.run_id).value()) {
      intents += e.kind == "intent";
    }
  }
  EXPECT_LE(Payments(world), intents);
  EXPECT_GT(started, 0);
  // Writes stay refused: no effect may start without its intent on disk.
  EventRecord e;
  e.seq = 999;
  e.kind = "answer";
  EXPECT_EQ(j->Append("r0", e, true).code(), Code::kResourceExhausted);
}

TEST(RunnerTest, SixtyFourConcurrentRuns) {
  TempDir dir;
  Env env;
  auto world = env.World(crash::InitialWorld(64));
  SimProvider provider(&world);
  auto j = OpenJournal(dir.File("j.db"));
  Runner runner(j.get(), &provider, nullptr);
  auto p = env.Program(crash::kWorkflow);
  runtime::FixedApprover approve(runtime::Answer::Approve());
  std::vector<std::thread> threads;
  std::atomic<int> completed{0}, failed{0}, errors{0};
  for (int n = 0; n < 64; ++n) {
    threads.emplace_back([&, n] {
      auto r = runner.Start(*p, crash::Inputs(n), {}, &approve, "t",
                            crash::RunId(n));
      if (!r.ok()) {
        ++errors;
      } else if (r->outcome == runtime::Outcome::kCompleted) {
        ++completed;
      } else {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(completed.load(), 64 - 13);  // n % 5 == 0 fail on purpose
  EXPECT_EQ(failed.load(), 13);
  EXPECT_EQ(Payments(world), 64);
  EXPECT_TRUE(j->Verify()->empty());
  EXPECT_EQ(j->ListRuns("completed", 1000)->size(), 51u);
}

}  // namespace
}  // namespace wfs::journal
