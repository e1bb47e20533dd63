// Generated once by `{{ ws.command }}`; from now on this file is yours: protogen never
// overwrites it.
//! Handlers for `{{ service.full_name }}` ({{ service.file }}).
//!
//! Each RPC below is a stub that fails the build until you write its body. To build and run
//! while you work, use `cargo run --features allow-unimplemented` (stubs answer UNIMPLEMENTED).
{%- for line in service.comment %}
//{% if !line.is_empty() %} {% endif %}{{ line }}
{%- endfor %}

use {{ service.package_in(ws.api_ident) }} as pb;
use tonic::{Request, Response, Status{% if service.uses_streaming_requests() %}, Streaming{% endif %}};

/// Serves `{{ service.full_name }}`. Put the state the handlers share (database pools,
/// clients of other services) in here.
#[derive(Debug, Default)]
pub struct {{ service.handler_struct }} {}

#[tonic::async_trait]
impl pb::{{ service.server_module }}::{{ service.trait_name }} for {{ service.handler_struct }} {
{%- for rpc in service.rpcs %}
{%- if !loop.first %}
{% endif %}
{%- if rpc.streams_out() %}
    type {{ rpc.stream_type }} = {{ ws.api_ident }}::ResponseStream<{{ rpc.output_type }}>;
{% endif %}
    // {{ rpc.route }} ({{ rpc.kind_label() }})
{%- for line in rpc.comment %}
    //{% if !line.is_empty() %} {% endif %}{{ line }}
{%- endfor %}
    async fn {{ rpc.method }}(
        &self,
        request: Request<{% if rpc.streams_in() %}Streaming<{{ rpc.input_type }}>{% else %}{{ rpc.input_type }}{% endif %}>,
    ) -> Result<Response<{% if rpc.streams_out() %}Self::{{ rpc.stream_type }}{% else %}{{ rpc.output_type }}{% endif %}>, Status> {
{%- match rpc.kind %}
{%- when RpcKind::Unary %}
        // Read the request with `let message = request.into_inner();` and answer with
        //     Ok(Response::new({{ rpc.output_default }}))
{%- when RpcKind::ServerStreaming %}
        // Read the request with `let message = request.into_inner();` and answer with a
        // stream, e.g. from a list:
        //     let answers = vec![Ok({{ rpc.output_default }})];
        //     Ok(Response::new(Box::pin(tokio_stream::iter(answers))))
        // or from a task, through a channel:
        //     let (tx, rx) = tokio::sync::mpsc::channel(16);
        //     tokio::spawn(async move { let _ = tx.send(Ok({{ rpc.output_default }})).await; });
        //     Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
{%- when RpcKind::ClientStreaming %}
        // Read the incoming stream to its end, then answer once:
        //     let mut incoming = request.into_inner();
        //     while let Some(message) = incoming.message().await? { /* use message */ }
        //     Ok(Response::new({{ rpc.output_default }}))
{%- when RpcKind::Bidi %}
        // Answer each incoming message as it arrives, from a task, through a channel:
        //     let mut incoming = request.into_inner();
        //     let (tx, rx) = tokio::sync::mpsc::channel(16);
        //     tokio::spawn(async move {
        //         while let Ok(Some(message)) = incoming.message().await {
        //             if tx.send(Ok({{ rpc.output_default }})).await.is_err() { break; }
        //         }
        //     });
        //     Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
{%- endmatch %}
        let _ = request;
        {{ ws.api_ident }}::unimplemented_rpc!("{{ rpc.route }}")
    }
{%- endfor %}
}
