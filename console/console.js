// The operator console: connect with a token, pick the mission context, browse the tools
// this token may use, run one through the real MCP endpoint and read the result.
//
// Discovery mode (the server lists search_tools, describe_tool and call_tool instead of
// its tools, MCP_TOOL_MODE): the catalog comes from /.well-known/mcp-config (every tool
// this token may call), the filter box searches with search_tools (the ranking a model
// gets), a tool's form comes from describe_tool, and it runs through call_tool: the same
// guarded path as an agent's.
//
// Everything goes through /mcp (JSON-RPC, protocol 2026-07-28) and
// /.well-known/mcp-config with the operator's token: same authentication, scopes,
// read-only mode, validation and confirmations as any agent. The token lives in `state`
// only (no storage, no cookie), so reloading the page forgets it.

import { McpClient, McpError, httpError } from "./mcp.js";
import { fieldsOf, namedDataUrl, readForm } from "./form.js";
import { errorText, rowsOf, tableElement, treeElement, valueOf } from "./render.js";

const $ = (id) => document.getElementById(id);
const root = new URL("../", document.baseURI);
const endpoints = { mcp: new URL("mcp", root).href, config: new URL(".well-known/mcp-config", root).href };

const state = {
  token: "",
  station: "",
  config: null,
  client: null,
  tools: new Map(), // name -> { tool (from tools/list), info (from mcp-config), off (reason) }
  current: null,
  result: null,
  view: "table",
  discovery: false, // the server serves this token the meta-tools
  hits: null, // names search_tools ranked for the filter, in discovery mode
};

const META = ["search_tools", "describe_tool", "call_tool"];

function headers() {
  const h = {};
  if (state.token) h.authorization = `Bearer ${state.token}`;
  if (state.station) h["x-station-id"] = state.station;
  return h;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || ["for", "role", "spellcheck"].includes(k)) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function setStatus(text, error = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", error);
}

// --- connect -------------------------------------------------------------------------

async function connect(event) {
  event.preventDefault();
  const typed = $("token").value.trim();
  state.token = typed;
  $("connect-button").disabled = true;
  setStatus("Connecting…");
  try {
    const response = await fetch(endpoints.config, { headers: headers() });
    const text = await response.text();
    if (!response.ok) throw httpError(response, text);
    const config = JSON.parse(text);
    const client = new McpClient(endpoints.mcp, headers);
    const listed = await client.listTools();
    state.config = config;
    state.client = client;
    state.tools = new Map();
    const info = new Map(config.tools.map((t) => [t.name, t]));
    state.discovery = META.every((m) => listed.some((t) => t.name === m)) && listed.length === META.length;
    state.hits = null;
    if (state.discovery) {
      // The tools are described when chosen (describe_tool), not listed.
      for (const t of config.tools) {
        state.tools.set(t.name, { tool: { name: t.name, title: t.title, annotations: t.annotations }, info: t, off: null, described: false });
      }
    } else {
      for (const tool of listed) state.tools.set(tool.name, { tool, info: info.get(tool.name) || {}, off: null, described: true });
    }
    for (const u of config.unavailable || []) {
      if (!state.tools.has(u.name)) state.tools.set(u.name, { tool: { name: u.name, title: u.title, annotations: u.annotations }, info: u, off: u.reason });
    }
    $("token").value = "";
    $("connect-button").textContent = "Reconnect";
    $("app").hidden = false;
    const off = (config.unavailable || []).length;
    setStatus(
      `Connected to ${config.server.name} ${config.server.version} as ${config.caller.name} (${config.caller.scope}): ` +
        (state.discovery
          ? `${config.tools.length} tools, served through search_tools, describe_tool and call_tool (discovery mode)`
          : `${listed.length} tools`) +
        (off ? `, ${off} more off on this server${config.policy.writes ? "" : " (read-only)"}` : "") +
        ".",
    );
    renderCatalog();
    await loadStations();
  } catch (e) {
    state.token = "";
    setStatus(`Could not connect: ${e.message}`, true);
  } finally {
    $("connect-button").disabled = false;
  }
}

// --- mission context -------------------------------------------------------------------

async function loadStations() {
  const select = $("station");
  const keep = state.station;
  select.replaceChildren(el("option", { value: "", text: "(server default)" }));
  // The server names the tool that lists stations (it follows the API's operation names).
  const source = state.config && state.config.context && state.config.context.stations;
  const lister = source && state.tools.get(source.tool);
  if (!lister || lister.off) {
    select.disabled = true;
    $("station-hint").textContent = "This token cannot list stations here; the server default context applies.";
    return;
  }
  const valueField = source.value || "id";
  const label = (s) => (source.labels || []).map((f) => s[f]).find((v) => v != null);
  try {
    const result = await state.client.callTool(source.tool, {});
    if (result.isError) throw new McpError(errorText(result));
    const value = valueOf(result);
    const rows = Array.isArray(value) ? value : value && Array.isArray(value.result) ? value.result : [];
    const valueOfRow = (s) => String(s[valueField] ?? s.id);
    for (const s of rows) {
      const value = valueOfRow(s);
      const name = label(s);
      select.append(el("option", { value, text: name ? `${name} (${value})` : value }));
    }
    select.disabled = false;
    select.value = rows.some((s) => valueOfRow(s) === keep) ? keep : "";
    state.station = select.value;
  } catch (e) {
    $("station-hint").textContent = `Could not list stations: ${e.message}`;
  }
}

function chooseStation() {
  state.station = $("station").value;
  setStatus(
    state.station
      ? `Mission context: station ${state.station}. Calls carry x-station-id: ${state.station}.`
      : "Mission context: the server default.",
  );
  const slugField = document.querySelector('[data-arg="station_slug"]');
  if (slugField && state.station) slugField.value = state.station;
}

// --- catalog ---------------------------------------------------------------------------

function badges(annotations = {}, off = null, confirmation = false) {
  const b = el("span", { class: "badges" });
  if (off) b.append(el("span", { class: "badge off", text: "off" }));
  if (annotations.readOnlyHint) b.append(el("span", { class: "badge read", text: "read-only" }));
  else b.append(el("span", { class: "badge write", text: "writes" }));
  if (annotations.destructiveHint) b.append(el("span", { class: "badge destructive", text: "destructive" }));
  if (confirmation) b.append(el("span", { class: "badge destructive", text: "asks to confirm" }));
  return b;
}

/** Discovery mode: the filter is a search_tools query (the model's ranking). */
let searching = null;
function searchCatalog() {
  const query = $("filter").value.trim();
  clearTimeout(searching);
  if (!query) {
    state.hits = null;
    renderCatalog();
    return;
  }
  searching = setTimeout(async () => {
    try {
      const result = await state.client.callTool("search_tools", { query, limit: 10 });
      if ($("filter").value.trim() !== query) return;
      const value = valueOf(result) || {};
      state.hits = result.isError ? [] : (value.tools || []).map((t) => t.name);
    } catch (e) {
      state.hits = [];
      setStatus(`Search failed: ${e.message}`, true);
    }
    renderCatalog();
  }, 200);
}

function renderCatalog() {
  if (state.discovery && state.hits) {
    renderHits();
    return;
  }
  const filter = state.discovery ? "" : $("filter").value.trim().toLowerCase();
  const groups = new Map();
  for (const entry of state.tools.values()) {
    const tags = entry.info.tags && entry.info.tags.length ? entry.info.tags : ["other"];
    const hay = `${entry.tool.name} ${entry.tool.title || ""} ${tags.join(" ")}`.toLowerCase();
    if (filter && !hay.includes(filter)) continue;
    const tag = tags[0];
    if (!groups.has(tag)) groups.set(tag, []);
    groups.get(tag).push(entry);
  }
  const container = $("tool-groups");
  container.replaceChildren();
  for (const tag of [...groups.keys()].sort()) {
    const list = el("ul");
    for (const entry of groups.get(tag).sort((a, b) => a.tool.name.localeCompare(b.tool.name))) {
      list.append(el("li", {}, toolButton(entry)));
    }
    const details = el("details", { open: true }, el("summary", { text: `${tag} (${groups.get(tag).length})` }), list);
    container.append(details);
  }
  if (!groups.size) container.append(el("p", { class: "hint", text: "No tool matches." }));
}

function toolButton(entry) {
  const name = entry.tool.name;
  const button = el(
    "button",
    {
      type: "button",
      class: entry.off ? "off" : "",
      "data-tool": name,
      "aria-current": state.current === name ? "true" : "false",
      title: entry.off ? `Off on this server: ${entry.off}` : entry.tool.title || name,
    },
    el("span", { text: name }),
    badges(entry.tool.annotations, entry.off),
  );
  button.addEventListener("click", () => selectTool(name));
  return button;
}

/** search_tools' answer, best first, as the model reads it. */
function renderHits() {
  const container = $("tool-groups");
  const list = el("ol", { class: "hits" });
  for (const name of state.hits) {
    const entry = state.tools.get(name);
    if (entry) list.append(el("li", {}, toolButton(entry)));
  }
  const title = `search_tools (${state.hits.length})`;
  container.replaceChildren(el("details", { open: true, id: "search-hits" }, el("summary", { text: title }), list));
  if (!state.hits.length) container.append(el("p", { class: "hint", text: "search_tools found nothing; try other words." }));
}

// --- one tool ----------------------------------------------------------------------------

/** A picked file as the bridge takes it: a data URL with its name. */
function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(namedDataUrl(String(reader.result), file.name));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function control(field) {
  const id = `arg-${field.name}`;
  const common = { id, name: field.name, "data-arg": field.name, "aria-describedby": `${id}-hint ${id}-error` };
  if (field.required) common["aria-required"] = "true";
  if (field.kind === "enum" || field.kind === "boolean") {
    const options = field.kind === "enum" ? field.options : ["true", "false"];
    const select = el("select", common);
    if (!field.required || field.default === undefined) {
      select.append(el("option", { value: "", text: field.required ? "— choose —" : "— not sent —" }));
    }
    for (const o of options) select.append(el("option", { value: o, text: o }));
    if (field.default !== undefined && field.required) select.value = String(field.default);
    return select;
  }
  if (field.kind === "file" || field.kind === "files") {
    // The argument is the data URL text (pasted, or filled in by the picker).
    const input = el("input", { ...common, type: "text", autocomplete: "off", spellcheck: "false" });
    const picker = el("input", { type: "file", "data-file-for": field.name, "aria-label": `${field.label}: pick a file` });
    picker.multiple = field.kind === "files";
    picker.addEventListener("change", async () => {
      const urls = await Promise.all([...picker.files].map(readFile));
      input.value = field.kind === "files" ? JSON.stringify(urls) : urls[0] || "";
    });
    return el("span", { class: "file" }, input, picker);
  }
  if (field.kind === "json") {
    const area = el("textarea", { ...common, spellcheck: "false", rows: 8 });
    if (field.required && field.template) area.value = field.template;
    return area;
  }
  const input = el("input", { ...common, type: "text", autocomplete: "off", spellcheck: "false" });
  if (field.kind === "integer" || field.kind === "number") input.inputMode = field.kind === "integer" ? "numeric" : "decimal";
  if (field.name === "station_slug" && state.station) input.value = state.station;
  return input;
}

/** Discovery mode: a tool's definition, from describe_tool, once. */
async function describe(entry) {
  if (entry.described) return;
  const result = await state.client.callTool("describe_tool", { name: entry.tool.name });
  if (result.isError) throw new McpError(errorText(result));
  const definition = valueOf(result) || {};
  // An outline (a definition over the result limit) has no inputSchema: the form is JSON.
  entry.tool = { ...entry.tool, ...definition };
  entry.described = true;
}

async function selectTool(name) {
  const entry = state.tools.get(name);
  if (!entry) return;
  if (state.discovery && !entry.described && !entry.off) {
    try {
      await describe(entry);
    } catch (e) {
      setStatus(`Could not describe ${name}: ${e.message}`, true);
      return;
    }
  }
  state.current = name;
  for (const b of document.querySelectorAll("#tool-groups button[data-tool]")) {
    b.setAttribute("aria-current", b.dataset.tool === name ? "true" : "false");
  }
  const { tool, info, off } = entry;
  const a = tool.annotations || {};
  const yes = (v) => (v ? "yes" : "no");
  const panel = $("tool");
  const facts = el(
    "dl",
    { class: "facts" },
    el("dt", { text: "Endpoint" }),
    el("dd", { class: "mono", text: info.endpoint || "—" }),
    el("dt", { text: "Reads only" }),
    el("dd", { text: yes(a.readOnlyHint) }),
    el("dt", { text: "Destructive" }),
    el("dd", { text: a.destructiveHint ? "yes: you will be asked to confirm" : "no" }),
    el("dt", { text: "Idempotent" }),
    el("dd", { text: yes(a.idempotentHint) }),
    el("dt", { text: "Reaches outside vTOC" }),
    el("dd", { text: yes(a.openWorldHint) }),
    el("dt", { text: "Scope needed" }),
    el("dd", { text: info.requiredScope || "—" }),
  );
  const form = el("form", { class: "tool-form", noValidate: true, "aria-labelledby": "tool-title" });
  const errorsBox = el("div", { class: "form-errors", role: "alert", hidden: true });
  form.append(errorsBox);
  let fields;
  if (off || !tool.inputSchema) {
    const hint = off ? "a JSON object" : "a JSON object (the definition is outlined: it is over the result limit)";
    fields = [{ name: "arguments", label: "Arguments (JSON)", kind: "json", required: false, nullable: false, hint, schema: { type: "object" } }];
  } else {
    fields = fieldsOf(tool.inputSchema);
  }
  for (const f of fields) {
    const id = `arg-${f.name}`;
    const label = el("label", { for: id }, f.label, f.required ? el("span", { class: "req", text: " *", "aria-hidden": "true" }) : null);
    const help = [f.description, f.hint].filter(Boolean).join(" · ");
    form.append(
      el(
        "div",
        { class: "field" },
        label,
        control(f),
        el("span", { id: `${id}-hint`, class: "hint", text: (f.required ? "Required. " : "") + help }),
        el("span", { id: `${id}-error`, class: "field-error" }),
      ),
    );
  }
  if (!fields.length) form.append(el("p", { class: "hint", text: "This tool takes no arguments." }));
  const run = el("button", { id: "run", type: "submit", class: a.destructiveHint ? "danger" : "", text: off ? "Run anyway (the server will refuse)" : "Run" });
  form.append(el("div", { class: "actions" }, run, el("span", { class: "hint", text: off ? "" : "Arguments are checked here, then again by the server." })));
  const raw = off || !tool.inputSchema;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    runTool(name, fields, form, raw);
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  const parts = [
    el("h2", { id: "tool-title" }, el("span", { text: tool.title || name }), " ", el("code", { text: name })),
    off ? el("p", { class: "error-box", text: `Off on this server: ${off}` }) : null,
    el("p", { text: info.description || tool.description || "" }),
    facts,
    form,
  ];
  panel.replaceChildren(...parts.filter(Boolean));
  const first = form.querySelector("input, select, textarea");
  (first || run).focus();
}

/** Server-side violations (`body.name`, `poi_id`) as form errors on their top-level field. */
function argumentErrors(violations) {
  return violations.map((v) => ({
    field: String(v.field || "arguments").split(/[.[]/)[0],
    message: v.field ? `${v.field}: ${v.problem}` : v.problem,
  }));
}

function showFormErrors(form, errors) {
  const box = form.querySelector(".form-errors");
  for (const node of form.querySelectorAll("[data-arg]")) node.removeAttribute("aria-invalid");
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  if (!errors.length) {
    box.hidden = true;
    return;
  }
  box.replaceChildren(
    el("strong", { text: `Not sent: ${errors.length} problem${errors.length > 1 ? "s" : ""} in the form` }),
    el("ul", {}, ...errors.map((e) => el("li", { text: e.message }))),
  );
  box.hidden = false;
  for (const e of errors) {
    const input = form.querySelector(`[data-arg="${CSS.escape(e.field)}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
    const slot = document.getElementById(`arg-${e.field}-error`);
    if (slot) slot.textContent = e.message;
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

function askConfirmation(message) {
  const dialog = $("confirm");
  $("confirm-message").textContent = message;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

async function runTool(name, fields, form, off) {
  const values = {};
  for (const f of fields) {
    const node = form.querySelector(`[data-arg="${CSS.escape(f.name)}"]`);
    values[f.name] = node ? node.value : "";
  }
  let args;
  const { args: read, errors } = readForm(fields, values);
  if (off) {
    args = read.arguments ?? {};
    if (args === null || typeof args !== "object" || Array.isArray(args)) errors.push({ field: "arguments", message: "Arguments must be a JSON object" });
  } else {
    args = read;
  }
  showFormErrors(form, errors);
  if (errors.length) return;
  const run = form.querySelector("#run");
  run.disabled = true;
  const started = performance.now();
  // In discovery mode the tool runs through call_tool, as an agent's does.
  const call = (extra) =>
    state.discovery ? state.client.callTool("call_tool", { name, arguments: args }, extra) : state.client.callTool(name, args, extra);
  try {
    let result = await call();
    if (result.resultType === "input_required") {
      const request = (result.inputRequests || {}).confirm;
      const message = (request && request.params && request.params.message) || `Confirm ${name}?`;
      const ok = await askConfirmation(message);
      const response = ok ? { action: "accept", content: { confirm: true } } : { action: "decline" };
      result = await call({ inputResponses: { confirm: response }, requestState: result.requestState });
    }
    showResult(name, result, performance.now() - started);
    // Arguments the server refused (a tool error naming each field): mark them in the form.
    const violations = result.isError && result._meta && result._meta["vtoc/violations"];
    if (Array.isArray(violations)) showFormErrors(form, argumentErrors(violations));
  } catch (e) {
    showFailure(name, e, performance.now() - started);
  } finally {
    run.disabled = false;
  }
}

// --- results -----------------------------------------------------------------------------

function showResult(name, result, ms) {
  state.result = result;
  $("result").hidden = false;
  const summary = $("result-summary");
  if (result.isError) {
    summary.className = "error";
    summary.textContent = `${name}: the tool returned an error (${ms.toFixed(0)} ms).`;
    $("result-views").hidden = true;
    $("result-body").replaceChildren(el("div", { class: "error-box", text: errorText(result) }));
    return;
  }
  const value = valueOf(result);
  const rows = rowsOf(value);
  summary.className = "ok";
  summary.textContent =
    `${name}: OK in ${ms.toFixed(0)} ms` + (rows && !rows.record ? `, ${rows.rows.length} row${rows.rows.length === 1 ? "" : "s"}` : "") + ".";
  $("result-views").hidden = false;
  renderView();
}

function showFailure(name, e, ms) {
  state.result = null;
  $("result").hidden = false;
  const summary = $("result-summary");
  summary.className = "error";
  const kind = e instanceof McpError && e.code !== null ? `JSON-RPC error ${e.code}` : "request failed";
  summary.textContent = `${name}: ${kind} (${ms.toFixed(0)} ms).`;
  $("result-views").hidden = true;
  const detail = e instanceof McpError && e.data ? `\n\n${JSON.stringify(e.data, null, 2)}` : "";
  $("result-body").replaceChildren(el("div", { class: "error-box", text: `${e.message}${detail}` }));
}

function renderView() {
  if (!state.result) return;
  for (const b of document.querySelectorAll("#result-views button")) {
    b.setAttribute("aria-pressed", b.dataset.view === state.view ? "true" : "false");
  }
  const value = valueOf(state.result);
  const body = $("result-body");
  if (state.view === "table") {
    const rows = rowsOf(value);
    if (rows) {
      const caption = rows.record ? "One record" : `${rows.rows.length} rows${rows.path ? ` (${rows.path})` : ""}`;
      body.replaceChildren(el("div", { class: "table-wrap" }, tableElement(document, rows, caption)));
      return;
    }
  }
  if (state.view === "raw") {
    body.replaceChildren(el("pre", { class: "raw", text: JSON.stringify(state.result, null, 2) }));
    return;
  }
  body.replaceChildren(el("div", { class: "tree" }, treeElement(document, value)));
}

// --- wiring ------------------------------------------------------------------------------

$("connect").addEventListener("submit", connect);
$("station").addEventListener("change", chooseStation);
$("reload-stations").addEventListener("click", loadStations);
$("filter").addEventListener("input", () => (state.discovery ? searchCatalog() : renderCatalog()));
$("filter").addEventListener("keydown", (e) => {
  if (e.key === "Escape") {
    e.target.value = "";
    state.hits = null;
    renderCatalog();
  }
});
for (const b of document.querySelectorAll("#result-views button")) {
  b.addEventListener("click", () => {
    state.view = b.dataset.view;
    renderView();
  });
}
document.addEventListener("keydown", (e) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
  if (e.key === "/" && !typing && !$("app").hidden) {
    e.preventDefault();
    $("filter").focus();
  }
});
document.body.dataset.ready = "true";
