// Parsing IMAP4rev1 server responses (RFC 3501) from the byte stream
// libcurl hands over, with literals counted exactly: text inside a literal
// is never taken for a response line, and a literal cut short (a server or
// a message pretending to end the command) is an error, not a desync.
// Plus the mailbox-name and string encodings commands need.
#ifndef WFSTORE_CONNECTORS_MAIL_IMAP_PARSE_H_
#define WFSTORE_CONNECTORS_MAIL_IMAP_PARSE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wfs::connectors::mail {

// One datum of a response: an atom (also numbers and BODY[...] keys), a
// string (quoted or literal), NIL, or a parenthesised list.
struct ImapItem {
  enum Kind { kAtom, kString, kNil, kList };
  Kind kind = kNil;
  std::string text;
  std::vector<ImapItem> items;

  bool IsText() const { return kind == kAtom || kind == kString; }
  // Atom or string text; "" for NIL and lists.
  const std::string& Str() const;
};

struct FetchData {
  uint32_t seq = 0;
  // Upper-cased item names ("UID", "FLAGS", "X-GUID", "ENVELOPE", "BODY[]",
  // "BODY[]<0>", "RFC822.SIZE", "EMAILID") -> value.
  std::map<std::string, ImapItem> items;
  const ImapItem* Find(const std::string& name) const;
  uint32_t Uid() const;
};

struct MailboxEntry {
  std::vector<std::string> flags;  // e.g. "\\Trash", "\\Noselect"
  std::string name;                // as on the wire (modified UTF-7)
};

// Everything of interest in one command's server output.
struct ImapReply {
  std::string status;     // the tagged line's OK / NO / BAD ("" if none)
  std::string code;       // its response code's first word, e.g. TRYCREATE
  std::string code_args;  // the rest of the code, e.g. "1 5 7" of COPYUID
  std::string text;       // its human-readable text
  std::vector<FetchData> fetches;
  std::vector<uint32_t> search;         // * SEARCH numbers
  std::vector<MailboxEntry> mailboxes;  // * LIST
  std::vector<std::string> capabilities;
  uint32_t uidvalidity = 0;  // * OK [UIDVALIDITY n]
  int64_t exists = -1;       // * n EXISTS
  std::string copyuid;       // "[COPYUID v src dst]" args, tagged or untagged
};

// Parses a whole transcript (every line the server sent during the command,
// including a greeting and login when the connection is new). The tagged
// status is the last tagged line. InvalidArgument when the stream is
// malformed or a literal is cut short.
Result<ImapReply> ParseImapTranscript(std::string_view data,
                                      size_t max_depth = 64);

// "name" quoted for a command; InvalidArgument for CR, LF or NUL.
Result<std::string> ImapQuote(std::string_view s);

// Mailbox names on the wire use modified UTF-7 (RFC 3501 5.1.3).
std::string EncodeMailboxName(std::string_view utf8);
std::string DecodeMailboxName(std::string_view mutf7);

// A UID set "1:3,7" for a sorted list of UIDs.
std::string UidSet(const std::vector<uint32_t>& uids);

}  // namespace wfs::connectors::mail

#endif  // WFSTORE_CONNECTORS_MAIL_IMAP_PARSE_H_
