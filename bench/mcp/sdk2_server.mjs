// The official TypeScript SDK's v2 server (@modelcontextprotocol/server, the
// SDK of revision 2026-07-28) with one trivial tool, `echo` ({text} ->
// {text}, with an output schema and structured content, like wfstore's run
// of bench.echo), for the stateless rows of bench/mcp/run.sh.
//
//   node sdk2_server.mjs --stdio
//   node sdk2_server.mjs --http [--json-responses]   # prints "listening URL"
//
// HTTP follows the SDK's serving entry, createMcpHandler (a fresh server per
// request, as the stateless revision intends), on node:http through a small
// adapter between node's request and response and the web Request and
// Response the handler takes; answers are JSON with --json-responses, else
// SSE. stdio uses serveStdio.
import http from "node:http";
import { Readable } from "node:stream";

import { McpServer, createMcpHandler } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { registerEcho } from "./echo_tool.mjs";

function makeServer() {
  return registerEcho(new McpServer({ name: "sdk2-bench", version: "1.0.0" }));
}

const args = process.argv.slice(2);
if (args.includes("--stdio")) {
  serveStdio(() => makeServer());
} else {
  const handler = createMcpHandler(() => makeServer(), {
    responseMode: args.includes("--json-responses") ? "json" : "sse",
  });
  const httpServer = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string") headers.set(k, v);
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      Readable.fromWeb(response.body).pipe(res);
    } else {
      res.end();
    }
  });
  httpServer.keepAliveTimeout = 60_000;
  httpServer.listen(0, "127.0.0.1", () => {
    const { port } = httpServer.address();
    console.log(`listening http://127.0.0.1:${port}/mcp`);
  });
}
