//! `protogen build`: compiles the module and writes it as a FileDescriptorSet (buf build's
//! image), binary or protobuf JSON; returns 0, or 2 when it cannot compile or write.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage};

use crate::cli::BuildArgs;
use crate::config::Config;
use crate::contract::{self, ImageFile};

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
    let files = contract::image(
        root,
        &config.load_options(),
        !args.exclude_imports,
        !args.exclude_source_info,
    )
    .with_context(|| {
        format!(
            "the contract (directory {}) could not be compiled",
            root.display()
        )
    })?;
    let binary = encode_set(&files);
    let bytes = if output.extension().is_some_and(|e| e == "json") {
        json(&binary).context("cannot write the image as JSON")?
    } else {
        binary
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

/// A FileDescriptorSet: field 1, one encoded file each.
fn encode_set(files: &[ImageFile]) -> Vec<u8> {
    let mut out = Vec::new();
    for file in files {
        prost::encoding::bytes::encode(1, &file.bytes, &mut out);
    }
    out
}

/// The protobuf JSON form (lowerCamelCase names, enums by name, defaults left out), as buf
/// writes it; option extensions (`[google.api.http]`) by their full names, resolved with the
/// image's own files.
fn json(image: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut pool = DescriptorPool::global();
    let set = prost_types::FileDescriptorSet::default().descriptor();
    // The image's files teach the pool its extensions; descriptor.proto is the pool's own.
    let mut own = prost_reflect::DynamicMessage::decode(set.clone(), image)?;
    if let Some(prost_reflect::Value::List(files)) =
        own.get_field_by_name("file").map(|v| v.into_owned())
    {
        let kept: Vec<_> = files
            .into_iter()
            .filter(|f| {
                f.as_message()
                    .and_then(|m| m.get_field_by_name("name"))
                    .is_none_or(|n| n.as_str() != Some("google/protobuf/descriptor.proto"))
            })
            .collect();
        own.set_field_by_name("file", prost_reflect::Value::List(kept));
    }
    pool.decode_file_descriptor_set(prost::Message::encode_to_vec(&own).as_slice())
        .context("the image's files do not form a pool")?;
    let set = pool
        .get_message_by_name(set.full_name())
        .expect("the pool holds descriptor.proto");
    let message = DynamicMessage::decode(set, image)?;
    let mut text = serde_json::to_vec(&message)?;
    text.push(b'\n');
    Ok(text)
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
