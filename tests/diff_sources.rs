//! `protogen diff` with every kind of input: git refs (the common `diff origin/main HEAD`),
//! the working tree as the default NEW, and a FileDescriptorSet without source info.

use std::path::Path;

use assert_cmd::Command;
use prost::Message;

mod common;

use common::git;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn protogen(dir: &Path, args: &[&str]) -> String {
    let out = Command::cargo_bin("protogen")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const V1: &str =
    "syntax = \"proto3\";\npackage a.v1;\nmessage User {\n  string full_name = 1;\n}\n";
const V2: &str =
    "syntax = \"proto3\";\npackage a.v1;\nmessage User {\n  string display_name = 1;\n}\n";
const V3: &str = "syntax = \"proto3\";\npackage a.v1;\nmessage User {\n  string display_name = 1;\n}\nmessage Team {}\n";

#[test]
fn git_refs_and_the_working_tree() {
    let repo = tempfile::tempdir().unwrap();
    let repo = repo.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write(&repo.join("proto/a/v1/a.proto"), V1);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "v1"]);
    write(&repo.join("proto/a/v1/a.proto"), V2);
    git(repo, &["commit", "-q", "-am", "v2"]);
    // Uncommitted: only the working tree has Team.
    write(&repo.join("proto/a/v1/a.proto"), V3);

    let committed = protogen(repo, &["diff", "HEAD~1", "HEAD", "--path", "proto"]);
    assert!(
        committed.contains("field a.v1.User.full_name renamed to display_name"),
        "{committed}"
    );
    assert!(committed.contains("FIELD_SAME_NAME"), "{committed}");
    assert!(!committed.contains("Team"), "{committed}");

    let working = protogen(repo, &["diff", "HEAD", "--path", "proto"]);
    assert!(
        working.starts_with("Contract changes: 0 breaking · 1 added\n"),
        "{working}"
    );
    assert!(
        working.contains("message a.v1.Team added  a/v1/a.proto:6:1"),
        "{working}"
    );
}

#[test]
fn a_descriptor_set_without_source_info() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write(&dir.join("old/a/v1/a.proto"), V1);
    write(&dir.join("new/a/v1/a.proto"), V2);
    let set = protox::compile(["a/v1/a.proto"], [dir.join("old")]).unwrap();
    let mut set = set;
    for file in &mut set.file {
        file.source_code_info = None;
    }
    std::fs::write(dir.join("old.binpb"), set.encode_to_vec()).unwrap();

    let out = protogen(dir, &["diff", "old.binpb", "new", "--format", "markdown"]);
    assert!(out.starts_with("**Contract changes:** 2 breaking"), "{out}");
    assert!(
        out.contains("field `a.v1.User.full_name` renamed to `display_name`"),
        "{out}"
    );
}

#[test]
fn text_colour_only_when_asked() {
    use protogen::diff::{Change, ChangeKind, Changelog, ElementKind, JudgedChange, Section};
    use protogen::report::changelog_text::{render, Options};
    let changelog = Changelog {
        old: "old".into(),
        new: "new".into(),
        changes: vec![JudgedChange {
            section: Section::Added,
            change: Change {
                kind: ChangeKind::Added,
                element_kind: ElementKind::Message,
                element: "a.v1.Team".into(),
                old_element: None,
                aspect: protogen::diff::WHOLE,
                old: None,
                new: None,
                location: None,
                also: Vec::new(),
                event: None,
            },
            findings: Vec::new(),
            acknowledged: Vec::new(),
        }],
        unmatched_findings: Vec::new(),
        unmatched_acknowledged: Vec::new(),
    };
    let plain = render(&changelog, &Options { color: false });
    let coloured = render(&changelog, &Options { color: true });
    assert!(!plain.contains('\x1b'));
    assert!(
        coloured.contains("\x1b[32m+\x1b[0m message a.v1.Team added"),
        "{coloured:?}"
    );
    assert_eq!(
        plain,
        "Contract changes: 0 breaking · 1 added\n\nAdded (1)\n  + message a.v1.Team added\n"
    );
}
