"""The invocation scenarios, the same for every framework (stdlib only).

A driver passes `call(tool, args, confirm)`: invoke the framework's own tool object (no
model) and return (what the model would be shown, as text; whether the framework marks it
an error). `confirm` is None for a client without an elicitation callback and True for one
whose callback accepts. Every outcome is checked against the demo backend itself over REST
(`GET /api/v1/poi/{id}`), never against what the tool answered.

Outcome codes (stable; compared with expected.tsv): `ok`, or a comma-separated list of
  error            the call came back as an error
  not-applied      the field meant to change did not
  clobbered:F      field F changed although the call did not mean to change it
  field-not-named  (bad argument) the error the model sees does not name the field
  not-error        (bad argument, refused delete) the model was not told it failed
  deleted          (refused delete) the POI is gone
  not-deleted      (confirmed delete) the POI is still there
  missing-data     (read) the answer does not carry the POI's name
  not-asked        (confirmed delete) the confirmation callback was never called
  not-strict       (strict scenarios) the framework does not send update_poi in strict mode
and `n/a:no-elicitation-callback` where the framework offers no way to install one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Awaitable, Callable

POI_FIELDS = ("name", "category", "risk_level", "notes", "is_active")

Call = Callable[[str, dict, Any], Awaitable[tuple[str, bool]]]


class Backend:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def _req(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            return e.code, None

    def create_poi(self, name: str) -> int:
        status, body = self._req(
            "POST", "/api/v1/poi",
            {"name": name, "category": "vehicle", "risk_level": "info", "notes": "keep these notes", "is_active": True},
        )
        if status not in (200, 201) or not isinstance(body, dict):
            raise RuntimeError(f"the demo backend did not create a POI (HTTP {status})")
        return int(body["id"])

    def get_poi(self, poi_id: int) -> dict | None:
        status, body = self._req("GET", f"/api/v1/poi/{poi_id}")
        if status == 404:
            return None
        if status != 200:
            raise RuntimeError(f"GET /api/v1/poi/{poi_id}: HTTP {status}")
        return body


def shape_of(update_schema: dict) -> dict:
    """How update_poi takes its body: nested under `body` (today) or as top-level arguments."""
    props = update_schema.get("properties") or {}
    body = props.get("body")
    nested = isinstance(body, dict) and bool(body.get("properties"))
    names = {}
    field_props = (body.get("properties") if nested else props) or {}
    for f in POI_FIELDS:
        for cand in (f, f"body_{f}"):
            if cand in field_props:
                names[f] = cand
                break
    id_name = "poi_id" if "poi_id" in props else next((k for k in props if k.endswith("poi_id")), "poi_id")
    return {"nested": nested, "names": names, "clear": "clear" in props, "id": id_name}


def minimal_update_args(shape: dict, poi_id: int, change: dict, clear: list) -> dict:
    """What a model that may omit arguments sends: only what it means."""
    fields = {shape["names"].get(k, k): v for k, v in change.items()}
    if clear and not shape["clear"]:
        fields.update({shape["names"].get(k, k): None for k in clear})
    args: dict = {shape["id"]: poi_id}
    if shape["nested"]:
        args["body"] = fields
    else:
        args.update(fields)
    if clear and shape["clear"]:
        args["clear"] = list(clear)
    return args


def _nullable(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    t = node.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    return any(_nullable(a) for a in (node.get("anyOf") or []))


def _is_object(node: Any) -> dict | None:
    if not isinstance(node, dict):
        return None
    if node.get("properties") is not None:
        return node
    for a in node.get("anyOf") or []:
        if isinstance(a, dict) and a.get("properties") is not None:
            return a
    return None


def strict_update_args(params: dict, shape: dict, poi_id: int, change: dict, clear: list, current: dict) -> tuple[dict, list]:
    """What a model in OpenAI strict mode must send: every property, null for "not given".

    Built from the framework's own converted (strict) parameters. A non-nullable property the
    call does not mean to set gets the POI's current value (the best a model could do), and
    is reported.
    """
    forced: list = []
    by_arg = {v: k for k, v in shape["names"].items()}

    def build(obj: dict) -> dict:
        out = {}
        for name, sub in (obj.get("properties") or {}).items():
            field = by_arg.get(name)
            if name == shape["id"]:
                out[name] = poi_id
            elif field in change:
                out[name] = change[field]
            elif name == "clear":
                out[name] = list(clear) if clear else (None if _nullable(sub) else [])
            elif field in clear and not shape["clear"]:
                out[name] = None
            elif _is_object(sub) is not None and not _nullable(sub):
                out[name] = build(_is_object(sub))
            elif _nullable(sub):
                out[name] = None
            elif field is not None:
                out[name] = current.get(field)
                forced.append(name)
            else:
                forced.append(name)
        return out

    return build(params), forced


async def _update(call: Call, backend: Backend, poi_id: int, args: dict, meant: dict) -> dict:
    before = backend.get_poi(poi_id) or {}
    text, is_error = await call("update_poi", args, None)
    after = backend.get_poi(poi_id) or {}
    codes = []
    if is_error:
        codes.append("error")
    if any(after.get(k) != v for k, v in meant.items()):
        codes.append("not-applied")
    for k in POI_FIELDS:
        if k not in meant and after.get(k) != before.get(k):
            codes.append(f"clobbered:{k}")
    return {"outcome": ",".join(codes) or "ok", "args": args, "model_sees": clip(text),
            "before": {k: before.get(k) for k in POI_FIELDS}, "after": {k: after.get(k) for k in POI_FIELDS}}


def clip(text: str, limit: int = 400) -> str:
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def run(fw: str, call: Call, backend: Backend, update_schema: dict, *, elicitation: bool,
              strict_params: dict | None, asked: Callable[[], int] | None = None,
              openai: bool = True) -> dict:
    """Every scenario; each one's outcome code, arguments and what the model was shown.

    strict_params: update_poi's parameters as the framework sends them in OpenAI strict mode;
    None when it does not send update_poi strict (the strict scenarios then fail as
    `not-strict`). openai=False for a framework without an OpenAI conversion (no strict
    scenarios)."""
    out: dict[str, dict] = {}
    shape = shape_of(update_schema)

    async def guard(name: str, coro) -> None:
        try:
            out[name] = await coro
        except Exception as e:  # a scenario that raises is a failed scenario, with the reason
            out[name] = {"outcome": f"raised:{type(e).__name__}", "model_sees": clip(f"{type(e).__name__}: {e}")}

    async def read():
        pid = backend.create_poi(f"{fw} read check")
        text, is_error = await call("get_poi", {"poi_id": pid}, None)
        codes = (["error"] if is_error else []) + ([] if f"{fw} read check" in text else ["missing-data"])
        return {"outcome": ",".join(codes) or "ok", "model_sees": clip(text)}

    async def bad_arg():
        text, is_error = await call("get_poi", {"poi_id": "not-a-number"}, None)
        codes = ([] if is_error else ["not-error"]) + ([] if "poi_id" in text else ["field-not-named"])
        return {"outcome": ",".join(codes) or "ok", "args": {"poi_id": "not-a-number"}, "model_sees": clip(text)}

    async def partial_and_clear(prefix: str, strict: bool):
        pid = backend.create_poi(f"{fw} {prefix}update check")
        res = {}
        for step, change, clear in (("update", {"risk_level": "hostile"}, []), ("clear", {}, ["notes"])):
            if strict:
                current = backend.get_poi(pid) or {}
                args, forced = strict_update_args(strict_params or {}, shape, pid, change, clear, current)
            else:
                args, forced = minimal_update_args(shape, pid, change, clear), []
            meant = dict(change)
            meant.update({k: None for k in clear})
            r = await _update(call, backend, pid, args, meant)
            if forced:
                r["forced"] = forced
            res[f"{prefix}{'partial-update' if step == 'update' else 'clear'}"] = r
        return res

    async def deletes():
        res = {}
        pid = backend.create_poi(f"{fw} delete check")
        text, is_error = await call("delete_poi", {"poi_id": pid}, None)
        gone = backend.get_poi(pid) is None
        codes = (["deleted"] if gone else []) + ([] if is_error else ["not-error"])
        res["delete-refused"] = {"outcome": ",".join(codes) or "ok", "model_sees": clip(text)}
        if not elicitation:
            res["delete-confirmed"] = {"outcome": "n/a:no-elicitation-callback"}
            return res
        if gone:
            pid = backend.create_poi(f"{fw} delete check 2")
        before = asked() if asked else 0
        text, is_error = await call("delete_poi", {"poi_id": pid}, True)
        gone = backend.get_poi(pid) is None
        codes = ([] if gone else ["not-deleted"]) + (["error"] if is_error else [])
        if asked and asked() == before:
            codes.append("not-asked")
        res["delete-confirmed"] = {"outcome": ",".join(codes) or "ok", "model_sees": clip(text)}
        return res

    await guard("read", read())
    await guard("bad-argument", bad_arg())
    for prefix, strict in (("", False), ("strict-", True)):
        if strict and not openai:
            continue
        if strict and strict_params is None:
            for name in ("strict-partial-update", "strict-clear"):
                out[name] = {"outcome": "not-strict", "model_sees": "update_poi is not sent in strict mode"}
            continue
        try:
            out.update(await partial_and_clear(prefix, strict))
        except Exception as e:
            out[f"{prefix}partial-update"] = {"outcome": f"raised:{type(e).__name__}", "model_sees": clip(str(e))}
    try:
        out.update(await deletes())
    except Exception as e:
        out["delete-refused"] = {"outcome": f"raised:{type(e).__name__}", "model_sees": clip(str(e))}
    return out
