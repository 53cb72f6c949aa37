// The C++ side of the test-server contract: tests/servers/testenv.h parses
// the env file, and each server it names answers on its port.
#include "testenv.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sstream>
#include <string>

namespace {

using wfs::testenv::Env;

TEST(TestEnvParse, ReadsQuotedAndBareValuesAndSkipsComments) {
  std::istringstream in(
      "# comment\n"
      "\n"
      "WFS_IMAP_HOST='127.0.0.1'\n"
      "WFS_IMAP_PORT=14300\r\n"
      "export WFS_EMPTY=''\n"
      "WFS_URL='imap://127.0.0.1:14300'\n");
  Env env = wfs::testenv::Parse(in);
  EXPECT_EQ(env.at("WFS_IMAP_HOST"), "127.0.0.1");
  EXPECT_EQ(env.port("WFS_IMAP_PORT"), 14300);
  EXPECT_EQ(env.at("WFS_EMPTY"), "");
  EXPECT_EQ(env.at("WFS_URL"), "imap://127.0.0.1:14300");
  EXPECT_FALSE(env.has("WFS_SMTP_PORT"));
  EXPECT_THROW(env.at("WFS_SMTP_PORT"), std::out_of_range);
  EXPECT_THROW(env.port("WFS_IMAP_HOST"), std::invalid_argument);
}

TEST(TestEnvParse, RejectsALineWithoutEquals) {
  std::istringstream in("WFS_OK='1'\nnot a variable\n");
  EXPECT_THROW(wfs::testenv::Parse(in), std::runtime_error);
}

// Connects to host:port, sends REQUEST (if any) and returns what the server
// says until it closes or NEED appears (at most ~64 KiB, 5 s).
std::string Exchange(const std::string& host, int port, const std::string& request,
                     const std::string& need) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "socket() failed";
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect() failed";
  }
  if (!request.empty() && send(fd, request.data(), request.size(), 0) < 0) {
    close(fd);
    return "send() failed";
  }
  std::string got;
  char buf[4096];
  while (got.size() < 65536 && got.find(need) == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return got;
}

// An HTTP response whose status line is "HTTP/1.x 200 ...".
bool IsOk(const std::string& response) {
  return response.rfind("HTTP/1.", 0) == 0 && response.compare(8, 5, " 200 ") == 0;
}

TEST(TestEnvServers, ImapGreets) {
  WFS_REQUIRE_TESTENV(env);
  if (!env.has("WFS_IMAP_PORT")) GTEST_SKIP() << "imap not started";
  std::string got = Exchange(env.at("WFS_IMAP_HOST"), env.port("WFS_IMAP_PORT"), "", "\r\n");
  EXPECT_EQ(got.rfind("* OK", 0), 0u) << got;
  EXPECT_NE(got.find("wfs-testenv"), std::string::npos) << got;
}

TEST(TestEnvServers, SmtpGreets) {
  WFS_REQUIRE_TESTENV(env);
  if (!env.has("WFS_SMTP_PORT")) GTEST_SKIP() << "smtp not started";
  std::string got = Exchange(env.at("WFS_SMTP_HOST"), env.port("WFS_SMTP_PORT"), "", "\r\n");
  EXPECT_EQ(got.rfind("220 ", 0), 0u) << got;
}

TEST(TestEnvServers, CalDavAnswersOptions) {
  WFS_REQUIRE_TESTENV(env);
  if (!env.has("WFS_CALDAV_PORT")) GTEST_SKIP() << "caldav not started";
  std::string got = Exchange(env.at("WFS_CALDAV_HOST"), env.port("WFS_CALDAV_PORT"),
                             "OPTIONS / HTTP/1.0\r\nHost: localhost\r\n\r\n", "\r\n\r\n");
  EXPECT_TRUE(IsOk(got)) << got;
  EXPECT_NE(got.find("calendar-access"), std::string::npos) << got;
}

TEST(TestEnvServers, HttpServesTheIssueFixture) {
  WFS_REQUIRE_TESTENV(env);
  if (!env.has("WFS_HTTP_PORT")) GTEST_SKIP() << "http not started";
  std::string got = Exchange(env.at("WFS_HTTP_HOST"), env.port("WFS_HTTP_PORT"),
                             "GET /repos/wfstore-test/demo/issues/1 HTTP/1.0\r\n"
                             "Host: localhost\r\nConnection: close\r\n\r\n",
                             "\n}");
  EXPECT_TRUE(IsOk(got)) << got;
  EXPECT_NE(got.find("\"title\": \"Connector smoke test issue\""), std::string::npos) << got;
}

}  // namespace
