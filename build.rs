//! Thin I/O shell around the generator in `src/codegen`: read the spec and overrides,
//! generate, write into `OUT_DIR`. No other side effects.
//!
//! `VTOC_MCP_SPEC` points the build at another export (to try a new spec before
//! replacing `openapi/vtoc.json`, or to build the bridge for another API), and
//! `VTOC_MCP_OVERRIDES` at its overrides file (empty: none).

#[path = "src/codegen/mod.rs"]
#[allow(dead_code)]
mod codegen;

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(vtoc_runtime)");
    println!("cargo::rustc-cfg=vtoc_runtime");
    let parts: Vec<String> = codegen::profile::PARTS.iter().map(|p| format!("\"{}\"", p.name)).collect();
    println!("cargo::rustc-check-cfg=cfg(vtoc_part, values({}))", parts.join(", "));
    println!("cargo::rerun-if-env-changed=VTOC_MCP_SPEC");
    println!("cargo::rerun-if-env-changed=VTOC_MCP_OVERRIDES");
    println!("cargo::rerun-if-changed=src/codegen");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    symbol_order(&manifest_dir);
    let spec_path =
        std::env::var_os("VTOC_MCP_SPEC").map(PathBuf::from).unwrap_or_else(|| manifest_dir.join("openapi/vtoc.json"));
    let overrides_path = match std::env::var_os("VTOC_MCP_OVERRIDES") {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => Some(manifest_dir.join("openapi/mcp-overrides.json")),
    };
    println!("cargo::rerun-if-changed={}", spec_path.display());
    if let Some(path) = &overrides_path {
        println!("cargo::rerun-if-changed={}", path.display());
    }

    let spec = read(&spec_path);
    let overrides = overrides_path.filter(|p| p.exists()).map(|p| read(&p));
    let input = codegen::Input { spec: &spec, overrides: overrides.as_deref() };
    let artifacts = match codegen::generate(input) {
        Ok(a) => a,
        Err(e) => {
            for line in e.to_string().lines() {
                println!("cargo::error={line}");
            }
            std::process::exit(1);
        }
    };
    for warning in &artifacts.warnings {
        println!("cargo::warning={warning}");
    }
    for part in &artifacts.parts_in {
        println!("cargo::rustc-cfg=vtoc_part=\"{part}\"");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write(&out.join("client.rs"), &artifacts.client_rs);
    write(&out.join("tools.rs"), &artifacts.tools_rs);
    write(&out.join("tools.json"), &artifacts.tools_json);
    write(&out.join("API.md"), &artifacts.api_md);
    // The contract this binary was built from, for `vtoc-mcp doctor` and the start-up check.
    write(&out.join("spec.json"), &spec);
    write(&out.join("overrides.json"), overrides.as_deref().unwrap_or_default());
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        println!("cargo::error=cannot read {}: {e}", path.display());
        std::process::exit(1);
    })
}

fn write(path: &Path, text: &str) {
    // Leave the file alone when unchanged, so dependent rebuilds stay incremental.
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    if let Err(e) = std::fs::write(path, text) {
        println!("cargo::error=cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}

/// Release builds lay out the functions a server runs (start-up, a session, calls) side by
/// side, in the order of `scripts/symbol-order.txt` (`make symbol-order` regenerates it):
/// the kernel maps a binary's pages around each page it touches, so code that runs spread
/// over the whole text keeps most of the binary resident; packed, about a third
/// (docs/performance.md, "Binary size and memory at rest"). Only where the linker is LLD,
/// Rust's default on x86_64 Linux; `VTOC_MCP_SYMBOL_ORDER=off` or a linker of one's own
/// turns it off.
///
/// The list goes to the linker as a script of section patterns (each function has its own
/// `.text.<symbol>` section), so that it can hold wildcards: a generic function's symbol
/// hash (`17h…E`) changes with the crate's build metadata (a dependency added or bumped,
/// features unified with the dev-dependencies'), and an exact list then loses most of its
/// names. `make symbol-order` writes a name with its hash and LTO's `.llvm.N` suffix as
/// wildcards where it is unique without them. A pattern that matches nothing is skipped,
/// so a stale list costs memory, never a build; CI's container-test checks the image's
/// binary at rest against the 15 MiB target.
fn symbol_order(manifest_dir: &std::path::Path) {
    let list = manifest_dir.join("scripts/symbol-order.txt");
    println!("cargo::rerun-if-changed={}", list.display());
    println!("cargo::rerun-if-env-changed=VTOC_MCP_SYMBOL_ORDER");
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let own_linker = ["fuse-ld", "linker-flavor", "linker="].iter().any(|f| env("CARGO_ENCODED_RUSTFLAGS").contains(f))
        || std::env::vars().any(|(k, _)| k.starts_with("CARGO_TARGET_") && k.ends_with("_LINKER"));
    if env("PROFILE") != "release"
        || env("TARGET") != "x86_64-unknown-linux-gnu"
        || env("VTOC_MCP_SYMBOL_ORDER") == "off"
        || own_linker
        || !list.exists()
    {
        return;
    }
    let script = std::path::PathBuf::from(env("OUT_DIR")).join("hot-text.ld");
    write(&script, &hot_text_script(&read(&list)));
    println!("cargo::rustc-link-arg-bins=-Wl,-T,{}", script.display());
}

/// A linker script that gathers the listed functions' sections in list order, into an
/// output section placed before the rest of `.text`.
fn hot_text_script(list: &str) -> String {
    let mut script = String::from("SECTIONS {\n  .text.hot : {\n");
    for pattern in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // LLVM names a cold function's section `.text.unlikely.<symbol>`, and so on.
        script.push_str(&format!(
            "    *(.text.{pattern} .text.unlikely.{pattern} .text.hot.{pattern} .text.startup.{pattern})\n"
        ));
    }
    script.push_str("  }\n}\nINSERT BEFORE .text;\n");
    script
}
