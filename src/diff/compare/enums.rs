//! Enums and their values (matched by number), options and reserved ranges.
//! A value's rename is a rename, as for fields.

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn enums(&self) {
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
    pub(super) fn enumeration(&self, subject: &Subject, old: usize, new: usize) {
        let (oe, ne) = (&self.old.enums[old], &self.new.enums[new]);
        let (od, nd) = (oe.desc, ne.desc);
        let (oo, no) = (
            od.options.clone().unwrap_or_default(),
            nd.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.features(
            subject,
            (oe.file, &oe.path),
            (ne.file, &ne.path),
            &[
                Feature::EnumType,
                Feature::JsonFormat,
                Feature::CppEnumNameUsesStringView,
                Feature::JavaLargeEnum,
                Feature::JavaNestInFileClass,
                Feature::GoStripEnumPrefix,
                Feature::GoLegacyUnmarshalJsonEnum,
                Feature::EnforceNamingStyle,
                Feature::DefaultSymbolVisibility,
            ],
        );
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

    pub(super) fn enum_value(
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
        self.features(
            &subject,
            (old.0, &old.1.path),
            (new.0, &new.1.path),
            &[Feature::EnforceNamingStyle, Feature::GoStripEnumPrefix],
        );
        self.docs(&subject, (old.0, &old.1.path), (new.0, &new.1.path));
    }
}
