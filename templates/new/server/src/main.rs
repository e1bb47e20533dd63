// Generated once by `{{ ws.command }}`; from now on this file is yours.
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
