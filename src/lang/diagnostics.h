// Diagnostics: what the checker says about a file, and how it is printed.
//
// Text form (one per diagnostic):
//   path:line:col: error[E401]: message
//      12 |     mail.delete(m.subject)
//         |                 ^~~~~~~~~
//     = note: ...
//     = hint: ...
// JSON form: an array of {code, severity, message, path, line, column,
// end_column, hint, notes}.
#ifndef WFSTORE_LANG_DIAGNOSTICS_H_
#define WFSTORE_LANG_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "base/json.h"
#include "lang/source.h"

namespace wfs::lang {

enum class Severity { kError, kWarning };

struct Note {
  std::string message;
  Span span;  // line == 0 when the note has no position
};

struct Diagnostic {
  std::string code;  // "E401"
  Severity severity = Severity::kError;
  std::string message;
  std::string path;
  Span span;
  std::string hint;
  std::vector<Note> notes;
};

// Collects diagnostics for one file. Muting is used by the checker while it
// iterates loops to a fixed point: the same statement is visited more than
// once, and only the last visit may report.
class DiagnosticSink {
 public:
  explicit DiagnosticSink(const SourceFile* file) : file_(file) {}

  Diagnostic& Error(std::string code, Span span, std::string message,
                    std::string hint = "");
  Diagnostic& Warning(std::string code, Span span, std::string message,
                      std::string hint = "");

  void set_muted(bool muted) { muted_ = muted; }
  bool muted() const { return muted_; }

  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  std::vector<Diagnostic> Take() { return std::move(diags_); }
  const SourceFile* file() const { return file_; }

  // Caps the number of reported errors; later ones are dropped and one
  // summary error is added. Keeps output readable on garbage input.
  static constexpr int kMaxErrors = 200;

 private:
  Diagnostic& Add(Severity sev, std::string code, Span span,
                  std::string message, std::string hint);
  const SourceFile* file_;
  std::vector<Diagnostic> diags_;
  Diagnostic scratch_;  // receives diagnostics while muted or over the cap
  bool muted_ = false;
  int errors_ = 0;
};

// Renders a diagnostic as text with the source line and a caret. `file` may be
// null (then no source line is shown).
std::string FormatDiagnostic(const Diagnostic& d, const SourceFile* file,
                             bool color = false);

Json DiagnosticToJson(const Diagnostic& d);

// Sorts by (path, line, column, code) for stable output.
void SortDiagnostics(std::vector<Diagnostic>& diags);

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_DIAGNOSTICS_H_
