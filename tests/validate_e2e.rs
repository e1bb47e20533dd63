//! Request validation from the contract's buf.validate rules, end to end: `protogen new` on
//! fixtures/validate (string, numeric, repeated, map, oneof, message-level CEL and well-known
//! type rules), the generated server built and run, a Node.js client (`@grpc/grpc-js`) sending
//! valid requests and requests that each break one rule. Every handler prints a line per
//! message it sees, so the server's output proves it never ran for an invalid one.
//! Then a rule that cannot compile must fail the api crate's build, naming field and rule.
//! All builds run with protoc out of reach (`common::cargo`), so the vendored
//! prost-protovalidate-types must build without it.
//! Shares the generated-crates target dir with the other end-to-end tests.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{cargo_ok, copy_dir, generated_target_dir, implement};

const HANDLERS: &str = "shop-server/src/handlers/signup_v1_signup_service.rs";

/// Handlers that print `handled <RPC> <what>` for every message they receive.
fn write_handlers(workspace: &Path) {
    implement(
        workspace,
        HANDLERS,
        "signup.v1.SignupService/Register",
        r#"        let message = request.into_inner();
        println!("handled Register {}", message.email);
        // A response that breaks RegisterResponse.id's min_len: validate_responses catches it.
        let id = if message.name == "bad-response" { String::new() } else { format!("id-{}", message.email) };
        Ok(Response::new(pb::RegisterResponse { id }))
"#,
    );
    implement(
        workspace,
        HANDLERS,
        "signup.v1.SignupService/Import",
        r#"        let mut incoming = request.into_inner();
        let mut imported = 0;
        while let Some(message) = incoming.message().await? {
            println!("handled Import {}", message.email);
            imported += 1;
        }
        Ok(Response::new(pb::ImportSummary { imported }))
"#,
    );
    implement(
        workspace,
        HANDLERS,
        "signup.v1.SignupService/Chat",
        r#"        let mut incoming = request.into_inner();
        Ok(Response::new(shop_api::runtime::stream::spawn(16, |tx| async move {
            while let Some(message) = incoming.message().await? {
                println!("handled Chat {}", message.text);
                tx.send(pb::ChatMessage { text: format!("echo {}", message.text) }).await?;
            }
            Ok(())
        })))
"#,
    );
    implement(
        workspace,
        HANDLERS,
        "signup.v1.SignupService/Legacy",
        r#"        let message = request.into_inner();
        println!("handled Legacy {}", message.email);
        Ok(Response::new(pb::RegisterResponse { id: message.email }))
"#,
    );
    implement(
        workspace,
        HANDLERS,
        "signup.v1.SignupService/Ping",
        r#"        Ok(Response::new(pb::PingResponse { id: request.into_inner().id }))
"#,
    );
}

fn scaffold(dir: &Path) -> PathBuf {
    copy_dir(
        &common::project_root().join("fixtures/validate"),
        &dir.join("proto"),
    );
    let workspace = common::new_shop(dir);
    // The contract imports buf/validate/validate.proto without carrying it: protogen does.
    assert!(workspace
        .join("shop-api/proto/buf/validate/validate.proto")
        .is_file());
    // prost-protovalidate-types as published runs protoc; the workspace builds protogen's copy.
    assert!(workspace
        .join("vendor/prost-protovalidate-types/proto/buf/validate/validate.proto")
        .is_file());
    let root = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
    assert!(
        root.contains("[patch.crates-io]\nprost-protovalidate-types = { path = \"vendor/prost-protovalidate-types\" }"),
        "{root}"
    );
    let manifest = std::fs::read_to_string(workspace.join("shop-api/Cargo.toml")).unwrap();
    assert!(manifest.contains("default = [\"validate\"]"), "{manifest}");
    write_handlers(&workspace);
    let config = workspace.join("protogen.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(
        "\n[validate]\noff = [\"signup.v1.SignupService/Legacy\"]\nvalidate_responses = true\n",
    );
    std::fs::write(&config, text).unwrap();
    workspace
}

#[test]
fn requests_breaking_the_contracts_rules_never_reach_the_handler() {
    let Some(modules) = common::peer(".tools/node_modules/@grpc/grpc-js") else {
        return;
    };
    let node_path = modules.parent().unwrap().parent().unwrap().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path());
    cargo_ok(&workspace, &["build", "-p", "shop-server"]);
    // The layer's own unit tests (messages split across chunks, refusal after good ones).
    let tested = cargo_ok(&workspace, &["test", "-p", "shop-api", "runtime::validate"]);
    let stdout = String::from_utf8_lossy(&tested.stdout);
    for unit in [
        "messages_split_across_chunks_go_on_whole_and_intact",
        "a_bad_message_ends_the_body_after_the_good_ones_before_it",
    ] {
        assert!(
            stdout.contains(&format!("runtime::validate::enabled::tests::{unit} ... ok")),
            "{unit} did not pass:\n{stdout}"
        );
    }

    let mut server = Command::new(generated_target_dir().join("debug/shop-server"))
        .current_dir(&workspace)
        .env("SHOP_ADDR", "127.0.0.1:0")
        .env("HTTP_ADDR", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    assert!(
        first_line.starts_with("shop-server listening on"),
        "{first_line:?}"
    );
    let addr = first_line.trim().rsplit(' ').next().unwrap().to_string();
    let client = Command::new("node")
        .arg(common::project_root().join("tests/interop/validate.js"))
        .arg(&addr)
        .arg(dir.path().join("proto"))
        .arg(workspace.join("shop-api/proto"))
        .env("NODE_PATH", &node_path)
        .output()
        .expect("node runs");
    let stop = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stop.success());
    wait_with_timeout(&mut server, Duration::from_secs(10));
    let mut handled = String::new();
    stdout.read_to_string(&mut handled).unwrap();
    assert!(
        client.status.success(),
        "the Node.js client failed:\n{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let seen: Value = serde_json::from_slice(&client.stdout).unwrap();

    // Valid requests reach the handler and are answered.
    assert_eq!(seen["valid"]["code"], 0, "{seen}");
    assert_eq!(seen["valid"]["response"]["id"], "id-ada@example.com");
    assert_eq!(seen["valid_phone"]["code"], 0, "{seen}");
    assert_eq!(seen["import_valid"]["code"], 0, "{seen}");
    assert_eq!(seen["import_valid"]["response"]["imported"], 2, "{seen}");

    // Each invalid request: INVALID_ARGUMENT (3), one violation naming the field and the rule.
    let expected: BTreeMap<&str, (&str, &str)> = [
        ("email", ("email", "string.email")),
        ("name", ("name", "string.min_len")),
        ("age", ("age", "int32.gte_lte")),
        ("tags_max", ("tags", "repeated.max_items")),
        ("tags_unique", ("tags", "repeated.unique")),
        ("map_key", ("scores[\"\"]", "string.min_len")),
        ("map_value", ("scores[\"chess\"]", "int32.gte")),
        ("oneof", ("contact", "required")),
        ("pattern", ("phone", "string.pattern")),
        ("timestamp", ("born", "timestamp.lt_now")),
        ("duration", ("trial", "duration.lte")),
        ("cel", ("", "passwords_match")),
    ]
    .into_iter()
    .collect();
    let invalid = seen["invalid"].as_object().unwrap();
    assert_eq!(invalid.len(), expected.len(), "{seen}");
    for (case, (field, rule)) in &expected {
        let answer = &invalid[*case];
        assert_eq!(answer["code"], 3, "{case}: {answer}");
        assert_eq!(
            answer["violations"],
            serde_json::json!([{
                "field": field,
                "reason": rule,
                "description": answer["violations"][0]["description"],
            }]),
            "{case}: {answer}"
        );
        assert!(
            !answer["violations"][0]["description"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{case}: a violation says why: {answer}"
        );
    }

    // Client streaming: the two messages before the invalid one reach the handler, the
    // invalid one and everything after it do not, and the call fails with its violation.
    let import = &seen["import_invalid"];
    assert_eq!(import["code"], 3, "{import}");
    assert_eq!(import["violations"][0]["field"], "age", "{import}");
    // Bidirectional streaming: the first message is echoed, the empty one ends the call.
    let chat = &seen["chat"];
    assert_eq!(chat["code"], 3, "{chat}");
    assert_eq!(chat["violations"][0]["field"], "text", "{chat}");
    assert_eq!(chat["violations"][0]["reason"], "string.min_len", "{chat}");
    assert_eq!(
        chat["received"],
        serde_json::json!([{"text": "echo hello"}])
    );
    // protogen.toml turned validation off for Legacy: its invalid request is served.
    assert_eq!(seen["legacy_unchecked"]["code"], 0, "{seen}");
    // validate_responses = true: a response breaking the rules is the server's fault.
    assert_eq!(seen["bad_response"]["code"], 13, "{seen}");

    // What the handlers saw, in order: exactly the valid messages.
    let lines: Vec<&str> = handled
        .lines()
        .filter(|line| line.starts_with("handled "))
        .collect();
    assert_eq!(
        lines,
        [
            "handled Register ada@example.com",
            "handled Register ada@example.com",
            "handled Import ada@example.com",
            "handled Import b@example.com",
            "handled Import first@example.com",
            "handled Import second@example.com",
            "handled Chat hello",
            "handled Legacy legacy-not-an-address",
            "handled Register ada@example.com",
        ],
        "the handlers ran for exactly the valid requests:\n{handled}"
    );

    a_rule_that_cannot_compile_fails_the_build(&workspace, &dir.path().join("proto"));
}

/// A bad regex in the contract: the api crate's build fails, naming the field and the rule.
fn a_rule_that_cannot_compile_fails_the_build(workspace: &Path, proto: &Path) {
    std::fs::write(
        proto.join("signup/v1/broken.proto"),
        r#"syntax = "proto3";
package signup.v1;
import "buf/validate/validate.proto";
message Broken {
  string code = 1 [(buf.validate.field).string.pattern = "([a-z"];
}
"#,
    )
    .unwrap();
    let output = common::cargo(workspace, &["build", "-p", "shop-api"]);
    std::fs::remove_file(proto.join("signup/v1/broken.proto")).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build passed:\n{stderr}");
    assert!(
        stderr.contains("field signup.v1.Broken.code, rule (buf.validate.field).string.pattern")
            && stderr.contains("does not compile"),
        "{stderr}"
    );
}

fn wait_with_timeout(child: &mut std::process::Child, timeout: Duration) {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server did not stop within {timeout:?} of SIGTERM");
}
