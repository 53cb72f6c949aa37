#include "connectors/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/strings.h"

namespace wfs::connectors {

namespace {

constexpr size_t kMaxSecretFileBytes = 64 * 1024;
constexpr char kRedacted[] = "<redacted>";
// Base64 fragments shorter than this are not redacted on their own: they
// would match ordinary text. The value itself is always redacted.
constexpr size_t kMinFragmentChars = 8;

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                 (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool ValidEnvName(const std::string& name) {
  if (name.empty() || name.size() > 256) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// The secret in the file at `path`, checked as the header says.
Result<std::string> ReadSecretFile(const std::string& path) {
  const std::string shown = Quote(path);
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      return NotFound(StrCat("secret file ", shown, " does not exist"));
    if (e == ELOOP) {
      return PermissionDenied(StrCat(
          "secret file ", shown, " is a symbolic link; name the file itself"));
    }
    return PermissionDenied(
        StrCat("cannot open secret file ", shown, ": ", strerror(e)));
  }
  struct stat st;
  Status problem = Status::Ok();
  if (fstat(fd, &st) != 0) {
    problem = Internal(
        StrCat("cannot stat secret file ", shown, ": ", strerror(errno)));
  } else if (!S_ISREG(st.st_mode)) {
    problem = PermissionDenied(
        StrCat("secret file ", shown, " is not a regular file"));
  } else if (st.st_uid != geteuid()) {
    problem = PermissionDenied(StrCat("secret file ", shown,
                                      " is not owned by the user running "
                                      "wfstore (uid ",
                                      static_cast<uint64_t>(geteuid()), ")"));
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o",
             static_cast<unsigned>(st.st_mode & 07777));
    problem = PermissionDenied(StrCat("secret file ", shown, " has mode ", mode,
                                      "; group and others must have no access "
                                      "(chmod 600)"));
  } else if (static_cast<uint64_t>(st.st_size) > kMaxSecretFileBytes) {
    problem =
        FailedPrecondition(StrCat("secret file ", shown, " is larger than ",
                                  kMaxSecretFileBytes, " bytes"));
  }
  std::string value;
  if (problem.ok()) {
    char buf[4096];
    while (true) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        problem = Internal(
            StrCat("cannot read secret file ", shown, ": ", strerror(errno)));
        break;
      }
      if (n == 0) break;
      value.append(buf, static_cast<size_t>(n));
      if (value.size() > kMaxSecretFileBytes) {
        problem =
            FailedPrecondition(StrCat("secret file ", shown, " is larger than ",
                                      kMaxSecretFileBytes, " bytes"));
        break;
      }
    }
  }
  close(fd);
  if (!problem.ok()) return problem;
  if (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

}  // namespace

SecretResolver::SecretResolver(GetEnv getenv) : getenv_(std::move(getenv)) {
  if (!getenv_) {
    getenv_ = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
}

Result<Secret> SecretResolver::Resolve(const Json& ref) {
  if (!ref.is_object() || ref.size() != 1 ||
      !(ref.contains("env") || ref.contains("file"))) {
    return InvalidArgument(
        "a secret reference must be an object with exactly one of \"env\" "
        "(an environment variable) or \"file\" (a file of mode 0600); a "
        "credential is never written in the config itself");
  }
  std::string value;
  std::string what;
  if (ref.contains("env")) {
    const Json& name = ref["env"];
    if (!name.is_string() || !ValidEnvName(name.get<std::string>())) {
      return InvalidArgument(
          "secret reference: \"env\" must name an environment variable "
          "([A-Za-z_][A-Za-z0-9_]*)");
    }
    const std::string var = name.get<std::string>();
    what = StrCat("environment variable ", var);
    std::optional<std::string> v = getenv_(var);
    if (!v.has_value()) {
      return NotFound(
          StrCat("secret: the environment variable ", var, " is not set"));
    }
    value = std::move(*v);
  } else {
    const Json& path = ref["file"];
    if (!path.is_string() || path.get<std::string>().empty() ||
        path.get<std::string>()[0] != '/' ||
        path.get<std::string>().find('\0') != std::string::npos) {
      return InvalidArgument(
          "secret reference: \"file\" must be an absolute path");
    }
    what = StrCat("secret file ", Quote(path.get<std::string>()));
    WFS_ASSIGN_OR_RETURN(value, ReadSecretFile(path.get<std::string>()));
  }
  if (value.empty()) {
    return FailedPrecondition(StrCat("secret: the ", what, " is empty"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    AddLocked(value);
    AddLocked(Base64(value));
    // Inside a longer base64 message (Basic "user:password", SASL PLAIN
    // "\0user\0password") the secret's bytes are encoded at one of three
    // alignments; the fully covered groups then appear verbatim.
    for (size_t k = 0; k < 3 && k < value.size(); ++k) {
      size_t n = (value.size() - k) / 3 * 3;
      std::string frag = Base64(std::string_view(value).substr(k, n));
      if (frag.size() >= kMinFragmentChars) AddLocked(std::move(frag));
    }
  }
  return Secret(std::move(value));
}

void SecretResolver::AddDerived(std::string_view derived) {
  if (derived.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(std::string(derived));
}

void SecretResolver::AddLocked(std::string text) {
  if (text.empty()) return;
  if (std::find(known_.begin(), known_.end(), text) != known_.end()) return;
  known_.push_back(std::move(text));
  // Longest first, so a value is replaced as a whole before any shorter
  // text that occurs inside it.
  std::stable_sort(known_.begin(), known_.end(),
                   [](const std::string& a, const std::string& b) {
                     return a.size() > b.size();
                   });
}

std::string SecretResolver::Redact(std::string_view text) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (known_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool hit = false;
    for (const std::string& k : known_) {
      if (k.size() <= text.size() - i && text[i] == k[0] &&
          text.compare(i, k.size(), k) == 0) {
        out += kRedacted;
        i += k.size();
        hit = true;
        break;
      }
    }
    if (!hit) out += text[i++];
  }
  return out;
}

Json SecretResolver::RedactJson(const Json& value) const {
  if (value.is_string()) return Redact(value.get_ref<const std::string&>());
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& v : value) out.push_back(RedactJson(v));
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      out[Redact(it.key())] = RedactJson(it.value());
    }
    return out;
  }
  return value;
}

}  // namespace wfs::connectors
