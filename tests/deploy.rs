//! The deployment templates cannot drift from the code: the variables the binary reads
//! (from its own command-line definitions), `.env.example`, the README's configuration
//! table, the Compose files and the Kubernetes base name the same set; the Swarm stack
//! passes tokens only as secrets; the Swarm stack and the Kubernetes base agree on every
//! setting, secret, probe, size and shutdown delay. The opt-in shared state store
//! (compose.state.yml, docker-stack.state.yml, deploy/k8s/components/state) passes its
//! password only as a secret, publishes nothing, and runs alike on the three platforms.
//! (The schema, Dockerfile lint and Kubernetes security checks are
//! `scripts/check-deploy.sh`.)

use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

fn read(rel: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + rel)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn binary() -> BTreeSet<String> {
    vtoc_mcp::cli::config::env_vars()
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
    for file in ["docker-compose.yml", "compose.attach.yml", "compose.dev.yml", "docker-stack.yml"]
        .into_iter()
        .chain(STATE_FILES.map(|(file, _)| file))
    {
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
    for plain in
        ["MCP_AUTH_TOKENS", "VTOC_API_TOKEN", "MCP_REQUEST_STATE_KEY", "MCP_STATE_PASSWORD", "MCP_METRICS_TOKEN"]
    {
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
    // Every file `include_str!`/`include_bytes!` pulls in from outside src/: its top-level
    // directory (or file) must reach the image.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut needed = BTreeSet::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["include_str!(\"", "include_bytes!(\""] {
                for piece in text.split(marker).skip(1) {
                    let target = piece.split('"').next().unwrap();
                    if target.starts_with("concat!") || !target.starts_with("..") {
                        continue;
                    }
                    // Resolve against the including file's directory, then name the top level.
                    let mut resolved: Vec<std::ffi::OsString> = path
                        .parent()
                        .unwrap()
                        .strip_prefix(root)
                        .unwrap()
                        .components()
                        .map(|c| c.as_os_str().to_owned())
                        .collect();
                    for part in target.split('/') {
                        match part {
                            ".." => {
                                resolved.pop();
                            }
                            "." => {}
                            p => resolved.push(p.into()),
                        }
                    }
                    if let Some(top) = resolved.first().and_then(|t| t.to_str()).filter(|t| *t != "src") {
                        needed.insert(top.to_string());
                    }
                }
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

/// The variables that carry a credential's value: never set in a deployment template,
/// which passes them as files (`*_FILE`) from secrets instead.
const SECRET_VALUES: [&str; 5] =
    ["MCP_AUTH_TOKENS", "VTOC_API_TOKEN", "MCP_REQUEST_STATE_KEY", "MCP_STATE_PASSWORD", "MCP_METRICS_TOKEN"];

/// `deploy/k8s/base/settings.env` (the ConfigMap's data), in file order.
fn k8s_settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("settings.env: `{l}` is not KEY=VALUE"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn k8s_deployment() -> Yaml {
    serde_norway::from_str(&read("deploy/k8s/base/deployment.yaml")).expect("deploy/k8s/base/deployment.yaml")
}

fn k8s_container(deployment: &Yaml) -> &Yaml {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

/// Every variable the Kubernetes base sets, with its value: the settings ConfigMap, then
/// the container's own `env` (a name in both is a mistake, reported by the caller).
fn k8s_variables(settings: &[(String, String)], deployment: &Yaml) -> (BTreeMap<String, String>, Vec<String>) {
    let mut vars = BTreeMap::new();
    let mut twice = Vec::new();
    let env = k8s_container(deployment)["env"].as_sequence().cloned().unwrap_or_default();
    let pairs = settings.iter().cloned().chain(env.iter().map(|e| {
        let name = e["name"].as_str().unwrap().to_string();
        let value = e["value"].as_str().unwrap_or_else(|| panic!("{name}: the base sets env values only")).to_string();
        (name, value)
    }));
    for (k, v) in pairs {
        if vars.insert(k.clone(), v).is_some() {
            twice.push(k);
        }
    }
    (vars, twice)
}

/// A Compose value's default: `${X:-d}` gives `d`, a literal itself; `${X:?…}` and `${X}`
/// have none (the operator must supply them).
fn compose_default(value: &str) -> Option<String> {
    match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        None => Some(value.to_string()),
        Some(inner) => inner.split_once(":-").map(|(_, d)| d.to_string()),
    }
}

/// CPU in cores: `100m`, `1`, `"0.1"`.
fn cpu(q: &str) -> f64 {
    match q.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().unwrap() / 1000.0,
        None => q.parse().unwrap_or_else(|_| panic!("cpu quantity {q}")),
    }
}

/// Memory in bytes: Kubernetes `64Mi`, Docker `64M` (Docker's units are binary too).
fn memory(q: &str) -> u64 {
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (n, unit) = q.split_at(split);
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("memory quantity {q}"));
    n * match unit.trim_end_matches(['i', 'B', 'b']).to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        other => panic!("memory unit {other} in {q}"),
    }
}

/// Seconds from a Compose duration (`30s`, `1m30s`).
fn duration_secs(d: &str) -> u64 {
    let (mut total, mut n) = (0, String::new());
    for c in d.chars() {
        match c {
            '0'..='9' => n.push(c),
            'h' | 'm' | 's' => {
                let unit = match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                total += n.parse::<u64>().unwrap() * unit;
                n.clear();
            }
            _ => panic!("duration {d}"),
        }
    }
    assert!(n.is_empty(), "duration {d} lacks a unit");
    total
}

/// Where the Swarm stack and the Kubernetes base disagree, one line each.
fn stack_vs_k8s(stack: &Yaml, settings: &[(String, String)], deployment: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let service = &stack["services"]["mcp"];
    let stack_env: BTreeMap<String, String> = service["environment"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let (k8s, twice) = k8s_variables(settings, deployment);
    for name in twice {
        problems.push(format!("{name}: set twice in the Kubernetes base (settings.env and the container env)"));
    }
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<BTreeSet<_>>();
    let (s, k) = (names(&stack_env), names(&k8s));
    for name in s.difference(&k) {
        problems.push(format!("{name}: set by docker-stack.yml, missing from deploy/k8s/base"));
    }
    for name in k.difference(&s) {
        problems.push(format!("{name}: set by deploy/k8s/base, missing from docker-stack.yml"));
    }
    let mut operator_supplied = BTreeSet::new();
    for (name, value) in &stack_env {
        let Some(k8s_value) = k8s.get(name) else { continue };
        match compose_default(value) {
            Some(default) if &default != k8s_value => {
                problems.push(format!("{name}: docker-stack.yml {default:?}, deploy/k8s/base {k8s_value:?}"))
            }
            Some(_) => {}
            None => {
                operator_supplied.insert(name.clone());
            }
        }
    }
    // The one setting each platform fills in its own way: the public host name (Swarm:
    // MCP_PUBLIC_HOST; Kubernetes: the Service names, plus the host in the ingress overlay).
    if operator_supplied != BTreeSet::from(["MCP_ALLOWED_HOSTS".to_string()]) {
        problems.push(format!(
            "variables without a default in docker-stack.yml: {operator_supplied:?}, expected only MCP_ALLOWED_HOSTS"
        ));
    }

    // Secrets: the same files at the same paths.
    let stack_secrets: BTreeSet<String> =
        service["secrets"].as_sequence().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = k8s_container(deployment);
    let mount = container["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/run/secrets")
        .map(|m| m["name"].as_str().unwrap().to_string());
    let k8s_secrets: BTreeSet<String> = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|v| Some(v["name"].as_str().unwrap().to_string()) == mount)
        .flat_map(|v| v["projected"]["sources"].as_sequence().cloned().unwrap_or_default())
        .flat_map(|s| s["secret"]["items"].as_sequence().cloned().unwrap_or_default())
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect();
    if stack_secrets != k8s_secrets {
        problems.push(format!(
            "secrets: docker-stack.yml {stack_secrets:?}, deploy/k8s/base files in /run/secrets {k8s_secrets:?}"
        ));
    }

    // Health: the path the balancer and the probes use, and the port.
    let labels: Vec<String> =
        service["deploy"]["labels"].as_sequence().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
    let label = |suffix: &str| labels.iter().find_map(|l| l.split_once(suffix).map(|(_, v)| v.to_string()));
    let health = label("loadbalancer.healthcheck.path=");
    for probe in ["readinessProbe", "livenessProbe"] {
        let path = container[probe]["httpGet"]["path"].as_str().map(str::to_string);
        if path != health {
            problems.push(format!("{probe}: deploy/k8s/base probes {path:?}, docker-stack.yml's balancer {health:?}"));
        }
    }
    let port = label("loadbalancer.server.port=");
    let container_port = container["ports"][0]["containerPort"].as_u64().map(|p| p.to_string());
    if port != container_port {
        problems.push(format!("port: docker-stack.yml {port:?}, deploy/k8s/base {container_port:?}"));
    }

    // Sizes.
    let res = &service["deploy"]["resources"];
    let k8s_res = &container["resources"];
    for (stack_part, k8s_part) in [("limits", "limits"), ("reservations", "requests")] {
        let (sc, kc) = (res[stack_part]["cpus"].as_str().unwrap(), k8s_res[k8s_part]["cpu"].as_str().unwrap());
        if (cpu(sc) - cpu(kc)).abs() > 1e-9 {
            problems.push(format!("cpu {stack_part}: docker-stack.yml {sc}, deploy/k8s/base {k8s_part} {kc}"));
        }
        let (sm, km) = (res[stack_part]["memory"].as_str().unwrap(), k8s_res[k8s_part]["memory"].as_str().unwrap());
        if memory(sm) != memory(km) {
            problems.push(format!("memory {stack_part}: docker-stack.yml {sm}, deploy/k8s/base {k8s_part} {km}"));
        }
    }

    // Replicas, rollout and shutdown.
    let replicas = service["deploy"]["replicas"]
        .as_str()
        .and_then(compose_default)
        .or_else(|| service["deploy"]["replicas"].as_u64().map(|r| r.to_string()));
    let k8s_replicas = deployment["spec"]["replicas"].as_u64().map(|r| r.to_string());
    if replicas != k8s_replicas {
        problems.push(format!("replicas: docker-stack.yml {replicas:?}, deploy/k8s/base {k8s_replicas:?}"));
    }
    let update = &service["deploy"]["update_config"];
    let rolling = &deployment["spec"]["strategy"]["rollingUpdate"];
    let start_first = update["order"] == "start-first" && update["parallelism"].as_u64() == Some(1);
    let surge_only = rolling["maxSurge"].as_u64() == Some(1) && rolling["maxUnavailable"].as_u64() == Some(0);
    if start_first != surge_only {
        problems.push("rollout: docker-stack.yml (one at a time, start-first) and deploy/k8s/base (maxSurge 1, maxUnavailable 0) differ".into());
    }
    let stop = service["stop_grace_period"].as_str().map(duration_secs);
    let termination = pod["terminationGracePeriodSeconds"].as_u64();
    if stop != termination {
        problems.push(format!("shutdown: docker-stack.yml stop_grace_period {stop:?} s, deploy/k8s/base terminationGracePeriodSeconds {termination:?}"));
    }
    let grace: u64 = k8s.get("MCP_SHUTDOWN_GRACE_SECS").and_then(|g| g.parse().ok()).unwrap_or(10);
    if stop.is_none_or(|s| s <= grace) {
        problems.push(format!(
            "shutdown: docker-stack.yml stop_grace_period {stop:?} s is not above MCP_SHUTDOWN_GRACE_SECS {grace}"
        ));
    }

    // Hardening.
    let sc = &container["securityContext"];
    let read_only =
        service["read_only"].as_bool() == Some(true) && sc["readOnlyRootFilesystem"].as_bool() == Some(true);
    let no_caps = service["cap_drop"].as_sequence().is_some_and(|c| c.iter().any(|c| c == "ALL"))
        && sc["capabilities"]["drop"].as_sequence().is_some_and(|c| c.iter().any(|c| c == "ALL"));
    if !read_only || !no_caps {
        problems.push("hardening: both must run with a read-only root filesystem and every capability dropped".into());
    }
    problems
}

/// Each template's default for a variable is `.env.example`'s (the binary's documented
/// default), except where a container deliberately differs: the address it binds and the
/// names it answers to, where the backend is, JSON logs, stateless replicas, secret files.
#[test]
fn the_templates_default_to_the_documented_values() {
    let deliberate = ["VTOC_API_BASE_URL", "MCP_BIND", "MCP_ALLOWED_HOSTS", "MCP_STATELESS", "VTOC_MCP_LOG_FORMAT"];
    let text = read(".env.example");
    let documented: BTreeMap<&str, &str> = text
        .split("# --- deployment:")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .collect();
    let mut templates: Vec<(String, BTreeMap<String, String>)> =
        ["docker-compose.yml", "compose.attach.yml", "docker-stack.yml"]
            .iter()
            .map(|file| {
                let env = service_env(file, "mcp");
                let defaults = env
                    .as_mapping()
                    .unwrap()
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), compose_default(v.as_str()?)?)))
                    .collect();
                (file.to_string(), defaults)
            })
            .collect();
    templates.push((
        "deploy/k8s/base/settings.env".into(),
        k8s_settings(&read("deploy/k8s/base/settings.env")).into_iter().collect(),
    ));
    let mut problems = Vec::new();
    for (file, defaults) in &templates {
        for (name, value) in defaults {
            if deliberate.contains(&name.as_str()) || name.ends_with("_FILE") {
                continue;
            }
            let doc = documented.get(name.as_str()).copied();
            if doc != Some(value.as_str()) {
                problems.push(format!("{file}: {name} defaults to {value:?}, .env.example says {doc:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_kubernetes_base_names_every_variable_but_the_secret_values() {
    let settings = k8s_settings(&read("deploy/k8s/base/settings.env"));
    let (vars, twice) = k8s_variables(&settings, &k8s_deployment());
    assert!(twice.is_empty(), "set twice: {twice:?}");
    let names: BTreeSet<String> = vars.keys().cloned().collect();
    let expected: BTreeSet<String> = binary().into_iter().filter(|v| !SECRET_VALUES.contains(&v.as_str())).collect();
    assert_eq!(names, expected, "deploy/k8s/base vs the binary: {}", show(&names, &expected));
    for (var, path) in [
        ("MCP_AUTH_TOKENS_FILE", "/run/secrets/mcp_auth_tokens"),
        ("VTOC_API_TOKEN_FILE", "/run/secrets/vtoc_api_token"),
        ("MCP_REQUEST_STATE_KEY_FILE", "/run/secrets/mcp_request_state_key"),
    ] {
        assert_eq!(vars[var], path, "{var}");
    }
    assert_eq!(vars["MCP_STATELESS"], "true", "replicas must be stateless");
}

#[test]
fn the_kubernetes_base_and_the_swarm_stack_agree() {
    let stack: Yaml = serde_norway::from_str(&read("docker-stack.yml")).unwrap();
    let settings = k8s_settings(&read("deploy/k8s/base/settings.env"));
    let problems = stack_vs_k8s(&stack, &settings, &k8s_deployment());
    assert!(problems.is_empty(), "docker-stack.yml and deploy/k8s/base disagree:\n{}", problems.join("\n"));
}

/// The comparison above can fail: a changed default, a missing variable, a probe on
/// another path and another grace period are each reported.
#[test]
fn a_disagreement_between_the_stack_and_the_kubernetes_base_is_reported() {
    let stack: Yaml = serde_norway::from_str(&read("docker-stack.yml")).unwrap();
    let settings = k8s_settings(&read("deploy/k8s/base/settings.env"));
    let deployment = k8s_deployment();

    let changed: Vec<(String, String)> = settings
        .iter()
        .filter(|(k, _)| k != "MCP_MAX_RESULT_BYTES")
        .map(|(k, v)| (k.clone(), if k == "VTOC_API_TIMEOUT_SECS" { "31".to_string() } else { v.clone() }))
        .collect();
    let problems = stack_vs_k8s(&stack, &changed, &deployment).join("\n");
    assert!(problems.contains("VTOC_API_TIMEOUT_SECS: docker-stack.yml \"30\", deploy/k8s/base \"31\""), "{problems}");
    assert!(
        problems.contains("MCP_MAX_RESULT_BYTES: set by docker-stack.yml, missing from deploy/k8s/base"),
        "{problems}"
    );

    let mut other = deployment.clone();
    other["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = Yaml::from("/ready");
    other["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = Yaml::from(12);
    let problems = stack_vs_k8s(&stack, &settings, &other).join("\n");
    assert!(problems.contains("readinessProbe: deploy/k8s/base probes Some(\"/ready\")"), "{problems}");
    assert!(problems.contains("terminationGracePeriodSeconds Some(12)"), "{problems}");
}

/// `vtoc-mcp serve` refuses to start without a backend; every deployment file names one,
/// so none can end up on the demo's sample data (only compose.dev.yml swaps the backend
/// service for the demo, on purpose).
#[test]
fn every_deployment_names_a_backend() {
    let mut problems = Vec::new();
    for file in ["docker-compose.yml", "compose.attach.yml", "docker-stack.yml"] {
        let env = service_env(file, "mcp");
        let value = env.get("VTOC_API_BASE_URL").and_then(Yaml::as_str).unwrap_or_default();
        // A URL default, or `${VTOC_API_BASE_URL:?…}` (Compose refuses to start without it).
        let required = value.starts_with("${VTOC_API_BASE_URL:?");
        if !required && !compose_default(value).is_some_and(|v| v.starts_with("http")) {
            problems.push(format!(
                "{file}: VTOC_API_BASE_URL is {value:?}; give it an http:// default or make it required"
            ));
        }
    }
    let settings = k8s_settings(&read("deploy/k8s/base/settings.env"));
    if !settings.iter().any(|(k, v)| k == "VTOC_API_BASE_URL" && v.starts_with("http")) {
        problems.push("deploy/k8s/base/settings.env: VTOC_API_BASE_URL is not set to a URL".into());
    }
    let dev = read("compose.dev.yml");
    assert!(!dev.contains("--demo"), "compose.dev.yml replaces the backend service; the MCP service stays on a URL");
    for file in ["Dockerfile", "docker-compose.yml", "docker-stack.yml", "compose.attach.yml"] {
        if read(file).contains("--demo") {
            problems.push(format!("{file}: passes --demo"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `make` with its variables, as a developer types it (`-n`: print, do not run).
fn make(args: &[&str]) -> String {
    let out = std::process::Command::new("make")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MAKEFLAGS")
        .output()
        .expect("make is installed (the README's quick start uses it)");
    assert!(out.status.success(), "make {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_makefile_passes_its_variables_through() {
    let help = make(&["help", "BIND=127.0.0.1:9999"]);
    assert!(!help.contains("$("), "make help shows a variable unexpanded:\n{help}");
    assert!(help.contains("http://127.0.0.1:9999/mcp"), "{help}");
    assert!(make(&["-n", "inspect", "BIND=127.0.0.1:9999"]).contains("BIND=127.0.0.1:9999 ./scripts/inspect.sh"));
    for target in ["setup-cloud", "setup-container"] {
        assert!(make(&["-n", target, "FORCE=1"]).contains("--force"), "{target} FORCE=1");
        assert!(!make(&["-n", target]).contains("--force"), "{target} without FORCE");
    }
    let script = read("scripts/inspect.sh");
    assert!(script.contains(r#"BIND="${BIND:-"#), "scripts/inspect.sh reads BIND: {script}");
}

/// The `${NAME:?message}` / `${NAME?message}` references of a file whose message holds a
/// `-`: the docker client's stack loader tries the `-` (default) rule before `:?`, so
/// `${MCP_IMAGE:?set MCP_IMAGE to the pushed vtoc-mcp image}` became the image `mcp image`.
fn misread_required_messages(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("${") {
        let inner = text[i + 2..].split('}').next().unwrap_or_default();
        let name_len = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
        let rest = &inner[name_len..];
        let message = rest.strip_prefix(":?").or_else(|| rest.strip_prefix('?'));
        if message.is_some_and(|m| m.contains('-')) {
            found.push(format!("${{{inner}}}"));
        }
    }
    found
}

#[test]
fn required_variable_messages_are_read_as_written() {
    let old = r#"image: "${MCP_IMAGE:?set MCP_IMAGE to the pushed vtoc-mcp image}""#;
    assert_eq!(misread_required_messages(old).len(), 1, "the check finds the message the client misread");
    assert!(misread_required_messages(r#"image: "${MCP_IMAGE:?set MCP_IMAGE}" ${A:-x-y}"#).is_empty());
    for file in ["docker-compose.yml", "compose.attach.yml", "compose.dev.yml", "docker-stack.yml"]
        .into_iter()
        .chain(STATE_FILES.map(|(file, _)| file))
    {
        let bad = misread_required_messages(&read(file));
        assert!(bad.is_empty(), "{file}: a '-' in a required variable's message is read as a default: {bad:?}");
    }
}

/// Debian 12's docker client (20.10) refuses a stack file without `version:`; Traefik 3's
/// Swarm provider reads `traefik.swarm.*` (it warns that `traefik.docker.*` is deprecated).
#[test]
fn the_stack_file_suits_the_supported_clients_and_traefik_3() {
    for file in ["docker-stack.yml", "docker-stack.state.yml"] {
        let doc: Yaml = serde_norway::from_str(&read(file)).unwrap();
        let version = doc["version"].as_str().unwrap_or_default();
        assert!(
            version.starts_with("3.") && version[2..].parse::<u32>().is_ok_and(|m| m <= 9),
            "{file}: version {version:?}; docker 20.10 reads 3.0 to 3.9 and refuses a file without one"
        );
    }
    let doc: Yaml = serde_norway::from_str(&read("docker-stack.yml")).unwrap();
    let labels: Vec<&str> =
        doc["services"]["mcp"]["deploy"]["labels"].as_sequence().unwrap().iter().filter_map(Yaml::as_str).collect();
    assert!(!labels.iter().any(|l| l.starts_with("traefik.docker.")), "traefik.docker.* labels: {labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("traefik.swarm.network=")), "no traefik.swarm.network label");
}

/// vTOC's backend serves data only with SUPABASE_URL and a service-role or anon key
/// (PR-CYBR/vTOC backend/app/config.py); every Compose or stack file that starts it passes
/// all three. (deploy/k8s/overlays/with-backend: scripts/check-k8s.py --expect-backend.)
#[test]
fn every_file_that_starts_vtocs_backend_passes_the_supabase_settings() {
    let mut starts = Vec::new();
    for file in ["docker-compose.yml", "compose.attach.yml", "docker-stack.yml"] {
        let doc: Yaml = serde_norway::from_str(&read(file)).unwrap();
        for (name, service) in doc["services"].as_mapping().unwrap() {
            if !service["image"].as_str().is_some_and(|i| i.contains("/backend:")) {
                continue;
            }
            let name = name.as_str().unwrap();
            starts.push(format!("{file}:{name}"));
            let env = keys(&service["environment"]);
            for var in ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY"] {
                assert!(env.contains(var), "{file}: service {name} (vTOC's backend) does not pass {var}");
            }
        }
    }
    assert_eq!(starts, ["docker-compose.yml:backend"], "the files that start vTOC's backend");
}

/// A `# syntax=` line makes BuildKit fetch that frontend image from a registry first: the
/// build then fails where only the base images are at hand.
#[test]
fn the_dockerfile_needs_no_remote_frontend() {
    let text = read("Dockerfile");
    let directives = text.lines().take_while(|l| l.starts_with('#'));
    let syntax: Vec<&str> =
        directives.filter(|l| l.trim_start_matches('#').trim().to_ascii_lowercase().starts_with("syntax=")).collect();
    assert!(
        syntax.is_empty(),
        "Dockerfile: {syntax:?} needs a registry under BuildKit; the built-in frontend suffices"
    );
}

/// The opt-in files that add the shared state store (`state`) beside `mcp`, and whether
/// each is a Swarm stack file.
const STATE_FILES: [(&str, bool); 2] = [("compose.state.yml", false), ("docker-stack.state.yml", true)];

/// The names a service lists under `secrets` (short or long syntax) or `networks` (list or
/// mapping).
fn names_in(service: &Yaml, key: &str) -> BTreeSet<String> {
    match &service[key] {
        Yaml::Sequence(items) => {
            items.iter().filter_map(|i| i.as_str().or_else(|| i["source"].as_str()).map(str::to_owned)).collect()
        }
        mapping => keys(mapping),
    }
}

/// A list of strings, as the process receives them (Compose writes `$` as `$$`).
fn strings(list: &Yaml) -> Vec<String> {
    list.as_sequence()
        .map(|l| l.iter().filter_map(Yaml::as_str).map(|s| s.replace("$$", "$")).collect())
        .unwrap_or_default()
}

/// Where an opt-in state file lets the password out, exposes the store, or runs it
/// without persistence, one line each.
fn state_problems(file: &str, doc: &Yaml, stack: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, message: String| {
        if !ok {
            problems.push(format!("{file}: {message}"));
        }
    };
    let (mcp, state) = (&doc["services"]["mcp"], &doc["services"]["state"]);
    check(state.is_mapping(), "no `state` service".into());

    // The bridge: the two variables, the password as a secret file.
    let env = keys(&mcp["environment"]);
    let wanted: BTreeSet<String> = ["MCP_STATE_URL", "MCP_STATE_PASSWORD_FILE"].map(String::from).into();
    check(env == wanted, format!("mcp sets {env:?}, expected {wanted:?}"));
    check(env.is_subset(&binary()), format!("mcp sets variables the binary does not read: {env:?}"));
    for plain in SECRET_VALUES {
        check(!env.contains(plain), format!("mcp sets {plain} as a plain environment value"));
    }
    let url = mcp["environment"]["MCP_STATE_URL"].as_str().unwrap_or_default();
    let authority = url.strip_prefix("redis://").or_else(|| url.strip_prefix("rediss://")).unwrap_or_default();
    let (host, port) = authority.trim_end_matches('/').split_once(':').unwrap_or((authority, "6379"));
    check(!authority.contains('@'), format!("MCP_STATE_URL {url:?} carries credentials"));
    check(host == "state", format!("MCP_STATE_URL {url:?} does not name the state service"));
    let password_file = mcp["environment"]["MCP_STATE_PASSWORD_FILE"].as_str().unwrap_or_default();
    let secret = password_file.strip_prefix("/run/secrets/").unwrap_or_default().to_string();
    check(!secret.is_empty(), format!("MCP_STATE_PASSWORD_FILE {password_file:?} is not a secret file"));
    check(
        doc["secrets"][secret.as_str()]["file"].as_str() == Some(format!("./secrets/{secret}").as_str()),
        format!("the secret {secret:?} is not read from ./secrets/{secret}"),
    );
    for (name, service) in [("mcp", mcp), ("state", state)] {
        check(names_in(service, "secrets").contains(&secret), format!("{name} does not mount the secret {secret:?}"));
    }

    // The store: on internal networks only, shared with the bridge; nothing published.
    check(state.get("ports").is_none(), "the state service publishes ports".into());
    check(
        state.get("environment").is_none(),
        "the state service has environment values (the password is a file)".into(),
    );
    let nets = names_in(state, "networks");
    check(!nets.is_empty(), "the state service names no network".into());
    for net in &nets {
        check(
            doc["networks"][net.as_str()]["internal"].as_bool() == Some(true),
            format!("network {net} is not internal"),
        );
    }
    check(
        !nets.is_disjoint(&names_in(mcp, "networks")),
        format!("mcp joins none of the state service's networks {nets:?}"),
    );
    check(state["read_only"].as_bool() == Some(true), "the state service's root filesystem is writable".into());
    check(
        state["cap_drop"].as_sequence().is_some_and(|c| c.iter().any(|c| c == "ALL")),
        "the state service keeps capabilities".into(),
    );
    let user = state["user"].as_str().unwrap_or_default();
    check(
        !user.is_empty() && !user.starts_with('0') && !user.starts_with("root"),
        format!("the state service runs as {user:?}"),
    );

    // The server: the password from the file (never an argument), persistence on a volume.
    let script =
        strings(&state["entrypoint"]).into_iter().chain(strings(&state["command"])).collect::<Vec<_>>().join(" ");
    let health = strings(&state["healthcheck"]["test"]).join(" ");
    check(script.contains(&format!("< {password_file}")), format!("the server does not read {password_file}"));
    check(health.contains(&format!("< {password_file}")), format!("the health check does not read {password_file}"));
    check(health.contains("REDISCLI_AUTH="), "the health check does not authenticate through REDISCLI_AUTH".into());
    for (what, text) in [("server", &script), ("health check", &health)] {
        for flag in ["--requirepass", " -a ", "--pass ", "--user "] {
            check(!text.contains(flag), format!("the {what} passes a credential on its command line ({flag:?})"));
        }
    }
    check(script.contains(&format!("--port {port}")), format!("the server does not listen on {port} (MCP_STATE_URL)"));
    check(script.contains("--appendonly yes"), "the server does not persist (--appendonly yes)".into());
    check(
        script.contains("--appendfsync always") || script.contains("--appendfsync everysec"),
        "no --appendfsync always/everysec".into(),
    );
    let data = script.split_once("--dir ").map(|(_, rest)| rest.split_whitespace().next().unwrap_or_default());
    let on_volume = state["volumes"].as_sequence().is_some_and(|v| {
        v.iter().filter_map(Yaml::as_str).any(|m| {
            let (source, target) = m.split_once(':').unwrap_or_default();
            Some(target) == data && doc["volumes"].get(source).is_some()
        })
    });
    check(on_volume, format!("the data directory {data:?} is not a named volume"));
    check(state["healthcheck"].is_mapping(), "the state service has no health check".into());

    if stack {
        let deploy = &state["deploy"];
        check(deploy["replicas"].as_u64() == Some(1), "the store must run once (one writer of one file)".into());
        check(deploy["endpoint_mode"] == "dnsrr", "endpoint_mode is not dnsrr (service VIPs need IPVS)".into());
        check(
            deploy["labels"].as_sequence().is_some_and(|l| l.iter().any(|l| l == "traefik.enable=false")),
            "the store lacks traefik.enable=false (Traefik exposes services by default)".into(),
        );
        check(
            deploy["placement"]["constraints"].as_sequence().is_some_and(|c| !c.is_empty()),
            "the store is not pinned to the node that keeps its volume".into(),
        );
    } else {
        check(
            mcp["depends_on"]["state"]["condition"] == "service_healthy",
            "mcp does not wait for a healthy store".into(),
        );
    }
    problems
}

#[test]
fn the_state_store_files_keep_the_password_secret_and_the_store_private() {
    for (file, stack) in STATE_FILES {
        let doc: Yaml = serde_norway::from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let problems = state_problems(file, &doc, stack);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

/// The check above can fail: a published port, a plain password, the store on the shared
/// network, persistence off and a password on the health check's command line are each
/// reported.
#[test]
fn a_leaking_or_forgetful_state_store_file_is_reported() {
    let text = read("compose.state.yml")
        .replace("--appendonly yes", "--appendonly no")
        .replace(r#"REDISCLI_AUTH=\"$$p\" valkey-cli"#, r#"valkey-cli -a \"$$p\""#);
    let mut doc: Yaml = serde_norway::from_str(&text).unwrap();
    doc["services"]["state"]["ports"] = serde_norway::from_str(r#"["127.0.0.1:6379:6379"]"#).unwrap();
    doc["services"]["state"]["networks"] = serde_norway::from_str("[state, vtoc]").unwrap();
    doc["services"]["mcp"]["environment"]["MCP_STATE_PASSWORD"] = Yaml::from("hunter2");
    let problems = state_problems("compose.state.yml", &doc, false).join("\n");
    for expected in [
        "the state service publishes ports",
        "network vtoc is not internal",
        "mcp sets MCP_STATE_PASSWORD as a plain environment value",
        "the server does not persist",
        "the health check passes a credential on its command line (\" -a \")",
        "the health check does not authenticate through REDISCLI_AUTH",
    ] {
        assert!(problems.contains(expected), "{expected:?} not reported:\n{problems}");
    }
    let mut stack: Yaml = serde_norway::from_str(&read("docker-stack.state.yml")).unwrap();
    stack["services"]["state"]["deploy"]["replicas"] = Yaml::from(2);
    stack["services"]["state"]["deploy"]["endpoint_mode"] = Yaml::from("vip");
    let problems = state_problems("docker-stack.state.yml", &stack, true).join("\n");
    assert!(problems.contains("must run once") && problems.contains("not dnsrr"), "{problems}");
}

/// Compose, the Swarm stack and Kubernetes run the same store: image, user, script,
/// health check, port, password file and (Swarm and Kubernetes) sizes.
#[test]
fn the_state_store_runs_alike_on_every_platform() {
    let compose: Yaml = serde_norway::from_str(&read("compose.state.yml")).unwrap();
    let stack: Yaml = serde_norway::from_str(&read("docker-stack.state.yml")).unwrap();
    let sts: Yaml = serde_norway::from_str(&read("deploy/k8s/components/state/statefulset.yaml")).unwrap();
    let component: Yaml = serde_norway::from_str(&read("deploy/k8s/components/state/kustomization.yaml")).unwrap();
    let pod = &sts["spec"]["template"]["spec"];
    let c = &pod["containers"][0];

    let k8s_script: Vec<String> = strings(&c["command"]).into_iter().chain(strings(&c["args"])).collect();
    let k8s_health = strings(&c["readinessProbe"]["exec"]["command"]);
    assert_eq!(k8s_health, strings(&c["livenessProbe"]["exec"]["command"]), "readiness and liveness differ");
    assert_eq!(k8s_health[..2], ["/bin/sh", "-c"], "{k8s_health:?}");
    let k8s_user = format!(
        "{}:{}",
        pod["securityContext"]["runAsUser"].as_u64().unwrap(),
        pod["securityContext"]["runAsGroup"].as_u64().unwrap()
    );
    for (file, doc) in [("compose.state.yml", &compose), ("docker-stack.state.yml", &stack)] {
        let state = &doc["services"]["state"];
        let image = compose_default(state["image"].as_str().unwrap());
        assert_eq!(image.as_deref(), c["image"].as_str(), "{file}: image");
        assert_eq!(state["user"].as_str(), Some(k8s_user.as_str()), "{file}: user");
        let script: Vec<String> = strings(&state["entrypoint"]).into_iter().chain(strings(&state["command"])).collect();
        assert_eq!(script, k8s_script, "{file}: the server's script differs from deploy/k8s/components/state");
        let health = strings(&state["healthcheck"]["test"]);
        assert_eq!(health.first().map(String::as_str), Some("CMD-SHELL"), "{file}");
        assert_eq!(health[1..], k8s_health[2..], "{file}: the health check differs from the Kubernetes probes");
    }

    // The bridge's settings: the same password file; the URL's port is the store's.
    let literals: BTreeMap<String, String> = component["configMapGenerator"][0]["literals"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str()?.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    let names: BTreeSet<String> = literals.keys().cloned().collect();
    assert!(names.is_subset(&binary()), "deploy/k8s/components/state sets unknown variables: {names:?}");
    assert!(SECRET_VALUES.iter().all(|v| !names.contains(*v)), "{names:?}");
    for (file, doc) in [("compose.state.yml", &compose), ("docker-stack.state.yml", &stack)] {
        let env = &doc["services"]["mcp"]["environment"];
        assert_eq!(
            env["MCP_STATE_PASSWORD_FILE"].as_str(),
            literals.get("MCP_STATE_PASSWORD_FILE").map(String::as_str),
            "{file}"
        );
        let port = |url: &str| url.rsplit(':').next().map(|p| p.trim_end_matches('/').to_string());
        assert_eq!(
            port(env["MCP_STATE_URL"].as_str().unwrap()),
            port(&literals["MCP_STATE_URL"]),
            "{file}: MCP_STATE_URL's port"
        );
    }
    let port = c["ports"][0]["containerPort"].as_u64().unwrap().to_string();
    assert!(
        literals["MCP_STATE_URL"].ends_with(&format!(":{port}")),
        "{} vs containerPort {port}",
        literals["MCP_STATE_URL"]
    );

    // Sizes: the stack's limits and reservations are the Kubernetes limits and requests.
    let (res, k8s_res) = (&stack["services"]["state"]["deploy"]["resources"], &c["resources"]);
    for (stack_part, k8s_part) in [("limits", "limits"), ("reservations", "requests")] {
        let (sc, kc) = (res[stack_part]["cpus"].as_str().unwrap(), k8s_res[k8s_part]["cpu"].as_str().unwrap());
        assert!((cpu(sc) - cpu(kc)).abs() < 1e-9, "cpu {stack_part}: docker-stack.state.yml {sc}, Kubernetes {kc}");
        let (sm, km) = (res[stack_part]["memory"].as_str().unwrap(), k8s_res[k8s_part]["memory"].as_str().unwrap());
        assert_eq!(memory(sm), memory(km), "memory {stack_part}: docker-stack.state.yml {sm}, Kubernetes {km}");
    }
    let compose_limit = compose["services"]["state"]["deploy"]["resources"]["limits"]["memory"].as_str().unwrap();
    assert_eq!(
        memory(compose_limit),
        memory(k8s_res["limits"]["memory"].as_str().unwrap()),
        "compose.state.yml's memory limit"
    );
}
