#include "mcp/task_table.h"

#include <optional>
#include <set>
#include <utility>

#include "base/random.h"
#include "base/strings.h"
#include "mcp/jsonrpc.h"

namespace wfs::mcp {

// One task: its state, what it waits for, and how it ended.
class TaskTable::Task : public TaskInput {
 public:
  Task(std::string id, const Clock* clock, int64_t ttl_ms, int64_t poll_ms)
      : id_(std::move(id)),
        clock_(clock),
        created_us_(clock->NowMicros()),
        updated_us_(created_us_),
        ttl_ms_(ttl_ms),
        poll_ms_(poll_ms),
        cancel_(std::make_shared<std::atomic<bool>>(false)) {}

  const std::string& id() const { return id_; }
  bool expired(int64_t now_us) const {
    return now_us - created_us_ >= ttl_ms_ * 1000;
  }
  std::shared_ptr<std::atomic<bool>> cancel_flag() const { return cancel_; }

  // The Task of the protocol; `detailed` adds what its status carries
  // (tasks/get's DetailedTask).
  Json ToJson(bool detailed) const {
    std::lock_guard<std::mutex> lock(mu_);
    Json j = {{"taskId", id_},
              {"status", status_},
              {"createdAt", FormatRfc3339(created_us_)},
              {"lastUpdatedAt", FormatRfc3339(updated_us_)},
              {"ttlMs", ttl_ms_},
              {"pollIntervalMs", poll_ms_}};
    if (!message_.empty()) j["statusMessage"] = message_;
    if (!detailed) return j;
    if (status_ == "input_required") {
      Json requests = Json::object();
      for (const auto& [key, p] : pending_) requests[key] = p.request;
      j["inputRequests"] = std::move(requests);
    } else if (status_ == "completed") {
      j["result"] = result_;
    } else if (status_ == "failed") {
      j["error"] = error_;
    }
    return j;
  }

  // The call returned `r` (a task cancelled meanwhile stays cancelled).
  void Finish(Result<Json> r) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.clear();
    cv_.notify_all();
    if (Terminal()) return;
    updated_us_ = clock_->NowMicros();
    if (r.ok()) {
      status_ = "completed";
      message_ = r->is_object() && r->value("isError", false)
                     ? "the tool reported an error (see the result)"
                     : "";
      result_ = *std::move(r);
      return;
    }
    status_ = "failed";
    message_ = r.status().message();
    error_ = StatusError(nullptr, r.status())["error"];
  }

  // Cancels the task; false when it had already ended.
  bool Cancel(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal()) return false;
    cancel_->store(true);
    status_ = "cancelled";
    message_ = why;
    updated_us_ = clock_->NowMicros();
    pending_.clear();
    cv_.notify_all();
    return true;
  }

  // tasks/update: records the answers to requests still outstanding.
  void Answer(const Json& responses) {
    std::lock_guard<std::mutex> lock(mu_);
    bool any = false;
    for (const auto& [key, answer] : responses.items()) {
      auto p = pending_.find(key);
      if (p == pending_.end()) continue;  // unknown, answered or withdrawn
      answers_[key] = answer;
      pending_.erase(p);
      any = true;
    }
    if (!any) return;
    if (pending_.empty() && status_ == "input_required") status_ = "working";
    updated_us_ = clock_->NowMicros();
    cv_.notify_all();
  }

  void Report(const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal() || message == message_) return;
    message_ = message;
    updated_us_ = clock_->NowMicros();
  }

  Result<Json> Ask(const Json& requests,
                   std::chrono::milliseconds timeout) override {
    if (!requests.is_object() || requests.empty()) {
      return InvalidArgument("a task asks for at least one input");
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (Terminal()) return Cancelled(StrCat("task ", id_, " has ended"));
    if (pending_.size() + requests.size() > kMaxPending) {
      return ResourceExhausted(
          StrCat("a task waits for at most ", kMaxPending, " inputs"));
    }
    // Keys of the task's own: unique over its life, whatever the call's
    // keys are.
    std::map<std::string, std::string> mine;  // task key -> call's key
    for (const auto& [key, request] : requests.items()) {
      std::string minted = StrCat("input-", ++asked_);
      pending_[minted] = {request};
      mine[minted] = key;
    }
    status_ = "input_required";
    updated_us_ = clock_->NowMicros();
    auto answered = [&] {
      for (const auto& [minted, key] : mine) {
        if (!answers_.count(minted)) return false;
      }
      return true;
    };
    bool in_time = cv_.wait_for(lock, timeout, [&] {
      return answered() || Terminal() || cancel_->load();
    });
    if (!answered()) {
      for (const auto& [minted, key] : mine) {
        pending_.erase(minted);
        answers_.erase(minted);
      }
      if (!Terminal()) {
        if (pending_.empty()) status_ = "working";
        updated_us_ = clock_->NowMicros();
      }
      if (!in_time) {
        return DeadlineExceeded("the client did not answer in time");
      }
      return Cancelled(StrCat("task ", id_, " was cancelled"));
    }
    Json out = Json::object();
    for (const auto& [minted, key] : mine) {
      out[key] = std::move(answers_[minted]);
      answers_.erase(minted);
    }
    return out;
  }

 private:
  static constexpr size_t kMaxPending = 16;

  struct Pending {
    Json request;  // {method, params}
  };

  bool Terminal() const {
    return status_ == "completed" || status_ == "failed" ||
           status_ == "cancelled";
  }

  const std::string id_;
  const Clock* const clock_;
  const int64_t created_us_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t updated_us_;
  const int64_t ttl_ms_;
  const int64_t poll_ms_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::string status_ = "working";
  std::string message_;
  Json result_;
  Json error_;
  int64_t asked_ = 0;
  std::map<std::string, Pending> pending_;  // outstanding, by task key
  std::map<std::string, Json> answers_;     // answered, not yet taken
};

TaskTable::TaskTable(TaskOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      pool_(WorkerPoolOptions{
          .name = "wfs-task", .min_threads = 1, .max_threads = 256}) {}

TaskTable::~TaskTable() {
  std::vector<std::shared_ptr<Task>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [owner, mine] : tasks_) {
      for (auto& [id, t] : mine) all.push_back(t);
    }
  }
  for (auto& t : all) t->Cancel("the server is stopping");
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return total_running_ == 0; });
}

int TaskTable::running() {
  std::lock_guard<std::mutex> lock(mu_);
  return total_running_;
}

std::vector<std::shared_ptr<TaskTable::Task>> TaskTable::TakeExpiredLocked(
    int64_t now_us) {
  std::vector<std::shared_ptr<Task>> expired;
  for (auto o = tasks_.begin(); o != tasks_.end();) {
    for (auto t = o->second.begin(); t != o->second.end();) {
      if (t->second->expired(now_us)) {
        expired.push_back(t->second);
        t = o->second.erase(t);
      } else {
        ++t;
      }
    }
    auto r = running_.find(o->first);
    if (o->second.empty() && (r == running_.end() || r->second == 0)) {
      if (r != running_.end()) running_.erase(r);
      o = tasks_.erase(o);
    } else {
      ++o;
    }
  }
  return expired;
}

Result<Json> TaskTable::Start(const std::string& owner, Job job) {
  auto task = std::make_shared<Task>(SecureRandomHex(16), clock_,
                                     options_.default_ttl_ms,
                                     options_.poll_interval_ms);
  std::vector<std::shared_ptr<Task>> expired;
  Status admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    expired = TakeExpiredLocked(clock_->NowMicros());
    auto& mine = tasks_[owner];
    int& running = running_[owner];
    if (mine.size() >= options_.max_per_session ||
        running >= options_.max_running_per_session) {
      admitted = ResourceExhausted(StrCat(
          "you hold ", mine.size(), " tasks (", running,
          " running); wait for some to finish or expire, or cancel them"));
    } else if (total_running_ >= options_.max_running) {
      admitted = ResourceExhausted(
          "the server runs as many tasks as it may; try again later");
    } else {
      mine[task->id()] = task;
      ++running;
      ++total_running_;
    }
  }
  for (auto& t : expired) t->Cancel("its ttl passed");
  WFS_RETURN_IF_ERROR(admitted);
  Json created = task->ToJson(false);
  created["resultType"] = "task";
  auto done = [this, owner] {
    std::lock_guard<std::mutex> lock(mu_);
    --running_[owner];
    --total_running_;
    done_cv_.notify_all();
  };
  bool queued = pool_.Submit([task, job = std::move(job), done] {
    // Cancelled before a thread took it: it never starts.
    if (task->cancel_flag()->load()) {
      task->Finish(Cancelled("cancelled before it started"));
    } else {
      task->Finish(job(*task, task->cancel_flag()));
    }
    done();
  });
  if (!queued) {
    task->Finish(Unavailable("the server is stopping"));
    done();
  }
  return created;
}

Result<std::shared_ptr<TaskTable::Task>> TaskTable::Find(
    const std::string& owner, const Json& params) {
  if (!params.is_object() || !params.contains("taskId") ||
      !params["taskId"].is_string()) {
    return InvalidArgument("params.taskId (a string) is required");
  }
  std::string id = params["taskId"].get<std::string>();
  std::shared_ptr<Task> found;
  std::vector<std::shared_ptr<Task>> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    expired = TakeExpiredLocked(clock_->NowMicros());
    auto o = tasks_.find(owner);
    if (o != tasks_.end()) {
      auto t = o->second.find(id);
      if (t != o->second.end()) found = t->second;
    }
  }
  for (auto& t : expired) t->Cancel("its ttl passed");
  if (found == nullptr) {
    return InvalidArgument(
        StrCat("no task ", Quote(id),
               " (it never existed, is another caller's, or outlived its "
               "ttlMs)"));
  }
  return found;
}

Result<Json> TaskTable::Get(const std::string& owner, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(owner, params));
  return t->ToJson(true);
}

Result<Json> TaskTable::Update(const std::string& owner, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(owner, params));
  const Json& responses = params.value("inputResponses", Json());
  if (!responses.is_object()) {
    return InvalidArgument(
        "params.inputResponses must be an object (the client's result for "
        "each input request, by its key)");
  }
  for (const auto& [key, answer] : responses.items()) {
    if (!answer.is_object()) {
      return InvalidArgument(StrCat("params.inputResponses[", Quote(key),
                                    "] must be an object (the client's "
                                    "result for that input request)"));
    }
  }
  t->Answer(responses);
  return Json::object();
}

Result<Json> TaskTable::Cancel(const std::string& owner, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(owner, params));
  t->Cancel("cancelled by the client");
  return Json::object();
}

}  // namespace wfs::mcp
