// Generated once by `{{ ws.command }}`; from now on this file is yours.
{%- if ws.has_runtime %}
//! Starts the server: gRPC and gRPC-Web on ${{ ws.addr_env }} (default 127.0.0.1:50051); REST
//! routes, /openapi.json, liveness, readiness and Prometheus metrics over HTTP on $HTTP_ADDR
//! (default 127.0.0.1:8080). `--help` lists every
//! setting (TLS, JWT, deadlines, OpenTelemetry); SIGTERM or Ctrl-C drains in-flight calls
//! before exiting. A setting or file it cannot use stops it at start with exit code 2.

use std::process::ExitCode;

use {{ ws.api_ident }}::runtime::{self, ServerConfig};

/// mimalloc rather than the system allocator: every call allocates its messages and buffers
/// on one thread and frees them on another, which glibc's malloc serves with locks and
/// consolidation. `cargo xtask bench-server` (protogen's repository) measured 100-message
/// streams at 1.3x the calls/s of the system allocator, for 0.7x the CPU per call.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = ServerConfig::from_env_and_args_with_addr_env("{{ ws.addr_env }}");
    let telemetry = runtime::init_tracing(&config);
    let result = async {
        let running = {{ ws.server_ident }}::router(config).start().await?;
        // The addresses, for scripts that start it on port 0; one write, and a reader that
        // closed the pipe after the first line does not stop the server.
        let mut addresses = format!("{{ ws.server_crate }} listening on {}\n", running.grpc_addr());
        if let Some(http) = running.http_addr() {
            addresses.push_str(&format!("{{ ws.server_crate }} HTTP on {http}\n"));
        }
        let _ = std::io::Write::write_all(&mut std::io::stdout(), addresses.as_bytes());
        running.serve_until_signal().await
    }
    .await;
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{{ ws.server_crate }}: {error}");
            ExitCode::from(2)
        }
    }
}
{%- else %}
//! Starts the server on ${{ ws.addr_env }} (default 127.0.0.1:50051).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("{{ ws.addr_env }}").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("{{ ws.server_crate }} listening on {}", listener.local_addr()?);
    {{ ws.server_ident }}::serve(listener).await?;
    Ok(())
}
{%- endif %}
