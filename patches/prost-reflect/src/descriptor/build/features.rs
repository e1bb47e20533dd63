//! protogen patch: the features of editions files, resolved from the edition's defaults down
//! to each field (file → message → oneof → field; an extension from its scope), for what the
//! pool decides from them (presence, packing, delimited encoding, required), and protoc's
//! checks of where a feature may be set.

use std::collections::{hash_map::Entry, HashMap, HashSet};

use prost::{
    bytes::Buf,
    encoding::{decode_key, message, skip_field, DecodeContext, WireType},
    Message,
};

use crate::descriptor::{
    build::{join_path, DescriptorPoolOffsets},
    error::{DescriptorError, DescriptorErrorKind, Label},
    tag,
    types::{field_descriptor_proto, DescriptorProto, FieldDescriptorProto, FileDescriptorProto},
    Cardinality, DescriptorPoolInner, EnumIndex, FileDescriptorInner, FileIndex, KindIndex,
    MessageIndex, OneofIndex, Syntax,
};

/// `google.protobuf.FeatureSet`'s fields that the pool reads (values as in descriptor.proto).
#[derive(Clone, Copy, PartialEq, Message)]
pub(crate) struct FeatureSet {
    #[prost(int32, optional, tag = "1")]
    pub field_presence: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub enum_type: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub repeated_field_encoding: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub utf8_validation: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub message_encoding: Option<i32>,
    #[prost(int32, optional, tag = "6")]
    pub json_format: Option<i32>,
}

const EXPLICIT: i32 = 1;
const IMPLICIT: i32 = 2;
const LEGACY_REQUIRED: i32 = 3;
const OPEN: i32 = 1;
const PACKED: i32 = 1;
const DELIMITED: i32 = 2;
const ALLOW: i32 = 1;

/// The `features` field of each options message (descriptor.proto).
pub(crate) mod features_tag {
    pub(crate) const FILE: u32 = 50;
    pub(crate) const MESSAGE: u32 = 12;
    pub(crate) const FIELD: u32 = 21;
    pub(crate) const ONEOF: u32 = 1;
    pub(crate) const ENUM: u32 = 7;
}

/// Where each feature may be set (its `targets` in descriptor.proto), beyond the file.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Message,
    Field,
    Oneof,
    Enum,
}

impl FeatureSet {
    /// The first feature set here that may not be set on `target`.
    fn misplaced(&self, target: Target) -> Option<&'static str> {
        let set = [
            ("field_presence", self.field_presence, Target::Field),
            ("enum_type", self.enum_type, Target::Enum),
            (
                "repeated_field_encoding",
                self.repeated_field_encoding,
                Target::Field,
            ),
            ("utf8_validation", self.utf8_validation, Target::Field),
            ("message_encoding", self.message_encoding, Target::Field),
        ];
        set.into_iter()
            .find(|(_, value, allowed)| value.is_some() && *allowed != target)
            .map(|(name, ..)| name)
            .or_else(|| {
                (self.json_format.is_some() && !matches!(target, Target::Message | Target::Enum))
                    .then_some("json_format")
            })
    }

    /// The defaults of editions 2023 and 2024 (descriptor.proto's `edition_defaults`: every
    /// feature read here has the same default in both).
    fn defaults() -> FeatureSet {
        FeatureSet {
            field_presence: Some(EXPLICIT),
            enum_type: Some(OPEN),
            repeated_field_encoding: Some(PACKED),
            utf8_validation: Some(2),  // VERIFY
            message_encoding: Some(1), // LENGTH_PREFIXED
            json_format: Some(1),      // ALLOW
        }
    }

    /// These features with those set in `child` overriding them.
    fn merged(self, child: &FeatureSet) -> FeatureSet {
        FeatureSet {
            field_presence: child.field_presence.or(self.field_presence),
            enum_type: child.enum_type.or(self.enum_type),
            repeated_field_encoding: child
                .repeated_field_encoding
                .or(self.repeated_field_encoding),
            utf8_validation: child.utf8_validation.or(self.utf8_validation),
            message_encoding: child.message_encoding.or(self.message_encoding),
            json_format: child.json_format.or(self.json_format),
        }
    }
}

/// The features set in an encoded options message (its field `tag`), as written.
pub(crate) fn features_in(mut options: &[u8], tag: u32) -> FeatureSet {
    let mut set = FeatureSet::default();
    while options.has_remaining() {
        let Ok((number, wire_type)) = decode_key(&mut options) else {
            break;
        };
        let result = if number == tag && wire_type == WireType::LengthDelimited {
            message::merge(wire_type, &mut set, &mut options, DecodeContext::default())
        } else {
            skip_field(wire_type, number, &mut options, DecodeContext::default())
        };
        if result.is_err() {
            break;
        }
    }
    set
}

fn written<T>(options: &Option<crate::descriptor::types::Options<T>>, tag: u32) -> FeatureSet {
    options
        .as_ref()
        .map_or_else(FeatureSet::default, |o| features_in(&o.encoded, tag))
}

/// The message at `path` ([4, i] then [3, j]...) of `file`.
fn message_at<'a>(file: &'a FileDescriptorProto, path: &[i32]) -> &'a DescriptorProto {
    let mut message = &file.message_type[path[1] as usize];
    for pair in path[2..].chunks(2) {
        message = &message.nested_type[pair[1] as usize];
    }
    message
}

/// The field or extension at `path` (a message's [2, i] or [6, i], or the file's [7, i]).
fn field_at<'a>(file: &'a FileDescriptorProto, path: &[i32]) -> &'a FieldDescriptorProto {
    let (scope, last) = path.split_at(path.len() - 2);
    let fields = match (scope.is_empty(), last[0]) {
        (true, _) => &file.extension,
        (false, tag::message::EXTENSION) => &message_at(file, scope).extension,
        (false, _) => &message_at(file, scope).field,
    };
    &fields[last[1] as usize]
}

impl DescriptorPoolInner {
    pub(super) fn resolve_features(
        &mut self,
        offsets: DescriptorPoolOffsets,
    ) -> Result<(), DescriptorError> {
        let first_file = offsets.file as usize;
        if !self.files[first_file..]
            .iter()
            .any(|f| f.syntax == Syntax::Editions)
        {
            return Ok(());
        }
        let DescriptorPoolInner {
            files,
            messages,
            extensions,
            enums,
            ..
        } = self;
        let mut errors = Vec::new();
        let file_features: Vec<Option<FeatureSet>> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (i >= first_file && f.syntax == Syntax::Editions).then(|| {
                    FeatureSet::defaults().merged(&written(&f.raw.options, features_tag::FILE))
                })
            })
            .collect();

        // Closed enums, from editions files (resolved below) and proto2 files.
        let mut closed: HashSet<EnumIndex> = enums
            .iter()
            .enumerate()
            .filter(|(_, e)| files[e.id.file as usize].syntax == Syntax::Proto2)
            .map(|(i, _)| i as EnumIndex)
            .collect();

        // Messages come after their parents, so each one's parent is resolved first.
        let first_message = offsets.message as usize;
        let mut message_features: Vec<Option<FeatureSet>> = Vec::new();
        for index in first_message..messages.len() {
            let id = &messages[index].id;
            let resolved = file_features[id.file as usize].map(|file| {
                let parent = messages[index]
                    .parent
                    .and_then(|p| (p as usize).checked_sub(first_message))
                    .and_then(|p| message_features[p])
                    .unwrap_or(file);
                let raw = message_at(&files[id.file as usize].raw, &id.path);
                let own = written(&raw.options, features_tag::MESSAGE);
                misplaced(files, &mut errors, &own, Target::Message, id.file, &id.path);
                parent.merged(&own)
            });
            message_features.push(resolved);
        }

        // With the JSON format ALLOW, fields' JSON names may not collide (as in proto3).
        for (index, set) in message_features.iter().enumerate() {
            if set.is_some_and(|s| s.json_format == Some(ALLOW)) {
                let id = &messages[first_message + index].id;
                let raw = message_at(&files[id.file as usize].raw, &id.path);
                camel_case_conflicts(files, &mut errors, id.file, &id.path, raw);
            }
        }

        // Open enums need a zero first value, as proto3's.
        for (index, enum_) in enums.iter().enumerate().skip(offsets.enum_ as usize) {
            let Some(file_set) = file_features[enum_.id.file as usize] else {
                continue;
            };
            let parent = enum_
                .parent
                .and_then(|p| (p as usize).checked_sub(first_message))
                .and_then(|p| message_features[p])
                .unwrap_or(file_set);
            let raw_file = &files[enum_.id.file as usize].raw;
            let raw = match &enum_.id.path[..] {
                [_, i] => &raw_file.enum_type[*i as usize],
                path => {
                    let (scope, last) = path.split_at(path.len() - 2);
                    &message_at(raw_file, scope).enum_type[last[1] as usize]
                }
            };
            let own = written(&raw.options, features_tag::ENUM);
            misplaced(
                files,
                &mut errors,
                &own,
                Target::Enum,
                enum_.id.file,
                &enum_.id.path,
            );
            let resolved = parent.merged(&own);
            if resolved.enum_type != Some(OPEN) {
                closed.insert(index as EnumIndex);
            }
            if resolved.enum_type == Some(OPEN)
                && raw.value.first().is_some_and(|v| v.number() != 0)
            {
                errors.push(DescriptorErrorKind::InvalidFeature {
                    message: "the first value of an open enum must be 0".into(),
                    found: Label::new(
                        files,
                        "defined here",
                        enum_.id.file,
                        join_path(
                            &enum_.id.path,
                            &[tag::enum_::VALUE, 0, tag::enum_value::NUMBER],
                        ),
                    ),
                });
            }
        }

        for index in first_message..messages.len() {
            let Some(message_set) = message_features[index - first_message] else {
                continue;
            };
            let file = messages[index].id.file;
            let raw_message = message_at(&files[file as usize].raw, &messages[index].id.path);
            for (field_index, raw) in raw_message.field.iter().enumerate() {
                let inner = &messages[index].fields[field_index];
                let parent = match inner.oneof {
                    Some(oneof) => {
                        let own = written(
                            &raw_message.oneof_decl[oneof as usize].options,
                            features_tag::ONEOF,
                        );
                        if field_index == message_oneof_first(raw_message, oneof) {
                            let path = join_path(
                                &messages[index].id.path,
                                &[tag::message::ONEOF_DECL, oneof as i32],
                            );
                            misplaced(files, &mut errors, &own, Target::Oneof, file, &path);
                        }
                        message_set.merged(&own)
                    }
                    None => message_set,
                };
                let scope = Scope::Field {
                    in_oneof: inner.oneof.is_some(),
                };
                let path = inner.id.path.clone();
                let kind = inner.kind;
                let resolved = check_field(
                    files,
                    &mut errors,
                    &closed,
                    scope,
                    parent,
                    raw,
                    kind,
                    inner.cardinality,
                    file,
                    &path,
                );
                let kind = lowered_kind(kind, &resolved, raw, messages, files);
                let field = &mut messages[index].fields[field_index];
                field.kind = kind;
                field.cardinality = cardinality(field.cardinality, &resolved);
                field.is_packed = is_packed(field.cardinality, kind, &resolved);
                field.supports_presence = field.oneof.is_some()
                    || (field.cardinality != Cardinality::Repeated
                        && (kind.is_message() || resolved.field_presence != Some(IMPLICIT)));
            }
        }

        for index in offsets.extension as usize..extensions.len() {
            let id = &extensions[index].id;
            let Some(file_set) = file_features[id.file as usize] else {
                continue;
            };
            let parent = extensions[index]
                .parent
                .and_then(|p| (p as usize).checked_sub(first_message))
                .and_then(|p| message_features[p])
                .unwrap_or(file_set);
            let file = id.file;
            let path = id.path.clone();
            let raw = field_at(&files[file as usize].raw, &path);
            let extension = &extensions[index];
            let resolved = check_field(
                files,
                &mut errors,
                &closed,
                Scope::Extension,
                parent,
                raw,
                extension.kind,
                extension.cardinality,
                file,
                &path,
            );
            let kind = lowered_kind(extension.kind, &resolved, raw, messages, files);
            let extension = &mut extensions[index];
            extension.kind = kind;
            extension.cardinality = cardinality(extension.cardinality, &resolved);
            extension.is_packed = is_packed(extension.cardinality, kind, &resolved);
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(DescriptorError::new(errors))
        }
    }
}

#[derive(Clone, Copy)]
enum Scope {
    Field { in_oneof: bool },
    Extension,
}

/// The field's resolved features, after protoc's checks of the features it sets.
#[allow(clippy::too_many_arguments)]
fn check_field(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    closed: &HashSet<EnumIndex>,
    scope: Scope,
    parent: FeatureSet,
    raw: &FieldDescriptorProto,
    kind: KindIndex,
    cardinality: Cardinality,
    file: u32,
    path: &[i32],
) -> FeatureSet {
    let own = written(&raw.options, features_tag::FIELD);
    misplaced(files, errors, &own, Target::Field, file, path);
    let repeated = cardinality == Cardinality::Repeated;
    let resolved = parent.merged(&own);
    if let KindIndex::Enum(enum_) = kind {
        if !repeated && resolved.field_presence == Some(IMPLICIT) && closed.contains(&enum_) {
            errors.push(DescriptorErrorKind::InvalidFeature {
                message: "a closed enum cannot be the type of a field with implicit presence"
                    .into(),
                found: Label::new(
                    files,
                    "defined here",
                    file,
                    join_path(path, &[tag::field::TYPE_NAME]),
                ),
            });
        }
    }
    let mut error = |message: &str| {
        errors.push(DescriptorErrorKind::InvalidFeature {
            message: message.into(),
            found: Label::new(
                files,
                "defined here",
                file,
                join_path(path, &[tag::field::NAME]),
            ),
        });
    };
    if let Some(presence) = own.field_presence {
        if repeated {
            error("repeated fields cannot set features.field_presence");
        } else if let Scope::Field { in_oneof: true } = scope {
            error("fields of a oneof cannot set features.field_presence");
        } else if let Scope::Extension = scope {
            error("extensions cannot set features.field_presence");
        } else if presence == IMPLICIT && kind.is_message() {
            error("message fields cannot have implicit presence");
        } else if presence == IMPLICIT && raw.default_value.is_some() {
            error("fields with implicit presence cannot have a default value");
        }
    }
    if own.repeated_field_encoding.is_some() && !(repeated && kind.is_packable()) {
        error("only repeated fields of scalar types can set features.repeated_field_encoding");
    }
    if own.message_encoding.is_some() && !kind.is_message() {
        error("only message fields can set features.message_encoding");
    }
    if own.utf8_validation.is_some() && !matches!(kind, KindIndex::String) {
        error("only string fields can set features.utf8_validation");
    }
    if raw
        .options
        .as_ref()
        .is_some_and(|o| o.value.packed.is_some())
    {
        error(
            "the `packed` option is not allowed in editions: use features.repeated_field_encoding",
        );
    }
    if raw.label() == field_descriptor_proto::Label::Required {
        error("the `required` label is not allowed in editions: use features.field_presence = LEGACY_REQUIRED");
    }
    resolved
}

/// protoc's check of proto3 (and of editions with JSON format ALLOW): no two fields whose
/// names are equal in lower case without underscores.
fn camel_case_conflicts(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    file: FileIndex,
    path: &[i32],
    message: &DescriptorProto,
) {
    let mut names: HashMap<String, (&str, i32)> = HashMap::new();
    for (index, field) in message.field.iter().enumerate() {
        let key: String = field
            .name()
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let index = index as i32;
        match names.entry(key) {
            Entry::Occupied(entry) => {
                errors.push(DescriptorErrorKind::DuplicateFieldCamelCaseName {
                    first_name: entry.get().0.to_owned(),
                    first: Label::new(
                        files,
                        "first defined here",
                        file,
                        join_path(
                            path,
                            &[tag::message::FIELD, entry.get().1, tag::field::NAME],
                        ),
                    ),
                    second_name: field.name().to_owned(),
                    second: Label::new(
                        files,
                        "defined again here",
                        file,
                        join_path(path, &[tag::message::FIELD, index, tag::field::NAME]),
                    ),
                })
            }
            Entry::Vacant(entry) => {
                entry.insert((field.name(), index));
            }
        }
    }
}

/// Reports a feature set where descriptor.proto's `targets` do not allow it.
fn misplaced(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    features: &FeatureSet,
    target: Target,
    file: FileIndex,
    path: &[i32],
) {
    if let Some(name) = features.misplaced(target) {
        errors.push(DescriptorErrorKind::InvalidFeature {
            message: format!("features.{name} cannot be set here"),
            found: Label::new(files, "defined here", file, path.into()),
        });
    }
}

/// The index of the first field of a oneof (whose features are checked once, with it).
fn message_oneof_first(message: &DescriptorProto, oneof: OneofIndex) -> usize {
    message
        .field
        .iter()
        .position(|f| f.oneof_index == Some(oneof as i32))
        .unwrap_or(usize::MAX)
}

/// A message field with delimited encoding is a group on the wire (not a map's entries).
fn lowered_kind(
    kind: KindIndex,
    features: &FeatureSet,
    raw: &FieldDescriptorProto,
    messages: &[crate::descriptor::MessageDescriptorInner],
    files: &[FileDescriptorInner],
) -> KindIndex {
    match kind {
        KindIndex::Message(message) if features.message_encoding == Some(DELIMITED) => {
            let target: MessageIndex = message;
            let id = &messages[target as usize].id;
            let map_entry = raw.label() == field_descriptor_proto::Label::Repeated
                && message_at(&files[id.file as usize].raw, &id.path)
                    .options
                    .as_ref()
                    .is_some_and(|o| o.value.map_entry());
            if map_entry {
                kind
            } else {
                KindIndex::Group(message)
            }
        }
        kind => kind,
    }
}

fn cardinality(written: Cardinality, features: &FeatureSet) -> Cardinality {
    if written == Cardinality::Optional && features.field_presence == Some(LEGACY_REQUIRED) {
        Cardinality::Required
    } else {
        written
    }
}

fn is_packed(cardinality: Cardinality, kind: KindIndex, features: &FeatureSet) -> bool {
    cardinality == Cardinality::Repeated
        && kind.is_packable()
        && features.repeated_field_encoding == Some(PACKED)
}
