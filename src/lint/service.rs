//! Service and RPC rules: SERVICE_PASCAL_CASE, SERVICE_SUFFIX, RPC_PASCAL_CASE,
//! RPC_REQUEST_STANDARD_NAME, RPC_RESPONSE_STANDARD_NAME, RPC_REQUEST_RESPONSE_UNIQUE,
//! RPC_NO_CLIENT_STREAMING, RPC_NO_SERVER_STREAMING, COMMENT_SERVICE, COMMENT_RPC.

use std::collections::BTreeMap;

use super::names::to_pascal_case;
use super::sink::Sink;
use crate::contract::model::sub;

/// An RPC as RPC_REQUEST_RESPONSE_UNIQUE sees it: file, path, request and response type.
type Use<'a> = (usize, Vec<i32>, &'a str, &'a str);

const EMPTY: &str = "google.protobuf.Empty";

pub fn check(sink: &mut Sink) {
    let model = sink.model;
    let comments = sink.on("COMMENT_SERVICE") || sink.on("COMMENT_RPC");
    let settings = sink.settings().clone();
    for (at, s) in model.services.iter().enumerate() {
        let i = s.file;
        {
            let name = s.desc.name();
            let at_name = sub(&s.path, &[1]);
            let expected = to_pascal_case(name);
            if name != expected {
                sink.add(
                    "SERVICE_PASCAL_CASE",
                    i,
                    Some(&at_name),
                    name,
                    format!(
                        "Service name \"{name}\" should be PascalCase, such as \"{expected}\"."
                    ),
                );
            }
            if !name.ends_with(settings.service_suffix.as_str()) {
                sink.add(
                    "SERVICE_SUFFIX",
                    i,
                    Some(&at_name),
                    name,
                    format!(
                        "Service name \"{name}\" should be suffixed with \"{}\".",
                        settings.service_suffix
                    ),
                );
            }
            if comments && sink.lacks_comment(i, &s.path) {
                sink.add(
                    "COMMENT_SERVICE",
                    i,
                    Some(&s.path),
                    name,
                    format!("Service \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it does."),
                );
            }
        }
        for m in model.rpcs(at) {
            let name = m.desc.name();
            let expected = to_pascal_case(name);
            if name != expected {
                sink.add(
                    "RPC_PASCAL_CASE",
                    i,
                    Some(&sub(&m.path, &[1])),
                    &m.full_name,
                    format!("RPC name \"{name}\" should be PascalCase, such as \"{expected}\"."),
                );
            }
            if m.desc.client_streaming() {
                sink.add(
                    "RPC_NO_CLIENT_STREAMING",
                    i,
                    Some(&m.path),
                    &m.full_name,
                    format!("RPC \"{name}\" is client streaming: make it unary (a repeated field in one request)."),
                );
            }
            if m.desc.server_streaming() {
                sink.add(
                    "RPC_NO_SERVER_STREAMING",
                    i,
                    Some(&m.path),
                    &m.full_name,
                    format!("RPC \"{name}\" is server streaming: make it unary (paginate a repeated field)."),
                );
            }
            for (rule, kind, type_name, allow_empty, field) in [
                (
                    "RPC_REQUEST_STANDARD_NAME",
                    "Request",
                    m.desc.input_type(),
                    settings.rpc_allow_google_protobuf_empty_requests,
                    2,
                ),
                (
                    "RPC_RESPONSE_STANDARD_NAME",
                    "Response",
                    m.desc.output_type(),
                    settings.rpc_allow_google_protobuf_empty_responses,
                    3,
                ),
            ] {
                let full = type_name.trim_start_matches('.');
                if allow_empty && full == EMPTY {
                    continue;
                }
                let short = full.rsplit('.').next().unwrap_or(full);
                let one = format!("{}{kind}", to_pascal_case(name));
                let two = format!("{}{one}", to_pascal_case(s.desc.name()));
                if short != one && short != two {
                    sink.add(
                        rule,
                        i,
                        Some(&sub(&m.path, &[field])),
                        &m.full_name,
                        format!(
                            "RPC {} type \"{short}\" should be named \"{one}\" or \"{two}\".",
                            kind.to_lowercase()
                        ),
                    );
                }
            }
            if comments && sink.lacks_comment(i, &m.path) {
                sink.add(
                    "COMMENT_RPC",
                    i,
                    Some(&m.path),
                    &m.full_name,
                    format!("RPC \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it does."),
                );
            }
        }
    }
    if sink.on("RPC_REQUEST_RESPONSE_UNIQUE") {
        unique(sink);
    }
}

/// RPC_REQUEST_RESPONSE_UNIQUE, as buf: the same type for request and response, or a type
/// used by more than one RPC (google.protobuf.Empty as configured).
fn unique(sink: &mut Sink) {
    let model = sink.model;
    let settings = sink.settings().clone();
    let (allow_req, allow_resp) = (
        settings.rpc_allow_google_protobuf_empty_requests,
        settings.rpc_allow_google_protobuf_empty_responses,
    );
    // type -> RPC full name -> its use
    let mut users: BTreeMap<&str, BTreeMap<String, Use>> = BTreeMap::new();
    let mut reports: Vec<(usize, Vec<i32>, String, String)> = Vec::new();
    for (at, service) in model.services.iter().enumerate() {
        let i = service.file;
        for m in model.rpcs(at) {
            let input = m.desc.input_type().trim_start_matches('.');
            let output = m.desc.output_type().trim_start_matches('.');
            if !settings.rpc_allow_same_request_response
                && input == output
                && !(input == EMPTY && allow_req && allow_resp)
            {
                reports.push((
                    i,
                    m.path.clone(),
                    m.full_name.clone(),
                    format!("RPC \"{}\" has the same type \"{input}\" for the request and response: give it its own {}Request and {}Response.", m.desc.name(), m.desc.name(), m.desc.name()),
                ));
            }
            for t in [input, output] {
                users
                    .entry(t)
                    .or_default()
                    .insert(m.full_name.clone(), (i, m.path.clone(), input, output));
            }
        }
    }
    for (t, rpcs) in &users {
        // RPCs of files outside the contract (another group of the unit, see `stored`) that
        // use the type as a request, as a response: each counts as one more user.
        let (others_req, others_resp) = sink.outside.get(*t).copied().unwrap_or_default();
        if rpcs.len() + usize::from(others_req || others_resp) < 2 {
            continue;
        }
        if *t == EMPTY && (allow_req || allow_resp) {
            if allow_req && allow_resp {
                continue;
            }
            let requests: Vec<_> = rpcs.iter().filter(|(_, r)| r.2 == EMPTY).collect();
            let responses: Vec<_> = rpcs.iter().filter(|(_, r)| r.3 == EMPTY).collect();
            for (set, allowed, side, others) in [
                (requests, allow_req, "request", others_req),
                (responses, allow_resp, "response", others_resp),
            ] {
                if !allowed && set.len() + usize::from(others) > 1 {
                    for (full, r) in set {
                        reports.push((r.0, r.1.clone(), full.clone(), format!("\"{t}\" is used as the {side} for multiple RPCs: give each RPC its own message.")));
                    }
                }
            }
        } else {
            // One message for all its RPCs: naming them all would grow with the square of
            // the RPCs sharing a type (thousands share google.protobuf.Empty in googleapis).
            let message = format!("\"{t}\" is used as the request or response type for multiple RPCs: give each RPC its own message.");
            for (full, r) in rpcs {
                reports.push((r.0, r.1.clone(), full.clone(), message.clone()));
            }
        }
    }
    for (file, path, element, message) in reports {
        sink.add(
            "RPC_REQUEST_RESPONSE_UNIQUE",
            file,
            Some(&path),
            element,
            message,
        );
    }
}
