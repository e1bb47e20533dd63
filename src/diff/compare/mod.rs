//! Walks the models of two contracts side by side and records every difference. An added or
//! removed element stands for everything inside it, so a deleted package is one change.
//! This file holds the walk and what every element kind shares; one file per element kind.

mod enums;
mod file;
mod message;
mod service;

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::Hash;

use prost_types::field_descriptor_proto::Label;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, MethodDescriptorProto,
};

use crate::contract::features::FeatureSet;
use crate::contract::model::{
    qualify, syntax_text, tag::*, Cardinality, EnumValue, Field, Model, Rpc, Syntax,
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

/// A feature `diff` reports, with its values' names (descriptor.proto's).
#[derive(Clone, Copy)]
enum Feature {
    EnumType,
    RepeatedFieldEncoding,
    Utf8Validation,
    MessageEncoding,
    JsonFormat,
    EnforceNamingStyle,
    DefaultSymbolVisibility,
    // Language features (google/protobuf/{cpp,java,go}_features.proto).
    CppStringType,
    CppLegacyClosedEnum,
    CppEnumNameUsesStringView,
    JavaUtf8Validation,
    JavaLegacyClosedEnum,
    JavaLargeEnum,
    JavaNestInFileClass,
    GoApiLevel,
    GoStripEnumPrefix,
    GoLegacyUnmarshalJsonEnum,
}

impl Feature {
    fn read(self) -> (&'static str, fn(&FeatureSet) -> Option<String>) {
        fn name<const N: usize>(value: Option<i32>, names: [&str; N]) -> Option<String> {
            let i = usize::try_from(value? - 1).ok()?;
            names.get(i).map(|s| s.to_string())
        }
        match self {
            Feature::EnumType => ("features.enum_type", |f| {
                name(f.enum_type, ["OPEN", "CLOSED"])
            }),
            Feature::RepeatedFieldEncoding => ("features.repeated_field_encoding", |f| {
                name(f.repeated_field_encoding, ["PACKED", "EXPANDED"])
            }),
            Feature::Utf8Validation => ("features.utf8_validation", |f| {
                name(f.utf8_validation.map(|v| v - 1), ["VERIFY", "NONE"])
            }),
            Feature::MessageEncoding => ("features.message_encoding", |f| {
                name(f.message_encoding, ["LENGTH_PREFIXED", "DELIMITED"])
            }),
            Feature::JsonFormat => ("features.json_format", |f| {
                name(f.json_format, ["ALLOW", "LEGACY_BEST_EFFORT"])
            }),
            Feature::EnforceNamingStyle => ("features.enforce_naming_style", |f| {
                name(f.enforce_naming_style, ["STYLE2024", "STYLE_LEGACY"])
            }),
            Feature::DefaultSymbolVisibility => ("features.default_symbol_visibility", |f| {
                let all = ["EXPORT_ALL", "EXPORT_TOP_LEVEL", "LOCAL_ALL", "STRICT"];
                name(f.default_symbol_visibility, all)
            }),
            Feature::CppStringType => ("features.(pb.cpp).string_type", |f| {
                name(f.cpp?.string_type, ["VIEW", "CORD", "STRING"])
            }),
            Feature::CppLegacyClosedEnum => ("features.(pb.cpp).legacy_closed_enum", |f| {
                Some(f.cpp?.legacy_closed_enum?.to_string())
            }),
            Feature::CppEnumNameUsesStringView => {
                ("features.(pb.cpp).enum_name_uses_string_view", |f| {
                    Some(f.cpp?.enum_name_uses_string_view?.to_string())
                })
            }
            Feature::JavaUtf8Validation => ("features.(pb.java).utf8_validation", |f| {
                name(f.java?.utf8_validation, ["DEFAULT", "VERIFY"])
            }),
            Feature::JavaLegacyClosedEnum => ("features.(pb.java).legacy_closed_enum", |f| {
                Some(f.java?.legacy_closed_enum?.to_string())
            }),
            Feature::JavaLargeEnum => ("features.(pb.java).large_enum", |f| {
                Some(f.java?.large_enum?.to_string())
            }),
            Feature::JavaNestInFileClass => ("features.(pb.java).nest_in_file_class", |f| {
                let value = f.java?.nest_in_file_class;
                name(value, ["NO", "YES"]).or(value.map(|_| "LEGACY".to_string()))
            }),
            Feature::GoApiLevel => ("features.(pb.go).api_level", |f| {
                let all = [
                    "API_LEVEL_UNSPECIFIED",
                    "API_OPEN",
                    "API_HYBRID",
                    "API_OPAQUE",
                ];
                all.get(usize::try_from(f.go?.api_level?).ok()?)
                    .map(|s| s.to_string())
            }),
            Feature::GoStripEnumPrefix => ("features.(pb.go).strip_enum_prefix", |f| {
                let all = ["KEEP", "GENERATE_BOTH", "STRIP"];
                name(f.go?.strip_enum_prefix, all).map(|s| format!("STRIP_ENUM_PREFIX_{s}"))
            }),
            Feature::GoLegacyUnmarshalJsonEnum => {
                ("features.(pb.go).legacy_unmarshal_json_enum", |f| {
                    Some(f.go?.legacy_unmarshal_json_enum?.to_string())
                })
            }
        }
    }
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

    /// The resolved features `which` of an element, when either side is in an editions file
    /// (between proto2 and proto3 elements, the syntax change says it): one change per
    /// feature, aspect `features.NAME`, values named as in descriptor.proto.
    fn features(
        &self,
        subject: &Subject,
        old: (usize, &[i32]),
        new: (usize, &[i32]),
        which: &[Feature],
    ) {
        let editions = |model: &Model, file: usize| model.files[file].syntax == Syntax::Editions;
        if !editions(&self.old, old.0) && !editions(&self.new, new.0) {
            return;
        }
        let (o, n) = (
            self.old.features(old.0, old.1),
            self.new.features(new.0, new.1),
        );
        for feature in which {
            let (aspect, value) = feature.read();
            self.value(subject, aspect, value(&o), value(&n));
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

    fn index(&self, side: Side) -> &Model<'a> {
        match side {
            Side::Old => &self.old,
            Side::New => &self.new,
        }
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
