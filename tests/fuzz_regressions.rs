//! Inputs the fuzz targets (fuzz/) found crashing, kept as regression tests in the normal
//! suite: each now gives an error or a value, never a panic.

/// The generated runtime's header parsing, as every generated crate carries it.
#[allow(dead_code)]
#[path = "../templates/runtime/deadline.rs"]
mod deadline;

#[test]
fn grpc_timeout_ending_in_a_multibyte_character_is_malformed_not_a_panic() {
    // runtime_headers found "\u{378}": the unit was split off one byte before the end.
    assert_eq!(deadline::parse_grpc_timeout("\u{378}"), None);
    assert_eq!(deadline::parse_grpc_timeout("100\u{e9}"), None);
    assert_eq!(
        deadline::parse_grpc_timeout("100m"),
        Some(std::time::Duration::from_millis(100))
    );
}
