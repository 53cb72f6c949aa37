// Crash tests with real processes: crash_worker runs the workload against a
// simulated world persisted to a file; the harness kills it with SIGKILL at
// seeded random moments (at least 300 kills), sometimes tears the journal's
// last write, lets a final process finish, and checks that no effect was lost
// or duplicated, every run either completed or was compensated, and the
// journal is consistent. A deliberately broken worker must be caught.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/random.h"
#include "base/strings.h"
#include "journal/journal.h"
#include "tests/journal/crash_workload.h"

namespace wfs::crash {
namespace {

constexpr int kRuns = 40;
constexpr int kConcurrency = 4;

std::string Worker() {
  const char* w = std::getenv("WFS_CRASH_WORKER");
  return w ? w : "crash_worker";
}

std::string TempDir(const std::string& name) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("wfs-crash-" + name + "-" + SecureRandomHex(4)))
                        .string();
  std::filesystem::create_directories(dir);
  return dir;
}

pid_t Spawn(const std::string& dir, const std::vector<std::string>& extra) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> args = {Worker(), dir, std::to_string(kRuns),
                                     std::to_string(kConcurrency)};
    args.insert(args.end(), extra.begin(), extra.end());
    // WFS_CRASH_EXTRA adds worker flags by hand (e.g. --no-lookup, to see
    // the checks catch a broken reconciliation under random kills).
    if (const char* more = std::getenv("WFS_CRASH_EXTRA")) {
      args.push_back(more);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Runs the worker to the end; its exit status.
int RunToEnd(const std::string& dir, const std::vector<std::string>& extra) {
  pid_t pid = Spawn(dir, extra);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A torn write: garbage where the next WAL frame would start, as when power
// fails in the middle of writing it.
void TearWal(const std::string& dir, Rng& rng) {
  std::string wal = dir + "/journal.db-wal";
  int fd = open(wal.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) return;
  std::string junk(1 + rng.Uniform(3000), '\0');
  for (char& c : junk) c = static_cast<char>(rng.Next());
  ssize_t w = write(fd, junk.data(), junk.size());
  (void)w;
  close(fd);
}

// What went wrong with the end state (empty when all is well).
std::vector<std::string> Check(const std::string& dir) {
  std::vector<std::string> problems;
  auto text = ReadFile(dir + "/world.json");
  if (!text.ok()) return {"no world: " + text.status().ToString()};
  Json world = ParseJson(*text).value();
  journal::JournalOptions jo;
  jo.path = dir + "/journal.db";
  auto j = journal::Journal::Open(jo);
  if (!j.ok()) return {"journal: " + j.status().ToString()};
  std::map<std::string, int> payments;
  for (const Json& p : world["payments"]["payments"]) {
    ++payments[p["memo"].get<std::string>()];
  }
  std::map<std::string, std::string> mailbox;
  for (const Json& m : world["mail"]["messages"]) {
    mailbox[m["id"]] = m["mailbox"];
  }
  std::map<std::string, bool> file;
  for (const Json& f : world["fs"]["files"]) file[f["path"]] = true;
  for (int n = 0; n < kRuns; ++n) {
    std::string id = RunId(n);
    auto run = (*j)->GetRun(id);
    if (!run.ok()) {
      problems.push_back(id + " was never started");
      continue;
    }
    bool should_fail = n % 5 == 0;
    std::string want = should_fail ? "failed" : "completed";
    if (run->state != want) {
      problems.push_back(StrCat(id, " ended ", run->state, ", expected ", want,
                                " (", run->outcome.dump(), ")"));
    }
    if (payments[id] != 1) {
      problems.push_back(StrCat(id, " paid ", payments[id], " times"));
    }
    std::string box = mailbox[StrCat("m", n)];
    std::string want_box = should_fail ? "INBOX" : "Archive";
    if (box != want_box) {
      problems.push_back(StrCat("m", n, " is in ", box, ", expected ",
                                want_box));
    }
    bool has_file = file.count(StrCat("/data/", id, ".txt")) > 0;
    if (has_file == should_fail) {
      problems.push_back(StrCat("/data/", id, ".txt ",
                                has_file ? "exists" : "is missing"));
    }
  }
  if (payments.size() != static_cast<size_t>(kRuns)) {
    problems.push_back(StrCat(payments.size(), " distinct payments for ",
                              kRuns, " runs"));
  }
  auto verify = (*j)->Verify();
  if (!verify.ok()) {
    problems.push_back("verify: " + verify.status().ToString());
  } else {
    for (const std::string& p : *verify) problems.push_back("journal: " + p);
  }
  return problems;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += "  " + s + "\n";
  return out;
}

// One seed: start the worker and kill it at a random moment, again and
// again, until a start finishes every run on its own. Returns the kills.
int KillUntilDone(uint64_t seed, const std::string& dir, int max_kills) {
  Rng rng(seed);
  int kills = 0;
  while (kills < max_kills) {
    pid_t pid = Spawn(dir, {});
    auto delay = std::chrono::microseconds(2000 + rng.Uniform(23000));
    std::this_thread::sleep_for(delay);
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return kills;  // finished
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ++kills;
    if (rng.Uniform(4) == 0) TearWal(dir, rng);
  }
  return kills;
}

TEST(CrashTest, RandomKillsLoseNothingAndDuplicateNothing) {
  int total_kills = 0;
  int seeds = 0;
  for (uint64_t seed = 1; total_kills < 300 && seed <= 100; ++seed) {
    std::string dir = TempDir("random");
    total_kills += KillUntilDone(seed, dir, 60);
    ++seeds;
    ASSERT_EQ(RunToEnd(dir, {}), 0) << "seed " << seed;
    std::vector<std::string> problems = Check(dir);
    EXPECT_TRUE(problems.empty()) << "seed " << seed << ":\n" << Join(problems);
    std::filesystem::remove_all(dir);
  }
  std::printf("crash test: %d kills across %d seeds\n", total_kills, seeds);
  EXPECT_GE(total_kills, 300);
}

TEST(CrashTest, KilledBetweenEffectAndResultIsReconciled) {
  // The narrowest window: the connector did the effect, the process died
  // before the journal recorded the result. Every effect position of the
  // first runs, one at a time.
  for (int k = 1; k <= 12; ++k) {
    std::string dir = TempDir("window");
    int rc = RunToEnd(dir, {"--crash-after-effect", std::to_string(k)});
    EXPECT_EQ(rc, 128 + SIGKILL) << "the worker should have died at effect "
                                 << k;
    ASSERT_EQ(RunToEnd(dir, {}), 0) << "effect " << k;
    std::vector<std::string> problems = Check(dir);
    EXPECT_TRUE(problems.empty()) << "effect " << k << ":\n" << Join(problems);
    std::filesystem::remove_all(dir);
  }
}

TEST(CrashTest, BrokenReconciliationIsCaught) {
  // With connectors that cannot find earlier effects, a payment made just
  // before a crash is made again after it. The checks must notice.
  std::string dir = TempDir("broken");
  // Effects of r0 (one at a time with 4 workers is not guaranteed, so crash
  // late enough that some payment is the one cut off).
  bool caught = false;
  for (int k = 3; k <= 12 && !caught; ++k) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    RunToEnd(dir, {"--crash-after-effect", std::to_string(k), "--no-lookup"});
    RunToEnd(dir, {"--no-lookup"});
    for (const std::string& p : Check(dir)) {
      if (p.find("paid 2 times") != std::string::npos) caught = true;
    }
  }
  EXPECT_TRUE(caught) << "a duplicate payment went unnoticed";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wfs::crash
