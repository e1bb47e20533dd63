//! Project chores: `cargo xtask setup` installs the peers the tests compare against,
//! `cargo xtask test` runs the whole suite and then each fuzz target briefly, `cargo xtask
//! fuzz` runs the fuzz targets, `cargo xtask demo` runs the main job on the fixtures,
//! `cargo xtask bench` measures protogen against its peers, `cargo xtask bench-server` the
//! generated server's runtime overhead and the cost of request validation.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

mod bench;
mod bench_balancer;
mod bench_events;
mod bench_server;
mod bench_validate;
mod corpus;
mod fuzz;

/// Peers and corpora, pinned so that every run compares against the same thing.
pub(crate) const BUF_VERSION: &str = "1.75.0";
/// tests/sarif_schema.rs: the npm package whose copy of the SARIF 2.1.0 JSON schema it uses, and
/// the draft-04 validator it runs. The validator's packages are named, not left to npm's
/// hoisting: on a fresh install jest-sarif's ajv 6 takes the top level and ajv-draft-04 ends up
/// nested under another package.
const SARIF_SCHEMA: [&str; 4] = [
    "@microsoft/jest-sarif@1.0.0-beta.0",
    "ajv@8.17.1",
    "ajv-draft-04@1.0.0",
    "ajv-formats@3.0.1",
];
/// The non-Rust gRPC client of the interop test (tests/interop/client.js).
const GRPC_JS: [&str; 2] = ["@grpc/grpc-js@1.14.7", "@grpc/proto-loader@0.8.1"];
const GOOGLE_PROTOS: [&str; 2] = ["5.0.0", "6.0.1"];
/// The non-Rust publisher of the events test (tests/events/publish.js).
const NATS_JS: &str = "nats@2.29.3";
/// The Kafka-compatible broker of the events test (crates.io).
const NISSHI_VERSION: &str = "0.8.1";
/// Validates the generated servers' /openapi.json against the OpenAPI 3.1 schema (tests/rest_e2e.rs).
const OPENAPI_VALIDATOR: &str = "@seriousme/openapi-schema-validator@2.11.0";

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = project_root();
    match task.as_str() {
        "setup" => setup(&root),
        "test" => {
            setup(&root)?;
            // Every peer is installed now: a test that cannot find one fails, not skips.
            let tests = run(Command::new(cargo())
                .current_dir(&root)
                .env("PROTOGEN_REQUIRE_PEERS", "1")
                .args(["test", "--workspace", "--no-fail-fast"]));
            // A crash on any input fails CI like a failing test; both are reported.
            let fuzzing = fuzz::fuzz(&root, fuzz::CI_SECONDS, &fuzz::TARGETS);
            tests.and(fuzzing)
        }
        "fuzz" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let (seconds, targets) = fuzz::parse_args(&args)?;
            fuzz::fuzz(&root, seconds, &targets)
        }
        "fuzz-cmin" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let (_, targets) = fuzz::parse_args(&args)?;
            fuzz::cmin(&root, &targets)
        }
        "demo" => demo(&root),
        "bench" => {
            setup(&root)?;
            let args: Vec<String> = std::env::args().skip(2).collect();
            bench::bench(&root, &args)
        }
        "bench-server" => match std::env::args().nth(2).as_deref() {
            // Just the validation on/off comparison (bench_validate.rs).
            Some("--validation-only") => bench_validate::run(&root),
            // Just the events row (bench_events.rs).
            Some("--events-only") => bench_events::run(&root),
            // Just the generated server against plain tonic (bench_server.rs).
            Some("--runtime-only") => bench_server::run(&root),
            // Just the server's limits on against off (bench_server.rs).
            Some("--limits-only") => bench_server::run_limits(&root),
            // Just the client's balancer: dns: against http:// (bench_balancer.rs).
            Some("--balancer-only") => {
                bench_server::build(&root).and_then(|release| bench_balancer::run(&release))
            }
            _ => bench_server::run(&root)
                .and_then(|()| bench_balancer::run(&bench_server::release_dir(&root)))
                .and_then(|()| bench_server::run_limits(&root))
                .and_then(|()| bench_validate::run(&root))
                .and_then(|()| bench_events::run(&root)),
        },
        "corpus-expect" => {
            setup(&root)?;
            corpus::expect(&root)?;
            corpus::expect_lint(&root)
        }
        _ => {
            eprintln!("usage: cargo xtask <setup|test|fuzz|fuzz-cmin|demo|bench|bench-server|corpus-expect>\n\n  setup             install buf, @grpc/grpc-js, nats and an OpenAPI validator (npm) and Google's protos (two releases) under .tools/ and .cache/, nats-server (apt)\n  test              setup, then run the whole test suite, then each fuzz target for 25 s\n  fuzz [--seconds N] [TARGET]  run the fuzz targets of fuzz/ (default 10 s each) on their committed corpus\n  fuzz-cmin [TARGET]  minimise the committed fuzz corpus (after adding inputs to it)\n  demo              run protogen on the built-in fixtures\n  bench [--runs N] [--lint-only]  protogen check vs buf breaking, lint vs buf lint, compilation vs buf build and protoc, on Google's protos\n  bench-server      the generated server (runtime on) against a plain tonic server, same handlers;\n                    then request validation on against off (--validation-only: just that),\n                    then events through the runtime against each broker's plain client on NATS, Kafka (nisshi) and RabbitMQ (--events-only; BENCH_BROKERS to pick);\n                    then the server's limits on against off (--limits-only: just that);\n                    then the generated client through a dns: target against http:// (--balancer-only);\n                    --runtime-only: just the first table\n  corpus-expect     run buf on every case of fixtures/breaking/ (buf breaking) and fixtures/lint/ (buf lint) and store its findings as expected.json");
            std::process::exit(2)
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the project")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Installs what the differential tests need; each step is skipped when already done.
fn setup(root: &Path) -> anyhow::Result<()> {
    let tools = root.join(".tools");
    if !tools.join("node_modules/.bin/buf").exists() {
        eprintln!("setup: installing buf {BUF_VERSION} from npm into .tools/");
        std::fs::create_dir_all(&tools)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg(format!("@bufbuild/buf@{BUF_VERSION}")))?;
    }
    if !tools.join("node_modules/@grpc/proto-loader").exists() {
        eprintln!(
            "setup: installing {} from npm into .tools/",
            GRPC_JS.join(" ")
        );
        std::fs::create_dir_all(&tools)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .args(GRPC_JS))?;
    }
    if !tools.join("node_modules/nats").exists() {
        eprintln!("setup: installing {NATS_JS} from npm into .tools/");
        std::fs::create_dir_all(&tools)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg(NATS_JS))?;
    }
    if !tools.join("node_modules/@microsoft/jest-sarif").exists()
        || !tools.join("node_modules/ajv-draft-04").exists()
    {
        eprintln!(
            "setup: installing {} from npm into .tools/",
            SARIF_SCHEMA.join(" ")
        );
        std::fs::create_dir_all(&tools)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .args(SARIF_SCHEMA))?;
    }
    // The events test runs a real NATS server with JetStream: Debian's.
    if !on_path("nats-server") {
        eprintln!("setup: installing nats-server with apt-get");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", "nats-server"]))?;
    }
    // The events tests on RabbitMQ (Debian's server, run as a foreground process) and the
    // fleet test's DNS server (dnsmasq).
    for (package, program) in [
        ("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server"),
        ("dnsmasq-base", "/usr/sbin/dnsmasq"),
    ] {
        if !Path::new(program).exists() {
            eprintln!("setup: installing {package} with apt-get");
            run(Command::new("apt-get").arg("update"))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", package])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
    }
    // The non-Rust event clients of tests/events_e2e.rs (Kafka, RabbitMQ), and the editions
    // client of tests/new_e2e.rs (grpcio, and a protobuf that reads edition 2024: 5.29+).
    for (check, package) in [
        ("import pika", "pika"),
        ("import confluent_kafka", "confluent-kafka"),
        ("import grpc", "grpcio"),
        (
            "from google.protobuf import descriptor_pb2; descriptor_pb2.EDITION_2024",
            "protobuf>=5.29",
        ),
    ] {
        let present = Command::new("python3")
            .args(["-c", check])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !present {
            eprintln!("setup: installing {package} with pip");
            run(Command::new("python3").args(["-m", "pip", "install", "--quiet", package]))?;
        }
    }
    // The Kafka-compatible broker of the events test, built once outside the checkout (about
    // 12 minutes on 2 cores; it needs a newer rustc than stable, hence nightly).
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let nisshi = home.join(".cargo/bin/nisshi");
    let current = Command::new(&nisshi)
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(NISSHI_VERSION));
    if !current {
        eprintln!("setup: building nisshi {NISSHI_VERSION} with cargo +nightly install (~12 min)");
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
        // The outer cargo's toolchain must not leak into the nightly build.
        run(Command::new("cargo")
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("RUSTC")
            .args([
                "+nightly",
                "install",
                "nisshi",
                "--version",
                NISSHI_VERSION,
                "--locked",
                "--no-default-features",
                "--features",
                "dynostore",
            ]))?;
    }
    // The runtime's TLS test makes its certificates with the openssl command line.
    if !Path::new("/usr/bin/openssl").exists() {
        eprintln!("setup: installing openssl with apt-get");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", "--no-install-recommends", "openssl"]))?;
    }
    if !tools
        .join("node_modules/@seriousme/openapi-schema-validator")
        .exists()
    {
        eprintln!("setup: installing {OPENAPI_VALIDATOR} from npm into .tools/");
        std::fs::create_dir_all(&tools)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg(OPENAPI_VALIDATOR))?;
    }
    // The browser of the REST / gRPC-Web test: Debian's chromium, headless.
    if !on_path("chromium") {
        eprintln!("setup: installing chromium with apt-get");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    // The HTTP/2 attacks of tests/attack_e2e.rs (rapid reset, CONTINUATION flood): Python's h2.
    let has_h2 = Command::new("python3")
        .args(["-c", "import h2, hpack"])
        .status()
        .is_ok_and(|status| status.success());
    if !has_h2 {
        eprintln!("setup: installing Python's h2 with pip");
        run(Command::new("python3").args(["-m", "pip", "install", "--quiet", "h2>=4,<5"]))?;
    }
    let cache = root.join(".cache");
    for version in GOOGLE_PROTOS {
        let dir = cache.join(format!("google-proto-files-{version}"));
        if dir.join("package/buf.yaml").exists() {
            continue;
        }
        eprintln!(
            "setup: unpacking google-proto-files@{version} into {}",
            dir.display()
        );
        std::fs::create_dir_all(&dir)?;
        run(Command::new("npm")
            .args([
                "pack",
                "--silent",
                &format!("google-proto-files@{version}"),
                "--pack-destination",
            ])
            .arg(&dir))?;
        let tarball = dir.join(format!("google-proto-files-{version}.tgz"));
        run(Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dir))?;
        std::fs::remove_file(&tarball)?;
        // google/protobuf holds test protos that do not compile; the well-known types are
        // built into protox and buf anyway.
        std::fs::write(
            dir.join("package/buf.yaml"),
            "version: v2\nmodules:\n  - path: .\n    excludes: [google/protobuf]\n",
        )?;
    }
    for krate in ["prost-reflect", "protox-parse", "protox"] {
        fetch_published(root, krate)?;
    }
    Ok(())
}

/// tests/vendored_patches.rs compares patches/NAME with the crate as published plus
/// patches/NAME.diff; [patch.crates-io] keeps cargo from downloading that crate, so
/// a throwaway project outside the workspace fetches it into cargo's registry cache.
fn fetch_published(root: &Path, krate: &str) -> anyhow::Result<()> {
    let manifest = std::fs::read_to_string(root.join(format!("patches/{krate}/Cargo.toml")))?;
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .with_context(|| format!("patches/{krate}/Cargo.toml has no version"))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let crate_file = format!("{krate}-{version}.crate");
    let cached = std::fs::read_dir(home.join("registry/cache"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|index| index.path().join(&crate_file).is_file());
    if cached {
        return Ok(());
    }
    eprintln!("setup: fetching {krate} {version} as published (cargo fetch)");
    let dir = std::env::temp_dir().join(format!("protogen-fetch-{krate}-{version}"));
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n{krate} = \"={version}\"\n\n[workspace]\n"),
    )?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    run(Command::new(cargo()).current_dir(&dir).arg("fetch"))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// `protogen new` on the fixtures (users + orders: every RPC kind), into a fresh folder under
/// the system temp dir; prints the result and the handler a user opens first.
fn demo(root: &Path) -> anyhow::Result<()> {
    let out = std::env::temp_dir().join("protogen-demo");
    if out.exists() {
        // Only ever our own demo output, from an earlier run.
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    let workspace = out.join("shop");
    run(Command::new(cargo())
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--",
            "new",
            "shop",
            "--proto",
            "fixtures/proto",
            "--out",
        ])
        .arg(&workspace))?;
    let handler = workspace.join("shop-server/src/handlers/users_v1_users_service.rs");
    let text = std::fs::read_to_string(&handler)
        .with_context(|| format!("cannot read {}", handler.display()))?;
    println!("\n--- {} ---\n{text}", handler.display());
    println!(
        "Try it: cd {} && cargo build   # fails once per stub, naming the RPC at its line",
        workspace.display()
    );
    demo_consumers(root, &out, &workspace)
}

/// The contract changes under a deployed client: `protogen check` names the client that
/// breaks and the RPC that reaches the change, from the client's protogen.lock.
fn demo_consumers(root: &Path, out: &Path, workspace: &Path) -> anyhow::Result<()> {
    let changed = out.join("proto-changed");
    for file in ["users/v1/users.proto", "orders/v1/orders.proto"] {
        let target = changed.join(file);
        std::fs::create_dir_all(target.parent().expect("a file has a folder"))?;
        std::fs::copy(root.join("fixtures/proto").join(file), &target)?;
    }
    let users = changed.join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users)?;
    std::fs::write(&users, text.replace("string role = 4;", "int32 role = 4;"))?;
    println!("\n--- users.v1.User.role changed from string to int32: protogen check ---");
    // Exit code 1 (a break) is the point of the demo, not a failure of it.
    let _ = Command::new(cargo())
        .current_dir(root)
        .args(["run", "--quiet", "--", "check"])
        .arg(&changed)
        .arg("--against")
        .arg(root.join("fixtures/proto"))
        .arg("--consumers")
        .arg(workspace.join("shop-client"))
        .status()
        .with_context(|| "cannot run protogen check".to_string())?;
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}
