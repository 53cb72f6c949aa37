#include "mcp/tasks.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "mcp/engine.h"  // the list cursors
#include "mcp/jsonrpc.h"

namespace wfs::mcp {

// One task: its state, its outcome, and the channel its call sends on.
class TaskRegistry::Task : public ClientChannel {
 public:
  Task(std::string id, const Clock* clock, int64_t ttl_ms, int64_t poll_ms)
      : id_(std::move(id)),
        created_us_(clock->NowMicros()),
        clock_(clock),
        updated_us_(created_us_),
        ttl_ms_(ttl_ms),
        poll_ms_(poll_ms),
        cancel_(std::make_shared<std::atomic<bool>>(false)) {}

  const std::string& id() const { return id_; }
  int64_t created_us() const { return created_us_; }
  bool expired(int64_t now_us) const {
    return now_us - created_us_ >= ttl_ms_ * 1000;
  }
  std::shared_ptr<std::atomic<bool>> cancel_flag() const { return cancel_; }

  // The Task object of the protocol.
  Json ToJson() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ToJsonLocked();
  }

  bool finished() const {
    std::lock_guard<std::mutex> lock(mu_);
    return Terminal();
  }

  // The call returned `r` at `now_us` (a task cancelled meanwhile stays
  // cancelled).
  void Finish(Result<Json> r, int64_t now_us) {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_ != "cancelled") {
      bool failed = !r.ok() || (r->is_object() && r->value("isError", false));
      status_ = failed ? "failed" : "completed";
      if (!r.ok()) {
        message_ = r.status().message();
      } else if (failed) {
        message_ = "the tool reported an error (tasks/result has it)";
      } else {
        message_.clear();
      }
      outcome_ = std::move(r);
      updated_us_ = now_us;
    }
    queued_.clear();  // their waiter, the call, is cancelled or done
    cv_.notify_all();
  }

  // Cancels the task; false when it had already finished.
  bool Cancel(int64_t now_us, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal()) return false;
    cancel_->store(true);
    status_ = "cancelled";
    message_ = why;
    updated_us_ = now_us;
    queued_.clear();  // their waiter, the call, is cancelled or done
    cv_.notify_all();
    return true;
  }

  // Waits for the task to finish while `channel` receives its messages
  // (null: a client reading JSON answers, which no request reaches: the
  // call's requests kept for it and sent while it waits fail at once).
  Result<Json> Await(ClientChannel* channel, const std::atomic<bool>* stop,
                     Session& session) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!Terminal()) {
      readers_.push_back(channel);
      for (Json& m : queued_) {
        if (channel != nullptr) {
          channel->Send(m).IgnoreError();
        } else {
          FailLocked(session, m["id"]);
        }
      }
      queued_.clear();
      while (!Terminal() && !(stop != nullptr && stop->load()) &&
             !session.closed()) {
        cv_.wait_for(lock, std::chrono::milliseconds(100));
      }
      readers_.erase(std::find(readers_.begin(), readers_.end(), channel));
    }
    if (!Terminal()) return Cancelled("the tasks/result request was cancelled");
    if (status_ == "cancelled") {
      return Cancelled(StrCat("task ", id_, " was cancelled",
                              message_.empty() ? "" : ": ", message_));
    }
    if (!outcome_->ok()) return outcome_->status();
    Json result = **outcome_;
    if (result.is_object()) {
      result["_meta"][kRelatedTaskKey] = {{"taskId", id_}};
    }
    return result;
  }

  // ClientChannel, for the task's call: tags each message with the task,
  // sends it to the waiting tasks/result, or keeps a request for it.
  Status Send(const Json& message) override {
    Json m = message;
    if (!m.contains("params") || !m["params"].is_object()) {
      m["params"] = Json::object();
    }
    m["params"]["_meta"][kRelatedTaskKey] = {{"taskId", id_}};
    bool request = m.contains("id") && m.contains("method");
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal()) return Unavailable("the task has ended");
    ClientChannel* reader = nullptr;
    bool json_reader = false;
    for (ClientChannel* r : readers_) {
      if (r != nullptr) reader = r;
      json_reader = json_reader || r == nullptr;
    }
    Status sent;
    if (reader != nullptr) {
      sent = reader->Send(m);
    } else if (!request) {
      return Status::Ok();  // no one to tell: dropped
    } else if (json_reader) {
      sent = Unavailable("the client reads this task's result as JSON");
    } else if (queued_.size() >= kMaxQueued) {
      sent = Unavailable("too many requests wait for this task's client");
    } else {
      queued_.push_back(std::move(m));
    }
    if (request && sent.ok()) {
      ++pending_;
      if (status_ == "working") {
        status_ = "input_required";
        updated_us_ = clock_->NowMicros();
      }
    }
    return sent;
  }

  void Answered() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_ > 0) --pending_;
    if (pending_ == 0 && status_ == "input_required") {
      status_ = "working";
      updated_us_ = clock_->NowMicros();
    }
  }

 private:
  static constexpr size_t kMaxQueued = 16;

  bool Terminal() const {
    return status_ == "completed" || status_ == "failed" ||
           status_ == "cancelled";
  }

  // Answers a kept request that will never reach the client with an error,
  // so that its waiter (the call) goes on at once.
  static void FailLocked(Session& session, const Json& id) {
    session.outbound().Deliver(
        id, {{"error",
              {{"code", kInternalError},
               {"message",
                "the client cannot receive this task's requests "
                "(it reads the result as JSON)"}}}});
  }

  Json ToJsonLocked() const {
    Json j = {{"taskId", id_},
              {"status", status_},
              {"createdAt", FormatRfc3339(created_us_)},
              {"lastUpdatedAt", FormatRfc3339(updated_us_)},
              {"ttl", ttl_ms_},
              {"pollInterval", poll_ms_}};
    if (!message_.empty()) j["statusMessage"] = message_;
    return j;
  }

  const std::string id_;
  const int64_t created_us_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string status_ = "working";
  std::string message_;
  int64_t updated_us_;
  const int64_t ttl_ms_;
  const int64_t poll_ms_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::optional<Result<Json>> outcome_;
  // The channels of the tasks/result requests waiting (null: JSON).
  std::vector<ClientChannel*> readers_;
  int pending_ = 0;          // requests sent, not yet answered
  std::deque<Json> queued_;  // requests for a tasks/result to come
};

TaskRegistry::TaskRegistry(TaskOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      pool_(WorkerPoolOptions{
          .name = "wfs-task", .min_threads = 1, .max_threads = 256}) {}

TaskRegistry::~TaskRegistry() {
  std::vector<Session*> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [s, t] : tasks_) sessions.push_back(s);
  }
  for (Session* s : sessions) EndSession(s);
}

Result<Json> TaskRegistry::Start(Session& session, int64_t ttl_ms, Job job) {
  int64_t now = clock_->NowMicros();
  if (ttl_ms < 0) ttl_ms = options_.default_ttl_ms;
  ttl_ms = std::min(ttl_ms, options_.max_ttl_ms);
  auto task = std::make_shared<Task>(SecureRandomHex(16), clock_, ttl_ms,
                                     options_.poll_interval_ms);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ExpireLocked(&session, now);
    auto& mine = tasks_[&session];
    if (mine.size() >= options_.max_per_session) {
      return ResourceExhausted(
          StrCat("this session holds ", mine.size(),
                 " tasks; wait for some to expire or cancel them"));
    }
    mine[task->id()] = task;
    ++running_[&session];
  }
  Json created = {{"task", task->ToJson()}};
  bool queued = pool_.Submit([this, task, job = std::move(job), &session] {
    Result<Json> r = job(task.get(), task->cancel_flag());
    task->Finish(std::move(r), clock_->NowMicros());
    std::lock_guard<std::mutex> lock(mu_);
    --running_[&session];
    done_cv_.notify_all();
  });
  if (!queued) {
    task->Finish(Unavailable("the server is stopping"), clock_->NowMicros());
    std::lock_guard<std::mutex> lock(mu_);
    --running_[&session];
    done_cv_.notify_all();
  }
  return created;
}

Result<std::shared_ptr<TaskRegistry::Task>> TaskRegistry::Find(
    Session& session, const Json& params) {
  if (!params.is_object() || !params.contains("taskId") ||
      !params["taskId"].is_string()) {
    return InvalidArgument("params.taskId (a string) is required");
  }
  std::string id = params["taskId"].get<std::string>();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(&session, clock_->NowMicros());
  auto s = tasks_.find(&session);
  if (s != tasks_.end()) {
    auto t = s->second.find(id);
    if (t != s->second.end()) return t->second;
  }
  return InvalidArgument(StrCat("no task ", Quote(id), " in this session"));
}

Result<Json> TaskRegistry::Get(Session& session, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(session, params));
  return t->ToJson();
}

Result<Json> TaskRegistry::List(Session& session, const Json& params,
                                size_t page_size) {
  std::vector<std::shared_ptr<Task>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ExpireLocked(&session, clock_->NowMicros());
    auto s = tasks_.find(&session);
    if (s != tasks_.end()) {
      for (auto& [id, t] : s->second) all.push_back(t);
    }
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a->created_us() != b->created_us()
               ? a->created_us() > b->created_us()
               : a->id() < b->id();
  });
  WFS_ASSIGN_OR_RETURN(size_t offset, DecodeCursor(params));
  if (offset > all.size()) {
    return InvalidArgument("cursor is past the end of the list");
  }
  Json list = Json::array();
  size_t end = std::min(all.size(), offset + page_size);
  for (size_t i = offset; i < end; ++i) list.push_back(all[i]->ToJson());
  Json out = {{"tasks", std::move(list)}};
  if (end < all.size()) out["nextCursor"] = EncodeCursor(end);
  return out;
}

Result<Json> TaskRegistry::Cancel(Session& session, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(session, params));
  if (!t->Cancel(clock_->NowMicros(), "cancelled by the client")) {
    return InvalidArgument(StrCat("task ", t->id(), " has already finished (",
                                  t->ToJson()["status"].get<std::string>(),
                                  ")"));
  }
  return t->ToJson();
}

Result<Json> TaskRegistry::Await(Session& session, const Json& params,
                                 ClientChannel* channel,
                                 const std::atomic<bool>* cancelled) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(session, params));
  return t->Await(channel, cancelled, session);
}

void TaskRegistry::ExpireLocked(Session* session, int64_t now_us) {
  auto s = tasks_.find(session);
  if (s == tasks_.end()) return;
  for (auto it = s->second.begin(); it != s->second.end();) {
    if (it->second->expired(now_us)) {
      it->second->Cancel(now_us, "its ttl passed");
      it = s->second.erase(it);
    } else {
      ++it;
    }
  }
}

void TaskRegistry::EndSession(Session* session) {
  std::unique_lock<std::mutex> lock(mu_);
  auto s = tasks_.find(session);
  if (s != tasks_.end()) {
    for (auto& [id, t] : s->second) {
      t->Cancel(clock_->NowMicros(), "the session ended");
    }
  }
  session->outbound().CancelAll();  // wakes calls waiting for an answer
  done_cv_.wait(lock, [&] {
    auto r = running_.find(session);
    return r == running_.end() || r->second == 0;
  });
  tasks_.erase(session);
  running_.erase(session);
}

}  // namespace wfs::mcp
