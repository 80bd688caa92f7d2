"""LangChain: langchain-mcp-adapters loads the tools; langchain-core converts for OpenAI strict
(`convert_to_openai_tool(tool, strict=True)`), langchain-google-genai for Gemini
(`convert_to_genai_function_declarations`). Invoked as a model's tool call would be
(`tool.ainvoke(ToolCall)`), which returns the ToolMessage the model reads."""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import scenarios  # noqa: E402

from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402
from langchain_google_genai._function_utils import convert_to_genai_function_declarations  # noqa: E402
from langchain_mcp_adapters.callbacks import Callbacks  # noqa: E402
from langchain_mcp_adapters.sessions import create_session  # noqa: E402
from langchain_mcp_adapters.tools import _list_all_tools, convert_mcp_tool_to_langchain_tool, load_mcp_tools  # noqa: E402
from mcp import types as mcp_types  # noqa: E402

FRAMEWORK = "langchain"
PACKAGES = ["langchain-mcp-adapters", "langchain-core", "langchain-google-genai", "google-genai", "mcp"]
PROVIDERS = ["openai", "gemini"]


def convert(result: dict, ours: dict, lc_tools: dict, load_errors: dict) -> dict:
    cells = {p: {} for p in PROVIDERS}
    openai_list, decls = [], {}
    for name in ours:
        for p in PROVIDERS:
            cells[p][name] = common.new_cell()
        tool = lc_tools.get(name)
        if tool is None:
            for p in PROVIDERS:
                cells[p][name]["errors"].append(load_errors.get(name, "not listed by the loader"))
            continue
        # Loaded = usable as an agent uses it: `BaseTool.args` is what agents and
        # render_text_description_and_args read.
        try:
            tool.args
        except Exception as e:
            for p in PROVIDERS:
                cells[p][name]["errors"].append("BaseTool.args: " + common.short_error(e))
            continue
        for p in PROVIDERS:
            cells[p][name]["loaded"] = True
        c = cells["openai"][name]
        try:
            sent = convert_to_openai_tool(tool, strict=True)
            fn = sent["function"]
            c["converted"] = True
            common.fill_cell(c, ours[name], fn.get("parameters"), provider="openai", strict_flag=bool(fn.get("strict")))
            c["bytes"] = common.compact_bytes(sent)
            openai_list.append(sent)
        except Exception as e:
            c["errors"].append(common.short_error(e))
        try:
            decls[name] = convert_to_genai_function_declarations([tool])[0].function_declarations[0]
        except Exception as e:
            cells["gemini"][name]["errors"].append(common.short_error(e))
    prov = result["providers"]
    prov["openai"]["cells"] = cells["openai"]
    prov["openai"]["bytes"] = common.compact_bytes(openai_list)
    prov["openai"]["tools_sent"] = len(openai_list)
    g_bytes, g_sent, g_err = common.gemini_cells(decls, ours, cells["gemini"])
    prov["gemini"].update(cells=cells["gemini"], bytes=g_bytes, tools_sent=len(g_sent), request_error=g_err)
    return openai_list


def to_mcp_tool(d: dict):
    return mcp_types.Tool.model_validate(d)


async def main() -> None:
    args = common.cli(FRAMEWORK)
    result = common.skeleton(FRAMEWORK, args, PACKAGES, PROVIDERS)
    load_errors: dict = {}
    lc_tools: dict = {}
    if args.tools:
        raw = common.load_tools_file(args.tools)
        ours = {t["name"]: t.get("inputSchema") or {} for t in raw}
        conn = {"transport": "streamable_http", "url": "http://127.0.0.1:9/never-called"}
        for t in raw:
            try:
                lc_tools[t["name"]] = convert_mcp_tool_to_langchain_tool(None, to_mcp_tool(t), connection=conn)
            except Exception as e:
                load_errors[t["name"]] = common.short_error(e)
    else:
        conn = {"transport": "streamable_http", "url": args.url}
        async with create_session(conn) as session:
            await session.initialize()
            listed = await _list_all_tools(session)
        ours = {t.name: t.inputSchema or {} for t in listed}
        for t in await load_mcp_tools(None, connection=conn):
            lc_tools[t.name] = t
    result["listed"] = len(ours)
    openai_list = convert(result, ours, lc_tools, load_errors)

    if args.url and args.backend:
        asked = [0]

        async def accept(mcp_context, params, context):
            asked[0] += 1
            return mcp_types.ElicitResult(action="accept", content=common.accept_content(params.requestedSchema))

        confirming = {t.name: t for t in await load_mcp_tools(None, connection=conn, callbacks=Callbacks(on_elicitation=accept))}
        counter = [0]

        async def call(name: str, arguments: dict, confirm):
            tool = (confirming if confirm else lc_tools)[name]
            counter[0] += 1
            msg = await tool.ainvoke({"type": "tool_call", "id": f"call_{counter[0]}", "name": name, "args": arguments})
            return common.content_text(msg.content), getattr(msg, "status", "success") == "error"

        strict = next((t for t in openai_list if t["function"]["name"] == "update_poi"), None)
        result["invocations"] = await scenarios.run(
            FRAMEWORK, call, scenarios.Backend(args.backend), ours["update_poi"], elicitation=True,
            strict_params=strict["function"]["parameters"] if strict and strict["function"].get("strict") else None,
            asked=lambda: asked[0],
        )
    common.write_result(args.out, result)


if __name__ == "__main__":
    asyncio.run(main())
