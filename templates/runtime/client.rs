//! Calling a server with the contract's policies: a deadline on every call, retries with
//! backoff for idempotent RPCs only, a circuit breaker per target, and trace propagation.
//!
//! The typed clients route every RPC through [`Target::unary`] (unary and server streaming)
//! or [`Target::streaming`] (client and bidirectional streaming, which are never retried
//! because their request stream cannot be replayed).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Response, Status};

use super::breaker::{Breaker, BreakerState};
use super::deadline::{parse_grpc_timeout, GRPC_TIMEOUT};
use super::metrics::{Metrics, RpcName};
use super::policy::{ClientSettings, RpcPolicy};
use super::trace::{self, TraceContext, TRACEPARENT};
use super::BoxError;

/// One RPC of the contract, named by its path `/package.Service/Method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rpc {
    path: &'static str,
}

impl Rpc {
    pub const fn new(path: &'static str) -> Self {
        Rpc { path }
    }

    pub fn path(&self) -> &'static str {
        self.path
    }

    fn name(&self) -> RpcName<'static> {
        RpcName::from_path(self.path)
    }
}

/// Per-call choices that beat `protogen.toml`.
#[derive(Clone, Debug, Default)]
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
}

/// A server you call: one lazily connected channel, and the circuit breaker that all typed
/// clients of this target share. Cheap to clone.
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
        let endpoint = Endpoint::from_shared(uri.clone())
            .map_err(|error| format!("`{uri}` is not a valid target URI: {error}"))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true);
        Self::from_channel(uri, endpoint.connect_lazy())
    }

    /// Like [`Target::lazy`], but fails now if the server cannot be reached.
    pub async fn connect(uri: impl Into<String>) -> Result<Self, BoxError> {
        let uri = uri.into();
        let channel = Endpoint::from_shared(uri.clone())
            .map_err(|error| format!("`{uri}` is not a valid target URI: {error}"))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
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
    pub fn with_settings(name: impl Into<String>, channel: Channel, settings: ClientSettings) -> Self {
        Target {
            channel,
            shared: Arc::new(Shared {
                name: name.into(),
                breaker: Breaker::new(settings.breaker.clone()),
                settings,
            }),
        }
    }

    /// The underlying channel, for a raw tonic client or anything the wrapper does not cover.
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

    /// The policy that applies to `rpc` on this target.
    pub fn policy(&self, rpc: &Rpc) -> RpcPolicy {
        self.shared.settings.policy(rpc.path)
    }

    /// Calls a unary or server-streaming RPC: `call` sends one attempt (typically a clone of
    /// the generated tonic client calling its method). Retried only when the RPC is idempotent.
    pub async fn unary<Req, Resp, F, Fut>(
        &self,
        rpc: &Rpc,
        request: Request<Req>,
        options: CallOptions,
        mut call: F,
    ) -> Result<Response<Resp>, Status>
    where
        Req: Clone,
        F: FnMut(Request<Req>) -> Fut,
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        let started = Instant::now();
        let policy = self.policy(rpc);
        let end = self.deadline(&policy, &request, &options).map(|d| started + d);
        let max_attempts = if policy.idempotent && !options.no_retry {
            policy.retry.max_attempts.max(1)
        } else {
            1
        };
        let parent = trace::current().unwrap_or_else(TraceContext::new_root);
        let (metadata, extensions, message) = request.into_parts();
        let mut message = Some(message);
        let mut extensions = Some(extensions);
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            let last = attempt >= max_attempts;
            let body = if last { message.take() } else { message.clone() };
            let body = body.expect("the message is only taken on the last attempt");
            let mut request =
                Request::from_parts(metadata.clone(), extensions.take().unwrap_or_default(), body);
            if attempt > 1 {
                // The gRPC retry design's header, so the server can tell a retry apart.
                request.metadata_mut().insert(
                    "grpc-previous-rpc-attempts",
                    MetadataValue::from(attempt - 1),
                );
            }
            match self.attempt(rpc, request, &parent, end, &mut call).await {
                Ok(response) => break Ok(response),
                Err(Failure::Refused(status)) => break Err(status),
                Err(Failure::Failed(status)) => {
                    if last || !policy.retry.is_retryable(status.code()) {
                        break Err(status);
                    }
                    let backoff = policy.retry.backoff(attempt);
                    if end.is_some_and(|end| Instant::now() + backoff >= end) {
                        break Err(status);
                    }
                    tracing::debug!(
                        rpc = rpc.path,
                        attempt,
                        code = ?status.code(),
                        ?backoff,
                        "retrying an idempotent call"
                    );
                    tokio::time::sleep(backoff).await;
                }
            }
        };
        self.finished(rpc, &result, started);
        result
    }

    /// Calls a client- or bidirectional-streaming RPC: one attempt, with deadline, breaker and
    /// trace context; never retried, because the request stream cannot be replayed.
    pub async fn streaming<Req, Resp, F, Fut>(
        &self,
        rpc: &Rpc,
        request: Request<Req>,
        options: CallOptions,
        call: F,
    ) -> Result<Response<Resp>, Status>
    where
        F: FnOnce(Request<Req>) -> Fut,
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        let started = Instant::now();
        let policy = self.policy(rpc);
        let end = self.deadline(&policy, &request, &options).map(|d| started + d);
        let parent = trace::current().unwrap_or_else(TraceContext::new_root);
        let mut call = Some(call);
        let result = match self
            .attempt(rpc, request, &parent, end, &mut |request| {
                (call.take().expect("one attempt"))(request)
            })
            .await
        {
            Ok(response) => Ok(response),
            Err(Failure::Refused(status) | Failure::Failed(status)) => Err(status),
        };
        self.finished(rpc, &result, started);
        result
    }

    /// The deadline of a call: per call, else one set on the request, else per RPC, else the
    /// default.
    fn deadline<T>(&self, policy: &RpcPolicy, request: &Request<T>, options: &CallOptions) -> Option<Duration> {
        options
            .deadline
            .or_else(|| {
                request
                    .metadata()
                    .get(GRPC_TIMEOUT)
                    .and_then(|value| value.to_str().ok())
                    .and_then(parse_grpc_timeout)
            })
            .or(policy.deadline)
    }

    /// One attempt through the breaker, bounded by the deadline.
    async fn attempt<Req, Resp, F, Fut>(
        &self,
        rpc: &Rpc,
        mut request: Request<Req>,
        parent: &TraceContext,
        end: Option<Instant>,
        call: &mut F,
    ) -> Result<Response<Resp>, Failure>
    where
        F: FnMut(Request<Req>) -> Fut,
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        let remaining = match end {
            Some(end) => match end.checked_duration_since(Instant::now()) {
                Some(remaining) if !remaining.is_zero() => Some(remaining),
                _ => return Err(Failure::Refused(deadline_exceeded(rpc, "before it was sent"))),
            },
            None => None,
        };
        let permit = match self.shared.breaker.try_acquire() {
            Ok(permit) => permit,
            Err(open) => {
                Metrics::global().client_breaker_rejected(&self.shared.name);
                return Err(Failure::Refused(Status::unavailable(format!(
                    "circuit breaker for {} is open after repeated failures; failing fast \
                     (next probe in {:?})",
                    self.shared.name, open.retry_after
                ))));
            }
        };
        if let Some(remaining) = remaining {
            // Sends grpc-timeout, so the server stops working when the caller stops waiting.
            request.set_timeout(remaining);
        }
        if let Ok(value) = MetadataValue::try_from(parent.child().to_traceparent()) {
            request.metadata_mut().insert(TRACEPARENT, value);
        }
        Metrics::global().client_attempt(&rpc.name());
        let sent = call(request);
        let result = match end {
            Some(end) => match tokio::time::timeout_at(end.into(), sent).await {
                Ok(result) => result,
                Err(_elapsed) => Err(deadline_exceeded(rpc, "while waiting for the server")),
            },
            None => sent.await,
        };
        let result = result.map_err(|status| normalize(rpc, status, end));
        permit.record(result.as_ref().err().map(Status::code));
        result.map_err(Failure::Failed)
    }

    fn finished<T>(&self, rpc: &Rpc, result: &Result<T, Status>, started: Instant) {
        let code = result.as_ref().map_or_else(Status::code, |_| Code::Ok);
        Metrics::global().client_finished(&rpc.name(), code, started.elapsed());
    }
}

enum Failure {
    /// Not sent: the breaker is open or no time is left. Never retried.
    Refused(Status),
    /// Sent, and failed with this status.
    Failed(Status),
}

fn deadline_exceeded(rpc: &Rpc, when: &str) -> Status {
    Status::deadline_exceeded(format!("{}: deadline exceeded {when}", rpc.path))
}

/// tonic reports a call whose `grpc-timeout` expired on a tonic server as CANCELLED ("Timeout
/// expired"); it is a deadline, and retry and breaker decisions must see it as one.
fn normalize(rpc: &Rpc, status: Status, end: Option<Instant>) -> Status {
    let past_deadline = end.is_some_and(|end| Instant::now() >= end);
    if status.code() == Code::Cancelled && (past_deadline || status.message() == "Timeout expired") {
        return deadline_exceeded(rpc, &format!("(the server said: {})", status.message()));
    }
    status
}
