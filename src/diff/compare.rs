//! Walks the models of two contracts side by side and records every difference. An added or
//! removed element stands for everything inside it, so a deleted package is one change.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::Hash;

use prost_types::field_descriptor_proto::Label;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, MethodDescriptorProto,
};

use crate::contract::model::{
    qualify, syntax_text, tag::*, Cardinality, EnumValue, Field, Model, Rpc,
};
use crate::contract::Contract;

use super::{Change, ChangeKind, DiffOptions, ElementKind, Location, Side, WHOLE};

/// Every difference between `old` and `new`, sorted by location then name.
pub fn compare(old: &Contract, new: &Contract, options: &DiffOptions) -> Vec<Change> {
    let differ = Differ {
        old: Model::new(old),
        new: Model::new(new),
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
    old: Model<'a>,
    new: Model<'a>,
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

    /// Where the element at `path` of file `file` on `side` is declared (line 0 without
    /// source info).
    fn location(&self, side: Side, file: usize, path: &[i32]) -> Location {
        let model = self.index(side);
        let span = model.span(file, path).unwrap_or_default();
        Location {
            path: model.contract.path_of(model.files[file].name).to_string(),
            line: span.line,
            column: span.column,
            side,
        }
    }

    /// The location of file `name` itself (its first line).
    fn file_location(&self, side: Side, name: &str) -> Location {
        self.location(side, self.index(side).file_by_name[name], &[])
    }

    fn docs(&self, subject: &Subject, old: (usize, &[i32]), new: (usize, &[i32])) {
        if !self.options.include_docs {
            return;
        }
        let before = comment(&self.old, old.0, old.1);
        let after = comment(&self.new, new.0, new.1);
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
                for &file in files {
                    also.push(index.files[file].name.to_string());
                    names_in_file(index.files[file].desc, &mut also);
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

    fn index(&self, side: Side) -> &Model<'a> {
        match side {
            Side::Old => &self.old,
            Side::New => &self.new,
        }
    }

    /// Whether the element's whole package appeared or vanished (then that change covers it).
    fn package_covers(&self, file: usize, side: Side) -> bool {
        let package = self.index(side).files[file].package;
        let other = self.index(other(side));
        !package.is_empty() && !other.packages.contains_key(package)
    }

    fn files(&self) {
        for (name, old, new) in paired(&self.old.file_by_name, &self.new.file_by_name) {
            match (old, new) {
                (Some(old), Some(new)) => {
                    self.file(self.old.files[old].desc, self.new.files[new].desc)
                }
                (Some(old), None) => {
                    if !self.package_covers(old, Side::Old) {
                        let mut also = Vec::new();
                        names_in_file(self.old.files[old].desc, &mut also);
                        let location = Some(self.file_location(Side::Old, name));
                        self.whole(ElementKind::File, name, Side::Old, location, None, also);
                    }
                }
                (None, Some(new)) => {
                    if !self.package_covers(new, Side::New) {
                        let location = Some(self.file_location(Side::New, name));
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
            location: Some(self.file_location(Side::New, new.name())),
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
            Some(syntax_text(old).to_string()),
            Some(syntax_text(new).to_string()),
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
            location: Some(self.location(
                Side::New,
                self.new.file_by_name[new.name()],
                &[FILE_OPTIONS, number],
            ))
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
        for (name, old, new) in paired(&self.old.message_by_name, &self.new.message_by_name) {
            let (om, nm) = (
                old.map(|i| &self.old.messages[i]),
                new.map(|i| &self.new.messages[i]),
            );
            match (om, nm) {
                // A map's entry changes with the map field, which reports it.
                (Some(o), Some(n)) if o.is_map_entry() && n.is_map_entry() => {}
                (Some(o), Some(n)) => {
                    let subject = self.moved(ElementKind::Message, name, o.file, n.file, &n.path);
                    self.message(&subject, old.unwrap_or_default(), new.unwrap_or_default());
                }
                (Some(o), None) if !self.covered(o.file, o.parent, Side::Old) => {
                    if o.is_map_entry() {
                        continue;
                    }
                    let mut also = Vec::new();
                    names_in_message(name, o.desc, &mut also);
                    let location = Some(self.location(Side::Old, o.file, &o.path));
                    self.whole(ElementKind::Message, name, Side::Old, location, None, also);
                }
                (None, Some(n)) if !self.covered(n.file, n.parent, Side::New) => {
                    if n.is_map_entry() {
                        continue;
                    }
                    let location = Some(self.location(Side::New, n.file, &n.path));
                    self.whole(
                        ElementKind::Message,
                        name,
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
    /// container: its enclosing message (`parent`), its removed file, or its package.
    fn covered(&self, file: usize, parent: Option<usize>, side: Side) -> bool {
        let this = self.index(side);
        let other = self.index(other(side));
        if let Some(parent) = parent {
            if !other
                .message_by_name
                .contains_key(&this.messages[parent].full_name)
            {
                return true;
            }
        }
        // A new file's top-level elements are listed: they are the API it adds.
        let file_removed =
            side == Side::Old && !other.file_by_name.contains_key(this.files[file].name);
        file_removed || self.package_covers(file, side)
    }

    /// The subject for an element on both sides, recording a move between files.
    fn moved(
        &self,
        kind: ElementKind,
        name: &str,
        old_file: usize,
        new_file: usize,
        new_path: &[i32],
    ) -> Subject {
        let subject = Subject {
            kind,
            element: name.to_string(),
            old_element: None,
            also: Vec::new(),
            location: Some(self.location(Side::New, new_file, new_path)),
        };
        let (old_name, new_name) = (self.old.files[old_file].name, self.new.files[new_file].name);
        if old_name != new_name {
            let mut change = subject.change(ChangeKind::Moved, "file");
            change.old = Some(old_name.to_string());
            change.new = Some(new_name.to_string());
            self.push(change);
        }
        subject
    }

    /// Compares message `old` (index into the old model's messages) with `new`.
    fn message(&self, subject: &Subject, old: usize, new: usize) {
        let (om, nm) = (&self.old.messages[old], &self.new.messages[new]);
        let (od, nd) = (om.desc, nm.desc);
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
        self.docs(subject, (om.file, &om.path), (nm.file, &nm.path));

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
        let oneofs = |model: &Model<'a>, m: usize| -> BTreeMap<&'a str, Vec<i32>> {
            model
                .oneofs(m)
                .filter(|o| !o.synthetic)
                .map(|o| (o.desc.name(), o.path))
                .collect()
        };
        let (old_oneofs, new_oneofs) = (oneofs(&self.old, old), oneofs(&self.new, new));
        for (oneof, side) in union(&old_oneofs, &new_oneofs) {
            let (m, map) = match side {
                Side::Old => (om, &old_oneofs),
                Side::New => (nm, &new_oneofs),
            };
            let location = Some(self.location(side, m.file, &map[oneof]));
            self.whole(
                ElementKind::Oneof,
                &qualify(&subject.element, oneof),
                side,
                location,
                None,
                Vec::new(),
            );
        }
        for (oneof, old_path) in &old_oneofs {
            if let Some(new_path) = new_oneofs.get(oneof) {
                let oneof_subject = Subject {
                    kind: ElementKind::Oneof,
                    element: qualify(&subject.element, oneof),
                    old_element: None,
                    also: Vec::new(),
                    location: Some(self.location(Side::New, nm.file, new_path)),
                };
                self.docs(&oneof_subject, (om.file, old_path), (nm.file, new_path));
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
            let (m, map) = match side {
                Side::Old => (old, &old_fields),
                Side::New => (new, &new_fields),
            };
            let field = self.index(side).field_of(m, map[number]);
            let location = Some(self.location(side, field.file, &field.path));
            self.whole(
                ElementKind::Field,
                &field.full_name,
                side,
                location,
                Some(field.signature()),
                Vec::new(),
            );
        }
        for (number, &o) in &old_fields {
            if let Some(&n) = new_fields.get(number) {
                self.field(
                    subject,
                    self.old.field_of(old, o),
                    self.new.field_of(new, n),
                );
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

    fn field(&self, message: &Subject, old: Field<'_, 'a>, new: Field<'_, 'a>) {
        let (of, nf) = (old.desc, new.desc);
        let element = qualify(&message.element, nf.name());
        // A map's key and value are fields of its entry message; the map field stands for them.
        let map_entries = [&old, &new]
            .into_iter()
            .filter_map(|f| f.map_entry())
            .flat_map(|entry| {
                let entry = entry.full_name.clone();
                [qualify(&entry, "key"), qualify(&entry, "value"), entry]
            })
            .collect();
        let subject = Subject {
            kind: ElementKind::Field,
            old_element: (old.full_name != element).then(|| old.full_name.clone()),
            element,
            also: map_entries,
            location: Some(self.location(Side::New, new.file, &new.path)),
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
            Some(old.type_text()),
            Some(new.type_text()),
        );
        self.value(
            &subject,
            "label",
            Some(old.label_text().to_string()),
            Some(new.label_text().to_string()),
        );
        let oneof_name = |f: &Field| f.oneof().map(|o| o.name().to_string());
        let (old_oneof, new_oneof) = (oneof_name(&old), oneof_name(&new));
        // Joining or leaving a oneof changes presence too; the oneof change says it all.
        if of.label() == Label::Optional && nf.label() == Label::Optional && old_oneof == new_oneof
        {
            self.value(
                &subject,
                "presence",
                Some(presence(&old).to_string()),
                Some(presence(&new).to_string()),
            );
        }
        self.value(
            &subject,
            "json_name",
            Some(old.json_name()),
            Some(new.json_name()),
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
        self.docs(&subject, (old.file, &old.path), (new.file, &new.path));
    }

    fn enums(&self) {
        for (name, old, new) in paired(&self.old.enum_by_name, &self.new.enum_by_name) {
            let (oe, ne) = (
                old.map(|i| &self.old.enums[i]),
                new.map(|i| &self.new.enums[i]),
            );
            match (oe, ne) {
                (Some(o), Some(n)) => {
                    let subject = self.moved(ElementKind::Enum, name, o.file, n.file, &n.path);
                    self.enumeration(&subject, old.unwrap_or_default(), new.unwrap_or_default());
                }
                (Some(o), None) if !self.covered(o.file, o.parent, Side::Old) => {
                    let mut also = Vec::new();
                    names_in_enum(name, o.desc, &mut also);
                    let location = Some(self.location(Side::Old, o.file, &o.path));
                    self.whole(ElementKind::Enum, name, Side::Old, location, None, also);
                }
                (None, Some(n)) if !self.covered(n.file, n.parent, Side::New) => {
                    let location = Some(self.location(Side::New, n.file, &n.path));
                    self.whole(
                        ElementKind::Enum,
                        name,
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

    /// Compares enum `old` (index into the old model's enums) with `new`.
    fn enumeration(&self, subject: &Subject, old: usize, new: usize) {
        let (oe, ne) = (&self.old.enums[old], &self.new.enums[new]);
        let (od, nd) = (oe.desc, ne.desc);
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
        self.docs(subject, (oe.file, &oe.path), (ne.file, &ne.path));
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
        let old_values: Vec<EnumValue> = self.old.values(old).collect();
        let new_values: Vec<EnumValue> = self.new.values(new).collect();
        for (o, n) in pair_values(od, nd) {
            match (o, n) {
                (Some(o), Some(n)) => self.enum_value(
                    subject,
                    (oe.file, &old_values[o]),
                    (ne.file, &new_values[n]),
                ),
                (Some(i), None) | (None, Some(i)) => {
                    let (e, values, side) = if o.is_some() {
                        (oe, &old_values, Side::Old)
                    } else {
                        (ne, &new_values, Side::New)
                    };
                    let value = &values[i];
                    let location = Some(self.location(side, e.file, &value.path));
                    let detail = Some(format!("{} = {}", value.desc.name(), value.desc.number()));
                    self.whole(
                        ElementKind::EnumValue,
                        &qualify(&subject.element, value.desc.name()),
                        side,
                        location,
                        detail,
                        vec![value.sibling_name.clone()],
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn enum_value(
        &self,
        enumeration: &Subject,
        old: (usize, &EnumValue),
        new: (usize, &EnumValue),
    ) {
        let (ov, nv) = (old.1.desc, new.1.desc);
        let old_name = qualify(&enumeration.element, ov.name());
        let element = qualify(&enumeration.element, nv.name());
        let subject = Subject {
            kind: ElementKind::EnumValue,
            old_element: (old_name != element).then_some(old_name),
            element,
            also: Vec::new(),
            location: Some(self.location(Side::New, new.0, &new.1.path)),
        };
        if ov.name() != nv.name() {
            let mut change = subject.change(ChangeKind::Renamed, "name");
            change.old = Some(ov.name().to_string());
            change.new = Some(nv.name().to_string());
            change.also = vec![old.1.sibling_name.clone(), new.1.sibling_name.clone()];
            self.push(change);
        }
        let (oo, no) = (
            ov.options.clone().unwrap_or_default(),
            nv.options.clone().unwrap_or_default(),
        );
        self.deprecation(&subject, oo.deprecated, no.deprecated);
        self.docs(&subject, (old.0, &old.1.path), (new.0, &new.1.path));
    }

    fn services(&self) {
        for (name, old, new) in paired(&self.old.service_by_name, &self.new.service_by_name) {
            let (os, ns) = (
                old.map(|i| &self.old.services[i]),
                new.map(|i| &self.new.services[i]),
            );
            match (os, ns) {
                (Some(o), Some(n)) => {
                    let subject = self.moved(ElementKind::Service, name, o.file, n.file, &n.path);
                    self.service(&subject, old.unwrap_or_default(), new.unwrap_or_default());
                }
                (Some(o), None) if !self.covered(o.file, None, Side::Old) => {
                    let also = old
                        .map(|i| self.old.rpcs(i).map(|r| r.full_name).collect())
                        .unwrap_or_default();
                    let location = Some(self.location(Side::Old, o.file, &o.path));
                    self.whole(ElementKind::Service, name, Side::Old, location, None, also);
                }
                (None, Some(n)) if !self.covered(n.file, None, Side::New) => {
                    let location = Some(self.location(Side::New, n.file, &n.path));
                    self.whole(
                        ElementKind::Service,
                        name,
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

    /// Compares service `old` (index into the old model's services) with `new`.
    fn service(&self, subject: &Subject, old: usize, new: usize) {
        let (os, ns) = (&self.old.services[old], &self.new.services[new]);
        let (oo, no) = (
            os.desc.options.clone().unwrap_or_default(),
            ns.desc.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.docs(subject, (os.file, &os.path), (ns.file, &ns.path));
        let by_name = |model: &Model<'a>, s: usize| -> BTreeMap<&'a str, Rpc<'a>> {
            model.rpcs(s).map(|r| (r.desc.name(), r)).collect()
        };
        let (old_rpcs, new_rpcs) = (by_name(&self.old, old), by_name(&self.new, new));
        for (name, side) in union(&old_rpcs, &new_rpcs) {
            let (s, map) = match side {
                Side::Old => (os, &old_rpcs),
                Side::New => (ns, &new_rpcs),
            };
            let rpc = &map[name];
            let location = Some(self.location(side, s.file, &rpc.path));
            self.whole(
                ElementKind::Rpc,
                &rpc.full_name,
                side,
                location,
                Some(rpc_signature(rpc.desc)),
                Vec::new(),
            );
        }
        for (name, o) in &old_rpcs {
            if let Some(n) = new_rpcs.get(name) {
                let rpc_subject = Subject {
                    kind: ElementKind::Rpc,
                    element: qualify(&subject.element, name),
                    old_element: None,
                    also: Vec::new(),
                    location: Some(self.location(Side::New, ns.file, &n.path)),
                };
                self.rpc(&rpc_subject, o.desc, n.desc);
                self.docs(&rpc_subject, (os.file, &o.path), (ns.file, &n.path));
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

/// Whether a singular field tracks presence (`explicit`) or not (`implicit`, proto3's
/// default for scalars outside a oneof).
fn presence(field: &Field) -> &'static str {
    if field.cardinality() == Cardinality::Implicit {
        "implicit"
    } else {
        "explicit"
    }
}

/// The comments attached to an element: leading and trailing, trimmed, without
/// `protogen:allow-breaking` lines; empty if none.
fn comment(model: &Model, file: usize, path: &[i32]) -> String {
    let comments = model.comments(file, path);
    [comments.leading, comments.trailing]
        .into_iter()
        .flatten()
        .map(|c| {
            c.lines()
                .map(str::trim)
                // Acknowledgements are directives for `check`, shown as such, not docs.
                .filter(|line| !line.starts_with("protogen:allow-breaking"))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string()
        })
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
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
        names_in_message(&qualify(file.package(), message.name()), message, out);
    }
    for e in &file.enum_type {
        names_in_enum(&qualify(file.package(), e.name()), e, out);
    }
    for service in &file.service {
        let name = qualify(file.package(), service.name());
        out.extend(service.method.iter().map(|m| qualify(&name, m.name())));
        out.push(name);
    }
}

fn names_in_message(name: &str, message: &DescriptorProto, out: &mut Vec<String>) {
    out.push(name.to_string());
    out.extend(message.field.iter().map(|f| qualify(name, f.name())));
    out.extend(message.oneof_decl.iter().map(|o| qualify(name, o.name())));
    for nested in &message.nested_type {
        names_in_message(&qualify(name, nested.name()), nested, out);
    }
    for e in &message.enum_type {
        names_in_enum(&qualify(name, e.name()), e, out);
    }
}

fn names_in_enum(name: &str, e: &EnumDescriptorProto, out: &mut Vec<String>) {
    out.push(name.to_string());
    let scope = name.rsplit_once('.').map_or("", |(scope, _)| scope);
    for value in &e.value {
        out.push(qualify(name, value.name()));
        out.push(qualify(scope, value.name()));
    }
}

/// The names of two indexes (old and new side), sorted and each once, with the element's index
/// on either side: the walk every kind of element takes to find what was added, removed or kept.
fn paired<'m, K>(
    old: &'m HashMap<K, usize>,
    new: &'m HashMap<K, usize>,
) -> impl Iterator<Item = (&'m str, Option<usize>, Option<usize>)>
where
    K: Borrow<str> + Eq + Hash,
{
    let names: BTreeSet<&str> = old.keys().chain(new.keys()).map(Borrow::borrow).collect();
    names
        .into_iter()
        .map(|name| (name, old.get(name).copied(), new.get(name).copied()))
}
