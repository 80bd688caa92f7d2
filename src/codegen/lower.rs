//! Spec → IR: decide, for every operation, whether it is a tool and what that tool is.
//!
//! Collects every problem before failing, so one build shows all of them. Problems
//! (the spec is wrong, or two tools would share a name) fail generation; operations the
//! bridge cannot express (cookies, multipart bodies) become recorded exclusions with a
//! reason, printed as build warnings.

use super::ir::{
    Annotations, BODY_ARG, Body, DescriptionSource, Exclusion, ExclusionKind, Ir, Location, Method, NameOrigin, Param,
    RESULT_KEY, ResponseShape, Tool,
};
use super::naming;
use super::overrides::{self, OperationOverride, Overrides};
use super::refs::{Refs, last_segment};
use super::schema::{Compiler, Mode, attach_defs, field_title};
use super::upload::{self, MULTIPART};
use super::{Problem, operation_label};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub fn lower(doc: &Value, overrides: &Overrides) -> Result<Ir, Vec<Problem>> {
    let refs = Refs::new(doc);
    let mut problems = Vec::new();
    let mut tools = Vec::new();
    let mut exclusions = Vec::new();
    let mut warnings = Vec::new();
    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut used_overrides: BTreeSet<String> = BTreeSet::new();
    // Every operation of the spec, for naming the likely successor of a stale override.
    let mut operations: Vec<(String, Method, String)> = Vec::new();

    let no_paths = Map::new();
    let paths = doc.get("paths").and_then(Value::as_object).unwrap_or(&no_paths);
    for (path, item) in paths {
        let item = match item.get("$ref").and_then(Value::as_str) {
            Some(r) => match refs.resolve(r) {
                Ok((target, _)) => target,
                Err(e) => {
                    problems.push(Problem::global(format!("path `{path}`: {e}")));
                    continue;
                }
            },
            None => item,
        };
        let Some(item_map) = item.as_object() else { continue };
        for (key, op) in item_map {
            let Some(method) = Method::from_key(key) else { continue };
            let label = operation_label(op, key, path);
            let spec_id = op.get("operationId").and_then(Value::as_str);
            let operation_id = spec_id.map_or_else(|| naming::derive_tool_name(None, method, path).0, str::to_owned);
            operations.push((operation_id.clone(), method, path.clone()));
            if let Some(previous) = seen_ids.insert(operation_id.clone(), label.clone()) {
                problems.push(Problem::operation(
                    &label,
                    format!("operationId `{operation_id}` is also used by {previous}; operationIds must be unique"),
                ));
                continue;
            }
            let spec_override = match overrides::from_extensions(op) {
                Ok(o) => o,
                Err(e) => {
                    problems.push(Problem::operation(&label, e.to_string()));
                    continue;
                }
            };
            let file_override = spec_id.and_then(|id| overrides.operations.get(id));
            if let (Some(id), Some(_)) = (spec_id, file_override) {
                used_overrides.insert(id.to_string());
            }
            let decided = overrides::merge(file_override, spec_override);
            if let Some(reason) = &decided.exclude {
                exclusions.push(Exclusion {
                    operation_id: operation_id.clone(),
                    method,
                    path: path.clone(),
                    reason: reason.clone(),
                    kind: ExclusionKind::Override,
                });
                continue;
            }
            let ctx = OpCtx { refs: &refs, path, method, op, path_item: item, label: &label };
            let origin = DescriptionSource::of(file_override, op);
            match ctx.lower(&operation_id, &decided, origin, &mut warnings) {
                Ok(Lowered::Tool(tool)) => tools.push(*tool),
                Ok(Lowered::Unsupported(reason)) => exclusions.push(Exclusion {
                    operation_id,
                    method,
                    path: path.clone(),
                    reason,
                    kind: ExclusionKind::Unsupported,
                }),
                Err(mut errs) => problems.append(&mut errs),
            }
        }
    }

    for id in overrides.operations.keys() {
        if !used_overrides.contains(id) {
            warnings.push(stale_override(id, &operations));
        }
    }
    resolve_names(&mut tools, &mut warnings, &mut problems);
    warnings.extend(stale_tool_mentions(doc, overrides, &tools));
    let title = doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("API").to_string();
    let resources = match super::resources::lower(&tools, overrides, &title) {
        Ok(r) => r,
        Err(mut p) => {
            problems.append(&mut p);
            Vec::new()
        }
    };

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Ir {
        title,
        version: doc.pointer("/info/version").and_then(Value::as_str).unwrap_or("0").to_string(),
        source_openapi: doc.get("openapi").and_then(Value::as_str).unwrap_or_default().to_string(),
        tools,
        resources,
        exclusions,
        warnings,
    })
}

/// Curated words that name a tool this build does not have: a snake_case word in an
/// override's description or argument descriptions that is neither a tool (generated,
/// hand-written or a discovery meta-tool) nor a name the spec uses (a property, a
/// parameter, an operationId). Agents would be told to call something that is not there.
fn stale_tool_mentions(doc: &Value, overrides: &Overrides, tools: &[Tool]) -> Vec<String> {
    fn spec_names(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(props) = map.get("properties").and_then(Value::as_object) {
                    out.extend(props.keys().cloned());
                }
                for key in ["name", "operationId"] {
                    if let Some(name) = map.get(key).and_then(Value::as_str) {
                        out.insert(name.to_string());
                    }
                }
                map.values().for_each(|v| spec_names(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| spec_names(v, out)),
            _ => {}
        }
    }
    let mut known = BTreeSet::new();
    spec_names(doc, &mut known);
    known.extend(tools.iter().map(|t| t.name.clone()));
    known.extend(super::profile::HAND_WRITTEN_TOOLS.iter().map(|(_, tool)| tool.to_string()));
    known.extend(["search_tools", "describe_tool", "call_tool"].map(String::from));
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .filter(|w| w.contains('_') && w.starts_with(|c: char| c.is_ascii_lowercase()) && !w.ends_with('_'))
            .map(str::to_owned)
            .collect()
    };
    let mut out = Vec::new();
    for (id, entry) in &overrides.operations {
        let texts = entry.description.iter().chain(entry.arguments.values());
        let unknown: BTreeSet<String> = texts.flat_map(|t| words(t)).filter(|w| !known.contains(w)).collect();
        for word in unknown {
            out.push(format!(
                "openapi/mcp-overrides.json: the words for `{id}` name `{word}`, which is not a tool of this build nor a name in the spec; if a tool was renamed, update the text (agents would look for `{word}`)"
            ));
        }
    }
    out
}

/// An override entry for an operationId the spec does not have. Its decisions (and curated
/// text) no longer apply, so say so, and name the operation it most likely meant: the same
/// method and path under a renamed function (FastAPI's operationId is function + path +
/// method), or the same function under another path.
fn stale_override(id: &str, operations: &[(String, Method, String)]) -> String {
    let hint = match likely_successor(id, operations) {
        Some((other, why)) => format!(" It is most likely `{other}` ({why}): move the entry to that key."),
        None => " Delete the entry if the operation is gone.".to_string(),
    };
    format!(
        "openapi/mcp-overrides.json names operation `{id}`, which is not in the spec; the entry is ignored, and any curated text in it no longer reaches agents.{hint}"
    )
}

/// The operation that most likely replaced `id` (an operationId no longer in the spec),
/// with why: the same endpoint under a renamed function, or the same function at another
/// endpoint. Only FastAPI's automatic operationIds carry enough to tell.
pub fn likely_successor(id: &str, operations: &[(String, Method, String)]) -> Option<(String, String)> {
    let same_endpoint = operations
        .iter()
        .find(|(other, method, path)| naming::fastapi_function_name(id, *method, path).is_some() && other != id);
    if let Some((other, method, path)) = same_endpoint {
        return Some((other.clone(), format!("the same {} {path}, its function renamed", method.as_str())));
    }
    operations
        .iter()
        .find(|(other, method, path)| {
            naming::fastapi_function_name(other, *method, path)
                .is_some_and(|function| id.starts_with(&format!("{function}_")))
        })
        .map(|(other, method, path)| (other.clone(), format!("the same function, now at {} {path}", method.as_str())))
}

/// Distinct tool names by the collision rule ([`naming::resolve_collisions`]); only two
/// overrides choosing one name are an error.
fn resolve_names(tools: &mut [Tool], warnings: &mut Vec<String>, problems: &mut Vec<Problem>) {
    let named: Vec<naming::Named<'_>> = tools
        .iter()
        .map(|t| naming::Named {
            name: &t.name,
            explicit: matches!(t.name_origin, NameOrigin::SpecExtension | NameOrigin::OverrideFile),
            method: t.method,
            path: &t.path,
            operation_id: &t.operation_id,
        })
        .collect();
    let decided = naming::resolve_collisions(&named);
    let describe = |t: &Tool| format!("`{}` ({} {})", t.operation_id, t.method.as_str(), t.path);
    for (a, b) in decided.clashes {
        let (a, b) = (&tools[a], &tools[b]);
        problems.push(Problem::global(if a.name == b.name {
            format!(
                "the overrides name both {} and {} `{}`; give one of them another `\"name\"` in openapi/mcp-overrides.json (or `x-mcp-name` in the spec)",
                describe(a),
                describe(b),
                a.name
            )
        } else {
            format!(
                "the overrides name {} `{}` and {} `{}`, which differ only by `-` versus `_` (generated Rust cannot tell them apart); rename one",
                describe(a),
                a.name,
                describe(b),
                b.name
            )
        }));
    }
    // A large API can have hundreds of groups: the first few say what happened, the name
    // map in docs/API.md (`collision` origin) lists every one.
    const SHOWN: usize = 10;
    let more = decided.notes.len().saturating_sub(SHOWN);
    warnings.extend(decided.notes.into_iter().take(SHOWN));
    if more > 0 {
        warnings.push(format!(
            "{more} more groups of operations shared a name and were named by the collision rule; docs/API.md's name map marks each such tool `collision`"
        ));
    }
    for (i, name) in decided.renamed {
        tools[i].name = name;
        tools[i].name_origin = NameOrigin::Collision;
    }
}

enum Lowered {
    Tool(Box<Tool>),
    Unsupported(String),
}

struct OpCtx<'a> {
    refs: &'a Refs<'a>,
    path: &'a str,
    method: Method,
    op: &'a Value,
    path_item: &'a Value,
    label: &'a str,
}

impl OpCtx<'_> {
    fn problem(&self, message: impl Into<String>) -> Problem {
        Problem::operation(self.label, message)
    }

    fn deref<'v>(&self, v: &'v Value) -> Result<&'v Value, Problem>
    where
        Self: 'v,
    {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.refs.resolve(r).map(|(t, _)| t).map_err(|e| self.problem(e.to_string())),
            None => Ok(v),
        }
    }

    fn lower(
        &self,
        operation_id: &str,
        decided: &OperationOverride,
        origin: DescriptionSource,
        warnings: &mut Vec<String>,
    ) -> Result<Lowered, Vec<Problem>> {
        let mut problems = Vec::new();
        if matches!(self.method, Method::Options | Method::Trace) {
            // progenitor emits `client.options(..)`, which reqwest does not have; such routes
            // are protocol plumbing (CORS, proxies), not actions for an agent.
            return Ok(Lowered::Unsupported(format!(
                "{} requests are protocol plumbing, not an action, and progenitor's client cannot send them",
                self.method.as_str()
            )));
        }
        let mut input = Compiler::new(self.refs, Mode::Input);

        // Parameters: path-item level, overridden by operation level (same name and location).
        let mut raw_params: Vec<&Value> = Vec::new();
        for list in [self.path_item.get("parameters"), self.op.get("parameters")] {
            for p in list.and_then(Value::as_array).into_iter().flatten() {
                let p = self.deref(p).map_err(|e| vec![e])?;
                let key = (p.get("name"), p.get("in"));
                raw_params.retain(|q| (q.get("name"), q.get("in")) != key);
                raw_params.push(p);
            }
        }
        let mut params = Vec::new();
        for p in raw_params {
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => Location::Path,
                Some("query") => Location::Query,
                Some("header") => Location::Header,
                Some("cookie") => {
                    return Ok(Lowered::Unsupported(format!(
                        "cookie parameter `{name}`: progenitor cannot send cookies"
                    )));
                }
                other => {
                    problems.push(self.problem(format!("parameter `{name}` has an unknown location {other:?}")));
                    continue;
                }
            };
            if name.is_empty() {
                problems.push(self.problem("a parameter has no name"));
                continue;
            }
            let style_ok = matches!(
                (location, p.get("style").and_then(Value::as_str)),
                (_, None) | (Location::Path | Location::Header, Some("simple")) | (Location::Query, Some("form"))
            );
            if !style_ok || p.get("explode") == Some(&Value::Bool(false)) && location == Location::Query {
                return Ok(Lowered::Unsupported(format!(
                    "{} parameter `{name}` uses a serialization style progenitor does not support",
                    location.as_str()
                )));
            }
            let Some(raw_schema) = p.get("schema") else {
                return Ok(Lowered::Unsupported(format!(
                    "parameter `{name}` is described by `content` instead of `schema`"
                )));
            };
            let mut schema = match input.compile(raw_schema) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(self.problem(format!("parameter `{name}`: {e}")));
                    continue;
                }
            };
            if let Value::Object(map) = &mut schema {
                // FastAPI titles every parameter after its name (`poi_id` → `Poi Id`).
                if map.get("title").and_then(Value::as_str) == Some(field_title(name).as_str()) {
                    map.remove("title");
                }
                if let Some(desc) = p.get("description") {
                    map.insert("description".into(), desc.clone());
                }
            }
            if p.get("deprecated") == Some(&Value::Bool(true))
                && let Value::Object(map) = &mut schema
            {
                map.insert("deprecated".into(), json!(true));
            }
            let required = location == Location::Path || p.get("required") == Some(&Value::Bool(true));
            params.push(Param { wire_name: name.to_string(), location, required, schema });
        }

        // Every `{name}` in the path must be a declared path parameter, and vice versa.
        let template: Vec<&str> =
            self.path.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(n, _)| n)).collect();
        for name in &template {
            if !params.iter().any(|p| p.location == Location::Path && p.wire_name == *name) {
                problems.push(self.problem(format!("path parameter `{{{name}}}` is not declared in `parameters`")));
            }
        }
        for p in params.iter().filter(|p| p.location == Location::Path) {
            if !template.contains(&p.wire_name.as_str()) {
                problems.push(
                    self.problem(format!(
                        "path parameter `{}` is declared but does not appear in the path",
                        p.wire_name
                    )),
                );
            }
        }
        let mut names = BTreeSet::new();
        for p in &params {
            if !names.insert(p.wire_name.as_str()) {
                problems.push(self.problem(format!(
                    "two parameters are named `{}`; tool arguments are flat, so names must be unique across path, query and header",
                    p.wire_name
                )));
            }
        }

        // Request body.
        let mut body = None;
        let mut body_schema = None;
        if let Some(rb) = self.op.get("requestBody") {
            let rb = self.deref(rb).map_err(|e| vec![e])?;
            let content = rb.get("content").and_then(Value::as_object).cloned().unwrap_or_default();
            let chosen = content
                .iter()
                .find(|(m, _)| is_json(m))
                .or_else(|| content.iter().find(|(m, _)| m.starts_with("application/x-www-form-urlencoded")))
                .or_else(|| content.iter().find(|(m, _)| m.starts_with(MULTIPART)));
            let Some((media, media_obj)) = chosen else {
                let kinds: Vec<&String> = content.keys().collect();
                return Ok(Lowered::Unsupported(format!(
                    "request body media type {kinds:?} is not supported (JSON, form and multipart bodies are)"
                )));
            };
            if names.contains(BODY_ARG) {
                problems.push(self.problem(format!(
                    "a parameter is named `{BODY_ARG}`, which is the argument that carries the request body"
                )));
            }
            let raw = media_obj.get("schema").cloned().unwrap_or(json!({}));
            let schema_name = raw.get("$ref").and_then(Value::as_str).map(last_segment);
            let files = if media.starts_with(MULTIPART) {
                match self.deref(&raw) {
                    Ok(resolved) => upload::file_fields(resolved, |v| self.deref(v).ok()),
                    Err(e) => {
                        problems.push(e);
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            match input.compile(&raw) {
                Ok(mut s) => {
                    if let (Value::Object(map), Some(d)) = (&mut s, rb.get("description").and_then(Value::as_str)) {
                        map.insert("description".into(), Value::String(d.to_string()));
                    }
                    upload::as_files(&mut s, &files);
                    body_schema = Some(s);
                }
                Err(e) => problems.push(self.problem(format!("request body: {e}"))),
            }
            body = Some(Body {
                media_type: media.clone(),
                required: rb.get("required") == Some(&Value::Bool(true)),
                schema_name,
                files,
            });
        }

        // Success response.
        let (response, output_schema) = match self.success_response() {
            Ok(r) => r,
            Err(e) => {
                problems.push(e);
                (ResponseShape::Empty, None)
            }
        };

        if !problems.is_empty() {
            return Err(problems);
        }

        // inputSchema: a flat object of parameters plus `body`.
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in &params {
            properties.insert(p.wire_name.clone(), p.schema.clone());
            if p.required {
                required.push(json!(p.wire_name));
            }
        }
        if let (Some(b), Some(mut s)) = (&body, body_schema) {
            // The body model's docstring ("Request payload for toggling ADS-B capture.") says
            // what the tool description says; keep it only when there is no description.
            let body_described = self
                .deref(self.op.get("requestBody").unwrap_or(&Value::Null))
                .ok()
                .is_some_and(|rb| rb.get("description").is_some());
            if !origin.is_fallback()
                && !body_described
                && let Value::Object(map) = &mut s
            {
                map.remove("description");
            }
            properties.insert(BODY_ARG.into(), s);
            if b.required {
                required.push(json!(BODY_ARG));
            }
        }
        // A tool without arguments is `{"type": "object", "additionalProperties": false}`,
        // as MCP recommends.
        let mut input_schema = json!({"type": "object"});
        if !properties.is_empty() {
            input_schema["properties"] = Value::Object(properties);
        }
        if !required.is_empty() {
            input_schema["required"] = Value::Array(required);
        }
        input_schema["additionalProperties"] = json!(false);
        attach_defs(&mut input_schema, input.into_defs());
        for (argument, text) in &decided.arguments {
            match argument_schema(&mut input_schema, argument) {
                Some(Value::Object(schema)) => {
                    schema.insert("description".into(), Value::String(text.clone()));
                }
                _ => warnings.push(format!(
                    "openapi/mcp-overrides.json describes argument `{argument}` of {}, which has no such argument; the description is ignored",
                    self.label
                )),
            }
        }

        let (name, name_origin) = match &decided.name {
            Some(n) => {
                let origin = if self.op.get("x-mcp-name").and_then(Value::as_str) == Some(n.as_str()) {
                    NameOrigin::SpecExtension
                } else {
                    NameOrigin::OverrideFile
                };
                (n.clone(), origin)
            }
            None => {
                naming::derive_tool_name(self.op.get("operationId").and_then(Value::as_str), self.method, self.path)
            }
        };
        if !naming::is_valid_tool_name(&name) {
            return Err(vec![
                self.problem(format!("tool name `{name}` is not valid: it must match ^[a-zA-Z0-9_-]{{1,64}}$")),
            ]);
        }

        let summary = self.op.get("summary").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let description = self.description(decided.description.as_deref(), summary);
        let derived = derived_annotations(self.method);
        let a = decided.annotations.unwrap_or_default();
        let annotations = Annotations {
            read_only_hint: a.read_only_hint.unwrap_or(derived.read_only_hint),
            destructive_hint: a.destructive_hint.unwrap_or(derived.destructive_hint),
            idempotent_hint: a.idempotent_hint.unwrap_or(derived.idempotent_hint),
            open_world_hint: a.open_world_hint.unwrap_or(derived.open_world_hint),
        };
        if annotations.read_only_hint && annotations.destructive_hint {
            return Err(vec![self.problem(
                "annotations say both read-only and destructive; fix the override (readOnlyHint or destructiveHint)",
            )]);
        }
        let clears = super::shape::clears(self.method, body.as_ref().map(super::ir::Body::kind));
        Ok(Lowered::Tool(Box::new(Tool {
            name,
            name_origin,
            operation_id: operation_id.to_string(),
            method: self.method,
            path: self.path.to_string(),
            title: decided.title.clone().or(summary.map(str::to_owned)),
            description,
            description_source: origin,
            context: decided.context.clone().unwrap_or_default(),
            tags: self
                .op
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            deprecated: self.op.get("deprecated") == Some(&Value::Bool(true)),
            params,
            body,
            response,
            input_schema: super::shape::Plan::new(&input_schema, clears, None).view(),
            wire_schema: input_schema,
            output_schema,
            annotations,
        })))
    }

    /// The first of: the curated description (overrides file, `x-mcp-description`), the
    /// spec's description, the summary, the endpoint. The tool's `title` carries the
    /// summary, so it is not repeated. What the method implies for the body is added.
    fn description(&self, curated: Option<&str>, summary: Option<&str>) -> String {
        let spec = self.op.get("description").and_then(Value::as_str).map(str::trim).filter(|d| !d.is_empty());
        let mut text = match (curated.map(str::trim).filter(|d| !d.is_empty()), spec, summary) {
            (Some(d), _, _) | (None, Some(d), _) => d.to_string(),
            (None, None, Some(s)) => format!("{}.", s.trim_end_matches('.')),
            (None, None, None) => format!("{} {}.", self.method.as_str(), self.path),
        };
        if self.op.get("deprecated") == Some(&Value::Bool(true)) {
            text.push_str(" Deprecated.");
        }
        text
    }

    /// The lowest 2xx response decides the result shape and the output schema.
    fn success_response(&self) -> Result<(ResponseShape, Option<Value>), Problem> {
        let responses = self.op.get("responses").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut codes: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
        codes.sort();
        let Some(code) = codes.first() else {
            // Only `default` or errors declared: the raw body is returned as text or JSON.
            return Ok((ResponseShape::Wrapped { schema_name: None }, Some(wrapped(json!({})))));
        };
        let response = self.deref(&responses[code.as_str()])?;
        let content = response.get("content").and_then(Value::as_object).cloned().unwrap_or_default();
        if content.is_empty() {
            return Ok((ResponseShape::Empty, None));
        }
        let Some((_, media)) = content.iter().find(|(m, _)| is_json(m)) else {
            let media_type = content.keys().next().cloned().unwrap_or_default();
            return Ok((ResponseShape::Text { media_type }, None));
        };
        let raw = media.get("schema").cloned().unwrap_or(json!({}));
        let schema_name = raw.get("$ref").and_then(Value::as_str).map(last_segment);
        let mut compiler = Compiler::new(self.refs, Mode::Output);
        let compiled = compiler.compile(&raw).map_err(|e| self.problem(format!("response {code}: {e}")))?;
        let defs = compiler.into_defs();
        // A recursive object comes back as `$ref` into `$defs`: its body is the root.
        let compiled = match compiled.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
            Some(name) if defs.get(name).is_some_and(|d| d.get("type").and_then(Value::as_str) == Some("object")) => {
                defs[name].clone()
            }
            _ => compiled,
        };
        let is_object = compiled.get("type").and_then(Value::as_str) == Some("object");
        let (shape, mut schema) = if is_object {
            (ResponseShape::Object { schema_name }, compiled)
        } else {
            (ResponseShape::Wrapped { schema_name }, wrapped(compiled))
        };
        attach_defs(&mut schema, defs);
        Ok((shape, Some(schema)))
    }
}

/// The schema of argument `path` (`poi_id`, `body.notes`) inside a tool's input schema.
fn argument_schema<'a>(input: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.').try_fold(input, |schema, key| schema.get_mut("properties")?.get_mut(key))
}

/// The documented envelope for non-object results: `{"result": <body>}`.
fn wrapped(schema: Value) -> Value {
    json!({"type": "object", "properties": {RESULT_KEY: schema}, "required": [RESULT_KEY]})
}

fn is_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// GET reads; PUT and DELETE are idempotent; DELETE destroys; POST and PATCH write.
/// The backend is a closed system of record, so `openWorldHint` is false unless overridden.
pub fn derived_annotations(method: Method) -> Annotations {
    let read_only = matches!(method, Method::Get | Method::Head | Method::Options);
    Annotations {
        read_only_hint: read_only,
        destructive_hint: method == Method::Delete,
        idempotent_hint: read_only || matches!(method, Method::Put | Method::Delete),
        open_world_hint: false,
    }
}
