#include "connectors/mail/imap_parse.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/strings.h"

namespace wfs::connectors::mail {

namespace {

constexpr size_t kMaxLiteral = size_t{256} << 20;

class Parser {
 public:
  Parser(std::string_view d, size_t max_depth) : d_(d), max_depth_(max_depth) {}

  bool AtEnd() const { return p_ >= d_.size(); }

  Status Fail(const std::string& why) const {
    return InvalidArgument(
        StrCat("malformed IMAP response at byte ", p_, ": ", why));
  }

  void SkipSpaces() {
    while (p_ < d_.size() && d_[p_] == ' ') ++p_;
  }

  bool AtEol() const {
    return p_ >= d_.size() || d_[p_] == '\r' || d_[p_] == '\n';
  }

  // Consumes the line end (CRLF or LF). False at end of data.
  bool EndLine() {
    if (p_ < d_.size() && d_[p_] == '\r') ++p_;
    if (p_ < d_.size() && d_[p_] == '\n') {
      ++p_;
      return true;
    }
    return false;
  }

  // The rest of the line, raw, without the line end.
  std::string RestOfLine() {
    size_t start = p_;
    while (p_ < d_.size() && d_[p_] != '\n') ++p_;
    size_t end = p_;
    if (end > start && d_[end - 1] == '\r') --end;
    if (p_ < d_.size()) ++p_;
    return std::string(d_.substr(start, end - start));
  }

  Result<ImapItem> Item(size_t depth) {
    if (depth > max_depth_) return Fail("nested too deep");
    SkipSpaces();
    if (AtEol()) return Fail("unexpected end of line");
    ImapItem it;
    char c = d_[p_];
    if (c == '(') {
      ++p_;
      it.kind = ImapItem::kList;
      while (true) {
        SkipSpaces();
        if (AtEol()) return Fail("unterminated list");
        if (d_[p_] == ')') {
          ++p_;
          break;
        }
        WFS_ASSIGN_OR_RETURN(ImapItem sub, Item(depth + 1));
        it.items.push_back(std::move(sub));
      }
      return it;
    }
    if (c == '"') {
      ++p_;
      it.kind = ImapItem::kString;
      while (true) {
        if (p_ >= d_.size() || d_[p_] == '\r' || d_[p_] == '\n') {
          return Fail("unterminated quoted string");
        }
        char q = d_[p_++];
        if (q == '"') break;
        if (q == '\\') {
          if (p_ >= d_.size()) return Fail("bad escape");
          q = d_[p_++];
        }
        it.text += q;
      }
      return it;
    }
    if (c == '{' || (c == '~' && p_ + 1 < d_.size() && d_[p_ + 1] == '{')) {
      if (c == '~') ++p_;  // literal8
      ++p_;
      size_t n = 0;
      size_t digits = 0;
      while (p_ < d_.size() &&
             std::isdigit(static_cast<unsigned char>(d_[p_]))) {
        n = n * 10 + static_cast<size_t>(d_[p_] - '0');
        if (++digits > 12) return Fail("literal too large");
        ++p_;
      }
      if (p_ < d_.size() && d_[p_] == '+') ++p_;
      if (digits == 0 || p_ >= d_.size() || d_[p_] != '}') {
        return Fail("bad literal header");
      }
      ++p_;
      if (!EndLine()) return Fail("literal header not at end of line");
      if (n > kMaxLiteral) return Fail("literal too large");
      if (d_.size() - p_ < n) {
        return Fail(
            StrCat("literal of ", n, " bytes cut short at ", d_.size() - p_));
      }
      it.kind = ImapItem::kString;
      it.text = std::string(d_.substr(p_, n));
      p_ += n;
      return it;
    }
    // An atom; "[...]" sections may hold spaces and parentheses.
    size_t start = p_;
    int bracket = 0;
    while (p_ < d_.size()) {
      char a = d_[p_];
      if (a == '\r' || a == '\n') break;
      if (bracket == 0 &&
          (a == ' ' || a == '(' || a == ')' || a == '"' || a == '{')) {
        break;
      }
      if (a == '[') ++bracket;
      if (a == ']' && bracket > 0) --bracket;
      ++p_;
    }
    if (p_ == start)
      return Fail(StrCat("unexpected character ", Quote(std::string(1, c))));
    it.text = std::string(d_.substr(start, p_ - start));
    if (ToLower(it.text) == "nil") {
      it.kind = ImapItem::kNil;
      it.text.clear();
    } else {
      it.kind = ImapItem::kAtom;
    }
    return it;
  }

  // A bare token up to a space (tags, "*", status words).
  std::string Token() {
    SkipSpaces();
    size_t start = p_;
    while (p_ < d_.size() && d_[p_] != ' ' && d_[p_] != '\r' &&
           d_[p_] != '\n') {
      ++p_;
    }
    return std::string(d_.substr(start, p_ - start));
  }

  // "[CODE args] text" of an OK/NO/BAD/BYE line.
  void RespText(std::string& code, std::string& args, std::string& text) {
    SkipSpaces();
    std::string line = RestOfLine();
    code.clear();
    args.clear();
    if (!line.empty() && line[0] == '[') {
      size_t close = line.find(']');
      if (close != std::string::npos) {
        std::string inner = line.substr(1, close - 1);
        size_t sp = inner.find(' ');
        code = ToLower(inner.substr(0, sp));
        for (char& ch : code) ch = static_cast<char>(std::toupper(ch));
        args = sp == std::string::npos ? "" : inner.substr(sp + 1);
        line = std::string(Trim(line.substr(close + 1)));
      }
    }
    text = line;
  }

  size_t pos() const { return p_; }

 private:
  std::string_view d_;
  size_t max_depth_;
  size_t p_ = 0;
};

std::string Upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsNumber(const std::string& s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

const std::string& ImapItem::Str() const {
  static const std::string kEmpty;
  return IsText() ? text : kEmpty;
}

const ImapItem* FetchData::Find(const std::string& name) const {
  auto it = items.find(name);
  return it == items.end() ? nullptr : &it->second;
}

uint32_t FetchData::Uid() const {
  const ImapItem* u = Find("UID");
  if (u == nullptr || !IsNumber(u->Str())) return 0;
  return static_cast<uint32_t>(std::stoul(u->Str()));
}

Result<ImapReply> ParseImapTranscript(std::string_view data, size_t max_depth) {
  Parser p(data, max_depth);
  ImapReply reply;
  while (!p.AtEnd()) {
    std::string first = p.Token();
    if (first.empty()) {
      if (!p.EndLine()) return p.Fail("empty line at end of data");
      continue;
    }
    if (first == "+") {
      p.RestOfLine();
      continue;
    }
    if (first != "*") {
      // A tagged line: the status of a command.
      std::string status = Upper(p.Token());
      if (status != "OK" && status != "NO" && status != "BAD") {
        return p.Fail(StrCat("unexpected line starting ", Quote(first)));
      }
      reply.status = status;
      p.RespText(reply.code, reply.code_args, reply.text);
      if (reply.code == "COPYUID") reply.copyuid = reply.code_args;
      continue;
    }
    std::string word = p.Token();
    std::string uword = Upper(word);
    if (uword == "OK" || uword == "NO" || uword == "BAD" || uword == "BYE" ||
        uword == "PREAUTH") {
      std::string code, args, text;
      p.RespText(code, args, text);
      if (code == "UIDVALIDITY" && IsNumber(args)) {
        reply.uidvalidity = static_cast<uint32_t>(std::stoul(args));
      } else if (code == "COPYUID") {
        reply.copyuid = args;
      } else if (code == "CAPABILITY") {
        for (std::string& c : StrSplit(args, ' ')) {
          if (!c.empty()) reply.capabilities.push_back(Upper(c));
        }
      }
      continue;
    }
    if (IsNumber(word)) {
      std::string kind = Upper(p.Token());
      if (kind == "FETCH") {
        FetchData f;
        f.seq = static_cast<uint32_t>(std::stoul(word));
        WFS_ASSIGN_OR_RETURN(ImapItem list, p.Item(0));
        if (list.kind != ImapItem::kList || list.items.size() % 2 != 0) {
          return p.Fail("FETCH data is not a list of pairs");
        }
        for (size_t i = 0; i < list.items.size(); i += 2) {
          f.items[Upper(list.items[i].text)] = std::move(list.items[i + 1]);
        }
        reply.fetches.push_back(std::move(f));
        p.SkipSpaces();
        if (!p.AtEol()) return p.Fail("data after FETCH");
        p.EndLine();
        continue;
      }
      if (kind == "EXISTS") reply.exists = std::stoll(word);
      p.RestOfLine();
      continue;
    }
    // Other untagged data: items to the end of the line.
    std::vector<ImapItem> items;
    while (true) {
      p.SkipSpaces();
      if (p.AtEol()) break;
      WFS_ASSIGN_OR_RETURN(ImapItem it, p.Item(0));
      items.push_back(std::move(it));
    }
    p.EndLine();
    if (uword == "SEARCH") {
      for (const ImapItem& it : items) {
        if (IsNumber(it.text)) {
          reply.search.push_back(static_cast<uint32_t>(std::stoul(it.text)));
        }
      }
    } else if (uword == "LIST" && items.size() >= 3 &&
               items[0].kind == ImapItem::kList) {
      MailboxEntry e;
      for (const ImapItem& f : items[0].items) e.flags.push_back(f.text);
      e.name = items[2].Str();
      reply.mailboxes.push_back(std::move(e));
    } else if (uword == "CAPABILITY") {
      for (const ImapItem& it : items)
        reply.capabilities.push_back(Upper(it.text));
    }
  }
  return reply;
}

Result<std::string> ImapQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return InvalidArgument("IMAP strings may not hold line breaks or NUL");
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

constexpr char kB64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

// UTF-8 -> code points (invalid bytes become U+FFFD).
std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6 && i + 1 < s.size()) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      len = 2;
    } else if ((c >> 4) == 14 && i + 2 < s.size()) {
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      len = 3;
    } else if ((c >> 3) == 30 && i + 3 < s.size()) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) |
           ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
      len = 4;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

}  // namespace

std::string EncodeMailboxName(std::string_view utf8) {
  std::string out;
  std::vector<uint32_t> cps = CodePoints(utf8);
  size_t i = 0;
  while (i < cps.size()) {
    uint32_t c = cps[i];
    if (c >= 0x20 && c <= 0x7e) {
      out +=
          c == '&' ? std::string("&-") : std::string(1, static_cast<char>(c));
      ++i;
      continue;
    }
    // A run of non-printable-ASCII characters as UTF-16, base64.
    std::vector<uint16_t> units;
    while (i < cps.size() && !(cps[i] >= 0x20 && cps[i] <= 0x7e)) {
      uint32_t cp = cps[i++];
      if (cp >= 0x10000) {
        cp -= 0x10000;
        units.push_back(static_cast<uint16_t>(0xD800 | (cp >> 10)));
        units.push_back(static_cast<uint16_t>(0xDC00 | (cp & 0x3FF)));
      } else {
        units.push_back(static_cast<uint16_t>(cp));
      }
    }
    std::string bytes;
    for (uint16_t u : units) {
      bytes += static_cast<char>(u >> 8);
      bytes += static_cast<char>(u & 0xFF);
    }
    out += '&';
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += kB64[(acc >> bits) & 63];
      }
    }
    if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
    out += '-';
  }
  return out;
}

std::string DecodeMailboxName(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    size_t end = s.find('-', i + 1);
    if (end == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    if (end == i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    std::string bytes;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t k = i + 1; k < end; ++k) {
      const char* pos = std::strchr(kB64, s[k]);
      if (pos == nullptr || *pos == '\0') continue;
      acc = (acc << 6) | static_cast<uint32_t>(pos - kB64);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes += static_cast<char>((acc >> bits) & 0xFF);
      }
    }
    for (size_t k = 0; k + 1 < bytes.size(); k += 2) {
      uint32_t u = (static_cast<unsigned char>(bytes[k]) << 8) |
                   static_cast<unsigned char>(bytes[k + 1]);
      if (u >= 0xD800 && u <= 0xDBFF && k + 3 < bytes.size()) {
        uint32_t lo = (static_cast<unsigned char>(bytes[k + 2]) << 8) |
                      static_cast<unsigned char>(bytes[k + 3]);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          AppendUtf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
          k += 2;
          continue;
        }
      }
      AppendUtf8(out, u);
    }
    i = end + 1;
  }
  return out;
}

std::string UidSet(const std::vector<uint32_t>& uids) {
  std::string out;
  size_t i = 0;
  while (i < uids.size()) {
    size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(uids[i]);
    if (j > i) out += ":" + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace wfs::connectors::mail
