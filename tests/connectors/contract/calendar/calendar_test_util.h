// Shared by the calendar contract suites: a CalDAV client for tests (libcurl
// directly, independent of the connector's HTTP code) that sets up and reads
// back state on the test Radicale, and a connector made from the test env.
#ifndef WFSTORE_TESTS_CONNECTORS_CONTRACT_CALENDAR_CALENDAR_TEST_UTIL_H_
#define WFSTORE_TESTS_CONNECTORS_CONTRACT_CALENDAR_CALENDAR_TEST_UTIL_H_

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "base/json.h"
#include "connectors/calendar/caldav.h"
#include "connectors/secrets.h"
#include "testenv.h"

namespace wfs::connectors::contract {

struct HttpResult {
  long status = 0;
  std::string body;
};

// One request to the test server with Basic auth; status 0 when it failed.
inline HttpResult TestHttp(const std::string& method, const std::string& url,
                           const std::string& user, const std::string& password,
                           const std::string& body = "",
                           std::vector<std::string> headers = {}) {
  HttpResult out;
  CURL* c = curl_easy_init();
  if (c == nullptr) return out;
  curl_slist* h = nullptr;
  for (const std::string& line : headers)
    h = curl_slist_append(h, line.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, user.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (!body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION,
      +[](char* p, size_t s, size_t n, void* u) -> size_t {
        static_cast<std::string*>(u)->append(p, s * n);
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  if (curl_easy_perform(c) == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return out;
}

// The test Radicale account: calendars made and removed by the test.
class TestCalDav {
 public:
  explicit TestCalDav(const testenv::Env& env)
      : principal_(env.at("WFS_CALDAV_PRINCIPAL_URL")),
        user_(env.at("WFS_CALDAV_USER")),
        password_(env.at("WFS_CALDAV_PASSWORD")) {}
  ~TestCalDav() {
    for (const std::string& cal : made_) {
      TestHttp("DELETE", principal_ + cal + "/", user_, password_);
    }
  }
  TestCalDav(const TestCalDav&) = delete;
  TestCalDav& operator=(const TestCalDav&) = delete;

  const std::string& principal() const { return principal_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }

  // Makes calendar `name` (removed again when this object goes).
  bool MakeCalendar(const std::string& name) {
    std::string body =
        "<?xml version=\"1.0\"?><C:mkcalendar xmlns:D=\"DAV:\" "
        "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:set><D:prop>"
        "<C:supported-calendar-component-set><C:comp name=\"VEVENT\"/>"
        "</C:supported-calendar-component-set></D:prop></D:set>"
        "</C:mkcalendar>";
    HttpResult r = Http("MKCALENDAR", principal_ + name + "/", body,
                        {"Content-Type: application/xml"});
    made_.push_back(name);
    return r.status == 201;
  }
  // Removes `name` at the end even if the connector made it.
  void Forget(const std::string& name) { made_.push_back(name); }

  HttpResult Http(const std::string& method, const std::string& url,
                  const std::string& body = "",
                  std::vector<std::string> headers = {}) const {
    return TestHttp(method, url, user_, password_, body, std::move(headers));
  }

  // Stores `ics` as <calendar>/<resource>.
  bool Put(const std::string& calendar, const std::string& resource,
           const std::string& ics) const {
    HttpResult r = Http("PUT", principal_ + calendar + "/" + resource, ics,
                        {"Content-Type: text/calendar"});
    return r.status == 201 || r.status == 204;
  }

  // The resource names in a calendar (PROPFIND), sorted.
  std::vector<std::string> Resources(const std::string& calendar) const {
    HttpResult r = Http("PROPFIND", principal_ + calendar + "/",
                        "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\">"
                        "<prop><getetag/></prop></propfind>",
                        {"Depth: 1", "Content-Type: application/xml"});
    std::vector<std::string> out;
    std::regex href("<(?:[A-Za-z0-9]+:)?href>([^<]*)</(?:[A-Za-z0-9]+:)?href>");
    for (auto it = std::sregex_iterator(r.body.begin(), r.body.end(), href);
         it != std::sregex_iterator(); ++it) {
      std::string h = (*it)[1];
      if (h.empty() || h.back() == '/') continue;
      out.push_back(h.substr(h.rfind('/') + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string Get(const std::string& calendar,
                  const std::string& resource) const {
    return Http("GET", principal_ + calendar + "/" + resource).body;
  }

  // The events of a calendar as stored, read with plain text matching:
  // [{"summary", "dtstart", "dtend", "attendees"}] sorted by DTSTART. Values
  // are the raw property values ("20260105T100000Z").
  Json Events(const std::string& calendar) const {
    std::vector<Json> events;
    for (const std::string& res : Resources(calendar)) {
      std::string ics = Get(calendar, res);
      // Unfold, then read the first VEVENT's lines.
      std::string unfolded;
      for (size_t i = 0; i < ics.size(); ++i) {
        if (ics[i] == '\r') continue;
        if (ics[i] == '\n' && i + 1 < ics.size() &&
            (ics[i + 1] == ' ' || ics[i + 1] == '\t')) {
          ++i;
          continue;
        }
        unfolded += ics[i];
      }
      Json e = {{"summary", ""},
                {"dtstart", ""},
                {"dtend", ""},
                {"attendees", Json::array()}};
      bool in_event = false;
      std::istringstream lines(unfolded);
      std::string line;
      while (std::getline(lines, line)) {
        if (line == "BEGIN:VEVENT") in_event = true;
        if (line == "END:VEVENT") break;
        if (!in_event) continue;
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, line.find_first_of(";:"));
        std::string value = line.substr(colon + 1);
        if (name == "SUMMARY") e["summary"] = value;
        if (name == "DTSTART") e["dtstart"] = value;
        if (name == "DTEND") e["dtend"] = value;
        if (name == "ATTENDEE") e["attendees"].push_back(value);
      }
      if (in_event) events.push_back(e);
    }
    std::sort(events.begin(), events.end(), [](const Json& a, const Json& b) {
      return a["dtstart"].get<std::string>() < b["dtstart"].get<std::string>();
    });
    return Json(events);
  }

 private:
  std::string principal_;
  std::string user_;
  std::string password_;
  std::vector<std::string> made_;
};

// The real connector on the test Radicale. The password reaches it through a
// SecretResolver reading an injected environment.
inline Result<std::unique_ptr<Connector>> MakeTestCalendar(
    const TestCalDav& dav, Json extra = Json::object()) {
  std::string password = dav.password();
  SecretResolver secrets(
      [password](const std::string& name) -> std::optional<std::string> {
        if (name == "WFS_TEST_CALDAV_PASSWORD") return password;
        return std::nullopt;
      });
  Json config = {{"kind", "calendar"},
                 {"url", dav.principal()},
                 {"user", dav.user()},
                 {"password", {{"env", "WFS_TEST_CALDAV_PASSWORD"}}},
                 {"timeout_ms", 20000}};
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    config[it.key()] = it.value();
  }
  return calendar::MakeCalendarConnector(config, secrets);
}

// A one-event calendar object as another client would store it.
inline std::string EventIcs(const std::string& uid, const std::string& title,
                            const std::string& start, const std::string& end,
                            const std::vector<std::string>& attendees = {}) {
  std::string out =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//contract//EN\r\n"
      "BEGIN:VEVENT\r\nUID:" +
      uid +
      "\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART:" +
      start + "\r\nDTEND:" + end + "\r\nSUMMARY:" + title + "\r\n";
  for (const std::string& a : attendees) {
    out += "ATTENDEE:mailto:" + a + "\r\n";
  }
  out += "END:VEVENT\r\nEND:VCALENDAR\r\n";
  return out;
}

// "2026-01-05T10:00:00Z" -> "20260105T100000Z".
inline std::string IcalTime(const std::string& rfc3339) {
  std::string out;
  for (char c : rfc3339) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

}  // namespace wfs::connectors::contract

#endif  // WFSTORE_TESTS_CONNECTORS_CONTRACT_CALENDAR_CALENDAR_TEST_UTIL_H_
