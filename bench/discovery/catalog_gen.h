// A deterministic synthetic catalog for the discovery benchmark: workflows
// over sixteen domains (mail, calendar, payments, issue trackers, code,
// files, chat, CRM ...) with the vocabulary of real ones, and queries of
// three kinds: paraphrases of a workflow's intent, the same with one typo,
// and requests no workflow fits. Same seed, same catalog and queries.
#ifndef WFSTORE_BENCH_DISCOVERY_CATALOG_GEN_H_
#define WFSTORE_BENCH_DISCOVERY_CATALOG_GEN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/random.h"
#include "discovery/search_index.h"

namespace wfs::bench {

struct Domain {
  const char* ns;
  std::vector<const char*> objects;     // singular nouns
  std::vector<const char*> verbs;       // what workflows here do
  std::vector<const char*> qualifiers;  // "from one sender", ...
  std::vector<std::pair<const char*, const char*>> params;  // name, doc
};

inline const std::vector<Domain>& Domains() {
  static const std::vector<Domain> kDomains = {
      {"mail",
       {"message", "email", "thread", "draft", "attachment", "folder"},
       {"find", "archive", "delete", "forward", "reply", "label", "move",
        "send", "export", "flag"},
       {"from one sender", "older than a week", "in a mailbox",
        "about an invoice", "with a large attachment", "to a colleague",
        "by subject"},
       {{"mailbox", "Mailbox to act on, e.g. INBOX."},
        {"sender", "Sender address or name to match."},
        {"id", "Id of the message."},
        {"to", "Recipient from the address book."},
        {"body", "Text of the message."}}},
      {"calendar",
       {"meeting", "event", "invitation", "reminder", "room", "slot"},
       {"book", "schedule", "cancel", "find", "move", "decline", "accept",
        "list", "share"},
       {"with a colleague", "next week", "in a meeting room",
        "for the whole team", "on a recurring day", "across time zones"},
       {{"with", "Person to meet, as in the address book."},
        {"start", "Start time (RFC 3339)."},
        {"minutes", "Length in minutes."},
        {"cal", "Calendar to use."},
        {"title", "Title of the event."}}},
      {"payments",
       {"payment", "invoice", "payee", "refund", "transfer", "subscription",
        "receipt"},
       {"pay", "refund", "transfer", "find", "cancel", "approve", "export",
        "list", "schedule"},
       {"to a saved payee", "from one account", "above a limit",
        "for a supplier", "in euros", "every month"},
       {{"payee", "Name of a saved payee."},
        {"amount", "Amount to pay, e.g. 42.50."},
        {"account", "Account to pay from."},
        {"memo", "Reference the payee will see."}}},
      {"tracker",
       {"issue", "ticket", "label", "milestone", "comment", "pull request"},
       {"label", "comment", "close", "assign", "find", "triage", "reopen",
        "link", "create"},
       {"in one repository", "reported by a user", "with a priority",
        "for the next release", "older than a month", "about a crash"},
       {{"repo", "Repository as owner/name."},
        {"number", "Issue number."},
        {"label", "Label to add, e.g. bug."},
        {"body", "Text of the comment."}}},
      {"code",
       {"file", "branch", "commit", "patch", "test", "build", "dependency"},
       {"fix", "apply", "revert", "rename", "format", "update", "run", "review",
        "merge"},
       {"in one repository", "across several files", "on a branch",
        "after the tests pass", "with a checkpoint first"},
       {{"repo", "Absolute path of the repository's working tree."},
        {"edits", "Replacements to make in files."},
        {"message", "Commit message."},
        {"branch", "Branch to work on."}}},
      {"contacts",
       {"contact", "group", "address", "phone number", "birthday"},
       {"find", "add", "update", "merge", "delete", "export", "share"},
       {"by name", "in the address book", "with a duplicate entry",
        "from a business card", "for a colleague"},
       {{"name", "Name, or part of it."},
        {"email", "E-mail address."},
        {"phone", "Phone number."}}},
      {"files",
       {"document", "folder", "photo", "spreadsheet", "backup", "archive"},
       {"upload", "download", "share", "rename", "move", "delete", "find",
        "compress", "sync"},
       {"in a shared drive", "older than a year", "larger than a limit",
        "with a colleague", "by file type"},
       {{"path", "Path of the file."},
        {"folder", "Folder to use."},
        {"with", "Person to share with."}}},
      {"chat",
       {"message", "channel", "thread", "reaction", "status", "reminder"},
       {"post", "reply", "find", "archive", "mute", "pin", "summarize"},
       {"in a channel", "to the whole team", "from a colleague",
        "about a release", "since yesterday"},
       {{"channel", "Channel name."},
        {"text", "Text to post."},
        {"thread", "Thread id."}}},
      {"crm",
       {"lead", "deal", "account", "opportunity", "note", "task"},
       {"create", "update", "assign", "find", "close", "export", "log"},
       {"for a customer", "in a pipeline stage", "owned by a colleague",
        "above a deal size", "this quarter"},
       {{"customer", "Customer account name."},
        {"stage", "Pipeline stage."},
        {"owner", "Sales owner."}}},
      {"docs",
       {"document", "page", "comment", "template", "section", "draft"},
       {"create", "edit", "comment", "share", "find", "export", "translate",
        "summarize"},
       {"in a workspace", "from a template", "for a meeting", "with a reviewer",
        "as a pdf"},
       {{"doc", "Document id."},
        {"text", "Text to add."},
        {"reviewer", "Person to review."}}},
      {"storage",
       {"bucket", "object", "snapshot", "volume", "lifecycle rule"},
       {"create", "delete", "list", "restore", "copy", "encrypt"},
       {"in one region", "older than a week", "with versioning",
        "for a project"},
       {{"bucket", "Bucket name."},
        {"prefix", "Object key prefix."},
        {"region", "Region code."}}},
      {"hr",
       {"leave request", "timesheet", "expense", "payslip", "review"},
       {"submit", "approve", "reject", "find", "export"},
       {"for an employee", "this month", "above a limit", "for a team"},
       {{"employee", "Employee id."},
        {"period", "Pay period."},
        {"amount", "Amount claimed."}}},
      {"travel",
       {"flight", "hotel", "train ticket", "rental car", "itinerary"},
       {"book", "cancel", "find", "change", "share"},
       {"for a business trip", "under a budget", "next month",
        "with a loyalty number"},
       {{"from", "Departure city."},
        {"to", "Destination city."},
        {"date", "Travel date."}}},
      {"shop",
       {"order", "cart", "product", "return", "coupon", "wishlist"},
       {"buy", "track", "return", "cancel", "find", "reorder"},
       {"from a saved store", "under a price", "with free delivery",
        "for a gift"},
       {{"product", "Product id."},
        {"quantity", "How many."},
        {"address", "Delivery address."}}},
      {"support",
       {"ticket", "customer", "macro", "escalation", "satisfaction survey"},
       {"reply", "escalate", "close", "assign", "tag", "find"},
       {"from a customer", "waiting for an answer", "with a high priority",
        "in one queue"},
       {{"ticket", "Ticket id."},
        {"body", "Text of the reply."},
        {"queue", "Support queue."}}},
      {"analytics",
       {"report", "dashboard", "metric", "alert", "query"},
       {"create", "export", "share", "schedule", "find", "refresh"},
       {"for last week", "by region", "for a product", "as a chart"},
       {{"report", "Report id."},
        {"range", "Date range."},
        {"format", "Output format."}}},
  };
  return kDomains;
}

// Another way to say a verb (or the verb itself).
inline std::string VerbVariant(const std::string& verb, Rng& rng) {
  static const std::unordered_map<std::string, std::vector<const char*>> kAlt =
      {{"find", {"search for", "look up", "locate"}},
       {"delete", {"remove", "trash", "get rid of"}},
       {"archive", {"tidy", "clean up"}},
       {"book", {"schedule", "arrange"}},
       {"pay", {"send money to", "settle"}},
       {"reply", {"respond to", "answer"}},
       {"forward", {"fwd", "share"}},
       {"label", {"tag", "categorize"}},
       {"fix", {"patch", "repair"}},
       {"update", {"change", "edit"}},
       {"comment", {"leave a note on"}},
       {"cancel", {"call off"}}};
  auto it = kAlt.find(verb);
  if (it == kAlt.end() || rng.OneIn(2)) return verb;
  return it->second[rng.Uniform(it->second.size())];
}

inline std::string Plural(const std::string& noun) {
  if (noun.empty()) return noun;
  char last = noun.back();
  if (last == 's' || last == 'x' || last == 'h') return noun + "es";
  if (last == 'y' && noun.size() > 1 && noun[noun.size() - 2] != 'a' &&
      noun[noun.size() - 2] != 'e' && noun[noun.size() - 2] != 'o') {
    return noun.substr(0, noun.size() - 1) + "ies";
  }
  return noun + "s";
}

// The effect class a verb asks for (docs/language.md).
inline const char* EffectClassOf(const std::string& verb) {
  static const std::unordered_map<std::string, const char*> kClass = {
      {"find", "read"},      {"list", "read"},      {"export", "read"},
      {"track", "read"},     {"review", "read"},    {"summarize", "read"},
      {"download", "read"},  {"translate", "read"}, {"refresh", "read"},
      {"create", "create"},  {"book", "create"},    {"schedule", "create"},
      {"add", "create"},     {"upload", "create"},  {"copy", "create"},
      {"submit", "create"},  {"log", "create"},     {"run", "exec"},
      {"delete", "delete"},  {"cancel", "delete"},  {"reject", "update"},
      {"send", "send"},      {"forward", "send"},   {"reply", "send"},
      {"post", "send"},      {"comment", "send"},   {"share", "send"},
      {"escalate", "send"},  {"pay", "spend"},      {"refund", "spend"},
      {"transfer", "spend"}, {"buy", "spend"},      {"reorder", "spend"},
  };
  auto it = kClass.find(verb);
  return it == kClass.end() ? "update" : it->second;
}

struct GeneratedDoc {
  discovery::Document doc;
  size_t domain, verb, object, qualifier;
};

inline std::string Snake(std::string s) {
  for (char& c : s) {
    if (c == ' ' || c == '-') c = '_';
  }
  return s;
}

// `n` workflows, names unique.
inline std::vector<GeneratedDoc> GenerateCatalog(size_t n, uint64_t seed) {
  static const char* kClauses[] = {
      " after the person confirms",     "; at most 50 at a time",
      ", showing the changes first",    "",
      "; the person approves each one", ", with a checkpoint to undo",
  };
  const std::vector<Domain>& domains = Domains();
  Rng rng(seed);
  std::unordered_map<std::string, int> used;
  std::vector<GeneratedDoc> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    GeneratedDoc g;
    g.domain = rng.Uniform(domains.size());
    const Domain& d = domains[g.domain];
    g.verb = rng.Uniform(d.verbs.size());
    g.object = rng.Uniform(d.objects.size());
    g.qualifier = rng.Uniform(d.qualifiers.size());
    std::string verb = d.verbs[g.verb];
    std::string object = d.objects[g.object];
    std::string qualifier = d.qualifiers[g.qualifier];
    // A name from the verb, the object and the qualifier's last word.
    std::string last = qualifier.substr(qualifier.rfind(' ') + 1);
    std::string name = std::string(d.ns) + "." + Snake(verb) + "_" +
                       Snake(object) + "_" + last;
    int& seen = used[name];
    if (seen++ > 0) name += "_v" + std::to_string(seen);

    discovery::Document& doc = g.doc;
    doc.name = name;
    doc.version = "1." + std::to_string(rng.Uniform(5)) + ".0";
    std::string summary = verb + " " + Plural(object) + " " + qualifier +
                          kClauses[rng.Uniform(std::size(kClauses))] + ".";
    summary[0] = static_cast<char>(summary[0] - 'a' + 'A');
    doc.summary = summary;
    doc.intents.push_back(verb + " a " + object + " " + qualifier);
    doc.intents.push_back(VerbVariant(verb, rng) + " my " + Plural(object));
    if (rng.OneIn(2)) {
      doc.intents.push_back(VerbVariant(verb, rng) + " the " + object + " " +
                            d.qualifiers[rng.Uniform(d.qualifiers.size())]);
    }
    size_t np = 2 + rng.Uniform(std::min<size_t>(3, d.params.size() - 1));
    size_t start = rng.Uniform(d.params.size());
    for (size_t p = 0; p < np; ++p) {
      const auto& [pname, pdoc] = d.params[(start + p) % d.params.size()];
      doc.params.emplace_back(pname, pdoc);
    }
    doc.effects.push_back(std::string(d.ns) + ".read");
    std::string cls = EffectClassOf(verb);
    if (cls != "read") doc.effects.push_back(std::string(d.ns) + "." + cls);
    static const char* kStages[] = {"stable", "stable", "stable", "reviewed",
                                    "tested"};
    doc.stage = kStages[rng.Uniform(std::size(kStages))];
    doc.signer = "key" + std::to_string(rng.Uniform(40));
    out.push_back(std::move(g));
  }
  return out;
}

enum class QueryKind { kMatching, kTypo, kNoMatch };

inline const char* KindName(QueryKind k) {
  switch (k) {
    case QueryKind::kMatching:
      return "matching";
    case QueryKind::kTypo:
      return "typo";
    case QueryKind::kNoMatch:
      return "no-match";
  }
  return "";
}

struct BenchQuery {
  QueryKind kind;
  std::string text;
  // Names of workflows that fit start with this ("mail.archive_thread_"):
  // same domain, verb and object as the one the query was made from; ""
  // for kNoMatch.
  std::string target;
};

// One character of the longest word of 5+ letters swapped with the next,
// dropped or doubled.
inline std::string WithTypo(const std::string& text, Rng& rng) {
  size_t best = std::string::npos, best_len = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= 'a' && text[j] <= 'z') ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j + 1;
  }
  if (best == std::string::npos || best_len < 5) return text;
  std::string out = text;
  size_t at = best + 1 + rng.Uniform(best_len - 2);
  switch (rng.Uniform(3)) {
    case 0:
      std::swap(out[at], out[at + 1]);
      break;
    case 1:
      out.erase(at, 1);
      break;
    default:
      out.insert(at, 1, out[at]);
      break;
  }
  return out;
}

// `n` queries of `kind` against `catalog`.
inline std::vector<BenchQuery> GenerateQueries(
    const std::vector<GeneratedDoc>& catalog, QueryKind kind, size_t n,
    uint64_t seed) {
  static const char* kPrefixes[] = {"", "please ", "can you ", "I need to ",
                                    ""};
  static const char* kValues[] = {"",           " bob@example.com", " for ACME",
                                  " by Friday", " #4812",           ""};
  // Things no workflow here does.
  static const char* kOtherVerbs[] = {"bake",   "water", "paint", "feed",
                                      "walk",   "tune",  "knit",  "polish",
                                      "juggle", "plant", "iron",  "vacuum"};
  static const char* kOtherObjects[] = {
      "a cake",     "the plants", "the fence", "my cat",
      "the dog",    "a guitar",   "a scarf",   "my shoes",
      "the tulips", "the carpet", "a kite",    "the aquarium"};
  const std::vector<Domain>& domains = Domains();
  Rng rng(seed);
  std::vector<BenchQuery> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    BenchQuery q;
    q.kind = kind;
    if (kind == QueryKind::kNoMatch) {
      q.text = std::string(kPrefixes[rng.Uniform(std::size(kPrefixes))]) +
               kOtherVerbs[rng.Uniform(std::size(kOtherVerbs))] + " " +
               kOtherObjects[rng.Uniform(std::size(kOtherObjects))];
      if (rng.OneIn(3)) q.text += " tomorrow morning";
      out.push_back(std::move(q));
      continue;
    }
    const GeneratedDoc& g = catalog[rng.Uniform(catalog.size())];
    const Domain& d = domains[g.domain];
    std::string object = d.objects[g.object];
    q.text = std::string(kPrefixes[rng.Uniform(std::size(kPrefixes))]) +
             VerbVariant(d.verbs[g.verb], rng) + " " +
             (rng.OneIn(2) ? "the " + Plural(object) : "a " + object) + " " +
             d.qualifiers[g.qualifier] +
             kValues[rng.Uniform(std::size(kValues))];
    if (kind == QueryKind::kTypo) q.text = WithTypo(q.text, rng);
    q.target = std::string(d.ns) + "." + Snake(d.verbs[g.verb]) + "_" +
               Snake(object) + "_";
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace wfs::bench

#endif  // WFSTORE_BENCH_DISCOVERY_CATALOG_GEN_H_
