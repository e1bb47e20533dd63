//! What a crate can observe of a contract: the RPCs it serves or calls, and every message,
//! field, oneof, enum and enum value reachable from their requests and responses.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use anyhow::{bail, Context};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto};

use crate::contract::Contract;

/// An RPC by its full name, written `users.v1.UsersService/FindOne` (the gRPC path without
/// the leading slash).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RpcName {
    /// Full service name, `users.v1.UsersService`.
    pub service: String,
    pub method: String,
}

impl RpcName {
    pub fn parse(text: &str) -> anyhow::Result<RpcName> {
        match text.split_once('/') {
            Some((service, method))
                if !service.is_empty() && !method.is_empty() && !method.contains('/') =>
            {
                Ok(RpcName {
                    service: service.trim_start_matches('.').to_string(),
                    method: method.to_string(),
                })
            }
            _ => bail!("'{text}' is not an RPC name; write it as package.Service/Method, e.g. users.v1.UsersService/FindOne"),
        }
    }

    /// `UsersService/FindOne`: what a report shows next to an element's full name.
    pub fn short(&self) -> String {
        let service = self.service.rsplit('.').next().unwrap_or(&self.service);
        format!("{service}/{}", self.method)
    }

    /// `users.v1.UsersService.FindOne`, the descriptor full name (and `Finding.element`).
    pub fn element(&self) -> String {
        format!("{}.{}", self.service, self.method)
    }

    pub fn package(&self) -> &str {
        self.service.rsplit_once('.').map_or("", |(p, _)| p)
    }
}

impl fmt::Display for RpcName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service, self.method)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    Request,
    Response,
    /// An event the crate subscribes to.
    Received,
    /// An event the crate publishes.
    Sent,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
            Direction::Received => "received",
            Direction::Sent => "sent",
        }
    }
}

/// What an element is reached through: an RPC, or an event's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Rpc(RpcName),
    Subject(String),
}

/// The first way (RPCs in name order, request before response, then events by subject) an
/// element is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub via: Via,
    pub direction: Direction,
}

impl fmt::Display for Route {
    /// `UsersService/FindOne request`, `received on subject orders.shipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.via {
            Via::Rpc(rpc) => write!(f, "{} {}", rpc.short(), self.direction.label()),
            Via::Subject(subject) => {
                write!(f, "{} on subject {subject}", self.direction.label())
            }
        }
    }
}

/// An event a crate receives or sends: its subject and message's full name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventName {
    pub subject: String,
    pub message: String,
}

/// Everything a set of RPCs can observe, by full name (no leading dot).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub rpcs: BTreeSet<RpcName>,
    /// Messages, fields (`pkg.Msg.field`), oneofs, enums and enum values (both as
    /// `pkg.Enum.VALUE` and in protobuf's sibling scope `pkg.VALUE`), with how they are reached.
    /// The called RPCs are in here too (`pkg.Service.Method`), routed through themselves.
    pub elements: BTreeMap<String, Route>,
    /// Services with at least one RPC in `rpcs`, routed through the first.
    pub services: BTreeMap<String, Route>,
    /// Messages and enums reached, a subset of `elements`.
    pub types: BTreeSet<String>,
}

impl Reach {
    /// How `element` is reached, trying its enclosing scopes when it is not itself an
    /// element (a finding may name a reserved range or an option of a reached message).
    /// An RPC that is not called is not reached, even though its service is.
    pub fn route(&self, element: &str) -> Option<&Route> {
        let mut name = element.trim_start_matches('.');
        if let Some(route) = self.services.get(name) {
            return Some(route);
        }
        loop {
            if let Some(route) = self.elements.get(name) {
                return Some(route);
            }
            name = name.rsplit_once('.')?.0;
            if self.services.contains_key(name) {
                return None;
            }
        }
    }
}

/// The descriptors of a contract by full name.
pub(crate) struct Index<'a> {
    pub messages: BTreeMap<String, &'a DescriptorProto>,
    pub enums: BTreeMap<String, &'a EnumDescriptorProto>,
}

impl<'a> Index<'a> {
    pub fn new(files: &'a [FileDescriptorProto]) -> Self {
        let mut index = Index {
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
        };
        for file in files {
            let scope = file.package().to_string();
            for message in &file.message_type {
                index.add_message(&scope, message);
            }
            for enumeration in &file.enum_type {
                index
                    .enums
                    .insert(join(&scope, enumeration.name()), enumeration);
            }
        }
        index
    }

    fn add_message(&mut self, scope: &str, message: &'a DescriptorProto) {
        let name = join(scope, message.name());
        for nested in &message.nested_type {
            self.add_message(&name, nested);
        }
        for enumeration in &message.enum_type {
            self.enums
                .insert(join(&name, enumeration.name()), enumeration);
        }
        self.messages.insert(name, message);
    }
}

pub(crate) fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// Computes what `rpcs` observe in `contract`. Every RPC must exist in the contract.
pub fn reach(contract: &Contract, rpcs: &BTreeSet<RpcName>) -> anyhow::Result<Reach> {
    reach_with_events(contract, rpcs, &[])
}

/// Like [`reach`], plus what the payloads of `events` (received or sent) observe. Every
/// event's message must exist in the contract.
pub fn reach_with_events(
    contract: &Contract,
    rpcs: &BTreeSet<RpcName>,
    events: &[(Direction, EventName)],
) -> anyhow::Result<Reach> {
    let index = Index::new(&contract.files);
    let mut out = Reach {
        rpcs: rpcs.clone(),
        ..Reach::default()
    };
    for rpc in rpcs {
        let method = find_method(contract, rpc)?;
        let route = |direction| Route {
            via: Via::Rpc(rpc.clone()),
            direction,
        };
        out.services
            .entry(rpc.service.clone())
            .or_insert_with(|| route(Direction::Request));
        out.elements
            .entry(rpc.element())
            .or_insert_with(|| route(Direction::Request));
        for (direction, type_name) in [
            (Direction::Request, method.input_type()),
            (Direction::Response, method.output_type()),
        ] {
            visit(&index, type_name, &route(direction), &mut out);
        }
    }
    for (direction, event) in events {
        if !index.messages.contains_key(&event.message) {
            bail!(
                "the contract has no message {} (the event on subject {})",
                event.message,
                event.subject
            );
        }
        let route = Route {
            via: Via::Subject(event.subject.clone()),
            direction: *direction,
        };
        visit(&index, &event.message, &route, &mut out);
    }
    Ok(out)
}

fn find_method<'a>(
    contract: &'a Contract,
    rpc: &RpcName,
) -> anyhow::Result<&'a prost_types::MethodDescriptorProto> {
    let service = contract
        .files
        .iter()
        .flat_map(|f| f.service.iter().map(move |s| (f, s)))
        .find(|(f, s)| join(f.package(), s.name()) == rpc.service)
        .map(|(_, s)| s)
        .with_context(|| format!("the contract has no service {}", rpc.service))?;
    service
        .method
        .iter()
        .find(|m| m.name() == rpc.method)
        .with_context(|| format!("service {} has no RPC {}", rpc.service, rpc.method))
}

/// Breadth-first from one request or response type; the first route to reach an element wins.
fn visit(index: &Index<'_>, root: &str, route: &Route, out: &mut Reach) {
    let mut queue = VecDeque::from([root.trim_start_matches('.').to_string()]);
    while let Some(name) = queue.pop_front() {
        if !out.types.insert(name.clone()) {
            continue;
        }
        out.elements
            .entry(name.clone())
            .or_insert_with(|| route.clone());
        if let Some(message) = index.messages.get(&name) {
            for oneof in &message.oneof_decl {
                out.elements
                    .entry(join(&name, oneof.name()))
                    .or_insert_with(|| route.clone());
            }
            for field in &message.field {
                out.elements
                    .entry(join(&name, field.name()))
                    .or_insert_with(|| route.clone());
                if !field.type_name().is_empty() {
                    queue.push_back(field.type_name().trim_start_matches('.').to_string());
                }
            }
        } else if let Some(enumeration) = index.enums.get(&name) {
            let sibling_scope = name.rsplit_once('.').map_or("", |(scope, _)| scope);
            for value in &enumeration.value {
                for full in [join(&name, value.name()), join(sibling_scope, value.name())] {
                    out.elements.entry(full).or_insert_with(|| route.clone());
                }
            }
        }
        // Otherwise a type from outside the contract (a well-known type): observed, but
        // its definition is not the contract's to change.
    }
}

/// Every RPC of the given services (full names), sorted.
pub fn rpcs_of_services(
    contract: &Contract,
    services: &[String],
) -> anyhow::Result<BTreeSet<RpcName>> {
    let mut out = BTreeSet::new();
    for wanted in services {
        let wanted = wanted.trim_start_matches('.');
        let service = contract
            .files
            .iter()
            .flat_map(|f| {
                f.service
                    .iter()
                    .map(move |s| (join(f.package(), s.name()), s))
            })
            .find(|(name, _)| name == wanted)
            .map(|(_, s)| s)
            .with_context(|| format!("the contract has no service {wanted}"))?;
        for method in &service.method {
            out.insert(RpcName {
                service: wanted.to_string(),
                method: method.name().to_string(),
            });
        }
    }
    Ok(out)
}

/// Every service of the contract by full name, sorted.
pub fn all_services(contract: &Contract) -> Vec<String> {
    let mut out: Vec<String> = contract
        .files
        .iter()
        .flat_map(|f| f.service.iter().map(move |s| join(f.package(), s.name())))
        .collect();
    out.sort();
    out
}
