//! One model of a compiled contract, the one reader of descriptors: every element by full
//! name with its file, SourceCodeInfo path, location, comments and resolved properties.
//!
//! compat, diff, consumers and lint all ask this model, so a question such as "is this oneof
//! synthetic?", "what is this field's JSON name?" or "is this message a map entry?" has one
//! answer. Containers (files, messages, enums, services, extensions) are indexed when the
//! model is built; members (fields, oneofs, enum values, RPCs) are cheap views over their
//! container, so building the model of a large contract costs one walk of its declarations.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::source_code_info::Location as SourceLocation;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MethodDescriptorProto, OneofDescriptorProto, ServiceDescriptorProto,
};

use super::features::{self, FeatureSet};
use super::location::{self, Span};
use super::Contract;

/// Field numbers of descriptor.proto, as used in SourceCodeInfo paths.
pub mod tag {
    pub const FILE_PACKAGE: i32 = 2;
    pub const FILE_MESSAGE: i32 = 4;
    pub const FILE_ENUM: i32 = 5;
    pub const FILE_SERVICE: i32 = 6;
    pub const FILE_EXTENSION: i32 = 7;
    pub const FILE_OPTIONS: i32 = 8;
    pub const FILE_SYNTAX: i32 = 12;
    pub const MESSAGE_FIELD: i32 = 2;
    pub const MESSAGE_NESTED: i32 = 3;
    pub const MESSAGE_ENUM: i32 = 4;
    pub const MESSAGE_EXTENSION: i32 = 6;
    pub const MESSAGE_OPTIONS: i32 = 7;
    pub const MESSAGE_ONEOF: i32 = 8;
    pub const ENUM_VALUE: i32 = 2;
    pub const SERVICE_METHOD: i32 = 2;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Proto2,
    Proto3,
    /// `edition = "2023";` or later: behaviour set by features ([`Model::features`]).
    Editions,
}

impl Syntax {
    pub fn of(file: &FileDescriptorProto) -> Syntax {
        match file.syntax() {
            "proto3" => Syntax::Proto3,
            "editions" => Syntax::Editions,
            _ => Syntax::Proto2,
        }
    }

    /// As written in the `syntax` statement (`proto2` when there is none).
    pub fn text(self) -> &'static str {
        match self {
            Syntax::Proto2 => "proto2",
            Syntax::Proto3 => "proto3",
            Syntax::Editions => "editions",
        }
    }
}

/// A field's cardinality as buf distinguishes it: presence for singular fields, and maps
/// apart from other repeated fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// Singular with explicit presence (proto2 `optional`, proto3 `optional`, a oneof
    /// member, a message, an extension).
    Explicit,
    /// Singular with implicit presence (a proto3 scalar outside a oneof).
    Implicit,
    Required,
    Repeated,
    Map,
}

impl Cardinality {
    /// In a sentence: `singular` (implicit presence), `optional` (explicit presence),
    /// `required`, `repeated`, `map`.
    pub fn text(self) -> &'static str {
        match self {
            Cardinality::Explicit => "optional",
            Cardinality::Implicit => "singular",
            Cardinality::Required => "required",
            Cardinality::Repeated => "repeated",
            Cardinality::Map => "map",
        }
    }
}

/// The `syntax` statement as the descriptor records it (`proto2` when empty; `editions` and
/// any other value as is, where [`Syntax`] only tells proto3 from the rest).
pub fn syntax_text(file: &FileDescriptorProto) -> &str {
    match file.syntax() {
        "" => "proto2",
        other => other,
    }
}

/// One `.proto` file.
pub struct File<'a> {
    pub desc: &'a FileDescriptorProto,
    pub name: &'a str,
    pub package: &'a str,
    pub syntax: Syntax,
    /// Nested name (`Outer.Inner`) → index into `Model::messages`, for this file only.
    pub message_by_nested: HashMap<String, usize>,
    pub enum_by_nested: HashMap<String, usize>,
    pub extension_by_nested: HashMap<String, usize>,
    pub service_by_name: HashMap<&'a str, usize>,
}

/// A message, top-level or nested (map entries included; see [`Message::is_map_entry`]).
pub struct Message<'a> {
    pub file: usize,
    pub desc: &'a DescriptorProto,
    pub path: Vec<i32>,
    pub full_name: String,
    /// The name within the file's package: `Outer.Inner`.
    pub nested_name: String,
    /// The enclosing message (index into `Model::messages`), for nested messages.
    pub parent: Option<usize>,
}

impl Message<'_> {
    pub fn name(&self) -> &str {
        self.desc.name()
    }

    /// Whether protoc synthesised this message for a `map<K, V>` field.
    pub fn is_map_entry(&self) -> bool {
        is_map_entry(self.desc)
    }
}

pub struct Enum<'a> {
    pub file: usize,
    pub desc: &'a EnumDescriptorProto,
    pub path: Vec<i32>,
    pub full_name: String,
    pub nested_name: String,
    /// The enclosing message, for enums declared in a message.
    pub parent: Option<usize>,
}

pub struct Service<'a> {
    pub file: usize,
    pub desc: &'a ServiceDescriptorProto,
    pub path: Vec<i32>,
    pub full_name: String,
}

/// An extension declared anywhere in the contract (`extend Foo { ... }`).
pub struct Extension<'a> {
    pub file: usize,
    pub desc: &'a FieldDescriptorProto,
    pub path: Vec<i32>,
    pub full_name: String,
    pub nested_name: String,
}

/// A field of a message, or an extension: a view with the answers about it.
pub struct Field<'m, 'a> {
    pub model: &'m Model<'a>,
    pub desc: &'a FieldDescriptorProto,
    pub file: usize,
    pub path: Vec<i32>,
    /// The containing message; `None` for an extension.
    pub message: Option<usize>,
    /// `pkg.Message.field`, or the extension's full name.
    pub full_name: String,
}

/// A oneof of a message.
pub struct Oneof<'a> {
    pub desc: &'a OneofDescriptorProto,
    pub index: usize,
    pub path: Vec<i32>,
    pub full_name: String,
    /// Only there to give a proto3 `optional` field presence; not part of the API.
    pub synthetic: bool,
}

/// A value of an enum.
pub struct EnumValue<'a> {
    pub desc: &'a EnumValueDescriptorProto,
    pub index: usize,
    pub path: Vec<i32>,
    /// `pkg.Enum.VALUE`.
    pub full_name: String,
    /// protobuf's scope for values, the enum's siblings: `pkg.VALUE`.
    pub sibling_name: String,
}

/// An RPC of a service.
pub struct Rpc<'a> {
    pub desc: &'a MethodDescriptorProto,
    pub index: usize,
    pub path: Vec<i32>,
    /// `pkg.Service.Method`.
    pub full_name: String,
}

/// The leading and trailing comments of an element, as protoc records them (untrimmed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Comments<'a> {
    pub leading: Option<&'a str>,
    pub trailing: Option<&'a str>,
    pub detached: &'a [String],
}

/// The model of one contract.
pub struct Model<'a> {
    pub contract: &'a Contract,
    pub files: Vec<File<'a>>,
    pub file_by_name: HashMap<&'a str, usize>,
    /// Package name → the files declaring it (indexes into `files`), sorted by name.
    pub packages: BTreeMap<&'a str, Vec<usize>>,
    pub messages: Vec<Message<'a>>,
    pub message_by_name: HashMap<String, usize>,
    pub enums: Vec<Enum<'a>>,
    pub enum_by_name: HashMap<String, usize>,
    pub services: Vec<Service<'a>>,
    pub service_by_name: HashMap<String, usize>,
    pub extensions: Vec<Extension<'a>>,
    /// (extendee full name without the leading dot, number) → index into `extensions`.
    pub extension_by_key: HashMap<(String, i32), usize>,
    /// SourceCodeInfo locations by path, per file, built on first use.
    locations: Vec<OnceLock<HashMap<&'a [i32], &'a SourceLocation>>>,
}

impl<'a> Model<'a> {
    /// The model of every file of `contract`.
    pub fn new(contract: &'a Contract) -> Model<'a> {
        Model::build(contract, |_| false)
    }

    /// The features in effect at the element at `path` (a SourceCodeInfo path) of `file`: an
    /// editions file's as resolved, else what proto2 or proto3 imply.
    pub fn features(&self, file: usize, path: &[i32]) -> FeatureSet {
        let f = &self.files[file];
        match (f.syntax, self.contract.editions.get(f.name)) {
            (Syntax::Editions, Some(editions)) => editions.resolve(path),
            (syntax, _) => FeatureSet::of_syntax(syntax == Syntax::Proto3),
        }
    }

    /// The edition of an editions file (`Edition`'s number, 1000 for 2023); `None` for proto2
    /// and proto3 files.
    pub fn edition(&self, file: usize) -> Option<i32> {
        let f = &self.files[file];
        (f.syntax == Syntax::Editions)
            .then(|| self.contract.editions.get(f.name)?.edition)
            .flatten()
    }

    /// The model of every file of `contract` for which `skip` is false.
    pub fn build(contract: &'a Contract, skip: impl Fn(&str) -> bool) -> Model<'a> {
        let mut model = Model {
            contract,
            files: Vec::with_capacity(contract.files.len()),
            file_by_name: HashMap::with_capacity(contract.files.len()),
            packages: BTreeMap::new(),
            messages: Vec::new(),
            message_by_name: HashMap::new(),
            enums: Vec::new(),
            enum_by_name: HashMap::new(),
            services: Vec::new(),
            service_by_name: HashMap::new(),
            extensions: Vec::new(),
            extension_by_key: HashMap::new(),
            locations: Vec::new(),
        };
        for desc in contract.files.iter().filter(|f| !skip(f.name())) {
            model.add_file(desc);
        }
        model.locations = (0..model.files.len()).map(|_| OnceLock::new()).collect();
        model
    }

    fn add_file(&mut self, desc: &'a FileDescriptorProto) {
        use tag::*;
        let file = self.files.len();
        self.file_by_name.insert(desc.name(), file);
        self.packages.entry(desc.package()).or_default().push(file);
        self.files.push(File {
            desc,
            name: desc.name(),
            package: desc.package(),
            syntax: Syntax::of(desc),
            message_by_nested: HashMap::new(),
            enum_by_nested: HashMap::new(),
            extension_by_nested: HashMap::new(),
            service_by_name: HashMap::new(),
        });
        let package = desc.package();
        for (i, message) in desc.message_type.iter().enumerate() {
            self.add_message(file, package, None, message, vec![FILE_MESSAGE, i as i32]);
        }
        for (i, enum_) in desc.enum_type.iter().enumerate() {
            self.add_enum(file, package, None, enum_, vec![FILE_ENUM, i as i32]);
        }
        for (i, ext) in desc.extension.iter().enumerate() {
            self.add_extension(file, package, "", ext, vec![FILE_EXTENSION, i as i32]);
        }
        for (i, service) in desc.service.iter().enumerate() {
            let full_name = qualify(package, service.name());
            let at = self.services.len();
            self.service_by_name.insert(full_name.clone(), at);
            self.files[file].service_by_name.insert(service.name(), at);
            self.services.push(Service {
                file,
                desc: service,
                path: vec![FILE_SERVICE, i as i32],
                full_name,
            });
        }
    }

    fn add_message(
        &mut self,
        file: usize,
        package: &str,
        parent: Option<usize>,
        desc: &'a DescriptorProto,
        path: Vec<i32>,
    ) {
        use tag::*;
        let scope = parent.map_or("", |p| self.messages[p].nested_name.as_str());
        let nested_name = qualify(scope, desc.name());
        let full_name = qualify(package, &nested_name);
        let at = self.messages.len();
        self.message_by_name.insert(full_name.clone(), at);
        self.files[file]
            .message_by_nested
            .insert(nested_name.clone(), at);
        self.messages.push(Message {
            file,
            desc,
            path: path.clone(),
            full_name,
            nested_name: nested_name.clone(),
            parent,
        });
        for (i, nested) in desc.nested_type.iter().enumerate() {
            let nested_path = child(&path, MESSAGE_NESTED, i);
            self.add_message(file, package, Some(at), nested, nested_path);
        }
        for (i, enum_) in desc.enum_type.iter().enumerate() {
            self.add_enum(
                file,
                package,
                Some(at),
                enum_,
                child(&path, MESSAGE_ENUM, i),
            );
        }
        for (i, ext) in desc.extension.iter().enumerate() {
            let ext_path = child(&path, MESSAGE_EXTENSION, i);
            self.add_extension(file, package, &nested_name, ext, ext_path);
        }
    }

    fn add_enum(
        &mut self,
        file: usize,
        package: &str,
        parent: Option<usize>,
        desc: &'a EnumDescriptorProto,
        path: Vec<i32>,
    ) {
        let scope = parent.map_or("", |p| self.messages[p].nested_name.as_str());
        let nested_name = qualify(scope, desc.name());
        let full_name = qualify(package, &nested_name);
        let at = self.enums.len();
        self.enum_by_name.insert(full_name.clone(), at);
        self.files[file]
            .enum_by_nested
            .insert(nested_name.clone(), at);
        self.enums.push(Enum {
            file,
            desc,
            path,
            full_name,
            nested_name,
            parent,
        });
    }

    fn add_extension(
        &mut self,
        file: usize,
        package: &str,
        scope: &str,
        desc: &'a FieldDescriptorProto,
        path: Vec<i32>,
    ) {
        let nested_name = qualify(scope, desc.name());
        let full_name = qualify(package, &nested_name);
        let at = self.extensions.len();
        let extendee = desc.extendee().trim_start_matches('.').to_string();
        self.extension_by_key.insert((extendee, desc.number()), at);
        self.files[file]
            .extension_by_nested
            .insert(nested_name.clone(), at);
        self.extensions.push(Extension {
            file,
            desc,
            path,
            full_name,
            nested_name,
        });
    }

    // ---- lookups by name ----

    pub fn file(&self, name: &str) -> Option<&File<'a>> {
        self.file_by_name.get(name).map(|&i| &self.files[i])
    }

    /// The message called `full_name` (with or without the leading dot of a type name).
    pub fn message(&self, full_name: &str) -> Option<&Message<'a>> {
        self.message_by_name
            .get(full_name.trim_start_matches('.'))
            .map(|&i| &self.messages[i])
    }

    pub fn enum_(&self, full_name: &str) -> Option<&Enum<'a>> {
        self.enum_by_name
            .get(full_name.trim_start_matches('.'))
            .map(|&i| &self.enums[i])
    }

    pub fn service(&self, full_name: &str) -> Option<&Service<'a>> {
        self.service_by_name
            .get(full_name.trim_start_matches('.'))
            .map(|&i| &self.services[i])
    }

    /// The map entry message named by a field's `type_name`, if it is one.
    pub fn map_entry(&self, type_name: &str) -> Option<&Message<'a>> {
        self.message(type_name).filter(|m| m.is_map_entry())
    }

    /// The field called `pkg.Message.field`.
    pub fn field(&self, full_name: &str) -> Option<Field<'_, 'a>> {
        let (message, name) = full_name.trim_start_matches('.').rsplit_once('.')?;
        let m = *self.message_by_name.get(message)?;
        let i = self.messages[m]
            .desc
            .field
            .iter()
            .position(|f| f.name() == name)?;
        Some(self.field_of(m, i))
    }

    // ---- members ----

    /// Field `index` of message `message`.
    pub fn field_of(&self, message: usize, index: usize) -> Field<'_, 'a> {
        let m = &self.messages[message];
        let desc = &m.desc.field[index];
        Field {
            model: self,
            desc,
            file: m.file,
            path: child(&m.path, tag::MESSAGE_FIELD, index),
            message: Some(message),
            full_name: qualify(&m.full_name, desc.name()),
        }
    }

    /// The fields of message `message`, in declaration order.
    pub fn fields(&self, message: usize) -> impl Iterator<Item = Field<'_, 'a>> + '_ {
        (0..self.messages[message].desc.field.len()).map(move |i| self.field_of(message, i))
    }

    /// Extension `index` of `extensions`, as a field.
    pub fn extension_field(&self, index: usize) -> Field<'_, 'a> {
        let x = &self.extensions[index];
        Field {
            model: self,
            desc: x.desc,
            file: x.file,
            path: x.path.clone(),
            message: None,
            full_name: x.full_name.clone(),
        }
    }

    /// The oneofs of message `message` (synthetic ones included; see [`Oneof::synthetic`]).
    pub fn oneofs(&self, message: usize) -> impl Iterator<Item = Oneof<'a>> + '_ {
        let m = &self.messages[message];
        m.desc
            .oneof_decl
            .iter()
            .enumerate()
            .map(move |(i, desc)| Oneof {
                desc,
                index: i,
                path: child(&m.path, tag::MESSAGE_ONEOF, i),
                full_name: qualify(&m.full_name, desc.name()),
                synthetic: is_synthetic_oneof(m.desc, i),
            })
    }

    /// The values of enum `enum_`, in declaration order.
    pub fn values(&self, enum_: usize) -> impl Iterator<Item = EnumValue<'a>> + '_ {
        let e = &self.enums[enum_];
        let sibling_scope = e.full_name.rsplit_once('.').map_or("", |(scope, _)| scope);
        e.desc
            .value
            .iter()
            .enumerate()
            .map(move |(i, desc)| EnumValue {
                desc,
                index: i,
                path: child(&e.path, tag::ENUM_VALUE, i),
                full_name: qualify(&e.full_name, desc.name()),
                sibling_name: qualify(sibling_scope, desc.name()),
            })
    }

    /// The RPCs of service `service`, in declaration order.
    pub fn rpcs(&self, service: usize) -> impl Iterator<Item = Rpc<'a>> + '_ {
        let s = &self.services[service];
        s.desc.method.iter().enumerate().map(move |(i, desc)| Rpc {
            desc,
            index: i,
            path: child(&s.path, tag::SERVICE_METHOD, i),
            full_name: qualify(&s.full_name, desc.name()),
        })
    }

    // ---- source locations and comments ----

    /// The location recorded for `path` in file `file`. The first wins when a path repeats
    /// (several `extend` blocks, several options), as in buf.
    pub fn source(&self, file: usize, path: &[i32]) -> Option<&'a SourceLocation> {
        let by_path = self.locations[file].get_or_init(|| self.sources(file));
        by_path.get(path).copied()
    }

    /// The locations of file `file` by path (the first wins, as in [`Model::source`]),
    /// built anew and not kept: a walk over a large contract one file at a time (lint) keeps
    /// one file's index alive instead of every file's.
    pub fn sources(&self, file: usize) -> HashMap<&'a [i32], &'a SourceLocation> {
        let mut map = HashMap::new();
        if let Some(info) = &self.files[file].desc.source_code_info {
            for location in &info.location {
                map.entry(location.path.as_slice()).or_insert(location);
            }
        }
        map
    }

    /// The 1-based line and column of the element at `path` of file `file`, if the
    /// contract carries source info.
    pub fn span(&self, file: usize, path: &[i32]) -> Option<Span> {
        self.source(file, path).and_then(location::span_of)
    }

    /// The comments attached to the element at `path` of file `file`.
    pub fn comments(&self, file: usize, path: &[i32]) -> Comments<'a> {
        self.source(file, path)
            .map(|l| Comments {
                leading: l.leading_comments.as_deref(),
                trailing: l.trailing_comments.as_deref(),
                detached: &l.leading_detached_comments,
            })
            .unwrap_or_default()
    }

    /// The source text of file `file`, where the contract has it (not for descriptor sets).
    pub fn text(&self, file: usize) -> Option<&'a str> {
        self.contract
            .sources
            .get(self.files[file].name)
            .map(|t| &**t)
    }
}

impl<'a> Field<'_, 'a> {
    pub fn name(&self) -> &'a str {
        self.desc.name()
    }

    pub fn syntax(&self) -> Syntax {
        self.model.files[self.file].syntax
    }

    pub fn is_extension(&self) -> bool {
        self.message.is_none()
    }

    /// Whether the field is the key or value of a map's synthesised entry message.
    pub fn in_map_entry(&self) -> bool {
        self.message
            .is_some_and(|m| self.model.messages[m].is_map_entry())
    }

    /// The JSON name in effect: the declared one, else protoc's lowerCamelCase of the name.
    pub fn json_name(&self) -> String {
        json_name(self.desc)
    }

    /// The map entry message when the field is a `map<K, V>`.
    pub fn map_entry(&self) -> Option<&Message<'a>> {
        if self.desc.label() != Label::Repeated || self.desc.r#type() != Type::Message {
            return None;
        }
        self.model.map_entry(self.desc.type_name())
    }

    pub fn cardinality(&self) -> Cardinality {
        let d = self.desc;
        match d.label() {
            Label::Repeated if self.map_entry().is_some() => Cardinality::Map,
            Label::Repeated => Cardinality::Repeated,
            Label::Required => Cardinality::Required,
            Label::Optional if self.syntax() == Syntax::Editions => {
                let presence = self.model.features(self.file, &self.path).field_presence;
                if presence == Some(features::LEGACY_REQUIRED) {
                    Cardinality::Required
                } else if presence == Some(features::IMPLICIT)
                    && !self.is_extension()
                    && d.oneof_index.is_none()
                    && !matches!(d.r#type(), Type::Message | Type::Group)
                {
                    Cardinality::Implicit
                } else {
                    Cardinality::Explicit
                }
            }
            Label::Optional => {
                let explicit = self.is_extension()
                    || self.syntax() == Syntax::Proto2
                    || d.proto3_optional()
                    || d.oneof_index.is_some()
                    || matches!(d.r#type(), Type::Message | Type::Group);
                if explicit {
                    Cardinality::Explicit
                } else {
                    Cardinality::Implicit
                }
            }
        }
    }

    /// The oneof the field is in, ignoring proto3 `optional`'s synthetic oneofs.
    pub fn oneof(&self) -> Option<&'a OneofDescriptorProto> {
        let m = &self.model.messages[self.message?];
        let index = usize::try_from(self.desc.oneof_index?).ok()?;
        if is_synthetic_oneof(m.desc, index) {
            return None;
        }
        m.desc.oneof_decl.get(index)
    }

    /// The type as written in a .proto file: `int32`, `users.v1.Role`, `map<string, int64>`.
    pub fn type_text(&self) -> String {
        type_text(self.model, self.desc)
    }

    /// The descriptor's label: `optional` (every singular field), `required`, `repeated`.
    pub fn label_text(&self) -> &'static str {
        match self.desc.label() {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
        }
    }

    /// The declaration as written: `optional string name = 3`, `map<string, int64> tags = 4`.
    pub fn signature(&self) -> String {
        let ty = self.type_text();
        let prefix = match self.desc.label() {
            Label::Repeated if ty.starts_with("map<") => "",
            Label::Repeated => "repeated ",
            Label::Required => "required ",
            Label::Optional if self.desc.proto3_optional() => "optional ",
            Label::Optional => "",
        };
        format!("{prefix}{ty} {} = {}", self.desc.name(), self.desc.number())
    }
}

fn type_text(model: &Model, field: &FieldDescriptorProto) -> String {
    match field.r#type() {
        Type::Message | Type::Enum | Type::Group => {
            let name = field.type_name().trim_start_matches('.');
            match model.map_entry(name) {
                Some(entry) if entry.desc.field.len() == 2 => format!(
                    "map<{}, {}>",
                    type_text(model, &entry.desc.field[0]),
                    type_text(model, &entry.desc.field[1])
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

/// Whether protoc synthesised `message` for a `map<K, V>` field.
pub fn is_map_entry(message: &DescriptorProto) -> bool {
    message
        .options
        .as_ref()
        .and_then(|o| o.map_entry)
        .unwrap_or(false)
}

/// Whether oneof `index` of `message` only exists to give a proto3 `optional` field
/// presence: as protobuf defines it, its one member is `proto3_optional`.
pub fn is_synthetic_oneof(message: &DescriptorProto, index: usize) -> bool {
    let mut members = message
        .field
        .iter()
        .filter(|f| f.oneof_index == Some(index as i32));
    matches!((members.next(), members.next()), (Some(only), None) if only.proto3_optional())
}

/// The JSON name in effect for a field: the declared one, else protoc's default.
pub fn json_name(field: &FieldDescriptorProto) -> String {
    match &field.json_name {
        Some(name) => name.clone(),
        None => default_json_name(field.name()),
    }
}

/// protoc's default JSON name: lowerCamelCase of the field name (`user_id` → `userId`).
pub fn default_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `scope.name`, or `name` in the root scope.
pub fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// `path` extended by one element: `field` of the descriptor, at `index`.
pub fn child(path: &[i32], field: i32, index: usize) -> Vec<i32> {
    let mut path = path.to_vec();
    path.push(field);
    path.push(index as i32);
    path
}

/// `path` extended by `tail`.
pub fn sub(path: &[i32], tail: &[i32]) -> Vec<i32> {
    let mut path = path.to_vec();
    path.extend_from_slice(tail);
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::compile::{compile_module, Placed};
    use crate::contract::LoadOptions;

    fn model_of(text: &str) -> Contract {
        let mut placed = Placed::default();
        let options = LoadOptions::default();
        placed
            .add("a/v1/a.proto", &options, || Ok(text.into()))
            .unwrap();
        compile_module(
            "test".to_string(),
            placed,
            std::path::Path::new("."),
            &options,
        )
        .unwrap()
    }

    #[test]
    fn json_names_follow_protoc() {
        assert_eq!(default_json_name("user_id"), "userId");
        assert_eq!(default_json_name("name"), "name");
        assert_eq!(default_json_name("a__b_"), "aB");
    }

    #[test]
    fn elements_are_found_by_full_name_with_resolved_properties() {
        let contract = model_of(
            "syntax = \"proto3\";\npackage a.v1;\n\n// The user.\nmessage User {\n  string user_id = 1; // trailing\n  optional int32 age = 2;\n  map<string, int64> counts = 3;\n  oneof contact { string email = 4; string phone = 5; }\n  message Inner { enum Kind { KIND_UNSPECIFIED = 0; } }\n  string custom = 6 [json_name = \"x\"];\n}\nservice Users { rpc Get(User) returns (User); }\n",
        );
        let model = Model::new(&contract);
        let user = model.message("a.v1.User").unwrap();
        assert_eq!(
            model.span(user.file, &user.path),
            Some(Span { line: 5, column: 1 })
        );
        let comments = model.comments(user.file, &user.path);
        assert_eq!(comments.leading, Some(" The user.\n"));
        assert!(model
            .message(".a.v1.User.CountsEntry")
            .unwrap()
            .is_map_entry());
        assert_eq!(
            model.enum_("a.v1.User.Inner.Kind").unwrap().parent,
            model.message_by_name.get("a.v1.User.Inner").copied()
        );

        let id = model.field("a.v1.User.user_id").unwrap();
        assert_eq!(id.json_name(), "userId");
        assert_eq!(id.cardinality(), Cardinality::Implicit);
        assert_eq!(
            model.comments(id.file, &id.path).trailing,
            Some(" trailing\n")
        );
        let age = model.field("a.v1.User.age").unwrap();
        assert_eq!(age.cardinality(), Cardinality::Explicit);
        assert!(
            age.oneof().is_none(),
            "proto3 optional's oneof is synthetic"
        );
        let counts = model.field("a.v1.User.counts").unwrap();
        assert_eq!(counts.cardinality(), Cardinality::Map);
        assert_eq!(counts.type_text(), "map<string, int64>");
        assert_eq!(
            model
                .field("a.v1.User.email")
                .unwrap()
                .oneof()
                .unwrap()
                .name(),
            "contact"
        );
        assert_eq!(model.field("a.v1.User.custom").unwrap().json_name(), "x");

        let m = model.message_by_name["a.v1.User"];
        let oneofs: Vec<_> = model
            .oneofs(m)
            .map(|o| (o.full_name, o.synthetic))
            .collect();
        assert_eq!(
            oneofs,
            [
                ("a.v1.User.contact".to_string(), false),
                ("a.v1.User._age".to_string(), true)
            ]
        );
        let kind = model.enum_by_name["a.v1.User.Inner.Kind"];
        let value = model.values(kind).next().unwrap();
        assert_eq!(value.full_name, "a.v1.User.Inner.Kind.KIND_UNSPECIFIED");
        assert_eq!(value.sibling_name, "a.v1.User.Inner.KIND_UNSPECIFIED");
        let rpc = model
            .rpcs(model.service_by_name["a.v1.Users"])
            .next()
            .unwrap();
        assert_eq!(rpc.full_name, "a.v1.Users.Get");
        assert_eq!(model.packages["a.v1"], [0]);
    }
}
