//! The deployment templates cannot drift from the code: the variables the binary reads
//! (from its own command-line definitions), `.env.example`, the README's configuration
//! table and the Compose files name the same set; the Swarm stack passes tokens only as
//! secrets. (The schema and Dockerfile lint checks are `scripts/check-deploy.sh`.)

use serde_norway::Value as Yaml;
use std::collections::BTreeSet;

fn read(rel: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + rel)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn binary() -> BTreeSet<String> {
    vtoc_mcp::config::env_vars()
}

/// `.env.example`: (variables the binary reads, deployment-only variables).
fn env_example() -> (BTreeSet<String>, BTreeSet<String>) {
    let text = read(".env.example");
    let (binary, deployment) = text.split_once("# --- deployment:").expect(".env.example has a deployment section");
    let keys = |t: &str| -> BTreeSet<String> {
        t.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, _)| k.trim().to_string())
            .filter(|k| !k.starts_with('#'))
            .collect()
    };
    (keys(binary), keys(deployment))
}

fn readme_table() -> BTreeSet<String> {
    let text = read("README.md");
    let section = text.split("## Configuration").nth(1).unwrap().split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name.to_string())
        .filter(|n| n.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect()
}

fn service_env(file: &str, service: &str) -> Yaml {
    let doc: Yaml = serde_norway::from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    doc["services"][service]["environment"].clone()
}

fn keys(env: &Yaml) -> BTreeSet<String> {
    env.as_mapping().map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn show(a: &BTreeSet<String>, b: &BTreeSet<String>) -> String {
    format!(
        "only in the first: {:?}; only in the second: {:?}",
        a.difference(b).collect::<Vec<_>>(),
        b.difference(a).collect::<Vec<_>>()
    )
}

#[test]
fn every_source_names_the_same_variables() {
    let binary = binary();
    assert!(binary.len() > 40, "{binary:?}");
    let (example, _) = env_example();
    assert_eq!(example, binary, ".env.example vs the binary: {}", show(&example, &binary));
    let readme = readme_table();
    assert_eq!(readme, binary, "README table vs the binary: {}", show(&readme, &binary));
    for file in ["docker-compose.yml", "compose.attach.yml"] {
        let compose = keys(&service_env(file, "mcp"));
        assert_eq!(compose, binary, "{file} (mcp.environment) vs the binary: {}", show(&compose, &binary));
    }
    let dev = keys(&service_env("compose.dev.yml", "mcp"));
    assert!(dev.is_subset(&binary), "compose.dev.yml sets unknown variables: {}", show(&dev, &binary));
}

#[test]
fn every_interpolated_variable_is_in_the_template() {
    let (example, deployment) = env_example();
    let known: BTreeSet<String> = example.union(&deployment).cloned().collect();
    for file in ["docker-compose.yml", "compose.attach.yml", "compose.dev.yml", "docker-stack.yml"] {
        let text = read(file);
        for (i, _) in text.match_indices("${") {
            let name: String = text[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            assert!(known.contains(&name), "{file} uses ${{{name}}}, which .env.example does not list");
        }
    }
}

#[test]
fn the_stack_passes_tokens_only_as_secrets() {
    let env = service_env("docker-stack.yml", "mcp");
    let names = keys(&env);
    assert!(names.is_subset(&binary()), "{}", show(&names, &binary()));
    for plain in ["MCP_AUTH_TOKENS", "VTOC_API_TOKEN", "MCP_REQUEST_STATE_KEY"] {
        assert!(!names.contains(plain), "docker-stack.yml sets {plain} as a plain environment value");
    }
    let doc: Yaml = serde_norway::from_str(&read("docker-stack.yml")).unwrap();
    let secrets: BTreeSet<String> = doc["services"]["mcp"]["secrets"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    for (var, secret) in [
        ("MCP_AUTH_TOKENS_FILE", "mcp_auth_tokens"),
        ("VTOC_API_TOKEN_FILE", "vtoc_api_token"),
        ("MCP_REQUEST_STATE_KEY_FILE", "mcp_request_state_key"),
    ] {
        assert_eq!(env[var].as_str(), Some(format!("/run/secrets/{secret}").as_str()), "{var}");
        assert!(secrets.contains(secret), "the service does not mount the {secret} secret");
        assert!(doc["secrets"][secret].is_mapping(), "the {secret} secret is not declared");
    }
    assert_eq!(env["MCP_STATELESS"].as_str(), Some("true"), "replicas must be stateless");
    let labels = doc["services"]["mcp"]["deploy"]["labels"].as_sequence().unwrap();
    let has = |needle: &str| labels.iter().any(|l| l.as_str().is_some_and(|s| s.contains(needle)));
    assert!(has("entrypoints=websecure") && has(".tls=true") && has("PathPrefix(`/mcp`)"));
}

#[test]
fn the_compose_mcp_service_is_published_on_loopback_only() {
    for file in ["docker-compose.yml", "compose.attach.yml"] {
        let doc: Yaml = serde_norway::from_str(&read(file)).unwrap();
        for port in doc["services"]["mcp"]["ports"].as_sequence().unwrap() {
            assert!(port.as_str().unwrap().starts_with("127.0.0.1:"), "{file}: {port:?}");
        }
    }
}

/// The image build copies every file the crate compiles in: each top-level path an
/// `include_str!`/`include_bytes!` in `src/` reaches is `COPY`'d by the Dockerfile and not
/// excluded by `.dockerignore`.
#[test]
fn the_image_build_copies_every_file_compiled_in() {
    let dockerfile = read("Dockerfile");
    let copied: BTreeSet<String> = dockerfile
        .lines()
        .filter_map(|l| l.trim().strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            parts[..parts.len() - 1].iter().map(|p| p.trim_end_matches('/').to_string()).collect::<Vec<_>>()
        })
        .collect();
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .map(|l| l.trim_end_matches('/').to_string())
        .collect();
    let mut needed = BTreeSet::new();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for marker in ["include_str!(\"../", "include_bytes!(\"../"] {
            for piece in text.split(marker).skip(1) {
                let target = piece.split('"').next().unwrap();
                needed.insert(target.split('/').next().unwrap().to_string());
            }
        }
    }
    assert!(needed.contains("console"), "the console's files are compiled in: {needed:?}");
    for top in &needed {
        assert!(
            copied.contains(top),
            "the Dockerfile does not COPY {top}, which src/ compiles in (copied: {copied:?})"
        );
        assert!(!ignored.contains(top), ".dockerignore excludes {top}, which src/ compiles in");
    }
}
