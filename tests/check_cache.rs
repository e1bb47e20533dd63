//! The cache of compiled files and narrowing never change a result: on Google's protos (5.0.0
//! as the baseline, 6.0.1 edited step by step) `check` prints the same bytes with and without
//! the cache, narrowed judging finds exactly what judging everything finds in every category
//! (per workspace module too), damaged or foreign entries are rebuilt, and concurrent runs
//! share one cache safely. Every test uses its own cache folder.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use protogen::compat;
use protogen::config::Config;
use protogen::contract::{self, Side, Source};

/// mimalloc, as in the protogen binary: the in-process compiles, decodings and judgments of
/// Google's protos allocate and free millions of small objects.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The states of the current tree, each an edit on top of the previous one.
const STEPS: &[&str] = &[
    "as released",
    "field type changed",
    "file added",
    "file deleted",
    "import and enum changed in a file 31 others import",
];

/// Applies step `i` of [`STEPS`] to the tree at `dir`.
fn apply(dir: &Path, step: usize) {
    let edit = |name: &str, change: &dyn Fn(String) -> String| {
        let path = dir.join(name);
        let before = std::fs::read_to_string(&path).unwrap();
        let after = change(before.clone());
        assert_ne!(before, after, "step {step} changed nothing in {name}");
        std::fs::write(&path, after).unwrap();
    };
    match step {
        0 => {}
        1 => edit("google/cloud/tasks/v2/queue.proto", &|text| {
            text.replacen("  string name = 1;", "  bytes name = 1;", 1)
        }),
        2 => {
            let path = dir.join("google/example/added/v1/added.proto");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(
                path,
                "syntax = \"proto3\";\npackage google.example.added.v1;\nimport \"google/api/field_behavior.proto\";\n\
                 message Added {\n  string id = 1 [(google.api.field_behavior) = REQUIRED];\n}\n",
            )
            .unwrap();
        }
        3 => std::fs::remove_file(dir.join("google/cloud/speech/v2/cloud_speech.proto")).unwrap(),
        // The dependents' bytes stay the same, but their fields now have a message type: a
        // stale cached dependent would lose the FIELD_SAME_TYPE findings.
        4 => edit("google/type/dayofweek.proto", &|text| {
            text.replacen(
                "package google.type;",
                "package google.type;\nimport \"google/protobuf/empty.proto\";",
                1,
            )
            .replacen(
                "enum DayOfWeek {",
                "message DayOfWeek {\n  google.protobuf.Empty unset = 100;\n  enum Day {",
                1,
            ) + "}\n"
        }),
        _ => unreachable!(),
    }
}

/// A writable copy of Google's protos 6.0.1 whose buf.yaml enables every category.
fn current_tree(new: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(new, dir.path());
    std::fs::write(
        dir.path().join("buf.yaml"),
        "version: v2\nmodules:\n  - path: .\n    excludes: [google/protobuf]\nbreaking:\n  use: [FILE, PACKAGE, WIRE_JSON, WIRE]\n",
    )
    .unwrap();
    dir
}

fn check(current: &Path, against: &Path, cache: Option<&Path>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_protogen"));
    command
        .arg("check")
        .arg(current)
        .arg("--against")
        .arg(against)
        .args(["--format", "json"]);
    match cache {
        Some(dir) => command
            .env("PROTOGEN_CACHE_DIR", dir)
            .env_remove("PROTOGEN_NO_CACHE"),
        None => command.arg("--no-cache"),
    };
    command
}

fn outcome(output: &Output) -> (Option<i32>, String) {
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "check failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// Every `.proto` entry file in a cache folder.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(cache)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && e.depth() == 3)
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}

/// The findings of a `--format json` report, each as its JSON object.
fn findings(json: &str) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    report["findings"].as_array().unwrap().clone()
}

/// One walk through the edits, in every category: at each step, judging in-process without
/// the cache, whole and narrowed, finds the same; `check` with the cache (filled by two
/// concurrent runs at the first step, warm after) reports exactly those findings; and at the
/// last step its bytes equal those of `check --no-cache`.
#[test]
fn google_findings_are_the_same_with_and_without_the_cache_and_narrowing() {
    let (Some(old), Some(new)) = (
        common::google_protos("5.0.0"),
        common::google_protos("6.0.1"),
    ) else {
        return;
    };
    let tree = current_tree(&new);
    let cache = tempfile::tempdir().unwrap();
    let config = Config::load(tree.path(), None).unwrap();
    let options = config.load_options();
    let baseline = contract::prepare(&Source::Dir(old.clone()), Side::Baseline, &options)
        .unwrap()
        .keeping_compiled();
    let mut previous: Option<Vec<compat::Finding>> = None;
    for (step, name) in STEPS.iter().enumerate() {
        apply(tree.path(), step);
        let current = contract::prepare(&Source::Dir(tree.path().into()), Side::Current, &options)
            .unwrap()
            .keeping_compiled();
        // The changelog at the last step only, where every edit is in (diffing is slow).
        let last = step + 1 == STEPS.len();
        let (whole, narrowed, all, decoded) = judged_both_ways(&config, &baseline, &current, last);
        drop(current);
        assert!(
            narrowed.changes == whole.changes,
            "{name}: the changelog of what diff decodes differs from that of the whole contracts"
        );
        let (whole, narrowed) = (whole.judgement, narrowed.judgement);
        assert!(decoded < all, "{name}: nothing was left out");
        let rules_found: BTreeSet<&str> = whole.findings.iter().map(|f| f.rule).collect();
        assert!(rules_found.len() > 20, "{name}: only {rules_found:?}");
        assert!(
            whole.findings.len() > 1000,
            "{name}: only {} findings",
            whole.findings.len()
        );
        assert!(
            whole.findings == narrowed.findings,
            "{name}: narrowing changed the findings ({} whole, {} narrowed)",
            whole.findings.len(),
            narrowed.findings.len()
        );
        assert_eq!(whole.acknowledged, narrowed.acknowledged);
        // Adding a file breaks nothing; every other step changes the findings.
        if let (Some(before), false) = (&previous, *name == "file added") {
            assert!(before != &whole.findings, "{name} changed no finding");
        }

        let cached = if step == 0 {
            // Two runs at once on an empty cache: both write the same entries.
            let first = check(tree.path(), &old, Some(cache.path()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let second = outcome(
                &check(tree.path(), &old, Some(cache.path()))
                    .output()
                    .unwrap(),
            );
            let first = outcome(&first.wait_with_output().unwrap());
            assert!(first == second, "{name}: the concurrent runs differ");
            assert!(
                entries(cache.path()).len() > 7000,
                "the runs filled the cache"
            );
            first
        } else {
            outcome(
                &check(tree.path(), &old, Some(cache.path()))
                    .output()
                    .unwrap(),
            )
        };
        assert_eq!(cached.0, Some(1), "{name}");
        let reported = findings(&cached.1);
        assert!(
            reported.len() == whole.findings.len(),
            "{name}: {} findings with the cache, {} judged in-process",
            reported.len(),
            whole.findings.len()
        );
        for (reported, expected) in reported.iter().zip(&whole.findings) {
            let same = reported["rule"] == expected.rule
                && reported["path"] == expected.path.as_str()
                && reported["line"] == expected.line
                && reported["column"] == expected.column
                && reported["message"] == expected.message.as_str();
            assert!(same, "{name}: reported {reported}, judged {expected:?}");
        }
        if step + 1 == STEPS.len() {
            let uncached = outcome(&check(tree.path(), &old, None).output().unwrap());
            assert!(uncached == cached, "{name}: --no-cache prints other bytes");
        }
        previous = Some(whole.findings);
    }
}

/// A judgment, and the changelog of the contracts decoded with it.
struct Both {
    judgement: compat::Judgement,
    changes: Vec<protogen::diff::Change>,
}

/// Judges with and without narrowing through the same entry point `check` uses; decodes, when
/// narrowing, what `diff` decodes, and diffs (when `diff`) what each way decoded.
fn judged_both_ways(
    config: &Config,
    baseline: &contract::Loaded,
    current: &contract::Loaded,
    diff: bool,
) -> (Both, Both, usize, usize) {
    let options = protogen::diff::DiffOptions { include_docs: true };
    let changes = |judged: &compat::Judged| match diff {
        true => protogen::diff::compare(&judged.baseline, &judged.current, &options),
        false => Vec::new(),
    };
    let whole =
        compat::judge_loaded(config, baseline, current, false, compat::Decode::Judged).unwrap();
    let narrowed =
        compat::judge_loaded(config, baseline, current, true, compat::Decode::Changelog).unwrap();
    let (changes, narrowed_changes) = (changes(&whole), changes(&narrowed));
    if diff {
        assert!(!changes.is_empty());
    }
    let (all, decoded) = (whole.current.files.len(), narrowed.current.files.len());
    (
        Both {
            judgement: whole.judgement,
            changes,
        },
        Both {
            judgement: narrowed.judgement,
            changes: narrowed_changes,
        },
        all,
        decoded,
    )
}

/// In file `.0`, the first `.1` becomes `.2`.
type Edit = (&'static str, &'static str, &'static str);

/// A workspace of three modules (buf.yaml v2), each with its own rules, where `shared`
/// is imported by the other two and a package spans two modules.
fn workspace(dir: &Path, edits: &[Edit]) {
    let files = [
        (
            "buf.yaml",
            "version: v2\nmodules:\n  - path: orders\n    breaking:\n      use: [FILE, PACKAGE]\n  - path: users\n    breaking:\n      use: [WIRE]\n  - path: shared\n    breaking:\n      use: [PACKAGE]\n",
        ),
        (
            "shared/shared/v1/money.proto",
            "syntax = \"proto3\";\npackage shared.v1;\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n",
        ),
        (
            "shared/shared/v1/id.proto",
            "syntax = \"proto3\";\npackage shared.v1;\nmessage Id {\n  string value = 1;\n}\n",
        ),
        (
            "orders/orders/v1/orders.proto",
            "syntax = \"proto3\";\npackage orders.v1;\nimport \"shared/v1/money.proto\";\nmessage Order {\n  string id = 1;\n  shared.v1.Money total = 2;\n  string note = 3;\n}\n",
        ),
        (
            "orders/orders/v1/items.proto",
            "syntax = \"proto3\";\npackage orders.v1;\nmessage Item {\n  string sku = 1;\n  int32 count = 2;\n}\n",
        ),
        (
            "orders/shared/v1/extra.proto",
            "syntax = \"proto3\";\npackage shared.v1;\nmessage Extra {\n  string key = 1;\n}\n",
        ),
        (
            "users/users/v1/users.proto",
            "syntax = \"proto3\";\npackage users.v1;\nimport \"shared/v1/id.proto\";\nmessage User {\n  shared.v1.Id id = 1;\n  string name = 2;\n}\n",
        ),
        (
            "users/users/v1/roles.proto",
            "syntax = \"proto3\";\npackage users.v1;\nenum Role {\n  ROLE_UNSPECIFIED = 0;\n  ROLE_ADMIN = 1;\n}\n",
        ),
    ];
    for (name, text) in files {
        let mut text = text.to_string();
        for (file, from, to) in edits {
            if *file == name {
                assert!(text.contains(from), "{from} is not in {name}");
                text = text.replacen(from, to, 1);
            }
        }
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn narrowed_judging_of_workspace_modules_finds_what_judging_everything_finds() {
    let old = tempfile::tempdir().unwrap();
    workspace(old.path(), &[]);
    let cases: &[(&str, &[Edit])] = &[
        (
            "a shared message changes type",
            &[(
                "shared/shared/v1/id.proto",
                "string value = 1;",
                "bytes value = 1;",
            )],
        ),
        (
            "a message moves to another module's file of its package",
            &[
                (
                    "orders/shared/v1/extra.proto",
                    "message Extra {\n  string key = 1;\n}\n",
                    "",
                ),
                (
                    "shared/shared/v1/id.proto",
                    "message Id {",
                    "message Extra {\n  string key = 1;\n}\nmessage Id {",
                ),
            ],
        ),
        (
            "a field deleted in one module, an enum value in another",
            &[
                ("orders/orders/v1/orders.proto", "  string note = 3;\n", ""),
                ("users/users/v1/roles.proto", "  ROLE_ADMIN = 1;\n", ""),
            ],
        ),
    ];
    // One cache through the cases: each run reuses the judgments of the groups it shares
    // with the runs before.
    let cache = tempfile::tempdir().unwrap();
    for (name, edits) in cases {
        let new = tempfile::tempdir().unwrap();
        workspace(new.path(), edits);
        same_with_and_without(new.path(), old.path(), cache.path(), name);
        let config = Config::load(new.path(), None).unwrap();
        assert_eq!(config.modules.len(), 3);
        let options = config.load_options();
        let baseline = contract::prepare(&Source::Dir(old.path().into()), Side::Baseline, &options)
            .unwrap()
            .keeping_compiled();
        let current = contract::prepare(&Source::Dir(new.path().into()), Side::Current, &options)
            .unwrap()
            .keeping_compiled();
        let (whole, narrowed, all, decoded) = judged_both_ways(&config, &baseline, &current, true);
        assert!(
            narrowed.changes == whole.changes,
            "{name}: the changelog of what diff decodes differs from that of the whole contracts"
        );
        let (whole, narrowed) = (whole.judgement, narrowed.judgement);
        assert!(!whole.findings.is_empty(), "{name}: no findings");
        assert!(decoded < all, "{name}: nothing was left out");
        assert!(
            whole.findings == narrowed.findings,
            "{name}: narrowing changed the findings\nwhole: {:#?}\nnarrowed: {:#?}",
            whole.findings,
            narrowed.findings
        );
    }
}

#[test]
fn damaged_and_foreign_entries_are_rebuilt() {
    let root = common::project_root();
    let current = tempfile::tempdir().unwrap();
    common::copy_dir(&root.join("fixtures/proto"), current.path());
    let users = current.path().join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users).unwrap();
    std::fs::write(&users, text.replacen("= 2;", "= 22;", 1)).unwrap();
    let against = root.join("fixtures/proto");
    let cache = tempfile::tempdir().unwrap();

    let expected = outcome(&check(current.path(), &against, None).output().unwrap());
    assert_eq!(expected.0, Some(1), "the edit breaks something");
    let run = || {
        outcome(
            &check(current.path(), &against, Some(cache.path()))
                .output()
                .unwrap(),
        )
    };
    assert!(run() == expected, "cold cache");
    let written = entries(cache.path());
    assert!(written.len() >= 4, "entries: {written:?}");
    let intact: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();

    // Compiled entries are the large ones; damaging only them leaves every file's key known,
    // so the damage is found when the entry is read.
    for damage in ["truncated", "another version", "compiled entries truncated"] {
        for (path, bytes) in written.iter().zip(&intact) {
            let damaged = match damage {
                "truncated" => bytes[..bytes.len() / 2].to_vec(),
                "another version" => other_version(bytes),
                _ if bytes.len() > 200 => bytes[..bytes.len() - 1].to_vec(),
                _ => bytes.clone(),
            };
            std::fs::write(path, damaged).unwrap();
        }
        assert!(run() == expected, "{damage} entries changed the result");
        if damage != "compiled entries truncated" {
            // (Entries of files a run does not need to read stay damaged until one does.)
            // The stat cache's entry says when files were looked at: rewritten, not the same.
            let stat_index = |bytes: &[u8]| {
                let text = String::from_utf8_lossy(bytes);
                text.lines()
                    .next()
                    .is_some_and(|l| l.matches('\t').count() >= 9)
            };
            for (path, intact) in written.iter().zip(&intact) {
                let rebuilt = std::fs::read(path).unwrap();
                if stat_index(intact) {
                    assert!(
                        stat_index(&rebuilt),
                        "{damage}: the stat cache was not rewritten"
                    );
                } else {
                    assert!(
                        &rebuilt == intact,
                        "{damage}: {} was not rewritten",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The entry as another protogen version would have written it: same layout, other version.
fn other_version(entry: &[u8]) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let at = entry
        .windows(version.len())
        .position(|w| w == version)
        .expect("the header names the version");
    let mut out = entry.to_vec();
    out[at..at + version.len()].fill(b'9');
    out
}

/// `check` with the cache in `cache`, and without: the bytes must agree; returns them.
fn same_with_and_without(current: &Path, against: &Path, cache: &Path, step: &str) -> String {
    let cached = outcome(&check(current, against, Some(cache)).output().unwrap());
    let plain = outcome(&check(current, against, None).output().unwrap());
    assert!(
        cached == plain,
        "{step}: the cache changed the report\ncached: {}\nplain: {}",
        cached.1,
        plain.1
    );
    cached.1
}

/// The stored judgments (JSON payloads) in a cache folder, by key.
fn judgments(cache: &Path) -> Vec<(contract::cache::Key, serde_json::Value)> {
    let store = contract::cache::Cache::at(cache.to_path_buf(), 1 << 30);
    entries(cache)
        .into_iter()
        .filter_map(|path| {
            let hex: String = path
                .iter()
                .rev()
                .take(2)
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let bytes: Vec<u8> = (0..32)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect::<Option<_>>()?;
            let key: contract::cache::Key = bytes.try_into().ok()?;
            let payload = store.get(&key)?;
            Some((key, serde_json::from_slice(&payload).ok()?))
        })
        .collect()
}

/// A judgment is reused while its packages' files and the rules stay the same, and only then:
/// an entry altered on purpose shows through after an edit elsewhere, and is left alone
/// after the rules change (every report equals `--no-cache`'s otherwise).
#[test]
fn stored_judgments_follow_the_files_and_the_rules() {
    let root = common::project_root();
    let against = root.join("fixtures/proto");
    let current = tempfile::tempdir().unwrap();
    common::copy_dir(&against, current.path());
    let cache = tempfile::tempdir().unwrap();
    let edit = |name: &str, from: &str, to: &str| {
        let path = current.path().join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} is not in {name}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };

    // users.v1 and orders.v1 (which imports it) both change: two groups, both judged.
    edit(
        "users/v1/users.proto",
        "string name = 3;",
        "bytes name = 3;",
    );
    let first = same_with_and_without(current.path(), &against, cache.path(), "users edited");
    assert!(first.contains("FIELD_SAME_TYPE"), "{first}");
    let stored = judgments(cache.path());
    let users: Vec<_> = stored
        .iter()
        .filter(|(_, j)| {
            j.to_string().contains("\"users.v1\"") && !j.to_string().contains("orders.v1")
        })
        .collect();
    assert_eq!(
        users.len(),
        1,
        "one stored judgment for users.v1: {stored:?}"
    );
    let (key, judgment) = users[0];
    let altered = judgment.to_string().replace("changed", "STORED");
    assert_ne!(
        &altered,
        &judgment.to_string(),
        "the message says what changed"
    );
    let store = contract::cache::Cache::at(cache.path().to_path_buf(), 1 << 30);
    store.put(key, altered.as_bytes());

    // Only orders.v1 changes now: users.v1's judgment comes from the cache.
    edit(
        "orders/v1/orders.proto",
        "message Order {",
        "message Order {\n  reserved 99;",
    );
    let cached = outcome(
        &check(current.path(), &against, Some(cache.path()))
            .output()
            .unwrap(),
    );
    assert!(
        cached.1.contains("STORED"),
        "users.v1 was judged again: {}",
        cached.1
    );

    // Other rules: nothing stored under the old ones is reused.
    std::fs::write(
        current.path().join("protogen.toml"),
        "[breaking]\nuse = [\"FILE\"]\n[breaking.severity]\nFIELD_SAME_TYPE = \"warn\"\n",
    )
    .unwrap();
    let warned = same_with_and_without(current.path(), &against, cache.path(), "rules changed");
    assert!(!warned.contains("STORED"), "{warned}");
    assert!(warned.contains("\"warning\""), "{warned}");
}

/// A file rewritten in place with the same size and its old mtime (same inode too) is read
/// again: the stat cache also compares ctime, which no user can set back. (That an entry
/// taken in the second of the file's mtime is never trusted is a unit test of
/// contract::texts.)
#[test]
fn a_same_size_edit_with_the_old_mtime_is_read_again() {
    let root = common::project_root();
    let against = root.join("fixtures/proto");
    let current = tempfile::tempdir().unwrap();
    common::copy_dir(&against, current.path());
    let cache = tempfile::tempdir().unwrap();
    let users = current.path().join("users/v1/users.proto");
    let long_ago =
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let set_mtime = |path: &Path| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(long_ago)
            .unwrap()
    };
    for file in ["users/v1/users.proto", "orders/v1/orders.proto"] {
        set_mtime(&current.path().join(file));
    }
    // Twice: the second run finds every entry trustworthy and reads nothing it need not.
    for _ in 0..2 {
        let clean = same_with_and_without(current.path(), &against, cache.path(), "unchanged");
        assert!(findings(&clean).is_empty(), "{clean}");
    }
    use std::os::unix::fs::MetadataExt;
    let before = std::fs::metadata(&users).unwrap();
    let text = std::fs::read_to_string(&users).unwrap();
    let edited = text.replacen("string email = 2;", "string email = 7;", 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&users, edited).unwrap();
    set_mtime(&users);
    let after = std::fs::metadata(&users).unwrap();
    assert_eq!(
        (
            before.len(),
            before.mtime(),
            before.mtime_nsec(),
            before.ino()
        ),
        (after.len(), after.mtime(), after.mtime_nsec(), after.ino())
    );
    let report = same_with_and_without(current.path(), &against, cache.path(), "same-size edit");
    assert!(
        report.contains("FIELD_SAME_NUMBER") || report.contains("FIELD_NO_DELETE"),
        "{report}"
    );
}

/// Edition 2024's `import option`: the fixture checks clean against itself, and a file is
/// compiled again when a file it imports for options changes (its fingerprint follows the
/// option imports too): with a stale entry, the importer's options would still resolve.
#[test]
fn an_import_option_file_edit_reaches_its_importers() {
    let against = common::project_root().join("fixtures/compile/editions");
    let current = tempfile::tempdir().unwrap();
    common::copy_dir(&against, current.path());
    let cache = tempfile::tempdir().unwrap();
    let clean = same_with_and_without(current.path(), &against, cache.path(), "unchanged");
    assert!(findings(&clean).is_empty(), "{clean}");
    let options = current.path().join("features/v1/options_2024.proto");
    let text = std::fs::read_to_string(&options).unwrap();
    std::fs::write(
        &options,
        text.replacen("bool sensitive = 50103;", "bool secret = 50103;", 1),
    )
    .unwrap();
    let output = check(current.path(), &against, Some(cache.path()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("import_option_2024.proto") && stderr.contains("sensitive"),
        "{stderr}"
    );
}
