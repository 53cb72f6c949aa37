// The workload of the crash tests: one workflow with reversible and
// irreversible effects, a confirmation and a planned failure, run many times
// on a simulated world persisted to a file. Shared by crash_worker (the
// process that gets killed) and crash_test (the harness that kills it and
// checks the result).
#ifndef WFSTORE_TESTS_JOURNAL_CRASH_WORKLOAD_H_
#define WFSTORE_TESTS_JOURNAL_CRASH_WORKLOAD_H_

#include <string>

#include "base/json.h"
#include "base/strings.h"

namespace wfs::crash {

// Run r<n> archives message m<n>, creates /data/r<n>.txt, pays 1.00 with
// memo r<n>, and fails (compensating the first two) when n % 5 == 0.
inline const char* kWorkflow = R"(workflow crash.step 1.0.0 {
  summary "One unit of the crash tests' workload."
  intent "crash test"
  input n: int "Run number."
  input id: mail.MessageId "Message to archive."
  input memo: string "Payment memo and file name."
  uses mail.update, payments.spend, fs.create
  scope mail.mailbox = ["INBOX", "Archive"]
  scope payments.account = "acct"
  scope fs.root = "/data"
  limit mail.update <= 1
  limit payments.spend <= 1
  limit fs.create <= 1
  run {
    confirm "Archive {id} and pay 1.00 for {memo}?"
    mail.move(id, "Archive")
    fs.create(fs.Path(memo + ".txt"), memo)
    let p = payments.pay("acct", "DE00TEST", 1.00, memo)
    if n % 5 == 0 {
      fail "planned failure after the payment"
    }
  }
})";

inline Json InitialWorld(int runs) {
  Json messages = Json::array();
  for (int i = 0; i < runs; ++i) {
    messages.push_back({{"id", StrCat("m", i)}, {"mailbox", "INBOX"}});
  }
  return {{"mail", {{"messages", messages}}},
          {"payments",
           {{"accounts", Json::array({{{"id", "acct"},
                                       {"name", "Test"},
                                       {"balance", "1000000.00"}}})}}},
          {"fs", {{"files", Json::array({{{"path", "/data/.keep"},
                                          {"content", ""}}})}}}};
}

inline std::string RunId(int n) { return StrCat("r", n); }

inline Json Inputs(int n) {
  return {{"n", n}, {"id", StrCat("m", n)}, {"memo", RunId(n)}};
}

}  // namespace wfs::crash

#endif  // WFSTORE_TESTS_JOURNAL_CRASH_WORKLOAD_H_
