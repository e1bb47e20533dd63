//! Renders the askama templates under `templates/new/` (laid out like the workspace they
//! generate) into file contents.

use askama::Template;

use super::model::{client_modules, RpcKind, Service, Workspace};

/// One template per generated file; each sees the workspace, handler files also their service.
macro_rules! workspace_templates {
    ($($name:ident => $path:literal),* $(,)?) => {$(
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        struct $name<'a> {
            ws: &'a Workspace,
        }
    )*};
}

workspace_templates! {
    WorkspaceCargo => "new/Cargo.toml",
    ProtogenToml => "new/protogen.toml",
    Readme => "new/README.md",
    Gitignore => "new/.gitignore",
    ApiCargo => "new/api/Cargo.toml",
    ApiBuild => "new/api/build.rs",
    ApiLib => "new/api/src/lib.rs",
    ServerCargo => "new/server/Cargo.toml",
    ServerMain => "new/server/src/main.rs",
    ServerLib => "new/server/src/lib.rs",
    HandlersMod => "new/server/src/handlers/mod.rs",
    ServerTest => "new/server/tests/serve.rs",
    ClientCargo => "new/client/Cargo.toml",
    ClientExample => "new/client/examples/call.rs",
    ApiEvents => "new/api/src/events.rs",
    ServerSubscribers => "new/server/src/subscribers.rs",
}

#[derive(Template)]
#[template(path = "new/client/src/lib.rs", escape = "none")]
struct ClientLib<'a> {
    ws: &'a Workspace,
    client_modules: String,
}

#[derive(Template)]
#[template(path = "new/server/src/handlers/service.rs", escape = "none")]
struct Handler<'a> {
    ws: &'a Workspace,
    service: &'a Service,
}

/// Who may change a generated file afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// protogen regenerates it (`--force`, `sync`); its header says not to edit it.
    Protogen,
    /// Generated once, then the user's: never overwritten.
    User,
}

/// A rendered file: its path relative to the workspace, with forward slashes.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub owner: Owner,
}

/// Renders every template for `ws`, in a fixed order.
pub fn render(ws: &Workspace) -> askama::Result<Vec<RenderedFile>> {
    let api = &ws.api_crate;
    let server = &ws.server_crate;
    let client = &ws.client_crate;
    let mut files = Vec::new();
    let mut add = |path: String, text: String, owner: Owner| {
        files.push(RenderedFile {
            path,
            contents: ends_with_one_newline(text).into_bytes(),
            owner,
        });
    };
    use Owner::{Protogen, User};
    add("Cargo.toml".into(), WorkspaceCargo { ws }.render()?, User);
    // The user's from the start: it holds their call policies and `calls` narrowing.
    add("protogen.toml".into(), ProtogenToml { ws }.render()?, User);
    add("README.md".into(), Readme { ws }.render()?, User);
    add(".gitignore".into(), Gitignore { ws }.render()?, User);
    add(
        format!("{api}/Cargo.toml"),
        ApiCargo { ws }.render()?,
        Protogen,
    );
    add(
        format!("{api}/build.rs"),
        ApiBuild { ws }.render()?,
        Protogen,
    );
    add(
        format!("{api}/src/lib.rs"),
        ApiLib { ws }.render()?,
        Protogen,
    );
    if ws.has_events() {
        add(
            format!("{api}/src/events.rs"),
            ApiEvents { ws }.render()?,
            Protogen,
        );
        add(
            format!("{server}/src/subscribers.rs"),
            ServerSubscribers { ws }.render()?,
            User,
        );
    }
    add(
        format!("{server}/Cargo.toml"),
        ServerCargo { ws }.render()?,
        User,
    );
    add(
        format!("{server}/src/main.rs"),
        ServerMain { ws }.render()?,
        User,
    );
    add(
        format!("{server}/src/lib.rs"),
        ServerLib { ws }.render()?,
        User,
    );
    add(
        format!("{server}/src/handlers/mod.rs"),
        HandlersMod { ws }.render()?,
        Protogen,
    );
    for service in &ws.services {
        add(
            format!("{server}/src/handlers/{}", service.handler_file),
            Handler { ws, service }.render()?,
            User,
        );
    }
    add(
        format!("{server}/tests/serve.rs"),
        ServerTest { ws }.render()?,
        User,
    );
    add(
        format!("{client}/Cargo.toml"),
        ClientCargo { ws }.render()?,
        User,
    );
    let client_lib = ClientLib {
        ws,
        client_modules: client_modules(ws),
    };
    add(format!("{client}/src/lib.rs"), client_lib.render()?, User);
    add(
        format!("{client}/examples/call.rs"),
        ClientExample { ws }.render()?,
        User,
    );
    Ok(files)
}

fn ends_with_one_newline(text: String) -> String {
    let mut text = text.trim_end().to_string();
    text.push('\n');
    text
}

/// One service's handler file as `protogen new` writes it; `protogen sync` renders new
/// services' files and new RPCs' stubs with it.
pub fn handler_file(ws: &Workspace, service: &Service) -> askama::Result<String> {
    Handler { ws, service }.render()
}

/// The api crate's `src/events.rs` (protogen's: `protogen sync` rewrites it), and the server's
/// `src/subscribers.rs` as `protogen new` writes it (sync takes new stubs from it).
pub fn event_files(ws: &Workspace) -> askama::Result<(String, String)> {
    Ok((
        ends_with_one_newline(ApiEvents { ws }.render()?),
        ends_with_one_newline(ServerSubscribers { ws }.render()?),
    ))
}
