#include "server/tokens.h"

#include <sys/stat.h>

#include "base/random.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace wfs::server {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL,
  grants TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  revoked_us INTEGER NOT NULL DEFAULT 0
);
)sql";

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Splits "wfs_<id>_<secret>"; false when the form is wrong.
bool SplitToken(std::string_view token, std::string* id, std::string* secret) {
  if (token.size() != 4 + 8 + 1 + 64 || !StartsWith(token, "wfs_") ||
      token[12] != '_') {
    return false;
  }
  *id = std::string(token.substr(4, 8));
  *secret = std::string(token.substr(13));
  return IsHex(*id) && IsHex(*secret);
}

}  // namespace

Result<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& path,
                                                     const Clock* clock) {
  WFS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Db> db, sql::Db::Open(path, {}));
  WFS_RETURN_IF_ERROR(db->Exec(kSchema));
  ::chmod(path.c_str(), 0600);
  return std::unique_ptr<TokenStore>(new TokenStore(std::move(db), clock));
}

Result<std::string> TokenStore::Create(const std::string& agent,
                                       const mcp::Grants& grants) {
  if (agent.empty() || agent.size() > 128) {
    return InvalidArgument("agent name must be 1 to 128 characters");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = SecureRandomHex(4);
  std::string secret = SecureRandomHex(32);
  WFS_ASSIGN_OR_RETURN(sql::Stmt s,
                       db_->Prepare("INSERT INTO tokens (id, agent, "
                                    "secret_sha256, grants, created_us) "
                                    "VALUES (?, ?, ?, ?, ?)"));
  s.Bind(1, id).Bind(2, agent).Bind(3, Sha256Hex(secret));
  s.Bind(4, CanonicalJson(grants.ToJson())).Bind(5, clock_->NowMicros());
  WFS_RETURN_IF_ERROR(s.Run());
  return StrCat("wfs_", id, "_", secret);
}

Status TokenStore::Revoke(std::string_view id_or_token) {
  std::string id(id_or_token), secret;
  if (!SplitToken(id_or_token, &id, &secret) && !StartsWith(id, "wfs_")) {
    id = std::string(id_or_token);
  }
  std::lock_guard<std::mutex> lock(mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt s,
                       db_->Prepare("UPDATE tokens SET revoked_us = ? WHERE "
                                    "id = ? AND revoked_us = 0"));
  s.Bind(1, clock_->NowMicros()).Bind(2, id);
  WFS_RETURN_IF_ERROR(s.Run());
  if (db_->Changes() == 0) {
    return NotFound(StrCat("no active token ", Quote(id),
                           " (wfstore token list shows them)"));
  }
  return Status::Ok();
}

Result<std::vector<TokenInfo>> TokenStore::List() {
  std::lock_guard<std::mutex> lock(mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt s,
                       db_->Prepare("SELECT id, agent, grants, created_us, "
                                    "revoked_us FROM tokens ORDER BY "
                                    "created_us, id"));
  std::vector<TokenInfo> out;
  while (true) {
    WFS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    TokenInfo t;
    t.id = s.Text(0);
    t.agent = s.Text(1);
    WFS_ASSIGN_OR_RETURN(Json g, ParseJson(s.Text(2)));
    WFS_ASSIGN_OR_RETURN(t.grants, mcp::Grants::FromJson(g));
    t.created_us = s.Int(3);
    t.revoked_us = s.Int(4);
    out.push_back(std::move(t));
  }
  return out;
}

Result<mcp::Principal> TokenStore::Authenticate(std::string_view token) {
  std::string id, secret;
  if (!SplitToken(token, &id, &secret)) {
    return Unauthenticated("malformed bearer token");
  }
  std::lock_guard<std::mutex> lock(mu_);
  WFS_ASSIGN_OR_RETURN(sql::Stmt* s,
                       db_->Cached("SELECT agent, secret_sha256, grants, "
                                   "revoked_us FROM tokens WHERE id = ?"));
  sql::ScopedReset reset(s);
  s->Bind(1, id);
  WFS_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row || !ConstantTimeEquals(s->Text(1), Sha256Hex(secret))) {
    return Unauthenticated("unknown bearer token");
  }
  if (s->Int(3) != 0) return Unauthenticated("the bearer token was revoked");
  WFS_ASSIGN_OR_RETURN(Json g, ParseJson(s->Text(2)));
  WFS_ASSIGN_OR_RETURN(mcp::Grants grants, mcp::Grants::FromJson(g));
  return mcp::Principal{s->Text(0), std::move(grants)};
}

}  // namespace wfs::server
