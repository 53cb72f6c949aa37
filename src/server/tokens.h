// Bearer tokens for the HTTP transport: each maps to an agent identity and
// its grants (docs/mcp.md). Only a token's SHA-256 is stored; the token is
// shown once, when it is created.
//
// Token form: "wfs_<id>_<secret>" (id: 8 hex digits to find the row; secret:
// 32 random bytes in hex). Comparison of the secret's hash is constant-time.
#ifndef WFSTORE_SERVER_TOKENS_H_
#define WFSTORE_SERVER_TOKENS_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "mcp/http_endpoint.h"
#include "mcp/session.h"
#include "sql/sqlite.h"

namespace wfs::server {

struct TokenInfo {
  std::string id;
  std::string agent;
  mcp::Grants grants;
  int64_t created_us = 0;
  int64_t revoked_us = 0;  // 0: active
};

class TokenStore : public mcp::Authenticator {
 public:
  // Opens (creating when absent) the token database at `path` (mode 0600).
  static Result<std::unique_ptr<TokenStore>> Open(const std::string& path,
                                                  const Clock* clock);

  // Creates a token for `agent` with `grants`; returns the token text (the
  // only time it exists outside the caller).
  Result<std::string> Create(const std::string& agent,
                             const mcp::Grants& grants);
  // Revokes by id (or by the whole token). NotFound when unknown.
  Status Revoke(std::string_view id_or_token);
  Result<std::vector<TokenInfo>> List();

  Result<mcp::Principal> Authenticate(std::string_view token) override;

 private:
  TokenStore(std::unique_ptr<sql::Db> db, const Clock* clock)
      : db_(std::move(db)), clock_(clock) {}

  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;
  const Clock* clock_;
};

}  // namespace wfs::server

#endif  // WFSTORE_SERVER_TOKENS_H_
