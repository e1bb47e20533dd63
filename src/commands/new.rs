//! `protogen new`.

use std::process::ExitCode;

pub fn run(_args: crate::cli::NewArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`protogen new` is not built yet")
}
