//! `protogen build`: compiles the module and writes it as a FileDescriptorSet (buf build's
//! image), binary or protobuf JSON; returns 0, or 2 when it cannot compile or write.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use prost::Message;
use prost_reflect::ReflectMessage;
use prost_types::FileDescriptorSet;

use crate::cli::BuildArgs;
use crate::config::Config;
use crate::contract::{self, Side, Source};

pub fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let root = &args.path;
    if !root.is_dir() {
        bail!(
            "the module root {} is not a directory\nhelp: pass the folder that holds your .proto files (their import root)",
            root.display()
        );
    }
    let output = &args.output;
    if output.extension().is_some_and(|e| e == "proto") {
        bail!(
            "refusing to write the image to {}: it would replace a .proto file\nhelp: name the output FILE.binpb or FILE.json",
            output.display()
        );
    }
    let config = Config::load(root, args.config.as_deref())?;
    let options = config.load_options();
    let contract = contract::load(&Source::Dir(root.clone()), Side::Current, &options)?;
    let mut files = contract::image(&contract, root, &options, !args.exclude_imports)
        .context("cannot compile the files the contract imports")?;
    if args.exclude_source_info {
        for file in &mut files {
            file.source_code_info = None;
        }
    }
    let set = FileDescriptorSet { file: files };
    let json = output.extension().is_some_and(|e| e == "json");
    let bytes = if json {
        // The protobuf JSON form (lowerCamelCase names, enums by name, defaults left out), as
        // buf writes it.
        let mut text = serde_json::to_vec(&set.transcode_to_dynamic())
            .context("cannot write the image as JSON")?;
        text.push(b'\n');
        text
    } else {
        set.encode_to_vec()
    };
    if output.as_os_str() == "-" {
        std::io::stdout()
            .lock()
            .write_all(&bytes)
            .context("cannot write the image to stdout")?;
    } else {
        write_atomically(output, &bytes)
            .with_context(|| format!("cannot write the image to {}", output.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Written beside `path` and renamed over it: a reader never sees half an image.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    // A temporary file is private (0600); an image is an ordinary output file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    temp.persist(path)?;
    Ok(())
}
