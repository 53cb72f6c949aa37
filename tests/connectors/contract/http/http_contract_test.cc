// The http contract: the http and tracker simulators and the real HTTP
// connectors (built by the factory, against the local fixture server of
// scripts/testenv) behave the same action for action (ctest:
// contract_http_sim, contract_http_local). HttpFixtureOnly holds what only
// a real server shows (headers sent, bounds, refusals before any request).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "base/strings.h"
#include "connectors/factory.h"
#include "connectors/http/http_connector.h"
#include "testenv.h"
#include "tests/connectors/contract/contract_util.h"

namespace wfs::connectors::contract {
namespace {

// An issue as the tracker interface sees it.
struct IssueSpec {
  int64_t number;
  std::string title;
  std::string body;
  std::string author;
  std::vector<std::string> labels;
  std::string state = "open";

  Json Record() const {
    return {{"number", number}, {"title", title},   {"body", body},
            {"author", author}, {"labels", labels}, {"state", state}};
  }
  // The same issue as GitHub's REST API serves it.
  Json GitHub() const {
    Json l = Json::array();
    for (const std::string& name : labels) {
      l.push_back(
          {{"id", 7000 + l.size()}, {"name", name}, {"color", "ededed"}});
    }
    return {{"id", 4100000 + number},
            {"number", number},
            {"title", title},
            {"body", body},
            {"state", state},
            {"user", {{"login", author}, {"id", 101}, {"type", "User"}}},
            {"labels", l},
            {"comments", 0},
            {"created_at", "2024-01-02T03:04:05Z"}};
  }
};

class HttpBackend {
 public:
  virtual ~HttpBackend() = default;
  virtual Connector& http() = 0;
  virtual Connector& tracker() = 0;
  // Serves `body` (JSON text) at GET base + path ("/a/b.json").
  virtual void Page(const std::string& path, const std::string& body) = 0;
  // Answers a POST to base + path with `body`.
  virtual void PostAnswer(const std::string& path, const std::string& body) = 0;
  // Bodies POSTed to base + path, in order.
  virtual std::vector<std::string> Posted(const std::string& path) = 0;
  // Makes `repo`'s issues exactly these.
  virtual void Issues(const std::string& repo,
                      const std::vector<IssueSpec>& issues) = 0;
  // Comment bodies posted on an issue.
  virtual std::vector<std::string> Comments(const std::string& repo,
                                            int64_t number) = 0;
  const std::string& base() const { return base_; }
  const std::string& host() const { return host_; }

 protected:
  std::string base_;
  std::string host_ = "127.0.0.1";
};

constexpr char kJsonType[] = "application/json; charset=utf-8";

class SimHttp final : public HttpBackend {
 public:
  SimHttp() : world_(Json::object()) {
    base_ = "http://127.0.0.1:8080";
    http_ = &world_.Make("http");
    tracker_ = &world_.Make("tracker");
  }
  Connector& http() override { return *http_; }
  Connector& tracker() override { return *tracker_; }
  void Page(const std::string& path, const std::string& body) override {
    Json pages = world_.Coll("http", "pages");
    pages.push_back({{"url", base_ + path},
                     {"status", 200},
                     {"body", body},
                     {"content_type", kJsonType}});
    ASSERT_TRUE(world_.Set("http", "pages", pages).ok());
  }
  void PostAnswer(const std::string& path, const std::string& body) override {
    Page(path, body);
  }
  std::vector<std::string> Posted(const std::string& path) override {
    std::vector<std::string> out;
    for (const Json& r : world_.Coll("http", "requests")) {
      if (r["url"] == base_ + path && r["method"] == "POST") {
        out.push_back(r["body"]);
      }
    }
    return out;
  }
  void Issues(const std::string& repo,
              const std::vector<IssueSpec>& issues) override {
    Json all = Json::array();
    for (const Json& e : world_.Coll("tracker", "issues")) {
      if (e["repo"] != repo) all.push_back(e);
    }
    for (const IssueSpec& i : issues) {
      all.push_back({{"repo", repo}, {"issue", i.Record()}});
    }
    ASSERT_TRUE(world_.Set("tracker", "issues", all).ok());
  }
  std::vector<std::string> Comments(const std::string& repo,
                                    int64_t number) override {
    std::vector<std::string> out;
    for (const Json& c : world_.Coll("tracker", "comments")) {
      if (c["repo"] == repo && c["number"] == number) out.push_back(c["body"]);
    }
    return out;
  }

 private:
  SimWorld world_;
  Connector* http_ = nullptr;
  Connector* tracker_ = nullptr;
};

// The fixture server's files and request record.
class FixtureFiles {
 public:
  explicit FixtureFiles(const testenv::Env& env)
      : dir_(env.at("WFS_HTTP_FIXTURES")),
        requests_(env.at("WFS_HTTP_REQUESTS")) {}
  void Write(const std::string& path, const std::string& content) const {
    std::string full = dir_ + path;
    for (size_t i = dir_.size() + 1; i < full.size(); ++i) {
      if (full[i] == '/') mkdir(full.substr(0, i).c_str(), 0755);
    }
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << full;
  }
  // Recorded requests (method, path) in order.
  std::vector<Json> Requests(const std::string& method,
                             const std::string& path) const {
    std::vector<Json> out;
    std::ifstream in(requests_);
    std::string line;
    while (std::getline(in, line)) {
      Result<Json> r = ParseJson(line);
      if (!r.ok()) continue;
      if ((*r)["method"] == method && (*r)["path"] == path) {
        out.push_back(std::move(*r));
      }
    }
    return out;
  }

 private:
  std::string dir_;
  std::string requests_;
};

// The config the fixture backend gives the factory.
Json FixtureConfig(const testenv::Env& env) {
  Json c = {
      {"http",
       {{"allow_hosts", {"127.0.0.1"}},
        {"public_addresses_only", false},
        {"credentials",
         {{{"host", "127.0.0.1"}, {"token", {{"env", "WFS_HTTP_TOKEN"}}}}}}}},
      {"tracker",
       {{"kind", "rest"},
        {"profile", "github"},
        {"base", env.at("WFS_HTTP_URL")},
        {"allow_hosts", {"127.0.0.1"}},
        {"token", {{"env", "WFS_HTTP_TOKEN"}}}}}};
  return c;
}

SecretResolver::GetEnv FromTestenv(const testenv::Env& env) {
  return [env](const std::string& k) -> std::optional<std::string> {
    if (!env.has(k)) return std::nullopt;
    return env.at(k);
  };
}

class FixtureHttp final : public HttpBackend {
 public:
  explicit FixtureHttp(const testenv::Env& env)
      : files_(env), secrets_(FromTestenv(env)) {
    base_ = env.at("WFS_HTTP_URL");
    auto made = MakeConnectors(FixtureConfig(env), &secrets_);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) bundle_ = std::move(made).value();
  }
  Connector& http() override { return *bundle_->Find("http"); }
  Connector& tracker() override { return *bundle_->Find("tracker"); }
  void Page(const std::string& path, const std::string& body) override {
    files_.Write(path, body);
  }
  void PostAnswer(const std::string& path, const std::string& body) override {
    files_.Write(path + ".POST.json", body);
  }
  std::vector<std::string> Posted(const std::string& path) override {
    std::vector<std::string> out;
    for (const Json& r : files_.Requests("POST", path))
      out.push_back(r["body"]);
    return out;
  }
  void Issues(const std::string& repo,
              const std::vector<IssueSpec>& issues) override {
    Json open = Json::array();
    std::vector<IssueSpec> sorted = issues;
    std::sort(sorted.begin(), sorted.end(),
              [](const IssueSpec& a, const IssueSpec& b) {
                return a.number > b.number;
              });
    for (const IssueSpec& i : sorted) {
      const std::string at = StrCat("/repos/", repo, "/issues/", i.number);
      files_.Write(at + ".json", CanonicalJson(i.GitHub()));
      // GitHub answers label changes with the issue's labels.
      files_.Write(at + "/labels.POST.json", "[]");
      for (const char* l : {"bug", "triage", "wontfix"}) {
        files_.Write(StrCat(at, "/labels/", l, ".DELETE.json"), "[]");
      }
      if (i.state == "open") open.push_back(i.GitHub());
    }
    files_.Write(StrCat("/repos/", repo, "/issues.json"), CanonicalJson(open));
  }
  std::vector<std::string> Comments(const std::string& repo,
                                    int64_t number) override {
    std::vector<std::string> out;
    for (const Json& r : files_.Requests(
             "POST",
             StrCat("/repos/", repo, "/issues/", number, "/comments"))) {
      Result<Json> body = ParseJson(r["body"].get<std::string>());
      if (body.ok() && (*body)["body"].is_string())
        out.push_back((*body)["body"]);
    }
    return out;
  }
  const FixtureFiles& files() const { return files_; }

 private:
  FixtureFiles files_;
  SecretResolver secrets_;
  std::unique_ptr<ConnectorBundle> bundle_;
};

class HttpContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sim") {
      b_ = std::make_unique<SimHttp>();
    } else {
      env_ = testenv::Load();
      ASSERT_TRUE(env_.has_value())
          << "WFS_TESTENV is not set: run through ctest (needs the "
             "wfs_servers fixture)";
      b_ = std::make_unique<FixtureHttp>(*env_);
    }
    prefix_ = "/" + UniqueName("wfs-contract");
    repo_ = "wfstore-test/" + UniqueName("c").substr(2);
    scopes_["domain"] = {b_->host()};
    tracker_scopes_["repository"] = {repo_};
  }
  Result<ActionResponse> Http(const std::string& action, const Json& args) {
    return Call(b_->http(), action, args, &scopes_, UniqueName("key"));
  }
  Result<ActionResponse> Tracker(const std::string& action, Json args) {
    if (!args.contains("repo")) args["repo"] = repo_;
    return Call(b_->tracker(), action, args, &tracker_scopes_,
                UniqueName("key"));
  }
  void ThreeIssues() {
    b_->Issues(
        repo_,
        {{1, "Login fails", "Steps: ...", "octo", {"bug"}, "open"},
         {2, "Old", "", "ann", {}, "closed"},
         {3, "Docs typo", "see README", "bob", {"docs", "bug"}, "open"}});
  }

  std::optional<testenv::Env> env_;
  std::unique_ptr<HttpBackend> b_;
  std::string prefix_;
  std::string repo_;
  ScopeMap scopes_;
  ScopeMap tracker_scopes_;
};

TEST_P(HttpContract, GetReturnsStatusBodyAndContentType) {
  b_->Page(prefix_ + "/page.json", "{\"k\": 1}\n");
  ASSERT_OK_AND_ASSIGN(
      ActionResponse r,
      Http("get", {{"url", b_->base() + prefix_ + "/page.json"}}));
  EXPECT_EQ(r.result, Json({{"status", 200},
                            {"body", "{\"k\": 1}\n"},
                            {"content_type", kJsonType}}));
  EXPECT_TRUE(r.undo.is_null());
  // A missing page is an answer, not an error.
  ASSERT_OK_AND_ASSIGN(
      ActionResponse m,
      Http("get", {{"url", b_->base() + prefix_ + "/none.json"}}));
  EXPECT_EQ(m.result["status"], 404);
}

TEST_P(HttpContract, PostSendsTheBodyOnce) {
  const std::string path = prefix_ + "/hook";
  b_->PostAnswer(path, "{\"ok\": true}");
  ASSERT_OK_AND_ASSIGN(
      ActionResponse r,
      Http("post", {{"url", b_->base() + path}, {"body", "hello"}}));
  EXPECT_EQ(r.result, Json({{"status", 200},
                            {"body", "{\"ok\": true}"},
                            {"content_type", kJsonType}}));
  EXPECT_TRUE(r.undo.is_null()) << "a post is irreversible";
  EXPECT_EQ(b_->Posted(path), std::vector<std::string>{"hello"});
}

TEST_P(HttpContract, UrlsAndHostsAreChecked) {
  for (const char* bad : {"ftp://127.0.0.1/x", "not a url", "http://",
                          "http://127.0.0.1:99999999/x", "//127.0.0.1/x"}) {
    EXPECT_CODE(Http("get", {{"url", bad}}), Code::kInvalidArgument) << bad;
  }
  // Hosts compare exactly: neither another name for the same machine nor a
  // longer name that starts the same way.
  for (std::string url : {std::string("http://localhost/x"),
                          std::string("http://127.0.0.1.evil.example/x"),
                          std::string("http://evil.example/?127.0.0.1"),
                          std::string("http://127.0.0.1@evil.example/")}) {
    EXPECT_CODE(Http("get", {{"url", url}}), Code::kPermissionDenied) << url;
  }
  EXPECT_CODE(Http("post", {{"url", "http://evil.example/x"}, {"body", "b"}}),
              Code::kPermissionDenied);
  EXPECT_CODE(Http("get", {{"url", 7}}), Code::kInvalidArgument);
  EXPECT_CODE(Http("delete", {{"url", b_->base()}}), Code::kInvalidArgument);
  EXPECT_CODE(Http("post", {{"url", b_->base()}}), Code::kInvalidArgument);
  Connector& c = b_->http();
  EXPECT_EQ(
      *c.ScopeKey("get", "url", "https://API.Example.com:8443/x", scopes_),
      "api.example.com");
  EXPECT_EQ(*c.ScopeKey("get", "url", "http://u:p@[::1]:80/", scopes_),
            "[::1]");
  EXPECT_CODE(c.ScopeKey("get", "url", "mailto:x@y", scopes_),
              Code::kInvalidArgument);
}

TEST_P(HttpContract, TrackerReadsIssues) {
  ThreeIssues();
  ASSERT_OK_AND_ASSIGN(ActionResponse one,
                       Tracker("get_issue", {{"number", 1}}));
  EXPECT_EQ(one.result, J(R"({"number": 1, "title": "Login fails",
      "body": "Steps: ...", "author": "octo", "labels": ["bug"],
      "state": "open"})"));
  ASSERT_OK_AND_ASSIGN(ActionResponse list,
                       Tracker("list_issues", Json::object()));
  ASSERT_EQ(list.result.size(), 2u) << list.result;
  EXPECT_EQ(list.result[0]["number"], 3) << "newest first, open only";
  EXPECT_EQ(list.result[0]["labels"], J(R"(["docs", "bug"])"));
  EXPECT_EQ(list.result[1]["number"], 1);
  EXPECT_CODE(Tracker("get_issue", {{"number", 99}}), Code::kNotFound);
  EXPECT_CODE(Tracker("get_issue", {{"number", "1"}}), Code::kInvalidArgument);
  EXPECT_CODE(Tracker("get_issue", Json::object()), Code::kInvalidArgument);
  EXPECT_CODE(Tracker("close_issue", {{"number", 1}}), Code::kInvalidArgument);
  EXPECT_CODE(Tracker("get_issue", {{"repo", "evil/x"}, {"number", 1}}),
              Code::kPermissionDenied);
}

TEST_P(HttpContract, TrackerCommentsOnce) {
  ThreeIssues();
  ASSERT_OK_AND_ASSIGN(ActionResponse c,
                       Tracker("comment", {{"number", 1}, {"body", "On it."}}));
  EXPECT_EQ(c.result["body"], "On it.");
  EXPECT_TRUE(c.result["id"].is_number_integer());
  EXPECT_TRUE(c.result["author"].is_string());
  EXPECT_TRUE(c.undo.is_null()) << "a comment is irreversible";
  EXPECT_EQ(b_->Comments(repo_, 1), std::vector<std::string>{"On it."});
  EXPECT_CODE(Tracker("comment", {{"number", 42}, {"body", "x"}}),
              Code::kNotFound);
  EXPECT_CODE(
      Tracker("comment", {{"repo", "evil/x"}, {"number", 1}, {"body", "x"}}),
      Code::kPermissionDenied);
  EXPECT_EQ(b_->Comments(repo_, 1).size(), 1u);
}

TEST_P(HttpContract, LabelsUndoOnlyWhatChanged) {
  ThreeIssues();
  ASSERT_OK_AND_ASSIGN(
      ActionResponse add,
      Tracker("add_label", {{"number", 1}, {"label", "triage"}}));
  EXPECT_EQ(add.undo,
            J(("{\"action\": \"remove_label\", \"args\": {\"repo\": \"" +
               repo_ + "\", \"number\": 1, \"label\": \"triage\"}}")
                  .c_str()));
  // Already there: nothing to undo.
  ASSERT_OK_AND_ASSIGN(
      ActionResponse again,
      Tracker("add_label", {{"number", 3}, {"label", "docs"}}));
  EXPECT_TRUE(again.undo.is_null());
  ASSERT_OK_AND_ASSIGN(
      ActionResponse rm,
      Tracker("remove_label", {{"number", 3}, {"label", "bug"}}));
  EXPECT_EQ(rm.undo["action"], "add_label");
  EXPECT_EQ(rm.undo["args"]["label"], "bug");
  ASSERT_OK_AND_ASSIGN(
      ActionResponse absent,
      Tracker("remove_label", {{"number", 1}, {"label", "wontfix"}}));
  EXPECT_TRUE(absent.undo.is_null());
  EXPECT_CODE(Tracker("add_label", {{"number", 77}, {"label", "x"}}),
              Code::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Sim, HttpContract, ::testing::Values("sim"));
INSTANTIATE_TEST_SUITE_P(Fixture, HttpContract, ::testing::Values("fixture"));

// ---- only against the fixture server --------------------------------------

class HttpFixtureOnly : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testenv::Load();
    ASSERT_TRUE(env_.has_value())
        << "WFS_TESTENV is not set: run through ctest (needs the "
           "wfs_servers fixture)";
    b_ = std::make_unique<FixtureHttp>(*env_);
    repo_ = "wfstore-test/" + UniqueName("f").substr(2);
    b_->Issues(repo_, {{1, "t", "b", "a", {"bug"}, "open"}});
    scopes_["repository"] = {repo_};
  }
  Result<ActionResponse> Tracker(Connector& c, const std::string& action,
                                 Json args, const std::string& key = "") {
    if (!args.contains("repo")) args["repo"] = repo_;
    return Call(c, action, args, &scopes_, key);
  }
  std::unique_ptr<ConnectorBundle> Make(const Json& config) {
    auto made = MakeConnectors(config, &secrets_);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? std::move(made).value() : nullptr;
  }
  std::string IssuePath(const std::string& rest) const {
    return StrCat("/repos/", repo_, "/issues/1", rest);
  }

  std::optional<testenv::Env> env_;
  std::unique_ptr<FixtureHttp> b_;
  SecretResolver secrets_{
      [this](const std::string& k) -> std::optional<std::string> {
        if (!env_ || !env_->has(k)) return std::nullopt;
        return env_->at(k);
      }};
  std::string repo_;
  ScopeMap scopes_;
};

TEST_F(HttpFixtureOnly, WritesCarryTheTokenAndTheIdempotencyKey) {
  const std::string key = UniqueName("run") + "/3/0";
  ASSERT_OK(
      Tracker(b_->tracker(), "comment", {{"number", 1}, {"body", "hi"}}, key));
  std::vector<Json> sent = b_->files().Requests("POST", IssuePath("/comments"));
  ASSERT_EQ(sent.size(), 1u);
  const Json& h = sent[0]["headers"];
  EXPECT_EQ(h["Authorization"], "Bearer " + env_->at("WFS_HTTP_TOKEN"));
  EXPECT_EQ(h["Idempotency-Key"], key);
  EXPECT_EQ(h["Content-Type"], "application/json");
  EXPECT_EQ(ParseJson(sent[0]["body"].get<std::string>()).value(),
            J(R"({"body": "hi"})"));
}

TEST_F(HttpFixtureOnly, WithoutTheTokenWritesAreRefusedByTheServer) {
  Json config = FixtureConfig(*env_);
  config["tracker"].erase("token");
  auto bundle = Make(config);
  ASSERT_NE(bundle, nullptr);
  EXPECT_CODE(Tracker(*bundle->Find("tracker"), "comment",
                      {{"number", 1}, {"body", "x"}}),
              Code::kUnauthenticated);
  EXPECT_TRUE(b_->files().Requests("POST", IssuePath("/comments")).size() ==
              1u);
}

TEST_F(HttpFixtureOnly, AnUnchangedLabelSendsNoWrite) {
  ASSERT_OK_AND_ASSIGN(
      ActionResponse r,
      Tracker(b_->tracker(), "add_label", {{"number", 1}, {"label", "bug"}}));
  EXPECT_TRUE(r.undo.is_null());
  EXPECT_TRUE(b_->files().Requests("POST", IssuePath("/labels")).empty());
  ASSERT_OK(Tracker(b_->tracker(), "add_label",
                    {{"number", 1}, {"label", "triage"}}));
  std::vector<Json> sent = b_->files().Requests("POST", IssuePath("/labels"));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ParseJson(sent[0]["body"].get<std::string>()).value(),
            J(R"({"labels": ["triage"]})"));
}

TEST_F(HttpFixtureOnly, ParametersCannotReshapeTheUrl) {
  scopes_.clear();  // the connector's own check, not the scope, refuses
  for (const char* repo : {"wfstore-test/../../admin", "a//b", "./x", "a/."}) {
    EXPECT_CODE(
        Tracker(b_->tracker(), "get_issue", {{"repo", repo}, {"number", 1}}),
        Code::kInvalidArgument)
        << repo;
  }
  // Reserved characters are encoded, never interpreted.
  EXPECT_CODE(Tracker(b_->tracker(), "get_issue",
                      {{"repo", "wfstore-test/x?y=1#z"}, {"number", 1}}),
              Code::kNotFound);
  EXPECT_TRUE(b_->files().Requests("GET", "/repos/wfstore-test/x").empty());
}

TEST_F(HttpFixtureOnly, DeploymentLimitsHold) {
  ScopeMap domain = {{"domain", {"127.0.0.1", "localhost"}}};
  const std::string url =
      env_->at("WFS_HTTP_URL") + "/repos/wfstore-test/demo/issues/1";
  // Not in allow_hosts, although the run's scope allows it.
  std::string local = url;
  local.replace(local.find("127.0.0.1"), 9, "localhost");
  EXPECT_CODE(Call(b_->http(), "get", {{"url", local}}, &domain),
              Code::kPermissionDenied);
  // Loopback and private addresses are refused unless the config allows them.
  Json config = FixtureConfig(*env_);
  config["http"].erase("public_addresses_only");
  auto strict = Make(config);
  ASSERT_NE(strict, nullptr);
  EXPECT_CODE(Call(*strict->Find("http"), "get", {{"url", url}}, &domain),
              Code::kPermissionDenied);
  // Responses are bounded.
  config = FixtureConfig(*env_);
  config["http"]["max_response_bytes"] = 1024;
  auto small = Make(config);
  ASSERT_NE(small, nullptr);
  b_->Page("/" + repo_ + "-big.json", "\"" + std::string(5000, 'x') + "\"");
  EXPECT_CODE(
      Call(*small->Find("http"), "get",
           {{"url", env_->at("WFS_HTTP_URL") + "/" + repo_ + "-big.json"}},
           &domain),
      Code::kResourceExhausted);
  // Without a scope the allow-list still holds.
  EXPECT_CODE(
      Call(b_->http(), "get", {{"url", "http://example.com/"}}, nullptr),
      Code::kPermissionDenied);
}

TEST_F(HttpFixtureOnly, AnAnswerThatDoesNotFitTheInterfaceIsRefused) {
  b_->files().Write(StrCat("/repos/", repo_, "/issues/5.json"),
                    R"({"number": "five", "title": "t"})");
  EXPECT_CODE(Tracker(b_->tracker(), "get_issue", {{"number", 5}}),
              Code::kInvalidArgument);
  b_->files().Write(StrCat("/repos/", repo_, "/issues/6.json"), "not json");
  EXPECT_CODE(Tracker(b_->tracker(), "get_issue", {{"number", 6}}),
              Code::kInvalidArgument);
  // A null body is an empty text (GitHub writes null for no description).
  b_->files().Write(
      StrCat("/repos/", repo_, "/issues/7.json"),
      R"({"number": 7, "title": "t", "body": null, "state": "open",
                        "user": {"login": "u"}, "labels": []})");
  ASSERT_OK_AND_ASSIGN(ActionResponse r,
                       Tracker(b_->tracker(), "get_issue", {{"number", 7}}));
  EXPECT_EQ(r.result["body"], "");
}

TEST_F(HttpFixtureOnly, BadConfigIsRefusedPrecisely) {
  struct Case {
    Json config;
    const char* message;
  };
  const std::vector<Case> cases = {
      {J(R"({"http": {}})"), "http.allow_hosts is required"},
      {J(R"({"http": {"allow_hosts": ["https://x"]}})"),
       "http.allow_hosts [0] must be a host name"},
      {J(R"({"http": {"allow_hosts": ["x"], "allow_host": 1}})"),
       "http: unknown key `allow_host`"},
      {J(R"({"http": {"allow_hosts": ["x"], "timeout_ms": "5"}})"),
       "http.timeout_ms must be an integer"},
      {J(R"({"http": {"kind": "rest", "allow_hosts": ["x"]}})"),
       "http.kind must be \"curl\""},
      {J(R"({"ftp": {}})"), "ftp: no interface declares"},
      {J(R"({"ftp": {"kind": "magic"}})"), "unknown connector `ftp`"},
      {J(R"({"tracker": {"token": "ghp_inline"}})"),
       "a secret reference must be an object"},
      {J(R"({"tracker": {"token": {"env": "WFS_NOT_SET_ANYWHERE"}}})"),
       "WFS_NOT_SET_ANYWHERE is not set"},
      {J(R"({"tracker": {"profile": "gitlab"}})"), "tracker.profile must be"},
      {J(R"({"tracker": {"allow_hosts": ["example.com"]}})"),
       "is not in the allow-list"},
      {J(R"({"git": {"git": "git"}})"), "git: git: the git program"},
      {J(R"({"fs": {"kind": "remote"}})"), "fs.kind must be \"local\""},
      {J(R"({"fs": []})"), "fs: config must be an object"},
      {J(R"([])"), "connector config must be a JSON object"},
  };
  for (const Case& c : cases) {
    auto made = MakeConnectors(c.config, &secrets_);
    ASSERT_FALSE(made.ok()) << CanonicalJson(c.config);
    EXPECT_NE(made.status().message().find(c.message), std::string::npos)
        << made.status().ToString();
  }
  auto ok = MakeConnectors(J(R"({"fs": {}, "git": {}})"), nullptr);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)->names(), (std::vector<std::string>{"fs", "git"}));
}

}  // namespace
}  // namespace wfs::connectors::contract
