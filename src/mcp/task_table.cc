#include "mcp/task_table.h"

#include <map>
#include <utility>

#include "base/random.h"
#include "base/strings.h"
#include "mcp/jsonrpc.h"
#include "mcp/task_book.h"

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
      for (const auto& [key, request] : pending_) requests[key] = request;
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
      pending_[minted] = request;
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
  // Outstanding requests ({method, params}), by task key.
  std::map<std::string, Json> pending_;
  std::map<std::string, Json> answers_;     // answered, not yet taken
};

Status CheckInputResponses(const Json& responses) {
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
  return Status::Ok();
}

TaskTable::TaskTable(TaskOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      book_(std::make_unique<TaskBook<std::string, Task>>(options_, clock_,
                                                          "you hold")) {}

TaskTable::~TaskTable() {
  for (auto& t : book_->Tasks(nullptr)) t->Cancel("the server is stopping");
  book_->Wait(nullptr, false);
}

int TaskTable::running() { return book_->running(); }

Result<Json> TaskTable::Start(const std::string& owner, Job job) {
  auto task = std::make_shared<Task>(SecureRandomHex(16), clock_,
                                     options_.default_ttl_ms,
                                     options_.poll_interval_ms);
  // Its state as created: the job may change it as soon as it starts.
  Json created = task->ToJson(false);
  created["resultType"] = "task";
  WFS_RETURN_IF_ERROR(book_->Start(owner, task, [task, job = std::move(job)] {
    return job(*task, task->cancel_flag());
  }));
  return created;
}

Result<std::shared_ptr<TaskTable::Task>> TaskTable::Find(
    const std::string& owner, const Json& params) {
  return book_->Find(owner, params,
                     " (it never existed, is another caller's, or outlived "
                     "its ttlMs)");
}

Result<Json> TaskTable::Get(const std::string& owner, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(owner, params));
  return t->ToJson(true);
}

Result<Json> TaskTable::Update(const std::string& owner, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(owner, params));
  const Json& responses = params.value("inputResponses", Json());
  WFS_RETURN_IF_ERROR(CheckInputResponses(responses));
  t->Answer(responses);
  return Json::object();
}

Result<Json> TaskTable::Cancel(const std::string& owner, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(owner, params));
  t->Cancel("cancelled by the client");
  return Json::object();
}

}  // namespace wfs::mcp
