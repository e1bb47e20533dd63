//! What a crate can observe of a contract: the RPCs it serves or calls, and every message,
//! field, oneof, enum and enum value reachable from their requests and responses.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::contract::{Contract, Model};
use anyhow::{bail, Context};

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
        crate::contract::model::qualify(&self.service, &self.method)
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
    let model = Model::new(contract);
    let mut out = Reach {
        rpcs: rpcs.clone(),
        ..Reach::default()
    };
    for rpc in rpcs {
        let method = find_method(&model, rpc)?;
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
            visit(&model, type_name, &route(direction), &mut out);
        }
    }
    for (direction, event) in events {
        if model.message(&event.message).is_none() {
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
        visit(&model, &event.message, &route, &mut out);
    }
    Ok(out)
}

fn find_method<'a>(
    model: &Model<'a>,
    rpc: &RpcName,
) -> anyhow::Result<&'a prost_types::MethodDescriptorProto> {
    let service = model
        .service(&rpc.service)
        .with_context(|| format!("the contract has no service {}", rpc.service))?;
    service
        .desc
        .method
        .iter()
        .find(|m| m.name() == rpc.method)
        .with_context(|| format!("service {} has no RPC {}", rpc.service, rpc.method))
}

/// Breadth-first from one request or response type; the first route to reach an element wins.
fn visit(model: &Model<'_>, root: &str, route: &Route, out: &mut Reach) {
    let mut queue = VecDeque::from([root.trim_start_matches('.').to_string()]);
    while let Some(name) = queue.pop_front() {
        if !out.types.insert(name.clone()) {
            continue;
        }
        out.elements
            .entry(name.clone())
            .or_insert_with(|| route.clone());
        if let Some(&message) = model.message_by_name.get(&name) {
            for oneof in model.oneofs(message) {
                out.elements
                    .entry(oneof.full_name)
                    .or_insert_with(|| route.clone());
            }
            for field in model.fields(message) {
                if !field.desc.type_name().is_empty() {
                    queue.push_back(field.desc.type_name().trim_start_matches('.').to_string());
                }
                out.elements
                    .entry(field.full_name)
                    .or_insert_with(|| route.clone());
            }
        } else if let Some(&enumeration) = model.enum_by_name.get(&name) {
            for value in model.values(enumeration) {
                for full in [value.full_name, value.sibling_name] {
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
    let model = Model::new(contract);
    let mut out = BTreeSet::new();
    for wanted in services {
        let wanted = wanted.trim_start_matches('.');
        let service = model
            .service(wanted)
            .with_context(|| format!("the contract has no service {wanted}"))?;
        for method in &service.desc.method {
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
    let mut out: Vec<String> = Model::new(contract)
        .services
        .into_iter()
        .map(|s| s.full_name)
        .collect();
    out.sort();
    out
}
