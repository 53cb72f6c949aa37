// calendar simulator.
#include "tests/connectors/sim_test_util.h"

namespace wfs::connectors::sim {
namespace {

using testing::Harness;
using testing::J;

constexpr char kCalWorld[] = R"({"calendar": {"events": [
    {"id": "a", "calendar": "work", "title": "Standup",
     "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T09:15:00Z"},
    {"id": "b", "calendar": "work", "title": "Lunch",
     "start": "2026-12-01T13:00:00+01:00", "end": "2026-12-01T14:00:00+01:00"},
    {"id": "c", "calendar": "home", "title": "Dentist",
     "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z"}]}})";

std::vector<std::string> Ids(const Json& list) {
  std::vector<std::string> out;
  for (const Json& m : list) out.push_back(m["id"].get<std::string>());
  return out;
}

std::vector<std::string> Find(Harness& h, const char* from, const char* to) {
  auto r = h.Call("calendar", "find",
                  Json{{"calendar", "work"}, {"from", from}, {"to", to}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? Ids(r->result) : std::vector<std::string>{"error"};
}

TEST(SimCalendarTest, FindComparesTimesWithOffsets) {
  Harness h(kCalWorld);
  using V = std::vector<std::string>;
  EXPECT_EQ(Find(h, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"),
            (V{"a", "b"}));
  // "b" is 12:00-13:00 UTC.
  EXPECT_EQ(Find(h, "2026-12-01T12:30:00Z", "2026-12-01T12:45:00Z"), (V{"b"}));
  // [from, to): an event ending at `from` or starting at `to` is out.
  EXPECT_EQ(Find(h, "2026-12-01T13:00:00Z", "2026-12-01T14:00:00Z"), V{});
  EXPECT_EQ(Find(h, "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z"), V{});
  EXPECT_EQ(Find(h, "2026-12-01T09:14:59.5Z", "2026-12-01T09:20:00Z"), (V{"a"}));
  // Same instant written with another offset.
  EXPECT_EQ(Find(h, "2026-12-01T10:00:00+01:00", "2026-12-01T10:10:00+01:00"),
            (V{"a"}));
  EXPECT_ERROR(h.Call("calendar", "find",
                      R"({"calendar": "work", "from": "2026-12-02T00:00:00Z",
                          "to": "2026-12-01T00:00:00Z"})"),
               Code::kInvalidArgument, "before");
  EXPECT_ERROR(h.Call("calendar", "find",
                      R"({"calendar": "work", "from": "yesterday",
                          "to": "2026-12-01T00:00:00Z"})"),
               Code::kInvalidArgument, "argument `from`: not an RFC 3339 time");
}

TEST(SimCalendarTest, GetCreateAndCancelUndo) {
  Harness h(kCalWorld);
  EXPECT_EQ(h.Call("calendar", "get", R"({"id": "c"})")->result["title"],
            "Dentist");
  EXPECT_CODE(h.Call("calendar", "get", R"({"id": "z"})"), Code::kNotFound);
  auto r = h.RoundTrip("calendar", "create",
                       J(R"({"calendar": "work", "title": "Sync",
                             "start": "2026-12-01T10:00:00Z",
                             "end": "2026-12-01T10:30:00Z",
                             "attendees": ["dana@example.com"]})"));
  EXPECT_EQ(r.result, J(R"({"id": "ev1", "calendar": "work", "title": "Sync",
                            "start": "2026-12-01T10:00:00Z",
                            "end": "2026-12-01T10:30:00Z",
                            "attendees": ["dana@example.com"],
                            "location": "", "description": ""})"));
  EXPECT_EQ(r.undo, J(R"({"action": "cancel", "args": {"id": "ev1"}})"));
  // Ids are deterministic per world and never reused.
  auto second = h.Call("calendar", "create",
                       R"({"calendar": "work", "title": "Again",
                           "start": "2026-12-01T10:00:00Z",
                           "end": "2026-12-01T10:30:00Z", "attendees": []})");
  EXPECT_EQ(second->result["id"], "ev2");
  EXPECT_ERROR(h.Call("calendar", "create",
                      R"({"calendar": "work", "title": "x",
                          "start": "2026-12-01T10:00:00Z",
                          "end": "2026-12-01T10:00:00Z", "attendees": []})"),
               Code::kInvalidArgument, "`end` must be after `start`");
  EXPECT_ERROR(h.Call("calendar", "create",
                      R"({"calendar": "work", "title": "x",
                          "start": "2026-12-01T10:00:00Z",
                          "end": "2026-12-01T11:00:00Z",
                          "attendees": ["ok@x.org", "bad"]})"),
               Code::kInvalidArgument, "`attendees[1]`");

  // cancel keeps the event in its undo record; uncancel puts it back where
  // it was.
  auto c = h.RoundTrip("calendar", "cancel", J(R"({"id": "b"})"));
  EXPECT_EQ(c.undo["action"], "uncancel");
  EXPECT_EQ(c.undo["args"]["_event"]["title"], "Lunch");
  EXPECT_EQ(c.undo["args"]["_index"], 1);
  EXPECT_EQ(Ids(h.Coll("calendar", "events")),
            (std::vector<std::string>{"a", "b", "c", "ev2"}));
  // uncancel's own undo cancels again.
  ASSERT_TRUE(h.Call("calendar", "cancel", R"({"id": "a"})").ok());
  auto un = h.Undo("calendar", J(R"({"action": "uncancel", "args": {"id": "a",
      "_event": {"id": "a", "calendar": "work", "title": "Standup",
                 "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T09:15:00Z",
                 "attendees": [], "location": "", "description": ""},
      "_index": 0}})"));
  ASSERT_TRUE(un.ok()) << un.status().ToString();
  EXPECT_EQ(un->undo, J(R"({"action": "cancel", "args": {"id": "a"}})"));
  EXPECT_CODE(h.Undo("calendar", J(R"({"action": "uncancel", "args": {
      "id": "a", "_event": {"id": "a", "calendar": "work"}}})")),
              Code::kAlreadyExists);
  EXPECT_ERROR(h.Call("calendar", "uncancel", R"({"id": "zz"})"),
               Code::kInvalidArgument, "`_event`");
}

TEST(SimCalendarTest, UpdateAndUndo) {
  Harness h(kCalWorld);
  auto r = h.RoundTrip("calendar", "update",
                       J(R"({"id": "a", "title": "Daily",
                             "start": "2026-12-01T09:30:00Z",
                             "end": "2026-12-01T09:45:00Z"})"));
  EXPECT_EQ(r.result["title"], "Daily");
  EXPECT_EQ(r.undo, J(R"({"action": "update", "args": {"id": "a",
                          "title": "Standup", "start": "2026-12-01T09:00:00Z",
                          "end": "2026-12-01T09:15:00Z"}})"));
  auto same = h.Call("calendar", "update",
                     R"({"id": "a", "title": "Standup",
                         "start": "2026-12-01T09:00:00Z",
                         "end": "2026-12-01T09:15:00Z"})");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->undo.is_null());
  EXPECT_CODE(h.Call("calendar", "update",
                     R"({"id": "zz", "title": "x",
                         "start": "2026-12-01T09:00:00Z",
                         "end": "2026-12-01T09:15:00Z"})"),
              Code::kNotFound);
  EXPECT_ERROR(h.Call("calendar", "update",
                      R"({"id": "a", "title": "x",
                          "start": "2026-12-01T09:00:00Z"})"),
               Code::kInvalidArgument, "missing argument `end`");
}

TEST(SimCalendarTest, ScopeKeysAndChecks) {
  Harness h(kCalWorld);
  Connector& cal = h.sim("calendar");
  EXPECT_EQ(cal.ScopeKey("cancel", "id", "c", {}).value(), "home");
  EXPECT_EQ(cal.ScopeKey("get", "id", "a", {}).value(), "work");
  EXPECT_CODE(cal.ScopeKey("update", "id", "zz", {}), Code::kNotFound);
  EXPECT_EQ(cal.ScopeKey("create", "calendar", "work", {}).value(), "work");
  h.scopes()["calendar"] = {"work"};
  EXPECT_CODE(h.Call("calendar", "cancel", R"({"id": "c"})"),
              Code::kPermissionDenied);
  EXPECT_CODE(h.Call("calendar", "create",
                     R"({"calendar": "home", "title": "x",
                         "start": "2026-12-01T10:00:00Z",
                         "end": "2026-12-01T11:00:00Z", "attendees": []})"),
              Code::kPermissionDenied);
  EXPECT_TRUE(h.Call("calendar", "cancel", R"({"id": "a"})").ok());
}

}  // namespace
}  // namespace wfs::connectors::sim
