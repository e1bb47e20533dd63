//! `cargo xtask fuzz [--seconds N] [TARGET]`: runs the cargo-fuzz targets of fuzz/ on their
//! committed corpus, and `cargo xtask fuzz-cmin [TARGET]` minimises that corpus.
//!
//! New inputs the fuzzer finds go to target/fuzz/corpus/, never into the committed corpus
//! (libFuzzer writes only to its first corpus folder). A crash fails; a timeout or running
//! out of memory on a shared machine only warns, so that CI is not flaky.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// Every target of fuzz/Cargo.toml, in the order they run.
pub const TARGETS: [&str; 7] = [
    "contract",
    "config",
    "lock",
    "descriptor_set",
    "sync_edit",
    "runtime_headers",
    "rest_request",
];

/// What `cargo xtask test` gives each target: 7 × 25 s stays under CI's 4-minute budget.
pub const CI_SECONDS: u64 = 25;
const DEFAULT_SECONDS: u64 = 10;

/// libFuzzer flags shared by runs and minimisation. Inputs are capped (the harness skips
/// bigger ones too); the time and memory limits are far above what any input needs, so only
/// a real hang or leak reaches them.
const LIBFUZZER_FLAGS: [&str; 4] = [
    "-max_len=65536",
    "-timeout=120",
    "-rss_limit_mb=6144",
    // Commands print their reports; the fuzzer does not need to see them.
    "-close_fd_mask=1",
];

/// `cargo +nightly fuzz …` in the project root, with the options every call shares: no
/// sanitizer (protogen is safe Rust: ASan would only slow it down; overflow checks and debug
/// assertions stay on); no `cfg(fuzzing)`, which turns off proc-macro2's span locations that
/// sync's edits rely on (the fuzzers must run the code users run); and a target dir under
/// target/ so that it is cached and ignored.
fn cargo_fuzz(root: &Path, subcommand: &str) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .args([
            "+nightly",
            "fuzz",
            subcommand,
            "--sanitizer",
            "none",
            "--no-cfg-fuzzing",
            "--target-dir",
        ])
        .arg(root.join("target/fuzz"));
    command
}

/// Installs cargo-fuzz when missing (the nightly toolchain comes with the machine, or
/// rustup installs it on first use).
pub fn setup() -> anyhow::Result<()> {
    let installed = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("setup: installing cargo-fuzz");
        super::run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// Parses `[--seconds N] [TARGET]`.
pub fn parse_args(args: &[String]) -> anyhow::Result<(u64, Vec<&'static str>)> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            let value = args.next().context("--seconds needs a number")?;
            seconds = value
                .parse()
                .with_context(|| format!("--seconds {value}: not a number of seconds"))?;
        } else if let Some(target) = TARGETS.iter().find(|t| **t == arg) {
            targets.push(*target);
        } else {
            bail!(
                "unknown fuzz target '{arg}'; the targets are {}",
                TARGETS.join(", ")
            );
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    Ok((seconds, targets))
}

/// One target's run, for the summary.
struct Run {
    target: &'static str,
    cpu: Duration,
    executions: u64,
    outcome: &'static str,
}

/// Runs each target for `seconds`; fails if any crashed.
pub fn fuzz(root: &Path, seconds: u64, targets: &[&'static str]) -> anyhow::Result<()> {
    setup()?;
    let mut build = cargo_fuzz(root, "build");
    if let [one] = targets {
        build.arg(one);
    }
    super::run(&mut build)?;
    let mut runs = Vec::new();
    for target in targets {
        let found = root.join("target/fuzz/corpus").join(target);
        std::fs::create_dir_all(&found)?;
        let committed = root.join("fuzz/corpus").join(target);
        let cpu_before = children_cpu();
        let started = Instant::now();
        eprintln!("fuzz: {target} for {seconds} s");
        let output = cargo_fuzz(root, "run")
            .arg(target)
            .arg(&found)
            .arg(&committed)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .args(LIBFUZZER_FLAGS)
            .output()
            .with_context(|| format!("cannot run cargo fuzz for {target}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        let outcome = if output.status.success() {
            "ok"
        } else if log.contains("libFuzzer: timeout") || log.contains("libFuzzer: out-of-memory") {
            eprintln!("{log}");
            eprintln!("warning: {target} hit the time or memory limit (see above); not a crash");
            "limit (warning)"
        } else {
            eprintln!("{log}");
            "CRASH"
        };
        runs.push(Run {
            target,
            cpu: children_cpu().saturating_sub(cpu_before),
            executions: stat(&log, "stat::number_of_executed_units:"),
            outcome,
        });
        eprintln!("fuzz: {target} done in {:.0?}", started.elapsed());
    }
    println!("| target | CPU time | executions | outcome |\n| --- | ---: | ---: | --- |");
    for run in &runs {
        println!(
            "| {} | {:.1} s | {} | {} |",
            run.target,
            run.cpu.as_secs_f64(),
            run.executions,
            run.outcome
        );
    }
    let crashed: Vec<_> = runs
        .iter()
        .filter(|r| r.outcome == "CRASH")
        .map(|r| r.target)
        .collect();
    if !crashed.is_empty() {
        bail!(
            "fuzz targets crashed: {} (the input is in fuzz/artifacts/<target>/; reproduce with `cargo +nightly fuzz run -s none <target> <file>`, then add it as a regression test)",
            crashed.join(", ")
        );
    }
    Ok(())
}

/// Minimises the committed corpus of each target (`cargo fuzz cmin`).
pub fn cmin(root: &Path, targets: &[&'static str]) -> anyhow::Result<()> {
    setup()?;
    for target in targets {
        super::run(
            cargo_fuzz(root, "cmin")
                .arg(target)
                .arg(root.join("fuzz/corpus").join(target))
                .arg("--")
                .args(LIBFUZZER_FLAGS),
        )?;
    }
    Ok(())
}

/// A number from libFuzzer's final stats (`-print_final_stats=1`).
fn stat(log: &str, key: &str) -> u64 {
    log.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// User + system time of the children waited for so far (cargo-fuzz and the fuzzer under it).
fn children_cpu() -> Duration {
    // SAFETY: rusage is plain data that getrusage fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}
