//! Kernels side by side on a shared machine: `cargo run --release -p nuntius-embed
//! --example compare_kernels -- [ROUNDS] [TOKENS] [KERNEL...]` embeds one batch of 32
//! texts of TOKENS tokens (default 128) with each kernel in turn, ROUNDS times (default
//! 10), in one process, and prints each kernel's fastest and median batch, by the wall
//! clock and in CPU-seconds, and a hash of its vectors (equal hashes: the same bits).
//! Alternating in one process exposes every kernel to the same background load, which
//! separate runs on a busy machine do not.

use std::time::Instant;

use nuntius_embed::{bench, default_model_path, Encoder, Kernel, TextKind};

const BATCH: usize = 32;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map_or(Ok(10), |s| s.parse())?;
    let tokens: usize = args.get(1).map_or(Ok(128), |s| s.parse())?;
    let mut kernels: Vec<Kernel> = args
        .iter()
        .skip(2)
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    if kernels.is_empty() {
        kernels.push(Kernel::best());
    }
    let encoders = kernels
        .iter()
        .map(|&k| Ok(Encoder::load_with_kernel(&default_model_path(), k)?.with_max_tokens(tokens)))
        .collect::<Result<Vec<_>, nuntius_embed::EmbedError>>()?;
    let texts = texts_of_length(&encoders[0], tokens);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut seconds = vec![Vec::with_capacity(rounds); encoders.len()];
    let mut cpu = vec![Vec::with_capacity(rounds); encoders.len()];
    let mut hashes = vec![0u64; encoders.len()];
    for _ in 0..rounds.max(1) {
        for (e, encoder) in encoders.iter().enumerate() {
            let (started, cpu_start) = (Instant::now(), bench::cpu_seconds());
            let vectors = encoder.embed(&refs, TextKind::Query)?;
            seconds[e].push(started.elapsed().as_secs_f64());
            cpu[e].push(bench::cpu_seconds() - cpu_start);
            hashes[e] = vectors.iter().flatten().fold(0u64, |h, v| {
                h.wrapping_mul(31).wrapping_add(u64::from(v.to_bits()))
            });
        }
    }
    let per_batch = (BATCH * encoders[0].max_tokens()) as f64;
    let fastest_and_median = |mut s: Vec<f64>| {
        s.sort_by(f64::total_cmp);
        (s[0], s[s.len() / 2])
    };
    for (((kernel, wall), cpu), hash) in kernels.iter().zip(seconds).zip(cpu).zip(hashes) {
        let (wall_min, wall_median) = fastest_and_median(wall);
        let (cpu_min, cpu_median) = fastest_and_median(cpu);
        println!(
            "{kernel:>8}  wall: fastest {wall_min:.3} s, median {wall_median:.3} s ({:.0} tokens/s)  \
             CPU: fastest {cpu_min:.2} s, median {cpu_median:.2} s ({:.0} tokens per CPU-s)  vectors {hash:016x}",
            per_batch / wall_median,
            per_batch / cpu_median
        );
    }
    Ok(())
}

/// `BATCH` texts of exactly `tokens` input tokens: sample texts joined until long enough.
fn texts_of_length(encoder: &Encoder, tokens: usize) -> Vec<String> {
    let sample = bench::sample();
    let mut next = sample.iter().cycle();
    (0..BATCH)
        .map(|_| {
            let mut text = String::new();
            // Bounded: every sample text has at least one token.
            for _ in 0..tokens {
                if encoder.input_ids(&text, TextKind::Query).len() >= tokens {
                    break;
                }
                if let Some(s) = next.next() {
                    text.push_str(". ");
                    text.push_str(&s.text);
                }
            }
            text
        })
        .collect()
}
