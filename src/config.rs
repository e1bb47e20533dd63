//! Configuration: protogen.toml and buf.yaml (v1, v2) resolved into one type.
