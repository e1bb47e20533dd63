//! End to end: scaffold workspaces with `protogen new`, then build, run and call them with
//! cargo. Slow (they compile tonic), so they share one target dir and the same dependencies:
//! `PROTOGEN_GEN_TARGET_DIR`, or `<CARGO_TARGET_TMPDIR>/generated`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

mod common;

use common::{cargo, copy_dir, generated_target_dir, implement, ORDERS, USERS};

fn protogen(cwd: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "protogen {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: Output, what: &str) -> Output {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    output
}

/// Every `unimplemented_rpc!` stub in the handler files: (route, "file:line").
fn stubs(workspace: &Path, server: &str) -> Vec<(String, String)> {
    let handlers = workspace.join(server).join("src/handlers");
    let mut stubs = Vec::new();
    for entry in std::fs::read_dir(&handlers).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (index, line) in text.lines().enumerate() {
            if let Some(rest) = line.split("unimplemented_rpc!(\"").nth(1) {
                let route = rest.split('"').next().unwrap().to_string();
                let file = path.file_name().unwrap().to_string_lossy();
                stubs.push((route, format!("{server}/src/handlers/{file}:{}", index + 1)));
            }
        }
    }
    stubs.sort();
    stubs
}

/// The build fails once per stub, and each error names the RPC at the stub's file and line.
fn assert_fails_at_every_stub(output: &Output, stubs: &[(String, String)]) {
    assert!(!output.status.success(), "the build should fail on stubs");
    let stderr = stderr(output);
    let errors = stderr.matches("is not implemented yet").count();
    assert_eq!(errors, stubs.len(), "one error per stub:\n{stderr}");
    for (route, location) in stubs {
        let message = format!("error: RPC `{route}` is not implemented yet");
        let at = stderr
            .find(&message)
            .unwrap_or_else(|| panic!("no error for {route}:\n{stderr}"));
        let arrow = stderr[at..].lines().nth(1).unwrap_or_default();
        assert!(
            arrow.trim_start().starts_with(&format!("--> {location}:")),
            "{route} should point at {location}, got {arrow:?}"
        );
    }
}

fn write_handlers(workspace: &Path) {
    implement(
        workspace,
        USERS,
        "users.v1.UsersService/FindOne",
        r#"        let id = request.into_inner().id;
        if id.is_empty() {
            return Err(Status::invalid_argument("id is required"));
        }
        Ok(Response::new(pb::User {
            email: format!("{id}@example.com"),
            id,
            name: "Ada".into(),
            role: "admin".into(),
        }))
"#,
    );
    implement(
        workspace,
        USERS,
        "users.v1.UsersService/FindMany",
        r#"        let filter = request.into_inner();
        let users: Vec<Result<pb::User, Status>> = (0..filter.limit)
            .map(|i| Ok(pb::User { id: format!("u{i}"), role: filter.role.clone(), ..Default::default() }))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(users))))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/CreateOrder",
        r#"        let order = request.into_inner();
        Ok(Response::new(pb::Order {
            id: format!("order-of-{}", order.user_id),
            customer: Some(shop_api::users::v1::User { id: order.user_id, ..Default::default() }),
            items: order.items,
            status: pb::OrderStatus::Pending as i32,
            created_at: Some(shop_api::prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 }),
            labels: [("channel".to_string(), "test".to_string())].into(),
            payment: Some(pb::order::Payment::CardToken("tok_visa".into())),
        }))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/ListOrders",
        r#"        let user = request.into_inner().user_id;
        let orders: Vec<Result<pb::Order, Status>> = (1..=2)
            .map(|i| Ok(pb::Order { id: format!("{user}-{i}"), ..Default::default() }))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(orders))))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/UploadItems",
        r#"        let mut incoming = request.into_inner();
        let mut items = Vec::new();
        while let Some(item) = incoming.message().await? {
            items.push(item);
        }
        Ok(Response::new(pb::Order { id: format!("upload-{}", items.len()), items, ..Default::default() }))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/TrackOrders",
        r#"        let mut incoming = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            while let Ok(Some(track)) = incoming.message().await {
                let event = pb::OrderEvent {
                    order_id: track.order_id,
                    status: pb::OrderStatus::Shipped as i32,
                    at: None,
                };
                if tx.send(Ok(event)).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
"#,
    );
}

/// A test the user would write: every RPC kind through the generated clients, with answers.
const ANSWERS_TEST: &str = r#"
use shop_client::orders::v1::{self as orders, OrdersServiceClient};
use shop_client::users::v1::{self as users, UsersServiceClient};

#[tokio::test]
async fn every_rpc_kind_answers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(shop_server::serve(listener));
    let channel = shop_client::connect(&format!("http://{addr}")).await.unwrap();

    let mut users = UsersServiceClient::new(channel.clone());
    let user = users.find_one(users::UserById { id: "42".into() }).await.unwrap().into_inner();
    assert_eq!(user.email, "42@example.com");
    let missing = users.find_one(users::UserById::default()).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::InvalidArgument);
    let filter = users::UserFilter { role: "admin".into(), limit: 3 };
    let many = shop_client::collect(users.find_many(filter).await.unwrap().into_inner()).await.unwrap();
    assert_eq!(many.len(), 3);
    assert!(many.iter().all(|u| u.role == "admin"));

    let mut orders = OrdersServiceClient::new(channel);
    let item = |sku: &str| orders::LineItem { sku: sku.into(), quantity: 2, price_cents: 150 };
    let created = orders
        .create_order(orders::CreateOrderRequest { user_id: "42".into(), items: vec![item("a")] })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.id, "order-of-42");
    assert_eq!(created.customer.as_ref().unwrap().id, "42");
    assert_eq!(created.status(), orders::OrderStatus::Pending);
    assert_eq!(created.created_at.unwrap().seconds, 1_700_000_000);
    assert_eq!(created.labels["channel"], "test");
    assert_eq!(created.payment, Some(orders::order::Payment::CardToken("tok_visa".into())));

    let listed = orders.list_orders(orders::ListOrdersRequest { user_id: "42".into() }).await.unwrap();
    let listed = shop_client::collect(listed.into_inner()).await.unwrap();
    assert_eq!(listed.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["42-1", "42-2"]);

    let uploads = shop_client::tokio_stream::iter(vec![item("a"), item("b"), item("c")]);
    let uploaded = orders.upload_items(uploads).await.unwrap().into_inner();
    assert_eq!(uploaded.id, "upload-3");
    assert_eq!(uploaded.items[2].sku, "c");

    let tracks = shop_client::tokio_stream::iter(vec![
        orders::TrackRequest { order_id: "o1".into() },
        orders::TrackRequest { order_id: "o2".into() },
    ]);
    let events = orders.track_orders(tracks).await.unwrap().into_inner();
    let events = shop_client::collect(events).await.unwrap();
    assert_eq!(events.iter().map(|e| e.order_id.as_str()).collect::<Vec<_>>(), ["o1", "o2"]);
    assert!(events.iter().all(|e| e.status() == orders::OrderStatus::Shipped));
}
"#;

/// Starts a generated server on free loopback ports; returns it and the gRPC address its
/// first line announces ("NAME listening on ADDR").
fn start_server(command: &mut Command, name: &str) -> (Child, String) {
    let mut server = command
        .env("HTTP_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    assert!(
        first_line.starts_with(&format!("{name} listening on")),
        "{first_line:?}"
    );
    let addr = first_line.trim().rsplit(' ').next().unwrap_or_default();
    (server, addr.to_string())
}

/// Starts the built server binary on a free port and runs the client's example against it.
fn run_server_and_example(workspace: &Path) -> String {
    let debug = generated_target_dir().join("debug");
    let mut command = Command::new(debug.join("shop-server"));
    command
        .current_dir(workspace)
        .env("SHOP_ADDR", "127.0.0.1:0");
    let (mut server, addr) = start_server(&mut command, "shop-server");
    let example = Command::new(debug.join("examples/call"))
        .env("SHOP_ADDR", &addr)
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let example = succeeded(example, "the client's example");
    String::from_utf8(example.stdout).unwrap()
}

#[test]
fn fixtures_from_new_to_a_served_contract() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of the contract: the test changes it at the end.
    copy_dir(
        &common::project_root().join("fixtures/proto"),
        &dir.path().join("proto"),
    );
    protogen(dir.path(), &["new", "shop", "--proto", "proto"]);
    let workspace = dir.path().join("shop");

    // 1. Fresh: every stub fails the build, at its own file and line.
    let stubs = stubs(&workspace, "shop-server");
    assert_eq!(stubs.len(), 6, "{stubs:?}");
    assert_fails_at_every_stub(&cargo(&workspace, &["build"]), &stubs);

    // 2. Handlers written: the workspace builds, its tests and ours pass.
    write_handlers(&workspace);
    std::fs::write(workspace.join("shop-server/tests/answers.rs"), ANSWERS_TEST).unwrap();
    let tested = succeeded(cargo(&workspace, &["test"]), "cargo test");
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert!(
        stdout.contains("test every_rpc_kind_answers ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test every_rpc_is_served ... ok"),
        "{stdout}"
    );

    // 3. The binary serves and the example calls it.
    let printed = run_server_and_example(&workspace);
    for answer in [
        "users.v1.UsersService/FindOne: error InvalidArgument: id is required",
        "users.v1.UsersService/FindMany: []",
        "orders.v1.OrdersService/CreateOrder: Order { id: \"order-of-\"",
        "orders.v1.OrdersService/ListOrders: [Order { id: \"-1\"",
        "orders.v1.OrdersService/UploadItems: Order { id: \"upload-1\"",
        "orders.v1.OrdersService/TrackOrders: [OrderEvent { order_id: \"\", status: Shipped",
    ] {
        assert!(
            printed.contains(answer),
            "expected {answer:?} in:\n{printed}"
        );
    }

    // 4. The contract gains an RPC: the server stops compiling, naming the missing method.
    let orders = dir.path().join("proto/orders/v1/orders.proto");
    let text = std::fs::read_to_string(&orders).unwrap().replace(
        "service OrdersService {",
        "service OrdersService {\n  rpc CancelOrder (ListOrdersRequest) returns (Order);",
    );
    std::fs::write(&orders, text).unwrap();
    let broken = cargo(&workspace, &["build"]);
    assert!(!broken.status.success());
    let stderr = stderr(&broken);
    assert!(
        stderr.contains("missing: `cancel_order`")
            && stderr.contains("orders_v1_orders_service.rs"),
        "{stderr}"
    );
}

/// Keywords as package segment, RPC and field names, `self`, lower-case RPCs, Empty and
/// wrapper types, proto2, two services named `Lookup`, comments with code blocks: the stubs
/// match the traits tonic generates, and the workspace's own tests pass.
#[test]
fn edge_case_names_compile_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::project_root().join("fixtures/edge");
    protogen(
        dir.path(),
        &["new", "edge", "--proto", fixture.to_str().unwrap()],
    );
    let workspace = dir.path().join("edge");
    let stubs = stubs(&workspace, "edge-server");
    assert_eq!(stubs.len(), 6, "{stubs:?}");
    assert_fails_at_every_stub(&cargo(&workspace, &["build"]), &stubs);
    let tested = succeeded(
        cargo(
            &workspace,
            &["test", "--features", "edge-server/allow-unimplemented"],
        ),
        "cargo test with stubs allowed",
    );
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert!(
        stdout.contains("test every_rpc_is_served ... ok"),
        "{stdout}"
    );
}

/// A large real contract: Google Pub/Sub (3 services, 35 RPCs, imports from google/api and
/// the well-known types) from google-proto-files 6.0.1 compiles as scaffolded, and its
/// generated test reaches all 35 stubs (answering UNIMPLEMENTED).
#[test]
fn google_pubsub_compiles() {
    let Some(google) = common::google_protos("6.0.1") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pubsub = google.join("google/pubsub/v1");
    let started = Instant::now();
    protogen(
        dir.path(),
        &[
            "new",
            "pubsub",
            "--proto",
            pubsub.join("pubsub.proto").to_str().unwrap(),
            "--proto",
            pubsub.join("schema.proto").to_str().unwrap(),
        ],
    );
    eprintln!(
        "protogen new pubsub: {:.2}s",
        started.elapsed().as_secs_f64()
    );
    let workspace = dir.path().join("pubsub");
    assert_eq!(stubs(&workspace, "pubsub-server").len(), 35);
    succeeded(
        cargo(
            &workspace,
            &["test", "--features", "pubsub-server/allow-unimplemented"],
        ),
        "testing the Pub/Sub workspace",
    );
}

/// The handlers of fixtures/editions' EchoService: EchoShape answers with the shape as prost
/// decoded it; Inspect says what it decoded, with the types the features give (the
/// annotations do not compile otherwise), and answers with an implicit zero, an explicit zero
/// and a number the closed enum Size does not have.
const EDITIONS_HANDLERS: [(&str, &str); 2] = [
    (
        "editions.v1.EchoService/EchoShape",
        "        Ok(Response::new(request.into_inner()))\n",
    ),
    (
        "editions.v1.EchoService/Inspect",
        r#"        let message = request.into_inner();
        let count: i32 = message.count;
        let limit: Option<i32> = message.limit;
        let shape = message.shape.clone().unwrap_or_default();
        let id: String = shape.id.clone();
        let sides: Option<i32> = shape.sides;
        let part: Option<pb::Part> = shape.part.clone();
        let parts: Vec<pb::Part> = shape.parts.clone();
        let _note: Option<Vec<u8>> = shape.note.clone();
        let seen = format!(
            "count={count} limit={limit:?} mode={:?} modes={:?} choice={:?} id={id} sides={sides:?} \
             size={:?} ratio={} packed={:?} expanded={:?} part={:?} parts={}",
            message.mode(),
            message.modes().collect::<Vec<_>>(),
            message.choice,
            shape.size(),
            shape.ratio(),
            shape.packed_numbers,
            shape.expanded_numbers,
            part.and_then(|p| p.name),
            parts.len(),
        );
        Ok(Response::new(pb::InspectResponse { seen, count, limit, size: Some(99) }))
"#,
    ),
];

/// An editions contract (edition 2023 and 2024 files using each feature, fixtures/editions):
/// scaffolded, synced, its stubs fail the build at their lines, it builds with its handlers,
/// serves, and a client not written in Rust (Python's protobuf on upb with grpcio, its
/// messages from buf's image of the editions files) gets its bytes back unchanged (a string
/// without UTF-8 validation holding bytes that are not UTF-8 too) and reads presence and a
/// closed enum's unknown value as the features say.
#[test]
fn an_editions_contract_serves_a_python_client() {
    let (Some(buf), Some(python)) = (
        common::native_buf(),
        common::python_with(
            "import grpc; from google.protobuf import descriptor_pb2; descriptor_pb2.EDITION_2024",
        ),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &common::project_root().join("fixtures/editions"),
        &dir.path().join("proto"),
    );
    protogen(dir.path(), &["new", "edition", "--proto", "proto"]);
    let workspace = dir.path().join("edition");
    let synced = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .current_dir(&workspace)
        .arg("sync")
        .output()
        .unwrap();
    let synced = String::from_utf8_lossy(&succeeded(synced, "protogen sync").stdout).into_owned();
    assert!(synced.contains("nothing to change"), "{synced}");

    let stubs = stubs(&workspace, "edition-server");
    assert_eq!(stubs.len(), 2, "{stubs:?}");
    assert_fails_at_every_stub(&cargo(&workspace, &["build"]), &stubs);
    let handlers = workspace.join("edition-server/src/handlers/editions_v1_echo_service.rs");
    let mut text = std::fs::read_to_string(&handlers).unwrap();
    for (route, body) in EDITIONS_HANDLERS {
        let stub = format!(
            "        let _ = request;\n        edition_api::unimplemented_rpc!(\"{route}\")\n"
        );
        assert!(text.contains(&stub), "no stub for {route}");
        text = text.replace(&stub, body);
    }
    std::fs::write(&handlers, text).unwrap();
    succeeded(cargo(&workspace, &["build"]), "cargo build");

    let image = dir.path().join("image.binpb");
    let built = Command::new(&buf)
        .arg("build")
        .arg(dir.path().join("proto"))
        .arg("-o")
        .arg(&image)
        .output()
        .unwrap();
    succeeded(built, "buf build");
    let mut command = Command::new(generated_target_dir().join("debug/edition-server"));
    command.env("EDITION_ADDR", "127.0.0.1:0");
    let (mut server, addr) = start_server(&mut command, "edition-server");
    let client = Command::new(python)
        .arg(common::project_root().join("tests/interop/editions.py"))
        .arg(&addr)
        .arg(&image)
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let client = succeeded(client, "the Python client");
    let seen: serde_json::Value = serde_json::from_slice(&client.stdout).unwrap();

    // Python's bytes of the editions Shape: required id, explicit sides = 0 (10 00), the
    // closed enum (18 01), packed (22 04 01 02 ac 02) and expanded (28 03 28 04) numbers, a
    // delimited part (33 .. 34) and parts (3b .. 3c), ratio 0.0; prost's answer is the same.
    let sent =
        "0a0273311000180122040102ac0228032804330a0170343b0a01713c3b0a01723c410000000000000000";
    assert_eq!(seen["shape_sent"], sent, "{seen}");
    assert_eq!(seen["shape_answer"], sent, "{seen}");
    assert_eq!(seen["shape_back_equal"], true);
    assert_eq!(seen["shape_back_has_sides"], true);
    // A string without UTF-8 validation holding ff fe: Option<Vec<u8>> in Rust (the handler's
    // annotation), taken and answered as sent.
    assert_eq!(
        seen["unvalidated_sent"],
        format!("{sent}4a02fffe"),
        "{seen}"
    );
    assert_eq!(
        seen["unvalidated_answer"], seen["unvalidated_sent"],
        "{seen}"
    );
    // What prost decoded from Python's bytes: presence of zeros, enums, a oneof's zero, the
    // closed enum's and the double's defaults, both encodings, the group.
    assert_eq!(
        seen["seen"],
        "count=0 limit=Some(0) mode=Fast modes=[Fast, Unspecified] choice=Some(Code(0)) id=s2 \
         sides=None size=Large ratio=1.5 packed=[5] expanded=[6, 7] part=Some(\"g\") parts=0",
        "{seen}"
    );
    // prost's answer: no implicit count (0), the explicit limit 0 (18 00), size 99 (20 63),
    // which Python keeps among the unknown fields of the closed enum's field.
    assert_eq!(seen["after_seen"], "18002063", "{seen}");
    assert_eq!(seen["count_has_presence"], false);
    assert_eq!(seen["has_limit"], true);
    assert_eq!(seen["has_size"], false, "{seen}");
    assert_eq!(seen["size"], 1, "the closed enum's first value");
    assert_eq!(seen["unknown"], serde_json::json!([[4, 99]]), "{seen}");
}
