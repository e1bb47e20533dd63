// Generated once by `{{ ws.command }}`; from now on this file is yours.
//! Typed clients for every service of the contract. Modules mirror the proto packages and
//! re-export their messages: `{{ ws.services[0].package_in(ws.client_ident) }}::{{ ws.services[0].trait_name }}Client`.

use std::time::Duration;

pub use {{ ws.api_ident }};
pub use tokio_stream;

{{ client_modules }}

/// Opens a channel to the server at `uri` (e.g. `http://127.0.0.1:50051`); every client
/// built from it shares the connection.
pub async fn connect(uri: &str) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    tonic::transport::Endpoint::from_shared(uri.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

/// Reads a streamed answer to its end.
pub async fn collect<T>(mut stream: tonic::Streaming<T>) -> Result<Vec<T>, tonic::Status> {
    let mut messages = Vec::new();
    while let Some(message) = stream.message().await? {
        messages.push(message);
    }
    Ok(messages)
}
