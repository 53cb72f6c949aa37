#include "runtime/value.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "base/int128.h"
#include "base/strings.h"

namespace wfs::runtime {

Label Join(const Label& a, const Label& b) {
  Label out;
  out.prov = a.prov | b.prov;
  out.conf = std::max(a.conf, b.conf);
  out.untrusted_origin = (a.prov & kProvUntrusted) ? a.untrusted_origin
                                                   : b.untrusted_origin;
  out.agent_origin = (a.prov & kProvAgent) ? a.agent_origin : b.agent_origin;
  out.private_origin =
      a.conf >= b.conf && a.conf > 0 ? a.private_origin : b.private_origin;
  return out;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNone: return "none";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kDecimal: return "decimal";
    case Kind::kString: return "string";
    case Kind::kTime: return "time";
    case Kind::kDuration: return "duration";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kRecord: return "record";
  }
  return "?";
}

int RecordShape::Find(std::string_view name) const {
  auto it = std::lower_bound(names.begin(), names.end(), name);
  if (it == names.end() || *it != name) return -1;
  return static_cast<int>(it - names.begin());
}

namespace {
const Items& EmptyItems() {
  static const Items kEmpty;
  return kEmpty;
}
}  // namespace

Value Value::None(Label l) {
  Value v;
  v.label_ = l;
  return v;
}
Value Value::Bool(bool b, Label l) {
  Value v;
  v.kind_ = Kind::kBool;
  v.num_ = b;
  v.label_ = l;
  return v;
}
Value Value::Int(int64_t i, Label l) {
  Value v;
  v.kind_ = Kind::kInt;
  v.num_ = i;
  v.label_ = l;
  return v;
}
Value Value::Decimal(int64_t micros, Label l) {
  Value v;
  v.kind_ = Kind::kDecimal;
  v.num_ = micros;
  v.label_ = l;
  return v;
}
Value Value::String(std::string s, Label l) {
  Value v;
  v.kind_ = Kind::kString;
  v.str_ = std::move(s);
  v.label_ = l;
  return v;
}
Value Value::Bytes(std::string s, Label l) {
  Value v = String(std::move(s), l);
  v.kind_ = Kind::kBytes;
  return v;
}
Value Value::Time(int64_t unix_seconds, std::string text, Label l) {
  Value v;
  v.kind_ = Kind::kTime;
  v.num_ = unix_seconds;
  v.str_ = std::move(text);
  v.label_ = l;
  return v;
}
Value Value::Duration(int64_t millis, Label l) {
  Value v;
  v.kind_ = Kind::kDuration;
  v.num_ = millis;
  v.label_ = l;
  return v;
}
Value Value::List(Items items, Label l) {
  Value v;
  v.kind_ = Kind::kList;
  v.items_ = std::make_shared<const Items>(std::move(items));
  v.label_ = l;
  return v;
}
Value Value::Record(ShapePtr shape, Items values, Label l) {
  Value v;
  v.kind_ = Kind::kRecord;
  v.shape_ = std::move(shape);
  v.items_ = std::make_shared<const Items>(std::move(values));
  v.label_ = l;
  return v;
}
Value Value::Record(std::vector<std::string> names, Items values, Label l) {
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return names[a] < names[b]; });
  auto shape = std::make_shared<RecordShape>();
  Items sorted;
  sorted.reserve(values.size());
  for (size_t i : order) {
    shape->names.push_back(std::move(names[i]));
    sorted.push_back(std::move(values[i]));
  }
  return Record(std::move(shape), std::move(sorted), l);
}

Value Value::WithLabel(Label l) const {
  Value v = *this;
  v.label_ = l;
  return v;
}

const Items& Value::items() const { return items_ ? *items_ : EmptyItems(); }

const Value* Value::RawField(std::string_view name) const {
  if (kind_ != Kind::kRecord || !shape_) return nullptr;
  int i = shape_->Find(name);
  return i < 0 ? nullptr : &(*items_)[i];
}

Value Value::WithItem(size_t index, Value v) const {
  Value out = *this;
  Items copy = items();
  if (index < copy.size()) copy[index] = std::move(v);
  out.items_ = std::make_shared<const Items>(std::move(copy));
  return out;
}

Label Value::Flatten() const {
  Label out = label_;
  if (!items_) return out;
  std::vector<const Value*> stack;
  for (const Value& v : *items_) stack.push_back(&v);
  while (!stack.empty()) {
    const Value* v = stack.back();
    stack.pop_back();
    out = Join(out, v->label_);
    if (v->items_) {
      for (const Value& c : *v->items_) stack.push_back(&c);
    }
  }
  return out;
}

size_t Value::ApproxBytes() const {
  size_t n = sizeof(Value) + str_.size();
  if (!items_) return n;
  std::vector<const Value*> stack;
  for (const Value& v : *items_) stack.push_back(&v);
  while (!stack.empty()) {
    const Value* v = stack.back();
    stack.pop_back();
    n += sizeof(Value) + v->str_.size();
    if (v->items_) {
      for (const Value& c : *v->items_) stack.push_back(&c);
    }
  }
  return n;
}

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) {
    // int and decimal compare by value
    if ((kind_ == Kind::kInt && o.kind_ == Kind::kDecimal) ||
        (kind_ == Kind::kDecimal && o.kind_ == Kind::kInt)) {
      int64_t a = kind_ == Kind::kInt ? num_ * 1000000 : num_;
      int64_t b = o.kind_ == Kind::kInt ? o.num_ * 1000000 : o.num_;
      return a == b;
    }
    return false;
  }
  switch (kind_) {
    case Kind::kNone: return true;
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kDecimal:
    case Kind::kTime:
    case Kind::kDuration: return num_ == o.num_;
    case Kind::kString:
    case Kind::kBytes: return str_ == o.str_;
    case Kind::kList: return items() == o.items();
    case Kind::kRecord:
      return shape_ && o.shape_ && shape_->names == o.shape_->names &&
             items() == o.items();
  }
  return false;
}

int Value::Compare(const Value& o) const {
  auto num = [](const Value& v) {
    return v.kind_ == Kind::kInt ? static_cast<Int128>(v.num_) * 1000000
                                 : static_cast<Int128>(v.num_);
  };
  if ((kind_ == Kind::kInt || kind_ == Kind::kDecimal) &&
      (o.kind_ == Kind::kInt || o.kind_ == Kind::kDecimal)) {
    Int128 a = num(*this), b = num(o);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (kind_ == Kind::kString || kind_ == Kind::kBytes) {
    int c = str_.compare(o.str_);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return num_ < o.num_ ? -1 : num_ > o.num_ ? 1 : 0;
}

std::string Value::Display() const {
  switch (kind_) {
    case Kind::kNone: return "none";
    case Kind::kBool: return num_ ? "true" : "false";
    case Kind::kInt: return std::to_string(num_);
    case Kind::kDecimal: return FormatDecimal(num_);
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kTime: return str_;
    case Kind::kDuration: return FormatDuration(num_);
    case Kind::kList: {
      std::string out = "[";
      const Items& it = items();
      for (size_t i = 0; i < it.size(); ++i) {
        if (i) out += ", ";
        if (out.size() > 4096) {
          out += "...";
          break;
        }
        out += it[i].Display();
      }
      return out + "]";
    }
    case Kind::kRecord: {
      std::string out = "{";
      const Items& it = items();
      for (size_t i = 0; i < it.size(); ++i) {
        if (i) out += ", ";
        if (out.size() > 4096) {
          out += "...";
          break;
        }
        out += shape_->names[i];
        out += ": ";
        out += it[i].Display();
      }
      return out + "}";
    }
  }
  return "";
}

Result<int64_t> ParseDecimal(std::string_view text) {
  std::string_view t = text;
  bool neg = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  size_t dot = t.find('.');
  std::string_view ip = t.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? "" : t.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  if (ip.empty() || !digits(ip) || !digits(fp) ||
      (dot != std::string_view::npos && fp.empty())) {
    return InvalidArgument(StrCat("not a decimal number: ", Quote(text)));
  }
  if (ip.size() > 12) {
    return InvalidArgument(StrCat("decimal out of range: ", Quote(text)));
  }
  if (fp.size() > 6) {
    return InvalidArgument(
        StrCat("decimal has more than 6 fractional digits: ", Quote(text)));
  }
  int64_t v = 0;
  for (char c : ip) v = v * 10 + (c - '0');
  int64_t f = 0;
  for (size_t i = 0; i < 6; ++i) f = f * 10 + (i < fp.size() ? fp[i] - '0' : 0);
  v = v * 1000000 + f;
  return neg ? -v : v;
}

std::string FormatDecimal(int64_t micros) {
  bool neg = micros < 0;
  uint64_t m = neg ? static_cast<uint64_t>(-(micros + 1)) + 1
                   : static_cast<uint64_t>(micros);
  std::string out = (neg ? "-" : "") + std::to_string(m / 1000000);
  uint64_t frac = m % 1000000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06llu",
                  static_cast<unsigned long long>(frac));
    std::string f = buf;
    while (!f.empty() && f.back() == '0') f.pop_back();
    if (f.size() == 1) f += "0";  // 42.5 shows as 42.50
    out += "." + f;
  }
  return out;
}

namespace {
// Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
}  // namespace

Result<int64_t> ParseTime(std::string_view t) {
  auto bad = [&]() {
    return InvalidArgument(StrCat("not an RFC 3339 time: ", Quote(t),
                                  " (expected e.g. 2026-12-01T10:00:00Z)"));
  };
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > t.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, s;
  if (t.size() < 20 || !num(0, 4, &y) || t[4] != '-' || !num(5, 2, &mo) ||
      t[7] != '-' || !num(8, 2, &d) || (t[10] != 'T' && t[10] != 't' &&
                                        t[10] != ' ') ||
      !num(11, 2, &h) || t[13] != ':' || !num(14, 2, &mi) || t[16] != ':' ||
      !num(17, 2, &s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return bad();
  }
  size_t p = 19;
  if (p < t.size() && t[p] == '.') {
    ++p;
    size_t start = p;
    while (p < t.size() && t[p] >= '0' && t[p] <= '9') ++p;
    if (p == start) return bad();
  }
  int64_t offset = 0;
  if (p < t.size() && (t[p] == 'Z' || t[p] == 'z')) {
    ++p;
  } else if (p < t.size() && (t[p] == '+' || t[p] == '-')) {
    int oh, om;
    if (!num(p + 1, 2, &oh) || p + 3 >= t.size() || t[p + 3] != ':' ||
        !num(p + 4, 2, &om) || oh > 23 || om > 59) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (t[p] == '+' ? 1 : -1);
    p += 6;
  } else {
    return bad();
  }
  if (p != t.size()) return bad();
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo),
                               static_cast<unsigned>(d));
  return days * 86400 + h * 3600 + mi * 60 + s - offset;
}

std::string FormatTime(int64_t unix_seconds) {
  int64_t days = unix_seconds >= 0 ? unix_seconds / 86400
                                   : (unix_seconds - 86399) / 86400;
  int64_t secs = unix_seconds - days * 86400;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

std::string FormatDuration(int64_t ms) {
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace wfs::runtime
