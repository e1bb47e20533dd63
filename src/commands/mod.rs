//! One module per command; each wires the layers below it and returns an exit code.

mod build;
mod check;
mod diff;
mod lint;
mod new;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::Command;
use crate::config::Config;
use crate::contract::{LoadOptions, Source};

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::New(args) => new::run(args),
        Command::Sync(args) => sync::run(args),
        Command::Check(args) => check::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Build(args) => build::run(args),
    }
}

/// `error: <what failed>` then each cause on its own lines; causes may be multi-line
/// rustc-style diagnostics and are printed as they are.
pub fn render_error(error: &anyhow::Error) -> String {
    let mut out = format!("error: {error}");
    for cause in error.chain().skip(1) {
        out.push_str(&format!("\n{cause}"));
    }
    out
}

/// How to lay out a side that is not the module root itself (a baseline, `diff`'s OLD or NEW):
/// with its own protogen.toml, buf.work.yaml or buf.yaml (a git ref's as they were at that
/// ref), as buf builds each input with its own. A side with none is laid out like the module
/// root (`current`): most likely it is an older copy of it (buf would take the defaults, and
/// fail on a baseline whose files need the current roots, excludes or vendored deps).
pub(crate) fn own_layout(
    source: &Source,
    side: &str,
    current: &LoadOptions,
) -> anyhow::Result<LoadOptions> {
    let place = match source {
        Source::Dir(root) => root.clone(),
        Source::GitRef {
            reference, subdir, ..
        } => PathBuf::from(format!("{reference}:")).join(subdir),
        Source::DescriptorSet(_) => return Ok(current.clone()),
    };
    let config = Config::load_in(&place, &|relative| source.read(relative))
        .with_context(|| format!("the {side} configuration ({source}) could not be read"))?;
    Ok(match config.source {
        Some(_) => config.load_options(),
        None => current.clone(),
    })
}
