//! Configuration parsing and resolution: a packed tree of protogen.toml, buf.yaml and
//! buf.work.yaml files (the default file is protogen.toml) around the fixtures' contract in
//! `proto/`, run through check, lint and diff against the same contract in `base/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protogen_fuzz::{fixture_contract, protogen, scratch, unpack, write, MAX_INPUT};

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let dir = scratch();
    let (proto, base) = (dir.join("proto"), dir.join("base"));
    fixture_contract(&proto);
    fixture_contract(&base);
    let files = unpack(data, "proto/protogen.toml");
    write(&dir, &files);

    let check = protogen([
        "check".into(),
        proto.clone().into_os_string(),
        "--against".into(),
        base.clone().into_os_string(),
        "--format".into(),
        "json".into(),
    ])
    .expect("check parses");
    let _ = check;
    let _ = protogen(["lint".into(), proto.clone().into_os_string()]);
    protogen(["diff".into(), base.into_os_string(), proto.into_os_string()]).expect("diff parses");
});
