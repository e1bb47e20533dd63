//! `cargo xtask corpus-expect`: runs buf on every case of `fixtures/breaking/` (`buf breaking`)
//! and `fixtures/lint/` (`buf lint`) and stores its findings next to the case, so the tests show
//! what buf said even where buf is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::BUF_VERSION;

/// One case of the corpus: `fixtures/breaking/<RULE>/<case>/{previous,current}`.
struct Case {
    rule: String,
    name: String,
    dir: PathBuf,
}

pub fn expect(root: &Path) -> anyhow::Result<()> {
    let buf = buf_binary(root)?;
    let cases = cases(&root.join("fixtures/breaking"))?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let chunk = cases.len().div_ceil(threads).max(1);
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|chunk| {
                let buf = &buf;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|case| write_expected(buf, case))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("worker panicked"))
            .collect()
    });
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(|result| result.err().map(|e| format!("{e:#}")))
        .collect();
    if !failures.is_empty() {
        bail!(
            "{} case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    eprintln!(
        "corpus-expect: wrote expected.json for {} cases",
        cases.len()
    );
    Ok(())
}

/// buf's native binary when npm installed it (skips the Node.js wrapper, ~0.1 s a run).
pub fn buf_binary(root: &Path) -> anyhow::Result<PathBuf> {
    let scope = root.join(".tools/node_modules/@bufbuild");
    if let Ok(entries) = std::fs::read_dir(&scope) {
        for entry in entries.flatten() {
            let native = entry.path().join("bin/buf");
            if entry.file_name().to_string_lossy().starts_with("buf-") && native.exists() {
                return Ok(native);
            }
        }
    }
    let wrapper = root.join(".tools/node_modules/.bin/buf");
    if wrapper.exists() {
        return Ok(wrapper);
    }
    bail!("buf is not installed under .tools/: run `cargo xtask setup`")
}

fn cases(corpus: &Path) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for rule in sorted_dirs(corpus)? {
        for case in sorted_dirs(&rule)? {
            cases.push(Case {
                rule: file_name(&rule),
                name: file_name(&case),
                dir: case,
            });
        }
    }
    if cases.is_empty() {
        bail!("no cases under {}", corpus.display());
    }
    Ok(cases)
}

fn sorted_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a directory entry has a name")
        .to_string_lossy()
        .into_owned()
}

fn write_expected(buf: &Path, case: &Case) -> anyhow::Result<()> {
    let label = format!("{}/{}", case.rule, case.name);
    let breaks = case.name.starts_with("breaks-");
    if !breaks && !case.name.starts_with("near-miss-") {
        bail!("{label}: a case name starts with breaks- or near-miss-");
    }
    let findings = run_buf(buf, &case.dir).with_context(|| label.clone())?;
    let hits = findings
        .iter()
        .filter(|finding| finding["rule"] == case.rule.as_str())
        .count();
    if breaks && hits == 0 {
        bail!("{label}: buf does not report {} here", case.rule);
    }
    if !breaks && hits > 0 {
        bail!("{label}: a near miss, yet buf reports {}", case.rule);
    }
    let expected = json!({
        "buf_version": BUF_VERSION,
        "rule": case.rule,
        "kind": if breaks { "breaks" } else { "near miss" },
        "findings": findings,
    });
    let text = serde_json::to_string_pretty(&expected)? + "\n";
    std::fs::write(case.dir.join("expected.json"), text)
        .with_context(|| format!("{label}: cannot write expected.json"))
}

/// buf's findings for one case, normalized: rule, path relative to the module root ("" when
/// buf gives none), 1-based line and column (0 when none), message; sorted.
fn run_buf(buf: &Path, case: &Path) -> anyhow::Result<Vec<Value>> {
    let output = Command::new(buf)
        .current_dir(case.join("current"))
        .args([
            "breaking",
            ".",
            "--against",
            "../previous",
            "--error-format",
            "json",
        ])
        .output()
        .with_context(|| format!("cannot run {}", buf.display()))?;
    // buf exits 100 when it finds breaking changes, 0 when not; anything else is a failure.
    if !matches!(output.status.code(), Some(0) | Some(100)) {
        bail!(
            "buf failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_findings(&String::from_utf8_lossy(&output.stdout))
}

/// buf's `--error-format json` (one object a line), normalized: rule, path relative to the
/// module root ("" when buf gives none), 1-based line and column (0 when none), message; sorted.
fn parse_findings(stdout: &str) -> anyhow::Result<Vec<Value>> {
    let mut findings = Vec::new();
    for line in stdout.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let raw: Value =
            serde_json::from_str(line).with_context(|| format!("buf printed {line:?}"))?;
        let rule = raw["type"].as_str().unwrap_or_default();
        if rule == "COMPILE" {
            bail!("the case does not compile: {}", raw["message"]);
        }
        findings.push(json!({
            "rule": rule,
            "path": raw["path"].as_str().unwrap_or_default(),
            "line": raw["start_line"].as_u64().unwrap_or(0),
            "column": raw["start_column"].as_u64().unwrap_or(0),
            "message": raw["message"].as_str().unwrap_or_default(),
        }));
    }
    findings.sort_by_key(|f| {
        (
            f["path"].as_str().unwrap_or_default().to_owned(),
            f["line"].as_u64(),
            f["column"].as_u64(),
            f["rule"].as_str().unwrap_or_default().to_owned(),
            f["message"].as_str().unwrap_or_default().to_owned(),
        )
    });
    Ok(findings)
}

/// `fixtures/lint/<RULE>/<case>/`: each case is a module (buf.yaml and protos); `fires-` cases
/// must make buf report RULE, `near-miss-` cases must not.
pub fn expect_lint(root: &Path) -> anyhow::Result<()> {
    let buf = buf_binary(root)?;
    let cases = cases(&root.join("fixtures/lint"))?;
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = write_lint_expected(&buf, case) {
            failures.push(format!("{e:#}"));
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} lint case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    eprintln!(
        "corpus-expect: wrote expected.json for {} lint cases",
        cases.len()
    );
    Ok(())
}

fn write_lint_expected(buf: &Path, case: &Case) -> anyhow::Result<()> {
    let label = format!("{}/{}", case.rule, case.name);
    let fires = case.name.starts_with("fires-");
    if !fires && !case.name.starts_with("near-miss-") {
        bail!("{label}: a lint case name starts with fires- or near-miss-");
    }
    let output = Command::new(buf)
        .current_dir(&case.dir)
        .args(["lint", "--error-format", "json"])
        .output()
        .with_context(|| format!("cannot run {}", buf.display()))?;
    // buf exits 100 when it finds something, 0 when not; anything else is a failure.
    if !matches!(output.status.code(), Some(0) | Some(100)) {
        bail!(
            "{label}: buf lint failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let findings =
        parse_findings(&String::from_utf8_lossy(&output.stdout)).with_context(|| label.clone())?;
    let hits = findings
        .iter()
        .filter(|finding| finding["rule"] == case.rule.as_str())
        .count();
    if fires && hits == 0 {
        bail!("{label}: buf does not report {} here", case.rule);
    }
    if !fires && hits > 0 {
        bail!("{label}: a near miss, yet buf reports {}", case.rule);
    }
    let expected = json!({
        "buf_version": BUF_VERSION,
        "rule": case.rule,
        "kind": if fires { "fires" } else { "near miss" },
        "findings": findings,
    });
    let text = serde_json::to_string_pretty(&expected)? + "\n";
    std::fs::write(case.dir.join("expected.json"), text)
        .with_context(|| format!("{label}: cannot write expected.json"))
}
