//! The encoder benchmark without the CLI: `cargo run --release -p nuntius-embed --example
//! bench_encoder [-- KERNEL]` (same report as `nuntius bench encoder --kernel KERNEL`).

use nuntius_embed::{bench, default_model_path, Kernel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kernel = match std::env::args().nth(1) {
        Some(name) => name.parse::<Kernel>()?,
        None => Kernel::from_env()?,
    };
    bench::bench_encoder(&default_model_path(), kernel, &mut std::io::stdout().lock())?;
    Ok(())
}
