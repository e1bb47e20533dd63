//! Rules across the files of a package or a directory: DIRECTORY_SAME_PACKAGE,
//! PACKAGE_SAME_DIRECTORY, PACKAGE_SAME_<option>, PACKAGE_NO_IMPORT_CYCLE,
//! STABLE_PACKAGE_NO_IMPORT_UNSTABLE.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use prost_types::FileDescriptorProto;

use super::file::dir_of;
use super::sink::Sink;
use crate::contract::version::{package_version, Stability};

/// package -> directly imported package -> the imports that make the edge (file, import index).
type ImportGraph<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Vec<(usize, usize)>>>;

/// The file options that files of one package must agree on, with their FileOptions field
/// number (the SourceCodeInfo path is `[8, number]`).
const SAME_OPTIONS: &[(&str, &str, i32)] = &[
    ("PACKAGE_SAME_CSHARP_NAMESPACE", "csharp_namespace", 37),
    ("PACKAGE_SAME_GO_PACKAGE", "go_package", 11),
    (
        "PACKAGE_SAME_JAVA_MULTIPLE_FILES",
        "java_multiple_files",
        10,
    ),
    ("PACKAGE_SAME_JAVA_PACKAGE", "java_package", 1),
    ("PACKAGE_SAME_PHP_NAMESPACE", "php_namespace", 41),
    ("PACKAGE_SAME_RUBY_PACKAGE", "ruby_package", 45),
    ("PACKAGE_SAME_SWIFT_PREFIX", "swift_prefix", 39),
];

pub fn check(sink: &mut Sink) {
    let model = sink.model;
    let mut by_dir: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_package: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in model.files.iter().enumerate() {
        by_dir.entry(dir_of(f.name)).or_default().push(i);
        by_package.entry(f.package).or_default().push(i);
    }
    if sink.on("DIRECTORY_SAME_PACKAGE") {
        for (dir, files) in &by_dir {
            let mut packages: BTreeSet<&str> =
                files.iter().map(|&i| model.files[i].package).collect();
            if packages.len() < 2 {
                continue;
            }
            let unnamed = packages.remove("");
            let list = packages.iter().copied().collect::<Vec<_>>().join(",");
            let prefix = match (unnamed, packages.len()) {
                (true, n) if n > 1 => {
                    format!("Multiple packages \"{list}\" and file with no package")
                }
                (true, _) => format!("Package \"{list}\" and file with no package"),
                (false, _) => format!("Multiple packages \"{list}\""),
            };
            for &i in files {
                sink.add(
                    "DIRECTORY_SAME_PACKAGE",
                    i,
                    Some(&[2]),
                    model.files[i].name,
                    format!("{prefix} detected within directory \"{dir}\": keep one package per directory."),
                );
            }
        }
    }
    for (package, files) in &by_package {
        if sink.on("PACKAGE_SAME_DIRECTORY") {
            let dirs: BTreeSet<&str> = files.iter().map(|&i| dir_of(model.files[i].name)).collect();
            if dirs.len() > 1 {
                let list = dirs.into_iter().collect::<Vec<_>>().join(",");
                for &i in files {
                    sink.add(
                        "PACKAGE_SAME_DIRECTORY",
                        i,
                        Some(&[2]),
                        *package,
                        format!("Multiple directories \"{list}\" contain files with package \"{package}\": move them into one directory."),
                    );
                }
            }
        }
        for &(rule, option, number) in SAME_OPTIONS {
            if !sink.on(rule) {
                continue;
            }
            let values: Vec<String> = files
                .iter()
                .map(|&i| option_value(model.files[i].desc, number))
                .collect();
            let mut distinct: BTreeSet<&str> = values.iter().map(String::as_str).collect();
            if distinct.len() < 2 {
                continue;
            }
            let unset = distinct.remove("");
            let list = distinct.into_iter().collect::<Vec<_>>().join(",");
            let message = if unset {
                format!("Files in package \"{package}\" have both values \"{list}\" and no value for option \"{option}\" and all values must be equal: set the same {option} in every file of the package.")
            } else {
                format!("Files in package \"{package}\" have multiple values \"{list}\" for option \"{option}\" and all values must be equal: set the same {option} in every file of the package.")
            };
            for &i in files {
                sink.add(rule, i, Some(&[8, number]), *package, message.clone());
            }
        }
    }
    if sink.on("PACKAGE_NO_IMPORT_CYCLE") {
        import_cycles(sink);
    }
    if sink.on("STABLE_PACKAGE_NO_IMPORT_UNSTABLE") {
        let by_name: HashMap<&str, &str> =
            model.files.iter().map(|f| (f.name, f.package)).collect();
        for (i, f) in model.files.iter().enumerate() {
            if package_version(f.package) != Some(Stability::Stable) {
                continue;
            }
            for (index, import) in f.desc.dependency.iter().enumerate() {
                let Some(&imported) = by_name.get(import.as_str()) else {
                    continue;
                };
                if package_version(imported) == Some(Stability::Unstable) {
                    sink.add(
                        "STABLE_PACKAGE_NO_IMPORT_UNSTABLE",
                        i,
                        Some(&[3, index as i32]),
                        f.package,
                        format!("This file is in stable package \"{}\", so it should not depend on \"{import}\" from unstable package \"{imported}\": promote that package or move this file to an unstable version.", f.package),
                    );
                }
            }
        }
    }
}

/// The value of a file option as buf compares it; "" when it is not set.
fn option_value(file: &FileDescriptorProto, number: i32) -> String {
    let Some(o) = file.options.as_ref() else {
        return String::new();
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match number {
        37 => text(&o.csharp_namespace),
        11 => text(&o.go_package),
        10 => o
            .java_multiple_files
            .map(|b| b.to_string())
            .unwrap_or_default(),
        1 => text(&o.java_package),
        41 => text(&o.php_namespace),
        45 => text(&o.ruby_package),
        39 => text(&o.swift_prefix),
        _ => String::new(),
    }
}

/// PACKAGE_NO_IMPORT_CYCLE: for every package and every package it imports directly, a path
/// of imports back to it is a cycle; each import that starts one is reported.
fn import_cycles(sink: &mut Sink) {
    let model = sink.model;
    let package_of: HashMap<&str, &str> = model.files.iter().map(|f| (f.name, f.package)).collect();
    let mut graph: ImportGraph = BTreeMap::new();
    for (i, f) in model.files.iter().enumerate() {
        for (index, import) in f.desc.dependency.iter().enumerate() {
            let Some(&imported) = package_of.get(import.as_str()) else {
                continue; // a well-known type: it imports nothing of the module
            };
            if imported != f.package {
                graph
                    .entry(f.package)
                    .or_default()
                    .entry(imported)
                    .or_default()
                    .push((i, index));
            }
        }
    }
    let mut reports = Vec::new();
    for (&package, imports) in &graph {
        if package.is_empty() {
            continue;
        }
        for (&imported, sites) in imports {
            if imported.is_empty() {
                continue;
            }
            let mut path = vec![package];
            let mut on_path: BTreeSet<&str> = [package].into_iter().collect();
            if let Some(cycle) = find_cycle(imported, &graph, &mut on_path, &mut path) {
                for &(file, index) in sites {
                    reports.push((file, index, cycle.join(" -> ")));
                }
            }
        }
    }
    for (file, index, cycle) in reports {
        sink.add(
            "PACKAGE_NO_IMPORT_CYCLE",
            file,
            Some(&[3, index as i32]),
            model.files[file].package,
            format!("Package import cycle: {cycle}: break it by moving the shared types into a package both can import."),
        );
    }
}

/// buf's depth-first search for a path from `package` back to the first package of `path`.
fn find_cycle<'a>(
    package: &'a str,
    graph: &ImportGraph<'a>,
    on_path: &mut BTreeSet<&'a str>,
    path: &mut Vec<&'a str>,
) -> Option<Vec<&'a str>> {
    path.push(package);
    if on_path.contains(package) {
        let found = (path.first() == path.last()).then(|| path.clone());
        path.pop();
        return found;
    }
    on_path.insert(package);
    if let Some(next) = graph.get(package) {
        for &imported in next.keys() {
            if imported.is_empty() {
                continue;
            }
            if let Some(cycle) = find_cycle(imported, graph, on_path, path) {
                return Some(cycle);
            }
        }
    }
    on_path.remove(package);
    path.pop();
    None
}
