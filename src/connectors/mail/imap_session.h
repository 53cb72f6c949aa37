// One IMAP connection through libcurl, kept open across commands.
//
// Every command goes as a libcurl custom request on the server root URL
// (so libcurl never selects a mailbox behind our back); the server's whole
// output for it comes through libcurl's header callback and is parsed with
// ParseImapTranscript, literals counted exactly. After any failure the
// connection is dropped, so a confused session is never reused. Not
// thread-safe: the mail connector serialises calls.
#ifndef WFSTORE_CONNECTORS_MAIL_IMAP_SESSION_H_
#define WFSTORE_CONNECTORS_MAIL_IMAP_SESSION_H_

#include <cstdint>
#include <string>

#include "base/result.h"
#include "connectors/http/curl_client.h"
#include "connectors/http/secrets.h"
#include "connectors/mail/imap_parse.h"

namespace wfs::connectors::mail {

struct ImapConfig {
  std::string url;  // imap://host:port or imaps://host:port
  std::string user;
  std::string password;          // a secret
  bool allow_plaintext = false;  // plain IMAP to a non-loopback host
  CurlLimits limits;
};

class ImapSession {
 public:
  ImapSession(ImapConfig config, Redactor redactor);
  ~ImapSession();
  ImapSession(const ImapSession&) = delete;
  ImapSession& operator=(const ImapSession&) = delete;

  // Runs one command (without tag or line end). A NO or BAD answer is
  // returned as a reply with that status; transport failures are errors:
  // Unauthenticated (login refused), Unavailable, DeadlineExceeded,
  // ResourceExhausted (output over the bound), InvalidArgument (malformed
  // output). Error messages are redacted.
  Result<ImapReply> Run(const std::string& command);

  // Selects `mailbox` (UTF-8 name) read-only (EXAMINE) or read-write
  // (SELECT) unless it already is. NotFound when it does not exist. Returns
  // its UIDVALIDITY.
  Result<uint32_t> Select(const std::string& mailbox, bool writable);
  // Selects `mailbox` and runs `command` in it; when the connection was
  // lost and remade on the way, selects again and retries once.
  Result<ImapReply> RunIn(const std::string& mailbox, bool writable,
                          const std::string& command);
  // The currently selected mailbox's message count after Select.
  int64_t exists() const { return exists_; }
  // Drops the connection (the next command reconnects and logs in).
  void Reset();
  const Redactor& redactor() const { return redactor_; }

 private:
  ImapConfig config_;
  Redactor redactor_;
  void* curl_ = nullptr;  // CURL*
  std::string selected_;
  bool writable_ = false;
  uint32_t uidvalidity_ = 0;
  int64_t exists_ = 0;
};

}  // namespace wfs::connectors::mail

#endif  // WFSTORE_CONNECTORS_MAIL_IMAP_SESSION_H_
