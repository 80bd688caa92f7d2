"""Google ADK: `McpToolset(connection_params=StreamableHTTPConnectionParams(url))` loads McpTools;
each one's FunctionDeclaration (`_get_declaration`) is what ADK puts in the Gemini request.
Two providers: `gemini` (ADK's default: the inputSchema passed through as
parameters_json_schema, the outputSchema as response_json_schema) and `gemini-legacy` (the
JSON_SCHEMA_FOR_FUNC_DECL feature off: `_to_gemini_schema` converts to a Gemini Schema).
Invoked through `McpTool.run_async`; the model receives the result dict. McpToolset takes an
elicitation_callback."""

from __future__ import annotations

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import scenarios  # noqa: E402

from google.adk.agents import LlmAgent  # noqa: E402
from google.adk.agents.invocation_context import InvocationContext  # noqa: E402
from google.adk.features import FeatureName  # noqa: E402
from google.adk.features._feature_registry import temporary_feature_override  # noqa: E402
from google.adk.sessions import InMemorySessionService  # noqa: E402
from google.adk.tools.mcp_tool import McpToolset  # noqa: E402
from google.adk.tools.mcp_tool.mcp_session_manager import MCPSessionManager, StreamableHTTPConnectionParams  # noqa: E402
from google.adk.tools.mcp_tool.mcp_tool import McpTool  # noqa: E402
from google.adk.tools.tool_context import ToolContext  # noqa: E402
from mcp import types as mcp_types  # noqa: E402

FRAMEWORK = "adk"
PACKAGES = ["google-adk", "google-genai", "mcp"]
PROVIDERS = ["gemini", "gemini-legacy"]


def declarations(tools: dict, legacy: bool) -> tuple[dict, dict]:
    decls, errors = {}, {}
    with temporary_feature_override(FeatureName.JSON_SCHEMA_FOR_FUNC_DECL, not legacy):
        for name, tool in tools.items():
            try:
                decls[name] = tool._get_declaration()
            except Exception as e:
                errors[name] = common.short_error(e)
    return decls, errors


def convert(result: dict, ours: dict, tools: dict) -> None:
    for provider, legacy in (("gemini", False), ("gemini-legacy", True)):
        cells = {}
        for name in ours:
            cells[name] = common.new_cell()
            if name in tools:
                cells[name]["loaded"] = True
            else:
                cells[name]["errors"].append("not among McpToolset's tools")
        decls, errors = declarations(tools, legacy)
        for name, err in errors.items():
            cells[name]["rejected"] = True
            cells[name]["errors"].append(err)
        g_bytes, g_sent, g_err = common.gemini_cells(decls, ours, cells)
        result["providers"][provider].update(cells=cells, bytes=g_bytes, tools_sent=len(g_sent), request_error=g_err)


async def tool_context() -> ToolContext:
    service = InMemorySessionService()
    session = await service.create_session(app_name="check-frameworks", user_id="harness")
    ctx = InvocationContext(
        session_service=service, invocation_id="inv-1", agent=LlmAgent(name="probe", model="gemini-2.5-flash"),
        session=session,
    )
    return ToolContext(ctx)


async def main() -> None:
    args = common.cli(FRAMEWORK)
    result = common.skeleton(FRAMEWORK, args, PACKAGES, PROVIDERS)
    if args.tools:
        raw = common.load_tools_file(args.tools)
        ours = {t["name"]: t.get("inputSchema") or {} for t in raw}
        manager = MCPSessionManager(connection_params=StreamableHTTPConnectionParams(url="http://127.0.0.1:9/never-called"))
        tools = {}
        for t in raw:
            try:
                tools[t["name"]] = McpTool(mcp_tool=mcp_types.Tool.model_validate(t), mcp_session_manager=manager)
            except Exception as e:
                result["errors"].append(f"{t['name']}: {common.short_error(e)}")
        result["listed"] = len(ours)
        convert(result, ours, tools)
        common.write_result(args.out, result)
        return

    asked = [0]

    async def accept(context, params):
        asked[0] += 1
        return mcp_types.ElicitResult(action="accept", content=common.accept_content(params.requested_schema))

    conn = StreamableHTTPConnectionParams(url=args.url, timeout=30, sse_read_timeout=60)
    plain = McpToolset(connection_params=conn)
    confirming = McpToolset(connection_params=conn, elicitation_callback=accept)
    try:
        loaded = {t.name: t for t in await plain.get_tools()}
        ctools = {t.name: t for t in await confirming.get_tools()}
        ours = {n: (getattr(t._mcp_tool, "input_schema", None) or getattr(t._mcp_tool, "inputSchema", None) or {})
                for n, t in loaded.items()}
        result["listed"] = len(ours)
        convert(result, ours, loaded)
        tctx = await tool_context()

        async def call(name: str, arguments: dict, confirm):
            tool = (ctools if confirm else loaded)[name]
            out = await tool.run_async(args=arguments, tool_context=tctx)
            flagged = isinstance(out, dict) and bool(out.get("isError") or out.get("is_error") or out.get("error"))
            return (json.dumps(out, default=str) if not isinstance(out, str) else out), flagged

        if args.backend:
            result["invocations"] = await scenarios.run(
                FRAMEWORK, call, scenarios.Backend(args.backend), ours["update_poi"], elicitation=True,
                strict_params=None, asked=lambda: asked[0], openai=False,
            )
    finally:
        await plain.close()
        await confirming.close()
    common.write_result(args.out, result)


if __name__ == "__main__":
    asyncio.run(main())
