#!/usr/bin/env python3
"""A running `wfstore serve --http` follows the catalog as the command line
changes it: a workflow published and promoted by `wfstore publish` and
`wfstore promote` (another process) is found and runs without a restart,
and a yanked one is no longer found. A session's GET stream hears each
change of the resources list (notifications/resources/list_changed), also
one made while its connection was down (resumed with Last-Event-ID), and
the tools list change when a workflow taken through every gate becomes
stable; a session without a GET stream goes on working.

Environment: WFSTORE (the binary). Exit status 1 when any check fails.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_robustness_test import (  # noqa: E402
    FAILS, EventStream, Server, Session, check)

WFSTORE = os.environ["WFSTORE"]

ZEBRA = """workflow weather.zebra_forecast 1.0.0 {
  summary "Forecast the weather for zebras."
  intent "zebra weather forecast"

  input place: string "Where the zebras are."
  output text: string reveal "The forecast."

  run {
    return { text: "sunny in {place}" }
  }

  test "forecasts" {
    call { place: "Serengeti" }
    expect output.text == "sunny in Serengeti"
  }
}
"""


def cli(*args):
    r = subprocess.run([WFSTORE, *args], capture_output=True, text=True)
    # Named by its words, without paths and options.
    words, skip = [], False
    for a in args:
        if skip or os.path.isabs(a):
            skip = False
            continue
        skip = a.startswith("--")
        if not skip:
            words.append(a)
    check("wfstore " + " ".join(words), r.returncode == 0, r.stderr.strip())


def find(session, query):
    st, _, msg = session.call("tools/call", {
        "name": "find_workflows", "arguments": {"query": query}})
    if st != 200 or not msg or "result" not in msg:
        return {"error": f"status {st}, {msg}"}
    return msg["result"]["structuredContent"]


def next_message(stream, seen=None):
    """The next JSON-RPC message on an SSE stream (priming events, which
    carry no data, skipped); None when the stream ends or stays silent for
    the socket's timeout. Notes each event's id in seen["id"]."""
    while True:
        try:
            ev = stream.event()
        except OSError:
            return None
        if ev is None:
            return None
        if seen is not None and ev.get("id"):
            seen["id"] = ev["id"]
        if ev.get("data", "").strip():
            return json.loads(ev["data"])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        world = os.path.join(tmp, "world.json")
        with open(world, "w") as f:
            f.write('{"mail": {"messages": []}}')
        srv = Server(store, world)
        try:
            with open(os.path.join(store, "local.token")) as f:
                token = f.read().strip()
            s = Session(srv, token)
            quiet = Session(srv, token)  # never opens a GET stream
            seen = {"id": None}
            listen = EventStream(srv, "GET", {**s.headers(),
                                              "Accept": "text/event-stream"})
            check("the session's GET stream opens", listen.status == 200,
                  listen.status)
            listen.sock.settimeout(10)
            found = find(s, "zebra weather forecast")
            check("before: no workflow fits", found.get("match") is False,
                  found)

            wf = os.path.join(tmp, "zebra.wf")
            with open(wf, "w") as f:
                f.write(ZEBRA)
            key = os.path.join(tmp, "meteo")
            cli("keygen", "--out", key)
            cli("publish", "--store", store, "--key", key + ".key", wf)
            m = next_message(listen, seen)
            check("published: the stream hears the resources list changed",
                  m is not None and
                  m.get("method") == "notifications/resources/list_changed"
                  and "id" not in m, m)
            cli("promote", "--store", store, "--key", key + ".key",
                "weather.zebra_forecast@1.0.0", "tested")
            # The server looks every 250 ms: three looks with nothing to say.
            listen.sock.settimeout(0.8)
            m = next_message(listen, seen)
            check("promoted: no list changed, nothing heard", m is None, m)
            listen.sock.settimeout(10)
            found = find(s, "zebra weather forecast")
            top = (found.get("results") or [{}])[0]
            check("published by another process: found",
                  found.get("match") is True and
                  top.get("name") == "weather.zebra_forecast", found)
            check("with the stage it was promoted to",
                  top.get("stage") == "tested", top)

            st, _, msg = s.call("tools/call", {
                "name": "run_workflow",
                "arguments": {"name": "weather.zebra_forecast",
                              "arguments": {"place": "Serengeti"}}})
            out = (msg or {}).get("result", {}).get("structuredContent", {})
            check("and it runs", out.get("outcome") == "completed" and
                  out.get("outputs", {}).get("text") == "sunny in Serengeti",
                  msg)

            # The GET stream's connection drops; the yank happens while the
            # client is away; it comes back for what it missed.
            listen.close()
            time.sleep(0.3)
            cli("yank", "--store", store, "--key", key + ".key",
                "--reason", "wrong animal", "weather.zebra_forecast@1.0.0")
            time.sleep(0.8)
            check("the stream's events carry ids", seen["id"] is not None,
                  seen)
            listen = EventStream(srv, "GET", {
                **s.headers(), "Accept": "text/event-stream",
                "Last-Event-ID": seen["id"] or ""})
            check("the GET stream resumes", listen.status == 200,
                  listen.status)
            listen.sock.settimeout(10)
            m = next_message(listen, seen)
            check("yanked while away: the resumed stream hears it",
                  m is not None and
                  m.get("method") == "notifications/resources/list_changed",
                  m)
            st, _, msg = s.call("resources/list")
            uris = [r.get("uri") for r in
                    (msg or {}).get("result", {}).get("resources", [])]
            check("and the resources list no longer shows it",
                  st == 200 and uris and
                  "wfstore://workflow/weather.zebra_forecast" not in uris,
                  uris)

            found = find(s, "zebra weather forecast")
            names = [r.get("name") for r in found.get("results", [])]
            check("yanked by another process: no longer found",
                  found.get("match") is False and
                  "weather.zebra_forecast" not in names, found)

            # A workflow taken through every gate to stable by the command
            # line becomes a tool of its own: the stream hears the tools
            # list change, and tools/list shows it.
            giraffe = os.path.join(tmp, "giraffe.wf")
            with open(giraffe, "w") as f:
                f.write(ZEBRA.replace("zebra", "giraffe"))
            ref = "weather.giraffe_forecast@1.0.0"
            reviewer = os.path.join(tmp, "reviewer")
            cli("keygen", "--out", reviewer)
            cli("config", "--store", store, "required-reviews", "1")
            cli("publish", "--store", store, "--key", key + ".key", giraffe)
            m = next_message(listen, seen)
            check("another workflow published: a resources change",
                  m is not None and
                  m.get("method") == "notifications/resources/list_changed",
                  m)
            for step in (["promote", ref, "tested"], ["harden", ref],
                         ["promote", ref, "hardened"],
                         ["review", ref, "--comment", "ok"],
                         ["promote", ref, "reviewed"],
                         ["promote", ref, "canary"],
                         ["rollout", "start", ref, "--share", "1",
                          "--min-runs", "1", "--soak", "0"]):
                signer = reviewer if step[0] == "review" else key
                extra = ([] if step[0] in ("harden", "rollout")
                         else ["--key", signer + ".key"])
                cli(*step, "--store", store, *extra)
            st, _, msg = s.call("tools/call", {
                "name": "run_workflow",
                "arguments": {"name": "weather.giraffe_forecast",
                              "arguments": {"place": "Etosha"}}})
            out = (msg or {}).get("result", {}).get("structuredContent", {})
            check("the canary runs", out.get("outcome") == "completed", msg)
            cli("promote", ref, "stable", "--store", store, "--key",
                key + ".key")
            m = next_message(listen, seen)
            check("stable: the stream hears the tools list change",
                  m is not None and
                  m.get("method") == "notifications/tools/list_changed", m)
            st, _, msg = s.call("tools/list")
            tools = [t.get("name") for t in
                     (msg or {}).get("result", {}).get("tools", [])]
            check("and tools/list offers it as its own tool",
                  "weather.giraffe_forecast" in tools, tools)
            listen.close()
            s.alive("the catalog changed many times")
            quiet.alive("changes it had no stream to hear")
        finally:
            rc = srv.stop()
        check("server stops cleanly", rc == 0, f"exit {rc}")
    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
