//! `protogen diff` between two real releases of Google's protos (google-proto-files 5.0.0 and
//! 6.0.1): its breaking section is exactly what `protogen check` reports for the same pair,
//! and its output is the same bytes on every run.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use assert_cmd::Command;
use serde_json::Value;

fn protogen(args: &[&std::ffi::OsStr]) -> Output {
    Command::cargo_bin("protogen")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

/// (rule, path, line, column, message) of each error finding.
type Key = (String, String, u64, u64, String);

fn key(finding: &Value) -> Key {
    (
        finding["rule"].as_str().unwrap().to_string(),
        finding["path"].as_str().unwrap().to_string(),
        finding["line"].as_u64().unwrap(),
        finding["column"].as_u64().unwrap(),
        finding["message"].as_str().unwrap().to_string(),
    )
}

fn errors<'a>(findings: impl Iterator<Item = &'a Value>) -> Vec<Key> {
    findings
        .filter(|f| f["severity"] == "error")
        .map(key)
        .collect()
}

fn diff(old: &Path, new: &Path, format: &str) -> Output {
    let output = protogen(&[
        "diff".as_ref(),
        old.as_os_str(),
        new.as_os_str(),
        "--path".as_ref(),
        new.as_os_str(),
        "--format".as_ref(),
        format.as_ref(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn google_protos_5_to_6_agrees_with_check_and_is_deterministic() {
    let (Some(old), Some(new)) = (
        common::google_protos("5.0.0"),
        common::google_protos("6.0.1"),
    ) else {
        return;
    };

    let started = Instant::now();
    let json = diff(&old, &new, "json");
    eprintln!(
        "protogen diff 5.0.0 → 6.0.1 (json): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let changelog: Value = serde_json::from_slice(&json.stdout).unwrap();
    let changes = changelog["changes"].as_array().unwrap();
    let attached = changes
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap());
    let unmatched = changelog["unmatched_findings"].as_array().unwrap();
    let mut from_diff = errors(attached.chain(unmatched));
    from_diff.sort();

    let check = protogen(&[
        "check".as_ref(),
        new.as_os_str(),
        "--against".as_ref(),
        old.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let mut from_check = errors(report["findings"].as_array().unwrap().iter());
    from_check.sort();

    // Thousands of breaks (buf finds 2,883 FILE findings for this pair), the same ones.
    assert!(from_check.len() > 2000, "{}", from_check.len());
    assert_eq!(from_diff.len(), from_check.len());
    let (d, c): (BTreeSet<_>, BTreeSet<_>) =
        (from_diff.iter().collect(), from_check.iter().collect());
    let only_diff: Vec<_> = d.difference(&c).take(5).collect();
    let only_check: Vec<_> = c.difference(&d).take(5).collect();
    assert!(
        only_diff.is_empty() && only_check.is_empty(),
        "diff only: {only_diff:?}\ncheck only: {only_check:?}"
    );
    assert_eq!(
        changelog["summary"]["breaking"].as_u64().unwrap() as usize,
        from_check.len()
    );
    // Nearly every finding sits on the change it judges, not in the unmatched list.
    let unmatched_errors = errors(unmatched.iter()).len();
    assert!(
        unmatched_errors * 100 < from_check.len(),
        "{unmatched_errors} unmatched"
    );
    assert!(changelog["summary"]["added"].as_u64().unwrap() > 100);

    let started = Instant::now();
    let first = diff(&old, &new, "markdown").stdout;
    eprintln!(
        "protogen diff 5.0.0 → 6.0.1 (markdown): {:.1} s, {} bytes",
        started.elapsed().as_secs_f64(),
        first.len()
    );
    let second = diff(&old, &new, "markdown").stdout;
    assert!(first == second, "two runs printed different Markdown");
    let text = String::from_utf8(first).unwrap();
    let summary = format!("**Contract changes:** {} breaking · ", from_check.len());
    assert!(
        text.starts_with(&summary),
        "{}",
        &text[..200.min(text.len())]
    );
    // It must fit in one GitHub comment (65,536 characters).
    assert!(text.len() < 65_536, "{}", text.len());
}
