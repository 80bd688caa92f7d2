"""LlamaIndex: `McpToolSpec(BasicMCPClient(url)).to_tool_list_async()` builds a pydantic model
from each inputSchema (the model sees that model's schema, not ours); the LLM classes convert
it: `OpenAI(strict=True)._prepare_chat_with_tools` and
`GoogleGenAI._prepare_chat_with_tools` (google-genai's `t_schema` on the pydantic model, in
Developer API mode), neither sending a request. Invoked through `FunctionTool.acall`; the
model reads `ToolOutput.content`.

BasicMCPClient takes no elicitation callback; McpToolSpec takes any MCP ClientSession, so the
confirmed delete runs over an `mcp.ClientSession(elicitation_callback=...)` handed to it."""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import scenarios  # noqa: E402

from llama_index.core.tools import FunctionTool  # noqa: E402
from llama_index.llms.google_genai import GoogleGenAI  # noqa: E402
from llama_index.llms.openai import OpenAI  # noqa: E402
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec  # noqa: E402
from mcp import ClientSession  # noqa: E402
from mcp import types as mcp_types  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

FRAMEWORK = "llamaindex"
PACKAGES = ["llama-index-tools-mcp", "llama-index-core", "llama-index-llms-openai", "llama-index-llms-google-genai",
            "google-genai", "mcp"]
PROVIDERS = ["openai", "gemini"]

OPENAI_LLM = OpenAI(model="gpt-4.1", api_key="offline-no-request-is-sent", strict=True)
# context_window and max_tokens given: otherwise the constructor asks the API for the model's limits.
GEMINI_LLM = GoogleGenAI(model="gemini-2.5-flash", api_key="offline-no-request-is-sent",
                         context_window=1_000_000, max_tokens=8192)


class ListedTools:
    """A client for McpToolSpec that lists a tools/list file (convert-only mode)."""

    def __init__(self, raw: list[dict]):
        self.result = mcp_types.ListToolsResult.model_validate({"tools": raw})

    async def list_tools(self):
        return self.result

    async def call_tool(self, name, arguments=None, **kw):
        raise RuntimeError("convert-only mode: no server")


def convert(result: dict, ours: dict, fn_tools: dict) -> list:
    cells = {p: {} for p in PROVIDERS}
    openai_list, decls = [], {}
    for name in ours:
        for p in PROVIDERS:
            cells[p][name] = common.new_cell()
        tool = fn_tools.get(name)
        if tool is None:
            for p in PROVIDERS:
                cells[p][name]["errors"].append("not among McpToolSpec's tools")
            continue
        for p in PROVIDERS:
            cells[p][name]["loaded"] = True
        c = cells["openai"][name]
        try:
            sent = OPENAI_LLM._prepare_chat_with_tools([tool])["tools"][0]
            c["converted"] = True
            fn = sent["function"]
            common.fill_cell(c, ours[name], fn.get("parameters"), provider="openai", strict_flag=bool(fn.get("strict")))
            c["bytes"] = common.compact_bytes(sent)
            openai_list.append(sent)
        except Exception as e:
            c["errors"].append(common.short_error(e))
        try:
            decls[name] = GEMINI_LLM._prepare_chat_with_tools([tool])["tools"][0].function_declarations[0]
        except Exception as e:
            g = cells["gemini"][name]
            g["rejected"] = True
            g["errors"].append(common.short_error(e))
    prov = result["providers"]
    prov["openai"].update(cells=cells["openai"], bytes=common.compact_bytes(openai_list), tools_sent=len(openai_list))
    g_bytes, g_sent, g_err = common.gemini_cells(decls, ours, cells["gemini"])
    # GoogleGenAI converts the whole list in one go: one tool it cannot convert fails the request.
    try:
        GEMINI_LLM._prepare_chat_with_tools(list(fn_tools.values()))
    except Exception as e:
        g_err = g_err or common.short_error(e)
    prov["gemini"].update(cells=cells["gemini"], bytes=g_bytes, tools_sent=len(g_sent), request_error=g_err)
    return openai_list


async def main() -> None:
    args = common.cli(FRAMEWORK)
    result = common.skeleton(FRAMEWORK, args, PACKAGES, PROVIDERS)
    if args.tools:
        raw = common.load_tools_file(args.tools)
        ours = {t["name"]: t.get("inputSchema") or {} for t in raw}
        client = ListedTools(raw)
    else:
        client = BasicMCPClient(args.url, timeout=60)
        listed = (await client.list_tools()).tools
        ours = {t.name: (t.input_schema if hasattr(t, "input_schema") else t.inputSchema) or {} for t in listed}
    result["listed"] = len(ours)
    fn_tools: dict[str, FunctionTool] = {t.metadata.name: t for t in await McpToolSpec(client).to_tool_list_async()}
    sent = convert(result, ours, fn_tools)

    if args.url and args.backend:
        asked = [0]

        async def accept(context, params):
            asked[0] += 1
            return mcp_types.ElicitResult(action="accept", content=common.accept_content(params.requested_schema))

        async with streamable_http_client(args.url) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=60, elicitation_callback=accept) as session:
                await session.initialize()
                confirming = {t.metadata.name: t for t in await McpToolSpec(session).to_tool_list_async()}

                async def call(name: str, arguments: dict, confirm):
                    tool = (confirming if confirm else fn_tools)[name]
                    out = await tool.acall(**arguments)
                    raw = out.raw_output
                    flagged = bool(getattr(raw, "is_error", None) or getattr(raw, "isError", None) or out.is_error)
                    return out.content, flagged

                strict = next((t for t in sent if t["function"]["name"] == "update_poi"), None)
                result["invocations"] = await scenarios.run(
                    FRAMEWORK, call, scenarios.Backend(args.backend), ours["update_poi"], elicitation=True,
                    strict_params=strict["function"]["parameters"] if strict and strict["function"].get("strict") else None,
                    asked=lambda: asked[0],
                )
    common.write_result(args.out, result)


if __name__ == "__main__":
    asyncio.run(main())
