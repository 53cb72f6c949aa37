// The tracker simulator: issues per repository, comments posted.
#include <algorithm>
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {

constexpr char kAuthor[] = "wfstore";

using K = ArgKind;

std::vector<ActionSpec> TrackerActions() {
  const std::vector<ParamSpec> label = {
      {"repo", K::kString}, {"number", K::kInt}, {"label", K::kString}};
  return {
      {"get_issue", true, {{"repo", K::kString}, {"number", K::kInt}}, {}},
      {"list_issues", true, {{"repo", K::kString}}, {}},
      {"comment",
       false,
       {{"repo", K::kString}, {"number", K::kInt}, {"body", K::kString}},
       {}},
      {"add_label", false, label, {}},
      {"remove_label", false, label, {}},
  };
}

class TrackerSimulator final : public Simulator {
 public:
  explicit TrackerSimulator(World* world)
      : Simulator("tracker", world, TrackerActions()) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    const std::string repo = r.args["repo"].get<std::string>();
    WFS_RETURN_IF_ERROR(CheckExactScope(r, "tracker", "repository", repo));
    ActionResponse out;
    Json& issues = Collection("issues");
    if (action == "list_issues") {
      std::vector<const Json*> open;
      for (const Json& entry : issues) {
        if (StringField(entry, "repo") != repo) continue;
        const Json* issue = FieldOf(entry, "issue");
        if (issue != nullptr && StringField(*issue, "state", "open") == "open") {
          open.push_back(issue);
        }
      }
      // Newest first: the highest number was opened last.
      std::stable_sort(open.begin(), open.end(),
                       [](const Json* a, const Json* b) {
                         return IntField(*a, "number") > IntField(*b, "number");
                       });
      out.result = Json::array();
      for (const Json* issue : open) out.result.push_back(PublicRecord(*issue));
      return out;
    }
    const int64_t number = r.args["number"].get<int64_t>();
    Json* issue = nullptr;
    for (Json& entry : issues) {
      if (StringField(entry, "repo") != repo) continue;
      Json* i = entry.is_object() && entry.contains("issue") ? &entry["issue"]
                                                             : nullptr;
      if (i != nullptr && i->is_object() && IntField(*i, "number", -1) == number &&
          FieldOf(*i, "number") != nullptr) {
        issue = i;
        break;
      }
    }
    if (issue == nullptr) {
      return NotFound(StrCat("tracker: no issue ", repo, "#", number));
    }
    if (action == "get_issue") {
      out.result = PublicRecord(*issue);
      return out;
    }
    if (action == "comment") {
      Json& comments = Collection("comments");
      int64_t id = std::max<int64_t>(IntField(Private(), "next_comment", 1),
                                     static_cast<int64_t>(comments.size()) + 1);
      Private()["next_comment"] = id + 1;
      const Json body = r.args["body"];
      comments.push_back({{"repo", repo}, {"number", number}, {"body", body}});
      out.result = {{"id", id}, {"author", kAuthor}, {"body", body}};
      return out;
    }
    const std::string label = r.args["label"].get<std::string>();
    if (Trim(label).empty()) return Bad(r, "argument `label` must not be empty");
    Json& labels = (*issue)["labels"];
    if (!labels.is_array()) labels = Json::array();
    auto has = std::find(labels.begin(), labels.end(), Json(label));
    Json undo_args = {{"repo", repo}, {"number", number}, {"label", label}};
    if (action == "add_label" && has == labels.end()) {
      labels.push_back(label);
      out.undo = UndoRecord("remove_label", std::move(undo_args));
    } else if (action == "remove_label" && has != labels.end()) {
      Json kept = Json::array();
      for (const Json& l : labels) {
        if (l != label) kept.push_back(l);
      }
      labels = std::move(kept);
      out.undo = UndoRecord("add_label", std::move(undo_args));
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Connector> MakeTrackerSimulator(World* world) {
  return std::make_unique<TrackerSimulator>(world);
}

}  // namespace wfs::connectors::sim
