// The calendar contract: the calendar simulator and the CalDAV connector
// against the test Radicale behave the same action for action (ctest:
// contract_calendar_sim, contract_calendar_radicale). Times are written in
// UTC with whole seconds, the form both backends give back unchanged.
#include <algorithm>
#include <sstream>

#include "base/strings.h"
#include "tests/connectors/contract/calendar/calendar_test_util.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors::contract {
namespace {

struct SeedEvent {
  std::string title;
  std::string start;
  std::string end;
  std::vector<std::string> attendees;
};

class CalendarBackend {
 public:
  virtual ~CalendarBackend() = default;
  virtual Connector& conn() = 0;
  // Two calendars of this test's own, empty at the start.
  virtual const std::string& cal() const = 0;
  virtual const std::string& other() const = 0;
  // Puts events into `calendar` without the connector; their ids, in order.
  virtual std::vector<std::string> Seed(
      const std::string& calendar, const std::vector<SeedEvent>& events) = 0;
  // The events of `calendar`, read without the connector, sorted by start:
  // [{"title", "start", "end"}] with RFC 3339 UTC times.
  virtual Json Stored(const std::string& calendar) = 0;
};

class SimCalendar final : public CalendarBackend {
 public:
  SimCalendar() : world_(Json::object()), conn_(world_.Make("calendar")) {}
  Connector& conn() override { return conn_; }
  const std::string& cal() const override { return cal_; }
  const std::string& other() const override { return other_; }
  std::vector<std::string> Seed(const std::string& calendar,
                                const std::vector<SeedEvent>& events) override {
    Json all = world_.Coll("calendar", "events");
    std::vector<std::string> ids;
    for (const SeedEvent& e : events) {
      std::string id = "seed" + std::to_string(++seeded_);
      ids.push_back(id);
      all.push_back({{"id", id},
                     {"calendar", calendar},
                     {"title", e.title},
                     {"start", e.start},
                     {"end", e.end},
                     {"attendees", e.attendees}});
    }
    EXPECT_TRUE(world_.Set("calendar", "events", all).ok());
    return ids;
  }
  Json Stored(const std::string& calendar) override {
    std::vector<Json> out;
    for (const Json& e : world_.Coll("calendar", "events")) {
      if (e["calendar"] != calendar) continue;
      out.push_back(
          {{"title", e["title"]}, {"start", e["start"]}, {"end", e["end"]}});
    }
    std::stable_sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
      return a["start"].get<std::string>() < b["start"].get<std::string>();
    });
    return Json(out);
  }

 private:
  SimWorld world_;
  Connector& conn_;
  std::string cal_ = "work";
  std::string other_ = "home";
  int seeded_ = 0;
};

// RFC 3339 UTC from an iCalendar UTC value ("20260105T100000Z").
std::string Rfc3339(const std::string& ical) {
  if (ical.size() != 16) return "unreadable:" + ical;
  return ical.substr(0, 4) + "-" + ical.substr(4, 2) + "-" + ical.substr(6, 2) +
         "T" + ical.substr(9, 2) + ":" + ical.substr(11, 2) + ":" +
         ical.substr(13, 2) + "Z";
}

class RadicaleCalendar final : public CalendarBackend {
 public:
  explicit RadicaleCalendar(const testenv::Env& env)
      : dav_(env),
        cal_(UniqueName("cal")),
        other_(UniqueName("cal")),
        effects_(UniqueName("fx")) {
    EXPECT_TRUE(dav_.MakeCalendar(cal_));
    EXPECT_TRUE(dav_.MakeCalendar(other_));
    dav_.Forget(effects_);  // made by the connector when it records
    auto made = MakeTestCalendar(dav_, {{"effects_calendar", effects_}});
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) conn_ = std::move(*made);
  }
  Connector& conn() override { return *conn_; }
  const std::string& cal() const override { return cal_; }
  const std::string& other() const override { return other_; }
  std::vector<std::string> Seed(const std::string& calendar,
                                const std::vector<SeedEvent>& events) override {
    std::vector<std::string> ids;
    for (const SeedEvent& e : events) {
      std::string uid = UniqueName("seed");
      EXPECT_TRUE(dav_.Put(calendar, uid + ".ics",
                           EventIcs(uid, e.title, IcalTime(e.start),
                                    IcalTime(e.end), e.attendees)));
      ids.push_back(calendar + "/" + uid + ".ics");
    }
    return ids;
  }
  Json Stored(const std::string& calendar) override {
    Json out = Json::array();
    for (const Json& e : dav_.Events(calendar)) {
      out.push_back({{"title", e["summary"]},
                     {"start", Rfc3339(e["dtstart"])},
                     {"end", Rfc3339(e["dtend"])}});
    }
    return out;
  }

 private:
  TestCalDav dav_;
  std::string cal_, other_, effects_;
  std::unique_ptr<Connector> conn_;
};

class CalendarContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sim") {
      b_ = std::make_unique<SimCalendar>();
      return;
    }
    auto env = testenv::Load();
    ASSERT_TRUE(env.has_value())
        << "WFS_TESTENV is not set: run through ctest (contract_calendar_"
           "radicale needs the wfs_servers fixture)";
    env_ = std::move(env);
    b_ = std::make_unique<RadicaleCalendar>(*env_);
  }

  Connector& c() { return b_->conn(); }
  const std::string& cal() { return b_->cal(); }

  Json Create(const std::string& title, const std::string& start,
              const std::string& end, std::vector<std::string> attendees = {},
              const std::string& key = "") {
    auto r = Call(c(), "create",
                  {{"calendar", cal()},
                   {"title", title},
                   {"start", start},
                   {"end", end},
                   {"attendees", attendees}},
                  nullptr, key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Json{{"result", r->result}, {"undo", r->undo}} : Json();
  }

  std::vector<std::string> Titles(const Json& events) {
    std::vector<std::string> out;
    for (const Json& e : events) out.push_back(e["title"]);
    return out;
  }

  std::optional<testenv::Env> env_;
  std::unique_ptr<CalendarBackend> b_;
};

TEST_P(CalendarContract, CreateReturnsTheEventAndGetAndFindSeeIt) {
  Json made =
      Create("Design review", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z",
             {"ann@example.com", "bob@example.org"});
  const Json& ev = made["result"];
  ASSERT_TRUE(ev.is_object());
  EXPECT_FALSE(ev["id"].get<std::string>().empty());
  EXPECT_EQ(ev["calendar"], cal());
  EXPECT_EQ(ev["title"], "Design review");
  EXPECT_EQ(ev["start"], "2026-03-02T10:00:00Z");
  EXPECT_EQ(ev["end"], "2026-03-02T11:00:00Z");
  EXPECT_EQ(ev["attendees"], Json({"ann@example.com", "bob@example.org"}));
  EXPECT_EQ(ev["location"], "");
  EXPECT_EQ(ev["description"], "");
  EXPECT_EQ(made["undo"],
            Json({{"action", "cancel"}, {"args", {{"id", ev["id"]}}}}));

  ASSERT_OK_AND_ASSIGN(ActionResponse got,
                       Call(c(), "get", {{"id", ev["id"]}}, nullptr));
  EXPECT_EQ(got.result, ev);
  EXPECT_TRUE(got.undo.is_null());
  ASSERT_OK_AND_ASSIGN(ActionResponse found,
                       Call(c(), "find",
                            {{"calendar", cal()},
                             {"from", "2026-03-02T00:00:00Z"},
                             {"to", "2026-03-03T00:00:00Z"}},
                            nullptr));
  EXPECT_EQ(found.result, Json::array({ev}));
  EXPECT_EQ(b_->Stored(cal()),
            Json::array({{{"title", "Design review"},
                          {"start", "2026-03-02T10:00:00Z"},
                          {"end", "2026-03-02T11:00:00Z"}}}));
  EXPECT_EQ(b_->Stored(b_->other()), Json::array());
}

TEST_P(CalendarContract, UndoingACreateCancelsIt) {
  Json made = Create("Temp", "2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z");
  ASSERT_OK(Undo(c(), made["undo"]));
  EXPECT_EQ(b_->Stored(cal()), Json::array());
  EXPECT_CODE(Call(c(), "get", {{"id", made["result"]["id"]}}, nullptr),
              Code::kNotFound);
}

TEST_P(CalendarContract, FindUsesHalfOpenOverlap) {
  b_->Seed(cal(),
           {{"A", "2026-04-01T10:00:00Z", "2026-04-01T11:00:00Z", {}},
            {"B", "2026-04-01T11:00:00Z", "2026-04-01T12:00:00Z", {}},
            {"instant", "2026-04-01T12:00:00Z", "2026-04-01T12:00:00Z", {}},
            {"next day", "2026-04-02T09:00:00Z", "2026-04-02T10:00:00Z", {}}});
  auto find = [&](const char* from, const char* to) {
    auto r = Call(c(), "find",
                  {{"calendar", cal()}, {"from", from}, {"to", to}}, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Titles(r->result) : std::vector<std::string>{"error"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(find("2026-04-01T10:30:00Z", "2026-04-01T11:00:00Z"), V{"A"});
  EXPECT_EQ(find("2026-04-01T11:00:00Z", "2026-04-01T12:00:00Z"), V{"B"});
  EXPECT_EQ(find("2026-04-01T12:00:00Z", "2026-04-01T12:30:00Z"), V{"instant"});
  EXPECT_EQ(find("2026-04-01T10:00:00Z", "2026-04-01T10:00:00Z"), V{});
  EXPECT_EQ(find("2026-04-01T00:00:00Z", "2026-04-03T00:00:00Z"),
            (V{"A", "B", "instant", "next day"}));
  // Offsets are applied: 12:30+02:00 is 10:30Z.
  EXPECT_EQ(find("2026-04-01T12:30:00+02:00", "2026-04-01T13:00:00+02:00"),
            V{"A"});
  // Another calendar's events are not found.
  EXPECT_EQ(Titles(Call(c(), "find",
                        {{"calendar", b_->other()},
                         {"from", "2026-04-01T00:00:00Z"},
                         {"to", "2026-04-03T00:00:00Z"}},
                        nullptr)
                       ->result),
            V{});
}

TEST_P(CalendarContract, FindOnAnUnknownCalendarIsEmpty) {
  ASSERT_OK_AND_ASSIGN(ActionResponse r,
                       Call(c(), "find",
                            {{"calendar", UniqueName("absent")},
                             {"from", "2026-01-01T00:00:00Z"},
                             {"to", "2027-01-01T00:00:00Z"}},
                            nullptr));
  EXPECT_EQ(r.result, Json::array());
}

TEST_P(CalendarContract, ArgumentsAreCheckedAlike) {
  auto msg = [&](const std::string& action, const Json& args,
                 bool compensation = false) {
    ActionRequest r;
    r.action = action;
    r.args = args;
    r.compensation = compensation;
    auto out = c().Invoke(r);
    EXPECT_FALSE(out.ok()) << action << " " << args.dump();
    if (out.ok()) return std::string("ok");
    EXPECT_EQ(out.status().code(), Code::kInvalidArgument)
        << out.status().ToString();
    return out.status().message();
  };
  EXPECT_EQ(msg("find", {{"calendar", cal()},
                         {"from", "2026-04-02T00:00:00Z"},
                         {"to", "2026-04-01T00:00:00Z"}}),
            "calendar.find: `to` is before `from`");
  EXPECT_EQ(msg("create", {{"calendar", cal()},
                           {"title", "t"},
                           {"start", "2026-04-01T10:00:00Z"},
                           {"end", "2026-04-01T10:00:00Z"},
                           {"attendees", Json::array()}}),
            "calendar.create: `end` must be after `start`");
  EXPECT_EQ(msg("create", {{"calendar", cal()},
                           {"title", "t"},
                           {"start", "2026-04-01T10:00:00Z"},
                           {"end", "2026-04-01T11:00:00Z"}}),
            "calendar.create: missing argument `attendees`");
  EXPECT_EQ(msg("create", {{"calendar", cal()},
                           {"title", "t"},
                           {"start", "2026-04-01T10:00:00Z"},
                           {"end", "2026-04-01T11:00:00Z"},
                           {"attendees", {"nobody"}}}),
            "calendar.create: argument `attendees[0]`: `nobody` is not an "
            "email address");
  EXPECT_EQ(msg("create", {{"calendar", ""},
                           {"title", "t"},
                           {"start", "2026-04-01T10:00:00Z"},
                           {"end", "2026-04-01T11:00:00Z"},
                           {"attendees", Json::array()}}),
            "calendar.create: argument `calendar` must not be empty");
  EXPECT_EQ(msg("get", {{"id", 7}}),
            "calendar.get: argument `id` must be a string");
  EXPECT_EQ(msg("get", {{"id", "x"}, {"colour", "red"}}),
            "calendar.get: unknown argument `colour`");
  EXPECT_EQ(msg("uncancel", {{"id", "x"}, {"_event", Json::object()}}),
            "calendar.uncancel: private argument `_event` is only accepted "
            "from an undo record");
  EXPECT_EQ(msg("uncancel", {{"id", "x"}}, true),
            "calendar.uncancel: needs the event kept by cancel (the `_event` "
            "argument of cancel's undo record)");
  EXPECT_TRUE(StartsWith(msg("find", {{"calendar", cal()},
                                      {"from", "yesterday"},
                                      {"to", "2026-04-01T00:00:00Z"}}),
                         "calendar.find: argument `from`: "));
  EXPECT_EQ(msg("purge", Json::object()).rfind("calendar has no action", 0),
            0u);
  EXPECT_EQ(b_->Stored(cal()), Json::array()) << "nothing was created";
}

TEST_P(CalendarContract, UnknownEventsAreNotFound) {
  const std::string missing = cal() + "/missing.ics";
  for (const std::string& id : {std::string("nope"), missing}) {
    EXPECT_CODE(Call(c(), "get", {{"id", id}}, nullptr), Code::kNotFound);
    EXPECT_CODE(Call(c(), "cancel", {{"id", id}}, nullptr), Code::kNotFound);
    EXPECT_CODE(Call(c(), "update",
                     {{"id", id},
                      {"title", "x"},
                      {"start", "2026-04-01T10:00:00Z"},
                      {"end", "2026-04-01T11:00:00Z"}},
                     nullptr),
                Code::kNotFound);
  }
  auto r = Call(c(), "get", {{"id", "nope"}}, nullptr);
  EXPECT_EQ(r.status().message(), "calendar: no event with id `nope`");
}

TEST_P(CalendarContract, UpdateChangesTheEventAndItsUndoPutsItBack) {
  std::vector<std::string> ids = b_->Seed(cal(), {{"Standup",
                                                   "2026-05-04T09:00:00Z",
                                                   "2026-05-04T09:15:00Z",
                                                   {"ann@example.com"}}});
  ASSERT_OK_AND_ASSIGN(ActionResponse up,
                       Call(c(), "update",
                            {{"id", ids[0]},
                             {"title", "Standup (moved)"},
                             {"start", "2026-05-04T10:00:00Z"},
                             {"end", "2026-05-04T10:30:00Z"}},
                            nullptr));
  EXPECT_EQ(up.result["id"], ids[0]);
  EXPECT_EQ(up.result["title"], "Standup (moved)");
  EXPECT_EQ(up.result["start"], "2026-05-04T10:00:00Z");
  EXPECT_EQ(up.result["end"], "2026-05-04T10:30:00Z");
  EXPECT_EQ(up.result["attendees"], Json({"ann@example.com"}));
  EXPECT_EQ(up.undo, Json({{"action", "update"},
                           {"args",
                            {{"id", ids[0]},
                             {"title", "Standup"},
                             {"start", "2026-05-04T09:00:00Z"},
                             {"end", "2026-05-04T09:15:00Z"}}}}));
  EXPECT_EQ(b_->Stored(cal()),
            Json::array({{{"title", "Standup (moved)"},
                          {"start", "2026-05-04T10:00:00Z"},
                          {"end", "2026-05-04T10:30:00Z"}}}));
  ASSERT_OK_AND_ASSIGN(ActionResponse got,
                       Call(c(), "get", {{"id", ids[0]}}, nullptr));
  EXPECT_EQ(got.result, up.result);

  ASSERT_OK(Undo(c(), up.undo));
  EXPECT_EQ(b_->Stored(cal()),
            Json::array({{{"title", "Standup"},
                          {"start", "2026-05-04T09:00:00Z"},
                          {"end", "2026-05-04T09:15:00Z"}}}));
}

TEST_P(CalendarContract, UpdateWithTheSameValuesHasNoUndo) {
  std::vector<std::string> ids = b_->Seed(
      cal(), {{"Same", "2026-05-04T09:00:00Z", "2026-05-04T09:15:00Z", {}}});
  ASSERT_OK_AND_ASSIGN(ActionResponse up,
                       Call(c(), "update",
                            {{"id", ids[0]},
                             {"title", "Same"},
                             {"start", "2026-05-04T09:00:00Z"},
                             {"end", "2026-05-04T09:15:00Z"}},
                            nullptr));
  EXPECT_TRUE(up.undo.is_null());
  EXPECT_EQ(up.result["title"], "Same");
  EXPECT_CODE(Call(c(), "update",
                   {{"id", ids[0]},
                    {"title", "Same"},
                    {"start", "2026-05-04T09:15:00Z"},
                    {"end", "2026-05-04T09:00:00Z"}},
                   nullptr),
              Code::kInvalidArgument);
}

TEST_P(CalendarContract, CancelRemovesAndUncancelPutsBack) {
  std::vector<std::string> ids = b_->Seed(
      cal(), {{"Keep", "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z", {}},
              {"Dinner",
               "2026-06-01T18:00:00Z",
               "2026-06-01T20:00:00Z",
               {"ann@example.com"}}});
  ASSERT_OK_AND_ASSIGN(ActionResponse before,
                       Call(c(), "get", {{"id", ids[1]}}, nullptr));
  ASSERT_OK_AND_ASSIGN(ActionResponse cancelled,
                       Call(c(), "cancel", {{"id", ids[1]}}, nullptr));
  EXPECT_TRUE(cancelled.result.is_null());
  ASSERT_TRUE(cancelled.undo.is_object());
  EXPECT_EQ(cancelled.undo["action"], "uncancel");
  EXPECT_EQ(cancelled.undo["args"]["id"], ids[1]);
  EXPECT_EQ(cancelled.undo["args"]["_event"], before.result);
  EXPECT_EQ(Titles(b_->Stored(cal())), std::vector<std::string>{"Keep"});
  EXPECT_CODE(Call(c(), "get", {{"id", ids[1]}}, nullptr), Code::kNotFound);

  ASSERT_OK_AND_ASSIGN(ActionResponse back, Undo(c(), cancelled.undo));
  EXPECT_EQ(back.undo,
            Json({{"action", "cancel"}, {"args", {{"id", ids[1]}}}}));
  ASSERT_OK_AND_ASSIGN(ActionResponse after,
                       Call(c(), "get", {{"id", ids[1]}}, nullptr));
  EXPECT_EQ(after.result, before.result);
  EXPECT_EQ(Titles(b_->Stored(cal())),
            (std::vector<std::string>{"Keep", "Dinner"}));
  // The same undo record again: the event exists.
  EXPECT_CODE(Undo(c(), cancelled.undo), Code::kAlreadyExists);
}

TEST_P(CalendarContract, ScopeKeysNameTheCalendar) {
  std::vector<std::string> ids = b_->Seed(
      cal(), {{"E", "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z", {}}});
  ScopeMap none;
  for (const char* action : {"get", "update", "cancel"}) {
    ASSERT_OK_AND_ASSIGN(std::string key,
                         c().ScopeKey(action, "id", Json(ids[0]), none));
    EXPECT_EQ(key, cal()) << action;
  }
  ASSERT_OK_AND_ASSIGN(std::string k2,
                       c().ScopeKey("create", "calendar", Json(cal()), none));
  EXPECT_EQ(k2, cal());
  EXPECT_CODE(c().ScopeKey("get", "id", Json(7), none), Code::kInvalidArgument);
}

TEST_P(CalendarContract, TheConnectorChecksTheCalendarScopeAgain) {
  std::vector<std::string> ids = b_->Seed(
      cal(), {{"Private", "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z", {}}});
  ScopeMap only_other = {{"calendar", {b_->other()}}};
  EXPECT_CODE(Call(c(), "get", {{"id", ids[0]}}, &only_other),
              Code::kPermissionDenied);
  EXPECT_CODE(Call(c(), "find",
                   {{"calendar", cal()},
                    {"from", "2026-06-01T00:00:00Z"},
                    {"to", "2026-06-02T00:00:00Z"}},
                   &only_other),
              Code::kPermissionDenied);
  EXPECT_CODE(Call(c(), "update",
                   {{"id", ids[0]},
                    {"title", "Hijacked"},
                    {"start", "2026-06-01T08:00:00Z"},
                    {"end", "2026-06-01T09:00:00Z"}},
                   &only_other),
              Code::kPermissionDenied);
  EXPECT_CODE(Call(c(), "cancel", {{"id", ids[0]}}, &only_other),
              Code::kPermissionDenied);
  EXPECT_CODE(Call(c(), "create",
                   {{"calendar", cal()},
                    {"title", "x"},
                    {"start", "2026-06-01T08:00:00Z"},
                    {"end", "2026-06-01T09:00:00Z"},
                    {"attendees", Json::array()}},
                   &only_other),
              Code::kPermissionDenied);
  EXPECT_EQ(Titles(b_->Stored(cal())), std::vector<std::string>{"Private"});
  // Within the scope it works.
  ScopeMap mine = {{"calendar", {cal()}}};
  EXPECT_OK(Call(c(), "get", {{"id", ids[0]}}, &mine));
}

TEST_P(CalendarContract, LookupFindsRecordedEffectsByKey) {
  const std::string key = UniqueName("run") + "/3/0";
  Json made = Create("Recorded", "2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z",
                     {}, key);
  ASSERT_OK_AND_ASSIGN(std::optional<ActionResponse> found, c().Lookup(key));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->result, made["result"]);
  EXPECT_EQ(found->undo, made["undo"]);
  ASSERT_OK_AND_ASSIGN(std::optional<ActionResponse> none,
                       c().Lookup(UniqueName("never") + "/1/0"));
  EXPECT_FALSE(none.has_value());
}

TEST_P(CalendarContract, ARetriedEffectIsNotDoneTwice) {
  const std::string key = UniqueName("run") + "/1/0";
  Json first = Create("Once", "2026-07-02T10:00:00Z", "2026-07-02T11:00:00Z",
                      {"ann@example.com"}, key);
  Json again = Create("Once", "2026-07-02T10:00:00Z", "2026-07-02T11:00:00Z",
                      {"ann@example.com"}, key);
  EXPECT_EQ(again, first);
  EXPECT_EQ(Titles(b_->Stored(cal())), std::vector<std::string>{"Once"});
}

INSTANTIATE_TEST_SUITE_P(Sim, CalendarContract, ::testing::Values("sim"));
INSTANTIATE_TEST_SUITE_P(Radicale, CalendarContract,
                         ::testing::Values("radicale"));

}  // namespace
}  // namespace wfs::connectors::contract
