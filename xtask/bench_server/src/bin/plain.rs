//! The baseline of `cargo xtask bench-server` as a plain tonic server is usually built: with
//! the system allocator.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    bench::serve_plain().await
}
