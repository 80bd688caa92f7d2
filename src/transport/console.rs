//! The operator console at `/console/`: static files compiled into the binary (no CDN, works
//! offline). The page holds no data and no secret: everything it shows comes through
//! `/mcp` and `/.well-known/mcp-config` with the token the operator types, under the same
//! guard as any MCP client.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// (file name, content type, content).
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../console/index.html")),
    ("console.css", "text/css; charset=utf-8", include_str!("../../console/console.css")),
    ("console.js", "text/javascript; charset=utf-8", include_str!("../../console/console.js")),
    ("form.js", "text/javascript; charset=utf-8", include_str!("../../console/form.js")),
    ("mcp.js", "text/javascript; charset=utf-8", include_str!("../../console/mcp.js")),
    ("render.js", "text/javascript; charset=utf-8", include_str!("../../console/render.js")),
];

/// Only this origin's scripts, styles and requests; no framing, no inline code.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn file(name: &str) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    };
    let mut response = (*body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `/console` (redirects to `/console/`), `/console/` and its files.
pub fn routes() -> Router {
    Router::new()
        // Relative, so the console also works behind a proxy that adds a path prefix.
        .route("/console", get(|| async { (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "console/")]) }))
        .route("/console/", get(|| async { file("index.html") }))
        .route("/console/{file}", get(|Path(name): Path<String>| async move { file(&name) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_served() {
        for (name, _, body) in FILES {
            for line in body.lines().filter(|l| l.trim_start().starts_with("import ")) {
                let Some(target) = line.split(['"', '\'']).nth(1) else { continue };
                let target = target.trim_start_matches("./");
                assert!(FILES.iter().any(|(n, _, _)| *n == target), "{name} imports {target}, which is not embedded");
            }
        }
        let index = FILES[0].2;
        for (name, _, _) in &FILES[1..] {
            if name.ends_with(".css") || *name == "console.js" {
                assert!(index.contains(name), "index.html does not load {name}");
            }
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_no_remote_url() {
        for (name, _, body) in FILES {
            assert!(!body.contains("http://") && !body.contains("https://"), "{name} refers to a remote URL");
            if name.ends_with(".html") {
                assert!(!body.contains("<script>") && !body.contains(" style="), "{name} has inline code");
            }
        }
    }
}
