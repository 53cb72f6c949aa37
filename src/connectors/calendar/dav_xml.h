// WebDAV XML (RFC 4918 multistatus, as CalDAV REPORT and PROPFIND answer):
// a small namespace-aware XML reader and the multistatus fields the
// calendar connector uses. The input is untrusted: no DTD is accepted (so
// no entity expansion), nesting and size are bounded, nothing throws, and
// the tree is built without recursion. No network code: library
// wfs_conn_calendar_parse, fuzzed by fuzz/connectors/fuzz_ical.cc.
#ifndef WFSTORE_CONNECTORS_CALENDAR_DAV_XML_H_
#define WFSTORE_CONNECTORS_CALENDAR_DAV_XML_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wfs::connectors::calendar {

struct XmlLimits {
  size_t max_bytes = 32 << 20;
  size_t max_depth = 64;
  size_t max_elements = 1 << 20;
  size_t max_attributes = 64;  // on one element
};

struct XmlElement {
  std::string ns;     // namespace URI ("DAV:"), "" when none
  std::string local;  // local name ("href")
  std::string text;   // character data directly inside, entities decoded
  std::vector<std::unique_ptr<XmlElement>> children;

  // The first child with this namespace and local name, or nullptr.
  const XmlElement* Child(std::string_view want_ns,
                          std::string_view want_local) const;
};

// Parses a document. InvalidArgument (naming the byte offset) for malformed
// XML, a DOCTYPE, an undeclared prefix or an unknown entity;
// ResourceExhausted past the limits.
Result<std::unique_ptr<XmlElement>> ParseXml(std::string_view text,
                                             const XmlLimits& limits = {});

inline constexpr char kDavNs[] = "DAV:";
inline constexpr char kCalDavNs[] = "urn:ietf:params:xml:ns:caldav";

// One DAV:response of a multistatus, with the properties the connector
// reads from its successful (2xx) propstat.
struct DavResponse {
  std::string href;           // as sent (percent-encoded path or URL)
  int status = 0;             // the response's status, or its 2xx propstat's
  std::string etag;           // DAV:getetag
  std::string calendar_data;  // CALDAV:calendar-data
  bool has_calendar_data = false;
};

// The responses of a DAV:multistatus document. InvalidArgument when it is
// not one.
Result<std::vector<DavResponse>> ParseMultistatus(std::string_view xml,
                                                  const XmlLimits& limits = {});

// "HTTP/1.1 200 OK" -> 200; 0 when unreadable.
int ParseStatusLine(std::string_view line);

// Text for an XML text node or attribute value (&, <, >, ", ' escaped).
std::string XmlEscape(std::string_view text);

}  // namespace wfs::connectors::calendar

#endif  // WFSTORE_CONNECTORS_CALENDAR_DAV_XML_H_
