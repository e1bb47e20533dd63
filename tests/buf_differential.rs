//! Differential test against buf 1.75: `protogen check` must report what `buf breaking` reports
//! (rule, path, line, column) on every case of `fixtures/breaking/` and on Google's protos.
//!
//! The fixture cases compare three things: protogen, buf run live, and the snapshot of buf's
//! findings stored next to each case (`expected.json`, rewritten by `cargo xtask corpus-expect`).
//! Without buf installed, protogen is still compared with the snapshots.
//! `PROTOGEN_DIFFERENTIAL_BIN` runs another protogen binary (e.g. a release build) instead.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// Where protogen deliberately differs from buf: the case, and why. The test fails when a listed
/// case starts to agree, so that this list never outlives the difference it explains.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    ("ENUM_SAME_JSON_FORMAT/breaks-editions-legacy", EDITIONS),
    (
        "ENUM_SAME_JSON_FORMAT/near-miss-proto3-to-editions",
        EDITIONS,
    ),
    ("ENUM_SAME_TYPE/breaks-editions-enum-closed", EDITIONS),
    (
        "ENUM_SAME_TYPE/near-miss-proto2-to-editions-closed",
        EDITIONS,
    ),
    ("ENUM_SAME_TYPE/near-miss-proto3-to-editions", EDITIONS),
    (
        "FIELD_SAME_CARDINALITY/breaks-editions-presence-implicit",
        EDITIONS,
    ),
    (
        "FIELD_SAME_CARDINALITY/near-miss-proto2-to-editions-explicit",
        EDITIONS,
    ),
    (
        "FIELD_SAME_UTF8_VALIDATION/breaks-editions-utf8-none",
        EDITIONS,
    ),
    (
        "FIELD_SAME_UTF8_VALIDATION/near-miss-proto3-to-editions",
        EDITIONS,
    ),
    ("FILE_SAME_SYNTAX/breaks-proto3-to-editions", EDITIONS),
    ("MESSAGE_SAME_JSON_FORMAT/breaks-editions-legacy", EDITIONS),
    (
        "MESSAGE_SAME_REQUIRED_FIELDS/breaks-required-to-editions-legacy-required",
        EDITIONS,
    ),
];

const EDITIONS: &str = "an `edition = \"2023\"` file: protox 0.10 (protogen's compiler) does not \
    parse editions, so protogen stops with exit 2 naming the file instead of comparing";

/// One finding, reduced to what must match buf.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Located {
    rule: String,
    path: String,
    line: u64,
    column: u64,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "<no path>"
        } else {
            &self.path
        };
        write!(f, "{} {path}:{}:{}", self.rule, self.line, self.column)
    }
}

struct Case {
    /// `RULE/case`, as in KNOWN_DIFFERENCES.
    id: String,
    rule: String,
    breaks: bool,
    dir: PathBuf,
}

#[test]
fn fixture_corpus_matches_buf() {
    let cases = cases();
    let buf = common::native_buf();
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    for id in known.keys() {
        assert!(
            cases.iter().any(|case| case.id == *id),
            "KNOWN_DIFFERENCES names {id}, which is not a case under fixtures/breaking/"
        );
    }
    if let Some(buf) = &buf {
        assert_every_rule_is_covered(buf, &cases);
    }

    let results = parallel_map(&cases, |case| {
        let protogen = protogen(&case.dir.join("current"), &case.dir.join("previous"));
        let live = buf.as_ref().map(|buf| {
            run_buf(buf, &case.dir.join("current"), Path::new("../previous"))
                .unwrap_or_else(|e| panic!("{}: {e}", case.id))
        });
        (protogen, live)
    });

    let mut failures = Vec::new();
    let mut per_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, (protogen, live)) in cases.iter().zip(results) {
        let expected = snapshot(case);
        let hits = expected.iter().filter(|f| f.rule == case.rule).count();
        if case.breaks && hits == 0 {
            failures.push(format!(
                "{}: a breaks- case, yet its snapshot has no {}",
                case.id, case.rule
            ));
        }
        if !case.breaks && hits > 0 {
            failures.push(format!(
                "{}: a near-miss case, yet its snapshot has {}",
                case.id, case.rule
            ));
        }
        if let Some(live) = live {
            if live != expected {
                failures.push(format!(
                    "{}: expected.json is stale (run `cargo xtask corpus-expect`)\n    snapshot: {}\n    buf now:  {}",
                    case.id,
                    list(&expected),
                    list(&live)
                ));
            }
        }
        let agrees = protogen.as_ref() == Ok(&expected);
        let counts = per_rule.entry(&case.rule).or_default();
        counts.0 += 1;
        counts.1 += usize::from(agrees);
        match (known.get(case.id.as_str()), agrees) {
            (None, true) => {}
            (None, false) => failures.push(format!(
                "{}: protogen differs from buf\n    buf:      {}\n    protogen: {}",
                case.id,
                list(&expected),
                outcome(&protogen)
            )),
            (Some(_), true) => failures.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but protogen now agrees with buf: remove the entry",
                case.id
            )),
            (Some(reason), false) => {
                println!("known difference {}: {reason}", case.id)
            }
        }
    }

    println!(
        "\n{:<48} {:>5} {:>6}",
        "rule (fixture cases)", "cases", "agree"
    );
    for (rule, (total, agree)) in &per_rule {
        println!("{rule:<48} {total:>5} {agree:>6}");
    }
    let agree: usize = per_rule.values().map(|c| c.1).sum();
    println!(
        "{:<48} {:>5} {:>6}  (buf {})",
        "total",
        cases.len(),
        agree,
        if buf.is_some() {
            "live and snapshot"
        } else {
            "snapshot only"
        }
    );
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
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
    let buf_counts = multiset(from_buf.iter().map(key));
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
        let counts = multiset(found.iter().map(key));
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

fn cases() -> Vec<Case> {
    let corpus = common::project_root().join("fixtures/breaking");
    let mut cases = Vec::new();
    for rule in sorted_dirs(&corpus) {
        for dir in sorted_dirs(&rule) {
            let rule = name(&rule);
            let case = name(&dir);
            cases.push(Case {
                id: format!("{rule}/{case}"),
                breaks: case.starts_with("breaks-"),
                rule,
                dir,
            });
        }
    }
    assert!(!cases.is_empty(), "no cases under {}", corpus.display());
    cases
}

fn assert_every_rule_is_covered(buf: &Path, cases: &[Case]) {
    let output = Command::new(buf)
        .args([
            "config",
            "ls-breaking-rules",
            "--version",
            "v2",
            "--format",
            "json",
        ])
        .output()
        .expect("buf runs");
    let mut missing = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let rule: Value = serde_json::from_str(line).expect("buf lists rules as JSON lines");
        let id = rule["id"].as_str().expect("a rule has an id");
        let of_rule = || cases.iter().filter(move |case| case.rule == id);
        if !of_rule().any(|case| case.breaks) || !of_rule().any(|case| !case.breaks) {
            missing.push(id.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "rules without both a breaks- and a near-miss- case: {missing:?}"
    );
}

/// buf's findings as stored in the case's `expected.json`.
fn snapshot(case: &Case) -> Vec<Located> {
    let path = case.dir.join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask corpus-expect`", path.display()));
    let stored: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    let mut findings: Vec<Located> = stored["findings"]
        .as_array()
        .expect("expected.json has findings")
        .iter()
        .map(|f| Located {
            rule: f["rule"].as_str().unwrap_or_default().to_owned(),
            path: f["path"].as_str().unwrap_or_default().to_owned(),
            line: f["line"].as_u64().unwrap_or(0),
            column: f["column"].as_u64().unwrap_or(0),
        })
        .collect();
    findings.sort();
    findings
}

/// `protogen check CURRENT --against BASELINE --format json`.
fn protogen(current: &Path, against: &Path) -> Result<Vec<Located>, String> {
    let binary = std::env::var_os("PROTOGEN_DIFFERENTIAL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_protogen")));
    let output = Command::new(&binary)
        .arg("check")
        .arg(current)
        .arg("--against")
        .arg(against)
        .args(["--format", "json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let code = output.status.code();
    if !matches!(code, Some(0) | Some(1)) {
        return Err(format!(
            "exit {code:?}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("stdout is not one JSON object: {e}"))?;
    let mut findings: Vec<Located> = report["findings"]
        .as_array()
        .ok_or("no findings array")?
        .iter()
        .map(|f| Located {
            rule: f["rule"].as_str().unwrap_or_default().to_owned(),
            path: f["path"].as_str().unwrap_or_default().to_owned(),
            line: f["line"].as_u64().unwrap_or(0),
            column: f["column"].as_u64().unwrap_or(0),
        })
        .collect();
    findings.sort();
    if (code == Some(1)) == findings.is_empty() {
        return Err(format!(
            "exit {code:?} with {} finding(s): exit 1 means breaking changes, 0 none",
            findings.len()
        ));
    }
    Ok(findings)
}

/// `buf breaking . --against AGAINST --error-format json` in `current`; buf prints one object
/// a line and exits 100 when it finds something.
fn run_buf(buf: &Path, current: &Path, against: &Path) -> Result<Vec<Located>, String> {
    let output = Command::new(buf)
        .current_dir(current)
        .args(["breaking", "."])
        .arg("--against")
        .arg(against)
        .args(["--error-format", "json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", buf.display()))?;
    if !matches!(output.status.code(), Some(0) | Some(100)) {
        return Err(format!(
            "buf exited {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut findings = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if line.trim().is_empty() {
            continue;
        }
        let raw: Value = serde_json::from_str(line).map_err(|e| format!("{line:?}: {e}"))?;
        let rule = raw["type"].as_str().unwrap_or_default();
        if rule == "COMPILE" {
            return Err(format!("does not compile: {line}"));
        }
        findings.push(Located {
            rule: rule.to_owned(),
            path: raw["path"].as_str().unwrap_or_default().to_owned(),
            line: raw["start_line"].as_u64().unwrap_or(0),
            column: raw["start_column"].as_u64().unwrap_or(0),
        });
    }
    findings.sort();
    Ok(findings)
}

/// Runs `work` on every item on a few threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, work(item)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("worker panicked"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn multiset<K: Ord>(keys: impl Iterator<Item = K>) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn list(findings: &[Located]) -> String {
    if findings.is_empty() {
        return "(nothing)".into();
    }
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn outcome(result: &Result<Vec<Located>, String>) -> String {
    match result {
        Ok(findings) => list(findings),
        Err(error) => format!("failed: {error}"),
    }
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("a directory has a name")
        .to_string_lossy()
        .into_owned()
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
            list(&from_buf)
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
    let located = |f: &Value| Located {
        rule: f["rule"].as_str().unwrap_or_default().to_owned(),
        path: f["path"].as_str().unwrap_or_default().to_owned(),
        line: f["line"].as_u64().unwrap_or(0),
        column: f["column"].as_u64().unwrap_or(0),
    };
    let mut findings: Vec<Located> = log["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["section"] == "breaking")
        .flat_map(|c| c["findings"].as_array().unwrap().iter().map(located))
        .chain(
            log["unmatched_findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(located),
        )
        .collect();
    findings.sort();
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
