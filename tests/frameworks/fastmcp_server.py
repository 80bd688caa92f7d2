"""FastMCP's own bridge of the same contract, for comparison: `FastMCP.from_openapi` on
openapi/vtoc.json with an HTTP client pointed at the demo backend, served over streamable HTTP
on a loopback port (default route maps: every operation a tool). /healthz answers when ready.
Runs in target/frameworks/fastmcp (tests/frameworks/fastmcp.txt)."""

from __future__ import annotations

import argparse
import json

try:  # FastMCP 4 takes an httpx2 client (httpx is accepted with a deprecation warning)
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx

from fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--backend", required=True)
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    with open(a.spec, encoding="utf-8") as f:
        spec = json.load(f)
    client = httpx.AsyncClient(base_url=a.backend, timeout=30)
    server = FastMCP.from_openapi(spec, client=client, name="vTOC (FastMCP from_openapi)")

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    server.run(transport="http", host="127.0.0.1", port=a.port, show_banner=False, log_level="warning")


if __name__ == "__main__":
    main()
