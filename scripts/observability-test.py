#!/usr/bin/env python3
"""vtoc-mcp's metrics through the real Prometheus, and the dashboard and alert rules
of deploy/observability/ against them.

Started here, all on 127.0.0.1 with free ports, in a temporary directory:

  bridge       `vtoc-mcp serve --demo --transport http` with MCP_METRICS_BIND (its own
               listener), MCP_METRICS_TOKEN_FILE (a fresh bearer token), MCP_AUTH_TOKENS (a
               read and an admin caller), writes on, a small MCP_MAX_RESULT_BYTES
  prometheus   Debian's `prometheus` running deploy/observability/prometheus.yml itself
               (target, token file, rules path and intervals replaced: 1 s scrapes), so
               the rules load and evaluate, and the job is the one the alerts expect

Then:

  metrics      /metrics wants the token (401 without, 401 with a wrong one); Prometheus's
               target is up with the token from its file
  known run    in two rounds (so rates see every kind of call change): get_poi that
               succeed, get_poi with a bad argument, get_poi of a missing POI (backend
               404), a request without a token, a delete with a read token (scope), a
               delete asking for a 2026 confirmation, a list cut to MCP_MAX_RESULT_BYTES,
               and 2025-era sessions opened
  counts       through Prometheus's HTTP API (/api/v1/query): each count equals what the
               driver saw the bridge answer (7 get_poi ok, 3 invalid_arguments, ...)
  dashboard    deploy/observability/vtoc-mcp-dashboard.json: the Grafana model's shape
               (datasource variable, every target on ${datasource}, ids, grid); every
               PromQL expression (targets and variable queries, variables substituted)
               evaluates without error and returns series; every metric name it names
               exists in Prometheus
  rules        alerts.yml loaded by Prometheus: every rule healthy after evaluation, its
               expression evaluates without error, every metric name it names exists
  down         the bridge stopped: VtocMcpInstanceDown goes pending in Prometheus

Prints one line per check and "observability-test: N passed, M failed"; exits 1 on any
failure. Every process it starts is stopped on exit, and none is left running. Logs:
target/observability/. Usage: scripts/observability-test.sh (promtool first).
"""

import argparse
import ctypes
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
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OBS = ROOT / "deploy" / "observability"
DASHBOARD = OBS / "vtoc-mcp-dashboard.json"
V2026 = "2026-07-28"
V2025 = "2025-11-25"
# What the dashboard's variables stand for in this run (Grafana's own substitution).
VARIABLES = {"job": "vtoc-mcp", "instance": ".+", "__rate_interval": "1m", "__range": "5m", "__interval": "15s"}


# ---- checks -----------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed += 1
            print(f"  FAIL  {what}{': ' + detail if detail else ''}")
        return ok


# ---- processes --------------------------------------------------------------------

def _die_with_parent():
    # PR_SET_PDEATHSIG: if this driver is killed outright, its children go with it.
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)


class Processes:
    def __init__(self, logs: Path):
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name, argv, env=None):
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def stop(self, name):
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self):
        for name in reversed(list(self.procs)):
            self.stop(name)

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_under(directory: str):
    """Processes (other than us) whose command line names `directory`: strays."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if directory in cmdline or directory in environ:
            found.append(f"{pid} {cmdline.strip()}")
    return found


# ---- HTTP -------------------------------------------------------------------------

def http(method, url, body=None, headers=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def parse_rpc(text):
    """A JSON-RPC answer, as JSON or as the last `data:` of an event stream."""
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)
    messages = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and line[5:].strip()]
    return messages[-1] if messages else None


class Bridge:
    def __init__(self, url):
        self.url = url
        self.ids = 0

    def call(self, name, arguments, token, capabilities=None):
        """A 2026-07-28 tools/call (stateless): (HTTP status, JSON-RPC answer or None)."""
        self.ids += 1
        body = {"jsonrpc": "2.0", "id": self.ids, "method": "tools/call", "params": {
            "name": name, "arguments": arguments,
            "_meta": {"io.modelcontextprotocol/protocolVersion": V2026,
                      "io.modelcontextprotocol/clientCapabilities": capabilities or {}}}}
        headers = {"accept": "application/json, text/event-stream", "content-type": "application/json",
                   "mcp-protocol-version": V2026, "mcp-method": "tools/call", "mcp-name": name}
        if token:
            headers["authorization"] = f"Bearer {token}"
        status, _, text = http("POST", self.url, body, headers)
        try:
            return status, parse_rpc(text)
        except ValueError:
            return status, None

    def open_session(self, token):
        """A 2025-era session (initialize, then initialized): its id, or None."""
        self.ids += 1
        headers = {"accept": "application/json, text/event-stream", "content-type": "application/json",
                   "authorization": f"Bearer {token}"}
        body = {"jsonrpc": "2.0", "id": self.ids, "method": "initialize", "params": {
            "protocolVersion": V2025, "capabilities": {}, "clientInfo": {"name": "observability-test", "version": "1"}}}
        status, got, text = http("POST", self.url, body, headers)
        session = {k.lower(): v for k, v in got.items()}.get("mcp-session-id")
        if status != 200 or not session:
            return None
        headers.update({"mcp-session-id": session, "mcp-protocol-version": V2025})
        http("POST", self.url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers)
        return session


class Prometheus:
    def __init__(self, base):
        self.base = base

    def api(self, path, **params):
        url = f"{self.base}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
        status, _, text = http("GET", url)
        try:
            return json.loads(text)
        except ValueError:
            return {"status": "error", "error": f"HTTP {status}: {text[:200]}"}

    def query(self, expr, at=None):
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self.api("/api/v1/query", **params)

    def value(self, expr, at=None):
        """The single value of an instant query, None when it has no series."""
        answer = self.query(expr, at)
        if answer.get("status") != "success":
            raise RuntimeError(f"{expr}: {answer.get('error')}")
        result = answer["data"]["result"]
        if answer["data"]["resultType"] == "scalar":
            return float(result[1])
        return float(result[0]["value"][1]) if result else None

    def last_scrape(self):
        """When the bridge's metrics were last scraped (Prometheus's clock), or 0."""
        try:
            return self.value('max(timestamp(up{job="vtoc-mcp"}))') or 0.0
        except RuntimeError:
            return 0.0


def wait_for(what, probe, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = probe()
        if got:
            return got
        time.sleep(0.2)
    raise TimeoutError(what)


# ---- the dashboard and the rules ----------------------------------------------------

def substitute(expr):
    """Grafana's variables in an expression, as this run's values."""
    def one(m):
        name = m.group(1) or m.group(2)
        if name not in VARIABLES:
            raise KeyError(name)
        return VARIABLES[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, expr)


def label_values(expr):
    """Grafana's `label_values(selector, label)` as a PromQL query of that label."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", expr)
    if not m:
        return None
    return f"group by ({m.group(2)}) ({m.group(1)})", m.group(2)


def dashboard_panels(model):
    for panel in model.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_shape(model, checks):
    """What Grafana 10/11 needs to import the model as it is, with a datasource picker."""
    variables = {v.get("name"): v for v in model.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    checks.check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
                 "dashboard: a Prometheus data source variable `datasource`", json.dumps(ds)[:200])
    checks.check(model.get("uid") and model.get("title") and isinstance(model.get("schemaVersion"), int)
                 and model.get("id") is None, "dashboard: uid, title, schemaVersion, no instance id")
    panels = list(dashboard_panels(model))
    ids = [p.get("id") for p in panels]
    checks.check(len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids),
                 f"dashboard: {len(panels)} panels, each with its own id")
    wrong_ds, overlaps, cells = [], [], {}
    for p in panels:
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
            overlaps.append(f"{p.get('title')}: gridPos {g}")
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    overlaps.append(f"{p.get('title')} over {cells[(x, y)]}")
                cells[(x, y)] = p.get("title")
        if p.get("type") == "row":
            continue
        for t in [p] + p.get("targets", []):
            if (t.get("datasource") or {}).get("uid") != "${datasource}":
                wrong_ds.append(p.get("title"))
        if not p.get("targets"):
            wrong_ds.append(f"{p.get('title')} (no query)")
    checks.check(not wrong_ds, "dashboard: every panel and query uses ${datasource}", ", ".join(dict.fromkeys(wrong_ds)))
    checks.check(not overlaps, "dashboard: panels on a 24-column grid, none over another", "; ".join(sorted(set(overlaps))[:5]))
    titles = " | ".join(p.get("title", "") for p in panels).lower()
    wanted = ["calls per second by outcome", "error and refusal ratio", "call latency", "backend latency", "top tools",
              "refusals by reason", "confirmations", "sessions", "queue: calls waiting", "queue: wait", "truncations",
              "resident memory", "cpu"]
    missing = [w for w in wanted if w not in titles]
    checks.check(not missing, "dashboard: the panels operators look for", f"missing {missing}")


def dashboard_queries(model):
    """(where, expression, is a variable query) for every query of the dashboard."""
    out = []
    for v in model.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            out.append((f"variable {v['name']}", q.get("query") if isinstance(q, dict) else q, True))
    for p in dashboard_panels(model):
        for t in p.get("targets", []):
            out.append((f"panel '{p.get('title')}' {t.get('refId')}", t.get("expr", ""), False))
    return out


def metric_names(expr):
    """The metric names an expression reads (ours, the process's, `up`)."""
    return set(re.findall(r"\b((?:vtoc_mcp|process)_[a-z_]+|up)\b(?=\s*[{\[)])", expr))


# ---- the run ----------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(ROOT / "target" / "debug" / "vtoc-mcp"))
    parser.add_argument("--prometheus", default="prometheus")
    parser.add_argument("--dashboard", default=str(DASHBOARD), help="another dashboard model to check")
    args = parser.parse_args()
    started = time.monotonic()
    logs = ROOT / "target" / "observability"
    logs.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vtoc-obs-")
    procs = Processes(logs)
    checks = Checks()
    try:
        run(args, Path(tmp), procs, checks)
    except Exception as e:  # a step that could not go on is a failure, not a crash
        checks.check(False, "the run went to its end", f"{type(e).__name__}: {e}")
        for name in procs.procs:
            tail = procs.log(name).strip().splitlines()[-8:]
            print(f"  --- {name}.log (last lines)\n    " + "\n    ".join(tail))
    finally:
        procs.stop_all()
        time.sleep(0.2)
        strays = running_under(tmp)
        checks.check(not strays, "every process started here has stopped", "; ".join(strays))
        subprocess.run(["rm", "-rf", tmp], check=False)
    print(f"observability-test: {checks.passed} passed, {checks.failed} failed "
          f"({time.monotonic() - started:.1f} s; logs in {logs.relative_to(ROOT)}/)")
    return 1 if checks.failed else 0


def run(args, tmp: Path, procs: Processes, checks: Checks):
    mcp_port, metrics_port, prom_port = free_port(), free_port(), free_port()
    metrics_token = "metrics-" + secrets.token_hex(24)
    token_file = tmp / "mcp_metrics_token"
    token_file.write_text(metrics_token + "\n")
    token_file.chmod(0o600)
    reader, admin = "read-" + secrets.token_hex(24), "admin-" + secrets.token_hex(24)

    # ---- the bridge
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "VTOC_", "OTEL_"))}
    env.update({
        "MCP_METRICS_BIND": f"127.0.0.1:{metrics_port}",
        "MCP_METRICS_TOKEN_FILE": str(token_file),
        "MCP_AUTH_TOKENS": f"reader:vtoc:read:{reader},admin:vtoc:admin:{admin}",
        "MCP_ALLOW_WRITES": "true",
        "MCP_MAX_RESULT_BYTES": "2048",
        "VTOC_MCP_LOG_FORMAT": "text",
        "VTOC_MCP_LOG": "info,rmcp=warn",
    })
    procs.start("vtoc-mcp", [args.bin, "serve", "--demo", "--transport", "http", "--bind", f"127.0.0.1:{mcp_port}"], env)
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    bearer = {"authorization": f"Bearer {metrics_token}"}
    wait_for("the bridge's /metrics", lambda: http_ok(metrics_url, bearer), 30)
    wait_for("the bridge's /healthz", lambda: http_ok(f"http://127.0.0.1:{mcp_port}/healthz", {}), 10)
    bridge = Bridge(f"http://127.0.0.1:{mcp_port}/mcp")

    status, _, _ = http("GET", metrics_url)
    checks.check(status == 401, "/metrics without the token: 401", f"got {status}")
    status, _, _ = http("GET", metrics_url, headers={"authorization": "Bearer not-the-token-" + secrets.token_hex(8)})
    checks.check(status == 401, "/metrics with a wrong token: 401", f"got {status}")
    status, _, _ = http("GET", f"http://127.0.0.1:{mcp_port}/metrics", headers=bearer)
    checks.check(status == 404, "/metrics is not on the MCP listener (404)", f"got {status}")

    # ---- Prometheus, running the example configuration
    config = (OBS / "prometheus.yml").read_text()
    replacements = [
        ("scrape_interval: 15s", "scrape_interval: 1s"),
        ("evaluation_interval: 15s", "evaluation_interval: 1s"),
        ("/etc/prometheus/alerts.yml", str(OBS / "alerts.yml")),
        ("/run/secrets/mcp_metrics_token", str(token_file)),
        ('"mcp:9464"', f'"127.0.0.1:{metrics_port}"'),
    ]
    for old, new in replacements:
        if old not in config:
            raise RuntimeError(f"deploy/observability/prometheus.yml no longer has {old!r}: update this test")
        config = config.replace(old, new)
    (tmp / "prometheus.yml").write_text(config)
    procs.start("prometheus", [
        args.prometheus, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"])
    prom = Prometheus(f"http://127.0.0.1:{prom_port}")
    wait_for("Prometheus ready", lambda: http_ok(f"{prom.base}/-/ready", {}), 30)

    def target_health():
        targets = prom.api("/api/v1/targets").get("data", {}).get("activeTargets", [])
        return [t for t in targets if t.get("labels", {}).get("job") == "vtoc-mcp" and t.get("health") == "up"]
    up = wait_for("the bridge's target up in Prometheus", target_health, 20)
    checks.check(len(up) == 1 and up[0]["labels"].get("instance") == f"127.0.0.1:{metrics_port}",
                 "Prometheus scrapes the bridge with the token from its file (job vtoc-mcp, up)")

    # ---- the known run, in two rounds
    seen = {"ok": 0, "invalid": 0, "backend_4xx": 0, "unauthenticated": 0, "scope": 0, "input_required": 0,
            "truncated": 0, "list_ok": 0, "sessions": 0}

    def round_of(n_ok):
        for i in range(n_ok):
            status, answer = bridge.call("get_poi", {"poi_id": 1 + i % 3}, reader)
            result = (answer or {}).get("result", {})
            if status == 200 and result and not result.get("isError"):
                seen["ok"] += 1
        for bad in (["abc"], {"nested": 1}):
            status, answer = bridge.call("get_poi", {"poi_id": bad[0] if isinstance(bad, list) else bad}, reader)
            result = (answer or {}).get("result", {})
            if result.get("isError") and "invalid arguments" in json.dumps(result):
                seen["invalid"] += 1
        status, answer = bridge.call("get_poi", {"poi_id": 987654}, reader)
        if (answer or {}).get("result", {}).get("isError") and "404" in json.dumps(answer):
            seen["backend_4xx"] += 1
        status, _ = bridge.call("get_poi", {"poi_id": 1}, None)
        seen["unauthenticated"] += status == 401
        status, _ = bridge.call("delete_poi", {"poi_id": 2}, reader)
        seen["scope"] += status == 403
        status, answer = bridge.call("delete_poi", {"poi_id": 2}, admin, capabilities={"elicitation": {}})
        seen["input_required"] += (answer or {}).get("result", {}).get("resultType") == "input_required"
        status, answer = bridge.call("list_poi", {}, reader)
        result = (answer or {}).get("result", {})
        if status == 200 and not result.get("isError"):
            seen["list_ok"] += 1
            seen["truncated"] += "vtoc-mcp/truncated" in (result.get("_meta") or {})
        seen["sessions"] += bridge.open_session(reader) is not None

    round_of(3)
    # One scrape sees the first round, so rates over the two rounds see every series move.
    first = time.time()
    wait_for("a scrape after the first round", lambda: prom.last_scrape() > first + 0.2, 10)
    round_of(4)
    finished = time.time()
    print(f"  (the run: {json.dumps(seen)})")
    # Three scrapes after the run, so the last values are in and rates have points.
    wait_for("scrapes after the run", lambda: prom.last_scrape() > finished + 2.2, 15)
    at = prom.last_scrape()

    # ---- counts through Prometheus's HTTP API
    def count(expr, expected, what):
        got = prom.value(expr, at)
        checks.check(got is not None and abs(got - expected) < 1e-9, f"{what}: {expr} = {expected:g}", f"got {got}")

    tc = "vtoc_mcp_tool_calls_total"
    checks.check(seen["ok"] == 7 and seen["invalid"] == 4, "the known run: 7 get_poi answered, 4 refused for their arguments",
                 json.dumps(seen))
    count(f'sum({tc}{{tool="get_poi",outcome="ok"}})', seen["ok"], "calls that succeeded")
    count(f'sum({tc}{{tool="get_poi",outcome="invalid_arguments"}})', seen["invalid"], "calls with a bad argument")
    count(f'sum({tc}{{tool="get_poi",outcome="backend_4xx"}})', seen["backend_4xx"], "a missing POI (backend 404)")
    count(f'sum({tc}{{tool="get_poi",outcome="refused_unauthenticated"}})', seen["unauthenticated"], "calls without a token")
    count(f'sum({tc}{{tool="delete_poi",outcome="refused_scope"}})', seen["scope"], "a delete with a read token")
    count(f'sum({tc}{{tool="delete_poi",outcome="input_required"}})', seen["input_required"], "deletes asking a 2026 confirmation")
    count('sum(vtoc_mcp_confirmations_total{step="requested"})', seen["input_required"], "confirmations requested")
    count('sum(vtoc_mcp_refusals_total{reason="invalid_arguments"})', seen["invalid"], "refusals for arguments")
    count('sum(vtoc_mcp_refusals_total{reason="refused_unauthenticated"})', seen["unauthenticated"], "refusals for no token")
    count('sum(vtoc_mcp_refusals_total{reason="refused_scope"})', seen["scope"], "refusals for scope")
    count('sum(vtoc_mcp_result_truncations_total{tool="list_poi"})', seen["truncated"], "results cut")
    count('sum(vtoc_mcp_sessions_open)', seen["sessions"], "2025 sessions open")
    count('sum(vtoc_mcp_tool_call_duration_seconds_count{tool="get_poi"})',
          seen["ok"] + seen["invalid"] + seen["backend_4xx"] + seen["unauthenticated"], "get_poi calls timed")
    count('sum(vtoc_mcp_backend_request_duration_seconds_count{tool="get_poi"})',
          seen["ok"] + seen["backend_4xx"], "get_poi requests to the backend timed")
    checks.check(seen["truncated"] > 0 and seen["sessions"] > 0 and seen["input_required"] > 0,
                 "the run cut a result, opened sessions, asked a confirmation", json.dumps(seen))
    rss = prom.value('process_resident_memory_bytes{job="vtoc-mcp"}', at)
    checks.check(rss is not None and 1e6 < rss < 2e9, "process_resident_memory_bytes is the bridge's RSS", f"{rss}")
    cpu = prom.value('process_cpu_seconds_total{job="vtoc-mcp"}', at)
    checks.check(cpu is not None and cpu > 0, "process_cpu_seconds_total counts", f"{cpu}")

    names = set(re.findall(r"^([a-z_]+)(?:\{| )", prom_text(metrics_url, bearer), re.M))
    stored = set(prom.api("/api/v1/label/__name__/values").get("data", []))

    # ---- the dashboard
    model = json.loads(Path(args.dashboard).read_text())
    dashboard_shape(model, checks)
    errors, empty, unknown, substituted = [], [], set(), 0
    for where, expr, is_variable in dashboard_queries(model):
        if is_variable:
            converted = label_values(expr)
            if converted is None:
                errors.append(f"{where}: not label_values(...): {expr}")
                continue
            expr, label = converted
        try:
            promql = substitute(expr)
        except KeyError as e:
            errors.append(f"{where}: unknown variable ${e}")
            continue
        substituted += promql != expr
        unknown |= metric_names(promql) - stored
        answer = prom.query(promql, at)
        if answer.get("status") != "success":
            errors.append(f"{where}: {answer.get('error')}")
        elif not answer["data"]["result"]:
            empty.append(where)
        elif is_variable and not any(r["metric"].get(label) for r in answer["data"]["result"]):
            empty.append(f"{where} (no {label})")
    n = len(dashboard_queries(model))
    checks.check(n >= 25 and substituted >= n - 2, f"dashboard: {n} PromQL queries, variables substituted in {substituted}")
    checks.check(not errors, "dashboard: every query evaluates without error in Prometheus", "; ".join(errors[:5]))
    checks.check(not empty, "dashboard: every query returns series after the run", "; ".join(empty))
    checks.check(not unknown, "dashboard: every metric it reads exists in Prometheus", ", ".join(sorted(unknown)))

    # ---- the rules, as Prometheus loaded them
    def evaluated():
        groups = prom.api("/api/v1/rules").get("data", {}).get("groups", [])
        rules = [r for g in groups for r in g.get("rules", [])]
        fresh = rules and all(r.get("lastEvaluation", "").split(".")[0] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(finished))
                              for r in rules)
        return rules if fresh else None
    rules = wait_for("the rules evaluated after the run", evaluated, 10)
    file_alerts = re.findall(r"^\s+- alert: (\w+)", (OBS / "alerts.yml").read_text(), re.M)
    checks.check(sorted(r["name"] for r in rules) == sorted(file_alerts) and len(file_alerts) >= 6,
                 f"rules: Prometheus loaded the {len(file_alerts)} alerts of alerts.yml", f"{[r['name'] for r in rules]}")
    unhealthy = [f"{r['name']}: {r.get('health')} {r.get('lastError', '')}" for r in rules if r.get("health") != "ok"]
    checks.check(not unhealthy, "rules: every rule healthy after evaluation", "; ".join(unhealthy))
    errors, unknown = [], set()
    for r in rules:
        answer = prom.query(r["query"], at)
        if answer.get("status") != "success":
            errors.append(f"{r['name']}: {answer.get('error')}")
        unknown |= metric_names(r["query"]) - stored
    checks.check(not errors, "rules: every expression evaluates without error", "; ".join(errors))
    checks.check(not unknown, "rules: every metric they read exists in Prometheus", ", ".join(sorted(unknown)))
    exported = {n for n in names if n.startswith(("vtoc_mcp_", "process_"))}
    read = set()
    for _, expr, _ in dashboard_queries(model):
        read |= {re.sub(r"_(bucket|count|sum)$", "", m) for m in metric_names(expr)}
    read_base = {re.sub(r"_total$", "", m) for m in read}
    exported_base = {re.sub(r"_(bucket|count|sum|total)$", "", m) for m in exported}
    unread = sorted(exported_base - read_base)
    checks.check(not unread, f"dashboard: shows every family the bridge exports ({len(exported_base)})", f"not shown: {unread}")

    # ---- the bridge stopped: the instance-down alert goes pending
    procs.stop("vtoc-mcp")

    def pending():
        alerts = prom.api("/api/v1/alerts").get("data", {}).get("alerts", [])
        return [a for a in alerts if a["labels"].get("alertname") == "VtocMcpInstanceDown"
                and a["labels"].get("instance") == f"127.0.0.1:{metrics_port}"]
    try:
        down = wait_for("VtocMcpInstanceDown pending", pending, 10)
        checks.check(down[0]["state"] == "pending" and down[0]["labels"].get("severity") == "critical",
                     "bridge stopped: VtocMcpInstanceDown pending (fires after its 2 minutes)", json.dumps(down[0])[:300])
    except TimeoutError:
        checks.check(False, "bridge stopped: VtocMcpInstanceDown pending", "no such alert within 10 s")


def http_ok(url, headers):
    try:
        status, _, _ = http("GET", url, headers=headers, timeout=2)
        return status == 200
    except OSError:
        return False


def prom_text(url, headers):
    status, _, text = http("GET", url, headers=headers)
    if status != 200:
        raise RuntimeError(f"{url}: HTTP {status}")
    return text


if __name__ == "__main__":
    sys.exit(main())
