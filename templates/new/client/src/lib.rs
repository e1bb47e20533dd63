// Generated once by `{{ ws.command }}`; from now on this file is yours.
//! Typed clients for every service of the contract. Modules mirror the proto packages and
//! re-export their messages: `{{ ws.services[0].package_in(ws.client_ident) }}::{{ ws.services[0].trait_name }}Client`.

pub use {{ ws.api_ident }};
pub use tokio_stream;
{%- if !ws.has_runtime %}

use std::time::Duration;
{%- endif %}

{{ client_modules }}
{% if ws.has_runtime %}
/// Connects to the server at `uri` (e.g. `http://127.0.0.1:50051`). Every client built from
/// the target shares its connection and circuit breaker, and each call gets the deadline,
/// retries (idempotent RPCs only) and trace context set by the contract and protogen.toml.
pub async fn connect(uri: &str) -> Result<{{ ws.api_ident }}::runtime::Target, {{ ws.api_ident }}::runtime::ClientError> {
    {{ ws.api_ident }}::runtime::Target::connect(uri).await
}
{%- else %}
/// Opens a channel to the server at `uri` (e.g. `http://127.0.0.1:50051`); every client
/// built from it shares the connection.
pub async fn connect(uri: &str) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    tonic::transport::Endpoint::from_shared(uri.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}
{%- endif %}

/// Reads a streamed answer to its end.
pub async fn collect<T>(mut stream: tonic::Streaming<T>) -> Result<Vec<T>, tonic::Status> {
    let mut messages = Vec::new();
    while let Some(message) = stream.message().await? {
        messages.push(message);
    }
    Ok(messages)
}
