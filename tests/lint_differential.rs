//! Differential test against buf 1.75: `protogen lint` must report what `buf lint` reports
//! (rule, path, line, column) on every case of `fixtures/lint/` and on Google's protos 6.0.1.
//!
//! Each fixture case is a module (buf.yaml, sometimes protogen.toml, and protos) and its own
//! test (`cargo test FIELD_LOWER_SNAKE_CASE` runs that rule's cases); it compares three things:
//! protogen, buf run live, and the snapshot of buf's findings stored in the case
//! (`expected.json`, rewritten by `cargo xtask corpus-expect`). Without buf (outside CI and
//! `cargo xtask test`), protogen is still compared with the snapshots.
//! `PROTOGEN_DIFFERENTIAL_BIN` runs another binary.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::differential::{self as d, Located};

/// Cases where protogen deliberately differs from buf, and why. The test fails when a listed
/// case starts to agree, so that this list never outlives the difference it explains.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Rules with no `fires-` case, and why: every other rule of buf (v2 and v1beta1) needs both a
/// `fires-` and a `near-miss-` case.
const NEVER_FIRES: &[(&str, &str)] = &[(
    "IMPORT_NO_WEAK",
    "deprecated without a replacement: buf accepts the ID and runs nothing for it",
)];

/// Rules whose messages are buf's word for word (the others say how to fix in protogen's
/// words): for these the message is compared too, up to the reason a pattern "fails to
/// compile:" (Go's regexp words it, protogen the regex crate).
const BUF_WORDING: &[&str] = &["PROTOVALIDATE"];

fn wording(rule: &str, message: &str) -> Option<String> {
    const REASON: &str = "fails to compile:";
    if !BUF_WORDING.contains(&rule) {
        return None;
    }
    Some(match message.find(REASON) {
        Some(at) => message[..at + REASON.len()].to_owned(),
        None => message.to_owned(),
    })
}

macro_rules! case {
    ($name:ident, $id:literal) => {
        #[test]
        #[allow(non_snake_case)]
        fn $name() {
            fixture_case($id);
        }
    };
}
include!(concat!(env!("OUT_DIR"), "/lint_cases.rs"));

/// One case of fixtures/lint: snapshot, buf live and protogen agree (or differ as
/// KNOWN_DIFFERENCES says).
fn fixture_case(id: &str) {
    let case = d::case("lint", "fires-", id);
    let live = common::native_buf().map(|buf| run_buf(&buf, &case.dir));
    let found = protogen(&case.dir);
    let known = KNOWN_DIFFERENCES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, why)| *why);
    d::judge_case(&case, wording, live, found, known);
}

/// The corpus as a whole: KNOWN_DIFFERENCES names real cases, and every rule buf knows in v2
/// and v1beta1 has a fires- and a near-miss- case (NEVER_FIRES rules a near-miss only).
#[test]
fn fixture_corpus_covers_every_rule() {
    let cases = d::cases("lint", "fires-");
    for (id, _) in KNOWN_DIFFERENCES {
        assert!(
            cases.iter().any(|case| case.id == *id),
            "KNOWN_DIFFERENCES names {id}, which is not a case under fixtures/lint/"
        );
    }
    let Some(buf) = common::native_buf() else {
        return;
    };
    let ids: BTreeSet<String> = ["v2", "v1beta1"]
        .into_iter()
        .flat_map(|version| d::buf_rules(&buf, "lint", version, &["--include-deprecated"]))
        .collect();
    assert!(ids.len() > 40, "buf listed only {} lint rules", ids.len());
    let never: BTreeSet<&str> = NEVER_FIRES.iter().map(|(id, _)| *id).collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| {
            let of_rule = || cases.iter().filter(|case| &case.rule == *id);
            let fires = of_rule().any(|case| case.positive);
            let near = of_rule().any(|case| !case.positive);
            !near || (!fires && !never.contains(id.as_str()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "lint rules without both a fires- and a near-miss- case: {missing:?}"
    );
    for id in &never {
        assert!(
            ids.contains(*id),
            "NEVER_FIRES names {id}, which buf does not know"
        );
    }
}

/// Google's protos 6.0.1 (its buf.yaml v2 excludes google/protobuf and sets no lint rules, so
/// STANDARD applies): the multiset of (rule, path, line, column) must equal buf lint's.
#[test]
fn google_protos_match_buf_lint() {
    let (Some(buf), Some(protos)) = (common::native_buf(), common::google_protos("6.0.1")) else {
        return;
    };
    let (from_buf, found) = std::thread::scope(|scope| {
        let buf_run = scope.spawn(|| run_buf(&buf, &protos));
        let found = protogen(&protos);
        (buf_run.join().expect("buf thread panicked"), found)
    });
    let from_buf = from_buf.unwrap_or_else(|e| panic!("buf lint on Google's protos: {e}"));
    let found = found.unwrap_or_else(|e| panic!("protogen lint on Google's protos: {e}"));
    assert!(
        from_buf.len() > 10_000,
        "buf found {} lint findings in Google's protos; the setup is wrong",
        from_buf.len()
    );
    let key = |f: &Located| (f.rule.clone(), f.path.clone(), f.line, f.column);
    let (b, p) = (
        d::multiset(from_buf.iter().map(key)),
        d::multiset(found.iter().map(key)),
    );
    let mut table: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for f in &from_buf {
        table.entry(&f.rule).or_default()[0] += 1;
    }
    for f in &found {
        table.entry(&f.rule).or_default()[1] += 1;
    }
    println!(
        "\nGoogle's protos 6.0.1, lint STANDARD\n{:<36} {:>7} {:>9}",
        "rule", "buf", "protogen"
    );
    for (rule, [x, y]) in &table {
        println!("{rule:<36} {x:>7} {y:>9}");
    }
    let differences: Vec<String> = b
        .keys()
        .chain(p.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (
                b.get(k).copied().unwrap_or(0),
                p.get(k).copied().unwrap_or(0),
            );
            (x != y).then(|| format!("{} {}:{}:{}  buf {x}, protogen {y}", k.0, k.1, k.2, k.3))
        })
        .collect();
    assert!(
        differences.is_empty(),
        "{} (rule, path, line, column) counts differ from buf's:\n{}",
        differences.len(),
        differences
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `protogen lint DIR --format json`.
fn protogen(dir: &Path) -> Result<Vec<Located>, String> {
    d::run_protogen(&["lint".as_ref(), dir.as_os_str()], wording)
}

/// `buf lint --error-format json` in `dir`.
fn run_buf(buf: &Path, dir: &Path) -> Result<Vec<Located>, String> {
    d::run_buf(buf, dir, &["lint".as_ref()], wording)
}
