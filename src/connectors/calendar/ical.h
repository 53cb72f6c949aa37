// iCalendar (RFC 5545) objects as CalDAV servers store them: parsing,
// writing back, and reading events with their times in UTC. The input is
// untrusted (anyone who can invite the user writes into it): parsing is
// bounded, never throws, and keeps every line it does not understand so an
// object written back loses nothing. No network code: library
// wfs_conn_calendar_parse, fuzzed by fuzz/connectors/fuzz_ical.cc.
#ifndef WFSTORE_CONNECTORS_CALENDAR_ICAL_H_
#define WFSTORE_CONNECTORS_CALENDAR_ICAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace wfs::connectors::calendar {

struct IcalLimits {
  size_t max_bytes = 4 << 20;     // the whole object
  size_t max_depth = 8;           // nested BEGIN/END
  size_t max_properties = 20000;  // in the whole object
  size_t max_components = 5000;   // in the whole object
  size_t max_params = 64;         // on one property
};

struct IcalProperty {
  std::string name;  // upper case
  // Parameters in order: upper-case name, value as written (quotes and
  // commas of several values kept, so it is written back unchanged).
  std::vector<std::pair<std::string, std::string>> params;
  std::string value;  // as written (escapes kept)

  // The parameter's first value without quotes, or "".
  std::string Param(std::string_view upper_name) const;
  bool HasParam(std::string_view upper_name) const;
};

struct IcalComponent {
  std::string name;  // upper case: VCALENDAR, VEVENT, VTIMEZONE, ...
  std::vector<IcalProperty> props;
  std::vector<IcalComponent> children;

  // The first property called `upper_name`, or nullptr.
  const IcalProperty* Find(std::string_view upper_name) const;
  IcalProperty* Find(std::string_view upper_name);
  // Replaces every property called `p.name` by `p` (at the first one's
  // place, else at the end).
  void Set(IcalProperty p);
  void Remove(std::string_view upper_name);
};

// Parses one iCalendar stream: unfolds lines (CRLF or LF, then a space or
// tab), reads `name *(;param=value) : value` lines and BEGIN/END nesting.
// The result is the outermost component, which must be a VCALENDAR.
// InvalidArgument naming the line for malformed input (an END that does not
// match, a line without `:`, text outside BEGIN:VCALENDAR ...
// END:VCALENDAR), ResourceExhausted past the limits. A carriage return or
// NUL inside a line reads as a space, so writing back never adds a line.
Result<IcalComponent> ParseIcal(std::string_view text,
                                const IcalLimits& limits = {});

// Writes a component with CRLF line ends, folding lines longer than 75
// octets without splitting a UTF-8 sequence.
std::string WriteIcal(const IcalComponent& c);

// TEXT values (RFC 5545 section 3.3.11).
std::string EscapeText(std::string_view text);
std::string UnescapeText(std::string_view value);

// A VEVENT read for the calendar connector. Times are microseconds since
// the epoch, UTC.
struct IcalEvent {
  std::string uid;
  std::string summary;
  std::string location;
  std::string description;
  std::vector<std::string> attendees;  // mailto: addresses, without "mailto:"
  int64_t start = 0;
  int64_t end = 0;
  bool recurring = false;  // has RRULE or RDATE (times are the first one's)
};

// The events of a VCALENDAR: every VEVENT that is not an override of a
// recurrence (no RECURRENCE-ID). Times: DATE-TIME in UTC ("...Z"), with a
// TZID defined by a VTIMEZONE of the same object (or UTC/GMT/Etc/UTC),
// floating times read as UTC; DATE values start at 00:00 UTC. The end is
// DTEND, else DTSTART + DURATION, else DTSTART (+1 day for a DATE).
// InvalidArgument naming the event for a missing or unreadable DTSTART, an
// unknown time zone or an end before the start.
Result<std::vector<IcalEvent>> EventsOf(const IcalComponent& vcalendar);

// A DATE-TIME value in UTC: "20260105T100000Z" (fractions of a second are
// dropped).
std::string FormatIcalUtc(int64_t micros);
// A DATE ("20260105") or DATE-TIME value without its TZID resolved:
// micros as if UTC, and whether it was a DATE / had "Z".
struct IcalTime {
  int64_t micros = 0;
  bool is_date = false;
  bool utc = false;
};
Result<IcalTime> ParseIcalTime(std::string_view value);
// A DURATION ("PT1H", "-P1D", "P2W") in microseconds.
Result<int64_t> ParseIcalDuration(std::string_view value);

}  // namespace wfs::connectors::calendar

#endif  // WFSTORE_CONNECTORS_CALENDAR_ICAL_H_
