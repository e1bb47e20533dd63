//! The baseline of `cargo xtask bench-server` with the generated server's allocator, so that
//! the comparison shows the runtime's own cost.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    bench::serve_plain().await
}
