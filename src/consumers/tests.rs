//! Unit tests of reachability and locks on fixtures/proto.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;
use crate::contract::{self, Contract, LoadOptions, Side, Source};

fn fixtures() -> Contract {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/proto");
    contract::load(&Source::Dir(root), Side::Current, &LoadOptions::default()).unwrap()
}

fn rpcs(names: &[&str]) -> BTreeSet<RpcName> {
    names.iter().map(|n| RpcName::parse(n).unwrap()).collect()
}

#[test]
fn reach_follows_fields_into_other_packages_and_enums() {
    let contract = fixtures();
    let reach = reach::reach(&contract, &rpcs(&["orders.v1.OrdersService/CreateOrder"])).unwrap();
    for element in [
        "orders.v1.OrdersService.CreateOrder",
        "orders.v1.CreateOrderRequest.items",
        "orders.v1.LineItem.price_cents",
        "orders.v1.Order.customer",
        "orders.v1.Order.payment",
        "users.v1.User.role",
        "orders.v1.OrderStatus.ORDER_STATUS_SHIPPED",
        "orders.v1.ORDER_STATUS_SHIPPED",
        "orders.v1.Order.LabelsEntry.value",
        "google.protobuf.Timestamp",
    ] {
        assert!(
            reach.elements.contains_key(element),
            "{element} not reached"
        );
    }
    for element in [
        "orders.v1.TrackRequest",
        "orders.v1.OrderEvent",
        "users.v1.UserById",
        "users.v1.UsersService",
    ] {
        assert!(!reach.elements.contains_key(element), "{element} reached");
    }
    let role = reach.route("users.v1.User.role").unwrap();
    assert_eq!(role.to_string(), "OrdersService/CreateOrder response");
    let items = reach.route("orders.v1.LineItem.sku").unwrap();
    assert_eq!(items.direction, Direction::Request);
    // An element inside a reached one (a reserved range, an option) routes through it;
    // an RPC of a called service that is not called itself is not reached.
    assert!(reach.route("users.v1.User.role.options").is_some());
    assert!(reach.route("orders.v1.OrdersService").is_some());
    assert!(reach.route("orders.v1.OrdersService.TrackOrders").is_none());
    assert!(reach.route("orders.v1.OrdersService.CreateOrder").is_some());
}

#[test]
fn unknown_rpc_is_an_error_naming_it() {
    let contract = fixtures();
    let error = reach::reach(&contract, &rpcs(&["users.v1.UsersService/Delete"])).unwrap_err();
    assert!(error.to_string().contains("has no RPC Delete"), "{error}");
}

#[test]
fn lock_keeps_only_what_is_observed() {
    let contract = fixtures();
    let lock = Lock::snapshot(
        &contract,
        "shop-client",
        Role::Consumer,
        rpcs(&["users.v1.UsersService/FindOne"]),
    )
    .unwrap();
    assert_eq!(lock.files.len(), 1, "orders.proto is not observed");
    let users = &lock.files[0];
    let messages: Vec<_> = users.message_type.iter().map(|m| m.name()).collect();
    assert_eq!(messages, ["UserById", "User"]);
    assert_eq!(users.service[0].method.len(), 1);
    assert!(users.source_code_info.is_none());
    // The rendering is one record a line and reads back to the same lock.
    let text = lock.render();
    assert!(text.contains(r#"{"name": "role", "number": 4, "label": "LABEL_OPTIONAL", "type": "TYPE_STRING", "json_name": "role"}"#), "{text}");
    let back = Lock::parse(&text, Path::new("protogen.lock")).unwrap();
    assert_eq!(back, lock);
    assert_eq!(back.render(), text);
}

#[test]
fn lock_of_a_nested_import_keeps_dependencies_self_contained() {
    let contract = fixtures();
    let lock = Lock::snapshot(
        &contract,
        "shop-client",
        Role::Consumer,
        rpcs(&["orders.v1.OrdersService/TrackOrders"]),
    )
    .unwrap();
    let names: Vec<_> = lock.files.iter().map(|f| f.name()).collect();
    // TrackOrders never reaches users.v1, but orders.proto imports it: kept as an empty shell.
    assert_eq!(names, ["orders/v1/orders.proto", "users/v1/users.proto"]);
    assert!(lock.files[1].message_type.is_empty() && lock.files[1].service.is_empty());
    assert_eq!(lock.files[1].package(), "users.v1");
    let orders: Vec<_> = lock.files[0]
        .message_type
        .iter()
        .map(|m| m.name())
        .collect();
    assert_eq!(orders, ["TrackRequest", "OrderEvent"]);
    assert_eq!(lock.files[0].enum_type.len(), 1);
}

#[test]
fn hash_is_deterministic_and_tracks_content() {
    let contract = fixtures();
    let one = |names: &[&str]| Lock::snapshot(&contract, "c", Role::Consumer, rpcs(names)).unwrap();
    let a = one(&["users.v1.UsersService/FindOne"]);
    assert_eq!(a.hash, one(&["users.v1.UsersService/FindOne"]).hash);
    assert_ne!(a.hash, one(&["users.v1.UsersService/FindMany"]).hash);
    assert_eq!(a.short_hash().len(), 7);
    let producer = Lock::snapshot(
        &contract,
        "c",
        Role::Producer,
        rpcs(&["users.v1.UsersService/FindOne"]),
    )
    .unwrap();
    assert_ne!(a.hash, producer.hash);
}

#[test]
fn hand_edits_and_garbage_are_refused_with_the_file_named() {
    let contract = fixtures();
    let lock = Lock::snapshot(
        &contract,
        "c",
        Role::Consumer,
        rpcs(&["users.v1.UsersService/FindOne"]),
    )
    .unwrap();
    let path = Path::new("shop-client/protogen.lock");
    let edited = lock.render().replace("TYPE_STRING", "TYPE_INT32");
    let error = format!("{:#}", Lock::parse(&edited, path).unwrap_err());
    assert!(
        error.contains("shop-client/protogen.lock was edited by hand"),
        "{error}"
    );
    for bad in ["not json", "{}", r#"{"version": 9}"#] {
        let error = format!("{:#}", Lock::parse(bad, path).unwrap_err());
        assert!(
            error.contains("shop-client/protogen.lock") && error.contains("protogen sync --lock"),
            "{error}"
        );
    }
}

/// The fixtures with `edits` (from, to) applied to users.proto, compiled.
fn edited(edits: &[(&str, &str)]) -> Contract {
    let dir = tempfile::tempdir().unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/proto");
    for file in ["users/v1/users.proto", "orders/v1/orders.proto"] {
        let mut text = std::fs::read_to_string(root.join(file)).unwrap();
        if file.starts_with("users") {
            for (from, to) in edits {
                assert!(text.contains(from), "{from}");
                text = text.replacen(from, to, 1);
            }
        }
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    contract::load(
        &Source::Dir(dir.path().to_path_buf()),
        Side::Current,
        &LoadOptions::default(),
    )
    .unwrap()
}

fn verdict(calls: &[&str], current: &Contract) -> crate::consumers::Verdict {
    let lock = Lock::snapshot(&fixtures(), "orders-client", Role::Consumer, rpcs(calls)).unwrap();
    let file = LockFile {
        path: "orders-client/protogen.lock".into(),
        lock,
    };
    let rules = crate::compat::RuleSet::category("WIRE_JSON").unwrap();
    assess(&file, current, &[], |b, c| {
        crate::compat::check(b, c, &rules)
    })
    .unwrap()
}

#[test]
fn breaks_say_what_changed_and_through_which_rpc() {
    let current = edited(&[
        ("string role = 4;", "int32 role = 4;"),
        ("string name = 3;", "repeated string name = 3;"),
    ]);
    let v = verdict(&["orders.v1.OrdersService/ListOrders"], &current);
    let lines: Vec<String> = v
        .breaks
        .iter()
        .map(|b| format!("{} breaks: {}", v.crate_name, b.sentence()))
        .collect();
    assert_eq!(
        lines,
        [
            "orders-client breaks: users.v1.User.name (field 3) changed cardinality singular -> repeated, reached through OrdersService/ListOrders response",
            "orders-client breaks: users.v1.User.role (field 4) changed type string -> int32, reached through OrdersService/ListOrders response",
        ]
    );
    assert!(v
        .breaks
        .iter()
        .all(|b| b.path == "users/v1/users.proto" && b.line > 0));
}

#[test]
fn deleted_rpcs_break_their_callers_only() {
    let current = edited(&[("  rpc FindOne (UserById) returns (User) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }\n", "")]);
    let caller = verdict(&["users.v1.UsersService/FindOne"], &current);
    assert_eq!(caller.breaks.len(), 1);
    assert_eq!(caller.breaks[0].rules, ["RPC_NO_DELETE"]);
    assert_eq!(
        caller.breaks[0].summary,
        "users.v1.UsersService.FindOne was deleted"
    );
    let other = verdict(&["users.v1.UsersService/FindMany"], &current);
    assert!(other.breaks.is_empty(), "{:?}", other.breaks);
    assert_eq!(other.status, "safe");
}

#[test]
fn a_vanished_package_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("other.proto"),
        "syntax = \"proto3\";\npackage other.v1;\nmessage M {}\n",
    )
    .unwrap();
    let current = contract::load(
        &Source::Dir(dir.path().to_path_buf()),
        Side::Current,
        &LoadOptions::default(),
    )
    .unwrap();
    let lock = Lock::snapshot(
        &fixtures(),
        "c",
        Role::Consumer,
        rpcs(&["users.v1.UsersService/FindOne"]),
    )
    .unwrap();
    let file = LockFile {
        path: "c/protogen.lock".into(),
        lock,
    };
    let error = assess(&file, &current, &[], |_, _| Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("c/protogen.lock")
            && error.contains("package users.v1")
            && error.contains("protogen sync --lock"),
        "{error}"
    );
}

#[test]
fn safe_reasons_name_three_elements_at_most() {
    let unobserved = |names: &[&str]| -> Vec<crate::consumers::Unobserved> {
        names
            .iter()
            .map(|n| crate::consumers::Unobserved {
                rule: "RPC_NO_DELETE".into(),
                element: n.to_string(),
                reason: "not an RPC it calls".into(),
            })
            .collect()
    };
    assert_eq!(
        impact::safe_reason(1, 0, &[]),
        "nothing that its 1 RPC observes changed incompatibly"
    );
    assert_eq!(
        impact::safe_reason(2, 0, &unobserved(&["a.B", "a.C"])),
        "nothing that its 2 RPCs observe changed incompatibly; the breaking changes to a.B and a.C do not reach it (not an RPC it calls)"
    );
    assert_eq!(
        impact::safe_reason(2, 0, &unobserved(&["a.B", "a.C", "a.D", "a.E", "a.F"])),
        "nothing that its 2 RPCs observe changed incompatibly; the breaking changes to a.B, a.C, a.D and 2 more do not reach it (not an RPC it calls)"
    );
}

#[test]
fn file_level_findings_count_for_files_the_consumer_reads() {
    let current = edited(&[(
        "package users.v1;",
        "package users.v1;\noption java_package = \"com.example.users\";",
    )]);
    let lock = Lock::snapshot(
        &fixtures(),
        "c",
        Role::Consumer,
        rpcs(&["users.v1.UsersService/FindOne"]),
    )
    .unwrap();
    let file = LockFile {
        path: "c/protogen.lock".into(),
        lock,
    };
    let finding = |element: &str| crate::compat::Finding {
        rule: "FILE_SAME_JAVA_PACKAGE",
        path: "users/v1/users.proto".into(),
        line: 1,
        column: 1,
        message: "java package changed".into(),
        element: element.into(),
        severity: crate::compat::Severity::Error,
        packages: Vec::new(),
    };
    let v = assess(&file, &current, &[], |_, _| {
        vec![finding("users/v1/users.proto")]
    })
    .unwrap();
    assert_eq!(v.breaks.len(), 1);
    assert_eq!(v.breaks[0].reached_through, "UsersService/FindOne request");
    // A file the consumer does not read: listed as not reaching it.
    let v = assess(
        &file,
        &current,
        &[finding("orders/v1/orders.proto")],
        |_, _| vec![finding("orders/v1/orders.proto")],
    )
    .unwrap();
    assert!(v.breaks.is_empty());
    assert_eq!(v.unobserved.len(), 1);
}

/// proto3 `optional` puts a field in a synthetic oneof: presence changed, no oneof was joined
/// (the model's `Field::oneof`), as `diff` says too.
#[test]
fn proto3_optional_is_presence_not_a_oneof() {
    let current = edited(&[("string name = 3;", "optional string name = 3;")]);
    let lock = Lock::snapshot(
        &fixtures(),
        "orders-client",
        Role::Consumer,
        rpcs(&["orders.v1.OrdersService/ListOrders"]),
    )
    .unwrap();
    let file = LockFile {
        path: "orders-client/protogen.lock".into(),
        lock,
    };
    let rules = crate::compat::RuleSet::category("FILE").unwrap();
    let v = assess(&file, &current, &[], |b, c| {
        crate::compat::check(b, c, &rules)
    })
    .unwrap();
    let summaries: Vec<&str> = v.breaks.iter().map(|b| b.summary.as_str()).collect();
    assert_eq!(
        summaries,
        ["users.v1.User.name (field 3) changed cardinality singular -> optional"]
    );
}
