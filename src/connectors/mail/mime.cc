#include "connectors/mail/mime.h"

#include <cctype>
#include <cstring>
#include <ctime>
#include <utility>

#include "base/clock.h"
#include "base/strings.h"
#include "connectors/http/text.h"
#include "connectors/sim/values.h"

namespace wfs::connectors::mail {

namespace {

constexpr int kMaxMimeDepth = 10;
constexpr size_t kMaxParts = 200;

std::string Lower(std::string_view s) { return ToLower(s); }

// Splits a raw message (or part) into its header block and body.
std::pair<std::string_view, std::string_view> SplitHeader(
    std::string_view raw) {
  size_t crlf = raw.find("\r\n\r\n");
  size_t lf = raw.find("\n\n");
  if (crlf != std::string_view::npos &&
      (lf == std::string_view::npos || crlf < lf)) {
    return {raw.substr(0, crlf), raw.substr(crlf + 4)};
  }
  if (lf != std::string_view::npos)
    return {raw.substr(0, lf), raw.substr(lf + 2)};
  // Headers only, or a body with no header (starts with an empty line).
  if (StartsWith(raw, "\r\n")) return {std::string_view(), raw.substr(2)};
  if (StartsWith(raw, "\n")) return {std::string_view(), raw.substr(1)};
  return {raw, std::string_view()};
}

// Unfolded header fields: (lower-case name, value).
std::vector<std::pair<std::string, std::string>> Headers(
    std::string_view block) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string cur;
  auto flush = [&]() {
    size_t colon = cur.find(':');
    if (colon != std::string::npos && colon > 0) {
      out.push_back({Lower(Trim(cur.substr(0, colon))),
                     std::string(Trim(cur.substr(colon + 1)))});
    }
    cur.clear();
  };
  for (std::string line : StrSplit(block, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      cur += " " + std::string(Trim(line));
    } else {
      flush();
      cur = line;
    }
    if (out.size() > 500) break;
  }
  flush();
  return out;
}

std::string HeaderValue(
    const std::vector<std::pair<std::string, std::string>>& h,
    const std::string& name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return "";
}

// "text/plain; charset=utf-8; format=flowed" -> type and parameters.
struct ContentType {
  std::string type = "text/plain";
  std::string charset = "us-ascii";
  std::string boundary;
  bool present = false;
};

ContentType ParseContentType(const std::string& value) {
  ContentType ct;
  if (value.empty()) return ct;
  ct.present = true;
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  for (char c : value) {
    if (c == '"') quoted = !quoted;
    if (c == ';' && !quoted) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  ct.type = Lower(Trim(parts[0]));
  for (size_t i = 1; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    if (eq == std::string::npos) continue;
    std::string k = Lower(Trim(parts[i].substr(0, eq)));
    std::string v(Trim(parts[i].substr(eq + 1)));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      v = v.substr(1, v.size() - 2);
    }
    if (k == "charset") ct.charset = Lower(v);
    if (k == "boundary") ct.boundary = v;
  }
  return ct;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeBase64(std::string_view s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Quoted-printable; `header` also maps "_" to a space (RFC 2047 Q).
std::string DecodeQp(std::string_view s, bool header) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && header) {
      out += ' ';
    } else if (c == '=') {
      if (i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
        out += static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2]));
        i += 2;
      } else if (i + 1 < s.size() && s[i + 1] == '\n') {
        i += 1;  // soft line break
      } else if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') {
        i += 2;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}

// Windows-1252's 0x80-0x9F (0 where undefined); the rest of 0xA0-0xFF is
// ISO-8859-1.
constexpr uint16_t kCp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

std::string ToUtf8(std::string_view s, const std::string& charset) {
  if (charset == "iso-8859-1" || charset == "latin1" ||
      charset == "iso_8859-1" || charset == "windows-1252" ||
      charset == "cp1252" || charset == "us-ascii" || charset == "ascii") {
    if (IsValidUtf8(s) && (charset == "us-ascii" || charset == "ascii")) {
      return std::string(s);
    }
    std::string out;
    for (unsigned char c : s) {
      uint32_t cp = c;
      if (c >= 0x80 && c < 0xA0)
        cp = kCp1252[c - 0x80] ? kCp1252[c - 0x80] : 0xFFFD;
      AppendUtf8(out, cp);
    }
    return out;
  }
  return ToValidUtf8(s);
}

std::string DecodeBody(std::string_view body, const std::string& cte,
                       const std::string& charset) {
  std::string cte_l = Lower(Trim(cte));
  std::string bytes;
  if (cte_l == "base64") {
    bytes = DecodeBase64(body);
  } else if (cte_l == "quoted-printable") {
    bytes = DecodeQp(body, false);
  } else {
    bytes = std::string(body);
  }
  std::string text = ToUtf8(bytes, charset);
  // CRLF line ends, as on the wire, read as "\n".
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

struct Found {
  std::string plain;
  std::string html;
  bool has_plain = false;
  bool has_html = false;
};

void Walk(std::string_view raw, int depth, size_t& parts, Found& f) {
  if (depth > kMaxMimeDepth || ++parts > kMaxParts || f.has_plain) return;
  auto [block, body] = SplitHeader(raw);
  auto h = Headers(block);
  ContentType ct = ParseContentType(HeaderValue(h, "content-type"));
  std::string disposition = Lower(HeaderValue(h, "content-disposition"));
  if (StartsWith(ct.type, "multipart/") && !ct.boundary.empty()) {
    const std::string delim = "--" + ct.boundary;
    size_t pos = body.find(delim);
    while (pos != std::string_view::npos && !f.has_plain) {
      size_t start = body.find('\n', pos);
      if (start == std::string_view::npos) break;
      if (body.substr(pos + delim.size(), 2) == "--") break;  // the end
      size_t next = body.find("\n" + delim, start);
      std::string_view part = body.substr(
          start + 1, next == std::string_view::npos ? std::string_view::npos
                                                    : next - start - 1);
      if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
      Walk(part, depth + 1, parts, f);
      pos = next == std::string_view::npos ? next : next + 1;
    }
    return;
  }
  if (StartsWith(disposition, "attachment")) return;
  if (ct.type == "text/plain" && !f.has_plain) {
    f.plain = DecodeBody(body, HeaderValue(h, "content-transfer-encoding"),
                         ct.charset);
    f.has_plain = true;
  } else if (ct.type == "text/html" && !f.has_html) {
    f.html = DecodeBody(body, HeaderValue(h, "content-transfer-encoding"),
                        ct.charset);
    f.has_html = true;
  }
}

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                               "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

std::string EncodeQpBody(std::string_view text) {
  // Lines end in CRLF; each encoded line stays under 76 characters.
  std::string out;
  std::string line;
  auto push = [&](const std::string& piece) {
    if (line.size() + piece.size() > 75) {
      out += line + "=\r\n";
      line.clear();
    }
    line += piece;
  };
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      // Trailing whitespace before a line end must be encoded.
      if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
        char last = line.back();
        line.pop_back();
        line += StrCat("=", kHex[last >> 4], kHex[last & 15]);
      }
      out += line + "\r\n";
      line.clear();
      continue;
    }
    if (c == '\r') continue;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      // A line starting with "." or "From " is left to SMTP's dot-stuffing.
      push(std::string(1, static_cast<char>(c)));
    } else {
      push(StrCat("=", kHex[c >> 4], kHex[c & 15]));
    }
  }
  if (!line.empty()) {
    if (line.back() == ' ' || line.back() == '\t') {
      char last = line.back();
      line.pop_back();
      line += StrCat("=", kHex[last >> 4], kHex[last & 15]);
    }
    out += line + "\r\n";
  }
  return out;
}

}  // namespace

std::string MessageText(std::string_view raw) {
  Found f;
  size_t parts = 0;
  Walk(raw, 0, parts, f);
  std::string text = f.has_plain ? f.plain : f.has_html ? f.html : "";
  // The line end that closes the last line is the format's, not the text's.
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string DecodeHeaderWords(std::string_view v) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  std::string pending_space;
  while (i < v.size()) {
    if (v.substr(i, 2) == "=?") {
      size_t q1 = v.find('?', i + 2);
      size_t q2 = q1 == std::string_view::npos ? q1 : v.find('?', q1 + 1);
      size_t end = q2 == std::string_view::npos ? q2 : v.find("?=", q2 + 1);
      if (end != std::string_view::npos && q2 == q1 + 2) {
        std::string charset = Lower(v.substr(i + 2, q1 - i - 2));
        size_t star = charset.find('*');  // RFC 2231 language
        if (star != std::string::npos) charset.resize(star);
        char enc = static_cast<char>(
            std::tolower(static_cast<unsigned char>(v[q1 + 1])));
        std::string_view text = v.substr(q2 + 1, end - q2 - 1);
        std::string bytes =
            enc == 'b' ? DecodeBase64(text) : DecodeQp(text, true);
        if (!last_was_word) out += pending_space;
        pending_space.clear();
        out += ToUtf8(bytes, charset);
        last_was_word = true;
        i = end + 2;
        continue;
      }
    }
    if (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n') {
      pending_space += ' ';
      ++i;
      continue;
    }
    out += pending_space;
    pending_space.clear();
    last_was_word = false;
    out += v[i++];
  }
  if (!last_was_word) out += pending_space;
  return ToValidUtf8(out);
}

Result<std::string> Rfc5322DateToRfc3339(std::string_view date) {
  auto bad = [&]() {
    return InvalidArgument(StrCat("not an RFC 5322 date: ", Quote(date)));
  };
  std::string d(Trim(date));
  // Drop a comment such as "(UTC)".
  size_t paren = d.find('(');
  if (paren != std::string::npos) d = std::string(Trim(d.substr(0, paren)));
  size_t comma = d.find(',');
  if (comma != std::string::npos) d = std::string(Trim(d.substr(comma + 1)));
  std::vector<std::string> f;
  for (std::string& s : StrSplit(d, ' ')) {
    if (!s.empty()) f.push_back(std::move(s));
  }
  if (f.size() < 4) return bad();
  int day = std::atoi(f[0].c_str());
  int month = -1;
  for (int m = 0; m < 12; ++m) {
    if (Lower(f[1]).substr(0, 3) == kMonths[m]) month = m + 1;
  }
  int year = std::atoi(f[2].c_str());
  if (f[2].size() == 2) year += year < 50 ? 2000 : 1900;
  int hh = 0, mm = 0, ss = 0;
  if (std::sscanf(f[3].c_str(), "%d:%d:%d", &hh, &mm, &ss) < 2) return bad();
  if (day < 1 || day > 31 || month < 1 || year < 1900 || year > 9999 ||
      hh > 23 || mm > 59 || ss > 60) {
    return bad();
  }
  int offset_min = 0;
  if (f.size() > 4) {
    const std::string& z = f[4];
    if ((z[0] == '+' || z[0] == '-') && z.size() == 5) {
      int v = std::atoi(z.c_str() + 1);
      offset_min = (v / 100) * 60 + v % 100;
      if (z[0] == '-') offset_min = -offset_min;
    } else {
      std::string u = Lower(z);
      if (u == "edt")
        offset_min = -4 * 60;
      else if (u == "est" || u == "cdt")
        offset_min = -5 * 60;
      else if (u == "cst" || u == "mdt")
        offset_min = -6 * 60;
      else if (u == "mst" || u == "pdt")
        offset_min = -7 * 60;
      else if (u == "pst")
        offset_min = -8 * 60;
    }
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month,
                day, hh, mm, ss > 59 ? 59 : ss);
  Result<int64_t> micros = sim::ParseTimeMicros(buf);
  if (!micros.ok()) return bad();
  return FormatRfc3339(*micros - int64_t{offset_min} * 60 * 1000000);
}

std::string FormatRfc5322Date(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                kDays[tm.tm_wday], tm.tm_mday, kMonthNames[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool IsPlainAddress(std::string_view a) {
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() ||
      a.size() > 320) {
    return false;
  }
  for (unsigned char c : a) {
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == '"' || c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' ||
        c == ':') {
      return false;
    }
  }
  std::string_view domain = a.substr(at + 1);
  if (domain.find('@') != std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return false;
  }
  return true;
}

Result<std::string> ComposeMessage(const OutgoingMessage& m) {
  if (m.subject.find_first_of("\r\n") != std::string::npos) {
    return InvalidArgument("mail.send: the subject may not hold line breaks");
  }
  if (!IsPlainAddress(m.from)) {
    return InvalidArgument(
        StrCat("mail: the sender ", Quote(m.from), " is not a plain address"));
  }
  for (const std::string& t : m.to) {
    if (!IsPlainAddress(t)) {
      return InvalidArgument(
          StrCat("mail.send: ", Quote(t), " is not a plain email address"));
    }
  }
  bool ascii = true;
  for (unsigned char c : m.subject) ascii &= c >= 0x20 && c < 0x7f;
  std::string subject = m.subject;
  if (!ascii) {
    // Encoded words of at most 45 bytes of text each, on folded lines.
    std::string enc;
    size_t i = 0;
    std::string s = ToValidUtf8(m.subject);
    while (i < s.size()) {
      size_t n = std::min<size_t>(45, s.size() - i);
      // Do not split a UTF-8 sequence.
      while (i + n < s.size() &&
             (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) {
        --n;
      }
      if (!enc.empty()) enc += "\r\n ";
      enc += "=?UTF-8?B?" + Base64Encode(s.substr(i, n)) + "?=";
      i += n;
    }
    subject = enc;
  }
  std::string out;
  out += "From: " + m.from + "\r\n";
  out += "To: " + StrJoin(m.to, ", ") + "\r\n";
  out += "Subject: " + subject + "\r\n";
  out += "Date: " + FormatRfc5322Date(m.date_micros) + "\r\n";
  out += "Message-ID: <" + m.message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "X-Mailer: wfstore\r\n";
  out += "\r\n";
  out += EncodeQpBody(ToValidUtf8(m.body));
  return out;
}

}  // namespace wfs::connectors::mail
