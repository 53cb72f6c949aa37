#include "connectors/http/secrets.h"

#include <algorithm>

#include "base/strings.h"
#include "connectors/http/text.h"

namespace wfs::connectors {

void Redactor::Add(const std::string& secret, const std::string& user) {
  if (secret.empty()) return;
  std::vector<std::string> forms = {secret, PercentEncode(secret),
                                    Base64Encode(secret)};
  if (!user.empty()) {
    forms.push_back(Base64Encode(std::string("\0", 1) + user +
                                 std::string("\0", 1) + secret));
    forms.push_back(Base64Encode(user + ":" + secret));  // HTTP Basic
  }
  for (std::string& f : forms) {
    if (std::find(forms_.begin(), forms_.end(), f) == forms_.end()) {
      forms_.push_back(std::move(f));
    }
  }
  // Longest first, so a form containing another is replaced whole.
  std::sort(forms_.begin(), forms_.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
}

std::string Redactor::Redact(std::string_view text) const {
  if (forms_.empty()) return std::string(text);
  // One pass, longest form first at each position, so the replacement text
  // is never rewritten by a short secret that occurs in it.
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool hit = false;
    for (const std::string& f : forms_) {
      if (f.size() <= text.size() - i && text[i] == f[0] &&
          text.compare(i, f.size(), f) == 0) {
        out += "<redacted>";
        i += f.size();
        hit = true;
        break;
      }
    }
    if (!hit) out += text[i++];
  }
  return out;
}

Status Redactor::Redact(const Status& s) const {
  if (s.ok() || forms_.empty()) return s;
  return Status(s.code(), Redact(s.message()));
}

}  // namespace wfs::connectors
