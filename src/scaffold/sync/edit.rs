//! Finds where new items go in files a person owns (a handler's `impl` block, the router's
//! `.add_service` chain), reading them with syn; edits are insertions, never rewrites.

use anyhow::{bail, Context};
use proc_macro2::LineColumn;
use syn::ext::IdentExt;
use syn::visit::Visit;

/// What sync needs to know about one handler file.
#[derive(Debug, Clone)]
pub struct HandlerFile {
    /// The trait methods it implements (`find_one`, `match` without `r#`), with their lines.
    pub methods: Vec<(String, u32)>,
    /// Byte offset of the start of the line holding the `impl` block's closing brace.
    pub insert_at: usize,
    /// Whether `Streaming` is imported by name (else new stubs write `tonic::Streaming`).
    pub imports_streaming: bool,
}

/// Reads a handler file and finds the one `impl …::{server_module}::{trait_name} for …`
/// block. Anything else (no such block, two of them, a closing brace sharing its line with
/// code, a file that does not parse) means it was restructured: stubs cannot be placed safely.
pub fn inspect_handler(
    text: &str,
    label: &str,
    server_module: &str,
    trait_name: &str,
) -> anyhow::Result<HandlerFile> {
    let by_hand = format!(
        "add the stubs by hand instead: `cargo build` names each missing method of {trait_name}"
    );
    let file = syn::parse_file(text).with_context(|| {
        format!("{label} does not parse as Rust, so protogen cannot place stubs in it safely; fix it (or {by_hand})")
    })?;
    let impls: Vec<&syn::ItemImpl> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block) => Some(block),
            _ => None,
        })
        .filter(|block| {
            block.trait_.as_ref().is_some_and(|(_, path, _)| {
                let segments: Vec<String> =
                    path.segments.iter().map(|s| s.ident.to_string()).collect();
                segments.last().is_some_and(|last| last == trait_name)
                    && (segments.len() == 1 || segments[segments.len() - 2] == server_module)
            })
        })
        .collect();
    let block = match impls.as_slice() {
        [one] => *one,
        [] => bail!(
            "{label} no longer holds `impl {server_module}::{trait_name} for …`, so protogen cannot tell where new stubs go; put the impl block back in this file, or {by_hand}"
        ),
        _ => bail!(
            "{label} holds {} impl blocks of {server_module}::{trait_name}, so protogen cannot tell where new stubs go; keep one, or {by_hand}",
            impls.len()
        ),
    };
    let close = block.brace_token.span.close().start();
    let lines = LineIndex::new(text);
    let line_start = lines.start_of(close.line);
    let close_offset = lines.offset(text, close);
    if !text[line_start..close_offset].trim().is_empty() {
        bail!(
            "{label}:{}: the impl block of {trait_name} closes on a line with code, so protogen cannot append stubs without touching it; put the closing brace on its own line, or {by_hand}",
            close.line
        );
    }
    let methods = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some((
                f.sig.ident.unraw().to_string(),
                f.sig.ident.span().start().line as u32,
            )),
            _ => None,
        })
        .collect();
    let mut imports = UseNames::default();
    imports.visit_file(&file);
    Ok(HandlerFile {
        methods,
        insert_at: line_start,
        imports_streaming: imports.names.iter().any(|n| n == "Streaming"),
    })
}

/// Finds where a new `.add_service(…)` goes in `fn router()`: right after the last one.
/// Returns the byte offset after its closing parenthesis and the indentation of its line.
pub fn registration_point(text: &str, label: &str) -> anyhow::Result<(usize, String)> {
    let by_hand = "register the new services by hand: add `.add_service(…)` calls to the router (the sync report lists them)";
    let file = syn::parse_file(text).with_context(|| {
        format!("{label} does not parse as Rust, so protogen cannot register new services in it safely; fix it, or {by_hand}")
    })?;
    let router = file.items.iter().find_map(|item| match item {
        syn::Item::Fn(f) if f.sig.ident == "router" => Some(f),
        _ => None,
    });
    let Some(router) = router else {
        bail!("{label} has no `fn router()`, so protogen cannot tell where new services are registered; {by_hand}");
    };
    let mut finder = LastAddService::default();
    finder.visit_item_fn(router);
    let Some(end) = finder.end else {
        bail!("{label}: `fn router()` has no `.add_service(…)` call to add new services after; {by_hand}");
    };
    let lines = LineIndex::new(text);
    let offset = lines.offset(text, end);
    let start_line = &text[lines.start_of(finder.start_line)..];
    let indent: String = start_line
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    Ok((offset, indent))
}

#[derive(Default)]
struct LastAddService {
    /// End of the outermost (so last in the chain) `.add_service(…)`.
    end: Option<LineColumn>,
    start_line: usize,
}

impl<'ast> Visit<'ast> for LastAddService {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "add_service" {
            let end = call.paren_token.span.close().end();
            if self
                .end
                .is_none_or(|seen| (end.line, end.column) > (seen.line, seen.column))
            {
                self.end = Some(end);
                self.start_line = call.dot_token.span.start().line;
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

#[derive(Default)]
struct UseNames {
    names: Vec<String>,
}

impl<'ast> Visit<'ast> for UseNames {
    fn visit_use_name(&mut self, name: &'ast syn::UseName) {
        self.names.push(name.ident.to_string());
    }
}

/// Turns proc-macro2's (1-based line, 0-based char column) into byte offsets.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn start_of(&self, line: usize) -> usize {
        self.starts[line.saturating_sub(1).min(self.starts.len() - 1)]
    }

    fn offset(&self, text: &str, at: LineColumn) -> usize {
        let start = self.start_of(at.line);
        text[start..]
            .char_indices()
            .nth(at.column)
            .map_or(text.len(), |(i, _)| start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDLER: &str = r#"use shop_api::users::v1 as pb;
use tonic::{Request, Response, Status};

pub struct UsersServiceHandler {}

#[tonic::async_trait]
impl pb::users_service_server::UsersService for UsersServiceHandler {
    async fn find_one(&self, request: Request<pb::UserById>) -> Result<Response<pb::User>, Status> {
        let s = "}"; // a brace in a string: { not a block
        Ok(Response::new(pb::User::default()))
    }

    async fn r#match(&self, request: Request<pb::UserById>) -> Result<Response<pb::User>, Status> {
        todo!()
    }
}

fn helper() {}
"#;

    #[test]
    fn finds_methods_and_the_closing_brace_of_the_impl() {
        let file =
            inspect_handler(HANDLER, "h.rs", "users_service_server", "UsersService").unwrap();
        assert_eq!(
            file.methods,
            [("find_one".to_string(), 8), ("match".to_string(), 13)]
        );
        assert!(HANDLER[file.insert_at..].starts_with("}\n\nfn helper"));
        assert!(!file.imports_streaming);
    }

    #[test]
    fn restructured_files_are_refused_with_the_file_named() {
        let moved = HANDLER.replace("UsersService for", "Other for");
        let error = inspect_handler(&moved, "h.rs", "users_service_server", "UsersService")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("h.rs no longer holds"), "{error}");
        let twice =
            format!("{HANDLER}\nimpl pb::users_service_server::UsersService for X {{\n}}\n");
        assert!(inspect_handler(&twice, "h.rs", "users_service_server", "UsersService").is_err());
        let cramped = HANDLER.replace("        todo!()\n    }\n}", "        todo!()\n    } }");
        let error = inspect_handler(&cramped, "h.rs", "users_service_server", "UsersService")
            .unwrap_err()
            .to_string();
        assert!(error.contains("closes on a line with code"), "{error}");
        assert!(inspect_handler("fn (", "h.rs", "m", "T").is_err());
    }

    #[test]
    fn registration_goes_after_the_last_add_service() {
        let lib = "pub fn router() -> Router {\n    Server::builder()\n        .add_service(A::new(\n            a(),\n        ))\n        .add_service(B::new(b()))\n}\n";
        let (offset, indent) = registration_point(lib, "lib.rs").unwrap();
        assert_eq!(&lib[..offset], "pub fn router() -> Router {\n    Server::builder()\n        .add_service(A::new(\n            a(),\n        ))\n        .add_service(B::new(b()))");
        assert_eq!(indent, "        ");
        assert!(registration_point("fn main() {}", "lib.rs").is_err());
    }
}
