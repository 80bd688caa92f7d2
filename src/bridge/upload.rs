//! Multipart uploads: the request the bridge writes itself, since progenitor has no
//! `multipart/form-data` support (the generator's side is `codegen/upload.rs`).
//!
//! The request goes through the same hooks as every typed call (`client.rs`): context and
//! credential headers, trace context, retries, the bounded read of the answer, dry runs.
//! The body is built in memory, so a retry can send it again.
//!
//! Form fields are sent as text: a string as it is, a number or boolean as JSON writes it,
//! each element of an array as a part of its own (the way FastAPI reads `list[str]` form
//! fields), an object as JSON text. A `null` is left out. Each file, given as a data URL
//! with its name (`codegen/upload.rs`), is a part with that name and the URL's media type.

use super::client::Client;
use super::outcome::{ArgError, CallOutcome, finish};
use super::support::{Args, Location};
use progenitor_client::{ClientHooks, Error as ClientError, OperationInfo, ResponseValue};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// Send one multipart upload; `files` are the body fields that hold files.
pub async fn upload(c: &Client, a: &Args<'_>, files: &[&str]) -> CallOutcome {
    let request = request(c, a, files)?;
    finish(c, send(c, request).await)
}

/// The request, or the argument that keeps it from being written.
fn request(c: &Client, a: &Args<'_>, files: &[&str]) -> Result<reqwest::Request, ArgError> {
    let ctx = &c.inner;
    let params = ctx.tool.params;
    let mut segments = Vec::new();
    for p in params.iter().filter(|p| p.location == Location::Path) {
        let value = match a.raw(p.name) {
            Some(Value::String(_)) => a.path_str(p.name)?.to_string(),
            Some(v) if !v.is_null() => text(v),
            _ => return Err(ArgError::new(p.name, "is required")),
        };
        segments.push((p.name, value));
    }
    let segments: Vec<(&str, &str)> = segments.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let path = super::resources::fill(ctx.tool.path, &segments);
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

/// One part: its field name, the file's name and media type (for a file), its bytes.
type Part<'a> = (&'a str, Option<(String, String)>, Vec<u8>);

/// A multipart body, written.
struct Form {
    boundary: String,
    bytes: Vec<u8>,
}

impl Form {
    fn of(body: &Map<String, Value>, files: &[&str]) -> Result<Form, ArgError> {
        let mut parts: Vec<Part> = Vec::new();
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
                    let Value::String(url) = item else {
                        return Err(ArgError::new(
                            &field,
                            format!(
                                "expected a file as a data URL ({FILE_FORM}), got {}",
                                super::support::json_kind(item)
                            ),
                        ));
                    };
                    let file = decode_file(url).map_err(|m| ArgError::new(&field, m))?;
                    parts.push((name, Some((file.name, file.media_type)), file.bytes));
                } else {
                    parts.push((name, None, text(item).into_bytes()));
                }
            }
        }
        let boundary = boundary(&parts);
        let mut bytes = Vec::new();
        for (name, file, content) in parts {
            bytes.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"", escape(name)).as_bytes(),
            );
            if let Some((filename, media_type)) = file {
                bytes.extend_from_slice(
                    format!("; filename=\"{}\"\r\nContent-Type: {media_type}", escape(&filename)).as_bytes(),
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
fn boundary(parts: &[Part]) -> String {
    boundary_from(parts, || {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).expect("the OS random source works");
        random
    })
}

/// [`boundary`], with its source of random bytes given.
fn boundary_from(parts: &[Part], mut random: impl FnMut() -> [u8; 16]) -> String {
    loop {
        let candidate = format!("vtoc-mcp-{}", random().iter().map(|b| format!("{b:02x}")).collect::<String>());
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

/// A file as the model sends it, read: a data URL with the file's name.
#[derive(Debug, PartialEq, Eq)]
struct File {
    name: String,
    media_type: String,
    bytes: Vec<u8>,
}

/// How a file is written, for every message about one.
const FILE_FORM: &str = "data:<media type>;name=<file name>;base64,<bytes>";

/// `data:[<media type>][;name=<file name>][;<param>=<value>…][;base64],<data>` (RFC 2397,
/// with the `name` parameter); the data is base64 or, without `;base64`, percent-encoded
/// text. The media type defaults to `application/octet-stream`.
fn decode_file(url: &str) -> Result<File, String> {
    use base64::Engine;
    let Some(rest) = url.strip_prefix("data:") else {
        let start: String = url.chars().take(12).collect();
        return Err(format!("expected a data URL ({FILE_FORM}), got text starting {start:?}"));
    };
    let Some((header, data)) = rest.split_once(',') else {
        return Err(format!("the data URL has no `,` before its data: write it as {FILE_FORM}"));
    };
    let mut params = header.split(';');
    let media_type = params.next().filter(|m| !m.is_empty()).unwrap_or("application/octet-stream").to_string();
    if HeaderValue::from_str(&media_type).is_err() || !media_type.contains('/') {
        return Err(format!("{media_type:?} is not a media type (e.g. text/plain, application/pdf)"));
    }
    let (mut name, mut base64) = (None, false);
    for param in params {
        match param.split_once('=') {
            Some((key, value)) if key.eq_ignore_ascii_case("name") || key.eq_ignore_ascii_case("filename") => {
                name = Some(percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned());
            }
            None if param.eq_ignore_ascii_case("base64") => base64 = true,
            _ => {}
        }
    }
    let name = match name {
        Some(n) if !n.is_empty() => n,
        _ => {
            return Err(format!(
                "the data URL has no file name: add `;name=<file name>` after the media type ({FILE_FORM}); servers read the type from its extension"
            ));
        }
    };
    if name.chars().any(|c| c.is_control() || c == '"') {
        return Err(format!("the file name {name:?} may not contain quotes or control characters"));
    }
    let bytes = if base64 {
        let text: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let text = percent_encoding::percent_decode_str(&text).decode_utf8_lossy().into_owned();
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let mut first_error = None;
        let decoded = engines
            .iter()
            .find_map(|engine| engine.decode(&text).map_err(|e| first_error.get_or_insert(e).clone()).ok());
        let why = first_error.map(|e| e.to_string()).unwrap_or_default();
        decoded.ok_or_else(|| format!("the data after `;base64,` is not base64 ({why})"))?
    } else {
        percent_encoding::percent_decode_str(data).collect()
    };
    Ok(File { name, media_type, bytes })
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
                   "file": "data:application/jsonl;name=in.jsonl;base64,eyJhIjogMX0K"}),
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
                 Content-Type: application/jsonl\r\n\r\n{{\"a\": 1}}\n\r\n--{b}--\r\n"
            )
        );
    }

    #[test]
    fn bad_files_name_their_argument() {
        let err = form(json!({"file": {"filename": "a"}}), &["file"]).unwrap_err();
        assert_eq!(err.field, "file");
        assert!(err.message.contains("expected a file as a data URL"), "{}", err.message);
        let err = form(
            json!({"images": ["data:image/png;name=a.png;base64,AA==", "data:image/png;base64,AA=="]}),
            &["images"],
        )
        .unwrap_err();
        assert_eq!((err.field.as_str(), err.message.contains("no file name")), ("images[1]", true), "{}", err.message);
    }

    #[test]
    fn data_urls_are_read_and_checked() {
        let file = |name: &str, media_type: &str, bytes: &[u8]| File {
            name: name.into(),
            media_type: media_type.into(),
            bytes: bytes.to_vec(),
        };
        for (url, expected) in [
            (
                "data:application/jsonl;name=a.jsonl;base64,eyJhIjogMX0K",
                file("a.jsonl", "application/jsonl", b"{\"a\": 1}\n"),
            ),
            ("data:;name=a.bin;base64,eyJhIjogMX0", file("a.bin", "application/octet-stream", b"{\"a\": 1}")),
            (
                "data:text/plain;charset=utf-8;name=notes%20v2.txt,hello%20world",
                file("notes v2.txt", "text/plain", b"hello world"),
            ),
            ("data:image/png;filename=x.png;base64,AA%3D%3D", file("x.png", "image/png", &[0])),
        ] {
            assert_eq!(decode_file(url).unwrap(), expected, "{url}");
        }
        for (bad, says) in [
            ("eyJhIjogMX0K", "expected a data URL"),
            ("data:text/plain;name=a.txt", "no `,`"),
            ("data:text/plain;base64,AA==", "no file name"),
            ("data:text/plain;name=a%22b;base64,AA==", "may not contain quotes"),
            ("data:text/plain;name=a;base64,not base64!", "is not base64"),
            ("data:nonsense;name=a;base64,AA==", "is not a media type"),
        ] {
            let err = decode_file(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn the_boundary_is_not_in_the_content() {
        // The first candidate occurs in a part: the next one is taken.
        let taken = format!("vtoc-mcp-{}", "00".repeat(16));
        let parts: Vec<Part> = vec![("f", None, format!("text with {taken} inside").into_bytes())];
        let mut draws = [[0u8; 16], [1u8; 16]].into_iter();
        let b = boundary_from(&parts, || draws.next().unwrap());
        assert_eq!(b, format!("vtoc-mcp-{}", "01".repeat(16)));
        let random = boundary(&parts);
        assert!(random.starts_with("vtoc-mcp-") && random.len() == 9 + 32 && random != taken);
    }
}
