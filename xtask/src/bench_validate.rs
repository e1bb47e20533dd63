//! The validation part of `cargo xtask bench-server`: the server generated from
//! fixtures/validate with request validation on, against the same server with it turned off
//! in protogen.toml, in the same run: unary `Ping` (a request with five rules) at 64 in flight.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

use super::bench_server::{free_addr, fresh_proto, implement, protogen_new_shop, start};
use super::{cargo, run as run_command};

const SECONDS: &str = "5";
const CONCURRENCY: &str = "64";
/// Rounds of both servers, alternating which goes first.
const ROUNDS: usize = 3;

pub fn run(root: &Path) -> anyhow::Result<()> {
    let target = std::env::var_os("PROTOGEN_GEN_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/generated"));
    let dir = target.join("bench-validate");
    let workspace = scaffold(root, &dir)?;
    let release = target.join("release");
    let build = || {
        run_command(
            Command::new(cargo())
                .current_dir(&workspace)
                .env("CARGO_TARGET_DIR", &target)
                .args([
                    "build",
                    "--release",
                    "-p",
                    "shop-server",
                    "-p",
                    "bench-validate",
                ]),
        )
    };
    eprintln!("bench-server: building the validating server (release)");
    build()?;
    let on = dir.join("shop-server-validating");
    std::fs::copy(release.join("shop-server"), &on)?;
    // The same server with validation off: protogen.toml is embedded, so it is a rebuild.
    let config = workspace.join("protogen.toml");
    let mut text = std::fs::read_to_string(&config)?;
    text.push_str("\n[validate]\noff = [\"signup.v1.SignupService\"]\n");
    std::fs::write(&config, text)?;
    eprintln!("bench-server: building it again with validation off");
    build()?;
    let off = dir.join("shop-server-unchecked");
    std::fs::copy(release.join("shop-server"), &off)?;

    // samples[server] = (calls/s, p50 µs, p99 µs)
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for server in order {
            let binary = if server == 0 { &off } else { &on };
            let addr = free_addr()?;
            let mut child = start(
                Command::new(binary)
                    .env("SHOP_ADDR", &addr)
                    .env("HTTP_ADDR", "off"),
                &addr,
                true,
            )?;
            let output = Command::new(release.join("load-validate"))
                .args([addr.as_str(), CONCURRENCY, SECONDS])
                .output();
            let _ = child.kill();
            let _ = child.wait();
            let [rate, p50, p99, errors] = super::bench_server::load_figures(&output?)?;
            if errors > 0.0 {
                bail!("{errors} Ping calls failed: the valid request was refused?");
            }
            samples[server].push((rate, p50, p99));
        }
    }

    println!("\n| scenario | server | calls/s | p50 (µs) | p99 (µs) |");
    println!("|---|---|---:|---:|---:|");
    let label = format!("unary Ping (5 rules), {CONCURRENCY} in flight");
    let mut medians = Vec::new();
    for (server, name) in ["validation off", "validation on"].iter().enumerate() {
        let median = |field: fn(&(f64, f64, f64)) -> f64| {
            let mut values: Vec<f64> = samples[server].iter().map(field).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let row = (median(|s| s.0), median(|s| s.1), median(|s| s.2));
        println!(
            "| {label} | {name} | {:.0} | {:.0} | {:.0} |",
            row.0, row.1, row.2
        );
        medians.push(row);
    }
    println!(
        "| {label} | on / off | {:.2} | {:.2} | {:.2} |",
        medians[1].0 / medians[0].0,
        medians[1].1 / medians[0].1,
        medians[1].2 / medians[0].2
    );
    println!("\nmedians of {ROUNDS} rounds of {SECONDS} s each; goal: on/off >= 0.90 for calls/s");
    Ok(())
}

/// A fresh `protogen new shop` of fixtures/validate with every handler written and the load
/// generator crate added.
fn scaffold(root: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    fresh_proto(root, dir, "fixtures/validate")?;
    let workspace = protogen_new_shop(root, dir)?;
    let answer = "let _ = request; Ok(Response::new(Default::default()))";
    implement(
        &workspace.join("shop-server/src/handlers/signup_v1_signup_service.rs"),
        &[
            ("signup.v1.SignupService/Register", answer),
            ("signup.v1.SignupService/Import", answer),
            (
                "signup.v1.SignupService/Chat",
                "let _ = request; Ok(Response::new(Box::pin(tokio_stream::iter(Vec::new()))))",
            ),
            ("signup.v1.SignupService/Legacy", answer),
            (
                "signup.v1.SignupService/Ping",
                "Ok(Response::new(pb::PingResponse { id: request.into_inner().id }))",
            ),
        ],
    )?;
    let crate_dir = workspace.join("bench-validate");
    std::fs::create_dir_all(crate_dir.join("src/bin"))?;
    let source = root.join("xtask/bench_validate");
    std::fs::copy(source.join("Cargo.toml.in"), crate_dir.join("Cargo.toml"))?;
    for file in ["src/lib.rs", "src/bin/load-validate.rs"] {
        std::fs::copy(source.join(file), crate_dir.join(file))?;
    }
    let manifest = workspace.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)?;
    let members = "\"shop-client\"]";
    if !text.contains(members) {
        bail!("unexpected members in {}", manifest.display());
    }
    std::fs::write(
        &manifest,
        text.replace(members, "\"shop-client\", \"bench-validate\"]"),
    )?;
    Ok(workspace)
}
