"""OpenAI Agents SDK: `MCPServerStreamableHttp` lists the tools and `MCPUtil.get_all_function_tools`
(what an Agent runs) turns them into FunctionTools with `convert_schemas_to_strict=True`.
A schema it cannot make strict is served non-strict, logged only at INFO: the driver reads
`FunctionTool.strict_json_schema` and catches that log line as the reason. What is sent is
the Responses API's `Converter.convert_tools`. Invoked through `FunctionTool.on_invoke_tool`.
The SDK has no elicitation callback (its MCP servers take a message_handler for
notifications only), so a destructive tool can only be refused."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Let the SDK's fallback log line carry its reason (it leaves it out by default).
os.environ.setdefault("OPENAI_AGENTS_DONT_LOG_TOOL_DATA", "0")
import common  # noqa: E402
import scenarios  # noqa: E402

from agents import Agent, RunContextWrapper, set_tracing_disabled  # noqa: E402
from agents.mcp import MCPServerStreamableHttp, MCPUtil  # noqa: E402
from agents.models.openai_responses import Converter  # noqa: E402
from agents.tool_context import ToolContext  # noqa: E402
from mcp import types as mcp_types  # noqa: E402

set_tracing_disabled(True)  # no trace export to the OpenAI API

FRAMEWORK = "openai-agents"
PACKAGES = ["openai-agents", "openai", "mcp"]
PROVIDERS = ["openai"]


class StrictFallbacks(logging.Handler):
    """Collects the SDK's INFO lines about a schema it could not make strict."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.calls: list[str] = []

    def emit(self, record):
        msg = record.getMessage()
        if "strict mode" in msg:
            self.lines.append(msg)
        elif msg.startswith("MCP tool ") and (" returned " in msg):
            # "MCP tool NAME returned CallToolResult(...)" (debug) or "... returned an error" (warning)
            self.calls.append(msg)


def convert(result: dict, ours: dict, tools: list, fallbacks_by_tool: dict) -> list:
    cells = {}
    by_name = {t.name: t for t in tools}
    sent_list = []
    for name in ours:
        c = cells[name] = common.new_cell()
        ft = by_name.get(name)
        if ft is None:
            c["errors"].append("not among the SDK's function tools")
            continue
        c["loaded"] = True
        try:
            sent = Converter.convert_tools([ft], handoffs=[]).tools[0]
        except Exception as e:
            c["errors"].append(common.short_error(e))
            continue
        c["converted"] = True
        common.fill_cell(c, ours[name], sent.get("parameters"), provider="openai", strict_flag=bool(sent.get("strict")))
        if not sent.get("strict"):
            c["errors"].append("served non-strict: " + (fallbacks_by_tool.get(name) or "no log line"))
        c["bytes"] = common.compact_bytes(sent)
        sent_list.append(sent)
    prov = result["providers"]["openai"]
    prov.update(cells=cells, bytes=common.compact_bytes(sent_list), tools_sent=len(sent_list))
    return sent_list


async def to_function_tools(server, raw_tools, handler: StrictFallbacks) -> tuple[list, dict]:
    """Each tool through MCPUtil.to_function_tool (strict), with the fallback line it logged."""
    out, reasons = [], {}
    for t in raw_tools:
        before = len(handler.lines)
        out.append(MCPUtil.to_function_tool(t, server, convert_schemas_to_strict=True))
        if len(handler.lines) > before:
            reasons[t.name] = " ".join(handler.lines[before:])
    return out, reasons


async def main() -> None:
    args = common.cli(FRAMEWORK)
    result = common.skeleton(FRAMEWORK, args, PACKAGES, PROVIDERS)
    handler = StrictFallbacks()
    log = logging.getLogger("openai.agents")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if args.tools:
        raw = common.load_tools_file(args.tools)
        ours = {t["name"]: t.get("inputSchema") or {} for t in raw}
        server = MCPServerStreamableHttp(params={"url": "http://127.0.0.1:9/never-called"})
        tools, reasons = await to_function_tools(server, [mcp_types.Tool.model_validate(t) for t in raw], handler)
        result["listed"] = len(ours)
        convert(result, ours, tools, reasons)
        common.write_result(args.out, result)
        return

    async with MCPServerStreamableHttp(params={"url": args.url, "timeout": 30}, client_session_timeout_seconds=60) as server:
        listed = await server.list_tools()
        ours = {t.name: (t.input_schema if hasattr(t, "input_schema") else t.inputSchema) or {} for t in listed}
        result["listed"] = len(ours)
        # What an Agent does with its mcp_servers: every tool, strict conversion on.
        before = len(handler.lines)
        tools = await MCPUtil.get_all_function_tools([server], True, RunContextWrapper(None), Agent(name="probe"))
        # The SDK's log line does not name the tool; redo each one alone to attribute it.
        _, reasons = await to_function_tools(server, listed, handler)
        del before
        sent = convert(result, ours, tools, reasons)
        by_name = {t.name: t for t in tools}
        counter = [0]

        async def call(name: str, arguments: dict, confirm):
            ft = by_name[name]
            counter[0] += 1
            payload = json.dumps(arguments)
            ctx = ToolContext(context=None, tool_name=name, tool_call_id=f"call_{counter[0]}", tool_arguments=payload)
            before = len(handler.calls)
            out = await ft.on_invoke_tool(ctx, payload)
            text = common.content_text(out)
            # The SDK hands the model the text either way, with no error flag; whether the
            # server said isError is read from the SDK's own log line of the result.
            logged = " ".join(handler.calls[before:])
            flagged = any(s in logged for s in ("isError=True", "is_error=True", "returned an error"))
            return text, flagged

        if args.backend:
            strict = next((t for t in sent if t.get("name") == "update_poi"), None)
            result["invocations"] = await scenarios.run(
                FRAMEWORK, call, scenarios.Backend(args.backend), ours["update_poi"], elicitation=False,
                strict_params=strict.get("parameters") if strict and strict.get("strict") else None,
            )
    common.write_result(args.out, result)


if __name__ == "__main__":
    asyncio.run(main())
