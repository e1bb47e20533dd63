{%- for service in ws.services %}
{%- if !service.rpcs.is_empty() %}
    let mut client = {{ service.package_in(ws.client_ident) }}::{{ service.trait_name }}Client::new(channel.clone());
{%- for rpc in service.rpcs %}
{%- match rpc.kind %}
{%- when RpcKind::Unary %}
    let answer = client
        .{{ rpc.method }}({{ rpc.input_default_from_client }})
        .await
        .map(|response| response.into_inner());
{%- when RpcKind::ServerStreaming %}
    let answer = match client.{{ rpc.method }}({{ rpc.input_default_from_client }}).await {
        Ok(response) => {{ ws.client_ident }}::collect(response.into_inner()).await,
        Err(status) => Err(status),
    };
{%- when RpcKind::ClientStreaming %}
    let requests = vec![{{ rpc.input_default_from_client }}];
    let answer = client
        .{{ rpc.method }}({{ ws.client_ident }}::tokio_stream::iter(requests))
        .await
        .map(|response| response.into_inner());
{%- when RpcKind::Bidi %}
    let requests = vec![{{ rpc.input_default_from_client }}];
    let answer = match client.{{ rpc.method }}({{ ws.client_ident }}::tokio_stream::iter(requests)).await {
        Ok(response) => {{ ws.client_ident }}::collect(response.into_inner()).await,
        Err(status) => Err(status),
    };
{%- endmatch %}
    answered("{{ rpc.route }}", answer);
{%- endfor %}
{%- endif %}
{%- endfor %}
