//! Package rules (buf's PACKAGE category): compares package by package, so moving a
//! message, enum, extension or service to another file of the same package is fine.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::file::deleted_place;
use super::sink::{Place, Report, Sink};

/// The nearest enclosing message of `nested_name` that still exists in `package`.
fn surviving_parent(
    cur: &crate::contract::Model,
    package: &str,
    nested_name: &str,
) -> Option<(Place, Option<Vec<i32>>)> {
    let parts: Vec<&str> = nested_name.split('.').collect();
    (1..parts.len()).rev().find_map(|end| {
        let full_name = crate::contract::model::qualify(package, &parts[..end].join("."));
        let message = &cur.messages[*cur.message_by_name.get(&full_name)?];
        (cur.files[message.file].package == package).then(|| {
            (
                Place::At {
                    file: message.file,
                    candidates: vec![message.path.clone()],
                },
                Some(message.path.clone()),
            )
        })
    })
}

pub fn check(sink: &mut Sink) {
    if !sink.any_on(&[
        "PACKAGE_NO_DELETE",
        "PACKAGE_MESSAGE_NO_DELETE",
        "PACKAGE_ENUM_NO_DELETE",
        "PACKAGE_EXTENSION_NO_DELETE",
        "PACKAGE_SERVICE_NO_DELETE",
    ]) {
        return;
    }
    let (prev, cur) = (sink.prev, sink.cur);
    let current_packages: HashSet<&str> = cur.files.iter().map(|f| f.package).collect();
    // Like buf, messages, enums and extensions are only compared in packages that still
    // have at least one of them: deleting the last one is left to PACKAGE_NO_DELETE.
    let package_of = |file: usize| cur.files[file].package;
    let with_messages: HashSet<&str> = cur.messages.iter().map(|m| package_of(m.file)).collect();
    let with_enums: HashSet<&str> = cur.enums.iter().map(|e| package_of(e.file)).collect();
    // Extensions by full name (the index keys them by extendee and number).
    let current_extensions: HashMap<&str, usize> = cur
        .extensions
        .iter()
        .map(|x| (x.full_name.as_str(), x.file))
        .collect();
    let with_extensions: HashSet<&str> =
        cur.extensions.iter().map(|x| package_of(x.file)).collect();
    // Package → its baseline files, sorted by name (the index keeps the contract's order).
    let mut previous_packages: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, file) in prev.files.iter().enumerate() {
        previous_packages.entry(file.package).or_default().push(i);
    }

    for (package, files) in &previous_packages {
        if !current_packages.contains(package) {
            sink.add(Report {
                rule: "PACKAGE_NO_DELETE",
                place: Place::Nowhere,
                anchor: None,
                against: files.first().copied(),
                element: package.to_string(),
                message: format!(
                    "package \"{package}\" was deleted: every client built against it loses all of its types and services; keep the package and deprecate its contents instead"
                ),
            });
            continue;
        }
        let in_package = |file: usize| cur.files[file].package == *package;
        for &p in files {
            let previous = &prev.files[p];
            let current_file = cur.file_by_name.get(previous.name).copied();
            let place_for = |nested: &str| match current_file {
                Some(c) => deleted_place(cur, c, nested),
                None => (Place::Nowhere, None),
            };
            let fix = "deprecate it instead and delete it once no client uses it";
            for &m in previous.message_by_nested.values() {
                let message = &prev.messages[m];
                let exists = cur
                    .message_by_name
                    .get(&message.full_name)
                    .is_some_and(|&i| in_package(cur.messages[i].file));
                if exists
                    || !with_messages.contains(package)
                    || !sink.on("PACKAGE_MESSAGE_NO_DELETE")
                {
                    continue;
                }
                // For messages buf looks for the surviving parent in the whole package, so a
                // parent that moved to another file is pointed at there.
                let (place, anchor) = match current_file {
                    Some(_) => surviving_parent(cur, package, &message.nested_name)
                        .unwrap_or_else(|| place_for(&message.nested_name)),
                    None => (Place::Nowhere, None),
                };
                sink.add(Report {
                    rule: "PACKAGE_MESSAGE_NO_DELETE",
                    place,
                    anchor,
                    against: Some(p),
                    element: message.full_name.clone(),
                    message: format!(
                        "message \"{}\" was deleted from package \"{package}\": code that uses the generated type no longer builds; {fix}",
                        message.nested_name
                    ),
                });
            }
            for &e in previous.enum_by_nested.values() {
                let enum_ = &prev.enums[e];
                let exists = cur
                    .enum_by_name
                    .get(&enum_.full_name)
                    .is_some_and(|&i| in_package(cur.enums[i].file));
                if exists || !with_enums.contains(package) || !sink.on("PACKAGE_ENUM_NO_DELETE") {
                    continue;
                }
                let (place, anchor) = place_for(&enum_.nested_name);
                sink.add(Report {
                    rule: "PACKAGE_ENUM_NO_DELETE",
                    place,
                    anchor,
                    against: Some(p),
                    element: enum_.full_name.clone(),
                    message: format!(
                        "enum \"{}\" was deleted from package \"{package}\": code that uses the generated type no longer builds; {fix}",
                        enum_.nested_name
                    ),
                });
            }
            if sink.on("PACKAGE_EXTENSION_NO_DELETE") && with_extensions.contains(package) {
                for &x in previous.extension_by_nested.values() {
                    let ext = &prev.extensions[x];
                    if current_extensions
                        .get(ext.full_name.as_str())
                        .is_some_and(|&file| in_package(file))
                    {
                        continue;
                    }
                    let (place, anchor) = place_for(&ext.nested_name);
                    sink.add(Report {
                        rule: "PACKAGE_EXTENSION_NO_DELETE",
                        place,
                        anchor,
                        against: Some(p),
                        element: ext.full_name.clone(),
                        message: format!(
                            "extension \"{}\" was deleted from package \"{package}\": code that reads or sets it no longer builds; {fix}",
                            ext.nested_name
                        ),
                    });
                }
            }
            for (name, &s) in &previous.service_by_name {
                let service = &prev.services[s];
                let exists = cur
                    .service_by_name
                    .get(&service.full_name)
                    .is_some_and(|&i| in_package(cur.services[i].file));
                if exists || !sink.on("PACKAGE_SERVICE_NO_DELETE") {
                    continue;
                }
                sink.add(Report {
                    rule: "PACKAGE_SERVICE_NO_DELETE",
                    place: current_file.map_or(Place::Nowhere, Place::File),
                    anchor: None,
                    against: Some(p),
                    element: service.full_name.clone(),
                    message: format!(
                        "service \"{name}\" was deleted from package \"{package}\": every client still calling it gets UNIMPLEMENTED; {fix}"
                    ),
                });
            }
        }
    }
}
