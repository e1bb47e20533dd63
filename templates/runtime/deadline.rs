//! Deadlines on the wire: the `grpc-timeout` header, and how a server combines the caller's
//! deadline with its own maximum.

use std::time::Duration;

/// The header a gRPC caller sends its remaining time budget in.
pub const GRPC_TIMEOUT: &str = "grpc-timeout";

/// Reads a `grpc-timeout` value (`100m`, `5S`, ...: at most 8 digits and a unit). `None` for
/// a malformed value, which callers treat as "no deadline", as the gRPC spec allows.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Writes a duration as a `grpc-timeout` value, in the finest unit that fits in 8 digits.
pub fn format_grpc_timeout(timeout: Duration) -> String {
    const MAX: u128 = 99_999_999;
    let nanos = timeout.as_nanos();
    for (unit, per) in [
        ('n', 1u128),
        ('u', 1_000),
        ('m', 1_000_000),
        ('S', 1_000_000_000),
        ('M', 60_000_000_000),
    ] {
        // Round up, so that a deadline is never reported shorter than it is.
        let amount = nanos.div_ceil(per);
        if amount <= MAX {
            return format!("{amount}{unit}");
        }
    }
    format!("{}H", nanos.div_ceil(3_600_000_000_000).min(MAX))
}

/// The budget a server gives one call: the caller's deadline, capped by the server's maximum.
pub fn effective(caller: Option<Duration>, server_max: Option<Duration>) -> Option<Duration> {
    match (caller, server_max) {
        (Some(caller), Some(max)) => Some(caller.min(max)),
        (one, other) => one.or(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_round_trips_and_rejects_garbage() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout(""), None);
        for d in [Duration::from_millis(1500), Duration::from_secs(86_400 * 30)] {
            let back = parse_grpc_timeout(&format_grpc_timeout(d)).unwrap();
            assert!(back >= d && back - d < Duration::from_secs(60), "{d:?} -> {back:?}");
        }
        assert_eq!(
            effective(Some(Duration::from_secs(9)), Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(effective(None, Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
    }
}
