//! Lint findings that follow the change: the files of a linted unit are split into groups no
//! rule looks across, and each group's findings are stored in the cache and reused while its
//! files, their imports and the rules stay the same.
//!
//! A group is closed under what the package-wide rules compare: files of one package, of one
//! directory, and packages in one import cycle. Its key covers the rules and each file's name,
//! place and fingerprint (which covers its imports, transitively), and which of its imports
//! the unit lints. RPC_REQUEST_RESPONSE_UNIQUE is the one rule across groups: each entry keeps
//! the types its RPCs use and whether other groups used them too, and is reused only while
//! they still do ([`Entry::outside`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

use crate::compat::{Finding, Severity};
use crate::contract::{cache, Contract, Outline};

/// Type full name → (used as a request, used as a response).
pub type Uses = BTreeMap<String, (bool, bool)>;

/// Files linted together, and where their findings are stored.
pub struct Group {
    pub files: BTreeSet<String>,
    pub key: cache::Key,
}

/// What is stored of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub findings: Vec<Finding>,
    /// The request and response types of the group's RPCs.
    pub uses: Uses,
    /// For each type of [`Entry::uses`], how other groups of the unit used it when the
    /// findings were made.
    pub outside: Uses,
}

/// The groups of the files `target` (one unit: a module, or every file) of `outline`, keyed
/// with `rules` (the unit's rules, rendered); `None` when a file has no fingerprint.
pub fn groups(outline: &Outline, target: &BTreeSet<String>, rules: &str) -> Option<Vec<Group>> {
    let files: Vec<&String> = target
        .iter()
        .filter(|n| outline.files.contains_key(*n))
        .collect();
    if files
        .iter()
        .any(|n| outline.files[*n].fingerprint.is_none())
    {
        return None;
    }
    // Union-find over nodes: each file, each package, each directory.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut parent: Vec<usize> = Vec::new();
    let mut node = |name: String, parent: &mut Vec<usize>| -> usize {
        *ids.entry(name).or_insert_with(|| {
            parent.push(parent.len());
            parent.len() - 1
        })
    };
    fn root(parent: &mut [usize], mut at: usize) -> usize {
        while parent[at] != at {
            parent[at] = parent[parent[at]];
            at = parent[at];
        }
        at
    }
    fn join(parent: &mut [usize], a: usize, b: usize) {
        let (a, b) = (root(parent, a), root(parent, b));
        if a != b {
            parent[b] = a;
        }
    }
    let mut file_nodes = Vec::with_capacity(files.len());
    for name in &files {
        let file = &outline.files[*name];
        let me = node(format!("f{name}"), &mut parent);
        let package = node(format!("p{}", file.package), &mut parent);
        let dir = node(format!("d{}", super::file::dir_of(name)), &mut parent);
        join(&mut parent, me, package);
        join(&mut parent, me, dir);
        file_nodes.push(me);
    }
    for cycle in package_cycles(outline, target) {
        let nodes: Vec<usize> = cycle
            .iter()
            .map(|p| node(format!("p{p}"), &mut parent))
            .collect();
        for pair in nodes.windows(2) {
            join(&mut parent, pair[0], pair[1]);
        }
    }
    let mut by_root: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (name, me) in files.iter().zip(file_nodes) {
        by_root
            .entry(root(&mut parent, me))
            .or_default()
            .insert((*name).clone());
    }
    let mut groups: Vec<Group> = by_root
        .into_values()
        .map(|files| {
            let mut parts: Vec<Vec<u8>> = vec![rules.as_bytes().to_vec()];
            for name in &files {
                let file = &outline.files[name];
                parts.push(name.as_bytes().to_vec());
                parts.push(file.path.as_bytes().to_vec());
                parts.push(file.fingerprint.expect("checked above").to_vec());
            }
            // Whether each import is linted by the unit decides what the model holds of it.
            for name in outline.with_imports(files.clone()) {
                if !files.contains(&name) {
                    let linted = if target.contains(&name) { "+" } else { "-" };
                    parts.push(format!("{linted}{name}").into_bytes());
                }
            }
            let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            Group {
                key: cache::key("lint", &parts),
                files,
            }
        })
        .collect();
    groups.sort_by(|a, b| a.files.cmp(&b.files));
    Some(groups)
}

/// The packages of each import cycle among the files `target` (the strongly connected
/// components of more than one package), as PACKAGE_NO_IMPORT_CYCLE sees them.
fn package_cycles(outline: &Outline, target: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for name in target {
        let Some(file) = outline.files.get(name) else {
            continue;
        };
        for import in &file.imports {
            let Some(imported) = outline
                .files
                .get(import)
                .filter(|_| target.contains(import))
            else {
                continue;
            };
            if imported.package != file.package
                && !file.package.is_empty()
                && !imported.package.is_empty()
            {
                graph
                    .entry(file.package.as_str())
                    .or_default()
                    .insert(imported.package.as_str());
            }
        }
    }
    // Tarjan's algorithm.
    struct Tarjan<'a> {
        graph: &'a BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: HashMap<&'a str, (usize, usize)>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, at: &'a str) {
            self.index.insert(at, (self.next, self.next));
            self.next += 1;
            self.stack.push(at);
            self.on_stack.insert(at);
            for &to in self.graph.get(at).into_iter().flatten() {
                if !self.index.contains_key(to) {
                    self.visit(to);
                    let low = self.index[to].1.min(self.index[at].1);
                    self.index.get_mut(at).expect("visited").1 = low;
                } else if self.on_stack.contains(to) {
                    let low = self.index[to].0.min(self.index[at].1);
                    self.index.get_mut(at).expect("visited").1 = low;
                }
            }
            let (index, low) = self.index[at];
            if index == low {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == at {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph: &graph,
        index: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for &package in graph.keys() {
        if !tarjan.index.contains_key(package) {
            tarjan.visit(package);
        }
    }
    tarjan.found
}

/// The request and response types of the RPCs declared in the files `files` of `contract`,
/// named as RPC_REQUEST_RESPONSE_UNIQUE names them.
pub fn uses(contract: &Contract, files: &BTreeSet<String>) -> Uses {
    let mut uses = Uses::new();
    for file in contract.files.iter().filter(|f| files.contains(f.name())) {
        for method in file.service.iter().flat_map(|s| &s.method) {
            let input = method.input_type().trim_start_matches('.');
            let output = method.output_type().trim_start_matches('.');
            uses.entry(input.to_string()).or_default().0 = true;
            uses.entry(output.to_string()).or_default().1 = true;
        }
    }
    uses
}

/// For each type `own` uses, how the other groups (`all` holds every group's uses, `own`'s
/// among them) use it.
pub fn outside(own: &Uses, counts: &HashMap<&str, (usize, usize)>) -> Uses {
    own.iter()
        .map(|(name, &(request, response))| {
            let (requests, responses) = counts.get(name.as_str()).copied().unwrap_or_default();
            let others = (
                requests > usize::from(request),
                responses > usize::from(response),
            );
            (name.clone(), others)
        })
        .collect()
}

/// How many groups use each type as a request and as a response.
pub fn counts<'a>(all: impl IntoIterator<Item = &'a Uses>) -> HashMap<&'a str, (usize, usize)> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for uses in all {
        for (name, &(request, response)) in uses {
            let count = counts.entry(name.as_str()).or_default();
            count.0 += usize::from(request);
            count.1 += usize::from(response);
        }
    }
    counts
}

pub fn encode(entry: &Entry) -> Vec<u8> {
    let uses = |uses: &Uses| {
        uses.iter()
            .map(|(name, (request, response))| json!([name, request, response]))
            .collect::<Vec<_>>()
    };
    let value = json!({
        "findings": entry
            .findings
            .iter()
            .map(|f| json!([f.rule, f.path, f.line, f.column, f.message, f.element]))
            .collect::<Vec<_>>(),
        "uses": uses(&entry.uses),
        "outside": uses(&entry.outside),
    });
    serde_json::to_vec(&value).expect("plain data serializes")
}

/// The entry stored by [`encode`]; `None` for anything else (a damaged entry is a miss).
pub fn decode(bytes: &[u8]) -> Option<Entry> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let finding = |v: &Value| -> Option<Finding> {
        let rule = v.get(0)?.as_str()?;
        Some(Finding {
            rule: super::RULES.iter().find(|r| r.id == rule)?.id,
            path: v.get(1)?.as_str()?.to_string(),
            line: u32::try_from(v.get(2)?.as_u64()?).ok()?,
            column: u32::try_from(v.get(3)?.as_u64()?).ok()?,
            message: v.get(4)?.as_str()?.to_string(),
            element: v.get(5)?.as_str()?.to_string(),
            severity: Severity::Error,
            packages: Vec::new(),
        })
    };
    let uses = |v: &Value| -> Option<Uses> {
        v.as_array()?
            .iter()
            .map(|u| {
                Some((
                    u.get(0)?.as_str()?.to_string(),
                    (u.get(1)?.as_bool()?, u.get(2)?.as_bool()?),
                ))
            })
            .collect()
    };
    Some(Entry {
        findings: value["findings"]
            .as_array()?
            .iter()
            .map(finding)
            .collect::<Option<_>>()?,
        uses: uses(&value["uses"])?,
        outside: uses(&value["outside"])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::FileOutline;

    fn outline(files: &[(&str, &str, &[&str])]) -> Outline {
        Outline {
            files: files
                .iter()
                .enumerate()
                .map(|(i, (name, package, imports))| {
                    (
                        name.to_string(),
                        FileOutline {
                            package: package.to_string(),
                            imports: imports.iter().map(|s| s.to_string()).collect(),
                            path: name.to_string(),
                            fingerprint: Some([i as u8; 32]),
                            events: false,
                        },
                    )
                })
                .collect(),
            placed: true,
        }
    }

    #[test]
    fn groups_join_packages_directories_and_import_cycles() {
        let outline = outline(&[
            ("a/x.proto", "a", &[]),
            ("a/y.proto", "a", &[]),
            ("b/x.proto", "b", &["c/x.proto"]),
            ("c/x.proto", "c", &["d/x.proto"]),
            ("d/x.proto", "d", &["b/x.proto"]),
            ("e/x.proto", "e", &["a/x.proto"]),
            ("e/f/x.proto", "a", &[]),
            ("g/x.proto", "g", &["a/x.proto"]),
        ]);
        let target: BTreeSet<String> = outline.files.keys().cloned().collect();
        let groups = groups(&outline, &target, "rules").unwrap();
        let files: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.files.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            files,
            vec![
                vec!["a/x.proto", "a/y.proto", "e/f/x.proto"],
                vec!["b/x.proto", "c/x.proto", "d/x.proto"],
                vec!["e/x.proto"],
                vec!["g/x.proto"],
            ]
        );
        // The rules and the imports' being linted are in the key.
        let other = super::groups(&outline, &target, "other rules").unwrap();
        assert_ne!(groups[0].key, other[0].key);
        let mut without_a: BTreeSet<String> = target.clone();
        without_a.remove("a/x.proto");
        let fewer = super::groups(&outline, &without_a, "rules").unwrap();
        let g = |gs: &[Group], name: &str| gs.iter().find(|g| g.files.contains(name)).unwrap().key;
        assert_ne!(g(&groups, "g/x.proto"), g(&fewer, "g/x.proto"));
        assert_eq!(g(&groups, "b/x.proto"), g(&fewer, "b/x.proto"));
    }

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let entry = Entry {
            findings: vec![Finding {
                rule: "FIELD_LOWER_SNAKE_CASE",
                path: "a/x.proto".into(),
                line: 3,
                column: 5,
                message: "m".into(),
                element: "a.X.Bad".into(),
                severity: Severity::Error,
                packages: Vec::new(),
            }],
            uses: [("a.Req".to_string(), (true, false))].into(),
            outside: [("a.Req".to_string(), (false, true))].into(),
        };
        let bytes = encode(&entry);
        assert_eq!(decode(&bytes), Some(entry));
        assert_eq!(decode(&bytes[..bytes.len() - 2]), None);
        assert_eq!(
            decode(br#"{"findings":[["NO_SUCH_RULE","a",1,1,"m","e"]],"uses":[],"outside":[]}"#),
            None
        );
    }

    #[test]
    fn outside_counts_only_the_other_groups() {
        let mine: Uses = [
            ("t.A".to_string(), (true, false)),
            ("t.B".to_string(), (false, true)),
        ]
        .into();
        let theirs: Uses = [("t.A".to_string(), (false, true))].into();
        let counts = counts([&mine, &theirs]);
        assert_eq!(
            outside(&mine, &counts),
            [
                ("t.A".to_string(), (false, true)),
                ("t.B".to_string(), (false, false))
            ]
            .into()
        );
    }
}
