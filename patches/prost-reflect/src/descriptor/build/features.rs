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
    #[prost(int32, optional, tag = "7")]
    pub enforce_naming_style: Option<i32>,
    #[prost(int32, optional, tag = "8")]
    pub default_symbol_visibility: Option<i32>,
}

const EXPLICIT: i32 = 1;
const IMPLICIT: i32 = 2;
const LEGACY_REQUIRED: i32 = 3;
const OPEN: i32 = 1;
const PACKED: i32 = 1;
const DELIMITED: i32 = 2;
const ALLOW: i32 = 1;
const STYLE2024: i32 = 1;

/// The `features` field of each options message (descriptor.proto).
pub(crate) mod features_tag {
    pub(crate) const FILE: u32 = 50;
    pub(crate) const MESSAGE: u32 = 12;
    pub(crate) const FIELD: u32 = 21;
    pub(crate) const ONEOF: u32 = 1;
    pub(crate) const ENUM: u32 = 7;
    pub(crate) const ENUM_VALUE: u32 = 2;
    pub(crate) const EXTENSION_RANGE: u32 = 50;
    pub(crate) const SERVICE: u32 = 34;
    pub(crate) const METHOD: u32 = 35;
}

/// Where each feature may be set (its `targets` in descriptor.proto), beyond the file.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Message,
    Field,
    Oneof,
    Enum,
    EnumValue,
}

impl FeatureSet {
    /// The first feature set here that may not be set on `target` (each core feature but
    /// `enforce_naming_style`, which any element may set, has one target beyond the file).
    fn misplaced(&self, target: Target) -> Option<&'static str> {
        let set = [
            ("field_presence", self.field_presence, Some(Target::Field)),
            ("enum_type", self.enum_type, Some(Target::Enum)),
            (
                "repeated_field_encoding",
                self.repeated_field_encoding,
                Some(Target::Field),
            ),
            ("utf8_validation", self.utf8_validation, Some(Target::Field)),
            (
                "message_encoding",
                self.message_encoding,
                Some(Target::Field),
            ),
            (
                "default_symbol_visibility",
                self.default_symbol_visibility,
                None,
            ),
        ];
        set.into_iter()
            .find(|(_, value, allowed)| value.is_some() && *allowed != Some(target))
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
            // Per edition: see `naming_style`.
            enforce_naming_style: None,
            default_symbol_visibility: None,
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
            enforce_naming_style: child.enforce_naming_style.or(self.enforce_naming_style),
            default_symbol_visibility: child
                .default_symbol_visibility
                .or(self.default_symbol_visibility),
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
        let mut errors = Vec::new();
        let pool = LanguageFeatures {
            files: &self.files,
            messages: &self.messages,
            extensions: &self.extensions,
        };
        for index in first_file..self.files.len() {
            if self.files[index].syntax != Syntax::Editions {
                pool.features_outside_editions(&mut errors, index as FileIndex);
            }
            // Proto3's JSON format is ALLOW (editions': checked with the enum's features).
            if self.files[index].syntax == Syntax::Proto3 {
                let raw = &self.files[index].raw;
                walk_enums(raw, &mut |path, e| {
                    enum_prefix_conflicts(&self.files, &mut errors, index as FileIndex, path, e)
                });
            }
        }
        if !self.files[first_file..]
            .iter()
            .any(|f| f.syntax == Syntax::Editions)
        {
            return match errors.is_empty() {
                true => Ok(()),
                false => Err(DescriptorError::new(errors)),
            };
        }
        let DescriptorPoolInner {
            files,
            messages,
            extensions,
            enums,
            ..
        } = self;
        let file_features: Vec<Option<FeatureSet>> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (i >= first_file && f.syntax == Syntax::Editions).then(|| {
                    FeatureSet::defaults().merged(&written(&f.raw.options, features_tag::FILE))
                })
            })
            .collect();

        for (index, set) in file_features.iter().enumerate() {
            if set.is_some() {
                check_file(files, &mut errors, index as FileIndex);
                check_elements(files, &mut errors, index as FileIndex);
                check_strict_exports(files, &mut errors, index as FileIndex);
            }
        }

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
            if resolved.json_format == Some(ALLOW) {
                enum_prefix_conflicts(files, &mut errors, enum_.id.file, &enum_.id.path, raw);
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
            let in_map_entry = raw_message
                .options
                .as_ref()
                .is_some_and(|o| o.value.map_entry());
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
                let kind = lowered_kind(kind, &resolved, in_map_entry, raw, messages, files);
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
            let kind = lowered_kind(extension.kind, &resolved, false, raw, messages, files);
            let extension = &mut extensions[index];
            extension.kind = kind;
            extension.cardinality = cardinality(extension.cardinality, &resolved);
            extension.is_packed = is_packed(extension.cardinality, kind, &resolved);
        }

        let language = LanguageFeatures {
            files,
            messages,
            extensions,
        };
        for (index, set) in file_features.iter().enumerate() {
            if set.is_some() {
                language.check_file(&mut errors, index as FileIndex);
            }
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(DescriptorError::new(errors))
        }
    }
}

/// Edition 2024's symbol visibility, for a reference from file `from` to a message or enum
/// whose name is at `path` of file `declared`: `Some("message")` (or `"enum"`) when it is local to
/// its file: as written (`export`, `local`: the `visibility` field), else its file's default
/// (`features.default_symbol_visibility`: EXPORT_TOP_LEVEL unless set; EXPORT_ALL exports
/// every symbol, LOCAL_ALL and STRICT none); files before edition 2024 export all.
pub(super) fn unexported(
    files: &[FileDescriptorInner],
    from: FileIndex,
    declared: FileIndex,
    path: &[i32],
    kind: &crate::descriptor::DefinitionKind,
) -> Option<&'static str> {
    use crate::descriptor::DefinitionKind;
    let kind = match kind {
        DefinitionKind::Message(_) => "message",
        DefinitionKind::Enum(_) => "enum",
        _ => return None,
    };
    let raw = &files[declared as usize].raw;
    if from == declared || raw.edition < Some(EDITION_2024) {
        return None;
    }
    let element = &path[..path.len() - 1];
    let written = if kind == "message" {
        message_at(raw, element).visibility
    } else {
        let (scope, last) = element.split_at(element.len() - 2);
        let enums = if scope.is_empty() {
            &raw.enum_type
        } else {
            &message_at(raw, scope).enum_type
        };
        enums[last[1] as usize].visibility
    };
    match written {
        Some(1) => return Some(kind), // VISIBILITY_LOCAL
        Some(2) => return None,       // VISIBILITY_EXPORT
        _ => {}
    }
    let default = raw
        .options
        .as_ref()
        .and_then(|o| {
            encoded_fields(&o.encoded)
                .into_iter()
                .filter_map(|(n, v)| (n == features_tag::FILE).then_some(v.err()).flatten())
                .flat_map(encoded_fields)
                .filter_map(|(n, v)| (n == 8).then_some(v.ok()).flatten())
                .last()
        })
        .unwrap_or(2); // EXPORT_TOP_LEVEL
                       // The path of its name: [4, i, 1] or [5, i, 1] at the top level.
    let nested = path.len() > 3;
    let local = match default {
        1 => false,  // EXPORT_ALL
        2 => nested, // EXPORT_TOP_LEVEL
        _ => true,   // LOCAL_ALL, STRICT
    };
    local.then_some(kind)
}

/// `FieldOptions.OptionTargetType` of the elements whose features are checked.
mod target_type {
    pub(super) const FILE: u64 = 1;
    pub(super) const MESSAGE: u64 = 3;
    pub(super) const FIELD: u64 = 4;
    pub(super) const ONEOF: u64 = 5;
    pub(super) const ENUM: u64 = 6;
    pub(super) const ENUM_ENTRY: u64 = 7;
}

/// The fields of an encoded message: number, and the value (a varint, or the bytes of a
/// length-delimited field; other wire types are skipped).
fn encoded_fields(mut bytes: &[u8]) -> Vec<(u32, Result<u64, &[u8]>)> {
    let mut out = Vec::new();
    while bytes.has_remaining() {
        let Ok((number, wire_type)) = decode_key(&mut bytes) else {
            break;
        };
        match wire_type {
            WireType::Varint => match prost::encoding::decode_varint(&mut bytes) {
                Ok(v) => out.push((number, Ok(v))),
                Err(_) => break,
            },
            WireType::LengthDelimited => {
                let Ok(len) = prost::encoding::decode_varint(&mut bytes) else {
                    break;
                };
                let Some(value) = bytes.get(..len as usize) else {
                    break;
                };
                out.push((number, Err(value)));
                bytes = &bytes[len as usize..];
            }
            _ => {
                if skip_field(wire_type, number, &mut bytes, DecodeContext::default()).is_err() {
                    break;
                }
            }
        }
    }
    out
}

/// protoc's checks of the language features (`features.(pb.cpp)`, `(pb.java)`, `(pb.go)`:
/// extensions of FeatureSet): each feature set only where its `targets` allow, and only in
/// the editions its `feature_support` says.
struct LanguageFeatures<'a> {
    files: &'a [FileDescriptorInner],
    messages: &'a [crate::descriptor::MessageDescriptorInner],
    extensions: &'a [crate::descriptor::ExtensionDescriptorInner],
}

impl LanguageFeatures<'_> {
    /// `features` set in a proto2 or proto3 file, refused as buf refuses them: "`features`
    /// cannot be set in "proto3"" at each option that sets them, and "`NAME` is not
    /// supported in "proto3"" for each feature set (every feature came with editions).
    fn features_outside_editions(&self, errors: &mut Vec<DescriptorErrorKind>, file: FileIndex) {
        let files = self.files;
        let syntax = match files[file as usize].syntax {
            Syntax::Proto2 => "proto2",
            _ => "proto3",
        };
        walk(
            &files[file as usize].raw,
            (),
            &mut |(), element, path, _, options| {
                let (tag, _) = element.tags();
                let Some(options) = options else { return };
                for (number, value) in encoded_fields(options) {
                    let (true, Err(features)) = (number == tag, value) else {
                        continue;
                    };
                    // Once per option that sets them (`option features.a = ...;` statements are
                    // merged into one `features`), as buf.
                    let mut option_reported: Option<Box<[i32]>> = None;
                    for (feature, value) in encoded_fields(features) {
                        let at = feature_path(files, file, path, element, Some(feature as i32));
                        if option_reported.as_ref() != Some(&at) {
                            option_reported = Some(at.clone());
                            errors.push(DescriptorErrorKind::InvalidFeature {
                                message: format!("`features` cannot be set in \"{syntax}\""),
                                found: Label::new(files, "set here", file, at.clone()),
                            });
                        }
                        let name = match (feature, value) {
                            (1..=8, _) => [
                                "field_presence",
                                "enum_type",
                                "repeated_field_encoding",
                                "utf8_validation",
                                "message_encoding",
                                "json_format",
                                "enforce_naming_style",
                                "default_symbol_visibility",
                            ][feature as usize - 1]
                                .to_string(),
                            (1000.., Err(language)) => {
                                self.language_feature_names(feature, language)
                            }
                            _ => feature.to_string(),
                        };
                        errors.push(DescriptorErrorKind::InvalidFeature {
                            message: format!("`{name}` is not supported in \"{syntax}\""),
                            found: Label::new(files, "set here", file, at),
                        });
                    }
                }
            },
        );
    }

    /// The names of the features set in `language` (encoded), the value of FeatureSet's
    /// extension `number` (`pb.cpp`...), joined by `, `.
    fn language_feature_names(&self, number: u32, language: &[u8]) -> String {
        let message = self.extensions.iter().find_map(|e| match e.kind {
            KindIndex::Message(message)
                if e.number == number
                    && &*self.messages[e.extendee as usize].id.full_name
                        == "google.protobuf.FeatureSet" =>
            {
                Some(&self.messages[message as usize])
            }
            _ => None,
        });
        let names: Vec<String> = encoded_fields(language)
            .into_iter()
            .map(|(feature, _)| {
                message
                    .and_then(|m| m.fields.iter().find(|f| f.number == feature))
                    .map_or(feature.to_string(), |f| {
                        f.id.full_name.rsplit('.').next().unwrap_or_default().into()
                    })
            })
            .collect();
        names.join(", ")
    }

    fn check_file(&self, errors: &mut Vec<DescriptorErrorKind>, file: FileIndex) {
        let raw = &self.files[file as usize].raw;
        let edition = raw.edition.unwrap_or(0);
        let mut check = |options: Option<&Vec<u8>>, tag: u32, target: u64, path: Vec<i32>| {
            if let Some(options) = options {
                self.check(errors, options, tag, target, edition, file, &path);
            }
        };
        check(
            raw.options.as_ref().map(|o| &o.encoded),
            features_tag::FILE,
            target_type::FILE,
            vec![],
        );
        for (i, field) in raw.extension.iter().enumerate() {
            let path = vec![tag::file::EXTENSION, i as i32];
            check(
                field.options.as_ref().map(|o| &o.encoded),
                features_tag::FIELD,
                target_type::FIELD,
                path,
            );
        }
        let mut enums: Vec<(Vec<i32>, &crate::descriptor::types::EnumDescriptorProto)> = raw
            .enum_type
            .iter()
            .enumerate()
            .map(|(i, e)| (vec![tag::file::ENUM_TYPE, i as i32], e))
            .collect();
        let mut pending: Vec<(Vec<i32>, &DescriptorProto)> = raw
            .message_type
            .iter()
            .enumerate()
            .map(|(i, m)| (vec![tag::file::MESSAGE_TYPE, i as i32], m))
            .collect();
        while let Some((path, message)) = pending.pop() {
            let at = |tail: &[i32]| join_path(&path, tail).to_vec();
            check(
                message.options.as_ref().map(|o| &o.encoded),
                features_tag::MESSAGE,
                target_type::MESSAGE,
                path.clone(),
            );
            for (i, field) in message.field.iter().enumerate() {
                check(
                    field.options.as_ref().map(|o| &o.encoded),
                    features_tag::FIELD,
                    target_type::FIELD,
                    at(&[tag::message::FIELD, i as i32]),
                );
            }
            for (i, field) in message.extension.iter().enumerate() {
                check(
                    field.options.as_ref().map(|o| &o.encoded),
                    features_tag::FIELD,
                    target_type::FIELD,
                    at(&[tag::message::EXTENSION, i as i32]),
                );
            }
            for (i, oneof) in message.oneof_decl.iter().enumerate() {
                check(
                    oneof.options.as_ref().map(|o| &o.encoded),
                    features_tag::ONEOF,
                    target_type::ONEOF,
                    at(&[tag::message::ONEOF_DECL, i as i32]),
                );
            }
            for (i, nested) in message.nested_type.iter().enumerate() {
                pending.push((at(&[tag::message::NESTED_TYPE, i as i32]), nested));
            }
            for (i, e) in message.enum_type.iter().enumerate() {
                enums.push((at(&[tag::message::ENUM_TYPE, i as i32]), e));
            }
        }
        for (path, e) in enums {
            check(
                e.options.as_ref().map(|o| &o.encoded),
                features_tag::ENUM,
                target_type::ENUM,
                path.clone(),
            );
            for (i, value) in e.value.iter().enumerate() {
                check(
                    value.options.as_ref().map(|o| &o.encoded),
                    2, // EnumValueOptions.features
                    target_type::ENUM_ENTRY,
                    join_path(&path, &[tag::enum_::VALUE, i as i32]).to_vec(),
                );
            }
        }
    }

    /// Checks the language features set in `options` (an encoded options message whose
    /// `features` field is `tag`) of the element at `path`, of target type `target`.
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        errors: &mut Vec<DescriptorErrorKind>,
        options: &[u8],
        tag: u32,
        target: u64,
        edition: i32,
        file: FileIndex,
        path: &[i32],
    ) {
        for (number, value) in encoded_fields(options) {
            let (true, Err(features)) = (number == tag, value) else {
                continue;
            };
            for (extension_number, value) in encoded_fields(features) {
                let Err(language) = value else { continue };
                if extension_number < 1000 {
                    continue;
                }
                let Some(extension) = self.extensions.iter().find(|e| {
                    e.number == extension_number
                        && &*self.messages[e.extendee as usize].id.full_name
                            == "google.protobuf.FeatureSet"
                }) else {
                    continue;
                };
                let KindIndex::Message(message) = extension.kind else {
                    continue;
                };
                let message = &self.messages[message as usize];
                for (feature_number, _) in encoded_fields(language) {
                    let Some(feature) = message.fields.iter().find(|f| f.number == feature_number)
                    else {
                        continue;
                    };
                    let raw = field_at(&self.files[feature.id.file as usize].raw, &feature.id.path);
                    let Some(feature_options) = raw.options.as_ref() else {
                        continue;
                    };
                    let name = feature.id.full_name.rsplit('.').next().unwrap_or_default();
                    if let Some(message) = refusal(&feature_options.encoded, target, edition, name)
                    {
                        // At the option where it is set, when located; else the element.
                        let options_field = match target {
                            target_type::FILE => tag::file::OPTIONS,
                            target_type::MESSAGE => 7,
                            target_type::FIELD => 8,
                            target_type::ONEOF => 2,
                            _ => 3, // enum, enum value
                        };
                        let option = join_path(
                            path,
                            &[
                                options_field,
                                tag as i32,
                                extension_number as i32,
                                feature_number as i32,
                            ],
                        );
                        let located = self.files[file as usize]
                            .raw
                            .source_code_info
                            .as_ref()
                            .is_some_and(|s| s.location.iter().any(|l| *l.path == *option));
                        let at = if located { option } else { path.into() };
                        errors.push(DescriptorErrorKind::InvalidFeature {
                            message,
                            found: Label::new(self.files, "defined here", file, at),
                        });
                    }
                }
            }
        }
    }
}

/// Why a language feature (`name`: its field's) with these (encoded) FieldOptions may not be
/// set on target type `target` in edition `edition`, if it may not; buf's words.
fn refusal(feature_options: &[u8], target: u64, edition: i32, name: &str) -> Option<String> {
    let fields = encoded_fields(feature_options);
    let targets: Vec<u64> = fields
        .iter()
        .filter(|(n, _)| *n == 19)
        .flat_map(|(_, v)| match v {
            Ok(t) => vec![*t],
            // Packed.
            Err(bytes) => {
                let mut bytes = *bytes;
                let mut all = Vec::new();
                while let Ok(t) = prost::encoding::decode_varint(&mut bytes) {
                    all.push(t);
                }
                all
            }
        })
        .collect();
    if !targets.is_empty() && !targets.contains(&target) {
        return Some(format!("unsupported option target for `{name}`"));
    }
    let support = fields.iter().find_map(|(n, v)| match (n, v) {
        (22, Err(bytes)) => Some(encoded_fields(bytes)),
        _ => None,
    })?;
    let edition_of = |number: u32| {
        support
            .iter()
            .find_map(|(n, v)| (*n == number).then(|| v.ok()).flatten())
    };
    let named = |e: u64| match e {
        1000 => "2023".to_string(),
        1001 => "2024".to_string(),
        e => e.to_string(),
    };
    match (edition_of(1), edition_of(4)) {
        (Some(introduced), _) if (edition as u64) < introduced => Some(format!(
            "`{name}` is not supported in Edition {}",
            named(edition as u64)
        )),
        (_, Some(removed)) if (edition as u64) >= removed => Some(format!(
            "`{name}` was removed in Edition {}",
            named(removed)
        )),
        _ => None,
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
    if files[file as usize].raw.edition >= Some(EDITION_2024)
        && raw
            .options
            .as_ref()
            .is_some_and(|o| o.value.ctype.is_some())
    {
        error("`ctype` is not supported in Edition 2024: use features.(pb.cpp).string_type");
    }
    resolved
}

/// `Edition.EDITION_2024`.
const EDITION_2024: i32 = 1001;

/// protoc's file options that editions files may not set: `java_string_check_utf8` (use
/// `features.(pb.java).utf8_validation`) in any edition, `java_multiple_files` (use
/// `features.(pb.java).nest_in_file_class`) from edition 2024.
fn check_file(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    file: FileIndex,
) {
    let raw = &files[file as usize].raw;
    let Some(options) = raw.options.as_ref() else {
        return;
    };
    let mut refuse = |set: bool, message: &str, option: &[i32]| {
        if set {
            errors.push(DescriptorErrorKind::InvalidFeature {
                message: message.into(),
                found: Label::new(
                    files,
                    "set here",
                    file,
                    join_path(&[tag::file::OPTIONS], option),
                ),
            });
        }
    };
    refuse(
        options.value.java_string_check_utf8.is_some(),
        "cannot set `java_string_check_utf8` in editions mode: use features.(pb.java).utf8_validation",
        &[27],
    );
    let visibility_set = encoded_fields(&options.encoded)
        .into_iter()
        .filter_map(|(n, v)| (n == features_tag::FILE).then_some(v.err()).flatten())
        .any(|features| encoded_fields(features).iter().any(|(n, _)| *n == 8));
    refuse(
        raw.edition < Some(EDITION_2024) && visibility_set,
        "`default_symbol_visibility` is not supported in Edition 2023",
        &[50, 8],
    );
    refuse(
        raw.edition >= Some(EDITION_2024) && options.value.java_multiple_files.is_some(),
        "`java_multiple_files` is not supported in Edition 2024: use features.(pb.java).nest_in_file_class",
        &[10],
    );
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
        let element = match target {
            Target::Message => Element::Message,
            Target::Field => Element::Field,
            Target::Oneof => Element::Oneof,
            Target::Enum => Element::Enum,
            Target::EnumValue => Element::EnumValue,
        };
        errors.push(DescriptorErrorKind::InvalidFeature {
            message: format!("unsupported option target for `{name}`"),
            found: feature_label(files, file, path, element, None),
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

/// A message field with delimited encoding is a group on the wire, except a map's entries and
/// the fields of a map entry (its value): protoc (PostProcessFieldFeatures) and upb keep those
/// length-prefixed.
fn lowered_kind(
    kind: KindIndex,
    features: &FeatureSet,
    in_map_entry: bool,
    raw: &FieldDescriptorProto,
    messages: &[crate::descriptor::MessageDescriptorInner],
    files: &[FileDescriptorInner],
) -> KindIndex {
    match kind {
        KindIndex::Message(message)
            if features.message_encoding == Some(DELIMITED) && !in_map_entry =>
        {
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

/// `FeatureSet.EnforceNamingStyle.STYLE_LEGACY`.
const STYLE_LEGACY: i32 = 2;

/// An element whose options may set features, for the checks that visit every element.
#[derive(Clone, Copy, PartialEq)]
enum Element {
    File,
    Message,
    /// The message protoc writes for a map field (named after it, so not judged by its name).
    MapEntry,
    /// `extensions 100 to 200 [...]` (no name).
    ExtensionRange,
    Field,
    Extension,
    Oneof,
    Enum,
    EnumValue,
    Service,
    Method,
}

impl Element {
    /// Its options' `features` field, and the field of its descriptor that holds its options.
    fn tags(self) -> (u32, i32) {
        match self {
            Element::File => (features_tag::FILE, tag::file::OPTIONS),
            Element::Message | Element::MapEntry => (features_tag::MESSAGE, tag::message::OPTIONS),
            Element::ExtensionRange => (
                features_tag::EXTENSION_RANGE,
                tag::message::extension_range::OPTIONS,
            ),
            Element::Field | Element::Extension => (features_tag::FIELD, tag::field::OPTIONS),
            Element::Oneof => (features_tag::ONEOF, tag::oneof::OPTIONS),
            Element::Enum => (features_tag::ENUM, tag::enum_::OPTIONS),
            Element::EnumValue => (features_tag::ENUM_VALUE, tag::enum_value::OPTIONS),
            Element::Service => (features_tag::SERVICE, tag::service::OPTIONS),
            Element::Method => (features_tag::METHOD, tag::method::OPTIONS),
        }
    }

    /// What buf says when STYLE2024 is on and `name` breaks it, if it does.
    fn naming_violation(self, name: &str) -> Option<&'static str> {
        let (ok, message) = match self {
            Element::File => (
                name.is_empty() || name.split('.').all(is_snake_case),
                "package name should be lower_snake_case",
            ),
            Element::Message => (
                is_pascal_case(name),
                "message type name should be PascalCase",
            ),
            Element::MapEntry | Element::ExtensionRange => (true, ""),
            Element::Field => (is_snake_case(name), "field name should be snake_case"),
            Element::Extension => (is_snake_case(name), "extension name should be snake_case"),
            Element::Oneof => (is_snake_case(name), "oneof name should be snake_case"),
            Element::Enum => (is_pascal_case(name), "enum type name should be PascalCase"),
            Element::EnumValue => (
                is_screaming_snake_case(name),
                "enum value name should be SCREAMING_SNAKE_CASE",
            ),
            Element::Service => (is_pascal_case(name), "service name should be PascalCase"),
            Element::Method => (is_pascal_case(name), "RPC method name should be PascalCase"),
        };
        (!ok).then_some(message)
    }
}

/// `FooBar`: a capital first, then letters and digits.
fn is_pascal_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `foo_bar2`: lower case letters, digits, and underscores each between a character and a
/// letter (so not `foo_1`, `_foo`, `foo_` or `foo__bar`).
fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && underscores_before(name, |c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `FOO_BAR2`: as snake case, in upper case.
fn is_screaming_snake_case(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('_')
        && underscores_before(name, |c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Every underscore of `name` is followed by a letter that `letter` accepts.
fn underscores_before(name: &str, letter: impl Fn(char) -> bool) -> bool {
    let bytes = name.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'_')
        .all(|(i, _)| bytes.get(i + 1).is_some_and(|next| letter(*next as char)))
}

fn encoded<T>(options: &Option<crate::descriptor::types::Options<T>>) -> Option<&[u8]> {
    options.as_ref().map(|o| &o.encoded[..])
}

/// Calls `visit(parent's state, element, path, name, encoded options)` on every element of
/// `file`, parents first; what it returns is the state of the element's children (a field of
/// a oneof gets the oneof's).
fn walk<S: Copy>(
    file: &FileDescriptorProto,
    state: S,
    visit: &mut impl FnMut(S, Element, &[i32], &str, Option<&[u8]>) -> S,
) {
    let state = visit(
        state,
        Element::File,
        &[],
        file.package(),
        encoded(&file.options),
    );
    for (i, message) in file.message_type.iter().enumerate() {
        walk_message(message, &[tag::file::MESSAGE_TYPE, i as i32], state, visit);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        walk_enum(e, &[tag::file::ENUM_TYPE, i as i32], state, visit);
    }
    for (i, service) in file.service.iter().enumerate() {
        let path = [tag::file::SERVICE, i as i32];
        let inner = visit(
            state,
            Element::Service,
            &path,
            service.name(),
            encoded(&service.options),
        );
        for (j, method) in service.method.iter().enumerate() {
            let path = join_path(&path, &[tag::service::METHOD, j as i32]);
            visit(
                inner,
                Element::Method,
                &path,
                method.name(),
                encoded(&method.options),
            );
        }
    }
    for (i, extension) in file.extension.iter().enumerate() {
        let path = [tag::file::EXTENSION, i as i32];
        let options = encoded(&extension.options);
        visit(state, Element::Extension, &path, extension.name(), options);
    }
}

fn walk_message<S: Copy>(
    message: &DescriptorProto,
    path: &[i32],
    parent: S,
    visit: &mut impl FnMut(S, Element, &[i32], &str, Option<&[u8]>) -> S,
) {
    let map_entry = message
        .options
        .as_ref()
        .is_some_and(|o| o.value.map_entry());
    let element = if map_entry {
        Element::MapEntry
    } else {
        Element::Message
    };
    let state = visit(
        parent,
        element,
        path,
        message.name(),
        encoded(&message.options),
    );
    let at = |tail: &[i32]| join_path(path, tail);
    let oneofs: Vec<S> = (message.oneof_decl.iter().enumerate())
        .map(|(i, oneof)| {
            let path = at(&[tag::message::ONEOF_DECL, i as i32]);
            visit(
                state,
                Element::Oneof,
                &path,
                oneof.name(),
                encoded(&oneof.options),
            )
        })
        .collect();
    for (i, field) in message.field.iter().enumerate() {
        let parent = field
            .oneof_index
            .and_then(|o| oneofs.get(o as usize).copied())
            .unwrap_or(state);
        let path = at(&[tag::message::FIELD, i as i32]);
        visit(
            parent,
            Element::Field,
            &path,
            field.name(),
            encoded(&field.options),
        );
    }
    for (i, extension) in message.extension.iter().enumerate() {
        let path = at(&[tag::message::EXTENSION, i as i32]);
        let options = encoded(&extension.options);
        visit(state, Element::Extension, &path, extension.name(), options);
    }
    for (i, range) in message.extension_range.iter().enumerate() {
        let path = at(&[tag::message::EXTENSION_RANGE, i as i32]);
        visit(
            state,
            Element::ExtensionRange,
            &path,
            "",
            encoded(&range.options),
        );
    }
    for (i, nested) in message.nested_type.iter().enumerate() {
        walk_message(
            nested,
            &at(&[tag::message::NESTED_TYPE, i as i32]),
            state,
            visit,
        );
    }
    for (i, e) in message.enum_type.iter().enumerate() {
        walk_enum(e, &at(&[tag::message::ENUM_TYPE, i as i32]), state, visit);
    }
}

fn walk_enum<S: Copy>(
    e: &crate::descriptor::types::EnumDescriptorProto,
    path: &[i32],
    parent: S,
    visit: &mut impl FnMut(S, Element, &[i32], &str, Option<&[u8]>) -> S,
) {
    let state = visit(parent, Element::Enum, path, e.name(), encoded(&e.options));
    for (i, value) in e.value.iter().enumerate() {
        let path = join_path(path, &[tag::enum_::VALUE, i as i32]);
        visit(
            state,
            Element::EnumValue,
            &path,
            value.name(),
            encoded(&value.options),
        );
    }
}

/// The option of the element at `path` that sets `features` (and in it `feature`, if given),
/// where the source locates it; else the element.
fn feature_label(
    files: &[FileDescriptorInner],
    file: FileIndex,
    path: &[i32],
    element: Element,
    feature: Option<i32>,
) -> Label {
    let at = feature_path(files, file, path, element, feature);
    Label::new(files, "set here", file, at)
}

/// The path of [`feature_label`].
fn feature_path(
    files: &[FileDescriptorInner],
    file: FileIndex,
    path: &[i32],
    element: Element,
    feature: Option<i32>,
) -> Box<[i32]> {
    let (features, options) = element.tags();
    let option = join_path(path, &[options, features as i32]);
    let with_feature = join_path(&option, &feature.map_or(vec![], |f| vec![f]));
    let locations = files[file as usize]
        .raw
        .source_code_info
        .as_ref()
        .map_or(&[][..], |s| &s.location[..]);
    let located = [&with_feature, &option].into_iter().find_map(|prefix| {
        locations
            .iter()
            .find(|l| l.path.starts_with(prefix))
            .map(|l| l.path.clone().into_boxed_slice())
    });
    located.unwrap_or_else(|| path.into())
}

/// Of an editions file, what protoc and buf check on every element: edition 2024's naming
/// style (`features.enforce_naming_style`: STYLE2024 by default from 2024, STYLE_LEGACY
/// before; buf's rules and words), each element judged by its own resolved feature; the
/// feature refused before 2024; a core feature set to its `*_UNKNOWN` value (0); and the
/// core features an enum value may not set (the other elements' are checked where their
/// features are resolved).
fn check_elements(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    file: FileIndex,
) {
    let raw = &files[file as usize].raw;
    let edition = raw.edition.unwrap_or(0);
    let default = if edition >= EDITION_2024 {
        STYLE2024
    } else {
        STYLE_LEGACY
    };
    walk(raw, default, &mut |parent, element, path, name, options| {
        let (features, _) = element.tags();
        let own = options.map_or_else(FeatureSet::default, |o| features_in(o, features));
        // `FIELD_PRESENCE_UNKNOWN` and the like (0) name no behaviour.
        let unknown = [
            ("field_presence", own.field_presence),
            ("enum_type", own.enum_type),
            ("repeated_field_encoding", own.repeated_field_encoding),
            ("utf8_validation", own.utf8_validation),
            ("message_encoding", own.message_encoding),
            ("json_format", own.json_format),
            ("enforce_naming_style", own.enforce_naming_style),
            ("default_symbol_visibility", own.default_symbol_visibility),
        ];
        for (number, (name, _)) in (1..).zip(unknown).filter(|(_, (_, v))| *v == Some(0)) {
            errors.push(DescriptorErrorKind::InvalidFeature {
                message: format!("feature field `{name}` must resolve to a known value"),
                found: feature_label(files, file, path, element, Some(number)),
            });
        }
        if own.enforce_naming_style.is_some() && edition < EDITION_2024 {
            errors.push(DescriptorErrorKind::InvalidFeature {
                message: "`enforce_naming_style` is not supported in Edition 2023".into(),
                found: feature_label(files, file, path, element, Some(7)),
            });
        }
        // buf does not check the targets of a service's or a method's features.
        if element == Element::EnumValue {
            misplaced(files, errors, &own, Target::EnumValue, file, path);
        }
        let style = own.enforce_naming_style.unwrap_or(parent);
        if let Some(message) = (style == STYLE2024)
            .then(|| element.naming_violation(name))
            .flatten()
        {
            let name_path = match element {
                Element::File => Box::from([tag::file::PACKAGE]),
                _ => join_path(path, &[tag::message::NAME]),
            };
            errors.push(DescriptorErrorKind::InvalidFeature {
                message: message.into(),
                found: Label::new(files, "this name violates STYLE2024", file, name_path),
            });
        }
        style
    });
}

/// `SymbolVisibility.VISIBILITY_EXPORT`, and `DefaultSymbolVisibility.STRICT`.
const EXPORT: i32 = 2;
const STRICT: i32 = 4;

/// Edition 2024's STRICT visibility (`features.default_symbol_visibility = STRICT`), as
/// protoc's SymbolChecker and buf check it: no nested message may be written `export`, and a
/// nested enum only directly in a top-level local message whose one reserved range is
/// `1 to max` (the "C++ namespace exception"); buf's words.
fn check_strict_exports(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    file: FileIndex,
) {
    let raw = &files[file as usize].raw;
    if written(&raw.options, features_tag::FILE).default_symbol_visibility != Some(STRICT) {
        return;
    }
    for (i, message) in raw.message_type.iter().enumerate() {
        let name = match raw.package() {
            "" => message.name().to_owned(),
            package => format!("{package}.{}", message.name()),
        };
        let path = [tag::file::MESSAGE_TYPE, i as i32];
        strict_nested_exports(files, errors, file, &path, message, &name, true);
    }
}

fn strict_nested_exports(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    file: FileIndex,
    path: &[i32],
    message: &DescriptorProto,
    full_name: &str,
    top_level: bool,
) {
    let refusal = |text: String, path: Box<[i32]>| DescriptorErrorKind::InvalidFeature {
        message: text,
        found: Label::new(files, "nested type exported here", file, path),
    };
    for (i, nested) in message.nested_type.iter().enumerate() {
        let nested_path = join_path(path, &[tag::message::NESTED_TYPE, i as i32]);
        if nested.visibility == Some(EXPORT) {
            let text = "nested message type marked as exported".to_string();
            errors.push(refusal(text, nested_path.clone()));
        }
        let name = format!("{full_name}.{}", nested.name());
        strict_nested_exports(files, errors, file, &nested_path, nested, &name, false);
    }
    for (i, e) in message.enum_type.iter().enumerate() {
        if e.visibility != Some(EXPORT) {
            continue;
        }
        let text = if !top_level || message.visibility == Some(EXPORT) {
            "nested enum type marked as exported".to_string()
        } else if !reserves_every_number(message) {
            format!("message type `{full_name}` does not reserve all field numbers")
        } else if message.reserved_range.len() != 1 {
            "expected exactly one reserved range".to_string()
        } else {
            continue;
        };
        let enum_path = join_path(path, &[tag::message::ENUM_TYPE, i as i32]);
        errors.push(refusal(text, enum_path));
    }
}

/// Whether the message's reserved ranges cover every field number (1 to 536,870,911).
fn reserves_every_number(message: &DescriptorProto) -> bool {
    let mut ranges: Vec<(i32, i32)> = (message.reserved_range.iter())
        .map(|r| (r.start(), r.end()))
        .collect();
    ranges.sort_unstable();
    let mut next = 1; // the first number not reserved yet
    for (start, end) in ranges {
        if start > next {
            break;
        }
        next = next.max(end);
    }
    next > 536_870_911
}

/// Calls `visit(path, enum)` on every enum of `file`.
fn walk_enums(
    file: &FileDescriptorProto,
    visit: &mut impl FnMut(&[i32], &crate::descriptor::types::EnumDescriptorProto),
) {
    fn in_message(
        message: &DescriptorProto,
        path: &[i32],
        visit: &mut impl FnMut(&[i32], &crate::descriptor::types::EnumDescriptorProto),
    ) {
        for (i, e) in message.enum_type.iter().enumerate() {
            visit(&join_path(path, &[tag::message::ENUM_TYPE, i as i32]), e);
        }
        for (i, nested) in message.nested_type.iter().enumerate() {
            in_message(
                nested,
                &join_path(path, &[tag::message::NESTED_TYPE, i as i32]),
                visit,
            );
        }
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        visit(&[tag::file::ENUM_TYPE, i as i32], e);
    }
    for (i, message) in file.message_type.iter().enumerate() {
        in_message(message, &[tag::file::MESSAGE_TYPE, i as i32], visit);
    }
}

/// protoc's CheckEnumValueUniqueness, where the JSON format is ALLOW (buf's scope: proto3,
/// and editions unless LEGACY_BEST_EFFORT): two values with different numbers may not have
/// the same PascalCase name once the enum's name is stripped from their front
/// (`COLOR_RED` and `RED` in `enum Color`), so that generators can strip it. buf's words.
fn enum_prefix_conflicts(
    files: &[FileDescriptorInner],
    errors: &mut Vec<DescriptorErrorKind>,
    file: FileIndex,
    path: &[i32],
    e: &crate::descriptor::types::EnumDescriptorProto,
) {
    let prefix: Vec<u8> = (e.name().bytes())
        .filter(|c| *c != b'_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut seen: HashMap<String, (&str, i32)> = HashMap::new();
    for (i, value) in e.value.iter().enumerate() {
        let stripped = pascal_case(strip_prefix(value.name(), &prefix));
        match seen.entry(stripped) {
            Entry::Occupied(first) => {
                let (name, number) = *first.get();
                if name != value.name() && number != value.number() {
                    errors.push(DescriptorErrorKind::InvalidFeature {
                        message: format!(
                            "enum values have the same name with the `{}` prefix removed",
                            e.name()
                        ),
                        found: Label::new(
                            files,
                            "defined here",
                            file,
                            join_path(path, &[tag::enum_::VALUE, i as i32, tag::enum_value::NAME]),
                        ),
                    });
                }
            }
            Entry::Vacant(entry) => {
                entry.insert((value.name(), value.number()));
            }
        }
    }
}

/// `name` without `prefix` (lower case, no underscores) at its front, ignoring case and
/// underscores, and the underscores after it; `name` itself if it does not start so or is
/// nothing more.
fn strip_prefix<'a>(name: &'a str, prefix: &[u8]) -> &'a str {
    let bytes = name.as_bytes();
    let (mut i, mut j) = (0, 0);
    while i < bytes.len() && j < prefix.len() {
        if bytes[i] != b'_' {
            if bytes[i].to_ascii_lowercase() != prefix[j] {
                return name;
            }
            j += 1;
        }
        i += 1;
    }
    if j < prefix.len() {
        return name;
    }
    while i < bytes.len() && bytes[i] == b'_' {
        i += 1;
    }
    if i == bytes.len() {
        name
    } else {
        &name[i..]
    }
}

/// `FOO_BAR` as `FooBar`: each letter after an underscore (or first) upper case, the others
/// lower case, without the underscores.
fn pascal_case(name: &str) -> String {
    let mut upper = true;
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else {
            out.push(if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
            upper = false;
        }
    }
    out
}
