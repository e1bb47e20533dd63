//! Placeholder; see ARCHITECTURE.md.

pub mod sync;
