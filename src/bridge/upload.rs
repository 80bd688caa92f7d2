//! Multipart uploads: the request the bridge writes itself, since progenitor has no
//! `multipart/form-data` support (the generator's side is `codegen/upload.rs`).
//!
//! The request goes through the same hooks as every typed call (`client.rs`): context and
//! credential headers, trace context, retries, the bounded read of the answer, dry runs.
//! The body is built in memory, so a retry can send it again.
//!
//! Form fields are sent as text: a string as it is, a number or boolean as JSON writes it,
//! each element of an array as a part of its own (the way FastAPI reads `list[str]` form
//! fields), an object as JSON text. A `null` is left out. Each file is a part with its
//! name; its type is `application/octet-stream` (servers go by the extension).

use super::client::Client;
use super::outcome::{ArgError, CallOutcome, finish};
use super::support::{Args, Location, ParamSpec};
use progenitor_client::{ClientHooks, Error as ClientError, OperationInfo, ResponseValue, encode_path};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// Send one multipart upload: `params` are the operation's parameters and where they go,
/// `files` the body fields that hold files.
pub async fn upload(c: &Client, a: &Args<'_>, params: &[ParamSpec], files: &[&str]) -> CallOutcome {
    let request = request(c, a, params, files)?;
    finish(c, send(c, request).await)
}

/// The request, or the argument that keeps it from being written.
fn request(c: &Client, a: &Args<'_>, params: &[ParamSpec], files: &[&str]) -> Result<reqwest::Request, ArgError> {
    let ctx = &c.inner;
    let mut path = ctx.tool.path.to_string();
    for p in params.iter().filter(|p| p.location == Location::Path) {
        let value = match a.raw(p.name) {
            Some(Value::String(_)) => a.path_str(p.name)?.to_string(),
            Some(v) if !v.is_null() => text(v),
            _ => return Err(ArgError::new(p.name, "is required")),
        };
        path = path.replace(&format!("{{{}}}", p.name), &encode_path(&value));
    }
    let mut url = url::Url::parse(&format!("{}{path}", c.baseurl))
        .map_err(|e| ArgError::new("", format!("the request URL is not valid: {e}")))?;
    let mut headers = reqwest::header::HeaderMap::new();
    for p in params.iter().filter(|p| p.location != Location::Path) {
        let Some(value) = a.raw(p.name).filter(|v| !v.is_null()) else { continue };
        let values = match value {
            Value::Array(items) => items.iter().filter(|v| !v.is_null()).map(text).collect(),
            other => vec![text(other)],
        };
        for v in values {
            if p.location == Location::Query {
                url.query_pairs_mut().append_pair(p.name, &v);
            } else {
                let name = HeaderName::from_bytes(p.name.as_bytes())
                    .map_err(|e| ArgError::new(p.name, format!("is not a valid header name: {e}")))?;
                let value = HeaderValue::from_str(&v)
                    .map_err(|e| ArgError::new(p.name, format!("is not a valid header value: {e}")))?;
                headers.append(name, value);
            }
        }
    }
    let empty = Map::new();
    let body = match a.raw(super::support::BODY_ARG) {
        Some(Value::Object(fields)) => fields,
        None | Some(Value::Null) => &empty,
        Some(other) => {
            return Err(ArgError::new(
                super::support::BODY_ARG,
                format!("expected an object, got {}", super::support::json_kind(other)),
            ));
        }
    };
    let form = Form::of(body, files)?;
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={}", form.boundary))
        .map_err(|e| ArgError::new("", e.to_string()))?;
    let method = reqwest::Method::from_bytes(ctx.tool.method.as_str().as_bytes())
        .map_err(|e| ArgError::new("", format!("the request could not be built: {e}")))?;
    let mut request = c
        .client
        .request(method, url)
        .headers(headers)
        .header(CONTENT_TYPE, content_type)
        .body(form.bytes)
        .build()
        .map_err(|e| ArgError::new("", format!("the request could not be built: {e}")))?;
    request.headers_mut().entry(reqwest::header::ACCEPT).or_insert(HeaderValue::from_static("application/json"));
    Ok(request)
}

/// Through the client's hooks, as a generated method sends its request.
async fn send(c: &Client, mut request: reqwest::Request) -> Result<ResponseValue<()>, ClientError<()>> {
    let info = OperationInfo { operation_id: c.inner.tool.name };
    c.pre(&mut request, &info).await?;
    let result = c.exec(request, &info).await;
    c.post(&result, &info).await?;
    let response = result.map_err(ClientError::CommunicationError)?;
    Ok(ResponseValue::new((), response.status(), response.headers().clone()))
}

/// A form value as text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A multipart body, written.
struct Form {
    boundary: String,
    bytes: Vec<u8>,
}

impl Form {
    fn of(body: &Map<String, Value>, files: &[&str]) -> Result<Form, ArgError> {
        let mut parts: Vec<(&str, Option<String>, Vec<u8>)> = Vec::new();
        for (name, value) in body {
            let items: Vec<(String, &Value)> = match value {
                Value::Null => continue,
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(i, v)| (format!("{name}[{i}]"), v))
                    .collect(),
                one => vec![(name.clone(), one)],
            };
            for (field, item) in items {
                if files.contains(&name.as_str()) {
                    let Value::Object(file) = item else {
                        return Err(ArgError::new(
                            &field,
                            format!(
                                "expected a file: an object with `filename` and base64 `content`, got {}",
                                super::support::json_kind(item)
                            ),
                        ));
                    };
                    let (filename, bytes) = decode_file(file).map_err(|m| ArgError::new(&field, m))?;
                    parts.push((name, Some(filename.to_string()), bytes));
                } else {
                    parts.push((name, None, text(item).into_bytes()));
                }
            }
        }
        let boundary = boundary(&parts);
        let mut bytes = Vec::new();
        for (name, filename, content) in parts {
            bytes.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"", escape(name)).as_bytes(),
            );
            if let Some(filename) = filename {
                bytes.extend_from_slice(
                    format!("; filename=\"{}\"\r\nContent-Type: application/octet-stream", escape(&filename))
                        .as_bytes(),
                );
            }
            bytes.extend_from_slice(b"\r\n\r\n");
            bytes.extend_from_slice(&content);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Ok(Form { boundary, bytes })
    }
}

/// A random boundary that occurs in no part.
fn boundary(parts: &[(&str, Option<String>, Vec<u8>)]) -> String {
    loop {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).expect("the OS random source works");
        let candidate = format!("vtoc-mcp-{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let needle = candidate.as_bytes();
        if !parts.iter().any(|(_, _, content)| content.windows(needle.len()).any(|w| w == needle)) {
            return candidate;
        }
    }
}

/// A field or file name inside `Content-Disposition`'s quotes (as browsers write it).
fn escape(name: &str) -> String {
    name.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

/// A file argument's value, checked: its name and its decoded bytes, or what is wrong.
fn decode_file(value: &Map<String, Value>) -> Result<(&str, Vec<u8>), String> {
    use base64::Engine;
    let filename = match value.get("filename") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        _ => return Err("`filename` is required: the file's name, with its extension".into()),
    };
    if filename.chars().any(|c| c.is_control() || c == '"') {
        return Err(format!("`filename` {filename:?} may not contain quotes or control characters"));
    }
    let Some(Value::String(content)) = value.get("content") else {
        return Err("`content` is required: the file's bytes, base64-encoded".into());
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let text: String = content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = engine
        .decode(&text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&text))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&text))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&text))
        .map_err(|e| format!("`content` is not base64 ({e}): encode the file's bytes as base64"))?;
    Ok((filename, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(body: Value, files: &[&str]) -> Result<(String, String), ArgError> {
        let f = Form::of(body.as_object().unwrap(), files)?;
        Ok((f.boundary, String::from_utf8_lossy(&f.bytes).into_owned()))
    }

    #[test]
    fn fields_and_files_become_parts() {
        let (b, text) = form(
            json!({"purpose": "batch", "n": 2, "skip": null, "tags": ["a", "b"],
                   "file": {"filename": "in.jsonl", "content": "eyJhIjogMX0K"}}),
            &["file"],
        )
        .unwrap();
        assert_eq!(
            text,
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n2\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\na\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nb\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n{{\"a\": 1}}\n\r\n--{b}--\r\n"
            )
        );
    }

    #[test]
    fn bad_files_name_their_argument() {
        let err = form(json!({"file": "just text"}), &["file"]).unwrap_err();
        assert_eq!(err.field, "file");
        assert!(err.message.contains("expected a file"), "{}", err.message);
        let err =
            form(json!({"images": [{"filename": "a.png", "content": "AA=="}, {"filename": "b.png"}]}), &["images"])
                .unwrap_err();
        assert_eq!((err.field.as_str(), err.message.contains("`content` is required")), ("images[1]", true));
    }

    #[test]
    fn file_values_are_checked() {
        let ok = json!({"filename": "a.jsonl", "content": "eyJhIjogMX0K"});
        let (name, bytes) = decode_file(ok.as_object().unwrap()).unwrap();
        assert_eq!((name, bytes.as_slice()), ("a.jsonl", b"{\"a\": 1}\n".as_slice()));
        let unpadded = json!({"filename": "a", "content": "eyJhIjogMX0"});
        assert_eq!(decode_file(unpadded.as_object().unwrap()).unwrap().1, b"{\"a\": 1}");
        for (bad, says) in [
            (json!({"content": "AA=="}), "`filename` is required"),
            (json!({"filename": "a\"b", "content": "AA=="}), "may not contain quotes"),
            (json!({"filename": "a"}), "`content` is required"),
            (json!({"filename": "a", "content": "not base64!"}), "is not base64"),
        ] {
            let err = decode_file(bad.as_object().unwrap()).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn the_boundary_is_not_in_the_content() {
        let parts = vec![("f", None, b"--vtoc-mcp-".to_vec())];
        let b = boundary(&parts);
        assert!(b.starts_with("vtoc-mcp-") && b.len() == 9 + 32);
    }
}
