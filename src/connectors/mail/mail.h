// The mail connector made from a deployment's config, for
// src/connectors/factory.cc (docs/connectors.md, "mail").
//
//   {"kind": "mail",
//    "imap_url": "imap://127.0.0.1:1143",   // or imaps://host:993
//    "smtp_url": "smtp://127.0.0.1:1025",   // or smtps://; optional
//    "user": "me@example.com",
//    "password": {"env": "WFS_MAIL_PASSWORD"},  // or {"file": "/abs/0600"}
//    "from": "me@example.com"}                 // default: user
//
// Also accepted: "password_env": "VAR" / "password_file": "/path" for the
// password reference; "smtp_user" and "smtp_password" when SMTP has other
// credentials (default: IMAP's); "trash" (default "Trash"); "inbox"
// ("INBOX"); "allow_plaintext" (false: plain IMAP/SMTP only to loopback
// hosts, STARTTLS required elsewhere); "timeout_ms", "connect_timeout_ms",
// "max_response_bytes", "proxy", "ca_file"; "max_message_bytes",
// "max_find_results". Any other key is InvalidArgument.
#ifndef WFSTORE_CONNECTORS_MAIL_MAIL_H_
#define WFSTORE_CONNECTORS_MAIL_MAIL_H_

#include <memory>

#include "base/clock.h"
#include "base/json.h"
#include "base/result.h"
#include "connectors/connector.h"
#include "connectors/secrets.h"

namespace wfs::connectors::mail {

// Errors name the key; secrets resolve through `secrets` (which then
// redacts them everywhere) and never appear in messages. `clock` dates sent
// mail (nullptr: the system clock; otherwise it must outlive the
// connector).
Result<std::unique_ptr<Connector>> MakeMailConnector(
    const Json& config, SecretResolver& secrets, const Clock* clock = nullptr);

}  // namespace wfs::connectors::mail

#endif  // WFSTORE_CONNECTORS_MAIL_MAIL_H_
