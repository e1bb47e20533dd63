//! Lock files (arbitrary bytes) as deployed consumers of the fixtures' contract: `check
//! --consumers LOCK`. A lock whose only fault is its hash is re-sealed and read again, so
//! mutations reach the judging code instead of stopping at the hash check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protogen_fuzz::{fixture_contract, protogen, scratch, MAX_INPUT};

/// The hash protogen computed, from its "was edited by hand" message.
fn computed_hash(error: &str) -> Option<&str> {
    let at = error.find("content is sha256:")? + "content is ".len();
    let rest = &error[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let dir = scratch();
    let proto = dir.join("proto");
    fixture_contract(&proto);
    let lock = dir.join("protogen.lock");
    std::fs::write(&lock, data).unwrap();
    let check = |lock: &std::path::Path| {
        protogen([
            "check".into(),
            proto.clone().into_os_string(),
            "--against".into(),
            proto.clone().into_os_string(),
            "--consumers".into(),
            lock.as_os_str().to_owned(),
            "--format".into(),
            "json".into(),
        ])
        .expect("check parses")
    };
    let outcome = check(&lock);
    if outcome.code != 2 {
        return;
    }
    let Some(hash) = computed_hash(&outcome.error) else {
        return;
    };
    let Ok(mut document) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Some(object) = document.as_object_mut() {
        object.insert("hash".into(), hash.into());
        std::fs::write(&lock, document.to_string()).unwrap();
        check(&lock);
    }
});
