// The tasks extension of MCP 2026-07-28 (io.modelcontextprotocol/tasks):
// TaskTable on its own, then over Engine::Handle with stateless requests.
#include "mcp/task_table.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "gtest/gtest.h"
#include "mcp/engine.h"
#include "mcp/jsonrpc.h"
#include "mcp/session.h"
#include "mcp/tasks.h"

namespace wfs::mcp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Polls `condition` until it holds or 5 s pass.
bool Eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

bool IsRfc3339(const Json& j) {
  static const std::regex kTime(
      R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)");
  return j.is_string() && std::regex_match(j.get<std::string>(), kTime);
}

Json IdOf(const std::string& id) { return Json{{"taskId", id}}; }

// Checks a flat CreateTaskResult made at `now_us` with `ttl_ms` and the
// tests' poll interval (50 ms), and that it carries none of `absent`;
// returns its task id ("" when it has none).
std::string ExpectCreated(Json created, int64_t now_us, int64_t ttl_ms,
                          std::initializer_list<const char*> absent) {
  EXPECT_EQ(created["resultType"], "task");
  EXPECT_TRUE(created["taskId"].is_string()) << created;
  std::string id =
      created["taskId"].is_string() ? created["taskId"].get<std::string>() : "";
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(created["status"], "working");
  EXPECT_TRUE(IsRfc3339(created["createdAt"])) << created;
  EXPECT_TRUE(IsRfc3339(created["lastUpdatedAt"])) << created;
  EXPECT_EQ(created["createdAt"], FormatRfc3339(now_us));
  EXPECT_TRUE(created["ttlMs"].is_number_integer()) << created;
  EXPECT_EQ(created["ttlMs"], ttl_ms);
  EXPECT_TRUE(created["pollIntervalMs"].is_number_integer()) << created;
  EXPECT_EQ(created["pollIntervalMs"], 50);
  for (const char* key : absent) {
    EXPECT_FALSE(created.contains(key)) << key << ": " << created;
  }
  return id;
}

Json ToolResult(Json structured) {
  return Json{{"content", Json::array({{{"type", "text"}, {"text", "ok"}}})},
              {"structuredContent", std::move(structured)}};
}

// What a job saw, shared between it and the test (a job may outlive the
// test's locals until the table's destructor has waited for it).
struct Probe {
  std::atomic<bool> started{false};     // the job runs
  std::atomic<bool> release{false};     // lets a waiting job return
  std::atomic<bool> saw_cancel{false};  // the job saw its cancel flag
  std::atomic<bool> returned{false};
  std::mutex mu;
  std::vector<Status> asks;  // the status of each Ask, in order
  std::vector<Json> answers;

  void Record(const Result<Json>& r) {
    std::lock_guard<std::mutex> lock(mu);
    asks.push_back(r.status());
    if (r.ok()) answers.push_back(*r);
  }
  size_t AskCount() {
    std::lock_guard<std::mutex> lock(mu);
    return asks.size();
  }
  Status AskStatus(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    return i < asks.size() ? asks[i] : Internal("no such ask");
  }
  Json Answer(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    return i < answers.size() ? answers[i] : Json();
  }
};

// Waits until released or cancelled, then returns `result`.
TaskTable::Job WaitingJob(std::shared_ptr<Probe> probe,
                          Result<Json> result = ToolResult({{"w", 1}})) {
  return
      [probe, result](TaskInput&,
                      std::shared_ptr<std::atomic<bool>> flag) -> Result<Json> {
        probe->started = true;
        while (!probe->release.load() && !flag->load()) {
          std::this_thread::sleep_for(milliseconds(1));
        }
        if (flag->load()) probe->saw_cancel = true;
        probe->returned = true;
        return result;
      };
}

// Releases a probe's job when the test ends, so that a job the table
// failed to cancel does not hang the table's destructor.
struct ReleaseAtEnd {
  std::shared_ptr<Probe> probe;
  ~ReleaseAtEnd() { probe->release = true; }
};

// Returns `result` at once.
TaskTable::Job InstantJob(Result<Json> result) {
  return [result](TaskInput&, std::shared_ptr<std::atomic<bool>>) {
    return result;
  };
}

Json Elicitation(const std::string& message) {
  return {{"method", "elicitation/create"},
          {"params",
           {{"mode", "form"},
            {"message", message},
            {"requestedSchema", {{"type", "object"}}}}}};
}

Json Sampling() {
  return {{"method", "sampling/createMessage"},
          {"params", {{"messages", Json::array()}, {"maxTokens", 5}}}};
}

class TaskTableTest : public ::testing::Test {
 protected:
  TaskTableTest() { Reset(Options()); }
  ~TaskTableTest() override { table_.reset(); }

  TaskOptions Options() {
    TaskOptions o;
    o.clock = &clock_;
    o.default_ttl_ms = 60 * 1000;
    o.poll_interval_ms = 50;
    return o;
  }
  void Reset(TaskOptions o) {
    table_.reset();
    table_ = std::make_unique<TaskTable>(o);
  }

  // Starts `job`; returns the CreateTaskResult.
  Json StartJson(TaskTable::Job job, const std::string& owner = "alice") {
    Result<Json> r = table_->Start(owner, std::move(job));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : Json::object();
  }
  std::string Start(TaskTable::Job job, const std::string& owner = "alice") {
    return StartJson(std::move(job), owner).value("taskId", "");
  }
  Json Get(const std::string& id, const std::string& owner = "alice") {
    Result<Json> r = table_->Get(owner, IdOf(id));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : Json::object();
  }
  Result<Json> Update(const std::string& id, Json responses,
                      const std::string& owner = "alice") {
    return table_->Update(owner,
                          {{"taskId", id}, {"inputResponses", responses}});
  }
  // Polls Get until the task shows `status`.
  bool WaitStatus(const std::string& id, const std::string& status,
                  const std::string& owner = "alice") {
    return Eventually([&] {
      Result<Json> r = table_->Get(owner, IdOf(id));
      return r.ok() && (*r)["status"] == status;
    });
  }

  FakeClock clock_;
  std::unique_ptr<TaskTable> table_;
};

TEST_F(TaskTableTest, StartAnswersACreateTaskResultAndGetSeesItAtOnce) {
  auto probe = std::make_shared<Probe>();
  Json created = StartJson(WaitingJob(probe));
  std::string id = ExpectCreated(created, clock_.NowMicros(), 60 * 1000,
                                 {"ttl", "pollInterval", "task", "result",
                                  "error", "inputRequests", "requestState"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(created["lastUpdatedAt"], created["createdAt"]);

  Json got = Get(id);
  EXPECT_EQ(got["taskId"], id);
  EXPECT_EQ(got["status"], "working");
  EXPECT_EQ(got["createdAt"], created["createdAt"]);
  EXPECT_EQ(got["ttlMs"], 60 * 1000);
  EXPECT_EQ(got["pollIntervalMs"], 50);
  EXPECT_FALSE(got.contains("result"));
  EXPECT_FALSE(got.contains("inputRequests"));
  EXPECT_EQ(table_->running(), 1);

  // Ids differ; a task that ends at once is still found right away.
  std::string quick = Start(InstantJob(ToolResult({})));
  EXPECT_NE(quick, id);
  EXPECT_TRUE(table_->Get("alice", IdOf(quick)).ok());
  probe->release = true;
  EXPECT_TRUE(WaitStatus(id, "completed"));
}

TEST_F(TaskTableTest, AResultCompletesTheTaskAndIsInlined) {
  auto probe = std::make_shared<Probe>();
  Json result = ToolResult({{"a", 1}});
  std::string id = Start(WaitingJob(probe, result));
  std::string created_at = Get(id)["createdAt"];
  clock_.Advance(int64_t{5} * 1000 * 1000);
  probe->release = true;
  ASSERT_TRUE(WaitStatus(id, "completed"));
  Json got = Get(id);
  EXPECT_EQ(got["result"], result);
  EXPECT_FALSE(got.contains("error"));
  EXPECT_FALSE(got.contains("inputRequests"));
  EXPECT_EQ(got["createdAt"], created_at);
  EXPECT_EQ(got["lastUpdatedAt"], FormatRfc3339(clock_.NowMicros()));
  EXPECT_NE(got["lastUpdatedAt"], created_at);
}

TEST_F(TaskTableTest, AToolErrorResultStillCompletes) {
  Json broken = {{"content", Json::array({{{"type", "text"}, {"text", "no"}}})},
                 {"isError", true}};
  std::string id = Start(InstantJob(broken));
  ASSERT_TRUE(WaitStatus(id, "completed"));
  Json got = Get(id);
  EXPECT_EQ(got["result"], broken);
  EXPECT_FALSE(got.contains("error"));
}

TEST_F(TaskTableTest, AnErrorStatusFailsTheTaskWithAJsonRpcError) {
  std::string id = Start(InstantJob(Internal("x")));
  ASSERT_TRUE(WaitStatus(id, "failed"));
  Json got = Get(id);
  ASSERT_TRUE(got.contains("error")) << got;
  ASSERT_TRUE(got["error"]["code"].is_number_integer()) << got;
  EXPECT_EQ(got["error"]["code"], kInternalError);
  EXPECT_EQ(got["error"]["code"], -32603);
  ASSERT_TRUE(got["error"]["message"].is_string()) << got;
  EXPECT_NE(got["error"]["message"].get<std::string>().find("x"),
            std::string::npos);
  EXPECT_FALSE(got.contains("result"));
  // Another status maps as everywhere else.
  std::string bad = Start(InstantJob(InvalidArgument("bad arguments")));
  ASSERT_TRUE(WaitStatus(bad, "failed"));
  EXPECT_EQ(Get(bad)["error"]["code"], kInvalidParams);
}

// A job that throws fails its own task; the server, and the next task, go
// on (a handler that throws fails only its request, Engine::Dispatch).
TEST_F(TaskTableTest, AJobThatThrowsFailsItsTaskOnly) {
  std::string id =
      Start([](TaskInput&, std::shared_ptr<std::atomic<bool>>) -> Result<Json> {
        return Json::array().at(3);  // throws json::out_of_range
      });
  ASSERT_TRUE(WaitStatus(id, "failed"));
  Json got = Get(id);
  EXPECT_EQ(got["error"]["code"], kInternalError) << got;
  std::string next = Start(InstantJob(Json{{"content", Json::array()}}));
  EXPECT_TRUE(WaitStatus(next, "completed"));
  EXPECT_TRUE(Eventually([&] { return table_->running() == 0; }));
}

// A job that asks `requests` once (or `times` times in a row) and returns
// the answers of the last ask.
TaskTable::Job AskingJob(std::shared_ptr<Probe> probe, Json requests,
                         milliseconds timeout = seconds(30), int times = 1) {
  return [probe, requests, timeout, times](
             TaskInput& input,
             std::shared_ptr<std::atomic<bool>>) -> Result<Json> {
    Result<Json> r = Internal("not asked");
    for (int i = 0; i < times; ++i) {
      r = input.Ask(requests, timeout);
      probe->Record(r);
      if (!r.ok()) break;
    }
    probe->returned = true;
    if (!r.ok()) return r.status();
    return ToolResult(*r);
  };
}

TEST_F(TaskTableTest, AskWaitsInTheTaskUnderKeysOfTheTable) {
  auto probe = std::make_shared<Probe>();
  Json requests = {{"a", Elicitation("first?")}, {"b", Sampling()}};
  std::string id = Start(AskingJob(probe, requests));
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  Json got = Get(id);
  ASSERT_TRUE(got["inputRequests"].is_object()) << got;
  Json in = got["inputRequests"];
  ASSERT_EQ(in.size(), 2u) << got;
  EXPECT_FALSE(in.contains("a"));
  EXPECT_FALSE(in.contains("b"));
  EXPECT_FALSE(got.contains("result"));
  std::string elicit_key;
  std::string sample_key;
  for (const auto& [key, request] : in.items()) {
    ASSERT_TRUE(request.contains("method")) << request;
    if (request["method"] == "elicitation/create") {
      elicit_key = key;
      EXPECT_EQ(request, requests["a"]);
    } else {
      EXPECT_EQ(request["method"], "sampling/createMessage");
      sample_key = key;
      EXPECT_EQ(request, requests["b"]);
    }
  }
  ASSERT_FALSE(elicit_key.empty());
  ASSERT_FALSE(sample_key.empty());
  EXPECT_NE(elicit_key, sample_key);

  Json accept = {{"action", "accept"}, {"content", {{"x", 1}}}};
  Result<Json> ack = Update(id, {{elicit_key, accept}});
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(*ack, Json::object());
  got = Get(id);
  EXPECT_EQ(got["status"], "input_required");
  EXPECT_EQ(got["inputRequests"].size(), 1u) << got;
  EXPECT_TRUE(got["inputRequests"].contains(sample_key)) << got;
  EXPECT_EQ(probe->AskCount(), 0u);  // not all answered yet

  Json sampled = {{"role", "assistant"},
                  {"content", {{"type", "text"}, {"text", "hi"}}}};
  ack = Update(id, {{sample_key, sampled}});
  ASSERT_TRUE(ack.ok()) << ack.status();
  ASSERT_TRUE(WaitStatus(id, "completed"));
  Json both = {{"a", accept}, {"b", sampled}};
  EXPECT_EQ(probe->Answer(0), both);
  got = Get(id);
  EXPECT_EQ(got["result"]["structuredContent"], both);
  EXPECT_FALSE(got.contains("inputRequests"));
}

TEST_F(TaskTableTest, KeysAreNeverReusedWithinATask) {
  auto probe = std::make_shared<Probe>();
  std::string id = Start(AskingJob(probe, {{"q", Elicitation("again?")}},
                                   seconds(30), /*times=*/3));
  std::set<std::string> seen;
  std::string previous;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(Eventually([&] {
      Json got = Get(id);
      return got["status"] == "input_required" &&
             !got["inputRequests"].contains(previous);
    })) << round;
    Json in = Get(id)["inputRequests"];
    ASSERT_EQ(in.size(), 1u) << in;
    std::string key = in.begin().key();
    EXPECT_TRUE(seen.insert(key).second) << "key reused: " << key;
    EXPECT_NE(key, "q");
    // A stale key is ignored: the new request stays.
    if (!previous.empty()) {
      ASSERT_TRUE(Update(id, {{previous, {{"action", "decline"}}}}).ok());
      Json still = Get(id);
      EXPECT_EQ(still["status"], "input_required");
      EXPECT_TRUE(still["inputRequests"].contains(key)) << still;
    }
    ASSERT_TRUE(
        Update(id, {{key, {{"action", "accept"}, {"round", round}}}}).ok());
    previous = key;
  }
  ASSERT_TRUE(WaitStatus(id, "completed"));
  // Each ask got its own round's answer.
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(probe->Answer(round)["q"]["round"], round);
  }
}

TEST_F(TaskTableTest, UpdateIgnoresUnknownKeysAndRefusesMalformedAnswers) {
  auto probe = std::make_shared<Probe>();
  std::string id = Start(AskingJob(probe, {{"q", Elicitation("ok?")}}));
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  std::string key = Get(id)["inputRequests"].begin().key();

  Result<Json> r = Update(id, {{"nope", {{"action", "accept"}}}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Json::object());
  EXPECT_EQ(Get(id)["status"], "input_required");
  EXPECT_TRUE(Get(id)["inputRequests"].contains(key));

  for (const Json& responses :
       {Json("yes"), Json(5), Json::array({1}), Json(nullptr)}) {
    r = Update(id, responses);
    ASSERT_FALSE(r.ok()) << responses;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << responses;
  }
  // inputResponses missing altogether.
  r = table_->Update("alice", IdOf(id));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  // An entry that is not an object refuses the whole update, including
  // the well-formed answer next to it.
  for (const Json& entry : {Json(5), Json("accept"), Json(nullptr)}) {
    r = Update(id, {{key, entry}});
    ASSERT_FALSE(r.ok()) << entry;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  r = Update(id, {{key, {{"action", "accept"}}}, {"other", 7}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  Json got = Get(id);
  EXPECT_EQ(got["status"], "input_required");
  EXPECT_TRUE(got["inputRequests"].contains(key)) << got;
  EXPECT_EQ(probe->AskCount(), 0u);

  ASSERT_TRUE(Update(id, {{key, {{"action", "accept"}}}}).ok());
  EXPECT_TRUE(WaitStatus(id, "completed"));
}

TEST_F(TaskTableTest, MissingOrUnknownTaskIdsAreInvalid) {
  std::string id = Start(InstantJob(ToolResult({})));
  for (const Json& params :
       {Json::object(), Json{{"taskId", 42}}, Json{{"taskId", nullptr}},
        Json(nullptr), Json("x"), Json{{"taskId", "no-such-task"}},
        Json{{"taskId", id + "0"}}}) {
    Json with_responses = params;
    if (with_responses.is_object()) {
      with_responses["inputResponses"] = Json::object();
    }
    Result<Json> g = table_->Get("alice", params);
    ASSERT_FALSE(g.ok()) << params;
    EXPECT_EQ(g.status().code(), Code::kInvalidArgument) << params;
    Result<Json> u = table_->Update("alice", with_responses);
    ASSERT_FALSE(u.ok()) << params;
    EXPECT_EQ(u.status().code(), Code::kInvalidArgument) << params;
    Result<Json> c = table_->Cancel("alice", params);
    ASSERT_FALSE(c.ok()) << params;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << params;
  }
  EXPECT_TRUE(table_->Get("alice", IdOf(id)).ok());
}

TEST_F(TaskTableTest, CancellingARunningTaskSticks) {
  auto probe = std::make_shared<Probe>();
  std::string id = Start(WaitingJob(probe));
  // (A task cancelled before a thread took it never runs its job.)
  ASSERT_TRUE(Eventually([&] { return probe->started.load(); }));
  Result<Json> ack = table_->Cancel("alice", IdOf(id));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(*ack, Json::object());
  EXPECT_EQ(Get(id)["status"], "cancelled");  // at once
  ASSERT_TRUE(Eventually([&] { return probe->returned.load(); }));
  EXPECT_TRUE(probe->saw_cancel);
  ASSERT_TRUE(Eventually([&] { return table_->running() == 0; }));
  // The job returned a result: the task stays cancelled, without it.
  Json got = Get(id);
  EXPECT_EQ(got["status"], "cancelled");
  EXPECT_FALSE(got.contains("result"));
  EXPECT_FALSE(got.contains("error"));
  // Cancelling again is acknowledged and changes nothing.
  ack = table_->Cancel("alice", IdOf(id));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(*ack, Json::object());
  EXPECT_EQ(Get(id)["status"], "cancelled");
}

TEST_F(TaskTableTest, CancellingAnEndedTaskLeavesItAsItIs) {
  Json result = ToolResult({{"done", true}});
  std::string id = Start(InstantJob(result));
  ASSERT_TRUE(WaitStatus(id, "completed"));
  Result<Json> ack = table_->Cancel("alice", IdOf(id));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(*ack, Json::object());
  Json got = Get(id);
  EXPECT_EQ(got["status"], "completed");
  EXPECT_EQ(got["result"], result);

  std::string failed = Start(InstantJob(Internal("x")));
  ASSERT_TRUE(WaitStatus(failed, "failed"));
  ASSERT_TRUE(table_->Cancel("alice", IdOf(failed)).ok());
  got = Get(failed);
  EXPECT_EQ(got["status"], "failed");
  EXPECT_EQ(got["error"]["code"], kInternalError);
}

TEST_F(TaskTableTest, CancelWakesAJobWaitingInAsk) {
  auto probe = std::make_shared<Probe>();
  auto started = std::chrono::steady_clock::now();
  std::string id = Start(AskingJob(probe, {{"q", Elicitation("ok?")}}));
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  std::string key = Get(id)["inputRequests"].begin().key();
  ASSERT_TRUE(table_->Cancel("alice", IdOf(id)).ok());
  ASSERT_TRUE(Eventually([&] { return probe->returned.load(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  ASSERT_EQ(probe->AskCount(), 1u);
  EXPECT_EQ(probe->AskStatus(0).code(), Code::kCancelled)
      << probe->AskStatus(0);
  ASSERT_TRUE(Eventually([&] { return table_->running() == 0; }));
  // The job returned the Cancelled status: still cancelled, not failed,
  // and it waits for nothing any more.
  Json got = Get(id);
  EXPECT_EQ(got["status"], "cancelled");
  EXPECT_FALSE(got.contains("inputRequests"));
  EXPECT_FALSE(got.contains("error"));
  // A late answer is acknowledged and ignored.
  ASSERT_TRUE(Update(id, {{key, {{"action", "accept"}}}}).ok());
  EXPECT_EQ(Get(id)["status"], "cancelled");
}

TEST_F(TaskTableTest, AskingAfterTheTaskWasCancelledFailsAtOnce) {
  auto probe = std::make_shared<Probe>();
  std::string id =
      Start([probe](TaskInput& input,
                    std::shared_ptr<std::atomic<bool>> flag) -> Result<Json> {
        probe->started = true;
        while (!flag->load()) std::this_thread::sleep_for(milliseconds(1));
        probe->Record(input.Ask({{"q", Elicitation("late?")}}, seconds(30)));
        probe->returned = true;
        return ToolResult({});
      });
  // (A task cancelled before a thread took it never runs its job.)
  ASSERT_TRUE(Eventually([&] { return probe->started.load(); }));
  ASSERT_TRUE(table_->Cancel("alice", IdOf(id)).ok());
  ASSERT_TRUE(Eventually([&] { return probe->returned.load(); }));
  EXPECT_EQ(probe->AskStatus(0).code(), Code::kCancelled);
  EXPECT_EQ(Get(id)["status"], "cancelled");
}

TEST_F(TaskTableTest, AskTakesOneToSixteenRequests) {
  auto probe = std::make_shared<Probe>();
  Json seventeen = Json::object();
  Json sixteen = Json::object();
  for (int i = 0; i < 17; ++i) {
    seventeen["k" + std::to_string(i)] = Elicitation("n" + std::to_string(i));
    if (i < 16) {
      sixteen["k" + std::to_string(i)] = Elicitation("n" + std::to_string(i));
    }
  }
  std::string id =
      Start([probe, seventeen, sixteen](TaskInput& input,
                                        std::shared_ptr<std::atomic<bool>>) {
        probe->Record(input.Ask(Json::object(), seconds(30)));
        probe->Record(input.Ask(Json::array(), seconds(30)));
        probe->Record(input.Ask(seventeen, seconds(30)));
        probe->Record(input.Ask(sixteen, seconds(30)));
        probe->returned = true;
        return Result<Json>(ToolResult({}));
      });
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  ASSERT_EQ(probe->AskCount(), 3u);
  EXPECT_EQ(probe->AskStatus(0).code(), Code::kInvalidArgument);
  EXPECT_EQ(probe->AskStatus(1).code(), Code::kInvalidArgument);
  EXPECT_EQ(probe->AskStatus(2).code(), Code::kResourceExhausted);
  EXPECT_EQ(Get(id)["inputRequests"].size(), 16u);
  ASSERT_TRUE(table_->Cancel("alice", IdOf(id)).ok());
  ASSERT_TRUE(Eventually([&] { return probe->returned.load(); }));
  EXPECT_EQ(probe->AskStatus(3).code(), Code::kCancelled);
}

TEST_F(TaskTableTest, AnotherOwnerNeitherSeesNorTouchesATask) {
  auto probe = std::make_shared<Probe>();
  std::string id = Start(AskingJob(probe, {{"q", Elicitation("mine?")}}));
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  std::string key = Get(id)["inputRequests"].begin().key();

  Result<Json> g = table_->Get("bob", IdOf(id));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument);
  Result<Json> u = Update(id, {{key, {{"action", "accept"}}}}, "bob");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  Result<Json> c = table_->Cancel("bob", IdOf(id));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);

  Json got = Get(id);
  EXPECT_EQ(got["status"], "input_required");
  EXPECT_TRUE(got["inputRequests"].contains(key));
  EXPECT_EQ(probe->AskCount(), 0u);
  // Its owner still answers it.
  ASSERT_TRUE(Update(id, {{key, {{"action", "accept"}}}}).ok());
  EXPECT_TRUE(WaitStatus(id, "completed"));
}

TEST_F(TaskTableTest, AnOwnerRunsAtMostMaxRunningPerSession) {
  TaskOptions o = Options();
  o.max_running_per_session = 1;
  Reset(o);
  auto first = std::make_shared<Probe>();
  auto bobs = std::make_shared<Probe>();
  std::string id = Start(WaitingJob(first));
  Result<Json> refused = table_->Start("alice", InstantJob(ToolResult({})));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  // Another owner has its own allowance.
  Result<Json> bob = table_->Start("bob", WaitingJob(bobs));
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(table_->running(), 2);
  // Once the first ends, alice may start another (the ended one does not
  // count as running).
  first->release = true;
  ASSERT_TRUE(WaitStatus(id, "completed"));
  ASSERT_TRUE(Eventually([&] { return table_->running() == 1; }));
  Result<Json> again = table_->Start("alice", InstantJob(ToolResult({})));
  EXPECT_TRUE(again.ok()) << again.status();
  bobs->release = true;
}

TEST_F(TaskTableTest, FinishedTasksCountTowardsMaxPerSessionUntilForgotten) {
  TaskOptions o = Options();
  o.max_per_session = 2;
  Reset(o);
  std::string a = Start(InstantJob(ToolResult({})));
  std::string b = Start(InstantJob(ToolResult({})));
  ASSERT_TRUE(WaitStatus(a, "completed"));
  ASSERT_TRUE(WaitStatus(b, "completed"));
  ASSERT_TRUE(Eventually([&] { return table_->running() == 0; }));
  Result<Json> refused = table_->Start("alice", InstantJob(ToolResult({})));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(table_->Start("bob", InstantJob(ToolResult({}))).ok());
  // Forgotten once their ttl passed: room again.
  clock_.Advance(int64_t{61} * 1000 * 1000);
  Result<Json> later = table_->Start("alice", InstantJob(ToolResult({})));
  EXPECT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(table_->Get("alice", IdOf(a)).ok());
}

TEST_F(TaskTableTest, TheServerRunsAtMostMaxRunning) {
  TaskOptions o = Options();
  o.max_running = 2;
  Reset(o);
  auto probe = std::make_shared<Probe>();
  Start(WaitingJob(probe), "alice");
  Start(WaitingJob(probe), "bob");
  Result<Json> refused = table_->Start("carol", InstantJob(ToolResult({})));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  probe->release = true;
  ASSERT_TRUE(Eventually([&] { return table_->running() == 0; }));
  EXPECT_TRUE(table_->Start("carol", InstantJob(ToolResult({}))).ok());
}

TEST_F(TaskTableTest, ATaskOlderThanItsTtlIsForgottenAndCancelled) {
  TaskOptions o = Options();
  o.default_ttl_ms = 1000;
  Reset(o);
  auto probe = std::make_shared<Probe>();
  ReleaseAtEnd release{probe};
  Json created = StartJson(WaitingJob(probe));
  std::string id = created["taskId"];
  EXPECT_EQ(created["ttlMs"], 1000);
  std::string done = Start(InstantJob(ToolResult({})));
  ASSERT_TRUE(WaitStatus(done, "completed"));
  ASSERT_TRUE(Eventually([&] { return probe->started.load(); }));

  clock_.Advance(999 * 1000);
  EXPECT_EQ(Get(id)["status"], "working");
  EXPECT_FALSE(probe->saw_cancel);
  clock_.Advance(1000);
  Result<Json> g = table_->Get("alice", IdOf(id));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(Eventually([&] { return probe->saw_cancel.load(); }));
  ASSERT_TRUE(Eventually([&] { return table_->running() == 0; }));
  EXPECT_FALSE(table_->Get("alice", IdOf(done)).ok());
  EXPECT_FALSE(table_->Cancel("alice", IdOf(id)).ok());
  EXPECT_FALSE(Update(id, Json::object()).ok());
}

TEST_F(TaskTableTest, ExpiryIsNoticedByAnotherOwnersRequestToo) {
  TaskOptions o = Options();
  o.default_ttl_ms = 1000;
  Reset(o);
  auto probe = std::make_shared<Probe>();
  ReleaseAtEnd release{probe};
  std::string id = Start(WaitingJob(probe));
  ASSERT_TRUE(Eventually([&] { return probe->started.load(); }));
  clock_.Advance(2000 * 1000);
  // Bob's request sweeps alice's expired task: its job stops.
  EXPECT_FALSE(table_->Get("bob", IdOf("nothing")).ok());
  ASSERT_TRUE(Eventually([&] { return probe->saw_cancel.load(); }));
  EXPECT_FALSE(table_->Get("alice", IdOf(id)).ok());
}

TEST_F(TaskTableTest, AnUnansweredAskTimesOutAndIsWithdrawn) {
  auto probe = std::make_shared<Probe>();
  std::string id =
      Start([probe](TaskInput& input,
                    std::shared_ptr<std::atomic<bool>>) -> Result<Json> {
        probe->Record(
            input.Ask({{"a", Elicitation("one?")}, {"b", Elicitation("two?")}},
                      milliseconds(600)));
        // Then a second ask, answered.
        Result<Json> r = input.Ask({{"c", Elicitation("three?")}}, seconds(30));
        probe->Record(r);
        probe->returned = true;
        if (!r.ok()) return r.status();
        return ToolResult(*r);
      });
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  Json first = Get(id)["inputRequests"];
  ASSERT_EQ(first.size(), 2u) << first;
  std::string answered = first.begin().key();
  std::string unanswered = std::next(first.begin()).key();
  ASSERT_TRUE(Update(id, {{answered, {{"action", "accept"}}}}).ok());
  // The other is never answered: the ask times out.
  ASSERT_TRUE(Eventually([&] { return probe->AskCount() >= 1; }));
  EXPECT_EQ(probe->AskStatus(0).code(), Code::kDeadlineExceeded)
      << probe->AskStatus(0);
  // The second ask is now pending alone: nothing of the first remains.
  ASSERT_TRUE(Eventually([&] {
    Json got = Get(id);
    return got["status"] == "input_required" &&
           !got["inputRequests"].contains(unanswered);
  }));
  Json second = Get(id)["inputRequests"];
  ASSERT_EQ(second.size(), 1u) << second;
  std::string key = second.begin().key();
  EXPECT_NE(key, answered);
  EXPECT_NE(key, unanswered);
  EXPECT_EQ(second[key], Elicitation("three?"));
  // A late answer to the withdrawn request is ignored.
  ASSERT_TRUE(Update(id, {{unanswered, {{"action", "decline"}}}}).ok());
  EXPECT_EQ(Get(id)["status"], "input_required");
  ASSERT_TRUE(
      Update(id, {{key, {{"action", "accept"}, {"content", {{"n", 3}}}}}})
          .ok());
  ASSERT_TRUE(WaitStatus(id, "completed"));
  EXPECT_EQ(Get(id)["result"]["structuredContent"]["c"]["content"]["n"], 3);
}

TEST_F(TaskTableTest, ATimedOutAskPutsTheTaskBackToWorking) {
  auto probe = std::make_shared<Probe>();
  std::string id = Start([probe](TaskInput& input,
                                 std::shared_ptr<std::atomic<bool>> flag)
                             -> Result<Json> {
    probe->Record(input.Ask({{"q", Elicitation("quick?")}}, milliseconds(50)));
    while (!probe->release.load() && !flag->load()) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    probe->returned = true;
    return ToolResult({});
  });
  ASSERT_TRUE(Eventually([&] { return probe->AskCount() == 1; }));
  EXPECT_EQ(probe->AskStatus(0).code(), Code::kDeadlineExceeded);
  Json got = Get(id);
  EXPECT_EQ(got["status"], "working");
  EXPECT_FALSE(got.contains("inputRequests")) << got;
  probe->release = true;
  EXPECT_TRUE(WaitStatus(id, "completed"));
}

TEST_F(TaskTableTest, AReportIsTheStatusMessageUntilTheTaskEnds) {
  auto probe = std::make_shared<Probe>();
  auto step = std::make_shared<std::atomic<int>>(0);
  std::string id = Start(
      [probe, step](TaskInput& input,
                    std::shared_ptr<std::atomic<bool>> flag) -> Result<Json> {
        for (int reported = 0; reported < 2;) {
          if (flag->load()) return Cancelled("stopped");
          if (step->load() > reported) {
            input.Report(reported == 0 ? "halfway" : "almost done");
            probe->Record(Json::object());
            ++reported;
          }
          std::this_thread::sleep_for(milliseconds(1));
        }
        while (!probe->release.load() && !flag->load()) {
          std::this_thread::sleep_for(milliseconds(1));
        }
        probe->returned = true;
        return ToolResult({});
      });
  std::string created_at = Get(id)["createdAt"];
  EXPECT_FALSE(Get(id).contains("statusMessage"));
  clock_.Advance(int64_t{3} * 1000 * 1000);
  *step = 1;
  ASSERT_TRUE(Eventually([&] { return probe->AskCount() == 1; }));
  Json got = Get(id);
  EXPECT_EQ(got["status"], "working");
  EXPECT_EQ(got["statusMessage"], "halfway");
  EXPECT_EQ(got["lastUpdatedAt"], FormatRfc3339(clock_.NowMicros()));
  EXPECT_NE(got["lastUpdatedAt"], created_at);
  *step = 2;
  ASSERT_TRUE(Eventually([&] { return probe->AskCount() == 2; }));
  EXPECT_EQ(Get(id)["statusMessage"], "almost done");
  probe->release = true;
  ASSERT_TRUE(WaitStatus(id, "completed"));
  EXPECT_FALSE(Get(id).contains("statusMessage")) << Get(id);
}

TEST_F(TaskTableTest, TheDestructorCancelsRunningTasksAndWaits) {
  auto asking = std::make_shared<Probe>();
  auto waiting = std::make_shared<Probe>();
  std::string asked = Start(AskingJob(asking, {{"q", Elicitation("ok?")}}));
  Start(WaitingJob(waiting), "bob");
  ASSERT_TRUE(WaitStatus(asked, "input_required"));
  ASSERT_TRUE(Eventually([&] { return waiting->started.load(); }));
  auto started = std::chrono::steady_clock::now();
  table_.reset();
  // Every job returned before the destructor did, long before the ask's
  // 30 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  EXPECT_TRUE(asking->returned);
  EXPECT_TRUE(waiting->returned);
  EXPECT_TRUE(waiting->saw_cancel);
  ASSERT_EQ(asking->AskCount(), 1u);
  EXPECT_EQ(asking->AskStatus(0).code(), Code::kCancelled);
}

// ---- over the engine: stateless requests with the extension -------------

// Records what the server sends to the client.
class RecordingChannel : public ClientChannel {
 public:
  Status Send(const Json& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent_.push_back(message);
    return Status::Ok();
  }
  std::vector<Json> Sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::vector<Json> sent_;
};

// Tools that go on as tasks when the client follows them:
//   optional  runs as a task when it can, else at once;
//   elicit    asks the person (inside the task), needs the extension;
//   required  waits until cancelled, needs the extension;
//   progress  reports progress (its status message), waits until cancelled;
//   forced    goes on as a task whatever the client declared;
//   fail      a task whose call fails (Internal);
//   sample    a task that asks for sampling (not declared by the client);
//   kept      answers with a task the provider keeps itself (ReturnTask;
//             GetTask and CancelTask answer for it; `finish_kept` ends it).
class ExtensionTools : public ToolProvider {
 public:
  explicit ExtensionTools(bool offer_tasks) : offer_tasks_(offer_tasks) {}
  ProviderFeatures Features() const override {
    ProviderFeatures f;
    f.tasks = offer_tasks_;
    return f;
  }
  Result<std::vector<Tool>> ListTools(const Principal&) override {
    std::vector<Tool> out;
    for (const char* n : {"optional", "elicit", "required", "progress",
                          "forced", "fail", "sample", "kept"}) {
      out.push_back(
          {n, "", "tool", Json::object(), nullptr, nullptr, "optional"});
    }
    return out;
  }
  Result<Json> CallTool(CallContext& ctx, const std::string& name,
                        const Json& args) override {
    if (name == "optional") {
      if (!ctx.CanContinueAsTask()) {
        return ToolResult({{"in_task", ctx.in_task()}, {"args", args}});
      }
      ctx.ContinueAsTask([args](CallContext& task) -> Result<Json> {
        return ToolResult({{"in_task", task.in_task()}, {"args", args}});
      });
      return ToolResult({{"dropped", true}});
    }
    if (name == "elicit") {
      if (!ctx.CanContinueAsTask()) {
        return ctx.RequireExtension(kTasksExtension);
      }
      ctx.ContinueAsTask([this](CallContext& task) -> Result<Json> {
        Result<Json> r =
            task.Elicit("your name?",
                        {{"type", "object"},
                         {"properties", {{"name", {{"type", "string"}}}}}},
                        seconds(30));
        elicit_status = r.status().code();
        elicit_returned = true;
        if (!r.ok()) return r.status();
        return ToolResult({{"answer", *r}, {"in_task", task.in_task()}});
      });
      return ToolResult({});
    }
    if (name == "required") {
      if (!ctx.CanContinueAsTask()) {
        return ctx.RequireExtension(kTasksExtension);
      }
      ctx.ContinueAsTask([this](CallContext& task) -> Result<Json> {
        ++required_started;
        while (!task.cancelled() && !stop) {
          std::this_thread::sleep_for(milliseconds(1));
        }
        saw_cancel = true;
        return ToolResult({});
      });
      return ToolResult({});
    }
    if (name == "progress") {
      ctx.ContinueAsTask([this](CallContext& task) -> Result<Json> {
        task.Progress(1, 2, "halfway");
        ++required_started;
        while (!task.cancelled() && !stop) {
          std::this_thread::sleep_for(milliseconds(1));
        }
        return ToolResult({});
      });
      return ToolResult({});
    }
    if (name == "forced") {
      ++forced_bodies;
      ctx.ContinueAsTask([this](CallContext&) -> Result<Json> {
        ++forced_jobs;
        return ToolResult({});
      });
      return ToolResult({});
    }
    if (name == "fail") {
      ctx.ContinueAsTask(
          [](CallContext&) -> Result<Json> { return Internal("boom"); });
      return ToolResult({});
    }
    if (name == "kept") {
      if (!ctx.CanContinueAsTask()) return ToolResult({{"kept", false}});
      ctx.ReturnTask(Kept(ctx.principal().agent));
      return ToolResult({{"dropped", true}});
    }
    if (name == "sample") {
      ctx.ContinueAsTask([](CallContext& task) -> Result<Json> {
        Result<Json> r = task.Sample(
            {{"messages", Json::array()}, {"maxTokens", 5}}, seconds(30));
        if (!r.ok()) return r.status();
        return ToolResult(*r);
      });
      return ToolResult({});
    }
    return NotFound("unknown tool " + name);
  }
  Result<Json> GetTask(const Principal& caller,
                       const std::string& task_id) override {
    if (task_id != "kept-1" || caller.agent != "agent") {
      return NotFound("no task " + task_id);
    }
    return Kept(caller.agent);
  }
  Status CancelTask(const Principal& caller,
                    const std::string& task_id) override {
    WFS_RETURN_IF_ERROR(GetTask(caller, task_id).status());
    ++kept_cancels;
    return Status::Ok();
  }
  // The task kept for "agent": working until `finish_kept`, then completed
  // with a result (without resultType: the engine adds it).
  Json Kept(const std::string& agent) {
    Json t = {{"taskId", "kept-1"},
              {"status", finish_kept ? "completed" : "working"},
              {"createdAt", "2026-11-25T10:00:00Z"},
              {"lastUpdatedAt", "2026-11-25T10:00:00Z"},
              {"ttlMs", nullptr},
              {"pollIntervalMs", 1000},
              {"statusMessage", "kept for " + agent}};
    if (finish_kept) t["result"] = ToolResult({{"done", true}});
    return t;
  }
  Result<std::vector<Resource>> ListResources(const Principal&) override {
    return std::vector<Resource>{};
  }
  Result<Json> ReadResource(const Principal&, const std::string& uri) override {
    return NotFound("no resource " + uri);
  }

  std::atomic<int> required_started{0};
  // Ends the jobs that wait for their cancellation (so that a test whose
  // task was never cancelled fails instead of hanging).
  std::atomic<bool> stop{false};
  std::atomic<bool> saw_cancel{false};
  std::atomic<bool> elicit_returned{false};
  std::atomic<Code> elicit_status{Code::kOk};
  std::atomic<int> forced_bodies{0};
  std::atomic<int> forced_jobs{0};
  std::atomic<bool> finish_kept{false};
  std::atomic<int> kept_cancels{0};

 private:
  const bool offer_tasks_;
};

constexpr char kVersionMeta[] = "io.modelcontextprotocol/protocolVersion";
constexpr char kCapabilitiesMeta[] =
    "io.modelcontextprotocol/clientCapabilities";

// The client's capabilities: elicitation, and the tasks extension when
// `tasks`.
Json Capabilities(bool tasks) {
  Json c = {{"elicitation", Json::object()}};
  if (tasks) c["extensions"] = {{kTasksExtension, Json::object()}};
  return c;
}

Json StatelessRequest(int id, const std::string& method, Json params,
                      const Json& capabilities) {
  if (!params.is_object()) params = Json::object();
  params["_meta"] = {{kVersionMeta, "2026-07-28"},
                     {kCapabilitiesMeta, capabilities}};
  return MakeRequest(id, method, std::move(params));
}

class TasksExtensionTest : public ::testing::Test {
 protected:
  TasksExtensionTest()
      : engine_(std::make_unique<Engine>(Options(&clock_), &tools_)) {}
  ~TasksExtensionTest() override {
    tools_.stop = true;
    engine_.reset();
  }

  static EngineOptions Options(const Clock* clock) {
    EngineOptions o;
    o.clock = clock;
    o.tasks.poll_interval_ms = 50;
    return o;
  }

  // A stateless request; `tasks`: the client declares the extension.
  Json Send(const std::string& method, Json params, bool tasks = true,
            Session* s = nullptr) {
    return engine_->Handle(
        s != nullptr ? *s : session_,
        StatelessRequest(++id_, method, std::move(params), Capabilities(tasks)),
        &channel_);
  }
  Json Call(const std::string& tool, bool tasks = true, Session* s = nullptr,
            Json args = Json::object()) {
    return Send("tools/call", {{"name", tool}, {"arguments", std::move(args)}},
                tasks, s);
  }
  // Calls `tool` and returns the task's id.
  std::string StartTask(const std::string& tool, Session* s = nullptr) {
    Json r = Call(tool, true, s);
    EXPECT_EQ(r["result"]["resultType"], "task") << r;
    return r["result"].value("taskId", "");
  }
  Json GetTask(const std::string& id, Session* s = nullptr) {
    return Send("tasks/get", IdOf(id), true, s);
  }
  bool WaitStatus(const std::string& id, const std::string& status,
                  Session* s = nullptr) {
    return Eventually(
        [&] { return GetTask(id, s)["result"]["status"] == status; });
  }

  FakeClock clock_;
  ExtensionTools tools_{true};
  RecordingChannel channel_;
  std::unique_ptr<Engine> engine_;
  Session session_{"s1", Principal{"agent", {}}};
  int id_ = 0;
};

TEST_F(TasksExtensionTest, DiscoverAdvertisesTheExtensionNotSessionTasks) {
  Json r = Send("server/discover", Json::object(), false);
  ASSERT_TRUE(r.contains("result")) << r;
  Json caps = r["result"]["capabilities"];
  ASSERT_TRUE(caps.contains("extensions")) << caps;
  EXPECT_EQ(caps["extensions"][kTasksExtension], Json::object()) << caps;
  EXPECT_FALSE(caps.contains("tasks")) << caps;

  // A provider without tasks: no extension, and its methods do not exist.
  ExtensionTools plain(false);
  Engine without(Options(&clock_), &plain);
  Session s("s2", Principal{"agent", {}});
  Json d = without.Handle(s,
                          StatelessRequest(1, "server/discover", Json::object(),
                                           Capabilities(true)),
                          &channel_);
  Json plain_caps = d["result"]["capabilities"];
  EXPECT_FALSE(plain_caps.contains("extensions") &&
               plain_caps["extensions"].contains(kTasksExtension))
      << plain_caps;
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    Json e = without.Handle(
        s,
        StatelessRequest(2, method,
                         {{"taskId", "t"}, {"inputResponses", Json::object()}},
                         Capabilities(true)),
        &channel_);
    EXPECT_EQ(e["error"]["code"], kMethodNotFound) << method << ": " << e;
  }
  // And a tool that would go on as a task runs at once.
  Json sync =
      without.Handle(s,
                     StatelessRequest(3, "tools/call", {{"name", "optional"}},
                                      Capabilities(true)),
                     &channel_);
  EXPECT_EQ(sync["result"]["resultType"], "complete") << sync;
  EXPECT_EQ(sync["result"]["structuredContent"]["in_task"], false);
}

TEST_F(TasksExtensionTest, WithoutTheExtensionTasksAreRefusedWithMinus32021) {
  std::string id = StartTask("required");  // a real id, of this caller
  ASSERT_FALSE(id.empty());
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    Json r = Send(method, {{"taskId", id}, {"inputResponses", Json::object()}},
                  false);
    ASSERT_TRUE(r.contains("error")) << method << ": " << r;
    EXPECT_EQ(r["error"]["code"], kMissingClientCapability) << method;
    EXPECT_EQ(r["error"]["code"], -32021);
    EXPECT_EQ(r["error"]["data"]["requiredCapabilities"],
              Json({{"extensions", {{kTasksExtension, Json::object()}}}}))
        << method << ": " << r;
  }
  // The refused cancel did not cancel it.
  EXPECT_EQ(GetTask(id)["result"]["status"], "working");
  EXPECT_FALSE(tools_.saw_cancel);

  // The optional tool runs synchronously.
  Json sync = Call("optional", false, nullptr, {{"x", 1}});
  ASSERT_TRUE(sync.contains("result")) << sync;
  EXPECT_EQ(sync["result"]["resultType"], "complete");
  EXPECT_FALSE(sync["result"].contains("taskId"));
  EXPECT_EQ(sync["result"]["structuredContent"]["in_task"], false);
  EXPECT_EQ(sync["result"]["structuredContent"]["args"]["x"], 1);

  // The tools that need it say so.
  for (const char* tool : {"required", "elicit"}) {
    Json r = Call(tool, false);
    ASSERT_TRUE(r.contains("error")) << tool << ": " << r;
    EXPECT_EQ(r["error"]["code"], kMissingClientCapability) << tool;
    EXPECT_TRUE(
        r["error"]["data"]["requiredCapabilities"]["extensions"].contains(
            kTasksExtension))
        << r;
  }
  // The extension declared as something other than an object is not
  // declared.
  Json odd_caps = {{"elicitation", Json::object()},
                   {"extensions", {{kTasksExtension, true}}}};
  Json odd = engine_->Handle(
      session_, StatelessRequest(++id_, "tasks/get", IdOf(id), odd_caps),
      &channel_);
  EXPECT_EQ(odd["error"]["code"], kMissingClientCapability) << odd;
  EXPECT_TRUE(channel_.Sent().empty());
}

TEST_F(TasksExtensionTest, ATaskTheClientCannotFollowIsAnErrorNotATask) {
  Json r = Call("forced", false);
  ASSERT_TRUE(r.contains("error")) << r;
  EXPECT_FALSE(r.contains("result"));
  EXPECT_EQ(r["error"]["code"], kInternalError) << r;
  EXPECT_EQ(tools_.forced_bodies, 1);
  // The job never ran.
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(tools_.forced_jobs, 0);
  // Declared: it does become a task, and runs.
  std::string id = StartTask("forced");
  ASSERT_TRUE(WaitStatus(id, "completed"));
  EXPECT_EQ(tools_.forced_jobs, 1);
}

TEST_F(TasksExtensionTest, ACallGoingOnAsATaskIsAnsweredWithItsHandle) {
  Json r = Call("optional", true, nullptr, {{"x", 2}});
  ASSERT_TRUE(r.contains("result")) << r;
  Json created = r["result"];
  // No wrapper, no state, and not the tool's own (dropped) result.
  std::string id = ExpectCreated(
      created, clock_.NowMicros(), TaskOptions().default_ttl_ms,
      {"task", "requestState", "inputRequests", "content", "structuredContent",
       "ttl", "pollInterval", "result", "error"});
  ASSERT_FALSE(id.empty());

  // Found at once; completes with the job's result, run in the task.
  Json got = GetTask(id);
  ASSERT_TRUE(got.contains("result")) << got;
  EXPECT_EQ(got["result"]["taskId"], id);
  ASSERT_TRUE(WaitStatus(id, "completed"));
  got = GetTask(id)["result"];
  EXPECT_EQ(got["result"]["structuredContent"]["in_task"], true) << got;
  EXPECT_EQ(got["result"]["structuredContent"]["args"]["x"], 2);
  EXPECT_FALSE(got["result"]["structuredContent"].contains("dropped"));
  EXPECT_FALSE(got.contains("error"));
  EXPECT_TRUE(channel_.Sent().empty());
}

TEST_F(TasksExtensionTest, AnElicitationWaitsInTheTaskUntilTasksUpdate) {
  std::string id = StartTask("elicit");
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  Json got = GetTask(id)["result"];
  ASSERT_TRUE(got["inputRequests"].is_object()) << got;
  ASSERT_EQ(got["inputRequests"].size(), 1u) << got;
  std::string key = got["inputRequests"].begin().key();
  Json request = got["inputRequests"][key];
  EXPECT_EQ(request["method"], "elicitation/create") << request;
  EXPECT_EQ(request["params"]["mode"], "form") << request;
  EXPECT_EQ(request["params"]["message"], "your name?");
  EXPECT_EQ(request["params"]["requestedSchema"]["properties"]["name"]["type"],
            "string");
  // Nothing went to the client: the request waits in the task.
  EXPECT_TRUE(channel_.Sent().empty());

  // A malformed update is invalid params and answers nothing.
  Json bad = Send("tasks/update", {{"taskId", id}, {"inputResponses", "Ada"}});
  EXPECT_EQ(bad["error"]["code"], kInvalidParams) << bad;
  bad = Send("tasks/update", {{"taskId", id}, {"inputResponses", {{key, 1}}}});
  EXPECT_EQ(bad["error"]["code"], kInvalidParams) << bad;
  EXPECT_EQ(GetTask(id)["result"]["status"], "input_required");

  Json answer = {{"action", "accept"}, {"content", {{"name", "Ada"}}}};
  Json ack = Send("tasks/update",
                  {{"taskId", id}, {"inputResponses", {{key, answer}}}});
  ASSERT_TRUE(ack.contains("result")) << ack;
  EXPECT_EQ(ack["result"]["resultType"], "complete") << ack;
  for (const char* absent :
       {"taskId", "status", "result", "error", "inputRequests"}) {
    EXPECT_FALSE(ack["result"].contains(absent)) << absent << ": " << ack;
  }
  ASSERT_TRUE(WaitStatus(id, "completed"));
  got = GetTask(id)["result"];
  EXPECT_EQ(got["result"]["structuredContent"]["answer"], answer) << got;
  EXPECT_EQ(got["result"]["structuredContent"]["in_task"], true);
  EXPECT_FALSE(got.contains("inputRequests"));
  EXPECT_EQ(tools_.elicit_status.load(), Code::kOk);
  EXPECT_TRUE(channel_.Sent().empty());
}

TEST_F(TasksExtensionTest, ATaskAsksOnlyForWhatTheClientDeclared) {
  // The client declared elicitation but not sampling: the task fails
  // instead of waiting for an answer that cannot come.
  std::string id = StartTask("sample");
  ASSERT_TRUE(WaitStatus(id, "failed"));
  Json got = GetTask(id)["result"];
  EXPECT_FALSE(got.contains("inputRequests"));
  EXPECT_TRUE(got["error"]["code"].is_number_integer()) << got;
  EXPECT_NE(got["error"]["message"].get<std::string>().find("sampling"),
            std::string::npos)
      << got;
}

TEST_F(TasksExtensionTest, AFailingJobFailsTheTask) {
  std::string id = StartTask("fail");
  ASSERT_TRUE(WaitStatus(id, "failed"));
  Json got = GetTask(id)["result"];
  EXPECT_EQ(got["error"]["code"], kInternalError) << got;
  EXPECT_EQ(got["error"]["message"], "boom");
  EXPECT_FALSE(got.contains("result"));
}

TEST_F(TasksExtensionTest, ProgressInATaskIsItsStatusMessage) {
  std::string id = StartTask("progress");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(Eventually([&] { return tools_.required_started == 1; }));
  Json got = GetTask(id)["result"];
  EXPECT_EQ(got["status"], "working");
  EXPECT_EQ(got["statusMessage"], "halfway") << got;
  EXPECT_TRUE(channel_.Sent().empty());
  ASSERT_TRUE(Send("tasks/cancel", IdOf(id)).contains("result"));
}

TEST_F(TasksExtensionTest, CancelIsAnEmptyCompleteResultAndStops) {
  std::string id = StartTask("required");
  // (A task cancelled before a thread took it never runs its job.)
  ASSERT_TRUE(Eventually([&] { return tools_.required_started == 1; }));
  Json r = Send("tasks/cancel", IdOf(id));
  ASSERT_TRUE(r.contains("result")) << r;
  EXPECT_EQ(r["result"]["resultType"], "complete");
  for (const char* absent :
       {"taskId", "status", "result", "error", "inputRequests"}) {
    EXPECT_FALSE(r["result"].contains(absent)) << absent << ": " << r;
  }
  EXPECT_EQ(GetTask(id)["result"]["status"], "cancelled");
  ASSERT_TRUE(Eventually([&] { return tools_.saw_cancel.load(); }));
  EXPECT_EQ(GetTask(id)["result"]["status"], "cancelled");
  // Unknown ids are invalid params.
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    Json e =
        Send(method, {{"taskId", "nope"}, {"inputResponses", Json::object()}});
    EXPECT_EQ(e["error"]["code"], kInvalidParams) << method << ": " << e;
    e = Send(method, {{"inputResponses", Json::object()}});
    EXPECT_EQ(e["error"]["code"], kInvalidParams) << method << ": " << e;
  }
}

TEST_F(TasksExtensionTest, ACancelledElicitingTaskStopsWaiting) {
  std::string id = StartTask("elicit");
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  ASSERT_TRUE(Send("tasks/cancel", IdOf(id)).contains("result"));
  ASSERT_TRUE(Eventually([&] { return tools_.elicit_returned.load(); }));
  EXPECT_EQ(tools_.elicit_status.load(), Code::kCancelled);
  Json got = GetTask(id)["result"];
  EXPECT_EQ(got["status"], "cancelled");
  EXPECT_FALSE(got.contains("inputRequests"));
}

TEST_F(TasksExtensionTest, SessionTaskMethodsStayOutOfStatelessRequests) {
  for (const char* method : {"tasks/result", "tasks/list"}) {
    Json r = Send(method, {{"taskId", "t"}});
    EXPECT_EQ(r["error"]["code"], kMethodNotFound) << method << ": " << r;
  }
}

TEST_F(TasksExtensionTest, ASessionOf20251125HasNoTasksUpdate) {
  std::string id = StartTask("required");
  Session s("s9", Principal{"agent", {}});
  Json init = engine_->Handle(
      s,
      MakeRequest(1, "initialize",
                  {{"protocolVersion", "2025-11-25"},
                   {"capabilities", Capabilities(true)},
                   {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
      nullptr);
  ASSERT_TRUE(init.contains("result")) << init;
  EXPECT_TRUE(init["result"]["capabilities"].contains("tasks"));
  engine_->Handle(s, MakeNotification("notifications/initialized", nullptr),
                  nullptr);
  Json r = engine_->Handle(
      s,
      MakeRequest(2, "tasks/update",
                  {{"taskId", id}, {"inputResponses", Json::object()}}),
      nullptr);
  EXPECT_EQ(r["error"]["code"], kMethodNotFound) << r;
  // The session's tasks/get and tasks/cancel are the session's own: the
  // same caller's stateless task is not among them.
  r = engine_->Handle(s, MakeRequest(3, "tasks/get", IdOf(id)), nullptr);
  EXPECT_TRUE(r.contains("error")) << r;
  r = engine_->Handle(s, MakeRequest(4, "tasks/cancel", IdOf(id)), nullptr);
  EXPECT_TRUE(r.contains("error")) << r;
  EXPECT_EQ(GetTask(id)["result"]["status"], "working");
  // In a session a call cannot go on as a task of the extension.
  r = engine_->Handle(s, MakeRequest(5, "tools/call", {{"name", "forced"}}),
                      nullptr);
  EXPECT_TRUE(r.contains("error")) << r;
  r = engine_->Handle(s, MakeRequest(6, "tools/call", {{"name", "optional"}}),
                      nullptr);
  EXPECT_EQ(r["result"]["structuredContent"]["in_task"], false) << r;
  engine_->EndSession(&s);
}

// A tools/call cancelled by the client (here before it arrived, as a
// notifications/cancelled that overtook it) gets no task handle the client
// could use: no task of it may run on, unseen and uncancellable.
TEST_F(TasksExtensionTest, ACancelledCallLeavesNoTaskRunning) {
  engine_->Handle(
      session_,
      MakeNotification("notifications/cancelled", {{"requestId", 501}}),
      &channel_);
  Json r = engine_->Handle(
      session_,
      StatelessRequest(501, "tools/call", {{"name", "required"}},
                       Capabilities(true)),
      &channel_);
  ASSERT_TRUE(r.contains("error")) << r;
  EXPECT_EQ(r["error"]["code"], kRequestCancelled) << r;
  // A job that was started begins within milliseconds.
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(tools_.required_started, 0)
      << "the cancelled call's task runs, and its id was never given out";
}

TEST_F(TasksExtensionTest, ATaskBelongsToItsCaller) {
  Session alice("sa", Principal{"alice", {}});
  Session bob("sb", Principal{"bob", {}});
  std::string id = StartTask("elicit", &alice);
  ASSERT_TRUE(WaitStatus(id, "input_required", &alice));
  std::string key =
      GetTask(id, &alice)["result"]["inputRequests"].begin().key();

  Json r = GetTask(id, &bob);
  EXPECT_EQ(r["error"]["code"], kInvalidParams) << r;
  r = Send(
      "tasks/update",
      {{"taskId", id}, {"inputResponses", {{key, {{"action", "accept"}}}}}},
      true, &bob);
  EXPECT_EQ(r["error"]["code"], kInvalidParams) << r;
  r = Send("tasks/cancel", IdOf(id), true, &bob);
  EXPECT_EQ(r["error"]["code"], kInvalidParams) << r;
  Json got = GetTask(id, &alice)["result"];
  EXPECT_EQ(got["status"], "input_required");
  EXPECT_TRUE(got["inputRequests"].contains(key));

  // The caller is the agent, not the request's session: another request
  // of alice's finds it.
  Session alice_again("sa2", Principal{"alice", {}});
  EXPECT_EQ(GetTask(id, &alice_again)["result"]["status"], "input_required");
  r = Send("tasks/update",
           {{"taskId", id},
            {"inputResponses",
             {{key, {{"action", "accept"}, {"content", {{"name", "A"}}}}}}}},
           true, &alice_again);
  EXPECT_TRUE(r.contains("result")) << r;
  EXPECT_TRUE(WaitStatus(id, "completed", &alice));
}

TEST_F(TasksExtensionTest, ACallerRunsAFewTasksAtOnce) {
  EngineOptions o = Options(&clock_);
  o.tasks.max_running_per_session = 1;
  engine_.reset();
  engine_ = std::make_unique<Engine>(o, &tools_);
  std::string id = StartTask("required");
  ASSERT_FALSE(id.empty());
  Json r = Call("required");
  ASSERT_TRUE(r.contains("error")) << r;
  EXPECT_EQ(r["error"]["code"], kLimitExceeded) << r;
  // Another caller still may.
  Session bob("sb", Principal{"bob", {}});
  EXPECT_EQ(Call("optional", true, &bob)["result"]["resultType"], "task");
}

TEST_F(TasksExtensionTest, TasksExpireWithTheirTtl) {
  std::string id = StartTask("required");
  ASSERT_TRUE(Eventually([&] { return tools_.required_started == 1; }));
  clock_.Advance((TaskOptions().default_ttl_ms + 1) * 1000);
  Json r = GetTask(id);
  EXPECT_EQ(r["error"]["code"], kInvalidParams) << r;
  EXPECT_TRUE(Eventually([&] { return tools_.saw_cancel.load(); }));
}

TEST_F(TasksExtensionTest, StoppingTheEngineStopsItsTasks) {
  std::string id = StartTask("elicit");
  ASSERT_TRUE(WaitStatus(id, "input_required"));
  auto started = std::chrono::steady_clock::now();
  engine_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  EXPECT_TRUE(tools_.elicit_returned);
  EXPECT_EQ(tools_.elicit_status.load(), Code::kCancelled);
}

// tools/list shows which tools may become tasks to a client that follows
// tasks only.
TEST_F(TasksExtensionTest, ToolsListShowsTaskSupportToClientsOfTheExtension) {
  Json with = Send("tools/list", Json::object())["result"]["tools"];
  ASSERT_FALSE(with.empty());
  EXPECT_EQ(with[0]["execution"]["taskSupport"], "optional") << with[0];
  Json without =
      Send("tools/list", Json::object(), /*tasks=*/false)["result"]["tools"];
  ASSERT_FALSE(without.empty());
  EXPECT_FALSE(without[0].contains("execution")) << without[0];
}

// A task the provider keeps itself (a run in the journal, in the catalog):
// the call is answered with its handle, and tasks/get, /update, /cancel
// fall through to the provider for an id the engine's table does not know.
TEST_F(TasksExtensionTest, ATaskTheProviderKeepsIsAnsweredByTheProvider) {
  Json created = Call("kept")["result"];
  EXPECT_EQ(created["resultType"], "task") << created;
  EXPECT_EQ(created["taskId"], "kept-1");
  EXPECT_EQ(created["status"], "working");
  EXPECT_TRUE(created.contains("ttlMs") && created["ttlMs"].is_null());
  EXPECT_FALSE(created.contains("result"));
  EXPECT_FALSE(created.contains("dropped"));
  // Without the extension, no task: the tool's own result.
  Json plain = Call("kept", /*tasks=*/false)["result"];
  EXPECT_EQ(plain["resultType"], "complete") << plain;
  EXPECT_EQ(plain["structuredContent"]["kept"], false);

  Json got = GetTask("kept-1")["result"];
  EXPECT_EQ(got["status"], "working") << got;
  EXPECT_EQ(got["statusMessage"], "kept for agent");
  tools_.finish_kept = true;
  got = GetTask("kept-1")["result"];
  EXPECT_EQ(got["status"], "completed") << got;
  EXPECT_EQ(got["result"]["resultType"], "complete") << got;
  EXPECT_EQ(got["result"]["structuredContent"]["done"], true);

  Json ack = Send("tasks/cancel", IdOf("kept-1"))["result"];
  EXPECT_EQ(ack["resultType"], "complete") << ack;
  EXPECT_FALSE(ack.contains("status"));
  EXPECT_EQ(tools_.kept_cancels, 1);
  Json upd = Send("tasks/update",
                  {{"taskId", "kept-1"},
                   {"inputResponses", {{"x", {{"action", "accept"}}}}}});
  EXPECT_EQ(upd["result"]["resultType"], "complete") << upd;
  // Malformed answers are refused before any task is looked up.
  upd = Send("tasks/update", {{"taskId", "kept-1"}, {"inputResponses", 7}});
  EXPECT_EQ(upd["error"]["code"], kInvalidParams) << upd;

  // Another caller, or an id nobody keeps: unknown (-32602).
  Session other("s2", Principal{"other", {}});
  for (const char* method : {"tasks/get", "tasks/cancel"}) {
    Json r = Send(method, IdOf("kept-1"), true, &other);
    EXPECT_EQ(r["error"]["code"], kInvalidParams) << method << r;
    r = Send(method, IdOf("kept-2"));
    EXPECT_EQ(r["error"]["code"], kInvalidParams) << method << r;
  }
  EXPECT_EQ(tools_.kept_cancels, 1);
}

}  // namespace
}  // namespace wfs::mcp
