// Unit tests of what the calendar connector parses and writes without a
// server: iCalendar objects and times, WebDAV XML, and the connector's
// configuration (ctest: connectors_calendar_parse_test).
#include <gtest/gtest.h>

#include <optional>

#include "base/clock.h"
#include "connectors/calendar/caldav.h"
#include "connectors/calendar/dav_xml.h"
#include "connectors/calendar/ical.h"
#include "connectors/secrets.h"

namespace wfs::connectors::calendar {
namespace {

int64_t Utc(int y, int mo, int d, int h, int mi, int s = 0) {
  // Days from civil, as the library does; checked against known values below.
  y -= mo <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 3600 + mi * 60 + s) * 1000000;
}

TEST(Utc, KnownInstants) {
  EXPECT_EQ(Utc(1970, 1, 1, 0, 0), 0);
  EXPECT_EQ(Utc(2026, 1, 1, 0, 0), 1767225600000000);  // FakeClock's default
}

std::string Wrap(const std::string& body) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body +
         "END:VCALENDAR\r\n";
}

TEST(Ical, ParsesFoldedLinesParametersAndNesting) {
  std::string text = Wrap(
      "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:A long\r\n  title\r\n"
      "ATTENDEE;CN=\"Doe, "
      "Jane\";ROLE=REQ-PARTICIPANT:mailto:jane@example.com\r\n"
      "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
      "BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n");
  auto cal = ParseIcal(text);
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  ASSERT_EQ(cal->children.size(), 1u);
  const IcalComponent& ev = cal->children[0];
  EXPECT_EQ(ev.name, "VEVENT");
  EXPECT_EQ(ev.Find("SUMMARY")->value, "A long title");
  const IcalProperty* att = ev.Find("ATTENDEE");
  EXPECT_EQ(att->Param("CN"), "Doe, Jane");
  EXPECT_EQ(att->Param("ROLE"), "REQ-PARTICIPANT");
  EXPECT_EQ(att->value, "mailto:jane@example.com");
  ASSERT_EQ(ev.children.size(), 1u);
  EXPECT_EQ(ev.children[0].name, "VALARM");
  // Written back and read again, nothing changes.
  auto again = ParseIcal(WriteIcal(*cal));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(WriteIcal(*again), WriteIcal(*cal));
  EXPECT_NE(WriteIcal(*cal).find("ATTENDEE;CN=\"Doe, Jane\";ROLE="),
            std::string::npos);
}

TEST(Ical, AcceptsBareLineFeedsAndLowerCaseNames) {
  auto cal = ParseIcal(
      "begin:vcalendar\nbegin:vevent\nuid:x\ndtstart:20260105T100000Z\n"
      "end:vevent\nend:vcalendar\n");
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  auto events = EventsOf(*cal);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].uid, "x");
  EXPECT_EQ((*events)[0].end, (*events)[0].start);
}

TEST(Ical, RefusesMalformedObjectsWithTheLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
            "iCalendar line 3: END:VCALENDAR does not close BEGIN:VEVENT"},
           {"BEGIN:VCALENDAR\r\nNOCOLON\r\nEND:VCALENDAR\r\n",
            "iCalendar line 2: no `:` after the name"},
           {"BEGIN:VEVENT\r\nEND:VEVENT\r\n",
            "iCalendar line 1: expected BEGIN:VCALENDAR, got `BEGIN:VEVENT`"},
           {"BEGIN:VCALENDAR\r\n",
            "iCalendar: BEGIN:VCALENDAR is never closed"},
           {"", "iCalendar: no BEGIN:VCALENDAR"},
           {"BEGIN:VCALENDAR\r\nX;P=\"open:1\r\nEND:VCALENDAR\r\n",
            "iCalendar line 2: unclosed quote in a parameter"},
           {"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\n",
            "iCalendar line 3: text after the end of the object"},
       }) {
    auto r = ParseIcal(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(Ical, LimitsAreEnforced) {
  std::string deep = "BEGIN:VCALENDAR\r\n";
  for (int i = 0; i < 20; ++i) deep += "BEGIN:X\r\n";
  auto r = ParseIcal(deep);
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  IcalLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(ParseIcal(Wrap(""), small).status().code(),
            Code::kResourceExhausted);
  IcalLimits few;
  few.max_properties = 1;
  EXPECT_EQ(ParseIcal(Wrap(""), few).status().code(), Code::kResourceExhausted);
}

TEST(Ical, ACarriageReturnInsideALineNeverBecomesALineBreak) {
  auto cal = ParseIcal(Wrap("X-A:one\rBEGIN:VEVENT\r\n"));
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  EXPECT_EQ(cal->Find("X-A")->value, "one BEGIN:VEVENT");
  EXPECT_TRUE(cal->children.empty());
}

TEST(Ical, FoldsLongLinesWithoutSplittingCharacters) {
  IcalComponent c;
  c.name = "VCALENDAR";
  IcalProperty p;
  p.name = "SUMMARY";
  for (int i = 0; i < 60; ++i) p.value += "\xC3\xA9";  // é, two bytes each
  c.props.push_back(p);
  std::string out = WriteIcal(c);
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 75u);
    // A continuation never starts in the middle of a UTF-8 sequence.
    if (out[start] == ' ') {
      EXPECT_NE(static_cast<unsigned char>(out[start + 1]) & 0xC0, 0x80);
    }
    start = end + 2;
  }
  auto back = ParseIcal(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Find("SUMMARY")->value, p.value);
}

TEST(Ical, TextEscapes) {
  const std::string text = "a,b;c\\d\ne";
  EXPECT_EQ(EscapeText(text), "a\\,b\\;c\\\\d\\ne");
  EXPECT_EQ(UnescapeText(EscapeText(text)), text);
  EXPECT_EQ(EscapeText("x\r\ny"), "x\\ny");
  EXPECT_EQ(UnescapeText("x\\Ny"), "x\ny");
}

TEST(Ical, TimesAndDurations) {
  auto t = ParseIcalTime("20260105T100000Z");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->utc);
  EXPECT_EQ(t->micros, Utc(2026, 1, 5, 10, 0));
  auto d = ParseIcalTime("20240229");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->is_date);
  EXPECT_EQ(d->micros, Utc(2024, 2, 29, 0, 0));
  for (const char* bad : {"20250229", "20261301", "20260105T250000Z",
                          "20260105T1000", "2026-01-05", "20260105X100000"}) {
    EXPECT_FALSE(ParseIcalTime(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseIcalDuration("PT1H30M").value(), int64_t{5400} * 1000000);
  EXPECT_EQ(ParseIcalDuration("-P1D").value(), int64_t{-86400} * 1000000);
  EXPECT_EQ(ParseIcalDuration("P2W").value(), int64_t{14} * 86400 * 1000000);
  EXPECT_EQ(ParseIcalDuration("P1DT2H").value(), int64_t{93600} * 1000000);
  for (const char* bad : {"P", "PT", "P1H", "PT1D", "1H", "P999999999W"}) {
    EXPECT_FALSE(ParseIcalDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatIcalUtc(Utc(2026, 1, 5, 10, 0, 7)), "20260105T100007Z");
}

const char kNewYork[] =
    "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"
    "BEGIN:STANDARD\r\nDTSTART:20071104T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
    "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:20070311T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
    "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n";

int64_t StartIn(const std::string& tz, const std::string& local) {
  auto cal =
      ParseIcal(Wrap(tz + "BEGIN:VEVENT\r\nUID:e\r\nDTSTART;TZID=" +
                     "America/New_York:" + local + "\r\nEND:VEVENT\r\n"));
  EXPECT_TRUE(cal.ok()) << cal.status().ToString();
  if (!cal.ok()) return -1;
  auto ev = EventsOf(*cal);
  EXPECT_TRUE(ev.ok()) << ev.status().ToString();
  return ev.ok() && !ev->empty() ? (*ev)[0].start : -1;
}

TEST(Ical, ResolvesTimeZonesFromTheirRules) {
  // 2026: DST from Sunday 8 March to Sunday 1 November.
  EXPECT_EQ(StartIn(kNewYork, "20260115T090000"), Utc(2026, 1, 15, 14, 0));
  EXPECT_EQ(StartIn(kNewYork, "20260307T090000"), Utc(2026, 3, 7, 14, 0));
  EXPECT_EQ(StartIn(kNewYork, "20260308T090000"), Utc(2026, 3, 8, 13, 0));
  EXPECT_EQ(StartIn(kNewYork, "20260715T090000"), Utc(2026, 7, 15, 13, 0));
  EXPECT_EQ(StartIn(kNewYork, "20261031T090000"), Utc(2026, 10, 31, 13, 0));
  EXPECT_EQ(StartIn(kNewYork, "20261102T090000"), Utc(2026, 11, 2, 14, 0));
  // Early January is still under the previous year's November onset.
  EXPECT_EQ(StartIn(kNewYork, "20270101T000000"), Utc(2027, 1, 1, 5, 0));
}

TEST(Ical, EventTimesAndTheirErrors) {
  auto events = [](const std::string& body) {
    auto cal = ParseIcal(Wrap(body));
    EXPECT_TRUE(cal.ok()) << cal.status().ToString();
    return EventsOf(*cal);
  };
  auto allday = events(
      "BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20260110\r\nEND:VEVENT\r\n");
  ASSERT_TRUE(allday.ok());
  EXPECT_EQ((*allday)[0].end - (*allday)[0].start, int64_t{86400} * 1000000);
  auto floating = events(
      "BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20260110T080000\r\n"
      "DTEND;TZID=UTC:20260110T090000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n");
  ASSERT_TRUE(floating.ok());
  EXPECT_EQ((*floating)[0].start, Utc(2026, 1, 10, 8, 0));
  EXPECT_EQ((*floating)[0].end, Utc(2026, 1, 10, 9, 0));
  EXPECT_TRUE((*floating)[0].recurring);
  // Overrides of single occurrences are not events of their own.
  auto with_override = events(
      "BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20260110T080000Z\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:r\r\nRECURRENCE-ID:20260111T080000Z\r\n"
      "DTSTART:20260111T090000Z\r\nEND:VEVENT\r\n");
  ASSERT_TRUE(with_override.ok());
  EXPECT_EQ(with_override->size(), 1u);

  auto no_start = events("BEGIN:VEVENT\r\nUID:n\r\nEND:VEVENT\r\n");
  EXPECT_EQ(no_start.status().message(), "event `n`: no DTSTART");
  auto unknown_tz = events(
      "BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Mars/Olympus:20260110T080000\r\n"
      "END:VEVENT\r\n");
  EXPECT_EQ(unknown_tz.status().message(),
            "event `z`: time zone `Mars/Olympus` is not defined in the "
            "object");
  auto backwards = events(
      "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260110T080000Z\r\n"
      "DTEND:20260110T070000Z\r\nEND:VEVENT\r\n");
  EXPECT_EQ(backwards.status().message(), "event `b`: ends before it starts");
}

TEST(DavXml, ParsesNamespacesEntitiesAndCdata) {
  auto doc = ParseXml(
      "<?xml version=\"1.0\"?>\n<!-- c -->\n"
      "<d:multistatus xmlns:d=\"DAV:\" xmlns=\"urn:x\">"
      "<d:response><d:href>/a%20b/</d:href><item a='1'>x &amp; y &#233;"
      "<![CDATA[<raw>]]></item></d:response></d:multistatus>");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)->ns, "DAV:");
  EXPECT_EQ((*doc)->local, "multistatus");
  const XmlElement* r = (*doc)->Child("DAV:", "response");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Child("DAV:", "href")->text, "/a%20b/");
  const XmlElement* item = r->Child("urn:x", "item");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->text, "x & y \xC3\xA9<raw>");
}

TEST(DavXml, RefusesWhatItMustNotRead) {
  for (const char* bad :
       {"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "<x>&bogus;</x>", "<p:x/>",
        "<x><y></x></y>", "<x>", "text<x/>", "<x/><y/>", "<x a=1/>",
        "<x>&#0;</x>", "<x>&#xD800;</x>", ""}) {
    auto r = ParseXml(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_EQ(ParseXml(deep).status().code(), Code::kResourceExhausted);
}

TEST(DavXml, MultistatusResponses) {
  auto ms = ParseMultistatus(
      "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
      "<response><href>/u/cal/a.ics</href><propstat><prop>"
      "<getetag>\"e1\"</getetag><C:calendar-data>BEGIN:VCALENDAR&#13;\n"
      "END:VCALENDAR&#13;\n</C:calendar-data></prop>"
      "<status>HTTP/1.1 200 OK</status></propstat>"
      "<propstat><prop><displayname/></prop>"
      "<status>HTTP/1.1 404 Not Found</status></propstat></response>"
      "<response><href>/u/cal/gone.ics</href>"
      "<status>HTTP/1.1 404 Not Found</status></response>"
      "</multistatus>");
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  ASSERT_EQ(ms->size(), 2u);
  EXPECT_EQ((*ms)[0].href, "/u/cal/a.ics");
  EXPECT_EQ((*ms)[0].status, 200);
  EXPECT_EQ((*ms)[0].etag, "\"e1\"");
  EXPECT_TRUE((*ms)[0].has_calendar_data);
  EXPECT_EQ((*ms)[0].calendar_data, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ((*ms)[1].status, 404);
  EXPECT_FALSE((*ms)[1].has_calendar_data);
  EXPECT_FALSE(ParseMultistatus("<x xmlns=\"DAV:\"/>").ok());
  EXPECT_FALSE(
      ParseMultistatus("<multistatus xmlns=\"DAV:\"><response/></multistatus>")
          .ok());
}

// ---- configuration (no server is contacted)
// ----------------------------------

Result<std::unique_ptr<Connector>> Make(const Json& config) {
  SecretResolver secrets(
      [](const std::string& name) -> std::optional<std::string> {
        if (name == "PW") return std::string("s3cret");
        return std::nullopt;
      });
  return MakeCalendarConnector(config, secrets);
}

Json Base() {
  return {{"url", "http://127.0.0.1:1/u/"},
          {"user", "u"},
          {"password", {{"env", "PW"}}}};
}

TEST(CalendarConfig, AcceptsAMinimalConfig) {
  auto c = Make(Base());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->name(), "calendar");
  Json with_kind = Base();
  with_kind["kind"] = "calendar";
  with_kind["url"] = "http://localhost:1/u";  // a missing slash is added
  EXPECT_TRUE(Make(with_kind).ok());
}

TEST(CalendarConfig, RefusesBadConfigsNamingTheKey) {
  struct Case {
    const char* key;
    Json value;
    Code code;
    const char* starts;
  };
  for (const Case& c : std::vector<Case>{
           {"colour", "red", Code::kInvalidArgument,
            "calendar.colour: unknown key"},
           {"url", "ftp://127.0.0.1/u/", Code::kInvalidArgument,
            "calendar.url: "},
           {"url", "http://dav.example.com/u/", Code::kInvalidArgument,
            "calendar.url: plain http to dav.example.com"},
           {"user", 3, Code::kInvalidArgument, "calendar.user: required"},
           {"password", "s3cret", Code::kInvalidArgument,
            "calendar.password: "},
           {"password", Json({{"env", "UNSET"}}), Code::kNotFound,
            "calendar.password: "},
           {"effects_calendar", "../x", Code::kInvalidArgument,
            "calendar.effects_calendar: "},
           {"max_events", 0, Code::kInvalidArgument, "calendar.max_events: "},
           {"timeout_ms", "x", Code::kInvalidArgument, "calendar.timeout_ms "},
           {"allow_plaintext", "yes", Code::kInvalidArgument,
            "calendar.allow_plaintext: "},
       }) {
    Json config = Base();
    config[c.key] = c.value;
    auto r = Make(config);
    ASSERT_FALSE(r.ok()) << c.key;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_EQ(r.status().message().rfind(c.starts, 0), 0u)
        << r.status().message();
    EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos);
  }
  Json plain = Base();
  plain["url"] = "http://dav.example.com/u/";
  plain["allow_plaintext"] = true;
  EXPECT_TRUE(Make(plain).ok());
  EXPECT_TRUE(Make(Json::array()).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace wfs::connectors::calendar
