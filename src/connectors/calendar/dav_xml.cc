#include "connectors/calendar/dav_xml.h"

#include <cstdint>
#include <utility>

#include "base/strings.h"

namespace wfs::connectors::calendar {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameChar(char c) {
  return !IsSpace(c) && c != '/' && c != '>' && c != '=' && c != '<' &&
         c != '"' && c != '\'' && c != '&';
}

class XmlParser {
 public:
  XmlParser(std::string_view s, const XmlLimits& limits)
      : s_(s), limits_(limits) {}

  Result<std::unique_ptr<XmlElement>> Parse() {
    if (s_.size() > limits_.max_bytes) {
      return ResourceExhausted(
          StrCat("XML document larger than ", limits_.max_bytes, " bytes"));
    }
    if (StartsWith(s_, "\xEF\xBB\xBF")) p_ = 3;
    while (p_ < s_.size()) {
      if (s_[p_] == '<') {
        WFS_RETURN_IF_ERROR(Markup());
      } else {
        WFS_RETURN_IF_ERROR(Text());
      }
    }
    if (!stack_.empty()) {
      return Err(StrCat("element <", stack_.back().qname, "> is never closed"));
    }
    if (root_ == nullptr) return Err("no root element");
    return std::move(root_);
  }

 private:
  struct Frame {
    XmlElement* el;
    std::string qname;
    size_t ns_mark;  // ns_ size before this element's declarations
  };

  Status Err(std::string_view what) const {
    return InvalidArgument(StrCat("XML: ", what, " at byte ", p_));
  }

  Status Markup() {
    if (StartsWith(s_.substr(p_), "<?")) return SkipPast("?>");
    if (StartsWith(s_.substr(p_), "<!--")) return SkipPast("-->");
    if (StartsWith(s_.substr(p_), "<![CDATA[")) {
      if (stack_.empty()) return Err("CDATA outside the root element");
      size_t begin = p_ + 9;
      size_t end = s_.find("]]>", begin);
      if (end == std::string_view::npos) return Err("unterminated CDATA");
      stack_.back().el->text.append(s_.substr(begin, end - begin));
      p_ = end + 3;
      return Status::Ok();
    }
    if (StartsWith(s_.substr(p_), "<!")) {
      return Err("document type declarations are not accepted");
    }
    if (StartsWith(s_.substr(p_), "</")) return EndTag();
    return StartTag();
  }

  Status SkipPast(std::string_view end) {
    size_t at = s_.find(end, p_ + 2);
    if (at == std::string_view::npos) return Err("unterminated markup");
    p_ = at + end.size();
    return Status::Ok();
  }

  std::string_view Name() {
    size_t begin = p_;
    while (p_ < s_.size() && IsNameChar(s_[p_])) ++p_;
    return s_.substr(begin, p_ - begin);
  }

  void SkipSpace() {
    while (p_ < s_.size() && IsSpace(s_[p_])) ++p_;
  }

  // Decodes entity and character references of `raw` into `out`.
  Status Decode(std::string_view raw, std::string& out) {
    size_t i = 0;
    while (i < raw.size()) {
      char c = raw[i];
      if (c != '&') {
        out += c;
        ++i;
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos || semi - i > 12) {
        return Err("malformed entity reference");
      }
      std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt") {
        out += '<';
      } else if (ent == "gt") {
        out += '>';
      } else if (ent == "amp") {
        out += '&';
      } else if (ent == "quot") {
        out += '"';
      } else if (ent == "apos") {
        out += '\'';
      } else if (ent.size() >= 2 && ent[0] == '#') {
        bool hex = ent[1] == 'x';
        std::string_view digits = ent.substr(hex ? 2 : 1);
        if (digits.empty()) return Err("empty character reference");
        uint32_t cp = 0;
        for (char d : digits) {
          int v;
          if (d >= '0' && d <= '9') {
            v = d - '0';
          } else if (hex && d >= 'a' && d <= 'f') {
            v = d - 'a' + 10;
          } else if (hex && d >= 'A' && d <= 'F') {
            v = d - 'A' + 10;
          } else {
            return Err("bad character reference");
          }
          cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          if (cp > 0x10FFFF) return Err("character reference out of range");
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return Err("character reference to an invalid character");
        }
        AppendUtf8(out, cp);
      } else {
        return Err(StrCat("unknown entity &", ent, ";"));
      }
      i = semi + 1;
    }
    return Status::Ok();
  }

  Status Text() {
    size_t end = s_.find('<', p_);
    if (end == std::string_view::npos) end = s_.size();
    std::string_view raw = s_.substr(p_, end - p_);
    if (stack_.empty()) {
      for (char c : raw) {
        if (!IsSpace(c)) return Err("text outside the root element");
      }
    } else {
      WFS_RETURN_IF_ERROR(Decode(raw, stack_.back().el->text));
    }
    p_ = end;
    return Status::Ok();
  }

  // The namespace URI of `prefix` ("" for the default), or an error.
  Result<std::string> Resolve(std::string_view prefix) {
    for (size_t i = ns_.size(); i-- > 0;) {
      if (ns_[i].first == prefix) return ns_[i].second;
    }
    if (prefix.empty()) return std::string();
    if (prefix == "xml")
      return std::string("http://www.w3.org/XML/1998/namespace");
    return Err(StrCat("undeclared namespace prefix ", Quote(prefix)));
  }

  Status StartTag() {
    ++p_;
    std::string_view qname = Name();
    if (qname.empty()) return Err("element without a name");
    if (root_ != nullptr && stack_.empty()) {
      return Err("content after the root element");
    }
    if (stack_.size() >= limits_.max_depth) {
      return ResourceExhausted(
          StrCat("XML: elements nested deeper than ", limits_.max_depth));
    }
    if (++elements_ > limits_.max_elements) {
      return ResourceExhausted(
          StrCat("XML: more than ", limits_.max_elements, " elements"));
    }
    size_t mark = ns_.size();
    size_t attrs = 0;
    bool self_closing = false;
    while (true) {
      SkipSpace();
      if (p_ >= s_.size()) return Err("unterminated start tag");
      if (s_[p_] == '>') {
        ++p_;
        break;
      }
      if (s_[p_] == '/') {
        if (p_ + 1 >= s_.size() || s_[p_ + 1] != '>') return Err("stray `/`");
        p_ += 2;
        self_closing = true;
        break;
      }
      std::string_view aname = Name();
      if (aname.empty()) return Err("malformed attribute");
      if (++attrs > limits_.max_attributes) {
        return ResourceExhausted(StrCat("XML: more than ",
                                        limits_.max_attributes,
                                        " attributes on one element"));
      }
      SkipSpace();
      if (p_ >= s_.size() || s_[p_] != '=') return Err("attribute without `=`");
      ++p_;
      SkipSpace();
      if (p_ >= s_.size() || (s_[p_] != '"' && s_[p_] != '\'')) {
        return Err("attribute value without quotes");
      }
      char q = s_[p_++];
      size_t close = s_.find(q, p_);
      if (close == std::string_view::npos) return Err("unterminated attribute");
      std::string_view raw = s_.substr(p_, close - p_);
      if (raw.find('<') != std::string_view::npos) {
        return Err("`<` in an attribute value");
      }
      std::string value;
      WFS_RETURN_IF_ERROR(Decode(raw, value));
      p_ = close + 1;
      if (aname == "xmlns") {
        ns_.emplace_back("", std::move(value));
      } else if (StartsWith(aname, "xmlns:")) {
        ns_.emplace_back(std::string(aname.substr(6)), std::move(value));
      }
      // Other attributes are not used by WebDAV responses we read.
    }
    size_t colon = qname.find(':');
    std::string_view prefix = colon == std::string_view::npos
                                  ? std::string_view()
                                  : qname.substr(0, colon);
    auto el = std::make_unique<XmlElement>();
    WFS_ASSIGN_OR_RETURN(el->ns, Resolve(prefix));
    el->local.assign(colon == std::string_view::npos ? qname
                                                     : qname.substr(colon + 1));
    XmlElement* raw_el = el.get();
    if (stack_.empty()) {
      root_ = std::move(el);
    } else {
      stack_.back().el->children.push_back(std::move(el));
    }
    if (self_closing) {
      ns_.resize(mark);
    } else {
      stack_.push_back(Frame{raw_el, std::string(qname), mark});
    }
    return Status::Ok();
  }

  Status EndTag() {
    p_ += 2;
    std::string_view qname = Name();
    SkipSpace();
    if (p_ >= s_.size() || s_[p_] != '>') return Err("malformed end tag");
    ++p_;
    if (stack_.empty() || stack_.back().qname != qname) {
      return Err(StrCat("</", qname, "> does not close the open element"));
    }
    ns_.resize(stack_.back().ns_mark);
    stack_.pop_back();
    return Status::Ok();
  }

  std::string_view s_;
  const XmlLimits& limits_;
  size_t p_ = 0;
  size_t elements_ = 0;
  std::unique_ptr<XmlElement> root_;
  std::vector<Frame> stack_;
  std::vector<std::pair<std::string, std::string>> ns_;
};

std::string TrimmedText(const XmlElement* e) {
  return e == nullptr ? std::string() : std::string(Trim(e->text));
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view want_ns,
                                    std::string_view want_local) const {
  for (const auto& c : children) {
    if (c->ns == want_ns && c->local == want_local) return c.get();
  }
  return nullptr;
}

Result<std::unique_ptr<XmlElement>> ParseXml(std::string_view text,
                                             const XmlLimits& limits) {
  return XmlParser(text, limits).Parse();
}

int ParseStatusLine(std::string_view line) {
  line = Trim(line);
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !StartsWith(line, "HTTP/")) return 0;
  std::string_view code = line.substr(sp + 1, 3);
  if (code.size() != 3) return 0;
  int v = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

Result<std::vector<DavResponse>> ParseMultistatus(std::string_view xml,
                                                  const XmlLimits& limits) {
  WFS_ASSIGN_OR_RETURN(std::unique_ptr<XmlElement> root, ParseXml(xml, limits));
  if (root->ns != kDavNs || root->local != "multistatus") {
    return InvalidArgument(
        StrCat("WebDAV: expected a DAV: multistatus, got <", root->local, ">"));
  }
  std::vector<DavResponse> out;
  for (const auto& r : root->children) {
    if (r->ns != kDavNs || r->local != "response") continue;
    DavResponse d;
    d.href = TrimmedText(r->Child(kDavNs, "href"));
    if (d.href.empty()) {
      return InvalidArgument("WebDAV: a response without an href");
    }
    d.status = ParseStatusLine(TrimmedText(r->Child(kDavNs, "status")));
    int first_propstat = 0;
    for (const auto& ps : r->children) {
      if (ps->ns != kDavNs || ps->local != "propstat") continue;
      int st = ParseStatusLine(TrimmedText(ps->Child(kDavNs, "status")));
      if (first_propstat == 0) first_propstat = st;
      if (st < 200 || st > 299) continue;
      if (d.status == 0) d.status = st;
      const XmlElement* prop = ps->Child(kDavNs, "prop");
      if (prop == nullptr) continue;
      if (const XmlElement* e = prop->Child(kDavNs, "getetag")) {
        d.etag = TrimmedText(e);
      }
      if (const XmlElement* cd = prop->Child(kCalDavNs, "calendar-data")) {
        d.calendar_data = cd->text;
        d.has_calendar_data = true;
      }
    }
    if (d.status == 0) d.status = first_propstat;
    out.push_back(std::move(d));
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace wfs::connectors::calendar
