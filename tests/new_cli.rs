//! `protogen new` from the command line: snapshots of the generated tree for the fixtures,
//! and bad input (exit code 2, a clear message, nothing written).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

mod common;

use common::copy_dir;

fn protogen(cwd: &Path) -> Command {
    let mut command = Command::cargo_bin("protogen").unwrap();
    command.current_dir(cwd);
    command
}

/// A temp folder holding a copy of `fixtures/<name>` as `proto/`, so that the workspace's
/// relative path to the contract (`../proto`) is the same on every machine.
fn sandbox(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &common::project_root().join("fixtures").join(fixture),
        &dir.path().join("proto"),
    );
    dir
}

/// Every file under `dir`, sorted, as `== path ==` followed by its contents.
fn tree(dir: &Path) -> String {
    let mut out = String::new();
    for path in files(dir) {
        let text = std::fs::read_to_string(dir.join(&path)).unwrap();
        out.push_str(&format!("== {path} ==\n{text}\n"));
    }
    out
}

fn files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn scaffolds_the_fixtures_from_a_folder() {
    let dir = sandbox("proto");
    let output = protogen(dir.path())
        .args(["new", "shop", "--proto", "proto"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    insta::assert_snapshot!("fixtures_stdout", stdout);
    insta::assert_snapshot!("fixtures_tree", tree(&dir.path().join("shop")));
}

/// A contract with buf.validate rules: the workspace carries prost-protovalidate-types with a
/// protoc-free build script and patches crates.io's copy with it. The file list, the root
/// manifest and the copy's manifest and build script (the rest is the published crate).
#[test]
fn a_validating_workspace_carries_a_protoc_free_validate_types_crate() {
    let dir = sandbox("validate");
    protogen(dir.path())
        .args(["new", "shop", "--proto", "proto"])
        .assert()
        .success();
    let workspace = dir.path().join("shop");
    let mut out = files(&workspace).join("\n");
    out.push('\n');
    for path in [
        "Cargo.toml",
        "vendor/prost-protovalidate-types/Cargo.toml",
        "vendor/prost-protovalidate-types/build.rs",
    ] {
        let text = std::fs::read_to_string(workspace.join(path)).unwrap();
        out.push_str(&format!("== {path} ==\n{text}\n"));
    }
    insta::assert_snapshot!("validate_tree", out);
}

#[test]
fn a_rest_workspace_carries_google_api_and_no_validate_types_crate() {
    let dir = sandbox("rest-invalid");
    let output = protogen(dir.path())
        .args(["new", "shop", "--proto", "proto"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let workspace = dir.path().join("shop");
    assert!(workspace
        .join("shop-api/proto/google/api/annotations.proto")
        .is_file());
    assert!(
        !workspace.join("vendor").exists(),
        "no buf.validate, no vendored validate types"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let created: Vec<&str> = stdout.lines().filter(|l| l.contains("created")).collect();
    let mut unique = created.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        created.len(),
        unique.len(),
        "a file planned twice:\n{stdout}"
    );
}

#[test]
fn output_is_deterministic() {
    let dir = sandbox("proto");
    for out in ["one", "two"] {
        protogen(dir.path())
            .args(["new", "shop", "--proto", "proto", "--out", out])
            .assert()
            .success();
    }
    assert_eq!(tree(&dir.path().join("one")), tree(&dir.path().join("two")));
}

#[test]
fn single_files_find_their_import_root_from_the_package() {
    let dir = sandbox("proto");
    let output = protogen(dir.path())
        .args([
            "new",
            "shop",
            "--proto",
            "proto/orders/v1/orders.proto",
            "--out",
            "services/shop",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("where the folders of package orders.v1 begin"),
        "{stdout}"
    );
    let workspace = dir.path().join("services/shop");
    let config = std::fs::read_to_string(workspace.join("protogen.toml")).unwrap();
    assert!(config.contains("root = \"../../proto\""), "{config}");
    assert!(
        config.contains("files = [\"orders/v1/orders.proto\"]"),
        "{config}"
    );
    // Only the named file's services: users.proto is an import, not part of the request.
    assert!(
        config.contains("serves = [\n    \"orders.v1.OrdersService\",\n]"),
        "{config}"
    );
    let handlers = files(&workspace.join("shop-server/src/handlers"));
    assert_eq!(handlers, ["mod.rs", "orders_v1_orders_service.rs"]);
}

#[test]
fn vendor_copies_the_contract_and_its_imports() {
    let dir = sandbox("proto");
    protogen(dir.path())
        .args([
            "new",
            "shop",
            "--proto",
            "proto/orders/v1/orders.proto",
            "--vendor",
        ])
        .assert()
        .success();
    let workspace = dir.path().join("shop");
    let config = std::fs::read_to_string(workspace.join("protogen.toml")).unwrap();
    assert!(config.contains("root = \"proto\""), "{config}");
    assert!(config.contains("vendored = true"), "{config}");
    for file in ["orders/v1/orders.proto", "users/v1/users.proto"] {
        assert_eq!(
            std::fs::read_to_string(workspace.join("proto").join(file)).unwrap(),
            std::fs::read_to_string(dir.path().join("proto").join(file)).unwrap(),
        );
    }
    assert!(
        !workspace.join("proto/google").exists(),
        "WKTs come from protox"
    );
}

#[test]
fn names_mirror_prost_for_keywords_and_shared_service_names() {
    let dir = sandbox("edge");
    protogen(dir.path())
        .args(["new", "edge", "--proto", "proto"])
        .assert()
        .success();
    let workspace = dir.path().join("edge");
    insta::assert_snapshot!(
        "edge_handlers",
        tree(&workspace.join("edge-server/src/handlers"))
    );
    insta::assert_snapshot!(
        "edge_client_lib",
        std::fs::read_to_string(workspace.join("edge-client/src/lib.rs")).unwrap()
    );
}

// Bad input: exit code 2, a message that says what to do, and nothing written.

fn refused(dir: &Path, args: &[&str], expected: &[&str]) {
    let before = entries(dir);
    let output = protogen(dir).args(args).assert().code(2);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    for text in expected {
        assert!(stderr.contains(text), "expected {text:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(entries(dir), before, "something was written");
}

#[test]
fn refuses_an_invalid_name() {
    let dir = sandbox("proto");
    refused(
        dir.path(),
        &["new", "2shop", "--proto", "proto"],
        &["invalid workspace name", "must start with an ASCII letter"],
    );
    refused(
        dir.path(),
        &["new", "sh/op", "--proto", "proto"],
        &["invalid workspace name", "contains '/'"],
    );
}

#[test]
fn refuses_a_non_empty_folder_without_force() {
    let dir = sandbox("proto");
    std::fs::create_dir(dir.path().join("shop")).unwrap();
    std::fs::write(dir.path().join("shop/notes.txt"), "mine").unwrap();
    refused(
        dir.path(),
        &["new", "shop", "--proto", "proto"],
        &["already exists and is not empty", "--force"],
    );
    assert_eq!(entries(&dir.path().join("shop")).len(), 1);
}

#[test]
fn refuses_a_contract_that_does_not_compile() {
    let dir = sandbox("proto");
    std::fs::write(
        dir.path().join("proto/users/v1/broken.proto"),
        "syntax = \"proto3\";\npackage users.v1;\nmessage Broken {\n  strin name = 1;\n}\n",
    )
    .unwrap();
    refused(
        dir.path(),
        &["new", "shop", "--proto", "proto"],
        &["users/v1/broken.proto:4:3", "strin name = 1;"],
    );
}

#[test]
fn refuses_a_contract_without_a_service() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("proto/types/v1")).unwrap();
    std::fs::write(
        dir.path().join("proto/types/v1/money.proto"),
        "syntax = \"proto3\";\npackage types.v1;\nmessage Money { int64 cents = 1; }\n",
    )
    .unwrap();
    refused(
        dir.path(),
        &["new", "shop", "--proto", "proto"],
        &["the contract has no service", "types/v1/money.proto"],
    );
}

#[test]
fn refuses_a_workspace_inside_the_contract_folder() {
    let dir = sandbox("proto");
    refused(
        dir.path(),
        &["new", "shop", "--proto", "proto", "--out", "proto/shop"],
        &["would be inside the contract's folder", "--out"],
    );
}

#[test]
fn refuses_missing_and_mixed_inputs() {
    let dir = sandbox("proto");
    refused(
        dir.path(),
        &["new", "shop", "--proto", "nowhere"],
        &["--proto nowhere: no such file or folder"],
    );
    refused(
        dir.path(),
        &[
            "new",
            "shop",
            "--proto",
            "proto",
            "--proto",
            "proto/users/v1/users.proto",
        ],
        &["one folder", "or one or more .proto files"],
    );
}

#[test]
fn force_keeps_edited_handlers_and_foreign_files() {
    let dir = sandbox("proto");
    protogen(dir.path())
        .args(["new", "shop", "--proto", "proto"])
        .assert()
        .success();
    let workspace = dir.path().join("shop");
    let handler = workspace.join("shop-server/src/handlers/users_v1_users_service.rs");
    std::fs::write(&handler, "// my handlers\n").unwrap();
    std::fs::write(workspace.join("NOTES.md"), "mine\n").unwrap();
    let settings = workspace.join("protogen.toml");
    let edited = std::fs::read_to_string(&settings).unwrap() + "# my deadline tuning\n";
    std::fs::write(&settings, &edited).unwrap();
    std::fs::remove_file(workspace.join("shop-api/build.rs")).unwrap();

    let output = protogen(dir.path())
        .args(["new", "shop", "--proto", "proto", "--force"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("created shop-api/build.rs"), "{stdout}");
    assert!(
        stdout.contains("kept shop-server/src/handlers/users_v1_users_service.rs"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&handler).unwrap(),
        "// my handlers\n"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("NOTES.md")).unwrap(),
        "mine\n"
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), edited);
}

/// An editions contract: the workspace carries protogen's patched protox-parse, protox and
/// prost-reflect (byte for byte the project's patches/, doctests' descriptor sets aside),
/// patches crates.io's copies with them, and its api crate lowers the editions files before
/// prost-build (editions.rs). The file list, the manifests and the build script.
#[test]
fn an_editions_workspace_carries_the_patched_compiler_and_lowers_for_prost() {
    let dir = sandbox("editions");
    protogen(dir.path())
        .args(["new", "shop", "--proto", "proto"])
        .assert()
        .success();
    let workspace = dir.path().join("shop");
    let patches = common::project_root().join("patches");
    let mut vendored = 0;
    for krate in ["protox-parse", "protox", "prost-reflect"] {
        for path in files(&patches.join(krate)) {
            let copy = workspace.join("vendor").join(krate).join(&path);
            if path.ends_with(".bin") || path.ends_with(".orig") {
                assert!(!copy.exists(), "{path}");
                continue;
            }
            let original = std::fs::read(patches.join(krate).join(&path)).unwrap();
            assert_eq!(
                std::fs::read(&copy).ok(),
                Some(original),
                "vendor/{krate}/{path}"
            );
            vendored += 1;
        }
    }
    assert_eq!(
        vendored, 76,
        "the published crates' files, PATCH.md included"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("shop-api/editions.rs")).unwrap(),
        std::fs::read_to_string(common::project_root().join("templates/new/api/editions.rs"))
            .unwrap()
    );
    let mut out: Vec<String> = files(&workspace)
        .into_iter()
        .filter(|f| !f.starts_with("vendor/") && !f.starts_with("shop-api/src/runtime/"))
        .collect();
    out.push(String::new());
    let mut out = out.join("\n");
    for path in ["Cargo.toml", "shop-api/Cargo.toml", "shop-api/build.rs"] {
        let text = std::fs::read_to_string(workspace.join(path)).unwrap();
        out.push_str(&format!("== {path} ==\n{text}\n"));
    }
    insta::assert_snapshot!("editions_tree", out);
}

/// Files protogen carries that the contract imports only with edition 2024's `import option`
/// (the C++ language features, protovalidate's rules) are carried too: the api crate's build
/// script resolves them, and the rules turn validation on.
#[test]
fn an_import_option_file_protogen_carries_is_carried() {
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto/acme/shop/v1");
    std::fs::create_dir_all(&proto).unwrap();
    std::fs::write(
        proto.join("shop.proto"),
        "edition = \"2024\";\npackage acme.shop.v1;\n\
         import option \"google/protobuf/cpp_features.proto\";\n\
         import option \"buf/validate/validate.proto\";\n\
         message GetRequest { string id = 1 [features.(pb.cpp).string_type = CORD, \
         (buf.validate.field).string.min_len = 1]; }\n\
         message GetResponse {}\n\
         service ShopService { rpc Get(GetRequest) returns (GetResponse); }\n",
    )
    .unwrap();
    protogen(dir.path())
        .args(["new", "shop", "--proto", "proto"])
        .assert()
        .success();
    let workspace = dir.path().join("shop");
    for name in [
        "google/protobuf/cpp_features.proto",
        "buf/validate/validate.proto",
    ] {
        assert_eq!(
            std::fs::read_to_string(workspace.join("shop-api/proto").join(name)).unwrap(),
            std::fs::read_to_string(common::project_root().join("src/contract/known").join(name))
                .unwrap(),
            "{name}"
        );
    }
    assert!(workspace
        .join("vendor/prost-protovalidate-types/Cargo.toml")
        .is_file());
}

/// An editions contract the generated crates could not build or serve (a closed enum that
/// does not start at 0, or JSON names that collide, in a file that prost reads as proto3) is
/// refused before anything is written, naming what.
#[test]
fn refuses_an_editions_contract_prost_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("proto")).unwrap();
    std::fs::write(
        dir.path().join("proto/m.proto"),
        r#"edition = "2023";
package m.v1;
option features.field_presence = IMPLICIT;
enum Level { option features.enum_type = CLOSED; LEVEL_LOW = 1; }
message M { int32 n = 1; }
service S { rpc Get(M) returns (M); }
"#,
    )
    .unwrap();
    refused(
        dir.path(),
        &["new", "shop", "--proto", "proto"],
        &[
            "the generated crates could not build this contract",
            "m.proto: the closed enum m.v1.Level starts at 1",
        ],
    );
    // JSON names that collide, allowed by LEGACY_BEST_EFFORT, in a file lowered to proto3.
    std::fs::write(
        dir.path().join("proto/m.proto"),
        r#"edition = "2023";
package m.v1;
option features.field_presence = IMPLICIT;
message M {
  option features.json_format = LEGACY_BEST_EFFORT;
  int32 foo_bar = 1;
  int32 fooBar = 2;
}
service S { rpc Get(M) returns (M); }
"#,
    )
    .unwrap();
    refused(
        dir.path(),
        &["new", "shop", "--proto", "proto"],
        &[
            "the generated crates could not serve this contract",
            "camel-case name of field 'foo_bar' conflicts with field 'fooBar'",
        ],
    );
}
