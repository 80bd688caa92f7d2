"""Shared by every framework driver (stdlib only: it runs in each framework's own venv).

What a driver records, per tool and (framework, provider), is a *cell*:
  loaded      the framework's MCP loader produced a tool object
  converted   the framework's converter for the provider produced what it would send
  strict      OpenAI only: the framework sends the tool with strict: true
  problems    the reasons the cell is not clean, as stable codes (see `cell_problems`)
and the invocation scenarios record an outcome code each. `compare.py` turns these
into the table, report.json and the comparison with expected.tsv.

Field paths: `poi_id`, `body.name`, `clear[]` (array items). A field is *visible*
when the model-facing schema has it; *hidden* when ours has it and theirs does not
(e.g. LlamaIndex turning a nested object into a free-form Dict).
"""

from __future__ import annotations

import copy
import json
import re
import traceback
from typing import Any

# ---------------------------------------------------------------------------
# Tool lists


def load_tools_file(path: str) -> list[dict]:
    """A tools/list result as `vtoc-mcp tools --json` prints it: a list, or {"tools": [...]}."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict) and "tools" in data:
        data = data["tools"]
    if not isinstance(data, list) or not all(isinstance(t, dict) and "name" in t for t in data):
        raise SystemExit(f"{path}: not a tools/list JSON (a list of tools, or an object with `tools`)")
    return data


def compact_bytes(obj: Any) -> int:
    """Bytes of the compact JSON (UTF-8, no spaces): what the framework would send."""
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


def short_error(exc: BaseException, limit: int = 300) -> str:
    text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def tb_tail(limit: int = 3) -> str:
    return " | ".join(line.strip() for line in traceback.format_exc().strip().splitlines()[-limit:])


# ---------------------------------------------------------------------------
# Schemas: normalising Gemini `Schema` dumps to JSON Schema, then flattening to fields

_GEMINI_TYPES = {"STRING", "INTEGER", "NUMBER", "BOOLEAN", "ARRAY", "OBJECT", "NULL", "TYPE_UNSPECIFIED"}


def gemini_to_json_schema(node: Any) -> Any:
    """A google-genai `Schema` (model_dump, snake_case, upper-case types, `nullable`) as JSON Schema."""
    if isinstance(node, list):
        return [gemini_to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if value is None:
            continue
        if key == "type":
            if isinstance(value, str) and value.upper() in _GEMINI_TYPES:
                value = value.lower()
                if value == "type_unspecified":
                    continue
            out["type"] = value
        elif key == "properties":
            out["properties"] = {k: gemini_to_json_schema(v) for k, v in value.items()}
        elif key in ("any_of", "anyOf"):
            out["anyOf"] = [gemini_to_json_schema(v) for v in value]
        elif key == "items":
            out["items"] = gemini_to_json_schema(value)
        elif key in ("additional_properties", "additionalProperties"):
            out["additionalProperties"] = gemini_to_json_schema(value)
        elif key == "defs":
            out["$defs"] = {k: gemini_to_json_schema(v) for k, v in value.items()}
        elif key == "ref":
            out["$ref"] = value
        elif key == "property_ordering":
            continue
        else:
            out[key] = value
    if out.pop("nullable", False):
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            out["type"] = t + ["null"]
        elif "anyOf" in out:
            out["anyOf"] = out["anyOf"] + [{"type": "null"}]
        else:
            out["type"] = ["null"]
    return out


def _resolve(node: Any, root: dict, seen: frozenset = frozenset()) -> Any:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            return {}
        target: Any = None
        if ref == "#":
            target = root
        elif ref.startswith("#/"):
            target = root
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            merged = {k: v for k, v in node.items() if k != "$ref"}
            merged.update({k: v for k, v in target.items() if k not in merged})
            return _resolve(merged, root, seen | {ref})
    return node


def _types(node: Any, root: dict) -> tuple[set, bool, dict | None, dict | None, list | None]:
    """(non-null types, nullable, object schema if any, array items if any, enum) of one node."""
    node = _resolve(node, root)
    if node is True or node == {}:
        return {"any"}, False, None, None, None
    if not isinstance(node, dict):
        return {"any"}, False, None, None, None
    types: set = set()
    nullable = False
    obj = None
    items = None
    enum = node.get("enum")
    alts = node.get("anyOf") or node.get("oneOf")
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        inner = dict(node["allOf"][0]) if isinstance(node["allOf"][0], dict) else {}
        inner.update({k: v for k, v in node.items() if k != "allOf"})
        return _types(inner, root)
    if alts:
        for alt in alts:
            t, n, o, i, e = _types(alt, root)
            types |= t - {"null"}
            nullable = nullable or n or t == {"null"}
            obj = obj or o
            items = items or i
            if e and not enum:
                enum = e
    t = node.get("type")
    if isinstance(t, str):
        t = [t]
    if isinstance(t, list):
        for x in t:
            if x == "null":
                nullable = True
            else:
                types.add(x)
    if not t and not alts:
        if "properties" in node:
            types.add("object")
        elif "items" in node:
            types.add("array")
        elif "const" in node:
            types.add(type(node["const"]).__name__)
        elif enum:
            types.add("string")
        else:
            types.add("any")
    if enum and None in enum:
        nullable = True
        enum = [e for e in enum if e is not None]
    if "object" in types and obj is None:
        obj = node
    if "array" in types and items is None:
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
    return types, nullable, obj, items, (sorted(map(str, enum)) if enum else None)


def fields(schema: Any) -> dict[str, dict]:
    """Every argument the schema shows the model, by path, with its types and nullability.

    free: an object the model sees without its properties (a free-form Dict).
    """
    root = schema if isinstance(schema, dict) else {}
    out: dict[str, dict] = {}

    def walk_object(obj: dict, prefix: str, depth: int) -> None:
        obj = _resolve(obj, root)
        props = obj.get("properties") or {}
        required = set(obj.get("required") or [])
        for name, sub in props.items():
            path = f"{prefix}{name}"
            walk_node(sub, path, name in required, depth)

    def walk_node(node: Any, path: str, required: bool, depth: int) -> None:
        types, nullable, obj, items, enum = _types(node, root)
        free = closed = False
        if obj is not None:
            o = _resolve(obj, root)
            if not o.get("properties"):
                # No properties: free-form unless additionalProperties is false, when the
                # model can send nothing in it at all.
                closed = o.get("additionalProperties") is False
                free = not closed
        out[path] = {
            "types": sorted(types),
            "nullable": nullable,
            "required": required,
            "free": free,
            "closed": closed,
            "enum": enum,
        }
        if depth > 12:
            return
        if obj is not None and not free:
            walk_object(obj, path + ".", depth + 1)
        if items is not None:
            it_types, it_null, it_obj, it_items, it_enum = _types(items, root)
            walk_node(items, path + "[]", True, depth + 1)

    walk_object(root, "", 0)
    return out


def describe_type(info: dict) -> str:
    t = "|".join(info["types"]) or "?"
    if info.get("free"):
        t += "(free)"
    if info.get("closed"):
        t += "(closed)"
    return t + ("|null" if info["nullable"] else "")


def compare_fields(ours: dict[str, dict], theirs: dict[str, dict], *, strict_openai: bool) -> tuple[list, list]:
    """(hidden paths, changes) of the converted schema versus ours.

    In OpenAI strict mode an optional field is written as required and nullable (the model
    sends null for "not given"): that spelling is not counted as a change.
    """
    hidden = [p for p in ours if p not in theirs]
    changes = []
    for path, o in ours.items():
        t = theirs.get(path)
        if t is None:
            continue
        if set(o["types"]) != set(t["types"]) and not ("any" in o["types"] and t["types"] == ["any"]):
            changes.append(f"{path}:type:{'|'.join(o['types'])}->{'|'.join(t['types'])}")
        if "object" in o["types"] and "object" in t["types"]:
            if o["free"] and t.get("closed"):
                changes.append(f"{path}:closed")
            elif not o["free"] and t["free"]:
                changes.append(f"{path}:free-form")
        if o["nullable"] and not t["nullable"]:
            changes.append(f"{path}:null-dropped")
        if not o["nullable"] and t["nullable"] and not (strict_openai and not o["required"]):
            changes.append(f"{path}:null-added")
        if not o["required"] and t["required"] and not (strict_openai and t["nullable"]):
            changes.append(f"{path}:now-required")
        if o["required"] and not t["required"]:
            changes.append(f"{path}:now-optional")
        if o.get("enum") and o["enum"] != t.get("enum"):
            changes.append(f"{path}:enum-{'dropped' if not t.get('enum') else 'changed'}")
    return hidden, changes


# ---------------------------------------------------------------------------
# OpenAI strict mode, checked on what the framework would send
#
# The rules: every object has `properties`, `additionalProperties: false` and all its
# properties in `required`; `anyOf` not at the root; arrays type their items; `$ref` has no
# siblings and points at `#` or a top-level definition; at most 10 levels of nested objects
# and 5000 properties; only the keywords OpenAI lists as supported. Keywords outside that
# list, and string formats outside it, follow pydantic-ai's OpenAI profile (2.68), the most
# complete statement of them in these frameworks: its transformer for api.openai.com keeps
# minLength/maxLength, so they are allowed here; `default` is not allowed in strict mode.

STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
    "$ref", "$defs", "definitions", "description", "title", "pattern", "format", "multipleOf",
    "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "minItems", "maxItems",
    "minLength", "maxLength",
}
STRICT_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}


def strict_violations(schema: Any) -> list[str]:
    """OpenAI strict-mode violations of one tool's parameters, as `rule@path` strings."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return ["root-not-object@"]
    if "anyOf" in schema:
        found.append("root-anyOf@")
    if schema.get("type") != "object":
        found.append("root-not-object@")
    objects = [0]
    props_total = [0]

    def walk(node: Any, path: str, depth: int) -> None:
        if not isinstance(node, dict):
            found.append(f"not-a-schema@{path}")
            return
        for key in node:
            if key not in STRICT_KEYWORDS:
                found.append(f"keyword-{key}@{path}")
        if "$ref" in node:
            if len(node) > 1:
                found.append(f"ref-with-siblings@{path}")
            ref = node["$ref"]
            if ref != "#" and not re.fullmatch(r"#/(\$defs|definitions)/[^/]+", str(ref)):
                found.append(f"ref-target@{path}")
        pattern = node.get("pattern")
        if isinstance(pattern, str) and any(tok in pattern for tok in ("(?=", "(?!", "(?<=", "(?<!")):
            found.append(f"pattern-lookaround@{path}")
        fmt = node.get("format")
        if fmt is not None and fmt not in STRICT_FORMATS:
            found.append(f"format-{fmt}@{path}")
        t = node.get("type")
        tl = t if isinstance(t, list) else [t] if t else []
        if "object" in tl or "properties" in node:
            if "properties" not in node:
                found.append(f"no-properties@{path}")
            if node.get("additionalProperties") is not False:
                found.append(f"additionalProperties-not-false@{path}")
            props = node.get("properties") or {}
            props_total[0] += len(props)
            missing = [k for k in props if k not in (node.get("required") or [])]
            if missing:
                found.append(f"not-required:{','.join(missing)}@{path}")
            if depth > 10:
                found.append(f"too-deep@{path}")
            for k, v in props.items():
                walk(v, f"{path}.{k}" if path else k, depth + 1)
        if "array" in tl:
            items = node.get("items")
            if not isinstance(items, dict) or not any(k in items for k in ("type", "$ref", "anyOf", "enum", "const")):
                found.append(f"untyped-items@{path}")
            else:
                walk(items, path + "[]", depth)
        for alt in node.get("anyOf") or []:
            walk(alt, path, depth)
        for defs_key in ("$defs", "definitions"):
            for k, v in (node.get(defs_key) or {}).items():
                walk(v, f"{defs_key}.{k}", 0)

    walk(schema, "", 0)
    if props_total[0] > 5000:
        found.append("too-many-properties@")
    return sorted(set(found))


# ---------------------------------------------------------------------------
# Cells


def new_cell() -> dict:
    return {
        "loaded": False,
        "converted": False,
        "strict": None,
        "violations": [],
        "hidden": [],
        "changes": [],
        "visible": [],
        "errors": [],
        "notes": [],
    }


def fill_cell(cell: dict, ours_schema: dict, model_schema: Any, *, provider: str, strict_flag: bool | None) -> None:
    """Compare the model-facing parameters with our inputSchema and check strict rules."""
    ours = fields(ours_schema)
    theirs = fields(model_schema) if isinstance(model_schema, dict) else {}
    strict_openai = provider.startswith("openai")
    cell["visible"] = sorted(theirs)
    cell["hidden"], cell["changes"] = compare_fields(ours, theirs, strict_openai=strict_openai and bool(strict_flag))
    if strict_openai:
        cell["strict"] = bool(strict_flag)
        cell["violations"] = strict_violations(model_schema)


def cell_problems(cell: dict) -> list[str]:
    """The stable reason codes of a cell; empty means clean.

    not-loaded, not-converted, rejected (the framework or google-genai refuses to build the
    request), non-strict (the framework sends the tool without strict), strict:<rule@path> (our
    check of OpenAI's strict rules), gemini:<rule@path> (requests the Gemini API refuses, see
    gemini_schema_violations), hidden:<path>, changed:<path>:<what>.
    """
    if not cell["loaded"]:
        return ["not-loaded"]
    if not cell["converted"]:
        return ["rejected" if cell.get("rejected") else "not-converted"]
    out = []
    if cell.get("rejected"):
        out.append("rejected")
    if cell["strict"] is False:
        out.append("non-strict")
    if cell["strict"]:
        out += [f"strict:{v}" for v in cell["violations"]]
    out += [f"gemini:{v}" for v in cell.get("gemini_violations") or []]
    out += [f"hidden:{p}" for p in cell["hidden"]]
    out += [f"changed:{c}" for c in cell["changes"]]
    return out


def tool_by_name(tools: list[dict], name: str) -> dict | None:
    return next((t for t in tools if t.get("name") == name), None)


def deepcopy(x: Any) -> Any:
    return copy.deepcopy(x)


def write_result(path: str, result: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, sort_keys=True, default=str)
        f.write("\n")


# ---------------------------------------------------------------------------
# Gemini: what google-genai (the venv's own version) would put on the wire


def gemini_wire(declarations: list) -> list:
    """The `tools` of a Gemini Developer API generateContent request carrying these
    FunctionDeclarations, as the framework's google-genai builds it (no request is sent).
    Raises what google-genai raises for a declaration the Developer API does not take."""
    from google import genai
    from google.genai import _common, models, types

    client = genai.Client(api_key="offline-no-request-is-sent")
    params = types._GenerateContentParameters(
        model="gemini-2.5-flash",
        contents=[types.Content(role="user", parts=[types.Part(text="hi")])],
        config=types.GenerateContentConfig(tools=[types.Tool(function_declarations=list(declarations))]),
    )
    try:
        req = models._GenerateContentParameters_to_mldev(client._api_client, params, None, params)
    except TypeError:
        req = models._GenerateContentParameters_to_mldev(client._api_client, params)
    req = _common.convert_to_dict(req)
    req = _common.encode_unserializable_types(req)
    return req.get("tools") or []


def gemini_schema_violations(schema: Any) -> list[str]:
    """Requests the Gemini API itself refuses (400 INVALID_ARGUMENT) for a declaration written
    as a Gemini `Schema` (`parameters`, not `parameters_json_schema`), which google-genai
    passes through unchecked. From the API's own error messages:
      empty-object            "parameters.properties: should be non-empty for OBJECT type"
                              (langchain-google-genai says the same of dict tools: "Empty
                              'properties' field not supported"; google-genai itself leaves
                              `parameters` out for a function without arguments)
      properties-on-non-object "properties: only allowed for OBJECT type"
      required-unknown        `required` naming a field that is not in `properties`
    """
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        t = str(node.get("type") or "").upper()
        props = node.get("properties")
        if t == "OBJECT" and not props:
            found.append(f"empty-object@{path}")
        if (props or node.get("required")) and t and t != "OBJECT":
            found.append(f"properties-on-non-object@{path}")
        unknown = [r for r in node.get("required") or [] if r not in (props or {})]
        if unknown:
            found.append(f"required-unknown:{','.join(unknown)}@{path}")
        for k, v in (props or {}).items():
            walk(v, f"{path}.{k}" if path else k)
        if isinstance(node.get("items"), dict):
            walk(node["items"], path + "[]")
        for alt in node.get("any_of") or []:
            walk(alt, path)

    walk(schema, "")
    return sorted(set(found))


def declaration_schema(decl: Any) -> Any:
    """The parameters a FunctionDeclaration shows the model, as JSON Schema."""
    pj = getattr(decl, "parameters_json_schema", None)
    if pj is not None:
        return pj
    p = getattr(decl, "parameters", None)
    if p is None:
        return {"type": "object", "properties": {}}
    return gemini_to_json_schema(p.model_dump(exclude_none=True, mode="json"))


def gemini_cells(decls: dict, ours: dict, cells: dict) -> tuple[int, list, str | None]:
    """Fill the Gemini cells from {tool: FunctionDeclaration}; each declaration is also put
    through google-genai's request building alone (a rejection names its tool). Returns the
    bytes of the whole list's `tools` as sent, the names in it, and the error of the whole
    request, if one declaration makes it fail."""
    ok = {}
    for name, decl in decls.items():
        cell = cells[name]
        try:
            cell["bytes"] = compact_bytes(gemini_wire([decl]))
        except Exception as e:
            cell["converted"] = False
            cell["rejected"] = True
            cell["errors"].append(short_error(e))
            continue
        cell["converted"] = True
        fill_cell(cell, ours[name], declaration_schema(decl), provider="gemini", strict_flag=None)
        if getattr(decl, "parameters_json_schema", None) is None and getattr(decl, "parameters", None) is not None:
            cell["gemini_violations"] = gemini_schema_violations(decl.parameters.model_dump(exclude_none=True, mode="json"))
        ok[name] = decl
    whole_error = None
    try:
        wire = gemini_wire(list(decls.values()))
    except Exception as e:
        whole_error = short_error(e)
        wire = gemini_wire(list(ok.values())) if ok else []
    return compact_bytes(wire), sorted(ok), whole_error


# ---------------------------------------------------------------------------
# Driver plumbing


def cli(framework: str):
    import argparse

    p = argparse.ArgumentParser(description=f"Load, convert and invoke the MCP tools through {framework}.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--tools", help="a tools/list JSON file: convert only, no server")
    src.add_argument("--url", help="the MCP endpoint (streamable HTTP)")
    p.add_argument("--backend", help="the demo backend's base URL (to run and check the invocations)")
    p.add_argument("--label", default="ours", help="which server this is (ours, fastmcp)")
    p.add_argument("--out", required=True, help="where to write the result JSON")
    return p.parse_args()


def versions(packages: list[str]) -> dict:
    from importlib import metadata

    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def skeleton(framework: str, args, packages: list[str], providers: list[str]) -> dict:
    return {
        "framework": framework,
        "label": args.label,
        "source": args.tools or args.url,
        "versions": versions(packages),
        "providers": {p: {"cells": {}, "bytes": 0, "tools_sent": 0, "request_error": None} for p in providers},
        "invocations": {},
        "listed": 0,
        "errors": [],
    }


def accept_content(requested_schema: Any) -> dict:
    """An accepting answer to an elicitation form: every boolean property true."""
    schema = requested_schema if isinstance(requested_schema, dict) else {}
    if hasattr(requested_schema, "model_dump"):
        schema = requested_schema.model_dump(by_alias=True, exclude_none=True)
    out = {}
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("type") == "boolean":
            out[name] = True
    return out


def content_text(blocks: Any) -> str:
    """Text of MCP content blocks / framework content, as one string."""
    if blocks is None:
        return ""
    if isinstance(blocks, str):
        return blocks
    if isinstance(blocks, (list, tuple)):
        return "\n".join(content_text(b) for b in blocks)
    if isinstance(blocks, dict):
        if "text" in blocks:
            return str(blocks["text"])
        return json.dumps(blocks, default=str)
    text = getattr(blocks, "text", None)
    if isinstance(text, str):
        return text
    return str(blocks)
