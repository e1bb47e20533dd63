//! The contract loader: directories, git refs and descriptor sets, and its error messages.

use std::path::Path;
use std::process::Command;

use protogen::contract::{load, LoadOptions, Side, Source};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/proto"))
}

#[test]
fn loads_a_directory_with_imports_and_locations() {
    let contract = load(
        &Source::Dir(fixtures().into()),
        Side::Current,
        &LoadOptions::default(),
    )
    .unwrap();
    let names: Vec<_> = contract.files.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["orders/v1/orders.proto", "users/v1/users.proto"]);
    // message 2 of users.proto is User, declared on line 26, column 1.
    let span = contract.span("users/v1/users.proto", &[4, 2]).unwrap();
    assert_eq!((span.line, span.column), (26, 1));
}

#[test]
fn excludes_leave_files_out() {
    let options = LoadOptions {
        excludes: vec!["orders".into()],
        ..LoadOptions::default()
    };
    let contract = load(&Source::Dir(fixtures().into()), Side::Current, &options).unwrap();
    assert_eq!(contract.files.len(), 1);
}

#[test]
fn a_broken_proto_names_side_file_line_and_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.proto"),
        "syntax = \"proto3\";\nmessage A {\n  strin x = 1;\n}\n",
    )
    .unwrap();
    let err = load(
        &Source::Dir(dir.path().into()),
        Side::Baseline,
        &LoadOptions::default(),
    )
    .unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("baseline contract"), "{text}");
    assert!(text.contains("a.proto:3:"), "{text}");
    assert!(text.contains("strin x = 1;"), "{text}");
}

#[test]
fn reads_a_git_ref_without_touching_the_work_tree() {
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::create_dir(repo.path().join("proto")).unwrap();
    std::fs::write(
        repo.path().join("proto/a.proto"),
        "syntax = \"proto3\";\nmessage Old {}\n",
    )
    .unwrap();
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "one",
    ]);
    std::fs::write(
        repo.path().join("proto/a.proto"),
        "syntax = \"proto3\";\nmessage New {}\n",
    )
    .unwrap();

    let root = repo.path().join("proto");
    let source = Source::resolve("main", &root).unwrap();
    let old = load(&source, Side::Baseline, &LoadOptions::default()).unwrap();
    assert_eq!(old.files[0].message_type[0].name(), "Old");
    assert!(std::fs::read_to_string(root.join("a.proto"))
        .unwrap()
        .contains("New"));

    let err = Source::resolve("no-such-branch", &root).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a directory, a file or a commit"),
        "{err}"
    );
}
