#include "lang/parser.h"

#include <unordered_set>

#include "base/strings.h"

namespace wfs::lang {

bool IsReservedWord(const std::string& word) {
  static const std::unordered_set<std::string> kWords = {
      "let",    "var",     "if",      "else",     "for",   "in",
      "return", "fail",    "confirm", "choose",   "endorse", "true",
      "false",  "none",    "and",     "or",       "not",   "workflow",
      "while",  "connector"};
  return kWords.count(word) > 0;
}

namespace {

constexpr const char* kWorkflowItems =
    "summary, intent, input, output, uses, scope, limit, run, test, property";
constexpr const char* kConnectorItems =
    "summary, base, scope, type, world, action";

class Parser {
 public:
  Parser(const std::vector<Token>& toks, DiagnosticSink& diags,
         const ParseOptions& opts)
      : toks_(toks), diags_(diags), opts_(opts) {}

  Module Run() {
    if (At(Tok::kEof)) {
      diags_.Error("E002", Cur().span, "file is empty",
                   "a .wf file holds one `workflow NAME VERSION { ... }`, a "
                   ".wfi file one `connector NAME VERSION { ... }`");
      return std::move(m_);
    }
    if (AtWord("workflow")) {
      ParseWorkflow();
    } else if (AtWord("connector")) {
      ParseConnector();
    } else {
      Error(Cur().span,
            StrCat("expected `workflow` or `connector`, found ", Describe()),
            "a .wf file starts with `workflow NAME VERSION {`");
      return std::move(m_);
    }
    if (!At(Tok::kEof)) {
      Error(Cur().span,
            StrCat("unexpected ", Describe(), " after the closing `}`"),
            "a file holds exactly one workflow or connector");
    }
    return std::move(m_);
  }

 private:
  // ---- token helpers -------------------------------------------------------
  const Token& Cur() const { return toks_[pos_]; }
  const Token& PeekTok(size_t ahead = 1) const {
    size_t i = pos_ + ahead;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  const Token& Prev() const { return toks_[pos_ > 0 ? pos_ - 1 : 0]; }
  bool At(Tok k) const { return Cur().kind == k; }
  bool AtWord(const char* w) const {
    return Cur().kind == Tok::kIdent && Cur().text == w;
  }
  void Advance() {
    if (!At(Tok::kEof)) ++pos_;
  }
  bool Accept(Tok k) {
    if (At(k)) {
      Advance();
      return true;
    }
    return false;
  }
  bool AcceptWord(const char* w) {
    if (AtWord(w)) {
      Advance();
      return true;
    }
    return false;
  }

  std::string Describe() const {
    const Token& t = Cur();
    switch (t.kind) {
      case Tok::kIdent: return StrCat("`", t.text, "`");
      case Tok::kInt:
      case Tok::kDecimal:
      case Tok::kVersion:
      case Tok::kDuration: return StrCat(TokName(t.kind), " `", t.text, "`");
      case Tok::kString: return "a string";
      default: return TokName(t.kind);
    }
  }

  void Error(Span span, std::string msg, std::string hint = "") {
    // A lexer error already explained this token.
    if (Cur().kind == Tok::kError && span.offset == Cur().span.offset) return;
    diags_.Error("E002", span, std::move(msg), std::move(hint));
  }

  bool Expect(Tok k, const char* what, const char* hint = "") {
    if (Accept(k)) return true;
    Error(Cur().span, StrCat("expected ", what, ", found ", Describe()), hint);
    return false;
  }

  bool ExpectWord(const char* w, const char* hint = "") {
    if (AcceptWord(w)) return true;
    Error(Cur().span, StrCat("expected `", w, "`, found ", Describe()), hint);
    return false;
  }

  bool ExpectIdent(std::string* out, Span* span, const char* what) {
    if (At(Tok::kIdent)) {
      *out = Cur().text;
      if (span) *span = Cur().span;
      Advance();
      return true;
    }
    Error(Cur().span, StrCat("expected ", what, ", found ", Describe()));
    return false;
  }

  bool ExpectString(std::string* out, const char* what) {
    if (At(Tok::kString) && Cur().holes.empty()) {
      *out = Cur().text;
      Advance();
      return true;
    }
    if (At(Tok::kString)) {
      Error(Cur().span, StrCat(what, " cannot contain `{...}` holes"),
            "write \\{ for a literal brace");
      Advance();
      return false;
    }
    Error(Cur().span, StrCat("expected ", what, ", found ", Describe()));
    return false;
  }

  // Skips to a token that can start the next item: the first token on a later
  // line at the same brace depth, or the `}` that closes the current block.
  void Synchronize() {
    uint32_t line = Cur().span.line;
    int depth = 0;
    if (At(Tok::kLBrace)) {
      ++depth;
      Advance();
    } else if (!At(Tok::kRBrace)) {
      Advance();
    }
    while (!At(Tok::kEof)) {
      if (depth == 0) {
        if (At(Tok::kRBrace)) return;
        if (Cur().span.line != line) return;
      }
      if (At(Tok::kLBrace)) ++depth;
      if (At(Tok::kRBrace)) --depth;
      Advance();
    }
  }

  bool Enter(Span span) {
    if (++depth_ > opts_.max_depth) {
      if (!depth_reported_) {
        diags_.Error("E002", span,
                     StrCat("nesting deeper than ", opts_.max_depth,
                            " levels"),
                     "split the expression or block into smaller parts");
        depth_reported_ = true;
      }
      return false;
    }
    return true;
  }
  void Leave() { --depth_; }

  NodeId AddExpr(Expr e) {
    m_.exprs.push_back(std::move(e));
    return static_cast<NodeId>(m_.exprs.size() - 1);
  }
  NodeId AddStmt(Stmt s) {
    m_.stmts.push_back(std::move(s));
    return static_cast<NodeId>(m_.stmts.size() - 1);
  }
  NodeId AddType(TypeExpr t) {
    m_.types.push_back(std::move(t));
    return static_cast<NodeId>(m_.types.size() - 1);
  }

  Span Join(Span a, Span b) const {
    Span s = a;
    if (b.offset + b.length > a.offset) s.length = b.offset + b.length - a.offset;
    return s;
  }

  // ---- names and versions --------------------------------------------------
  bool ParseQualifiedName(std::string* out, Span* span) {
    if (!At(Tok::kIdent)) {
      Error(Cur().span, StrCat("expected a name, found ", Describe()));
      return false;
    }
    Span start = Cur().span;
    *out = Cur().text;
    Advance();
    while (At(Tok::kDot) && PeekTok().kind == Tok::kIdent) {
      Advance();
      *out += ".";
      *out += Cur().text;
      Advance();
    }
    *span = Join(start, Prev().span);
    return true;
  }

  bool ParseVersion(std::string* out, Span* span) {
    if (At(Tok::kVersion)) {
      *out = Cur().text;
      *span = Cur().span;
      Advance();
      return true;
    }
    std::string hint = "versions are semantic: MAJOR.MINOR.PATCH, e.g. 1.0.0";
    diags_.Error("E004", Cur().span,
                 StrCat("expected a version, found ", Describe()), hint);
    return false;
  }

  // ---- types -----------------------------------------------------------------
  NodeId ParseType() {
    Span start = Cur().span;
    if (!Enter(start)) return kNoNode;
    NodeId id = ParseTypeInner();
    Leave();
    if (id == kNoNode) return id;
    while (At(Tok::kQuestion)) {
      TypeExpr opt;
      opt.kind = TypeExprKind::kOptional;
      opt.span = Join(start, Cur().span);
      opt.elem = id;
      Advance();
      id = AddType(std::move(opt));
    }
    return id;
  }

  NodeId ParseTypeInner() {
    Span start = Cur().span;
    if (AtWord("list")) {
      Advance();
      if (!Expect(Tok::kLt, "`<` after `list`")) return kNoNode;
      NodeId elem = ParseType();
      if (elem == kNoNode) return kNoNode;
      if (!Expect(Tok::kGt, "`>` to close `list<...>`")) return kNoNode;
      TypeExpr t;
      t.kind = TypeExprKind::kList;
      t.span = Join(start, Prev().span);
      t.elem = elem;
      return AddType(std::move(t));
    }
    if (AtWord("enum")) {
      Advance();
      if (!Expect(Tok::kLBrace, "`{` after `enum`")) return kNoNode;
      TypeExpr t;
      t.kind = TypeExprKind::kEnum;
      while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
        std::string v;
        if (At(Tok::kString)) {
          v = Cur().text;
          Advance();
        } else if (!ExpectIdent(&v, nullptr, "an enum value")) {
          return kNoNode;
        }
        t.values.push_back(v);
        if (!Accept(Tok::kComma)) break;
      }
      if (!Expect(Tok::kRBrace, "`}` to close the enum")) return kNoNode;
      t.span = Join(start, Prev().span);
      return AddType(std::move(t));
    }
    if (At(Tok::kLBrace)) {
      Advance();
      TypeExpr t;
      t.kind = TypeExprKind::kRecord;
      while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
        FieldDecl f;
        if (!ExpectIdent(&f.name, &f.span, "a field name")) return kNoNode;
        if (!Expect(Tok::kColon, "`:` after the field name")) return kNoNode;
        f.type = ParseType();
        if (f.type == kNoNode) return kNoNode;
        f.ann = ParseLabels();
        if (At(Tok::kString)) {
          f.doc = Cur().text;
          Advance();
        }
        t.fields.push_back(std::move(f));
        if (!Accept(Tok::kComma)) break;
      }
      if (!Expect(Tok::kRBrace, "`}` to close the record type")) return kNoNode;
      t.span = Join(start, Prev().span);
      return AddType(std::move(t));
    }
    if (At(Tok::kIdent)) {
      TypeExpr t;
      t.kind = TypeExprKind::kName;
      Span span;
      if (!ParseQualifiedName(&t.name, &span)) return kNoNode;
      t.span = span;
      return AddType(std::move(t));
    }
    Error(Cur().span, StrCat("expected a type, found ", Describe()),
          "types: bool, int, decimal, string, time, duration, bytes, "
          "list<T>, {field: T}, enum{a, b}, T?, or a connector type such as "
          "mail.MessageId");
    return kNoNode;
  }

  LabelAnn ParseLabels() {
    LabelAnn ann;
    while (At(Tok::kIdent)) {
      const std::string& w = Cur().text;
      if (w == "untrusted") {
        ann.untrusted = true;
      } else if (w == "trusted") {
        ann.trusted = true;
      } else if (w == "public") {
        ann.conf = 0;
      } else if (w == "private") {
        ann.conf = 1;
      } else if (w == "secret") {
        ann.conf = 2;
      } else {
        break;
      }
      Advance();
    }
    return ann;
  }

  // ---- expressions -----------------------------------------------------------
  NodeId ParseExpr(bool no_record = false) {
    if (!Enter(Cur().span)) {
      Synchronize();
      return kNoNode;
    }
    NodeId r = ParseCoalesce(no_record);
    Leave();
    return r;
  }

  NodeId Binary(const char* op, NodeId a, NodeId b) {
    Expr e;
    e.kind = ExprKind::kBinary;
    e.text = op;
    e.a = a;
    e.b = b;
    e.span = Join(m_.exprs[a].span, m_.exprs[b].span);
    return AddExpr(std::move(e));
  }

  NodeId ParseCoalesce(bool nr) {
    NodeId lhs = ParseOr(nr);
    if (lhs == kNoNode) return kNoNode;
    if (At(Tok::kCoalesce)) {
      Advance();
      NodeId rhs = ParseExpr(nr);  // right-associative
      if (rhs == kNoNode) return kNoNode;
      return Binary("??", lhs, rhs);
    }
    return lhs;
  }

  NodeId ParseOr(bool nr) {
    NodeId lhs = ParseAnd(nr);
    while (lhs != kNoNode && AtWord("or")) {
      Advance();
      NodeId rhs = ParseAnd(nr);
      if (rhs == kNoNode) return kNoNode;
      lhs = Binary("or", lhs, rhs);
    }
    return lhs;
  }

  NodeId ParseAnd(bool nr) {
    NodeId lhs = ParseNot(nr);
    while (lhs != kNoNode && AtWord("and")) {
      Advance();
      NodeId rhs = ParseNot(nr);
      if (rhs == kNoNode) return kNoNode;
      lhs = Binary("and", lhs, rhs);
    }
    return lhs;
  }

  NodeId ParseNot(bool nr) {
    if (AtWord("not")) {
      Span s = Cur().span;
      Advance();
      if (!Enter(s)) return kNoNode;
      NodeId operand = ParseNot(nr);
      Leave();
      if (operand == kNoNode) return kNoNode;
      Expr e;
      e.kind = ExprKind::kUnary;
      e.text = "not";
      e.a = operand;
      e.span = Join(s, m_.exprs[operand].span);
      return AddExpr(std::move(e));
    }
    return ParseComparison(nr);
  }

  static const char* CompareOp(Tok k) {
    switch (k) {
      case Tok::kEq: return "==";
      case Tok::kNe: return "!=";
      case Tok::kLt: return "<";
      case Tok::kLe: return "<=";
      case Tok::kGt: return ">";
      case Tok::kGe: return ">=";
      default: return nullptr;
    }
  }

  NodeId ParseComparison(bool nr) {
    NodeId lhs = ParseAdditive(nr);
    if (lhs == kNoNode) return kNoNode;
    if (const char* op = CompareOp(Cur().kind)) {
      Advance();
      NodeId rhs = ParseAdditive(nr);
      if (rhs == kNoNode) return kNoNode;
      lhs = Binary(op, lhs, rhs);
      if (CompareOp(Cur().kind)) {
        Error(Cur().span, "comparisons cannot be chained",
              "write `a < b and b < c`");
        return kNoNode;
      }
    }
    if (At(Tok::kAssign)) {
      Error(Cur().span, "`=` is assignment; did you mean `==`?",
            "compare with `==`");
      return kNoNode;
    }
    return lhs;
  }

  NodeId ParseAdditive(bool nr) {
    NodeId lhs = ParseMultiplicative(nr);
    while (lhs != kNoNode && (At(Tok::kPlus) || At(Tok::kMinus))) {
      const char* op = At(Tok::kPlus) ? "+" : "-";
      Advance();
      NodeId rhs = ParseMultiplicative(nr);
      if (rhs == kNoNode) return kNoNode;
      lhs = Binary(op, lhs, rhs);
    }
    return lhs;
  }

  NodeId ParseMultiplicative(bool nr) {
    NodeId lhs = ParseUnary(nr);
    while (lhs != kNoNode &&
           (At(Tok::kStar) || At(Tok::kSlash) || At(Tok::kPercent))) {
      const char* op = At(Tok::kStar) ? "*" : At(Tok::kSlash) ? "/" : "%";
      Advance();
      NodeId rhs = ParseUnary(nr);
      if (rhs == kNoNode) return kNoNode;
      lhs = Binary(op, lhs, rhs);
    }
    return lhs;
  }

  NodeId ParseUnary(bool nr) {
    if (At(Tok::kMinus)) {
      Span s = Cur().span;
      Advance();
      if (!Enter(s)) return kNoNode;
      NodeId operand = ParseUnary(nr);
      Leave();
      if (operand == kNoNode) return kNoNode;
      Expr e;
      e.kind = ExprKind::kUnary;
      e.text = "-";
      e.a = operand;
      e.span = Join(s, m_.exprs[operand].span);
      return AddExpr(std::move(e));
    }
    return ParsePostfix(nr);
  }

  // Postfix `(` and `[` bind only on the line where the operand ends, so a
  // parenthesised expression on the next line is never taken as a call.
  NodeId ParsePostfix(bool nr) {
    NodeId base = ParsePrimary(nr);
    int chain = 0;
    while (base != kNoNode) {
      if (++chain > opts_.max_depth) {
        Error(Cur().span, "postfix chain is too long");
        return kNoNode;
      }
      uint32_t end_line = Prev().span.line;
      if (At(Tok::kDot)) {
        Advance();
        Expr e;
        e.kind = ExprKind::kField;
        e.a = base;
        if (!At(Tok::kIdent)) {
          Error(Cur().span,
                StrCat("expected a field name after `.`, found ", Describe()));
          return kNoNode;
        }
        e.text = Cur().text;
        e.name_spans.push_back(Cur().span);
        e.span = Join(m_.exprs[base].span, Cur().span);
        Advance();
        base = AddExpr(std::move(e));
      } else if (At(Tok::kLBracket) && Cur().span.line == end_line) {
        Advance();
        NodeId idx = ParseExpr();
        if (idx == kNoNode) return kNoNode;
        if (!Expect(Tok::kRBracket, "`]`")) return kNoNode;
        Expr e;
        e.kind = ExprKind::kIndex;
        e.a = base;
        e.b = idx;
        e.span = Join(m_.exprs[base].span, Prev().span);
        base = AddExpr(std::move(e));
      } else if (At(Tok::kLParen) && Cur().span.line == end_line) {
        Expr e;
        e.kind = ExprKind::kCall;
        e.a = base;
        if (!ParseArgs(&e)) return kNoNode;
        e.span = Join(m_.exprs[base].span, Prev().span);
        base = AddExpr(std::move(e));
      } else {
        break;
      }
    }
    return base;
  }

  // `(` [name `:`] expr, ... `)` into e->items / e->names.
  bool ParseArgs(Expr* e) {
    Advance();  // (
    bool named_seen = false;
    while (!At(Tok::kRParen) && !At(Tok::kEof)) {
      std::string name;
      Span name_span = Cur().span;
      if (At(Tok::kIdent) && PeekTok().kind == Tok::kColon) {
        name = Cur().text;
        Advance();
        Advance();
        named_seen = true;
      } else if (named_seen) {
        Error(Cur().span, "positional argument after a named one",
              "put positional arguments first, or name them all");
        return false;
      }
      NodeId arg = ParseExpr();
      if (arg == kNoNode) return false;
      e->items.push_back(arg);
      e->names.push_back(std::move(name));
      e->name_spans.push_back(name_span);
      if (!Accept(Tok::kComma)) break;
    }
    return Expect(Tok::kRParen, "`)` to close the argument list");
  }

  NodeId ParseStringExpr() {
    const Token& t = Cur();
    Expr e;
    e.span = t.span;
    if (t.holes.empty()) {
      e.kind = ExprKind::kString;
      e.text = t.text;
      Advance();
      return AddExpr(std::move(e));
    }
    e.kind = ExprKind::kInterp;
    e.names = t.pieces;
    for (const StringHole& h : t.holes) {
      Expr n;
      n.kind = ExprKind::kName;
      n.text = h.path[0];
      n.span = h.spans[0];
      NodeId cur = AddExpr(std::move(n));
      for (size_t i = 1; i < h.path.size(); ++i) {
        Expr f;
        f.kind = ExprKind::kField;
        f.a = cur;
        f.text = h.path[i];
        f.name_spans.push_back(h.spans[i]);
        f.span = Join(h.spans[0], h.spans[i]);
        cur = AddExpr(std::move(f));
      }
      e.items.push_back(cur);
    }
    Advance();
    return AddExpr(std::move(e));
  }

  NodeId ParsePrimary(bool nr) {
    const Token& t = Cur();
    Expr e;
    e.span = t.span;
    switch (t.kind) {
      case Tok::kInt:
        e.kind = ExprKind::kInt;
        e.int_value = t.int_value;
        e.text = t.text;
        Advance();
        return AddExpr(std::move(e));
      case Tok::kDecimal:
        e.kind = ExprKind::kDecimal;
        e.text = t.text;
        Advance();
        return AddExpr(std::move(e));
      case Tok::kDuration:
        e.kind = ExprKind::kDuration;
        e.int_value = t.int_value;
        e.duration_ms = t.duration_ms;
        e.text = t.text;
        Advance();
        return AddExpr(std::move(e));
      case Tok::kString:
        return ParseStringExpr();
      case Tok::kLParen: {
        Advance();
        NodeId inner = ParseExpr();
        if (inner == kNoNode) return kNoNode;
        if (!Expect(Tok::kRParen, "`)`")) return kNoNode;
        return inner;
      }
      case Tok::kLBracket: {
        Advance();
        e.kind = ExprKind::kList;
        while (!At(Tok::kRBracket) && !At(Tok::kEof)) {
          NodeId item = ParseExpr();
          if (item == kNoNode) return kNoNode;
          e.items.push_back(item);
          if (!Accept(Tok::kComma)) break;
        }
        if (!Expect(Tok::kRBracket, "`]` to close the list")) return kNoNode;
        e.span = Join(t.span, Prev().span);
        return AddExpr(std::move(e));
      }
      case Tok::kLBrace: {
        if (nr) {
          Error(t.span, "expected an expression, found `{`",
                "the condition is missing, or wrap a record literal in "
                "parentheses");
          return kNoNode;
        }
        return ParseRecordLiteral();
      }
      case Tok::kIdent: {
        if (t.text == "true" || t.text == "false") {
          e.kind = ExprKind::kBool;
          e.int_value = t.text == "true";
          Advance();
          return AddExpr(std::move(e));
        }
        if (t.text == "none") {
          e.kind = ExprKind::kNone;
          Advance();
          return AddExpr(std::move(e));
        }
        if (t.text == "workflow") return ParseSubWorkflow();
        if (IsReservedWord(t.text)) {
          Error(t.span, StrCat("expected an expression, found keyword `",
                               t.text, "`"));
          return kNoNode;
        }
        e.kind = ExprKind::kName;
        e.text = t.text;
        Advance();
        return AddExpr(std::move(e));
      }
      default:
        Error(t.span, StrCat("expected an expression, found ", Describe()));
        return kNoNode;
    }
  }

  NodeId ParseRecordLiteral() {
    Span start = Cur().span;
    Advance();  // {
    Expr e;
    e.kind = ExprKind::kRecord;
    while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
      std::string name;
      Span span;
      if (!ExpectIdent(&name, &span, "a field name")) return kNoNode;
      if (!Expect(Tok::kColon, "`:` after the field name")) return kNoNode;
      NodeId v = ParseExpr();
      if (v == kNoNode) return kNoNode;
      e.names.push_back(std::move(name));
      e.name_spans.push_back(span);
      e.items.push_back(v);
      if (!Accept(Tok::kComma)) break;
    }
    if (!Expect(Tok::kRBrace, "`}` to close the record")) return kNoNode;
    e.span = Join(start, Prev().span);
    return AddExpr(std::move(e));
  }

  NodeId ParseSubWorkflow() {
    Span start = Cur().span;
    Advance();  // workflow
    Expr e;
    e.kind = ExprKind::kWorkflow;
    Span name_span;
    if (!ParseQualifiedName(&e.text, &name_span)) return kNoNode;
    if (!Expect(Tok::kAt, "`@VERSION` after the workflow name",
                "sub-workflow calls are pinned: workflow mail.find@1.0.0(...)"))
      return kNoNode;
    Span vspan;
    if (!ParseVersion(&e.aux, &vspan)) return kNoNode;
    if (!At(Tok::kLParen)) {
      Error(Cur().span, "expected `(` with the sub-workflow's arguments");
      return kNoNode;
    }
    if (!ParseArgs(&e)) return kNoNode;
    e.span = Join(start, Prev().span);
    return AddExpr(std::move(e));
  }

  // ---- statements ----------------------------------------------------------
  bool ParseBlock(std::vector<NodeId>* out) {
    if (!At(Tok::kLBrace)) {
      Error(Cur().span, StrCat("expected `{`, found ", Describe()));
      return false;
    }
    Span open = Cur().span;
    Advance();
    if (!Enter(open)) {
      Synchronize();
      return false;
    }
    while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
      size_t before = pos_;
      NodeId s = ParseStmt();
      if (s != kNoNode) {
        out->push_back(s);
      } else if (pos_ == before || !AtStatementStart()) {
        Synchronize();
      }
    }
    Leave();
    if (!At(Tok::kRBrace)) {
      diags_.Error("E002", open, "this `{` is never closed",
                   "add the matching `}`");
      return false;
    }
    Advance();
    return true;
  }

  bool AtStatementStart() const {
    return Cur().kind == Tok::kRBrace || Cur().span.line != Prev().span.line;
  }

  NodeId ParseStmt() {
    const Token& t = Cur();
    Stmt s;
    s.span = t.span;
    if (t.kind != Tok::kIdent) return ParseExprStmt();
    const std::string& w = t.text;
    if (w == "let" || w == "var") {
      s.kind = w == "let" ? StmtKind::kLet : StmtKind::kVar;
      Advance();
      if (!ExpectIdent(&s.name, &s.name_span, "a variable name"))
        return kNoNode;
      if (IsReservedWord(s.name)) {
        Error(s.name_span, StrCat("`", s.name, "` is a keyword"));
        return kNoNode;
      }
      if (Accept(Tok::kColon)) {
        s.type = ParseType();
        if (s.type == kNoNode) return kNoNode;
      }
      if (!Expect(Tok::kAssign, "`=`")) return kNoNode;
      s.expr = ParseExpr();
      if (s.expr == kNoNode) return kNoNode;
      s.span = Join(t.span, m_.exprs[s.expr].span);
      return AddStmt(std::move(s));
    }
    if (w == "if") return ParseIf();
    if (w == "for") {
      s.kind = StmtKind::kFor;
      Advance();
      if (!ExpectIdent(&s.name, &s.name_span, "a loop variable"))
        return kNoNode;
      if (!ExpectWord("in")) return kNoNode;
      s.expr = ParseExpr(/*no_record=*/true);
      if (s.expr == kNoNode) return kNoNode;
      if (AtWord("limit")) {
        Advance();
        if (!At(Tok::kInt)) {
          Error(Cur().span, StrCat("expected an integer loop bound, found ",
                                   Describe()));
          return kNoNode;
        }
        s.limit = Cur().int_value;
        s.limit_span = Cur().span;
        Advance();
      }
      s.span = Join(t.span, Prev().span);
      if (!ParseBlock(&s.body)) return kNoNode;
      return AddStmt(std::move(s));
    }
    if (w == "while" || w == "loop") {
      Error(t.span, StrCat("`", w, "` loops are not part of the language"),
            "workflows are total: iterate a list with `for x in xs limit N`");
      return kNoNode;
    }
    if (w == "confirm") {
      s.kind = StmtKind::kConfirm;
      Advance();
      if (!At(Tok::kString)) {
        Error(Cur().span,
              StrCat("expected the confirmation text, found ", Describe()),
              "confirm \"Delete {m.subject}?\" shows concrete values to the "
              "person");
        return kNoNode;
      }
      s.expr = ParseStringExpr();
      s.span = Join(t.span, Prev().span);
      return AddStmt(std::move(s));
    }
    if (w == "choose") {
      s.kind = StmtKind::kChoose;
      Advance();
      if (!ExpectIdent(&s.name, &s.name_span, "a variable name"))
        return kNoNode;
      if (!ExpectWord("from", "choose x from candidates \"Which one?\""))
        return kNoNode;
      s.expr = ParseExpr(/*no_record=*/true);
      if (s.expr == kNoNode) return kNoNode;
      if (!At(Tok::kString)) {
        Error(Cur().span, StrCat("expected the question to ask, found ",
                                 Describe()));
        return kNoNode;
      }
      s.expr2 = ParseStringExpr();
      s.span = Join(t.span, Prev().span);
      return AddStmt(std::move(s));
    }
    if (w == "endorse") {
      s.kind = StmtKind::kEndorse;
      Advance();
      std::string part;
      Span ps;
      if (!ExpectIdent(&part, &ps, "a variable to endorse")) return kNoNode;
      s.path.push_back(part);
      s.path_spans.push_back(ps);
      while (Accept(Tok::kDot)) {
        if (!ExpectIdent(&part, &ps, "a field name")) return kNoNode;
        s.path.push_back(part);
        s.path_spans.push_back(ps);
      }
      if (!ExpectWord("because",
                      "endorse VALUE because \"why this is safe\""))
        return kNoNode;
      if (!ExpectString(&s.text, "the reason")) return kNoNode;
      if (Trim(s.text).empty()) {
        diags_.Error("E405", Prev().span, "an endorsement needs a reason",
                     "say why the value is safe to act on; reviewers sign "
                     "off on it");
      }
      s.span = Join(t.span, Prev().span);
      return AddStmt(std::move(s));
    }
    if (w == "return") {
      s.kind = StmtKind::kReturn;
      Advance();
      if (At(Tok::kLBrace) && Cur().span.line == t.span.line) {
        s.expr = ParseRecordLiteral();
        if (s.expr == kNoNode) return kNoNode;
      } else if (!At(Tok::kRBrace) && Cur().span.line == t.span.line) {
        Error(Cur().span, "`return` takes a record of outputs",
              "return { name: value, ... }");
        return kNoNode;
      }
      s.span = Join(t.span, Prev().span);
      return AddStmt(std::move(s));
    }
    if (w == "fail") {
      s.kind = StmtKind::kFail;
      Advance();
      if (!At(Tok::kString)) {
        Error(Cur().span, StrCat("expected a failure message, found ",
                                 Describe()));
        return kNoNode;
      }
      s.expr = ParseStringExpr();
      s.span = Join(t.span, Prev().span);
      return AddStmt(std::move(s));
    }
    if (PeekTok().kind == Tok::kAssign && !IsReservedWord(w)) {
      s.kind = StmtKind::kAssign;
      s.name = w;
      s.name_span = t.span;
      Advance();
      Advance();
      s.expr = ParseExpr();
      if (s.expr == kNoNode) return kNoNode;
      s.span = Join(t.span, m_.exprs[s.expr].span);
      return AddStmt(std::move(s));
    }
    return ParseExprStmt();
  }

  NodeId ParseIf() {
    Stmt s;
    s.kind = StmtKind::kIf;
    s.span = Cur().span;
    Advance();  // if
    s.expr = ParseExpr(/*no_record=*/true);
    if (s.expr == kNoNode) return kNoNode;
    s.span = Join(s.span, m_.exprs[s.expr].span);
    if (!ParseBlock(&s.body)) return kNoNode;
    if (AtWord("else")) {
      Advance();
      s.has_else = true;
      if (AtWord("if")) {
        if (!Enter(Cur().span)) return kNoNode;
        NodeId nested = ParseIf();
        Leave();
        if (nested == kNoNode) return kNoNode;
        s.else_body.push_back(nested);
      } else if (!ParseBlock(&s.else_body)) {
        return kNoNode;
      }
    }
    return AddStmt(std::move(s));
  }

  NodeId ParseExprStmt() {
    Stmt s;
    s.kind = StmtKind::kExpr;
    s.span = Cur().span;
    s.expr = ParseExpr();
    if (s.expr == kNoNode) return kNoNode;
    const Expr& e = m_.exprs[s.expr];
    if (e.kind != ExprKind::kCall && e.kind != ExprKind::kWorkflow) {
      Error(e.span, "this expression's value is not used",
            "bind it with `let name = ...`, or call an action");
      return kNoNode;
    }
    s.span = e.span;
    return AddStmt(std::move(s));
  }

  // ---- workflow ------------------------------------------------------------
  void ParseWorkflow() {
    WorkflowDecl w;
    w.span = Cur().span;
    Advance();  // workflow
    if (!ParseQualifiedName(&w.name, &w.name_span)) {
      Synchronize();
    }
    ParseVersion(&w.version, &w.version_span);
    if (!Expect(Tok::kLBrace, "`{` to open the workflow")) {
      m_.workflow = std::move(w);
      return;
    }
    while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
      size_t before = pos_;
      if (!ParseWorkflowItem(&w) || pos_ == before) Synchronize();
    }
    if (!Expect(Tok::kRBrace, "`}` to close the workflow")) {
      // Already reported; nothing more to parse.
    }
    m_.workflow = std::move(w);
  }

  bool ParseWorkflowItem(WorkflowDecl* w) {
    const Token& t = Cur();
    if (t.kind != Tok::kIdent) {
      Error(t.span, StrCat("expected a workflow item, found ", Describe()),
            StrCat("items: ", kWorkflowItems));
      return false;
    }
    const std::string word = t.text;
    Span start = t.span;
    Advance();
    if (word == "summary") {
      if (w->has_summary) {
        diags_.Error("E003", start, "duplicate `summary`",
                     "a workflow has one summary; use `intent` for more "
                     "phrasings");
      }
      w->has_summary = true;
      return ExpectString(&w->summary, "the summary text");
    }
    if (word == "intent") {
      std::string s;
      if (!ExpectString(&s, "the intent text")) return false;
      w->intents.push_back(std::move(s));
      return true;
    }
    if (word == "input") {
      InputDecl in;
      if (!ExpectIdent(&in.name, &in.span, "an input name")) return false;
      if (!Expect(Tok::kColon, "`:` after the input name")) return false;
      in.type = ParseType();
      if (in.type == kNoNode) return false;
      in.ann = ParseLabels();
      if (At(Tok::kString)) {
        in.doc = Cur().text;
        Advance();
      }
      w->inputs.push_back(std::move(in));
      return true;
    }
    if (word == "output") {
      OutputDecl out;
      if (!ExpectIdent(&out.name, &out.span, "an output name")) return false;
      if (!Expect(Tok::kColon, "`:` after the output name")) return false;
      out.type = ParseType();
      if (out.type == kNoNode) return false;
      if (AcceptWord("reveal")) out.reveal = true;
      if (At(Tok::kString)) {
        out.doc = Cur().text;
        Advance();
      }
      w->outputs.push_back(std::move(out));
      return true;
    }
    if (word == "uses") {
      do {
        UsesDecl u;
        u.span = Cur().span;
        if (!ExpectIdent(&u.connector, nullptr, "a capability such as "
                                                "mail.delete"))
          return false;
        if (!Expect(Tok::kDot, "`.` in connector.effect",
                    "capabilities are CONNECTOR.EFFECT, e.g. mail.read"))
          return false;
        if (!ExpectIdent(&u.effect, nullptr, "an effect class")) return false;
        u.span = Join(u.span, Prev().span);
        w->uses.push_back(std::move(u));
      } while (Accept(Tok::kComma));
      return true;
    }
    if (word == "scope") {
      ScopeDecl sd;
      sd.span = Cur().span;
      if (!ExpectIdent(&sd.connector, nullptr, "a connector name"))
        return false;
      if (!Expect(Tok::kDot, "`.` in connector.scope",
                  "scope fs.root = repo"))
        return false;
      if (!ExpectIdent(&sd.scope, nullptr, "a scope name")) return false;
      sd.span = Join(sd.span, Prev().span);
      if (!Expect(Tok::kAssign, "`=`")) return false;
      sd.value = ParseExpr();
      if (sd.value == kNoNode) return false;
      w->scopes.push_back(std::move(sd));
      return true;
    }
    if (word == "limit") {
      LimitDecl l;
      l.span = Cur().span;
      std::string first;
      if (!ExpectIdent(&first, nullptr, "an effect class or "
                                        "connector.effect"))
        return false;
      if (Accept(Tok::kDot)) {
        l.connector = first;
        if (!ExpectIdent(&l.effect, nullptr, "an effect class")) return false;
      } else {
        l.effect = first;
      }
      l.span = Join(l.span, Prev().span);
      if (!Expect(Tok::kLe, "`<=`", "limit mail.delete <= 1")) return false;
      if (!At(Tok::kInt)) {
        Error(Cur().span, StrCat("expected a number, found ", Describe()));
        return false;
      }
      l.max = Cur().int_value;
      Advance();
      w->limits.push_back(std::move(l));
      return true;
    }
    if (word == "run") {
      if (w->has_run) {
        diags_.Error("E003", start, "duplicate `run` block",
                     "a workflow has one run block");
      }
      w->has_run = true;
      w->run_span = start;
      std::vector<NodeId> body;
      bool ok = ParseBlock(&body);
      w->body = std::move(body);
      return ok;
    }
    if (word == "test" || word == "property") {
      TestDecl td;
      td.property = word == "property";
      td.span = start;
      if (!ExpectString(&td.name, "the test's name")) return false;
      bool ok = ParseTestBody(&td);
      w->tests.push_back(std::move(td));
      return ok;
    }
    Error(start, StrCat("unknown workflow item `", word, "`"),
          StrCat("items: ", kWorkflowItems));
    return false;
  }

  bool ParseTestBody(TestDecl* td) {
    if (!Expect(Tok::kLBrace, "`{` to open the test")) return false;
    while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
      size_t before = pos_;
      if (!ParseTestStmt(td) || pos_ == before) Synchronize();
    }
    return Expect(Tok::kRBrace, "`}` to close the test");
  }

  bool ParseTestStmt(TestDecl* td) {
    const Token& t = Cur();
    TestStmt s;
    s.span = t.span;
    if (t.kind != Tok::kIdent) {
      Error(t.span, StrCat("expected a test step, found ", Describe()),
            "steps: given, call, approve, deny, choose N, timeout, expect, "
            "fault, forall (properties), answer any (properties)");
      return false;
    }
    std::string w = t.text;
    Advance();
    if (w == "given") {
      s.kind = TestStmtKind::kGiven;
      if (!ExpectIdent(&s.connector, nullptr, "a connector name"))
        return false;
      if (!Expect(Tok::kDot, "`.`", "given mail.messages = [...]"))
        return false;
      if (!ExpectIdent(&s.key, &s.key_span, "a world collection"))
        return false;
      if (!Expect(Tok::kAssign, "`=`")) return false;
      if (AtWord("any")) {
        s.any = true;
        Advance();
      } else {
        s.expr = ParseExpr();
        if (s.expr == kNoNode) return false;
      }
    } else if (w == "call") {
      s.kind = TestStmtKind::kCall;
      if (!At(Tok::kLBrace)) {
        Error(Cur().span, "expected the inputs as a record after `call`",
              "call { id: \"b\" }");
        return false;
      }
      s.expr = ParseRecordLiteral();
      if (s.expr == kNoNode) return false;
    } else if (w == "approve") {
      s.kind = TestStmtKind::kApprove;
    } else if (w == "deny") {
      s.kind = TestStmtKind::kDeny;
    } else if (w == "timeout") {
      s.kind = TestStmtKind::kTimeout;
    } else if (w == "choose") {
      s.kind = TestStmtKind::kChoose;
      if (!At(Tok::kInt)) {
        Error(Cur().span, "expected the candidate's position (0-based)",
              "choose 1 picks the second candidate");
        return false;
      }
      s.n = Cur().int_value;
      Advance();
    } else if (w == "answer") {
      s.kind = TestStmtKind::kAnswerAny;
      if (!ExpectWord("any", "answer any: properties answer every prompt at "
                             "random"))
        return false;
    } else if (w == "expect") {
      s.kind = TestStmtKind::kExpect;
      s.expr = ParseExpr();
      if (s.expr == kNoNode) return false;
    } else if (w == "forall") {
      do {
        TestStmt f;
        f.kind = TestStmtKind::kForall;
        f.span = Cur().span;
        if (!ExpectIdent(&f.name, &f.key_span, "a variable name"))
          return false;
        if (!Expect(Tok::kColon, "`:` and a type")) return false;
        f.type = ParseType();
        if (f.type == kNoNode) return false;
        td->stmts.push_back(std::move(f));
      } while (Accept(Tok::kComma));
      return true;
    } else if (w == "fault") {
      s.kind = TestStmtKind::kFault;
      if (!ExpectIdent(&s.connector, nullptr, "a connector name"))
        return false;
      if (!Expect(Tok::kDot, "`.`", "fault mail.delete")) return false;
      if (!ExpectIdent(&s.key, &s.key_span, "an action name")) return false;
      if (AcceptWord("after")) {
        if (!At(Tok::kInt)) {
          Error(Cur().span, "expected a count after `after`");
          return false;
        }
        s.n = Cur().int_value;
        Advance();
      }
    } else {
      Error(t.span, StrCat("unknown test step `", w, "`"),
            "steps: given, call, approve, deny, choose N, timeout, expect, "
            "fault, forall (properties), answer any (properties)");
      return false;
    }
    s.span = Join(t.span, Prev().span);
    td->stmts.push_back(std::move(s));
    return true;
  }

  // A string's text with its holes written back as {name}: URL templates.
  static std::string TemplateText(const Token& t) {
    if (t.holes.empty()) return t.text;
    std::string out;
    for (size_t i = 0; i < t.holes.size(); ++i) {
      out += t.pieces[i];
      out += "{";
      out += StrJoin(t.holes[i].path, ".");
      out += "}";
    }
    out += t.pieces.back();
    return out;
  }

  // ---- connector -----------------------------------------------------------
  void ParseConnector() {
    ConnectorDecl c;
    c.span = Cur().span;
    Advance();  // connector
    if (!ExpectIdent(&c.name, &c.name_span, "the connector's name")) {
      Synchronize();
    }
    ParseVersion(&c.version, &c.span);
    if (!Expect(Tok::kLBrace, "`{` to open the connector")) {
      m_.connector = std::move(c);
      return;
    }
    while (!At(Tok::kRBrace) && !At(Tok::kEof)) {
      size_t before = pos_;
      if (!ParseConnectorItem(&c) || pos_ == before) Synchronize();
    }
    Expect(Tok::kRBrace, "`}` to close the connector");
    m_.connector = std::move(c);
  }

  bool ParseConnectorItem(ConnectorDecl* c) {
    const Token& t = Cur();
    if (t.kind != Tok::kIdent) {
      Error(t.span, StrCat("expected a connector item, found ", Describe()),
            StrCat("items: ", kConnectorItems));
      return false;
    }
    std::string word = t.text;
    Span start = t.span;
    Advance();
    if (word == "summary") return ExpectString(&c->summary, "the summary");
    if (word == "base") return ExpectString(&c->base_url, "the base URL");
    if (word == "scope") {
      ScopeDef s;
      if (!ExpectIdent(&s.name, &s.span, "a scope name")) return false;
      if (!Expect(Tok::kColon, "`:` and a scope kind")) return false;
      std::string kind;
      Span ks;
      if (!ExpectIdent(&kind, &ks, "a scope kind (path, exact, domain)"))
        return false;
      if (kind == "path") {
        s.kind = ScopeKind::kPath;
      } else if (kind == "exact") {
        s.kind = ScopeKind::kExact;
      } else if (kind == "domain") {
        s.kind = ScopeKind::kDomain;
      } else {
        diags_.Error("E501", ks, StrCat("unknown scope kind `", kind, "`"),
                     "scope kinds: path (under a root), exact (one of the "
                     "given values), domain (host names)");
        return false;
      }
      if (AcceptWord("optional")) s.optional = true;
      if (At(Tok::kString)) {
        s.doc = Cur().text;
        Advance();
      }
      c->scopes.push_back(std::move(s));
      return true;
    }
    if (word == "type") {
      TypeDef td;
      if (!ExpectIdent(&td.name, &td.span, "a type name")) return false;
      if (!Expect(Tok::kAssign, "`=`")) return false;
      td.type = ParseType();
      if (td.type == kNoNode) return false;
      if (At(Tok::kString)) {
        td.doc = Cur().text;
        Advance();
      }
      c->types.push_back(std::move(td));
      return true;
    }
    if (word == "world") {
      WorldDef wd;
      if (!ExpectIdent(&wd.name, &wd.span, "a world collection name"))
        return false;
      if (!Expect(Tok::kColon, "`:` and a type")) return false;
      wd.type = ParseType();
      if (wd.type == kNoNode) return false;
      if (At(Tok::kString)) {
        wd.doc = Cur().text;
        Advance();
      }
      c->worlds.push_back(std::move(wd));
      return true;
    }
    if (word == "action") return ParseAction(c, start);
    Error(start, StrCat("unknown connector item `", word, "`"),
          StrCat("items: ", kConnectorItems));
    return false;
  }

  bool ParseAction(ConnectorDecl* c, Span start) {
    ActionDecl a;
    if (!ExpectIdent(&a.name, &a.span, "an action name")) return false;
    if (!Expect(Tok::kLParen, "`(`")) return false;
    while (!At(Tok::kRParen) && !At(Tok::kEof)) {
      ParamDecl p;
      if (!ExpectIdent(&p.name, &p.span, "a parameter name")) return false;
      if (!Expect(Tok::kColon, "`:` and a type")) return false;
      p.type = ParseType();
      if (p.type == kNoNode) return false;
      if (AcceptWord("target")) {
        p.target = true;
        if (AcceptWord("in")) {
          if (!ExpectIdent(&p.scope, &p.scope_span, "a scope name"))
            return false;
        }
      }
      if (At(Tok::kAssign)) {
        Advance();
        if (!ExpectWord("none", "only `= none` defaults are allowed"))
          return false;
        p.optional = true;
      }
      a.params.push_back(std::move(p));
      if (!Accept(Tok::kComma)) break;
    }
    if (!Expect(Tok::kRParen, "`)`")) return false;
    if (Accept(Tok::kArrow)) {
      a.returns = ParseType();
      if (a.returns == kNoNode) return false;
      a.returns_ann = ParseLabels();
    }
    while (At(Tok::kIdent) || At(Tok::kString)) {
      if (At(Tok::kString)) {
        a.doc = Cur().text;
        Advance();
        continue;
      }
      const std::string& w = Cur().text;
      if (w == "effect") {
        Advance();
        if (!ExpectIdent(&a.effect, &a.effect_span, "an effect class"))
          return false;
      } else if (w == "undo") {
        Advance();
        if (!ExpectIdent(&a.undo, &a.undo_span, "the undo action's name"))
          return false;
      } else if (w == "irreversible") {
        Advance();
        a.irreversible = true;
      } else if (w == "directory") {
        Advance();
        a.directory = true;
      } else if (w == "http") {
        HttpBinding h;
        h.span = Cur().span;
        Advance();
        if (!ExpectIdent(&h.method, nullptr, "an HTTP method")) return false;
        if (!At(Tok::kString)) {
          Error(Cur().span, StrCat("expected the URL path template, found ",
                                   Describe()),
                "http GET \"/repos/{repo}/issues/{number}\"");
          return false;
        }
        h.path = TemplateText(Cur());
        Advance();
        if (AcceptWord("idempotency")) {
          if (!ExpectString(&h.idempotency_header, "a header name"))
            return false;
        }
        a.http = std::move(h);
      } else {
        break;
      }
    }
    (void)start;
    c->actions.push_back(std::move(a));
    return true;
  }

  const std::vector<Token>& toks_;
  DiagnosticSink& diags_;
  ParseOptions opts_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool depth_reported_ = false;
  Module m_;
};

}  // namespace

Module Parse(const SourceFile& file, const std::vector<Token>& tokens,
             DiagnosticSink& diags, const ParseOptions& options) {
  (void)file;  // positions are already in the tokens
  return Parser(tokens, diags, options).Run();
}

}  // namespace wfs::lang
