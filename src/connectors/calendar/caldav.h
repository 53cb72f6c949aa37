// The calendar connector over CalDAV (RFC 4791, libcurl): the actions of
// catalog/interfaces/calendar.wfi with the calendar simulator's semantics
// (docs/simulators.md, "calendar"); configuration, ids, undo, Lookup and the
// differences from the simulator are in docs/connectors/calendar.md.
//
// Calendars are the collections directly below one calendar home URL: the
// calendar named "work" is <url>work/. An event id is
// "<calendar>/<resource>", the event's calendar and the name of the
// resource holding it ("work/wfs-3f2a...ics"), so ScopeKey(id) is read from
// the id itself without asking the server, and an id can only name an event
// in the calendar it says. Times come back in UTC ("...Z").
//
// Every request carries the server's ETag condition (If-Match on update and
// cancel, If-None-Match: * on create and uncancel), so a concurrent change
// is refused rather than overwritten. Effects with an idempotency key are
// recorded in a calendar of their own ("effects_calendar") before and after
// they happen, which is what Lookup reads after a crash.
//
// Thread-safe: HTTP requests are serialised on one connection.
#ifndef WFSTORE_CONNECTORS_CALENDAR_CALDAV_H_
#define WFSTORE_CONNECTORS_CALENDAR_CALDAV_H_

#include <memory>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/secrets.h"

namespace wfs::connectors::calendar {

// Makes the connector from its config:
//
//   {"url": "https://dav.example.com/alice/",   calendar home (required)
//    "user": "alice",                            (required)
//    "password": {"env": "CALDAV_PASSWORD"},     secret reference (required)
//    "effects_calendar": "wfstore-effects",      records for Lookup; null: none
//    "max_events": 2000,                         most events find returns
//    "allow_plaintext": false,                   http:// beyond loopback
//    "timeout_ms": 30000, "connect_timeout_ms": 10000,
//    "max_response_bytes": 8388608, "proxy": "", "ca_file": ""}
//
// "kind" is accepted and ignored (the factory's selector). InvalidArgument
// naming the key for an unknown key, a value of the wrong type, a URL that
// is not http(s), or plain http to a host other than loopback without
// "allow_plaintext"; errors resolving the password keep their code. Nothing
// is sent to the server here. `clock` stamps DTSTAMP and LAST-MODIFIED
// (nullptr: the system clock; otherwise it must outlive the connector).
// `secrets` is used only during the call.
Result<std::unique_ptr<Connector>> MakeCalendarConnector(
    const Json& config, SecretResolver& secrets, const Clock* clock = nullptr);

}  // namespace wfs::connectors::calendar

#endif  // WFSTORE_CONNECTORS_CALENDAR_CALDAV_H_
