#!/usr/bin/env python3
"""Streamable HTTP robustness of `wfstore serve --http`: every bad request
gets the right status and JSON-RPC error, and the server keeps serving (a
ping on an established session succeeds after each case); the same for
requests of the stateless revision 2026-07-28.

Environment: WFSTORE (the binary). Exit status 1 when any check fails.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

WFSTORE = os.environ["WFSTORE"]
FAILS = []


def check(name, ok, detail=""):
    if ok:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        FAILS.append(name)


class Server:
    def __init__(self, store, world, *extra):
        self.proc = subprocess.Popen(
            [WFSTORE, "serve", "--http", "127.0.0.1:0", "--store", store,
             "--world", world, "--quiet", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"wfstore: serving MCP at (http://([^:/]+):(\d+)(/\S*))",
                     line)
        if not m:
            self.proc.kill()
            raise SystemExit(f"server did not start: {line!r} "
                             f"{self.proc.stderr.read()}")
        self.url, self.host, self.port, self.path = (
            m.group(1), m.group(2), int(m.group(3)), m.group(4))

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(timeout=20)


def request(srv, method, body=None, headers=None, path=None, raw=None):
    """One request on a fresh connection; returns (status, headers, body)."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
    h = {"Content-Type": "application/json",
         "Accept": "application/json, text/event-stream"}
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    data = raw if raw is not None else (
        json.dumps(body) if body is not None else None)
    conn.request(method, path or srv.path, body=data, headers=h)
    r = conn.getresponse()
    payload = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, payload


def rpc_body(payload, content_type):
    """The JSON-RPC message in a JSON or SSE answer."""
    text = payload.decode()
    if content_type.startswith("text/event-stream"):
        msgs = [json.loads(line[5:]) for line in text.splitlines()
                if line.startswith("data:") and line[5:].strip()]
        return msgs[-1] if msgs else None
    return json.loads(text) if text else None


def initialize(srv, token, version="2025-11-25", capabilities=None):
    st, h, b = request(srv, "POST", {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": version,
                   "capabilities": capabilities or {},
                   "clientInfo": {"name": "robustness", "version": "1"}}},
        {"Authorization": f"Bearer {token}"})
    sid = h.get("mcp-session-id")
    if st == 200 and sid:
        request(srv, "POST",
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"Authorization": f"Bearer {token}", "Mcp-Session-Id": sid,
                 "MCP-Protocol-Version": version})
    return st, sid


class Session:
    def __init__(self, srv, token, version="2025-11-25", capabilities=None):
        self.srv, self.token, self.version = srv, token, version
        st, self.sid = initialize(srv, token, version, capabilities)
        check("initialize answers 200 with a session id",
              st == 200 and self.sid, f"status {st}")
        self.next_id = 100

    def headers(self, **extra):
        h = {"Authorization": f"Bearer {self.token}",
             "Mcp-Session-Id": self.sid,
             "MCP-Protocol-Version": self.version}
        h.update(extra)
        return h

    def call(self, method, params=None, **headers):
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            body["params"] = params
        st, h, b = request(self.srv, "POST", body, self.headers(**headers))
        return st, h, rpc_body(b, h.get("content-type", "")) if b else None

    def alive(self, after):
        st, _, msg = self.call("ping")
        check(f"still serving after {after}",
              st == 200 and msg and msg.get("result") == {},
              f"status {st}, {msg}")


class EventStream:
    """An SSE response read event by event from a raw socket, so that the
    test can drop the connection mid-stream."""

    def __init__(self, srv, method, headers, body=None):
        self.sock = socket.create_connection((srv.host, srv.port), timeout=30)
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {srv.path} HTTP/1.1", "Host: 127.0.0.1",
                f"Content-Length: {len(data)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, v in
                        (l.split(":", 1) for l in lines[1:] if ":" in l)}
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.text = b""  # de-chunked body not yet parsed into events
        self.ended = False

    def _recv(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError("connection closed")
        return d

    def _fill(self):
        """Moves at least one more byte of body into self.text."""
        if not self.chunked:
            if not self.buf:
                self.buf = self._recv()
            self.text += self.buf
            self.buf = b""
            return
        while b"\r\n" not in self.buf:
            self.buf += self._recv()
        size_line, rest = self.buf.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        while len(rest) < size + 2:
            rest += self._recv()
        if size == 0:
            self.ended = True
            raise EOFError("stream ended")
        self.text += rest[:size]
        self.buf = rest[size + 2:]

    def event(self):
        """The next event as a dict of its fields (data joined), or None
        when the stream ends first."""
        while b"\n\n" not in self.text:
            try:
                self._fill()
            except EOFError:
                return None
        raw, self.text = self.text.split(b"\n\n", 1)
        ev = {}
        for line in raw.decode().split("\n"):
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            ev[k] = ev[k] + "\n" + v if k in ev and k == "data" else v
        return ev

    def close(self):
        self.sock.close()


def start_delete(srv, session, call_id, message_id):
    """Starts mail.delete_message on an SSE stream read event by event."""
    return EventStream(srv, "POST", {
        **session.headers(), "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream"},
        {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
         "params": {"name": "run_workflow", "arguments": {
             "name": "mail.delete_message",
             "arguments": {"id": message_id, "mailbox": "INBOX"}}}})


def await_question(stream):
    """The stream's next elicitation request as (event, message), or None
    when the stream ends first."""
    while True:
        ev = stream.event()
        if ev is None:
            return None
        msg = json.loads(ev["data"]) if ev.get("data") else {}
        if msg.get("method") == "elicitation/create":
            return ev, msg


def resumption_cases(srv, token):
    """2025-11-25 streams: priming event, a dropped connection that does not
    cancel the call, replay with Last-Event-ID, and bad ids."""
    s = Session(srv, token, capabilities={"elicitation": {}})
    s.next_id += 1
    call_id = s.next_id
    post = start_delete(srv, s, call_id, "b")
    first = post.event()
    check("a 2025-11-25 stream opens with a priming event (id, retry, no data)",
          post.status == 200 and first is not None and first.get("id", "")
          and first.get("retry", "").isdigit() and first.get("data") == "",
          f"{post.status} {first}")
    asked = await_question(post)
    check("the person is asked on the stream",
          asked is not None and asked[0].get("id", "").startswith(
              first["id"].split(".")[0] + "."), f"{asked}")
    post.close()  # the connection drops before anyone answers
    time.sleep(0.3)

    # Resume after the priming event: the question is sent again.
    get = EventStream(srv, "GET", {**s.headers(),
                                   "Accept": "text/event-stream",
                                   "Last-Event-ID": first["id"]})
    again = get.event()
    check("resuming with Last-Event-ID replays what followed it",
          get.status == 200 and again is not None and again.get("id") ==
          asked[0]["id"] and json.loads(again["data"]) == asked[1],
          f"{get.status} {again}")
    # The answer goes in a POST of its own; the result arrives on the
    # resumed stream: the dropped connection did not cancel the run.
    st, _, _ = request(srv, "POST", {
        "jsonrpc": "2.0", "id": asked[1]["id"],
        "result": {"action": "accept", "content": {"approve": True}}},
        s.headers())
    check("the answer is accepted: 202", st == 202, str(st))
    result = get.event()
    msg = json.loads(result["data"]) if result and result.get("data") else {}
    check("the call's result arrives on the resumed stream",
          msg.get("id") == call_id and
          msg.get("result", {}).get("structuredContent", {}).get("outcome")
          == "completed", f"{result}")
    check("and the stream ends after it", get.event() is None and get.ended)
    get.close()

    # An ended stream is kept a while: resuming again replays the result.
    st, h, b = request(srv, "GET", headers={
        **s.headers(), "Accept": "text/event-stream",
        "Last-Event-ID": asked[0]["id"]})
    msg = rpc_body(b, h.get("content-type", ""))
    check("an ended stream can be resumed for the result it ended with",
          st == 200 and msg and msg.get("id") == call_id, f"{st} {b[:300]}")

    # Ids that name no stream, or are not ours.
    for bad in ("999.1", "garbage", "1.x", ".1"):
        st, h, b = request(srv, "GET", headers={
            **s.headers(), "Accept": "text/event-stream",
            "Last-Event-ID": bad})
        msg = json.loads(b) if b else {}
        check(f"Last-Event-ID {bad!r}: 400 with a message",
              st == 400 and msg.get("error", {}).get("code") == -32600 and
              "Last-Event-ID" in msg["error"].get("message", ""), f"{st} {b}")
    s.alive("resumption")

    # An older revision gets no priming event and no ids to resume with.
    old = Session(srv, token, version="2025-06-18")
    st, h, b = request(srv, "POST", {
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "find_workflows",
                   "arguments": {"query": "delete mail"}}}, old.headers())
    text = b.decode()
    check("2025-06-18: no priming event",
          st == 200 and h.get("content-type", "").startswith(
              "text/event-stream") and "retry:" not in text and
          "data: \n" not in text and "data:\n" not in text, text[:200])
    # A call that sends nothing before its answer: one whole response (no
    # chunks); one that sends progress first: a stream, the answer last.
    check("2025-06-18: an answer alone is one whole response",
          "content-length" in h and "transfer-encoding" not in h and
          rpc_body(b, h.get("content-type", "")).get("id") == 7, str(h))
    st, h, b = request(srv, "POST", {
        "jsonrpc": "2.0", "id": 8, "method": "tools/call",
        "params": {"name": "run_workflow", "_meta": {"progressToken": "p8"},
                   "arguments": {"name": "contacts.lookup",
                                 "arguments": {"name": "Dana"}}}},
        old.headers())
    msgs = [json.loads(line[5:]) for line in b.decode().splitlines()
            if line.startswith("data:") and line[5:].strip()]
    check("2025-06-18: progress streams before the answer",
          st == 200 and h.get("transfer-encoding") == "chunked" and
          len(msgs) == 3 and
          all(m.get("method") == "notifications/progress" and
              m["params"]["progressToken"] == "p8" for m in msgs[:2]) and
          msgs[2].get("id") == 8 and "result" in msgs[2],
          f"{st} {h} {b[:400]}")


def half_closed_case(srv, token):
    """A client that shuts down its sending side after its request still
    reads an answer (200, its id). The server cannot tell a half-closed
    client from one gone for good: without resumption (2025-06-18) a call
    still running when the server sees the half-close is cancelled, and
    says so (one that finished first answers with its result: which comes
    first depends on whether the request and the end of input arrive in
    one read); a resumable stream's call goes on (the client has the
    resume grace to come back), and its result is written."""
    for version in ("2025-06-18", "2025-11-25"):
        s = Session(srv, token, version=version)
        body = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                           "params": {"name": "find_workflows", "arguments": {
                               "query": "delete mail"}}}).encode()
        head = [f"POST {srv.path} HTTP/1.1", "Host: 127.0.0.1",
                f"Content-Length: {len(body)}", "Connection: close",
                "Content-Type: application/json",
                "Accept: application/json, text/event-stream"]
        head += [f"{k}: {v}" for k, v in s.headers().items()]
        sock = socket.create_connection((srv.host, srv.port), timeout=30)
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        sock.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            d = sock.recv(65536)
            if not d:
                break
            got += d
        sock.close()
        text = got.decode(errors="replace")
        wants = (['"code":-32800', '"result"'] if version == "2025-06-18"
                 else ['"result"'])
        check(f"half-closed client ({version}): 200 with {' or '.join(wants)}",
              text.startswith("HTTP/1.1 200") and '"id":9' in text and
              any(w in text for w in wants), text[:300])
        s.alive(f"a half-closed client ({version})")


def waiting_runs(store):
    """The runs of `store` waiting for the person (`wfstore runs`)."""
    out = subprocess.run(
        [WFSTORE, "runs", "--store", store, "--state", "waiting", "--json"],
        capture_output=True, text=True, timeout=30)
    runs = json.loads(out.stdout) if out.returncode == 0 else []
    return runs if isinstance(runs, list) else runs.get("runs", [])


def hr_world(path, ids, subject):
    """Writes a simulated world whose INBOX holds one message from HR per
    id, with `subject` (its {} the id)."""
    with open(path, "w") as f:
        json.dump({"mail": {"messages": [
            {"id": m, "mailbox": "INBOX", "from": "hr@example.com",
             "subject": subject.format(m)} for m in ids]}}, f)


def inbox(world):
    """The ids of the messages still in INBOX."""
    return [m["id"] for m in json.load(open(world))["mail"]["messages"]
            if m["mailbox"] == "INBOX"]


def abandoned_call_case(store, world):
    """A call whose client lost its connection and never resumes is
    cancelled after --resume-grace: nothing happens, and the stream then
    holds the call's end for a late client."""
    srv = Server(store, world, "--resume-grace", "1s")
    try:
        token = open(os.path.join(store, "local.token")).read().strip()
        s = Session(srv, token, capabilities={"elicitation": {}})
        post = start_delete(srv, s, 5, "a")
        first = post.event()
        check("abandoned: the person is asked",
              await_question(post) is not None)
        post.close()
        time.sleep(2.5)  # past the grace: the call is cancelled
        # Cancelled, its question unanswered: the run waits for the person
        # (`wfstore approve`), instead of holding a worker until the
        # question times out.
        waiting = waiting_runs(store)
        check("abandoned: the call was cancelled and its run waits",
              any(r.get("workflow", "").startswith("mail.delete_message@")
                  for r in waiting), str(waiting)[:300])
        # Its stream's events are freed a grace after it ended.
        time.sleep(1.5)
        st, _, b = request(srv, "GET", headers={
            **s.headers(), "Accept": "text/event-stream",
            "Last-Event-ID": first["id"]})
        check("abandoned: its stream is no longer resumable after the grace",
              st == 400, f"{st} {b[:200]}")
        s.alive("an abandoned call")
    finally:
        rc = srv.stop()
        check("the grace server stops cleanly", rc == 0, f"exit {rc}")
    check("abandoned: nothing deleted", inbox(world) == ["a"],
          str(inbox(world)))


def task_ends_with_its_session_case(store, world):
    """A run started as an MCP task, waiting for the person, when its
    session is deleted: the DELETE is answered promptly (the task is
    cancelled, its question withdrawn), the run waits in the journal for
    `wfstore approve`, and nothing is deleted."""
    before = len(waiting_runs(store))
    srv = Server(store, world)
    try:
        token = open(os.path.join(store, "local.token")).read().strip()
        s = Session(srv, token, capabilities={"elicitation": {}})
        st, _, msg = s.call("tools/call", {
            "name": "run_workflow", "task": {"ttl": 60000},
            "arguments": {"name": "mail.delete_message",
                          "arguments": {"id": "a", "mailbox": "INBOX"}}})
        task = ((msg or {}).get("result") or {}).get("task") or {}
        check("task: created at once", st == 200 and
              task.get("status") == "working", f"{st} {msg}")
        status = None
        for _ in range(200):
            _, _, got = s.call("tasks/get", {"taskId": task.get("taskId")})
            status = ((got or {}).get("result") or {}).get("status")
            if status == "input_required":
                break
            time.sleep(0.05)
        check("task: waits for the person", status == "input_required",
              status)
        started = time.monotonic()
        st, _, _ = request(srv, "DELETE", headers=s.headers())
        took = time.monotonic() - started
        check("task: DELETE ends its session promptly",
              st == 204 and took < 5, f"{st} in {took:.1f} s")
        other = Session(srv, token)
        other.alive("a session ended with a task in flight")
        after = len(waiting_runs(store))
        check("task: its run waits in the journal for the person",
              after == before + 1, f"{before} -> {after}")
    finally:
        rc = srv.stop()
        check("the task server stops cleanly", rc == 0, f"exit {rc}")
    check("task: nothing deleted", inbox(world) == ["a"], str(inbox(world)))


class Stateless:
    """Requests of the stateless revision (2026-07-28): no session; the
    revision and the client's capabilities in every request's _meta, and
    the headers mirroring the body."""

    def __init__(self, srv, token, capabilities=None):
        self.srv, self.token = srv, token
        self.capabilities = ({"elicitation": {}} if capabilities is None
                             else capabilities)
        self.next_id = 500

    def body(self, method, params=None, meta=None):
        self.next_id += 1
        m = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
             "io.modelcontextprotocol/clientCapabilities": self.capabilities}
        m.update(meta or {})
        m = {k: v for k, v in m.items() if v is not None}
        return {"jsonrpc": "2.0", "id": self.next_id, "method": method,
                "params": {**(params or {}), "_meta": m}}

    def headers(self, body, **extra):
        h = {"Authorization": f"Bearer {self.token}",
             "MCP-Protocol-Version": "2026-07-28",
             "Mcp-Method": body.get("method")}
        p = body.get("params") or {}
        method = body.get("method") or ""
        name = p.get("uri") if method == "resources/read" \
            else p.get("taskId") if method.startswith("tasks/") \
            else p.get("name")
        if isinstance(name, str):
            h["Mcp-Name"] = name
        h.update(extra)
        return h

    def post(self, body, **extra):
        st, h, b = request(self.srv, "POST", body, self.headers(body, **extra))
        return st, h, rpc_body(b, h.get("content-type", "")) if b else None

    def call(self, method, params=None, meta=None, **extra):
        return self.post(self.body(method, params, meta), **extra)


def error_code(msg):
    return ((msg or {}).get("error") or {}).get("code")


def stateless_cases(tmp):
    """Revision 2026-07-28 over HTTP: requests without a session, their
    headers checked against the body, a confirmation asked through the
    call's input request and answered in the client's retry (the state it
    carries sealed against tampering and replay), and list changes on a
    subscriptions/listen stream."""
    store = os.path.join(tmp, "stateless-store")
    world = os.path.join(tmp, "stateless-world.json")
    hr_world(world, "abc", "Your salary review ({})")
    os.makedirs(store)
    out = subprocess.run(
        [WFSTORE, "token", "create", "--agent", "nobody", "--grants",
         '{"find": false, "run": false}', "--store", store],
        capture_output=True, text=True)
    nobody_token = out.stdout.strip()
    srv = Server(store, world)
    listening = None
    try:
        token = open(os.path.join(store, "local.token")).read().strip()
        c = Stateless(srv, token)

        st, h, msg = c.call("server/discover")
        result = (msg or {}).get("result") or {}
        check("stateless: server/discover names 2026-07-28",
              st == 200 and "2026-07-28" in result.get("supportedVersions", [])
              and result.get("resultType") == "complete" and
              "mcp-session-id" not in h, f"{st} {msg}")
        st, h, msg = c.call("tools/list")
        result = (msg or {}).get("result") or {}
        check("stateless: tools/list without a session, cacheable privately",
              st == 200 and result.get("tools") and
              result.get("cacheScope") == "private", f"{st} {str(msg)[:200]}")

        # The headers mirror the body.
        body = c.body("tools/list")
        for name, extra in (
                ("Mcp-Method missing", {"Mcp-Method": None}),
                ("Mcp-Method not the body's", {"Mcp-Method": "tools/call"}),
                ("MCP-Protocol-Version missing",
                 {"MCP-Protocol-Version": None})):
            st, _, msg = c.post(body, **extra)
            check(f"stateless: {name}: 400 HeaderMismatch",
                  st == 400 and error_code(msg) == -32020, f"{st} {msg}")
        call = c.body("tools/call", {"name": "find_workflows",
                                     "arguments": {"query": "delete mail"}})
        for name, value in (("missing", None), ("not the body's", "get_run")):
            st, _, msg = c.post(call, **{"Mcp-Name": value})
            check(f"stateless: Mcp-Name {name}: 400 HeaderMismatch",
                  st == 400 and error_code(msg) == -32020, f"{st} {msg}")
        st, _, msg = c.post(call, **{"Mcp-Name":
                                     "=?base64?ZmluZF93b3JrZmxvd3M=?="})
        check("stateless: a Base64 Mcp-Name is decoded",
              st == 200 and (msg.get("result") or {}).get(
                  "structuredContent", {}).get("match") is True, f"{st} {msg}")

        # Revisions, metadata, methods.
        st, _, msg = c.call("tools/list", meta={
            "io.modelcontextprotocol/protocolVersion": "2099-01-01"},
            **{"MCP-Protocol-Version": "2099-01-01"})
        data = ((msg or {}).get("error") or {}).get("data") or {}
        check("stateless: an unknown revision: 400 UnsupportedProtocolVersion",
              st == 400 and error_code(msg) == -32022 and
              "2026-07-28" in data.get("supported", []) and
              data.get("requested") == "2099-01-01", f"{st} {msg}")
        st, _, msg = c.call("tools/list", meta={
            "io.modelcontextprotocol/protocolVersion": "2025-11-25"})
        check("stateless: a header revision not the body's: 400 "
              "HeaderMismatch", st == 400 and error_code(msg) == -32020,
              f"{st} {msg}")
        st, _, msg = c.call("tools/frobnicate", **{"Mcp-Method": "tools/list"})
        check("stateless: Mcp-Method not an unknown body method's: 400 "
              "HeaderMismatch", st == 400 and error_code(msg) == -32020,
              f"{st} {msg}")
        st, _, msg = c.call("tools/list", meta={
            "io.modelcontextprotocol/clientCapabilities": None})
        check("stateless: no clientCapabilities: 400 invalid params",
              st == 400 and error_code(msg) == -32602, f"{st} {msg}")
        for method in ("tools/frobnicate", "ping", "initialize"):
            st, _, msg = c.call(method)
            check(f"stateless: {method}: 404 method not found",
                  st == 404 and error_code(msg) == -32601, f"{st} {msg}")
        st, _, b = request(srv, "POST", {
            "jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 1}},
            {"Authorization": f"Bearer {token}",
             "MCP-Protocol-Version": "2026-07-28"})
        check("stateless: a notification: 202", st == 202, f"{st} {b}")
        st, _, b = request(srv, "POST", {
            "jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 1, "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28"}}},
            {"Authorization": f"Bearer {token}"})
        check("stateless: a notification with _meta and no headers: 202",
              st == 202, f"{st} {b}")

        # A confirmation: the call asks for input; the retry answers it.
        def delete(message_id, **more):
            return c.call("tools/call", {
                "name": "run_workflow",
                "arguments": {"name": "mail.delete_message", "arguments": {
                    "id": message_id, "mailbox": "INBOX"}}, **more})

        st, _, msg = delete("b")
        first = (msg or {}).get("result") or {}
        asked = first.get("inputRequests") or {}
        question = asked.get("question-0") or {}
        check("stateless: the call asks for the person's answer "
              "(the run's first question: question-0)",
              first.get("resultType") == "input_required" and
              list(asked) == ["question-0"] and
              question.get("method") == "elicitation/create" and
              "salary" in json.dumps(question.get("params")) and
              isinstance(first.get("requestState"), str), f"{st} {msg}")
        check("stateless: nothing deleted while the person is asked",
              inbox(world) == ["a", "b", "c"], str(inbox(world)))
        state = first.get("requestState", "")
        accept = {"action": "accept", "content": {"approve": True}}
        approve = {"question-0": accept}
        st, _, msg = delete("b", inputResponses={"question": accept},
                            requestState=state)
        check("stateless: an answer under another key answers nothing",
              ((msg or {}).get("result") or {}).get("resultType") ==
              "input_required" and inbox(world) == ["a", "b", "c"],
              f"{msg} {inbox(world)}")
        tampered = state[:-1] + ("0" if state[-1:] != "0" else "1")
        st, _, msg = delete("b", inputResponses=approve,
                            requestState=tampered)
        check("stateless: a tampered state is refused",
              error_code(msg) == -32602 and inbox(world) == ["a", "b", "c"],
              f"{msg} {inbox(world)}")
        st, _, msg = delete("c", inputResponses=approve, requestState=state)
        check("stateless: a state is refused for other arguments",
              error_code(msg) == -32602 and inbox(world) == ["a", "b", "c"],
              f"{msg} {inbox(world)}")
        st, _, msg = delete("b", requestState=state)
        again = (msg or {}).get("result") or {}
        check("stateless: a retry without the answer asks again",
              again.get("resultType") == "input_required" and
              inbox(world) == ["a", "b", "c"], f"{msg}")
        state = again.get("requestState", state)
        st, _, msg = delete("b", inputResponses=approve, requestState=state)
        done = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: the approved retry completes the run",
              done.get("outcome") == "completed" and inbox(world) == ["a", "c"],
              f"{msg} {inbox(world)}")
        st, _, msg = delete("b", inputResponses=approve, requestState=state)
        replay = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: the state replayed shows the run, runs nothing",
              replay.get("run_id") == done.get("run_id") and
              replay.get("outcome") == "completed" and
              inbox(world) == ["a", "c"], f"{msg} {inbox(world)}")
        st, _, msg = delete("c")
        state = ((msg or {}).get("result") or {}).get("requestState", "")
        st, _, msg = delete("c", requestState=state, inputResponses={
            "question-0": {"action": "decline"}})
        denied = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: declined in the retry: denied, nothing deleted",
              denied.get("outcome") == "denied" and inbox(world) == ["a", "c"],
              f"{msg} {inbox(world)}")
        quiet = Stateless(srv, token, capabilities={})
        st, _, msg = quiet.call("tools/call", {
            "name": "run_workflow",
            "arguments": {"name": "mail.delete_message", "arguments": {
                "id": "c", "mailbox": "INBOX"}}})
        waiting = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: without elicitation the run waits for the person",
              waiting.get("outcome") == "waiting" and
              inbox(world) == ["a", "c"], f"{msg}")

        # List changes on a subscriptions/listen stream.
        def listen():
            body = c.body("subscriptions/listen", {"notifications": {
                "toolsListChanged": True, "resourcesListChanged": True}})
            return EventStream(srv, "POST", {
                **c.headers(body), "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream"}, body), body

        stream, body = listen()
        ev = stream.event() or {}
        ack = json.loads(ev.get("data") or "{}")
        sub = "io.modelcontextprotocol/subscriptionId"
        check("listen: acknowledged with its filter and id",
              ack.get("method") == "notifications/subscriptions/acknowledged"
              and ack["params"]["notifications"] == {
                  "toolsListChanged": True, "resourcesListChanged": True}
              and ack["params"]["_meta"][sub] == body["id"], str(ack))
        subprocess.run([WFSTORE, "yank", "--store", store, "--key",
                        os.path.join(store, "keys", "store.key"),
                        "--reason", "withdrawn for the test",
                        "contacts.lookup@1.0.0"],
                       capture_output=True, check=True, timeout=30)
        heard = set()
        while "notifications/resources/list_changed" not in heard:
            ev = stream.event()
            if ev is None:
                break
            note = json.loads(ev.get("data") or "{}")
            if note.get("params", {}).get("_meta", {}).get(sub) == body["id"]:
                heard.add(note.get("method"))
        check("listen: a yank is heard on the stream, tagged",
              "notifications/resources/list_changed" in heard, str(heard))
        stream.close()
        st, _, msg = c.call("tools/list")
        check("stateless: still serving after a listener left", st == 200,
              f"{st} {msg}")

        # Subscriptions hold no worker and no call slot, but an agent holds
        # at most 8; an agent that may neither find nor run has none.
        held = [listen()[0] for _ in range(8)]
        acked = all(json.loads((h.event() or {}).get("data") or "{}").get(
            "method") == "notifications/subscriptions/acknowledged"
            for h in held)
        body = c.body("subscriptions/listen",
                      {"notifications": {"toolsListChanged": True}})
        st, _, b = request(srv, "POST", body, c.headers(body))
        check("listen: an agent's ninth subscription: 503",
              acked and st == 503 and b"per agent" in b, f"{acked} {st} {b}")
        st, _, msg = c.call("tools/call", {
            "name": "find_workflows", "arguments": {"query": "delete mail"}})
        check("listen: calls go on beside an agent's subscriptions",
              st == 200 and "result" in (msg or {}), f"{st} {msg}")
        held.pop().close()
        reopened = None
        for _ in range(50):
            again, _ = listen()
            if again.status != 503:
                reopened = again.status
                held.append(again)
                break
            again.close()
            time.sleep(0.05)
        check("listen: a subscription closed gives its place back",
              reopened == 200, str(reopened))
        for h in held:
            h.close()
        nobody = Stateless(srv, nobody_token)
        st, _, b = request(srv, "POST", body, nobody.headers(body))
        msg = rpc_body(b, "text/event-stream" if b.startswith(b"id:") or
                       b.startswith(b"event:") else "application/json")
        check("listen: refused to an agent that may neither find nor run",
              error_code(msg) == -32001, f"{st} {b[:300]}")
        listening, body = listen()
        listening.event()
    finally:
        started = time.monotonic()
        rc = srv.stop()
        took = time.monotonic() - started
        check("stateless: the server stops cleanly and promptly with a "
              "listener", rc == 0 and took < 10, f"exit {rc} in {took:.1f} s")
    if listening is not None:
        ev = listening.event() or {}
        end = json.loads(ev.get("data") or "{}")
        check("listen: the server's stop ends the subscription with its result",
              end.get("id") == body["id"] and
              end.get("result", {}).get("_meta", {}).get(
                  "io.modelcontextprotocol/subscriptionId") == body["id"],
              str(end))


DELETE_TWO = """workflow mail.delete_two 1.0.0 {
  summary "Delete two email messages, each after the person confirms it."
  intent "delete two emails"
  input first: mail.MessageId "Id of the first message."
  input second: mail.MessageId "Id of the second message."
  input mailbox: mail.Mailbox "Mailbox the messages are in."
  output deleted: int "How many messages were deleted."
  uses mail.read, mail.delete
  scope mail.mailbox = mailbox
  limit mail.delete <= 2
  run {
    let a = mail.get(first)
    confirm "Delete the message {a.subject} from {a.from}?"
    mail.delete(a.id)
    let b = mail.get(second)
    confirm "Delete the message {b.subject} from {b.from}?"
    mail.delete(b.id)
    return { deleted: 2 }
  }
  test "deletes both after two confirmations" {
    given mail.messages = [
      {id: "a", mailbox: "INBOX", subject: "one"},
      {id: "b", mailbox: "INBOX", subject: "two"}
    ]
    call { first: "a", second: "b", mailbox: "INBOX" }
    approve
    approve
    expect outcome == "completed"
  }
}
"""


def fixture_stateless_cases(tmp):
    """2026-07-28 on the conformance fixture's tools, whether the server
    answers calls with SSE or JSON: a request that needs a client capability
    the client did not declare ends with MissingRequiredClientCapability
    (-32021) under HTTP 400, for calls and prompts alike; a parameter a tool
    mirrors into a header (x-mcp-header) must arrive in its Mcp-Param-*
    field, agreeing with the body."""
    for mode in ("sse", "json"):
        store = os.path.join(tmp, f"capability-store-{mode}")
        world = os.path.join(tmp, f"capability-world-{mode}.json")
        with open(world, "w") as f:
            json.dump({}, f)
        extra = ["--fixture", "conformance", "--no-auth"]
        target = os.path.join(tmp, f"elsewhere-{mode}.key")
        if mode == "json":
            extra.append("--json-responses")
            # A state key that is a symlink (here to a key readable by
            # anyone) is not used: a key of the store's own replaces it.
            os.makedirs(store, mode=0o700)
            with open(target, "w") as f:
                f.write("ab" * 32 + "\n")
            os.symlink(target, os.path.join(store, "mcp-state.key"))
        srv = Server(store, world, *extra)
        if mode == "json":
            key = os.path.join(store, "mcp-state.key")
            st = os.lstat(key)
            check("fixture (json): a symlinked state key is replaced by a "
                  "file of the store's own",
                  not os.path.islink(key) and st.st_mode & 0o777 == 0o600 and
                  open(key).read() != "ab" * 32 + "\n" and
                  open(target).read() == "ab" * 32 + "\n",
                  f"{oct(st.st_mode)}")
        try:
            bare = Stateless(srv, "unused", capabilities={})
            st, h, msg = bare.call("tools/call",
                                   {"name": "test_missing_capability",
                                    "arguments": {}})
            data = ((msg or {}).get("error") or {}).get("data") or {}
            check(f"fixture ({mode}): an undeclared one is 400 -32021 "
                  "naming it",
                  st == 400 and error_code(msg) == -32021 and
                  data.get("requiredCapabilities") == {"sampling": {}} and
                  h.get("content-type", "").startswith("application/json"),
                  f"{st} {h.get('content-type')} {msg}")
            st, _, msg = bare.call("prompts/get",
                                   {"name": "test_input_required_result_prompt"})
            check(f"fixture ({mode}): a prompt's too",
                  st == 400 and error_code(msg) == -32021, f"{st} {msg}")
            sampling = Stateless(srv, "unused", capabilities={"sampling": {}})
            st, _, msg = sampling.call("tools/call",
                                       {"name": "test_missing_capability",
                                        "arguments": {}})
            result = (msg or {}).get("result") or {}
            check(f"fixture ({mode}): declared, the call asks through an "
                  "input request",
                  st == 200 and result.get("resultType") == "input_required" and
                  result.get("inputRequests", {}).get("sample", {}).get(
                      "method") == "sampling/createMessage", f"{st} {msg}")
            # A parameter the tool mirrors into a header (x-mcp-header):
            # the field must be there and agree with the body.
            mirrored = {"name": "test_mirrored_param",
                        "arguments": {"region": "us-west1"}}
            for name, field, want in (
                    ("plain", "us-west1", 200),
                    ("Base64", "=?base64?dXMtd2VzdDE=?=", 200),
                    ("missing", None, 400),
                    ("not the body's", "eu-north1", 400),
                    ("bad Base64", "=?base64?dXMtd2VzdDE?=", 400)):
                st, _, msg = sampling.call("tools/call", mirrored, **{
                    "Mcp-Param-Region": field})
                ok = (st == 200 and error_code(msg) is None) if want == 200 \
                    else (st == 400 and error_code(msg) == -32020)
                check(f"fixture ({mode}): Mcp-Param-Region {name}: {want}",
                      ok, f"{st} {msg}")
            # One field each: two of them (an intermediary may read the
            # other one) are refused.
            body = sampling.body("tools/call", mirrored)
            for name, dup in (("Mcp-Param-Region", "eu-north1"),
                              ("Mcp-Name", "test_simple_text"),
                              ("Mcp-Method", "tools/list")):
                conn = http.client.HTTPConnection(srv.host, srv.port,
                                                  timeout=30)
                conn.putrequest("POST", srv.path)
                data = json.dumps(body).encode()
                for k, v in {**sampling.headers(body),
                             "Mcp-Param-Region": "us-west1",
                             "Content-Type": "application/json",
                             "Accept": "application/json, text/event-stream",
                             "Content-Length": str(len(data))}.items():
                    conn.putheader(k, v)
                conn.putheader(name, dup)
                conn.endheaders(data)
                r = conn.getresponse()
                payload = r.read()
                conn.close()
                msg = rpc_body(payload, r.getheader("content-type", ""))
                check(f"fixture ({mode}): {name} twice: 400 -32020",
                      r.status == 400 and error_code(msg) == -32020,
                      f"{r.status} {msg}")
            # Other errors of a call keep 200 (the transport names only
            # this one).
            st, _, msg = sampling.call("tools/call",
                                       {"name": "no_such_tool", "arguments": {}})
            check(f"fixture ({mode}): an unknown tool is still 200 -32602",
                  st == 200 and error_code(msg) == -32602, f"{st} {msg}")
        finally:
            rc = srv.stop()
            check(f"fixture ({mode}): the server stops cleanly", rc == 0,
                  f"exit {rc}")


def shared_key_cases(tmp):
    """Servers started at once on a new store share one state key: a state
    one of them seals opens on every other."""
    store = os.path.join(tmp, "shared-key-store")
    world = os.path.join(tmp, "shared-key-world.json")
    with open(world, "w") as f:
        json.dump({}, f)
    procs = [subprocess.Popen(
        [WFSTORE, "serve", "--http", "127.0.0.1:0", "--store", store,
         "--world", world, "--quiet", "--fixture", "conformance",
         "--no-auth"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)]
    servers = []
    try:
        for proc in procs:
            line = proc.stdout.readline()
            m = re.match(r"wfstore: serving MCP at (http://([^:/]+):(\d+)"
                         r"(/\S*))", line)
            srv = Server.__new__(Server)
            srv.proc = proc
            if m:
                srv.url, srv.host, srv.port, srv.path = (
                    m.group(1), m.group(2), int(m.group(3)), m.group(4))
                servers.append(srv)
        check("shared key: four servers started at once on a new store",
              len(servers) == 4, f"{len(servers)} started")
        call = {"name": "test_input_required_result_request_state",
                "arguments": {}}
        first = Stateless(servers[0], "unused")
        st, _, msg = first.call("tools/call", call)
        state = ((msg or {}).get("result") or {}).get("requestState", "")
        opened = []
        for srv in servers[1:]:
            st, _, msg = Stateless(srv, "unused").call(
                "tools/call", {**call, "requestState": state,
                               "inputResponses": {"confirm": {
                                   "action": "accept",
                                   "content": {"ok": True}}}})
            text = json.dumps((msg or {}).get("result") or {})
            opened.append("state-ok" in text)
        check("shared key: a state one sealed opens on the others",
              len(state) > 0 and opened == [True, True, True],
              f"{opened} {msg}")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


def stateless_answer_cases(tmp):
    """A stateless answer acts only on the question its requestState asked:
    never without a state, never on the run's next question."""
    store = os.path.join(tmp, "answer-store")
    world = os.path.join(tmp, "answer-world.json")
    hr_world(world, "abcd", "Message {}")
    srv = Server(store, world)
    try:
        token = open(os.path.join(store, "local.token")).read().strip()
        c = Stateless(srv, token)
        quiet = Stateless(srv, token, capabilities={})
        accept = {"action": "accept", "content": {"approve": True}}
        approve = {"question-0": accept}

        def run(client, name, args, **more):
            return client.call("tools/call", {
                "name": "run_workflow",
                "arguments": {"name": name, "arguments": args}, **more})

        # A run waiting for `wfstore approve`; then inputResponses without
        # the requestState that asked the question.
        st, _, msg = run(quiet, "mail.delete_message",
                         {"id": "a", "mailbox": "INBOX"})
        waiting = ((msg or {}).get("result") or {}).get("structuredContent", {})
        st, _, msg = c.call("tools/call", {
            "name": "answer_run", "arguments": {"run_id": waiting.get("run_id")},
            "inputResponses": approve})
        r = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: inputResponses without a requestState answer nothing",
              r.get("outcome") != "completed" and
              inbox(world) == ["a", "b", "c", "d"], f"{msg} {inbox(world)}")

        # Two questions in one run: the first round's state and answer, sent
        # again (a lost response retried, a replay), must not confirm the
        # second question, which the person never saw.
        two = os.path.join(tmp, "delete_two.wf")
        with open(two, "w") as f:
            f.write(DELETE_TWO)
        subprocess.run([WFSTORE, "publish", "--store", store, "--key",
                        os.path.join(store, "keys", "store.key"), two],
                       capture_output=True, check=True, timeout=30)
        both = {"first": "b", "second": "c", "mailbox": "INBOX"}
        st, _, msg = run(c, "mail.delete_two", both)
        s1 = ((msg or {}).get("result") or {}).get("requestState", "")
        st, _, msg = run(c, "mail.delete_two", both, inputResponses=approve,
                         requestState=s1)
        q2 = (msg or {}).get("result") or {}
        check("stateless: the first answer leads to the second question",
              q2.get("resultType") == "input_required" and
              "Message c" in json.dumps(q2.get("inputRequests")) and
              "b" not in inbox(world), f"{msg} {inbox(world)}")
        st, _, msg = run(c, "mail.delete_two", both, inputResponses=approve,
                         requestState=s1)
        check("stateless: the first round's answer, sent again, does not "
              "answer the second question",
              "c" in inbox(world), f"{msg} {inbox(world)}")
        st, _, msg = run(c, "mail.delete_two", both, requestState=s1,
                         inputResponses={"question-0": accept,
                                         "question-1": accept})
        check("stateless: nor does an answer to the second question under "
              "the first question's state",
              "c" in inbox(world) and
              ((msg or {}).get("result") or {}).get("resultType") ==
              "input_required", f"{msg} {inbox(world)}")
        s2 = q2.get("requestState", "")
        st, _, msg = run(c, "mail.delete_two", both, requestState=s2,
                         inputResponses={"question-1": accept})
        done = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: the second question's own state and answer "
              "complete the run", done.get("outcome") == "completed" and
              inbox(world) == ["a", "d"], f"{msg} {inbox(world)}")

        # A state outlives the server that sealed it (the key is the
        # store's, STORE/mcp-state.key): the person answers after a restart.
        one = {"id": "d", "mailbox": "INBOX"}
        st, _, msg = run(c, "mail.delete_message", one)
        s3 = ((msg or {}).get("result") or {}).get("requestState", "")
        key_path = os.path.join(store, "mcp-state.key")
        mode = os.stat(key_path).st_mode & 0o777
        check("stateless: the state key is the store's, readable by its "
              "owner only", len(s3) > 0 and mode == 0o600, f"{oct(mode)} {msg}")
        rc = srv.stop()
        srv = Server(store, world)
        c = Stateless(srv, token)
        st, _, msg = run(c, "mail.delete_message", one, requestState=s3,
                         inputResponses=approve)
        done = ((msg or {}).get("result") or {}).get("structuredContent", {})
        check("stateless: a state sealed before a restart answers after it",
              rc == 0 and done.get("outcome") == "completed" and
              inbox(world) == ["a"], f"exit {rc} {msg} {inbox(world)}")
        # Another key (a store's key replaced): earlier states are refused.
        st, _, msg = run(c, "mail.delete_two",
                         {"first": "a", "second": "a", "mailbox": "INBOX"})
        asked = (msg or {}).get("result") or {}
        s4 = asked.get("requestState", "")
        check("stateless: a second run asks before the key is replaced",
              asked.get("resultType") == "input_required" and len(s4) > 0,
              f"{msg}")
        srv.stop()
        with open(key_path, "w") as f:
            f.write("00" * 32 + "\n")
        srv = Server(store, world)
        c = Stateless(srv, token)
        st, _, msg = run(c, "mail.delete_two",
                         {"first": "a", "second": "a", "mailbox": "INBOX"},
                         requestState=s4, inputResponses=approve)
        check("stateless: under another key the state is refused",
              error_code(msg) == -32602 and inbox(world) == ["a"],
              f"{msg} {inbox(world)}")
    finally:
        srv.stop()


TASKS = "io.modelcontextprotocol/tasks"


def stateless_task_cases(tmp):
    """The tasks extension (2026-07-28): a run that waits for the person's
    answer from the CLI, called by a client that cannot elicit but follows
    tasks, is answered with the run as a task; the task follows the run
    through `wfstore approve` or `deny` to its end, outlives a restart,
    belongs to its caller, and is refused to a client that did not declare
    the extension."""
    store = os.path.join(tmp, "task-store")
    world = os.path.join(tmp, "task-world.json")
    hr_world(world, "abc", "Message {}")
    os.makedirs(store)
    out = subprocess.run(
        [WFSTORE, "token", "create", "--agent", "other", "--store", store],
        capture_output=True, text=True)
    other_token = out.stdout.strip()
    srv = Server(store, world)
    try:
        token = open(os.path.join(store, "local.token")).read().strip()
        c = Stateless(srv, token, capabilities={"extensions": {TASKS: {}}})
        plain = Stateless(srv, token, capabilities={})
        other = Stateless(srv, other_token,
                          capabilities={"extensions": {TASKS: {}}})

        st, _, msg = c.call("server/discover")
        caps = ((msg or {}).get("result") or {}).get("capabilities", {})
        check("tasks: server/discover offers the extension",
              TASKS in caps.get("extensions", {}) and "tasks" not in caps,
              f"{caps}")

        def delete(client, mid):
            return client.call("tools/call", {
                "name": "run_workflow",
                "arguments": {"name": "mail.delete_message",
                              "arguments": {"id": mid, "mailbox": "INBOX"}}})

        # A run that touches nothing waiting: no task, the result at once.
        st, _, msg = c.call("tools/call", {
            "name": "find_workflows", "arguments": {"query": "delete mail"}})
        r = (msg or {}).get("result") or {}
        check("tasks: a call that does not wait is answered at once",
              st == 200 and r.get("resultType") == "complete" and
              "taskId" not in r, f"{st} {msg}")

        st, _, msg = delete(c, "a")
        created = (msg or {}).get("result") or {}
        task = created.get("taskId", "")
        check("tasks: a run waiting for the person is answered with a task",
              st == 200 and created.get("resultType") == "task" and task and
              created.get("status") == "working" and
              "ttlMs" in created and created["ttlMs"] is None and
              "requestState" not in created and inbox(world) == ["a", "b", "c"],
              f"{st} {msg}")
        st, _, msg = c.call("tasks/get", {"taskId": task})
        got = (msg or {}).get("result") or {}
        run = re.search(r"wfstore approve (r-[0-9a-f]+)",
                        got.get("statusMessage", ""))
        check("tasks: tasks/get shows the run waiting for the person",
              st == 200 and got.get("status") == "working" and run and
              got.get("resultType") == "complete" and
              run.group(1) == task, f"{st} {msg}")
        st, _, msg = other.call("tasks/get", {"taskId": task})
        check("tasks: another caller's task is unknown to it",
              error_code(msg) == -32602, f"{st} {msg}")
        st, _, msg = plain.call("tasks/get", {"taskId": task})
        check("tasks: tasks/get without the extension: 400 -32021",
              st == 400 and error_code(msg) == -32021 and
              TASKS in json.dumps(msg["error"].get("data")), f"{st} {msg}")
        body = c.body("tasks/get", {"taskId": task})
        st, _, msg = c.post(body, **{"Mcp-Name": "some-other-task"})
        check("tasks: Mcp-Name not the taskId: 400 HeaderMismatch",
              st == 400 and error_code(msg) == -32020, f"{st} {msg}")

        # The person approves from the command line; the task follows.
        if run:
            out = subprocess.run(
                [WFSTORE, "approve", run.group(1), "--store", store],
                capture_output=True, text=True, timeout=60)
            check("tasks: wfstore approve", out.returncode == 0, out.stderr)
        deadline = time.monotonic() + 15
        done = {}
        while time.monotonic() < deadline:
            st, _, msg = c.call("tasks/get", {"taskId": task})
            done = (msg or {}).get("result") or {}
            if done.get("status") != "working":
                break
            time.sleep(0.1)
        result = done.get("result") or {}
        check("tasks: the task completes with the run's result",
              done.get("status") == "completed" and
              result.get("resultType") == "complete" and
              result.get("structuredContent", {}).get("outcome") ==
              "completed" and inbox(world) == ["b", "c"], f"{done}")

        # Cancelling is acknowledged; the task, which is the run, still
        # waits for the person.
        st, _, msg = delete(c, "b")
        task2 = ((msg or {}).get("result") or {}).get("taskId", "")
        st, _, msg = c.call("tasks/cancel", {"taskId": task2})
        ack = (msg or {}).get("result") or {}
        st, _, msg = c.call("tasks/get", {"taskId": task2})
        after = (msg or {}).get("result") or {}
        check("tasks: tasks/cancel acknowledges; the run still waits",
              ack.get("resultType") == "complete" and "status" not in ack and
              after.get("status") == "working" and
              inbox(world) == ["b", "c"] and
              len(waiting_runs(store)) == 1, f"{ack} {after}")
        st, _, msg = other.call("tasks/cancel", {"taskId": task2})
        check("tasks: another caller cannot cancel it", error_code(msg) == -32602,
              f"{msg}")

        # The task lives in the journal: it outlives the server, and another
        # server on the store answers for it.
        rc = srv.stop()
        srv = Server(store, world)
        c = Stateless(srv, token, capabilities={"extensions": {TASKS: {}}})
        plain = Stateless(srv, token, capabilities={})
        st, _, msg = c.call("tasks/get", {"taskId": task2})
        back = (msg or {}).get("result") or {}
        check("tasks: a task outlives a restart",
              rc == 0 and back.get("status") == "working", f"exit {rc} {msg}")
        # (A denied run ends `wfstore deny` with exit status 1.)
        out = subprocess.run([WFSTORE, "deny", task2, "--store", store],
                             capture_output=True, text=True, timeout=60)
        st, _, msg = c.call("tasks/get", {"taskId": task2})
        denied = (msg or {}).get("result") or {}
        r = denied.get("result") or {}
        check("tasks: the person's denial ends it: completed, a tool error",
              out.returncode == 1 and denied.get("status") == "completed" and
              r.get("isError") is True and
              r.get("structuredContent", {}).get("outcome") == "denied" and
              inbox(world) == ["b", "c"], f"{out.stderr} {msg}")
        # A client without the extension gets the run id to poll instead.
        st, _, msg = delete(plain, "c")
        r = (msg or {}).get("result") or {}
        check("tasks: without the extension the run id comes back to poll",
              r.get("resultType") == "complete" and "taskId" not in r and
              r.get("structuredContent", {}).get("outcome") == "waiting",
              f"{msg}")
    finally:
        rc = srv.stop()
        check("tasks: the server stops cleanly", rc == 0, f"exit {rc}")


def slow_clients(srv, n):
    """Connections that send half a request head, a byte at a time."""
    socks = []
    for _ in range(n):
        s = socket.create_connection((srv.host, srv.port), timeout=30)
        s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s)
    return socks


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        # A token without the run scope, made before the server starts.
        os.makedirs(store)
        out = subprocess.run(
            [WFSTORE, "token", "create", "--agent", "x", "--grants",
             '{"run": false}', "--store", store],
            capture_output=True, text=True)
        check("token create --grants '{\"run\": false}'",
              out.returncode == 0 and out.stdout.strip(), out.stderr)
        finder_token = out.stdout.strip()
        world = os.path.join(tmp, "world.json")
        with open(world, "w") as f:
            json.dump({"mail": {"messages": [
                {"id": "a", "mailbox": "INBOX", "from": "ann@example.com",
                 "subject": "Lunch?"},
                {"id": "b", "mailbox": "INBOX", "from": "hr@example.com",
                 "subject": "Your salary review"}]}}, f)
        srv = Server(store, world)
        try:
            run_cases(srv, store, finder_token)
            token = open(os.path.join(store, "local.token")).read().strip()
            resumption_cases(srv, token)
            half_closed_case(srv, token)
            # A call waiting for the person does not hold up the stop
            # (its session is closed first, which cancels it).
            pending = Session(srv, token, capabilities={"elicitation": {}})
            waiting = start_delete(srv, pending, 9, "a")
            check("a call waits for the person when the server stops",
                  await_question(waiting) is not None)
        finally:
            started = time.monotonic()
            rc = srv.stop()
            took = time.monotonic() - started
            check("server stops cleanly on SIGTERM", rc == 0, f"exit {rc}")
            check("and promptly, though a call was waiting for the person",
                  took < 10, f"{took:.1f} s")
        check("the resumed run deleted the one message",
              inbox(world) == ["a"], str(inbox(world)))
        abandoned_call_case(store, world)
        task_ends_with_its_session_case(store, world)
        stateless_cases(tmp)
        stateless_answer_cases(tmp)
        stateless_task_cases(tmp)
        fixture_stateless_cases(tmp)
        shared_key_cases(tmp)
        srv2 = subprocess.run(
            [WFSTORE, "serve", "--http", "127.0.0.1:0", "--store",
             os.path.join(tmp, "fresh"), "--resume-grace", "0"],
            capture_output=True, text=True, timeout=30)
        check("--resume-grace 0 is refused before anything is written",
              srv2.returncode == 2 and "--resume-grace" in srv2.stderr and
              not os.path.exists(os.path.join(tmp, "fresh")),
              f"{srv2.returncode} {srv2.stderr}")
    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        sys.exit(1)
    print("all passed")


def run_cases(srv, store, finder_token):
    token = open(os.path.join(store, "local.token")).read().strip()
    slow = slow_clients(srv, 16)
    slow_started = time.monotonic()
    s = Session(srv, token)
    s.alive("initialize")

    # Protected Resource Metadata (RFC 9728).
    st, h, b = request(srv, "GET", path="/.well-known/oauth-protected-resource")
    meta = json.loads(b) if st == 200 else {}
    check("protected resource metadata",
          st == 200 and h.get("content-type", "").startswith(
              "application/json") and meta.get("resource") == srv.url
          and meta.get("bearer_methods_supported") == ["header"]
          and "run" in meta.get("scopes_supported", []), f"{st} {b[:200]}")

    # No token, a bad token: 401 pointing at the metadata.
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    for name, auth in (("no token", None),
                       ("a bad token", "Bearer wfs_nope")):
        st, h, b = request(srv, "POST", ping,
                           {"Authorization": auth, "Mcp-Session-Id": s.sid})
        www = h.get("www-authenticate", "")
        check(f"{name}: 401 with WWW-Authenticate resource_metadata",
              st == 401 and www.startswith("Bearer ") and
              "resource_metadata=\"http://127.0.0.1:" in www and
              "/.well-known/oauth-protected-resource\"" in www, f"{st} {www}")
        s.alive(name)

    # Oversized body: refused from its Content-Length, before it is read.
    sock = socket.create_connection((srv.host, srv.port), timeout=30)
    sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\n"
                 b"Content-Length: 67108864\r\n\r\n" + b"{" * 1024)
    head = sock.recv(4096).decode(errors="replace")
    sock.close()
    check("oversized body: 413", head.startswith("HTTP/1.1 413"), head[:80])
    s.alive("an oversized body")

    # Malformed JSON: 400 with a parse error.
    st, h, b = request(srv, "POST", raw=b'{"jsonrpc": "2.0", "id": 1, "meth',
                       headers=s.headers())
    msg = json.loads(b) if b else {}
    check("malformed JSON: 400 with -32700",
          st == 400 and msg.get("error", {}).get("code") == -32700, f"{st} {b}")
    s.alive("malformed JSON")

    # A batch: refused (MCP has no batches since 2025-06-18).
    st, h, b = request(srv, "POST", [ping, ping], s.headers())
    msg = json.loads(b) if b else {}
    check("batch: 400 with -32600",
          st == 400 and msg.get("error", {}).get("code") == -32600, f"{st} {b}")
    s.alive("a batch")

    # Unknown method.
    st, _, msg = s.call("tools/frobnicate")
    check("unknown method: -32601",
          st == 200 and msg.get("error", {}).get("code") == -32601,
          f"{st} {msg}")
    s.alive("an unknown method")

    # Wrong protocol version header.
    st, _, msg = s.call("ping", **{"MCP-Protocol-Version": "1999-01-01"})
    check("unsupported MCP-Protocol-Version: 400",
          st == 400 and msg.get("error", {}).get("code") == -32600,
          f"{st} {msg}")
    s.alive("a wrong protocol version")

    # Content type and Accept.
    st, _, _ = request(srv, "POST", raw=b"ping", headers={
        **s.headers(), "Content-Type": "text/plain"})
    check("Content-Type not JSON: 415", st == 415, str(st))
    st, _, _ = request(srv, "POST", ping, {**s.headers(), "Accept": "text/html"})
    check("Accept without JSON: 406", st == 406, str(st))
    s.alive("bad Content-Type and Accept")

    # Missing and unknown sessions.
    st, _, b = request(srv, "POST", ping, {"Authorization": f"Bearer {token}"})
    check("missing Mcp-Session-Id: 400", st == 400, f"{st} {b}")
    st, _, b = request(srv, "POST", ping, s.headers(
        **{"Mcp-Session-Id": "0123456789abcdef0123456789abcdef"}))
    check("unknown session: 404", st == 404, f"{st} {b}")
    s.alive("missing and unknown sessions")

    # A session belongs to its caller: another agent's token cannot use it.
    st, _, b = request(srv, "POST", ping, s.headers(
        Authorization=f"Bearer {finder_token}"))
    check("another agent's session: 404", st == 404, f"{st} {b}")

    # Browser origins and DNS rebinding.
    st, _, b = request(srv, "POST", ping,
                       s.headers(Origin="http://evil.example.com"))
    check("bad Origin: 403", st == 403, f"{st} {b}")
    st, _, b = request(srv, "POST", ping,
                       s.headers(Origin=f"http://localhost:{srv.port}"))
    check("loopback Origin: 200", st == 200, f"{st} {b}")
    st, _, b = request(srv, "POST", ping, s.headers(Host="evil.example.com"))
    check("non-loopback Host (DNS rebinding): 403", st == 403, f"{st} {b}")
    s.alive("bad origins and hosts")

    # A token without the run scope: 403 insufficient_scope before the call;
    # the find scope still works.
    f = Session(srv, finder_token)
    st, h, msg = f.call("tools/call", {"name": "run_workflow", "arguments": {
        "name": "mail.delete_message", "arguments": {}}})
    www = h.get("www-authenticate", "")
    check("token without run scope: 403 insufficient_scope",
          st == 403 and 'error="insufficient_scope"' in www and
          'scope="run"' in www, f"{st} {www} {msg}")
    st, h, msg = f.call("tools/call", {"name": "find_workflows",
                                       "arguments": {"query": "delete mail"}})
    check("the same token may find workflows",
          st == 200 and "result" in (msg or {}) and
          not msg["result"].get("isError"), f"{st} {msg}")
    s.alive("an insufficient scope")

    # DELETE ends the session.
    st, _, _ = request(srv, "DELETE", headers=f.headers())
    check("DELETE ends the session: 204", st == 204, str(st))
    st, _, _ = f.call("ping")
    check("the ended session is gone: 404", st == 404, str(st))
    s.alive("DELETE")

    # Slow clients: served around, then dropped at the header timeout.
    closed = 0
    for sock in slow:
        remaining = max(0.5, 15 - (time.monotonic() - slow_started))
        sock.settimeout(remaining)
        try:
            data = sock.recv(4096)
            closed += 1 if data == b"" or data.startswith(b"HTTP/1.1 408") else 0
        except (socket.timeout, ConnectionResetError):
            closed += 0 if isinstance(sys.exc_info()[1], socket.timeout) else 1
        sock.close()
    check("slow clients are dropped at the header timeout",
          closed == len(slow), f"{closed} of {len(slow)}")
    s.alive("slow clients")


if __name__ == "__main__":
    main()
