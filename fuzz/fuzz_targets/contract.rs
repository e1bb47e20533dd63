//! Contract loading, check, diff, lint and new on arbitrary .proto text: a packed tree whose
//! files under `old/` and `new/` are the two sides, and whose other files belong to both.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protogen_fuzz::{protogen, scratch, unpack, write, File, MAX_INPUT};

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let dir = scratch();
    let mut files = Vec::new();
    let mut one_sided = false;
    for file in unpack(data, "a.proto") {
        if file.path.starts_with("old/") || file.path.starts_with("new/") {
            one_sided = true;
            files.push(file);
        } else {
            for side in ["old", "new"] {
                files.push(File {
                    path: format!("{side}/{}", file.path),
                    bytes: file.bytes.clone(),
                });
            }
        }
    }
    let (old, new) = (dir.join("old"), dir.join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    write(&dir, &files);

    // The formats take turns, so that every renderer sees every kind of contract.
    let format = ["text", "json", "github", "markdown", "sarif", "junit"][data.len() % 6];
    let check = protogen([
        "check".into(),
        new.clone().into_os_string(),
        "--against".into(),
        old.clone().into_os_string(),
        "--format".into(),
        format.into(),
    ])
    .expect("check parses");
    // A contract compared with itself has no breaking change.
    assert!(one_sided || check.code != 1, "a contract breaks itself");
    let format = ["text", "json", "markdown"][data.len() % 3];
    protogen([
        "diff".into(),
        old.into_os_string(),
        new.clone().into_os_string(),
        "--format".into(),
        format.into(),
    ])
    .expect("diff parses");
    // None until `lint` exists.
    let _ = protogen(["lint".into(), new.clone().into_os_string()]);
    if check.code != 2 {
        protogen([
            "new".into(),
            "fz".into(),
            "--proto".into(),
            new.into_os_string(),
            "--out".into(),
            dir.join("ws").into_os_string(),
        ])
        .expect("new parses");
    }
});
