//! `protogen build` against `buf build`: the same module gives the same FileDescriptorSet,
//! file for file after canonical ordering (by name), on the project's fixtures and Google's
//! protos 6.0.1; the JSON form is the binary form's protobuf JSON, as buf writes it.
//!
//! Where the images still differ (source info only) is written down in [`Gap`], counted and
//! printed; anything else fails the test.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;
use prost_types::source_code_info::Location;
use prost_types::{FileDescriptorProto, FileDescriptorSet};

/// The known differences, all in source info (the descriptors themselves are equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    /// The well-known types (`google/protobuf/*.proto`): protox takes prost-reflect's
    /// compiled-in copies, without source info, and of an older protobuf release
    /// (descriptor.proto and api.proto lack the editions-era fields of buf's copies).
    WellKnownTypes,
    /// A trailing comment followed on the next line by another comment: buf ends it before
    /// the line break (` required`), protox after (` required\n`).
    TrailingCommentEnd,
    /// The pseudo-options `[default = 3]` and `[json_name = "x"]`: buf spans `default = 3`,
    /// protox only `3` (for json_name both, as two locations); and protox records the
    /// brackets as the field's options though no option remains.
    PseudoOptionSpan,
    /// An option set to a message literal (`option (google.api.http) = { get: "..." };`):
    /// buf records a location for each field inside the literal and spans the option from its
    /// name to the closing brace; protox records the option only, spanning the statement.
    OptionLiteral,
    /// `rpc Get(A) returns (B) {}`: buf (as protoc) gives the method empty options for the
    /// empty braces, protox none.
    EmptyMethodOptions,
    /// Locations are the same but listed in another order (protox groups them by kind; buf
    /// lists them in source order).
    LocationOrder,
}

/// A well-known type protox compiles in (see [`Gap::WellKnownTypes`]), whose descriptor is not
/// compared; the language features' files (`google/protobuf/cpp_features.proto`, ...) are
/// compiled from the copies protogen carries, and compared as any other file.
fn compiled_in(name: &str) -> bool {
    name.starts_with("google/protobuf/") && !name.ends_with("_features.proto")
}

fn protogen(dir: &Path, out: &Path, extra: &[&str]) {
    let output = protogen_build_with(dir, out, extra);
    assert!(
        output.status.success(),
        "protogen build {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn buf_build(buf: &Path, dir: &Path, out: &Path, extra: &[&str]) {
    let output = Command::new(buf)
        .current_dir(dir)
        .args(["build", ".", "-o"])
        .arg(out)
        .args(extra)
        .output()
        .expect("buf runs");
    assert!(
        output.status.success(),
        "buf build {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn decode(path: &Path) -> FileDescriptorSet {
    FileDescriptorSet::decode(std::fs::read(path).unwrap().as_slice()).unwrap()
}

fn by_name(set: &FileDescriptorSet) -> BTreeMap<String, FileDescriptorProto> {
    set.file
        .iter()
        .map(|f| (f.name().to_string(), f.clone()))
        .collect()
}

/// Compares two images: the known gaps by kind, and every other difference spelled out.
fn compare(
    buf: &FileDescriptorSet,
    ours: &FileDescriptorSet,
) -> (BTreeMap<Gap, usize>, Vec<String>) {
    let (theirs, ours) = (by_name(buf), by_name(ours));
    let mut gaps: BTreeMap<Gap, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for name in theirs.keys().chain(ours.keys()).collect::<BTreeSet<_>>() {
        let (Some(a), Some(b)) = (theirs.get(name), ours.get(name)) else {
            let side = if theirs.contains_key(name) {
                "buf's"
            } else {
                "protogen's"
            };
            unexplained.push(format!("{name}: only in {side} image"));
            continue;
        };
        let (mut a, mut b) = (a.clone(), b.clone());
        let (sa, sb) = (a.source_code_info.take(), b.source_code_info.take());
        let empty = empty_method_options(&mut a).abs_diff(empty_method_options(&mut b));
        if empty > 0 {
            *gaps.entry(Gap::EmptyMethodOptions).or_default() += empty;
        }
        if a != b && !compiled_in(name) {
            unexplained.push(format!("{name}: {}", first_difference(&a, &b)));
        }
        match (sa, sb) {
            (Some(sa), Some(sb)) if sa != sb => source_info(
                name,
                &sa.location,
                &sb.location,
                &mut gaps,
                &mut unexplained,
            ),
            _ if name.starts_with("google/protobuf/") => {
                *gaps.entry(Gap::WellKnownTypes).or_default() += 1;
                continue;
            }
            (None, None) | (Some(_), Some(_)) => {}
            _ => unexplained.push(format!("{name}: source info on one side only")),
        }
    }
    (gaps, unexplained)
}

/// Leaves out empty method options; returns how many there were.
fn empty_method_options(file: &mut FileDescriptorProto) -> usize {
    let mut count = 0;
    for method in file.service.iter_mut().flat_map(|s| s.method.iter_mut()) {
        if method.options == Some(Default::default()) {
            method.options = None;
            count += 1;
        }
    }
    count
}

/// Sorts the differences between two files' locations into gaps; the rest is unexplained.
fn source_info(
    name: &str,
    theirs: &[Location],
    ours: &[Location],
    gaps: &mut BTreeMap<Gap, usize>,
    unexplained: &mut Vec<String>,
) {
    // Trailing comments compared without their line break (TrailingCommentEnd).
    let key = |l: &Location| {
        let mut l = l.clone();
        if let Some(c) = l.trailing_comments.as_mut() {
            c.truncate(c.trim_end_matches('\n').len());
        }
        format!("{l:?}")
    };
    let ends = |ls: &[Location]| -> BTreeSet<String> {
        ls.iter()
            .filter_map(|l| {
                l.trailing_comments
                    .as_ref()
                    .map(|c| format!("{:?}{c}", l.path))
            })
            .collect()
    };
    let ends = ends(theirs).symmetric_difference(&ends(ours)).count() / 2;
    if ends > 0 {
        *gaps.entry(Gap::TrailingCommentEnd).or_default() += ends;
    }
    let (a, b): (BTreeSet<String>, BTreeSet<String>) = (
        theirs.iter().map(key).collect(),
        ours.iter().map(key).collect(),
    );
    if a == b {
        if !theirs.iter().map(key).eq(ours.iter().map(key)) {
            *gaps.entry(Gap::LocationOrder).or_default() += 1;
        }
        return;
    }
    let our_paths: BTreeSet<&[i32]> = ours.iter().map(|l| l.path.as_slice()).collect();
    let their_paths: BTreeSet<&[i32]> = theirs.iter().map(|l| l.path.as_slice()).collect();
    let only = |from: &[Location], other: &BTreeSet<String>| -> Vec<Location> {
        from.iter()
            .filter(|l| !other.contains(&key(l)))
            .cloned()
            .collect()
    };
    for l in only(theirs, &b) {
        let gap = if our_paths.contains(l.path.as_slice()) && is_pseudo_option(&l.path) {
            Some(Gap::PseudoOptionSpan)
        } else if option_literal(&l.path, &our_paths) {
            Some(Gap::OptionLiteral)
        } else {
            None
        };
        match gap {
            Some(gap) => *gaps.entry(gap).or_default() += 1,
            None => unexplained.push(format!("{name}: only buf has {l:?}")),
        }
    }
    for l in only(ours, &a) {
        let respanned = their_paths.contains(l.path.as_slice())
            && (is_pseudo_option(&l.path) || l.path.last().is_some_and(|n| *n >= 1000));
        let default_brackets = is_field_part(&l.path, 8) && {
            let mut pseudo = l.path.clone();
            [7, 10].iter().any(|part| {
                *pseudo.last_mut().unwrap() = *part;
                their_paths.contains(pseudo.as_slice())
            })
        };
        if !respanned && !default_brackets {
            unexplained.push(format!("{name}: only protogen has {l:?}"));
        }
    }
}

/// A field's (or extension's) `default_value` or `json_name` (fields 7 and 10 of
/// FieldDescriptorProto).
fn is_pseudo_option(path: &[i32]) -> bool {
    is_field_part(path, 7) || is_field_part(path, 10)
}

/// Field `part` of a field or an extension (`[..., 2 or 6, index, part]`).
fn is_field_part(path: &[i32], part: i32) -> bool {
    let n = path.len();
    n >= 3 && path[n - 1] == part && (path[n - 3] == 2 || path[n - 3] == 6)
}

/// A custom option's location (a number of 1000 or more) that protox records too, or one
/// below it; or a location inside a field's option set to a literal (`feature_support = {
/// ... }` in the language features' files).
fn option_literal(path: &[i32], ours: &BTreeSet<&[i32]>) -> bool {
    (1..=path.len()).any(|n| {
        let literal = n < path.len() && n > 1 && {
            let p = &path[..n - 1];
            let m = p.len();
            // A field's options, or an enum value's (`[4 or 5, .., 2, j, 3]`).
            is_field_part(p, 8)
                || (m >= 5 && p[m - 1] == 3 && p[m - 3] == 2 && matches!(p[m - 5], 4 | 5))
        };
        (path[n - 1] >= 1000 || literal) && ours.contains(&path[..n])
    })
}

/// The first line where the two values' debug forms differ, with the line before it.
fn first_difference<T: std::fmt::Debug>(a: &T, b: &T) -> String {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    format!(
        "after `{}`: buf `{}`, protogen `{}`",
        a.get(at.saturating_sub(1)).map_or("", |l| l.trim()),
        a.get(at).map_or("<end>", |l| l.trim()),
        b.get(at).map_or("<end>", |l| l.trim())
    )
}

/// The editions files' edition, features by number and `import option` files (prost-types
/// drops them, and the JSON form names enum values, so a value numbered differently would
/// print the same).
fn editions_differences(buf: &Path, ours: &Path) -> Vec<String> {
    use protogen::contract::features::EditionsSet;
    let read = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        let names = decode(path).file.into_iter().map(|f| f.name().to_string());
        let skeletons = EditionsSet::decode(bytes.as_slice()).unwrap().file;
        names.zip(skeletons).collect::<BTreeMap<_, _>>()
    };
    let (theirs, ours) = (read(buf), read(ours));
    theirs
        .iter()
        .filter(|(name, f)| f.edition.is_some() && !name.starts_with("google/protobuf/"))
        .filter(|(name, f)| ours.get(*name) != Some(f))
        .map(|(name, f)| {
            format!(
                "{name}: editions features differ\n  buf      {f:?}\n  protogen {:?}",
                ours.get(name)
            )
        })
        .collect()
}

/// A JSON image's files by name, without buf's own extension (`bufExtension`: is_import,
/// ...) and with empty method options left out (EmptyMethodOptions).
fn json_files(path: &Path) -> BTreeMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["file"]
        .as_array()
        .expect("a JSON image has a file array")
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("bufExtension");
            for service in f["service"].as_array_mut().into_iter().flatten() {
                for method in service["method"].as_array_mut().into_iter().flatten() {
                    let method = method.as_object_mut().unwrap();
                    if method
                        .get("options")
                        .is_some_and(|o| o.as_object().is_some_and(|o| o.is_empty()))
                    {
                        method.remove("options");
                    }
                }
            }
            (f["name"].as_str().unwrap().to_string(), f)
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("build_differential")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds `dir` with both tools (imports and source info included, as by default) and
/// requires the images to differ only by the known gaps; returns their counts.
fn same_image(buf: &Path, dir: &Path, label: &str) -> BTreeMap<Gap, usize> {
    let out = scratch(label);
    // One core each.
    std::thread::scope(|scope| {
        scope.spawn(|| buf_build(buf, dir, &out.join("buf.binpb"), &[]));
        protogen(dir, &out.join("protogen.binpb"), &[]);
    });
    let (theirs, ours) = (
        decode(&out.join("buf.binpb")),
        decode(&out.join("protogen.binpb")),
    );
    let (gaps, mut unexplained) = compare(&theirs, &ours);
    unexplained.extend(editions_differences(
        &out.join("buf.binpb"),
        &out.join("protogen.binpb"),
    ));
    println!("{label}: {} files, known gaps {gaps:?}", theirs.file.len());
    assert!(
        unexplained.is_empty(),
        "{label}: protogen build differs from buf build in {} places:\n{}",
        unexplained.len(),
        unexplained
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Option values (extensions such as google.api.http, which prost-types drops when
    // decoding the binary images above) compared in the JSON form, source info aside.
    std::thread::scope(|scope| {
        scope.spawn(|| buf_build(buf, dir, &out.join("buf.json"), &["--exclude-source-info"]));
        protogen(dir, &out.join("protogen.json"), &["--exclude-source-info"]);
    });
    let (theirs_json, ours_json) = (
        json_files(&out.join("buf.json")),
        json_files(&out.join("protogen.json")),
    );
    let differing: Vec<&String> = theirs_json
        .keys()
        .filter(|name| !compiled_in(name))
        .filter(|name| theirs_json.get(*name) != ours_json.get(*name))
        .collect();
    assert!(
        differing.is_empty(),
        "{label}: the JSON images differ in {} files, first {}:\nbuf      {}\nprotogen {}",
        differing.len(),
        differing[0],
        theirs_json[differing[0]],
        ours_json
            .get(differing[0])
            .unwrap_or(&serde_json::Value::Null)
    );
    // Each file after the files it imports, as buf writes them.
    let position: BTreeMap<&str, usize> = ours
        .file
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name(), i))
        .collect();
    let skeletons = protogen::contract::features::EditionsSet::decode(
        std::fs::read(out.join("protogen.binpb"))
            .unwrap()
            .as_slice(),
    )
    .unwrap()
    .file;
    for (i, (file, skeleton)) in ours.file.iter().zip(&skeletons).enumerate() {
        // And after its `import option` files.
        for dep in file.dependency.iter().chain(&skeleton.option_dependency) {
            assert!(
                position[dep.as_str()] < i,
                "{label}: {} before its import {dep}",
                file.name()
            );
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
    gaps
}

#[test]
fn fixtures_build_as_buf_builds_them() {
    let Some(buf) = common::native_buf() else {
        return;
    };
    let root = common::project_root().join("fixtures");
    // The project's contracts; modules laid out by configuration: v1beta1 roots with an
    // excluded broken file, a buf.work.yaml workspace, a buf.yaml v2 with several modules;
    // custom options set to inf and nan; editions 2023 and 2024 (every feature, `import
    // option`, and protobuf's own edition 2024 test protos).
    for case in [
        "proto",
        "edge",
        "events",
        "breaking/FILE_NO_DELETE/near-miss-v1beta1-roots/current",
        "breaking/FILE_SAME_PACKAGE/breaks-buf-work-yaml/current",
        "breaking/FIELD_NO_DELETE/breaks-v2-modules/current",
        "compile/float-options",
        "compile/editions",
    ] {
        let gaps = same_image(&buf, &root.join(case), &case.replace('/', "_"));
        // The fixtures set no option to a message literal (protobuf's test protos do).
        assert!(
            case == "compile/editions" || gaps.keys().all(|g| *g != Gap::OptionLiteral),
            "{case}: {gaps:?}"
        );
    }
}

#[test]
fn google_protos_build_as_buf_builds_them() {
    let Some(buf) = common::native_buf() else {
        return;
    };
    let Some(dir) = common::google_protos("6.0.1") else {
        return;
    };
    same_image(&buf, &dir, "google-6.0.1");
}

/// `--exclude-imports` and `--exclude-source-info` leave out what buf leaves out; `.json`
/// is the protobuf JSON form of the same image, as buf writes it.
#[test]
fn flags_and_json_match_buf() {
    let Some(buf) = common::native_buf() else {
        return;
    };
    let dir = common::project_root().join("fixtures/edge");
    let out = scratch("flags");
    let flags = ["--exclude-imports", "--exclude-source-info"];
    buf_build(&buf, &dir, &out.join("buf.binpb"), &flags);
    protogen(&dir, &out.join("protogen.binpb"), &flags);
    let (theirs, ours) = (
        decode(&out.join("buf.binpb")),
        decode(&out.join("protogen.binpb")),
    );
    assert!(ours.file.iter().all(|f| f.source_code_info.is_none()));
    assert_eq!(by_name(&theirs), by_name(&ours));
    assert!(
        !ours
            .file
            .iter()
            .any(|f| f.name().starts_with("google/protobuf/")),
        "--exclude-imports kept the well-known types"
    );

    // JSON with imports: the same image as buf's JSON, file for file (source info left out:
    // see Gap), the well-known types aside.
    buf_build(
        &buf,
        &dir,
        &out.join("buf.json"),
        &["--exclude-source-info"],
    );
    protogen(&dir, &out.join("protogen.json"), &["--exclude-source-info"]);
    let (theirs, ours) = (
        json_files(&out.join("buf.json")),
        json_files(&out.join("protogen.json")),
    );
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>()
    );
    for (name, file) in &theirs {
        if !compiled_in(name) {
            assert_eq!(file, &ours[name], "{name}");
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
}

/// Bad input is exit 2 with a message naming it, and nothing is written.
#[test]
fn bad_input_is_exit_2() {
    let work = tempfile::tempdir().unwrap();
    let broken = work.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("a.proto"),
        "syntax = \"proto3\";\nmessage A { int32 = 1; }\n",
    )
    .unwrap();
    let out = work.path().join("image.binpb");
    let compiled = protogen_build(&broken, &out);
    assert_eq!(compiled.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&compiled.stderr).contains("a.proto:2:"));
    assert!(!out.exists(), "a failed build wrote {}", out.display());

    // Two fields with one custom JSON name: an error even in proto2, as in protoc and buf
    // (only conflicts involving a default JSON name are allowed there).
    let json_names = work.path().join("json-names");
    std::fs::create_dir_all(&json_names).unwrap();
    std::fs::write(
        json_names.join("j.proto"),
        "syntax = \"proto2\";\nmessage M {\n  optional string a = 1 [json_name = \"x\"];\n  optional string b = 2 [json_name = \"x\"];\n}\n",
    )
    .unwrap();
    let refused = protogen_build(&json_names, &out);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("JSON name 'x' is already defined"));

    let missing = protogen_build(&work.path().join("nowhere"), &out);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("is not a directory"));

    // An output named like a source file is refused, and the file kept.
    std::fs::write(
        broken.join("a.proto"),
        "syntax = \"proto3\";\nmessage A {}\n",
    )
    .unwrap();
    let refused = protogen_build(&broken, &broken.join("a.proto"));
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(broken.join("a.proto")).unwrap(),
        "syntax = \"proto3\";\nmessage A {}\n"
    );
    assert!(protogen_build(&broken, &out).status.success());
    assert!(!decode(&out).file.is_empty());
}

/// protoc's rules of editions files (each case the body of an edition 2023 file, or 2024's
/// when named `2024-...`, and what protogen's message says): exit 2, and buf refuses the
/// same file. buf accepts one protoc
/// refuses (`presence-default`, protoc: "Implicit presence fields can't specify defaults"),
/// where protogen follows protoc. buf lets a service or a method set a feature that does not
/// target it (e.g. `features.field_presence`), and so does protogen.
const EDITIONS_REFUSED: &[(&str, &str, &str)] = &[
    (
        "optional",
        r#"message M { optional int32 a = 1; }"#,
        "label 'optional' is not supported in editions",
    ),
    (
        "required",
        r#"message M { required int32 a = 1; }"#,
        "label 'required' is not supported in editions",
    ),
    (
        "group",
        r#"message M { repeated group G = 1 { int32 a = 2; } }"#,
        "group syntax is not supported in editions",
    ),
    (
        "presence-repeated",
        r#"message M { repeated int32 a = 1 [features.field_presence = EXPLICIT]; }"#,
        "repeated fields cannot set features.field_presence",
    ),
    (
        "presence-message",
        r#"message M { M a = 1 [features.field_presence = IMPLICIT]; }"#,
        "message fields cannot have implicit presence",
    ),
    (
        "presence-oneof",
        r#"message M { oneof o { int32 a = 1 [features.field_presence = EXPLICIT]; } }"#,
        "fields of a oneof cannot set features.field_presence",
    ),
    (
        "presence-default",
        r#"message M { int32 a = 1 [features.field_presence = IMPLICIT, default = 3]; }"#,
        "implicit presence cannot have a default",
    ),
    (
        "encoding-singular",
        r#"message M { int32 a = 1 [features.repeated_field_encoding = EXPANDED]; }"#,
        "only repeated fields of scalar types",
    ),
    (
        "delimited-scalar",
        r#"message M { int32 a = 1 [features.message_encoding = DELIMITED]; }"#,
        "only message fields can set features.message_encoding",
    ),
    (
        "utf8-int",
        r#"message M { int32 a = 1 [features.utf8_validation = NONE]; }"#,
        "only string fields can set features.utf8_validation",
    ),
    (
        "misplaced",
        r#"message M { option features.field_presence = IMPLICIT; int32 a = 1; }"#,
        "unsupported option target for `field_presence`",
    ),
    (
        "closed-implicit",
        r#"enum E { option features.enum_type = CLOSED; E_ONE = 1; } message M { E e = 1 [features.field_presence = IMPLICIT]; }"#,
        "a closed enum cannot be the type of a field with implicit presence",
    ),
    (
        "open-nonzero",
        r#"enum E { E_ONE = 1; }"#,
        "the first value of an open enum must be 0",
    ),
    (
        "reserved-string",
        r#"message M { reserved "a"; }"#,
        "reserved names must be identifiers in editions",
    ),
    (
        "packed",
        r#"message M { repeated int32 a = 1 [packed = true]; }"#,
        "the `packed` option is not allowed in editions",
    ),
    (
        "json-conflict",
        r#"message M { int32 foo_bar = 1; int32 fooBar = 2; }"#,
        "conflicts with field",
    ),
    (
        "java-check-utf8",
        r#"option java_string_check_utf8 = true;"#,
        "cannot set `java_string_check_utf8` in editions mode",
    ),
    (
        "2024-ctype",
        r#"message M { string s = 1 [ctype = CORD]; }"#,
        "`ctype` is not supported in Edition 2024",
    ),
    (
        "2024-java-multiple-files",
        r#"option java_multiple_files = true;"#,
        "`java_multiple_files` is not supported in Edition 2024",
    ),
    // Language features: only where their `targets` allow, from the edition that introduced
    // them.
    (
        "language-target-enum",
        r#"import "google/protobuf/cpp_features.proto"; enum E { option features.(pb.cpp).legacy_closed_enum = true; E_ZERO = 0; }"#,
        "unsupported option target for `legacy_closed_enum`",
    ),
    (
        "2024-language-target-file",
        r#"import "google/protobuf/java_features.proto"; option features.(pb.java).nest_in_file_class = YES;"#,
        "unsupported option target for `nest_in_file_class`",
    ),
    (
        "language-introduced-2024",
        r#"import "google/protobuf/go_features.proto"; option features.(pb.go).strip_enum_prefix = STRIP_ENUM_PREFIX_STRIP;"#,
        "`strip_enum_prefix` is not supported in Edition 2023",
    ),
    (
        "visibility-2023",
        r#"option features.default_symbol_visibility = EXPORT_ALL;"#,
        "`default_symbol_visibility` is not supported in Edition 2023",
    ),
    (
        "unknown-value",
        r#"message M { int32 a = 1 [features.field_presence = FIELD_PRESENCE_UNKNOWN]; }"#,
        "feature field `field_presence` must resolve to a known value",
    ),
    (
        "naming-style-2023",
        r#"message M { int32 a = 1 [features.enforce_naming_style = STYLE_LEGACY]; }"#,
        "`enforce_naming_style` is not supported in Edition 2023",
    ),
    (
        "naming-style-2023-extension-range",
        r#"message M { extensions 100 to 200 [features.enforce_naming_style = STYLE_LEGACY]; }"#,
        "`enforce_naming_style` is not supported in Edition 2023",
    ),
    (
        "2024-visibility-message",
        r#"message M { option features.default_symbol_visibility = STRICT; }"#,
        "unsupported option target for `default_symbol_visibility`",
    ),
    (
        "2024-enum-value-target",
        r#"enum E { E_ZERO = 0 [features.enum_type = OPEN]; }"#,
        "unsupported option target for `enum_type`",
    ),
];

/// The cases of [`EDITIONS_REFUSED`] whose message is buf's, word for word (the others say
/// what protoc or protox says).
const IN_BUFS_WORDS: &[&str] = &[
    "misplaced",
    "language-target-enum",
    "2024-language-target-file",
    "language-introduced-2024",
    "visibility-2023",
    "unknown-value",
    "naming-style-2023",
    "naming-style-2023-extension-range",
    "2024-visibility-message",
    "2024-enum-value-target",
];

/// Edition 2024's symbol visibility across files (`a.proto` declares, `b.proto` refers):
/// nested types are local to their file by default, every type under LOCAL_ALL; buf refuses
/// the reference, and so does protogen (exit 2, naming it).
#[test]
fn edition_2024_local_symbols_are_refused_across_files() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let cases = [
        (
            "",
            "Pub.Inner",
            "found unexported message type `v.Pub.Inner`",
        ),
        ("", "Pub.Kind", "found unexported enum type `v.Pub.Kind`"),
        (
            "option features.default_symbol_visibility = LOCAL_ALL;",
            "Pub",
            "found unexported message type `v.Pub`",
        ),
    ];
    for (i, (option, used, message)) in cases.iter().enumerate() {
        let dir = buf_module(work.path().join(i.to_string()));
        std::fs::write(
            dir.join("a.proto"),
            format!(
                "edition = \"2024\";\npackage v;\n{option}\nmessage Pub {{ message Inner {{}} enum Kind {{ KIND_UNSPECIFIED = 0; }} }}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("b.proto"),
            format!("edition = \"2023\";\npackage v;\nimport \"a.proto\";\nmessage U {{ {used} u = 1; }}\n"),
        )
        .unwrap();
        let refused = protogen_build(&dir, &dir.join("image.binpb"));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{used}: {stderr}");
        assert!(
            stderr.contains(message) && stderr.contains("b.proto:4:"),
            "{stderr}"
        );
        if let Some(buf) = buf.as_deref() {
            let theirs = Command::new(buf)
                .current_dir(&dir)
                .args(["build", "-o", "/dev/null"])
                .output()
                .expect("buf runs");
            assert!(
                String::from_utf8_lossy(&theirs.stderr).contains(message),
                "{used}: buf says {}",
                String::from_utf8_lossy(&theirs.stderr)
            );
        }
    }
}

#[test]
fn editions_rules_refuse_what_buf_refuses() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    for (name, body, message) in EDITIONS_REFUSED {
        // Each case is an edition 2023 file, but those named `2024-...`.
        let edition = if name.starts_with("2024-") {
            "2024"
        } else {
            "2023"
        };
        let dir = buf_module(work.path().join(name));
        std::fs::write(
            dir.join("e.proto"),
            format!("edition = \"{edition}\";\npackage p;\n{body}\n"),
        )
        .unwrap();
        let refused = protogen_build(&dir, &dir.join("image.binpb"));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(message) && stderr.contains("e.proto:3:"),
            "{name}: {stderr}"
        );
        assert!(!dir.join("image.binpb").exists());
        if let Some(buf) = buf.as_deref().filter(|_| *name != "presence-default") {
            let theirs = Command::new(buf)
                .current_dir(&dir)
                .args(["build", "-o", "/dev/null"])
                .output()
                .expect("buf runs");
            assert!(!theirs.status.success(), "{name}: buf accepts it");
            let theirs = String::from_utf8_lossy(&theirs.stderr);
            assert!(
                !IN_BUFS_WORDS.contains(name) || theirs.contains(message),
                "{name}: buf says {theirs}"
            );
        }
    }
    // An unknown edition is named as such.
    let dir = work.path().join("unknown");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("e.proto"), "edition = \"2022\";\n").unwrap();
    let refused = protogen_build(&dir, &dir.join("image.binpb"));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown edition '2022'"));
}

/// Edition 2024's `import option` refused where buf refuses it, with buf's words: its
/// symbols used outside options (as a field type, a method's input, an extendee), in an
/// earlier edition or in proto3, a plain import after it, and 2024's `import weak`; a missing
/// or repeated option import as a plain one (in protogen's words). (The fixture
/// features/v1/import_option_2024.proto is the accepted case.)
#[test]
fn import_option_is_refused_where_buf_refuses_it() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let cases = [
        (
            "edition = \"2024\";\nimport option \"o.proto\";\nmessage A { o.Opt m = 1; }",
            "`o.Opt` is only imported for use in options",
            "a.proto:3:13",
            None,
        ),
        (
            "edition = \"2024\";\nimport option \"o.proto\";\nservice S { rpc M(o.Opt) returns (A); }\nmessage A {}",
            "`o.Opt` is only imported for use in options",
            "a.proto:3:19",
            None,
        ),
        (
            "edition = \"2024\";\nimport option \"o.proto\";\nextend o.Opt { int32 e = 5; }",
            "`o.Opt` is only imported for use in options",
            "a.proto:3:8",
            None,
        ),
        (
            "edition = \"2023\";\nimport option \"o.proto\";",
            "`import option` is not supported in Edition 2023",
            "a.proto:2:8",
            None,
        ),
        (
            "syntax = \"proto3\";\nimport option \"o.proto\";",
            "`import option` is not supported in \"proto3\"",
            "a.proto:2:8",
            None,
        ),
        (
            "edition = \"2024\";\nimport option \"o.proto\";\nimport \"google/protobuf/descriptor.proto\";",
            "import after `import option`",
            "a.proto:3:1",
            None,
        ),
        (
            "edition = \"2024\";\nimport weak \"o.proto\";",
            "`import weak` is not supported in Edition 2024",
            "a.proto:2:8",
            None,
        ),
        // Where protogen keeps the words it has for plain imports.
        (
            "edition = \"2024\";\nimport option \"missing.proto\";",
            "import 'missing.proto' not found",
            "a.proto:2:1",
            Some("imported file does not exist"),
        ),
        (
            "edition = \"2024\";\nimport \"o.proto\";\nimport option \"o.proto\";",
            "import 'o.proto' was listed twice",
            "a.proto:3:1",
            Some("file imported multiple times"),
        ),
    ];
    for (i, (body, message, at, theirs)) in cases.iter().enumerate() {
        let dir = buf_module(work.path().join(i.to_string()));
        std::fs::write(
            dir.join("o.proto"),
            "edition = \"2024\";\npackage o;\nimport \"google/protobuf/descriptor.proto\";\n\
             message Opt { int32 x = 1; }\n\
             extend google.protobuf.MessageOptions { Opt opt = 50001; }\n",
        )
        .unwrap();
        std::fs::write(dir.join("a.proto"), format!("{body}\n")).unwrap();
        let refused = protogen_build(&dir, &dir.join("image.binpb"));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{body}: {stderr}");
        assert!(
            stderr.contains(message) && stderr.contains(at),
            "{body}: {stderr}"
        );
        if let Some(buf) = buf.as_deref() {
            let output = Command::new(buf)
                .current_dir(&dir)
                .args(["build", "-o", "/dev/null"])
                .output()
                .expect("buf runs");
            let expected = format!("{at}:{}", theirs.unwrap_or(message));
            let said = String::from_utf8_lossy(&output.stderr);
            assert!(said.contains(&expected), "{body}: buf says {said}");
        }
    }
}

/// Edition 2024's `export` / `local` as buf reads them: an explicit `local` hides a top-level
/// message from other files (the fixtures' visibility_explicit_2024.proto holds `export` and
/// the descriptors' `visibility`), and both keywords are refused before 2024 with protoc's
/// message.
#[test]
fn edition_2024_export_and_local_as_buf() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let cases = [
        (
            "2024",
            "local message Pub {}",
            "message U { Pub u = 1; }",
            "found unexported message type `v.Pub`",
            "b.proto:4:",
        ),
        (
            "2023",
            "export message Pub {}",
            "",
            "`export` is not supported in Edition 2023",
            "a.proto:3:",
        ),
        (
            "2023",
            "message Pub { local enum E { E_UNSPECIFIED = 0; } }",
            "",
            "`local` is not supported in Edition 2023",
            "a.proto:3:",
        ),
    ];
    for (i, (edition, declared, user, message, at)) in cases.iter().enumerate() {
        let dir = buf_module(work.path().join(i.to_string()));
        std::fs::write(
            dir.join("a.proto"),
            format!("edition = \"{edition}\";\npackage v;\n{declared}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join("b.proto"),
            format!("edition = \"2024\";\npackage v;\nimport \"a.proto\";\n{user}\n"),
        )
        .unwrap();
        let refused = protogen_build(&dir, &dir.join("image.binpb"));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{declared}: {stderr}");
        assert!(stderr.contains(message) && stderr.contains(at), "{stderr}");
        if let Some(buf) = buf.as_deref() {
            let theirs = Command::new(buf)
                .current_dir(&dir)
                .args(["build", "-o", "/dev/null"])
                .output()
                .expect("buf runs");
            assert!(
                String::from_utf8_lossy(&theirs.stderr).contains(message),
                "{declared}: buf says {}",
                String::from_utf8_lossy(&theirs.stderr)
            );
        }
    }
}

/// Edition 2024's naming style (`features.enforce_naming_style = STYLE2024`, the default): a
/// name of each kind that breaks it, each refused with buf's words at its name, as buf refuses
/// them; a scope that sets STYLE_LEGACY lets its elements through and STYLE2024 inside it
/// turns the check on again. (fixtures/compile/editions' naming_style_2024.proto is the near
/// miss, held to buf's image.)
#[test]
fn edition_2024_naming_style_as_buf() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let dir = &buf_module(work.path().to_path_buf());
    std::fs::write(
        dir.join("a.proto"),
        r#"edition = "2024";
package Bad.v1;
message my_message {
  int32 fooBar = 1;
  int32 field_1 = 2;
  oneof Choice { string _first = 3; }
  extensions 100 to 200;
  message Legacy {
    option features.enforce_naming_style = STYLE_LEGACY;
    int32 Ok_Here = 1;
    int32 Again = 2 [features.enforce_naming_style = STYLE2024];
  }
}
extend my_message { int32 badExt = 100; }
enum my_enum { unspecified = 0; VALUE_1 = 1; GOOD_VALUE = 2; }
service my_service { rpc get_thing(my_message) returns (my_message); }
"#,
    )
    .unwrap();
    let expected: std::collections::BTreeSet<String> = [
        ("package name should be lower_snake_case", "2:9"),
        ("message type name should be PascalCase", "3:9"),
        ("field name should be snake_case", "4:9"),
        ("field name should be snake_case", "5:9"),
        ("oneof name should be snake_case", "6:9"),
        ("field name should be snake_case", "6:25"),
        ("field name should be snake_case", "11:11"),
        ("extension name should be snake_case", "14:27"),
        ("enum type name should be PascalCase", "15:6"),
        ("enum value name should be SCREAMING_SNAKE_CASE", "15:16"),
        ("enum value name should be SCREAMING_SNAKE_CASE", "15:33"),
        ("service name should be PascalCase", "16:9"),
        ("RPC method name should be PascalCase", "16:26"),
    ]
    .into_iter()
    .map(|(message, at)| format!("a.proto:{at}: {message}"))
    .collect();
    assert_eq!(protogen_errors(dir), expected);
    if let Some(buf) = buf.as_deref() {
        assert_eq!(buf_errors(buf, dir), expected);
    }
}

/// `features` in a proto2 or proto3 file: buf refuses each option that sets them and each
/// feature so set, and so does protogen, with buf's words at buf's places (a language feature
/// named by its field; one `features` error for an option that sets two).
#[test]
fn features_outside_editions_as_buf() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let cases: [(&str, &[(&str, &str)]); 3] = [
        (
            "syntax = \"proto3\";\npackage p;\noption features.field_presence = EXPLICIT;\n\
             message M { oneof o { int32 a = 1; } }\nenum E { option features.enum_type = OPEN; E_ZERO = 0; }\n",
            &[
                ("`features` cannot be set in \"proto3\"", "3:8"),
                ("`field_presence` is not supported in \"proto3\"", "3:8"),
                ("`features` cannot be set in \"proto3\"", "5:17"),
                ("`enum_type` is not supported in \"proto3\"", "5:17"),
            ],
        ),
        (
            "syntax = \"proto2\";\npackage p;\nmessage M {\n  optional int32 a = 1 [features.field_presence = EXPLICIT];\n}\n",
            &[
                ("`features` cannot be set in \"proto2\"", "4:25"),
                ("`field_presence` is not supported in \"proto2\"", "4:25"),
            ],
        ),
        (
            "syntax = \"proto3\";\npackage p;\nimport \"google/protobuf/cpp_features.proto\";\n\
             message M { string s = 1 [features.(pb.cpp).string_type = VIEW]; }\n",
            &[
                ("`features` cannot be set in \"proto3\"", "4:27"),
                ("`string_type` is not supported in \"proto3\"", "4:27"),
            ],
        ),
    ];
    for (i, (file, expected)) in cases.into_iter().enumerate() {
        let dir = buf_module(work.path().join(i.to_string()));
        std::fs::write(dir.join("a.proto"), file).unwrap();
        let expected: std::collections::BTreeSet<String> = expected
            .iter()
            .map(|(message, at)| format!("a.proto:{at}: {message}"))
            .collect();
        assert_eq!(protogen_errors(&dir), expected, "{file}");
        if let Some(buf) = buf.as_deref() {
            assert_eq!(buf_errors(buf, &dir), expected, "{file}");
        }
    }
}

/// Edition 2024's STRICT visibility, as protoc's SymbolChecker and buf: a nested message may
/// not be written `export`, a nested enum only directly in a top-level local message whose one
/// reserved range is `1 to max`. Refused with buf's words at buf's line and column (the
/// `export` keyword); the near misses compile.
#[test]
fn edition_2024_strict_nested_exports_as_buf() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let enum_k = "export enum K { K_UNSPECIFIED = 0; }";
    let cases: Vec<(String, &[&str])> = vec![
        (
            "message O {\n  export message M {}\n}".into(),
            &["5: nested message type marked as exported"],
        ),
        (
            format!("message O {{\n  reserved 1 to 10;\n  {enum_k}\n}}"),
            &["6: message type `p.O` does not reserve all field numbers"],
        ),
        (
            format!("message O {{\n  reserved 1 to 9, 10 to max;\n  {enum_k}\n}}"),
            &["6: expected exactly one reserved range"],
        ),
        (
            format!("message O {{\n  reserved 1 to max;\n  message M {{\n    {enum_k}\n  }}\n}}"),
            &["7: nested enum type marked as exported"],
        ),
        (
            format!("export message O {{\n  reserved 1 to max;\n  {enum_k}\n}}"),
            &["6: nested enum type marked as exported"],
        ),
        // Near misses: the C++ namespace exception, and nested types left local.
        (
            format!("message O {{\n  reserved 1 to max;\n  {enum_k}\n}}"),
            &[],
        ),
        (
            format!("local message O {{\n  reserved 1 to max;\n  {enum_k}\n}}"),
            &[],
        ),
        (
            "message O {\n  message M {}\n  local message N {}\n}".into(),
            &[],
        ),
    ];
    for (i, (body, expected)) in cases.iter().enumerate() {
        let dir = buf_module(work.path().join(i.to_string()));
        std::fs::write(
            dir.join("a.proto"),
            format!(
                "edition = \"2024\";\npackage p;\n\
                 option features.default_symbol_visibility = STRICT;\n{body}\n"
            ),
        )
        .unwrap();
        // `a.proto:LINE:COL: message` as `LINE: message`.
        let lines = |errors: std::collections::BTreeSet<String>| -> Vec<String> {
            errors
                .iter()
                .map(|e| {
                    let parts: Vec<&str> = e.splitn(4, ':').collect();
                    format!("{}:{}", parts[1], parts[3])
                })
                .collect()
        };
        let ours = if expected.is_empty() {
            let built = protogen_build(&dir, &dir.join("image.binpb"));
            let stderr = String::from_utf8_lossy(&built.stderr);
            assert!(built.status.success(), "{body}: {stderr}");
            Default::default()
        } else {
            let ours = protogen_errors(&dir);
            assert_eq!(lines(ours.clone()), *expected, "{body}");
            ours
        };
        // buf's words at buf's line and column.
        if let Some(buf) = buf.as_deref() {
            assert_eq!(buf_errors(buf, &dir), ours, "{body}");
        }
    }
}

/// protoc's enum value uniqueness without the enum's prefix, where the JSON format is ALLOW
/// (proto3, editions by default): `COLOR_RED` and `RED` in `enum Color` are refused with
/// buf's words at the later value, as buf refuses them; proto2, LEGACY_BEST_EFFORT, aliases
/// (one number) and `BAR_BAZ` / `BARBAZ` (distinct in PascalCase) compile.
#[test]
fn enum_value_prefix_conflicts_as_buf() {
    let buf = common::native_buf();
    let work = tempfile::tempdir().unwrap();
    let refused = "enum values have the same name with the `Color` prefix removed";
    let cases: [(&str, &str, Option<&str>); 7] = [
        ("syntax = \"proto3\";", "enum Color { COLOR_RED = 0; RED = 1; }", Some("3:29")),
        (
            "syntax = \"proto3\";",
            "message M { enum Color { COLOR_RED = 0; colorred = 1; } }",
            Some("3:41"),
        ),
        (
            "edition = \"2023\";",
            "enum Color { option features.enum_type = CLOSED; COLOR_RED = 0; RED = 1; }",
            Some("3:65"),
        ),
        ("syntax = \"proto2\";", "enum Color { COLOR_RED = 0; RED = 1; }", None),
        (
            "edition = \"2023\";",
            "enum Color { option features.json_format = LEGACY_BEST_EFFORT; COLOR_RED = 0; RED = 1; }",
            None,
        ),
        (
            "syntax = \"proto3\";",
            "enum Color { option allow_alias = true; COLOR_RED = 0; RED = 0; }",
            None,
        ),
        (
            "syntax = \"proto3\";",
            "enum Color { COLOR_UNSPECIFIED = 0; COLOR_BAR_BAZ = 1; COLOR_BARBAZ = 2; }",
            None,
        ),
    ];
    for (i, (syntax, body, at)) in cases.into_iter().enumerate() {
        let dir = buf_module(work.path().join(i.to_string()));
        std::fs::write(
            dir.join("a.proto"),
            format!("{syntax}\npackage p;\n{body}\n"),
        )
        .unwrap();
        let expected: std::collections::BTreeSet<String> = at
            .map(|at| format!("a.proto:{at}: {refused}"))
            .into_iter()
            .collect();
        if at.is_some() {
            assert_eq!(protogen_errors(&dir), expected, "{body}");
        } else {
            let built = protogen_build(&dir, &dir.join("image.binpb"));
            let stderr = String::from_utf8_lossy(&built.stderr);
            assert!(built.status.success(), "{body}: {stderr}");
        }
        if let Some(buf) = buf.as_deref() {
            assert_eq!(buf_errors(buf, &dir), expected, "{body}");
        }
    }
}

/// `dir` made a buf v2 module (its buf.yaml), for a test's files.
fn buf_module(dir: PathBuf) -> PathBuf {
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("buf.yaml"), "version: v2\n").unwrap();
    dir
}

/// The errors of `protogen build DIR` (which must exit 2), as `file:line:col: message`.
fn protogen_errors(dir: &Path) -> std::collections::BTreeSet<String> {
    let refused = protogen_build(dir, &dir.join("image.binpb"));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    // Each error's `× message` line is followed by its `--> file:line:col` line.
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter_map(|pair| {
            let message = pair[0].strip_prefix("× ")?;
            let at = pair[1].strip_prefix("--> ")?;
            Some(format!("{at}: {message}"))
        })
        .collect()
}

/// The errors of `buf build` in `dir`, as `file:line:col: message`.
fn buf_errors(buf: &Path, dir: &Path) -> std::collections::BTreeSet<String> {
    let theirs = Command::new(buf)
        .current_dir(dir)
        .args(["build", "-o", "/dev/null"])
        .output()
        .expect("buf runs");
    String::from_utf8_lossy(&theirs.stderr)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(4, ':');
            let (file, line, col) = (parts.next()?, parts.next()?, parts.next()?);
            Some(format!("{file}:{line}:{col}: {}", parts.next()?))
        })
        .collect()
}

/// `protogen build DIR -o OUT`.
fn protogen_build(dir: &Path, out: &Path) -> std::process::Output {
    protogen_build_with(dir, out, &[])
}

/// `protogen build DIR -o OUT EXTRA...`.
fn protogen_build_with(dir: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_protogen"))
        .arg("build")
        .arg(dir)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .expect("protogen runs")
}
