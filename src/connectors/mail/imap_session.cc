#include "connectors/mail/imap_session.h"

#include <curl/curl.h>

#include "base/strings.h"

namespace wfs::connectors::mail {

namespace {

struct Capture {
  std::string* out;
  size_t max;
  bool overflow = false;
};

size_t OnLine(char* ptr, size_t size, size_t n, void* user) {
  Capture* c = static_cast<Capture*>(user);
  size_t len = size * n;
  if (c->out->size() + len > c->max) {
    c->overflow = true;
    return 0;
  }
  c->out->append(ptr, len);
  return len;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

ImapSession::ImapSession(ImapConfig config, Redactor redactor)
    : config_(std::move(config)), redactor_(std::move(redactor)) {
  EnsureCurlInitialized();
}

ImapSession::~ImapSession() { Reset(); }

void ImapSession::Reset() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_ = nullptr;
  selected_.clear();
}

Result<ImapReply> ImapSession::Run(const std::string& command) {
  if (command.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
    return InvalidArgument("imap: a command may not hold line breaks");
  }
  if (curl_ == nullptr) {
    curl_ = curl_easy_init();
    selected_.clear();
  }
  CURL* c = static_cast<CURL*>(curl_);
  if (c == nullptr) return Internal("libcurl: cannot make a handle");
  curl_easy_reset(c);
  std::string transcript;
  Capture cap{&transcript, config_.limits.max_response_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string url = config_.url;
  if (url.empty() || url.back() != '/') url += '/';
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_USERNAME, config_.user.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(config_.limits.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.limits.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_PROXY, config_.limits.proxy.c_str());
  if (!config_.limits.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, config_.limits.ca_file.c_str());
  }
  if (!config_.allow_plaintext) {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  // Long response lines (a header, an address list) need a large buffer.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024L);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, command.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnLine);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  long new_connections = 0;
  curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &new_connections);
  if (new_connections > 0) selected_.clear();  // a fresh session
  if (cap.overflow) {
    Reset();
    return ResourceExhausted(StrCat("imap: the server's answer is larger than ",
                                    config_.limits.max_response_bytes,
                                    " bytes"));
  }
  if (rc != CURLE_OK && rc != CURLE_QUOTE_ERROR) {
    std::string detail = *errbuf ? errbuf : curl_easy_strerror(rc);
    Reset();
    Code code = rc == CURLE_LOGIN_DENIED         ? Code::kUnauthenticated
                : rc == CURLE_OPERATION_TIMEDOUT ? Code::kDeadlineExceeded
                : rc == CURLE_USE_SSL_FAILED     ? Code::kFailedPrecondition
                                                 : Code::kUnavailable;
    if (rc == CURLE_USE_SSL_FAILED) {
      detail +=
          " (the server offers no TLS; set allow_plaintext only for "
          "trusted networks)";
    }
    return Status(code, redactor_.Redact(StrCat("imap: ", detail)));
  }
  Result<ImapReply> reply = ParseImapTranscript(transcript);
  if (!reply.ok()) {
    Reset();
    return Unavailable(
        redactor_.Redact(StrCat("imap: ", reply.status().message(),
                                "; the connection was "
                                "dropped")));
  }
  if (reply->status.empty()) {
    Reset();
    return Unavailable("imap: the server did not complete the command");
  }
  reply->text = redactor_.Redact(reply->text);
  return reply;
}

Result<uint32_t> ImapSession::Select(const std::string& mailbox,
                                     bool writable) {
  if (curl_ != nullptr && selected_ == mailbox &&
      (writable_ == writable || (writable_ && !writable))) {
    // Still selected: NOOP brings the session's view up to date with what
    // other clients did meanwhile (new mail is invisible until then).
    WFS_ASSIGN_OR_RETURN(ImapReply n, Run("NOOP"));
    if (selected_ == mailbox && n.status == "OK") {
      if (n.exists >= 0) exists_ = n.exists;
      return uidvalidity_;
    }
  }
  WFS_ASSIGN_OR_RETURN(std::string quoted,
                       ImapQuote(EncodeMailboxName(mailbox)));
  WFS_ASSIGN_OR_RETURN(ImapReply r,
                       Run(StrCat(writable ? "SELECT " : "EXAMINE ", quoted)));
  if (r.status != "OK") {
    selected_.clear();
    if (r.code == "NONEXISTENT" || r.status == "NO") {
      return NotFound(StrCat("mail: no mailbox ", Quote(mailbox)));
    }
    return FailedPrecondition(
        StrCat("imap: cannot open ", Quote(mailbox), ": ", Quote(r.text)));
  }
  selected_ = mailbox;
  writable_ = writable;
  uidvalidity_ = r.uidvalidity;
  exists_ = r.exists < 0 ? 0 : r.exists;
  return uidvalidity_;
}

Result<ImapReply> ImapSession::RunIn(const std::string& mailbox, bool writable,
                                     const std::string& command) {
  for (int attempt = 0;; ++attempt) {
    WFS_RETURN_IF_ERROR(Select(mailbox, writable).status());
    WFS_ASSIGN_OR_RETURN(ImapReply r, Run(command));
    if (selected_ == mailbox || attempt > 0) return r;
    // The connection was remade during the command: nothing was selected.
  }
}

}  // namespace wfs::connectors::mail
