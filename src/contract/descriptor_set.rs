//! Reads a serialized FileDescriptorSet, as written by `protoc --descriptor_set_out` or
//! `buf build -o x.binpb`, with or without source info.

use std::path::Path;

use anyhow::{bail, Context};
use prost::Message;
use prost_types::FileDescriptorSet;

use super::Contract;

pub fn load(path: &Path) -> anyhow::Result<Contract> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let set = FileDescriptorSet::decode(bytes.as_slice()).with_context(|| {
        format!(
            "{} is not a FileDescriptorSet (expected the output of `protoc --descriptor_set_out` or `buf build -o FILE.binpb`)",
            path.display()
        )
    })?;
    if set.file.is_empty() {
        bail!("{} holds no files", path.display());
    }
    if set.file.iter().any(|f| f.name.is_none()) {
        bail!(
            "{} has a file without a name; it is not a valid descriptor set",
            path.display()
        );
    }
    // The editions files' features, which prost-types drops, from the same bytes.
    let skeletons = super::features::EditionsSet::decode(bytes.as_slice())?;
    let editions = set
        .file
        .iter()
        .zip(skeletons.file)
        .filter(|(file, _)| file.syntax() == "editions")
        .map(|(file, features)| (file.name().to_string(), std::sync::Arc::new(features)))
        .collect();
    let mut contract = Contract::from_files(
        format!("descriptor set {}", path.display()),
        set.file,
        Default::default(),
    );
    contract.editions = editions;
    Ok(contract)
}
