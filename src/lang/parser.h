// Parser for .wf and .wfi files. Internal to src/lang.
//
// Recursive descent with a nesting budget (ParseOptions::max_depth): input
// nested deeper gets a diagnostic, never a stack overflow. On a syntax error
// the parser reports it, skips to the next line that can start an item, and
// goes on, so one run reports every error.
#ifndef WFSTORE_LANG_PARSER_H_
#define WFSTORE_LANG_PARSER_H_

#include <vector>

#include "lang/ast.h"
#include "lang/diagnostics.h"
#include "lang/lexer.h"

namespace wfs::lang {

struct ParseOptions {
  int max_depth = 96;
};

Module Parse(const SourceFile& file, const std::vector<Token>& tokens,
             DiagnosticSink& diags, const ParseOptions& options = {});

// True for words that cannot name a variable.
bool IsReservedWord(const std::string& word);

}  // namespace wfs::lang

#endif  // WFSTORE_LANG_PARSER_H_
