//! Indexes one contract by identity (messages, enums and services by full name) with each
//! element's file, SourceCodeInfo path and comments, so two contracts can be matched.

use std::collections::{BTreeMap, HashMap};

use prost_types::source_code_info::Location as SourceLocation;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, ServiceDescriptorProto,
};

use crate::contract::Contract;

use super::{Location, Side};

// Field numbers of descriptor.proto, as used in SourceCodeInfo paths.
pub const FILE_MESSAGE: i32 = 4;
pub const FILE_ENUM: i32 = 5;
pub const FILE_SERVICE: i32 = 6;
pub const FILE_OPTIONS: i32 = 8;
pub const MESSAGE_FIELD: i32 = 2;
pub const MESSAGE_NESTED: i32 = 3;
pub const MESSAGE_ENUM: i32 = 4;
pub const MESSAGE_ONEOF: i32 = 8;
pub const ENUM_VALUE: i32 = 2;
pub const SERVICE_METHOD: i32 = 2;

/// An element as declared: where, and its descriptor.
pub struct Decl<'a, T> {
    pub file: &'a FileDescriptorProto,
    pub path: Vec<i32>,
    pub desc: &'a T,
    /// Full name of the enclosing message, for nested declarations.
    pub parent: Option<String>,
}

pub struct Index<'a> {
    pub side: Side,
    pub files: BTreeMap<&'a str, &'a FileDescriptorProto>,
    /// Package name → names of the files declaring it.
    pub packages: BTreeMap<&'a str, Vec<&'a str>>,
    pub messages: BTreeMap<String, Decl<'a, DescriptorProto>>,
    pub enums: BTreeMap<String, Decl<'a, EnumDescriptorProto>>,
    pub services: BTreeMap<String, Decl<'a, ServiceDescriptorProto>>,
    sources: HashMap<&'a str, HashMap<&'a [i32], &'a SourceLocation>>,
}

impl<'a> Index<'a> {
    pub fn new(contract: &'a Contract, side: Side) -> Self {
        let mut index = Index {
            side,
            files: BTreeMap::new(),
            packages: BTreeMap::new(),
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
            services: BTreeMap::new(),
            sources: HashMap::new(),
        };
        for file in &contract.files {
            index.add_file(file);
        }
        index
    }

    fn add_file(&mut self, file: &'a FileDescriptorProto) {
        self.files.insert(file.name(), file);
        self.packages
            .entry(file.package())
            .or_default()
            .push(file.name());
        if let Some(info) = &file.source_code_info {
            let by_path = info
                .location
                .iter()
                .map(|l| (l.path.as_slice(), l))
                .collect();
            self.sources.insert(file.name(), by_path);
        }
        let package = file.package();
        for (i, message) in file.message_type.iter().enumerate() {
            self.add_message(file, package, None, vec![FILE_MESSAGE, i as i32], message);
        }
        for (i, e) in file.enum_type.iter().enumerate() {
            let decl = Decl {
                file,
                path: vec![FILE_ENUM, i as i32],
                desc: e,
                parent: None,
            };
            self.enums.insert(join(package, e.name()), decl);
        }
        for (i, s) in file.service.iter().enumerate() {
            let decl = Decl {
                file,
                path: vec![FILE_SERVICE, i as i32],
                desc: s,
                parent: None,
            };
            self.services.insert(join(package, s.name()), decl);
        }
    }

    fn add_message(
        &mut self,
        file: &'a FileDescriptorProto,
        scope: &str,
        parent: Option<String>,
        path: Vec<i32>,
        message: &'a DescriptorProto,
    ) {
        let name = join(scope, message.name());
        for (i, nested) in message.nested_type.iter().enumerate() {
            let nested_path = [path.as_slice(), &[MESSAGE_NESTED, i as i32]].concat();
            self.add_message(file, &name, Some(name.clone()), nested_path, nested);
        }
        for (i, e) in message.enum_type.iter().enumerate() {
            let decl = Decl {
                file,
                path: [path.as_slice(), &[MESSAGE_ENUM, i as i32]].concat(),
                desc: e,
                parent: Some(name.clone()),
            };
            self.enums.insert(join(&name, e.name()), decl);
        }
        let decl = Decl {
            file,
            path,
            desc: message,
            parent,
        };
        self.messages.insert(name, decl);
    }

    /// Where the element at `path` of `file` is declared (line 0 without source info).
    pub fn location(&self, file: &str, path: &[i32]) -> Location {
        let (line, column) = self
            .source(file, path)
            .and_then(|l| Some((*l.span.first()? as u32 + 1, *l.span.get(1)? as u32 + 1)))
            .unwrap_or((0, 0));
        Location {
            path: file.to_string(),
            line,
            column,
            side: self.side,
        }
    }

    /// The comments attached to an element: leading and trailing, trimmed, without
    /// `protogen:allow-breaking` lines; empty if none.
    pub fn comment(&self, file: &str, path: &[i32]) -> String {
        let Some(source) = self.source(file, path) else {
            return String::new();
        };
        let parts = [&source.leading_comments, &source.trailing_comments];
        parts
            .iter()
            .filter_map(|c| c.as_deref())
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

    fn source(&self, file: &str, path: &[i32]) -> Option<&'a SourceLocation> {
        self.sources.get(file)?.get(path).copied()
    }

    /// Whether the message called `name` (with or without a leading dot) is a map entry.
    pub fn map_entry(&self, type_name: &str) -> Option<&'a DescriptorProto> {
        let decl = self.messages.get(type_name.trim_start_matches('.'))?;
        decl.desc
            .options
            .as_ref()
            .and_then(|o| o.map_entry)
            .unwrap_or(false)
            .then_some(decl.desc)
    }
}

/// `scope.name`, or `name` in the root scope.
pub fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}
