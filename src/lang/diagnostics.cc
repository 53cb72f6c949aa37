#include "lang/diagnostics.h"

#include <algorithm>

#include "base/strings.h"

namespace wfs::lang {

Diagnostic& DiagnosticSink::Add(Severity sev, std::string code, Span span,
                                std::string message, std::string hint) {
  if (muted_) {
    scratch_ = Diagnostic{};
    return scratch_;
  }
  if (sev == Severity::kError) {
    ++errors_;
    if (errors_ == kMaxErrors + 1) {
      Diagnostic d;
      d.code = "E000";
      d.message = StrCat("too many errors; stopped after ", kMaxErrors);
      d.path = file_ ? file_->path() : "";
      d.span = span;
      diags_.push_back(std::move(d));
    }
    if (errors_ > kMaxErrors) {
      scratch_ = Diagnostic{};
      return scratch_;
    }
  }
  Diagnostic d;
  d.code = std::move(code);
  d.severity = sev;
  d.message = std::move(message);
  d.path = file_ ? file_->path() : "";
  d.span = span;
  d.hint = std::move(hint);
  diags_.push_back(std::move(d));
  return diags_.back();
}

Diagnostic& DiagnosticSink::Error(std::string code, Span span,
                                  std::string message, std::string hint) {
  return Add(Severity::kError, std::move(code), span, std::move(message),
             std::move(hint));
}

Diagnostic& DiagnosticSink::Warning(std::string code, Span span,
                                    std::string message, std::string hint) {
  return Add(Severity::kWarning, std::move(code), span, std::move(message),
             std::move(hint));
}

namespace {

// Replaces tabs so the caret lines up, and control bytes so a terminal is not
// driven by file content.
std::string Printable(std::string_view line) {
  std::string out;
  for (unsigned char c : line) {
    if (c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string FormatDiagnostic(const Diagnostic& d, const SourceFile* file,
                             bool color) {
  const char* bold = color ? "\x1b[1m" : "";
  const char* red = color ? "\x1b[1;31m" : "";
  const char* yellow = color ? "\x1b[1;33m" : "";
  const char* blue = color ? "\x1b[1;34m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  std::string out;
  bool err = d.severity == Severity::kError;
  out += StrCat(bold, d.path, ":", d.span.line, ":", d.span.col, ": ", reset,
                err ? red : yellow, err ? "error" : "warning", "[", d.code,
                "]: ", reset, bold, d.message, reset, "\n");
  if (file != nullptr && d.span.line > 0) {
    std::string line = Printable(file->Line(d.span.line));
    std::string num = std::to_string(d.span.line);
    std::string pad(num.size(), ' ');
    out += StrCat(blue, " ", num, " | ", reset, line, "\n");
    uint32_t col = std::max<uint32_t>(d.span.col, 1);
    uint32_t avail = static_cast<uint32_t>(line.size()) >= col
                         ? static_cast<uint32_t>(line.size()) - col + 1
                         : 1;
    uint32_t len = std::clamp<uint32_t>(d.span.length, 1, avail);
    out += StrCat(blue, " ", pad, " | ", reset, std::string(col - 1, ' '),
                  err ? red : yellow, "^", std::string(len - 1, '~'), reset,
                  "\n");
  }
  for (const Note& n : d.notes) {
    if (n.span.line > 0) {
      out += StrCat("  = note: ", n.message, " (", d.path, ":", n.span.line,
                    ":", n.span.col, ")\n");
    } else {
      out += StrCat("  = note: ", n.message, "\n");
    }
  }
  if (!d.hint.empty()) out += StrCat("  = hint: ", d.hint, "\n");
  return out;
}

Json DiagnosticToJson(const Diagnostic& d) {
  Json j = Json::object();
  j["code"] = d.code;
  j["severity"] = d.severity == Severity::kError ? "error" : "warning";
  j["message"] = d.message;
  j["path"] = d.path;
  j["line"] = d.span.line;
  j["column"] = d.span.col;
  j["end_column"] = d.span.col + std::max<uint32_t>(d.span.length, 1);
  j["hint"] = d.hint;
  Json notes = Json::array();
  for (const Note& n : d.notes) {
    Json jn = {{"message", n.message}};
    if (n.span.line > 0) {
      jn["line"] = n.span.line;
      jn["column"] = n.span.col;
    }
    notes.push_back(std::move(jn));
  }
  j["notes"] = std::move(notes);
  return j;
}

void SortDiagnostics(std::vector<Diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.path != b.path) return a.path < b.path;
                     if (a.span.line != b.span.line)
                       return a.span.line < b.span.line;
                     if (a.span.col != b.span.col)
                       return a.span.col < b.span.col;
                     return a.code < b.code;
                   });
}

}  // namespace wfs::lang
