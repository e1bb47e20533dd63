//! File rules: deleted files, file options, package and syntax, and elements deleted from
//! a file that still exists (buf's FILE category compares file by file).

use prost_types::FileOptions;

use super::sink::{Place, Report, Sink};
use crate::contract::model::{Model, Syntax};

pub fn check(sink: &mut Sink) {
    let (prev, cur) = (sink.prev, sink.cur);
    for (p, previous) in prev.files.iter().enumerate() {
        let Some(&c) = cur.file_by_name.get(previous.name) else {
            sink.add(Report {
                rule: "FILE_NO_DELETE",
                place: Place::Nowhere,
                anchor: None,
                against: Some(p),
                element: previous.name.to_string(),
                message: format!(
                    "file \"{}\" was deleted: code that imports it or uses the types generated from it no longer builds; keep the file and mark its contents deprecated instead",
                    previous.name
                ),
            });
            continue;
        };
        same_options(sink, p, c);
        deleted_elements(sink, p, c);
    }
}

/// Where buf points for an element deleted from a file that still exists: the nearest
/// surviving parent message, else 1:1 of the file. Also the anchor for acknowledgements.
pub fn deleted_place(cur: &Model, file: usize, nested_name: &str) -> (Place, Option<Vec<i32>>) {
    let parts: Vec<&str> = nested_name.split('.').collect();
    for end in (1..parts.len()).rev() {
        let parent = parts[..end].join(".");
        if let Some(&m) = cur.files[file].message_by_nested.get(&parent) {
            let path = cur.messages[m].path.clone();
            return (
                Place::At {
                    file,
                    candidates: vec![path.clone()],
                },
                Some(path),
            );
        }
    }
    (Place::File(file), None)
}

fn deleted_elements(sink: &mut Sink, p: usize, c: usize) {
    let (prev, cur) = (sink.prev, sink.cur);
    let (previous, current) = (&prev.files[p], &cur.files[c]);
    let fix =
        "deprecate it instead (`option deprecated = true;`) and delete it once no client uses it";

    if sink.on("MESSAGE_NO_DELETE") {
        for &m in previous.message_by_nested.values() {
            let message = &prev.messages[m];
            if current.message_by_nested.contains_key(&message.nested_name) {
                continue;
            }
            let (place, anchor) = deleted_place(cur, c, &message.nested_name);
            sink.add(Report {
                rule: "MESSAGE_NO_DELETE",
                place,
                anchor,
                against: Some(p),
                element: message.full_name.clone(),
                message: format!(
                    "message \"{}\" was deleted from \"{}\": code that uses the generated type no longer builds; {fix}",
                    message.nested_name, previous.name
                ),
            });
        }
    }
    if sink.on("ENUM_NO_DELETE") {
        for &e in previous.enum_by_nested.values() {
            let enum_ = &prev.enums[e];
            if current.enum_by_nested.contains_key(&enum_.nested_name) {
                continue;
            }
            let (place, anchor) = deleted_place(cur, c, &enum_.nested_name);
            sink.add(Report {
                rule: "ENUM_NO_DELETE",
                place,
                anchor,
                against: Some(p),
                element: enum_.full_name.clone(),
                message: format!(
                    "enum \"{}\" was deleted from \"{}\": code that uses the generated type no longer builds; {fix}",
                    enum_.nested_name, previous.name
                ),
            });
        }
    }
    if sink.on("EXTENSION_NO_DELETE") {
        for &x in previous.extension_by_nested.values() {
            let ext = &prev.extensions[x];
            if current.extension_by_nested.contains_key(&ext.nested_name) {
                continue;
            }
            let (place, anchor) = deleted_place(cur, c, &ext.nested_name);
            sink.add(Report {
                rule: "EXTENSION_NO_DELETE",
                place,
                anchor,
                against: Some(p),
                element: ext.full_name.clone(),
                message: format!(
                    "extension \"{}\" was deleted from \"{}\": code that reads or sets it no longer builds, and readers drop its value as unknown; {fix}",
                    ext.nested_name, previous.name
                ),
            });
        }
    }
    if sink.on("SERVICE_NO_DELETE") {
        for (name, &s) in &previous.service_by_name {
            if current.service_by_name.contains_key(name) {
                continue;
            }
            sink.add(Report {
                rule: "SERVICE_NO_DELETE",
                place: Place::File(c),
                anchor: None,
                against: Some(p),
                element: prev.services[s].full_name.clone(),
                message: format!(
                    "service \"{name}\" was deleted from \"{}\": every client still calling it gets UNIMPLEMENTED; {fix}",
                    previous.name
                ),
            });
        }
    }
}

type Getter = fn(&FileOptions) -> String;

/// (rule, option, field number in FileOptions, who is affected, value).
const FILE_OPTIONS: &[(&str, &str, i32, &str, Getter)] = &[
    (
        "FILE_SAME_GO_PACKAGE",
        "go_package",
        11,
        "Go code importing the generated package",
        |o| o.go_package().to_string(),
    ),
    (
        "FILE_SAME_JAVA_PACKAGE",
        "java_package",
        1,
        "Java code using the generated classes",
        |o| o.java_package().to_string(),
    ),
    (
        "FILE_SAME_JAVA_OUTER_CLASSNAME",
        "java_outer_classname",
        8,
        "Java code using the generated classes",
        |o| o.java_outer_classname().to_string(),
    ),
    (
        "FILE_SAME_JAVA_MULTIPLE_FILES",
        "java_multiple_files",
        10,
        "Java code using the generated classes",
        |o| o.java_multiple_files().to_string(),
    ),
    (
        "FILE_SAME_JAVA_GENERIC_SERVICES",
        "java_generic_services",
        17,
        "Java code using the generated services",
        |o| o.java_generic_services().to_string(),
    ),
    (
        "FILE_SAME_CC_GENERIC_SERVICES",
        "cc_generic_services",
        16,
        "C++ code using the generated services",
        |o| o.cc_generic_services().to_string(),
    ),
    (
        "FILE_SAME_PY_GENERIC_SERVICES",
        "py_generic_services",
        18,
        "Python code using the generated services",
        |o| o.py_generic_services().to_string(),
    ),
    (
        "FILE_SAME_CC_ENABLE_ARENAS",
        "cc_enable_arenas",
        31,
        "C++ code using the generated classes",
        |o| o.cc_enable_arenas().to_string(),
    ),
    (
        "FILE_SAME_OPTIMIZE_FOR",
        "optimize_for",
        9,
        "C++ and Java code using the generated classes",
        |o| o.optimize_for().as_str_name().to_string(),
    ),
    (
        "FILE_SAME_OBJC_CLASS_PREFIX",
        "objc_class_prefix",
        36,
        "Objective-C code using the generated classes",
        |o| o.objc_class_prefix().to_string(),
    ),
    (
        "FILE_SAME_CSHARP_NAMESPACE",
        "csharp_namespace",
        37,
        "C# code using the generated classes",
        |o| o.csharp_namespace().to_string(),
    ),
    (
        "FILE_SAME_SWIFT_PREFIX",
        "swift_prefix",
        39,
        "Swift code using the generated types",
        |o| o.swift_prefix().to_string(),
    ),
    (
        "FILE_SAME_PHP_CLASS_PREFIX",
        "php_class_prefix",
        40,
        "PHP code using the generated classes",
        |o| o.php_class_prefix().to_string(),
    ),
    (
        "FILE_SAME_PHP_NAMESPACE",
        "php_namespace",
        41,
        "PHP code using the generated classes",
        |o| o.php_namespace().to_string(),
    ),
    (
        "FILE_SAME_PHP_METADATA_NAMESPACE",
        "php_metadata_namespace",
        44,
        "PHP code using the generated classes",
        |o| o.php_metadata_namespace().to_string(),
    ),
    (
        "FILE_SAME_RUBY_PACKAGE",
        "ruby_package",
        45,
        "Ruby code using the generated classes",
        |o| o.ruby_package().to_string(),
    ),
];

fn same_options(sink: &mut Sink, p: usize, c: usize) {
    let (previous, current) = (&sink.prev.files[p], &sink.cur.files[c]);
    let defaults = FileOptions::default();
    let prev_options = previous.desc.options.as_ref().unwrap_or(&defaults);
    let cur_options = current.desc.options.as_ref().unwrap_or(&defaults);
    let name = current.name;
    let mut reports = Vec::new();
    for (rule, option, number, who, get) in FILE_OPTIONS {
        if !sink.on(rule) {
            continue;
        }
        let (before, after) = (get(prev_options), get(cur_options));
        if before != after {
            reports.push(Report {
                rule,
                place: Place::At {
                    file: c,
                    candidates: vec![vec![8, *number]],
                },
                anchor: None,
                against: Some(p),
                element: name.to_string(),
                message: format!(
                    "file option \"{option}\" changed from \"{before}\" to \"{after}\": the generated code moves or changes shape, so {who} stops compiling; restore \"{before}\""
                ),
            });
        }
    }
    if previous.package != current.package {
        reports.push(Report {
            rule: "FILE_SAME_PACKAGE",
            place: Place::At { file: c, candidates: vec![vec![2]] },
            anchor: None,
            against: Some(p),
            element: name.to_string(),
            message: format!(
                "package changed from \"{}\" to \"{}\": every type and service in \"{name}\" gets a new full name, so clients and servers built before this change no longer find each other's RPCs and Any type URLs stop resolving; add the new package in a new file instead",
                previous.package, current.package
            ),
        });
    }
    if previous.syntax != current.syntax {
        let text = Syntax::text;
        reports.push(Report {
            rule: "FILE_SAME_SYNTAX",
            place: Place::At { file: c, candidates: vec![vec![12]] },
            anchor: None,
            against: Some(p),
            element: name.to_string(),
            message: format!(
                "syntax changed from {} to {}: field presence, defaults and enum behaviour change in the code generated for every client; keep syntax = \"{}\"",
                text(previous.syntax),
                text(current.syntax),
                text(previous.syntax)
            ),
        });
    }
    for report in reports {
        sink.add(report);
    }
}
