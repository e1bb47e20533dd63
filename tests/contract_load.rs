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

/// Options at every level land at their resolved paths in the source info, with the spans
/// of their declarations: protogen builds on a patched prost-reflect that rewrites option
/// locations in one pass (patches/prost-reflect), and buf's option locations come from them.
#[test]
fn option_locations_are_resolved_to_their_declarations() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("o.proto"),
        r#"syntax = "proto3";
package o.v1;
option java_package = "com.o.v1";
option go_package = "o/v1";
message M {
  option deprecated = true;
  string a = 1 [deprecated = true, json_name = "aa"];
  string b = 2 [(extra) = "x"];
}
enum E {
  option allow_alias = true;
  E_UNSPECIFIED = 0 [deprecated = true];
  E_OTHER = 0;
}
service S {
  option deprecated = true;
  rpc Get(M) returns (M) { option idempotency_level = NO_SIDE_EFFECTS; }
}
extend google.protobuf.FieldOptions { string extra = 50001; }
import "google/protobuf/descriptor.proto";
"#,
    )
    .unwrap();
    let contract = load(
        &Source::Dir(dir.path().into()),
        Side::Current,
        &LoadOptions::default(),
    )
    .unwrap();
    let file = contract.file("o.proto").unwrap();
    let locations = &file.source_code_info.as_ref().unwrap().location;
    let unresolved: Vec<_> = locations
        .iter()
        .filter(|l| l.path.contains(&999))
        .map(|l| &l.path)
        .collect();
    assert!(
        unresolved.is_empty(),
        "uninterpreted option paths left: {unresolved:?}"
    );
    // (path, line, column), 1-based, as reports print them.
    for (path, line, column) in [
        (&[8, 1][..], 3, 1),              // java_package
        (&[8, 11], 4, 1),                 // go_package
        (&[4, 0, 7, 3], 6, 3),            // message deprecated
        (&[4, 0, 2, 0, 8, 3], 7, 17),     // field a deprecated
        (&[4, 0, 2, 1, 8, 50001], 8, 17), // field b (extra)
        (&[5, 0, 3, 2], 11, 3),           // enum allow_alias
        (&[5, 0, 2, 0, 3, 1], 12, 22),    // enum value deprecated
        (&[6, 0, 3, 33], 16, 3),          // service deprecated
        (&[6, 0, 2, 0, 4, 34], 17, 28),   // method idempotency_level
    ] {
        let span = contract
            .span("o.proto", path)
            .unwrap_or_else(|| panic!("no location for {path:?}"));
        assert_eq!((span.line, span.column), (line, column), "{path:?}");
    }
}
