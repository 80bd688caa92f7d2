// Unit tests for the console's form generator (console/form.js): schema -> fields, and
// form values -> arguments or errors. Run by `make test` (node --test tests/console/).
// The schemas are the ones the bridge really publishes (generated/tools.json).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { check, fieldsOf, namedDataUrl, nonNull, readForm, skeleton } from "../../console/form.js";

const manifest = JSON.parse(readFileSync(new URL("../../generated/tools.json", import.meta.url), "utf8"));
const schemaOf = (name) => {
  const tool = manifest.tools.find((t) => t.name === name);
  assert.ok(tool, `tool ${name} is in generated/tools.json`);
  return tool.inputSchema;
};
const byName = (fields) => Object.fromEntries(fields.map((f) => [f.name, f]));

test("a path id becomes a required whole-number field", () => {
  const fields = fieldsOf(schemaOf("get_poi"));
  assert.deepEqual(fields.map((f) => f.name), ["poi_id"]);
  assert.equal(fields[0].kind, "integer");
  assert.equal(fields[0].required, true);
  assert.equal(fields[0].label, "poi_id");
});

test("required fields come first; query bounds become hints", () => {
  const fields = fieldsOf(schemaOf("station_timeline"));
  assert.equal(fields[0].name, "station_slug");
  assert.equal(fields[0].required, true);
  const limit = byName(fields).limit;
  assert.equal(limit.kind, "integer");
  assert.equal(limit.required, false);
  assert.match(limit.hint, /≥ 0/);
  assert.match(limit.hint, /≤ 200/);
});

test("a request body's fields are fields of their own, required ones first", () => {
  const fields = fieldsOf(schemaOf("create_poi"));
  assert.deepEqual(fields.map((f) => f.name), ["name", "category", "risk_level", "notes", "is_active"]);
  assert.equal(fields[0].required, true);
  assert.equal(byName(fields).is_active.kind, "boolean");
});

test("enums become selects, booleans tri-state, nullable accepts null", () => {
  const schema = {
    type: "object",
    properties: {
      status: { type: "string", enum: ["open", "closed"] },
      kind: { const: "poi" },
      active: { type: "boolean" },
      note: { anyOf: [{ type: "string" }, { type: "null" }] },
      tags: { type: "array", items: { type: "string" } },
      count: { type: ["integer", "null"] },
    },
    required: ["status"],
  };
  const f = byName(fieldsOf(schema));
  assert.equal(f.status.kind, "enum");
  assert.deepEqual(f.status.options, ["open", "closed"]);
  assert.equal(f.kind.kind, "enum");
  assert.deepEqual(f.kind.options, ["poi"]);
  assert.equal(f.active.kind, "boolean");
  assert.equal(f.note.kind, "text");
  assert.equal(f.note.nullable, true);
  assert.equal(f.tags.kind, "list");
  assert.equal(f.count.kind, "integer");
  assert.equal(f.count.nullable, true);
});

test("the context arguments are not form fields", () => {
  const schema = {
    type: "object",
    properties: { poi_id: { type: "integer" }, context_station: { anyOf: [{ type: "string" }, { type: "null" }] } },
  };
  assert.deepEqual(fieldsOf(schema).map((f) => f.name), ["poi_id"]);
  assert.ok(fieldsOf(schemaOf("list_events")).every((f) => !f.name.startsWith("context_")));
});

test("a missing required field is an error and nothing is sent", () => {
  const fields = fieldsOf(schemaOf("get_poi"));
  const { args, errors } = readForm(fields, { poi_id: "   " });
  assert.deepEqual(args, {});
  assert.deepEqual(errors, [{ field: "poi_id", message: "poi_id is required" }]);
});

test("values are converted to the schema's types", () => {
  const fields = fieldsOf(schemaOf("station_timeline"));
  const { args, errors } = readForm(fields, { station_slug: "ops-center", limit: "20", offset: "" });
  assert.deepEqual(errors, []);
  assert.deepEqual(args, { station_slug: "ops-center", limit: 20 });
});

test("a number out of bounds, or not a number, is refused with the field named", () => {
  const fields = fieldsOf(schemaOf("station_timeline"));
  let { errors } = readForm(fields, { station_slug: "x", limit: "500" });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].field, "limit");
  assert.match(errors[0].message, /≤ 200/);
  ({ errors } = readForm(fields, { station_slug: "x", limit: "ten" }));
  assert.match(errors[0].message, /whole number/);
});

test("a JSON body (one that is not a plain object of fields) is parsed and checked against its schema", () => {
  const wholeBody = {
    type: "object",
    properties: {
      body: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", minLength: 1 }, risk_level: { type: "string" } },
        additionalProperties: false,
      },
    },
    required: ["body"],
  };
  const fields = fieldsOf(wholeBody);
  assert.deepEqual(JSON.parse(fields[0].template), { name: "" });
  let r = readForm(fields, { body: '{"name": "Relay north", "risk_level": "high"}' });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.args, { body: { name: "Relay north", risk_level: "high" } });

  r = readForm(fields, { body: "{name: oops}" });
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /not valid JSON/);

  r = readForm(fields, { body: '{"risk_level": 3}' });
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /body\.name is required/);
  assert.match(r.errors[0].message, /body\.risk_level must be string, not number/);

  r = readForm(fields, { body: "[1]" });
  assert.match(r.errors[0].message, /body must be object, not array/);

  r = readForm(fields, { body: '{"name": ""}' });
  assert.match(r.errors[0].message, /at least 1 characters/);
});

test("an update sends what is filled in, and `clear` lists the fields to empty", () => {
  const fields = fieldsOf(schemaOf("update_poi"));
  const { args, errors } = readForm(fields, { poi_id: "4", risk_level: "watch", name: "", clear: "notes, category" });
  assert.deepEqual(errors, []);
  assert.deepEqual(args, { poi_id: 4, risk_level: "watch", clear: ["notes", "category"] });
});

test("lists accept comma-separated values or a JSON array", () => {
  const schema = { type: "object", properties: { ids: { type: "array", items: { type: "integer" } } } };
  const fields = fieldsOf(schema);
  assert.deepEqual(readForm(fields, { ids: "1, 2,3" }).args, { ids: [1, 2, 3] });
  assert.deepEqual(readForm(fields, { ids: "[4,5]" }).args, { ids: [4, 5] });
  assert.match(readForm(fields, { ids: "1, x" }).errors[0].message, /item 2 must be a whole number/);
});

test("enum values must be one of the choices; nullable enums accept null", () => {
  const schema = {
    type: "object",
    properties: { s: { anyOf: [{ type: "string", enum: ["a", "b"] }, { type: "null" }] } },
  };
  const fields = fieldsOf(schema);
  assert.equal(fields[0].kind, "enum");
  assert.deepEqual(readForm(fields, { s: "b" }).args, { s: "b" });
  assert.deepEqual(readForm(fields, { s: "null" }).args, { s: null });
  assert.match(readForm(fields, { s: "c" }).errors[0].message, /one of a, b/);
});

test("every tool the bridge publishes gets a form without throwing, with labels", () => {
  for (const tool of manifest.tools) {
    const fields = fieldsOf(tool.inputSchema);
    for (const f of fields) {
      assert.ok(f.label, `${tool.name}.${f.name} has a label`);
      assert.ok(["enum", "boolean", "integer", "number", "text", "list", "json"].includes(f.kind));
    }
    const required = (tool.inputSchema.required || []).filter((n) => n !== "context");
    const { errors } = readForm(fields, {});
    assert.deepEqual(errors.map((e) => e.field).sort(), [...required].sort(), tool.name);
  }
});

test("helpers: nonNull and skeleton and check", () => {
  assert.deepEqual(nonNull({ type: ["string", "null"] }), { schema: { type: "string" }, nullable: true });
  assert.equal(skeleton({ type: "string" }), "");
  assert.deepEqual(
    JSON.parse(skeleton({ type: "object", properties: { a: { type: "integer" }, b: { enum: ["x"] } }, required: ["a", "b"] })),
    { a: 0, b: "x" },
  );
  assert.deepEqual(check({ type: "integer" }, 1.5, "n"), ["n must be integer, not number"]);
  assert.deepEqual(check({ anyOf: [{ type: "string" }, { type: "null" }] }, null), []);
  const closed = { type: "object", properties: { a: { type: "string" } }, additionalProperties: false };
  assert.deepEqual(check(closed, { a: "x", colour: "red" }, "body"), ["body.colour is not a known field"]);
});

// An API of uploads (tests/fixtures/upload: FastAPI's own export, as the bridge lowers it).
const uploads = JSON.parse(readFileSync(new URL("../fixtures/upload-3.1.tools.json", import.meta.url), "utf8"));
const uploadSchema = (name) => uploads.tools.find((t) => t.name === name).inputSchema;

test("a file is a file field, several files a files field; both read data URLs", () => {
  const create = byName(fieldsOf(uploadSchema("create_file")));
  assert.equal(create.file.kind, "file");
  assert.equal(create.file.required, true);
  assert.match(create.file.hint, /pick a file/);
  const images = byName(fieldsOf(uploadSchema("add_images")));
  assert.equal(images.images.kind, "files");
  assert.equal(images.tags.kind, "list");
  const avatar = byName(fieldsOf(uploadSchema("update_profile"))).avatar;
  assert.equal(avatar.nullable, true);
  assert.equal(avatar.kind, "file");

  const url = "data:text/plain;name=a.txt;base64,aGk=";
  const one = readForm(fieldsOf(uploadSchema("create_file")), { purpose: "batch", file: ` ${url} ` });
  assert.deepEqual(one, { args: { purpose: "batch", file: url }, errors: [] });
  const many = readForm(fieldsOf(uploadSchema("add_images")), { dataset_id: "7", images: JSON.stringify([url, url]) });
  assert.deepEqual(many.args.images, [url, url]);
  const single = readForm(fieldsOf(uploadSchema("add_images")), { dataset_id: "7", images: url });
  assert.deepEqual(single.args.images, [url]);
  const missing = readForm(fieldsOf(uploadSchema("create_file")), { purpose: "batch" });
  assert.deepEqual(missing.errors.map((e) => e.field), ["file"]);
});

test("a picked file's data URL gets its name", () => {
  assert.equal(namedDataUrl("data:image/png;base64,AAA=", "a b.png"), "data:image/png;name=a%20b.png;base64,AAA=");
  assert.equal(namedDataUrl("data:;base64,AAA=", "x.bin"), "data:application/octet-stream;name=x.bin;base64,AAA=");
  assert.equal(namedDataUrl("not a data url", "x"), "not a data url");
});
