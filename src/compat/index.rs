//! Indexes one contract by full name (messages, enums, services, extensions) and by file,
//! with each element's SourceCodeInfo path, so that comparing two contracts is linear.

use std::collections::HashMap;

use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    ServiceDescriptorProto,
};

use crate::contract::Contract;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Proto2,
    Proto3,
}

impl Syntax {
    pub fn of(file: &FileDescriptorProto) -> Syntax {
        match file.syntax() {
            "proto3" => Syntax::Proto3,
            _ => Syntax::Proto2,
        }
    }
}

pub struct FileInfo<'a> {
    pub desc: &'a FileDescriptorProto,
    pub name: &'a str,
    pub package: &'a str,
    pub syntax: Syntax,
    /// Nested name (`Outer.Inner`) → index into `Index::messages`, for this file only.
    pub message_by_nested: HashMap<String, usize>,
    pub enum_by_nested: HashMap<String, usize>,
    pub extension_by_nested: HashMap<String, usize>,
    pub service_by_name: HashMap<&'a str, usize>,
}

pub struct Message<'a> {
    pub file: usize,
    pub desc: &'a DescriptorProto,
    pub path: Vec<i32>,
    pub full_name: String,
    pub nested_name: String,
}

impl Message<'_> {
    pub fn name(&self) -> &str {
        self.desc.name()
    }

    pub fn is_map_entry(&self) -> bool {
        self.desc
            .options
            .as_ref()
            .is_some_and(|o| o.map_entry.unwrap_or(false))
    }
}

pub struct Enum<'a> {
    pub file: usize,
    pub desc: &'a EnumDescriptorProto,
    pub path: Vec<i32>,
    pub full_name: String,
    pub nested_name: String,
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

pub struct Index<'a> {
    pub contract: &'a Contract,
    pub files: Vec<FileInfo<'a>>,
    pub file_by_name: HashMap<&'a str, usize>,
    pub messages: Vec<Message<'a>>,
    pub message_by_name: HashMap<String, usize>,
    pub enums: Vec<Enum<'a>>,
    pub enum_by_name: HashMap<String, usize>,
    pub services: Vec<Service<'a>>,
    pub service_by_name: HashMap<String, usize>,
    pub extensions: Vec<Extension<'a>>,
    /// (extendee full name without the leading dot, number) → index into `extensions`.
    pub extension_by_key: HashMap<(String, i32), usize>,
}

impl<'a> Index<'a> {
    /// Indexes every file of `contract` for which `skip` is false.
    pub fn build(contract: &'a Contract, skip: impl Fn(&str) -> bool) -> Index<'a> {
        let mut index = Index {
            contract,
            files: Vec::with_capacity(contract.files.len()),
            file_by_name: HashMap::with_capacity(contract.files.len()),
            messages: Vec::new(),
            message_by_name: HashMap::new(),
            enums: Vec::new(),
            enum_by_name: HashMap::new(),
            services: Vec::new(),
            service_by_name: HashMap::new(),
            extensions: Vec::new(),
            extension_by_key: HashMap::new(),
        };
        for desc in contract.files.iter().filter(|f| !skip(f.name())) {
            index.add_file(desc);
        }
        index
    }

    fn add_file(&mut self, desc: &'a FileDescriptorProto) {
        let file = self.files.len();
        self.file_by_name.insert(desc.name(), file);
        self.files.push(FileInfo {
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
            self.add_message(file, package, "", message, vec![4, i as i32]);
        }
        for (i, enum_) in desc.enum_type.iter().enumerate() {
            self.add_enum(file, package, "", enum_, vec![5, i as i32]);
        }
        for (i, ext) in desc.extension.iter().enumerate() {
            self.add_extension(file, package, "", ext, vec![7, i as i32]);
        }
        for (i, service) in desc.service.iter().enumerate() {
            let full_name = qualify(package, service.name());
            let at = self.services.len();
            self.service_by_name.insert(full_name.clone(), at);
            self.files[file].service_by_name.insert(service.name(), at);
            self.services.push(Service {
                file,
                desc: service,
                path: vec![6, i as i32],
                full_name,
            });
        }
    }

    fn add_message(
        &mut self,
        file: usize,
        package: &str,
        scope: &str,
        desc: &'a DescriptorProto,
        path: Vec<i32>,
    ) {
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
        });
        for (i, nested) in desc.nested_type.iter().enumerate() {
            self.add_message(file, package, &nested_name, nested, child(&path, 3, i));
        }
        for (i, enum_) in desc.enum_type.iter().enumerate() {
            self.add_enum(file, package, &nested_name, enum_, child(&path, 4, i));
        }
        for (i, ext) in desc.extension.iter().enumerate() {
            self.add_extension(file, package, &nested_name, ext, child(&path, 6, i));
        }
    }

    fn add_enum(
        &mut self,
        file: usize,
        package: &str,
        scope: &str,
        desc: &'a EnumDescriptorProto,
        path: Vec<i32>,
    ) {
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
}

pub fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

pub fn child(path: &[i32], field: i32, index: usize) -> Vec<i32> {
    let mut path = path.to_vec();
    path.push(field);
    path.push(index as i32);
    path
}

pub fn sub(path: &[i32], tail: &[i32]) -> Vec<i32> {
    let mut path = path.to_vec();
    path.extend_from_slice(tail);
    path
}
