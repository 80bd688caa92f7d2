// The form generator: a tool's inputSchema -> form fields, and form values -> arguments.
//
// Pure (no DOM): console.js draws the fields; tests/console/form.test.mjs checks the rules.
// Rules, in one place:
// - one field per top-level property, required ones first, each with a label, a hint and
//   its constraints;
// - `enum` (or a `const`) -> a select; boolean -> a select (yes / no, and "not sent" when
//   optional); integer / number -> a number field; string -> a text field;
// - an array of plain values -> a list field (comma-separated, or a JSON array);
// - a file (an upload's data URL, `src/codegen/upload.rs`) -> a text field with a file
//   picker beside it; several files -> a JSON array of data URLs, or picked;
// - an object (a request body) or anything else -> JSON, validated against the schema;
// - a field left empty is not sent; `null` means the same to the bridge (an update leaves
//   the field alone); an update's `clear` field lists the fields to empty;
// - the mission-context arguments (`context_station`, ...) are not fields: the console
//   sends mission context as headers.

/** The prefix of the arguments the bridge adds for mission context. */
export const CONTEXT_PREFIX = "context_";

/**
 * How the bridge's description of a file argument ends (`FILE_TEXT` in
 * src/codegen/upload.rs, whose test checks that this file carries it).
 */
export const FILE_MARK = "data:<media type>;name=<file name>;base64,<bytes>";

const isFile = (s) => s.type === "string" && typeof s.description === "string" && s.description.endsWith(FILE_MARK);

/**
 * A data URL as `FileReader.readAsDataURL` writes it, with the file's name added
 * (`data:<type>;name=<name>;base64,…`): servers read the type from the name's extension.
 */
export function namedDataUrl(dataUrl, name) {
  const at = dataUrl.indexOf(";base64,");
  if (!dataUrl.startsWith("data:") || at < 0) return dataUrl;
  const mediaType = dataUrl.slice(5, at) || "application/octet-stream";
  return `data:${mediaType};name=${encodeURIComponent(name)}${dataUrl.slice(at)}`;
}

/** The schema of `s` without its `null` alternative, and whether it had one. */
export function nonNull(s) {
  if (!s || typeof s !== "object") return { schema: {}, nullable: false };
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== "null");
    const nullable = types.length !== s.type.length;
    return { schema: { ...s, type: types.length === 1 ? types[0] : types }, nullable };
  }
  for (const key of ["anyOf", "oneOf"]) {
    if (Array.isArray(s[key])) {
      const rest = s[key].filter((b) => !(b && b.type === "null"));
      if (rest.length !== s[key].length && rest.length === 1) {
        const { [key]: _, ...outer } = s;
        const inner = nonNull(rest[0]);
        return { schema: { ...inner.schema, ...outer }, nullable: true };
      }
    }
  }
  return { schema: s, nullable: s.type === "null" };
}

function kindOf(s) {
  if (Array.isArray(s.enum) || s.const !== undefined) return "enum";
  if (isFile(s)) return "file";
  if (s.type === "array" && isFile(nonNull(s.items || {}).schema)) return "files";
  switch (s.type) {
    case "boolean":
      return "boolean";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "string":
      return "text";
    case "array": {
      const items = nonNull(s.items || {}).schema;
      return ["string", "integer", "number", "boolean"].includes(items.type) && !items.enum ? "list" : "json";
    }
    default:
      return "json";
  }
}

function hintOf(s, kind, nullable) {
  const parts = [];
  if (s.format) parts.push(s.format === "date-time" ? "date-time, e.g. 2026-11-24T09:00:00Z" : s.format);
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) parts.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (kind === "list") parts.push("comma-separated, or a JSON array");
  if (kind === "file") parts.push("pick a file, or paste a data URL");
  if (kind === "files") parts.push("pick files, or paste a JSON array of data URLs");
  if (kind === "json") parts.push(s.type === "object" ? "a JSON object" : "JSON");
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join("; ");
}

/** A JSON skeleton for an object schema: its required properties, with placeholder values. */
export function skeleton(schema) {
  const s = nonNull(schema).schema;
  if (s.type !== "object" || !s.properties) return "";
  const out = {};
  for (const name of s.required || []) {
    const p = nonNull(s.properties[name] || {}).schema;
    out[name] =
      p.default !== undefined
        ? p.default
        : p.enum
          ? p.enum[0]
          : p.const !== undefined
            ? p.const
            : { integer: 0, number: 0, boolean: false, array: [], object: {} }[p.type] ?? "";
  }
  return JSON.stringify(out, null, 2);
}

/** The fields of a tool's inputSchema, required first, then in schema order. */
export function fieldsOf(inputSchema) {
  const props = (inputSchema && inputSchema.properties) || {};
  const required = new Set((inputSchema && inputSchema.required) || []);
  const fields = Object.entries(props)
    .filter(([name]) => !name.startsWith(CONTEXT_PREFIX))
    .map(([name, raw]) => {
      const { schema, nullable } = nonNull(raw);
      const kind = kindOf(schema);
      // A body's title is its schema's name: show the argument's name, then that.
      const label = kind === "json" && schema.title ? `${name} (${schema.title})` : schema.title || name;
      const field = {
        name,
        label,
        kind,
        required: required.has(name),
        nullable,
        description: schema.description || raw.description || "",
        hint: hintOf(schema, kind, nullable),
        schema: raw,
      };
      if (kind === "enum") field.options = (schema.enum || [schema.const]).map((v) => String(v));
      if (kind === "json" && schema.type === "object") field.template = skeleton(schema);
      if (schema.default !== undefined) field.default = schema.default;
      return field;
    });
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

function parseScalar(text, schema, where) {
  const s = nonNull(schema).schema;
  const t = s.type;
  if (t === "integer") {
    if (!/^-?\d+$/.test(text)) return { error: `${where} must be a whole number` };
    return { value: Number(text) };
  }
  if (t === "number") {
    const n = Number(text);
    if (text === "" || !Number.isFinite(n)) return { error: `${where} must be a number` };
    return { value: n };
  }
  if (t === "boolean") {
    if (text === "true") return { value: true };
    if (text === "false") return { value: false };
    return { error: `${where} must be true or false` };
  }
  return { value: text };
}

/**
 * Form values (strings, by field name) -> `{ args, errors }`. `errors` lists
 * `{ field, message }`; nothing should be sent while it is not empty.
 */
export function readForm(fields, values) {
  const args = {};
  const errors = [];
  for (const f of fields) {
    const raw = values[f.name] === undefined || values[f.name] === null ? "" : String(values[f.name]);
    const text = f.kind === "json" || f.kind === "text" || f.kind === "file" ? raw : raw.trim();
    if (text.trim() === "") {
      if (f.required) errors.push({ field: f.name, message: `${f.label} is required` });
      continue;
    }
    if (f.nullable && text.trim() === "null") {
      args[f.name] = null;
      continue;
    }
    let value;
    if (f.kind === "enum") {
      const s = nonNull(f.schema).schema;
      const choices = s.enum || [s.const];
      const match = choices.find((c) => String(c) === text);
      if (match === undefined) {
        errors.push({ field: f.name, message: `${f.label} must be one of ${choices.join(", ")}` });
        continue;
      }
      value = match;
    } else if (f.kind === "file") {
      value = text.trim();
    } else if (f.kind === "files" && !text.startsWith("[")) {
      value = [text];
    } else if (f.kind === "json" || f.kind === "files" || (f.kind === "list" && text.startsWith("["))) {
      try {
        value = JSON.parse(text);
      } catch (e) {
        errors.push({ field: f.name, message: `${f.label} is not valid JSON: ${e.message}` });
        continue;
      }
    } else if (f.kind === "list") {
      const items = nonNull(f.schema).schema.items || {};
      const parsed = text.split(",").map((part, i) => parseScalar(part.trim(), items, `${f.label} item ${i + 1}`));
      const bad = parsed.find((p) => p.error);
      if (bad) {
        errors.push({ field: f.name, message: bad.error });
        continue;
      }
      value = parsed.map((p) => p.value);
    } else {
      const parsed = parseScalar(text, f.schema, f.label);
      if (parsed.error) {
        errors.push({ field: f.name, message: parsed.error });
        continue;
      }
      value = parsed.value;
    }
    // A value that is not null is checked against the schema without its null, so a bound
    // it breaks is named ("≤ 200"), not only "integer or null".
    const against = value === null ? f.schema : nonNull(f.schema).schema;
    const problems = check(against, value, f.kind === "json" || f.kind === "list" ? f.name : f.label);
    if (problems.length) {
      errors.push({ field: f.name, message: problems.join("; ") });
      continue;
    }
    args[f.name] = value;
  }
  return { args, errors };
}

function typeMatches(type, v) {
  switch (type) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v);
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    default:
      return true;
  }
}

/**
 * Check `v` against a JSON Schema (the subset the bridge's input schemas use). Returns
 * readable problems, each naming where it is. The server checks again: this is for
 * telling the operator early, not for security.
 */
export function check(schema, v, where = "value") {
  if (!schema || typeof schema !== "object") return [];
  const out = [];
  for (const key of ["anyOf", "oneOf"]) {
    if (Array.isArray(schema[key]) && !schema[key].some((b) => check(b, v, where).length === 0)) {
      const options = schema[key].map((b) => b.type || b.title || "schema").join(" or ");
      out.push(`${where} must be ${options}`);
      return out;
    }
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, v))) {
      out.push(`${where} must be ${types.join(" or ")}, not ${v === null ? "null" : Array.isArray(v) ? "array" : typeof v}`);
      return out;
    }
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(v)) {
    out.push(`${where} must be ${JSON.stringify(schema.const)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push(`${where} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof v === "string") {
    if (schema.minLength !== undefined && [...v].length < schema.minLength)
      out.push(`${where} must have at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && [...v].length > schema.maxLength)
      out.push(`${where} must have at most ${schema.maxLength} characters`);
  }
  if (typeof v === "number") {
    if (schema.minimum !== undefined && v < schema.minimum) out.push(`${where} must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && v > schema.maximum) out.push(`${where} must be ≤ ${schema.maximum}`);
  }
  if (Array.isArray(v) && schema.items) {
    v.forEach((item, i) => out.push(...check(schema.items, item, `${where}[${i}]`)));
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const props = schema.properties || {};
    for (const name of schema.required || []) {
      if (!(name in v)) out.push(`${where}.${name} is required`);
    }
    for (const [name, value] of Object.entries(v)) {
      if (props[name]) out.push(...check(props[name], value, `${where}.${name}`));
      else if (schema.additionalProperties === false) out.push(`${where}.${name} is not a known field`);
    }
  }
  return out;
}
