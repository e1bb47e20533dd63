//! Services and their RPCs: request and response types, streaming, idempotency.
//! RPCs are matched by name within their service.

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn services(&self) {
        for (name, old, new) in paired(&self.old.service_by_name, &self.new.service_by_name) {
            let (os, ns) = (
                old.map(|i| &self.old.services[i]),
                new.map(|i| &self.new.services[i]),
            );
            match (os, ns) {
                (Some(o), Some(n)) => {
                    let subject = self.moved(ElementKind::Service, name, o.file, n.file, &n.path);
                    self.service(&subject, old.unwrap_or_default(), new.unwrap_or_default());
                }
                (Some(o), None) if !self.covered(o.file, None, Side::Old) => {
                    let also = old
                        .map(|i| self.old.rpcs(i).map(|r| r.full_name).collect())
                        .unwrap_or_default();
                    let location = Some(self.location(Side::Old, o.file, &o.path));
                    self.whole(ElementKind::Service, name, Side::Old, location, None, also);
                }
                (None, Some(n)) if !self.covered(n.file, None, Side::New) => {
                    let location = Some(self.location(Side::New, n.file, &n.path));
                    self.whole(
                        ElementKind::Service,
                        name,
                        Side::New,
                        location,
                        None,
                        Vec::new(),
                    );
                }
                _ => {}
            }
        }
    }

    /// Compares service `old` (index into the old model's services) with `new`.
    pub(super) fn service(&self, subject: &Subject, old: usize, new: usize) {
        let (os, ns) = (&self.old.services[old], &self.new.services[new]);
        let (oo, no) = (
            os.desc.options.clone().unwrap_or_default(),
            ns.desc.options.clone().unwrap_or_default(),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
        self.features(
            subject,
            (os.file, &os.path),
            (ns.file, &ns.path),
            &[Feature::EnforceNamingStyle, Feature::JavaNestInFileClass],
        );
        self.docs(subject, (os.file, &os.path), (ns.file, &ns.path));
        let by_name = |model: &Model<'a>, s: usize| -> BTreeMap<&'a str, Rpc<'a>> {
            model.rpcs(s).map(|r| (r.desc.name(), r)).collect()
        };
        let (old_rpcs, new_rpcs) = (by_name(&self.old, old), by_name(&self.new, new));
        for (name, side) in union(&old_rpcs, &new_rpcs) {
            let (s, map) = match side {
                Side::Old => (os, &old_rpcs),
                Side::New => (ns, &new_rpcs),
            };
            let rpc = &map[name];
            let location = Some(self.location(side, s.file, &rpc.path));
            self.whole(
                ElementKind::Rpc,
                &rpc.full_name,
                side,
                location,
                Some(rpc_signature(rpc.desc)),
                Vec::new(),
            );
        }
        for (name, o) in &old_rpcs {
            if let Some(n) = new_rpcs.get(name) {
                let rpc_subject = Subject {
                    kind: ElementKind::Rpc,
                    element: qualify(&subject.element, name),
                    old_element: None,
                    also: Vec::new(),
                    location: Some(self.location(Side::New, ns.file, &n.path)),
                };
                self.rpc(&rpc_subject, o.desc, n.desc);
                self.features(
                    &rpc_subject,
                    (os.file, &o.path),
                    (ns.file, &n.path),
                    &[Feature::EnforceNamingStyle],
                );
                self.docs(&rpc_subject, (os.file, &o.path), (ns.file, &n.path));
            }
        }
    }

    pub(super) fn rpc(
        &self,
        subject: &Subject,
        old: &MethodDescriptorProto,
        new: &MethodDescriptorProto,
    ) {
        let type_name = |t: &str| Some(t.trim_start_matches('.').to_string());
        self.value(
            subject,
            "request_type",
            type_name(old.input_type()),
            type_name(new.input_type()),
        );
        self.value(
            subject,
            "response_type",
            type_name(old.output_type()),
            type_name(new.output_type()),
        );
        self.value(
            subject,
            "streaming",
            Some(streaming(old).to_string()),
            Some(streaming(new).to_string()),
        );
        let (oo, no) = (
            old.options.clone().unwrap_or_default(),
            new.options.clone().unwrap_or_default(),
        );
        let idempotency =
            |o: &prost_types::MethodOptions| o.idempotency_level().as_str_name().to_string();
        self.value(
            subject,
            "idempotency",
            Some(idempotency(&oo)),
            Some(idempotency(&no)),
        );
        self.deprecation(subject, oo.deprecated, no.deprecated);
    }
}

fn streaming(method: &MethodDescriptorProto) -> &'static str {
    match (method.client_streaming(), method.server_streaming()) {
        (false, false) => "unary",
        (false, true) => "server streaming",
        (true, false) => "client streaming",
        (true, true) => "bidirectional streaming",
    }
}

fn rpc_signature(method: &MethodDescriptorProto) -> String {
    let stream = |on: bool| if on { "stream " } else { "" };
    format!(
        "{}({}{}) returns ({}{})",
        method.name(),
        stream(method.client_streaming()),
        method.input_type().trim_start_matches('.'),
        stream(method.server_streaming()),
        method.output_type().trim_start_matches('.')
    )
}
