// Tool results -> what the console shows: the value behind a result, rows for a table, and
// the DOM of a table or a JSON tree. The pure parts are tested in tests/console/.

/**
 * The value a tool result carries: its structuredContent, else the JSON in its first text
 * block, else the text itself.
 */
export function valueOf(result) {
  if (!result) return null;
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = (result.content || []).filter((c) => c.type === "text").map((c) => c.text);
  if (text.length === 0) return null;
  try {
    return JSON.parse(text[0]);
  } catch {
    return text.join("\n");
  }
}

/** The readable text of a tool error: its text blocks. */
export function errorText(result) {
  return (result.content || [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Rows for a table: `{ columns, rows, path }` for a list of records (the value itself, or
 * its list of records such as `result` or `items`), or for one record as field/value
 * pairs; `null` when a table would not help.
 */
export function rowsOf(value) {
  const table = (list, path) => {
    const columns = [];
    for (const row of list.slice(0, 200)) {
      for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    }
    return { columns, rows: list.map((row) => columns.map((c) => row[c])), path };
  };
  if (Array.isArray(value)) {
    return value.length > 0 && value.every(isRecord) ? table(value, "") : null;
  }
  if (!isRecord(value)) return null;
  const lists = Object.entries(value).filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every(isRecord));
  const preferred = lists.find(([k]) => k === "result" || k === "items") || (lists.length === 1 ? lists[0] : null);
  if (preferred && (Object.keys(value).length === 1 || preferred[0] === "items" || preferred[0] === "result")) {
    return table(preferred[1], preferred[0]);
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return null;
  return { columns: ["field", "value"], rows: keys.map((k) => [k, value[k]]), path: "", record: true };
}

/** One table cell as text: plain values as they are, the rest as compact JSON. */
export function cellText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** A `<table>` for `rowsOf`'s output. */
export function tableElement(doc, t, caption) {
  const table = doc.createElement("table");
  const cap = doc.createElement("caption");
  cap.textContent = caption;
  table.append(cap);
  const head = doc.createElement("thead");
  const tr = doc.createElement("tr");
  for (const c of t.columns) {
    const th = doc.createElement("th");
    th.scope = "col";
    th.textContent = c;
    tr.append(th);
  }
  head.append(tr);
  const body = doc.createElement("tbody");
  for (const row of t.rows) {
    const r = doc.createElement("tr");
    row.forEach((cell, i) => {
      const td = doc.createElement(t.record && i === 0 ? "th" : "td");
      if (t.record && i === 0) td.scope = "row";
      const text = cellText(cell);
      if (cell !== null && typeof cell === "object") {
        // Nested values: the start, with the whole value on hover and in the JSON tree.
        td.textContent = text.length > 80 ? `${text.slice(0, 79)}…` : text;
        td.title = text;
        td.className = "nested";
      } else {
        td.textContent = text;
        if (typeof cell === "number") td.className = "num";
      }
      r.append(td);
    });
    body.append(r);
  }
  table.append(head, body);
  return table;
}

/** A collapsible JSON tree (`<details>` per object and array; the first levels open). */
export function treeElement(doc, value, key = null, depth = 0) {
  const label = (text) => {
    const s = doc.createElement("span");
    s.className = "key";
    s.textContent = text;
    return s;
  };
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const details = doc.createElement("details");
    details.open = depth < 2;
    const summary = doc.createElement("summary");
    if (key !== null) summary.append(label(key), ": ");
    const count = doc.createElement("span");
    count.className = "meta";
    count.textContent = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    summary.append(count);
    details.append(summary);
    const list = doc.createElement("ul");
    for (const [k, v] of entries) {
      const li = doc.createElement("li");
      li.append(treeElement(doc, v, k, depth + 1));
      list.append(li);
    }
    details.append(list);
    return details;
  }
  const span = doc.createElement("span");
  if (key !== null) span.append(label(key), ": ");
  const v = doc.createElement("span");
  v.className = `v-${value === null ? "null" : typeof value}`;
  v.textContent = JSON.stringify(value);
  span.append(v);
  return span;
}
