// Feeds untrusted header field values to the Streamable HTTP transport's
// field readers (mcp/http_fields.h) and checks what each promises: an
// event id it accepts formats back to itself (up to leading zeros), a
// bearer token is a blank-free slice of the field, a loopback origin is an
// http(s) scheme before a loopback host, and admitting a type survives
// more alternatives, a plain mirrored value decodes to itself and a
// Base64 one to at most three quarters of its length, and a mirrored
// parameter's field matches only a value it decodes to.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/http_fields.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto id = wfs::mcp::ParseEventId(text)) {
    Check(id->stream >= 1 && id->seq >= 0);
    std::string again = wfs::mcp::FormatEventId(*id);
    auto back = wfs::mcp::ParseEventId(again);
    Check(back && back->stream == id->stream && back->seq == id->seq);
    Check(again.size() <= text.size());
  }

  std::string_view token = wfs::mcp::BearerToken(text);
  if (!token.empty()) {
    Check(token.data() >= text.data() &&
          token.data() + token.size() <= text.data() + text.size());
    Check(!Blank(token.front()) && !Blank(token.back()));
  }

  if (wfs::mcp::IsLoopbackOrigin(text)) {
    std::string_view rest = text.substr(text.find("://") + 3);
    std::string scheme(text.substr(0, text.find("://")));
    for (char& c : scheme) c = static_cast<char>(std::tolower(c));
    Check(scheme == "http" || scheme == "https");
    Check(wfs::mcp::IsLoopbackHost(rest));
  }

  for (std::string_view type : {"application/json", "text/event-stream"}) {
    if (wfs::mcp::AcceptsType(text, type)) {
      std::string more = std::string(text) + ", image/png";
      Check(wfs::mcp::AcceptsType(more, type));
    }
  }
  if (auto v = wfs::mcp::DecodeMirroredValue(text)) {
    bool sentinel = text.size() >= 11 && text.rfind("=?base64?", 0) == 0 &&
                    text.substr(text.size() - 2) == "?=";
    if (sentinel) {
      Check(v->size() * 4 <= (text.size() - 11) * 3);
    } else {
      Check(*v == text);
    }
  }

  // The same text as a mirrored parameter's field, against a string, an
  // integer and a boolean in the body: a field that matches decodes to
  // the value's own text (an integer's, numerically).
  static const std::vector<wfs::mcp::MirroredParam> params = {{{"p"}, "P"}};
  wfs::transport::HttpHeaders headers;
  headers.Add("Mcp-Param-P", std::string(text));
  for (const wfs::Json& value :
       {wfs::Json("us-west1"), wfs::Json(42), wfs::Json(true),
        wfs::Json(-9007199254740991LL), wfs::Json(1.5)}) {
    wfs::Json args = {{"p", value}};
    if (wfs::mcp::MirroredParamMismatch(params, headers, args).empty()) {
      auto v = wfs::mcp::DecodeMirroredValue(text);
      Check(v.has_value());
      if (value.is_string()) Check(*v == value.get<std::string>());
      if (value.is_boolean()) Check(*v == "true");
      Check(!value.is_number_float());
    }
  }
  return 0;
}
