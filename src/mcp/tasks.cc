#include "mcp/tasks.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "mcp/jsonrpc.h"
#include "mcp/task_book.h"

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
    Json j = {{"taskId", id_},
              {"status", status_},
              {"createdAt", FormatRfc3339(created_us_)},
              {"lastUpdatedAt", FormatRfc3339(updated_us_)},
              {"ttl", ttl_ms_},
              {"pollInterval", poll_ms_}};
    if (!message_.empty()) j["statusMessage"] = message_;
    return j;
  }

  // The call returned `r` (a task cancelled meanwhile stays cancelled).
  void Finish(Result<Json> r) {
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
      updated_us_ = clock_->NowMicros();
    }
    outstanding_.clear();
    cv_.notify_all();
  }

  // Cancels the task; false when it had already finished.
  bool Cancel(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal()) return false;
    cancel_->store(true);
    status_ = "cancelled";
    message_ = why;
    updated_us_ = clock_->NowMicros();
    outstanding_.clear();  // their waiter, the call, sees the flag
    cv_.notify_all();
    return true;
  }

  // Waits for the task to finish while `channel` receives its messages
  // (null: a client reading JSON answers, which no request reaches: the
  // call's requests waiting for a reader fail at once).
  Result<Json> Await(ClientChannel* channel, const std::atomic<bool>* stop,
                     Session& session) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!Terminal()) {
      readers_.push_back(channel);
      DeliverWaitingLocked(session);
      while (!Terminal() && !(stop != nullptr && stop->load()) &&
             !session.closed()) {
        cv_.wait_for(lock, std::chrono::milliseconds(100));
      }
      readers_.erase(std::find(readers_.begin(), readers_.end(), channel));
      // What this reader got and the client did not answer goes to the
      // next one (its stream may have ended before the person saw it).
      for (auto& [id, o] : outstanding_) {
        if (o.sent_to == channel) o.sent_to = nullptr;
      }
      DeliverWaitingLocked(session);
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

  // ClientChannel, for the task's call: tags each message with the task
  // and sends it to the newest tasks/result waiting. A request with no one
  // waiting is kept for the next (the task needs input meanwhile); a
  // notification is dropped.
  Status Send(const Json& message) override {
    Json m = message;
    if (!m.contains("params") || !m["params"].is_object()) {
      m["params"] = Json::object();
    }
    m["params"]["_meta"][kRelatedTaskKey] = {{"taskId", id_}};
    bool request =
        m.contains("method") && m.contains("id") && m["id"].is_number_integer();
    std::lock_guard<std::mutex> lock(mu_);
    if (Terminal()) return Unavailable("the task has ended");
    ClientChannel* reader = ReaderLocked();
    if (!request) return reader != nullptr ? reader->Send(m) : Status::Ok();
    if (reader == nullptr && !readers_.empty()) {
      return Unavailable("the client reads this task's result as JSON");
    }
    if (outstanding_.size() >= kMaxOutstanding) {
      return Unavailable("too many requests wait for this task's client");
    }
    Outstanding& o = outstanding_[m["id"].get<int64_t>()];
    o.message = std::move(m);
    if (reader != nullptr && reader->Send(o.message).ok()) o.sent_to = reader;
    if (status_ == "working") {
      status_ = "input_required";
      updated_us_ = clock_->NowMicros();
    }
    return Status::Ok();
  }

  void Answered(int64_t request_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    outstanding_.erase(request_id);
    if (outstanding_.empty() && status_ == "input_required") {
      status_ = "working";
      updated_us_ = clock_->NowMicros();
    }
  }

 private:
  static constexpr size_t kMaxOutstanding = 16;

  struct Outstanding {
    Json message;
    ClientChannel* sent_to = nullptr;  // null: waits for a reader
  };

  bool Terminal() const {
    return status_ == "completed" || status_ == "failed" ||
           status_ == "cancelled";
  }

  // The newest tasks/result waiting with a stream; null when none.
  ClientChannel* ReaderLocked() const {
    for (auto it = readers_.rbegin(); it != readers_.rend(); ++it) {
      if (*it != nullptr) return *it;
    }
    return nullptr;
  }

  // Sends the requests waiting for a reader to the newest one; when only
  // JSON readers wait, answers them with an error for their waiter (the
  // call), which goes on at once.
  void DeliverWaitingLocked(Session& session) {
    if (readers_.empty()) return;
    ClientChannel* reader = ReaderLocked();
    for (auto& [id, o] : outstanding_) {
      if (o.sent_to != nullptr) continue;
      if (reader != nullptr) {
        if (reader->Send(o.message).ok()) o.sent_to = reader;
      } else {
        session.outbound().Deliver(
            id, {{"error",
                  {{"code", kInternalError},
                   {"message",
                    "the client cannot receive this task's requests (it "
                    "reads the result as JSON)"}}}});
      }
    }
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
  // The channels of the tasks/result requests waiting (null: JSON), oldest
  // first.
  std::vector<ClientChannel*> readers_;
  // Requests sent by the call and not yet answered, by id.
  std::map<int64_t, Outstanding> outstanding_;
};

TaskRegistry::TaskRegistry(TaskOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      book_(std::make_unique<TaskBook<Session*, Task>>(options_, clock_,
                                                       "this session holds")) {}

TaskRegistry::~TaskRegistry() {
  for (Session* s : book_->Owners()) EndSession(s);
}

Result<Json> TaskRegistry::Start(Session& session, int64_t ttl_ms, Job job) {
  if (ttl_ms < 0) ttl_ms = options_.default_ttl_ms;
  ttl_ms = std::clamp(ttl_ms, options_.min_ttl_ms, options_.max_ttl_ms);
  auto task = std::make_shared<Task>(SecureRandomHex(16), clock_, ttl_ms,
                                     options_.poll_interval_ms);
  // Its state as created: the job may change it as soon as it starts.
  Json created = {{"task", task->ToJson()}};
  // Closed is checked under the book's lock: EndSession closes the session
  // before it looks, so a task is either seen (and waited for) by it or
  // never started.
  WFS_RETURN_IF_ERROR(book_->Start(
      &session, task,
      [task, job = std::move(job)] {
        return job(task.get(), task->cancel_flag());
      },
      [&session] { return session.closed(); }));
  return created;
}

bool TaskRegistry::Running(Session* session) { return book_->Running(session); }

Result<std::shared_ptr<TaskRegistry::Task>> TaskRegistry::Find(
    Session& session, const Json& params) {
  return book_->Find(&session, params, " in this session");
}

Result<Json> TaskRegistry::Get(Session& session, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(session, params));
  return t->ToJson();
}

std::vector<Json> TaskRegistry::List(Session& session) {
  Session* owner = &session;
  std::vector<std::shared_ptr<Task>> all = book_->Tasks(&owner);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a->created_us() != b->created_us()
               ? a->created_us() > b->created_us()
               : a->id() < b->id();
  });
  std::vector<Json> out;
  for (const auto& t : all) out.push_back(t->ToJson());
  return out;
}

Result<Json> TaskRegistry::Cancel(Session& session, const Json& params) {
  WFS_ASSIGN_OR_RETURN(std::shared_ptr<Task> t, Find(session, params));
  if (!t->Cancel("cancelled by the client")) {
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

void TaskRegistry::EndSession(Session* session) {
  // Closed first: no task starts for it from now on (Start checks), and
  // calls waiting for the client's answer wake up.
  session->Close();
  for (auto& t : book_->Tasks(&session)) t->Cancel("the session ended");
  book_->Wait(&session, /*forget=*/true);
}

}  // namespace wfs::mcp
