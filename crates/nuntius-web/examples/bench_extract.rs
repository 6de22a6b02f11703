//! Single-thread extraction speed and peak memory over a directory of web files:
//! `cargo run --release -p nuntius-web --example bench_extract -- DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: bench_extract DIR")?;
    nuntius_web::commands::bench_extract(std::path::Path::new(&dir), &mut std::io::stdout())?;
    Ok(())
}
