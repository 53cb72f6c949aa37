#include "lang/lexer.h"

#include <cctype>
#include <cstring>
#include <limits>

#include "base/strings.h"

namespace wfs::lang {

const char* TokName(Tok t) {
  switch (t) {
    case Tok::kEof: return "end of file";
    case Tok::kError: return "invalid token";
    case Tok::kIdent: return "identifier";
    case Tok::kInt: return "integer";
    case Tok::kDecimal: return "decimal";
    case Tok::kVersion: return "version";
    case Tok::kDuration: return "duration";
    case Tok::kString: return "string";
    case Tok::kLBrace: return "`{`";
    case Tok::kRBrace: return "`}`";
    case Tok::kLParen: return "`(`";
    case Tok::kRParen: return "`)`";
    case Tok::kLBracket: return "`[`";
    case Tok::kRBracket: return "`]`";
    case Tok::kComma: return "`,`";
    case Tok::kColon: return "`:`";
    case Tok::kDot: return "`.`";
    case Tok::kAt: return "`@`";
    case Tok::kArrow: return "`->`";
    case Tok::kAssign: return "`=`";
    case Tok::kEq: return "`==`";
    case Tok::kNe: return "`!=`";
    case Tok::kLt: return "`<`";
    case Tok::kLe: return "`<=`";
    case Tok::kGt: return "`>`";
    case Tok::kGe: return "`>=`";
    case Tok::kPlus: return "`+`";
    case Tok::kMinus: return "`-`";
    case Tok::kStar: return "`*`";
    case Tok::kSlash: return "`/`";
    case Tok::kPercent: return "`%`";
    case Tok::kQuestion: return "`?`";
    case Tok::kCoalesce: return "`??`";
  }
  return "token";
}

namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  Lexer(const SourceFile& file, DiagnosticSink& diags, const LexOptions& opts)
      : file_(file), src_(file.text()), diags_(diags), opts_(opts) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    out.reserve(src_.size() / 4 + 8);
    size_t bad = FindInvalidUtf8(src_);
    if (bad != std::string::npos) {
      // Report the first bad byte; lexing goes on so later errors are found.
      // Strings holding invalid bytes are rejected where they are lexed.
      diags_.Error("E001", SpanAt(static_cast<uint32_t>(bad), 1),
                   "file is not valid UTF-8", "save the file as UTF-8");
    }
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= src_.size()) break;
      out.push_back(Next());
    }
    Token eof;
    eof.kind = Tok::kEof;
    eof.span = SpanAt(static_cast<uint32_t>(src_.size()), 0);
    out.push_back(std::move(eof));
    return out;
  }

 private:
  static size_t Utf8Len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
  }

  Span SpanAt(uint32_t offset, uint32_t length) const {
    Span s;
    s.offset = offset;
    s.length = length;
    file_.Position(offset, &s.line, &s.col);
    return s;
  }

  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  void SkipSpaceAndComments() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#' || (c == '/' && Peek(1) == '/')) {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Token Make(Tok kind, size_t start) {
    Token t;
    t.kind = kind;
    t.span = SpanAt(static_cast<uint32_t>(start),
                    static_cast<uint32_t>(pos_ - start));
    return t;
  }

  Token Next() {
    size_t start = pos_;
    char c = src_[pos_];
    if (IsIdentStart(c)) {
      while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
      Token t = Make(Tok::kIdent, start);
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    if (IsDigit(c)) return Number(start);
    if (c == '"') return String(start);
    ++pos_;
    switch (c) {
      case '{': return Make(Tok::kLBrace, start);
      case '}': return Make(Tok::kRBrace, start);
      case '(': return Make(Tok::kLParen, start);
      case ')': return Make(Tok::kRParen, start);
      case '[': return Make(Tok::kLBracket, start);
      case ']': return Make(Tok::kRBracket, start);
      case ',': return Make(Tok::kComma, start);
      case ':': return Make(Tok::kColon, start);
      case '.': return Make(Tok::kDot, start);
      case '@': return Make(Tok::kAt, start);
      case '+': return Make(Tok::kPlus, start);
      case '*': return Make(Tok::kStar, start);
      case '/': return Make(Tok::kSlash, start);
      case '%': return Make(Tok::kPercent, start);
      case '-':
        if (Peek() == '>') {
          ++pos_;
          return Make(Tok::kArrow, start);
        }
        return Make(Tok::kMinus, start);
      case '=':
        if (Peek() == '=') {
          ++pos_;
          return Make(Tok::kEq, start);
        }
        return Make(Tok::kAssign, start);
      case '!':
        if (Peek() == '=') {
          ++pos_;
          return Make(Tok::kNe, start);
        }
        break;
      case '<':
        if (Peek() == '=') {
          ++pos_;
          return Make(Tok::kLe, start);
        }
        return Make(Tok::kLt, start);
      case '>':
        if (Peek() == '=') {
          ++pos_;
          return Make(Tok::kGe, start);
        }
        return Make(Tok::kGt, start);
      case '?':
        if (Peek() == '?') {
          ++pos_;
          return Make(Tok::kCoalesce, start);
        }
        return Make(Tok::kQuestion, start);
      default: break;
    }
    // Skip the rest of a multi-byte character so one bad character gives
    // one diagnostic.
    size_t len = Utf8Len(static_cast<unsigned char>(c));
    pos_ = std::min(src_.size(), start + len);
    Token t = Make(Tok::kError, start);
    std::string shown = src_.substr(start, pos_ - start);
    std::string hint;
    if (c == '!') hint = "use `not` for negation and `!=` for inequality";
    if (c == '&' || c == '|') hint = "use `and` / `or`";
    if (c == '\'') hint = "strings use double quotes";
    if (c == ';') hint = "statements end at the line break; no `;` needed";
    diags_.Error("E001", t.span, StrCat("unexpected character ", Quote(shown)),
                 hint);
    return t;
  }

  Token Number(size_t start) {
    while (IsDigit(Peek())) ++pos_;
    int dots = 0;
    // Versions: d.d.d with optional -pre and +build.
    size_t save = pos_;
    while (Peek() == '.' && IsDigit(Peek(1)) && dots < 2) {
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
      ++dots;
    }
    if (dots == 2) {
      if (Peek() == '-' || Peek() == '+') {
        while (IsIdentChar(Peek()) || Peek() == '.' || Peek() == '-' ||
               Peek() == '+') {
          ++pos_;
        }
      }
      Token t = Make(Tok::kVersion, start);
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    if (dots == 1) {
      Token t = Make(Tok::kDecimal, start);
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    pos_ = save;
    std::string digits = src_.substr(start, pos_ - start);
    // Duration suffix.
    if (std::isalpha(static_cast<unsigned char>(Peek()))) {
      size_t unit_start = pos_;
      while (IsIdentChar(Peek())) ++pos_;
      std::string unit = src_.substr(unit_start, pos_ - unit_start);
      int64_t mult = unit == "s"    ? 1
                     : unit == "m"  ? 60
                     : unit == "h"  ? 3600
                     : unit == "d"  ? 86400
                     : unit == "ms" ? 1
                                    : 0;
      Token t = Make(mult ? Tok::kDuration : Tok::kError, start);
      t.text = src_.substr(start, pos_ - start);
      int64_t n = 0;
      if (!ParseInt(digits, &n) ||
          n > std::numeric_limits<int64_t>::max() / (mult ? mult : 1)) {
        t.kind = Tok::kError;
        diags_.Error("E001", t.span, StrCat("duration ", Quote(t.text),
                                            " is out of range"));
        return t;
      }
      if (!mult) {
        diags_.Error("E001", t.span,
                     StrCat("unknown unit ", Quote(unit), " after a number"),
                     "durations end in ms, s, m, h or d (e.g. 30m)");
        return t;
      }
      t.int_value = n * mult;
      t.duration_ms = unit == "ms";
      return t;
    }
    Token t = Make(Tok::kInt, start);
    t.text = digits;
    if (!ParseInt(digits, &t.int_value)) {
      t.kind = Tok::kError;
      diags_.Error("E001", t.span,
                   StrCat("integer ", Quote(digits), " is out of range"),
                   "integers are 64-bit; use a decimal for larger amounts");
    }
    return t;
  }

  static bool ParseInt(const std::string& digits, int64_t* out) {
    int64_t v = 0;
    for (char d : digits) {
      int k = d - '0';
      if (v > (std::numeric_limits<int64_t>::max() - k) / 10) return false;
      v = v * 10 + k;
    }
    *out = v;
    return true;
  }

  Token String(size_t start) {
    ++pos_;  // opening quote
    Token t;
    t.kind = Tok::kString;
    std::string cur;
    bool ok = true;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        t = Make(Tok::kError, start);
        diags_.Error("E001", SpanAt(static_cast<uint32_t>(start), 1),
                     "unterminated string",
                     "close the string with `\"` on the same line; use \\n "
                     "for line breaks");
        return t;
      }
      if (cur.size() > opts_.max_string_bytes) {
        ok = false;
      }
      char c = src_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        size_t esc = pos_;
        ++pos_;
        char e = Peek();
        ++pos_;
        switch (e) {
          case 'n': cur += '\n'; break;
          case 't': cur += '\t'; break;
          case 'r': cur += '\r'; break;
          case '"': cur += '"'; break;
          case '\\': cur += '\\'; break;
          case '{': cur += '{'; break;
          case '}': cur += '}'; break;
          case 'u': {
            uint32_t cp = 0;
            bool good = Peek() == '{';
            if (good) {
              ++pos_;
              int digits = 0;
              while (std::isxdigit(static_cast<unsigned char>(Peek())) &&
                     digits < 6) {
                char h = src_[pos_++];
                cp = cp * 16 + static_cast<uint32_t>(
                                   std::isdigit(static_cast<unsigned char>(h))
                                       ? h - '0'
                                       : std::tolower(h) - 'a' + 10);
                ++digits;
              }
              good = digits > 0 && Peek() == '}' && cp <= 0x10FFFF &&
                     !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0;
              if (Peek() == '}') ++pos_;
            }
            if (!good) {
              ok = false;
              diags_.Error("E001",
                           SpanAt(static_cast<uint32_t>(esc),
                                  static_cast<uint32_t>(pos_ - esc)),
                           "invalid unicode escape",
                           "write \\u{XXXX} with 1-6 hex digits naming a "
                           "valid, non-zero code point");
            } else {
              AppendUtf8(cur, cp);
            }
            break;
          }
          default:
            ok = false;
            diags_.Error("E001", SpanAt(static_cast<uint32_t>(esc), 2),
                         "unknown escape sequence",
                         "valid escapes: \\n \\t \\r \\\" \\\\ \\{ \\} "
                         "\\u{XXXX}");
            if (e == '\n') --pos_;
            break;
        }
        continue;
      }
      if (c == '{') {
        // Interpolation hole: {ident(.ident)*}
        size_t hole_start = pos_;
        ++pos_;
        StringHole hole;
        bool good = true;
        while (true) {
          while (Peek() == ' ') ++pos_;
          if (!IsIdentStart(Peek())) {
            good = false;
            break;
          }
          size_t id_start = pos_;
          while (IsIdentChar(Peek())) ++pos_;
          hole.path.push_back(src_.substr(id_start, pos_ - id_start));
          hole.spans.push_back(SpanAt(static_cast<uint32_t>(id_start),
                                      static_cast<uint32_t>(pos_ - id_start)));
          while (Peek() == ' ') ++pos_;
          if (Peek() == '.') {
            ++pos_;
            continue;
          }
          break;
        }
        if (!good || Peek() != '}') {
          ok = false;
          while (pos_ < src_.size() && src_[pos_] != '}' &&
                 src_[pos_] != '"' && src_[pos_] != '\n') {
            ++pos_;
          }
          if (Peek() == '}') ++pos_;
          diags_.Error("E001",
                       SpanAt(static_cast<uint32_t>(hole_start),
                              static_cast<uint32_t>(pos_ - hole_start)),
                       "invalid interpolation in string",
                       "a `{...}` hole holds a name or a field path such as "
                       "{m.subject}; write \\{ for a literal brace");
          continue;
        }
        ++pos_;
        t.pieces.push_back(std::move(cur));
        cur.clear();
        t.holes.push_back(std::move(hole));
        continue;
      }
      cur += c;
      ++pos_;
    }
    Token out = Make(ok ? Tok::kString : Tok::kError, start);
    if (ok && cur.size() > opts_.max_string_bytes) {
      out.kind = Tok::kError;
      diags_.Error("E001", out.span, "string literal is too long");
    }
    if (out.kind == Tok::kString) {
      if (t.holes.empty()) {
        out.text = std::move(cur);
      } else {
        t.pieces.push_back(std::move(cur));
        out.pieces = std::move(t.pieces);
        out.holes = std::move(t.holes);
      }
    }
    return out;
  }

  const SourceFile& file_;
  const std::string& src_;
  DiagnosticSink& diags_;
  LexOptions opts_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Token> Lex(const SourceFile& file, DiagnosticSink& diags,
                       const LexOptions& options) {
  return Lexer(file, diags, options).Run();
}

}  // namespace wfs::lang
