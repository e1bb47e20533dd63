//! No crash on any input: mutated copies of the fixtures (byte flips, token swaps,
//! truncation, deep nesting, long lines, huge numbers) run through check, diff, new and lint
//! as the real binary. Every run must end with exit 0, 1 or 2, never a panic or a signal.
//! The seed is fixed, so a failure reproduces; the failing input is printed.

use std::path::Path;
use std::process::Command;

mod common;

const SEED: u64 = 14;
/// Mutated contracts; each runs through the four commands.
const INPUTS: usize = 100;

/// The fixture files a mutation starts from, by import name.
fn fixtures() -> Vec<(String, String)> {
    let root = common::project_root().join("fixtures");
    let mut files = Vec::new();
    for dir in ["proto", "edge"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let name = entry.path().strip_prefix(root.join(dir)).unwrap();
                files.push((
                    format!("{dir}/{}", name.to_string_lossy()),
                    std::fs::read_to_string(entry.path()).unwrap(),
                ));
            }
        }
    }
    files
}

/// One mutation of `text`, described for the failure message.
fn mutate(rng: &mut fastrand::Rng, text: &str) -> (String, String) {
    let tokens: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    match rng.u8(0..9) {
        0 => {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..rng.usize(1..8) {
                let at = rng.usize(..bytes.len());
                bytes[at] ^= 1 << rng.u8(0..8);
            }
            // Invalid UTF-8 is an input too: the loader must say so, not crash.
            let text = String::from_utf8(bytes.clone())
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
            ("byte flips".into(), text)
        }
        1 => {
            let mut tokens = tokens.clone();
            for _ in 0..rng.usize(1..4) {
                let (a, b) = (rng.usize(..tokens.len()), rng.usize(..tokens.len()));
                tokens.swap(a, b);
            }
            ("token swaps".into(), tokens.concat())
        }
        2 => {
            let mut at = rng.usize(..text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            (format!("truncated at byte {at}"), text[..at].to_string())
        }
        3 => {
            let depth = rng.usize(30..3000);
            let nested = format!("{}{}", "message N { ".repeat(depth), "}".repeat(depth));
            (
                format!("{depth} nested messages"),
                format!("{text}\n{nested}\n"),
            )
        }
        4 => {
            let depth = rng.usize(30..3000);
            let options = format!(
                "option (x) = {}1{};",
                "{ a: ".repeat(depth),
                "}".repeat(depth)
            );
            (
                format!("{depth} nested option values"),
                text.replacen("{", &format!("{{ {options}"), 1),
            )
        }
        5 => (
            "one long line".into(),
            format!(
                "{}{}",
                " ".repeat(rng.usize(1..100_000)),
                text.replace('\n', " ")
            ),
        ),
        6 => {
            let huge = [
                "99999999999999999999999999",
                "-9223372036854775809",
                "536870912",
                "0",
                "-1",
                "1e99999",
                "0x7fffffffffffffffffff",
                "19000",
            ];
            let pick = huge[rng.usize(..huge.len())];
            let mut out = String::new();
            for token in tokens {
                let digits = token.trim_end_matches(|c: char| !c.is_ascii_digit());
                if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && rng.bool() {
                    out.push_str(&token.replacen(digits, pick, 1));
                } else {
                    out.push_str(token);
                }
            }
            (format!("numbers replaced by {pick}"), out)
        }
        7 => {
            let mut lines: Vec<&str> = text.lines().collect();
            let (a, b) = (rng.usize(..lines.len()), rng.usize(..lines.len()));
            let line = lines[a];
            lines.insert(b, line);
            lines.remove(rng.usize(..lines.len()));
            ("lines moved".into(), lines.join("\n"))
        }
        _ => {
            let words = [
                "message", "enum", "service", "rpc", "oneof", "map<", ">", "{", "}", ";", "=",
                "repeated", "optional", "import", "\"", "option", "reserved", "stream", "returns",
                "(", ")", "extend", "syntax", "package", ".", "//", "/*",
            ];
            let mut tokens = tokens.clone();
            for _ in 0..rng.usize(1..5) {
                let at = rng.usize(..=tokens.len());
                tokens.insert(at, words[rng.usize(..words.len())]);
            }
            ("keywords inserted".into(), tokens.join(" "))
        }
    }
}

fn protogen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_protogen"))
}

fn write_tree(dir: &Path, files: &[(String, String)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn mutated_contracts_never_crash_check_diff_new_or_lint() {
    let originals = fixtures();
    let mut rng = fastrand::Rng::with_seed(SEED);
    let scratch = tempfile::tempdir().unwrap();
    let base = scratch.path().join("base");
    write_tree(&base, &originals);
    let mut codes = [0usize; 3];
    for input in 0..INPUTS {
        let current = scratch.path().join(format!("current-{input}"));
        let mut files = originals.clone();
        let victim = rng.usize(..files.len());
        let (what, text) = mutate(&mut rng, &files[victim].1);
        files[victim].1 = text;
        write_tree(&current, &files);
        // The module the mutated file belongs to: fixtures/proto or fixtures/edge.
        let module = files[victim].0.split('/').next().unwrap().to_string();
        let (old, new) = (base.join(&module), current.join(&module));
        let out = scratch.path().join(format!("ws-{input}"));
        let mut runs: Vec<(&str, Command)> = Vec::new();
        let mut check = protogen();
        check.arg("check").arg(&new).arg("--against").arg(&old);
        runs.push(("check", check));
        let mut diff = protogen();
        diff.arg("diff").arg(&old).arg(&new);
        runs.push(("diff", diff));
        let mut scaffold = protogen();
        scaffold
            .args(["new", "shop", "--proto"])
            .arg(&new)
            .arg("--out")
            .arg(&out);
        runs.push(("new", scaffold));
        let mut lint = protogen();
        lint.arg("lint").arg(&new);
        runs.push(("lint", lint));
        for (command, mut cmd) in runs {
            let (code, _, stderr) = common::run(&mut cmd);
            let shown: String = files[victim].1.chars().take(3000).collect();
            assert!(
                (0..=2).contains(&code) && !stderr.contains("panicked"),
                "input {input} (seed {SEED}): `protogen {command}` ended with {code} on {} after {what}:\n{stderr}\n--- the mutated file (first 3000 characters) ---\n{shown}",
                files[victim].0
            );
            codes[code as usize] += 1;
        }
        std::fs::remove_dir_all(&current).unwrap();
        let _ = std::fs::remove_dir_all(&out);
    }
    eprintln!("exit codes 0/1/2: {codes:?}");
    // The mutations must reach past the parser often enough, or this tests only error paths.
    let runs: usize = codes.iter().sum();
    assert!(codes[0] + codes[1] >= runs / 10, "{codes:?}");
    assert!(codes[2] >= runs / 10, "{codes:?}");
}
