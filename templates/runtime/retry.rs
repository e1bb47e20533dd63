//! Retry policy: exponential backoff with full jitter, on retryable status codes only. Whether
//! an RPC may be retried at all is decided by its idempotency (see `policy`), never here.

use std::time::Duration;

use tonic::Code;

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included; 1 means no retry.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub multiplier: f64,
    /// Codes worth another attempt: the server may answer differently next time.
    pub codes: Vec<Code>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            multiplier: 2.0,
            // UNAVAILABLE is the code the gRPC spec reserves for "try again"; tonic also
            // reports a refused connection with it.
            codes: vec![Code::Unavailable],
        }
    }
}

impl RetryPolicy {
    pub fn is_retryable(&self, code: Code) -> bool {
        self.codes.contains(&code)
    }

    /// How long to wait before retry number `retry` (1 for the first retry): uniformly random
    /// in `[0, min(max_backoff, initial_backoff * multiplier^(retry-1))]`, the "full jitter"
    /// of gRPC's retry design, so that clients failing together do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        ceiling.mul_f64(fastrand::f64())
    }

    /// The upper bound of [`RetryPolicy::backoff`] for retry number `retry`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(64) as i32;
        let grown = self.initial_backoff.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        Duration::from_secs_f64(grown.min(self.max_backoff.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_is_capped_and_jittered() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            multiplier: 2.0,
            codes: vec![Code::Unavailable],
        };
        assert_eq!(policy.ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.ceiling(3), Duration::from_millis(400));
        assert_eq!(policy.ceiling(4), Duration::from_millis(700));
        assert_eq!(policy.ceiling(60), Duration::from_millis(700));
        let samples: Vec<Duration> = (0..200).map(|_| policy.backoff(3)).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(400)));
        // Jitter: the waits are spread out, not one fixed value.
        let distinct: std::collections::BTreeSet<_> = samples.iter().collect();
        assert!(distinct.len() > 100, "{} distinct backoffs", distinct.len());
        assert!(policy.is_retryable(Code::Unavailable));
        assert!(!policy.is_retryable(Code::InvalidArgument));
    }
}
