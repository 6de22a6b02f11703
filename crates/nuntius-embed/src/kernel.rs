//! Integer matrix products for the encoder's dense layers, the one module of the workspace
//! allowed `unsafe` (for `std::arch` intrinsics).
//!
//! Weights stay what the model file stores: Q4_0, i.e. 4-bit integers with one fp16 scale
//! per 32 values. They are unpacked at load into bytes holding the raw nibble (0..=15, the
//! weight being `nibble − 8`), so no weight loses precision. Activations are quantised per
//! row in blocks of 32 to int8 with one f32 scale each ([`QuantizedRows`]): a row's values
//! depend on that row alone, never on the other texts of a batch.
//!
//! Output `y[i][j] = bias[j] + Σ_b s_w[j][b]·s_a[i][b] · Σ_{k∈b} (nib[j][k] − 8)·q[i][k]`.
//! The inner sums are exact in int32 whatever order the hardware adds them in; the outer
//! sum runs over the blocks `b` in ascending order with the same f32 operations in every
//! kernel (`s = s_w·s_a`, `p = (isum as f32)·s`, `acc = acc + p`, never fused), so the
//! portable, AVX2 and AVX-512 VNNI kernels give bit-identical outputs, and an output never
//! depends on how many rows are multiplied together or on which thread.
//!
//! # Safety argument
//!
//! The `unsafe` here is of two kinds, both local:
//! 1. Calling a `#[target_feature]` function. [`matmul`] does so only right after
//!    [`Kernel::is_available`] confirmed, through `is_x86_feature_detected!`, that the CPU
//!    has every feature the function enables.
//! 2. Unaligned loads and stores through raw pointers. [`matmul`] asserts once, before any
//!    kernel runs, that every buffer has exactly the length its shape implies (weights
//!    `tiles·blocks·512` bytes, weight scales `tiles·blocks·16`, activations `rows·cols`,
//!    their scales and offsets `rows·blocks`, bias `n`, output `rows·n`). Every offset a
//!    kernel forms is `((tile·blocks + b)·8 + g)·64 + 64` ≤ the weight length for
//!    `tile < tiles, b < blocks, g < 8`, and likewise for the other buffers with
//!    `row < rows`; the loops never leave those ranges. All loads/stores are the
//!    `loadu`/`storeu`/`read_unaligned` forms, which have no alignment requirement.

#![allow(unsafe_code)]

use std::fmt;
use std::str::FromStr;

/// Values per quantisation block, for weights (Q4_0) and activations alike.
pub const BLOCK: usize = 32;
/// Output columns per packed tile: one AVX-512 register of int32 lanes.
const TILE: usize = 16;
/// Groups of four consecutive inputs per block (one `vpdpbusd` step each).
const GROUPS: usize = BLOCK / 4;
/// Bytes of one tile × one block of packed weights.
const TILE_BLOCK_BYTES: usize = TILE * BLOCK;
/// A Q4_0 block on disk: fp16 scale, 16 bytes of nibbles.
const Q4_BLOCK_BYTES: usize = 2 + BLOCK / 2;
/// Weights are stored as `weight + 8`; the integer sums subtract `8 · Σ q` per block.
const NIBBLE_OFFSET: i32 = 8;

/// How the dense layers multiply. `F32` is the reference path (weights dequantised to f32,
/// products by `matrixmultiply`); the others are the integer kernels of this module, which
/// agree bit for bit with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    F32,
    Portable,
    Avx2,
    Avx512,
}

impl Kernel {
    /// Every kernel, reference first.
    pub const ALL: [Kernel; 4] = [Kernel::F32, Kernel::Portable, Kernel::Avx2, Kernel::Avx512];

    /// The name `NUNTIUS_KERNEL` and `--kernel` accept.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::F32 => "f32",
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::F32 | Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 | Kernel::Avx512 => false,
        }
    }

    /// The fastest integer kernel this CPU runs.
    pub fn best() -> Kernel {
        [Kernel::Avx512, Kernel::Avx2]
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Kernel::Portable)
    }

    /// `NUNTIUS_KERNEL` if set (and not `auto`), else [`Kernel::best`]. A kernel this CPU
    /// cannot run is an error, not a silent fallback, so a forced test really tests it.
    pub fn from_env() -> Result<Kernel, KernelError> {
        match std::env::var("NUNTIUS_KERNEL") {
            Ok(name) if !name.is_empty() && name != "auto" => {
                let kernel: Kernel = name.parse()?;
                kernel.require()
            }
            _ => Ok(Kernel::best()),
        }
    }

    /// `self` if this CPU runs it, else an error naming it.
    pub fn require(self) -> Result<Kernel, KernelError> {
        if self.is_available() {
            Ok(self)
        } else {
            Err(KernelError::Unavailable(self.name()))
        }
    }

    /// Whether this is one of the integer kernels (which share the fast math functions).
    pub fn is_integer(self) -> bool {
        self != Kernel::F32
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A kernel name that is not one, or a kernel the CPU lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    #[error("unknown encoder kernel `{0}` (expected auto, f32, portable, avx2 or avx512)")]
    Unknown(String),
    #[error("this CPU cannot run the `{0}` encoder kernel")]
    Unavailable(&'static str),
}

impl FromStr for Kernel {
    type Err = KernelError;

    fn from_str(s: &str) -> Result<Kernel, KernelError> {
        Kernel::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| KernelError::Unknown(s.to_string()))
    }
}

/// A Q4_0 weight matrix `[n, k]` (n outputs, k inputs) repacked for the kernels: tiles of
/// 16 outputs; per tile and block, eight groups of `16 lanes × 4 inputs` nibble bytes, and
/// the 16 block scales.
#[derive(Debug, Clone)]
pub struct PackedQ4 {
    n: usize,
    k: usize,
    nibbles: Vec<u8>,
    scales: Vec<f32>,
}

impl PackedQ4 {
    /// Repacks the row-major Q4_0 blocks of an `[n, k]` matrix. `None` unless `n` is a
    /// multiple of 16, `k` of 32, and `blocks` holds exactly `n·k/32` blocks.
    pub fn from_q4(blocks: &[u8], n: usize, k: usize) -> Option<PackedQ4> {
        if n == 0 || k == 0 || !n.is_multiple_of(TILE) || !k.is_multiple_of(BLOCK) {
            return None;
        }
        let kb = k / BLOCK;
        if blocks.len() != n * kb * Q4_BLOCK_BYTES {
            return None;
        }
        let mut nibbles = vec![0u8; n * k];
        let mut scales = vec![0.0f32; n * kb];
        for j in 0..n {
            let (tile, lane) = (j / TILE, j % TILE);
            for b in 0..kb {
                let block = &blocks[(j * kb + b) * Q4_BLOCK_BYTES..][..Q4_BLOCK_BYTES];
                scales[(tile * kb + b) * TILE + lane] =
                    crate::format::f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
                let base = (tile * kb + b) * TILE_BLOCK_BYTES;
                for (byte, &q) in block[2..].iter().enumerate() {
                    // Byte `e` holds input `e` (low nibble) and input `e + 16` (high).
                    for (input, nib) in [(byte, q & 0x0f), (byte + 16, q >> 4)] {
                        let (g, e) = (input / 4, input % 4);
                        nibbles[base + g * TILE * 4 + lane * 4 + e] = nib;
                    }
                }
            }
        }
        Some(PackedQ4 {
            n,
            k,
            nibbles,
            scales,
        })
    }

    /// Stacks matrices that read the same input (Q, K and V) into one: their outputs follow
    /// each other. `None` if the input widths differ or `parts` is empty.
    pub fn concat(parts: Vec<PackedQ4>) -> Option<PackedQ4> {
        let k = parts.first()?.k;
        if parts.iter().any(|p| p.k != k) {
            return None;
        }
        let mut out = PackedQ4 {
            n: 0,
            k,
            nibbles: Vec::new(),
            scales: Vec::new(),
        };
        // Tiles are the outer dimension of both buffers, so stacking is appending.
        for p in parts {
            out.n += p.n;
            out.nibbles.extend(p.nibbles);
            out.scales.extend(p.scales);
        }
        Some(out)
    }

    /// Outputs.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Inputs.
    pub fn k(&self) -> usize {
        self.k
    }
}

/// Rows of activations quantised to int8 in blocks of 32: `x ≈ q · scale`, with each
/// block's `−8 · Σ q`, the term that undoes the weights' offset (so the kernels load it
/// instead of computing it once per block and tile).
#[derive(Debug, Clone, Default)]
pub struct QuantizedRows {
    rows: usize,
    cols: usize,
    q: Vec<i8>,
    scales: Vec<f32>,
    offsets: Vec<i32>,
}

impl QuantizedRows {
    /// Quantises row-major `x` of `cols` columns (a multiple of 32) with `kernel`'s code
    /// (all give the same bits), reusing the buffers. Each block's scale is `max|x| / 127`;
    /// values round half to even. Inputs must be finite.
    pub fn quantize(&mut self, kernel: Kernel, x: &[f32], cols: usize) {
        assert!(cols > 0 && cols.is_multiple_of(BLOCK) && x.len().is_multiple_of(cols));
        let blocks = x.len() / BLOCK;
        self.rows = x.len() / cols;
        self.cols = cols;
        self.q.resize(x.len(), 0);
        self.scales.resize(blocks, 0.0);
        self.offsets.resize(blocks, 0);
        let buffers = (
            x,
            &mut self.q[..],
            &mut self.scales[..],
            &mut self.offsets[..],
        );
        // One dispatch per matrix, so the per-block steps inline into the loop.
        match kernel {
            // SAFETY: the CPU has the features each function enables (checked first).
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 if kernel.is_available() => unsafe { x86::quantize_512(buffers) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 if kernel.is_available() => unsafe { x86::quantize_256(buffers) },
            _ => quantize_blocks(
                buffers,
                |xb| xb.iter().fold(0.0f32, |m, v| m.max(v.abs())),
                block_quantize,
            ),
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// Row-major `x`, `q` and per-block `scales` and `offsets`, as [`QuantizedRows`] holds them.
type QuantizeBuffers<'a> = (&'a [f32], &'a mut [i8], &'a mut [f32], &'a mut [i32]);

/// Quantises every block of `x` with one kernel's steps: `amax` gives `max |x|` of a
/// block, `quantize` its integers (returning their sum) for the inverse scale given.
#[inline(always)]
fn quantize_blocks(
    (x, q, scales, offsets): QuantizeBuffers<'_>,
    amax: impl Fn(&[f32; BLOCK]) -> f32,
    quantize: impl Fn(&[f32; BLOCK], f32, &mut [i8; BLOCK]) -> i32,
) {
    let chunks = x
        .chunks_exact(BLOCK)
        .zip(q.chunks_exact_mut(BLOCK))
        .zip(scales.iter_mut().zip(offsets.iter_mut()));
    for ((xb, qb), (scale, offset)) in chunks {
        let (Ok(xb), Ok(qb)) = (
            <&[f32; BLOCK]>::try_from(xb),
            <&mut [i8; BLOCK]>::try_from(qb),
        ) else {
            continue;
        };
        let amax = amax(xb);
        let inv = if amax > 0.0 { 127.0 / amax } else { 0.0 };
        *scale = amax / 127.0;
        *offset = -NIBBLE_OFFSET * quantize(xb, inv, qb);
    }
}

/// `q = round_half_even(x · inv)` clamped to ±127; returns `Σ q`.
fn block_quantize(x: &[f32; BLOCK], inv: f32, q: &mut [i8; BLOCK]) -> i32 {
    let mut sum = 0i32;
    for (q, &v) in q.iter_mut().zip(x) {
        let r = (round_half_even(v * inv) as i32).clamp(-127, 127);
        *q = r as i8;
        sum += r;
    }
    sum
}

/// Round half to even for |v| < 2²², by the float adder itself: portable, branch-free and
/// vectorisable on baseline x86-64, where `round_ties_even` would be a library call. The
/// SIMD kernels round with the CPU's default mode, also half to even.
fn round_half_even(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³
    (v + MAGIC) - MAGIC
}

/// `out = a · wᵀ + bias`, `out` row-major `[a.rows, w.n]`, with `kernel` if this CPU runs
/// it (else the portable kernel, which gives the same bits). `F32` means portable here.
pub fn matmul(kernel: Kernel, a: &QuantizedRows, w: &PackedQ4, bias: &[f32], out: &mut [f32]) {
    let kb = w.k / BLOCK;
    let tiles = w.n / TILE;
    // The bounds every kernel relies on (see the module's safety argument).
    assert_eq!(a.cols, w.k, "activation width");
    assert_eq!(a.q.len(), a.rows * w.k);
    assert_eq!(a.scales.len(), a.rows * kb);
    assert_eq!(a.offsets.len(), a.rows * kb);
    assert_eq!(w.nibbles.len(), tiles * kb * TILE_BLOCK_BYTES);
    assert_eq!(w.scales.len(), tiles * kb * TILE);
    assert_eq!(w.n, tiles * TILE);
    assert_eq!(bias.len(), w.n, "bias width");
    assert_eq!(out.len(), a.rows * w.n, "output size");
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.is_available() => {
            // SAFETY: the CPU has avx512f, avx512bw and avx512vnni (checked just above);
            // buffer lengths asserted above.
            unsafe { x86::matmul_avx512(a, w, bias, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.is_available() => {
            // SAFETY: the CPU has avx2 (checked just above); buffer lengths asserted above.
            unsafe { x86::matmul_avx2(a, w, bias, out) }
        }
        _ => matmul_portable(a, w, bias, out),
    }
}

/// Plain-Rust work that [`vectorized`] compiles for the CPU's vector width. `run` and what
/// it calls must be `#[inline(always)]` to be compiled inside the widened function.
pub(crate) trait Vectorizable {
    type Output;
    fn run(self) -> Self::Output;
}

/// Runs `f` with the vector instructions of `kernel` enabled for the code inlined into it,
/// so plain Rust loops there use the full vector width. Only the width changes: the
/// compiler never reorders or fuses float operations, so the results are the same bits as
/// with `f` run as is.
pub(crate) fn vectorized<F: Vectorizable>(kernel: Kernel, f: F) -> F::Output {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 if kernel.is_available() => {
            // SAFETY: the CPU has avx512f and avx512bw (checked just above).
            unsafe { x86::with_avx512(f) }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 if kernel.is_available() => {
            // SAFETY: the CPU has avx2 (checked just above).
            unsafe { x86::with_avx2(f) }
        }
        _ => f.run(),
    }
}

/// The reference integer kernel, in plain Rust; the SIMD kernels reproduce its bits.
fn matmul_portable(a: &QuantizedRows, w: &PackedQ4, bias: &[f32], out: &mut [f32]) {
    let (k, n) = (w.k, w.n);
    let kb = k / BLOCK;
    for i in 0..a.rows {
        let qa = &a.q[i * k..(i + 1) * k];
        let sa = &a.scales[i * kb..(i + 1) * kb];
        let offsets = &a.offsets[i * kb..(i + 1) * kb];
        for tile in 0..n / TILE {
            let mut acc = [0.0f32; TILE];
            for b in 0..kb {
                let wb = &w.nibbles[(tile * kb + b) * TILE_BLOCK_BYTES..][..TILE_BLOCK_BYTES];
                let ab = &qa[b * BLOCK..(b + 1) * BLOCK];
                let mut isum = [0i32; TILE];
                for g in 0..GROUPS {
                    let wg = &wb[g * TILE * 4..(g + 1) * TILE * 4];
                    let ag = &ab[g * 4..g * 4 + 4];
                    for (lane, s) in isum.iter_mut().enumerate() {
                        for e in 0..4 {
                            *s += i32::from(wg[lane * 4 + e]) * i32::from(ag[e]);
                        }
                    }
                }
                let ws = &w.scales[(tile * kb + b) * TILE..][..TILE];
                for lane in 0..TILE {
                    let s = ws[lane] * sa[b];
                    acc[lane] += (isum[lane] + offsets[b]) as f32 * s;
                }
            }
            let o = &mut out[i * n + tile * TILE..][..TILE];
            for lane in 0..TILE {
                o[lane] = acc[lane] + bias[tile * TILE + lane];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{PackedQ4, QuantizeBuffers, QuantizedRows, BLOCK, GROUPS, TILE, TILE_BLOCK_BYTES};

    /// [`super::quantize_blocks`] with the AVX-512 steps.
    ///
    /// # Safety
    /// The CPU must have avx512f.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn quantize_512((x, q, scales, offsets): QuantizeBuffers<'_>) {
        // Sixteen blocks at a time: their maxima and sums are reduced together, one
        // transposing tree for sixteen blocks instead of one horizontal reduction each.
        const GROUP: usize = 16;
        let whole = x.len() / (GROUP * BLOCK) * GROUP;
        let groups = x[..whole * BLOCK]
            .chunks_exact(GROUP * BLOCK)
            .zip(q[..whole * BLOCK].chunks_exact_mut(GROUP * BLOCK))
            .zip(scales[..whole].chunks_exact_mut(GROUP))
            .zip(offsets[..whole].chunks_exact_mut(GROUP));
        for (((xg, qg), sg), og) in groups {
            // SAFETY: avx512f is present; the slices hold 16 blocks, 16 scales, 16 offsets.
            unsafe { quantize_group_512(xg, qg, sg, og) };
        }
        // SAFETY: this function runs only where avx512f is present.
        let amax = |xb: &[f32; BLOCK]| unsafe { block_amax_512(xb) };
        let rest = (
            &x[whole * BLOCK..],
            &mut q[whole * BLOCK..],
            &mut scales[whole..],
            &mut offsets[whole..],
        );
        super::quantize_blocks(rest, amax, |xb, inv, qb| unsafe {
            block_quantize_512(xb, inv, qb)
        });
    }

    /// Sixteen blocks with the steps of [`super::quantize_blocks`] and
    /// [`super::block_quantize`], the same bits: `max` is exact in any order, the scales
    /// are the same divisions, and integer sums are exact in any order.
    ///
    /// # Safety
    /// The CPU must have avx512f; `x` and `q` hold 16·32 values, `scales` and `offsets` 16.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn quantize_group_512(x: &[f32], q: &mut [i8], scales: &mut [f32], offsets: &mut [i32]) {
        assert!(x.len() == 512 && q.len() == 512 && scales.len() == 16 && offsets.len() == 16);
        let xp = x.as_ptr();
        // SAFETY: every load is within x's 512 floats.
        let maxima: [__m512; 16] = std::array::from_fn(|b| unsafe {
            let lo = _mm512_abs_ps(_mm512_loadu_ps(xp.add(b * BLOCK)));
            let hi = _mm512_abs_ps(_mm512_loadu_ps(xp.add(b * BLOCK + 16)));
            _mm512_max_ps(lo, hi)
        });
        let amax = transpose_reduce(maxima, |a, b| _mm512_max_ps(a, b));
        let c127 = _mm512_set1_ps(127.0);
        let positive = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(amax, _mm512_setzero_ps());
        let inv = _mm512_maskz_div_ps(positive, c127, amax);
        // SAFETY: 16 floats into scales' 16.
        unsafe { _mm512_storeu_ps(scales.as_mut_ptr(), _mm512_div_ps(amax, c127)) };
        let mut invs = [0.0f32; 16];
        // SAFETY: 16 floats into invs' 16.
        unsafe { _mm512_storeu_ps(invs.as_mut_ptr(), inv) };
        let (lo, hi) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127));
        let qp = q.as_mut_ptr();
        let sums: [__m512; 16] = std::array::from_fn(|b| {
            let scale = _mm512_set1_ps(invs[b]);
            let mut sum = _mm512_setzero_si512();
            for half in 0..2 {
                let at = b * BLOCK + 16 * half;
                // SAFETY: 16 floats at `at` within x's 512; 16 bytes at `at` within q's 512.
                unsafe {
                    let v = _mm512_mul_ps(_mm512_loadu_ps(xp.add(at)), scale);
                    let r = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(v), lo), hi);
                    sum = _mm512_add_epi32(sum, r);
                    _mm_storeu_si128(qp.add(at).cast(), _mm512_cvtepi32_epi8(r));
                }
            }
            _mm512_castsi512_ps(sum)
        });
        let sum = _mm512_castps_si512(transpose_reduce(sums, |a, b| {
            _mm512_castsi512_ps(_mm512_add_epi32(
                _mm512_castps_si512(a),
                _mm512_castps_si512(b),
            ))
        }));
        // offset = −8·Σq (NIBBLE_OFFSET is 8).
        let offset = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32::<3>(sum));
        // SAFETY: 16 ints into offsets' 16.
        unsafe { _mm512_storeu_si512(offsets.as_mut_ptr().cast(), offset) };
    }

    /// Lane `b` of the result is `op` folded over the 16 lanes of `v[b]` (`op` associative
    /// and commutative): four levels of shuffles, each halving the vectors.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn transpose_reduce(v: [__m512; 16], op: impl Fn(__m512, __m512) -> __m512) -> __m512 {
        // Halves of 256 bits: w[i] holds block 2i in its low half, 2i + 1 in its high half.
        let w: [__m512; 8] = std::array::from_fn(|i| {
            let (a, b) = (v[2 * i], v[2 * i + 1]);
            op(
                _mm512_shuffle_f32x4::<0b01_00_01_00>(a, b),
                _mm512_shuffle_f32x4::<0b11_10_11_10>(a, b),
            )
        });
        // Quarters of 128 bits: x[i]'s quarter j holds block 4i + j.
        let x: [__m512; 4] = std::array::from_fn(|i| {
            let (a, b) = (w[2 * i], w[2 * i + 1]);
            op(
                _mm512_shuffle_f32x4::<0b10_00_10_00>(a, b),
                _mm512_shuffle_f32x4::<0b11_01_11_01>(a, b),
            )
        });
        // Within each quarter j: y[i] lanes 0-1 hold block 8i + j, lanes 2-3 block 8i + 4 + j.
        let y: [__m512; 2] = std::array::from_fn(|i| {
            let (a, b) = (x[2 * i], x[2 * i + 1]);
            op(
                _mm512_shuffle_ps::<0b01_00_01_00>(a, b),
                _mm512_shuffle_ps::<0b11_10_11_10>(a, b),
            )
        });
        // Lane 4j + i of z holds block 4i + j.
        let z = op(
            _mm512_shuffle_ps::<0b10_00_10_00>(y[0], y[1]),
            _mm512_shuffle_ps::<0b11_01_11_01>(y[0], y[1]),
        );
        let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        _mm512_permutexvar_ps(order, z)
    }

    /// [`super::quantize_blocks`] with the AVX2 steps.
    ///
    /// # Safety
    /// The CPU must have avx2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn quantize_256(buffers: QuantizeBuffers<'_>) {
        // SAFETY: this function runs only where avx2 is present.
        let amax = |xb: &[f32; BLOCK]| unsafe { block_amax_256(xb) };
        super::quantize_blocks(buffers, amax, |xb, inv, qb| unsafe {
            block_quantize_256(xb, inv, qb)
        });
    }

    /// # Safety
    /// The CPU must have avx512f and avx512bw.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn with_avx512<F: super::Vectorizable>(f: F) -> F::Output {
        f.run()
    }

    /// # Safety
    /// The CPU must have avx2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn with_avx2<F: super::Vectorizable>(f: F) -> F::Output {
        f.run()
    }

    /// `max |x|` over one block (inputs finite, so the order of `max` does not matter).
    ///
    /// # Safety
    /// The CPU must have avx512f.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block_amax_512(x: &[f32; BLOCK]) -> f32 {
        // SAFETY: x holds 32 floats, two 16-lane loads.
        let (a, b) = unsafe {
            (
                _mm512_loadu_ps(x.as_ptr()),
                _mm512_loadu_ps(x.as_ptr().add(16)),
            )
        };
        _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)))
    }

    /// As [`super::block_quantize`], with the same bits.
    ///
    /// # Safety
    /// The CPU must have avx512f.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block_quantize_512(x: &[f32; BLOCK], inv: f32, q: &mut [i8; BLOCK]) -> i32 {
        let scale = _mm512_set1_ps(inv);
        let (lo, hi) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127));
        let mut sum = _mm512_setzero_si512();
        for half in 0..2 {
            // SAFETY: 16 floats at 16·half within x's 32; 16 bytes at 16·half within q's 32.
            unsafe {
                let v = _mm512_mul_ps(_mm512_loadu_ps(x.as_ptr().add(16 * half)), scale);
                let r = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(v), lo), hi);
                sum = _mm512_add_epi32(sum, r);
                _mm_storeu_si128(
                    q.as_mut_ptr().add(16 * half).cast(),
                    _mm512_cvtepi32_epi8(r),
                );
            }
        }
        _mm512_reduce_add_epi32(sum)
    }

    /// # Safety
    /// The CPU must have avx2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block_amax_256(x: &[f32; BLOCK]) -> f32 {
        let sign = _mm256_set1_ps(-0.0);
        let mut m = _mm256_setzero_ps();
        for quarter in 0..4 {
            // SAFETY: 8 floats at 8·quarter within x's 32.
            let v = unsafe { _mm256_loadu_ps(x.as_ptr().add(8 * quarter)) };
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v));
        }
        let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        let m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        let m1 = _mm_max_ss(m2, _mm_shuffle_ps(m2, m2, 1));
        _mm_cvtss_f32(m1)
    }

    /// As [`super::block_quantize`], with the same bits.
    ///
    /// # Safety
    /// The CPU must have avx2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block_quantize_256(x: &[f32; BLOCK], inv: f32, q: &mut [i8; BLOCK]) -> i32 {
        let scale = _mm256_set1_ps(inv);
        let (lo, hi) = (_mm256_set1_epi32(-127), _mm256_set1_epi32(127));
        let mut r = [_mm256_setzero_si256(); 4];
        for (quarter, r) in r.iter_mut().enumerate() {
            // SAFETY: 8 floats at 8·quarter within x's 32.
            let v = unsafe { _mm256_loadu_ps(x.as_ptr().add(8 * quarter)) };
            let v = _mm256_cvtps_epi32(_mm256_mul_ps(v, scale));
            *r = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
        }
        let sum = _mm256_add_epi32(_mm256_add_epi32(r[0], r[1]), _mm256_add_epi32(r[2], r[3]));
        // Packing interleaves 128-bit lanes; the permutation puts the bytes back in order.
        let bytes = _mm256_packs_epi16(
            _mm256_packs_epi32(r[0], r[1]),
            _mm256_packs_epi32(r[2], r[3]),
        );
        let ordered = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        // SAFETY: 32 bytes into q's 32.
        unsafe { _mm256_storeu_si256(q.as_mut_ptr().cast(), ordered) };
        let s4 = _mm_add_epi32(
            _mm256_castsi256_si128(sum),
            _mm256_extracti128_si256(sum, 1),
        );
        let s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0b01_00_11_10));
        let s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0b10_11_00_01));
        _mm_cvtsi128_si32(s1)
    }

    /// Rows multiplied together (each weight load serves this many rows).
    const ROWS_512: usize = 4;
    /// Tiles multiplied together (each activation broadcast serves this many tiles).
    const TILES_512: usize = 2;
    const ROWS_256: usize = 2;

    /// # Safety
    /// The CPU must have avx512f, avx512bw and avx512vnni, and the buffers the lengths
    /// [`super::matmul`] asserts.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn matmul_avx512(
        a: &QuantizedRows,
        w: &PackedQ4,
        bias: &[f32],
        out: &mut [f32],
    ) {
        let tiles = w.n / TILE;
        let mut tile = 0;
        while tile < tiles {
            let pair = tile + TILES_512 <= tiles;
            let mut row = 0;
            while row < a.rows {
                let full = row + ROWS_512 <= a.rows;
                // SAFETY: row + R ≤ rows and tile + T ≤ tiles by the conditions chosen.
                unsafe {
                    match (full, pair) {
                        (true, true) => {
                            block_512::<ROWS_512, TILES_512>(a, w, bias, out, row, tile)
                        }
                        (true, false) => block_512::<ROWS_512, 1>(a, w, bias, out, row, tile),
                        (false, true) => block_512::<1, TILES_512>(a, w, bias, out, row, tile),
                        (false, false) => block_512::<1, 1>(a, w, bias, out, row, tile),
                    }
                }
                row += if full { ROWS_512 } else { 1 };
            }
            tile += if pair { TILES_512 } else { 1 };
        }
    }

    /// Rows `row..row+R` × tiles `tile..tile+T`.
    ///
    /// # Safety
    /// As [`matmul_avx512`], and `row + R ≤ a.rows`, `tile + T ≤ w.n / 16`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn block_512<const R: usize, const T: usize>(
        a: &QuantizedRows,
        w: &PackedQ4,
        bias: &[f32],
        out: &mut [f32],
        row: usize,
        tile: usize,
    ) {
        let (k, n) = (w.k, w.n);
        let kb = k / BLOCK;
        // Raw pointers, advanced once per block: indexing the per-block vectors would cost
        // a bounds check and an address computation per row and block on the ports the
        // `vpdpbusd` and the float steps need (the kernel is limited by those ports).
        let mut wp: [*const u8; T] =
            std::array::from_fn(|t| w.nibbles[(tile + t) * kb * TILE_BLOCK_BYTES..].as_ptr());
        let mut wsp: [*const f32; T] =
            std::array::from_fn(|t| w.scales[(tile + t) * kb * TILE..].as_ptr());
        let mut ap: [*const u8; R] =
            std::array::from_fn(|r| a.q[(row + r) * k..].as_ptr().cast::<u8>());
        let mut asp: [*const f32; R] = std::array::from_fn(|r| a.scales[(row + r) * kb..].as_ptr());
        let mut aop: [*const i32; R] =
            std::array::from_fn(|r| a.offsets[(row + r) * kb..].as_ptr());
        let mut acc = [[_mm512_setzero_ps(); T]; R];
        for _ in 0..kb {
            // SAFETY (whole loop body): each pointer starts at its row's or tile's first
            // block and advances one block per iteration, `kb` iterations: every read is
            // within that row's or tile's blocks (module safety argument).
            // The sums start at −8·Σq (the nibbles' offset), so no subtraction follows;
            // integer adds are exact in any order, so the bits are those of portable.
            let mut isum: [[__m512i; T]; R] =
                std::array::from_fn(|r| [_mm512_set1_epi32(unsafe { aop[r].read() }); T]);
            for g in 0..GROUPS {
                let mut wv = [_mm512_setzero_si512(); T];
                for (v, p) in wv.iter_mut().zip(&wp) {
                    *v = unsafe { _mm512_loadu_si512(p.add(g * TILE * 4).cast()) };
                }
                for (sums, p) in isum.iter_mut().zip(&ap) {
                    let four = unsafe { p.add(g * 4).cast::<i32>().read_unaligned() };
                    let av = _mm512_set1_epi32(four);
                    for (s, v) in sums.iter_mut().zip(&wv) {
                        *s = _mm512_dpbusd_epi32(*s, *v, av);
                    }
                }
            }
            for (r, (sums, accs)) in isum.iter().zip(acc.iter_mut()).enumerate() {
                let sa = _mm512_set1_ps(unsafe { asp[r].read() });
                for (t, (s, acc)) in sums.iter().zip(accs.iter_mut()).enumerate() {
                    let sw = unsafe { _mm512_loadu_ps(wsp[t]) };
                    let scale = _mm512_mul_ps(sw, sa);
                    let f = _mm512_cvtepi32_ps(*s);
                    *acc = _mm512_add_ps(*acc, _mm512_mul_ps(f, scale));
                }
            }
            for t in 0..T {
                wp[t] = wp[t].wrapping_add(TILE_BLOCK_BYTES);
                wsp[t] = wsp[t].wrapping_add(TILE);
            }
            for r in 0..R {
                ap[r] = ap[r].wrapping_add(BLOCK);
                asp[r] = asp[r].wrapping_add(1);
                aop[r] = aop[r].wrapping_add(1);
            }
        }
        for (r, accs) in acc.iter().enumerate() {
            for (t, acc) in accs.iter().enumerate() {
                let col = (tile + t) * TILE;
                // SAFETY: col + 16 ≤ n = bias.len(); (row + r)·n + col + 16 ≤ out.len().
                unsafe {
                    let bv = _mm512_loadu_ps(bias.as_ptr().add(col));
                    _mm512_storeu_ps(
                        out.as_mut_ptr().add((row + r) * n + col),
                        _mm512_add_ps(*acc, bv),
                    );
                }
            }
        }
    }

    /// # Safety
    /// The CPU must have avx2, and the buffers the lengths [`super::matmul`] asserts.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn matmul_avx2(
        a: &QuantizedRows,
        w: &PackedQ4,
        bias: &[f32],
        out: &mut [f32],
    ) {
        let tiles = w.n / TILE;
        for tile in 0..tiles {
            let mut row = 0;
            while row < a.rows {
                let full = row + ROWS_256 <= a.rows;
                // SAFETY: row + R ≤ rows, tile < tiles.
                unsafe {
                    if full {
                        block_256::<ROWS_256>(a, w, bias, out, row, tile);
                    } else {
                        block_256::<1>(a, w, bias, out, row, tile);
                    }
                }
                row += if full { ROWS_256 } else { 1 };
            }
        }
    }

    /// Rows `row..row+R` × one tile, as two halves of eight lanes.
    ///
    /// # Safety
    /// As [`matmul_avx2`], and `row + R ≤ a.rows`, `tile < w.n / 16`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn block_256<const R: usize>(
        a: &QuantizedRows,
        w: &PackedQ4,
        bias: &[f32],
        out: &mut [f32],
        row: usize,
        tile: usize,
    ) {
        let (k, n) = (w.k, w.n);
        let kb = k / BLOCK;
        let wp = w.nibbles.as_ptr();
        let ap = a.q.as_ptr();
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        for b in 0..kb {
            let mut isum = [[_mm256_setzero_si256(); 2]; R];
            for g in 0..GROUPS {
                let off = (tile * kb + b) * TILE_BLOCK_BYTES + g * TILE * 4;
                // SAFETY: off + 64 ≤ nibbles.len().
                let wv = unsafe {
                    [
                        _mm256_loadu_si256(wp.add(off).cast()),
                        _mm256_loadu_si256(wp.add(off + 32).cast()),
                    ]
                };
                for (r, sums) in isum.iter_mut().enumerate() {
                    let aoff = (row + r) * k + b * BLOCK + g * 4;
                    // SAFETY: aoff + 4 ≤ q.len().
                    let four = unsafe { ap.add(aoff).cast::<i32>().read_unaligned() };
                    let av = _mm256_set1_epi32(four);
                    for (s, v) in sums.iter_mut().zip(&wv) {
                        // Nibble × int8 pairs stay within i16 (2·15·127), no saturation.
                        let pairs = _mm256_maddubs_epi16(*v, av);
                        *s = _mm256_add_epi32(*s, _mm256_madd_epi16(pairs, ones));
                    }
                }
            }
            for (r, (sums, accs)) in isum.iter().zip(acc.iter_mut()).enumerate() {
                let idx = (row + r) * kb + b;
                let correction = _mm256_set1_epi32(a.offsets[idx]);
                let sa = _mm256_set1_ps(a.scales[idx]);
                for (h, (s, acc)) in sums.iter().zip(accs.iter_mut()).enumerate() {
                    let off = (tile * kb + b) * TILE + h * 8;
                    // SAFETY: off + 8 ≤ w.scales.len().
                    let sw = unsafe { _mm256_loadu_ps(w.scales.as_ptr().add(off)) };
                    let scale = _mm256_mul_ps(sw, sa);
                    let f = _mm256_cvtepi32_ps(_mm256_add_epi32(*s, correction));
                    *acc = _mm256_add_ps(*acc, _mm256_mul_ps(f, scale));
                }
            }
        }
        for (r, accs) in acc.iter().enumerate() {
            for (h, acc) in accs.iter().enumerate() {
                let col = tile * TILE + h * 8;
                // SAFETY: col + 8 ≤ n = bias.len(); (row + r)·n + col + 8 ≤ out.len().
                unsafe {
                    let bv = _mm256_loadu_ps(bias.as_ptr().add(col));
                    _mm256_storeu_ps(
                        out.as_mut_ptr().add((row + r) * n + col),
                        _mm256_add_ps(*acc, bv),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic generator for test matrices.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }

        fn f32(&mut self) -> f32 {
            self.next() as f32 / (1u64 << 31) as f32 * 2.0 - 1.0
        }
    }

    /// Random Q4_0 blocks with fp16 scales in about 0.001..0.1.
    fn random_q4(rng: &mut Lcg, n: usize, k: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..n * k / BLOCK {
            let scale = 0x1400 + (rng.next() % 0x1000) as u16;
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend((0..16).map(|_| rng.next() as u8));
        }
        out
    }

    fn dequantized(blocks: &[u8], n: usize, k: usize) -> Vec<f32> {
        let mut w = vec![0.0; n * k];
        crate::format::dequantize_q4(blocks, &mut w);
        w
    }

    fn run(kernel: Kernel, x: &[f32], w: &PackedQ4, bias: &[f32]) -> Vec<f32> {
        let mut q = QuantizedRows::default();
        q.quantize(kernel, x, w.k());
        let mut out = vec![0.0; q.rows() * w.n()];
        matmul(kernel, &q, w, bias, &mut out);
        out
    }

    #[test]
    fn kernel_names_parse_back() {
        for k in Kernel::ALL {
            assert_eq!(k.name().parse::<Kernel>(), Ok(k));
        }
        assert!(matches!(
            "sse9".parse::<Kernel>(),
            Err(KernelError::Unknown(_))
        ));
        assert!(Kernel::best().is_available());
    }

    #[test]
    fn portable_kernel_is_close_to_the_f32_product() {
        let mut rng = Lcg(7);
        let (rows, n, k) = (5, 48, 96);
        let blocks = random_q4(&mut rng, n, k);
        let w = PackedQ4::from_q4(&blocks, n, k).expect("shape");
        let wf = dequantized(&blocks, n, k);
        let x: Vec<f32> = (0..rows * k).map(|_| rng.f32()).collect();
        let bias: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
        let got = run(Kernel::Portable, &x, &w, &bias);
        for i in 0..rows {
            for j in 0..n {
                let exact: f32 =
                    bias[j] + (0..k).map(|c| x[i * k + c] * wf[j * k + c]).sum::<f32>();
                let scale: f32 = (0..k).map(|c| wf[j * k + c].abs()).sum::<f32>() / 127.0;
                assert!(
                    (got[i * n + j] - exact).abs() <= scale,
                    "({i},{j}): {} vs {exact}",
                    got[i * n + j]
                );
            }
        }
    }

    #[test]
    fn every_available_kernel_gives_the_portable_bits() {
        let mut rng = Lcg(11);
        for (rows, tiles, kb) in [(1, 1, 1), (3, 3, 2), (4, 2, 12), (9, 5, 3), (17, 4, 48)] {
            let (n, k) = (tiles * TILE, kb * BLOCK);
            let w = PackedQ4::from_q4(&random_q4(&mut rng, n, k), n, k).expect("shape");
            let x: Vec<f32> = (0..rows * k).map(|_| rng.f32() * 30.0).collect();
            let bias: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
            let want = run(Kernel::Portable, &x, &w, &bias);
            for kernel in [Kernel::Avx2, Kernel::Avx512] {
                if !kernel.is_available() {
                    eprintln!("{kernel} not available on this CPU: not compared");
                    continue;
                }
                let got = run(kernel, &x, &w, &bias);
                let same = got
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{kernel} differs from portable at {rows}×{n}×{k}");
            }
        }
    }

    #[test]
    fn a_row_does_not_depend_on_the_rows_beside_it() {
        let mut rng = Lcg(3);
        let (n, k) = (64, 64);
        let w = PackedQ4::from_q4(&random_q4(&mut rng, n, k), n, k).expect("shape");
        let bias = vec![0.5; n];
        let x: Vec<f32> = (0..7 * k).map(|_| rng.f32()).collect();
        for kernel in [Kernel::Portable, Kernel::best()] {
            let all = run(kernel, &x, &w, &bias);
            for i in 0..7 {
                let alone = run(kernel, &x[i * k..(i + 1) * k], &w, &bias);
                assert_eq!(
                    alone.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    all[i * n..(i + 1) * n]
                        .iter()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>(),
                    "{kernel}: row {i}"
                );
            }
        }
    }

    #[test]
    fn quantisation_is_exact_on_block_maxima_and_zero_blocks() {
        let mut q = QuantizedRows::default();
        let mut x = vec![0.0f32; 64];
        x[3] = -2.0;
        x[4] = 1.0;
        q.quantize(Kernel::Portable, &x, 64);
        assert_eq!(q.q[3], -127);
        assert_eq!(q.q[4], 64); // 63.5 rounds to even
        assert_eq!(q.scales[1], 0.0);
        assert_eq!(q.offsets, vec![8 * 63, 0]);
    }

    #[test]
    fn every_available_kernel_quantises_to_the_portable_bytes() {
        let mut rng = Lcg(5);
        // Halves after scaling (0.5 and −1.5 with a block maximum of 2·127) test the rounding.
        let mut x: Vec<f32> = (0..32 * 40).map(|_| rng.f32() * 4.0).collect();
        x[..4].copy_from_slice(&[254.0, 1.0, -3.0, 0.5]);
        x[32..64].fill(0.0);
        let mut want = QuantizedRows::default();
        want.quantize(Kernel::Portable, &x, 64);
        assert_eq!(&want.q[..4], &[127, 0, -2, 0]);
        for kernel in [Kernel::Avx2, Kernel::Avx512]
            .into_iter()
            .filter(|k| k.is_available())
        {
            let mut got = QuantizedRows::default();
            got.quantize(kernel, &x, 64);
            assert_eq!(got.q, want.q, "{kernel}");
            assert_eq!(got.offsets, want.offsets, "{kernel}");
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.scales), bits(&want.scales), "{kernel}");
        }
    }

    #[test]
    fn shapes_that_do_not_tile_are_refused() {
        assert!(PackedQ4::from_q4(&[0; 18 * 8], 8, 32).is_none());
        assert!(PackedQ4::from_q4(&[0; 18 * 16], 16, 32).is_some());
        assert!(PackedQ4::from_q4(&[0; 18 * 15], 16, 32).is_none());
    }
}
