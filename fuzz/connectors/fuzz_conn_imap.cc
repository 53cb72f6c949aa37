// Fuzzes the parser of what an IMAP server sends
// (src/connectors/mail/imap_parse.h): the transcript of a command carries
// message content (headers, bodies as literals) that any sender controls.
// Beyond "no crash, no sanitizer report, no unbounded work", it checks that
// a parsed reply is self-consistent, that quoting never lets a line break
// through, and that mailbox names round-trip through modified UTF-7.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "connectors/mail/imap_parse.h"

namespace mail = wfs::connectors::mail;

namespace {

// Counts every item of a parsed datum, checking kinds on the way.
size_t Walk(const mail::ImapItem& it, size_t depth) {
  if (depth > 64) __builtin_trap();
  if (it.kind != mail::ImapItem::kList && !it.items.empty()) __builtin_trap();
  if (it.kind == mail::ImapItem::kNil && !it.text.empty()) __builtin_trap();
  size_t n = 1;
  for (const mail::ImapItem& sub : it.items) n += Walk(sub, depth + 1);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto reply = mail::ParseImapTranscript(in, 64);
  if (reply.ok()) {
    const std::string& s = reply->status;
    if (!s.empty() && s != "OK" && s != "NO" && s != "BAD") __builtin_trap();
    size_t items = 0;
    for (const mail::FetchData& f : reply->fetches) {
      for (const auto& [name, value] : f.items) items += Walk(value, 0);
      (void)f.Uid();
    }
    // Every item came from at least one byte of input.
    if (items > size) __builtin_trap();
    if (reply->search.size() > size) __builtin_trap();
    std::vector<uint32_t> uids = reply->search;
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    (void)mail::UidSet(uids);
    for (const mail::MailboxEntry& m : reply->mailboxes) {
      (void)mail::DecodeMailboxName(m.name);
    }
  }

  auto quoted = mail::ImapQuote(in);
  if (quoted.ok() && quoted->find_first_of(std::string_view("\r\n\0", 3)) !=
                         std::string::npos) {
    __builtin_trap();
  }

  if (wfs::IsValidUtf8(in)) {
    std::string wire = mail::EncodeMailboxName(in);
    for (unsigned char c : wire) {
      if (c < 0x20 || c > 0x7e) __builtin_trap();
    }
    if (mail::DecodeMailboxName(wire) != in) __builtin_trap();
  }
  (void)mail::DecodeMailboxName(in);
  return 0;
}
