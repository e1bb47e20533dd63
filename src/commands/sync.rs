//! `protogen sync`.

use std::process::ExitCode;

pub fn run(_args: crate::cli::SyncArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`protogen sync` is not built yet")
}
