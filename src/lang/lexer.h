// Lexer for workflow (.wf) and connector interface (.wfi) files.
//
// Internal to src/lang. Produces the whole token vector in one pass; never
// fails: malformed input becomes kError tokens plus a diagnostic, so the
// parser can report everything in one run.
#ifndef WFSTORE_LANG_LEXER_H_
#define WFSTORE_LANG_LEXER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lang/diagnostics.h"
#include "lang/source.h"

namespace wfs::lang {

enum class Tok : uint8_t {
  kEof,
  kError,
  kIdent,
  kInt,       // 42
  kDecimal,   // 12.50
  kVersion,   // 1.2.3, 1.2.3-rc.1
  kDuration,  // 30s, 15m, 2h, 1d, 250ms
  kString,    // "text {interp} text"
  kLBrace, kRBrace, kLParen, kRParen, kLBracket, kRBracket,
  kComma, kColon, kDot, kAt, kArrow, kAssign,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kPlus, kMinus, kStar, kSlash, kPercent, kQuestion, kCoalesce,
};

const char* TokName(Tok t);

// One `{path}` hole inside a string literal.
struct StringHole {
  std::vector<std::string> path;  // ["m", "subject"]
  std::vector<Span> spans;        // one per path element
};

struct Token {
  Tok kind = Tok::kEof;
  Span span;
  std::string text;  // identifier, number text, or decoded string (no holes)
  int64_t int_value = 0;      // kInt; kDuration in seconds (ms: milliseconds)
  bool duration_ms = false;
  // For strings with holes: pieces.size() == holes.size() + 1.
  std::vector<std::string> pieces;
  std::vector<StringHole> holes;
};

struct LexOptions {
  uint32_t max_string_bytes = 1 << 20;
};

std::vector<Token> Lex(const SourceFile& file, DiagnosticSink& diags,
                       const LexOptions& options = {});

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_LEXER_H_
