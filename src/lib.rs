//! protogen: contract-first gRPC for Rust. See ARCHITECTURE.md for how the layers fit.

pub mod cli;
pub mod commands;
pub mod contract;
