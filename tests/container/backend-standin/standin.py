"""Stand-in for vTOC's backend: the embedded demo backend behind vTOC's Supabase rule.

vTOC's backend (PR-CYBR/vTOC, backend/app/config.py and services/supabase.py) serves its
data through Supabase's REST API and answers 503 {"detail": "Supabase is not configured"}
on every data endpoint unless SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (or
SUPABASE_ANON_KEY) are set; /healthz and /openapi.json answer regardless. This does the
same, reading its environment on each request as vTOC's settings do, and forwards the
data requests it serves to `vtoc-mcp demo-backend` on 127.0.0.1:8081 (sample data).
"""

import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import time

DEMO = ("127.0.0.1", 8081)


def supabase_configured():
    key = os.environ.get("SUPABASE_SERVICE_ROLE_KEY") or os.environ.get("SUPABASE_ANON_KEY")
    return bool(os.environ.get("SUPABASE_URL") and key)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            return self.reply(200, {"status": "ok"})
        if path != "/openapi.json" and not supabase_configured():
            return self.reply(503, {"detail": "Supabase is not configured"})
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        conn = http.client.HTTPConnection(*DEMO, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
        finally:
            conn.close()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def log_message(self, fmt, *args):
        sys.stderr.write("standin-backend: " + fmt % args + "\n")


def main():
    demo = subprocess.Popen(["/usr/local/bin/vtoc-mcp", "demo-backend", "--bind", "%s:%d" % DEMO])
    deadline = time.monotonic() + 30
    while True:
        try:
            c = http.client.HTTPConnection(*DEMO, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                break
        except OSError:
            pass
        if demo.poll() is not None or time.monotonic() > deadline:
            sys.exit("standin-backend: the demo backend did not start")
        time.sleep(0.1)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler)

    def stop(*_):
        demo.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("standin-backend: on :8080, Supabase %s" % ("configured" if supabase_configured() else "NOT configured"), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
