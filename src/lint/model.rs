//! The one place lint reads descriptors: flattens each file of a compiled contract into its
//! elements (messages, fields, oneofs, enums, values, services, RPCs) with SourceCodeInfo paths.

use std::collections::HashMap;

use prost_types::source_code_info::Location;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MethodDescriptorProto, OneofDescriptorProto, ServiceDescriptorProto,
};

use crate::contract::Contract;

pub struct Message<'a> {
    pub desc: &'a DescriptorProto,
    pub path: Vec<i32>,
    /// `pkg.Outer.Inner`.
    pub full_name: String,
    pub is_map_entry: bool,
}

pub struct Field<'a> {
    pub desc: &'a FieldDescriptorProto,
    pub path: Vec<i32>,
    /// Declared in a map's synthetic entry message (`key`, `value`).
    pub in_map_entry: bool,
}

pub struct Oneof<'a> {
    pub desc: &'a OneofDescriptorProto,
    pub path: Vec<i32>,
    /// The oneof protoc makes for one proto3 `optional` field.
    pub synthetic: bool,
}

pub struct Enum<'a> {
    pub desc: &'a EnumDescriptorProto,
    pub path: Vec<i32>,
}

pub struct EnumValue<'a> {
    pub desc: &'a EnumValueDescriptorProto,
    pub path: Vec<i32>,
    /// The enum's own name (not its full name).
    pub enum_name: &'a str,
}

pub struct Service<'a> {
    pub desc: &'a ServiceDescriptorProto,
    pub path: Vec<i32>,
}

pub struct Method<'a> {
    pub desc: &'a MethodDescriptorProto,
    pub path: Vec<i32>,
    pub service: &'a str,
    /// `pkg.Service.Method`.
    pub full_name: String,
}

/// One file of the module, flattened.
pub struct File<'a> {
    pub desc: &'a FileDescriptorProto,
    pub name: &'a str,
    pub package: &'a str,
    pub messages: Vec<Message<'a>>,
    /// Message fields and extensions, nested ones included.
    pub fields: Vec<Field<'a>>,
    pub oneofs: Vec<Oneof<'a>>,
    pub enums: Vec<Enum<'a>>,
    pub values: Vec<EnumValue<'a>>,
    pub services: Vec<Service<'a>>,
    pub methods: Vec<Method<'a>>,
}

pub struct Model<'a> {
    /// Sorted by name, as in the contract.
    pub files: Vec<File<'a>>,
}

impl<'a> Model<'a> {
    pub fn build(contract: &'a Contract) -> Model<'a> {
        Model {
            files: contract.files.iter().map(file).collect(),
        }
    }
}

fn file(desc: &FileDescriptorProto) -> File<'_> {
    let mut f = File {
        desc,
        name: desc.name(),
        package: desc.package(),
        messages: Vec::new(),
        fields: Vec::new(),
        oneofs: Vec::new(),
        enums: Vec::new(),
        values: Vec::new(),
        services: Vec::new(),
        methods: Vec::new(),
    };
    let prefix = if f.package.is_empty() {
        String::new()
    } else {
        format!("{}.", f.package)
    };
    for (i, m) in desc.message_type.iter().enumerate() {
        message(&mut f, m, vec![4, i as i32], &prefix);
    }
    for (i, e) in desc.enum_type.iter().enumerate() {
        enumeration(&mut f, e, vec![5, i as i32]);
    }
    for (i, x) in desc.extension.iter().enumerate() {
        f.fields.push(Field {
            desc: x,
            path: vec![7, i as i32],
            in_map_entry: false,
        });
    }
    for (i, s) in desc.service.iter().enumerate() {
        let path = vec![6, i as i32];
        for (j, m) in s.method.iter().enumerate() {
            let mut p = path.clone();
            p.extend([2, j as i32]);
            f.methods.push(Method {
                desc: m,
                path: p,
                service: s.name(),
                full_name: format!("{prefix}{}.{}", s.name(), m.name()),
            });
        }
        f.services.push(Service { desc: s, path });
    }
    f
}

fn message<'a>(f: &mut File<'a>, m: &'a DescriptorProto, path: Vec<i32>, prefix: &str) {
    let full_name = format!("{prefix}{}", m.name());
    let is_map_entry = m.options.as_ref().is_some_and(|o| o.map_entry());
    for (i, field) in m.field.iter().enumerate() {
        let mut p = path.clone();
        p.extend([2, i as i32]);
        f.fields.push(Field {
            desc: field,
            path: p,
            in_map_entry: is_map_entry,
        });
    }
    for (i, x) in m.extension.iter().enumerate() {
        let mut p = path.clone();
        p.extend([6, i as i32]);
        f.fields.push(Field {
            desc: x,
            path: p,
            in_map_entry: false,
        });
    }
    for (i, o) in m.oneof_decl.iter().enumerate() {
        let mut p = path.clone();
        p.extend([8, i as i32]);
        let members: Vec<_> = m
            .field
            .iter()
            .filter(|x| x.oneof_index == Some(i as i32))
            .collect();
        f.oneofs.push(Oneof {
            desc: o,
            path: p,
            synthetic: members.len() == 1 && members[0].proto3_optional(),
        });
    }
    let nested_prefix = format!("{full_name}.");
    for (i, n) in m.nested_type.iter().enumerate() {
        let mut p = path.clone();
        p.extend([3, i as i32]);
        message(f, n, p, &nested_prefix);
    }
    for (i, e) in m.enum_type.iter().enumerate() {
        let mut p = path.clone();
        p.extend([4, i as i32]);
        enumeration(f, e, p);
    }
    f.messages.push(Message {
        desc: m,
        path,
        full_name,
        is_map_entry,
    });
}

fn enumeration<'a>(f: &mut File<'a>, e: &'a EnumDescriptorProto, path: Vec<i32>) {
    for (i, v) in e.value.iter().enumerate() {
        let mut p = path.clone();
        p.extend([2, i as i32]);
        f.values.push(EnumValue {
            desc: v,
            path: p,
            enum_name: e.name(),
        });
    }
    f.enums.push(Enum { desc: e, path });
}

/// A file's SourceCodeInfo locations by path; the first wins when a path repeats, as in buf.
pub fn locations(file: &FileDescriptorProto) -> HashMap<&[i32], &Location> {
    let mut map = HashMap::new();
    if let Some(info) = &file.source_code_info {
        for location in &info.location {
            map.entry(location.path.as_slice()).or_insert(location);
        }
    }
    map
}

/// COMMENT_*: a declaration needs a leading comment with a line that is not empty and not a
/// `buf:lint:ignore` line. Declarations without a location (synthetic ones) are skipped.
pub fn lacks_comment(locations: &HashMap<&[i32], &Location>, path: &[i32]) -> bool {
    locations.get(path).is_some_and(|l| {
        !l.leading_comments().lines().any(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with("buf:lint:ignore")
        })
    })
}
