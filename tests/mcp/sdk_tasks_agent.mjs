// A scripted agent on the official requester library of the MCP tasks
// extension (@modelcontextprotocol/ext-tasks, io.modelcontextprotocol/tasks
// of revision 2026-07-28) over the v2 SDK client (@modelcontextprotocol/
// client), against `wfstore serve --http`. The client declares the tasks
// extension and not elicitation, so a run that reaches a confirmation goes on
// as a task that waits for the person's answer from the CLI: the library
// follows it (tasks/get) while the person approves (`wfstore approve`, run
// here), and settles with the run's result; a second such task is cancelled
// through the library (tasks/cancel: acknowledged; the task, which is the
// run, goes on showing it waiting for the person); a
// call that does not wait settles at once, without a task.
// Prints "ok NAME" / "FAIL NAME: why" lines; exits 1 on any failure.
//
//   node sdk_tasks_agent.mjs --url URL --token T --world F --wfstore BIN --store DIR [--waiting FILE]
//
// With --waiting, the id of the run left waiting (its task cancelled) is
// written to FILE.
//
// The library needs, for a 2026-07-28 server, a raw request path (the SDK
// client's codecs do not carry task results) and the request framing the
// client would put in each request's _meta; both are given here: `send`
// posts one JSON-RPC request with the headers of the stateless revision and
// reads the answer, JSON or an event stream.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  DispatchError,
  TaskCancelledError,
  createTaskSessionFromClient,
  resultFromTaskOutcome,
} from "@modelcontextprotocol/ext-tasks/client";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}

const TASKS = "io.modelcontextprotocol/tasks";
const REVISION = "2026-07-28";
const clientInfo = { name: "wfstore-test-tasks-agent", version: "1.0.0" };

let failures = 0;
function check(name, cond, detail) {
  if (cond) {
    console.log(`ok ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${name}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
}

// Ids of the messages still in INBOX (deleting moves a message to Trash).
const messages = () =>
  JSON.parse(readFileSync(args.world, "utf8")).mail.messages.filter((m) => m.mailbox === "INBOX").map((m) => m.id);

// The run a task follows, from its status message ("... wfstore approve r-…").
const runOf = (text) => /wfstore approve (r-[0-9a-f]+)/.exec(text ?? "")?.[1];

// An error and what caused it, in words (a failed outcome's error has no
// enumerable fields).
const why = (error) => {
  const parts = [];
  for (let e = error; e && parts.length < 4; e = e.cause) parts.push(e.message ?? String(e));
  return parts.join(": ").replace(/\s+/g, " ").slice(0, 800);
};

// ---- the raw request path ------------------------------------------------------
// Every request the library sends this way, as "method Mcp-Name".
const sent = [];
let nextId = 1;

// The JSON-RPC response to request `id` in an answer: a JSON body, or an
// event stream whose data lines carry messages (notifications before it are
// skipped).
function responseIn(contentType, text, id) {
  if (!contentType.includes("text/event-stream")) return JSON.parse(text);
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (!data) continue;
    const msg = JSON.parse(data);
    if (msg.id === id && ("result" in msg || "error" in msg)) return msg;
  }
  throw new DispatchError(`no response to request ${id} in the event stream`);
}

async function send(request, options = {}) {
  const id = nextId++;
  const body = { ...request, jsonrpc: "2.0", id };
  const headers = new Headers({
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    Authorization: `Bearer ${args.token}`,
    "MCP-Protocol-Version": REVISION,
    "Mcp-Method": body.method,
  });
  // tools/call names its tool; the library names the task of tasks/* itself.
  if (body.method === "tools/call") headers.set("Mcp-Name", body.params.name);
  for (const [k, v] of Object.entries(options.context?.headers ?? {})) headers.set(k, v);
  sent.push(`${body.method} ${headers.get("Mcp-Name") ?? ""}`.trim());
  const res = await fetch(args.url, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await res.text();
  let msg;
  try {
    msg = responseIn(res.headers.get("content-type") ?? "", text, id);
  } catch (error) {
    throw new DispatchError(`HTTP ${res.status}: ${text.slice(0, 300)}`, false, { cause: error });
  }
  if (msg.error) return { kind: "error", error: msg.error };
  return { kind: "result", result: msg.result };
}

// ---- connect ---------------------------------------------------------------------
const client = new Client(clientInfo, { capabilities: {}, versionNegotiation: { mode: "auto" } });
await client.connect(
  new StreamableHTTPClientTransport(new URL(args.url), {
    requestInit: { headers: { Authorization: `Bearer ${args.token}` } },
  }),
);
check("v2 client negotiates 2026-07-28", client.getNegotiatedProtocolVersion() === REVISION,
  client.getNegotiatedProtocolVersion());
const extensions = client.getServerCapabilities()?.extensions ?? {};
check("server/discover offers the tasks extension", TASKS in extensions, client.getServerCapabilities());

const session = createTaskSessionFromClient(client, {
  endpointId: `wfstore ${args.url}`,
  rawDispatch: send,
  // The tasks extension, not elicitation: a confirmation waits for the person.
  v2RequestFraming: { protocolVersion: REVISION, clientInfo, clientCapabilities: { extensions: { [TASKS]: {} } } },
  onError: (error) => console.log(`  (library: ${error.message})`),
});
check("the library sees a tasks server (2026-07-28: execution, cancellation)",
  session.capabilities.execution === true && session.capabilities.cancellation === true,
  session.capabilities);

const deleteMessage = (id) =>
  session.callTool("run_workflow", { name: "mail.delete_message", arguments: { id, mailbox: "INBOX" } });

// A whole step may not hang the test: the library's waiting is bounded.
const within = (ms) => AbortSignal.timeout(ms);

// ---- a call that does not wait: no task ----------------------------------------
let execution = await session.callTool("find_workflows", { query: "delete the email from HR about my salary" });
check("find: settles at once, no task", execution.kind === "immediate", execution.kind);
let { outcome } = await execution.settle({ signal: within(10000) });
let result = outcome.status === "completed" ? resultFromTaskOutcome(outcome) : undefined;
check("find: the result", result?.structuredContent?.results?.[0]?.name === "mail.delete_message", outcome);

// ---- a run that waits for the person: a task, approved from the CLI ------------
execution = await deleteMessage("b");
check("run: task-backed, not an immediate result", execution.kind === "task", execution.kind);
check("run: nothing deleted yet", JSON.stringify(messages()) === JSON.stringify(["a", "b", "c"]), messages());
if (execution.kind === "task") {
  const taskId = execution.handle.taskId;
  check("run: the task has an id", typeof taskId === "string" && taskId.length > 0, execution.handle);
  // The task as the library shows it (tasks/get): working, the run named.
  const view = await session.task(taskId).snapshot(within(10000));
  const run = runOf(view.statusMessage);
  check("run: the task is working, its status message names the run and `wfstore approve`",
    view.status === "working" && run !== undefined, view);
  check("run: the server's poll interval reaches the library", view.suggestedPollIntervalMs === 1000, view);
  check("run: the task is the run (its id is the run's)", taskId === run, { taskId, run });

  // The library follows the task; the person approves while it does.
  const seen = [];
  let approved;
  const settlement = await execution
    .settle({
      signal: within(60000),
      onEvent: async (event) => {
        seen.push(event.type === "task" ? `task:${event.task.status}` : `outcome:${event.outcome.status}`);
        const waiting = event.type === "task" && event.task.status === "working" ? runOf(event.task.statusMessage) : undefined;
        if (waiting && approved === undefined) {
          approved = waiting;
          await promisify(execFile)(args.wfstore, ["approve", waiting, "--store", args.store]);
        }
      },
    })
    .catch((error) => ({ error }));
  check("run: the person approved the run the task follows", approved !== undefined && approved === run,
    { approved, run, seen });
  outcome = settlement.outcome;
  check("run: the task settles completed", outcome?.status === "completed",
    settlement.error ? String(settlement.error) : outcome?.status === "failed" ? why(outcome.error) : outcome);
  check("run: the library observed it working, then the outcome",
    seen[0] === "task:working" && seen.at(-1) === "outcome:completed", seen);
  result = outcome?.status === "completed" ? resultFromTaskOutcome(outcome) : undefined;
  check("run: the settled result is the run's, completed",
    result?.structuredContent?.outcome === "completed" && result?.structuredContent?.run_id === run && !result.isError,
    result);
  check("run: exactly that message deleted", JSON.stringify(messages()) === JSON.stringify(["a", "c"]), messages());
  const after = await session.task(taskId).snapshot(within(10000));
  check("run: the task stays completed", after.status === "completed", after);
}

// ---- a second such run, its task cancelled --------------------------------------
execution = await deleteMessage("c");
check("cancel: task-backed", execution.kind === "task", execution.kind);
if (execution.kind === "task") {
  const taskId = execution.handle.taskId;
  const view = await session.task(taskId).snapshot(within(10000));
  const run = runOf(view.statusMessage);
  check("cancel: the task follows a run", view.status === "working" && run !== undefined, view);
  await execution.cancel(within(10000));
  outcome = await execution.result();
  check("cancel: the library reports it cancelled", outcome.status === "cancelled", outcome);
  let thrown;
  try {
    resultFromTaskOutcome(outcome);
  } catch (error) {
    thrown = error;
  }
  check("cancel: unwrapping the outcome throws TaskCancelledError", thrown instanceof TaskCancelledError, String(thrown));
  const after = await session.task(taskId).snapshot(within(10000));
  // The server acknowledged and goes on following the run: no agent ends a
  // run that waits for the person.
  check("cancel: the server's task still follows the waiting run", after.status === "working", after);
  check("cancel: nothing deleted", JSON.stringify(messages()) === JSON.stringify(["a", "c"]), messages());
  // The run behind it still waits for the person (get_run, no task).
  const r = await client.callTool({ name: "get_run", arguments: { run_id: run ?? "" } });
  check("cancel: the run behind it still waits", r.structuredContent?.outcome === "waiting", r.structuredContent ?? r);
  if (args.waiting && run) writeFileSync(args.waiting, run + "\n");
}

// ---- what the library sent --------------------------------------------------------
check("the library sent tools/call, tasks/get and tasks/cancel the raw way, tasks named",
  sent.includes("tools/call run_workflow") && sent.some((s) => /^tasks\/get \S+/.test(s)) &&
    sent.some((s) => /^tasks\/cancel \S+/.test(s)) && !sent.some((s) => s === "tasks/get" || s === "tasks/cancel"),
  sent);

await session.close();
await client.close();

console.log(failures === 0 ? "all checks passed" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
