// A scripted agent on the official MCP TypeScript SDK: finds, describes and
// runs workflows on a wfstore server, answers elicitations as the person,
// and checks what it gets back. Prints "ok NAME" / "FAIL NAME: why" lines;
// exits 1 on any failure.
//
//   node sdk_agent.mjs [--sdk v1|v2] --transport stdio --wfstore BIN --store DIR --world F
//   node sdk_agent.mjs [--sdk v1|v2] --transport http --url URL --token T --world F [--wfstore BIN --store DIR]
//
// With --wfstore and --store (over HTTP too) the agent also yanks a workflow
// with the store's key while connected and expects to hear the resources
// list change.
//
// v1 is @modelcontextprotocol/sdk (2025-era clients: initialize, a session,
// elicitation requests on the call's stream); v2 is
// @modelcontextprotocol/client with version negotiation on "auto": it
// probes with server/discover and speaks the stateless revision 2026-07-28
// (no session; a confirmation comes back as the call's input request and
// the client retries the call with the person's answer; list changes on a
// subscriptions/listen stream).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
const v2 = args.sdk === "v2";

let Client, StdioClientTransport, StreamableHTTPClientTransport, onElicit, onResourcesChanged;
if (v2) {
  ({ Client, StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client"));
  ({ StdioClientTransport } = await import("@modelcontextprotocol/client/stdio"));
  onElicit = (client, handler) => client.setRequestHandler("elicitation/create", handler);
  onResourcesChanged = (client, handler) =>
    client.setNotificationHandler("notifications/resources/list_changed", handler);
} else {
  ({ Client } = await import("@modelcontextprotocol/sdk/client/index.js"));
  ({ StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js"));
  ({ StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js"));
  const { ElicitRequestSchema, ResourceListChangedNotificationSchema } = await import(
    "@modelcontextprotocol/sdk/types.js"
  );
  onElicit = (client, handler) => client.setRequestHandler(ElicitRequestSchema, handler);
  onResourcesChanged = (client, handler) =>
    client.setNotificationHandler(ResourceListChangedNotificationSchema, handler);
}

let failures = 0;
function check(name, cond, detail) {
  if (cond) {
    console.log(`ok ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${name}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
}

function transport(elicit) {
  if (args.transport === "stdio") {
    return new StdioClientTransport({
      command: args.wfstore,
      args: ["serve", "--stdio", "--store", args.store, "--world", args.world, "--quiet"],
      stderr: "inherit",
    });
  }
  return new StreamableHTTPClientTransport(new URL(args.url), {
    requestInit: { headers: { Authorization: `Bearer ${args.token}` } },
  });
}

async function connect(elicit) {
  const capabilities = elicit ? { elicitation: {} } : {};
  const options = { capabilities };
  if (v2) options.versionNegotiation = { mode: "auto" };
  const client = new Client({ name: "wfstore-test-agent", version: "1.0.0" }, options);
  await client.connect(transport(elicit));
  return client;
}

// The error text of a call that could not run ({"error": ...} as text).
const errorOf = (r) => (r.isError && !r.structuredContent ? JSON.parse(r.content[0].text).error : "");

// Ids of the messages still in INBOX (deleting moves a message to Trash).
const messages = () =>
  JSON.parse(readFileSync(args.world, "utf8")).mail.messages.filter((m) => m.mailbox === "INBOX").map((m) => m.id);

// ---- with elicitation: the person answers through the client ----------------
const asked = [];
let answer = { action: "decline" };
const agent = await connect(true);
onElicit(agent, async (req) => {
  asked.push(req.params);
  return answer;
});

const info = agent.getServerVersion();
check("server info", info && info.name === "wfstore", info);
if (v2) {
  const version = agent.getNegotiatedProtocolVersion();
  check("v2 client negotiates 2026-07-28", version === "2026-07-28", version);
}

const { tools } = await agent.listTools();
const names = tools.map((t) => t.name);
for (const t of ["find_workflows", "describe_workflow", "run_workflow", "get_run", "answer_run"]) {
  check(`tool ${t} listed`, names.includes(t), names);
}
check("every tool has an output schema", tools.every((t) => t.outputSchema), names);

let r = await agent.callTool({ name: "find_workflows", arguments: { query: "delete the email from HR about my salary" } });
check("find: a fit", r.structuredContent.match === true, r.structuredContent);
check("find: the right workflow", r.structuredContent.results[0]?.name === "mail.delete_message", r.structuredContent);

r = await agent.callTool({ name: "find_workflows", arguments: { query: "book a flight to Paris next Tuesday" } });
check("find: no workflow fits", r.structuredContent.match === false, r.structuredContent);

r = await agent.callTool({ name: "describe_workflow", arguments: { name: "mail.delete_message" } });
const d = r.structuredContent;
check("describe: input schema", JSON.stringify(d.input_schema.required) === JSON.stringify(["id", "mailbox"]), d.input_schema);
check("describe: budget in plain words", JSON.stringify(d.effects).includes("at most once"), d.effects);
check("describe: grade", typeof d.grade === "string" && d.grade.length > 0, d);

r = await agent.callTool({ name: "run_workflow", arguments: { name: "mail.delete_message", arguments: { id: "b" } } });
check("run: bad arguments are refused", errorOf(r).includes("mailbox"), r);

// The person declines: nothing is deleted.
answer = { action: "decline" };
r = await agent.callTool({ name: "run_workflow", arguments: { name: "mail.delete_message", arguments: { id: "b", mailbox: "INBOX" } } });
check("declined: outcome denied", r.structuredContent.outcome === "denied", r.structuredContent);
check("declined: the person was asked", asked.length === 1, asked);
check("declined: nothing deleted", JSON.stringify(messages()) === JSON.stringify(["a", "b", "c"]), messages());

// The person approves: exactly that message goes.
answer = { action: "accept", content: { approve: true } };
r = await agent.callTool({ name: "run_workflow", arguments: { name: "mail.delete_message", arguments: { id: "b", mailbox: "INBOX" } } });
check("approved: completed", r.structuredContent.outcome === "completed", r.structuredContent);
check("approved: asked again", asked.length === 2, asked.length);
check("approved: the question names the message", JSON.stringify(asked[1]).includes("salary"), asked[1]);
check("approved: one message deleted", JSON.stringify(messages()) === JSON.stringify(["a", "c"]), messages());
const done = r.structuredContent.run_id;

// As an MCP task (2025-11-25; the v1 SDK's experimental client): the call
// answers at once with a task, the client polls it, sees input_required,
// and the question reaches the person on its tasks/result stream. The
// person declines here: nothing more is deleted.
if (!v2) {
  answer = { action: "decline" };
  const before = asked.length;
  const seen = [];
  let final;
  const stream = agent.experimental.tasks.callToolStream({
    name: "run_workflow",
    arguments: { name: "mail.delete_message", arguments: { id: "a", mailbox: "INBOX" } },
  });
  for await (const msg of stream) {
    seen.push(msg.type === "taskStatus" ? `status:${msg.task.status}` : msg.type);
    if (msg.type === "result") final = msg.result;
    if (msg.type === "error") final = { error: String(msg.error) };
  }
  check("task: created first", seen[0] === "taskCreated", seen);
  check("task: input_required while the question waits", seen.includes("status:input_required"), seen);
  check("task: the person was asked", asked.length === before + 1, asked.length);
  check("task: declined, the run's outcome", final?.structuredContent?.outcome === "denied", final);
  check("task: nothing deleted", JSON.stringify(messages()) === JSON.stringify(["a", "c"]), messages());
  const { tasks } = await agent.experimental.tasks.listTasks();
  check("task: listed, failed (a denied run is a tool error)", tasks.length === 1 && tasks[0].status === "failed", tasks);
}

r = await agent.callTool({ name: "get_run", arguments: { run_id: done } });
check("get_run: completed", r.structuredContent.outcome === "completed", r.structuredContent);

// An agent cannot answer a confirmation through arguments.
r = await agent.callTool({ name: "run_workflow", arguments: { name: "mail.delete_message", arguments: { id: "a", mailbox: "INBOX", approve: true } } });
check("approval in arguments is refused", errorOf(r).includes("approve"), r);
check("nothing deleted by it", JSON.stringify(messages()) === JSON.stringify(["a", "c"]), messages());

const res = await agent.listResources();
check("resources listed", res.resources.some((x) => x.uri === "wfstore://workflow/mail.delete_message"), res);
const rr = await agent.readResource({ uri: "wfstore://workflow/mail.delete_message" });
check("resource read", JSON.parse(rr.contents[0].text).name === "mail.delete_message", rr);

// The catalog changes while the agent is connected: the server says so
// (v1 over HTTP, on the GET stream the client opened after initializing;
// v2 on the subscriptions/listen stream it opens for resource list changes).
if (args.wfstore && args.store) {
  const heard = new Promise((resolve) => onResourcesChanged(agent, () => resolve(true)));
  let subscription;
  if (v2) {
    subscription = await agent.listen({ resourcesListChanged: true, promptsListChanged: true });
    check("listen: resource list changes acknowledged, prompts not (they never change)",
      subscription.honoredFilter.resourcesListChanged === true &&
        subscription.honoredFilter.promptsListChanged === undefined, subscription.honoredFilter);
  }
  execFileSync(args.wfstore, ["yank", "--store", args.store, "--key", `${args.store}/keys/store.key`,
    "--reason", "withdrawn for the test", "contacts.lookup@1.0.0"]);
  const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 10000));
  check("catalog changed: the resources list change is heard", await Promise.race([heard, timeout]),
    "no notifications/resources/list_changed within 10 s");
  const after = await agent.listResources();
  check("and the yanked workflow's resource is gone",
    !after.resources.some((x) => x.uri === "wfstore://workflow/contacts.lookup"), after);
  if (subscription) await subscription.close();
}

await agent.close();

// ---- without elicitation: the run waits for the person ----------------------
const quiet = await connect(false);
r = await quiet.callTool({ name: "run_workflow", arguments: { name: "mail.delete_message", arguments: { id: "c", mailbox: "INBOX" } } });
check("no elicitation: the run waits", r.structuredContent.outcome === "waiting", r.structuredContent);
check("waiting: nothing deleted yet", JSON.stringify(messages()) === JSON.stringify(["a", "c"]), messages());
if (args.waiting) writeFileSync(args.waiting, r.structuredContent.run_id + "\n");
r = await quiet.callTool({ name: "answer_run", arguments: { run_id: r.structuredContent.run_id } });
check("answer_run without elicitation explains", errorOf(r).includes("wfstore approve"), r);
await quiet.close();

console.log(failures === 0 ? "all checks passed" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
