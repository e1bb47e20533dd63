// Generated once by `{{ ws.command }}`; from now on this file is yours.
//! Calls every RPC of the contract once, with default messages, and prints the answers.
//! Start the server first (`cargo run -p {{ ws.server_crate }}`), then
//! `cargo run -p {{ ws.client_crate }} --example call`. The server's address comes from
//! ${{ ws.addr_env }} (default 127.0.0.1:50051).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("{{ ws.addr_env }}").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let channel = {{ ws.client_ident }}::connect(&format!("http://{addr}")).await?;
{% include "new/_calls.rs" %}
    Ok(())
}

fn answered<T: std::fmt::Debug>(rpc: &str, answer: Result<T, tonic::Status>) {
    match answer {
        Ok(message) => println!("{rpc}: {message:?}"),
        Err(status) => println!("{rpc}: error {:?}: {}", status.code(), status.message()),
    }
}
