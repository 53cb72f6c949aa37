// Fuzzes what the calendar connector reads from a CalDAV server: iCalendar
// objects (parsing, events and time zones, writing back) and WebDAV XML
// (multistatus). Beyond "no crash, no sanitizer report, no unbounded
// work", it checks that an object written back parses to itself, and that
// TEXT escaping round-trips.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/calendar/dav_xml.h"
#include "connectors/calendar/ical.h"

namespace cal = wfs::connectors::calendar;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  cal::IcalLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_properties = 5000;
  limits.max_components = 1000;
  auto parsed = cal::ParseIcal(in, limits);
  if (parsed.ok()) {
    auto events = cal::EventsOf(*parsed);
    if (events.ok()) {
      for (const cal::IcalEvent& e : *events) {
        if (e.end < e.start) __builtin_trap();
        (void)cal::FormatIcalUtc(e.start);
        (void)cal::FormatIcalUtc(e.end);
      }
    }
    // Writing back loses nothing: the written text parses to an object
    // that writes the same text.
    std::string out = cal::WriteIcal(*parsed);
    cal::IcalLimits roomy = limits;
    roomy.max_bytes = out.size() + 1;
    auto again = cal::ParseIcal(out, roomy);
    if (!again.ok() || cal::WriteIcal(*again) != out) __builtin_trap();
  }

  (void)cal::ParseIcalTime(in.substr(0, 20));
  (void)cal::ParseIcalDuration(in.substr(0, 40));
  if (in.find('\r') == std::string_view::npos) {
    if (cal::UnescapeText(cal::EscapeText(in)) != in) __builtin_trap();
  }

  cal::XmlLimits xl;
  xl.max_bytes = 1 << 20;
  xl.max_elements = 20000;
  auto ms = cal::ParseMultistatus(in, xl);
  if (ms.ok()) {
    for (const cal::DavResponse& r : *ms) {
      if (r.has_calendar_data) (void)cal::ParseIcal(r.calendar_data, limits);
    }
  }
  return 0;
}
