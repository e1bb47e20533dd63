//! Events at the command line, without building anything: what `protogen new` and `sync`
//! generate from `// protogen:event` declarations, the errors for bad declarations and bad
//! `[events]` entries, and `protogen check` judging a subscriber's lock by name.

use std::path::Path;
use std::process::Command;

mod common;

use common::copy_dir;

fn protogen(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::run(
        Command::new(env!("CARGO_BIN_EXE_protogen"))
            .current_dir(dir)
            .args(args),
    )
}

/// A folder with the events contract under `proto/` and a workspace `name` made from it.
fn workspace(dir: &Path, name: &str) {
    if !dir.join("proto").exists() {
        copy_dir(
            &common::project_root().join("fixtures/events"),
            &dir.join("proto"),
        );
    }
    let (code, _, err) = protogen(dir, &["new", name, "--proto", "proto"]);
    assert_eq!(code, 0, "{err}");
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn new_lists_the_declared_events_and_generates_publishers() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), "warehouse");
    let ws = dir.path().join("warehouse");
    let config = std::fs::read_to_string(ws.join("protogen.toml")).unwrap();
    assert!(
        config.contains(
            "publishes = [\n    \"orders.cancelled\",\n    \"orders.shipped\",\n]\nsubscribes = [\n]"
        ),
        "{config}"
    );
    let api = std::fs::read_to_string(ws.join("warehouse-api/src/events.rs")).unwrap();
    assert!(api.contains("impl Published for crate::orders::v1::OrderShipped {}"));
    assert!(api.contains("const SUBJECT: &'static str = \"orders.shipped\";"));
    let cargo = std::fs::read_to_string(ws.join("warehouse-api/Cargo.toml")).unwrap();
    assert!(cargo.contains("default = [\"nats\"]"), "{cargo}");
    assert!(config.contains("broker = \"nats\""), "{config}");
    // The server's lock records what it sends.
    let lock = std::fs::read_to_string(ws.join("warehouse-server/protogen.lock")).unwrap();
    assert!(lock.contains("\"sent\""), "{lock}");
    assert!(!lock.contains("\"received\""), "{lock}");
    // A contract without events gets no NATS at all.
    let plain = tempfile::tempdir().unwrap();
    copy_dir(
        &common::project_root().join("fixtures/proto"),
        &plain.path().join("proto"),
    );
    let (code, _, err) = protogen(plain.path(), &["new", "shop", "--proto", "proto"]);
    assert_eq!(code, 0, "{err}");
    let shop = plain.path().join("shop");
    assert!(!shop.join("shop-api/src/events.rs").exists());
    let config = std::fs::read_to_string(shop.join("protogen.toml")).unwrap();
    assert!(!config.contains("[events]"), "{config}");
}

#[test]
fn sync_adds_a_stub_per_new_subscription_and_keeps_written_handlers() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), "billing");
    let ws = dir.path().join("billing");
    let config = ws.join("protogen.toml");
    edit(
        &config,
        "subscribes = [\n]",
        "subscribes = [\n    \"orders.shipped\",\n]",
    );
    let (code, out, err) = protogen(&ws, &["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("billing-server/src/subscribers.rs:18: stub for new event orders.shipped (orders.v1.OrderShipped)"),
        "{out}"
    );
    let handlers = ws.join("billing-server/src/subscribers.rs");
    let text = std::fs::read_to_string(&handlers).unwrap();
    assert!(text.contains("async fn on_orders_shipped("), "{text}");
    let api = std::fs::read_to_string(ws.join("billing-api/src/events.rs")).unwrap();
    assert!(api.contains("fn on_orders_shipped("), "{api}");

    // A written handler stays as written when another subscription comes.
    let written = text.replace(
        "        let _ = (event, metadata);\n        billing_api::unimplemented_event!(\"orders.shipped\", \"orders.v1.OrderShipped\")\n",
        "        let _ = (event, metadata);\n        Ok(()) // written\n",
    );
    std::fs::write(&handlers, &written).unwrap();
    edit(
        &config,
        "subscribes = [\n    \"orders.shipped\",\n]",
        "subscribes = [\n    \"orders.shipped\",\n    \"orders.cancelled\",\n]",
    );
    let (code, out, err) = protogen(&ws, &["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stub for new event orders.cancelled"), "{out}");
    let text = std::fs::read_to_string(&handlers).unwrap();
    assert!(
        text.starts_with(&written[..written.rfind("\n}").unwrap()]),
        "{text}"
    );
    assert!(text.contains("Ok(()) // written"));
    assert!(text.contains("async fn on_orders_cancelled("));
    // In step: a second run changes nothing.
    let (code, out, _) = protogen(&ws, &["sync"]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to change"), "{out}");

    // The lock records what the server receives, after --lock.
    let (code, _, err) = protogen(&ws, &["sync", "--lock"]);
    assert_eq!(code, 0, "{err}");
    let lock = std::fs::read_to_string(ws.join("billing-server/protogen.lock")).unwrap();
    assert!(lock.contains("\"received\""), "{lock}");
}

#[test]
fn an_unknown_subject_in_events_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), "billing");
    let ws = dir.path().join("billing");
    edit(
        &ws.join("protogen.toml"),
        "subscribes = [\n]",
        "subscribes = [\n    \"orders.lost\",\n]",
    );
    let before = std::fs::read_to_string(ws.join("billing-server/src/subscribers.rs")).unwrap();
    let (code, _, err) = protogen(&ws, &["sync"]);
    assert_eq!(code, 2, "{err}");
    let line = std::fs::read_to_string(ws.join("protogen.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("orders.lost"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("protogen.toml:{line}: `subscribes` lists orders.lost, which no message of the contract declares")),
        "{err}"
    );
    assert!(
        err.contains("declared: orders.cancelled, orders.shipped"),
        "{err}"
    );
    let after = std::fs::read_to_string(ws.join("billing-server/src/subscribers.rs")).unwrap();
    assert_eq!(before, after);
}

#[test]
fn bad_declarations_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    copy_dir(&common::project_root().join("fixtures/events"), &proto);
    let file = proto.join("orders/v1/orders.proto");
    edit(
        &file,
        "// protogen:event orders.cancelled",
        "// protogen:event orders.shipped",
    );
    edit(
        &file,
        "message ShipReply {}",
        "message ShipReply {\n  // protogen:event orders.field\n  string id = 1;\n}",
    );
    let (code, out, err) = protogen(dir.path(), &["new", "shop", "--proto", "proto"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("orders/v1/orders.proto:16: `protogen:event` is on a field, not on a message"),
        "{err}"
    );
    assert!(
        err.contains("orders/v1/orders.proto:28: subject `orders.shipped` is declared twice: by orders.v1.OrderCancelled here and by orders.v1.OrderShipped at orders/v1/orders.proto:21"),
        "{err}"
    );
    assert!(
        !dir.path().join("shop").exists(),
        "written despite the error"
    );
}

#[test]
fn check_names_the_subscriber_a_payload_change_breaks() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), "billing");
    workspace(dir.path(), "warehouse");
    let ws = dir.path().join("billing");
    edit(
        &ws.join("protogen.toml"),
        "subscribes = [\n]",
        "subscribes = [\n    \"orders.shipped\",\n]",
    );
    let (code, _, err) = protogen(&ws, &["sync", "--lock"]);
    assert_eq!(code, 0, "{err}");
    copy_dir(&dir.path().join("proto"), &dir.path().join("baseline"));
    // The payload changes type: the deployed subscriber decodes it wrongly.
    edit(
        &dir.path().join("proto/orders/v1/orders.proto"),
        "message OrderShipped {\n  string order_id = 1;\n  string user_id = 2;",
        "message OrderShipped {\n  string order_id = 1;\n  int64 user_id = 2;",
    );
    let (code, out, err) = protogen(
        dir.path(),
        &[
            "check",
            "proto",
            "--against",
            "baseline",
            "--consumers",
            "*/*/protogen.lock",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let lock = std::fs::read_to_string(ws.join("billing-server/protogen.lock")).unwrap();
    let hash = lock
        .split("\"hash\": \"sha256:")
        .nth(1)
        .map(|h| &h[..7])
        .unwrap();
    assert!(
        out.contains(&format!("billing-server (lock {hash}) breaks: orders.v1.OrderShipped.user_id (field 2) changed type string -> int64, received on subject orders.shipped")),
        "{out}"
    );
    // The publisher's lock records what it sends; it is not judged as a subscriber.
    assert!(!out.contains("warehouse-server"), "{out}");

    let (code, json, _) = protogen(
        dir.path(),
        &[
            "check",
            "proto",
            "--against",
            "baseline",
            "--consumers",
            "*/*/protogen.lock",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let verdict = value["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["crate"] == "billing-server")
        .unwrap();
    assert_eq!(verdict["events"][0], "orders.shipped");
    assert_eq!(
        verdict["breaks"][0]["reached_through"],
        "received on subject orders.shipped"
    );
}

#[test]
fn diff_shows_events_as_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::project_root().join("fixtures/events");
    copy_dir(&events, &dir.path().join("old"));
    copy_dir(&events, &dir.path().join("new"));
    let file = dir.path().join("new/orders/v1/orders.proto");
    edit(
        &file,
        "protogen:event orders.cancelled",
        "protogen:event orders.canceled",
    );
    edit(
        &file,
        "message OrderShipped {\n  string order_id = 1;\n  string user_id = 2;",
        "message OrderShipped {\n  string order_id = 1;\n  int64 user_id = 2;",
    );
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        "\n// protogen:event orders.created\nmessage OrderCreated {\n  string order_id = 1;\n}\n",
    );
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = protogen(dir.path(), &["diff", "old", "new", "--format", "text"]);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "! field orders.v1.OrderShipped.user_id: type changed from string to int64 (payload of event orders.shipped)  orders/v1/orders.proto:21:3",
        "+ event orders.created added: orders.v1.OrderCreated  orders/v1/orders.proto:31:1",
        "~ event orders.cancelled renamed to orders.canceled  orders/v1/orders.proto:25:1",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let (_, json, _) = protogen(dir.path(), &["diff", "old", "new", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let renamed = value["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["element_kind"] == "event" && c["kind"] == "renamed")
        .unwrap();
    assert_eq!(renamed["old_element"], "orders.cancelled");
    assert_eq!(renamed["element"], "orders.canceled");

    // A subject declared twice on the new side is bad input.
    edit(
        &file,
        "protogen:event orders.created",
        "protogen:event orders.shipped",
    );
    let (code, _, err) = protogen(dir.path(), &["diff", "old", "new"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the new contract's events could not be read"),
        "{err}"
    );

    // The same subject declared by a new file of another package, while the file that
    // declared it first is unchanged: diff decodes that file too, and refuses the pair.
    std::fs::copy(events.join("orders/v1/orders.proto"), &file).unwrap();
    let payments = dir.path().join("new/payments/v1/payments.proto");
    std::fs::create_dir_all(payments.parent().unwrap()).unwrap();
    std::fs::write(
        &payments,
        "syntax = \"proto3\";\npackage payments.v1;\n\n// protogen:event orders.shipped\nmessage Paid {\n  string id = 1;\n}\n",
    )
    .unwrap();
    let (code, _, err) = protogen(dir.path(), &["diff", "old", "new"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("subject `orders.shipped` is declared twice")
            && err.contains("orders/v1/orders.proto:18"),
        "{err}"
    );
}

#[test]
fn sync_follows_the_broker_of_protogen_toml() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), "warehouse");
    let ws = dir.path().join("warehouse");
    let config = ws.join("protogen.toml");
    edit(&config, "broker = \"nats\"", "broker = \"kafka\"");
    let (code, _, err) = protogen(&ws, &["sync"]);
    assert_eq!(code, 0, "{err}");
    // Only that broker's client compiles.
    let cargo = std::fs::read_to_string(ws.join("warehouse-api/Cargo.toml")).unwrap();
    assert!(cargo.contains("default = [\"kafka\"]"), "{cargo}");
    edit(&config, "broker = \"kafka\"", "broker = \"redis\"");
    let (code, _, err) = protogen(&ws, &["sync"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[events] broker = \"redis\" is not a broker protogen knows: use one of nats, kafka, rabbitmq"),
        "{err}"
    );
}
