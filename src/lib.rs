//! protogen: contract-first gRPC for Rust. See ARCHITECTURE.md for how the layers fit.

pub mod cli;
pub mod commands;
pub mod compat;
pub mod config;
pub mod consumers;
pub mod contract;
pub mod diff;
pub mod lint;
pub mod report;
pub mod scaffold;
pub mod timing;
