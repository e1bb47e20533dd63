//! The server middleware every call passes through: trace context and span, deadline, panic
//! capture, metrics and the final log line, for unary calls and streams alike.
//!
//! One layer rather than a stack of tower layers, because all of these need the call's end,
//! which for a stream is the body's last frame: one wrapper body observes it once.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{HeaderMap, Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;
use tonic::{Code, Status};
use tracing::Span;

use super::deadline::{self, GRPC_TIMEOUT};
use super::metrics::{code_name, MethodMetrics, Metrics};
use super::trace::{self, TraceContext, TRACEPARENT};
use super::BoxError;

/// State shared by the layer and the server that owns it.
#[derive(Debug)]
pub struct LayerState {
    /// The longest any call may run, whatever the caller asked for.
    pub max_deadline: Option<Duration>,
    /// Set when the shutdown grace period is over: streams still running end with UNAVAILABLE.
    pub forced_stop: AtomicBool,
}

#[derive(Clone, Debug)]
pub struct RpcLayer {
    state: Arc<LayerState>,
}

impl RpcLayer {
    pub fn new(state: Arc<LayerState>) -> Self {
        RpcLayer { state }
    }
}

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcService<S>;

    fn layer(&self, inner: S) -> RpcService<S> {
        RpcService {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RpcService<S> {
    inner: S,
    state: Arc<LayerState>,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for RpcService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ResBody: Body + Unpin,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<RpcBody<ResBody>>;
    type Error = BoxError;
    type Future = RpcFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let caller_deadline = request
            .headers()
            .get(GRPC_TIMEOUT)
            .and_then(|value| value.to_str().ok())
            .and_then(deadline::parse_grpc_timeout);
        // tonic's transport runs its own grpc-timeout timer outside this layer and answers
        // CANCELLED when it fires; ending 1 ms earlier lets the caller get DEADLINE_EXCEEDED.
        let caller_deadline = caller_deadline.map(|d| d.saturating_sub(Duration::from_millis(1)));
        let budget = deadline::effective(caller_deadline, self.state.max_deadline);
        let context = request
            .headers()
            .get(TRACEPARENT)
            .and_then(|value| value.to_str().ok())
            .and_then(TraceContext::parse)
            .map(|parent| parent.child())
            .unwrap_or_else(TraceContext::new_root);
        request.extensions_mut().insert(context);

        let uri = request.uri().clone();
        let span = tracing::info_span!("rpc", rpc = %uri.path(), trace_id = %context.trace_id_hex());
        let metrics = Metrics::global().server_method(uri.path());
        metrics.started();
        let started = Instant::now();
        let call = CallState {
            uri,
            span,
            context,
            started,
            budget,
            deadline: budget.map(|budget| started + budget),
            metrics,
            state: self.state.clone(),
            finished: false,
        };
        let inner = {
            let _entered = call.span.enter();
            self.inner.call(request)
        };
        RpcFuture {
            inner,
            call: Some(call),
            timer: None,
        }
    }
}

/// What the middleware knows about one call until it ends.
struct CallState {
    uri: Uri,
    span: Span,
    context: TraceContext,
    started: Instant,
    budget: Option<Duration>,
    deadline: Option<Instant>,
    metrics: Arc<MethodMetrics>,
    state: Arc<LayerState>,
    finished: bool,
}

impl Drop for CallState {
    fn drop(&mut self) {
        // Dropped before its end: the client went away, reset the stream or the connection.
        self.record(Code::Cancelled, "the client cancelled the call");
    }
}

impl CallState {
    fn finish(mut self, code: Code, message: &str) {
        self.record(code, message);
    }

    /// Records the call's outcome once: metrics, and a log line whose level says who is to
    /// blame (error for the server's own faults, debug for the caller's).
    fn record(&mut self, code: Code, message: &str) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let elapsed = self.started.elapsed();
        self.metrics.finished(code, elapsed);
        let code = code_name(code);
        let _entered = self.span.enter();
        match code {
            "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => {
                tracing::error!(code, ?elapsed, message, "call failed")
            }
            "DEADLINE_EXCEEDED" | "UNAVAILABLE" => {
                tracing::warn!(code, ?elapsed, message, "call failed")
            }
            _ => tracing::debug!(code, ?elapsed, "call finished"),
        }
    }

    fn deadline_status(&self) -> Status {
        let budget = self.budget.unwrap_or_default();
        Status::deadline_exceeded(format!(
            "{} did not finish within its deadline of {budget:?}",
            self.uri.path()
        ))
    }
}

pin_project_lite::pin_project! {
    /// The future of a call until its response headers: adds deadline and panic capture.
    pub struct RpcFuture<F> {
        #[pin]
        inner: F,
        call: Option<CallState>,
        timer: Option<Pin<Box<Sleep>>>,
    }
}

impl<F, ResBody, E> Future for RpcFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    E: Into<BoxError>,
    ResBody: Body + Unpin,
{
    type Output = Result<Response<RpcBody<ResBody>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(call) = this.call.as_ref() else {
            return Poll::Ready(Err("RpcFuture polled after it completed".into()));
        };
        let inner = this.inner;
        let polled = {
            let _entered = call.span.enter();
            trace::sync_scope(call.context, || {
                catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
            })
        };
        match polled {
            Err(panic) => {
                let call = this.call.take().expect("checked above");
                let status = Status::internal(format!(
                    "the handler of {} panicked; the server log has the details",
                    call.uri.path()
                ));
                let message = panic_message(&panic);
                call.finish(Code::Internal, &format!("handler panicked: {message}"));
                return Poll::Ready(Ok(status_response(status)));
            }
            Ok(Poll::Ready(Ok(response))) => {
                let call = this.call.take().expect("checked above");
                // An error status answered without a body ("trailers-only") ends the call now.
                if let Some(status) = status_in(response.headers()) {
                    call.finish(status.code(), status.message());
                    return Poll::Ready(Ok(response.map(|_| RpcBody::empty())));
                }
                let timer = this.timer.take();
                return Poll::Ready(Ok(response.map(|body| RpcBody::new(body, call, timer))));
            }
            Ok(Poll::Ready(Err(error))) => {
                let call = this.call.take().expect("checked above");
                let error = error.into();
                call.finish(Code::Unknown, &error.to_string());
                return Poll::Ready(Err(error));
            }
            Ok(Poll::Pending) => {}
        }
        // The timer starts only for calls that wait: most unary handlers answer at once.
        if let Some(timer) = lazy_timer(this.timer, call.deadline) {
            if timer.as_mut().poll(cx).is_ready() {
                let call = this.call.take().expect("checked above");
                let status = call.deadline_status();
                call.finish(status.code(), status.message());
                return Poll::Ready(Ok(status_response(status)));
            }
        }
        Poll::Pending
    }
}

/// The response body of a call: ends a stream with a real status when the deadline passes,
/// the handler's stream panics, or the shutdown grace period runs out, and records the end.
pub struct RpcBody<B> {
    inner: Option<B>,
    call: Option<CallState>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> RpcBody<B> {
    fn empty() -> Self {
        RpcBody {
            inner: None,
            call: None,
            timer: None,
        }
    }

    fn new(inner: B, call: CallState, timer: Option<Pin<Box<Sleep>>>) -> Self {
        RpcBody {
            inner: Some(inner),
            call: Some(call),
            timer,
        }
    }

    /// Replaces the rest of the stream with `status` as its trailers.
    fn end_with(&mut self, status: Status) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
        self.inner = None;
        self.timer = None;
        if let Some(call) = self.call.take() {
            call.finish(status.code(), status.message());
        }
        let mut trailers = HeaderMap::new();
        match status.add_header(&mut trailers) {
            Ok(()) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Err(status) => Poll::Ready(Some(Err(status.into()))),
        }
    }
}

impl<B> Body for RpcBody<B>
where
    B: Body<Data = bytes::Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = bytes::Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Some(call) = &this.call {
            if call.state.forced_stop.load(Ordering::Relaxed) {
                return this.end_with(Status::unavailable(
                    "the server shut down before this call finished; retry on another instance",
                ));
            }
        }
        let polled = match &this.call {
            Some(call) => {
                let _entered = call.span.enter();
                trace::sync_scope(call.context, || {
                    catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll_frame(cx)))
                })
            }
            None => Ok(Pin::new(inner).poll_frame(cx)),
        };
        match polled {
            Err(panic) => {
                let message = panic_message(&panic);
                let path = this.call.as_ref().map(|call| call.uri.path().to_owned());
                if let Some(call) = &this.call {
                    let _entered = call.span.enter();
                    tracing::error!(message, "response stream panicked");
                }
                this.end_with(Status::internal(format!(
                    "the response stream of {} panicked; the server log has the details",
                    path.unwrap_or_default()
                )))
            }
            Ok(Poll::Ready(Some(Ok(frame)))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    if let Some(call) = this.call.take() {
                        let status = status_in(trailers).unwrap_or_else(|| Status::ok(""));
                        call.finish(status.code(), status.message());
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Ok(Poll::Ready(Some(Err(error)))) => {
                let error = error.into();
                if let Some(call) = this.call.take() {
                    call.finish(Code::Unknown, &error.to_string());
                }
                Poll::Ready(Some(Err(error)))
            }
            Ok(Poll::Ready(None)) => {
                this.inner = None;
                if let Some(call) = this.call.take() {
                    call.finish(Code::Ok, "");
                }
                Poll::Ready(None)
            }
            Ok(Poll::Pending) => {
                let deadline = this.call.as_ref().and_then(|call| call.deadline);
                if let Some(timer) = lazy_timer(&mut this.timer, deadline) {
                    if timer.as_mut().poll(cx).is_ready() {
                        let status = match &this.call {
                            Some(call) => call.deadline_status(),
                            None => Status::deadline_exceeded("deadline exceeded"),
                        };
                        return this.end_with(status);
                    }
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|inner| inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |inner| inner.size_hint())
    }
}

fn lazy_timer(
    timer: &mut Option<Pin<Box<Sleep>>>,
    deadline: Option<Instant>,
) -> Option<&mut Pin<Box<Sleep>>> {
    let deadline = deadline?;
    Some(timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into()))))
}

fn status_response<B>(status: Status) -> Response<RpcBody<B>> {
    status.into_http::<()>().map(|()| RpcBody::empty())
}

fn status_in(headers: &HeaderMap) -> Option<Status> {
    headers.get("grpc-status")?;
    Status::from_header_map(headers)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
