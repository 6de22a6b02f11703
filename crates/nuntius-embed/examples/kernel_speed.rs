//! The integer kernel alone, on the encoder's matrix shapes: `cargo run --release -p
//! nuntius-embed --example kernel_speed -- [ROUNDS] [KERNEL]` multiplies one pass of 256
//! token rows by a layer's four weight matrices (random Q4_0 weights and activations; the
//! speed does not depend on the values) and prints the fastest and median round's
//! multiply-adds per second of CPU time, with the time of quantising the activations
//! apart. CPU time is the thread's own, read from `/proc/thread-self/schedstat` (in
//! nanoseconds), so other work on a shared machine costs it caches and clock, not time
//! slices; the fastest round is the figure to compare between builds.

use nuntius_embed::kernel::{matmul, Kernel, PackedQ4, QuantizedRows, BLOCK};

/// Token rows of one forward pass.
const ROWS: usize = 256;
/// `(outputs, inputs)` of a layer's matrices: Q, K and V stacked, attention output, FFN in,
/// FFN out.
const SHAPES: [(usize, usize); 4] = [(1152, 384), (384, 384), (1536, 384), (384, 1536)];
/// Layer products per round.
const REPEATS: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map_or(Ok(10), |s| s.parse())?;
    let kernel: Kernel = match args.get(1) {
        Some(name) => name.parse::<Kernel>()?.require()?,
        None => Kernel::best(),
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let mut layers = Vec::new();
    for (n, k) in SHAPES {
        let mut blocks = Vec::with_capacity(n * k / BLOCK * 18);
        for _ in 0..n * k / BLOCK {
            // fp16 scales of about 0.001..0.03, then 16 bytes of nibbles.
            let scale = 0x1400 + (next() % 0x0c00) as u16;
            blocks.extend_from_slice(&scale.to_le_bytes());
            blocks.extend((0..16).map(|_| next() as u8));
        }
        let w = PackedQ4::from_q4(&blocks, n, k).ok_or("shape does not tile")?;
        let x: Vec<f32> = (0..ROWS * k)
            .map(|_| (next() as f32 / u32::MAX as f32 - 0.5) * 8.0)
            .collect();
        layers.push((w, x, vec![0.1f32; n], vec![0.0f32; ROWS * n]));
    }
    let macs: usize = SHAPES.iter().map(|(n, k)| ROWS * n * k).sum::<usize>() * REPEATS;
    let (mut products, mut quantising) = (Vec::new(), Vec::new());
    let mut check = 0u64;
    // Quantised inputs of every matrix, kept so that the products can be timed alone.
    let mut inputs: Vec<QuantizedRows> = vec![QuantizedRows::default(); layers.len()];
    for _ in 0..rounds.max(1) {
        let t0 = thread_cpu_ns();
        for _ in 0..REPEATS {
            for ((w, x, _, _), q) in layers.iter().zip(inputs.iter_mut()) {
                q.quantize(kernel, x, w.k());
            }
        }
        let t1 = thread_cpu_ns();
        for _ in 0..REPEATS {
            for ((w, _, bias, out), q) in layers.iter_mut().zip(&inputs) {
                matmul(kernel, q, w, bias, out);
            }
        }
        let t2 = thread_cpu_ns();
        for (_, _, _, out) in &layers {
            check = out.iter().fold(check, |h, v| {
                h.wrapping_mul(31).wrapping_add(u64::from(v.to_bits()))
            });
        }
        quantising.push((t1 - t0) as f64 * 1e-9);
        products.push((t2 - t1) as f64 * 1e-9);
    }
    let fastest_and_median = |mut s: Vec<f64>| {
        s.sort_by(f64::total_cmp);
        (s[0], s[s.len() / 2])
    };
    let (mul_min, mul_median) = fastest_and_median(products);
    let (quant_min, quant_median) = fastest_and_median(quantising);
    println!(
        "{kernel:>8}  products: fastest {:.1} GMAC per CPU-s, median {:.1}  \
         quantisation: fastest {:.2} ms, median {:.2} ms a layer  outputs {check:016x}",
        macs as f64 / mul_min * 1e-9,
        macs as f64 / mul_median * 1e-9,
        quant_min * 1e3 / REPEATS as f64,
        quant_median * 1e3 / REPEATS as f64,
    );
    Ok(())
}

/// This thread's CPU time in nanoseconds (first field of its schedstat), 0 if unreadable.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
