//! Response streams that always end with a real status: the producer's error, or INTERNAL if
//! it panicked, instead of the silently truncated stream (or the bare CANCELLED) that a dead
//! producer task would leave behind.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::Status;
use tracing::Instrument;

use super::trace;

/// The boxed stream type to use for a handler's `type ...Stream`.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The producer's end of a response stream.
pub struct Sender<T> {
    sender: mpsc::Sender<Result<T, Status>>,
}

impl<T> Sender<T> {
    /// Sends one message; fails with CANCELLED once the client has gone, so `?` stops the
    /// producer instead of letting it work for nobody.
    pub async fn send(&self, message: T) -> Result<(), Status> {
        self.sender
            .send(Ok(message))
            .await
            .map_err(|_| Status::cancelled("the client is no longer listening"))
    }
}

/// Runs `produce` as its own task and streams what it sends. The stream ends with OK when
/// `produce` returns `Ok(())`, with its status when it returns `Err`, and with INTERNAL when
/// it panics. The task keeps the handler's trace context and span.
///
/// ```ignore
/// Ok(Response::new(runtime::stream::spawn(16, move |tx| async move {
///     for user in users { tx.send(user).await?; }
///     Ok(())
/// })))
/// ```
pub fn spawn<T, F, Fut>(buffer: usize, produce: F) -> ResponseStream<T>
where
    T: Send + 'static,
    F: FnOnce(Sender<T>) -> Fut,
    Fut: Future<Output = Result<(), Status>> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(buffer.max(1));
    let producer = produce(Sender {
        sender: sender.clone(),
    })
    .instrument(tracing::Span::current());
    let producer = match trace::current() {
        Some(context) => tokio::spawn(trace::scope(context, producer)),
        None => tokio::spawn(producer),
    };
    tokio::spawn(async move {
        let end = match producer.await {
            Ok(Ok(())) => return,
            Ok(Err(status)) => status,
            Err(joined) if joined.is_panic() => {
                let panic = joined.into_panic();
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(message, "response stream producer panicked");
                Status::internal("the response stream failed; the server log has the details")
            }
            Err(_cancelled) => Status::unavailable("the server stopped this stream"),
        };
        // The client may be gone already; then nobody needs the status.
        let _ = sender.send(Err(end)).await;
    });
    Box::pin(ReceiverStream::new(receiver))
}
