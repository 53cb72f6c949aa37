#include "connectors/calendar/ical.h"

#include <algorithm>
#include <limits>
#include <map>

#include "base/clock.h"
#include "base/strings.h"

namespace wfs::connectors::calendar {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

char Upper(char c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }

std::string ToUpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}

bool EqualsUpper(std::string_view s, std::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Upper(s[i]) != upper[i]) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Digits of s[pos, pos+n) as a number, or -1.
int64_t Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {y + (m <= 2), m, d};
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// 0 = Sunday.
int Weekday(int64_t days) { return static_cast<int>(((days % 7) + 7 + 4) % 7); }

Status LineError(size_t line, std::string_view what) {
  return InvalidArgument(StrCat("iCalendar line ", line, ": ", what));
}

// One content line: name *(";" param) ":" value.
Result<IcalProperty> ParseContentLine(std::string_view line, size_t lineno,
                                      const IcalLimits& limits) {
  IcalProperty p;
  size_t i = 0;
  while (i < line.size() && line[i] != ';' && line[i] != ':') ++i;
  if (i == line.size()) return LineError(lineno, "no `:` after the name");
  std::string_view name = line.substr(0, i);
  if (name.empty()) return LineError(lineno, "empty property name");
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) ||
              c == '-';
    if (!ok) {
      return LineError(lineno, StrCat("bad property name ", Quote(name)));
    }
  }
  p.name = ToUpperAscii(name);
  while (line[i] == ';') {
    ++i;
    size_t eq = line.find('=', i);
    if (eq == std::string_view::npos) {
      return LineError(lineno, "a parameter without `=`");
    }
    std::string_view pname = line.substr(i, eq - i);
    if (pname.empty() ||
        pname.find_first_of(":;,\"") != std::string_view::npos) {
      return LineError(lineno, "bad parameter name");
    }
    i = eq + 1;
    size_t begin = i;
    // Values separated by commas, each quoted or not.
    while (true) {
      if (i < line.size() && line[i] == '"') {
        size_t close = line.find('"', i + 1);
        if (close == std::string_view::npos) {
          return LineError(lineno, "unclosed quote in a parameter");
        }
        i = close + 1;
      } else {
        while (i < line.size() && line[i] != ',' && line[i] != ';' &&
               line[i] != ':' && line[i] != '"') {
          ++i;
        }
      }
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i == line.size() || (line[i] != ';' && line[i] != ':')) {
      return LineError(lineno, "malformed parameter value");
    }
    if (p.params.size() >= limits.max_params) {
      return ResourceExhausted(StrCat("iCalendar line ", lineno, ": more than ",
                                      limits.max_params, " parameters"));
    }
    p.params.emplace_back(ToUpperAscii(pname),
                          std::string(line.substr(begin, i - begin)));
  }
  p.value.assign(line.substr(i + 1));
  return p;
}

// The first value of a raw parameter value, without quotes.
std::string FirstParamValue(std::string_view raw) {
  if (!raw.empty() && raw[0] == '"') {
    size_t close = raw.find('"', 1);
    return std::string(raw.substr(1, close == std::string_view::npos
                                         ? std::string_view::npos
                                         : close - 1));
  }
  return std::string(raw.substr(0, raw.find(',')));
}

void AppendFolded(std::string& out, std::string_view line) {
  size_t room = 75;
  while (line.size() > room) {
    size_t cut = room;
    // Never split a UTF-8 sequence: back off to its lead byte.
    while (cut > 1 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    out.append(line.substr(0, cut));
    out += "\r\n ";
    line.remove_prefix(cut);
    room = 74;
  }
  out.append(line);
  out += "\r\n";
}

// Writes `root` without recursion (its depth is bounded by the parser, but
// objects built in code need not be).
void WriteComponent(const IcalComponent& root, std::string& out) {
  struct Item {
    const IcalComponent* c;
    size_t next_child;
  };
  std::vector<Item> stack;
  stack.push_back({&root, 0});
  AppendFolded(out, "BEGIN:" + root.name);
  auto props = [&](const IcalComponent& c) {
    for (const IcalProperty& p : c.props) {
      std::string line = p.name;
      for (const auto& [name, value] : p.params) {
        line += ";" + name + "=" + value;
      }
      line += ":";
      line += p.value;
      AppendFolded(out, line);
    }
  };
  props(root);
  while (!stack.empty()) {
    Item& top = stack.back();
    if (top.next_child == top.c->children.size()) {
      AppendFolded(out, "END:" + top.c->name);
      stack.pop_back();
      continue;
    }
    const IcalComponent& child = top.c->children[top.next_child++];
    AppendFolded(out, "BEGIN:" + child.name);
    props(child);
    stack.push_back({&child, 0});
  }
}

// ---- time zones -------------------------------------------------------------

// "+0100", "-0530", "+013045" in seconds.
std::optional<int64_t> ParseUtcOffset(std::string_view v) {
  if (v.size() != 5 && v.size() != 7) return std::nullopt;
  if (v[0] != '+' && v[0] != '-') return std::nullopt;
  int64_t h = Digits(v, 1, 2), m = Digits(v, 3, 2);
  int64_t s = v.size() == 7 ? Digits(v, 5, 2) : 0;
  if (h < 0 || m < 0 || s < 0 || h > 23 || m > 59 || s > 59) {
    return std::nullopt;
  }
  int64_t secs = h * 3600 + m * 60 + s;
  return v[0] == '-' ? -secs : secs;
}

struct Observance {
  int64_t start_local = 0;  // DTSTART, local wall time as if UTC
  int64_t offset_from = 0;  // seconds
  int64_t offset_to = 0;
  // A yearly rule (the only kind time zones use in practice).
  bool yearly = false;
  int by_month = 0;              // 0: DTSTART's month
  int by_day_n = 0;              // 1..5, -1..-5; 0: BYMONTHDAY or DTSTART's day
  int by_day_wd = -1;            // 0 = Sunday
  int by_month_day = 0;          // 0: none
  std::optional<int64_t> until;  // local
  std::vector<int64_t> rdates;   // local
};

int WeekdayCode(std::string_view s) {
  static const char* const kCodes[] = {"SU", "MO", "TU", "WE",
                                       "TH", "FR", "SA"};
  for (int i = 0; i < 7; ++i) {
    if (EqualsUpper(s, kCodes[i])) return i;
  }
  return -1;
}

// The local onset of `o`'s rule in `year`, or nullopt.
std::optional<int64_t> OnsetIn(const Observance& o, int64_t year) {
  int64_t start_days = FloorDiv(o.start_local, kMicrosPerDay);
  int64_t tod = o.start_local - start_days * kMicrosPerDay;
  Civil s = CivilFromDays(start_days);
  if (year < s.year) return std::nullopt;
  int month = o.by_month != 0 ? o.by_month : s.month;
  int64_t day;
  if (o.by_day_wd >= 0 && o.by_day_n != 0) {
    if (o.by_day_n > 0) {
      int64_t first = DaysFromCivil(year, month, 1);
      int shift = (o.by_day_wd - Weekday(first) + 7) % 7;
      day = first + shift + 7 * (o.by_day_n - 1);
      if (day >= first + DaysInMonth(year, month)) return std::nullopt;
    } else {
      int64_t last = DaysFromCivil(year, month, DaysInMonth(year, month));
      int shift = (Weekday(last) - o.by_day_wd + 7) % 7;
      day = last - shift - 7 * (-o.by_day_n - 1);
      if (day < DaysFromCivil(year, month, 1)) return std::nullopt;
    }
  } else {
    int d = o.by_month_day != 0 ? o.by_month_day : s.day;
    if (d < 1 || d > DaysInMonth(year, month)) return std::nullopt;
    day = DaysFromCivil(year, month, d);
  }
  int64_t onset = day * kMicrosPerDay + tod;
  if (onset < o.start_local) return std::nullopt;
  if (o.until && onset > *o.until) return std::nullopt;
  return onset;
}

Result<Observance> ReadObservance(const IcalComponent& c,
                                  const std::string& tzid) {
  auto bad = [&](std::string_view what) {
    return InvalidArgument(
        StrCat("time zone ", Quote(tzid), ": ", c.name, " ", what));
  };
  Observance o;
  const IcalProperty* dt = c.Find("DTSTART");
  const IcalProperty* from = c.Find("TZOFFSETFROM");
  const IcalProperty* to = c.Find("TZOFFSETTO");
  if (dt == nullptr || from == nullptr || to == nullptr) {
    return bad("lacks DTSTART, TZOFFSETFROM or TZOFFSETTO");
  }
  Result<IcalTime> start = ParseIcalTime(dt->value);
  if (!start.ok()) return bad("has an unreadable DTSTART");
  o.start_local = start->micros;
  std::optional<int64_t> f = ParseUtcOffset(from->value);
  std::optional<int64_t> t = ParseUtcOffset(to->value);
  if (!f || !t) return bad("has an unreadable offset");
  o.offset_from = *f;
  o.offset_to = *t;
  for (const IcalProperty& p : c.props) {
    if (p.name != "RDATE") continue;
    for (const std::string& v : StrSplit(p.value, ',')) {
      Result<IcalTime> r = ParseIcalTime(v);
      if (r.ok()) o.rdates.push_back(r->micros);
      if (o.rdates.size() > 1000) return bad("has too many RDATEs");
    }
  }
  if (const IcalProperty* rule = c.Find("RRULE")) {
    for (const std::string& part : StrSplit(rule->value, ';')) {
      size_t eq = part.find('=');
      if (eq == std::string::npos) continue;
      std::string key = ToUpperAscii(part.substr(0, eq));
      std::string_view val = std::string_view(part).substr(eq + 1);
      if (key == "FREQ") {
        if (!EqualsUpper(val, "YEARLY")) return bad("has a non-yearly RRULE");
        o.yearly = true;
      } else if (key == "BYMONTH") {
        int64_t m = val.size() <= 2 ? Digits(val, 0, val.size()) : -1;
        if (m < 1 || m > 12) return bad("has an unsupported BYMONTH");
        o.by_month = static_cast<int>(m);
      } else if (key == "BYMONTHDAY") {
        int64_t d = val.size() <= 2 ? Digits(val, 0, val.size()) : -1;
        if (d < 1 || d > 31) return bad("has an unsupported BYMONTHDAY");
        o.by_month_day = static_cast<int>(d);
      } else if (key == "BYDAY") {
        if (val.find(',') != std::string_view::npos || val.size() < 2) {
          return bad("has an unsupported BYDAY");
        }
        o.by_day_wd = WeekdayCode(val.substr(val.size() - 2));
        std::string_view n = val.substr(0, val.size() - 2);
        int sign = 1;
        if (!n.empty() && (n[0] == '+' || n[0] == '-')) {
          sign = n[0] == '-' ? -1 : 1;
          n.remove_prefix(1);
        }
        int64_t k = n.size() == 1 ? Digits(n, 0, 1) : -1;
        if (o.by_day_wd < 0 || k < 1 || k > 5) {
          return bad("has an unsupported BYDAY");
        }
        o.by_day_n = static_cast<int>(sign * k);
      } else if (key == "UNTIL") {
        Result<IcalTime> u = ParseIcalTime(val);
        if (!u.ok()) return bad("has an unreadable UNTIL");
        // UNTIL is in UTC; onsets are compared in local time.
        o.until = u->micros + (u->utc ? o.offset_from * kMicrosPerSecond : 0);
      }
      // COUNT, INTERVAL=1, WKST: not needed to find the onsets that apply.
    }
    if (!o.yearly) return bad("has an RRULE without FREQ=YEARLY");
  }
  return o;
}

// The UTC offset (seconds) in force at local wall time `local` in `vtz`.
Result<int64_t> OffsetAt(const IcalComponent& vtz, const std::string& tzid,
                         int64_t local) {
  std::vector<Observance> obs;
  for (const IcalComponent& c : vtz.children) {
    if (c.name != "STANDARD" && c.name != "DAYLIGHT") continue;
    WFS_ASSIGN_OR_RETURN(Observance o, ReadObservance(c, tzid));
    obs.push_back(std::move(o));
  }
  if (obs.empty()) {
    return InvalidArgument(
        StrCat("time zone ", Quote(tzid), " has no STANDARD or DAYLIGHT"));
  }
  int64_t year = CivilFromDays(FloorDiv(local, kMicrosPerDay)).year;
  std::optional<int64_t> best_onset;
  int64_t best_offset = 0;
  for (const Observance& o : obs) {
    std::vector<int64_t> onsets = o.rdates;
    onsets.push_back(o.start_local);
    if (o.yearly) {
      for (int64_t y : {year - 1, year}) {
        if (std::optional<int64_t> on = OnsetIn(o, y)) onsets.push_back(*on);
      }
    }
    for (int64_t on : onsets) {
      if (on <= local && (!best_onset || on > *best_onset)) {
        best_onset = on;
        best_offset = o.offset_to;
      }
    }
  }
  if (!best_onset) {
    // Before every onset: the earliest observance's offset before it.
    const Observance* first = &obs[0];
    for (const Observance& o : obs) {
      if (o.start_local < first->start_local) first = &o;
    }
    best_offset = first->offset_from;
  }
  return best_offset;
}

bool IsUtcZoneName(std::string_view tzid) {
  for (const char* n : {"UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT", "/UTC",
                        "ETC/UCT", "UCT", "ETC/ZULU", "ZULU"}) {
    if (EqualsUpper(tzid, n)) return true;
  }
  return false;
}

using Zones = std::map<std::string, const IcalComponent*>;

Result<int64_t> ResolveTime(const IcalProperty& p, const Zones& zones,
                            bool* is_date) {
  WFS_ASSIGN_OR_RETURN(IcalTime t, ParseIcalTime(p.value));
  if (EqualsUpper(p.Param("VALUE"), "DATE") && !t.is_date) {
    return InvalidArgument(StrCat(p.name, " says VALUE=DATE but is not one"));
  }
  *is_date = t.is_date;
  if (t.is_date || t.utc) return t.micros;
  std::string tzid = p.Param("TZID");
  if (tzid.empty() || IsUtcZoneName(tzid)) return t.micros;  // floating: UTC
  auto it = zones.find(tzid);
  if (it == zones.end()) {
    return InvalidArgument(
        StrCat("time zone ", Quote(tzid), " is not defined in the object"));
  }
  WFS_ASSIGN_OR_RETURN(int64_t offset, OffsetAt(*it->second, tzid, t.micros));
  return t.micros - offset * kMicrosPerSecond;
}

}  // namespace

// ---- properties and components
// -----------------------------------------------

std::string IcalProperty::Param(std::string_view upper_name) const {
  for (const auto& [n, v] : params) {
    if (n == upper_name) return FirstParamValue(v);
  }
  return "";
}

bool IcalProperty::HasParam(std::string_view upper_name) const {
  for (const auto& [n, v] : params) {
    if (n == upper_name) return true;
  }
  return false;
}

const IcalProperty* IcalComponent::Find(std::string_view upper_name) const {
  for (const IcalProperty& p : props) {
    if (p.name == upper_name) return &p;
  }
  return nullptr;
}

IcalProperty* IcalComponent::Find(std::string_view upper_name) {
  for (IcalProperty& p : props) {
    if (p.name == upper_name) return &p;
  }
  return nullptr;
}

void IcalComponent::Set(IcalProperty p) {
  auto it =
      std::find_if(props.begin(), props.end(),
                   [&](const IcalProperty& q) { return q.name == p.name; });
  if (it == props.end()) {
    props.push_back(std::move(p));
    return;
  }
  const std::string replaced = p.name;
  *it = std::move(p);
  props.erase(
      std::remove_if(it + 1, props.end(),
                     [&](const IcalProperty& q) { return q.name == replaced; }),
      props.end());
}

void IcalComponent::Remove(std::string_view upper_name) {
  props.erase(std::remove_if(
                  props.begin(), props.end(),
                  [&](const IcalProperty& q) { return q.name == upper_name; }),
              props.end());
}

Result<IcalComponent> ParseIcal(std::string_view text,
                                const IcalLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return ResourceExhausted(
        StrCat("iCalendar object larger than ", limits.max_bytes, " bytes"));
  }
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // a BOM
  std::vector<IcalComponent> stack;
  std::optional<IcalComponent> root;
  size_t props = 0, components = 0;

  auto handle = [&](std::string& line, size_t at) -> Status {
    if (line.empty()) return Status::Ok();
    for (char& c : line) {
      if (c == '\r' || c == '\0') c = ' ';  // never a line break on output
    }
    if (root) return LineError(at, "text after the end of the object");
    WFS_ASSIGN_OR_RETURN(IcalProperty p, ParseContentLine(line, at, limits));
    if (p.name == "BEGIN") {
      if (stack.size() >= limits.max_depth) {
        return ResourceExhausted(StrCat("iCalendar line ", at,
                                        ": components nested deeper than ",
                                        limits.max_depth));
      }
      if (++components > limits.max_components) {
        return ResourceExhausted(StrCat("iCalendar: more than ",
                                        limits.max_components, " components"));
      }
      std::string name = ToUpperAscii(Trim(p.value));
      if (name.empty()) return LineError(at, "BEGIN without a name");
      if (stack.empty() && name != "VCALENDAR") {
        return LineError(at,
                         StrCat("expected BEGIN:VCALENDAR, got ", Quote(line)));
      }
      IcalComponent c;
      c.name = std::move(name);
      stack.push_back(std::move(c));
      return Status::Ok();
    }
    if (stack.empty()) {
      return LineError(at, "a property outside BEGIN:VCALENDAR");
    }
    if (p.name == "END") {
      std::string name = ToUpperAscii(Trim(p.value));
      if (name != stack.back().name) {
        return LineError(
            at,
            StrCat("END:", name, " does not close BEGIN:", stack.back().name));
      }
      IcalComponent done = std::move(stack.back());
      stack.pop_back();
      if (stack.empty()) {
        root = std::move(done);
      } else {
        stack.back().children.push_back(std::move(done));
      }
      return Status::Ok();
    }
    if (++props > limits.max_properties) {
      return ResourceExhausted(StrCat("iCalendar: more than ",
                                      limits.max_properties, " properties"));
    }
    stack.back().props.push_back(std::move(p));
    return Status::Ok();
  };

  std::string logical;
  size_t logical_line = 0;  // where `logical` started
  size_t lineno = 0;
  size_t pos = 0;
  while (true) {
    size_t lf = text.find('\n', pos);
    std::string_view raw = text.substr(
        pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos);
    ++lineno;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t') && !logical.empty()) {
      logical.append(raw.substr(1));  // a folded continuation
    } else {
      WFS_RETURN_IF_ERROR(handle(logical, logical_line));
      logical.assign(raw);
      logical_line = lineno;
    }
    if (lf == std::string_view::npos) break;
    pos = lf + 1;
  }
  WFS_RETURN_IF_ERROR(handle(logical, logical_line));
  if (!root) {
    if (!stack.empty()) {
      return InvalidArgument(
          StrCat("iCalendar: BEGIN:", stack.back().name, " is never closed"));
    }
    return InvalidArgument("iCalendar: no BEGIN:VCALENDAR");
  }
  return std::move(*root);
}

std::string WriteIcal(const IcalComponent& c) {
  std::string out;
  WriteComponent(c, out);
  return out;
}

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string UnescapeText(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c != '\\' || i + 1 == value.size()) {
      out += c;
      continue;
    }
    char n = value[++i];
    out += (n == 'n' || n == 'N') ? '\n' : n;
  }
  return out;
}

// ---- times
// --------------------------------------------------------------------

Result<IcalTime> ParseIcalTime(std::string_view v) {
  auto bad = [&]() {
    return InvalidArgument(StrCat("not an iCalendar date or time: ", Quote(v)));
  };
  IcalTime t;
  int64_t y = Digits(v, 0, 4), mo = Digits(v, 4, 2), d = Digits(v, 6, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 ||
      d > DaysInMonth(y, static_cast<int>(mo))) {
    return bad();
  }
  int64_t days = DaysFromCivil(y, static_cast<int>(mo), static_cast<int>(d));
  if (v.size() == 8) {
    t.is_date = true;
    t.micros = days * kMicrosPerDay;
    return t;
  }
  if ((v.size() != 15 && v.size() != 16) || v[8] != 'T') return bad();
  int64_t h = Digits(v, 9, 2), mi = Digits(v, 11, 2), s = Digits(v, 13, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return bad();
  if (v.size() == 16) {
    if (v[15] != 'Z' && v[15] != 'z') return bad();
    t.utc = true;
  }
  t.micros = (days * 86400 + h * 3600 + mi * 60 + std::min<int64_t>(s, 59)) *
             kMicrosPerSecond;
  return t;
}

Result<int64_t> ParseIcalDuration(std::string_view v) {
  auto bad = [&]() {
    return InvalidArgument(StrCat("not an iCalendar duration: ", Quote(v)));
  };
  size_t i = 0;
  int sign = 1;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) {
    sign = v[i++] == '-' ? -1 : 1;
  }
  if (i == v.size() || Upper(v[i]) != 'P') return bad();
  ++i;
  bool in_time = false, any = false;
  int64_t total = 0;
  while (i < v.size()) {
    if (Upper(v[i]) == 'T') {
      if (in_time) return bad();
      in_time = true;
      ++i;
      continue;
    }
    size_t begin = i;
    while (i < v.size() && IsDigit(v[i])) ++i;
    if (i == begin || i - begin > 9 || i == v.size()) return bad();
    int64_t n = Digits(v, begin, i - begin);
    char unit = Upper(v[i++]);
    int64_t secs;
    if (!in_time && unit == 'W') {
      secs = 7 * 86400;
    } else if (!in_time && unit == 'D') {
      secs = 86400;
    } else if (in_time && unit == 'H') {
      secs = 3600;
    } else if (in_time && unit == 'M') {
      secs = 60;
    } else if (in_time && unit == 'S') {
      secs = 1;
    } else {
      return bad();
    }
    total += n * secs;
    if (total > int64_t{100000000000}) return bad();  // over 3000 years
    any = true;
  }
  if (!any) return bad();
  return sign * total * kMicrosPerSecond;
}

std::string FormatIcalUtc(int64_t micros) {
  std::string t = FormatRfc3339(micros);  // 2026-01-05T10:00:00Z
  std::string out;
  for (char c : t) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

Result<std::vector<IcalEvent>> EventsOf(const IcalComponent& vcalendar) {
  Zones zones;
  for (const IcalComponent& c : vcalendar.children) {
    if (c.name != "VTIMEZONE") continue;
    const IcalProperty* id = c.Find("TZID");
    if (id != nullptr) zones.emplace(id->value, &c);
  }
  std::vector<IcalEvent> out;
  for (const IcalComponent& c : vcalendar.children) {
    if (c.name != "VEVENT" || c.Find("RECURRENCE-ID") != nullptr) continue;
    IcalEvent e;
    if (const IcalProperty* p = c.Find("UID")) e.uid = p->value;
    auto bad = [&](const Status& s) {
      return InvalidArgument(StrCat("event ", Quote(e.uid), ": ", s.message()));
    };
    if (const IcalProperty* p = c.Find("SUMMARY")) {
      e.summary = UnescapeText(p->value);
    }
    if (const IcalProperty* p = c.Find("LOCATION")) {
      e.location = UnescapeText(p->value);
    }
    if (const IcalProperty* p = c.Find("DESCRIPTION")) {
      e.description = UnescapeText(p->value);
    }
    for (const IcalProperty& p : c.props) {
      if (p.name == "ATTENDEE") {
        std::string_view v = p.value;
        if (v.size() >= 7 && EqualsUpper(v.substr(0, 7), "MAILTO:")) {
          v.remove_prefix(7);
        }
        e.attendees.emplace_back(v);
      } else if (p.name == "RRULE" || p.name == "RDATE") {
        e.recurring = true;
      }
    }
    const IcalProperty* dtstart = c.Find("DTSTART");
    if (dtstart == nullptr) return bad(InvalidArgument("no DTSTART"));
    bool start_is_date = false, end_is_date = false;
    Result<int64_t> start = ResolveTime(*dtstart, zones, &start_is_date);
    if (!start.ok()) return bad(start.status());
    e.start = *start;
    if (const IcalProperty* dtend = c.Find("DTEND")) {
      Result<int64_t> end = ResolveTime(*dtend, zones, &end_is_date);
      if (!end.ok()) return bad(end.status());
      e.end = *end;
    } else if (const IcalProperty* dur = c.Find("DURATION")) {
      Result<int64_t> d = ParseIcalDuration(dur->value);
      if (!d.ok()) return bad(d.status());
      e.end = e.start + *d;
    } else {
      e.end = e.start + (start_is_date ? kMicrosPerDay : 0);
    }
    if (e.end < e.start) return bad(InvalidArgument("ends before it starts"));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace wfs::connectors::calendar
