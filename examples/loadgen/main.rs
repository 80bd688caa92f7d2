//! Load generator for vtoc-mcp: `soak` (make soak) and `bench` (make bench).
//!
//! Both start the server binary as a separate process against a fast loopback backend and
//! read its memory and CPU from /proc. Build the server in release first
//! (`cargo build --release`); the Makefile targets do.

mod bench;
mod common;
mod floor;
mod peer;
mod soak;
mod variants;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Many concurrent sessions against a failing backend; checks results, expiry, memory.
    Soak {
        /// Identical rounds; memory is compared between the last two.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value_t = 10_000)]
        calls: usize,
        #[arg(long, default_value_t = 256)]
        sessions: usize,
        #[arg(long, default_value_t = 5)]
        fail_percent: u32,
        #[arg(long, default_value = "target/release/vtoc-mcp")]
        bin: String,
        #[arg(long, default_value = "target/soak/results.json")]
        out: String,
    },
    /// The benchmark: added latency, CPU, memory, start-up, throughput; target/bench/results.json.
    Bench {
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// Calls per latency measurement.
        #[arg(long, default_value_t = 2000)]
        calls: usize,
        #[arg(long, default_value = "target/release/vtoc-mcp")]
        bin: String,
        #[arg(long, default_value = "target/bench/results.json")]
        out: String,
        /// Run one figure only, measured exactly as in the full run: `cpu` (CPU per small
        /// call, 2025 session and 2026 stateless clients), for bisections; `memory` (RSS
        /// idle and with 1000 idle sessions, `--reps` servers).
        #[arg(long)]
        only: Option<bench::Only>,
        /// With `--only cpu`: which client's loop runs (`session`: the 2025 session client only,
        /// so an instruction count over the whole process divides by one loop).
        #[arg(long, value_enum, default_value_t = bench::Clients::Both)]
        clients: bench::Clients,
        /// The committed results this run is compared with: each figure that moved by more
        /// than 20% is printed (empty: no comparison).
        #[arg(long, default_value = "docs/performance-results.json")]
        baseline: String,
    },
    /// A floor `make bench-peer` measures beside the two servers: a server that does only
    /// what any bridge must for one call (floor.rs), on the bridge's HTTP stack without rmcp
    /// (the default), on rmcp, or on the standard library alone. Serves until killed.
    Floor {
        #[arg(long)]
        port: u16,
        /// The backend's base URL.
        #[arg(long)]
        backend: String,
        /// On the standard library alone (threads, blocking sockets) instead of the bridge's
        /// stack.
        #[arg(long, conflicts_with = "rmcp")]
        std: bool,
        /// On rmcp's streamable HTTP server, as the bridge serves: the same call as a tool
        /// of a minimal handler.
        #[arg(long)]
        rmcp: bool,
    },
    /// The bridge against FastMCP's `from_openapi` (make bench-peer): same backend, same
    /// client, same run; target/bench-peer/results.json.
    Peer {
        #[command(flatten)]
        options: peer::Options,
        #[arg(long, default_value = "target/bench-peer/results.json")]
        out: String,
    },
}

/// Writes `value` as pretty JSON to `path`, making its folder.
fn write_json(path: &std::path::Path, value: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(value)? + "\n")?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    vtoc_mcp::install_crypto_provider();
    match Cli::parse().command {
        // On its own runtime, shaped as the bridge's.
        Command::Floor { port, backend, std: true, .. } => floor::serve_std(port, backend),
        Command::Floor { port, backend, rmcp: true, .. } => floor::serve_rmcp(port, backend),
        Command::Floor { port, backend, .. } => floor::serve(port, backend),
        command => tokio::runtime::Runtime::new()?.block_on(run(command)),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Floor { .. } => unreachable!("served on its own runtime"),
        Command::Soak { rounds, calls, sessions, fail_percent, bin, out } => {
            let result = soak::run(soak::Options { rounds, calls, sessions, fail_percent, bin }).await?;
            write_json(std::path::Path::new(&out), &result)?;
            println!("{}", serde_json::to_string_pretty(&result)?);
            anyhow::ensure!(result["passed"] == true, "soak failed: {}", result["failures"]);
        }
        Command::Bench { reps, calls, bin, out, only, clients, baseline } => {
            let options = bench::Options { bin, reps, calls };
            // One figure alone does not replace the full results.
            let out = match only {
                Some(o) if out == "target/bench/results.json" => format!("target/bench/only-{o:?}.json").to_lowercase(),
                _ => out,
            };
            let result = match only {
                Some(bench::Only::Cpu) => bench::cpu_only(options, clients).await?,
                Some(bench::Only::Telemetry) => variants::telemetry(&options.bin, options.reps, options.calls).await?,
                Some(bench::Only::Store) => variants::store(&options.bin, options.reps, options.calls).await?,
                Some(bench::Only::Memory) => bench::memory_only(options).await?,
                None => bench::run(options).await?,
            };
            write_json(std::path::Path::new(&out), &result)?;
            if only.is_some_and(|o| o != bench::Only::Cpu && o != bench::Only::Memory) {
                println!("{}", variants::table(&result));
            } else {
                println!("{}", bench::table(&result));
            }
            println!("(JSON: {out})");
            if !baseline.is_empty() && only.is_none() {
                match std::fs::read_to_string(&baseline).map(|t| serde_json::from_str::<serde_json::Value>(&t)) {
                    Ok(Ok(base)) => {
                        let moved = bench::regressions(&base, &result, 0.20);
                        if moved.is_empty() {
                            println!("\nAgainst {baseline}: no figure moved by more than 20%.");
                        } else {
                            println!("\nAgainst {baseline}, figures that moved by more than 20%:");
                            for line in moved {
                                println!("  {line}");
                            }
                        }
                    }
                    _ => println!("\n(no baseline to compare with at {baseline})"),
                }
            }
        }
        Command::Peer { options, out } => {
            let result = peer::run(options).await?;
            let path = std::path::Path::new(&out);
            write_json(path, &result)?;
            // Each run is also kept under its date and commit.
            let dated = path.with_file_name(format!(
                "{}-{}.json",
                result["date"].as_str().unwrap_or("run"),
                result["commit"].as_str().unwrap_or("unknown")
            ));
            write_json(&dated, &result)?;
            let table = peer::table(&result);
            std::fs::write(path.with_extension("md"), &table)?;
            println!("{table}");
            println!("(JSON: {out}, {})", dated.display());
        }
    }
    Ok(())
}
