//! One module per command; each wires the layers below it and returns an exit code.

mod build;
mod check;
mod diff;
mod lint;
mod new;
mod sync;

use std::process::ExitCode;

use crate::cli::Command;

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
