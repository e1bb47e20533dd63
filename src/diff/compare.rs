//! Walks two indexed contracts side by side and records every difference. An added or
//! removed element stands for everything inside it, so a deleted package is one change.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MethodDescriptorProto, ServiceDescriptorProto,
};

use crate::contract::Contract;

use super::index::*;
use super::{Change, ChangeKind, DiffOptions, ElementKind, Location, Side, WHOLE};

/// Every difference between `old` and `new`, sorted by location then name.
pub fn compare(old: &Contract, new: &Contract, options: &DiffOptions) -> Vec<Change> {
    let differ = Differ {
        old: Index::new(old, Side::Old),
        new: Index::new(new, Side::New),
        options: *options,
        changes: RefCell::new(Vec::new()),
    };
    differ.packages();
    differ.files();
    differ.messages();
    differ.enums();
    differ.services();
    let mut changes = differ.changes.into_inner();
    // Contracts whose event declarations do not read are refused before the diff (see
    // commands::diff); here they just have no events.
    let old_events = crate::contract::events::events(old).unwrap_or_default();
    let new_events = crate::contract::events::events(new).unwrap_or_default();
    super::events::mark_payloads(&mut changes, &old_events, &new_events);
    changes.extend(super::events::compare(&old_events, &new_events));
    changes.sort_by(|a, b| {
        let key = |c: &Change| {
            (
                c.location.clone(),
                c.element.clone(),
                aspect_rank(c.aspect),
                c.aspect,
                c.kind,
            )
        };
        key(a).cmp(&key(b))
    });
    changes
}

/// The element as a whole first, then its name and file, then the rest, comments last.
fn aspect_rank(aspect: &str) -> u8 {
    match aspect {
        WHOLE => 0,
        "name" => 1,
        "file" => 2,
        "docs" => 4,
        _ => 3,
    }
}

struct Differ<'a> {
    old: Index<'a>,
    new: Index<'a>,
    options: DiffOptions,
    // Interior mutability lets the walk hold borrows of both indexes while recording.
    changes: RefCell<Vec<Change>>,
}

/// Identifies one element on both sides, for the changes recorded about it.
struct Subject {
    kind: ElementKind,
    element: String,
    old_element: Option<String>,
    location: Option<Location>,
    /// Other names findings may use for this element (see `Change::also`).
    also: Vec<String>,
}

impl Subject {
    fn change(&self, kind: ChangeKind, aspect: &'static str) -> Change {
        Change {
            kind,
            element_kind: self.kind,
            element: self.element.clone(),
            old_element: self.old_element.clone(),
            aspect,
            old: None,
            new: None,
            location: self.location.clone(),
            also: self.also.clone(),
            event: None,
        }
    }
}

impl<'a> Differ<'a> {
    fn push(&self, change: Change) {
        if change.kind != ChangeKind::Docs || self.options.include_docs {
            self.changes.borrow_mut().push(change);
        }
    }

    /// Records `aspect` when its old and new values differ.
    fn value(
        &self,
        subject: &Subject,
        aspect: &'static str,
        old: Option<String>,
        new: Option<String>,
    ) {
        if old != new {
            let mut change = subject.change(ChangeKind::Changed, aspect);
            change.old = old;
            change.new = new;
            self.push(change);
        }
    }

    fn deprecation(&self, subject: &Subject, old: Option<bool>, new: Option<bool>) {
        match (old.unwrap_or(false), new.unwrap_or(false)) {
            (false, true) => self.push(subject.change(ChangeKind::Deprecated, "deprecated")),
            (true, false) => self.push(subject.change(ChangeKind::Undeprecated, "deprecated")),
            _ => {}
        }
    }

    fn docs(&self, subject: &Subject, old: (&str, &[i32]), new: (&str, &[i32])) {
        if !self.options.include_docs {
            return;
        }
        let before = self.old.comment(old.0, old.1);
        let after = self.new.comment(new.0, new.1);
        if before != after {
            let mut change = subject.change(ChangeKind::Docs, "docs");
            change.old = (!before.is_empty()).then_some(before);
            change.new = (!after.is_empty()).then_some(after);
            self.push(change);
        }
    }

    /// Records `name` added (present only on the new side) or removed.
    fn whole(
        &self,
        kind: ElementKind,
        name: &str,
        side: Side,
        location: Option<Location>,
        detail: Option<String>,
        also: Vec<String>,
    ) {
        let subject = Subject {
            kind,
            element: name.to_string(),
            old_element: None,
            location,
            also: Vec::new(),
        };
        let mut change = match side {
            Side::New => subject.change(ChangeKind::Added, WHOLE),
            Side::Old => subject.change(ChangeKind::Removed, WHOLE),
        };
        match side {
            Side::New => change.new = detail,
            Side::Old => change.old = detail,
        }
        change.also = also;
        self.push(change);
    }

    fn packages(&self) {
        for (name, side) in union(&self.old.packages, &self.new.packages) {
            let index = self.index(side);
            let files = &index.packages[name];
            let mut also: Vec<String> = Vec::new();
            if side == Side::Old {
                for file in files {
                    also.push(file.to_string());
                    names_in_file(index.files[file], &mut also);
                }
            }
            let count = match files.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            };
            // Files without a package are not a package of their own.
            if !name.is_empty() {
                self.whole(ElementKind::Package, name, side, None, Some(count), also);
            }
        }
    }

    fn index(&self, side: Side) -> &Index<'a> {
        match side {
            Side::Old => &self.old,
            Side::New => &self.new,
        }
    }

    /// Whether the element's whole package appeared or vanished (then that change covers it).
    fn package_covers(&self, file: &FileDescriptorProto, side: Side) -> bool {
        let other = self.index(other(side));
        !file.package().is_empty() && !other.packages.contains_key(file.package())
    }

    fn files(&self) {
        let names: BTreeSet<&str> = self
            .old
            .files
            .keys()
            .chain(self.new.files.keys())
            .copied()
            .collect();
        for name in names {
            match (
                self.old.files.get(name).copied(),
                self.new.files.get(name).copied(),
            ) {
                (Some(old), Some(new)) => self.file(old, new),
                (Some(old), None) => {
                    if !self.package_covers(old, Side::Old) {
                        let mut also = Vec::new();
                        names_in_file(old, &mut also);
                        let location = Some(self.old.location(name, &[]));
                        self.whole(ElementKind::File, name, Side::Old, location, None, also);
                    }
                }
                (None, Some(new)) => {
                    if !self.package_covers(new, Side::New) {
                        let location = Some(self.new.location(name, &[]));
                        self.whole(
                            ElementKind::File,
                            name,
                            Side::New,
                            location,
                            None,
                            Vec::new(),
                        );
                    }
                }
                (None, None) => unreachable!("the name comes from one of the two maps"),
            }
        }
    }

    fn file(&self, old: &FileDescriptorProto, new: &FileDescriptorProto) {
        let subject = Subject {
            kind: ElementKind::File,
            element: new.name().to_string(),
            old_element: None,
            also: Vec::new(),
            location: Some(self.new.location(new.name(), &[])),
        };
        self.value(
            &subject,
            "package",
            Some(old.package().to_string()),
            Some(new.package().to_string()),
        );
        self.value(
            &subject,
            "syntax",
            Some(syntax(old).to_string()),
            Some(syntax(new).to_string()),
        );
        let (o, n) = (
            old.options.clone().unwrap_or_default(),
            new.options.clone().unwrap_or_default(),
        );
        // Each option's change points at the option's line (FileOptions field `number`),
        // where the new file still sets it.
        let at_option = |number: i32| Subject {
            kind: ElementKind::File,
            element: subject.element.clone(),
            old_element: None,
            location: Some(self.new.location(new.name(), &[FILE_OPTIONS, number]))
                .filter(|l| l.line > 0)
                .or_else(|| subject.location.clone()),
            also: Vec::new(),
        };
        macro_rules! options {
            ($($name:ident = $number:literal),*) => {$(
                self.value(&at_option($number), stringify!($name), show(&o.$name), show(&n.$name));
            )*};
        }
        options!(
            java_package = 1,
            java_outer_classname = 8,
            java_multiple_files = 10,
            java_string_check_utf8 = 27,
            go_package = 11,
            cc_generic_services = 16,
            java_generic_services = 17,
            py_generic_services = 18,
            php_generic_services = 42,
            cc_enable_arenas = 31,
            objc_class_prefix = 36,
            csharp_namespace = 37,
            swift_prefix = 39,
            php_class_prefix = 40,
            php_namespace = 41,
            php_metadata_namespace = 44,
            ruby_package = 45
        );
        let optimize = |v: Option<i32>| v.map(|_| format!("{:?}", o.optimize_for()));
        let optimize_new = |v: Option<i32>| v.map(|_| format!("{:?}", n.optimize_for()));
        self.value(
            &at_option(9),
            "optimize_for",
            optimize(o.optimize_for),
            optimize_new(n.optimize_for),
        );
        self.deprecation(&subject, o.deprecated, n.deprecated);
    }

    fn messages(&self) {
        let names: BTreeSet<String> = self
            .old
            .messages
            .keys()
            .chain(self.new.messages.keys())
            .cloned()
            .collect();
        for name in names {
            let old = self.old.messages.get(&name);
            let new = self.new.messages.get(&name);
            match (old, new) {
                // A map's entry changes with the map field, which reports it.
                (Some(old), Some(new)) if is_map_entry(old.desc) && is_map_entry(new.desc) => {}
                (Some(old), Some(new)) => {
                    let subject =
                        self.moved(ElementKind::Message, &name, old.file, new.file, &new.path);
                    self.message(&subject, old, new);
                }
                (Some(old), None)
                    if !self.covered(old.file, &old.parent, Side::Old, |i, p| {
                        i.messages.contains_key(p)
                    }) =>
                {
                    if is_map_entry(old.desc) {
                        continue;
                    }
                    let mut also = Vec::new();
                    names_in_message(&name, old.desc, &mut also);
                    let location = Some(self.old.location(old.file.name(), &old.path));
                    self.whole(ElementKind::Message, &name, Side::Old, location, None, also);
                }
                (None, Some(new))
                    if !self.covered(new.file, &new.parent, Side::New, |i, p| {
                        i.messages.contains_key(p)
                    }) =>
                {
                    if is_map_entry(new.desc) {
                        continue;
                    }
                    let location = Some(self.new.location(new.file.name(), &new.path));
                    self.whole(
                        ElementKind::Message,
                        &name,
                        Side::New,
                        location,
                        None,
                        Vec::new(),
                    );
                }
                _ => {}
            }
        }
    }

    /// Whether an element present on one side only is already reported through its
    /// container: its enclosing message, its removed file, or its package.
    fn covered(
        &self,
        file: &FileDescriptorProto,
        parent: &Option<String>,
        side: Side,
        parent_exists: impl Fn(&Index, &str) -> bool,
    ) -> bool {
        let other = self.index(other(side));
        if let Some(parent) = parent {
            if !parent_exists(other, parent) {
                return true;
            }
        }
        // A new file's top-level elements are listed: they are the API it adds.
        let file_removed = side == Side::Old && !other.files.contains_key(file.name());
        file_removed || self.package_covers(file, side)
    }

    /// The subject for an element on both sides, recording a move between files.
    fn moved(
        &self,
        kind: ElementKind,
        name: &str,
        old_file: &FileDescriptorProto,
        new_file: &FileDescriptorProto,
        new_path: &[i32],
    ) -> Subject {
        let subject = Subject {
            kind,
            element: name.to_string(),
            old_element: None,
            also: Vec::new(),
            location: Some(self.new.location(new_file.name(), new_path)),
        };
        if old_file.name() != new_file.name() {
            let mut change = subject.change(ChangeKind::Moved, "file");
            change.old = Some(old_file.name().to_string());
            change.new = Some(new_file.name().to_string());
            self.push(change);
        }
        subject
    }

    fn message(
        &self,
        subject: &Subject,
        old: &Decl<'a, DescriptorProto>,
        new: &Decl<'a, DescriptorProto>,
    ) {
        let (od, nd) = (old.desc, new.desc);
        let (oo, no) = (
            od.options.clone().unwrap_or_default(),
            nd.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.value(
            subject,
            "message_set_wire_format",
            show(&oo.message_set_wire_format),
            show(&no.message_set_wire_format),
        );
        self.value(
            subject,
            "no_standard_descriptor_accessor",
            show(&oo.no_standard_descriptor_accessor),
            show(&no.no_standard_descriptor_accessor),
        );
        self.docs(
            subject,
            (old.file.name(), &old.path),
            (new.file.name(), &new.path),
        );

        let ranges = |d: &DescriptorProto| {
            d.reserved_range
                .iter()
                .map(|r| range(r.start(), r.end() - 1))
                .collect()
        };
        self.set(subject, "reserved_range", ranges(od), ranges(nd));
        let names = |d: &DescriptorProto| d.reserved_name.iter().cloned().collect();
        self.set(subject, "reserved_name", names(od), names(nd));
        let extensions = |d: &DescriptorProto| {
            d.extension_range
                .iter()
                .map(|r| range(r.start(), r.end() - 1))
                .collect()
        };
        self.set(subject, "extension_range", extensions(od), extensions(nd));

        // Oneofs by name; proto3 `optional` makes synthetic ones, which are presence, not API.
        let oneofs = |d: &'a DescriptorProto| -> BTreeMap<&'a str, usize> {
            (0..d.oneof_decl.len())
                .filter(|&i| !is_synthetic_oneof(d, i))
                .map(|i| (d.oneof_decl[i].name(), i))
                .collect()
        };
        let (old_oneofs, new_oneofs) = (oneofs(od), oneofs(nd));
        for (oneof, side) in union(&old_oneofs, &new_oneofs) {
            let (decl, map) = match side {
                Side::Old => (old, &old_oneofs),
                Side::New => (new, &new_oneofs),
            };
            let path = [decl.path.as_slice(), &[MESSAGE_ONEOF, map[oneof] as i32]].concat();
            let location = Some(self.index(side).location(decl.file.name(), &path));
            self.whole(
                ElementKind::Oneof,
                &join(&subject.element, oneof),
                side,
                location,
                None,
                Vec::new(),
            );
        }
        for (oneof, &o) in &old_oneofs {
            if let Some(&n) = new_oneofs.get(oneof) {
                let path = |d: &Decl<DescriptorProto>, i: usize| {
                    [d.path.as_slice(), &[MESSAGE_ONEOF, i as i32]].concat()
                };
                let oneof_subject = Subject {
                    kind: ElementKind::Oneof,
                    element: join(&subject.element, oneof),
                    old_element: None,
                    also: Vec::new(),
                    location: Some(self.new.location(new.file.name(), &path(new, n))),
                };
                self.docs(
                    &oneof_subject,
                    (old.file.name(), &path(old, o)),
                    (new.file.name(), &path(new, n)),
                );
            }
        }

        let by_number = |d: &'a DescriptorProto| -> BTreeMap<i32, usize> {
            d.field
                .iter()
                .enumerate()
                .map(|(i, f)| (f.number(), i))
                .collect()
        };
        let (old_fields, new_fields) = (by_number(od), by_number(nd));
        for (number, side) in union(&old_fields, &new_fields) {
            let (decl, map, index) = match side {
                Side::Old => (old, &old_fields, &self.old),
                Side::New => (new, &new_fields, &self.new),
            };
            let i = map[number];
            let field = &decl.desc.field[i];
            let path = [decl.path.as_slice(), &[MESSAGE_FIELD, i as i32]].concat();
            let location = Some(index.location(decl.file.name(), &path));
            let signature = field_signature(index, field);
            self.whole(
                ElementKind::Field,
                &join(&subject.element, field.name()),
                side,
                location,
                Some(signature),
                Vec::new(),
            );
        }
        for (number, &o) in &old_fields {
            if let Some(&n) = new_fields.get(number) {
                self.field(subject, (old, o), (new, n));
            }
        }
    }

    /// Records reserved or extension ranges (or names) that one side has and the other not.
    fn set(
        &self,
        subject: &Subject,
        aspect: &'static str,
        old: BTreeSet<String>,
        new: BTreeSet<String>,
    ) {
        for gone in old.difference(&new) {
            let mut change = subject.change(ChangeKind::Removed, aspect);
            change.old = Some(gone.clone());
            self.push(change);
        }
        for added in new.difference(&old) {
            let mut change = subject.change(ChangeKind::Added, aspect);
            change.new = Some(added.clone());
            self.push(change);
        }
    }

    fn field(
        &self,
        message: &Subject,
        old: (&Decl<DescriptorProto>, usize),
        new: (&Decl<DescriptorProto>, usize),
    ) {
        let (of, nf) = (&old.0.desc.field[old.1], &new.0.desc.field[new.1]);
        let old_path = [old.0.path.as_slice(), &[MESSAGE_FIELD, old.1 as i32]].concat();
        let new_path = [new.0.path.as_slice(), &[MESSAGE_FIELD, new.1 as i32]].concat();
        let old_name = join(&message.element, of.name());
        let element = join(&message.element, nf.name());
        // A map's key and value are fields of its entry message; the map field stands for them.
        let map_entries = [(&self.old, of), (&self.new, nf)]
            .into_iter()
            .filter(|(index, f)| index.map_entry(f.type_name()).is_some())
            .flat_map(|(_, f)| {
                let entry = f.type_name().trim_start_matches('.').to_string();
                [join(&entry, "key"), join(&entry, "value"), entry]
            })
            .collect();
        let subject = Subject {
            kind: ElementKind::Field,
            old_element: (old_name != element).then_some(old_name),
            element,
            also: map_entries,
            location: Some(self.new.location(new.0.file.name(), &new_path)),
        };
        if of.name() != nf.name() {
            let mut change = subject.change(ChangeKind::Renamed, "name");
            change.old = Some(of.name().to_string());
            change.new = Some(nf.name().to_string());
            self.push(change);
        }
        self.value(
            &subject,
            "type",
            Some(field_type(&self.old, of)),
            Some(field_type(&self.new, nf)),
        );
        self.value(
            &subject,
            "label",
            Some(label(of).to_string()),
            Some(label(nf).to_string()),
        );
        let (old_oneof, new_oneof) = (oneof_name(old.0.desc, of), oneof_name(new.0.desc, nf));
        // Joining or leaving a oneof changes presence too; the oneof change says it all.
        if of.label() == Label::Optional && nf.label() == Label::Optional && old_oneof == new_oneof
        {
            self.value(
                &subject,
                "presence",
                Some(presence(old.0, of).to_string()),
                Some(presence(new.0, nf).to_string()),
            );
        }
        self.value(
            &subject,
            "json_name",
            Some(json_name(of)),
            Some(json_name(nf)),
        );
        self.value(
            &subject,
            "default",
            of.default_value.clone(),
            nf.default_value.clone(),
        );
        self.value(&subject, "oneof", old_oneof, new_oneof);
        let (oo, no) = (
            of.options.clone().unwrap_or_default(),
            nf.options.clone().unwrap_or_default(),
        );
        self.value(&subject, "packed", show(&oo.packed), show(&no.packed));
        self.value(
            &subject,
            "ctype",
            oo.ctype.map(|_| format!("{:?}", oo.ctype())),
            no.ctype.map(|_| format!("{:?}", no.ctype())),
        );
        self.value(
            &subject,
            "jstype",
            oo.jstype.map(|_| format!("{:?}", oo.jstype())),
            no.jstype.map(|_| format!("{:?}", no.jstype())),
        );
        self.deprecation(&subject, oo.deprecated, no.deprecated);
        self.docs(
            &subject,
            (old.0.file.name(), &old_path),
            (new.0.file.name(), &new_path),
        );
    }

    fn enums(&self) {
        let names: BTreeSet<String> = self
            .old
            .enums
            .keys()
            .chain(self.new.enums.keys())
            .cloned()
            .collect();
        for name in names {
            match (self.old.enums.get(&name), self.new.enums.get(&name)) {
                (Some(old), Some(new)) => {
                    let subject =
                        self.moved(ElementKind::Enum, &name, old.file, new.file, &new.path);
                    self.enumeration(&subject, old, new);
                }
                (Some(old), None)
                    if !self.covered(old.file, &old.parent, Side::Old, |i, p| {
                        i.messages.contains_key(p)
                    }) =>
                {
                    let mut also = Vec::new();
                    names_in_enum(&name, old.desc, &mut also);
                    let location = Some(self.old.location(old.file.name(), &old.path));
                    self.whole(ElementKind::Enum, &name, Side::Old, location, None, also);
                }
                (None, Some(new))
                    if !self.covered(new.file, &new.parent, Side::New, |i, p| {
                        i.messages.contains_key(p)
                    }) =>
                {
                    let location = Some(self.new.location(new.file.name(), &new.path));
                    self.whole(
                        ElementKind::Enum,
                        &name,
                        Side::New,
                        location,
                        None,
                        Vec::new(),
                    );
                }
                _ => {}
            }
        }
    }

    fn enumeration(
        &self,
        subject: &Subject,
        old: &Decl<EnumDescriptorProto>,
        new: &Decl<EnumDescriptorProto>,
    ) {
        let (od, nd) = (old.desc, new.desc);
        let (oo, no) = (
            od.options.clone().unwrap_or_default(),
            nd.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.value(
            subject,
            "allow_alias",
            show(&oo.allow_alias),
            show(&no.allow_alias),
        );
        self.docs(
            subject,
            (old.file.name(), &old.path),
            (new.file.name(), &new.path),
        );
        let ranges = |d: &EnumDescriptorProto| {
            d.reserved_range
                .iter()
                .map(|r| range(r.start(), r.end()))
                .collect()
        };
        self.set(subject, "reserved_range", ranges(od), ranges(nd));
        let names = |d: &EnumDescriptorProto| d.reserved_name.iter().cloned().collect();
        self.set(subject, "reserved_name", names(od), names(nd));

        // Values by number; aliases (several names for one number) pair up by name.
        let pairs = pair_values(od, nd);
        let scope = subject
            .element
            .rsplit_once('.')
            .map_or("", |(scope, _)| scope)
            .to_string();
        for (o, n) in pairs {
            match (o, n) {
                (Some(o), Some(n)) => self.enum_value(subject, &scope, (old, o), (new, n)),
                (Some(i), None) | (None, Some(i)) => {
                    let (decl, side) = if o.is_some() {
                        (old, Side::Old)
                    } else {
                        (new, Side::New)
                    };
                    let value = &decl.desc.value[i];
                    let path = [decl.path.as_slice(), &[ENUM_VALUE, i as i32]].concat();
                    let location = Some(self.index(side).location(decl.file.name(), &path));
                    let also = vec![join(&scope, value.name())];
                    let detail = Some(format!("{} = {}", value.name(), value.number()));
                    self.whole(
                        ElementKind::EnumValue,
                        &join(&subject.element, value.name()),
                        side,
                        location,
                        detail,
                        also,
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn enum_value(
        &self,
        enumeration: &Subject,
        scope: &str,
        old: (&Decl<EnumDescriptorProto>, usize),
        new: (&Decl<EnumDescriptorProto>, usize),
    ) {
        let (ov, nv): (&EnumValueDescriptorProto, _) =
            (&old.0.desc.value[old.1], &new.0.desc.value[new.1]);
        let old_path = [old.0.path.as_slice(), &[ENUM_VALUE, old.1 as i32]].concat();
        let new_path = [new.0.path.as_slice(), &[ENUM_VALUE, new.1 as i32]].concat();
        let old_name = join(&enumeration.element, ov.name());
        let element = join(&enumeration.element, nv.name());
        let subject = Subject {
            kind: ElementKind::EnumValue,
            old_element: (old_name != element).then_some(old_name),
            element,
            also: Vec::new(),
            location: Some(self.new.location(new.0.file.name(), &new_path)),
        };
        if ov.name() != nv.name() {
            let mut change = subject.change(ChangeKind::Renamed, "name");
            change.old = Some(ov.name().to_string());
            change.new = Some(nv.name().to_string());
            change.also = vec![join(scope, ov.name()), join(scope, nv.name())];
            self.push(change);
        }
        let (oo, no) = (
            ov.options.clone().unwrap_or_default(),
            nv.options.clone().unwrap_or_default(),
        );
        self.deprecation(&subject, oo.deprecated, no.deprecated);
        self.docs(
            &subject,
            (old.0.file.name(), &old_path),
            (new.0.file.name(), &new_path),
        );
    }

    fn services(&self) {
        let names: BTreeSet<String> = self
            .old
            .services
            .keys()
            .chain(self.new.services.keys())
            .cloned()
            .collect();
        for name in names {
            match (self.old.services.get(&name), self.new.services.get(&name)) {
                (Some(old), Some(new)) => {
                    let subject =
                        self.moved(ElementKind::Service, &name, old.file, new.file, &new.path);
                    self.service(&subject, old, new);
                }
                (Some(old), None) if !self.covered(old.file, &None, Side::Old, |_, _| true) => {
                    let also = old
                        .desc
                        .method
                        .iter()
                        .map(|m| join(&name, m.name()))
                        .collect();
                    let location = Some(self.old.location(old.file.name(), &old.path));
                    self.whole(ElementKind::Service, &name, Side::Old, location, None, also);
                }
                (None, Some(new)) if !self.covered(new.file, &None, Side::New, |_, _| true) => {
                    let location = Some(self.new.location(new.file.name(), &new.path));
                    self.whole(
                        ElementKind::Service,
                        &name,
                        Side::New,
                        location,
                        None,
                        Vec::new(),
                    );
                }
                _ => {}
            }
        }
    }

    fn service(
        &self,
        subject: &Subject,
        old: &Decl<'a, ServiceDescriptorProto>,
        new: &Decl<'a, ServiceDescriptorProto>,
    ) {
        let (oo, no) = (
            old.desc.options.clone().unwrap_or_default(),
            new.desc.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.docs(
            subject,
            (old.file.name(), &old.path),
            (new.file.name(), &new.path),
        );
        let by_name = |d: &'a ServiceDescriptorProto| -> BTreeMap<&'a str, usize> {
            d.method
                .iter()
                .enumerate()
                .map(|(i, m)| (m.name(), i))
                .collect()
        };
        let (old_rpcs, new_rpcs) = (by_name(old.desc), by_name(new.desc));
        for (rpc, side) in union(&old_rpcs, &new_rpcs) {
            let (decl, map) = match side {
                Side::Old => (old, &old_rpcs),
                Side::New => (new, &new_rpcs),
            };
            let i = map[rpc];
            let path = [decl.path.as_slice(), &[SERVICE_METHOD, i as i32]].concat();
            let location = Some(self.index(side).location(decl.file.name(), &path));
            let detail = Some(rpc_signature(&decl.desc.method[i]));
            self.whole(
                ElementKind::Rpc,
                &join(&subject.element, rpc),
                side,
                location,
                detail,
                Vec::new(),
            );
        }
        for (rpc, &o) in &old_rpcs {
            if let Some(&n) = new_rpcs.get(rpc) {
                let (om, nm) = (&old.desc.method[o], &new.desc.method[n]);
                let old_path = [old.path.as_slice(), &[SERVICE_METHOD, o as i32]].concat();
                let new_path = [new.path.as_slice(), &[SERVICE_METHOD, n as i32]].concat();
                let rpc_subject = Subject {
                    kind: ElementKind::Rpc,
                    element: join(&subject.element, rpc),
                    old_element: None,
                    also: Vec::new(),
                    location: Some(self.new.location(new.file.name(), &new_path)),
                };
                self.rpc(&rpc_subject, om, nm);
                self.docs(
                    &rpc_subject,
                    (old.file.name(), &old_path),
                    (new.file.name(), &new_path),
                );
            }
        }
    }

    fn rpc(&self, subject: &Subject, old: &MethodDescriptorProto, new: &MethodDescriptorProto) {
        let type_name = |t: &str| Some(t.trim_start_matches('.').to_string());
        self.value(
            subject,
            "request_type",
            type_name(old.input_type()),
            type_name(new.input_type()),
        );
        self.value(
            subject,
            "response_type",
            type_name(old.output_type()),
            type_name(new.output_type()),
        );
        self.value(
            subject,
            "streaming",
            Some(streaming(old).to_string()),
            Some(streaming(new).to_string()),
        );
        let (oo, no) = (
            old.options.clone().unwrap_or_default(),
            new.options.clone().unwrap_or_default(),
        );
        let idempotency =
            |o: &prost_types::MethodOptions| o.idempotency_level().as_str_name().to_string();
        self.value(
            subject,
            "idempotency",
            Some(idempotency(&oo)),
            Some(idempotency(&no)),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Old => Side::New,
        Side::New => Side::Old,
    }
}

/// Keys present on one side only, sorted, with the side that has them.
fn union<'m, K: Ord, V>(old: &'m BTreeMap<K, V>, new: &'m BTreeMap<K, V>) -> Vec<(&'m K, Side)> {
    let gone = old
        .keys()
        .filter(|k| !new.contains_key(k))
        .map(|k| (k, Side::Old));
    let added = new
        .keys()
        .filter(|k| !old.contains_key(k))
        .map(|k| (k, Side::New));
    gone.chain(added).collect()
}

/// Pairs enum values by number, and by name among several values of one number (aliases).
fn pair_values(
    old: &EnumDescriptorProto,
    new: &EnumDescriptorProto,
) -> Vec<(Option<usize>, Option<usize>)> {
    let group = |d: &EnumDescriptorProto| {
        let mut by_number: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for (i, v) in d.value.iter().enumerate() {
            by_number.entry(v.number()).or_default().push(i);
        }
        by_number
    };
    let (old_groups, new_groups) = (group(old), group(new));
    let numbers: BTreeSet<i32> = old_groups
        .keys()
        .chain(new_groups.keys())
        .copied()
        .collect();
    let mut pairs = Vec::new();
    for number in numbers {
        let o = old_groups.get(&number).cloned().unwrap_or_default();
        let n = new_groups.get(&number).cloned().unwrap_or_default();
        if o.len() == 1 && n.len() == 1 {
            pairs.push((Some(o[0]), Some(n[0])));
            continue;
        }
        for &i in &o {
            let same = n
                .iter()
                .find(|&&j| new.value[j].name() == old.value[i].name());
            pairs.push((Some(i), same.copied()));
        }
        for &j in &n {
            if !o
                .iter()
                .any(|&i| old.value[i].name() == new.value[j].name())
            {
                pairs.push((None, Some(j)));
            }
        }
    }
    pairs
}

fn show<T: Debug>(value: &Option<T>) -> Option<String> {
    value
        .as_ref()
        .map(|v| format!("{v:?}").trim_matches('"').to_string())
}

fn syntax(file: &FileDescriptorProto) -> &str {
    match file.syntax() {
        "" => "proto2",
        other => other,
    }
}

fn range(start: i32, last: i32) -> String {
    const MAX_FIELD_NUMBER: i32 = 536_870_911;
    if start == last {
        start.to_string()
    } else if last >= MAX_FIELD_NUMBER {
        format!("{start} to max")
    } else {
        format!("{start} to {last}")
    }
}

fn is_map_entry(message: &DescriptorProto) -> bool {
    message
        .options
        .as_ref()
        .and_then(|o| o.map_entry)
        .unwrap_or(false)
}

fn is_synthetic_oneof(message: &DescriptorProto, index: usize) -> bool {
    let mut members = message
        .field
        .iter()
        .filter(|f| f.oneof_index == Some(index as i32));
    matches!((members.next(), members.next()), (Some(only), None) if only.proto3_optional())
}

fn oneof_name(message: &DescriptorProto, field: &FieldDescriptorProto) -> Option<String> {
    let index = field.oneof_index? as usize;
    if is_synthetic_oneof(message, index) {
        return None;
    }
    message.oneof_decl.get(index).map(|o| o.name().to_string())
}

/// The type as written in a .proto file: `int32`, `users.v1.Role`, `map<string, int64>`.
fn field_type(index: &Index, field: &FieldDescriptorProto) -> String {
    match field.r#type() {
        Type::Message | Type::Enum | Type::Group => {
            let name = field.type_name().trim_start_matches('.');
            match index.map_entry(name) {
                Some(entry) if entry.field.len() == 2 => format!(
                    "map<{}, {}>",
                    field_type(index, &entry.field[0]),
                    field_type(index, &entry.field[1])
                ),
                _ => name.to_string(),
            }
        }
        scalar => scalar
            .as_str_name()
            .trim_start_matches("TYPE_")
            .to_lowercase(),
    }
}

fn label(field: &FieldDescriptorProto) -> &'static str {
    match field.label() {
        Label::Optional => "optional",
        Label::Required => "required",
        Label::Repeated => "repeated",
    }
}

/// Whether a singular field tracks presence (`explicit`) or not (`implicit`, proto3's
/// default for scalars outside a oneof).
fn presence(message: &Decl<DescriptorProto>, field: &FieldDescriptorProto) -> &'static str {
    let implicit = syntax(message.file) == "proto3"
        && !field.proto3_optional()
        && field.oneof_index.is_none()
        && !matches!(field.r#type(), Type::Message | Type::Group);
    if implicit {
        "implicit"
    } else {
        "explicit"
    }
}

/// The JSON name in effect: the declared one, or protobuf's lowerCamelCase of the name.
fn json_name(field: &FieldDescriptorProto) -> String {
    if let Some(name) = &field.json_name {
        return name.clone();
    }
    let mut out = String::new();
    let mut upper = false;
    for c in field.name().chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn field_signature(index: &Index, field: &FieldDescriptorProto) -> String {
    let ty = field_type(index, field);
    let prefix = match field.label() {
        Label::Repeated if ty.starts_with("map<") => "",
        Label::Repeated => "repeated ",
        Label::Required => "required ",
        Label::Optional if field.proto3_optional() => "optional ",
        Label::Optional => "",
    };
    format!("{prefix}{ty} {} = {}", field.name(), field.number())
}

fn streaming(method: &MethodDescriptorProto) -> &'static str {
    match (method.client_streaming(), method.server_streaming()) {
        (false, false) => "unary",
        (false, true) => "server streaming",
        (true, false) => "client streaming",
        (true, true) => "bidirectional streaming",
    }
}

fn rpc_signature(method: &MethodDescriptorProto) -> String {
    let stream = |on: bool| if on { "stream " } else { "" };
    format!(
        "{}({}{}) returns ({}{})",
        method.name(),
        stream(method.client_streaming()),
        method.input_type().trim_start_matches('.'),
        stream(method.server_streaming()),
        method.output_type().trim_start_matches('.')
    )
}

/// Full names of everything declared in `file`, for findings about what its removal took.
fn names_in_file(file: &FileDescriptorProto, out: &mut Vec<String>) {
    for message in &file.message_type {
        names_in_message(&join(file.package(), message.name()), message, out);
    }
    for e in &file.enum_type {
        names_in_enum(&join(file.package(), e.name()), e, out);
    }
    for service in &file.service {
        let name = join(file.package(), service.name());
        out.extend(service.method.iter().map(|m| join(&name, m.name())));
        out.push(name);
    }
}

fn names_in_message(name: &str, message: &DescriptorProto, out: &mut Vec<String>) {
    out.push(name.to_string());
    out.extend(message.field.iter().map(|f| join(name, f.name())));
    out.extend(message.oneof_decl.iter().map(|o| join(name, o.name())));
    for nested in &message.nested_type {
        names_in_message(&join(name, nested.name()), nested, out);
    }
    for e in &message.enum_type {
        names_in_enum(&join(name, e.name()), e, out);
    }
}

fn names_in_enum(name: &str, e: &EnumDescriptorProto, out: &mut Vec<String>) {
    out.push(name.to_string());
    let scope = name.rsplit_once('.').map_or("", |(scope, _)| scope);
    for value in &e.value {
        out.push(join(name, value.name()));
        out.push(join(scope, value.name()));
    }
}
