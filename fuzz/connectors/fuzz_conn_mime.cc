// Fuzzes the mail connector's message formats (src/connectors/mail/mime.h):
// a message's MIME structure, transfer encodings, charsets and header words
// come from whoever sent it; dates too. Composing is fuzzed with arbitrary
// subjects, bodies and recipients: what it accepts must never inject a
// header and must read back as the body it was given.
// Input: one byte selecting the function, then its input.
//   0 message text and header words, 1 a date, 2 composing (fields
//   separated by NUL: subject, body, then recipients).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "connectors/http/text.h"
#include "connectors/mail/mime.h"
#include "connectors/sim/values.h"

namespace mail = wfs::connectors::mail;

namespace {

std::vector<std::string> SplitNul(std::string_view s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '\0') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

void Compose(std::string_view in) {
  std::vector<std::string> f = SplitNul(in);
  mail::OutgoingMessage m;
  m.from = "wfstore@example.test";
  m.subject = f[0];
  m.body = f.size() > 1 ? f[1] : "";
  for (size_t i = 2; i < f.size(); ++i) m.to.push_back(f[i]);
  m.date_micros = 1700000000000000;
  m.message_id = "fuzz@example.test";
  auto out = mail::ComposeMessage(m);
  if (!out.ok()) return;
  // Exactly the nine header fields the composer writes; anything else
  // (a line break smuggled in a subject or an address) is an injection.
  size_t end = out->find("\r\n\r\n");
  if (end == std::string::npos) __builtin_trap();
  int fields = 0;
  // The header block with the CRLF that ends its last line.
  const std::string header = out->substr(0, end + 2);
  for (const std::string& line : wfs::StrSplit(header, '\n')) {
    if (line.empty()) continue;  // after the last line end
    if (line.back() != '\r') __builtin_trap();
    if (line[0] != ' ') ++fields;
  }
  if (fields != 9) __builtin_trap();
  // Every line on the wire ends in CRLF.
  for (size_t i = 0; i < out->size(); ++i) {
    if ((*out)[i] == '\n' && (i == 0 || (*out)[i - 1] != '\r')) {
      __builtin_trap();
    }
  }
  // The body reads back as given: UTF-8, without CR, without the line end
  // that closes the last line.
  std::string want;
  for (char c : wfs::connectors::ToValidUtf8(m.body)) {
    if (c != '\r') want += c;
  }
  if (!want.empty() && want.back() == '\n') want.pop_back();
  if (mail::MessageText(*out) != want) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  const uint8_t mode = data[0] % 3;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0: {
      if (!wfs::IsValidUtf8(mail::MessageText(in))) __builtin_trap();
      if (!wfs::IsValidUtf8(mail::DecodeHeaderWords(in))) __builtin_trap();
      break;
    }
    case 1: {
      auto date = mail::Rfc5322DateToRfc3339(in.substr(0, 200));
      if (date.ok() && !wfs::connectors::sim::ParseTimeMicros(*date).ok()) {
        __builtin_trap();
      }
      break;
    }
    default:
      Compose(in);
      break;
  }
  return 0;
}
