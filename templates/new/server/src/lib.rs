// Generated once by `{{ ws.command }}`; from now on this file is yours.
//! {{ ws.server_crate }}: one tonic server for every service of the contract. The handlers live
//! in `handlers/`, one file per service.

pub mod handlers;

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
