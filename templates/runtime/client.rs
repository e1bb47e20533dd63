//! Calling a server with the contract's policies: a deadline on every call, retries with
//! backoff for idempotent RPCs only, a circuit breaker per target, and trace propagation.
//!
//! [`Target`] is a tower service that the generated tonic clients run on
//! (`UsersServiceClient<Target>`), so every RPC goes through the policies while the client
//! keeps tonic's whole API. It reads the RPC from the request path and looks its idempotency
//! and streaming kind up in the embedded contract; nothing is generated per RPC.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use tonic::body::Body;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tower::{Service as _, ServiceExt};

use super::breaker::{Breaker, BreakerState};
use super::deadline::{format_grpc_timeout, parse_grpc_timeout, GRPC_TIMEOUT};
use super::metrics::{Metrics, RpcName};
use super::policy::{contract_rpc, ClientSettings, RpcPolicy};
use super::trace::{self, TraceContext, TRACEPARENT};
use super::BoxError;

/// Per-call choices that beat `protogen.toml`. A deadline can also be set the tonic way,
/// with `Request::set_timeout`.
///
/// ```ignore
/// let request = CallOptions::new().deadline(Duration::from_millis(200)).request(message);
/// client.find_one(request).await?;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallOptions {
    deadline: Option<Duration>,
    no_retry: bool,
}

impl CallOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole budget of this call, retries included.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// One attempt only, even for an idempotent RPC.
    pub fn without_retries(mut self) -> Self {
        self.no_retry = true;
        self
    }

    /// A request carrying `message` and these options.
    pub fn request<T>(self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.extensions_mut().insert(self);
        request
    }
}

/// A server you call: one lazily connected channel, and the circuit breaker that all typed
/// clients of this target share. Cheap to clone; clones share the connection and breaker.
#[derive(Clone, Debug)]
pub struct Target {
    channel: Channel,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    name: String,
    breaker: Breaker,
    settings: ClientSettings,
}

impl Target {
    /// A target at `uri` (`http://host:port`) that connects on first use and reconnects by
    /// itself; settings from the embedded `protogen.toml`.
    pub fn lazy(uri: impl Into<String>) -> Result<Self, BoxError> {
        let uri = uri.into();
        let channel = endpoint(&uri)?.connect_lazy();
        Self::from_channel(uri, channel)
    }

    /// Like [`Target::lazy`], but fails now if the server cannot be reached.
    pub async fn connect(uri: impl Into<String>) -> Result<Self, BoxError> {
        let uri = uri.into();
        let channel = endpoint(&uri)?
            .connect()
            .await
            .map_err(|error| format!("cannot connect to {uri}: {error}"))?;
        Self::from_channel(uri, channel)
    }

    /// A target over a channel you built (TLS, load balancing, ...); `name` labels its
    /// breaker in logs and metrics.
    pub fn from_channel(name: impl Into<String>, channel: Channel) -> Result<Self, BoxError> {
        let settings = ClientSettings::embedded()?.clone();
        Ok(Self::with_settings(name, channel, settings))
    }

    /// A target with settings other than the embedded ones (tests, per-environment tuning).
    pub fn with_settings(
        name: impl Into<String>,
        channel: Channel,
        settings: ClientSettings,
    ) -> Self {
        Target {
            channel,
            shared: Arc::new(Shared {
                name: name.into(),
                breaker: Breaker::new(settings.breaker.clone()),
                settings,
            }),
        }
    }

    /// The underlying channel, for a plain tonic client that bypasses every policy.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.shared.breaker.state()
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.shared.settings
    }

    /// The policy that applies to the RPC at `path` (`/package.Service/Method`).
    pub fn policy(&self, path: &str) -> RpcPolicy {
        self.shared.settings.policy(path)
    }

    async fn call_with_policy(self, request: http::Request<Body>) -> http::Response<Body> {
        let started = Instant::now();
        let path = request.uri().path().to_owned();
        let rpc = RpcName::from_path(&path);
        let policy = self.policy(&path);
        let options = request
            .extensions()
            .get::<CallOptions>()
            .copied()
            .unwrap_or_default();
        let budget = options
            .deadline
            .or_else(|| {
                request
                    .headers()
                    .get(GRPC_TIMEOUT)
                    .and_then(|value| value.to_str().ok())
                    .and_then(parse_grpc_timeout)
            })
            .or(policy.deadline);
        let end = budget.map(|budget| started + budget);
        let shape = contract_rpc(&path);
        // A request stream cannot be replayed; neither can an RPC the contract does not know.
        let replayable = shape.is_some_and(|shape| !shape.client_streaming);
        let max_attempts = if policy.idempotent && replayable && !options.no_retry {
            policy.retry.max_attempts.max(1)
        } else {
            1
        };
        let response_is_unary = shape.is_some_and(|shape| !shape.server_streaming);
        let parent = trace::current().unwrap_or_else(TraceContext::new_root);

        let (parts, body) = request.into_parts();
        let mut body = Some(body);
        let replay = if max_attempts > 1 {
            match collect_request(body.take().expect("not taken yet"), end).await {
                Ok(bytes) => Some(bytes),
                Err(status) => return self.finish(&rpc, started, status.into_http()),
            }
        } else {
            None
        };

        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let last = attempt >= max_attempts;
            let remaining = match end {
                None => None,
                Some(end) => match end.checked_duration_since(Instant::now()) {
                    Some(remaining) if !remaining.is_zero() => Some(remaining),
                    _ => break deadline_exceeded(&path, "before it was sent").into_http(),
                },
            };
            let body = match &replay {
                Some(bytes) => Body::new(ReplayBody::data(bytes.clone())),
                None => body.take().unwrap_or_default(),
            };
            let mut request = http::Request::from_parts(clone_parts(&parts), body);
            let headers = request.headers_mut();
            if let Some(remaining) = remaining {
                // grpc-timeout tells the server to stop working when the caller stops waiting.
                if let Ok(value) = HeaderValue::try_from(format_grpc_timeout(remaining)) {
                    headers.insert(GRPC_TIMEOUT, value);
                }
            }
            if let Ok(value) = HeaderValue::try_from(parent.child().to_traceparent()) {
                headers.insert(TRACEPARENT, value);
            }
            if attempt > 1 {
                // The gRPC retry design's header, so the server can tell a retry apart.
                headers.insert("grpc-previous-rpc-attempts", HeaderValue::from(attempt - 1));
            }

            let permit = match self.shared.breaker.try_acquire() {
                Ok(permit) => permit,
                Err(open) => {
                    Metrics::global().client_breaker_rejected(&self.shared.name);
                    break Status::unavailable(format!(
                        "circuit breaker for {} is open after repeated failures; failing fast \
                         (next probe in {:?})",
                        self.shared.name, open.retry_after
                    ))
                    .into_http();
                }
            };
            Metrics::global().client_attempt(&rpc);
            let (status, response) = self.send(&path, request, end, response_is_unary).await;
            permit.record((status.code() != Code::Ok).then_some(status.code()));
            if last || status.code() == Code::Ok || !policy.retry.is_retryable(status.code()) {
                break response;
            }
            let backoff = policy.retry.backoff(attempt);
            if end.is_some_and(|end| Instant::now() + backoff >= end) {
                break response;
            }
            tracing::debug!(rpc = %path, attempt, code = ?status.code(), ?backoff, "retrying an idempotent call");
            tokio::time::sleep(backoff).await;
        };
        self.finish(&rpc, started, response)
    }

    /// Sends one attempt and learns its status: from the headers of a trailers-only answer,
    /// or, for a unary answer, from its trailers after reading it whole (within the deadline).
    /// A streamed answer that started well counts as OK here; its end is the caller's.
    async fn send(
        &self,
        path: &str,
        request: http::Request<Body>,
        end: Option<Instant>,
        response_is_unary: bool,
    ) -> (Status, http::Response<Body>) {
        let exchange = async {
            let mut channel = self.channel.clone();
            let response = channel
                .ready()
                .await
                .map_err(|error| Status::from_error(error.into()))?
                .call(request)
                .await
                .map_err(|error| Status::from_error(error.into()))?;
            if let Some(status) = status_in(response.headers()) {
                return Ok((status, response));
            }
            if !response_is_unary {
                return Ok((Status::ok(""), response));
            }
            let (parts, body) = response.into_parts();
            let collected = body.collect().await?;
            let trailers = collected.trailers().cloned();
            let status = trailers
                .as_ref()
                .and_then(status_in)
                .unwrap_or_else(|| Status::internal("the server's answer had no grpc-status"));
            let replay = ReplayBody {
                data: Some(collected.to_bytes()),
                trailers,
            };
            Ok((status, http::Response::from_parts(parts, Body::new(replay))))
        };
        let outcome = match end {
            Some(end) => match tokio::time::timeout_at(end.into(), exchange).await {
                Ok(outcome) => outcome,
                Err(_elapsed) => Err(deadline_exceeded(path, "while waiting for the server")),
            },
            None => exchange.await,
        };
        match outcome {
            Ok((status, response)) => match normalize(path, &status, end) {
                Some(deadline) => (deadline.clone(), deadline.into_http()),
                None => (status, response),
            },
            Err(status) => {
                let status = normalize(path, &status, end).unwrap_or(status);
                let response = clone_status(&status).into_http();
                (status, response)
            }
        }
    }

    fn finish(
        &self,
        rpc: &RpcName<'_>,
        started: Instant,
        response: http::Response<Body>,
    ) -> http::Response<Body> {
        let code = status_in(response.headers()).map_or(Code::Ok, |status| status.code());
        Metrics::global().client_finished(rpc, code, started.elapsed());
        response
    }
}

impl tower::Service<http::Request<Body>> for Target {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is awaited per attempt, on a clone of the channel.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let target = self.clone();
        Box::pin(async move { Ok(target.call_with_policy(request).await) })
    }
}

fn endpoint(uri: &str) -> Result<Endpoint, BoxError> {
    Ok(Endpoint::from_shared(uri.to_owned())
        .map_err(|error| format!("`{uri}` is not a valid target URI: {error}"))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true))
}

async fn collect_request(body: Body, end: Option<Instant>) -> Result<Bytes, Status> {
    let collect = async {
        body.collect()
            .await
            .map(|collected| collected.to_bytes())
            .map_err(|status| Status::internal(format!("cannot encode the request: {status}")))
    };
    match end {
        Some(end) => tokio::time::timeout_at(end.into(), collect)
            .await
            .unwrap_or_else(|_| Err(Status::deadline_exceeded("deadline exceeded while sending"))),
        None => collect.await,
    }
}

fn clone_parts(parts: &http::request::Parts) -> http::request::Parts {
    let (mut cloned, ()) = http::Request::new(()).into_parts();
    cloned.method = parts.method.clone();
    cloned.uri = parts.uri.clone();
    cloned.version = parts.version;
    cloned.headers = parts.headers.clone();
    cloned.extensions = parts.extensions.clone();
    cloned
}

fn clone_status(status: &Status) -> Status {
    Status::with_details_and_metadata(
        status.code(),
        status.message().to_owned(),
        Bytes::copy_from_slice(status.details()),
        status.metadata().clone(),
    )
}

fn status_in(headers: &HeaderMap) -> Option<Status> {
    headers.get("grpc-status")?;
    Status::from_header_map(headers)
}

fn deadline_exceeded(path: &str, when: &str) -> Status {
    Status::deadline_exceeded(format!("{path}: deadline exceeded {when}"))
}

/// tonic reports a call whose `grpc-timeout` expired as CANCELLED ("Timeout expired"), on the
/// client side as on a tonic server; it is a deadline, and retry and breaker decisions and the
/// caller must see it as one.
fn normalize(path: &str, status: &Status, end: Option<Instant>) -> Option<Status> {
    let past_deadline = end.is_some_and(|end| Instant::now() >= end);
    (status.code() == Code::Cancelled
        && (past_deadline || status.message() == "Timeout expired"))
        .then(|| deadline_exceeded(path, &format!("(reported as: {})", status.message())))
}

/// A body already read: its bytes, then its trailers. Replays a request for a retry, or hands
/// a unary answer that was read to learn its status to the client.
struct ReplayBody {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl ReplayBody {
    fn data(data: Bytes) -> Self {
        ReplayBody {
            data: Some(data),
            trailers: None,
        }
    }
}

impl http_body::Body for ReplayBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        Poll::Ready(this.trailers.take().map(|trailers| Ok(Frame::trailers(trailers))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |data| data.len() as u64))
    }
}
