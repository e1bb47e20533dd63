//! W3C trace context (`traceparent`): read from each incoming call, kept for the duration of
//! the handler, recorded on its span, and sent on by every call made through a [`super::Target`].
//!
//! The context lives in a tokio task-local for the handler's future and in the request's
//! extensions. A task you spawn from a handler starts without it: wrap it with [`scope`].

use std::fmt;
use std::future::Future;

/// The metadata key of the W3C trace context header.
pub const TRACEPARENT: &str = "traceparent";

/// One position in a distributed trace: which trace, and which span within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceContext {
    pub trace_id: u128,
    pub span_id: u64,
    /// The caller's span, when this context continues a trace that came in over the wire.
    pub parent_span_id: Option<u64>,
    pub sampled: bool,
}

tokio::task_local! {
    static CURRENT: TraceContext;
}

impl TraceContext {
    /// A new trace, for a call that did not arrive with one.
    pub fn new_root() -> Self {
        TraceContext {
            trace_id: nonzero_u128(),
            span_id: nonzero_u64(),
            parent_span_id: None,
            sampled: true,
        }
    }

    /// Parses a `traceparent` value (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`).
    /// Unknown future versions are read by their first four fields, as the spec asks; invalid
    /// values (all-zero ids, version `ff`, bad hex) give `None`.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let bytes = value.as_bytes();
        if bytes.len() < 55 || (bytes.len() > 55 && bytes[55] != b'-') {
            return None;
        }
        let version = u8::from_str_radix(value.get(0..2)?, 16).ok()?;
        if version == 0xff || (version == 0 && bytes.len() != 55) {
            return None;
        }
        if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let hex = |range: std::ops::Range<usize>| {
            let part = value.get(range)?;
            // Upper-case hex is invalid in traceparent.
            part.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                .then_some(part)
        };
        let trace_id = u128::from_str_radix(hex(3..35)?, 16).ok()?;
        let span_id = u64::from_str_radix(hex(36..52)?, 16).ok()?;
        let flags = u8::from_str_radix(hex(53..55)?, 16).ok()?;
        if trace_id == 0 || span_id == 0 {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            parent_span_id: None,
            sampled: flags & 1 == 1,
        })
    }

    /// A new span in the same trace, whose parent is this one.
    pub fn child(&self) -> Self {
        TraceContext {
            trace_id: self.trace_id,
            span_id: nonzero_u64(),
            parent_span_id: Some(self.span_id),
            sampled: self.sampled,
        }
    }

    /// The `traceparent` header value that makes the receiver a child of this span.
    pub fn to_traceparent(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.span_id, self.sampled as u8
        )
    }

    /// The trace id as the 32 lower-case hex digits that log search tools expect.
    pub fn trace_id_hex(&self) -> TraceIdHex {
        TraceIdHex(self.trace_id)
    }
}

/// Formats a trace id lazily, so a disabled log line costs nothing.
#[derive(Clone, Copy)]
pub struct TraceIdHex(u128);

impl fmt::Display for TraceIdHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// The trace context of the call being handled on this task, if any.
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(|context| *context).ok()
}

/// Runs `future` with `context` as the current trace context: use it for tasks spawned from a
/// handler (`tokio::spawn(trace::scope(ctx, work))`) so their outgoing calls join the trace.
pub async fn scope<F: Future>(context: TraceContext, future: F) -> F::Output {
    CURRENT.scope(context, future).await
}

/// Runs `f` synchronously with `context` current; the server middleware polls handlers this way.
pub(crate) fn sync_scope<R>(context: TraceContext, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(context, f)
}

fn nonzero_u64() -> u64 {
    fastrand::u64(1..)
}

fn nonzero_u128() -> u128 {
    fastrand::u128(1..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_parses_and_formats_per_w3c() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = TraceContext::parse(header).unwrap();
        assert_eq!(context.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(context.span_id, 0x00f067aa0ba902b7);
        assert!(context.sampled);
        assert_eq!(context.to_traceparent(), header);

        let child = context.child();
        assert_eq!(child.trace_id, context.trace_id);
        assert_eq!(child.parent_span_id, Some(context.span_id));
        assert_ne!(child.span_id, context.span_id);

        // A future version may append fields; version 00 may not.
        assert!(TraceContext::parse(&format!("01{}-extra", &header[2..])).is_some());
        assert!(TraceContext::parse(&format!("{header}-extra")).is_none());
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }
}
