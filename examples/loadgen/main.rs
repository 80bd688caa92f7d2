//! Load generator for vtoc-mcp: `soak` (make soak) and `bench` (make bench).
//!
//! Both start the server binary as a separate process against a fast loopback backend and
//! read its memory and CPU from /proc. Build the server in release first
//! (`cargo build --release`); the Makefile targets do.

mod bench;
mod common;
mod soak;

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
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    vtoc_mcp::install_crypto_provider();
    match Cli::parse().command {
        Command::Soak { rounds, calls, sessions, fail_percent, bin, out } => {
            let result = soak::run(soak::Options { rounds, calls, sessions, fail_percent, bin }).await?;
            if let Some(dir) = std::path::Path::new(&out).parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&out, serde_json::to_string_pretty(&result)? + "\n")?;
            println!("{}", serde_json::to_string_pretty(&result)?);
            anyhow::ensure!(result["passed"] == true, "soak failed: {}", result["failures"]);
        }
        Command::Bench { reps, calls, bin, out } => {
            let result = bench::run(bench::Options { bin, reps, calls }).await?;
            if let Some(dir) = std::path::Path::new(&out).parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&out, serde_json::to_string_pretty(&result)? + "\n")?;
            println!("{}", bench::table(&result));
            println!("(JSON: {out})");
        }
    }
    Ok(())
}
