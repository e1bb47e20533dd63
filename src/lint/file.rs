//! File rules: names (FILE_LOWER_SNAKE_CASE), package statement (PACKAGE_DEFINED,
//! PACKAGE_LOWER_SNAKE_CASE, PACKAGE_VERSION_SUFFIX, PACKAGE_DIRECTORY_MATCH), syntax, imports.

use std::collections::{HashMap, HashSet};

use prost_types::FileDescriptorProto;

use super::names::to_lower_snake_case;
use super::sink::Sink;
use crate::contract::version::package_version;

pub fn check(sink: &mut Sink) {
    let model = sink.model;
    for (i, file) in model.files.iter().enumerate() {
        let name = file.name;
        if sink.on("FILE_LOWER_SNAKE_CASE") {
            let base = name.rsplit('/').next().unwrap_or(name);
            let ext = base.rfind('.').map_or("", |at| &base[at..]);
            let stem = &base[..base.len() - ext.len()];
            let expected = to_lower_snake_case(stem);
            if stem != expected {
                sink.add(
                    "FILE_LOWER_SNAKE_CASE",
                    i,
                    None,
                    name,
                    format!("Filename \"{base}\" should be lower_snake_case{ext}, such as \"{expected}{ext}\": rename the file (and the imports of it)."),
                );
            }
        }
        let package = file.package;
        if package.is_empty() {
            sink.add(
                "PACKAGE_DEFINED",
                i,
                None,
                name,
                "Files must have a package defined: add a `package` statement such as `package acme.weather.v1;`.".to_string(),
            );
        } else {
            if sink.on("PACKAGE_LOWER_SNAKE_CASE") {
                let expected = package
                    .split('.')
                    .map(to_lower_snake_case)
                    .collect::<Vec<_>>()
                    .join(".");
                if package != expected {
                    sink.add(
                        "PACKAGE_LOWER_SNAKE_CASE",
                        i,
                        Some(&[2]),
                        package,
                        format!("Package name \"{package}\" should be lower_snake.case, such as \"{expected}\"."),
                    );
                }
            }
            if sink.on("PACKAGE_VERSION_SUFFIX") && package_version(package).is_none() {
                sink.add(
                    "PACKAGE_VERSION_SUFFIX",
                    i,
                    Some(&[2]),
                    package,
                    format!("Package name \"{package}\" should be suffixed with a correctly formed version, such as \"{package}.v1\"."),
                );
            }
            if sink.on("PACKAGE_DIRECTORY_MATCH") {
                let expected = package.replace('.', "/");
                let dir = dir_of(name);
                if dir != expected {
                    sink.add(
                        "PACKAGE_DIRECTORY_MATCH",
                        i,
                        Some(&[2]),
                        package,
                        format!("Files with package \"{package}\" must be within a directory \"{expected}\" relative to root but were in directory \"{dir}\": move the file or change its package."),
                    );
                }
            }
        }
        if sink.on("SYNTAX_SPECIFIED") && !has_syntax(file.desc) {
            sink.add(
                "SYNTAX_SPECIFIED",
                i,
                None,
                name,
                "Files must have a syntax explicitly specified. If no syntax is specified, the file defaults to \"proto2\": add `syntax = \"proto3\";` (or \"proto2\") at the top.".to_string(),
            );
        }
        for (index, import) in file.desc.dependency.iter().enumerate() {
            let at = [3, index as i32];
            let public = file.desc.public_dependency.contains(&(index as i32));
            if public {
                sink.add(
                    "IMPORT_NO_PUBLIC",
                    i,
                    Some(&at),
                    name,
                    format!("Import \"{import}\" must not be public: import the file directly where its types are used."),
                );
            }
        }
    }
    if sink.on("IMPORT_USED") {
        import_used(sink);
    }
}

/// The directory of a file name as buf writes it: `.` for the module root.
pub fn dir_of(name: &str) -> &str {
    name.rfind('/').map_or(".", |at| &name[..at])
}

/// Whether the file has a `syntax` (or `edition`) statement: protoc leaves the field empty for
/// proto2 either way, so the statement's location tells.
fn has_syntax(file: &FileDescriptorProto) -> bool {
    let located = file
        .source_code_info
        .as_ref()
        .is_some_and(|info| info.location.iter().any(|l| l.path == [12]));
    located || !file.syntax().is_empty()
}

/// What a file gives to the files that import it: its types, and its extensions by
/// (extendee, number); a public import passes on everything of the file it imports.
#[derive(Default)]
struct Exports {
    types: HashSet<String>,
    extensions: HashSet<(String, i32)>,
}

/// IMPORT_USED: an import is used when the file refers to a type it (or a file it publicly
/// imports) defines, or sets a custom option it declares. Public imports count as used.
fn import_used(sink: &mut Sink) {
    let model = sink.model;
    // Every file of the contract, not only the linted ones: in a workspace, a module imports
    // files of the others.
    let mut library: HashMap<&str, &FileDescriptorProto> =
        model.contract.files.iter().map(|f| (f.name(), f)).collect();
    let missing: Vec<String> = model
        .files
        .iter()
        .flat_map(|f| f.desc.dependency.iter())
        .filter(|d| !library.contains_key(d.as_str()))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let well_known = crate::contract::known::provided_files(&missing);
    for f in &well_known {
        library.entry(f.name()).or_insert(f);
    }
    let mut cache: HashMap<String, Exports> = HashMap::new();
    for (i, file) in model.files.iter().enumerate() {
        if file.desc.dependency.is_empty() {
            continue;
        }
        let used_types = referenced_types(file.desc);
        let used_options = used_option_extensions(file.desc);
        for (index, import) in file.desc.dependency.iter().enumerate() {
            if file.desc.public_dependency.contains(&(index as i32)) {
                continue;
            }
            if !cache.contains_key(import) {
                let mut exports = Exports::default();
                collect_exports(import, &library, &mut exports, &mut HashSet::new());
                cache.insert(import.clone(), exports);
            }
            let exports = &cache[import];
            let used = used_types.iter().any(|t| exports.types.contains(*t))
                || used_options.iter().any(|o| exports.extensions.contains(o));
            if !used {
                sink.add(
                    "IMPORT_USED",
                    i,
                    Some(&[3, index as i32]),
                    file.name,
                    format!("Import \"{import}\" is unused: remove it."),
                );
            }
        }
    }
}

fn collect_exports<'a>(
    name: &'a str,
    library: &HashMap<&str, &'a FileDescriptorProto>,
    into: &mut Exports,
    seen: &mut HashSet<&'a str>,
) {
    if !seen.insert(name) {
        return;
    }
    let Some(file) = library.get(name) else {
        return;
    };
    let prefix = if file.package().is_empty() {
        ".".to_string()
    } else {
        format!(".{}.", file.package())
    };
    for m in &file.message_type {
        message_exports(m, &prefix, into);
    }
    for e in &file.enum_type {
        into.types.insert(format!("{prefix}{}", e.name()));
    }
    for x in &file.extension {
        into.extensions
            .insert((x.extendee().to_string(), x.number()));
    }
    for &p in &file.public_dependency {
        if let Some(dep) = file.dependency.get(p as usize) {
            collect_exports(dep, library, into, seen);
        }
    }
}

fn message_exports(m: &prost_types::DescriptorProto, prefix: &str, into: &mut Exports) {
    let full = format!("{prefix}{}", m.name());
    for x in &m.extension {
        into.extensions
            .insert((x.extendee().to_string(), x.number()));
    }
    let nested = format!("{full}.");
    for n in &m.nested_type {
        message_exports(n, &nested, into);
    }
    for e in &m.enum_type {
        into.types.insert(format!("{nested}{}", e.name()));
    }
    into.types.insert(full);
}

/// Every type name the file refers to: field types, extendees, RPC request and response types.
fn referenced_types(file: &FileDescriptorProto) -> Vec<&str> {
    fn message<'a>(m: &'a prost_types::DescriptorProto, out: &mut Vec<&'a str>) {
        for f in m.field.iter().chain(&m.extension) {
            out.extend(f.type_name.as_deref());
            out.extend(f.extendee.as_deref());
        }
        for n in &m.nested_type {
            message(n, out);
        }
    }
    let mut out = Vec::new();
    for m in &file.message_type {
        message(m, &mut out);
    }
    for f in &file.extension {
        out.extend(f.type_name.as_deref());
        out.extend(f.extendee.as_deref());
    }
    for s in &file.service {
        for m in &s.method {
            out.extend(m.input_type.as_deref());
            out.extend(m.output_type.as_deref());
        }
    }
    out
}

/// The custom options a file sets, as (options message, field number), read from the
/// SourceCodeInfo paths of its option statements.
fn used_option_extensions(file: &FileDescriptorProto) -> HashSet<(String, i32)> {
    let mut out = HashSet::new();
    if let Some(info) = &file.source_code_info {
        for location in &info.location {
            if let Some((kind, number)) = option_in_path(&location.path) {
                out.insert((format!(".google.protobuf.{kind}"), number));
            }
        }
    }
    out
}

fn option_in_path(path: &[i32]) -> Option<(&'static str, i32)> {
    fn message(rest: &[i32]) -> Option<(&'static str, i32)> {
        match rest {
            [7, n, ..] => Some(("MessageOptions", *n)),
            [2, _, 8, n, ..] | [6, _, 8, n, ..] => Some(("FieldOptions", *n)),
            [8, _, 2, n, ..] => Some(("OneofOptions", *n)),
            [5, _, 3, n, ..] => Some(("ExtensionRangeOptions", *n)),
            [3, _, rest @ ..] => message(rest),
            [4, _, rest @ ..] => enumeration(rest),
            _ => None,
        }
    }
    fn enumeration(rest: &[i32]) -> Option<(&'static str, i32)> {
        match rest {
            [3, n, ..] => Some(("EnumOptions", *n)),
            [2, _, 3, n, ..] => Some(("EnumValueOptions", *n)),
            _ => None,
        }
    }
    match path {
        [8, n, ..] => Some(("FileOptions", *n)),
        [4, _, rest @ ..] => message(rest),
        [5, _, rest @ ..] => enumeration(rest),
        [6, _, 3, n, ..] => Some(("ServiceOptions", *n)),
        [6, _, 2, _, 4, n, ..] => Some(("MethodOptions", *n)),
        [7, _, 8, n, ..] => Some(("FieldOptions", *n)),
        _ => None,
    }
}
