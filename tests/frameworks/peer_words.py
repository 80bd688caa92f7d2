"""Our tools/list with FastMCP's words, to separate what our descriptions cost from what our
schemas cost (issue 21, docs/performance.md "Agent frameworks").

Each tool's description becomes what FastMCP's `from_openapi` writes for the same operation:
the export's `description`, else its `summary` (the hand-written `station_brief` has no
operation and keeps ours). Schemas, names and the tool set are left as they are.

    target/debug/vtoc-mcp tools --json > /tmp/ours.json   # with MCP_ALLOW_WRITES=true MCP_LOCAL_SCOPE=vtoc:admin
    python3 tests/frameworks/peer_words.py /tmp/ours.json > /tmp/peer-words.json
    python3 tests/frameworks/peer_words.py /tmp/ours.json --without station_brief > /tmp/peer-words-39.json
    scripts/check-frameworks.sh --tools /tmp/peer-words.json

The operation of each tool is read from generated/tools.json, its words from openapi/vtoc.json.
stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def peer_description(operation: dict) -> str | None:
    return operation.get("description") or operation.get("summary")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tools", help="a tools/list JSON (as `vtoc-mcp tools --json` prints it)")
    p.add_argument("--without", action="append", default=[], metavar="TOOL", help="leave this tool out")
    args = p.parse_args()

    with open(args.tools) as f:
        data = json.load(f)
    tools = data["tools"] if isinstance(data, dict) else data
    with open(os.path.join(ROOT, "generated", "tools.json")) as f:
        manifest = {t["name"]: t for t in json.load(f)["tools"]}
    with open(os.path.join(ROOT, "openapi", "vtoc.json")) as f:
        spec = json.load(f)

    out, replaced = [], 0
    for tool in tools:
        if tool["name"] in args.without:
            continue
        entry = manifest.get(tool["name"])
        if entry is not None:
            operation = spec["paths"][entry["path"]][entry["method"].lower()]
            words = peer_description(operation)
            if words is not None:
                tool = dict(tool, description=words)
                replaced += 1
        out.append(tool)
    json.dump({"tools": out}, sys.stdout, indent=1, ensure_ascii=False)
    print(file=sys.stdout)
    size = sum(len(t.get("description") or "") for t in out)
    print(f"peer_words: {replaced} of {len(out)} descriptions replaced; descriptions now {size} bytes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
