#!/usr/bin/env python3
"""RSS at rest of one or more vtoc-mcp binaries, interleaved, as `make bench` reads "RSS idle":
each binary is started afresh against one `vtoc-mcp demo-backend`, a 2025-06-18 session
lists its tools and makes one call, and VmRSS, RssAnon and RssFile (MiB) are read 0.5 s
later. Prints the median (min-max) of each.

    scripts/rss-at-rest.py BIN[,BIN...] [REPS=5] [CONTRACT_CHECK=off|warn] [--json]

With --json, the last line is the medians as JSON ({binary: {"VmRSS": MiB, ...}}), for
container-test's check of the image's binary against the 15 MiB target.
"""
import json, os, socket, subprocess, sys, time, urllib.request
as_json = "--json" in sys.argv
sys.argv = [a for a in sys.argv if a != "--json"]
bins = sys.argv[1].split(","); reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5; check = sys.argv[3] if len(sys.argv) > 3 else "off"
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def wait(p):
    for _ in range(300):
        try: socket.create_connection(("127.0.0.1", p), 0.1).close(); return
        except OSError: time.sleep(0.02)
def post(url, body, sid=None):
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    if sid: h["Mcp-Session-Id"] = sid
    r = urllib.request.urlopen(urllib.request.Request(url, json.dumps(body).encode(), h), timeout=10)
    return r.headers.get("Mcp-Session-Id"), r.read()
def status(pid):
    d = {}
    for l in open(f"/proc/{pid}/status"):
        k, _, v = l.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile"): d[k] = int(v.split()[0]) / 1024
    return d
bp = port()
db = subprocess.Popen([bins[0], "demo-backend", "--bind", f"127.0.0.1:{bp}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait(bp)
res = {b: [] for b in bins}
for r in range(reps):
    for b in bins:
        p = port()
        env = dict(os.environ, VTOC_API_BASE_URL=f"http://127.0.0.1:{bp}", VTOC_CONTRACT_CHECK=check, RUST_LOG="warn")
        s = subprocess.Popen([b, "serve", "--transport", "http", "--bind", f"127.0.0.1:{p}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait(p); url = f"http://127.0.0.1:{p}/mcp"
        sid, _ = post(url, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "rss", "version": "1"}}})
        post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, sid)
        post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, sid)
        post(url, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_stations", "arguments": {}}}, sid)
        time.sleep(0.5)
        res[b].append(status(s.pid))
        s.terminate(); s.wait()
db.terminate()
import statistics as st
for b, rs in res.items():
    print(os.path.basename(b), {k: f"{st.median([x[k] for x in rs]):.2f} ({min(x[k] for x in rs):.2f}-{max(x[k] for x in rs):.2f})" for k in rs[0]})
if as_json:
    print(json.dumps({os.path.basename(b): {k: st.median([x[k] for x in rs]) for k in rs[0]} for b, rs in res.items()}))
