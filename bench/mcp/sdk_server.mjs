// The official TypeScript SDK's MCP server (McpServer) with one trivial
// tool, `echo` ({text} -> {text}, with an output schema and structured
// content, like wfstore's run of bench.echo), for bench/mcp/run.sh.
//
//   node sdk_server.mjs --stdio
//   node sdk_server.mjs --http [--json-responses]   # prints "listening URL"
//
// HTTP follows the SDK's documented stateful pattern: one
// StreamableHTTPServerTransport and one McpServer per session, on
// node:http, answering on SSE unless --json-responses.
import { randomUUID } from "node:crypto";
import http from "node:http";

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { registerEcho } from "./echo_tool.mjs";

function makeServer() {
  return registerEcho(new McpServer({ name: "sdk-bench", version: "1.0.0" }));
}

const args = process.argv.slice(2);
if (args.includes("--stdio")) {
  await makeServer().connect(new StdioServerTransport());
} else {
  const json = args.includes("--json-responses");
  const transports = new Map();
  const httpServer = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const sid = req.headers["mcp-session-id"];
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      if (sid || req.method !== "POST" || !isInitializeRequest(body)) {
        res.writeHead(sid ? 404 : 400).end();
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: json,
        onsessioninitialized: (id) => transports.set(id, transport),
      });
      transport.onclose = () => transports.delete(transport.sessionId);
      await makeServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  httpServer.keepAliveTimeout = 60_000;
  httpServer.listen(0, "127.0.0.1", () => {
    const { port } = httpServer.address();
    console.log(`listening http://127.0.0.1:${port}/mcp`);
  });
}
