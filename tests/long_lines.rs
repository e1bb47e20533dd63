//! Diagnostics on very long lines (minified or generated contracts): they render as an excerpt
//! around the column, with the right line and column, and never crash (miette's renderer
//! panicked with "Formatting argument out of range" on them).

use std::path::Path;
use std::process::Command;

mod common;

fn protogen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_protogen"))
}

/// Field numbers 1.. in order, skipping the range protobuf reserves.
fn field_numbers(count: usize) -> Vec<usize> {
    (1..)
        .filter(|n| !(19_000..=19_999).contains(n))
        .take(count)
        .collect()
}

fn write(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("a.proto"), text).unwrap();
}

/// The excerpt of a diagnostic: the source line after `1 | `, and the caret line under it.
fn excerpt(stderr_or_stdout: &str) -> (String, String) {
    let lines: Vec<&str> = stderr_or_stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("1 | "))
        .unwrap_or_else(|| panic!("no source line in:\n{stderr_or_stdout}"));
    let text = lines[at].split_once("1 | ").unwrap().1.to_string();
    let caret = lines[at + 1].split_once(" | ").unwrap().1.to_string();
    (text, caret)
}

/// What the caret points at in the excerpt, `len` characters of it.
fn pointed_at(text: &str, caret: &str, len: usize) -> String {
    let at = caret.chars().position(|c| c == '^').unwrap();
    text.chars().skip(at).take(len).collect()
}

#[test]
fn a_syntax_error_at_the_end_of_a_100_000_character_line_is_an_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!(
        "syntax = \"proto3\"; package a; message M {{ {} int32 x = 1; ",
        " ".repeat(100_000)
    );
    write(dir.path(), &format!("{prefix}bogus }}\n"));
    let (code, _, stderr) = common::run(
        protogen()
            .arg("check")
            .arg(dir.path())
            .arg("--against")
            .arg(dir.path()),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // protox points at the '}' after `bogus`.
    let column = prefix.chars().count() + "bogus ".len() + 1;
    assert!(
        stderr.contains(&format!("a.proto:1:{column}")),
        "want column {column}:\n{stderr}"
    );
    let (text, caret) = excerpt(&stderr);
    assert!(text.chars().count() < 120, "not cut: {} chars", text.len());
    assert!(text.starts_with('…'), "{text}");
    assert_eq!(pointed_at(&text, &caret, 1), "}");
    assert!(stderr.lines().all(|l| l.len() < 300), "a long line leaked");
}

#[test]
fn two_hundred_thousand_fields_on_one_line_render_errors_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let numbers = field_numbers(200_000);
    let fields = |changed: Option<usize>| -> String {
        numbers
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let ty = if Some(i) == changed {
                    "string"
                } else {
                    "int32"
                };
                format!("{ty} f{i} = {n};")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let head = "syntax = \"proto3\"; package a; message M { ";
    let old = dir.path().join("old");
    let new = dir.path().join("new");
    write(&old, &format!("{head}{} }}\n", fields(None)));
    write(&new, &format!("{head}{} }}\n", fields(Some(150_000))));

    // A finding on the long line: FIELD_SAME_TYPE points at the new type.
    let (code, stdout, stderr) =
        common::run(protogen().arg("check").arg(&new).arg("--against").arg(&old));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let new_text = std::fs::read_to_string(new.join("a.proto")).unwrap();
    let column = new_text.find("string f150000").unwrap() + 1;
    assert!(
        stdout.contains(&format!("a.proto:1:{column}")),
        "want column {column}:\n{stdout}"
    );
    let (text, caret) = excerpt(&stdout);
    assert!(text.chars().count() < 120, "not cut: {} chars", text.len());
    assert_eq!(pointed_at(&text, &caret, 6), "string");

    // An error on the long line: field number 1 used again at its very end. The reserved
    // range is not skipped here, so protox also reports a thousand reserved numbers: only
    // the first ones are shown.
    let broken = format!(
        "{head}{} int32 again = 1; }}\n",
        (0..200_000)
            .map(|i| format!("int32 f{i} = {};", i + 1))
            .collect::<Vec<_>>()
            .join(" ")
    );
    write(&old, &broken);
    let (code, _, stderr) =
        common::run(protogen().arg("check").arg(&new).arg("--against").arg(&old));
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("baseline"), "{stderr}");
    assert!(stderr.contains("more errors"), "{stderr}");
    assert!(
        stderr.lines().count() < 200,
        "{} lines",
        stderr.lines().count()
    );
    assert!(stderr.lines().all(|l| l.len() < 300), "a long line leaked");
}
