//! What the differential tests against buf share (tests/buf_differential.rs: `check` vs `buf
//! breaking`; tests/lint_differential.rs: `lint` vs `buf lint`): the corpus cases, findings
//! reduced to what must match, running protogen and buf, and the stored snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// One finding, reduced to what must match buf.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Located {
    pub rule: String,
    pub path: String,
    pub line: u64,
    pub column: u64,
    /// Compared only where a test keeps it ([`Wording`]); empty otherwise.
    pub message: String,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "<no path>"
        } else {
            &self.path
        };
        write!(f, "{} {path}:{}:{}", self.rule, self.line, self.column)?;
        if !self.message.is_empty() {
            write!(f, " {:?}", self.message)?;
        }
        Ok(())
    }
}

/// Which part of a finding's message is compared, by rule: `None` compares none.
pub type Wording = fn(rule: &str, message: &str) -> Option<String>;

/// Messages are not compared.
pub fn no_wording(_: &str, _: &str) -> Option<String> {
    None
}

/// The JSON keys of a finding: protogen's and the snapshots' (`rule`, `line`, `column`) or
/// buf's (`type`, `start_line`, `start_column`).
pub struct Keys {
    pub rule: &'static str,
    pub line: &'static str,
    pub column: &'static str,
}

pub const PROTOGEN_KEYS: Keys = Keys {
    rule: "rule",
    line: "line",
    column: "column",
};
pub const BUF_KEYS: Keys = Keys {
    rule: "type",
    line: "start_line",
    column: "start_column",
};

/// Sorted findings of JSON objects.
pub fn located(items: &[Value], keys: &Keys, wording: Wording) -> Vec<Located> {
    let mut found: Vec<Located> = items
        .iter()
        .map(|f| {
            let rule = f[keys.rule].as_str().unwrap_or_default();
            Located {
                rule: rule.to_owned(),
                path: f["path"].as_str().unwrap_or_default().to_owned(),
                line: f[keys.line].as_u64().unwrap_or(0),
                column: f[keys.column].as_u64().unwrap_or(0),
                message: wording(rule, f["message"].as_str().unwrap_or_default())
                    .unwrap_or_default(),
            }
        })
        .collect();
    found.sort();
    found
}

/// One case of a corpus: `fixtures/<corpus>/<RULE>/<case>`.
pub struct Case {
    /// `RULE/case`, as in KNOWN_DIFFERENCES.
    pub id: String,
    pub rule: String,
    /// A `breaks-` / `fires-` case (else a `near-miss-` one).
    pub positive: bool,
    pub dir: PathBuf,
}

/// Every case of `fixtures/<corpus>`, whose names start with `positive` (`breaks-`, `fires-`)
/// or `near-miss-`.
pub fn cases(corpus: &str, positive: &str) -> Vec<Case> {
    let root = super::project_root().join("fixtures").join(corpus);
    let mut cases = Vec::new();
    for rule in sorted_dirs(&root) {
        for dir in sorted_dirs(&rule) {
            let (rule, case) = (name(&rule), name(&dir));
            assert!(
                case.starts_with(positive) || case.starts_with("near-miss-"),
                "fixtures/{corpus}/{rule}/{case}: a case name starts with {positive} or near-miss-"
            );
            cases.push(Case {
                id: format!("{rule}/{case}"),
                positive: case.starts_with(positive),
                rule,
                dir,
            });
        }
    }
    assert!(!cases.is_empty(), "no cases under {}", root.display());
    cases
}

/// The case `id` (`RULE/case`) of `fixtures/<corpus>`.
pub fn case(corpus: &str, positive: &str, id: &str) -> Case {
    let (rule, name) = id.split_once('/').expect("a case id is RULE/case");
    let dir = super::project_root()
        .join("fixtures")
        .join(corpus)
        .join(rule)
        .join(name);
    assert!(dir.is_dir(), "{} is gone: rebuild", dir.display());
    Case {
        id: id.to_owned(),
        rule: rule.to_owned(),
        positive: name.starts_with(positive),
        dir,
    }
}

/// buf's findings as stored in the case's `expected.json`.
pub fn snapshot(case: &Case, wording: Wording) -> Vec<Located> {
    let path = case.dir.join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask corpus-expect`", path.display()));
    let stored: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    located(
        stored["findings"]
            .as_array()
            .expect("expected.json has findings"),
        &PROTOGEN_KEYS,
        wording,
    )
}

/// Judges one case: its snapshot against its kind (a positive case has a finding of its rule,
/// a near miss none), against buf run live (when `live` is given), and against protogen's
/// findings, honouring `known` (KNOWN_DIFFERENCES: the case's deliberate difference, which
/// must still differ). Panics with every problem found.
pub fn judge_case(
    case: &Case,
    wording: Wording,
    live: Option<Result<Vec<Located>, String>>,
    protogen: Result<Vec<Located>, String>,
    known: Option<&str>,
) {
    let expected = snapshot(case, wording);
    let mut failures = Vec::new();
    let hits = expected.iter().filter(|f| f.rule == case.rule).count();
    if case.positive && hits == 0 {
        failures.push(format!(
            "a positive case, yet its snapshot has no {}",
            case.rule
        ));
    }
    if !case.positive && hits > 0 {
        failures.push(format!(
            "a near-miss case, yet its snapshot has {}",
            case.rule
        ));
    }
    match live {
        Some(Ok(live)) if live != expected => failures.push(format!(
            "expected.json is stale (run `cargo xtask corpus-expect`)\n    snapshot: {}\n    buf now:  {}",
            list(&expected),
            list(&live)
        )),
        Some(Err(e)) => failures.push(format!("buf: {e}")),
        _ => {}
    }
    let agrees = protogen.as_ref() == Ok(&expected);
    match (known, agrees) {
        (None, true) => {}
        (None, false) => failures.push(format!(
            "protogen differs from buf\n    buf:      {}\n    protogen: {}",
            list(&expected),
            outcome(&protogen)
        )),
        (Some(_), true) => failures.push(
            "listed in KNOWN_DIFFERENCES but protogen now agrees with buf: remove the entry"
                .to_string(),
        ),
        (Some(reason), false) => println!("known difference {}: {reason}", case.id),
    }
    assert!(
        failures.is_empty(),
        "{}: {}",
        case.id,
        failures.join("\n  ")
    );
}

/// The protogen binary under test (`PROTOGEN_DIFFERENTIAL_BIN` runs another, e.g. a release).
pub fn protogen_binary() -> PathBuf {
    std::env::var_os("PROTOGEN_DIFFERENTIAL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_protogen")))
}

/// Runs protogen with `--format json` and reads its findings; exit 1 must mean findings, 0 none.
pub fn run_protogen(args: &[&std::ffi::OsStr], wording: Wording) -> Result<Vec<Located>, String> {
    let binary = protogen_binary();
    let output = Command::new(&binary)
        .args(args)
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
        &PROTOGEN_KEYS,
        wording,
    );
    if (code == Some(1)) == found.is_empty() {
        return Err(format!(
            "exit {code:?} with {} finding(s): exit 1 means findings, 0 none",
            found.len()
        ));
    }
    Ok(found)
}

/// Runs buf in `dir` with `args` and `--error-format json`: one object a line, exit 100 when
/// it finds something; a COMPILE finding is an error.
pub fn run_buf(
    buf: &Path,
    dir: &Path,
    args: &[&std::ffi::OsStr],
    wording: Wording,
) -> Result<Vec<Located>, String> {
    let output = Command::new(buf)
        .current_dir(dir)
        .args(args)
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
    Ok(located(&raw, &BUF_KEYS, wording))
}

/// The rule IDs `buf config ls-<kind>-rules --version <version>` lists (`extra` args too).
pub fn buf_rules(buf: &Path, kind: &str, version: &str, extra: &[&str]) -> Vec<String> {
    let output = Command::new(buf)
        .args(["config", &format!("ls-{kind}-rules"), "--version", version])
        .args(extra)
        .args(["--format", "json"])
        .output()
        .expect("buf runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let rule: Value = serde_json::from_str(line).expect("buf lists rules as JSON lines");
            rule["id"].as_str().expect("a rule has an id").to_owned()
        })
        .collect()
}

pub fn multiset<K: Ord>(keys: impl Iterator<Item = K>) -> BTreeMap<K, usize> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

pub fn list(findings: &[Located]) -> String {
    if findings.is_empty() {
        return "(nothing)".into();
    }
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn outcome(result: &Result<Vec<Located>, String>) -> String {
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
