//! Messages and their fields, oneofs, reserved ranges and extension ranges.
//! A field is matched by number, so a rename is a rename.

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn messages(&self) {
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
    pub(super) fn covered(&self, file: usize, parent: Option<usize>, side: Side) -> bool {
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
    pub(super) fn moved(
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
    pub(super) fn message(&self, subject: &Subject, old: usize, new: usize) {
        let (om, nm) = (&self.old.messages[old], &self.new.messages[new]);
        let (od, nd) = (om.desc, nm.desc);
        let (oo, no) = (
            od.options.clone().unwrap_or_default(),
            nd.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.features(
            subject,
            (om.file, &om.path),
            (nm.file, &nm.path),
            &[
                Feature::JsonFormat,
                Feature::GoApiLevel,
                Feature::JavaNestInFileClass,
                Feature::EnforceNamingStyle,
                Feature::DefaultSymbolVisibility,
            ],
        );
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
    pub(super) fn set(
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

    pub(super) fn field(&self, message: &Subject, old: Field<'_, 'a>, new: Field<'_, 'a>) {
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
        let mut features = vec![Feature::MessageEncoding, Feature::EnforceNamingStyle];
        if old.label_text() == "repeated" || new.label_text() == "repeated" {
            features.push(Feature::RepeatedFieldEncoding);
        }
        let (old_type, new_type) = (old.type_text(), new.type_text());
        let is = |kinds: &[&str]| kinds.iter().any(|k| *k == old_type || *k == new_type);
        if is(&["string"]) {
            features.extend([Feature::Utf8Validation, Feature::JavaUtf8Validation]);
        }
        if is(&["string", "bytes"]) {
            features.push(Feature::CppStringType);
        }
        let enum_typed =
            |f: &Field| f.desc.r#type() == prost_types::field_descriptor_proto::Type::Enum;
        if enum_typed(&old) || enum_typed(&new) {
            features.extend([Feature::CppLegacyClosedEnum, Feature::JavaLegacyClosedEnum]);
        }
        self.features(
            &subject,
            (old.file, &old.path),
            (new.file, &new.path),
            &features,
        );
        self.docs(&subject, (old.file, &old.path), (new.file, &new.path));
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
