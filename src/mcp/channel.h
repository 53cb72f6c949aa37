// The way back to the client for one exchange (see ClientChannel).
#ifndef WFSTORE_MCP_CHANNEL_H_
#define WFSTORE_MCP_CHANNEL_H_

#include <cstdint>

#include "base/json.h"
#include "base/status.h"

namespace wfs::mcp {

// Where server-to-client messages of one exchange go (the stdio stream; on
// HTTP the SSE stream of the request being answered, else the session's
// standalone stream).
class ClientChannel {
 public:
  virtual ~ClientChannel() = default;
  // Sends a notification or a request. Unavailable when the client is gone
  // (and the message cannot be kept for its return).
  virtual Status Send(const Json& message) = 0;
  // Closes the connection without ending the stream, so that the client
  // reconnects and resumes it (2025-11-25 "polling"). False when the
  // transport cannot (stdio, JSON answers, a revision without resumption).
  virtual bool CloseConnection() { return false; }
  // The request `id` sent here was answered, or will never be (its wait
  // ended).
  virtual void Answered(int64_t id) { (void)id; }
};

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_CHANNEL_H_
