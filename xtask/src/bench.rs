//! `cargo xtask bench`: protogen check against buf breaking (without the cache, with it cold,
//! and after a one-field edit with it warm, against the PR's base and against the release 6
//! months older; diff after the edit too), protogen lint against buf lint (without the cache,
//! with it warm, and warm after a one-field edit), and full-corpus
//! compilation against buf build and protoc, on Google's protos, in one run on this machine;
//! prints a Markdown table. `--lint-only` measures just the lint rows, `--check-only` just
//! the check rows against buf breaking (without the cache, cold, warm after an edit).

use std::collections::{BTreeSet, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::{cargo, run, GOOGLE_PROTOS};

const DIR_VS_DIR: &str = "check: dir vs dir";
const COLD: &str = "check: dir vs dir, cold cache";
const WARM_EDIT: &str = "check: one-field edit, warm cache";
/// The same edit checked against the release 6 months older (5.0.0): most packages differ.
const WARM_EDIT_OLD: &str = "check: one-field edit, warm cache, vs 6-month-older release";
const DIFF_WARM_EDIT: &str = "diff: one-field edit, warm cache";
const LINT_WARM_EDIT: &str = "lint: STANDARD, warm cache, one-field edit";
const LINT: &str = "lint: STANDARD";
const LINT_WARM: &str = "lint: STANDARD, warm cache";
/// The field the warm-cache rows edit (a leaf file: one other file imports it).
const EDITED_FILE: &str = "google/cloud/tasks/v2/queue.proto";
const EDITED_FIELD: &str = "  string name = 1;";

/// What one run of a tool cost, measured by `wait4` on the child.
#[derive(Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

/// A measured row of the table.
struct Row {
    tool: String,
    task: String,
    files: String,
    findings: String,
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

/// How to count findings in a tool's stdout.
#[derive(Clone, Copy)]
enum Output {
    ProtogenJson,
    BufJsonLines,
    Nothing,
}

pub fn bench(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let (runs, rows_wanted) = parse_args(args)?;
    let load_at_start = load_average();
    let target = target_dir(root);
    let scratch = target.join("bench");
    std::fs::create_dir_all(&scratch)?;

    eprintln!("bench: building protogen (release)");
    run(Command::new(cargo()).current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "--bin",
        "protogen",
    ]))?;
    let protogen = target.join("release/protogen");
    let buf = crate::corpus::buf_binary(root)?;

    let [old_version, new_version] = GOOGLE_PROTOS;
    let old = root.join(format!(".cache/google-proto-files-{old_version}/package"));
    let new = root.join(format!(".cache/google-proto-files-{new_version}/package"));
    let old_files = proto_files(&old)?;
    let new_files = proto_files(&new)?;
    let both = format!("{} + {}", new_files.len(), old_files.len());
    let new_count = new_files.len().to_string();

    let mut rows = Vec::new();
    let mut measure = |tool: &str,
                       task: &str,
                       files: &str,
                       output: Output,
                       command: &mut dyn FnMut() -> Command|
     -> anyhow::Result<()> {
        eprintln!("bench: {tool} {task} ({runs} runs)");
        let mut costs = Vec::new();
        let mut findings = String::new();
        for _ in 0..runs {
            let (cost, count) = measure_once(&mut command(), output, &scratch)?;
            costs.push(cost);
            findings = count;
        }
        rows.push(Row {
            tool: tool.into(),
            task: task.into(),
            files: files.into(),
            findings,
            wall: median(costs.iter().map(|c| c.wall)),
            cpu: median(costs.iter().map(|c| c.cpu)),
            peak_rss_kib: costs.iter().map(|c| c.peak_rss_kib).max().unwrap_or(0),
        });
        Ok(())
    };

    if rows_wanted != Rows::Check {
        // Lint: both tools read the 6.0.1 module as it is (its buf.yaml sets no lint rules, so
        // STANDARD applies to both). protogen without its cache (every file compiled, as buf
        // does), then with a warm one of its own (a CI job that keeps ~/.cache/protogen, or a
        // second run on a machine): what it costs when nothing changed.
        let lint_cache = scratch.join("protogen-cache-lint");
        let protogen_lint = |dir: &Path, cache: bool| {
            let mut command = Command::new(&protogen);
            command
                .arg("lint")
                .arg(dir)
                .args(["--format", "json"])
                .env("PROTOGEN_CACHE_DIR", &lint_cache)
                .env_remove("PROTOGEN_NO_CACHE");
            if !cache {
                command.arg("--no-cache");
            }
            command
        };
        measure(
            "protogen lint",
            LINT,
            &new_count,
            Output::ProtogenJson,
            &mut || protogen_lint(&new, false),
        )?;
        eprintln!("bench: warming protogen's cache for lint");
        let _ = std::fs::remove_dir_all(&lint_cache);
        protogen_lint(&new, true)
            .stdout(Stdio::null())
            .status()
            .context("cannot run protogen lint")?;
        measure(
            "protogen lint",
            LINT_WARM,
            &new_count,
            Output::ProtogenJson,
            &mut || protogen_lint(&new, true),
        )?;
        // The same warm cache, on a copy where each run edits one field anew.
        let lint_edited = scratch.join("lint-edited");
        if lint_edited.exists() {
            std::fs::remove_dir_all(&lint_edited)?;
        }
        copy_tree(&new, &lint_edited)?;
        protogen_lint(&lint_edited, true)
            .stdout(Stdio::null())
            .status()
            .context("cannot run protogen lint")?;
        let mut edit = editor(&lint_edited)?;
        measure(
            "protogen lint",
            LINT_WARM_EDIT,
            &new_count,
            Output::ProtogenJson,
            &mut || {
                edit().expect("the edited file is writable");
                protogen_lint(&lint_edited, true)
            },
        )?;
        std::fs::remove_dir_all(&lint_edited)?;
        measure(
            "buf lint",
            LINT,
            &new_count,
            Output::BufJsonLines,
            &mut || {
                let mut command = Command::new(&buf);
                command
                    .current_dir(&new)
                    .args(["lint", "--error-format", "json"]);
                command
            },
        )?;
    }
    if rows_wanted == Rows::Lint {
        print_table(&rows, runs, &load_at_start);
        return Ok(());
    }

    // protogen's cache lives in the scratch folder: rows without "cache" in their name run
    // with --no-cache, the cold-cache row empties it before every run.
    let cache_dir = scratch.join("protogen-cache");
    let cached_check = |current: &Path, against: &Path| {
        let mut command = Command::new(&protogen);
        command
            .arg("check")
            .arg(current)
            .arg("--against")
            .arg(against)
            .args(["--format", "json"])
            .env("PROTOGEN_CACHE_DIR", &cache_dir)
            .env_remove("PROTOGEN_NO_CACHE");
        command
    };
    let check = |current: &Path, against: &Path| {
        let mut command = cached_check(current, against);
        command.arg("--no-cache");
        command
    };
    let breaking_in = |current: &Path, against: &Path| {
        let mut command = Command::new(&buf);
        command
            .current_dir(current)
            .args(["breaking", ".", "--against"])
            .arg(against)
            .args(["--error-format", "json"]);
        command
    };
    let breaking = |against: &Path| breaking_in(&new, against);
    let vs_image = "check: vs old.binpb";
    let compile = "compile all";
    measure(
        "protogen check",
        DIR_VS_DIR,
        &both,
        Output::ProtogenJson,
        &mut || check(&new, &old),
    )?;
    measure(
        "buf breaking",
        DIR_VS_DIR,
        &both,
        Output::BufJsonLines,
        &mut || breaking(&old),
    )?;
    // Each cold run fills a cache folder of its own, deleted after the row: deleting 24,000
    // entries just before a run made ext4 skip their recently freed inodes while the run
    // created its own, which tripled the run's system time (perf: recently_deleted,
    // find_inode_bit); an empty cache on a CI machine has no such neighbours.
    let cold_dir = |run: usize| scratch.join(format!("protogen-cache-cold-{run}"));
    let remove_cold_dirs = || {
        for run in 0..runs {
            let _ = std::fs::remove_dir_all(cold_dir(run));
        }
    };
    let mut cold_runs = 0;
    remove_cold_dirs();
    measure(
        "protogen check",
        COLD,
        &both,
        Output::ProtogenJson,
        &mut || {
            let mut command = cached_check(&new, &old);
            command.env("PROTOGEN_CACHE_DIR", cold_dir(cold_runs));
            cold_runs += 1;
            command
        },
    )?;
    remove_cold_dirs();

    // A pull request that changes one field, checked against the branch it started from: the
    // cache holds the tree as it was, each run edits one field anew (a json_name nobody had:
    // one finding, for buf too).
    eprintln!("bench: copying {new_version} and warming the cache");
    let edited = scratch.join("edited");
    if edited.exists() {
        std::fs::remove_dir_all(&edited)?;
    }
    copy_tree(&new, &edited)?;
    let _ = std::fs::remove_dir_all(&cache_dir);
    for against in [&new, &old] {
        measure_once(
            &mut cached_check(&edited, against),
            Output::ProtogenJson,
            &scratch,
        )?;
    }
    let mut edit = editor(&edited)?;
    measure(
        "protogen check",
        WARM_EDIT,
        &format!("{new_count} (twice)"),
        Output::ProtogenJson,
        &mut || {
            edit().expect("the edited file is writable");
            cached_check(&edited, &new)
        },
    )?;
    measure(
        "buf breaking",
        WARM_EDIT,
        &format!("{new_count} (twice)"),
        Output::BufJsonLines,
        &mut || {
            edit().expect("the edited file is writable");
            breaking_in(&edited, &new)
        },
    )?;
    measure(
        "protogen check",
        WARM_EDIT_OLD,
        &format!("{new_count} + {}", old_files.len()),
        Output::ProtogenJson,
        &mut || {
            edit().expect("the edited file is writable");
            cached_check(&edited, &old)
        },
    )?;
    measure(
        "buf breaking",
        WARM_EDIT_OLD,
        &format!("{new_count} + {}", old_files.len()),
        Output::BufJsonLines,
        &mut || {
            edit().expect("the edited file is writable");
            breaking_in(&edited, &old)
        },
    )?;
    measure(
        "protogen diff",
        DIFF_WARM_EDIT,
        &format!("{new_count} (twice)"),
        Output::Nothing,
        &mut || {
            edit().expect("the edited file is writable");
            let mut command = Command::new(&protogen);
            command
                .arg("diff")
                .arg(&new)
                .arg(&edited)
                .args(["--format", "json"])
                .env("PROTOGEN_CACHE_DIR", &cache_dir)
                .env_remove("PROTOGEN_NO_CACHE");
            command
        },
    )?;
    // (The copy is 80 MB; the disk is shared.)
    std::fs::remove_dir_all(&edited)?;
    if rows_wanted == Rows::Check {
        print_table(&rows, runs, &load_at_start);
        return Ok(());
    }

    // The rows below need a prebuilt baseline and protoc; the check rows above do not.
    let protoc = ensure_protoc()?;
    eprintln!("bench: buf build -o old.binpb (the prebuilt baseline both tools read)");
    let image = scratch.join("old.binpb");
    run(Command::new(&buf)
        .current_dir(&old)
        .args(["build", ".", "-o"])
        .arg(&image))?;

    measure(
        "protogen check",
        vs_image,
        &new_count,
        Output::ProtogenJson,
        &mut || check(&new, &image),
    )?;
    measure(
        "buf breaking",
        vs_image,
        &new_count,
        Output::BufJsonLines,
        &mut || breaking(&image),
    )?;
    measure(
        "protogen check X --against X",
        compile,
        &format!("{new_count} (twice)"),
        Output::ProtogenJson,
        &mut || check(&new, &new),
    )?;
    measure(
        "buf build",
        compile,
        &new_count,
        Output::Nothing,
        &mut || {
            let mut command = Command::new(&buf);
            command
                .current_dir(&new)
                .args(["build", ".", "-o", "/dev/null"]);
            command
        },
    )?;
    let relative: Vec<String> = new_files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    measure("protoc", compile, &new_count, Output::Nothing, &mut || {
        // protoc's own copy of the well-known types comes first: the corpus's
        // google/protobuf/ folder holds test protos that do not compile.
        let mut command = Command::new(&protoc);
        command
            .current_dir(&new)
            .args(["-I", "/usr/include", "-I", "."])
            .args(["--include_source_info", "--include_imports"])
            .args(["--descriptor_set_out", "/dev/null"])
            .args(&relative);
        command
    })?;

    // Scaling: protogen on growing, import-closed subsets of both trees.
    for percent in [25, 50, 100] {
        let (sub_new, sub_old, files) =
            subset(&scratch, &new, &old, &new_files, &old_files, percent)?;
        measure(
            "protogen check",
            &format!("scaling: {percent}% of the API folders"),
            &files,
            Output::ProtogenJson,
            &mut || check(&sub_new, &sub_old),
        )?;
    }

    print_table(&rows, runs, &load_at_start);
    Ok(())
}

/// What edits [`EDITED_FIELD`] of the tree at `dir` anew at each call (a json_name nobody had).
fn editor(dir: &Path) -> anyhow::Result<impl FnMut() -> anyhow::Result<()>> {
    let edited_file = dir.join(EDITED_FILE);
    let original = std::fs::read_to_string(&edited_file)?;
    if !original.contains(EDITED_FIELD) {
        bail!("{EDITED_FILE} no longer has `{EDITED_FIELD}`");
    }
    let mut edits = 0;
    Ok(move || -> anyhow::Result<()> {
        edits += 1;
        let field = EDITED_FIELD.replace(';', &format!(" [json_name = \"edit{edits}\"];"));
        std::fs::write(&edited_file, original.replacen(EDITED_FIELD, &field, 1))?;
        Ok(())
    })
}

/// Copies the .proto files and buf.yaml of `from` into `to`.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut pending = vec![from.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            let target = to.join(path.strip_prefix(from)?);
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "proto" || e == "yaml")
            {
                std::fs::create_dir_all(target.parent().expect("a file has a folder"))?;
                std::fs::copy(&path, &target)?;
            }
        }
    }
    Ok(())
}

/// Which rows a run measures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    All,
    Lint,
    Check,
}

/// `[--runs N] [--lint-only | --check-only]`: runs per measurement (default 3), and which rows.
fn parse_args(args: &[String]) -> anyhow::Result<(usize, Rows)> {
    let usage =
        "usage: cargo xtask bench [--runs N] [--lint-only | --check-only]  (default 3 runs)";
    let mut rows = Rows::All;
    let mut runs = 3;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--lint-only" | "--check-only" if rows != Rows::All => bail!(usage),
            "--lint-only" => rows = Rows::Lint,
            "--check-only" => rows = Rows::Check,
            "--runs" => {
                let n = args.next().context(usage)?;
                runs = n.parse().context("--runs takes a number")?;
                if runs == 0 {
                    bail!("--runs must be at least 1");
                }
            }
            _ => bail!(usage),
        }
    }
    Ok((runs, rows))
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// protoc from PATH; Debian's `protobuf-compiler` is installed when it is missing.
fn ensure_protoc() -> anyhow::Result<PathBuf> {
    let found = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("protoc"))
                .find(|path| path.exists())
        })
    };
    if let Some(protoc) = found() {
        return Ok(protoc);
    }
    eprintln!("bench: protoc is missing; installing Debian's protobuf-compiler");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get").args(["install", "-y", "protobuf-compiler"]))?;
    found().context("protoc is still not on PATH after installing protobuf-compiler")
}

/// The module's .proto files, relative to it, without the excluded google/protobuf/ folder.
fn proto_files(module: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![module.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            let relative = path.strip_prefix(module)?.to_path_buf();
            if relative.starts_with("google/protobuf") || relative.starts_with("node_modules") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                files.push(relative);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Takes `percent`% of the API folders (every k-th in sorted order, so all API families are
/// represented) from both trees, plus what their files import: the same change, on a share
/// of the corpus.
fn subset(
    scratch: &Path,
    new: &Path,
    old: &Path,
    new_files: &[PathBuf],
    old_files: &[PathBuf],
    percent: usize,
) -> anyhow::Result<(PathBuf, PathBuf, String)> {
    let folders: BTreeSet<&Path> = new_files
        .iter()
        .chain(old_files)
        .filter_map(|f| f.parent())
        .collect();
    let picked: BTreeSet<&Path> = folders
        .into_iter()
        .enumerate()
        .filter(|(i, _)| (i * percent) % 100 < percent)
        .map(|(_, folder)| folder)
        .collect();
    let base = scratch.join(format!("scale-{percent}"));
    let mut counts = Vec::new();
    for (side, module, files) in [("new", new, new_files), ("old", old, old_files)] {
        let dir = base.join(side);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let roots: Vec<PathBuf> = files
            .iter()
            .filter(|f| f.parent().is_some_and(|p| picked.contains(p)))
            .cloned()
            .collect();
        let closed = import_closure(module, &roots)?;
        for file in &closed {
            let to = dir.join(file);
            std::fs::create_dir_all(to.parent().expect("a file has a folder"))?;
            std::fs::copy(module.join(file), &to)?;
        }
        counts.push(closed.len());
    }
    Ok((
        base.join("new"),
        base.join("old"),
        format!("{} + {}", counts[0], counts[1]),
    ))
}

/// `roots` that exist in `module`, and every file they import, transitively (well-known types
/// are built into the tools and left out).
fn import_closure(module: &Path, roots: &[PathBuf]) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut closed = BTreeSet::new();
    let mut pending: VecDeque<PathBuf> = roots.iter().cloned().collect();
    while let Some(file) = pending.pop_front() {
        if file.starts_with("google/protobuf") || closed.contains(&file) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(module.join(&file)) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim_start();
            if let Some(rest) = line.strip_prefix("import ") {
                if let Some(name) = rest.split('"').nth(1) {
                    pending.push_back(PathBuf::from(name));
                }
            }
        }
        closed.insert(file);
    }
    Ok(closed)
}

/// Runs the command once with stdout to a file, and reads wall time, CPU time and peak RSS of
/// the child (and what it waited for) with `wait4`.
fn measure_once(
    command: &mut Command,
    output: Output,
    scratch: &Path,
) -> anyhow::Result<(Cost, String)> {
    let stdout_path = scratch.join("stdout");
    let stderr_path = scratch.join("stderr");
    command
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path)?)
        .stderr(File::create(&stderr_path)?);
    let start = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child, which std
    // has not waited for (the Child is dropped without wait, so it is reaped exactly once).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if waited != pid {
        bail!(
            "wait4 failed for {command:?}: {}",
            std::io::Error::last_os_error()
        );
    }
    drop(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let findings = match output {
        Output::ProtogenJson => {
            if !matches!(code, Some(0) | Some(1)) {
                bail!("{command:?} exited {code:?}: {}", tail(&stderr_path));
            }
            let report: serde_json::Value =
                serde_json::from_str(&stdout).context("protogen printed no JSON")?;
            report["findings"]
                .as_array()
                .map_or(0, Vec::len)
                .to_string()
        }
        Output::BufJsonLines => {
            if !matches!(code, Some(0) | Some(100)) {
                bail!("{command:?} exited {code:?}: {}", tail(&stderr_path));
            }
            stdout
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count()
                .to_string()
        }
        Output::Nothing => {
            if code != Some(0) {
                bail!("{command:?} exited {code:?}: {}", tail(&stderr_path));
            }
            "-".into()
        }
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok((
        Cost {
            wall,
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            // Linux reports ru_maxrss in KiB.
            peak_rss_kib: usage.ru_maxrss as u64,
        },
        findings,
    ))
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn median(values: impl Iterator<Item = Duration>) -> Duration {
    let mut values: Vec<Duration> = values.collect();
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// The 1, 5 and 15 minute load averages (the machine may be shared: say how busy it was).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn print_table(rows: &[Row], runs: usize, load_at_start: &str) {
    println!(
        "\nGoogle's protos {} -> {}, {runs} run(s) each, {} cores; wall and CPU are medians, peak RSS the maximum.\n",
        GOOGLE_PROTOS[0],
        GOOGLE_PROTOS[1],
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "Load average (1, 5, 15 min): {load_at_start} at the start, {} at the end.\n",
        load_average()
    );
    println!("| tool | task | wall (s) | CPU (s) | peak RSS (MiB) | files | findings |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        println!(
            "| {} | {} | {:.2} | {:.2} | {} | {} | {} |",
            row.tool,
            row.task,
            row.wall.as_secs_f64(),
            row.cpu.as_secs_f64(),
            row.peak_rss_kib / 1024,
            row.files,
            row.findings
        );
    }
    let find = |tool: &str, task: &str| {
        rows.iter()
            .find(|r| r.tool.starts_with(tool) && r.task == task)
    };
    println!("\n| protogen / buf | wall | CPU | peak RSS |\n| --- | ---: | ---: | ---: |");
    // (the protogen row, its tool, the peer's tool and row)
    for (task, protogen, peer, peer_task) in [
        (DIR_VS_DIR, "protogen check", "buf breaking", DIR_VS_DIR),
        (COLD, "protogen check", "buf breaking", DIR_VS_DIR),
        (WARM_EDIT, "protogen check", "buf breaking", WARM_EDIT),
        (
            WARM_EDIT_OLD,
            "protogen check",
            "buf breaking",
            WARM_EDIT_OLD,
        ),
        (
            "check: vs old.binpb",
            "protogen check",
            "buf breaking",
            "check: vs old.binpb",
        ),
        (LINT, "protogen lint", "buf lint", LINT),
        (LINT_WARM, "protogen lint", "buf lint", LINT),
        (LINT_WARM_EDIT, "protogen lint", "buf lint", LINT),
        (
            "compile all",
            "protogen check X",
            "buf build",
            "compile all",
        ),
        (
            "compile all (vs protoc)",
            "protogen check X",
            "protoc",
            "compile all",
        ),
    ] {
        let lookup = task.trim_end_matches(" (vs protoc)");
        if let (Some(p), Some(b)) = (find(protogen, lookup), find(peer, peer_task)) {
            if b.findings != "-" && p.findings != b.findings {
                println!(
                    "| {task} | findings differ: {} vs {} | | |",
                    p.findings, b.findings
                );
            }
            // Three decimals: the goals are 0.01x and 0.02x.
            println!(
                "| {task} | {:.3} | {:.3} | {:.3} |",
                p.wall.as_secs_f64() / b.wall.as_secs_f64(),
                p.cpu.as_secs_f64() / b.cpu.as_secs_f64(),
                p.peak_rss_kib as f64 / b.peak_rss_kib.max(1) as f64
            );
        }
    }
    let scaling: Vec<&Row> = rows
        .iter()
        .filter(|r| r.task.starts_with("scaling"))
        .collect();
    if let Some(full) = scaling.last() {
        println!("\nscaling (protogen check; relative to 100%):\n| share | files | wall | CPU | CPU per file (ms) |\n| --- | ---: | ---: | ---: | ---: |");
        for row in &scaling {
            let files: usize = row
                .files
                .split(" + ")
                .filter_map(|n| n.parse::<usize>().ok())
                .sum();
            println!(
                "| {} | {} | x{:.2} | x{:.2} | {:.2} |",
                row.task.trim_start_matches("scaling: "),
                row.files,
                row.wall.as_secs_f64() / full.wall.as_secs_f64(),
                row.cpu.as_secs_f64() / full.cpu.as_secs_f64(),
                row.cpu.as_secs_f64() * 1000.0 / files.max(1) as f64
            );
        }
    }
}
