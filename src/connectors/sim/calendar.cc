// The calendar simulator: world events (every calendar).
#include <algorithm>
#include <memory>

#include "base/strings.h"
#include "connectors/sim/simulator.h"
#include "connectors/sim/simulators.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::sim {

namespace {


class CalendarSimulator final : public Simulator {
 public:
  explicit CalendarSimulator(World* world)
      : Simulator("calendar", world, CalendarActionSpecs()) {}

 protected:
  Result<ActionResponse> Do(const ActionSpec& spec,
                            const ActionRequest& r) override {
    const std::string action = spec.name;
    const Json& args = r.args;
    if (action == "find") return Find(r, args);
    if (action == "create") return Create(r, args);
    if (action == "uncancel") return Uncancel(r, args);

    const std::string id = args["id"].get<std::string>();
    WFS_ASSIGN_OR_RETURN(size_t index, Event(id));
    Json& events = Collection("events");
    Json& ev = events[index];
    WFS_RETURN_IF_ERROR(
        CheckExactScope(r, "calendar", "calendar", StringField(ev, "calendar")));
    ActionResponse out;
    if (action == "get") {
      out.result = PublicRecord(ev);
    } else if (action == "update") {
      WFS_RETURN_IF_ERROR(CheckTimes(r, args));
      Json previous = Json::object();
      bool changed = false;
      for (const char* field : {"title", "start", "end"}) {
        previous[field] = StringField(ev, field);
        changed |= previous[field] != args[field];
      }
      if (changed) {
        for (const char* field : {"title", "start", "end"}) {
          ev[field] = args[field];
        }
        previous["id"] = id;
        out.undo = UndoRecord("update", std::move(previous));
      }
      out.result = PublicRecord(ev);
    } else if (action == "cancel") {
      Json old = ev;
      events.erase(events.begin() + static_cast<std::ptrdiff_t>(index));
      out.undo = UndoRecord("uncancel", {{"id", id},
                                         {"_event", std::move(old)},
                                         {"_index", index}});
    }
    return out;
  }

  Result<std::string> DoScopeKey(const std::string& action,
                                 const std::string& param, const Json& value,
                                 const ScopeMap& scopes) override {
    if (param == "id" && action != "uncancel") {
      if (!value.is_string()) {
        return InvalidArgument("calendar: an event id must be a string");
      }
      WFS_ASSIGN_OR_RETURN(size_t index, Event(value.get<std::string>()));
      return StringField(Collection("events")[index], "calendar");
    }
    return Simulator::DoScopeKey(action, param, value, scopes);
  }

 private:
  Result<size_t> Event(const std::string& id) {
    Json& events = Collection("events");
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].is_object() && StringField(events[i], "id") == id) {
        return i;
      }
    }
    return NotFound(StrCat("calendar: no event with id ", Quote(id)));
  }

  Status CheckTimes(const ActionRequest& r, const Json& args) {
    int64_t start = ParseTimeMicros(args["start"].get<std::string>()).value();
    int64_t end = ParseTimeMicros(args["end"].get<std::string>()).value();
    if (end <= start) return Bad(r, "`end` must be after `start`");
    return Status::Ok();
  }

  Result<ActionResponse> Find(const ActionRequest& r, const Json& args) {
    const std::string calendar = args["calendar"].get<std::string>();
    WFS_RETURN_IF_ERROR(CheckExactScope(r, "calendar", "calendar", calendar));
    int64_t from = ParseTimeMicros(args["from"].get<std::string>()).value();
    int64_t to = ParseTimeMicros(args["to"].get<std::string>()).value();
    if (to < from) return Bad(r, "`to` is before `from`");
    ActionResponse out;
    out.result = Json::array();
    for (const Json& ev : Collection("events")) {
      if (StringField(ev, "calendar") != calendar) continue;
      Result<int64_t> start = ParseTimeMicros(StringField(ev, "start"));
      Result<int64_t> end = ParseTimeMicros(StringField(ev, "end"));
      if (!start.ok() || !end.ok()) {
        return DataLoss(StrCat("calendar: event ",
                               Quote(StringField(ev, "id")),
                               " has an invalid start or end time"));
      }
      int64_t s = *start;
      int64_t e = std::max(*start, *end);
      // Overlaps [from, to); an instant event counts when it lies inside.
      bool overlaps = s == e ? (s >= from && s < to) : (s < to && e > from);
      if (overlaps) out.result.push_back(PublicRecord(ev));
    }
    return out;
  }

  Result<ActionResponse> Create(const ActionRequest& r, const Json& args) {
    const std::string calendar = args["calendar"].get<std::string>();
    if (calendar.empty()) return Bad(r, "argument `calendar` must not be empty");
    WFS_RETURN_IF_ERROR(CheckExactScope(r, "calendar", "calendar", calendar));
    WFS_RETURN_IF_ERROR(CheckTimes(r, args));
    const Json& attendees = args["attendees"];
    for (size_t i = 0; i < attendees.size(); ++i) {
      const std::string a = attendees[i].get<std::string>();
      size_t at = a.rfind('@');
      if (at == std::string::npos || at == 0 || at + 1 == a.size()) {
        return Bad(r, StrCat("argument `attendees[", i, "]`: ", Quote(a),
                             " is not an email address"));
      }
    }
    Json& events = Collection("events");
    std::string id = NextId("next_event", "ev", [&](const std::string& c) {
      for (const Json& ev : events) {
        if (StringField(ev, "id") == c) return true;
      }
      return false;
    });
    Json ev = Json::object();
    ev["id"] = id;
    ev["calendar"] = calendar;
    ev["title"] = args["title"];
    ev["start"] = args["start"];
    ev["end"] = args["end"];
    ev["attendees"] = attendees;
    ev["location"] = "";
    ev["description"] = "";
    events.push_back(ev);
    ActionResponse out;
    out.result = std::move(ev);
    out.undo = UndoRecord("cancel", {{"id", id}});
    return out;
  }

  Result<ActionResponse> Uncancel(const ActionRequest& r, const Json& args) {
    const std::string id = args["id"].get<std::string>();
    const Json* kept = FieldOf(args, "_event");
    if (kept == nullptr) {
      return Bad(r, "needs the event kept by cancel (the `_event` argument "
                    "of cancel's undo record)");
    }
    if (StringField(*kept, "id") != id) {
      return Bad(r, "`_event` is not the event named by `id`");
    }
    if (!FieldOf(*kept, "calendar") || !(*kept)["calendar"].is_string()) {
      return Bad(r, "`_event` has no calendar");
    }
    WFS_RETURN_IF_ERROR(CheckExactScope(r, "calendar", "calendar",
                                        StringField(*kept, "calendar")));
    Json& events = Collection("events");
    for (const Json& ev : events) {
      if (StringField(ev, "id") == id) {
        return AlreadyExists(
            StrCat("calendar.uncancel: event ", Quote(id), " exists"));
      }
    }
    size_t index = events.size();
    int64_t want = IntField(args, "_index", -1);
    if (want >= 0 && static_cast<uint64_t>(want) < events.size()) {
      index = static_cast<size_t>(want);
    }
    events.insert(events.begin() + static_cast<std::ptrdiff_t>(index), *kept);
    ActionResponse out;
    out.undo = UndoRecord("cancel", {{"id", id}});
    return out;
  }
};

}  // namespace

std::vector<ActionSpec> CalendarActionSpecs() {
  return {
      {"find",
       true,
       {{"calendar", ArgKind::kString}, {"from", ArgKind::kTime}, {"to", ArgKind::kTime}},
       {}},
      {"get", true, {{"id", ArgKind::kString}}, {}},
      {"create",
       false,
       {{"calendar", ArgKind::kString},
        {"title", ArgKind::kString},
        {"start", ArgKind::kTime},
        {"end", ArgKind::kTime},
        {"attendees", ArgKind::kStringList}},
       {}},
      {"update",
       false,
       {{"id", ArgKind::kString},
        {"title", ArgKind::kString},
        {"start", ArgKind::kTime},
        {"end", ArgKind::kTime}},
       {}},
      {"cancel", false, {{"id", ArgKind::kString}}, {}},
      {"uncancel",
       false,
       {{"id", ArgKind::kString}},
       {{"_event", ArgKind::kObject}, {"_index", ArgKind::kInt}, {"_ics", ArgKind::kString}}},
  };
}


std::unique_ptr<Connector> MakeCalendarSimulator(World* world) {
  return std::make_unique<CalendarSimulator>(world);
}

}  // namespace wfs::connectors::sim
