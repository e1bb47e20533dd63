//! `protogen diff`.

use std::process::ExitCode;

pub fn run(_args: crate::cli::DiffArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`protogen diff` is not built yet")
}
