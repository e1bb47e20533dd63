//! Spans of a run's phases for profiling: with PROTOGEN_TIMING set, each span prints to stderr
//! its thread, start and end in milliseconds since the first span (nothing otherwise).

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("PROTOGEN_TIMING").map(|_| Instant::now()))
}

/// Prints `name`'s span when dropped.
pub struct Span {
    name: &'static str,
    from: Option<Instant>,
    cpu: f64,
}

/// This thread's CPU time so far, in milliseconds.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1000.0 + t.tv_nsec as f64 / 1e6
}

/// Starts `name`'s span (a no-op unless PROTOGEN_TIMING is set).
pub fn span(name: &'static str) -> Span {
    let from = start().map(|_| Instant::now());
    Span {
        name,
        from,
        cpu: if from.is_some() { thread_cpu() } else { 0.0 },
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let (Some(origin), Some(from)) = (start(), self.from) {
            let ms = |t: Instant| t.duration_since(origin).as_secs_f64() * 1000.0;
            eprintln!(
                "timing {:>8.1} {:>8.1} {:>7.1} cpu {:>7.1} {:?} {}",
                ms(from),
                ms(Instant::now()),
                from.elapsed().as_secs_f64() * 1000.0,
                thread_cpu() - self.cpu,
                std::thread::current().id(),
                self.name
            );
        }
    }
}
