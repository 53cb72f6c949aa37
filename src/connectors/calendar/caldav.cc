// The calendar connector: CalDAV requests over libcurl (HttpClient), events
// read and written as iCalendar.
#include "connectors/calendar/caldav.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/random.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "connectors/calendar/dav_xml.h"
#include "connectors/calendar/ical.h"
#include "connectors/http/action_args.h"
#include "connectors/http/curl_client.h"
#include "connectors/http/secrets.h"
#include "connectors/http/text.h"
#include "connectors/sim/values.h"
#include "connectors/sim/simulators.h"

namespace wfs::connectors::calendar {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;
constexpr size_t kMaxNameBytes = 255;
constexpr char kDefaultEffectsCalendar[] = "wfstore-effects";
constexpr char kProdId[] = "-//wfstore//calendar connector//EN";

// A calendar or resource name: one path segment of printable UTF-8.
bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes || s == "." || s == "..") {
    return false;
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
  }
  return IsValidUtf8(s);
}

// An attendee address: local@domain without anything that could end an
// iCalendar value or parameter or start another address.
bool ValidAddress(std::string_view a) {
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() ||
      a.size() > 254) {
    return false;
  }
  for (unsigned char c : a) {
    if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == ':' || c == '"' || c == '\\' || c == '(' || c == ')' || c == '[' ||
        c == ']') {
      return false;
    }
  }
  return true;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 &&
        hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The path of an href (a path, or an absolute URL).
std::string HrefPath(std::string_view href) {
  size_t scheme = href.find("://");
  if (scheme != std::string_view::npos) {
    size_t slash = href.find('/', scheme + 3);
    href = slash == std::string_view::npos ? std::string_view("/")
                                           : href.substr(slash);
  }
  return std::string(href.substr(0, href.find_first_of("?#")));
}

struct EventId {
  std::string calendar;
  std::string resource;
  std::string Text() const { return calendar + "/" + resource; }
};

Status NoEvent(const std::string& id) {
  return NotFound(StrCat("calendar: no event with id ", Quote(id)));
}

Result<EventId> ParseId(const std::string& id) {
  size_t slash = id.find('/');
  if (slash == std::string::npos) return NoEvent(id);
  EventId e{id.substr(0, slash), id.substr(slash + 1)};
  if (!ValidName(e.calendar) || !ValidName(e.resource)) return NoEvent(id);
  return e;
}

std::string Rfc3339(int64_t micros) { return FormatRfc3339(micros); }

Json EventJson(const EventId& id, const IcalEvent& e) {
  Json attendees = Json::array();
  for (const std::string& a : e.attendees) attendees.push_back(ToValidUtf8(a));
  return Json{{"id", id.Text()},
              {"calendar", id.calendar},
              {"title", ToValidUtf8(e.summary)},
              {"start", Rfc3339(e.start)},
              {"end", Rfc3339(e.end)},
              {"attendees", std::move(attendees)},
              {"location", ToValidUtf8(e.location)},
              {"description", ToValidUtf8(e.description)}};
}

IcalProperty Prop(std::string name, std::string value) {
  IcalProperty p;
  p.name = std::move(name);
  p.value = std::move(value);
  return p;
}

// The master VEVENT of an object, or nullptr.
IcalComponent* MasterEvent(IcalComponent& cal) {
  for (IcalComponent& c : cal.children) {
    if (c.name == "VEVENT" && c.Find("RECURRENCE-ID") == nullptr) return &c;
  }
  return nullptr;
}

Json Undo(std::string_view action, Json args) {
  return Json{{"action", std::string(action)}, {"args", std::move(args)}};
}

struct Config {
  std::string home;  // ends with '/'
  std::string home_path;
  std::string user;
  Secret password;
  std::string effects_calendar;  // "" = no records
  size_t max_events = 2000;
  CurlLimits limits;
};

// One stored event: its raw object, ETag and parsed form.
struct Stored {
  std::string etag;
  std::string ics;
  IcalComponent object;
  IcalEvent event;
};

class CalDavConnector final : public Connector {
 public:
  CalDavConnector(Config c, Redactor redactor, const Clock* clock)
      : c_(std::move(c)),
        clock_(clock != nullptr ? clock : &system_clock_),
        redactor_(redactor),
        http_(c_.limits, std::move(redactor)),
        actions_(sim::CalendarActionSpecs()) {}

  const std::string& name() const override { return name_; }

  Result<ActionResponse> Invoke(const ActionRequest& r) override {
    WFS_ASSIGN_OR_RETURN(const ActionArgs* spec,
                         FindAction(name_, actions_, r.action));
    WFS_RETURN_IF_ERROR(CheckArgs(name_, *spec, r));
    if (spec->read) {
      if (r.action == "find") return Find(r);
      return Get(r);
    }
    return Effect(*spec, r);
  }

  Result<std::string> ScopeKey(const std::string& action,
                               const std::string& param, const Json& value,
                               const ScopeMap& scopes) override {
    WFS_RETURN_IF_ERROR(FindAction(name_, actions_, action).status());
    if (param == "id" && action != "uncancel") {
      if (!value.is_string()) {
        return InvalidArgument("calendar: an event id must be a string");
      }
      WFS_ASSIGN_OR_RETURN(EventId id, ParseId(value.get<std::string>()));
      return id.calendar;
    }
    return Connector::ScopeKey(action, param, value, scopes);
  }

  Result<std::optional<ActionResponse>> Lookup(
      const std::string& idempotency_key) override;

  void EndRun(const std::string& run_id) override;

 private:
  // ---- HTTP
  // -------------------------------------------------------------------

  std::string CalendarUrl(const std::string& calendar) const {
    return c_.home + PercentEncode(calendar) + "/";
  }
  std::string ResourceUrl(const EventId& id) const {
    return CalendarUrl(id.calendar) + PercentEncode(id.resource);
  }

  Result<HttpResponse> Send(
      const std::string& method, const std::string& url,
      std::vector<std::pair<std::string, std::string>> headers = {},
      std::string body = "", bool has_body = false) {
    HttpRequest req;
    req.method = method;
    req.url = url;
    req.headers = std::move(headers);
    req.body = std::move(body);
    req.has_body = has_body;
    req.user = c_.user;
    req.password = c_.password.Reveal();
    return http_.Send(req);
  }

  // An error for an unexpected HTTP status, with the server's text redacted.
  Status HttpError(const HttpResponse& resp, const std::string& what) const {
    Code code = CodeForHttpStatus(resp.status);
    std::string text = resp.status == 401 ? "the server refused the credentials"
                                          : StrCat("HTTP ", resp.status);
    return Status(code, redactor_.Redact(StrCat(what, ": ", text)));
  }

  // ---- reading
  // ----------------------------------------------------------------

  Result<Stored> Fetch(const EventId& id, const std::string& context) {
    WFS_ASSIGN_OR_RETURN(HttpResponse resp, Send("GET", ResourceUrl(id)));
    if (resp.status == 404 || resp.status == 410) return NoEvent(id.Text());
    if (resp.status != 200) return HttpError(resp, context);
    Stored s;
    s.ics = std::move(resp.body);
    auto etag = resp.headers.find("etag");
    if (etag != resp.headers.end()) s.etag = etag->second;
    WFS_ASSIGN_OR_RETURN(s.event, ReadEvent(id, s.ics, &s.object));
    return s;
  }

  // The master event of `ics`. NotFound when it holds none; DataLoss when it
  // cannot be read.
  Result<IcalEvent> ReadEvent(const EventId& id, std::string_view ics,
                              IcalComponent* object) {
    IcalLimits limits;
    limits.max_bytes = c_.limits.max_response_bytes;
    Result<IcalComponent> parsed = ParseIcal(ics, limits);
    if (!parsed.ok()) {
      return DataLoss(StrCat("calendar: event ", Quote(id.Text()),
                             " cannot be read: ", parsed.status().message()));
    }
    Result<std::vector<IcalEvent>> events = EventsOf(*parsed);
    if (!events.ok()) {
      return DataLoss(StrCat("calendar: event ", Quote(id.Text()),
                             " cannot be read: ", events.status().message()));
    }
    if (events->empty()) return NoEvent(id.Text());
    if (object != nullptr) *object = std::move(*parsed);
    return std::move((*events)[0]);
  }

  Result<ActionResponse> Get(const ActionRequest& r) {
    const std::string raw = StrArg(r.args, "id");
    WFS_ASSIGN_OR_RETURN(EventId id, ParseId(raw));
    WFS_RETURN_IF_ERROR(
        CheckExactScopeValue(r, name_, "calendar", id.calendar));
    WFS_ASSIGN_OR_RETURN(Stored s, Fetch(id, "calendar.get"));
    ActionResponse out;
    out.result = EventJson(id, s.event);
    return out;
  }

  Result<ActionResponse> Find(const ActionRequest& r) {
    const std::string calendar = StrArg(r.args, "calendar");
    WFS_RETURN_IF_ERROR(CheckExactScopeValue(r, name_, "calendar", calendar));
    int64_t from = sim::ParseTimeMicros(StrArg(r.args, "from")).value();
    int64_t to = sim::ParseTimeMicros(StrArg(r.args, "to")).value();
    if (to < from) return Bad(r, "`to` is before `from`");
    if (!ValidName(calendar)) {
      return Bad(r, StrCat("argument `calendar`: ", Quote(calendar),
                           " is not a calendar name"));
    }
    // The server narrows by time (with a day's margin either side, for
    // floating times); the exact test is the simulator's, below.
    const int64_t lo =
        (from / kMicrosPerSecond) * kMicrosPerSecond - kMicrosPerDay;
    const int64_t hi =
        (to / kMicrosPerSecond + 1) * kMicrosPerSecond + kMicrosPerDay;
    std::string body = StrCat(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<C:calendar-query xmlns:D=\"DAV:\" "
        "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        "<C:filter><C:comp-filter name=\"VCALENDAR\">"
        "<C:comp-filter name=\"VEVENT\"><C:time-range start=\"",
        FormatIcalUtc(lo), "\" end=\"", FormatIcalUtc(hi),
        "\"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>");
    WFS_ASSIGN_OR_RETURN(
        HttpResponse resp,
        Send("REPORT", CalendarUrl(calendar),
             {{"Depth", "1"},
              {"Content-Type", "application/xml; charset=utf-8"}},
             std::move(body), true));
    ActionResponse out;
    out.result = Json::array();
    if (resp.status == 404) return out;  // no such calendar: nothing in it
    if (resp.status != 207) return HttpError(resp, "calendar.find");
    XmlLimits xl;
    xl.max_bytes = c_.limits.max_response_bytes;
    Result<std::vector<DavResponse>> ms = ParseMultistatus(resp.body, xl);
    if (!ms.ok()) {
      return Unavailable(redactor_.Redact(
          StrCat("calendar.find: unreadable answer from the server: ",
                 ms.status().message())));
    }
    const std::string prefix = c_.home_path + PercentEncode(calendar) + "/";
    std::vector<std::pair<int64_t, Json>> found;
    for (const DavResponse& d : *ms) {
      if (!d.has_calendar_data || d.status < 200 || d.status > 299) continue;
      std::string path = HrefPath(d.href);
      if (!StartsWith(path, prefix) || path.size() == prefix.size() ||
          path.back() == '/') {
        continue;  // not a resource directly in this calendar
      }
      EventId id{calendar, PercentDecode(path.substr(prefix.size()))};
      if (!ValidName(id.resource)) continue;
      Result<IcalEvent> e = ReadEvent(id, d.calendar_data, nullptr);
      if (e.status().code() == Code::kNotFound) continue;  // no VEVENT
      if (!e.ok()) return e.status();
      // Overlaps [from, to); an instant event counts when it lies inside.
      bool overlaps = e->start == e->end ? (e->start >= from && e->start < to)
                                         : (e->start < to && e->end > from);
      if (!overlaps) continue;
      if (found.size() >= c_.max_events) {
        return ResourceExhausted(
            StrCat("calendar.find: more than ", c_.max_events,
                   " events in the range; ask for a shorter one"));
      }
      found.emplace_back(e->start, EventJson(id, *e));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return a.second["id"].template get<std::string>() <
             b.second["id"].template get<std::string>();
    });
    for (auto& [start, ev] : found) out.result.push_back(std::move(ev));
    return out;
  }

  // ---- effects
  // ----------------------------------------------------------------

  Status Bad(const ActionRequest& r, const std::string& message) const {
    return InvalidArgument(StrCat(name_, ".", r.action, ": ", message));
  }

  // start/end of create and update: end after start, whole seconds.
  Status CheckTimes(const ActionRequest& r, int64_t* start, int64_t* end) {
    *start = sim::ParseTimeMicros(StrArg(r.args, "start")).value();
    *end = sim::ParseTimeMicros(StrArg(r.args, "end")).value();
    if (*end <= *start) return Bad(r, "`end` must be after `start`");
    for (const char* which : {"start", "end"}) {
      int64_t t = std::string_view(which) == "start" ? *start : *end;
      if (t % kMicrosPerSecond != 0) {
        return Bad(r, StrCat("argument `", which,
                             "`: iCalendar stores whole seconds only"));
      }
    }
    return Status::Ok();
  }

  Status CheckTitle(const ActionRequest& r, const std::string& title) {
    for (unsigned char c : title) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        return Bad(r, "argument `title` holds a control character");
      }
    }
    if (!IsValidUtf8(title)) return Bad(r, "argument `title` is not UTF-8");
    return Status::Ok();
  }

  IcalComponent NewObject(const std::string& uid, const std::string& title,
                          int64_t start, int64_t end,
                          const std::vector<std::string>& attendees,
                          const std::string& location,
                          const std::string& description) const {
    IcalComponent ev;
    ev.name = "VEVENT";
    ev.props.push_back(Prop("UID", uid));
    ev.props.push_back(Prop("DTSTAMP", FormatIcalUtc(NowSeconds())));
    ev.props.push_back(Prop("DTSTART", FormatIcalUtc(start)));
    ev.props.push_back(Prop("DTEND", FormatIcalUtc(end)));
    ev.props.push_back(Prop("SUMMARY", EscapeText(title)));
    if (!location.empty())
      ev.props.push_back(Prop("LOCATION", EscapeText(location)));
    if (!description.empty()) {
      ev.props.push_back(Prop("DESCRIPTION", EscapeText(description)));
    }
    for (const std::string& a : attendees) {
      IcalProperty p = Prop("ATTENDEE", "mailto:" + a);
      p.params.emplace_back("RSVP", "TRUE");
      ev.props.push_back(std::move(p));
    }
    ev.props.push_back(Prop("SEQUENCE", "0"));
    IcalComponent cal;
    cal.name = "VCALENDAR";
    cal.props.push_back(Prop("VERSION", "2.0"));
    cal.props.push_back(Prop("PRODID", kProdId));
    cal.children.push_back(std::move(ev));
    return cal;
  }

  int64_t NowSeconds() const {
    return (clock_->NowMicros() / kMicrosPerSecond) * kMicrosPerSecond;
  }

  Result<HttpResponse> Put(const EventId& id, const std::string& ics,
                           std::pair<std::string, std::string> condition) {
    return Send("PUT", ResourceUrl(id),
                {{"Content-Type", "text/calendar; charset=utf-8"},
                 std::move(condition)},
                ics, true);
  }

  // Performs one effect: replays a recorded response for a retried key,
  // records the intent, acts, records the outcome.
  Result<ActionResponse> Effect(const ActionArgs& spec, const ActionRequest& r);
  // What the effect will do, decided before anything changes: the response
  // and the request to make. Errors leave everything as it was.
  struct Plan {
    ActionResponse response;
    bool no_op = false;  // nothing to change (update with the same values)
    std::string method;  // PUT or DELETE
    EventId target;
    std::string body;
    std::pair<std::string, std::string> condition;
    // How Lookup tells whether it happened: the target exists afterwards
    // ("exists"), is gone ("absent"), or holds these values ("values").
    Json check;
  };
  Result<Plan> PlanEffect(const ActionRequest& r);
  Result<Plan> PlanCreate(const ActionRequest& r);
  Result<Plan> PlanUpdate(const ActionRequest& r);
  Result<Plan> PlanCancel(const ActionRequest& r);
  Result<Plan> PlanUncancel(const ActionRequest& r);
  Status Perform(const ActionRequest& r, const Plan& p);

  // ---- effect records (Lookup)
  // ------------------------------------------------

  bool records() const { return !c_.effects_calendar.empty(); }
  static std::string KeyHash(const std::string& key) {
    return Sha256Hex(key).substr(0, 40);
  }
  std::string RecordUrl(const std::string& key,
                        const std::string& phase) const {
    return CalendarUrl(c_.effects_calendar) + KeyHash(key) + "." + phase +
           ".ics";
  }
  Status WriteRecord(const std::string& key, const std::string& run_id,
                     const std::string& phase, const Json& doc);
  Result<std::optional<Json>> ReadRecord(const std::string& key,
                                         const std::string& phase);
  void DeleteRecord(const std::string& key, const std::string& phase);
  // Whether an effect whose intent was recorded happened, from the state of
  // its target; nullopt when that cannot be told.
  Result<std::optional<bool>> Happened(const Json& intent);

  const std::string name_ = "calendar";
  Config c_;
  SystemClock system_clock_;
  const Clock* clock_;
  Redactor redactor_;
  HttpClient http_;
  std::vector<ActionArgs> actions_;
  std::mutex mu_;               // guards runs_
  std::set<std::string> runs_;  // runs whose effects were recorded here
};

Result<ActionResponse> CalDavConnector::Effect(const ActionArgs& spec,
                                               const ActionRequest& r) {
  const std::string& key = r.idempotency_key;
  const bool record = records() && !key.empty();
  const std::string digest = Sha256Hex(CanonicalJson(r.args));
  if (record && !r.compensation) {
    // A retried effect (same key, action and arguments) is not done twice.
    WFS_ASSIGN_OR_RETURN(std::optional<Json> done, ReadRecord(key, "done"));
    if (done && sim::StringField(*done, "action") == spec.name &&
        sim::StringField(*done, "args_digest") == digest &&
        !done->value("compensation", false)) {
      ActionResponse replay;
      replay.result = done->value("result", Json());
      replay.undo = done->value("undo", Json());
      return replay;
    }
  }
  WFS_ASSIGN_OR_RETURN(Plan plan, PlanEffect(r));
  if (plan.no_op) return plan.response;
  Json intent = {{"action", spec.name},
                 {"args_digest", digest},
                 {"compensation", r.compensation},
                 {"target", plan.target.Text()},
                 {"check", plan.check},
                 {"result", plan.response.result},
                 {"undo", plan.response.undo}};
  if (record) {
    Status s = WriteRecord(key, r.run_id, "intent", intent);
    if (!s.ok()) {
      return Status(s.code(),
                    StrCat("calendar.", spec.name,
                           ": not done, the effect could not be recorded "
                           "first: ",
                           s.message()));
    }
  }
  Status done = Perform(r, plan);
  if (!done.ok()) {
    // A definite refusal changed nothing; without an answer the intent stays
    // for Lookup to settle.
    if (record && done.code() != Code::kUnavailable &&
        done.code() != Code::kDeadlineExceeded) {
      DeleteRecord(key, "intent");
    }
    return done;
  }
  if (record) {
    intent["phase"] = "done";
    // Best effort: without it, Lookup settles the intent from the target.
    WriteRecord(key, r.run_id, "done", intent).IgnoreError();
  }
  return plan.response;
}

Result<CalDavConnector::Plan> CalDavConnector::PlanEffect(
    const ActionRequest& r) {
  if (r.action == "create") return PlanCreate(r);
  if (r.action == "update") return PlanUpdate(r);
  if (r.action == "cancel") return PlanCancel(r);
  return PlanUncancel(r);
}

Result<CalDavConnector::Plan> CalDavConnector::PlanCreate(
    const ActionRequest& r) {
  const std::string calendar = StrArg(r.args, "calendar");
  if (calendar.empty()) return Bad(r, "argument `calendar` must not be empty");
  WFS_RETURN_IF_ERROR(CheckExactScopeValue(r, name_, "calendar", calendar));
  int64_t start = 0, end = 0;
  WFS_RETURN_IF_ERROR(CheckTimes(r, &start, &end));
  if (!ValidName(calendar)) {
    return Bad(r, StrCat("argument `calendar`: ", Quote(calendar),
                         " is not a calendar name"));
  }
  const std::string title = StrArg(r.args, "title");
  WFS_RETURN_IF_ERROR(CheckTitle(r, title));
  std::vector<std::string> attendees;
  const Json& list = r.args["attendees"];
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string a = list[i].get<std::string>();
    if (!ValidAddress(a)) {
      return Bad(r, StrCat("argument `attendees[", i, "]`: ", Quote(a),
                           " is not an email address"));
    }
    attendees.push_back(a);
  }
  // A key makes the resource name, so a retry cannot make a second event.
  const std::string uid =
      "wfs-" + (r.idempotency_key.empty()
                    ? SecureRandomHex(16)
                    : Sha256Hex(r.idempotency_key).substr(0, 32));
  Plan p;
  p.method = "PUT";
  p.target = EventId{calendar, uid + ".ics"};
  p.body = WriteIcal(NewObject(uid, title, start, end, attendees, "", ""));
  p.condition = {"If-None-Match", "*"};
  IcalEvent e;
  e.uid = uid;
  e.summary = title;
  e.start = start;
  e.end = end;
  e.attendees = attendees;
  p.response.result = EventJson(p.target, e);
  p.response.undo = Undo("cancel", {{"id", p.target.Text()}});
  p.check = {{"kind", "exists"}};
  return p;
}

Result<CalDavConnector::Plan> CalDavConnector::PlanUpdate(
    const ActionRequest& r) {
  WFS_ASSIGN_OR_RETURN(EventId id, ParseId(StrArg(r.args, "id")));
  WFS_RETURN_IF_ERROR(CheckExactScopeValue(r, name_, "calendar", id.calendar));
  int64_t start = 0, end = 0;
  WFS_RETURN_IF_ERROR(CheckTimes(r, &start, &end));
  const std::string title = StrArg(r.args, "title");
  WFS_RETURN_IF_ERROR(CheckTitle(r, title));
  WFS_ASSIGN_OR_RETURN(Stored s, Fetch(id, "calendar.update"));
  Plan p;
  p.target = id;
  IcalEvent now = s.event;
  now.summary = title;
  now.start = start;
  now.end = end;
  p.response.result = EventJson(id, now);
  if (s.event.summary == title && s.event.start == start &&
      s.event.end == end) {
    p.no_op = true;
    return p;
  }
  IcalComponent* ev = MasterEvent(s.object);
  if (ev == nullptr) return NoEvent(id.Text());
  ev->Set(Prop("SUMMARY", EscapeText(title)));
  ev->Set(Prop("DTSTART", FormatIcalUtc(start)));
  ev->Set(Prop("DTEND", FormatIcalUtc(end)));
  ev->Remove("DURATION");
  int64_t seq = 0;
  if (const IcalProperty* sp = ev->Find("SEQUENCE")) {
    seq = std::atoll(sp->value.c_str());
    if (seq < 0 || seq > 1000000000) seq = 0;
  }
  ev->Set(Prop("SEQUENCE", std::to_string(seq + 1)));
  ev->Set(Prop("DTSTAMP", FormatIcalUtc(NowSeconds())));
  ev->Set(Prop("LAST-MODIFIED", FormatIcalUtc(NowSeconds())));
  p.method = "PUT";
  p.body = WriteIcal(s.object);
  p.condition = s.etag.empty()
                    ? std::make_pair(std::string("If-Match"), std::string("*"))
                    : std::make_pair(std::string("If-Match"), s.etag);
  p.response.undo = Undo("update", {{"id", id.Text()},
                                    {"title", ToValidUtf8(s.event.summary)},
                                    {"start", Rfc3339(s.event.start)},
                                    {"end", Rfc3339(s.event.end)}});
  p.check = {{"kind", "values"},
             {"title", p.response.result["title"]},
             {"start", p.response.result["start"]},
             {"end", p.response.result["end"]},
             {"before", p.response.undo["args"]}};
  return p;
}

Result<CalDavConnector::Plan> CalDavConnector::PlanCancel(
    const ActionRequest& r) {
  WFS_ASSIGN_OR_RETURN(EventId id, ParseId(StrArg(r.args, "id")));
  WFS_RETURN_IF_ERROR(CheckExactScopeValue(r, name_, "calendar", id.calendar));
  WFS_ASSIGN_OR_RETURN(Stored s, Fetch(id, "calendar.cancel"));
  Plan p;
  p.method = "DELETE";
  p.target = id;
  p.condition = {"If-Match", s.etag.empty() ? std::string("*") : s.etag};
  p.response.undo = Undo("uncancel", {{"id", id.Text()},
                                      {"_event", EventJson(id, s.event)},
                                      {"_ics", ToValidUtf8(s.ics)}});
  p.check = {{"kind", "absent"}};
  return p;
}

Result<CalDavConnector::Plan> CalDavConnector::PlanUncancel(
    const ActionRequest& r) {
  const std::string raw_id = StrArg(r.args, "id");
  const Json* kept = sim::FieldOf(r.args, "_event");
  if (kept == nullptr) {
    return Bad(r,
               "needs the event kept by cancel (the `_event` argument "
               "of cancel's undo record)");
  }
  if (sim::StringField(*kept, "id") != raw_id) {
    return Bad(r, "`_event` is not the event named by `id`");
  }
  const Json* cal = sim::FieldOf(*kept, "calendar");
  if (cal == nullptr || !cal->is_string())
    return Bad(r, "`_event` has no calendar");
  WFS_RETURN_IF_ERROR(
      CheckExactScopeValue(r, name_, "calendar", cal->get<std::string>()));
  WFS_ASSIGN_OR_RETURN(EventId id, ParseId(raw_id));
  if (id.calendar != cal->get<std::string>()) {
    return Bad(r, "`_event`'s calendar is not the one its id names");
  }
  Plan p;
  p.method = "PUT";
  p.target = id;
  p.condition = {"If-None-Match", "*"};
  std::string ics = sim::StringField(r.args, "_ics");
  if (!ics.empty()) {
    Result<IcalEvent> e = ReadEvent(id, ics, nullptr);
    if (!e.ok()) {
      return Bad(r, StrCat("`_ics` is not an event: ", e.status().message()));
    }
    p.body = std::move(ics);
  } else {
    // Rebuilt from the record (an undo record of another implementation).
    Result<int64_t> start =
        sim::ParseTimeMicros(sim::StringField(*kept, "start"));
    Result<int64_t> end = sim::ParseTimeMicros(sim::StringField(*kept, "end"));
    if (!start.ok() || !end.ok() || *end < *start) {
      return Bad(r, "`_event` has no valid start and end");
    }
    std::vector<std::string> attendees;
    if (const Json* a = sim::FieldOf(*kept, "attendees"); a && a->is_array()) {
      for (const Json& v : *a) {
        if (v.is_string() && ValidAddress(v.get<std::string>())) {
          attendees.push_back(v.get<std::string>());
        }
      }
    }
    std::string uid = id.resource;
    if (EndsWith(uid, ".ics")) uid.resize(uid.size() - 4);
    p.body = WriteIcal(NewObject(uid, sim::StringField(*kept, "title"),
                                 (*start / kMicrosPerSecond) * kMicrosPerSecond,
                                 (*end / kMicrosPerSecond) * kMicrosPerSecond,
                                 attendees, sim::StringField(*kept, "location"),
                                 sim::StringField(*kept, "description")));
  }
  p.response.undo = Undo("cancel", {{"id", id.Text()}});
  p.check = {{"kind", "exists"}};
  return p;
}

Status CalDavConnector::Perform(const ActionRequest& r, const Plan& p) {
  const std::string what = StrCat("calendar.", r.action);
  Result<HttpResponse> resp =
      p.method == "DELETE"
          ? Send("DELETE", ResourceUrl(p.target), {p.condition})
          : Put(p.target, p.body, p.condition);
  if (!resp.ok()) return resp.status();
  long st = resp->status;
  if (st >= 200 && st <= 299) return Status::Ok();
  if (st == 412) {
    if (r.action == "create" || r.action == "uncancel") {
      return AlreadyExists(
          StrCat(what, ": event ", Quote(p.target.Text()), " exists"));
    }
    return FailedPrecondition(StrCat(
        what, ": event ", Quote(p.target.Text()),
        " was changed by someone else meanwhile; nothing was done, try again"));
  }
  if ((st == 404 || st == 409) &&
      (r.action == "create" || r.action == "uncancel")) {
    return NotFound(StrCat(what, ": no calendar ", Quote(p.target.calendar)));
  }
  if (st == 404 || st == 410) return NoEvent(p.target.Text());
  return HttpError(*resp, what);
}

// ---- effect records
// ----------------------------------------------------------

Status CalDavConnector::WriteRecord(const std::string& key,
                                    const std::string& run_id,
                                    const std::string& phase, const Json& doc) {
  IcalComponent j;
  j.name = "VJOURNAL";
  j.props.push_back(Prop("UID", KeyHash(key) + "." + phase));
  j.props.push_back(Prop("DTSTAMP", FormatIcalUtc(NowSeconds())));
  j.props.push_back(Prop("SUMMARY", "wfstore effect record"));
  j.props.push_back(Prop("X-WFS-RUN", KeyHash(run_id)));
  j.props.push_back(Prop("DESCRIPTION", EscapeText(doc.dump())));
  IcalComponent cal;
  cal.name = "VCALENDAR";
  cal.props.push_back(Prop("VERSION", "2.0"));
  cal.props.push_back(Prop("PRODID", kProdId));
  cal.children.push_back(std::move(j));
  const std::string body = WriteIcal(cal);
  const std::string url = RecordUrl(key, phase);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "text/calendar; charset=utf-8"}};
  WFS_ASSIGN_OR_RETURN(HttpResponse resp,
                       Send("PUT", url, headers, body, true));
  if (resp.status == 404 || resp.status == 409) {
    // The records calendar does not exist yet: make it.
    std::string mk = StrCat(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<C:mkcalendar xmlns:D=\"DAV:\" "
        "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:set><D:prop>"
        "<D:displayname>wfstore effect records</D:displayname>"
        "<C:supported-calendar-component-set><C:comp name=\"VJOURNAL\"/>"
        "</C:supported-calendar-component-set></D:prop></D:set>"
        "</C:mkcalendar>");
    WFS_ASSIGN_OR_RETURN(
        HttpResponse made,
        Send("MKCALENDAR", CalendarUrl(c_.effects_calendar),
             {{"Content-Type", "application/xml; charset=utf-8"}}, mk, true));
    if (made.status != 201 && made.status != 405) {
      return HttpError(made, "calendar: making the effects calendar");
    }
    WFS_ASSIGN_OR_RETURN(resp, Send("PUT", url, headers, body, true));
  }
  if (resp.status < 200 || resp.status > 299) {
    return HttpError(resp, "calendar: recording an effect");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (runs_.size() < 10000) runs_.insert(run_id);
  return Status::Ok();
}

Result<std::optional<Json>> CalDavConnector::ReadRecord(
    const std::string& key, const std::string& phase) {
  WFS_ASSIGN_OR_RETURN(HttpResponse resp, Send("GET", RecordUrl(key, phase)));
  if (resp.status == 404 || resp.status == 410) return std::optional<Json>();
  if (resp.status != 200)
    return HttpError(resp, "calendar: reading an effect record");
  Result<IcalComponent> cal = ParseIcal(resp.body);
  const IcalProperty* d = nullptr;
  if (cal.ok()) {
    for (const IcalComponent& c : cal->children) {
      if (c.name == "VJOURNAL") d = c.Find("DESCRIPTION");
    }
  }
  if (d == nullptr) {
    return DataLoss("calendar: an effect record cannot be read");
  }
  Result<Json> doc = ParseJson(UnescapeText(d->value));
  if (!doc.ok() || !doc->is_object()) {
    return DataLoss("calendar: an effect record cannot be read");
  }
  return std::optional<Json>(std::move(*doc));
}

void CalDavConnector::DeleteRecord(const std::string& key,
                                   const std::string& phase) {
  Send("DELETE", RecordUrl(key, phase)).status().IgnoreError();
}

Result<std::optional<bool>> CalDavConnector::Happened(const Json& intent) {
  Result<EventId> id = ParseId(sim::StringField(intent, "target"));
  if (!id.ok()) return std::optional<bool>();
  const Json* check = sim::FieldOf(intent, "check");
  const std::string kind = check ? sim::StringField(*check, "kind") : "";
  Result<Stored> s = Fetch(*id, "calendar: checking an effect");
  if (!s.ok() && s.status().code() != Code::kNotFound) return s.status();
  const bool exists = s.ok();
  if (kind == "exists") return std::optional<bool>(exists);
  if (kind == "absent") return std::optional<bool>(!exists);
  if (kind == "values" && exists) {
    Json now = EventJson(*id, s->event);
    auto same = [&](const Json& want) {
      return want.is_object() && now["title"] == want.value("title", Json()) &&
             now["start"] == want.value("start", Json()) &&
             now["end"] == want.value("end", Json());
    };
    if (same(*check)) return std::optional<bool>(true);
    if (same(check->value("before", Json()))) return std::optional<bool>(false);
  }
  return std::optional<bool>();
}

Result<std::optional<ActionResponse>> CalDavConnector::Lookup(
    const std::string& key) {
  if (!records()) {
    return Unimplemented(
        "calendar: effects are not recorded (no effects_calendar is "
        "configured), so whether one happened cannot be told");
  }
  if (key.empty()) return std::optional<ActionResponse>();
  WFS_ASSIGN_OR_RETURN(std::optional<Json> rec, ReadRecord(key, "done"));
  if (!rec) {
    WFS_ASSIGN_OR_RETURN(rec, ReadRecord(key, "intent"));
    if (!rec) return std::optional<ActionResponse>();  // never started
    WFS_ASSIGN_OR_RETURN(std::optional<bool> happened, Happened(*rec));
    if (!happened) {
      return Unavailable(StrCat(
          "calendar.", sim::StringField(*rec, "action"), " on ",
          Quote(sim::StringField(*rec, "target")),
          " was started, and the event has since changed in a way that does "
          "not tell whether it happened"));
    }
    if (!*happened) return std::optional<ActionResponse>();
  }
  ActionResponse out;
  out.result = rec->value("result", Json());
  out.undo = rec->value("undo", Json());
  return std::optional<ActionResponse>(std::move(out));
}

void CalDavConnector::EndRun(const std::string& run_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (runs_.erase(run_id) == 0) return;
  }
  // Best effort: the run's records are no longer needed.
  std::string body = StrCat(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<C:calendar-query xmlns:D=\"DAV:\" "
      "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
      "<D:prop><D:getetag/></D:prop>"
      "<C:filter><C:comp-filter name=\"VCALENDAR\">"
      "<C:comp-filter name=\"VJOURNAL\"><C:prop-filter name=\"X-WFS-RUN\">"
      "<C:text-match collation=\"i;octet\">",
      KeyHash(run_id),
      "</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>"
      "</C:filter></C:calendar-query>");
  Result<HttpResponse> resp =
      Send("REPORT", CalendarUrl(c_.effects_calendar),
           {{"Depth", "1"}, {"Content-Type", "application/xml; charset=utf-8"}},
           std::move(body), true);
  if (!resp.ok() || resp->status != 207) return;
  Result<std::vector<DavResponse>> ms = ParseMultistatus(resp->body);
  if (!ms.ok()) return;
  const std::string prefix =
      c_.home_path + PercentEncode(c_.effects_calendar) + "/";
  for (const DavResponse& d : *ms) {
    std::string path = HrefPath(d.href);
    if (!StartsWith(path, prefix) || path.size() == prefix.size()) continue;
    std::string resource = path.substr(prefix.size());
    if (resource.find('/') != std::string::npos) continue;
    Send("DELETE", CalendarUrl(c_.effects_calendar) + resource)
        .status()
        .IgnoreError();
  }
}

// ---- configuration
// ---------------------------------------------------------------

Status ConfigError(const std::string& key, const std::string& what) {
  return InvalidArgument(StrCat("calendar.", key, ": ", what));
}

}  // namespace

Result<std::unique_ptr<Connector>> MakeCalendarConnector(
    const Json& config, SecretResolver& secrets, const Clock* clock) {
  if (!config.is_object()) {
    return InvalidArgument("calendar: the config must be an object");
  }
  static const char* const kKeys[] = {"kind",
                                      "url",
                                      "user",
                                      "password",
                                      "effects_calendar",
                                      "max_events",
                                      "allow_plaintext",
                                      "timeout_ms",
                                      "connect_timeout_ms",
                                      "max_response_bytes",
                                      "proxy",
                                      "ca_file"};
  for (auto it = config.begin(); it != config.end(); ++it) {
    bool known = false;
    for (const char* k : kKeys) known |= it.key() == k;
    if (!known) {
      std::vector<std::string> names(std::begin(kKeys), std::end(kKeys));
      return ConfigError(
          it.key(), StrCat("unknown key (known: ", StrJoin(names, ", "), ")"));
    }
  }
  Config c;
  for (const char* k : {"url", "user"}) {
    if (!config.contains(k) || !config[k].is_string() ||
        config[k].get<std::string>().empty()) {
      return ConfigError(k, "required, a non-empty string");
    }
  }
  c.home = config["url"].get<std::string>();
  c.user = config["user"].get<std::string>();
  if (!c.home.empty() && c.home.back() != '/') c.home += '/';
  WFS_ASSIGN_OR_RETURN(UrlParts url, ParseUrl(c.home));
  if (url.scheme != "http" && url.scheme != "https") {
    return ConfigError("url",
                       StrCat(Quote(c.home), " is not an http or https URL"));
  }
  if (!url.query.empty() || !url.user.empty()) {
    return ConfigError("url", "must have no query or user part");
  }
  bool allow_plaintext = false;
  if (config.contains("allow_plaintext")) {
    if (!config["allow_plaintext"].is_boolean()) {
      return ConfigError("allow_plaintext", "must be true or false");
    }
    allow_plaintext = config["allow_plaintext"].get<bool>();
  }
  if (url.scheme == "http" && !IsLoopbackHost(url.host) && !allow_plaintext) {
    return ConfigError("url",
                       StrCat("plain http to ", url.host,
                              " would send the password unencrypted; use "
                              "https (or set allow_plaintext)"));
  }
  c.home_path = url.path.empty() ? "/" : url.path;
  if (c.home_path.back() != '/') c.home_path += '/';
  if (!config.contains("password")) {
    return ConfigError("password",
                       "required, a secret reference such as "
                       "{\"env\": \"CALDAV_PASSWORD\"}");
  }
  Result<Secret> password = secrets.Resolve(config["password"]);
  if (!password.ok()) {
    return password.status().WithContext("calendar.password");
  }
  c.password = std::move(*password);
  c.effects_calendar = kDefaultEffectsCalendar;
  if (config.contains("effects_calendar")) {
    const Json& e = config["effects_calendar"];
    if (e.is_null()) {
      c.effects_calendar.clear();
    } else if (!e.is_string() || !ValidName(e.get<std::string>())) {
      return ConfigError("effects_calendar",
                         "must be a calendar name (one path segment) or null");
    } else {
      c.effects_calendar = e.get<std::string>();
    }
  }
  if (config.contains("max_events")) {
    const Json& m = config["max_events"];
    if (!m.is_number_integer() || m.get<int64_t>() < 1 ||
        m.get<int64_t>() > 100000) {
      return ConfigError("max_events", "must be an integer from 1 to 100000");
    }
    c.max_events = static_cast<size_t>(m.get<int64_t>());
  }
  WFS_ASSIGN_OR_RETURN(c.limits, CurlLimitsFromConfig(config, "calendar"));
  Redactor redactor;
  redactor.Add(c.password.Reveal(), c.user);
  return std::unique_ptr<Connector>(std::make_unique<CalDavConnector>(
      std::move(c), std::move(redactor), clock));
}

}  // namespace wfs::connectors::calendar
