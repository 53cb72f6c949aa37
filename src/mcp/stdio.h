// The stdio transport: newline-delimited JSON-RPC messages on a pair of file
// descriptors (the client's stdin and stdout for this process); logs go to
// stderr, never to the message stream.
//
// Tool calls are handled on other threads (a WorkerPool) so that a tool
// waiting for an elicitation answer does not block the answer itself, pings
// or cancellations; quick requests are answered in order by the reading
// thread. Output lines are written whole, one at a time. A request the
// client cancelled (notifications/cancelled) is answered with nothing.
#ifndef WFSTORE_MCP_STDIO_H_
#define WFSTORE_MCP_STDIO_H_

#include <cstddef>

#include "base/status.h"
#include "mcp/engine.h"
#include "mcp/session.h"

namespace wfs::mcp {

struct StdioOptions {
  int in_fd = 0;
  int out_fd = 1;
  // A longer line is answered with a parse error and skipped.
  size_t max_line_bytes = 4 << 20;
  // Tool calls handled at once; more wait to be read.
  int max_concurrent = 64;
};

// Serves one session until the input ends (EOF) or fails; then cancels what
// is in flight, waits for it, and returns. Ok on EOF. While it serves, the
// session listens to the engine (Engine::NotifyListChanged).
Status ServeStdio(Engine& engine, Session& session,
                  const StdioOptions& options);

}  // namespace wfs::mcp

#endif  // WFSTORE_MCP_STDIO_H_
