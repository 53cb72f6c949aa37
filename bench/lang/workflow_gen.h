// Generators of large, valid workflow sources for benchmarks.
#ifndef WFSTORE_BENCH_LANG_WORKFLOW_GEN_H_
#define WFSTORE_BENCH_LANG_WORKFLOW_GEN_H_

#include <string>

#include "base/strings.h"

namespace wfs::bench {

// A single workflow of about `lines` lines mixing lets, vars, branches, loops,
// string interpolation, built-ins and connector calls.
inline std::string BigWorkflow(int lines) {
  std::string out = R"(workflow bench.big 1.0.0 {
  summary "A large generated workflow for benchmarks."
  intent "benchmark the checker"
  input id: mail.MessageId "Message."
  input mailbox: mail.Mailbox "Mailbox."
  input n: int "A number."
  uses mail.read, mail.update
  scope mail.mailbox = mailbox
  limit mail.update <= 1000000
  run {
    let m0 = mail.get(id)
)";
  int line = 12;
  int i = 0;
  while (line < lines - 3) {
    out += StrCat("    let a", i, " = n + ", i, " * 2\n");
    out += StrCat("    var s", i, " = \"x", i, "\"\n");
    out += StrCat("    if a", i, " > 10 and len(s", i, ") < 40 {\n");
    out += StrCat("      s", i, " = s", i, " + \"-\" + str(a", i, ")\n");
    out += "    } else {\n";
    out += StrCat("      s", i, " = lower(s", i, ")\n");
    out += "    }\n";
    out += StrCat("    for k", i, " in [1, 2, 3] {\n");
    out += StrCat("      mail.flag(id, s", i, ")\n");
    out += "    }\n";
    out += StrCat("    let t", i, " = \"item {s", i, "} of {m0.id}\"\n");
    line += 11;
    ++i;
  }
  out += "  }\n}\n";
  return out;
}

// A small workflow in the style of the starter catalog, named by `i`.
inline std::string SmallWorkflow(int i) {
  return StrCat(R"(workflow bench.delete_)", i, R"( 1.0.0 {
  summary "Delete exactly one email message after the person confirms (variant )", i, R"()."
  intent "delete an email"
  input id: mail.MessageId "Id of the message."
  input mailbox: mail.Mailbox "Mailbox the message is in."
  output deleted: mail.MessageId "The deleted message."
  uses mail.read, mail.delete
  scope mail.mailbox = mailbox
  limit mail.delete <= 1
  run {
    let m = mail.get(id)
    confirm "Delete \"{m.subject}\" from {m.from}?"
    mail.delete(m.id)
    return { deleted: m.id }
  }
  test "deletes one" {
    given mail.messages = [{id: "a", mailbox: "INBOX"}, {id: "b", mailbox: "INBOX"}]
    call { id: "b", mailbox: "INBOX" }
    approve
    expect where(mail.messages, "mailbox", "Trash").id == ["b"]
  }
}
)");
}

}  // namespace wfs::bench

#endif  // WFSTORE_BENCH_LANG_WORKFLOW_GEN_H_
