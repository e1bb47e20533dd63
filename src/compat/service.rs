//! Service rules: deleted RPCs, request and response types, streaming, idempotency.
//! Services are paired by full name, RPCs by name.

use std::collections::HashMap;

use super::sink::{Place, Report, Sink};
use crate::contract::model::{qualify, sub};

pub fn check(sink: &mut Sink) {
    let (prev, cur) = (sink.prev, sink.cur);
    for previous in &prev.services {
        let Some(&c) = cur.service_by_name.get(&previous.full_name) else {
            continue;
        };
        let current = &cur.services[c];
        let service = current.desc.name();
        let methods: HashMap<&str, usize> = current
            .desc
            .method
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name(), i))
            .collect();
        let against = Some(previous.file);
        for before in &previous.desc.method {
            let name = before.name();
            let element = qualify(&current.full_name, name);
            let Some(&i) = methods.get(name) else {
                sink.add(Report {
                    rule: "RPC_NO_DELETE",
                    place: Place::At {
                        file: current.file,
                        candidates: vec![current.path.clone()],
                    },
                    anchor: Some(current.path.clone()),
                    against,
                    element,
                    message: format!(
                        "RPC \"{name}\" was deleted from service \"{service}\": clients built before this change still call it and get UNIMPLEMENTED; deprecate it (`option deprecated = true;`) and delete it once no client calls it"
                    ),
                });
                continue;
            };
            let after = &current.desc.method[i];
            let path = sub(&current.path, &[2, i as i32]);
            let place = |tail: &[i32]| Place::At {
                file: current.file,
                candidates: if tail.is_empty() {
                    vec![path.clone()]
                } else {
                    vec![sub(&path, tail)]
                },
            };
            let mut reports = Vec::new();
            let mut report = |rule, place, message| {
                reports.push(Report {
                    rule,
                    place,
                    anchor: Some(path.clone()),
                    against,
                    element: element.clone(),
                    message,
                })
            };
            let mode = |streaming: bool| if streaming { "streaming" } else { "unary" };
            if before.client_streaming() != after.client_streaming() {
                report(
                    "RPC_SAME_CLIENT_STREAMING",
                    place(&[]),
                    format!(
                        "RPC \"{name}\" of service \"{service}\" changed from client {} to client {}: clients built before this change use the other call shape and fail; add a new RPC instead",
                        mode(before.client_streaming()),
                        mode(after.client_streaming())
                    ),
                );
            }
            if before.server_streaming() != after.server_streaming() {
                report(
                    "RPC_SAME_SERVER_STREAMING",
                    place(&[]),
                    format!(
                        "RPC \"{name}\" of service \"{service}\" changed from server {} to server {}: clients built before this change expect the other response shape and fail; add a new RPC instead",
                        mode(before.server_streaming()),
                        mode(after.server_streaming())
                    ),
                );
            }
            if before.input_type() != after.input_type() {
                report(
                    "RPC_SAME_REQUEST_TYPE",
                    place(&[2]),
                    format!(
                        "RPC \"{name}\" of service \"{service}\" changed request type from \"{}\" to \"{}\": requests from clients built before this change are decoded as the wrong message; add a new RPC instead",
                        before.input_type().trim_start_matches('.'),
                        after.input_type().trim_start_matches('.')
                    ),
                );
            }
            if before.output_type() != after.output_type() {
                report(
                    "RPC_SAME_RESPONSE_TYPE",
                    place(&[3]),
                    format!(
                        "RPC \"{name}\" of service \"{service}\" changed response type from \"{}\" to \"{}\": clients built before this change decode responses as the wrong message; add a new RPC instead",
                        before.output_type().trim_start_matches('.'),
                        after.output_type().trim_start_matches('.')
                    ),
                );
            }
            let level = |m: &prost_types::MethodDescriptorProto| {
                m.options
                    .as_ref()
                    .map_or(
                        prost_types::method_options::IdempotencyLevel::IdempotencyUnknown,
                        |o| o.idempotency_level(),
                    )
                    .as_str_name()
            };
            if level(before) != level(after) {
                report(
                    "RPC_SAME_IDEMPOTENCY_LEVEL",
                    place(&[4, 34]),
                    format!(
                        "RPC \"{name}\" of service \"{service}\" changed idempotency_level from {} to {}: clients and proxies built before this change retry it (or use GET) differently; restore `option idempotency_level = {};`",
                        level(before),
                        level(after),
                        level(before)
                    ),
                );
            }
            for r in reports {
                sink.add(r);
            }
        }
    }
}
