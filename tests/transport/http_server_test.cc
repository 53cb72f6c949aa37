#include "transport/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "http_test_client.h"
#include "transport/sse.h"

namespace wfs::transport {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::TestClient;
using testing::WaitFor;

// Echoes the request back: body (or "hello"), method, path, query and
// connection id as headers.
void Echo(HttpRequest req, HttpResponder r) {
  HttpResponse resp;
  resp.headers.Add("Content-Type", "text/plain");
  resp.headers.Add("X-Method", req.method);
  resp.headers.Add("X-Path", req.path);
  resp.headers.Add("X-Query", req.query);
  resp.headers.Add("X-Conn", std::to_string(req.connection_id));
  resp.body = req.body.empty() ? "hello" : req.body;
  r.Respond(std::move(resp)).IgnoreError();
}

class HttpServerTest : public ::testing::Test {
 protected:
  static HttpServerOptions Options() {
    HttpServerOptions o;
    o.worker_threads = 2;
    o.shutdown_grace = 500ms;
    return o;
  }

  void StartServer(const HttpServerOptions& options, FunctionHandler::Fn fn) {
    handler_ = std::make_unique<FunctionHandler>(std::move(fn));
    auto started = HttpServer::Start(options, handler_.get());
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestClient> Connect() {
    auto c = TestClient::Connect(server_->port());
    EXPECT_NE(c, nullptr);
    return c;
  }

  // A fresh connection must still be served.
  void ExpectServing() {
    auto c = Connect();
    ASSERT_TRUE(c->SendGet("/alive"));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->status, 200);
  }

  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    for (std::thread& t : threads_) t.join();
  }

  // Threads started by handlers; joined after the server stops.
  template <typename Fn>
  void Spawn(Fn&& fn) {
    std::lock_guard<std::mutex> lock(threads_mu_);
    threads_.emplace_back(std::forward<Fn>(fn));
  }

  // Declared before server_: both must outlive it.
  FakeClock fake_clock_;  // 2026-01-01T00:00:00Z
  std::unique_ptr<FunctionHandler> handler_;
  std::unique_ptr<HttpServer> server_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpServerTest, GetAndPostOnOneKeepAliveConnection) {
  StartServer(Options(), Echo);
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/path?x=1"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->headers.Get("content-length"), "5");
  EXPECT_EQ(r->headers.Get("X-Path"), "/path");
  EXPECT_EQ(r->headers.Get("X-Query"), "x=1");
  EXPECT_TRUE(r->headers.Has("Date"));
  EXPECT_FALSE(r->headers.Has("Connection"));
  std::string conn = std::string(r->headers.Get("X-Conn"));

  ASSERT_TRUE(
      c->Send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
              "\r\nbody"));
  r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->body, "body");
  EXPECT_EQ(r->headers.Get("X-Method"), "POST");
  EXPECT_EQ(r->headers.Get("X-Conn"), conn);

  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c->SendGet("/again"));
    r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->headers.Get("X-Conn"), conn);
  }
  HttpServerStats s = server_->stats();
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.requests, 22u);
}

TEST_F(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  StartServer(Options(), [](HttpRequest req, HttpResponder r) {
    if (req.path == "/slow") std::this_thread::sleep_for(30ms);
    Echo(std::move(req), std::move(r));
  });
  auto c = Connect();
  ASSERT_TRUE(
      c->Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
              "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
              "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n"
              "GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  std::vector<std::string> paths;
  for (int i = 0; i < 4; ++i) {
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    paths.emplace_back(r->headers.Get("X-Path"));
    if (i == 1) {
      EXPECT_EQ(r->body, "abc");
    }
    if (i == 3) {
      EXPECT_EQ(r->headers.Get("Connection"), "close");
    }
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{"/slow", "/body", "/fast", "/last"}));
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(c->buffer().empty());
}

TEST_F(HttpServerTest, Http10AndConnectionClose) {
  StartServer(Options(), Echo);
  {
    auto c = Connect();
    ASSERT_TRUE(c->Send("GET /old HTTP/1.0\r\n\r\n"));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->headers.Get("Connection"), "close");
    EXPECT_TRUE(c->WaitClosed());
  }
  {
    auto c = Connect();
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(c->Send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      auto r = c->ReadResponse();
      ASSERT_TRUE(r) << c->error();
      EXPECT_EQ(r->headers.Get("Connection"), "keep-alive");
    }
  }
  {
    auto c = Connect();
    ASSERT_TRUE(c->SendGet("/", "Connection: close\r\n"));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->headers.Get("Connection"), "close");
    EXPECT_TRUE(c->WaitClosed());
  }
}

TEST_F(HttpServerTest, HeadAnd100Continue) {
  StartServer(Options(), Echo);
  auto c = Connect();
  ASSERT_TRUE(c->Send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = c->ReadResponse(/*head_request=*/true);
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->headers.Get("Content-Length"), "5");
  ASSERT_TRUE(
      c->Send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
              "Expect: 100-continue\r\n\r\n"));
  auto interim = c->ReadHead(testing::Clock::now() + 5s);
  ASSERT_TRUE(interim) << c->error();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c->Send("12345"));
  r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "12345");  // and no stray HEAD body before it
}

struct BadCase {
  std::string name;
  std::string bytes;
  int status;
};

TEST_F(HttpServerTest, LimitsAndMalformedRequestsGetStatusAndClose) {
  HttpServerOptions o = Options();
  o.limits.max_header_bytes = 1024;
  o.limits.max_headers = 8;
  o.limits.max_url_bytes = 128;
  o.limits.max_body_bytes = 1000;
  StartServer(o, Echo);
  std::string many_headers = "GET / HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 9; ++i)
    many_headers += "X-" + std::to_string(i) + ": v\r\n";
  const std::vector<BadCase> cases = {
      {"head too large",
       "GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(2000, 'a') + "\r\n\r\n",
       431},
      {"too many headers", many_headers + "\r\n", 431},
      {"body too large",
       "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" +
           std::string(3000, 'b'),
       413},
      {"url too long",
       "GET /" + std::string(300, 'u') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
      {"garbage", "HELLO\r\n\r\n", 400},
      {"tls hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"s,
       400},
      {"bare lf", "GET / HTTP/1.1\nHost: t\n\n", 400},
      {"chunked body",
       "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       411},
      {"gzip framing",
       "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"duplicate length",
       "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-length: "
       "3\r\n\r\nabc",
       400},
      {"http2", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"after a good request",
       "GET /ok HTTP/1.1\r\nHost: t\r\n\r\nGET /\x7f HTTP/1.1\r\n\r\n", 400},
  };
  auto bystander = Connect();
  for (const BadCase& bad : cases) {
    SCOPED_TRACE(bad.name);
    auto c = Connect();
    ASSERT_TRUE(c->Send(bad.bytes));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    if (bad.name == "after a good request") {
      EXPECT_EQ(r->status, 200);
      r = c->ReadResponse();
      ASSERT_TRUE(r) << c->error();
    }
    EXPECT_EQ(r->status, bad.status);
    EXPECT_EQ(r->headers.Get("Connection"), "close");
    EXPECT_TRUE(c->WaitClosed());
    // Everyone else is still served, on old and new connections.
    ASSERT_TRUE(bystander->SendGet("/still-here"));
    auto ok = bystander->ReadResponse();
    ASSERT_TRUE(ok) << bystander->error();
    EXPECT_EQ(ok->status, 200);
  }
  EXPECT_EQ(server_->stats().bad_requests, cases.size());
  ExpectServing();
}

TEST_F(HttpServerTest, ConnectionLimitAnswers503) {
  HttpServerOptions o = Options();
  o.max_connections = 2;
  StartServer(o, Echo);
  auto a = Connect();
  auto b = Connect();
  for (auto* c : {a.get(), b.get()}) {
    ASSERT_TRUE(c->SendGet("/"));
    ASSERT_TRUE(c->ReadResponse()) << c->error();
  }
  auto over = Connect();
  auto r = over->ReadResponse();
  ASSERT_TRUE(r) << over->error();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers.Get("Retry-After"), "1");
  EXPECT_TRUE(over->WaitClosed());
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
  over.reset();
  a.reset();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 1; }));
  ExpectServing();
}

TEST_F(HttpServerTest, HeaderTimeoutAndSlowDrip) {
  HttpServerOptions o = Options();
  o.header_timeout = 150ms;
  StartServer(o, Echo);
  {
    auto c = Connect();
    ASSERT_TRUE(c->Send("GET / HTTP/1.1\r\nHo"));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->status, 408);
    EXPECT_TRUE(c->WaitClosed());
  }
  {
    // One byte every 20 ms keeps the socket busy but the head never
    // completes: the timeout counts from the first byte.
    auto c = Connect();
    auto start = testing::Clock::now();
    std::string head =
        "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(1000, 'z');
    size_t i = 0;
    while (i < head.size()) {
      ASSERT_TRUE(c->Send(head.substr(i++, 1)));
      pollfd p{c->fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) break;
    }
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->status, 408);
    EXPECT_LT(testing::Clock::now() - start, 2s);
  }
  {
    // A connection that never sends anything is closed without a word.
    auto c = Connect();
    EXPECT_TRUE(c->WaitClosed());
    EXPECT_TRUE(c->buffer().empty());
  }
  EXPECT_EQ(server_->stats().timeouts, 2u);
  ExpectServing();
}

TEST_F(HttpServerTest, BodyTimeout) {
  HttpServerOptions o = Options();
  o.body_timeout = 150ms;
  StartServer(o, Echo);
  auto c = Connect();
  ASSERT_TRUE(
      c->Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n"
              "\r\nabc"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(c->WaitClosed());
}

TEST_F(HttpServerTest, IdleKeepAliveTimeout) {
  HttpServerOptions o = Options();
  o.idle_timeout = 150ms;
  StartServer(o, Echo);
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/"));
  ASSERT_TRUE(c->ReadResponse()) << c->error();
  auto start = testing::Clock::now();
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(c->buffer().empty());
  EXPECT_GE(testing::Clock::now() - start, 100ms);
}

TEST_F(HttpServerTest, FakeClockDrivesTimeoutsAndDate) {
  HttpServerOptions o = Options();
  o.clock = &fake_clock_;
  o.idle_timeout = 10s;
  StartServer(o, Echo);
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->headers.Get("Date"), "Thu, 01 Jan 2026 00:00:00 GMT");
  fake_clock_.Advance(9'000'000);
  ASSERT_TRUE(c->SendGet("/"));  // 9 s idle: still open
  ASSERT_TRUE(c->ReadResponse()) << c->error();
  fake_clock_.Advance(11'000'000);
  EXPECT_TRUE(c->WaitClosed(3s));  // noticed within a poll tick
}

TEST_F(HttpServerTest, ManyConcurrentClients) {
  StartServer(Options(), Echo);
  constexpr int kThreads = 4;
  constexpr int kConnsPerThread = 50;
  constexpr int kRounds = 5;
  std::atomic<int> ok{0};
  std::atomic<int> peak_checked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::unique_ptr<TestClient>> conns;
      for (int i = 0; i < kConnsPerThread; ++i) {
        conns.push_back(TestClient::Connect(server_->port()));
        if (!conns.back()) return;
      }
      peak_checked++;
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kConnsPerThread; ++i) {
          std::string path = "/" + std::to_string(t) + "/" + std::to_string(i);
          if (!conns[i]->SendGet(path)) return;
        }
        for (int i = 0; i < kConnsPerThread; ++i) {
          auto r = conns[i]->ReadResponse();
          if (r && r->status == 200 &&
              r->headers.Get("X-Path") ==
                  "/" + std::to_string(t) + "/" + std::to_string(i)) {
            ok++;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kConnsPerThread * kRounds);
  EXPECT_EQ(server_->stats().connections_accepted,
            static_cast<uint64_t>(kThreads * kConnsPerThread));
}

TEST_F(HttpServerTest, BlockedHandlerDoesNotHoldUpOtherRequests) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> slow_started{0};
  StartServer(Options(), [&](HttpRequest req, HttpResponder r) {  // 2 workers
    if (req.path == "/slow") {
      slow_started++;
      released.wait();
    }
    Echo(std::move(req), std::move(r));
  });
  auto slow = Connect();
  ASSERT_TRUE(slow->SendGet("/slow"));
  ASSERT_TRUE(WaitFor([&] { return slow_started == 1; }));
  // One worker is stuck; the other serves everyone else, many times over.
  auto fast = Connect();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(fast->SendGet("/fast"));
    auto r = fast->ReadResponse(false, 2s);
    ASSERT_TRUE(r) << fast->error();
  }
  release.set_value();
  auto r = slow->ReadResponse();
  ASSERT_TRUE(r) << slow->error();
  EXPECT_EQ(r->headers.Get("X-Path"), "/slow");
}

TEST_F(HttpServerTest, SseStreamFromAnotherThreadThenKeepAlive) {
  StartServer(Options(), [this](HttpRequest req, HttpResponder r) {
    if (req.path != "/events") return Echo(std::move(req), std::move(r));
    ASSERT_TRUE(r.StartStream(200, SseResponseHeaders()).ok());
    Spawn([r = std::move(r)]() mutable {
      for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(5ms);
        EXPECT_TRUE(r.Write(FormatSseEvent(
                                {.id = std::to_string(i),
                                 .event = "message",
                                 .data = "{\"n\":" + std::to_string(i) + "}"}))
                        .ok());
      }
      EXPECT_TRUE(r.End().ok());
      EXPECT_EQ(r.Write("late").code(), Code::kFailedPrecondition);
    });
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/events", "Accept: text/event-stream\r\n"));
  auto head = c->ReadHead(testing::Clock::now() + 5s);
  ASSERT_TRUE(head) << c->error();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.Get("Content-Type"), "text/event-stream");
  EXPECT_EQ(head->headers.Get("Transfer-Encoding"), "chunked");
  for (int i = 0; i < 3; ++i) {
    auto chunk = c->ReadChunk();
    ASSERT_TRUE(chunk);
    EXPECT_EQ(*chunk, "id: " + std::to_string(i) +
                          "\nevent: message\ndata: {\"n\":" +
                          std::to_string(i) + "}\n\n");
  }
  auto last = c->ReadChunk();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, "");
  ASSERT_TRUE(c->SendGet("/after"));  // the connection is reusable
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->headers.Get("X-Path"), "/after");
}

TEST_F(HttpServerTest, StreamWithFirstAndLastPieces) {
  // StartStream's first piece and End's last piece are ordinary chunks;
  // empty ones add none.
  StartServer(Options(), [](HttpRequest req, HttpResponder r) {
    bool pieces = req.path == "/pieces";
    ASSERT_TRUE(
        r.StartStream(200, SseResponseHeaders(), pieces ? "data: a\n\n" : "")
            .ok());
    ASSERT_TRUE(r.Write("data: b\n\n").ok());
    ASSERT_TRUE(r.End(pieces ? "data: c\n\n" : "").ok());
    EXPECT_EQ(r.End("late").code(), Code::kFailedPrecondition);
  });
  auto c = Connect();
  for (std::string path : {"/pieces", "/plain"}) {
    ASSERT_TRUE(c->SendGet(path));
    auto head = c->ReadHead(testing::Clock::now() + 5s);
    ASSERT_TRUE(head) << c->error();
    EXPECT_EQ(head->headers.Get("Transfer-Encoding"), "chunked");
    std::vector<std::string> chunks;
    while (true) {
      auto chunk = c->ReadChunk();
      ASSERT_TRUE(chunk) << c->error();
      if (chunk->empty()) break;
      chunks.push_back(*chunk);
    }
    if (path == "/pieces") {
      EXPECT_EQ(chunks, (std::vector<std::string>{"data: a\n\n", "data: b\n\n",
                                                  "data: c\n\n"}));
    } else {
      EXPECT_EQ(chunks, std::vector<std::string>{"data: b\n\n"});
    }
  }
}

TEST_F(HttpServerTest, StreamOnHttp10IsCloseDelimited) {
  StartServer(Options(), [](HttpRequest, HttpResponder r) {
    ASSERT_TRUE(r.StartStream(200, SseResponseHeaders()).ok());
    ASSERT_TRUE(r.Write("data: a\n\n").ok());
    ASSERT_TRUE(r.Write("data: b\n\n").ok());
    ASSERT_TRUE(r.End().ok());
  });
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /events HTTP/1.0\r\n\r\n"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_FALSE(r->headers.Has("Transfer-Encoding"));
  EXPECT_EQ(r->headers.Get("Connection"), "close");
  EXPECT_EQ(r->body, "data: a\n\ndata: b\n\n");
}

TEST_F(HttpServerTest, ClientDisconnectIsDetected) {
  auto gone = std::make_shared<std::promise<void>>();
  std::shared_ptr<HttpResponder> stream;
  std::mutex mu;
  StartServer(Options(), [&](HttpRequest, HttpResponder r) {
    auto shared = std::make_shared<HttpResponder>(std::move(r));
    ASSERT_TRUE(shared->StartStream(200, SseResponseHeaders()).ok());
    shared->OnClientGone([gone] { gone->set_value(); });
    std::lock_guard<std::mutex> lock(mu);
    stream = shared;
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/events"));
  ASSERT_TRUE(c->ReadHead(testing::Clock::now() + 5s)) << c->error();
  c->Close();
  ASSERT_EQ(gone->get_future().wait_for(5s), std::future_status::ready);
  std::shared_ptr<HttpResponder> s;
  {
    std::lock_guard<std::mutex> lock(mu);
    s = stream;
  }
  EXPECT_TRUE(s->client_gone());
  // Writes fail once the server has noticed the closed socket.
  EXPECT_TRUE(WaitFor([&] {
    return s->Write(FormatSseComment("ping")).code() == Code::kCancelled;
  }));
  EXPECT_EQ(server_->stats().clients_gone, 1u);
  // A callback registered late runs at once.
  bool ran = false;
  s->OnClientGone([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST_F(HttpServerTest, StreamBackpressureClosesInsteadOfBuffering) {
  HttpServerOptions o = Options();
  o.max_stream_buffer_bytes = 256 * 1024;
  std::promise<Status> result;
  std::atomic<size_t> written{0};
  StartServer(o, [&](HttpRequest, HttpResponder r) {
    ASSERT_TRUE(r.StartStream(200, SseResponseHeaders()).ok());
    Spawn([&, r = std::move(r)]() mutable {
      std::string piece(64 * 1024, 'x');
      for (;;) {
        Status s = r.Write(piece);
        if (!s.ok() || written > (256u << 20)) {
          result.set_value(s);
          return;
        }
        written += piece.size();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/events"));  // and never read
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(f.get().code(), Code::kResourceExhausted);
  EXPECT_LT(written.load(), 256u << 20);
  // The loop closes the connection (and counts it) right after.
  EXPECT_TRUE(WaitFor([&] { return server_->stats().stream_overflows == 1; }));
  EXPECT_TRUE(c->WaitClosed());
}

TEST_F(HttpServerTest, ALastPieceIsNotHeldToTheStreamBufferLimit) {
  // Like a full response, the piece that completes the stream goes out
  // whatever its size; a Write of the same size would close the connection.
  HttpServerOptions o = Options();
  o.max_stream_buffer_bytes = 1024;
  const std::string big(64 * 1024, 'y');
  StartServer(o, [&](HttpRequest req, HttpResponder r) {
    ASSERT_TRUE(r.StartStream(200, SseResponseHeaders(), "a").ok());
    if (req.path == "/write") {
      EXPECT_EQ(r.Write(big).code(), Code::kResourceExhausted);
    } else {
      EXPECT_TRUE(r.End(big).ok());
    }
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/end"));
  auto r = c->ReadResponse();
  ASSERT_TRUE(r) << c->error();
  EXPECT_EQ(r->body, "a" + big);
  auto w = Connect();
  ASSERT_TRUE(w->SendGet("/write"));
  EXPECT_TRUE(w->WaitClosed());
}

TEST_F(HttpServerTest, WriteTimeoutWhenClientStopsReading) {
  HttpServerOptions o = Options();
  o.write_timeout = 200ms;
  StartServer(o, [](HttpRequest, HttpResponder r) {
    r.Respond({200, {}, std::string(64 << 20, 'y')}).IgnoreError();
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/big"));  // and never read
  EXPECT_TRUE(WaitFor([&] { return server_->stats().timeouts == 1; }, 10s));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().connections_open == 0; }));
}

TEST_F(HttpServerTest, HandlerThatNeverRespondsIsCleanedUpOnStop) {
  std::mutex mu;
  std::vector<HttpResponder> parked;
  HttpServerOptions o = Options();
  o.shutdown_grace = 100ms;
  StartServer(o, [&](HttpRequest, HttpResponder r) {
    std::lock_guard<std::mutex> lock(mu);
    parked.push_back(std::move(r));
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/never"));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return parked.size() == 1;
  }));
  auto start = testing::Clock::now();
  server_->Stop();
  EXPECT_LT(testing::Clock::now() - start, 2s);
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(c->buffer().empty());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(parked[0].client_gone());
  EXPECT_EQ(parked[0].Respond({200, {}, "late"}).code(), Code::kCancelled);
  EXPECT_EQ(server_->stats().connections_open, 0u);
  server_.reset();
  parked.clear();  // responders outliving the server are harmless
}

TEST_F(HttpServerTest, StopLetsInFlightResponsesFinish) {
  std::mutex mu;
  std::vector<HttpResponder> parked;
  HttpServerOptions o = Options();
  o.shutdown_grace = 5s;
  StartServer(o, [&](HttpRequest, HttpResponder r) {
    std::lock_guard<std::mutex> lock(mu);
    parked.push_back(std::move(r));
  });
  auto busy = Connect();
  auto idle = Connect();
  ASSERT_TRUE(busy->SendGet("/slow"));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return parked.size() == 1;
  }));
  std::thread stopper([&] { server_->Stop(); });
  EXPECT_TRUE(idle->WaitClosed());  // idle connections close at once
  // The listener is closed: new connections are refused.
  EXPECT_TRUE(
      WaitFor([&] { return TestClient::Connect(server_->port()) == nullptr; }));
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_TRUE(parked[0].Respond({200, {}, "finished"}).ok());
  }
  auto r = busy->ReadResponse();
  ASSERT_TRUE(r) << busy->error();
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->headers.Get("Connection"), "close");
  EXPECT_TRUE(busy->WaitClosed());
  stopper.join();
}

TEST_F(HttpServerTest, DroppedResponderAndThrowingHandlerGive500) {
  StartServer(Options(), [](HttpRequest req, HttpResponder) {
    if (req.path == "/throw") throw std::runtime_error("boom");
  });
  auto c = Connect();
  for (const char* path : {"/drop", "/throw"}) {
    ASSERT_TRUE(c->SendGet(path));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r) << c->error();
    EXPECT_EQ(r->status, 500) << path;
  }
}

TEST_F(HttpServerTest, ResponderContract) {
  std::promise<std::vector<Code>> codes;
  StartServer(Options(), [&](HttpRequest, HttpResponder r) {
    std::vector<Code> got;
    got.push_back(r.Write("x").code());  // before StartStream
    got.push_back(r.Respond({200, {{"X-Bad", "a\r\nInjected: 1"}}, ""}).code());
    got.push_back(r.Respond({99, {}, ""}).code());
    got.push_back(r.Respond({200, {{"Content-Length", "999"}}, "ok"}).code());
    got.push_back(r.Respond({200, {}, "twice"}).code());
    got.push_back(r.StartStream(200, {}).code());
    HttpResponder moved = std::move(r);
    got.push_back(r.Respond({200, {}, ""}).code());  // NOLINT: use after move
    codes.set_value(got);
  });
  auto c = Connect();
  ASSERT_TRUE(c->SendGet("/"));
  auto resp = c->ReadResponse();
  ASSERT_TRUE(resp) << c->error();
  EXPECT_EQ(resp->body, "ok");
  EXPECT_EQ(resp->headers.Get("Content-Length"), "2");  // ours, not theirs
  EXPECT_EQ(codes.get_future().get(),
            (std::vector<Code>{
                Code::kFailedPrecondition, Code::kInvalidArgument,
                Code::kInvalidArgument, Code::kOk, Code::kFailedPrecondition,
                Code::kFailedPrecondition, Code::kFailedPrecondition}));
}

TEST(HttpServerStartTest, RefusesNonLoopbackUnlessAllowed) {
  FunctionHandler h(Echo);
  HttpServerOptions o;
  o.address = "0.0.0.0";
  auto refused = HttpServer::Start(o, &h);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  o.allow_non_loopback = true;
  auto allowed = HttpServer::Start(o, &h);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();

  o = HttpServerOptions();
  o.address = "example.com";
  EXPECT_EQ(HttpServer::Start(o, &h).status().code(), Code::kInvalidArgument);
  o.address = "localhost";
  auto local = HttpServer::Start(o, &h);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ((*local)->address(), "127.0.0.1");
  o.port = (*local)->port();
  EXPECT_EQ(HttpServer::Start(o, &h).status().code(), Code::kUnavailable);
  o = HttpServerOptions();
  o.worker_threads = 0;
  EXPECT_EQ(HttpServer::Start(o, &h).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HttpServer::Start(HttpServerOptions(), nullptr).status().code(),
            Code::kInvalidArgument);
}

TEST(HttpServerStartTest, Ipv6Loopback) {
  FunctionHandler h(Echo);
  HttpServerOptions o;
  o.address = "[::1]";
  auto s = HttpServer::Start(o, &h);
  if (!s.ok()) GTEST_SKIP() << "no IPv6 here: " << s.status().ToString();
  EXPECT_EQ((*s)->address(), "::1");
}

}  // namespace
}  // namespace wfs::transport
