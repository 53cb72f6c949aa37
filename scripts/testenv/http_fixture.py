#!/usr/bin/python3
"""HTTP fixture server for wfstore's tests: a GitHub-like JSON API on loopback.

Every request is recorded as one JSON line in --requests (method, path,
query, headers, body), except the server's own health check.

GET (and HEAD) serve files from --fixtures, read afresh on every request so a
test may add fixtures while the server runs. For the path /a/b/c it tries
  <fixtures>/a/b/c.json, <fixtures>/a/b/c/index.json, <fixtures>/a/b/c
and answers 404 {"message": "Not Found"} when none exists.

Writes (POST, PUT, PATCH, DELETE) need "Authorization: Bearer <token>" or
"Authorization: token <token>" when --token is given (401 otherwise, as
GitHub answers). Then:
  * POST /repos/OWNER/NAME/issues/N/comments with a JSON body {"body": ...}
    creates a comment: 201 with a GitHub-like comment object; later GETs of
    that path list the fixture's comments (if any) followed by those posted;
  * any other write is answered from a fixture <path>.<METHOD>.json (e.g.
    issues/1.PATCH.json) with 200, or 404 when there is none.

GET /_wfs/health answers {"ok": true, "nonce": <--nonce>} so the starter can
tell this server from anything else on the port. The port is chosen by the
kernel (port 0 unless --port says otherwise) and written to --port-file.
"""
import argparse
import datetime
import json
import os
import re
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMENTS_RE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments/?$")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.comments = {}  # path -> [comment]
        self.next_id = 1000


class Handler(BaseHTTPRequestHandler):
    server_version = "wfs-testenv-http/1"
    protocol_version = "HTTP/1.1"
    state: State = None

    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % a))

    # -- helpers ---------------------------------------------------------
    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _record(self, body):
        if self.path.startswith("/_wfs/"):
            return
        url = urllib.parse.urlsplit(self.path)
        rec = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        with self.state.lock:
            with open(self.state.args.requests, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")

    def _send(self, status, obj=None, raw=None, ctype="application/json; charset=utf-8"):
        data = raw if raw is not None else (json.dumps(obj, indent=2) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _fixture(self, path, suffix=""):
        root = os.path.realpath(self.state.args.fixtures)
        rel = urllib.parse.unquote(path).strip("/")
        candidates = ([rel + suffix + ".json"] if suffix else
                      [rel + ".json", os.path.join(rel, "index.json"), rel])
        for c in candidates:
            full = os.path.realpath(os.path.join(root, c))
            if (full == root or not full.startswith(root + os.sep)
                    or not os.path.isfile(full)):
                continue
            with open(full, "rb") as f:
                return f.read()
        return None

    def _issue_exists(self, m):
        owner, name, number = m.groups()
        return self._fixture("/repos/%s/%s/issues/%s" % (owner, name, number)) is not None

    def _authorized(self):
        token = self.state.args.token
        if not token:
            return True
        auth = self.headers.get("Authorization", "")
        return auth in ("Bearer " + token, "token " + token)

    # -- methods -----------------------------------------------------------
    def do_GET(self):
        body = self._read_body()
        self._record(body)
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_wfs/health":
            return self._send(200, {"ok": True, "nonce": self.state.args.nonce})
        data = self._fixture(path)
        m = COMMENTS_RE.match(path)
        if m and self._issue_exists(m):
            key = path.rstrip("/")
            with self.state.lock:
                posted = list(self.state.comments.get(key, []))
            base = json.loads(data) if data is not None else []
            return self._send(200, base + posted)
        if data is None:
            return self._send(404, {"message": "Not Found",
                                    "documentation_url": "wfs-testenv"})
        ctype = "application/json; charset=utf-8"
        if not path.endswith((".json", "/")) and not data.lstrip()[:1] in (b"{", b"["):
            ctype = "application/octet-stream"
        return self._send(200, raw=data, ctype=ctype)

    do_HEAD = do_GET

    def _write(self):
        body = self._read_body()
        self._record(body)
        if not self._authorized():
            return self._send(401, {"message": "Bad credentials",
                                    "documentation_url": "wfs-testenv"})
        path = urllib.parse.urlsplit(self.path).path
        m = COMMENTS_RE.match(path)
        if m and self.command == "POST":
            if not self._issue_exists(m):
                return self._send(404, {"message": "Not Found",
                                        "documentation_url": "wfs-testenv"})
            try:
                payload = json.loads(body or b"{}")
                text = payload["body"]
                if not isinstance(text, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return self._send(422, {"message": "Validation Failed",
                                        "errors": [{"field": "body",
                                                    "code": "missing_field"}]})
            owner, name, number = m.groups()
            key = path.rstrip("/")
            now = datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            with self.state.lock:
                self.state.next_id += 1
                cid = self.state.next_id
                base = "http://%s:%d" % self.server.server_address[:2]
                comment = {
                    "id": cid,
                    "url": "%s/repos/%s/%s/issues/comments/%d" % (base, owner, name, cid),
                    "html_url": "%s/%s/%s/issues/%s#issuecomment-%d" % (
                        base, owner, name, number, cid),
                    "issue_url": "%s/repos/%s/%s/issues/%s" % (base, owner, name, number),
                    "body": text,
                    "user": {"login": "wfs-testenv", "id": 1, "type": "User"},
                    "created_at": now,
                    "updated_at": now,
                }
                self.state.comments.setdefault(key, []).append(comment)
            return self._send(201, comment)
        data = self._fixture(path, "." + self.command)
        if data is None:
            return self._send(404, {"message": "Not Found",
                                    "documentation_url": "wfs-testenv"})
        return self._send(200, raw=data)

    do_POST = do_PUT = do_PATCH = do_DELETE = _write


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--requests", required=True, help="JSON lines file")
    ap.add_argument("--token", default="")
    ap.add_argument("--nonce", default="")
    args = ap.parse_args()

    open(args.requests, "a").close()
    Handler.state = State(args)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    sys.stderr.write("wfs-testenv HTTP fixture server on %s:%d\n" % (args.host, port))
    sys.stderr.flush()

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.1)
    server.server_close()


if __name__ == "__main__":
    main()
