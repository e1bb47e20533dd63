// Written by `protogen new`; protogen owns this file (see README.md).
//! The one change to prost-protovalidate-types 0.6.0: validate.proto is compiled with protox,
//! so building needs no `protoc`. The generated code is the same: prost-build's
//! `compile_fds` gets the descriptors protoc would have produced, configured as
//! prost-reflect-build 0.16 configures it (a `ReflectMessage` derive, the message name and
//! the `DESCRIPTOR_POOL` attribute on every message), and `file_descriptor_set.bin` in OUT_DIR
//! holds the set with imports and source info, as `protoc --include_imports
//! --include_source_info` writes it.

use std::env;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = "proto";
    let files = &["buf/validate/validate.proto"];

    for f in files {
        println!("cargo:rerun-if-changed={proto_dir}/{f}");
    }

    let base_path = PathBuf::from(
        env::var("OUT_DIR")
            .map_err(|err| format!("missing OUT_DIR environment variable: {err}"))?,
    );
    let descriptor_path = base_path.join("file_descriptor_set.bin");

    let mut compiler = protox::Compiler::new([proto_dir])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(files)?;
    std::fs::write(&descriptor_path, compiler.encode_file_descriptor_set())?;

    let mut config = prost_build::Config::new();

    // With `reflect`, what prost-reflect-build adds: `ReflectMessage` derives and the
    // `DESCRIPTOR_POOL` static. Without it, plain prost-build types for the slim build.
    #[cfg(feature = "reflect")]
    for message in compiler.descriptor_pool().all_messages() {
        let full_name = message.full_name();
        config
            .type_attribute(full_name, "#[derive(::prost_reflect::ReflectMessage)]")
            .type_attribute(
                full_name,
                format!(r#"#[prost_reflect(message_name = "{full_name}")]"#),
            )
            .type_attribute(
                full_name,
                r#"#[prost_reflect(descriptor_pool = "DESCRIPTOR_POOL")]"#,
            );
    }

    config.compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
