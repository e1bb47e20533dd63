//! Third-party contract files that protogen carries, so a contract can import them without
//! vendoring: `buf/validate/validate.proto`, the protovalidate rules, and Google's HTTP
//! annotations (`google/api/annotations.proto`, `http.proto`, `httpbody.proto`,
//! `field_behavior.proto`) that REST routes come from, and the language features of editions
//! (`google/protobuf/cpp_features.proto`, `java_features.proto`, `go_features.proto`).
//!
//! They resolve after the user's own files, so a contract that carries its own copy uses it.
//! The validate.proto copy is the one prost-protovalidate 0.6 (the generated crates'
//! validator) is built from; the google/api files are googleapis' as npm's
//! google-proto-files 6.0.1 ships them; the language features' are the copies buf 1.75 embeds
//! as well-known files (protocompile's wellknownimports; cpp_features.proto is also
//! google-proto-files 6.0.1's, byte for byte).

use std::collections::BTreeSet;

use prost_types::FileDescriptorProto;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

/// Import name and text of every file carried here, sorted by name.
pub const FILES: &[(&str, &str)] = &[
    (
        "buf/validate/validate.proto",
        include_str!("known/buf/validate/validate.proto"),
    ),
    (
        "google/api/annotations.proto",
        include_str!("known/google/api/annotations.proto"),
    ),
    (
        "google/api/field_behavior.proto",
        include_str!("known/google/api/field_behavior.proto"),
    ),
    (
        "google/api/http.proto",
        include_str!("known/google/api/http.proto"),
    ),
    (
        "google/api/httpbody.proto",
        include_str!("known/google/api/httpbody.proto"),
    ),
    (
        "google/protobuf/cpp_features.proto",
        include_str!("known/google/protobuf/cpp_features.proto"),
    ),
    (
        "google/protobuf/go_features.proto",
        include_str!("known/google/protobuf/go_features.proto"),
    ),
    (
        "google/protobuf/java_features.proto",
        include_str!("known/google/protobuf/java_features.proto"),
    ),
];

/// The carried files that `imports` need: those named, and the carried files they import in
/// turn (annotations.proto imports http.proto), sorted by name.
pub fn needed<'a>(imports: impl IntoIterator<Item = &'a str>) -> Vec<(&'static str, &'static str)> {
    let mut wanted: Vec<String> = imports.into_iter().map(str::to_owned).collect();
    let mut found = BTreeSet::new();
    while let Some(name) = wanted.pop() {
        let Some(&(known, text)) = FILES.iter().find(|(known, _)| *known == name) else {
            continue;
        };
        if !found.insert(known) {
            continue;
        }
        wanted.extend(text.lines().filter_map(|line| {
            let rest = line.trim().strip_prefix("import ")?;
            Some(rest.split('"').nth(1)?.to_owned())
        }));
    }
    FILES
        .iter()
        .filter(|(name, _)| found.contains(name))
        .copied()
        .collect()
}

/// Resolves the files of [`FILES`]; chained after the user's roots.
pub struct KnownFileResolver;

impl FileResolver for KnownFileResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match FILES.iter().find(|(known, _)| *known == name) {
            Some((_, text)) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Compiles, by import name, the files a contract may import without having them: the
/// well-known types (built into protox) and the files of [`FILES`]. Names protogen does not
/// provide are skipped; used where an import's own declarations matter (lint's IMPORT_USED).
pub fn provided_files(names: &[String]) -> Vec<FileDescriptorProto> {
    let mut resolver = ChainFileResolver::new();
    resolver.add(GoogleFileResolver::new());
    resolver.add(KnownFileResolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(false).include_source_info(false);
    let mut any = false;
    for name in names {
        any |= compiler.open_file(name).is_ok();
    }
    if !any {
        return Vec::new();
    }
    compiler.file_descriptor_set().file
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::contract::{compile_files, load, LoadOptions, Side, Source};

    const RULED: &str = r#"syntax = "proto3";
package shop.v1;
import "buf/validate/validate.proto";
message Signup {
  string email = 1 [(buf.validate.field).string.email = true];
}
"#;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn validate_proto_resolves_without_vendoring() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "shop/v1/signup.proto", RULED);
        let contract = load(
            &Source::Dir(dir.path().to_path_buf()),
            Side::Current,
            &LoadOptions::default(),
        )
        .unwrap();
        // The carried file resolves the import but is not part of the contract.
        let names: Vec<_> = contract.files.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["shop/v1/signup.proto"]);
        let chosen = compile_files(dir.path(), &["shop/v1/signup.proto".to_string()]).unwrap();
        let names: Vec<_> = chosen.files.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["shop/v1/signup.proto"]);
    }

    #[test]
    fn google_api_annotations_resolve_and_bring_http_proto() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "shop/v1/books.proto",
            "syntax = \"proto3\";\npackage shop.v1;\nimport \"google/api/annotations.proto\";\n\
             message Book { string name = 1; }\n\
             service Books { rpc Get(Book) returns (Book) { option (google.api.http) = {get: \"/v1/{name}\"}; } }\n",
        );
        let chosen = compile_files(dir.path(), &["shop/v1/books.proto".to_string()]).unwrap();
        let names: Vec<_> = chosen.files.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["shop/v1/books.proto"]);
        let needed: Vec<_> = super::needed(["google/api/annotations.proto", "other.proto"])
            .iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(
            needed,
            ["google/api/annotations.proto", "google/api/http.proto"]
        );
        assert!(super::needed(["google/protobuf/empty.proto"]).is_empty());
    }

    #[test]
    fn a_contracts_own_copy_wins() {
        let dir = tempfile::tempdir().unwrap();
        // A copy that lacks the `string` rules: resolving it, the rule is an unknown option.
        write(
            dir.path(),
            "buf/validate/validate.proto",
            "syntax = \"proto2\";\npackage buf.validate;\nmessage Own {}\n",
        );
        write(dir.path(), "shop/v1/signup.proto", RULED);
        let error = compile_files(dir.path(), &["shop/v1/signup.proto".to_string()])
            .unwrap_err()
            .to_string();
        assert!(error.contains("buf.validate.field"), "{error}");
        write(
            dir.path(),
            "shop/v1/signup.proto",
            "syntax = \"proto3\";\npackage shop.v1;\nimport \"buf/validate/validate.proto\";\nmessage S { buf.validate.Own own = 1; }\n",
        );
        let chosen = compile_files(dir.path(), &["shop/v1/signup.proto".to_string()]).unwrap();
        let names: Vec<_> = chosen.files.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            ["buf/validate/validate.proto", "shop/v1/signup.proto"]
        );
    }
}
