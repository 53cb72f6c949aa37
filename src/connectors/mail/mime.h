// Message formats for the mail connector: reading a message's text (MIME
// parts, transfer encodings, charsets, RFC 2047 header words), RFC 5322
// dates, and composing a plain-text message to send.
#ifndef WFSTORE_CONNECTORS_MAIL_MIME_H_
#define WFSTORE_CONNECTORS_MAIL_MIME_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wfs::connectors::mail {

// The readable text of a raw message: its first text/plain part (else its
// first text/html part, else ""), transfer-decoded, as UTF-8.
std::string MessageText(std::string_view raw);

// A header value with RFC 2047 encoded words decoded, as valid UTF-8.
std::string DecodeHeaderWords(std::string_view v);

// An RFC 5322 date as an RFC 3339 UTC time; InvalidArgument otherwise.
Result<std::string> Rfc5322DateToRfc3339(std::string_view date);

// "Tue, 24 Nov 2026 08:54:04 +0000".
std::string FormatRfc5322Date(int64_t micros);

// A bare local@domain address, with nothing that could end a header or
// start another address.
bool IsPlainAddress(std::string_view a);

struct OutgoingMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  int64_t date_micros = 0;
  std::string message_id;  // without the angle brackets
};

// The message as sent over SMTP (CRLF line ends, quoted-printable UTF-8
// body). InvalidArgument for a subject with a line break or an address that
// is not plain.
Result<std::string> ComposeMessage(const OutgoingMessage& m);

}  // namespace wfs::connectors::mail

#endif  // WFSTORE_CONNECTORS_MAIL_MIME_H_
