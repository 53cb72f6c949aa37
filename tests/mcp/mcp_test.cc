#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "gtest/gtest.h"
#include "mcp/engine.h"
#include "mcp/http_fields.h"
#include "mcp/jsonrpc.h"
#include "mcp/session.h"
#include "mcp/stdio.h"
#include "transport/http_message.h"

namespace wfs::mcp {
namespace {

TEST(SessionTest, ACancellationThatOvertakesItsRequestStillCancelsIt) {
  Session session("s", Principal{"agent", {}});
  EXPECT_FALSE(session.CancelRequest(5));  // not begun yet
  EXPECT_TRUE(session.BeginRequest(5)->load());
  EXPECT_FALSE(session.BeginRequest(6)->load());
  EXPECT_TRUE(session.CancelRequest(6));
  session.EndRequest(5);
  session.EndRequest(6);
  // Only the most recent early cancellations are remembered.
  for (int i = 100; i < 100 + 257; ++i) session.CancelRequest(i);
  EXPECT_FALSE(session.BeginRequest(100)->load());
  EXPECT_TRUE(session.BeginRequest(101)->load());
  EXPECT_TRUE(session.BeginRequest(356)->load());
  EXPECT_FALSE(session.BeginRequest(Json("356"))->load());  // another id
}

TEST(HttpFieldsTest, LoopbackHostsAndOrigins) {
  for (const char* h : {"localhost", "LOCALHOST:8750", "127.0.0.1", "[::1]:1",
                        "127.0.0.1:65535"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"", "localhost:", "localhost:123456", "localhostx",
                        "127.0.0.10", "127.0.0.1:80a", "[::1]x", "example.com",
                        "localhost.evil.com"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
  EXPECT_TRUE(IsLoopbackOrigin("http://localhost:3000"));
  EXPECT_TRUE(IsLoopbackOrigin("https://[::1]"));
  EXPECT_FALSE(IsLoopbackOrigin("null"));
  EXPECT_FALSE(IsLoopbackOrigin("http://localhost.evil.com"));
  EXPECT_FALSE(IsLoopbackOrigin("ftp://localhost"));
  EXPECT_FALSE(IsLoopbackOrigin("localhost"));
}

// The spec's value-encoding examples (2026-07-28 Streamable HTTP).
TEST(HttpFieldsTest, MirroredValues) {
  EXPECT_EQ(DecodeMirroredValue("us-west1"), "us-west1");
  EXPECT_EQ(DecodeMirroredValue("=?base64?SGVsbG8sIOS4lueVjA==?="),
            "Hello, \xe4\xb8\x96\xe7\x95\x8c");
  EXPECT_EQ(DecodeMirroredValue("=?base64?IHBhZGRlZCA=?="), " padded ");
  EXPECT_EQ(DecodeMirroredValue("=?base64?bGluZTEKbGluZTI=?="), "line1\nline2");
  EXPECT_EQ(DecodeMirroredValue("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="),
            "=?base64?literal?=");
  EXPECT_EQ(DecodeMirroredValue("=?base64?"
                                "?="),
            "");
  EXPECT_FALSE(DecodeMirroredValue("=?base64?SGVsbG8?=").has_value());
  EXPECT_FALSE(DecodeMirroredValue("=?base64?SGV=bG8=?=").has_value());
  EXPECT_FALSE(DecodeMirroredValue("=?base64?SGVsbG8*?=").has_value());
  EXPECT_FALSE(DecodeMirroredValue("caf\xc3\xa9").has_value());
  EXPECT_FALSE(DecodeMirroredValue("a\nb").has_value());
}

TEST(HttpFieldsTest, MirroredParamsComeFromPropertiesOnly) {
  Json schema = {
      {"type", "object"},
      {"properties",
       {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
        {"opts",
         {{"type", "object"},
          {"properties",
           {{"n", {{"type", "integer"}, {"x-mcp-header", "N"}}}}}}},
        {"list",
         {{"type", "array"},
          {"items", {{"type", "string"}, {"x-mcp-header", "Item"}}}}},
        {"plain", {{"type", "string"}}}}},
      {"allOf", Json::array({{{"x-mcp-header", "Nope"}}})}};
  std::vector<MirroredParam> params = MirroredParams(schema);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].path, (std::vector<std::string>{"opts", "n"}));
  EXPECT_EQ(params[0].header, "N");
  EXPECT_EQ(params[1].path, (std::vector<std::string>{"region"}));
  EXPECT_TRUE(MirroredParams(Json::object()).empty());
  EXPECT_TRUE(MirroredParams(Json("x")).empty());
}

TEST(HttpFieldsTest, MirroredParamsMustAgreeWithTheArguments) {
  std::vector<MirroredParam> params = {
      {{"region"}, "Region"}, {{"opts", "n"}, "N"}, {{"flag"}, "Flag"}};
  auto check = [&](std::map<std::string, std::string> fields,
                   const Json& args) {
    transport::HttpHeaders headers;
    for (const auto& [k, v] : fields) headers.Add(k, v);
    return MirroredParamMismatch(params, headers, args);
  };
  Json args = {{"region", "us-west1"}, {"opts", {{"n", 42}}}, {"flag", true}};
  EXPECT_EQ(check({{"Mcp-Param-Region", "us-west1"},
                   {"mcp-param-n", "42.0"},
                   {"Mcp-Param-Flag", "true"}},
                  args),
            "");
  EXPECT_EQ(check({{"Mcp-Param-Region", "=?base64?dXMtd2VzdDE=?="},
                   {"Mcp-Param-N", "42"},
                   {"Mcp-Param-Flag", "true"}},
                  args),
            "");
  // Missing, different, undecodable, or for a value the body leaves out.
  EXPECT_NE(check({{"Mcp-Param-N", "42"}, {"Mcp-Param-Flag", "true"}}, args)
                .find("Mcp-Param-Region header is missing"),
            std::string::npos);
  EXPECT_NE(check({{"Mcp-Param-Region", "eu"},
                   {"Mcp-Param-N", "42"},
                   {"Mcp-Param-Flag", "true"}},
                  args)
                .find("does not match params.arguments.region"),
            std::string::npos);
  EXPECT_NE(check({{"Mcp-Param-Region", "us-west1"},
                   {"Mcp-Param-N", "43"},
                   {"Mcp-Param-Flag", "true"}},
                  args),
            "");
  EXPECT_NE(check({{"Mcp-Param-Region", "us-west1"},
                   {"Mcp-Param-N", "42"},
                   {"Mcp-Param-Flag", "1"}},
                  args),
            "");
  EXPECT_NE(check({{"Mcp-Param-Region", "=?base64?dXMtd2VzdDE?="},
                   {"Mcp-Param-N", "42"},
                   {"Mcp-Param-Flag", "true"}},
                  args),
            "");
  EXPECT_NE(check({{"Mcp-Param-Region", "us-west1"}}, Json::object()), "");
  // A value the body leaves out (or null) needs no field.
  EXPECT_EQ(check({}, Json::object()), "");
  EXPECT_EQ(check({}, Json{{"region", nullptr}, {"opts", "x"}}), "");
  // Numbers that are not integers cannot be mirrored.
  EXPECT_NE(check({{"Mcp-Param-N", "1.5"}}, Json{{"opts", {{"n", 1.5}}}}), "");
  // Integers: decimal digits only, compared exactly in JavaScript's safe
  // range; an integral number in the body is an integer.
  auto n = [&](const std::string& field, const Json& value) {
    return check({{"Mcp-Param-N", field}}, Json{{"opts", {{"n", value}}}});
  };
  EXPECT_EQ(n("-7", -7), "");
  EXPECT_EQ(n("42", 42.0), "");
  EXPECT_EQ(n("9007199254740991", int64_t{9007199254740991}), "");
  for (const char* field : {"0x2A", "4.2e1", "42.", "+42", " 42", "", "-"}) {
    EXPECT_NE(n(field, 42), "") << field;
  }
  EXPECT_NE(n("9007199254740992", int64_t{9007199254740993}), "");
  EXPECT_NE(n("9007199254740993", int64_t{9007199254740993}), "");
  EXPECT_NE(n("9223372036854775807", int64_t{9223372036854775806}), "");
}

TEST(HttpFieldsTest, AcceptAndBearer) {
  EXPECT_TRUE(AcceptsType("application/json, text/event-stream",
                          "text/event-stream"));
  EXPECT_TRUE(AcceptsType("Application/JSON", "application/json"));
  EXPECT_TRUE(AcceptsType("*/*", "text/event-stream"));
  EXPECT_TRUE(AcceptsType("text/*;q=0.5", "text/event-stream"));
  EXPECT_FALSE(AcceptsType("", "application/json"));
  EXPECT_FALSE(AcceptsType("text/html", "application/json"));
  EXPECT_FALSE(AcceptsType("application/jsonx", "application/json"));
  EXPECT_FALSE(AcceptsType("application/json;q=0", "application/json"));
  EXPECT_FALSE(AcceptsType("application/json; q=0.000, text/html",
                           "application/json"));
  EXPECT_TRUE(AcceptsType("application/json;q=0.5", "application/json"));
  EXPECT_TRUE(AcceptsType("text/html;level=1, application/json ;q=1",
                          "application/json"));
  EXPECT_FALSE(AcceptsType("text/event-stream-x, textx/*",
                           "text/event-stream"));
  EXPECT_TRUE(IsLoopbackOrigin("HTTP://LocalHost:1"));
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer  abc \t"), "abc");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST(HttpFieldsTest, EventIds) {
  auto id = ParseEventId("3.14");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->stream, 3);
  EXPECT_EQ(id->seq, 14);
  EXPECT_EQ(FormatEventId(*id), "3.14");
  EXPECT_TRUE(ParseEventId("1.0"));
  EXPECT_TRUE(ParseEventId("999999999999999999.999999999999999999"));
  for (const char* bad :
       {"", ".", "3", "3.", ".4", "0.1", "-1.2", "1.-2", "1.2.3", "a.1",
        "1.b", " 1.2", "1.2 ", "+1.2", "1234567890123456789.1"}) {
    EXPECT_FALSE(ParseEventId(bad)) << bad;
  }
}

// Records what the server sends to the client.
class RecordingChannel : public ClientChannel {
 public:
  Status Send(const Json& message) override {
    std::lock_guard<std::mutex> lock(mu);
    sent.push_back(message);
    return Status::Ok();
  }
  std::vector<Json> Sent() {
    std::lock_guard<std::mutex> lock(mu);
    return sent;
  }
  std::mutex mu;
  std::vector<Json> sent;
};

class FakeTools : public ToolProvider {
 public:
  Result<std::vector<Tool>> ListTools(const Principal&) override {
    std::vector<Tool> out;
    for (int i = 0; i < 5; ++i) {
      out.push_back({"t" + std::to_string(i), "", "tool", Json::object(),
                     nullptr, nullptr});
    }
    return out;
  }
  Result<Json> CallTool(CallContext& ctx, const std::string& name,
                        const Json& args) override {
    if (name == "wait_cancel") {
      started = true;
      while (!ctx.cancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return Json{{"content", Json::array()}};
    }
    if (name == "ask") {
      auto r =
          ctx.Elicit("approve?", {{"type", "object"}}, std::chrono::seconds(5));
      if (!r.ok()) return r.status();
      return Json{{"content", Json::array()}, {"structuredContent", *r}};
    }
    if (name == "progress") {
      ctx.Progress(1, 2, "half");
      return Json{{"content", Json::array()}};
    }
    if (name == "sample") {
      auto r = ctx.Sample({{"messages", Json::array()}, {"maxTokens", 10}},
                          std::chrono::seconds(5));
      if (!r.ok()) return r.status();
      return Json{{"content", Json::array()}, {"structuredContent", *r}};
    }
    if (name == "echo") return Json{{"structuredContent", args}};
    return NotFound("unknown tool " + name);
  }
  Result<std::vector<Resource>> ListResources(const Principal&) override {
    return std::vector<Resource>{};
  }
  Result<Json> ReadResource(const Principal&, const std::string& uri) override {
    return NotFound("no resource " + uri);
  }
  std::atomic<bool> started{false};
};

Json Req(int id, const std::string& method, Json params = nullptr) {
  return MakeRequest(id, method, std::move(params));
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : engine_(EngineOptions{.page_size = 2}, &tools_),
        session_("s1", Principal{"agent", {}}) {}

  Json Init(const std::string& version, Json caps = Json::object()) {
    return engine_.Handle(
        session_,
        Req(1, "initialize",
            {{"protocolVersion", version},
             {"capabilities", caps},
             {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
        &channel_);
  }

  FakeTools tools_;
  Engine engine_;
  Session session_;
  RecordingChannel channel_;
};

TEST(JsonRpcTest, RefusesMalformedMessages) {
  EXPECT_EQ(ParseMessageText("[1]").failure.code, kInvalidRequest);
  EXPECT_EQ(ParseMessageText("{").failure.code, kParseError);
  EXPECT_EQ(ParseMessageText("{\"id\":1,\"method\":\"x\"}").failure.message,
            "\"jsonrpc\" must be \"2.0\"");
  EXPECT_FALSE(
      ParseMessageText("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\"}")
          .ok);
  EXPECT_FALSE(
      ParseMessageText("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}").ok);
  EXPECT_FALSE(
      ParseMessageText(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":[1]}")
          .ok);
  EXPECT_FALSE(ParseMessageText(
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}")
                   .ok);
  Parsed n = ParseMessageText("{\"jsonrpc\":\"2.0\",\"method\":\"n\"}");
  ASSERT_TRUE(n.ok);
  EXPECT_EQ(n.message.kind, Message::Kind::kNotification);
  Parsed r =
      ParseMessageText("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{}}");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.message.kind, Message::Kind::kResult);
}

TEST(JsonRpcTest, StatusesMapInOnePlace) {
  EXPECT_EQ(ErrorCodeFor(InvalidArgument("x")), kInvalidParams);
  EXPECT_EQ(ErrorCodeFor(PermissionDenied("x")), kForbidden);
  EXPECT_EQ(ErrorCodeFor(Internal("x")), kInternalError);
  Json e = StatusError(7, NotFound("gone"));
  EXPECT_EQ(e["error"]["data"]["status"], "not_found");
  EXPECT_EQ(e["id"], 7);
}

TEST_F(EngineTest, NegotiatesTheProtocolVersion) {
  Json r = Init("2025-06-18");
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "wfstore");
  EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
  // A second initialize is refused.
  EXPECT_EQ(Init("2025-06-18")["error"]["code"], kInvalidRequest);
}

TEST_F(EngineTest, AnswersAnUnknownVersionWithItsNewest) {
  Json r = Init("2099-01-01");
  EXPECT_EQ(r["result"]["protocolVersion"], SupportedProtocolVersions()[0]);
}

TEST_F(EngineTest, GateRefusesRequestsBeforeInitialize) {
  Json r = engine_.Handle(session_, Req(2, "tools/list"), &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidRequest);
  // ping is allowed at any time.
  EXPECT_TRUE(
      engine_.Handle(session_, Req(3, "ping"), &channel_).contains("result"));
}

TEST_F(EngineTest, UnknownMethodsAndNotifications) {
  Init("2025-11-25");
  EXPECT_EQ(
      engine_.Handle(session_, Req(2, "nope/nope"), &channel_)["error"]["code"],
      kMethodNotFound);
  EXPECT_TRUE(engine_
                  .Handle(session_,
                          MakeNotification("notifications/whatever", nullptr),
                          &channel_)
                  .is_null());
}

TEST_F(EngineTest, PaginatesToolsWithOpaqueCursors) {
  Init("2025-06-18");
  std::vector<std::string> names;
  Json cursor = nullptr;
  for (int page = 0; page < 10; ++page) {
    Json params = Json::object();
    if (!cursor.is_null()) params["cursor"] = cursor;
    Json r = engine_.Handle(session_, Req(10 + page, "tools/list", params),
                            &channel_);
    ASSERT_TRUE(r.contains("result")) << r;
    for (const Json& t : r["result"]["tools"]) names.push_back(t["name"]);
    if (!r["result"].contains("nextCursor")) break;
    cursor = r["result"]["nextCursor"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
  Json bad = engine_.Handle(session_, Req(30, "tools/list", {{"cursor", "zz"}}),
                            &channel_);
  EXPECT_EQ(bad["error"]["code"], kInvalidParams);
}

TEST_F(EngineTest, ToolErrorsAndArguments) {
  Init("2025-06-18");
  Json r = engine_.Handle(session_, Req(2, "tools/call", {{"name", "missing"}}),
                          &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
  r = engine_.Handle(
      session_,
      Req(3, "tools/call", {{"name", "echo"}, {"arguments", Json::array()}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
  r = engine_.Handle(
      session_,
      Req(4, "tools/call", {{"name", "echo"}, {"arguments", {{"a", 1}}}}),
      &channel_);
  EXPECT_EQ(r["result"]["structuredContent"]["a"], 1);
}

TEST_F(EngineTest, ResourceNotFoundHasItsOwnCode) {
  Init("2025-06-18");
  Json r = engine_.Handle(
      session_, Req(2, "resources/read", {{"uri", "x://y"}}), &channel_);
  EXPECT_EQ(r["error"]["code"], kResourceNotFound);
}

TEST_F(EngineTest, ProgressGoesToTheChannelWhenAsked) {
  Init("2025-06-18");
  engine_.Handle(
      session_,
      Req(2, "tools/call",
          {{"name", "progress"}, {"_meta", {{"progressToken", "p1"}}}}),
      &channel_);
  auto sent = channel_.Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["method"], "notifications/progress");
  EXPECT_EQ(sent[0]["params"]["progressToken"], "p1");
  EXPECT_EQ(sent[0]["params"]["total"], 2);
}

TEST_F(EngineTest, CancellationReachesTheRunningTool) {
  Init("2025-06-18");
  Json reply;
  std::thread t([&] {
    reply = engine_.Handle(
        session_, Req(42, "tools/call", {{"name", "wait_cancel"}}), &channel_);
  });
  while (!tools_.started)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  engine_.Handle(session_,
                 MakeNotification("notifications/cancelled",
                                  {{"requestId", 42}, {"reason", "user"}}),
                 &channel_);
  t.join();
  EXPECT_EQ(reply["error"]["code"], kRequestCancelled);
}

TEST_F(EngineTest, ElicitationRoundTrip) {
  Init("2025-06-18", {{"elicitation", Json::object()}});
  Json reply;
  std::thread t([&] {
    reply = engine_.Handle(session_, Req(5, "tools/call", {{"name", "ask"}}),
                           &channel_);
  });
  Json request;
  for (int i = 0; i < 2000 && request.is_null(); ++i) {
    for (const Json& m : channel_.Sent()) {
      if (m.value("method", "") == "elicitation/create") request = m;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(request.is_null());
  EXPECT_EQ(request["params"]["message"], "approve?");
  // The client's answer arrives as a response message.
  engine_.Handle(session_,
                 MakeResult(request["id"], {{"action", "accept"},
                                            {"content", {{"approve", true}}}}),
                 &channel_);
  t.join();
  EXPECT_EQ(reply["result"]["structuredContent"]["action"], "accept");
}

TEST_F(EngineTest, NoElicitationWithoutTheCapability) {
  Init("2025-06-18");
  Json r = engine_.Handle(session_, Req(5, "tools/call", {{"name", "ask"}}),
                          &channel_);
  EXPECT_EQ(r["error"]["data"]["status"], "failed_precondition");
  EXPECT_TRUE(channel_.Sent().empty());
}

TEST_F(EngineTest, LoggingLevels) {
  Init("2025-06-18");
  EXPECT_TRUE(engine_
                  .Handle(session_,
                          Req(2, "logging/setLevel", {{"level", "debug"}}),
                          &channel_)
                  .contains("result"));
  EXPECT_EQ(session_.log_level(), 0);
  EXPECT_EQ(
      engine_.Handle(session_, Req(3, "logging/setLevel", {{"level", "loud"}}),
                     &channel_)["error"]["code"],
      kInvalidParams);
}

TEST_F(EngineTest, SamplingRoundTrip) {
  Init("2025-11-25", {{"sampling", Json::object()}});
  Json reply;
  std::thread t([&] {
    reply = engine_.Handle(session_, Req(5, "tools/call", {{"name", "sample"}}),
                           &channel_);
  });
  Json request;
  for (int i = 0; i < 2000 && request.is_null(); ++i) {
    for (const Json& m : channel_.Sent()) {
      if (m.value("method", "") == "sampling/createMessage") request = m;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(request.is_null());
  EXPECT_EQ(request["params"]["maxTokens"], 10);
  engine_.Handle(session_,
                 MakeResult(request["id"],
                            {{"role", "assistant"},
                             {"content", {{"type", "text"}, {"text", "hi"}}},
                             {"model", "m"}}),
                 &channel_);
  t.join();
  EXPECT_EQ(reply["result"]["structuredContent"]["content"]["text"], "hi");
}

TEST_F(EngineTest, NoSamplingWithoutTheCapability) {
  Init("2025-11-25", {{"elicitation", Json::object()}});
  Json r = engine_.Handle(session_, Req(5, "tools/call", {{"name", "sample"}}),
                          &channel_);
  EXPECT_EQ(r["error"]["data"]["status"], "failed_precondition");
  EXPECT_TRUE(channel_.Sent().empty());
}

TEST_F(EngineTest, OptionalFeaturesOnlyWhenTheProviderHasThem) {
  Json init = Init("2025-11-25");
  const Json& caps = init["result"]["capabilities"];
  EXPECT_FALSE(caps.contains("prompts"));
  EXPECT_FALSE(caps.contains("completions"));
  EXPECT_EQ(caps["resources"]["subscribe"], false);
  EXPECT_EQ(caps["tools"]["listChanged"], false);
  EXPECT_EQ(caps["resources"]["listChanged"], false);
  for (const char* method : {"prompts/list", "prompts/get",
                             "completion/complete", "resources/subscribe"}) {
    EXPECT_EQ(engine_.Handle(session_, Req(2, method, Json::object()),
                             &channel_)["error"]["code"],
              kMethodNotFound)
        << method;
  }
  // Templates come from the provider: none here.
  EXPECT_EQ(engine_.Handle(session_, Req(3, "resources/templates/list"),
                           &channel_)["result"]["resourceTemplates"],
            Json::array());
}

class ChangingTools : public FakeTools {
 public:
  ProviderFeatures Features() const override {
    ProviderFeatures f;
    f.list_changed = true;
    return f;
  }
};

class BrokenChannel : public ClientChannel {
 public:
  Status Send(const Json&) override { return Unavailable("client gone"); }
};

// A list that changes is announced to every session that listens and
// finished initializing, and to no other.
TEST(EngineListChangedTest, ReachesListeningSessionsOnceInitialized) {
  ChangingTools tools;
  Engine engine(EngineOptions{}, &tools);
  Session ready("a", {"agent", {}}), pending("b", {"agent", {}}),
      deaf("c", {"agent", {}}), closed("d", {"agent", {}}),
      broken("e", {"agent", {}});
  RecordingChannel to_ready, to_pending, to_deaf, to_closed;
  BrokenChannel to_broken;
  for (Session* s : {&ready, &pending, &deaf, &closed, &broken}) {
    Json init =
        engine.Handle(*s,
                      Req(1, "initialize",
                          {{"protocolVersion", "2025-11-25"},
                           {"capabilities", Json::object()},
                           {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                      nullptr);
    const Json& caps = init["result"]["capabilities"];
    EXPECT_EQ(caps["tools"]["listChanged"], true);
    EXPECT_EQ(caps["resources"]["listChanged"], true);
    if (s != &pending) {
      engine.Handle(*s, MakeNotification("notifications/initialized", nullptr),
                    nullptr);
    }
  }
  engine.Listen(&ready, &to_ready);
  engine.Listen(&pending, &to_pending);
  engine.Listen(&closed, &to_closed);
  engine.Listen(&broken, &to_broken);
  closed.Close();

  const Engine::Concerns everyone = [](const Principal&) { return true; };
  EXPECT_EQ(engine.NotifyListChanged(everyone, nullptr), 1u);
  std::vector<Json> sent = to_ready.Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["method"], "notifications/tools/list_changed");
  EXPECT_FALSE(sent[0].contains("id"));
  EXPECT_TRUE(to_pending.Sent().empty());
  EXPECT_TRUE(to_deaf.Sent().empty());
  EXPECT_TRUE(to_closed.Sent().empty());

  EXPECT_EQ(engine.NotifyListChanged(nullptr, nullptr), 0u);
  EXPECT_EQ(to_ready.Sent().size(), 1u);
  EXPECT_EQ(engine.NotifyListChanged(everyone, everyone), 1u);
  sent = to_ready.Sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[1]["method"], "notifications/tools/list_changed");
  EXPECT_EQ(sent[2]["method"], "notifications/resources/list_changed");

  // Once initialized, the pending session hears too; one that stopped
  // listening does not.
  engine.Handle(pending, MakeNotification("notifications/initialized", nullptr),
                nullptr);
  engine.StopListening(&ready);
  EXPECT_EQ(engine.NotifyListChanged(nullptr, everyone), 1u);
  EXPECT_EQ(to_ready.Sent().size(), 3u);
  ASSERT_EQ(to_pending.Sent().size(), 1u);
  EXPECT_EQ(to_pending.Sent()[0]["method"],
            "notifications/resources/list_changed");
  // Only sessions whose caller the change concerns hear of it.
  EXPECT_EQ(engine.NotifyListChanged(
                [](const Principal& p) { return p.agent == "someone else"; },
                nullptr),
            0u);
  EXPECT_EQ(to_pending.Sent().size(), 1u);
}

// ---- stateless requests (2026-07-28) -----------------------------------

// Tools for stateless calls: `confirm` asks for input and completes once
// the retry brings the answer; `log` logs at warning level.
class StatelessTools : public ChangingTools {
 public:
  Result<Json> CallTool(CallContext& ctx, const std::string& name,
                        const Json& args) override {
    if (name == "confirm") {
      if (ctx.kept_state().is_null()) {
        ctx.RequireInput({{"q",
                           {{"method", "elicitation/create"},
                            {"params",
                             {{"mode", "form"},
                              {"message", "approve?"},
                              {"requestedSchema", {{"type", "object"}}}}}}}},
                         {{"round", 1}});
        return Json{{"content", Json::array()}};  // dropped by the engine
      }
      return Json{
          {"content", Json::array()},
          {"structuredContent",
           {{"kept", ctx.kept_state()}, {"answers", ctx.input_responses()}}}};
    }
    if (name == "log") {
      ctx.Log(3, "test", "careful");  // warning
      return Json{{"content", Json::array()}};
    }
    if (name == "needs_sampling") {
      if (!ctx.CanSample()) return ctx.RequireCapability("sampling");
      return Json{{"content", Json::array()}};
    }
    return FakeTools::CallTool(ctx, name, args);
  }
  ProviderFeatures Features() const override {
    ProviderFeatures f = ChangingTools::Features();
    f.prompts = true;
    return f;
  }
  // A prompt that asks as the confirm tool does.
  Result<Json> GetPrompt(CallContext& ctx, const std::string& name,
                         const Json& args) override {
    (void)args;
    if (name != "confirm") return NotFound("no prompt " + name);
    if (ctx.kept_state().is_null()) {
      ctx.RequireInput({{"q",
                         {{"method", "elicitation/create"},
                          {"params",
                           {{"mode", "form"},
                            {"message", "which context?"},
                            {"requestedSchema", {{"type", "object"}}}}}}}},
                       {{"prompt", 1}});
      return Json::object();
    }
    return Json{
        {"messages",
         Json::array({{{"role", "user"},
                       {"content",
                        {{"type", "text"},
                         {"text", CanonicalJson(ctx.input_responses())}}}}})}};
  }
};

// `extra` joins the request's params; `meta` its _meta (the revision and
// the client's capabilities unless replaced).
Json StatelessReq(int id, const std::string& method, Json extra = {},
                  Json meta = {}) {
  Json m = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
            {"io.modelcontextprotocol/clientCapabilities",
             {{"elicitation", Json::object()}}}};
  if (meta.is_object()) {
    for (auto& [k, v] : meta.items()) {
      if (v.is_null()) {
        m.erase(k);
      } else {
        m[k] = v;
      }
    }
  }
  Json params = extra.is_object() ? extra : Json::object();
  params["_meta"] = m;
  return Req(id, method, params);
}

class StatelessTest : public ::testing::Test {
 protected:
  StatelessTest()
      : engine_(EngineOptions{.page_size = 2, .clock = &clock_}, &tools_),
        session_("s1", Principal{"agent", {}}) {}

  Json Call(Session& s, int id, Json params) {
    return engine_.Handle(s, StatelessReq(id, "tools/call", std::move(params)),
                          &channel_);
  }

  FakeClock clock_;
  StatelessTools tools_;
  Engine engine_;
  Session session_;
  RecordingChannel channel_;
};

TEST_F(StatelessTest, DiscoverNamesEveryRevisionAndNoSessionFeature) {
  Json r = engine_.Handle(session_, StatelessReq(1, "server/discover"),
                          &channel_)["result"];
  EXPECT_EQ(r["supportedVersions"], Json::array({"2026-07-28", "2025-11-25",
                                                 "2025-06-18", "2025-03-26"}));
  EXPECT_EQ(r["resultType"], "complete");
  EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
            "wfstore");
  EXPECT_TRUE(r["ttlMs"].is_number_integer());
  EXPECT_EQ(r["cacheScope"], "public");
  // List changes reach stateless clients on subscriptions/listen; tasks
  // and resources/subscribe are session features.
  EXPECT_EQ(r["capabilities"]["tools"]["listChanged"], true);
  EXPECT_EQ(r["capabilities"]["resources"]["subscribe"], false);
  EXPECT_FALSE(r["capabilities"].contains("tasks"));
  EXPECT_FALSE(session_.initialize_answered());
}

TEST_F(StatelessTest, TheRequestMetadataIsChecked) {
  Json r = engine_.Handle(
      session_,
      StatelessReq(1, "tools/list", {},
                   {{"io.modelcontextprotocol/protocolVersion", "2099-01-01"}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kUnsupportedProtocolVersion);
  EXPECT_EQ(r["error"]["data"]["requested"], "2099-01-01");
  EXPECT_EQ(r["error"]["data"]["supported"][0], "2026-07-28");
  // A session's revision without a session.
  r = engine_.Handle(
      session_,
      StatelessReq(2, "tools/list", {},
                   {{"io.modelcontextprotocol/protocolVersion", "2025-11-25"}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kUnsupportedProtocolVersion);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("initialize"),
            std::string::npos);
  r = engine_.Handle(
      session_,
      StatelessReq(3, "tools/list", {},
                   {{"io.modelcontextprotocol/protocolVersion", 20260728}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
  r = engine_.Handle(
      session_,
      StatelessReq(
          4, "tools/list", {},
          {{"io.modelcontextprotocol/clientCapabilities", Json(nullptr)}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("clientCapabilities"),
            std::string::npos);
  r = engine_.Handle(
      session_,
      StatelessReq(5, "tools/list", {},
                   {{"io.modelcontextprotocol/logLevel", "loud"}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
}

TEST_F(StatelessTest, SessionMethodsAreNotStatelessAndDiscoverIsNoSessions) {
  for (const char* method : {"initialize", "ping", "logging/setLevel",
                             "tasks/list", "resources/subscribe"}) {
    Json r = engine_.Handle(session_, StatelessReq(1, method), &channel_);
    EXPECT_EQ(r["error"]["code"], kMethodNotFound) << method;
  }
  // Without _meta the same session may still initialize; then a request is
  // the session's, _meta or not.
  engine_.Handle(session_,
                 Req(2, "initialize",
                     {{"protocolVersion", "2025-11-25"},
                      {"capabilities", Json::object()},
                      {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                 &channel_);
  EXPECT_EQ(engine_.Handle(session_, StatelessReq(3, "server/discover"),
                           &channel_)["error"]["code"],
            kMethodNotFound);
  Json ping = engine_.Handle(session_, StatelessReq(4, "ping"), &channel_);
  EXPECT_TRUE(ping.contains("result"));
  EXPECT_FALSE(ping["result"].contains("resultType"));
}

TEST_F(StatelessTest, ResultsCarryTheirTypeTheServerAndCacheHints) {
  Json r = engine_.Handle(session_, StatelessReq(1, "tools/list"),
                          &channel_)["result"];
  EXPECT_EQ(r["resultType"], "complete");
  EXPECT_EQ(r["cacheScope"], "private");  // lists follow the caller's grants
  EXPECT_EQ(r["ttlMs"], 60000);
  EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/serverInfo"]["version"],
            "0.1.0");
  EXPECT_EQ(r["tools"].size(), 2u);
  // Cursors work as in a session.
  r = engine_.Handle(
      session_, StatelessReq(2, "tools/list", {{"cursor", r["nextCursor"]}}),
      &channel_)["result"];
  EXPECT_EQ(r["tools"][0]["name"], "t2");
  r = Call(session_, 3,
           {{"name", "echo"}, {"arguments", {{"a", 1}}}})["result"];
  EXPECT_EQ(r["resultType"], "complete");
  EXPECT_EQ(r["structuredContent"]["a"], 1);
  EXPECT_FALSE(r.contains("ttlMs"));
  // An unknown resource is invalid params in this revision.
  Json e = engine_.Handle(
      session_, StatelessReq(4, "resources/read", {{"uri", "x:y"}}), &channel_);
  EXPECT_EQ(e["error"]["code"], kInvalidParams);
  EXPECT_EQ(e["error"]["data"]["uri"], "x:y");
}

TEST_F(StatelessTest, InputRequiredThenTheRetryCompletes) {
  Json args = {{"id", 7}};
  Json r =
      Call(session_, 1, {{"name", "confirm"}, {"arguments", args}})["result"];
  EXPECT_EQ(r["resultType"], "input_required");
  EXPECT_EQ(r["inputRequests"]["q"]["method"], "elicitation/create");
  EXPECT_FALSE(r.contains("content"));
  ASSERT_TRUE(r["requestState"].is_string());
  // The tool's state travels inside the sealed envelope, not as JSON.
  EXPECT_EQ(r["requestState"].get<std::string>().find("round"),
            std::string::npos);
  Json answer = {{"q", {{"action", "accept"}, {"content", {{"ok", true}}}}}};
  Json done = Call(session_, 2,
                   {{"name", "confirm"},
                    {"arguments", args},
                    {"inputResponses", answer},
                    {"requestState", r["requestState"]}})["result"];
  EXPECT_EQ(done["resultType"], "complete");
  EXPECT_EQ(done["structuredContent"]["kept"]["round"], 1);
  EXPECT_EQ(done["structuredContent"]["answers"], answer);
  // Nothing went to the client outside the answers.
  EXPECT_TRUE(channel_.Sent().empty());
}

TEST_F(StatelessTest, AStateServesOnlyItsCallerItsCallAndItsTime) {
  Json args = {{"id", 7}};
  std::string state = Call(
      session_, 1,
      {{"name", "confirm"}, {"arguments", args}})["result"]["requestState"];
  auto retry = [&](Session& s, const std::string& tool, const Json& a,
                   const Json& st) {
    return Call(s, 2,
                {{"name", tool},
                 {"arguments", a},
                 {"inputResponses", Json::object()},
                 {"requestState", st}});
  };
  auto refused = [](const Json& r) {
    return r.contains("error") && r["error"]["code"] == kInvalidParams;
  };
  std::string altered = state;
  altered[10] = altered[10] == '0' ? '1' : '0';
  EXPECT_TRUE(refused(retry(session_, "confirm", args, altered)));
  std::string forged = state;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_TRUE(refused(retry(session_, "confirm", args, forged)));
  EXPECT_TRUE(refused(retry(session_, "confirm", args, "wfs1.zz.00")));
  EXPECT_TRUE(refused(retry(session_, "confirm", args, 17)));
  Session other("s2", Principal{"someone else", {}});
  EXPECT_TRUE(refused(retry(other, "confirm", args, state)));
  EXPECT_TRUE(refused(retry(session_, "confirm", Json{{"id", 8}}, state)));
  EXPECT_TRUE(refused(retry(session_, "echo", args, state)));
  EXPECT_TRUE(refused(Call(session_, 3,
                           {{"name", "confirm"},
                            {"arguments", args},
                            {"inputResponses", "yes"},
                            {"requestState", state}})));
  // Good until it expires (10 minutes by default).
  EXPECT_EQ(retry(session_, "confirm", args, state)["result"]["resultType"],
            "complete");
  clock_.Advance(int64_t{11} * 60 * 1000 * 1000);
  EXPECT_TRUE(refused(retry(session_, "confirm", args, state)));
  // A state sealed by another server (another key) is refused too.
  Engine elsewhere(EngineOptions{.clock = &clock_}, &tools_);
  std::string theirs = elsewhere.Handle(
      session_,
      StatelessReq(9, "tools/call", {{"name", "confirm"}, {"arguments", args}}),
      &channel_)["result"]["requestState"];
  EXPECT_TRUE(refused(retry(session_, "confirm", args, theirs)));
}

TEST_F(StatelessTest, APromptMayRequireInputAndItsStateIsItsOwn) {
  Json args = {{"id", "7"}};
  Json r =
      engine_.Handle(session_,
                     StatelessReq(1, "prompts/get",
                                  {{"name", "confirm"}, {"arguments", args}}),
                     &channel_)["result"];
  EXPECT_EQ(r["resultType"], "input_required");
  EXPECT_EQ(r["inputRequests"]["q"]["method"], "elicitation/create");
  ASSERT_TRUE(r["requestState"].is_string());
  Json answer = {{"q", {{"action", "accept"}, {"content", {{"c", "x"}}}}}};
  Json done =
      engine_.Handle(session_,
                     StatelessReq(2, "prompts/get",
                                  {{"name", "confirm"},
                                   {"arguments", args},
                                   {"inputResponses", answer},
                                   {"requestState", r["requestState"]}}),
                     &channel_)["result"];
  EXPECT_EQ(done["resultType"], "complete");
  EXPECT_EQ(done["messages"][0]["content"]["text"], CanonicalJson(answer));
  // A prompt's state is not the same-named tool's, nor the other way.
  Json as_tool = Call(session_, 3,
                      {{"name", "confirm"},
                       {"arguments", args},
                       {"inputResponses", answer},
                       {"requestState", r["requestState"]}});
  EXPECT_EQ(as_tool["error"]["code"], kInvalidParams);
  std::string tool_state = Call(
      session_, 4,
      {{"name", "confirm"}, {"arguments", args}})["result"]["requestState"];
  Json as_prompt = engine_.Handle(session_,
                                  StatelessReq(5, "prompts/get",
                                               {{"name", "confirm"},
                                                {"arguments", args},
                                                {"inputResponses", answer},
                                                {"requestState", tool_state}}),
                                  &channel_);
  EXPECT_EQ(as_prompt["error"]["code"], kInvalidParams);
}

TEST_F(StatelessTest, AMissingClientCapabilityIsItsOwnError) {
  Json r = Call(session_, 1, {{"name", "needs_sampling"}});
  EXPECT_EQ(r["error"]["code"], kMissingClientCapability);
  EXPECT_EQ(r["error"]["data"]["requiredCapabilities"],
            Json({{"sampling", Json::object()}}));
  EXPECT_NE(r["error"]["message"].get<std::string>().find("sampling"),
            std::string::npos);
  // Declared: the call runs.
  r = engine_.Handle(
      session_,
      StatelessReq(2, "tools/call", {{"name", "needs_sampling"}},
                   {{"io.modelcontextprotocol/clientCapabilities",
                     {{"sampling", Json::object()}}}}),
      &channel_);
  EXPECT_EQ(r["result"]["resultType"], "complete");
  // Input a provider asks for that the client did not declare it can give
  // is refused the same way, whatever the provider checked.
  r = engine_.Handle(
      session_,
      StatelessReq(3, "tools/call", {{"name", "confirm"}},
                   {{"io.modelcontextprotocol/clientCapabilities",
                     {{"sampling", Json::object()}}}}),
      &channel_);
  EXPECT_EQ(r["error"]["code"], kMissingClientCapability);
  EXPECT_EQ(r["error"]["data"]["requiredCapabilities"],
            Json({{"elicitation", Json::object()}}));
  // A session's call has no such error code: the status maps as usual.
  Session s2("s2", Principal{"agent", {}});
  engine_.Handle(s2,
                 Req(3, "initialize",
                     {{"protocolVersion", "2025-11-25"},
                      {"capabilities", Json::object()},
                      {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                 &channel_);
  r = engine_.Handle(s2, Req(4, "tools/call", {{"name", "needs_sampling"}}),
                     &channel_);
  EXPECT_EQ(r["error"]["code"], kInvalidRequest);
  EXPECT_FALSE(r["error"]["data"].contains("requiredCapabilities"));
}

TEST_F(StatelessTest, InputResponsesMustBeAnObjectOfObjects) {
  for (const Json& given :
       {Json(nullptr), Json(5), Json{{"q", 12345}}, Json{{"q", "yes"}}}) {
    Json r = Call(session_, 1,
                  {{"name", "confirm"},
                   {"arguments", Json::object()},
                   {"inputResponses", given}});
    EXPECT_EQ(r["error"]["code"], kInvalidParams) << given;
  }
  Json r = Call(session_, 2,
                {{"name", "confirm"},
                 {"arguments", Json::object()},
                 {"inputResponses", {{"q", {{"action", "decline"}}}}}});
  EXPECT_EQ(r["result"]["resultType"], "input_required");
}

TEST_F(StatelessTest, NoQuestionsOverTheChannelAndLogsOnlyWhenAsked) {
  Json r = Call(session_, 1, {{"name", "ask"}});
  EXPECT_EQ(r["error"]["data"]["status"], "failed_precondition");
  r = Call(session_, 2, {{"name", "sample"}});
  EXPECT_EQ(r["error"]["data"]["status"], "failed_precondition");
  Call(session_, 3, {{"name", "log"}});
  EXPECT_TRUE(channel_.Sent().empty());
  engine_.Handle(session_,
                 StatelessReq(4, "tools/call", {{"name", "log"}},
                              {{"io.modelcontextprotocol/logLevel", "error"}}),
                 &channel_);
  EXPECT_TRUE(channel_.Sent().empty());  // warning is below error
  engine_.Handle(session_,
                 StatelessReq(5, "tools/call", {{"name", "log"}},
                              {{"io.modelcontextprotocol/logLevel", "info"}}),
                 &channel_);
  ASSERT_EQ(channel_.Sent().size(), 1u);
  EXPECT_EQ(channel_.Sent()[0]["method"], "notifications/message");
}

// A stateless client that sends notifications/initialized (it has no
// handshake) does not start hearing a session's unsolicited notifications.
TEST_F(StatelessTest, AStrayInitializedNotificationOpensNoSession) {
  engine_.Listen(&session_, &channel_);
  engine_.Handle(session_, MakeNotification("notifications/initialized", {}),
                 &channel_);
  EXPECT_FALSE(session_.ready());
  const Engine::Concerns everyone = [](const Principal&) { return true; };
  EXPECT_EQ(engine_.NotifyListChanged(everyone, everyone), 0u);
  EXPECT_TRUE(channel_.Sent().empty());
  engine_.StopListening(&session_);
}

// Over stdio, stateless requests need no initialize; a call or a
// subscription the client cancels gets no response, and the next request
// is answered as usual.
TEST_F(StatelessTest, OverStdioCancelledRequestsGetNoResponse) {
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  Session stdio_session("stdio", Principal{"local", {}});
  std::thread server([&] {
    StdioOptions o;
    o.in_fd = in[0];
    o.out_fd = out[1];
    EXPECT_TRUE(ServeStdio(engine_, stdio_session, o).ok());
    close(out[1]);
  });
  auto send = [&](const Json& m) {
    std::string line = m.dump() + "\n";
    ASSERT_EQ(write(in[1], line.data(), line.size()),
              static_cast<ssize_t>(line.size()));
  };
  std::string got;
  auto read_lines = [&](size_t n) {
    std::vector<Json> lines;
    char buf[4096];
    while (lines.size() < n) {
      size_t nl = got.find('\n');
      if (nl != std::string::npos) {
        lines.push_back(Json::parse(got.substr(0, nl)));
        got.erase(0, nl + 1);
        continue;
      }
      ssize_t r = read(out[0], buf, sizeof buf);
      if (r <= 0) break;
      got.append(buf, static_cast<size_t>(r));
    }
    return lines;
  };
  send(StatelessReq(1, "tools/call", {{"name", "wait_cancel"}}));
  send(StatelessReq(2, "subscriptions/listen",
                    {{"notifications", {{"toolsListChanged", true}}}}));
  std::vector<Json> first = read_lines(1);  // the acknowledgement
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["method"], "notifications/subscriptions/acknowledged");
  for (int i = 0; i < 2000 && !tools_.started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  send(MakeNotification("notifications/cancelled", {{"requestId", 1}}));
  send(MakeNotification("notifications/cancelled", {{"requestId", 2}}));
  send(StatelessReq(3, "tools/call",
                    {{"name", "echo"}, {"arguments", {{"a", 1}}}}));
  std::vector<Json> next = read_lines(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0]["id"], 3);
  EXPECT_EQ(next[0]["result"]["resultType"], "complete");
  close(in[1]);
  server.join();
  // Nothing else came: no response for the cancelled call or subscription.
  std::vector<Json> rest = read_lines(1);
  EXPECT_TRUE(rest.empty()) << (rest.empty() ? "" : rest[0].dump());
  close(in[0]);
  close(out[0]);
}

// Waits until `channel` holds `n` messages.
bool WaitForMessages(RecordingChannel& channel, size_t n) {
  for (int i = 0; i < 5000; ++i) {
    if (channel.Sent().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST_F(StatelessTest, ListenAcknowledgesTagsAndEnds) {
  EXPECT_EQ(
      engine_.Handle(
          session_,
          StatelessReq(1, "subscriptions/listen",
                       {{"notifications", {{"toolsListChanged", "yes"}}}}),
          &channel_)["error"]["code"],
      kInvalidParams);
  EXPECT_EQ(engine_.Handle(session_,
                           StatelessReq(1, "subscriptions/listen",
                                        {{"notifications", Json::object()}}),
                           nullptr)["error"]["data"]["status"],
            "failed_precondition");
  Grants none;
  none.find = false;
  none.run = false;
  Session nobody("s3", Principal{"nobody", none});
  EXPECT_EQ(engine_.Handle(nobody,
                           StatelessReq(1, "subscriptions/listen",
                                        {{"notifications", Json::object()}}),
                           &channel_)["error"]["data"]["status"],
            "permission_denied");
  EXPECT_TRUE(channel_.Sent().empty());
  Json reply;
  std::thread t([&] {
    reply = engine_.Handle(
        session_,
        StatelessReq(
            7, "subscriptions/listen",
            {{"notifications",
              {{"toolsListChanged", true}, {"promptsListChanged", true}}}}),
        &channel_);
  });
  ASSERT_TRUE(WaitForMessages(channel_, 1));
  Json ack = channel_.Sent()[0];
  EXPECT_EQ(ack["method"], "notifications/subscriptions/acknowledged");
  EXPECT_EQ(ack["params"]["notifications"], Json({{"toolsListChanged", true}}));
  EXPECT_EQ(ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
            7);
  const Engine::Concerns everyone = [](const Principal&) { return true; };
  EXPECT_EQ(engine_.NotifyListChanged(everyone, everyone), 1u);
  ASSERT_TRUE(WaitForMessages(channel_, 2));
  std::vector<Json> sent = channel_.Sent();
  ASSERT_EQ(sent.size(), 2u);  // resources were not asked for
  EXPECT_EQ(sent[1]["method"], "notifications/tools/list_changed");
  EXPECT_EQ(
      sent[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 7);
  // Only callers the change concerns hear it.
  EXPECT_EQ(engine_.NotifyListChanged(
                [](const Principal& p) { return p.agent == "other"; }, nullptr),
            0u);
  // The client closes it (stdio: notifications/cancelled).
  engine_.Handle(
      session_, MakeNotification("notifications/cancelled", {{"requestId", 7}}),
      &channel_);
  t.join();
  EXPECT_EQ(reply["error"]["data"]["status"], "cancelled");
  EXPECT_EQ(engine_.NotifyListChanged(everyone, everyone), 0u);

  // The server ends: the subscription's result, tagged.
  RecordingChannel second;
  std::thread t2([&] {
    reply = engine_.Handle(
        session_,
        StatelessReq(8, "subscriptions/listen",
                     {{"notifications", {{"resourcesListChanged", true}}}}),
        &second);
  });
  ASSERT_TRUE(WaitForMessages(second, 1));
  engine_.EndSession(&session_);
  t2.join();
  EXPECT_EQ(reply["result"]["resultType"], "complete");
  EXPECT_EQ(reply["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
            8);
}

// Tools that may run as tasks (MCP 2025-11-25).
class TaskTools : public FakeTools {
 public:
  ProviderFeatures Features() const override {
    ProviderFeatures f;
    f.tasks = true;
    return f;
  }
  Result<std::vector<Tool>> ListTools(const Principal&) override {
    {
      // Held (a test's hand on the race with the session's end).
      std::unique_lock<std::mutex> lock(list_mu);
      if (hold_list) {
        list_entered = true;
        list_cv.notify_all();
        list_cv.wait(lock, [&] { return !hold_list; });
      }
    }
    std::vector<Tool> out;
    for (const char* n :
         {"ask", "wait_cancel", "echo", "broken", "ask_then_wait"}) {
      out.push_back(
          {n, "", "tool", Json::object(), nullptr, nullptr, "optional"});
    }
    out.push_back({"plain", "", "tool", Json::object(), nullptr, nullptr});
    return out;
  }
  Result<Json> CallTool(CallContext& ctx, const std::string& name,
                        const Json& args) override {
    if (name == "broken") {
      return Json{{"content", {{{"type", "text"}, {"text", "no"}}}},
                  {"isError", true}};
    }
    if (name == "ask_then_wait") {
      auto r =
          ctx.Elicit("go on?", {{"type", "object"}}, std::chrono::seconds(5));
      if (!r.ok()) return r.status();
      return FakeTools::CallTool(ctx, "wait_cancel", args);
    }
    if (name == "wait_cancel") {
      saw_cancel = false;
      Result<Json> r = FakeTools::CallTool(ctx, name, args);
      saw_cancel = true;
      return r;
    }
    return FakeTools::CallTool(ctx, name, args);
  }
  std::atomic<bool> saw_cancel{false};
  std::mutex list_mu;
  std::condition_variable list_cv;
  bool hold_list = false;
  bool list_entered = false;
};

class TaskTest : public ::testing::Test {
 protected:
  TaskTest() : engine_(Options(&clock_), &tools_) {}
  ~TaskTest() override {
    for (Session* s : {&session_, &other_}) engine_.EndSession(s);
  }
  static EngineOptions Options(const Clock* clock) {
    EngineOptions o;
    o.clock = clock;
    o.tasks.poll_interval_ms = 50;
    o.tasks.max_running_per_session = 3;
    return o;
  }
  Json Init(Session& s, const std::string& version) {
    Json r =
        engine_.Handle(s,
                       Req(1, "initialize",
                           {{"protocolVersion", version},
                            {"capabilities", {{"elicitation", Json::object()}}},
                            {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                       nullptr);
    engine_.Handle(s, MakeNotification("notifications/initialized", nullptr),
                   nullptr);
    return r;
  }
  // Starts `tool` as a task; returns its id.
  std::string StartTask(const std::string& tool, Json task = Json::object()) {
    Json r = engine_.Handle(
        session_,
        Req(++id_, "tools/call",
            {{"name", tool}, {"arguments", Json::object()}, {"task", task}}),
        nullptr);
    EXPECT_TRUE(r.contains("result")) << r;
    EXPECT_EQ(r["result"]["task"]["status"], "working") << r;
    return r["result"]["task"].value("taskId", "");
  }
  Json Get(const std::string& id, Session* s = nullptr) {
    return engine_.Handle(s != nullptr ? *s : session_,
                          Req(++id_, "tasks/get", {{"taskId", id}}), nullptr);
  }
  // Polls tasks/get until the task shows `status` (or 5 s pass).
  bool WaitFor(const std::string& id, const std::string& status) {
    for (int i = 0; i < 500; ++i) {
      if (Get(id)["result"]["status"] == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  Json Result(const std::string& id, ClientChannel* channel) {
    return engine_.Handle(
        session_, Req(++id_, "tasks/result", {{"taskId", id}}), channel);
  }

  FakeClock clock_;
  TaskTools tools_;
  Engine engine_;
  Session session_{"s1", Principal{"agent", {}}};
  Session other_{"s2", Principal{"agent", {}}};
  std::atomic<int> id_{100};
};

TEST_F(TaskTest, DeclaredTo20251125ClientsOnly) {
  Session old_client("s0", Principal{"agent", {}});
  Json old_init = Init(old_client, "2025-06-18");
  EXPECT_FALSE(old_init["result"]["capabilities"].contains("tasks"));
  Json tools = engine_.Handle(old_client, Req(2, "tools/list"), nullptr);
  EXPECT_FALSE(tools["result"]["tools"][0].contains("execution"));
  // A task asked of an older session is an ordinary call.
  Json plain = engine_.Handle(old_client,
                              Req(3, "tools/call",
                                  {{"name", "echo"},
                                   {"arguments", {{"x", 1}}},
                                   {"task", Json::object()}}),
                              nullptr);
  EXPECT_EQ(plain["result"]["structuredContent"]["x"], 1) << plain;

  Json init = Init(session_, "2025-11-25");
  EXPECT_EQ(init["result"]["capabilities"]["tasks"],
            Json::parse(R"({"list": {}, "cancel": {},
                            "requests": {"tools": {"call": {}}}})"));
  tools = engine_.Handle(session_, Req(2, "tools/list"), nullptr);
  EXPECT_EQ(tools["result"]["tools"][0]["execution"]["taskSupport"],
            "optional");
  EXPECT_FALSE(tools["result"]["tools"][5].contains("execution"));
  engine_.EndSession(&old_client);
}

TEST_F(TaskTest, AQuestionWaitsForTasksResultAndTravelsOnItsStream) {
  Init(session_, "2025-11-25");
  std::string id = StartTask("ask", {{"ttl", 60000}});
  ASSERT_FALSE(id.empty());
  // No one reads the task's messages yet: it needs input.
  ASSERT_TRUE(WaitFor(id, "input_required"));
  Json got = Get(id)["result"];
  EXPECT_EQ(got["ttl"], 60000);
  EXPECT_EQ(got["pollInterval"], 50);
  EXPECT_EQ(got["createdAt"], FormatRfc3339(clock_.NowMicros()));

  RecordingChannel stream;
  Json answer;
  std::thread waiter([&] { answer = Result(id, &stream); });
  Json question;
  for (int i = 0; i < 500 && question.is_null(); ++i) {
    for (const Json& m : stream.Sent()) {
      if (m.value("method", "") == "elicitation/create") question = m;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(question.is_null());
  EXPECT_EQ(question["params"]["_meta"][kRelatedTaskKey]["taskId"], id);
  engine_.Handle(session_,
                 {{"jsonrpc", "2.0"},
                  {"id", question["id"]},
                  {"result", {{"action", "accept"}}}},
                 nullptr);
  waiter.join();
  ASSERT_TRUE(answer.contains("result")) << answer;
  EXPECT_EQ(answer["result"]["structuredContent"]["action"], "accept");
  EXPECT_EQ(answer["result"]["_meta"][kRelatedTaskKey]["taskId"], id);
  EXPECT_EQ(Get(id)["result"]["status"], "completed");
  // The result stays for later asks, and in the list.
  EXPECT_EQ(Result(id, nullptr)["result"]["structuredContent"]["action"],
            "accept");
  Json list = engine_.Handle(session_, Req(++id_, "tasks/list"), nullptr);
  ASSERT_EQ(list["result"]["tasks"].size(), 1u);
  EXPECT_EQ(list["result"]["tasks"][0]["taskId"], id);
}

TEST_F(TaskTest, AClientReadingJsonCannotBeAskedSoTheQuestionFailsAtOnce) {
  Init(session_, "2025-11-25");
  std::string id = StartTask("ask");
  ASSERT_TRUE(WaitFor(id, "input_required"));
  // tasks/result answered as JSON (no stream): the kept question fails, the
  // call goes on with the refusal.
  Json r = Result(id, nullptr);
  ASSERT_TRUE(r.contains("error")) << r;
  EXPECT_NE(r["error"]["message"].get<std::string>().find("refused"),
            std::string::npos)
      << r;
  EXPECT_EQ(Get(id)["result"]["status"], "failed");
  EXPECT_NE(
      Get(id)["result"]["statusMessage"].get<std::string>().find("refused"),
      std::string::npos);
}

TEST_F(TaskTest, AToolErrorFailsTheTaskAndTheResultCarriesIt) {
  Init(session_, "2025-11-25");
  std::string id = StartTask("broken");
  Json r = Result(id, nullptr);
  EXPECT_EQ(r["result"]["isError"], true) << r;
  EXPECT_EQ(Get(id)["result"]["status"], "failed");
}

TEST_F(TaskTest, CancellingStopsTheCallAndSticks) {
  Init(session_, "2025-11-25");
  std::string id = StartTask("wait_cancel");
  for (int i = 0; i < 500 && !tools_.started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Json c = engine_.Handle(
      session_, Req(++id_, "tasks/cancel", {{"taskId", id}}), nullptr);
  EXPECT_EQ(c["result"]["status"], "cancelled") << c;
  for (int i = 0; i < 500 && !tools_.saw_cancel; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(tools_.saw_cancel);
  EXPECT_EQ(Get(id)["result"]["status"], "cancelled");
  Json r = Result(id, nullptr);
  EXPECT_TRUE(r.contains("error")) << r;
  Json again = engine_.Handle(
      session_, Req(++id_, "tasks/cancel", {{"taskId", id}}), nullptr);
  EXPECT_EQ(again["error"]["code"], kInvalidParams) << again;
}

TEST_F(TaskTest, TasksBelongToTheirSessionAndExpire) {
  Init(session_, "2025-11-25");
  Init(other_, "2025-11-25");
  std::string id = StartTask("echo", {{"ttl", 1000}});
  EXPECT_EQ(Get(id, &other_)["error"]["code"], kInvalidParams);
  EXPECT_EQ(
      engine_
          .Handle(other_, Req(++id_, "tasks/list"), nullptr)["result"]["tasks"]
          .size(),
      0u);
  EXPECT_EQ(Get("nope")["error"]["code"], kInvalidParams);
  EXPECT_EQ(engine_.Handle(session_, Req(++id_, "tasks/get", Json::object()),
                           nullptr)["error"]["code"],
            kInvalidParams);
  ASSERT_TRUE(WaitFor(id, "completed"));
  clock_.Advance(1'000'000);  // its ttl
  EXPECT_EQ(Get(id)["error"]["code"], kInvalidParams);
  // A tool that does not run as a task says so; a bad ttl is refused.
  Json plain = engine_.Handle(
      session_,
      Req(++id_, "tools/call", {{"name", "plain"}, {"task", Json::object()}}),
      nullptr);
  EXPECT_EQ(plain["error"]["code"], kMethodNotFound) << plain;
  Json bad = engine_.Handle(
      session_,
      Req(++id_, "tools/call", {{"name", "echo"}, {"task", {{"ttl", -5}}}}),
      nullptr);
  EXPECT_EQ(bad["error"]["code"], kInvalidParams) << bad;
}

// A helper: the first elicitation/create `stream` received, or null.
Json QuestionOn(RecordingChannel& stream) {
  for (int i = 0; i < 500; ++i) {
    for (const Json& m : stream.Sent()) {
      if (m.value("method", "") == "elicitation/create") return m;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return nullptr;
}

TEST_F(TaskTest, AnAnswerPutsTheTaskBackToWorking) {
  Init(session_, "2025-11-25");
  std::string id = StartTask("ask_then_wait");
  ASSERT_TRUE(WaitFor(id, "input_required"));
  RecordingChannel stream;
  std::thread waiter([&] { Result(id, &stream); });
  Json q = QuestionOn(stream);
  ASSERT_FALSE(q.is_null());
  engine_.Handle(
      session_,
      {{"jsonrpc", "2.0"}, {"id", q["id"]}, {"result", {{"action", "accept"}}}},
      nullptr);
  EXPECT_TRUE(WaitFor(id, "working"));
  engine_.Handle(session_, Req(++id_, "tasks/cancel", {{"taskId", id}}),
                 nullptr);
  waiter.join();
}

// The client's tasks/result stream ended before it answered: the question
// goes again on its next tasks/result.
TEST_F(TaskTest, AnUnansweredQuestionGoesToTheNextReader) {
  Init(session_, "2025-11-25");
  std::string id = StartTask("ask");
  ASSERT_TRUE(WaitFor(id, "input_required"));
  RecordingChannel first;
  int first_call = ++id_;
  Json cancelled;
  std::thread w1([&] {
    cancelled = engine_.Handle(
        session_, Req(first_call, "tasks/result", {{"taskId", id}}), &first);
  });
  Json q1 = QuestionOn(first);
  ASSERT_FALSE(q1.is_null());
  // The first reader goes away (its request cancelled, as a lost stream
  // cancels it) without answering.
  engine_.Handle(
      session_,
      MakeNotification("notifications/cancelled", {{"requestId", first_call}}),
      nullptr);
  w1.join();
  EXPECT_TRUE(cancelled.contains("error")) << cancelled;
  RecordingChannel second;
  Json answer;
  std::thread w2([&] { answer = Result(id, &second); });
  Json q2 = QuestionOn(second);
  ASSERT_FALSE(q2.is_null());
  EXPECT_EQ(q2["id"], q1["id"]);
  engine_.Handle(session_,
                 {{"jsonrpc", "2.0"},
                  {"id", q2["id"]},
                  {"result", {{"action", "accept"}}}},
                 nullptr);
  w2.join();
  EXPECT_EQ(answer["result"]["structuredContent"]["action"], "accept")
      << answer;
}

TEST_F(TaskTest, ASessionRunsAFewTasksAtOnceAndNoneOnceEnded) {
  Init(session_, "2025-11-25");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(StartTask("wait_cancel"));
  Json fourth = engine_.Handle(
      session_,
      Req(++id_, "tools/call", {{"name", "echo"}, {"task", Json::object()}}),
      nullptr);
  EXPECT_EQ(fourth["error"]["code"], kLimitExceeded) << fourth;
  engine_.Handle(session_, Req(++id_, "tasks/cancel", {{"taskId", ids[0]}}),
                 nullptr);
  for (int i = 0; i < 500; ++i) {
    Json r = engine_.Handle(
        session_,
        Req(++id_, "tools/call", {{"name", "echo"}, {"task", Json::object()}}),
        nullptr);
    if (r.contains("result")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  engine_.EndSession(&session_);
  // Ended: a task call that got past the gate before starts nothing.
  Json late = engine_.Handle(
      session_,
      Req(++id_, "tools/call", {{"name", "echo"}, {"task", Json::object()}}),
      nullptr);
  EXPECT_TRUE(late.contains("error")) << late;
}

TEST_F(TaskTest, EndingTheSessionCancelsItsTasksAndWaits) {
  Init(session_, "2025-11-25");
  std::string asking = StartTask("ask");
  std::string waiting = StartTask("wait_cancel");
  ASSERT_TRUE(WaitFor(asking, "input_required"));
  for (int i = 0; i < 500 && !tools_.started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  engine_.EndSession(&session_);  // returns once both calls have returned
  EXPECT_TRUE(tools_.saw_cancel);
  // Closed and forgotten: nothing answers on it any more.
  EXPECT_TRUE(Get(waiting).contains("error"));
}

// A task call that passed the gate just before its session ended (it was
// listing the tools) starts nothing: no thread holds the ended session.
TEST_F(TaskTest, ACallRacingTheSessionsEndStartsNoTask) {
  Init(session_, "2025-11-25");
  {
    std::lock_guard<std::mutex> lock(tools_.list_mu);
    tools_.hold_list = true;
  }
  Json reply;
  std::thread call([&] {
    reply =
        engine_.Handle(session_,
                       Req(++id_, "tools/call",
                           {{"name", "wait_cancel"}, {"task", Json::object()}}),
                       nullptr);
  });
  {
    std::unique_lock<std::mutex> lock(tools_.list_mu);
    tools_.list_cv.wait(lock, [&] { return tools_.list_entered; });
  }
  engine_.EndSession(&session_);
  {
    std::lock_guard<std::mutex> lock(tools_.list_mu);
    tools_.hold_list = false;
  }
  tools_.list_cv.notify_all();
  call.join();
  EXPECT_TRUE(reply.contains("error")) << reply;
  EXPECT_FALSE(engine_.TasksRunning(&session_));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(tools_.started);
}

class FeatureTools : public FakeTools {
 public:
  ProviderFeatures Features() const override { return {true, true, true}; }
  Status CheckSubscribable(const Principal&, const std::string& uri) override {
    return uri == "test://a" ? Status::Ok() : NotFound("no resource " + uri);
  }
  Result<std::vector<Prompt>> ListPrompts(const Principal&) override {
    return std::vector<Prompt>{{"greet", "", "Greets", {{"who", "", true}}}};
  }
  Result<Json> GetPrompt(CallContext&, const std::string& name,
                         const Json& args) override {
    if (name != "greet") return NotFound("no prompt " + name);
    if (!args.contains("who")) return InvalidArgument("who is required");
    return Json{
        {"messages",
         Json::array(
             {{{"role", "user"},
               {"content",
                {{"type", "text"},
                 {"text", "hello " + args["who"].get<std::string>()}}}}})}};
  }
  Result<std::vector<std::string>> Complete(const Principal&, const Json&,
                                            const Json& argument) override {
    std::vector<std::string> out;
    for (int i = 0; i < 150; ++i) {
      out.push_back(argument["value"].get<std::string>() + std::to_string(i));
    }
    return out;
  }
};

TEST(EngineFeaturesTest, PromptsCompletionsAndSubscriptions) {
  FeatureTools tools;
  Engine engine(EngineOptions{}, &tools);
  Session session("s", Principal{"agent", {}});
  RecordingChannel channel;
  Json init =
      engine.Handle(session,
                    Req(1, "initialize",
                        {{"protocolVersion", "2025-11-25"},
                         {"capabilities", Json::object()},
                         {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                    &channel);
  const Json& caps = init["result"]["capabilities"];
  EXPECT_TRUE(caps.contains("prompts"));
  EXPECT_TRUE(caps.contains("completions"));
  EXPECT_EQ(caps["resources"]["subscribe"], true);

  Json list = engine.Handle(session, Req(2, "prompts/list"), &channel);
  EXPECT_EQ(list["result"]["prompts"][0]["name"], "greet");
  EXPECT_EQ(list["result"]["prompts"][0]["arguments"][0]["required"], true);
  Json got = engine.Handle(
      session,
      Req(3, "prompts/get", {{"name", "greet"}, {"arguments", {{"who", "x"}}}}),
      &channel);
  EXPECT_EQ(got["result"]["messages"][0]["content"]["text"], "hello x");
  EXPECT_EQ(engine.Handle(session, Req(4, "prompts/get", {{"name", "nope"}}),
                          &channel)["error"]["code"],
            kInvalidParams);
  // Prompt arguments are strings.
  EXPECT_EQ(engine.Handle(session,
                          Req(5, "prompts/get",
                              {{"name", "greet"}, {"arguments", {{"who", 1}}}}),
                          &channel)["error"]["code"],
            kInvalidParams);

  Json c =
      engine.Handle(session,
                    Req(6, "completion/complete",
                        {{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                         {"argument", {{"name", "who"}, {"value", "a"}}}}),
                    &channel);
  EXPECT_EQ(c["result"]["completion"]["values"].size(), 100u);
  EXPECT_EQ(c["result"]["completion"]["total"], 150);
  EXPECT_EQ(c["result"]["completion"]["hasMore"], true);
  EXPECT_EQ(engine.Handle(session,
                          Req(7, "completion/complete",
                              {{"ref", {{"type", "ref/prompt"}}}}),
                          &channel)["error"]["code"],
            kInvalidParams);

  EXPECT_TRUE(engine
                  .Handle(session,
                          Req(8, "resources/subscribe", {{"uri", "test://a"}}),
                          &channel)
                  .contains("result"));
  EXPECT_TRUE(session.Subscribed("test://a"));
  EXPECT_EQ(engine.Handle(session,
                          Req(9, "resources/subscribe", {{"uri", "test://b"}}),
                          &channel)["error"]["code"],
            kInvalidParams);
  EXPECT_TRUE(
      engine
          .Handle(session,
                  Req(10, "resources/unsubscribe", {{"uri", "test://a"}}),
                  &channel)
          .contains("result"));
  EXPECT_FALSE(session.Subscribed("test://a"));
}

TEST(GrantsTest, NamespacesAndCapabilitiesMatchByPrefix) {
  Grants g;
  g.namespaces = {"mail"};
  g.capabilities = {"mail.read", "calendar"};
  EXPECT_TRUE(g.AllowsNamespace("mail.delete_message"));
  EXPECT_FALSE(g.AllowsNamespace("mailbox.x"));
  EXPECT_FALSE(g.AllowsNamespace("payments.pay"));
  EXPECT_TRUE(g.AllowsCapability("mail.read"));
  EXPECT_FALSE(g.AllowsCapability("mail.delete"));
  EXPECT_TRUE(g.AllowsCapability("calendar.create"));
  auto back = Grants::FromJson(g.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->namespaces, g.namespaces);
  EXPECT_FALSE(Grants::FromJson({{"min_stage", "gold"}}).ok());
  EXPECT_FALSE(Grants::FromJson({{"extra", 1}}).ok());
}

// With tasks offered (as WorkflowTools offers them), the session methods
// are still refused to a stateless request, by the era gate itself (with
// ChangingTools, tasks/* fail because tasks are not offered at all).
// tasks/get and tasks/cancel are the tasks extension's there, refused to a
// client that did not declare it.
TEST(StatelessGateTest, SessionOnlyMethodsAreRefusedEvenWhenOffered) {
  TaskTools tools;
  Engine engine(EngineOptions{}, &tools);
  Session s("s1", Principal{"agent", {}});
  RecordingChannel channel;
  for (const char* method : {"tasks/list", "tasks/result", "logging/setLevel",
                             "ping", "initialize"}) {
    Json r = engine.Handle(
        s, StatelessReq(1, method, {{"taskId", "t"}, {"level", "debug"}}),
        &channel);
    EXPECT_EQ(r["error"]["code"], kMethodNotFound) << method;
  }
  for (const char* method : {"tasks/get", "tasks/cancel", "tasks/update"}) {
    Json r = engine.Handle(
        s, StatelessReq(1, method, {{"taskId", "t"}, {"inputResponses", {}}}),
        &channel);
    EXPECT_EQ(r["error"]["code"], kMissingClientCapability) << method;
    EXPECT_TRUE(
        r["error"]["data"]["requiredCapabilities"]["extensions"].contains(
            kTasksExtension))
        << r;
  }
  // And a stateless tools/call with params.task runs as a plain call.
  Json r = engine.Handle(
      s,
      StatelessReq(2, "tools/call",
                   {{"name", "echo"}, {"arguments", {{"a", 1}}},
                    {"task", Json::object()}}),
      &channel);
  EXPECT_FALSE(r["result"].contains("task")) << r;
}
}  // namespace
}  // namespace wfs::mcp
