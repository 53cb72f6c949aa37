// What only the CalDAV connector does (ctest: part of
// contract_calendar_radicale): objects other clients wrote, iCalendar
// injection, exact-second times, crash reconciliation through the effect
// records, credentials kept out of errors.
#include <algorithm>

#include "base/strings.h"
#include "tests/connectors/contract/calendar/calendar_test_util.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors::contract {
namespace {

class CalendarRadicale : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = testenv::Load();
    ASSERT_TRUE(env.has_value())
        << "WFS_TESTENV is not set: run through ctest (needs the "
           "wfs_servers fixture)";
    env_ = std::move(env);
    dav_ = std::make_unique<TestCalDav>(*env_);
    cal_ = UniqueName("cal");
    effects_ = UniqueName("fx");
    ASSERT_TRUE(dav_->MakeCalendar(cal_));
    dav_->Forget(effects_);
    auto made = MakeTestCalendar(*dav_, {{"effects_calendar", effects_}});
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    conn_ = std::move(*made);
  }

  Connector& c() { return *conn_; }

  std::optional<testenv::Env> env_;
  std::unique_ptr<TestCalDav> dav_;
  std::string cal_, effects_;
  std::unique_ptr<Connector> conn_;
};

const char kBerlin[] =
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "TZNAME:CEST\r\nDTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "TZNAME:CET\r\nDTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n";

TEST_F(CalendarRadicale, ReadsTimeZonesAllDayEventsAndEscapesOfOtherClients) {
  std::string head =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\n";
  ASSERT_TRUE(dav_->Put(
      cal_, "winter.ics",
      head + kBerlin +
          "BEGIN:VEVENT\r\nUID:winter\r\nDTSTAMP:20260101T000000Z\r\n"
          "DTSTART;TZID=Europe/Berlin:20260105T100000\r\n"
          "DURATION:PT90M\r\nSUMMARY:Lunch\\, then talk\\; bring \\\\ notes\r\n"
          "LOCATION:Room 1\r\nDESCRIPTION:Line one\\nLine two\r\n"
          "ATTENDEE;CN=\"Ann, A.\";RSVP=TRUE:MAILTO:ann@example.com\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n"));
  ASSERT_TRUE(dav_->Put(
      cal_, "summer.ics",
      head + kBerlin +
          "BEGIN:VEVENT\r\nUID:summer\r\nDTSTAMP:20260101T000000Z\r\n"
          "DTSTART;TZID=Europe/Berlin:20260705T100000\r\n"
          "DTEND;TZID=Europe/Berlin:20260705T110000\r\nSUMMARY:Summer\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n"));
  ASSERT_TRUE(dav_->Put(
      cal_, "holiday.ics",
      head + "BEGIN:VEVENT\r\nUID:holiday\r\nDTSTAMP:20260101T000000Z\r\n"
             "DTSTART;VALUE=DATE:20260110\r\nSUMMARY:Holiday\r\n"
             "END:VEVENT\r\nEND:VCALENDAR\r\n"));

  ASSERT_OK_AND_ASSIGN(
      ActionResponse w,
      Call(c(), "get", {{"id", cal_ + "/winter.ics"}}, nullptr));
  EXPECT_EQ(w.result["start"], "2026-01-05T09:00:00Z");  // CET, +01:00
  EXPECT_EQ(w.result["end"], "2026-01-05T10:30:00Z");
  EXPECT_EQ(w.result["title"], "Lunch, then talk; bring \\ notes");
  EXPECT_EQ(w.result["location"], "Room 1");
  EXPECT_EQ(w.result["description"], "Line one\nLine two");
  EXPECT_EQ(w.result["attendees"], Json({"ann@example.com"}));

  ASSERT_OK_AND_ASSIGN(
      ActionResponse s,
      Call(c(), "get", {{"id", cal_ + "/summer.ics"}}, nullptr));
  EXPECT_EQ(s.result["start"], "2026-07-05T08:00:00Z");  // CEST, +02:00
  EXPECT_EQ(s.result["end"], "2026-07-05T09:00:00Z");

  ASSERT_OK_AND_ASSIGN(
      ActionResponse h,
      Call(c(), "get", {{"id", cal_ + "/holiday.ics"}}, nullptr));
  EXPECT_EQ(h.result["start"], "2026-01-10T00:00:00Z");
  EXPECT_EQ(h.result["end"], "2026-01-11T00:00:00Z");

  ASSERT_OK_AND_ASSIGN(ActionResponse found,
                       Call(c(), "find",
                            {{"calendar", cal_},
                             {"from", "2026-01-01T00:00:00Z"},
                             {"to", "2026-12-31T00:00:00Z"}},
                            nullptr));
  std::vector<std::string> ids;
  for (const Json& e : found.result) ids.push_back(e["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{cal_ + "/winter.ics",
                                           cal_ + "/holiday.ics",
                                           cal_ + "/summer.ics"}));
}

TEST_F(CalendarRadicale, UpdateKeepsWhatItDoesNotChange) {
  ASSERT_TRUE(
      dav_->Put(cal_, "rich.ics",
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\n"
                "BEGIN:VEVENT\r\nUID:rich\r\nDTSTAMP:20260101T000000Z\r\n"
                "DTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\n"
                "SUMMARY:Old\r\nLOCATION:Room 7\r\nX-OTHER-CLIENT:keep me\r\n"
                "SEQUENCE:4\r\n"
                "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\n"
                "DESCRIPTION:Soon\r\nEND:VALARM\r\n"
                "END:VEVENT\r\nEND:VCALENDAR\r\n"));
  ASSERT_OK_AND_ASSIGN(ActionResponse up,
                       Call(c(), "update",
                            {{"id", cal_ + "/rich.ics"},
                             {"title", "New"},
                             {"start", "2026-03-01T12:00:00Z"},
                             {"end", "2026-03-01T13:00:00Z"}},
                            nullptr));
  EXPECT_EQ(up.result["location"], "Room 7");
  std::string raw = dav_->Get(cal_, "rich.ics");
  EXPECT_NE(raw.find("X-OTHER-CLIENT:keep me"), std::string::npos) << raw;
  EXPECT_NE(raw.find("BEGIN:VALARM"), std::string::npos) << raw;
  EXPECT_NE(raw.find("TRIGGER:-PT10M"), std::string::npos) << raw;
  EXPECT_NE(raw.find("SEQUENCE:5"), std::string::npos) << raw;
  EXPECT_NE(raw.find("SUMMARY:New"), std::string::npos) << raw;
  EXPECT_NE(raw.find("DTSTART:20260301T120000Z"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("SUMMARY:Old"), std::string::npos) << raw;
}

TEST_F(CalendarRadicale, TextCannotAddProperties) {
  const std::string title = "Lunch\r\nATTENDEE:mailto:evil@example.com";
  ASSERT_OK_AND_ASSIGN(ActionResponse r,
                       Call(c(), "create",
                            {{"calendar", cal_},
                             {"title", title},
                             {"start", "2026-03-01T12:00:00Z"},
                             {"end", "2026-03-01T13:00:00Z"},
                             {"attendees", {"ann@example.com"}}},
                            nullptr));
  Json stored = dav_->Events(cal_);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["attendees"], Json({"mailto:ann@example.com"}));
  ASSERT_OK_AND_ASSIGN(ActionResponse got,
                       Call(c(), "get", {{"id", r.result["id"]}}, nullptr));
  EXPECT_EQ(got.result["title"], "Lunch\nATTENDEE:mailto:evil@example.com");
  EXPECT_EQ(got.result["attendees"], Json({"ann@example.com"}));
}

TEST_F(CalendarRadicale, AddressesAndTimesTheFormatCannotHoldAreRefused) {
  for (const char* bad : {"ann@example.com\r\nATTENDEE:mailto:evil@x.org",
                          "ann@example.com;RSVP=FALSE", "ann@example.com:x",
                          "Ann <ann@example.com>"}) {
    auto r = Call(c(), "create",
                  {{"calendar", cal_},
                   {"title", "t"},
                   {"start", "2026-03-01T12:00:00Z"},
                   {"end", "2026-03-01T13:00:00Z"},
                   {"attendees", {bad}}},
                  nullptr);
    EXPECT_CODE(r, Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("is not an email address"),
              std::string::npos)
        << r.status().message();
  }
  auto frac = Call(c(), "create",
                   {{"calendar", cal_},
                    {"title", "t"},
                    {"start", "2026-03-01T12:00:00.5Z"},
                    {"end", "2026-03-01T13:00:00Z"},
                    {"attendees", Json::array()}},
                   nullptr);
  EXPECT_CODE(frac, Code::kInvalidArgument);
  auto ctl = Call(c(), "create",
                  {{"calendar", cal_},
                   {"title", std::string("bell\x07")},
                   {"start", "2026-03-01T12:00:00Z"},
                   {"end", "2026-03-01T13:00:00Z"},
                   {"attendees", Json::array()}},
                  nullptr);
  EXPECT_CODE(ctl, Code::kInvalidArgument);
  for (const char* name : {"..", "a/b", "."}) {
    EXPECT_CODE(Call(c(), "create",
                     {{"calendar", name},
                      {"title", "t"},
                      {"start", "2026-03-01T12:00:00Z"},
                      {"end", "2026-03-01T13:00:00Z"},
                      {"attendees", Json::array()}},
                     nullptr),
                Code::kInvalidArgument)
        << name;
  }
  EXPECT_TRUE(dav_->Resources(cal_).empty());
}

TEST_F(CalendarRadicale, IdsOutsideTheirCalendarAreNotFound) {
  for (const char* id :
       {"../x.ics", "a/../b.ics", "/x.ics", "a/b/c.ics", "a/", "/"}) {
    EXPECT_CODE(Call(c(), "get", {{"id", id}}, nullptr), Code::kNotFound) << id;
    EXPECT_CODE(c().ScopeKey("get", "id", Json(id), ScopeMap{}),
                Code::kNotFound)
        << id;
  }
}

TEST_F(CalendarRadicale, CreateInAMissingCalendarIsNotFound) {
  const std::string absent = UniqueName("absent");
  dav_->Forget(absent);
  auto r = Call(c(), "create",
                {{"calendar", absent},
                 {"title", "t"},
                 {"start", "2026-03-01T12:00:00Z"},
                 {"end", "2026-03-01T13:00:00Z"},
                 {"attendees", Json::array()}},
                nullptr);
  EXPECT_CODE(r, Code::kNotFound);
}

// The effect records: an intent before, the outcome after. Deleting the
// outcome record is what a crash between the two leaves behind.
TEST_F(CalendarRadicale, LookupSettlesAnEffectWhoseOutcomeWasNotRecorded) {
  const std::string key = UniqueName("run") + "/2/0";
  ASSERT_OK_AND_ASSIGN(ActionResponse made,
                       Call(c(), "create",
                            {{"calendar", cal_},
                             {"title", "Crash test"},
                             {"start", "2026-03-01T12:00:00Z"},
                             {"end", "2026-03-01T13:00:00Z"},
                             {"attendees", Json::array()}},
                            nullptr, key));
  std::vector<std::string> records = dav_->Resources(effects_);
  ASSERT_EQ(records.size(), 2u);
  int removed = 0;
  for (const std::string& r : records) {
    if (EndsWith(r, ".done.ics")) {
      long st =
          dav_->Http("DELETE", dav_->principal() + effects_ + "/" + r).status;
      EXPECT_TRUE(st == 200 || st == 204) << st;
      ++removed;
    }
  }
  ASSERT_EQ(removed, 1);
  // The event exists: it happened.
  ASSERT_OK_AND_ASSIGN(std::optional<ActionResponse> found, c().Lookup(key));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->result, made.result);
  EXPECT_EQ(found->undo, made.undo);
  // Without the event, the intent alone says it did not happen.
  std::string id = made.result["id"];
  long st = dav_->Http("DELETE", dav_->principal() + id).status;
  ASSERT_TRUE(st == 200 || st == 204) << st;
  ASSERT_OK_AND_ASSIGN(std::optional<ActionResponse> gone, c().Lookup(key));
  EXPECT_FALSE(gone.has_value());
}

TEST_F(CalendarRadicale, LookupOfAnUpdateWithoutItsOutcome) {
  ASSERT_TRUE(dav_->Put(
      cal_, "u.ics",
      EventIcs("u", "Before", "20260301T100000Z", "20260301T110000Z")));
  const std::string key = UniqueName("run") + "/5/0";
  ASSERT_OK_AND_ASSIGN(ActionResponse up,
                       Call(c(), "update",
                            {{"id", cal_ + "/u.ics"},
                             {"title", "After"},
                             {"start", "2026-03-01T10:00:00Z"},
                             {"end", "2026-03-01T11:00:00Z"}},
                            nullptr, key));
  for (const std::string& r : dav_->Resources(effects_)) {
    if (EndsWith(r, ".done.ics")) {
      dav_->Http("DELETE", dav_->principal() + effects_ + "/" + r);
    }
  }
  ASSERT_OK_AND_ASSIGN(std::optional<ActionResponse> found, c().Lookup(key));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->undo, up.undo);
  // Someone else changes the event: whether the update happened is unknown.
  ASSERT_TRUE(dav_->Put(
      cal_, "u.ics",
      EventIcs("u", "Third", "20260301T100000Z", "20260301T110000Z")));
  EXPECT_CODE(c().Lookup(key), Code::kUnavailable);
}

TEST_F(CalendarRadicale, EndRunDropsTheRunsRecords) {
  const std::string key = UniqueName("run") + "/1/0";
  ASSERT_OK(Call(c(), "create",
                 {{"calendar", cal_},
                  {"title", "t"},
                  {"start", "2026-03-01T12:00:00Z"},
                  {"end", "2026-03-01T13:00:00Z"},
                  {"attendees", Json::array()}},
                 nullptr, key));
  EXPECT_EQ(dav_->Resources(effects_).size(), 2u);
  c().EndRun("contract-run");  // the run id Call() uses
  EXPECT_TRUE(dav_->Resources(effects_).empty());
  EXPECT_EQ(dav_->Events(cal_).size(), 1u) << "the effect itself stays";
}

TEST_F(CalendarRadicale, WithoutRecordsLookupIsUnimplemented) {
  auto made = MakeTestCalendar(*dav_, {{"effects_calendar", nullptr}});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_CODE((*made)->Lookup("r/1/0"), Code::kUnimplemented);
}

TEST_F(CalendarRadicale, AWrongPasswordIsRefusedWithoutShowingIt) {
  const std::string wrong = "not-the-password-" + UniqueName("pw");
  SecretResolver secrets(
      [&](const std::string& name) -> std::optional<std::string> {
        if (name == "WRONG_PW") return wrong;
        return std::nullopt;
      });
  auto made =
      calendar::MakeCalendarConnector({{"url", dav_->principal()},
                                       {"user", dav_->user()},
                                       {"password", {{"env", "WRONG_PW"}}}},
                                      secrets);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto r = Call(**made, "find",
                {{"calendar", cal_},
                 {"from", "2026-01-01T00:00:00Z"},
                 {"to", "2026-02-01T00:00:00Z"}},
                nullptr);
  EXPECT_CODE(r, Code::kUnauthenticated);
  EXPECT_EQ(r.status().message().find(wrong), std::string::npos)
      << r.status().message();
  auto w = Call(**made, "create",
                {{"calendar", cal_},
                 {"title", "t"},
                 {"start", "2026-03-01T12:00:00Z"},
                 {"end", "2026-03-01T13:00:00Z"},
                 {"attendees", Json::array()}},
                nullptr, "k/1/0");
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.status().message().find(wrong), std::string::npos)
      << w.status().message();
  EXPECT_TRUE(dav_->Resources(cal_).empty());
}

}  // namespace
}  // namespace wfs::connectors::contract
