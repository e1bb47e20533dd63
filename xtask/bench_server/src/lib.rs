//! The plain server and the load generator of `cargo xtask bench-server`.
