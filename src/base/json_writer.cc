#include "base/json_writer.h"

#include <cstdlib>

namespace wfs {

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!stack_.empty()) {
    if (stack_.back().object) std::abort();  // a member needs a Key first
    if (!stack_.back().first) out_->push_back(',');
    stack_.back().first = false;
  }
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  stack_.push_back(Level{true});
}

void JsonWriter::EndObject() {
  if (stack_.empty() || !stack_.back().object || after_key_) std::abort();
  stack_.pop_back();
  out_->push_back('}');
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  stack_.push_back(Level{false});
}

void JsonWriter::EndArray() {
  if (stack_.empty() || stack_.back().object) std::abort();
  stack_.pop_back();
  out_->push_back(']');
}

void JsonWriter::Key(std::string_view key) {
  if (stack_.empty() || !stack_.back().object || after_key_) std::abort();
  Level& l = stack_.back();
  if (!l.first) {
    // Canonical order is byte order of the keys (std::map<std::string>).
    if (!(l.last_key < key)) std::abort();
    out_->push_back(',');
  }
  l.first = false;
  l.last_key.assign(key);
  AppendQuoted(out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendQuoted(out_, s);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  *out_ += std::to_string(v);
}

void JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  *out_ += std::to_string(v);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  *out_ += v ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  *out_ += "null";
}

void JsonWriter::Raw(std::string_view canonical) {
  BeforeValue();
  *out_ += canonical;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
      (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

}  // namespace

void JsonWriter::AppendQuoted(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        *out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

}  // namespace wfs
