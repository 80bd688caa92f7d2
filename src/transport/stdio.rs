//! MCP over stdin and stdout, for clients that spawn the server (desktop agents, IDEs).
//! Every line read is checked first (`jsonrpc.rs`), so malformed input gets an answer.

use super::drain;
use crate::bridge::Bridge;
use rmcp::ServiceExt;
use std::future::Future;

/// Serve MCP over stdin/stdout until the client closes stdin or `shutdown` resolves.
pub async fn serve_stdio(
    bridge: Bridge,
    shutdown: impl Future<Output = ()>,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let (pipes, writer) = checked_stdio();
    let running = match bridge.clone().serve(pipes).await {
        Ok(running) => running,
        // The client went away before the handshake: nothing to serve, not a failure.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("stdin closed before the MCP handshake; exiting");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let cancel = running.cancellation_token();
    tokio::select! {
        quit = running.waiting() => { quit?; }
        () = shutdown => {
            drain(&bridge, grace).await;
            cancel.cancel();
        }
    }
    // Everything written reaches stdout before the process ends.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
    Ok(())
}

/// stdin and stdout for rmcp, with every incoming line checked first (`jsonrpc.rs`): a
/// malformed message is answered here with its JSON-RPC error (rmcp would drop it without
/// an answer) and never reaches rmcp. Lines out, rmcp's and ours, are written whole.
fn checked_stdio() -> ((tokio::io::DuplexStream, tokio::io::DuplexStream), tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    const PIPE: usize = 1 << 16;
    let (rmcp_in, mut to_rmcp) = tokio::io::duplex(PIPE);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE);
    let (errors, mut error_lines) = tokio::sync::mpsc::channel::<String>(64);
    tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            match stdin.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let message = line.trim_ascii();
            if message.is_empty() {
                continue;
            }
            match crate::transport::jsonrpc::check(message) {
                Ok(_) => {
                    if to_rmcp.write_all(message).await.is_err() || to_rmcp.write_all(b"\n").await.is_err() {
                        break;
                    }
                }
                Err(rejection) => {
                    tracing::debug!(code = rejection.code, "refused a malformed message on stdin");
                    let _ = errors.send(rejection.response().to_string()).await;
                }
            }
        }
        // stdin closed: rmcp sees the end of its input and stops.
        let _ = to_rmcp.shutdown().await;
    });
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        let mut from_rmcp = BufReader::new(from_rmcp).lines();
        let (mut rmcp_open, mut errors_open) = (true, true);
        loop {
            let line = tokio::select! {
                line = from_rmcp.next_line(), if rmcp_open => match line {
                    Ok(Some(l)) => l,
                    _ => { rmcp_open = false; continue; }
                },
                error = error_lines.recv(), if errors_open => match error {
                    Some(e) => e,
                    None => { errors_open = false; continue; }
                },
                else => break,
            };
            if stdout.write_all(line.as_bytes()).await.is_err()
                || stdout.write_all(b"\n").await.is_err()
                || stdout.flush().await.is_err()
            {
                break;
            }
        }
    });
    ((rmcp_in, rmcp_out), writer)
}
