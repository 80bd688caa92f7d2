// A small MCP client for the browser: JSON-RPC over streamable HTTP, protocol 2026-07-28
// (stateless: every request stands alone, so there is no session to lose), with the same
// bearer token and guardrails as any other client.

export const PROTOCOL = "2026-07-28";

/** A JSON-RPC error, or an HTTP refusal (401, 403, 413, ...) turned into one. */
export class McpError extends Error {
  constructor(message, { code = null, data = null, status = null } = {}) {
    super(message);
    this.code = code;
    this.data = data;
    this.status = status;
  }
}

/** The JSON-RPC message with `id` in a response body (plain JSON or an SSE stream). */
export function messageOf(text, id) {
  const candidates = [];
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) candidates.push(trimmed);
  // SSE: events separated by blank lines; a `data:` line per line of the event's data.
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data.trim().startsWith("{")) candidates.push(data);
  }
  for (const c of candidates) {
    try {
      const m = JSON.parse(c);
      if (m && m.id === id && ("result" in m || "error" in m)) return m;
    } catch {
      // not JSON: skip
    }
  }
  return null;
}

export class McpClient {
  /**
   * @param {string} endpoint URL of the MCP endpoint (`/mcp`)
   * @param {() => Record<string, string>} headers extra headers for every request
   *   (authorization, mission context), read at each request
   */
  constructor(endpoint, headers) {
    this.endpoint = endpoint;
    this.headers = headers;
    this.nextId = 1;
  }

  /** One request; resolves to its `result`, rejects with an McpError. */
  async request(method, params = {}, name = null) {
    const id = this.nextId++;
    const body = {
      jsonrpc: "2.0",
      id,
      method,
      params: {
        ...params,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": PROTOCOL,
          "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
          "io.modelcontextprotocol/clientInfo": { name: "vtoc-mcp-console", version: "1" },
        },
      },
    };
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": PROTOCOL,
      "mcp-method": method,
      ...this.headers(),
    };
    if (name) headers["mcp-name"] = name;
    let response;
    try {
      response = await fetch(this.endpoint, { method: "POST", headers, body: JSON.stringify(body) });
    } catch (e) {
      throw new McpError(`cannot reach the MCP server at ${this.endpoint}: ${e.message}`);
    }
    const text = await response.text();
    const message = messageOf(text, id);
    if (message && message.error) {
      const e = message.error;
      throw new McpError(e.message, { code: e.code, data: e.data ?? null, status: response.status });
    }
    if (!response.ok || !message) {
      throw httpError(response, text);
    }
    return message.result;
  }

  listTools() {
    return this.request("tools/list").then((r) => r.tools || []);
  }

  callTool(name, args, extra = {}) {
    return this.request("tools/call", { name, arguments: args, ...extra }, name);
  }
}

/** An HTTP refusal as an McpError, with the server's own description when it gave one. */
export function httpError(response, text) {
  let detail = text.trim();
  try {
    const body = JSON.parse(text);
    detail = body.error_description || body.error || detail;
  } catch {
    // plain text
  }
  const what =
    {
      401: "not authenticated: check the token",
      403: "refused",
      404: "not found",
      413: "request too large",
      503: "unavailable",
    }[response.status] || "failed";
  return new McpError(`HTTP ${response.status} ${what}${detail ? `: ${detail}` : ""}`, { status: response.status });
}
