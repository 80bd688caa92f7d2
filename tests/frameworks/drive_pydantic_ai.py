"""pydantic-ai: `MCPToolset(url)` lists the tools as ToolDefinitions; the models' own request
preparation applies the profiles' JSON-schema transformers: OpenAIChatModel (api.openai.com
profile) with strict forced on every tool (`ToolDefinition.strict=True`, what a user who wants
strict mode sets; the automatic mode's verdict is kept as a note), and GoogleModel (Gemini
Developer API). Invoked through `MCPToolset.call_tool`; a tool error (ModelRetry) reaches the
model as the call's ToolReturnPart with outcome `retried`."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import scenarios  # noqa: E402

from google.genai import types as genai_types  # noqa: E402
from pydantic_ai import RunContext  # noqa: E402
from pydantic_ai.exceptions import ModelRetry, ToolFailed  # noqa: E402
from pydantic_ai.mcp import MCPToolset  # noqa: E402
from pydantic_ai.messages import ToolReturnPart  # noqa: E402
from pydantic_ai.models import ModelRequestParameters  # noqa: E402
from pydantic_ai.models.google import GoogleModel, _function_declaration_from_tool  # noqa: E402
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.models.test import TestModel  # noqa: E402
from pydantic_ai.providers.google import GoogleProvider  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402
from pydantic_ai.tools import ToolDefinition  # noqa: E402
from pydantic_ai.usage import RunUsage  # noqa: E402

FRAMEWORK = "pydantic-ai"
PACKAGES = ["pydantic-ai-slim", "fastmcp-slim", "mcp", "openai", "google-genai"]
PROVIDERS = ["openai", "gemini"]

OPENAI = OpenAIChatModel("gpt-4.1", provider=OpenAIProvider(api_key="offline-no-request-is-sent"))
GOOGLE = GoogleModel("gemini-2.5-flash", provider=GoogleProvider(api_key="offline-no-request-is-sent"))


def prepared(model, td: ToolDefinition) -> ToolDefinition:
    _, params = model.prepare_request(None, ModelRequestParameters(function_tools=[td]))
    return params.function_tools[0]


def convert(result: dict, ours: dict, tool_defs: dict) -> list:
    cells = {p: {} for p in PROVIDERS}
    openai_list, decls = [], {}
    for name in ours:
        for p in PROVIDERS:
            cells[p][name] = common.new_cell()
        td = tool_defs.get(name)
        if td is None:
            for p in PROVIDERS:
                cells[p][name]["errors"].append("no ToolDefinition from MCPToolset.get_tools")
            continue
        for p in PROVIDERS:
            cells[p][name]["loaded"] = True
        c = cells["openai"][name]
        try:
            auto = prepared(OPENAI, td)
            c["notes"].append(f"automatic mode sends strict={bool(auto.strict)}")
            forced = prepared(OPENAI, replace(td, strict=True))
            sent = OPENAI._map_tool_definition(forced, {})
            c["converted"] = True
            fn = sent["function"]
            common.fill_cell(c, ours[name], fn.get("parameters"), provider="openai", strict_flag=bool(fn.get("strict")))
            c["bytes"] = common.compact_bytes(sent)
            openai_list.append(sent)
        except Exception as e:
            c["errors"].append(common.short_error(e))
        try:
            decl = _function_declaration_from_tool(prepared(GOOGLE, td))
            decls[name] = genai_types.FunctionDeclaration.model_validate(dict(decl))
        except Exception as e:
            cells["gemini"][name]["errors"].append(common.short_error(e))
    prov = result["providers"]
    prov["openai"].update(cells=cells["openai"], bytes=common.compact_bytes(openai_list), tools_sent=len(openai_list))
    g_bytes, g_sent, g_err = common.gemini_cells(decls, ours, cells["gemini"])
    prov["gemini"].update(cells=cells["gemini"], bytes=g_bytes, tools_sent=len(g_sent), request_error=g_err)
    return openai_list


def tool_def_from_dict(t: dict) -> ToolDefinition:
    """The ToolDefinition MCPToolset.get_tools builds from a listed tool."""
    return ToolDefinition(
        name=t["name"],
        description=t.get("description"),
        parameters_json_schema=t.get("inputSchema") or {},
        metadata={"meta": t.get("_meta"), "annotations": t.get("annotations"), "task": False},
        return_schema=t.get("outputSchema") or None,
    )


def run_context() -> RunContext:
    return RunContext(deps=None, model=TestModel(), usage=RunUsage())


async def main() -> None:
    args = common.cli(FRAMEWORK)
    result = common.skeleton(FRAMEWORK, args, PACKAGES, PROVIDERS)
    if args.tools:
        raw = common.load_tools_file(args.tools)
        ours = {t["name"]: t.get("inputSchema") or {} for t in raw}
        result["listed"] = len(ours)
        convert(result, ours, {t["name"]: tool_def_from_dict(t) for t in raw})
        common.write_result(args.out, result)
        return

    asked = [0]

    async def accept(message, response_type, params, context):
        asked[0] += 1
        return common.accept_content(params.requested_schema if hasattr(params, "requested_schema") else params.requestedSchema)

    plain = MCPToolset(args.url, read_timeout=60)
    confirming = MCPToolset(args.url, read_timeout=60, elicitation_handler=accept)
    ctx = run_context()
    async with plain, confirming:
        listed = await plain.list_tools()
        ours = {t.name: t.input_schema for t in listed}
        result["listed"] = len(ours)
        tools = await plain.get_tools(ctx)
        ctools = await confirming.get_tools(ctx)
        sent = convert(result, ours, {n: t.tool_def for n, t in tools.items()})

        async def call(name: str, arguments: dict, confirm):
            toolset, table = (confirming, ctools) if confirm else (plain, tools)
            try:
                out = await toolset.call_tool(name, arguments, ctx, table[name])
            except (ModelRetry, ToolFailed) as e:
                text = getattr(e, "message", None) or str(e)
                # The retry travels back to the model as the call's ToolReturnPart, outcome retried.
                part = ToolReturnPart(tool_name=name, content=text, tool_call_id="call", outcome="retried")
                return part.model_response_str(), True
            return common.content_text(out) if not isinstance(out, (dict, list)) else __import__("json").dumps(out), False

        if args.backend:
            strict = next((t for t in sent if t["function"]["name"] == "update_poi"), None)
            result["invocations"] = await scenarios.run(
                FRAMEWORK, call, scenarios.Backend(args.backend), ours["update_poi"], elicitation=True,
                strict_params=strict["function"]["parameters"] if strict and strict["function"].get("strict") else None,
                asked=lambda: asked[0],
            )
    common.write_result(args.out, result)


if __name__ == "__main__":
    asyncio.run(main())
