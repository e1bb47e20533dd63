//! Descriptor-set baselines (arbitrary bytes, unvalidated by anyone before protogen): as the
//! baseline of check, and as either side of diff, against the fixtures' contract.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protogen_fuzz::{fixture_contract, protogen, scratch, MAX_INPUT};

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let dir = scratch();
    let proto = dir.join("proto");
    fixture_contract(&proto);
    let set = dir.join("set.binpb");
    std::fs::write(&set, data).unwrap();
    let format = ["text", "json", "github", "markdown", "sarif", "junit"][data.len() % 6];
    protogen([
        "check".into(),
        proto.clone().into_os_string(),
        "--against".into(),
        set.clone().into_os_string(),
        "--format".into(),
        format.into(),
    ])
    .expect("check parses");
    let format = ["text", "json", "markdown"][data.len() % 3];
    for (old, new) in [(&set, &proto), (&proto, &set)] {
        protogen([
            "diff".into(),
            old.clone().into_os_string(),
            new.clone().into_os_string(),
            "--format".into(),
            format.into(),
        ])
        .expect("diff parses");
    }
});
