//! The generated runtime's inputs from the network: `grpc-timeout` and `traceparent` header
//! values, parsed by the very files every generated crate carries. Whatever parses must
//! format back to a value that parses the same. REST requests have their own target,
//! `rest_request`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../templates/runtime/deadline.rs"]
mod deadline;
#[allow(dead_code)]
#[path = "../../templates/runtime/trace.rs"]
mod trace;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(timeout) = deadline::parse_grpc_timeout(value) {
        let again = deadline::parse_grpc_timeout(&deadline::format_grpc_timeout(timeout))
            .expect("a formatted grpc-timeout parses");
        assert!(
            again >= timeout,
            "{value:?}: {timeout:?} came back as {again:?}"
        );
    }
    if let Some(context) = trace::TraceContext::parse(value) {
        let again = trace::TraceContext::parse(&context.to_traceparent());
        assert_eq!(again, Some(context), "{value:?}");
    }
});
