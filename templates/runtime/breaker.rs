//! A circuit breaker per target: after N consecutive failures it opens and calls fail fast;
//! after a cool-down one probe goes through; its success closes the circuit, its failure
//! opens it again.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::Code;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit; 0 turns the breaker off.
    pub failures: u32,
    /// How long the circuit stays open before a probe may pass.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failures: 5,
            cooldown: Duration::from_secs(5),
        }
    }
}

/// The observable state, for metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    /// The cool-down is over and one probe is in flight.
    HalfOpen,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: Arc<Mutex<State>>,
}

/// The circuit is open: the call was not sent.
#[derive(Clone, Copy, Debug)]
pub struct Open {
    /// When a probe will be let through.
    pub retry_after: Duration,
}

/// Leave to send one call; report its outcome with [`Permit::record`]. A permit dropped
/// without a record (the caller gave up) counts as neither success nor failure.
#[must_use]
#[derive(Debug)]
pub struct Permit {
    breaker: Option<Breaker>,
    probe: bool,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            state: Arc::new(Mutex::new(State::Closed { failures: 0 })),
        }
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    /// Asks to send a call: granted while closed; refused while open, except for the single
    /// probe after the cool-down.
    pub fn try_acquire(&self) -> Result<Permit, Open> {
        if self.config.failures == 0 {
            return Ok(Permit {
                breaker: None,
                probe: false,
            });
        }
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(self.permit(false)),
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    Err(Open {
                        retry_after: until - now,
                    })
                } else {
                    *state = State::HalfOpen;
                    Ok(self.permit(true))
                }
            }
            State::HalfOpen => Err(Open {
                retry_after: self.config.cooldown,
            }),
        }
    }

    fn permit(&self, probe: bool) -> Permit {
        Permit {
            breaker: Some(self.clone()),
            probe,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn on_outcome(&self, probe: bool, failed: bool) {
        let mut state = self.lock();
        let open = State::Open {
            until: Instant::now() + self.config.cooldown,
        };
        *state = match (&*state, probe, failed) {
            (State::HalfOpen, true, true) => open,
            (State::HalfOpen, true, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, false, true) => {
                let failures = failures + 1;
                if failures >= self.config.failures {
                    tracing::warn!(failures, cooldown = ?self.config.cooldown, "circuit breaker opened");
                    open
                } else {
                    State::Closed { failures }
                }
            }
            (State::Closed { .. }, false, false) => State::Closed { failures: 0 },
            // Calls sent before the circuit opened, finishing late, change nothing.
            _ => return,
        };
    }

    fn on_abandoned_probe(&self) {
        let mut state = self.lock();
        if matches!(*state, State::HalfOpen) {
            // Nobody learnt anything: let the next caller probe.
            *state = State::Open {
                until: Instant::now(),
            };
        }
    }
}

impl Permit {
    /// Reports the call's outcome: `None` for success, or the status code it failed with.
    pub fn record(mut self, code: Option<Code>) {
        if let Some(breaker) = self.breaker.take() {
            breaker.on_outcome(self.probe, code.is_some_and(is_failure));
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(breaker) = self.breaker.take() {
            if self.probe {
                breaker.on_abandoned_probe();
            }
        }
    }
}

/// Whether a status says the target is unwell, as opposed to the request being wrong
/// (NOT_FOUND, INVALID_ARGUMENT, ... prove that the server is up and answering).
pub fn is_failure(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Internal
            | Code::Unknown
            | Code::ResourceExhausted
            | Code::DataLoss
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_probes_once_and_closes() {
        let breaker = Breaker::new(BreakerConfig {
            failures: 3,
            cooldown: Duration::from_millis(30),
        });
        // A success in between resets the count: failures must be consecutive.
        for code in [Some(Code::Unavailable), Some(Code::Unavailable), None] {
            breaker.try_acquire().unwrap().record(code);
        }
        // Client errors do not count against the server.
        breaker.try_acquire().unwrap().record(Some(Code::NotFound));
        assert_eq!(breaker.state(), BreakerState::Closed);
        for _ in 0..3 {
            breaker.try_acquire().unwrap().record(Some(Code::DeadlineExceeded));
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.try_acquire().is_err());

        std::thread::sleep(Duration::from_millis(40));
        let probe = breaker.try_acquire().unwrap();
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(breaker.try_acquire().is_err(), "only one probe at a time");
        probe.record(Some(Code::Unavailable));
        assert_eq!(breaker.state(), BreakerState::Open);

        std::thread::sleep(Duration::from_millis(40));
        drop(breaker.try_acquire().unwrap());
        let probe = breaker.try_acquire().expect("an abandoned probe frees the slot");
        probe.record(None);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
