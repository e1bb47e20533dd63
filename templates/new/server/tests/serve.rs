// Generated once by `{{ ws.command }}`; from now on this file is yours.
//! Starts the server on an ephemeral port and calls every RPC through the typed clients.
//! Replace `answered` with assertions on the answers your handlers give.

#[tokio::test]
async fn every_rpc_is_served() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn({{ ws.server_ident }}::serve(listener));
    let channel = {{ ws.client_ident }}::connect(&format!("http://{addr}"))
        .await
        .expect("the server accepts connections");
{% include "new/_calls.rs" %}
}

/// The call reached its handler: it answered, or it failed with a status that the handler
/// (or a stub, naming its RPC) produced rather than the transport.
fn answered<T: std::fmt::Debug>(rpc: &str, answer: Result<T, tonic::Status>) {
    if let Err(status) = answer {
        assert_ne!(status.code(), tonic::Code::Unavailable, "{rpc}: {status:?}");
        if status.code() == tonic::Code::Unimplemented {
            assert!(
                status.message().contains(rpc),
                "{rpc} is not routed to its handler: {status:?}"
            );
        }
    }
}
