#!/usr/bin/env python3
"""vtoc-mcp scaled out: three stateless replicas behind a real load balancer.

Started here, all on 127.0.0.1 with free ports: the demo vTOC backend
(`vtoc-mcp demo-backend`), three replicas (`vtoc-mcp serve`) with the Kubernetes base's
settings (deploy/k8s/base/settings.env: stateless, ...) plus a shared request-state key
file, a shared state store (Debian's redis-server), an admin token and writes on, and nginx (Debian's package, a private config in a
temporary directory, round-robin, one process) in front. Then, with the official MCP
Python SDK (`mcp`, which speaks the 2025 sessions and stateless 2026-07-28):

  clients      a 2026-07-28 client and a 2025 client list and call tools through the
               balancer, their requests spread over the replicas
  confirm      a destructive call's 2026 confirmation is asked by one replica and
               completed by another (nginx's X-Upstream header and each replica's audit
               log say which); the confirmed request replayed on every replica is refused
               by each, through the shared store (redis-server, MCP_STATE_URL)
  foreign-key  a replica with another request-state key refuses the fleet's sealed state
               with a clear error, and nothing reaches the backend
  store        a 2026-07-28 call's stream cut on one replica is resumed (Last-Event-ID)
               through the balancer on another, which delivers the result once; with
               redis-server stopped, a confirmed delete is refused naming the store and
               nothing changes, reads work, /healthz says degraded; when it is back, the
               same replicas confirm and run the delete, with no restart
  throughput   the same load through the balancer to 1 replica, then to 3: calls/s, p50, p99
  sigterm      one replica is stopped with SIGTERM under load (2025 and 2026 callers
               creating POIs): no completed call is lost (the backend holds exactly the
               POIs whose creation the callers saw succeed), calls in flight finish, new
               ones are refused cleanly (a tool error or a retriable HTTP status, never a
               hang), readiness fails while draining, later calls land on the others

Prints one line per check and "scale-test: N passed, M failed"; exits 1 on any failure.
Every process it starts is stopped on exit. Results: target/scale/results.json; logs
and audit files: target/scale/. Usage: scripts/scale-test.sh (which sets up the venv).
"""

import argparse
import asyncio
import contextlib
import ctypes
import http.client
import http.server
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "scale-admin-" + secrets.token_hex(24)
DRAINING = "the MCP server is shutting down"
V2026 = "2026-07-28"
V2025 = "2025-11-25"


# ---- processes --------------------------------------------------------------------

def _die_with_parent():
    # PR_SET_PDEATHSIG: if this driver is killed outright, its children go with it.
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)


class Processes:
    def __init__(self, logs: Path):
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name, argv, env=None, log_name=None):
        log = open(self.logs / f"{log_name or name}.log", "ab")
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self, name, sig=signal.SIGTERM, wait=10.0):
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(sig)
        try:
            return proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def stop_all(self):
        for name in reversed(list(self.procs)):
            if self.procs[name].poll() is None:
                self.procs[name].terminate()
        deadline = time.monotonic() + 5
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def http_get(port, path, timeout=2.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def wait_healthy(port, proc, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering")
        with contextlib.suppress(OSError):
            if http_get(port, "/healthz", 1.0)[0] == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer /healthz on 127.0.0.1:{port} within {timeout} s")


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settings_env():
    """deploy/k8s/base/settings.env: what every replica runs with in Kubernetes."""
    out = {}
    for line in (ROOT / "deploy/k8s/base/settings.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            out[k] = v
    return out


# ---- the delaying proxy (a slow backend for one replica) ---------------------------

def delay_proxy(listen, upstream, delay):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if not self.path.startswith("/openapi"):
                time.sleep(delay)
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            r = conn.getresponse()
            data = r.read()
            conn.close()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", listen), Handler)
    server.daemon_threads = True
    server.serve_forever()


# ---- nginx ---------------------------------------------------------------------------

NGINX_CONF = """\
# Written by scripts/scale-test.py: loopback only, one process, everything in {tmp}.
master_process off;
daemon off;
pid {tmp}/nginx.pid;
error_log {logs}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  log_format scale '$msec $status "$request" upstream=$upstream_addr upstream_status=$upstream_status rt=$request_time';
  access_log {logs}/nginx-access.log scale buffer=64k flush=1s;
  # Round-robin over the three replicas. A replica that refuses connections is skipped
  # (and retried after 30 s); a request already sent is never resent (POST).
  upstream fleet {{
{fleet}
    keepalive 32;
  }}
  # The same load to one replica, for the 1-vs-3 comparison.
  upstream solo {{
    server 127.0.0.1:{solo};
    keepalive 32;
  }}
{servers}
}}
"""

NGINX_SERVER = """\
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 60s;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
"""


def nginx_binary():
    for candidate in ("/usr/sbin/nginx", "nginx"):
        if os.path.isabs(candidate) and os.access(candidate, os.X_OK):
            return candidate
    from shutil import which
    found = which("nginx")
    if not found:
        raise RuntimeError("nginx is not installed (scripts/scale-test.sh installs Debian's package)")
    return found


# ---- MCP over raw HTTP (the load and the hand-built legs) ----------------------------

def rpc(era, method, params, rid=1):
    params = dict(params)
    if era == V2026:
        params["_meta"] = {"io.modelcontextprotocol/protocolVersion": V2026,
                           "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode()


def rpc_headers(era, method, name=None):
    h = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
         ("Authorization", f"Bearer {ADMIN}"), ("MCP-Protocol-Version", era)]
    if era == V2026:
        h.append(("Mcp-Method", method))
        if name:
            h.append(("Mcp-Name", name))
    return h


class RawConn:
    """One keep-alive HTTP/1.1 connection, lean enough to load a replica from Python."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, body, headers):
        try:
            return await self._post(body, headers)
        except BaseException:
            await self.close()
            raise

    async def _post(self, body, headers):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        self.writer.write(head.encode() + body)
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("connection closed before a response")
        status = int(line.split()[1])
        hdrs = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            data = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.read()
            await self.close()
        if hdrs.get("connection", "").lower() == "close":
            await self.close()
        return status, hdrs, data


def tool_result(status, data):
    """(outcome, text): ok | refused (a tool error saying the replica drains) | http_<status>
    (a retriable status from the balancer) | error (anything else)."""
    if status in (502, 503, 504):
        return f"http_{status}", data[:200].decode(errors="replace")
    if status != 200:
        return "error", f"HTTP {status}: {data[:300]!r}"
    body = data
    if body.startswith(b"event:") or body.startswith(b"data:") or b"\ndata:" in body:
        body = [ln[5:] for ln in body.split(b"\n") if ln.startswith(b"data:") and ln[5:].strip()][-1]
    msg = json.loads(body)
    if "error" in msg:
        return "error", json.dumps(msg["error"])[:300]
    result = msg["result"]
    text = " ".join(c.get("text", "") for c in result.get("content") or [])
    if result.get("isError"):
        return ("refused" if DRAINING in text else "error"), text[:300]
    return "ok", text


def last_upstream(hdrs):
    return (hdrs.get("x-upstream") or "").split(",")[-1].split(":")[-1].strip()


# ---- the test -----------------------------------------------------------------------

class ScaleTest:
    def __init__(self, args):
        self.args = args
        self.out = ROOT / "target/scale"
        self.out.mkdir(parents=True, exist_ok=True)
        for old in [*self.out.glob("*.log"), *self.out.glob("*.jsonl")]:
            old.unlink()
        self.tmp = Path(tempfile.mkdtemp(prefix="vtoc-scale-"))
        self.procs = Processes(self.out)
        self.passed, self.failed = [], []
        self.results = {"binary": str(args.bin)}
        self.key_file = self.tmp / "request_state_key"
        self.key_file.write_text(secrets.token_urlsafe(48))
        self.foreign_key_file = self.tmp / "foreign_request_state_key"
        self.foreign_key_file.write_text(secrets.token_urlsafe(48))
        self.tokens_file = self.tmp / "mcp_auth_tokens"
        self.tokens_file.write_text(f"scale:admin:{ADMIN}\n")
        # The tools each step drives, by role (`vtoc-mcp tools --roles`), so a renamed
        # operation does not change what this test does.
        roles = json.loads(subprocess.run([str(args.bin), "tools", "--roles"], capture_output=True, check=True).stdout)
        things = roles["collection"]
        self.id_param = things["id"]
        self.list_path, self.read_path = things["list"]["path"], things["read"]["path"]
        self.t_list, self.t_read = things["list"]["name"], things["read"]["name"]
        self.t_create, self.t_delete = things["create"]["name"], things["delete"]["name"]
        self.t_context = roles["reads_context"]["name"]
        self.results["roles"] = {"list": self.t_list, "read": self.t_read, "create": self.t_create,
                                 "delete": self.t_delete, "context": self.t_context}

    # -- checks --
    def check(self, ok, name, detail=""):
        (self.passed if ok else self.failed).append(name)
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        return ok

    # -- set-up --
    def replica_env(self, name, port, backend_port, key_file, store=True):
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TZ") if k in os.environ}
        env.update(settings_env())
        env.update({
            "MCP_BIND": f"127.0.0.1:{port}",
            "VTOC_API_BASE_URL": f"http://127.0.0.1:{backend_port}",
            "MCP_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MCP_AUTH_TOKENS_FILE": str(self.tokens_file),
            "MCP_REQUEST_STATE_KEY_FILE": str(key_file),
            "MCP_ALLOW_WRITES": "true",
            "MCP_MAX_CONCURRENT_CALLS": "64",
            "MCP_AUDIT_LOG": str(self.out / f"audit-{name}.jsonl"),
            "VTOC_MCP_LOG_FORMAT": "text",
        })
        if store:
            env["MCP_STATE_URL"] = f"redis://127.0.0.1:{self.redis}"
        return env

    def start_replica(self, name, port, backend_port, key_file=None, log_name=None, store=True):
        env = self.replica_env(name, port, backend_port, key_file or self.key_file, store)
        argv = [str(self.args.bin), "serve", "--transport", "http", "--bind", f"127.0.0.1:{port}"]
        proc = self.procs.start(name, argv, env, log_name)
        wait_healthy(port, proc, name)
        return proc

    def setup(self):
        (self.backend, self.r1, self.r2, self.r3, self.rx, self.slow,
         self.lb_fleet, self.lb_solo, self.redis, self.r4) = free_ports(10)
        self.replicas = {"r1": self.r1, "r2": self.r2, "r3": self.r3}
        self.by_port = {str(p): n for n, p in self.replicas.items()}
        self.by_port[str(self.rx)] = "rx"
        proc = self.procs.start("demo-backend", [str(self.args.bin), "demo-backend", "--bind", f"127.0.0.1:{self.backend}"],
                                {"PATH": os.environ.get("PATH", "")})
        wait_healthy(self.backend, proc, "demo-backend")
        self.start_redis()
        for name, port in self.replicas.items():
            self.start_replica(name, port, self.backend)
        self.start_replica("rx", self.rx, self.backend, self.foreign_key_file, store=False)
        fleet = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in self.replicas.values())
        servers = "".join(NGINX_SERVER.format(port=p, upstream=u) for p, u in
                          ((self.lb_fleet, "fleet"), (self.lb_solo, "solo")))
        conf = self.tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=self.tmp, logs=self.out, fleet=fleet, solo=self.r1, servers=servers))
        (self.out / "nginx.conf").write_text(conf.read_text())
        proc = self.procs.start("nginx", [nginx_binary(), "-e", str(self.out / "nginx-error.log"), "-p", str(self.tmp), "-c", str(conf)])
        for port in (self.lb_fleet, self.lb_solo):
            wait_healthy(port, proc, "nginx")
        print(f"  demo backend :{self.backend}; replicas r1 :{self.r1}, r2 :{self.r2}, r3 :{self.r3} "
              f"(rx :{self.rx}, another key, no store); nginx round-robin :{self.lb_fleet}, one replica :{self.lb_solo}"
              f"; redis-server :{self.redis} (MCP_STATE_URL of r1-r3)", flush=True)

    def start_redis(self):
        """Debian's redis-server on loopback, nothing saved to disk: the replicas' MCP_STATE_URL."""
        proc = self.procs.start("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis),
                                          "--save", "", "--appendonly", "no"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.redis), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return proc
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited ({proc.returncode}); see {self.out}/redis.log")
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def audit(self, name):
        path = self.out / f"audit-{name}.jsonl"
        if not path.exists():
            return []
        return [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]

    def backend_pois(self):
        status, body = http_get(self.backend, self.list_path, 10)
        assert status == 200, status
        return json.loads(body)

    def create_poi(self, name):
        conn = http.client.HTTPConnection("127.0.0.1", self.backend, timeout=10)
        conn.request("POST", self.list_path, body=json.dumps({"name": name}), headers={"Content-Type": "application/json"})
        poi = json.loads(conn.getresponse().read())
        conn.close()
        return poi["id"]

    def poi_exists(self, poi_id):
        return http_get(self.backend, self.read_path.replace("{" + self.id_param + "}", str(poi_id)), 5)[0] == 200

    # -- SDK clients --
    def sdk_client(self, port, mode, seen, accept=True):
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client
        import mcp_types as types

        async def on_response(response):
            body = {}
            with contextlib.suppress(Exception):
                body = json.loads(response.request.content or b"{}")
            params = body.get("params") or {}
            seen.append({"method": body.get("method") or response.request.method, "tool": params.get("name"),
                         "has_state": "requestState" in params, "body": body, "status": response.status_code,
                         "replica": self.by_port.get(last_upstream(response.headers), "?")})

        async def elicit(_context, _params):
            return types.ElicitResult(action="accept", content={"confirm": True}) if accept else types.ElicitResult(action="decline")

        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30,
                                  event_hooks={"response": [on_response]})
        return Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http), mode=mode,
                      elicitation_callback=elicit, client_info=types.Implementation(name="scale-test", version="1"))

    async def step_clients(self):
        print("clients: a 2026-07-28 and a 2025 client through the round-robin balancer", flush=True)
        served = json.loads(http_get(self.r1, "/healthz")[1])["tools"]  # an admin with writes sees them all
        for label, mode, expect in (("2026-07-28 client", "auto", V2026), ("2025 client", "legacy", "2025-")):
            seen = []
            target = self.create_poi(f"scale-clients-{mode}")
            async with self.sdk_client(self.lb_fleet, mode, seen) as client:
                version = client.protocol_version
                tools = (await client.list_tools()).tools
                stations = await client.call_tool(self.t_list, {})
                poi = await client.call_tool(self.t_read, {self.id_param: 2})
                imei = await client.call_tool(self.t_context, {})
                destructive = await client.call_tool(self.t_delete, {self.id_param: target})
            names = {t.name for t in tools}
            replicas = sorted({s["replica"] for s in seen if s["method"] in ("tools/list", "tools/call")})
            ok = (version.startswith(expect) and len(tools) == served and self.t_delete in names
                  and not stations.is_error and not poi.is_error and not imei.is_error)
            self.check(ok, f"{label} ({version}) lists {len(tools)} tools and calls {self.t_list}, {self.t_read}, {self.t_context}",
                       f"{len([s for s in seen if s['method'] == 'tools/call'])} calls")
            self.check(len(replicas) >= 2 and "?" not in replicas, f"{label}: its requests were answered by several replicas",
                       ", ".join(replicas))
            text = destructive.content[0].text if destructive.content else ""
            if mode == "legacy":
                self.check(destructive.is_error and "MCP_STATELESS=true" in text and "nothing was changed" in text and self.poi_exists(target),
                           "2025 client, stateless: a destructive call is refused, not run (MCP_CONFIRM_FALLBACK=deny)",
                           text[:90])
                self.results["clients_2025_destructive"] = text
            else:
                self.check(not destructive.is_error and not self.poi_exists(target),
                           "2026-07-28 client: a destructive call is confirmed over input_required and runs", text[:60])

    async def confirm_through(self, port, poi_id):
        seen = []
        async with self.sdk_client(port, V2026, seen) as client:
            result = await client.call_tool(self.t_delete, {self.id_param: poi_id})
        legs = [s for s in seen if s["method"] == "tools/call" and s["tool"] == self.t_delete]
        return result, legs

    async def step_confirm(self):
        print("confirm: a 2026 confirmation asked by one replica, completed by another", flush=True)
        crossed = None
        for attempt in range(4):
            poi_id = self.create_poi(f"scale-confirm-{attempt}")
            result, legs = await self.confirm_through(self.lb_fleet, poi_id)
            if len(legs) == 2 and legs[0]["replica"] != legs[1]["replica"]:
                crossed = (poi_id, result, legs)
                break
        if not self.check(crossed is not None, "the two legs of a confirmation reached different replicas",
                          "" if crossed else f"legs: {[(l['replica'], l['has_state']) for l in legs]}"):
            return
        poi_id, result, legs = crossed
        ask, done = legs[0]["replica"], legs[1]["replica"]
        text = result.content[0].text if result.content else ""
        self.check(not result.is_error and "204" in text and not self.poi_exists(poi_id),
                   f"{self.t_delete} {poi_id}: asked by {ask}, confirmed and run by {done}", text[:60])
        decisions = {n: [(a["decision"], a.get("status")) for a in self.audit(n)
                         if a.get("tool") == self.t_delete and (a.get("targets") or {}).get(self.id_param) == poi_id]
                     for n in self.replicas}
        expected = {n: [] for n in self.replicas}
        expected[ask] = [("confirmation_requested", None)]
        expected[done] = [("confirmation_accepted", None), ("allowed", 204)]
        self.check(decisions == expected, "the replicas' audit logs agree: one asked, the other ran the DELETE",
                   json.dumps(decisions))
        self.results["confirm"] = {"poi_id": poi_id, "asked_by": ask, "completed_by": done}

        # Replays of the confirmed request on every replica (docs/security.md section 3, "Each
        # state answers once"): the replicas share MCP_STATE_URL, so none runs it again.
        body = json.dumps(legs[1]["body"]).encode()
        headers = rpc_headers(V2026, "tools/call", self.t_delete)
        refused = {}
        for name, port in self.replicas.items():
            conn = RawConn(port)
            outcome, text = tool_result(*(await conn.post(body, headers))[::2])
            await conn.close()
            refused[name] = outcome == "error" and "already used" in text
        decisions = {n: [a["decision"] for a in self.audit(n)
                         if a.get("tool") == self.t_delete and (a.get("targets") or {}).get(self.id_param) == poi_id]
                     for n in self.replicas}
        ran = sum(d.count("allowed") for d in decisions.values())
        replayed = sum(d.count("confirmation_replayed") for d in decisions.values())
        self.check(all(refused.values()) and ran == 1 and replayed == len(self.replicas),
                   "a confirmed request replayed on every replica is refused by each: the backend ran it once",
                   json.dumps(decisions))
        self.results["replays"] = decisions

    async def step_foreign_key(self):
        print("foreign-key: a replica with another request-state key", flush=True)
        poi_id = self.create_poi("scale-foreign-key")
        conn = RawConn(self.lb_fleet)
        headers = rpc_headers(V2026, "tools/call", self.t_delete)
        status, hdrs, data = await conn.post(rpc(V2026, "tools/call", {"name": self.t_delete, "arguments": {self.id_param: poi_id}}), headers)
        first = json.loads(data)["result"]
        state = first.get("requestState")
        asked = self.by_port.get(last_upstream(hdrs))
        self.check(first.get("resultType") == "input_required" and bool(state), f"the fleet ({asked}) asks and seals a state")
        answer = rpc(V2026, "tools/call", {"name": self.t_delete, "arguments": {self.id_param: poi_id}, "requestState": state,
                                           "inputResponses": {"confirm": {"action": "accept", "content": {"confirm": True}}}})
        foreign = RawConn(self.rx)
        outcome, text = tool_result(*(await foreign.post(answer, headers))[::2])
        await foreign.close()
        audit = [a["decision"] for a in self.audit("rx") if (a.get("targets") or {}).get(self.id_param) == poi_id]
        self.check(outcome == "error" and "invalid or expired" in text and self.poi_exists(poi_id),
                   "the replica with another key refuses it, and nothing is deleted", f"{text[:110]} (audit: {audit})")
        self.results["foreign_key_error"] = text
        outcome, text = tool_result(*(await conn.post(answer, headers))[::2])
        await conn.close()
        self.check(outcome == "ok" and not self.poi_exists(poi_id), "the same answer through the fleet completes", text[:60])

    async def load(self, port, workers, seconds, make_request, on_start=None):
        """`workers` keep-alive connections, each sending calls back to back for `seconds`."""
        calls = []
        stop_at = time.monotonic() + seconds
        stop = asyncio.Event()

        async def worker(w):
            conn = RawConn(port)
            i = 0
            while time.monotonic() < stop_at and not stop.is_set():
                body, headers, tag = make_request(w, i)
                t0 = time.monotonic()
                try:
                    status, hdrs, data = await asyncio.wait_for(conn.post(body, headers), self.args.call_timeout)
                    outcome, text = tool_result(status, data)
                    upstream = last_upstream(hdrs)
                except asyncio.TimeoutError:
                    outcome, text, upstream = "hang", f"no answer within {self.args.call_timeout} s", ""
                except Exception as e:  # noqa: BLE001 - every failure is an outcome
                    outcome, text, upstream = "error", f"{type(e).__name__}: {e}", ""
                calls.append({"w": w, "i": i, "tag": tag, "t0": t0, "t1": time.monotonic(), "outcome": outcome,
                              "text": text[:160], "replica": self.by_port.get(upstream, upstream)})
                i += 1
            await conn.close()

        tasks = [asyncio.create_task(worker(w)) for w in range(workers)]
        if on_start is not None:
            await on_start(stop)
        await asyncio.gather(*tasks)
        return calls

    async def step_throughput(self):
        print(f"throughput: the same load ({self.args.workers} keep-alive callers, 2026-07-28 {self.t_read}) "
              f"to 1 replica, then 3", flush=True)
        body = rpc(V2026, "tools/call", {"name": self.t_read, "arguments": {self.id_param: 2}})
        headers = rpc_headers(V2026, "tools/call", self.t_read)
        figures = {}
        for label, port in (("1 replica", self.lb_solo), ("3 replicas", self.lb_fleet)):
            await self.load(port, self.args.workers, 1.0, lambda w, i: (body, headers, None))  # warm-up
            watched = {n: self.procs.procs[n].pid for n in ("r1", "r2", "r3", "nginx", "demo-backend")}
            cpu_before = {n: cpu_seconds(pid) for n, pid in watched.items()}
            own_before = sum(os.times()[:2])
            t_start = time.monotonic()
            calls = await self.load(port, self.args.workers, self.args.seconds, lambda w, i: (body, headers, None))
            elapsed = max(c["t1"] for c in calls) - t_start
            cpu = {n: (cpu_seconds(pid) - cpu_before[n]) / elapsed for n, pid in watched.items()}
            cpu["client"] = (sum(os.times()[:2]) - own_before) / elapsed
            ok = [c for c in calls if c["outcome"] == "ok"]
            lat = sorted((c["t1"] - c["t0"]) * 1000 for c in ok)
            spread = {}
            for c in ok:
                spread[c["replica"]] = spread.get(c["replica"], 0) + 1
            fig = {"calls": len(calls), "ok": len(ok), "calls_per_s": round(len(ok) / elapsed, 1),
                   "p50_ms": round(lat[len(lat) // 2], 2), "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
                   "per_replica": dict(sorted(spread.items())),
                   "cpu_cores": {n: round(v, 2) for n, v in cpu.items()},
                   "bridge_cpu_ms_per_call": round(sum(cpu[n] for n in ("r1", "r2", "r3")) * elapsed * 1000 / max(1, len(ok)), 3)}
            figures[label] = fig
            busy = ", ".join(f"{n} {v:.2f}" for n, v in fig["cpu_cores"].items() if v >= 0.01)
            self.check(len(ok) == len(calls) and len(ok) > 0,
                       f"{label}: {fig['calls_per_s']} calls/s, p50 {fig['p50_ms']} ms, p99 {fig['p99_ms']} ms",
                       f"{len(ok)}/{len(calls)} ok, by replica {fig['per_replica']}; cores busy: {busy}")
        self.results["throughput"] = figures
        self.check(len(figures["3 replicas"]["per_replica"]) == 3, "round-robin used all three replicas")

    def start_delay_proxy(self):
        """A backend that answers in 250 ms (the demo backend behind a delaying proxy), once."""
        if "delay-proxy" in self.procs.procs:
            return
        proc = self.procs.start("delay-proxy", [sys.executable, __file__, "--delay-proxy", str(self.slow), str(self.backend), "0.25"])
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.slow), 0.5).close()
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the delaying proxy did not start")
            time.sleep(0.05)

    def cut_stream(self, port, rid):
        """A 2026-07-28 read that asks for debug logs, so its SSE stream opens before the
        (slow) backend answers; the stream is dropped after its first events. Returns the
        last event id seen and what was read."""
        params = {"name": self.t_read, "arguments": {self.id_param: 2},
                  "_meta": {"io.modelcontextprotocol/protocolVersion": V2026,
                            "io.modelcontextprotocol/clientCapabilities": {},
                            "io.modelcontextprotocol/logLevel": "debug"}}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/mcp", body=json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}),
                     headers=dict(rpc_headers(V2026, "tools/call", self.t_read)))
        response = conn.getresponse()
        seen, last = "", None
        while True:
            line = response.readline().decode()
            if not line:
                break
            seen += line
            if line.startswith("id:"):
                last = line[3:].strip()
                if "notifications/message" in seen:
                    break
        conn.close()
        return last, seen

    def resume(self, port, last):
        """GET /mcp with Last-Event-ID: (the replica that answered, the replay)."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conn.request("GET", "/mcp", headers={"Accept": "text/event-stream", "Authorization": f"Bearer {ADMIN}",
                                             "MCP-Protocol-Version": V2026, "Last-Event-ID": last})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        upstream = last_upstream({k.lower(): v for k, v in response.getheaders()})
        conn.close()
        return self.by_port.get(upstream, "?"), text

    async def step_store(self):
        print("store: the replicas share redis-server (MCP_STATE_URL): a stream resumed elsewhere, the store down and back",
              flush=True)
        # r4 has the store and a slow backend, and is not behind the balancer: a stream cut on
        # it can only be resumed elsewhere through the store.
        self.start_delay_proxy()
        self.start_replica("r4", self.r4, self.slow)
        self.by_port[str(self.r4)] = "r4"
        last, seen = await asyncio.to_thread(self.cut_stream, self.r4, 41)
        self.check(last is not None and '"id":41' not in seen, "a 2026-07-28 call's stream is cut on r4 before its result",
                   f"last event {last}")
        answered, replay, results = "?", "", 0
        for _ in range(50):
            await asyncio.sleep(0.1)
            answered, replay = await asyncio.to_thread(self.resume, self.lb_fleet, last)
            results = sum(1 for ln in replay.splitlines() if ln.startswith("data:") and '"id":41' in ln and '"result"' in ln)
            if results:
                break
        self.check(results == 1 and answered in self.replicas,
                   f"resumed through the balancer on {answered}, which never had the stream: the result, once",
                   f"{results} result(s)")
        self.procs.stop("r4")

        # The store stops: no confirmed call runs; reads go on; the replicas say so.
        self.procs.stop("redis")
        target = self.create_poi("scale-store-down")
        async with self.sdk_client(self.lb_fleet, V2026, []) as client:
            destructive = await client.call_tool(self.t_delete, {self.id_param: target})
            read = await client.call_tool(self.t_read, {self.id_param: 2})
        text = destructive.content[0].text if destructive.content else ""
        self.check(destructive.is_error and "MCP_STATE_URL" in text and "nothing was changed" in text and self.poi_exists(target),
                   "redis stopped: a confirmed delete is refused, naming the store, and nothing is deleted", text[:110])
        self.check(not read.is_error, "redis stopped: reads still work")
        health = {n: json.loads(http_get(p, "/healthz")[1]).get("status") for n, p in self.replicas.items()}
        self.check(set(health.values()) == {"degraded"}, "redis stopped: every replica's /healthz says degraded", str(health))

        # The store comes back on the same port: the replicas use it again, with no restart.
        self.start_redis()
        deleted = False
        for _ in range(20):
            async with self.sdk_client(self.lb_fleet, V2026, []) as client:
                again = await client.call_tool(self.t_delete, {self.id_param: target})
            if not again.is_error and not self.poi_exists(target):
                deleted = True
                break
            await asyncio.sleep(0.5)
        self.check(deleted, "redis back: the same replicas confirm and run the delete")

    async def step_sigterm(self):
        print("sigterm: one replica stopped under load", flush=True)
        # r3 is restarted behind a backend that answers in 250 ms, so that calls are
        # certainly in flight on it when SIGTERM arrives. (Its stop, idle, is a rolling
        # restart's first half: it exits at once with status 0.)
        rc = self.procs.stop("r3")
        self.check(rc == 0, "an idle replica stops at once on SIGTERM", f"exit status {rc}")
        self.start_delay_proxy()
        self.start_replica("r3", self.r3, self.slow, log_name="r3-restarted")
        victim = self.procs.procs["r3"]
        grace = int(settings_env()["MCP_SHUTDOWN_GRACE_SECS"])
        marks = {}

        def make(w, i):
            era = V2026 if w % 2 == 0 else V2025
            name = f"scale-load-{w}-{i}"
            params = {"name": self.t_create, "arguments": {"name": name}}
            return rpc(era, "tools/call", params, rid=i + 1), rpc_headers(era, "tools/call", self.t_create), name

        def term_and_watch():
            """SIGTERM, then /healthz until r3 exits. The first look goes over a connection
            opened before the signal, so it is answered even when the drain is short and the
            machine busy (a new connection may find the listener already gone)."""
            health = []
            conn = http.client.HTTPConnection("127.0.0.1", self.r3, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            marks["term"] = time.monotonic()
            victim.send_signal(signal.SIGTERM)
            while victim.poll() is None and time.monotonic() - marks["term"] < grace + 5:
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.r3, timeout=1)
                    conn.request("GET", "/healthz")
                    response = conn.getresponse()
                    body = response.read()
                    health.append(f"{response.status} {json.loads(body).get('status')}")
                    if (response.getheader("connection") or "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException):
                    health.append("closed")
                    if conn is not None:
                        conn.close()
                    conn = None
                time.sleep(0.02)
            return health

        async def kill_mid_load(stop):
            await asyncio.sleep(1.5)
            health = await asyncio.to_thread(term_and_watch)
            rc = await asyncio.to_thread(victim.wait, 10)
            marks["exit"] = time.monotonic()
            marks["rc"] = rc
            marks["health"] = health
            await asyncio.sleep(1.5)
            stop.set()

        calls = await self.load(self.lb_fleet, self.args.kill_workers, 30, make, kill_mid_load)
        term, exited = marks["term"], marks["exit"]
        counts = {}
        for c in calls:
            counts[c["outcome"]] = counts.get(c["outcome"], 0) + 1
        bad = [c for c in calls if c["outcome"] not in ("ok", "refused", "http_502", "http_503", "http_504")]
        self.check(not bad, f"{len(calls)} calls, each ok or cleanly refused: {counts}",
                   "; ".join(f"{c['tag']}: {c['outcome']} {c['text']}" for c in bad[:3]))
        longest = max(c["t1"] - c["t0"] for c in calls)
        self.check(longest < grace, f"no call hung: the longest took {longest:.2f} s")
        created = {p["name"] for p in self.backend_pois() if p["name"].startswith("scale-load-")}
        ok = {c["tag"] for c in calls if c["outcome"] == "ok"}
        lost, ghosts = created - ok, ok - created
        self.check(not lost and not ghosts and len(ok) == len([c for c in calls if c["outcome"] == "ok"]),
                   f"no completed call lost: the backend holds exactly the {len(ok)} POIs the callers saw created",
                   f"created but reported failed: {sorted(lost)[:5]}; reported but absent: {sorted(ghosts)[:5]}")
        # r3 logs how many calls it had in flight at SIGTERM; after SIGTERM it starts no
        # call, so every success it answers after that is one of them. (A call sent just
        # before SIGTERM may reach r3 just after it, and be refused: not in flight yet.)
        log = self.procs.log("r3-restarted")
        drained = re.search(r"shutting down.*calls=(\d+)", log)
        had = int(drained.group(1)) if drained else 0
        finished = [c for c in calls if c["replica"] == "r3" and c["outcome"] == "ok" and c["t1"] > term]
        surely_in = [c for c in calls if c["replica"] == "r3" and c["t0"] < term - 0.05 and c["t1"] > term]
        self.check(had > 0 and len(finished) >= had and all(c["outcome"] == "ok" for c in surely_in)
                   and "all calls finished" in log,
                   f"the {had} calls r3 had in flight at SIGTERM finished: {len(finished)} successes from r3 after it")
        refused = [c for c in calls if c["outcome"] != "ok"]
        self.check(all(c["replica"] == "r3" and term - 0.5 < c["t0"] <= exited for c in refused),
                   f"only the draining r3 refused calls, those it received after SIGTERM: {len(refused)}",
                   "; ".join(f"{c['tag']} {c['outcome']} from {c['replica']} at {c['t0'] - term:+.3f} s"
                             for c in refused if c["replica"] != "r3" or not term - 0.5 < c["t0"] <= exited)[:300])
        self.check(marks["rc"] == 0 and any(h.startswith("503 draining") for h in marks["health"]),
                   f"r3 answered /healthz 503 while draining (readiness fails), then exited with status {marks['rc']} "
                   f"{(exited - term):.2f} s after SIGTERM", " → ".join(dict.fromkeys(marks["health"])))
        later = [c for c in calls if c["t0"] > exited]
        self.check(bool(later) and all(c["replica"] in ("r1", "r2") and c["outcome"] == "ok" for c in later),
                   f"after r3 exited, all {len(later)} calls landed on r1 and r2 and succeeded")
        served = [a for a in self.audit("r3") if a.get("tool") == self.t_create and a.get("outcome") == "ok"]
        seen_ok = [c for c in calls if c["replica"] == "r3" and c["outcome"] == "ok"]
        self.check(len(served) == len(seen_ok), f"every call r3's audit log shows completed reached its caller: {len(served)}",
                   f"audit {len(served)}, callers {len(seen_ok)}")
        with open(self.out / "sigterm-calls.jsonl", "w") as f:
            for c in calls:
                f.write(json.dumps({**c, "t0": round(c["t0"] - term, 4), "t1": round(c["t1"] - term, 4)}) + "\n")
        self.results["sigterm"] = {"calls": len(calls), "outcomes": counts, "in_flight_at_sigterm": had,
                                   "answered_by_r3_after_sigterm": len(finished),
                                   "drain_s": round(exited - term, 3), "after_exit": len(later),
                                   "health_while_draining": list(dict.fromkeys(marks["health"]))}

    async def run(self):
        steps = [self.step_clients, self.step_confirm, self.step_foreign_key, self.step_store, self.step_throughput,
                 self.step_sigterm]
        for step in steps:
            try:
                await step()
            except Exception as e:  # noqa: BLE001 - a step that breaks is a failure, the others still run
                import traceback
                traceback.print_exc()
                self.check(False, f"{step.__name__} raised {type(e).__name__}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", type=Path, help="the vtoc-mcp binary")
    ap.add_argument("--workers", type=int, default=16, help="concurrent callers in the throughput step")
    ap.add_argument("--seconds", type=float, default=4.0, help="measured seconds per throughput run")
    ap.add_argument("--kill-workers", type=int, default=12, help="concurrent callers in the SIGTERM step")
    ap.add_argument("--call-timeout", type=float, default=20.0, help="a call without an answer after this long is a hang")
    ap.add_argument("--delay-proxy", nargs=3, metavar=("LISTEN", "UPSTREAM", "DELAY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.delay_proxy:
        listen, upstream, delay = args.delay_proxy
        delay_proxy(int(listen), int(upstream), float(delay))
        return 0
    if args.bin is None or not os.access(args.bin, os.X_OK):
        print(f"scale-test: no executable vtoc-mcp binary at {args.bin}")
        return 2
    test = ScaleTest(args)

    def on_signal(signum, _frame):
        raise SystemExit(f"scale-test: stopped by signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    started = time.monotonic()
    try:
        print(f"scale-test: {args.bin}", flush=True)
        test.setup()
        asyncio.run(test.run())
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        test.check(False, f"set-up failed: {e}")
    finally:
        test.procs.stop_all()
        import shutil
        shutil.rmtree(test.tmp, ignore_errors=True)
    test.results["seconds"] = round(time.monotonic() - started, 1)
    test.results["passed"], test.results["failed"] = test.passed, test.failed
    (test.out / "results.json").write_text(json.dumps(test.results, indent=2) + "\n")
    print(f"scale-test: results in target/scale/results.json ({test.results['seconds']} s)")
    print(f"scale-test: {len(test.passed)} passed, {len(test.failed)} failed")
    return 1 if test.failed or not test.passed else 0


if __name__ == "__main__":
    sys.exit(main())
