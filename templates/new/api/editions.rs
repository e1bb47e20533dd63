// Written by `protogen new` and `protogen sync`, the same for every editions contract;
// protogen owns this file.
//! Lowers the editions files of a compiled contract to proto2 or proto3 descriptors with the
//! same meaning, because prost-build and tonic-prost-build read `syntax` alone (prost #1031).
//!
//! The features, resolved by the compiler's prost-reflect (file → message → oneof → field),
//! become what proto2/proto3 descriptors say with labels and options: a singular field with
//! explicit presence is `optional` (proto2's label, or proto3's `proto3_optional` with its
//! synthetic oneof), LEGACY_REQUIRED is `required`, a DELIMITED message field is a group
//! (TYPE_GROUP), a repeated scalar says `packed` explicitly. A file whose fields all have
//! presence becomes proto2 (its enums closed, as it may declare closed enums), one with an
//! implicit-presence field proto3. Everything else of the file (options and their
//! extensions, source info, so comments and locations) is kept byte for byte; proto2 and
//! proto3 files pass through untouched.
//!
//! One feature has no proto2/proto3 spelling: `features.utf8_validation = NONE`, a string
//! whose bytes need not be UTF-8, which a Rust `String` cannot hold (prost would refuse the
//! whole message). For the generated types only ([`lower_for_code`]) such a field is `bytes`
//! (`Vec<u8>`, the same wire); the set the runtime reads (reflection, REST, validation) keeps
//! it a string, as the contract says. A map's keys and values stay `String`.

use prost::bytes::Buf;
use prost::encoding::{decode_key, skip_field, DecodeContext};
use prost::Message;
use prost_reflect::{Cardinality, DescriptorPool, FieldDescriptor, Kind};

/// `encoded` (a FileDescriptorSet) with its editions files lowered; `pool` is the same
/// contract compiled, whose fields carry the resolved features.
pub fn lower(pool: &DescriptorPool, encoded: &[u8]) -> Result<Vec<u8>, String> {
    lower_with(pool, encoded, false)
}

/// [`lower`], for prost-build: string fields whose `utf8_validation` is NONE become bytes.
pub fn lower_for_code(pool: &DescriptorPool, encoded: &[u8]) -> Result<Vec<u8>, String> {
    lower_with(pool, encoded, true)
}

fn lower_with(pool: &DescriptorPool, encoded: &[u8], code: bool) -> Result<Vec<u8>, String> {
    let mut set = RawSet::decode(encoded).map_err(|e| format!("bad descriptor set: {e}"))?;
    for bytes in &mut set.file {
        let mut file = File::decode(bytes.as_slice()).map_err(|e| format!("bad file: {e}"))?;
        if file.syntax.as_deref() != Some("editions") {
            continue;
        }
        lower_file(pool, &mut file, code)?;
        *bytes = file.encode_to_vec();
    }
    Ok(set.encode_to_vec())
}

fn lower_file(pool: &DescriptorPool, file: &mut File, code: bool) -> Result<(), String> {
    let name = file.name.clone().unwrap_or_default();
    let package = file.package.clone().unwrap_or_default();
    let scope = |name: &str| {
        if package.is_empty() {
            name.to_string()
        } else {
            format!("{package}.{name}")
        }
    };
    let mut implicit = false;
    for message in &file.message_type {
        implicit |= has_implicit(pool, message, &scope(message.name()))?;
    }
    let proto3 = implicit;
    for message in &mut file.message_type {
        let full = scope(message.name());
        lower_message(pool, message, &full, proto3, &name, code)?;
    }
    for extension in &mut file.extension {
        let full = scope(extension.name());
        lower_extension(pool, extension, &full, &name)?;
    }
    for enum_ in &mut file.enum_type {
        lower_enum(enum_, &scope(enum_.name()), proto3, &name)?;
    }
    strip(&mut file.options, FEATURES_OF_FILE);
    file.syntax = Some(if proto3 { "proto3" } else { "proto2" }.to_string());
    file.edition = None;
    Ok(())
}

/// Whether a singular field of `message` (or of a message nested in it) has implicit presence.
fn has_implicit(pool: &DescriptorPool, message: &Msg, full: &str) -> Result<bool, String> {
    let descriptor = pool
        .get_message_by_name(full)
        .ok_or_else(|| format!("message {full} is not in the pool"))?;
    if descriptor.is_map_entry() {
        return Ok(false);
    }
    if descriptor
        .fields()
        .any(|f| f.cardinality() != Cardinality::Repeated && !f.supports_presence())
    {
        return Ok(true);
    }
    for nested in &message.nested_type {
        if has_implicit(pool, nested, &format!("{full}.{}", nested.name()))? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lower_message(
    pool: &DescriptorPool,
    message: &mut Msg,
    full: &str,
    proto3: bool,
    file: &str,
    code: bool,
) -> Result<(), String> {
    let descriptor = pool
        .get_message_by_name(full)
        .ok_or_else(|| format!("{file}: message {full} is not in the pool"))?;
    let map_entry = descriptor.is_map_entry();
    let real_oneofs = message.oneof_decl.len();
    for field in &mut message.field {
        let resolved: FieldDescriptor = descriptor
            .get_field(field.number() as u32)
            .ok_or_else(|| format!("{file}: field {full}.{} is not in the pool", field.name()))?;
        lower_field(
            field,
            &resolved.cardinality(),
            &resolved.kind(),
            resolved.is_group(),
            resolved.is_packed(),
        );
        if code && !map_entry && resolved.kind() == Kind::String && unvalidated(&resolved) {
            field.r#type = Some(TYPE_BYTES);
            field.default_value = field.default_value.take().map(|text| escaped(&text));
        }
        // proto3 says explicit presence of a singular field with `proto3_optional` and a
        // synthetic oneof (after the real ones, so the source info's oneof paths hold).
        let singular_scalar = resolved.cardinality() == Cardinality::Optional
            && (!matches!(resolved.kind(), Kind::Message(_)) || resolved.is_group());
        if proto3
            && !map_entry
            && singular_scalar
            && field.oneof_index.is_none()
            && resolved.supports_presence()
        {
            let taken = |name: &str| {
                message.oneof_decl.iter().any(|o| o.name() == name)
                    || descriptor.fields().any(|f| f.name() == name)
            };
            let mut oneof = format!("_{}", field.name());
            while taken(&oneof) {
                oneof.insert(0, 'X');
            }
            field.proto3_optional = Some(true);
            field.oneof_index = Some(message.oneof_decl.len() as i32);
            message.oneof_decl.push(Oneof {
                name: Some(oneof),
                options: None,
            });
        }
    }
    for oneof in &mut message.oneof_decl[..real_oneofs] {
        strip(&mut oneof.options, FEATURES_OF_ONEOF);
    }
    for extension in &mut message.extension {
        let name = format!("{full}.{}", extension.name());
        lower_extension(pool, extension, &name, file)?;
    }
    for nested in &mut message.nested_type {
        let name = format!("{full}.{}", nested.name());
        lower_message(pool, nested, &name, proto3, file, code)?;
    }
    for enum_ in &mut message.enum_type {
        let name = format!("{full}.{}", enum_.name());
        lower_enum(enum_, &name, proto3, file)?;
    }
    strip(&mut message.options, FEATURES_OF_MESSAGE);
    Ok(())
}

/// An extension (`full` is its full name) as its resolved kind, cardinality and packing say.
fn lower_extension(
    pool: &DescriptorPool,
    extension: &mut Field,
    full: &str,
    file: &str,
) -> Result<(), String> {
    let resolved = pool
        .get_extension_by_name(full)
        .ok_or_else(|| format!("{file}: extension {full} is not in the pool"))?;
    lower_field(
        extension,
        &resolved.cardinality(),
        &resolved.kind(),
        resolved.is_group(),
        resolved.is_packed(),
    );
    Ok(())
}

/// The label, type and packing of one field or extension, as its resolved features say.
fn lower_field(
    field: &mut Field,
    cardinality: &Cardinality,
    kind: &Kind,
    group: bool,
    packed: bool,
) {
    if *cardinality == Cardinality::Required {
        field.label = Some(LABEL_REQUIRED);
    }
    if group {
        field.r#type = Some(TYPE_GROUP);
    }
    strip(&mut field.options, FEATURES_OF_FIELD);
    let packable = !matches!(kind, Kind::String | Kind::Bytes | Kind::Message(_));
    if *cardinality == Cardinality::Repeated && packable {
        strip(&mut field.options, PACKED);
        let options = field.options.get_or_insert_with(Vec::new);
        prost::encoding::bool::encode(PACKED, &packed, options);
    }
}

/// Editions checked that an open enum starts at 0; a closed one may not, which proto3 (and so
/// the runtime's descriptor pool) refuses.
fn lower_enum(enum_: &mut Enum, full: &str, proto3: bool, file: &str) -> Result<(), String> {
    if proto3 {
        if let Some(first) = enum_
            .value
            .first()
            .and_then(|v| EnumValue::decode(v.as_slice()).ok())
        {
            if first.number.unwrap_or(0) != 0 {
                return Err(format!(
                    "{file}: the closed enum {full} starts at {} in a file with implicit-presence \
                     fields, which prost reads as proto3, where enums start at 0: move the enum \
                     to a file of its own, or give it a first value 0",
                    first.number.unwrap_or(0)
                ));
            }
        }
    }
    strip(&mut enum_.options, FEATURES_OF_ENUM);
    Ok(())
}

/// Whether the field's resolved `features.utf8_validation` is NONE: its own, else its file's
/// (the feature targets fields and files only; editions default to VERIFY).
fn unvalidated(field: &FieldDescriptor) -> bool {
    let utf8 = |options: prost_reflect::DynamicMessage| {
        let features = options.get_field_by_name("features")?;
        let features = features.as_message()?;
        features
            .has_field_by_name("utf8_validation")
            .then(|| {
                features
                    .get_field_by_name("utf8_validation")?
                    .as_enum_number()
            })
            .flatten()
    };
    utf8(field.options()).or_else(|| utf8(field.parent_file().options())) == Some(UTF8_NONE)
}

/// A string default as a bytes default: C escapes for what is not printable ASCII.
fn escaped(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'\\' => "\\\\".to_string(),
            b'"' | b'\'' => format!("\\{}", b as char),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\{b:03o}"),
        })
        .collect()
}

const LABEL_REQUIRED: i32 = 2;
const TYPE_GROUP: i32 = 10;
const TYPE_BYTES: i32 = 12;
/// `FeatureSet.Utf8Validation.NONE`.
const UTF8_NONE: i32 = 3;
/// `features` in each options message, and FieldOptions' `packed`.
const FEATURES_OF_FILE: u32 = 50;
const FEATURES_OF_MESSAGE: u32 = 12;
const FEATURES_OF_FIELD: u32 = 21;
const FEATURES_OF_ONEOF: u32 = 1;
const FEATURES_OF_ENUM: u32 = 7;
const PACKED: u32 = 2;

/// Removes field `tag` from encoded options, keeping every other field (extensions
/// included) as it was.
fn strip(options: &mut Option<Vec<u8>>, tag: u32) {
    let Some(bytes) = options.as_mut() else {
        return;
    };
    let mut kept = Vec::with_capacity(bytes.len());
    let mut rest: &[u8] = bytes;
    while rest.has_remaining() {
        let start = bytes.len() - rest.len();
        let Ok((number, wire_type)) = decode_key(&mut rest) else {
            return; // not options we can read: left as they are
        };
        if skip_field(wire_type, number, &mut rest, DecodeContext::default()).is_err() {
            return;
        }
        let end = bytes.len() - rest.len();
        if number != tag {
            kept.extend_from_slice(&bytes[start..end]);
        }
    }
    *options = (!kept.is_empty()).then_some(kept);
}

// descriptor.proto's messages, as far as lowering reads or writes them; options, services,
// ranges and source info stay encoded, so nothing of them is lost. Every field of these
// messages is here: prost drops the ones a struct does not declare.

#[derive(Clone, PartialEq, Message)]
struct RawSet {
    #[prost(bytes = "vec", repeated, tag = "1")]
    file: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct File {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(string, repeated, tag = "3")]
    dependency: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    message_type: Vec<Msg>,
    #[prost(message, repeated, tag = "5")]
    enum_type: Vec<Enum>,
    #[prost(bytes = "vec", repeated, tag = "6")]
    service: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "7")]
    extension: Vec<Field>,
    #[prost(bytes = "vec", optional, tag = "8")]
    options: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "9")]
    source_code_info: Option<Vec<u8>>,
    #[prost(int32, repeated, packed = "false", tag = "10")]
    public_dependency: Vec<i32>,
    #[prost(int32, repeated, packed = "false", tag = "11")]
    weak_dependency: Vec<i32>,
    #[prost(string, optional, tag = "12")]
    syntax: Option<String>,
    #[prost(int32, optional, tag = "14")]
    edition: Option<i32>,
    #[prost(string, repeated, tag = "15")]
    option_dependency: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Msg {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    field: Vec<Field>,
    #[prost(message, repeated, tag = "3")]
    nested_type: Vec<Msg>,
    #[prost(message, repeated, tag = "4")]
    enum_type: Vec<Enum>,
    #[prost(bytes = "vec", repeated, tag = "5")]
    extension_range: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "6")]
    extension: Vec<Field>,
    #[prost(bytes = "vec", optional, tag = "7")]
    options: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "8")]
    oneof_decl: Vec<Oneof>,
    #[prost(bytes = "vec", repeated, tag = "9")]
    reserved_range: Vec<Vec<u8>>,
    #[prost(string, repeated, tag = "10")]
    reserved_name: Vec<String>,
    #[prost(int32, optional, tag = "11")]
    visibility: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct Field {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    extendee: Option<String>,
    #[prost(int32, optional, tag = "3")]
    number: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    label: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    r#type: Option<i32>,
    #[prost(string, optional, tag = "6")]
    type_name: Option<String>,
    #[prost(string, optional, tag = "7")]
    default_value: Option<String>,
    #[prost(bytes = "vec", optional, tag = "8")]
    options: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "9")]
    oneof_index: Option<i32>,
    #[prost(string, optional, tag = "10")]
    json_name: Option<String>,
    #[prost(bool, optional, tag = "17")]
    proto3_optional: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct Oneof {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(bytes = "vec", optional, tag = "2")]
    options: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct Enum {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    value: Vec<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "3")]
    options: Option<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "4")]
    reserved_range: Vec<Vec<u8>>,
    #[prost(string, repeated, tag = "5")]
    reserved_name: Vec<String>,
    #[prost(int32, optional, tag = "6")]
    visibility: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct EnumValue {
    #[prost(int32, optional, tag = "2")]
    number: Option<i32>,
}
