//! What the templates need to know about a contract: its services and RPCs with the Rust names
//! prost and tonic give them, and the names of the crates to generate.

use std::collections::{BTreeMap, BTreeSet};

use prost_types::FileDescriptorProto;

use super::names::{self, RustType};

/// Everything the templates of one workspace render from.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// `shop`
    pub name: String,
    /// `shop-api`, `shop-server`, `shop-client`
    pub api_crate: String,
    pub server_crate: String,
    pub client_crate: String,
    /// `shop_api`, `shop_server`, `shop_client`: the crates as Rust paths.
    pub api_ident: String,
    pub server_ident: String,
    pub client_ident: String,
    /// `SHOP_ADDR`: where the server listens and the example connects.
    pub addr_env: String,
    /// The command named in every generated file's header.
    pub command: String,
    /// The contract's import root relative to the workspace, with forward slashes.
    pub contract_root: String,
    /// Files to compile relative to the root; empty means every .proto file under it.
    pub contract_files: Vec<String>,
    /// Whether the .proto files were copied into the workspace (`--vendor`).
    pub vendored: bool,
    /// Sorted by full name.
    pub services: Vec<Service>,
    /// Whether the api crate carries the production runtime (`templates/runtime/mod.rs`).
    pub has_runtime: bool,
    /// Whether the contract imports `buf/validate/validate.proto`: the api crate then carries
    /// that file and validates requests by default (its `validate` feature).
    pub has_validation: bool,
    /// Whether the contract has editions files: the workspace then carries protogen's patched
    /// protox-parse, protox and prost-reflect (`vendor/`, patched in by the root Cargo.toml),
    /// and the api crate's build.rs lowers those files for prost-build (`editions.rs`).
    pub editions: bool,
    /// The events the contract declares, sorted by subject, with what this workspace does
    /// with each (protogen.toml's `[events]`).
    pub events: Vec<EventModel>,
    /// protogen.toml's `[events] broker`: `nats` (the default), `kafka` or `rabbitmq`; the
    /// api crate's cargo feature of the same name.
    pub events_broker: String,
}

/// The brokers `[events] broker` accepts.
pub const EVENT_BROKERS: [&str; 3] = ["nats", "kafka", "rabbitmq"];

/// One event of the contract as the templates need it.
#[derive(Debug, Clone)]
pub struct EventModel {
    /// `orders.shipped`
    pub subject: String,
    /// `orders.v1.OrderShipped`
    pub message: String,
    /// `orders/v1/orders.proto`
    pub file: String,
    /// The message in the api crate: `orders::v1::OrderShipped`.
    pub rust_path: String,
    /// The subscriber's method: `on_orders_shipped`.
    pub handler: String,
    pub published: bool,
    pub subscribed: bool,
}

/// The contract's `declared` events, marked with what the workspace publishes and subscribes to.
pub fn events(
    declared: &[crate::contract::events::Event],
    publishes: &[String],
    subscribes: &[String],
) -> Vec<EventModel> {
    let mut taken = BTreeSet::new();
    declared
        .iter()
        .map(|event| {
            let base = format!(
                "on_{}",
                names::to_snake(&event.subject.replace(['.', '-'], "_")).trim_start_matches("r#")
            );
            let mut handler = base.clone();
            let mut n = 2;
            while !taken.insert(handler.clone()) {
                handler = format!("{base}_{n}");
                n += 1;
            }
            let rust_path = match names::rust_type(&event.message) {
                RustType::Api(path) => path,
                RustType::Builtin(b) => b.to_string(),
            };
            EventModel {
                subject: event.subject.clone(),
                message: event.message.clone(),
                file: event.file.clone(),
                rust_path,
                handler,
                published: publishes.contains(&event.subject),
                subscribed: subscribes.contains(&event.subject),
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct Service {
    /// `users.v1.UsersService`
    pub full_name: String,
    /// `users/v1/users.proto`
    pub file: String,
    /// The package's module path in the api crate: `users::v1` (empty for no package).
    pub package_path: String,
    /// The trait tonic generates: `UsersService`.
    pub trait_name: String,
    /// `users_service_server`, `users_service_client`
    pub server_module: String,
    pub client_module: String,
    /// The handler file's module, unique across packages: `users_v1_users_service`.
    pub handler_module: String,
    /// `users_v1_users_service.rs`, the handler's file in `src/handlers/`.
    pub handler_file: String,
    /// `UsersServiceHandler`
    pub handler_struct: String,
    /// The service's comment from the .proto file, one entry per line.
    pub comment: Vec<String>,
    pub rpcs: Vec<Rpc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcKind {
    Unary,
    ServerStreaming,
    ClientStreaming,
    Bidi,
}

#[derive(Debug, Clone)]
pub struct Rpc {
    /// `FindOne`
    pub proto_name: String,
    /// The trait method: `find_one`, `r#match`.
    pub method: String,
    /// `users.v1.UsersService/FindOne`, as gRPC routes it.
    pub route: String,
    pub kind: RpcKind,
    pub input: RustType,
    pub output: RustType,
    /// The types as the handler file writes them (`pb::UserById`, `()`), and a value of the
    /// answer type (`pb::User::default()`); filled in by [`Workspace::resolve_types`].
    pub input_type: String,
    pub output_type: String,
    pub output_default: String,
    /// A default request as written from the client crate
    /// (`shop_client::shop_api::users::v1::UserById::default()`, `()`).
    pub input_default_from_client: String,
    /// tonic's associated type for a streamed answer: `FindManyStream`.
    pub stream_type: String,
    pub comment: Vec<String>,
}

impl Rpc {
    pub fn streams_in(&self) -> bool {
        matches!(self.kind, RpcKind::ClientStreaming | RpcKind::Bidi)
    }
    pub fn streams_out(&self) -> bool {
        matches!(self.kind, RpcKind::ServerStreaming | RpcKind::Bidi)
    }
    pub fn kind_label(&self) -> &'static str {
        match self.kind {
            RpcKind::Unary => "unary",
            RpcKind::ServerStreaming => "server streaming",
            RpcKind::ClientStreaming => "client streaming",
            RpcKind::Bidi => "bidirectional streaming",
        }
    }
}

impl Service {
    pub fn uses_streaming_requests(&self) -> bool {
        self.rpcs.iter().any(Rpc::streams_in)
    }

    /// `shop_api::users::v1`, or the crate itself for files without a package.
    pub fn package_in(&self, krate: &str) -> String {
        if self.package_path.is_empty() {
            krate.to_string()
        } else {
            format!("{krate}::{}", self.package_path)
        }
    }
}

impl Workspace {
    /// Whether the contract declares events (the api crate then turns on its `events` feature).
    pub fn has_events(&self) -> bool {
        self.has_runtime && !self.events.is_empty()
    }

    pub fn published_events(&self) -> Vec<&EventModel> {
        self.events.iter().filter(|e| e.published).collect()
    }

    pub fn subscribed_events(&self) -> Vec<&EventModel> {
        self.events.iter().filter(|e| e.subscribed).collect()
    }

    /// Writes each RPC's types the way the handler files and the client's example name them.
    pub fn resolve_types(&mut self) {
        let client_api = format!("{}::{}", self.client_ident, self.api_ident);
        for service in &mut self.services {
            let package_prefix = format!("{}::", service.package_path);
            for rpc in &mut service.rpcs {
                rpc.input_type = in_handler(&self.api_ident, &package_prefix, &rpc.input);
                rpc.output_type = in_handler(&self.api_ident, &package_prefix, &rpc.output);
                rpc.output_default = default_of(&rpc.output_type, &rpc.output);
                let input_from_client = match &rpc.input {
                    RustType::Builtin(b) => b.to_string(),
                    RustType::Api(path) => format!("{client_api}::{path}"),
                };
                rpc.input_default_from_client = default_of(&input_from_client, &rpc.input);
            }
        }
    }
}

/// Types of the service's own package go through the file's `pb` alias; others get their
/// full path in the api crate.
fn in_handler(api_ident: &str, package_prefix: &str, ty: &RustType) -> String {
    match ty {
        RustType::Builtin(b) => b.to_string(),
        RustType::Api(path) => match path.strip_prefix(package_prefix) {
            Some(rest) if package_prefix != "::" => format!("pb::{rest}"),
            _ => format!("{api_ident}::{path}"),
        },
    }
}

/// `pb::User::default()`, `()`, or `<Vec<u8>>::default()` where the type is not a plain path.
pub fn default_of(written: &str, ty: &RustType) -> String {
    match ty {
        RustType::Builtin("()") => "()".to_string(),
        RustType::Builtin(_) => format!("<{written}>::default()"),
        RustType::Api(_) => format!("{written}::default()"),
    }
}

/// Collects the services declared in `files` (the ones the user named), sorted by full name,
/// with handler modules that stay unique even when two packages share a service name.
pub fn services(files: &[&FileDescriptorProto]) -> Vec<Service> {
    let mut services = Vec::new();
    for file in files {
        for (service_index, service) in file.service.iter().enumerate() {
            let package = file.package();
            let full_name = qualified(package, service.name());
            let trait_name = names::to_upper_camel(service.name());
            let service_path = [6, service_index as i32];
            let rpcs = service
                .method
                .iter()
                .enumerate()
                .map(|(method_index, method)| {
                    let kind = match (method.client_streaming(), method.server_streaming()) {
                        (false, false) => RpcKind::Unary,
                        (false, true) => RpcKind::ServerStreaming,
                        (true, false) => RpcKind::ClientStreaming,
                        (true, true) => RpcKind::Bidi,
                    };
                    Rpc {
                        proto_name: method.name().to_string(),
                        method: names::to_snake(method.name()),
                        route: format!("{full_name}/{}", method.name()),
                        kind,
                        input: names::rust_type(method.input_type()),
                        output: names::rust_type(method.output_type()),
                        input_type: String::new(),
                        output_type: String::new(),
                        output_default: String::new(),
                        input_default_from_client: String::new(),
                        stream_type: format!("{}Stream", method.name()),
                        comment: comment(file, &[6, service_index as i32, 2, method_index as i32]),
                    }
                })
                .collect();
            services.push(Service {
                file: file.name().to_string(),
                package_path: names::package_path(package).join("::"),
                server_module: format!("{}_server", names::naive_snake_case(&trait_name)),
                client_module: format!("{}_client", names::naive_snake_case(&trait_name)),
                handler_module: String::new(),
                handler_file: String::new(),
                handler_struct: format!("{trait_name}Handler"),
                trait_name,
                comment: comment(file, &service_path),
                rpcs,
                full_name,
            });
        }
    }
    services.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    assign_handler_modules(&mut services);
    services
}

fn qualified(package: &str, name: &str) -> String {
    if package.is_empty() {
        name.to_string()
    } else {
        format!("{package}.{name}")
    }
}

/// `users.v1.UsersService` → `users_v1_users_service`; when two full names snake-case alike
/// (`a.b_c.S`, `a_b.c.S`), later ones in sorted order get `_2`, `_3`, ...
fn assign_handler_modules(services: &mut [Service]) {
    let mut taken = BTreeSet::new();
    for service in services {
        let base = names::to_snake(&service.full_name.replace('.', "_"));
        let base = base.trim_start_matches("r#").to_string();
        let mut candidate = base.clone();
        let mut n = 2;
        while !taken.insert(candidate.clone()) || candidate == "mod" {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        service.handler_file = format!("{candidate}.rs");
        service.handler_module = names::sanitize(&candidate);
    }
}

/// The leading comment of the element at `path`, without the comment markers' spaces.
fn comment(file: &FileDescriptorProto, path: &[i32]) -> Vec<String> {
    let Some(info) = &file.source_code_info else {
        return Vec::new();
    };
    let Some(location) = info.location.iter().find(|l| l.path == path) else {
        return Vec::new();
    };
    let text = location.leading_comments();
    let lines: Vec<String> = text
        .trim_end()
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_string())
        .collect();
    if lines.iter().all(|l| l.is_empty()) {
        Vec::new()
    } else {
        lines
    }
}

/// The client crate mirrors the contract's packages as modules; this renders that tree with
/// one typed-client alias per service, indented by four spaces per level.
pub fn client_modules(ws: &Workspace) -> String {
    #[derive(Default)]
    struct Node {
        children: BTreeMap<String, Node>,
        services: Vec<usize>,
    }
    let mut root = Node::default();
    for (index, service) in ws.services.iter().enumerate() {
        let mut node = &mut root;
        if !service.package_path.is_empty() {
            for segment in service.package_path.split("::") {
                node = node.children.entry(segment.to_string()).or_default();
            }
        }
        node.services.push(index);
    }
    fn render(ws: &Workspace, node: &Node, path: &[String], out: &mut String) {
        let indent = "    ".repeat(path.len());
        // Only where a service lives: elsewhere the glob would be shadowed by the child
        // modules and unused.
        if !path.is_empty() && !node.services.is_empty() {
            out.push_str(&format!(
                "{indent}pub use {}::{}::*;\n",
                ws.api_ident,
                path.join("::")
            ));
        }
        for &index in &node.services {
            let service = &ws.services[index];
            // With the runtime, every call goes through the policies of protogen.toml.
            let (transport, what) = if ws.has_runtime {
                (
                    format!("{}::runtime::Target", ws.api_ident),
                    "connection, circuit breaker and call policies",
                )
            } else {
                ("tonic::transport::Channel".to_string(), "connection")
            };
            out.push_str(&format!(
                "{indent}/// Typed client for `{}`; clone it freely, clones share one {what}.\n\
                 {indent}pub type {}Client = {}::{}::{}Client<{transport}>;\n",
                service.full_name,
                service.trait_name,
                service.package_in(&ws.api_ident),
                service.client_module,
                service.trait_name,
            ));
        }
        for (name, child) in &node.children {
            out.push_str(&format!("{indent}pub mod {name} {{\n"));
            let mut child_path = path.to_vec();
            child_path.push(name.clone());
            render(ws, child, &child_path, out);
            out.push_str(&format!("{indent}}}\n"));
        }
    }
    let mut out = String::new();
    render(ws, &root, &[], &mut out);
    out.trim_end().to_string()
}
