#include "runtime/builtins.h"

#include <algorithm>

#include "base/int128.h"
#include "base/strings.h"

namespace wfs::runtime {

namespace {

Status Bad(const char* what, const Value& a) {
  return InvalidArgument(StrCat(what, " does not apply to ", KindName(a.kind())));
}
Status Bad2(const char* what, const Value& a, const Value& b) {
  return InvalidArgument(StrCat(what, " does not apply to ", KindName(a.kind()),
                                " and ", KindName(b.kind())));
}

bool IsNum(const Value& v) {
  return v.kind() == Kind::kInt || v.kind() == Kind::kDecimal;
}
int64_t Micros(const Value& v) {
  return v.kind() == Kind::kInt ? v.i() * 1000000 : v.i();
}
bool FitsMicros(Int128 v) {
  // 12 integer digits, 6 fractional: |v| < 10^18
  return v > -static_cast<Int128>(1000000000000000000LL) &&
         v < static_cast<Int128>(1000000000000000000LL);
}
Result<Value> MakeDecimal(Int128 v, Label l) {
  if (!FitsMicros(v)) return InvalidArgument("decimal overflow");
  return Value::Decimal(static_cast<int64_t>(v), l);
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}
std::string AsciiUpper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

bool IsText(const Value& v) {
  return v.kind() == Kind::kString || v.kind() == Kind::kBytes ||
         v.kind() == Kind::kTime;
}

}  // namespace

Value Relabel(const Value& v, uint8_t prov, int depth) {
  Label l = v.label();
  l.prov = prov;
  l.untrusted_origin = 0;
  l.agent_origin = 0;
  if (v.kind() != Kind::kList && v.kind() != Kind::kRecord) {
    return v.WithLabel(l);
  }
  if (depth > 64) return v.WithLabel(l);
  Items items;
  items.reserve(v.items().size());
  for (const Value& x : v.items()) items.push_back(Relabel(x, prov, depth + 1));
  if (v.kind() == Kind::kList) return Value::List(std::move(items), l);
  return Value::Record(v.shape_ptr(), std::move(items), l);
}

Value RelabelPath(const Value& v, const std::vector<std::string>& path,
                  size_t i, uint8_t prov) {
  if (i == path.size()) return Relabel(v, prov);
  if (v.kind() != Kind::kRecord || i > 64) return v;
  int idx = v.shape()->Find(path[i]);
  if (idx < 0) return v;
  Items items;
  items.reserve(v.items().size());
  for (size_t k = 0; k < v.items().size(); ++k) {
    const Value& x = v.items()[k];
    Value pushed = x.WithLabel(Join(x.label(), v.label()));
    if (static_cast<int>(k) == idx) {
      items.push_back(RelabelPath(pushed, path, i + 1, prov));
    } else {
      items.push_back(std::move(pushed));
    }
  }
  Label bottom;
  return Value::Record(v.shape_ptr(), std::move(items), bottom);
}

Result<Value> ApplyUnary(Fn fn, const Value& a) {
  Label l = a.Flatten();
  if (fn == Fn::kNot) {
    if (a.kind() != Kind::kBool) return Bad("`not`", a);
    return Value::Bool(!a.b(), l);
  }
  if (fn == Fn::kNeg) {
    switch (a.kind()) {
      case Kind::kInt:
        if (a.i() == INT64_MIN) return InvalidArgument("integer overflow");
        return Value::Int(-a.i(), l);
      case Kind::kDecimal: return Value::Decimal(-a.i(), l);
      case Kind::kDuration: return Value::Duration(-a.i(), l);
      default: return Bad("`-`", a);
    }
  }
  return InvalidArgument("unknown unary operator");
}

Result<Value> ApplyBinary(Fn fn, const Value& a, const Value& b) {
  Label l = Join(a.Flatten(), b.Flatten());
  switch (fn) {
    case Fn::kEq: return Value::Bool(a == b, l);
    case Fn::kNe: return Value::Bool(!(a == b), l);
    case Fn::kLt:
    case Fn::kLe:
    case Fn::kGt:
    case Fn::kGe: {
      bool ok = (IsNum(a) && IsNum(b)) || (IsText(a) && IsText(b) &&
                                           a.kind() == b.kind()) ||
                (a.kind() == b.kind() && (a.kind() == Kind::kTime ||
                                          a.kind() == Kind::kDuration));
      if (!ok) return Bad2("ordering", a, b);
      int c = a.Compare(b);
      bool r = fn == Fn::kLt ? c < 0 : fn == Fn::kLe ? c <= 0
               : fn == Fn::kGt ? c > 0 : c >= 0;
      return Value::Bool(r, l);
    }
    case Fn::kAnd:
    case Fn::kOr:
      if (a.kind() != Kind::kBool || b.kind() != Kind::kBool) {
        return Bad2(fn == Fn::kAnd ? "`and`" : "`or`", a, b);
      }
      return Value::Bool(fn == Fn::kAnd ? (a.b() && b.b()) : (a.b() || b.b()),
                         l);
    case Fn::kCoalesce:
      return a.kind() == Kind::kNone ? b : a;
    case Fn::kAdd: {
      if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
        int64_t r;
        if (__builtin_add_overflow(a.i(), b.i(), &r)) {
          return InvalidArgument("integer overflow");
        }
        return Value::Int(r, l);
      }
      if (IsNum(a) && IsNum(b)) {
        return MakeDecimal(static_cast<Int128>(Micros(a)) + Micros(b), l);
      }
      if (IsText(a) && IsText(b)) return Value::String(a.s() + b.s(), l);
      if (a.kind() == Kind::kList && b.kind() == Kind::kList) {
        Items items = a.items();
        items.insert(items.end(), b.items().begin(), b.items().end());
        return Value::List(std::move(items), Join(a.label(), b.label()));
      }
      if (a.kind() == Kind::kTime && b.kind() == Kind::kDuration) {
        int64_t t = a.i() + b.i() / 1000;
        return Value::Time(t, FormatTime(t), l);
      }
      if (a.kind() == Kind::kDuration && b.kind() == Kind::kDuration) {
        return Value::Duration(a.i() + b.i(), l);
      }
      return Bad2("`+`", a, b);
    }
    case Fn::kSub: {
      if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
        int64_t r;
        if (__builtin_sub_overflow(a.i(), b.i(), &r)) {
          return InvalidArgument("integer overflow");
        }
        return Value::Int(r, l);
      }
      if (IsNum(a) && IsNum(b)) {
        return MakeDecimal(static_cast<Int128>(Micros(a)) - Micros(b), l);
      }
      if (a.kind() == Kind::kTime && b.kind() == Kind::kDuration) {
        int64_t t = a.i() - b.i() / 1000;
        return Value::Time(t, FormatTime(t), l);
      }
      if (a.kind() == Kind::kTime && b.kind() == Kind::kTime) {
        return Value::Duration((a.i() - b.i()) * 1000, l);
      }
      if (a.kind() == Kind::kDuration && b.kind() == Kind::kDuration) {
        return Value::Duration(a.i() - b.i(), l);
      }
      return Bad2("`-`", a, b);
    }
    case Fn::kMul: {
      if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
        int64_t r;
        if (__builtin_mul_overflow(a.i(), b.i(), &r)) {
          return InvalidArgument("integer overflow");
        }
        return Value::Int(r, l);
      }
      if (IsNum(a) && IsNum(b)) {
        Int128 p = static_cast<Int128>(Micros(a)) * Micros(b);
        Int128 q = p / 1000000;
        Int128 rem = p % 1000000;
        if (rem >= 500000) ++q;        // round half away from zero
        if (rem <= -500000) --q;
        return MakeDecimal(q, l);
      }
      if ((a.kind() == Kind::kDuration && b.kind() == Kind::kInt) ||
          (a.kind() == Kind::kInt && b.kind() == Kind::kDuration)) {
        int64_t r;
        if (__builtin_mul_overflow(a.i(), b.i(), &r)) {
          return InvalidArgument("duration overflow");
        }
        return Value::Duration(r, l);
      }
      return Bad2("`*`", a, b);
    }
    case Fn::kDiv:
    case Fn::kMod: {
      if (!IsNum(a) || !IsNum(b)) return Bad2(fn == Fn::kDiv ? "`/`" : "`%`", a, b);
      if (b.i() == 0) return InvalidArgument("division by zero");
      if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
        if (a.i() == INT64_MIN && b.i() == -1) {
          return InvalidArgument("integer overflow");
        }
        return Value::Int(fn == Fn::kDiv ? a.i() / b.i() : a.i() % b.i(), l);
      }
      if (fn == Fn::kMod) return Bad2("`%`", a, b);
      Int128 q = static_cast<Int128>(Micros(a)) * 1000000 / Micros(b);
      return MakeDecimal(q, l);
    }
    default: return InvalidArgument("unknown binary operator");
  }
}

Result<Value> ApplyBuiltin(Fn fn, const std::vector<const Value*>& args) {
  Label l;
  for (const Value* a : args) l = Join(l, a->Flatten());
  auto need = [&](size_t n) -> Status {
    if (args.size() != n) {
      return InvalidArgument(StrCat(FnName(fn), " takes ", n, " arguments"));
    }
    return Status::Ok();
  };
  switch (fn) {
    case Fn::kLen: {
      WFS_RETURN_IF_ERROR(need(1));
      const Value& a = *args[0];
      if (a.kind() == Kind::kList) {
        // A list's length depends on its membership, not on its elements.
        return Value::Int(static_cast<int64_t>(a.items().size()), a.label());
      }
      if (IsText(a)) return Value::Int(static_cast<int64_t>(CodePoints(a.s())), l);
      return Bad("len", a);
    }
    case Fn::kContains: {
      WFS_RETURN_IF_ERROR(need(2));
      const Value& a = *args[0];
      const Value& b = *args[1];
      if (a.kind() == Kind::kList) {
        bool found = std::any_of(a.items().begin(), a.items().end(),
                                 [&](const Value& x) { return x == b; });
        return Value::Bool(found, l);
      }
      if (IsText(a) && IsText(b)) {
        return Value::Bool(a.s().find(b.s()) != std::string::npos, l);
      }
      return Bad2("contains", a, b);
    }
    case Fn::kStartsWith:
    case Fn::kEndsWith: {
      WFS_RETURN_IF_ERROR(need(2));
      if (!IsText(*args[0]) || !IsText(*args[1])) {
        return Bad2(FnName(fn), *args[0], *args[1]);
      }
      return Value::Bool(fn == Fn::kStartsWith
                             ? StartsWith(args[0]->s(), args[1]->s())
                             : EndsWith(args[0]->s(), args[1]->s()),
                         l);
    }
    case Fn::kLower:
    case Fn::kUpper:
    case Fn::kTrim: {
      WFS_RETURN_IF_ERROR(need(1));
      if (!IsText(*args[0])) return Bad(FnName(fn), *args[0]);
      const std::string& s = args[0]->s();
      if (fn == Fn::kLower) return Value::String(AsciiLower(s), l);
      if (fn == Fn::kUpper) return Value::String(AsciiUpper(s), l);
      return Value::String(std::string(Trim(s)), l);
    }
    case Fn::kReplace: {
      WFS_RETURN_IF_ERROR(need(3));
      for (const Value* a : args) {
        if (!IsText(*a)) return Bad("replace", *a);
      }
      const std::string& s = args[0]->s();
      const std::string& from = args[1]->s();
      const std::string& to = args[2]->s();
      if (from.empty()) return Value::String(s, l);
      std::string out;
      size_t pos = 0;
      while (true) {
        size_t hit = s.find(from, pos);
        if (hit == std::string::npos) break;
        out.append(s, pos, hit - pos);
        out += to;
        pos = hit + from.size();
        if (out.size() > (64u << 20)) {
          return InvalidArgument("replace result is larger than 64 MiB");
        }
      }
      out.append(s, pos, std::string::npos);
      return Value::String(std::move(out), l);
    }
    case Fn::kSplit: {
      WFS_RETURN_IF_ERROR(need(2));
      if (!IsText(*args[0]) || !IsText(*args[1])) {
        return Bad2("split", *args[0], *args[1]);
      }
      Items parts;
      const std::string& s = args[0]->s();
      const std::string& sep = args[1]->s();
      if (sep.empty()) {
        for (size_t i = 0; i < s.size();) {
          size_t n = 1;
          while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) &
                                      0xC0) == 0x80) {
            ++n;
          }
          parts.push_back(Value::String(s.substr(i, n), l));
          i += n;
        }
      } else {
        size_t pos = 0;
        while (true) {
          size_t hit = s.find(sep, pos);
          parts.push_back(Value::String(s.substr(pos, hit - pos), l));
          if (hit == std::string::npos) break;
          pos = hit + sep.size();
        }
      }
      return Value::List(std::move(parts), l);
    }
    case Fn::kJoin: {
      WFS_RETURN_IF_ERROR(need(2));
      if (args[0]->kind() != Kind::kList || !IsText(*args[1])) {
        return Bad2("join", *args[0], *args[1]);
      }
      std::string out;
      const Items& items = args[0]->items();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += args[1]->s();
        out += items[i].Display();
      }
      return Value::String(std::move(out), l);
    }
    case Fn::kTake: {
      WFS_RETURN_IF_ERROR(need(2));
      if (args[0]->kind() != Kind::kList || args[1]->kind() != Kind::kInt) {
        return Bad2("take", *args[0], *args[1]);
      }
      const Items& items = args[0]->items();
      int64_t n = std::clamp<int64_t>(args[1]->i(), 0,
                                      static_cast<int64_t>(items.size()));
      Items out(items.begin(), items.begin() + n);
      return Value::List(std::move(out),
                         Join(args[0]->label(), args[1]->Flatten()));
    }
    case Fn::kCount: {
      WFS_RETURN_IF_ERROR(need(2));
      if (args[0]->kind() != Kind::kList) return Bad("count", *args[0]);
      int64_t n = std::count_if(args[0]->items().begin(),
                                args[0]->items().end(),
                                [&](const Value& x) { return x == *args[1]; });
      return Value::Int(n, l);
    }
    case Fn::kWhere: {
      WFS_RETURN_IF_ERROR(need(3));
      if (args[0]->kind() != Kind::kList || !IsText(*args[1])) {
        return Bad2("where", *args[0], *args[1]);
      }
      Items out;
      Label sel = Join(args[0]->label(), args[2]->Flatten());
      for (const Value& x : args[0]->items()) {
        const Value* f = x.RawField(args[1]->s());
        if (f == nullptr) {
          return InvalidArgument(StrCat("where: records have no field `",
                                        args[1]->s(), "`"));
        }
        sel = Join(sel, f->Flatten());
        if (*f == *args[2]) out.push_back(x);
      }
      return Value::List(std::move(out), sel);
    }
    case Fn::kStr: {
      WFS_RETURN_IF_ERROR(need(1));
      return Value::String(args[0]->Display(), l);
    }
    case Fn::kMin:
    case Fn::kMax: {
      WFS_RETURN_IF_ERROR(need(2));
      if (!IsNum(*args[0]) || !IsNum(*args[1])) {
        return Bad2(FnName(fn), *args[0], *args[1]);
      }
      int c = args[0]->Compare(*args[1]);
      const Value& pick = (fn == Fn::kMin) == (c <= 0) ? *args[0] : *args[1];
      if (args[0]->kind() == Kind::kInt && args[1]->kind() == Kind::kInt) {
        return Value::Int(pick.i(), l);
      }
      return Value::Decimal(Micros(pick), l);
    }
    default: return InvalidArgument("unknown built-in function");
  }
}

}  // namespace wfs::runtime
