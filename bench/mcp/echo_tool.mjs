// The trivial tool both SDK servers of bench/mcp/run.sh expose: `echo`
// ({text} -> {text}, with an output schema and structured content, like
// wfstore's run of bench.echo). One definition, so that the v1 and v2
// servers are measured with the same tool.
import * as z from "zod";

export function registerEcho(server) {
  server.registerTool(
    "echo",
    {
      description: "Return the text it is given.",
      inputSchema: { text: z.string() },
      outputSchema: { text: z.string() },
    },
    async ({ text }) => ({
      content: [{ type: "text", text: JSON.stringify({ text }) }],
      structuredContent: { text },
    }),
  );
  return server;
}
