//! Differential test against buf 1.75: `protogen lint` must report what `buf lint` reports
//! (rule, path, line, column) on every case of `fixtures/lint/` and on Google's protos 6.0.1.
//!
//! Each fixture case is a module (buf.yaml, sometimes protogen.toml, and protos); it compares
//! three things: protogen, buf run live, and the snapshot of buf's findings stored in the case
//! (`expected.json`, rewritten by `cargo xtask corpus-expect`). Without buf installed, protogen
//! is still compared with the snapshots. `PROTOGEN_DIFFERENTIAL_BIN` runs another binary.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Cases where protogen deliberately differs from buf, and why. The test fails when a listed
/// case starts to agree, so that this list never outlives the difference it explains.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Rules with no `fires-` case, and why: every other rule of buf (v2 and v1beta1) needs both a
/// `fires-` and a `near-miss-` case.
const NEVER_FIRES: &[(&str, &str)] = &[(
    "IMPORT_NO_WEAK",
    "deprecated without a replacement: buf accepts the ID and runs nothing for it",
)];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Located {
    rule: String,
    path: String,
    line: u64,
    column: u64,
    /// Compared for the rules of [`BUF_WORDING`] only; empty for the others.
    message: String,
}

/// Rules whose messages are buf's word for word (the others say how to fix in protogen's
/// words): for these the message is compared too, up to the reason a pattern "fails to
/// compile:" (Go's regexp words it, protogen the regex crate).
const BUF_WORDING: &[&str] = &["PROTOVALIDATE"];

fn wording(message: &str) -> String {
    const REASON: &str = "fails to compile:";
    match message.find(REASON) {
        Some(at) => message[..at + REASON.len()].to_owned(),
        None => message.to_owned(),
    }
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}:{}:{}",
            self.rule, self.path, self.line, self.column
        )?;
        if !self.message.is_empty() {
            write!(f, " {:?}", self.message)?;
        }
        Ok(())
    }
}

struct Case {
    id: String,
    rule: String,
    fires: bool,
    dir: PathBuf,
}

#[test]
fn fixture_corpus_matches_buf_lint() {
    let cases = cases();
    let buf = common::native_buf();
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    for id in known.keys() {
        assert!(
            cases.iter().any(|case| case.id == *id),
            "KNOWN_DIFFERENCES names {id}, which is not a case under fixtures/lint/"
        );
    }
    if let Some(buf) = &buf {
        assert_every_rule_is_covered(buf, &cases);
    }
    let mut failures = Vec::new();
    let mut agreeing = 0;
    for case in &cases {
        let expected = snapshot(case);
        let hits = expected.iter().filter(|f| f.rule == case.rule).count();
        if case.fires && hits == 0 {
            failures.push(format!(
                "{}: a fires- case, yet its snapshot has no {}",
                case.id, case.rule
            ));
        }
        if !case.fires && hits > 0 {
            failures.push(format!(
                "{}: a near-miss case, yet its snapshot has {}",
                case.id, case.rule
            ));
        }
        if let Some(buf) = &buf {
            match run_buf(buf, &case.dir) {
                Ok(live) if live != expected => failures.push(format!(
                    "{}: expected.json is stale (run `cargo xtask corpus-expect`)\n    snapshot: {}\n    buf now:  {}",
                    case.id,
                    list(&expected),
                    list(&live)
                )),
                Ok(_) => {}
                Err(e) => failures.push(format!("{}: {e}", case.id)),
            }
        }
        let protogen = protogen(&case.dir);
        let agrees = protogen.as_ref() == Ok(&expected);
        agreeing += usize::from(agrees);
        match (known.get(case.id.as_str()), agrees) {
            (None, true) => {}
            (None, false) => failures.push(format!(
                "{}: protogen differs from buf\n    buf:      {}\n    protogen: {}",
                case.id,
                list(&expected),
                match &protogen {
                    Ok(found) => list(found),
                    Err(e) => format!("failed: {e}"),
                }
            )),
            (Some(_), true) => failures.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but protogen now agrees with buf: remove the entry",
                case.id
            )),
            (Some(reason), false) => println!("known difference {}: {reason}", case.id),
        }
    }
    println!(
        "lint fixture cases: {} of {} agree with buf ({})",
        agreeing,
        cases.len(),
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

/// Google's protos 6.0.1 (its buf.yaml v2 excludes google/protobuf and sets no lint rules, so
/// STANDARD applies): the multiset of (rule, path, line, column) must equal buf lint's.
#[test]
fn google_protos_match_buf_lint() {
    let (Some(buf), Some(protos)) = (common::native_buf(), common::google_protos("6.0.1")) else {
        return;
    };
    let (from_buf, found) = std::thread::scope(|scope| {
        let buf_run = scope.spawn(|| run_buf(&buf, &protos));
        let found = protogen(&protos);
        (buf_run.join().expect("buf thread panicked"), found)
    });
    let from_buf = from_buf.unwrap_or_else(|e| panic!("buf lint on Google's protos: {e}"));
    let found = found.unwrap_or_else(|e| panic!("protogen lint on Google's protos: {e}"));
    assert!(
        from_buf.len() > 10_000,
        "buf found {} lint findings in Google's protos; the setup is wrong",
        from_buf.len()
    );
    let key = |f: &Located| (f.rule.clone(), f.path.clone(), f.line, f.column);
    let (b, p) = (
        multiset(from_buf.iter().map(key)),
        multiset(found.iter().map(key)),
    );
    let mut table: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for f in &from_buf {
        table.entry(&f.rule).or_default()[0] += 1;
    }
    for f in &found {
        table.entry(&f.rule).or_default()[1] += 1;
    }
    println!(
        "\nGoogle's protos 6.0.1, lint STANDARD\n{:<36} {:>7} {:>9}",
        "rule", "buf", "protogen"
    );
    for (rule, [x, y]) in &table {
        println!("{rule:<36} {x:>7} {y:>9}");
    }
    let differences: Vec<String> = b
        .keys()
        .chain(p.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (
                b.get(k).copied().unwrap_or(0),
                p.get(k).copied().unwrap_or(0),
            );
            (x != y).then(|| format!("{} {}:{}:{}  buf {x}, protogen {y}", k.0, k.1, k.2, k.3))
        })
        .collect();
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
    let corpus = common::project_root().join("fixtures/lint");
    let mut cases = Vec::new();
    for rule in sorted_dirs(&corpus) {
        for dir in sorted_dirs(&rule) {
            let (rule, case) = (name(&rule), name(&dir));
            assert!(
                case.starts_with("fires-") || case.starts_with("near-miss-"),
                "fixtures/lint/{rule}/{case}: a case name starts with fires- or near-miss-"
            );
            cases.push(Case {
                id: format!("{rule}/{case}"),
                fires: case.starts_with("fires-"),
                rule,
                dir,
            });
        }
    }
    assert!(!cases.is_empty(), "no cases under {}", corpus.display());
    cases
}

/// Every rule buf knows in v2 and v1beta1 has a fires- and a near-miss- case (NEVER_FIRES
/// rules a near-miss only).
fn assert_every_rule_is_covered(buf: &Path, cases: &[Case]) {
    let mut ids = BTreeSet::new();
    for version in ["v2", "v1beta1"] {
        let output = Command::new(buf)
            .args([
                "config",
                "ls-lint-rules",
                "--version",
                version,
                "--include-deprecated",
                "--format",
                "json",
            ])
            .output()
            .expect("buf runs");
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let rule: Value = serde_json::from_str(line).expect("buf lists rules as JSON lines");
            ids.insert(rule["id"].as_str().expect("a rule has an id").to_owned());
        }
    }
    assert!(ids.len() > 40, "buf listed only {} lint rules", ids.len());
    let never: BTreeSet<&str> = NEVER_FIRES.iter().map(|(id, _)| *id).collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| {
            let of_rule = || cases.iter().filter(|case| &case.rule == *id);
            let fires = of_rule().any(|case| case.fires);
            let near = of_rule().any(|case| !case.fires);
            !near || (!fires && !never.contains(id.as_str()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "lint rules without both a fires- and a near-miss- case: {missing:?}"
    );
    for id in &never {
        assert!(
            ids.contains(*id),
            "NEVER_FIRES names {id}, which buf does not know"
        );
    }
}

fn snapshot(case: &Case) -> Vec<Located> {
    let path = case.dir.join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask corpus-expect`", path.display()));
    let stored: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    located(
        stored["findings"]
            .as_array()
            .expect("expected.json has findings"),
        "rule",
        "line",
        "column",
    )
}

fn located(items: &[Value], rule: &str, line: &str, column: &str) -> Vec<Located> {
    let mut found: Vec<Located> = items
        .iter()
        .map(|f| Located {
            rule: f[rule].as_str().unwrap_or_default().to_owned(),
            path: f["path"].as_str().unwrap_or_default().to_owned(),
            line: f[line].as_u64().unwrap_or(0),
            column: f[column].as_u64().unwrap_or(0),
            message: if BUF_WORDING.contains(&f[rule].as_str().unwrap_or_default()) {
                wording(f["message"].as_str().unwrap_or_default())
            } else {
                String::new()
            },
        })
        .collect();
    found.sort();
    found
}

/// `protogen lint DIR --format json`; exit 1 must mean findings, 0 none.
fn protogen(dir: &Path) -> Result<Vec<Located>, String> {
    let binary = std::env::var_os("PROTOGEN_DIFFERENTIAL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_protogen")));
    let output = Command::new(&binary)
        .arg("lint")
        .arg(dir)
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
    let found = located(
        report["findings"].as_array().ok_or("no findings array")?,
        "rule",
        "line",
        "column",
    );
    if (code == Some(1)) == found.is_empty() {
        return Err(format!("exit {code:?} with {} finding(s)", found.len()));
    }
    Ok(found)
}

/// `buf lint --error-format json` in `dir`: one object a line, exit 100 when it finds something.
fn run_buf(buf: &Path, dir: &Path) -> Result<Vec<Located>, String> {
    let output = Command::new(buf)
        .current_dir(dir)
        .args(["lint", "--error-format", "json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", buf.display()))?;
    if !matches!(output.status.code(), Some(0) | Some(100)) {
        return Err(format!(
            "buf exited {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut raw = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("{line:?}: {e}"))?;
        if value["type"] == "COMPILE" {
            return Err(format!("does not compile: {line}"));
        }
        raw.push(value);
    }
    Ok(located(&raw, "type", "start_line", "start_column"))
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
