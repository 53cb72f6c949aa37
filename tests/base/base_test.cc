#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <sched.h>
#include <unistd.h>

#include "base/file_lock.h"
#include "base/json.h"
#include "base/json_writer.h"
#include "base/random.h"
#include "base/result.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/thread.h"
#include "base/worker_pool.h"

namespace wfs {
namespace {

TEST(JsonTest, RefusesDeepAndLargeInput) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto r = ParseJson(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting"), std::string::npos);
  EXPECT_FALSE(ParseJson("{\"a\":1}", JsonLimits{3, 8}).ok());
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseJson("\"" + std::string(500, '[') + "\"").ok());
}

TEST(JsonTest, ErrorsAreValuesNotExceptions) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "nul", "\"\\x\""}) {
    auto r = ParseJson(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(JsonTest, CanonicalSortsKeysAndKeepsUtf8) {
  Json j = ParseJson(R"({"b":1,"a":{"d":[1,"é"],"c":null}})").value();
  EXPECT_EQ(CanonicalJson(j), R"({"a":{"c":null,"d":[1,"é"]},"b":1})");
}

// Integers from untrusted JSON: never a conversion of a floating-point
// number (3e42 as an int is undefined behavior), and int's range kept.
// CanonicalJson is defined as nlohmann's dump with these settings; the
// serializer must match it byte for byte (fuzz_json explores further).
std::string ReferenceDump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

TEST(JsonTest, CanonicalMatchesTheReferenceDump) {
  static constexpr char kControls[] =
      "ctl \x01\x1f\x7f \b\f\n\r\t \" \\ / \0 after a NUL";
  std::vector<Json> docs = {
      nullptr,
      true,
      Json::array(),
      Json::object(),
      INT64_MIN,
      UINT64_MAX,
      -0.0,
      0.1,
      1e300,
      std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::infinity(),
      "",
      std::string(kControls, sizeof kControls - 1),
      "valid \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      // Invalid UTF-8: a stray byte, an overlong form, a surrogate, a
      // truncated sequence, each after valid text.
      "a\xff"
      "b \xc0\xaf \xed\xa0\x80 \xe2\x82",
      Json::binary({1, 2, 3}),
      {{"z", 1}, {"a", {{"\n\xff", Json::array({1, "x", nullptr})}}}, {"", 2}},
  };
  for (const Json& j : docs) {
    SCOPED_TRACE(ReferenceDump(j));
    EXPECT_EQ(CanonicalJson(j), ReferenceDump(j));
    std::string out = "x";
    AppendCanonicalJson(&out, j);
    EXPECT_EQ(out, "x" + ReferenceDump(j));
    if (j.is_string()) {
      std::string quoted;
      AppendJsonString(&quoted, j.get<std::string>());
      EXPECT_EQ(quoted, ReferenceDump(j));
    }
  }
}

TEST(JsonTest, CanonicalWalksDeepNestingWithoutRecursion) {
  // Far deeper than a thread's stack would take in recursive calls.
  constexpr int kDepth = 200000;
  Json root = Json::array();
  Json* inner = &root;
  for (int i = 0; i < kDepth; ++i) {
    inner->push_back(Json::array());
    inner = &inner->back();
  }
  std::string out = CanonicalJson(root);
  EXPECT_EQ(out, std::string(kDepth + 1, '[') + std::string(kDepth + 1, ']'));
}

TEST(JsonTest, IntMembersRefuseFloatsAndOutOfRange) {
  Json j = Json::parse(
      R"({"a": 7, "b": 3e42, "c": 2.0, "d": "7", "e": -4294967297,
          "f": 18446744073709551615})");
  EXPECT_EQ(JsonIntMember(j, "a", -1), 7);
  EXPECT_EQ(JsonIntMember(j, "b", -1), -1);
  EXPECT_EQ(JsonIntMember(j, "c", -1), -1);
  EXPECT_EQ(JsonIntMember(j, "d", -1), -1);
  EXPECT_EQ(JsonIntMember(j, "missing", -1), -1);
  EXPECT_EQ(JsonIntMember(j, "e", -1), -4294967297);
  EXPECT_EQ(JsonIntMember(j, "f", -1), INT64_MAX);
  EXPECT_EQ(JsonIntMember32(j, "a", -1), 7);
  EXPECT_EQ(JsonIntMember32(j, "e", -1), -1);
  EXPECT_EQ(JsonIntMember32(j, "f", -1), -1);
  EXPECT_EQ(JsonIntMember(Json::array(), "a", 5), 5);
}

TEST(JsonWriterTest, MatchesCanonicalJson) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(-3);
  w.Uint(7);
  w.Bool(true);
  w.Null();
  w.String("tab\t quote\" back\\ nl\n ctl\x01 é \xe2\x82\xac");
  w.EndArray();
  w.Key("b");
  w.BeginObject();
  w.EndObject();
  w.Key("c");
  w.Raw("[1,2]");
  w.EndObject();
  Json parsed = ParseJson(out).value();
  EXPECT_EQ(out, CanonicalJson(parsed));
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  JsonWriter w(&out);
  w.String(
      "a\xff"
      "b");
  EXPECT_EQ(out, "\"a\xEF\xBF\xBD" "b\"");
}

TEST(JsonWriterDeathTest, KeysOutOfOrderAbort) {
  EXPECT_DEATH(
      {
        std::string out;
        JsonWriter w(&out);
        w.BeginObject();
        w.Key("b");
        w.Int(1);
        w.Key("a");
      },
      "");
}

TEST(ResultTest, ValueOrStatus) {
  Result<int> ok = 3;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  Result<int> bad = NotFound("nothing here");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().ToString(), "not_found: nothing here");
  Result<int> from_ok_status = Status::Ok();  // a bug in the caller
  EXPECT_FALSE(from_ok_status.ok());
  EXPECT_EQ(from_ok_status.status().code(), Code::kInternal);
}

TEST(StringsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain é € 😀"));
  EXPECT_EQ(FindInvalidUtf8("ok\xc0\xaf"), 2u);      // overlong
  EXPECT_EQ(FindInvalidUtf8("\xed\xa0\x80"), 0u);    // surrogate
  EXPECT_EQ(FindInvalidUtf8("ab\xe2\x82"), 2u);      // truncated
}

TEST(StringsTest, QuoteEscapesAndShortens) {
  EXPECT_EQ(Quote("a\nb\x01"), "`a\\nb\\x01`");
  EXPECT_EQ(Quote(std::string(100, 'x'), 5), "`xxxxx...`");
}

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231, test cases 1, 2 and 6 (a key longer than the block).
TEST(Sha256Test, HmacKnownVectors) {
  auto hex = [](const Sha256Digest& d) {
    return HexEncode(
        std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  };
  EXPECT_EQ(hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key "
                           "First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Sha256Test, HexRoundTripAndConstantTimeEquality) {
  EXPECT_EQ(HexDecode("00ff7A"), std::string("\x00\xff\x7a", 3));
  EXPECT_EQ(HexDecode(HexEncode("wfstore")), "wfstore");
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_TRUE(EqualInConstantTime("abc", "abc"));
  EXPECT_FALSE(EqualInConstantTime("abc", "abd"));
  EXPECT_FALSE(EqualInConstantTime("abc", "abcd"));
}

TEST(RngTest, SeededAndUniform) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
  Rng c(7);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) ++counts[c.Uniform(3)];
  for (int n : counts) EXPECT_GT(n, 800);
  EXPECT_EQ(SecureRandomHex(16).size(), 32u);
}

TEST(WorkerPoolTest, RunsEveryTaskWithoutGrowingForShortOnes) {
  // A long stall: short tasks keep the workers taking tasks, so none is
  // added however many wait.
  WorkerPool pool(WorkerPoolOptions{
      .min_threads = 2, .max_threads = 64, .stall = std::chrono::seconds(5)});
  std::atomic<int> done{0};
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(pool.Submit([&] { done.fetch_add(1); }));
  }
  pool.Shutdown(WorkerPool::Queued::kRun);
  EXPECT_EQ(done.load(), 10000);
  EXPECT_EQ(pool.threads(), 2u);
}

#ifdef SCHED_BATCH
TEST(WorkerPoolTest, ThroughputThreadsDoNotPreemptOnWakeUp) {
  // The submitting thread keeps its policy; the workers take SCHED_BATCH
  // where this system lets a thread do so (a probe thread finds out).
  int before = sched_getscheduler(0);
  bool allowed = false;
  int cleared = -1;
  std::thread probe([&] {
    allowed = MarkThisThreadThroughput();
    if (allowed) {
      EXPECT_EQ(sched_getscheduler(0), SCHED_BATCH);
    }
    ClearThisThreadThroughput();
    cleared = sched_getscheduler(0);
  });
  probe.join();
  EXPECT_EQ(cleared, before == SCHED_BATCH ? SCHED_OTHER : before);
  for (bool throughput : {false, true}) {
    WorkerPool pool(WorkerPoolOptions{.min_threads = 1,
                                      .throughput = throughput});
    std::promise<int> policy;
    ASSERT_TRUE(pool.Submit([&] { policy.set_value(sched_getscheduler(0)); }));
    EXPECT_EQ(policy.get_future().get(),
              throughput && allowed ? SCHED_BATCH : before);
  }
  EXPECT_EQ(sched_getscheduler(0), before);
}
#endif

TEST(WorkerPoolTest, AddsThreadsWhenEveryWorkerIsBlocked) {
  // Two workers block until a third task opens the gate: without added
  // threads it would never run. (The gate outlives the pool, whose
  // destructor waits for the tasks still using it.)
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::promise<void> opened;
  WorkerPool pool(WorkerPoolOptions{.min_threads = 2,
                                    .max_threads = 8,
                                    .stall = std::chrono::milliseconds(5)});
  auto blocked = [&] {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return open; });
  };
  ASSERT_TRUE(pool.Submit(blocked));
  ASSERT_TRUE(pool.Submit(blocked));
  ASSERT_TRUE(pool.Submit([&] {
    {
      std::lock_guard<std::mutex> l(mu);
      open = true;
    }
    cv.notify_all();
    opened.set_value();
  }));
  EXPECT_EQ(opened.get_future().wait_for(std::chrono::seconds(30)),
            std::future_status::ready);
  EXPECT_GE(pool.threads(), 3u);
  EXPECT_LE(pool.threads(), 8u);
}

TEST(WorkerPoolTest, NeverExceedsMaxThreads) {
  std::atomic<bool> open{false};
  std::atomic<int> done{0};
  WorkerPool pool(WorkerPoolOptions{.min_threads = 1,
                                    .max_threads = 3,
                                    .stall = std::chrono::milliseconds(1)});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
      while (!open.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      done.fetch_add(1);
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(pool.threads(), 3u);
  open = true;
  pool.Shutdown(WorkerPool::Queued::kRun);
  EXPECT_EQ(done.load(), 10);
}

TEST(WorkerPoolTest, ShutdownDropsOrRunsQueuedTasks) {
  auto token = std::make_shared<int>(0);
  std::atomic<int> ran{0};
  {
    WorkerPool pool(WorkerPoolOptions{.min_threads = 1,
                                      .max_threads = 1,
                                      .stall = std::chrono::seconds(5)});
    std::promise<void> started, release;
    std::shared_future<void> go = release.get_future().share();
    ASSERT_TRUE(pool.Submit([&, go] {
      started.set_value();
      go.wait();
    }));
    started.get_future().wait();
    // Queued behind the busy worker; kDrop destroys them unrun.
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(pool.Submit([&ran, token] { ran.fetch_add(1); }));
    }
    EXPECT_EQ(token.use_count(), 6);
    std::thread stopper([&] { pool.Shutdown(WorkerPool::Queued::kDrop); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release.set_value();
    stopper.join();
    EXPECT_EQ(ran.load(), 0);
    EXPECT_EQ(token.use_count(), 1);
    EXPECT_FALSE(pool.Submit([&ran] { ran.fetch_add(1); }));
  }
  {
    WorkerPool pool(WorkerPoolOptions{.min_threads = 1, .max_threads = 1});
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(pool.Submit([&ran] { ran.fetch_add(1); }));
    }
  }  // the destructor runs what is queued
  EXPECT_EQ(ran.load(), 5);
}

// One holder at a time, also within one process; released when it goes.
TEST(FileLockTest, ExcludesUntilReleased) {
  std::string path =
      (std::filesystem::temp_directory_path() / StrCat("wfs-lock-", ::getpid()))
          .string();
  {
    auto held = FileLock::Take(path);
    ASSERT_TRUE(held.ok()) << held.status();
    auto busy = FileLock::TryTake(path);
    ASSERT_TRUE(busy.ok()) << busy.status();
    EXPECT_FALSE(busy->has_value());
    FileLock moved = std::move(*held);  // still held by the moved-to lock
    EXPECT_FALSE(FileLock::TryTake(path)->has_value());
  }
  auto free = FileLock::TryTake(path);
  ASSERT_TRUE(free.ok()) << free.status();
  EXPECT_TRUE(free->has_value());
  free->reset();
  EXPECT_FALSE(FileLock::Take("/nonexistent-dir/x.lock").ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace wfs
