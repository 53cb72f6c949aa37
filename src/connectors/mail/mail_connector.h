// The mail connector over IMAP and SMTP (libcurl): the actions of
// catalog/interfaces/mail.wfi with the mail simulator's semantics action for
// action (docs/simulators.md, "mail"; differences in docs/connectors.md).
//
// Message ids: the server's own stable id of a message, which survives
// moves between mailboxes: RFC 8474's EMAILID when the server has OBJECTID,
// else Dovecot's X-GUID. A MessageId is that string, opaque to workflows.
// The connector finds a message by id in the mailbox it was last seen in
// (a bounded cache, always verified on the server) or else by searching
// every mailbox; ScopeKey(id) is the mailbox the message is in now.
//
// Reads use EXAMINE and BODY.PEEK, so they never change flags. `delete`
// moves to the Trash mailbox (UID MOVE), never expunges; its undo moves the
// message back. Nothing is ever expunged or destroyed by this connector.
// `send` goes over SMTP; addresses must be plain (local@domain) and the
// subject a single line, so no header can be injected.
//
// Thread-safe: calls are serialised on one IMAP connection.
#ifndef WFSTORE_CONNECTORS_MAIL_MAIL_CONNECTOR_H_
#define WFSTORE_CONNECTORS_MAIL_MAIL_CONNECTOR_H_

#include <cstddef>
#include <memory>
#include <string>

#include "base/clock.h"
#include "connectors/connector.h"
#include "connectors/http/curl_client.h"
#include "connectors/mail/imap_session.h"

namespace wfs::connectors::mail {

struct SmtpConfig {
  std::string url;               // smtp://host:port or smtps://host:port
  std::string user;              // "" = no AUTH
  std::string password;          // a secret
  bool allow_plaintext = false;  // plain SMTP to a non-loopback host
  CurlLimits limits;
};

struct MailOptions {
  ImapConfig imap;
  SmtpConfig smtp;
  std::string from;  // the sender address of sent mail
  std::string trash = "Trash";
  std::string inbox = "INBOX";
  size_t max_message_bytes = size_t{10} << 20;  // longer bodies are cut
  size_t max_find_results = 500;
  size_t max_find_candidates = 20000;
  // Dates sent mail (nullptr: the system clock). Not owned; must outlive
  // the connector.
  const Clock* clock = nullptr;
};

std::unique_ptr<Connector> MakeMailConnector(MailOptions options);

}  // namespace wfs::connectors::mail

#endif  // WFSTORE_CONNECTORS_MAIL_MAIL_CONNECTOR_H_
