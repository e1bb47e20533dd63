// Generated once by `{{ ws.command }}`; from now on this file is yours.
//! {{ ws.server_crate }}: one tonic server for every service of the contract. The handlers live
//! in `handlers/`, one file per service.

pub mod handlers;
{%- if ws.has_events() %}
pub mod subscribers;
{%- endif %}
{%- if ws.has_runtime %}

use {{ ws.api_ident }}::runtime::{self, ServerConfig};

/// Every service of the contract on one server, with health, reflection, deadlines, metrics
/// and graceful shutdown (see `{{ ws.api_ident }}::runtime`). Give handlers their state, and add
/// HTTP routes of your own with `.http_routes(...)`, here. (`protogen sync` registers new
/// services after the last `.add_service`.)
pub fn router(config: ServerConfig) -> runtime::Server {
    let limit = config.max_message_bytes;
    runtime::Server::new(config)
{%- if ws.has_events() %}
        // Publishes and subscribes to the events of protogen.toml's [events] over the broker of protogen.toml.
        .events({{ ws.api_ident }}::events::setup(subscribers::Subscribers::default()))
{%- endif %}
{%- for service in ws.services %}
        .add_service(
            {{ service.package_in(ws.api_ident) }}::{{ service.server_module }}::{{ service.trait_name }}Server::new(
                handlers::{{ service.handler_module }}::{{ service.handler_struct }}::default(),
            )
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
        )
{%- endfor %}
}

/// Serves on `listener` (no HTTP listener) until SIGTERM or Ctrl-C; tests spawn it.
pub async fn serve(listener: tokio::net::TcpListener) -> Result<(), runtime::BoxError> {
    let mut config = ServerConfig::local();
    config.http_addr = None;
    router(config).start_on(listener).await?.serve_until_signal().await
}
{%- else %}

/// Every service of the contract on one server. Add layers (timeouts, tracing, auth) to the
/// builder, and give handlers their state, here.
pub fn router() -> tonic::transport::server::Router {
    tonic::transport::Server::builder()
{%- for service in ws.services %}
        .add_service({{ service.package_in(ws.api_ident) }}::{{ service.server_module }}::{{ service.trait_name }}Server::new(
            handlers::{{ service.handler_module }}::{{ service.handler_struct }}::default(),
        ))
{%- endfor %}
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> Result<(), tonic::transport::Error> {
    router()
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
        .await
}
{%- endif %}
