//! The REST side of the generated runtime, on what a client sends: the request line
//! (`METHOD /path?query`) and the body, run through the very files every generated crate
//! carries: route matching (rules.rs), path variables, query parameters and the JSON body
//! into the request message (json.rs), against the contract of tests/rest_e2e.rs.
//!
//! Input: the request line, a newline, then the body. A path is also parsed as a path
//! template, as the build parses the contract's rules.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage as _};

// At the crate root, so that json.rs's `super::rules` is rules.rs, as in the runtime.
#[allow(dead_code)]
#[path = "../../templates/runtime/rest/json.rs"]
mod json;
#[allow(dead_code)]
#[path = "../../templates/runtime/rest/rules.rs"]
mod rules;

/// The bindings of fixtures/rest/, compiled once.
fn bindings() -> &'static [rules::Binding] {
    static BINDINGS: OnceLock<Vec<rules::Binding>> = OnceLock::new();
    BINDINGS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut resolver = protox::file::ChainFileResolver::new();
        resolver.add(protox::file::GoogleFileResolver::new());
        resolver.add(protox::file::IncludeFileResolver::new(
            root.join("fixtures/rest"),
        ));
        resolver.add(protox::file::IncludeFileResolver::new(
            root.join("src/contract/known"),
        ));
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        compiler
            .open_file("library/v1/library.proto")
            .expect("fixtures/rest compiles");
        let pool: DescriptorPool = compiler.descriptor_pool();
        let (bindings, errors) = rules::read_bindings(&pool);
        assert!(
            errors.is_empty(),
            "fixtures/rest has rules the server rejects"
        );
        assert!(!bindings.is_empty());
        bindings
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() > protogen_fuzz::MAX_INPUT {
        return;
    }
    let (line, body) = match data.iter().position(|b| *b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[][..]),
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return;
    };
    let (method, target) = line.split_once(' ').unwrap_or(("GET", line));
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };

    if let Ok(template) = rules::Template::parse(path) {
        let _ = template.shape();
        if let Some(values) = template.matches(path) {
            assert_eq!(values.len(), template.variables.len(), "{path:?}");
        }
    }

    match rules::find(bindings(), method, path) {
        Ok((binding, values)) => {
            assert_eq!(binding.http_method, method);
            assert_eq!(values.len(), binding.template.variables.len(), "{line:?}");
            if let Ok(message) = json::request_message(binding, &values, query, body) {
                // What the gateway builds is a message the handler can decode, and JSON
                // the answer side can write.
                assert_eq!(message.descriptor(), binding.rpc.input());
                let encoded = message.encode_to_vec();
                DynamicMessage::decode(binding.rpc.input(), encoded.as_slice())
                    .expect("the request message decodes");
                let _ = json::response_json(&message, None);
            }
        }
        Err(rules::Miss::WrongMethod(allowed)) => {
            assert!(!allowed.is_empty() && !allowed.iter().any(|m| m == method));
        }
        Err(rules::Miss::NoRoute) => {}
    }
});
