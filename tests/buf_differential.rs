//! Differential test against buf 1.75: `protogen check` must report what `buf breaking` reports
//! (rule, path, line, column) on every case of `fixtures/breaking/` and on Google's protos.
//!
//! Each fixture case is its own test (`cargo test FIELD_SAME_TYPE` runs that rule's cases; the
//! build script lists them) and compares three things: protogen, buf run live, and the snapshot
//! of buf's findings stored next to each case (`expected.json`, rewritten by `cargo xtask
//! corpus-expect`). Without buf (outside CI and `cargo xtask test`), protogen is still compared
//! with the snapshots. `PROTOGEN_DIFFERENTIAL_BIN` runs another protogen binary (e.g. a release
//! build) instead.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::differential::{self as d, Located};
use serde_json::Value;

/// Where protogen deliberately differs from buf: the case, and why. The test fails when a listed
/// case starts to agree, so that this list never outlives the difference it explains.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

macro_rules! case {
    ($name:ident, $id:literal) => {
        #[test]
        #[allow(non_snake_case)]
        fn $name() {
            fixture_case($id);
        }
    };
}
include!(concat!(env!("OUT_DIR"), "/breaking_cases.rs"));

/// One case of fixtures/breaking: snapshot, buf live and protogen agree (or differ as
/// KNOWN_DIFFERENCES says).
fn fixture_case(id: &str) {
    let case = d::case("breaking", "breaks-", id);
    let live = common::native_buf()
        .map(|buf| run_buf(&buf, &case.dir.join("current"), Path::new("../previous")));
    let found = protogen(&case.dir.join("current"), &case.dir.join("previous"));
    let known = KNOWN_DIFFERENCES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, why)| *why);
    d::judge_case(&case, d::no_wording, live, found, known);
}

/// The corpus as a whole: KNOWN_DIFFERENCES names real cases, and every rule of buf has a
/// `breaks-` and a `near-miss-` case.
#[test]
fn fixture_corpus_covers_every_rule() {
    let cases = d::cases("breaking", "breaks-");
    for (id, _) in KNOWN_DIFFERENCES {
        assert!(
            cases.iter().any(|case| case.id == *id),
            "KNOWN_DIFFERENCES names {id}, which is not a case under fixtures/breaking/"
        );
    }
    let Some(buf) = common::native_buf() else {
        return;
    };
    let missing: Vec<String> = d::buf_rules(&buf, "breaking", "v2", &[])
        .into_iter()
        .filter(|id| {
            let of_rule = || cases.iter().filter(|case| &case.rule == id);
            !of_rule().any(|case| case.positive) || !of_rule().any(|case| !case.positive)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without both a breaks- and a near-miss- case: {missing:?}"
    );
}

/// Google's protos 5.0.0 -> 6.0.1 with the default rules (FILE): the multiset of
/// (rule, path, line, column) must be the same as buf's, against the 5.0.0 directory and
/// against an image of it from `buf build -o` (buf reports the same either way; it runs once).
#[test]
fn google_protos_match_buf() {
    let (Some(buf), Some(old), Some(new)) = (
        common::native_buf(),
        common::google_protos("5.0.0"),
        common::google_protos("6.0.1"),
    ) else {
        return;
    };
    let image = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("google-proto-files-5.0.0.binpb");
    // buf breaking takes most of the time; protogen and buf build run alongside on the
    // second core.
    let (from_buf, against_dir, against_image) = std::thread::scope(|scope| {
        let buf_run = scope.spawn(|| run_buf(&buf, &new, &old));
        let against_dir = protogen(&new, &old);
        let built = Command::new(&buf)
            .current_dir(&old)
            .args(["build", ".", "-o"])
            .arg(&image)
            .status()
            .expect("buf build runs");
        assert!(built.success(), "buf build of Google's protos 5.0.0 failed");
        let against_image = protogen(&new, &image);
        (
            buf_run.join().expect("buf thread panicked"),
            against_dir,
            against_image,
        )
    });
    let from_buf = from_buf.unwrap_or_else(|e| panic!("buf on Google's protos: {e}"));
    assert!(
        !from_buf.is_empty(),
        "buf found nothing between two releases that differ by ~1,800 files: the setup is wrong"
    );
    let key = |f: &Located| (f.rule.clone(), f.path.clone(), f.line, f.column);
    let buf_counts = d::multiset(from_buf.iter().map(key));
    let mut table: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for f in &from_buf {
        table.entry(f.rule.clone()).or_default()[0] += 1;
    }
    let mut differences = Vec::new();
    for (column, (baseline, found)) in [("directory", against_dir), ("buf image", against_image)]
        .into_iter()
        .enumerate()
    {
        let found = found.unwrap_or_else(|e| {
            panic!("protogen on Google's protos, against the 5.0.0 {baseline}: {e}")
        });
        for f in &found {
            table.entry(f.rule.clone()).or_default()[column + 1] += 1;
        }
        let counts = d::multiset(found.iter().map(key));
        for k in buf_counts
            .keys()
            .chain(counts.keys())
            .collect::<BTreeSet<_>>()
        {
            let b = buf_counts.get(k).copied().unwrap_or(0);
            let p = counts.get(k).copied().unwrap_or(0);
            if b != p {
                let path = if k.1.is_empty() { "<no path>" } else { &k.1 };
                differences.push(format!(
                    "against the {baseline}: {} {path}:{}:{}  buf {b}, protogen {p}",
                    k.0, k.2, k.3
                ));
            }
        }
    }
    println!(
        "\nGoogle's protos 5.0.0 -> 6.0.1 (FILE)\n{:<40} {:>6} {:>14} {:>14}",
        "rule", "buf", "protogen (dir)", "protogen (img)"
    );
    for (rule, [b, dir, image]) in &table {
        println!("{rule:<40} {b:>6} {dir:>14} {image:>14}");
    }
    let totals = table.values().fold([0; 3], |acc, row| {
        [acc[0] + row[0], acc[1] + row[1], acc[2] + row[2]]
    });
    println!(
        "{:<40} {:>6} {:>14} {:>14}",
        "total", totals[0], totals[1], totals[2]
    );
    assert!(
        differences.is_empty(),
        "{} (rule, path, line, column) counts differ from buf's:\n{}",
        differences.len(),
        differences
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `protogen check CURRENT --against BASELINE --format json`.
fn protogen(current: &Path, against: &Path) -> Result<Vec<Located>, String> {
    d::run_protogen(
        &[
            "check".as_ref(),
            current.as_os_str(),
            "--against".as_ref(),
            against.as_os_str(),
        ],
        d::no_wording,
    )
}

/// `buf breaking . --against AGAINST --error-format json` in `current`.
fn run_buf(buf: &Path, current: &Path, against: &Path) -> Result<Vec<Located>, String> {
    d::run_buf(
        buf,
        current,
        &[
            "breaking".as_ref(),
            ".".as_ref(),
            "--against".as_ref(),
            against.as_os_str(),
        ],
        d::no_wording,
    )
}

/// Two workspace modules, `a` judged by WIRE and `b` by FILE, each with a field renamed and a
/// field's type changed: `diff`'s breaking findings are exactly `check`'s, which are buf's, in
/// both workspace layouts (buf.work.yaml; buf.yaml v2 `modules:`).
#[test]
fn workspace_modules_diff_equals_check_equals_buf() {
    let Some(buf) = common::native_buf() else {
        return;
    };
    let module = |package: &str, name: &str, kind: &str| {
        format!(
            "syntax = \"proto3\";\npackage {package}.v1;\nmessage Thing {{\n  string {name} = 1;\n  {kind} count = 2;\n}}\n"
        )
    };
    let work_yaml = [
        (
            "buf.work.yaml",
            "version: v1\ndirectories:\n  - a\n  - b\n".to_string(),
        ),
        (
            "a/buf.yaml",
            "version: v1\nbreaking:\n  use: [WIRE]\n".to_string(),
        ),
        (
            "b/buf.yaml",
            "version: v1\nbreaking:\n  use: [FILE]\n".to_string(),
        ),
    ];
    let v2_yaml = [(
        "buf.yaml",
        "version: v2\nmodules:\n  - path: a\n    breaking:\n      use: [WIRE]\n  - path: b\n    breaking:\n      use: [FILE]\n".to_string(),
    )];
    for (layout, config) in [
        ("buf.work.yaml", &work_yaml[..]),
        ("buf.yaml v2", &v2_yaml[..]),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        for (side, name, kind) in [
            ("previous", "title", "int32"),
            ("current", "label", "string"),
        ] {
            let root = tmp.path().join(side);
            for (path, text) in config {
                write(&root.join(path), text);
            }
            write(&root.join("a/a/v1/a.proto"), &module("a", name, kind));
            write(&root.join("b/b/v1/b.proto"), &module("b", name, kind));
        }
        let (current, previous) = (tmp.path().join("current"), tmp.path().join("previous"));
        let from_buf = run_buf(&buf, &current, Path::new("../previous"))
            .unwrap_or_else(|e| panic!("{layout}: buf: {e}"));
        let from_check = protogen(&current, &previous).unwrap_or_else(|e| panic!("{layout}: {e}"));
        let from_diff = diff_breaking(&current, &previous);
        assert!(
            from_buf.iter().any(|f| f.path.starts_with("a/"))
                && from_buf.iter().any(|f| f.path.starts_with("b/")),
            "{layout}: buf found nothing in one of the modules: {}",
            d::list(&from_buf)
        );
        assert_eq!(from_check, from_buf, "{layout}: check differs from buf");
        assert_eq!(
            from_diff, from_check,
            "{layout}: diff's breaking section differs from check"
        );
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The breaking findings of `protogen diff OLD --path CURRENT --format json`: those attached to
/// changes in the breaking section and those that match no change.
fn diff_breaking(current: &Path, old: &Path) -> Vec<Located> {
    let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .arg("diff")
        .arg(old)
        .arg("--path")
        .arg(current)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "diff: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    let items: Vec<Value> = log["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["section"] == "breaking")
        .flat_map(|c| c["findings"].as_array().unwrap().iter().cloned())
        .chain(
            log["unmatched_findings"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        )
        .collect();
    let findings = d::located(&items, &d::PROTOGEN_KEYS, d::no_wording);
    assert_eq!(
        log["summary"]["breaking"].as_u64(),
        Some(
            log["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["section"] == "breaking")
                .count() as u64
        )
    );
    findings
}
