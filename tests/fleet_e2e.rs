//! Typed clients over a fleet, end to end: one workspace made by `protogen new`, built once,
//! then the scenarios of `tests/fleet/` (spread, SIGKILL under load, a replica answering
//! UNAVAILABLE, scale-up and scale-down through DNS (re-resolved every second, or found after
//! the servers' MAX_CONNECTION_AGE), every replica down and one back, `ipv4:`
//! and `http://` targets): three replicas of the generated server binary on 127.0.0.2-4 and a
//! real dnsmasq, called through `dns://127.0.0.1:PORT/users.test:PORT`.

use std::path::{Path, PathBuf};

mod common;

use common::{cargo_ok, copy_dir, generated_target_dir, implement, USERS};

/// Scaffolds the fixtures: FindOne answers with the replica's name (`REPLICA`), or
/// UNAVAILABLE when `ANSWER_UNAVAILABLE` is set; the scenario crate joins the workspace.
fn scaffold(dir: &Path) -> PathBuf {
    copy_dir(
        &common::project_root().join("fixtures/proto"),
        &dir.join("proto"),
    );
    let workspace = common::new_shop(dir);
    implement(
        &workspace,
        USERS,
        "users.v1.UsersService/FindOne",
        r#"        let id = request.into_inner().id;
        let replica = std::env::var("REPLICA").unwrap_or_default();
        if std::env::var_os("ANSWER_UNAVAILABLE").is_some() {
            return Err(Status::unavailable(format!("replica {replica} is draining")));
        }
        Ok(Response::new(pb::User { id, name: replica, ..Default::default() }))
"#,
    );

    let scenarios = common::project_root().join("tests/fleet");
    common::add_scenario_crate(&workspace, &scenarios, "scenarios.rs", "fleet-tests");
    workspace
}

#[test]
fn generated_clients_balance_over_a_fleet_named_by_dns() {
    let Some(dnsmasq) = common::system_peer("dnsmasq") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path());
    // Only FindOne is implemented; the other RPCs answer UNIMPLEMENTED. The same features in
    // both commands, so the api crate compiles once.
    let features = "shop-api/allow-unimplemented";
    cargo_ok(
        &workspace,
        &["build", "-p", "shop-server", "--features", features],
    );
    // `debug/shop-server` of the shared target dir is every generated workspace's: copied at
    // once, and checked to be this one (its handler reads ANSWER_UNAVAILABLE), before another
    // test's build replaces it.
    let server = dir.path().join("shop-server");
    std::fs::copy(generated_target_dir().join("debug/shop-server"), &server).unwrap();
    let binary = std::fs::read(&server).unwrap();
    assert!(
        binary
            .windows(b"ANSWER_UNAVAILABLE".len())
            .any(|window| window == b"ANSWER_UNAVAILABLE"),
        "debug/shop-server was replaced by another workspace's build before it was copied"
    );
    // The scenarios read these; the child cargo and its test binary inherit them.
    std::env::set_var("FLEET_SERVER", &server);
    std::env::set_var("FLEET_DNSMASQ", &dnsmasq);
    let tested = cargo_ok(
        &workspace,
        &[
            "test",
            "-p",
            "fleet-tests",
            "--features",
            features,
            "--",
            "--test-threads=1",
            "--show-output",
        ],
    );
    let stdout = String::from_utf8_lossy(&tested.stdout);
    for line in stdout.lines().filter(|line| line.starts_with("FLEET")) {
        eprintln!("{line}");
    }
    for scenario in [
        "calls_spread_over_the_replicas_a_dns_server_names",
        "a_killed_replica_is_ejected_and_no_idempotent_call_fails",
        "a_replica_answering_unavailable_is_ejected_by_its_breaker",
        "a_replica_added_to_dns_takes_a_share_and_a_removed_one_leaves",
        "max_connection_age_lets_a_client_without_resolve_interval_find_a_scale_up",
        "every_replica_down_fails_fast_and_one_back_restores_service",
        "ipv4_lists_and_plain_http_targets_keep_working",
    ] {
        assert!(
            stdout.contains(&format!("test {scenario} ... ok")),
            "{scenario} did not pass:\n{stdout}"
        );
    }
}
