//! Fuzzes the encoder's integer kernels: any shapes, weights and activations give the
//! portable kernel's bits from every SIMD kernel the CPU runs, and never touch memory out
//! of bounds (the kernels' raw-pointer loads would show under the sanitizer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nuntius_embed::kernel::{matmul, Kernel, PackedQ4, QuantizedRows, BLOCK};

fuzz_target!(|data: &[u8]| {
    let [r, t, b, rest @ ..] = data else { return };
    let rows = 1 + usize::from(*r % 9);
    let n = 16 * (1 + usize::from(*t % 5));
    let k = BLOCK * (1 + usize::from(*b % 6));
    let mut bytes = rest.iter().copied().cycle();
    if rest.is_empty() {
        return;
    }
    let mut blocks = Vec::new();
    for _ in 0..n * k / BLOCK {
        // A finite fp16 scale (exponent below 31), then 16 bytes of nibbles.
        let lo = bytes.next().unwrap_or(0);
        let hi = bytes.next().unwrap_or(0) & 0x7b;
        blocks.extend([lo, hi]);
        blocks.extend((0..16).map(|_| bytes.next().unwrap_or(0)));
    }
    let Some(w) = PackedQ4::from_q4(&blocks, n, k) else { return };
    // Finite activations of any magnitude.
    let x: Vec<f32> = (0..rows * k)
        .map(|_| {
            let v = i16::from_le_bytes([bytes.next().unwrap_or(0), bytes.next().unwrap_or(0)]);
            f32::from(v) * 0.01
        })
        .collect();
    let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.1).collect();
    let run = |kernel: Kernel| {
        let mut q = QuantizedRows::default();
        q.quantize(kernel, &x, k);
        let mut out = vec![0.0f32; rows * n];
        matmul(kernel, &q, &w, &bias, &mut out);
        out
    };
    let want = run(Kernel::Portable);
    for kernel in [Kernel::Avx2, Kernel::Avx512] {
        if kernel.is_available() {
            let got = run(kernel);
            let same = got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            assert!(same, "{kernel} differs from portable at {rows}×{n}×{k}");
        }
    }
});
