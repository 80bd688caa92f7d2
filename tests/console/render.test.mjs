// Unit tests for the console's result helpers (console/render.js) and its MCP response
// parsing (console/mcp.js).

import { test } from "node:test";
import assert from "node:assert/strict";
import { cellText, errorText, rowsOf, valueOf } from "../../console/render.js";
import { httpError, messageOf } from "../../console/mcp.js";

test("valueOf prefers structuredContent, then JSON text, then text", () => {
  assert.deepEqual(valueOf({ structuredContent: { a: 1 }, content: [{ type: "text", text: "{}" }] }), { a: 1 });
  assert.deepEqual(valueOf({ content: [{ type: "text", text: '{"b":2}' }] }), { b: 2 });
  assert.equal(valueOf({ content: [{ type: "text", text: "plain" }] }), "plain");
  assert.equal(valueOf({ content: [] }), null);
});

test("a wrapped list of records becomes table rows", () => {
  const t = rowsOf({ result: [{ slug: "ops", name: "Ops" }, { slug: "relay", name: "Relay", timezone: "UTC" }] });
  assert.deepEqual(t.columns, ["slug", "name", "timezone"]);
  assert.deepEqual(t.rows, [["ops", "Ops", undefined], ["relay", "Relay", "UTC"]]);
  assert.equal(t.path, "result");
});

test("a page with items becomes rows of its items", () => {
  const t = rowsOf({ items: [{ id: 1 }], total: 1, limit: 50 });
  assert.equal(t.path, "items");
  assert.deepEqual(t.rows, [[1]]);
});

test("one record becomes field/value rows", () => {
  const t = rowsOf({ id: 7, name: "Viktor", identifiers: [{ kind: "imei" }], extra: { x: 1 } });
  assert.equal(t.record, true);
  assert.deepEqual(t.columns, ["field", "value"]);
  assert.deepEqual(t.rows[0], ["id", 7]);
});

test("values that are not records give no table", () => {
  assert.equal(rowsOf([1, 2]), null);
  assert.equal(rowsOf("text"), null);
  assert.equal(rowsOf({}), null);
  assert.equal(rowsOf([]), null);
});

test("cells: plain values as text, the rest as JSON", () => {
  assert.equal(cellText(null), "");
  assert.equal(cellText(3), "3");
  assert.equal(cellText(false), "false");
  assert.equal(cellText({ a: [1] }), '{"a":[1]}');
});

test("errorText joins the text blocks of a tool error", () => {
  assert.equal(errorText({ isError: true, content: [{ type: "text", text: "GET /x: HTTP 404" }, { type: "text", text: "detail" }] }), "GET /x: HTTP 404\ndetail");
});

test("messageOf finds the response in plain JSON and in an SSE stream", () => {
  assert.deepEqual(messageOf('{"jsonrpc":"2.0","id":3,"result":{"ok":true}}', 3).result, { ok: true });
  const sse = 'id: 0\nretry: 3000\ndata: \n\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\ndata: {"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"bad"}}\n\n';
  assert.equal(messageOf(sse, 5).error.message, "bad");
  assert.equal(messageOf(sse, 6), null);
  assert.equal(messageOf("not json", 1), null);
});

test("httpError uses the server's error_description", () => {
  const e = httpError({ status: 401 }, '{"error":"unauthorized","error_description":"a bearer token is required"}');
  assert.equal(e.status, 401);
  assert.match(e.message, /HTTP 401 not authenticated: check the token: a bearer token is required/);
});
