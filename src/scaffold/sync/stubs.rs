//! Handler stubs: new RPCs of a service get a stub at the end of its handler's `impl` block,
//! new services get a handler file, a module, a registration in the router and a `serves` entry.

use std::collections::BTreeSet;

use anyhow::{bail, Context};

use super::workspace::{add_to_list, Loaded, CONFIG};
use super::{edit, read, Change, Note, SyncPlan};
use crate::scaffold::model::{Service, Workspace};
use crate::scaffold::render;

/// Stubs for the RPCs the existing handler files lack; returns the services that have no
/// handler file yet (new ones), and notes handlers and services the contract lost.
pub(super) fn existing<'a>(
    loaded: &'a Loaded,
    out: &mut SyncPlan,
) -> anyhow::Result<Vec<&'a Service>> {
    let ws = &loaded.workspace;
    let server = &ws.server_crate;
    let handlers_dir = format!("{server}/src/handlers");
    let served: BTreeSet<&str> = loaded
        .config
        .server
        .serves
        .iter()
        .map(String::as_str)
        .collect();
    let mut new_services: Vec<&Service> = Vec::new();

    for service in &ws.services {
        let file = format!("{handlers_dir}/{}", service.handler_file);
        let path = loaded.dir.join(&file);
        if !path.exists() {
            if served.contains(service.full_name.as_str()) {
                bail!(
                    "{} is missing, but protogen.toml says {server} serves {}; restore the file from version control, or remove the service from `serves` in protogen.toml to have sync write a fresh one",
                    path.display(),
                    service.full_name
                );
            }
            new_services.push(service);
            continue;
        }
        let text = read(&path)?;
        let found = edit::inspect_handler(
            &text,
            &path.display().to_string(),
            &service.server_module,
            &service.trait_name,
        )?;
        let have: BTreeSet<&str> = found.methods.iter().map(|(m, _)| m.as_str()).collect();
        let missing: Vec<_> = service
            .rpcs
            .iter()
            .filter(|r| !have.contains(unraw(&r.method)))
            .cloned()
            .collect();
        for (method, line) in &found.methods {
            if !service.rpcs.iter().any(|r| unraw(&r.method) == method) {
                out.notes.push(Note::HandlerGone {
                    file: file.clone(),
                    line: *line,
                    method: method.clone(),
                    service: service.full_name.clone(),
                });
            }
        }
        if missing.is_empty() {
            continue;
        }
        let only_missing = Service {
            rpcs: missing,
            ..service.clone()
        };
        let mut stubs = stub_items(ws, &only_missing)?;
        if !found.imports_streaming {
            stubs = stubs.replace("Request<Streaming<", "Request<tonic::Streaming<");
        }
        let mut after = text[..found.insert_at].to_string();
        after.push('\n');
        after.push_str(&stubs);
        after.push_str(&text[found.insert_at..]);
        for rpc in &only_missing.rpcs {
            let offset = after[found.insert_at..]
                .find(&format!("async fn {}(", rpc.method))
                .map_or(found.insert_at, |i| found.insert_at + i);
            out.notes.push(Note::StubAdded {
                file: file.clone(),
                line: after[..offset].matches('\n').count() + 1,
                route: rpc.route.clone(),
            });
        }
        out.changes.push(Change {
            path: file,
            before: Some(text),
            after: Some(after),
        });
    }

    let contract_services: BTreeSet<&str> =
        ws.services.iter().map(|s| s.full_name.as_str()).collect();
    for gone in served.iter().filter(|s| !contract_services.contains(**s)) {
        // Where `protogen new` put its handlers: the service's full name in snake case.
        let module = heck::ToSnakeCase::to_snake_case(gone.replace('.', "_").as_str());
        let file = format!("{handlers_dir}/{module}.rs");
        if loaded.dir.join(&file).exists() {
            out.notes.push(Note::ServiceGone {
                file,
                service: gone.to_string(),
            });
        }
        out.notes.push(Note::EntryGone {
            key: "server.serves".into(),
            entry: gone.to_string(),
        });
    }
    Ok(new_services)
}

pub(super) fn unraw(method: &str) -> &str {
    method.trim_start_matches("r#")
}

/// The items of a handler's `impl` block for `service`'s RPCs, as `protogen new` renders them.
fn stub_items(ws: &Workspace, service: &Service) -> anyhow::Result<String> {
    let file = render::handler_file(ws, service).context("cannot render the stubs")?;
    impl_items(&file)
}

/// The items of the one `impl` block of a rendered file, up to its closing brace.
pub(super) fn impl_items(file: &str) -> anyhow::Result<String> {
    let start = file
        .find("\nimpl ")
        .and_then(|i| file[i..].find("{\n").map(|j| i + j + 2))
        .context("the handler template has no impl block")?;
    let end = file
        .rfind("\n}")
        .context("the handler template has no impl block")?
        + 1;
    Ok(file[start..end].to_string())
}

/// New services: a handler file each, a module in handlers/mod.rs, a registration in the
/// router, and an entry in `serves`.
pub(super) fn add_services(
    loaded: &Loaded,
    services: &[&Service],
    out: &mut SyncPlan,
) -> anyhow::Result<()> {
    let ws = &loaded.workspace;
    let server = &ws.server_crate;
    let mod_file = format!("{server}/src/handlers/mod.rs");
    let mod_path = loaded.dir.join(&mod_file);
    let mod_before = read(&mod_path)?;
    let mut mod_after = mod_before.clone();
    let lib_file = format!("{server}/src/lib.rs");
    let lib_path = loaded.dir.join(&lib_file);
    let lib_before = read(&lib_path)?;
    let (at, indent) = edit::registration_point(&lib_before, &lib_path.display().to_string())?;
    let mut registrations = String::new();
    let mut config_after = loaded.config_text.clone();
    for service in services {
        let file = format!("{server}/src/handlers/{}", service.handler_file);
        out.changes.push(Change {
            path: file.clone(),
            before: None,
            after: Some(ends_with_newline(render::handler_file(ws, service)?)),
        });
        out.notes.push(Note::ServiceAdded {
            file,
            service: service.full_name.clone(),
            stubs: service.rpcs.len(),
        });
        if !mod_after.ends_with('\n') {
            mod_after.push('\n');
        }
        mod_after.push_str(&format!(
            "\n/// `{}` ({})\npub mod {};\n",
            service.full_name, service.file, service.handler_module
        ));
        registrations.push_str(&format!(
            "\n{indent}.add_service({}::{}::{}Server::new(\n{indent}    handlers::{}::{}::default(),\n{indent}))",
            service.package_in(&ws.api_ident),
            service.server_module,
            service.trait_name,
            service.handler_module,
            service.handler_struct
        ));
        config_after = add_to_list(&config_after, "server", "serves", &service.full_name)
            .with_context(|| {
                format!(
                    "cannot add {} to `serves` in {}",
                    service.full_name,
                    loaded.dir.join(CONFIG).display()
                )
            })?;
    }
    let mut lib_after = lib_before.clone();
    lib_after.insert_str(at, &registrations);
    out.changes.push(Change {
        path: mod_file,
        before: Some(mod_before),
        after: Some(mod_after),
    });
    out.changes.push(Change {
        path: lib_file,
        before: Some(lib_before),
        after: Some(lib_after),
    });
    out.changes.push(Change {
        path: CONFIG.to_string(),
        before: Some(loaded.config_text.clone()),
        after: Some(config_after),
    });
    Ok(())
}

fn ends_with_newline(text: String) -> String {
    let mut text = text.trim_end().to_string();
    text.push('\n');
    text
}
