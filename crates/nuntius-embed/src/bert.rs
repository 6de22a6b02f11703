//! The BERT (XLM-RoBERTa) encoder of multilingual-e5-small in plain Rust: weights kept as
//! exact 4-bit integers for the integer kernels (or dequantised to f32 for the reference
//! path), texts of a batch packed end to end into one activation matrix so every weight is
//! streamed once per batch and no padding is computed; attention stays inside each text.
//!
//! Every step works row by row or text by text, so a text's vector never depends on the
//! other texts of its batch or on the thread that ran it.

use std::ops::Range;

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::error::EmbedError;
use crate::format::{dequantize_q4, ModelConfig, ModelFile, Q4_BLOCK, Q4_BLOCK_BYTES};
use crate::kernel::{self, Kernel, PackedQ4, QuantizedRows};
use crate::math;

/// A dense layer's weights: f32 `[out, in]` for the reference path, or packed 4-bit
/// integers for the integer kernels.
enum Weights {
    F32(Array2<f32>),
    Q4(PackedQ4),
}

/// A dense layer `y = x·Wᵀ + b` with `W` stored as `[out, in]`.
struct Linear {
    weights: Weights,
    bias: Vec<f32>,
}

impl Linear {
    fn load(
        file: &ModelFile,
        name: &str,
        out: usize,
        inp: usize,
        kernel: Kernel,
    ) -> Result<Linear, EmbedError> {
        let malformed = |reason: String| EmbedError::Malformed {
            path: file.path.clone(),
            reason: format!("tensor `{name}.w`: {reason}"),
        };
        let bias = file.f32_tensor(&format!("{name}.b"), out)?;
        let weights = if kernel.is_integer() {
            let blocks = file.q4_tensor(&format!("{name}.w"), out, inp)?;
            Weights::Q4(PackedQ4::from_q4(blocks, out, inp).ok_or_else(|| {
                malformed(format!(
                    "{out}×{inp} does not tile by 16 outputs × 32 inputs"
                ))
            })?)
        } else {
            let w = file.q4_tensor_f32(&format!("{name}.w"), out, inp)?;
            Weights::F32(
                Array2::from_shape_vec((out, inp), w).map_err(|e| malformed(e.to_string()))?,
            )
        };
        Ok(Linear { weights, bias })
    }

    /// Stacks layers that read the same input into one (Q, K and V).
    fn concat(file: &ModelFile, parts: Vec<Linear>) -> Result<Linear, EmbedError> {
        let bias = parts.iter().flat_map(|p| p.bias.iter().copied()).collect();
        let mut dense = Vec::new();
        let mut packed = Vec::new();
        for p in parts {
            match p.weights {
                Weights::F32(w) => dense.push(w),
                Weights::Q4(w) => packed.push(w),
            }
        }
        let mismatch = || EmbedError::Malformed {
            path: file.path.clone(),
            reason: "query, key and value weights differ in width".to_string(),
        };
        let weights = if packed.is_empty() {
            let views: Vec<ArrayView2<'_, f32>> = dense.iter().map(|w| w.view()).collect();
            Weights::F32(ndarray::concatenate(Axis(0), &views).map_err(|_| mismatch())?)
        } else {
            Weights::Q4(PackedQ4::concat(packed).ok_or_else(mismatch)?)
        };
        Ok(Linear { weights, bias })
    }

    /// `out = x·Wᵀ + b` for the `rows` rows of row-major `x`; `out` is resized, not cleared
    /// (every value is written).
    #[inline(always)]
    fn forward(
        &self,
        x: &[f32],
        rows: usize,
        kernel: Kernel,
        scratch: &mut QuantizedRows,
        out: &mut Vec<f32>,
    ) {
        let n = self.bias.len();
        out.resize(rows * n, 0.0);
        match &self.weights {
            Weights::F32(w) => {
                for row in out.chunks_exact_mut(n) {
                    row.copy_from_slice(&self.bias);
                }
                let k = w.ncols();
                if let (Ok(xv), Ok(mut yv)) = (
                    ArrayView2::from_shape((rows, k), x),
                    ArrayViewMut2::from_shape((rows, n), &mut out[..]),
                ) {
                    general_mat_mul(1.0, &xv, &w.t(), 1.0, &mut yv);
                }
            }
            Weights::Q4(w) => {
                scratch.quantize(kernel, x, w.k());
                kernel::matmul(kernel, scratch, w, &self.bias, out);
            }
        }
    }
}

struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    fn load(file: &ModelFile, name: &str, hidden: usize) -> Result<LayerNorm, EmbedError> {
        Ok(LayerNorm {
            weight: file.f32_tensor(&format!("{name}.w"), hidden)?,
            bias: file.f32_tensor(&format!("{name}.b"), hidden)?,
            eps: file.config.layer_norm_eps,
        })
    }

    /// `x = LayerNorm(x + residual)` row by row (rows of the norm's width).
    #[inline(always)]
    fn add_norm(&self, x: &mut [f32], residual: Option<&[f32]>) {
        let width = self.weight.len();
        for (t, r) in x.chunks_exact_mut(width).enumerate() {
            if let Some(res) = residual {
                for (a, b) in r.iter_mut().zip(&res[t * width..(t + 1) * width]) {
                    *a += b;
                }
            }
            let h = width as f32;
            let mean = lane_sum(r) / h;
            let mut lanes = [0.0f32; LANES];
            let chunks = r.chunks_exact(LANES);
            let tail: f32 = chunks
                .remainder()
                .iter()
                .map(|v| (v - mean) * (v - mean))
                .sum();
            for c in chunks {
                for i in 0..LANES {
                    lanes[i] += (c[i] - mean) * (c[i] - mean);
                }
            }
            let var = (lanes.iter().sum::<f32>() + tail) / h;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, w), b) in r.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    }
}

struct Layer {
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    ffn_in: Linear,
    ffn_out: Linear,
    output_norm: LayerNorm,
}

/// One packed batch: token ids, positions, and each text's token range.
pub(crate) struct PackedBatch {
    pub ids: Vec<u32>,
    pub positions: Vec<usize>,
    pub segments: Vec<Range<usize>>,
}

pub(crate) struct Bert {
    pub config: ModelConfig,
    /// Word embeddings stay 4-bit (250k rows would take 384 MB as f32); rows are
    /// dequantised on lookup.
    word_q4: Vec<u8>,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    pub kernel: Kernel,
}

impl Bert {
    pub fn load(file: &ModelFile, kernel: Kernel) -> Result<Bert, EmbedError> {
        let c = file.config;
        let h = c.hidden;
        let word_q4 = file.q4_tensor("emb.word", c.vocab_rows, h)?.to_vec();
        let positions = file.f32_tensor("emb.pos", c.max_positions * h)?;
        let token_type = file.f32_tensor("emb.type", c.type_vocab * h)?;
        let embedding_norm = LayerNorm::load(file, "emb.ln", h)?;
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let p = format!("l{l}");
            let qkv = Linear::concat(
                file,
                vec![
                    Linear::load(file, &format!("{p}.q"), h, h, kernel)?,
                    Linear::load(file, &format!("{p}.k"), h, h, kernel)?,
                    Linear::load(file, &format!("{p}.v"), h, h, kernel)?,
                ],
            )?;
            layers.push(Layer {
                qkv,
                attention_out: Linear::load(file, &format!("{p}.ao"), h, h, kernel)?,
                attention_norm: LayerNorm::load(file, &format!("{p}.aln"), h)?,
                ffn_in: Linear::load(file, &format!("{p}.fi"), c.ffn, h, kernel)?,
                ffn_out: Linear::load(file, &format!("{p}.fo"), h, c.ffn, kernel)?,
                output_norm: LayerNorm::load(file, &format!("{p}.oln"), h)?,
            });
        }
        Ok(Bert {
            config: c,
            word_q4,
            positions,
            token_type,
            embedding_norm,
            layers,
            kernel,
        })
    }

    /// Final hidden states `[tokens, hidden]` of a packed batch.
    pub fn hidden_states(&self, batch: &PackedBatch) -> Array2<f32> {
        let h = self.config.hidden;
        let t = batch.ids.len();
        let row_bytes = h / Q4_BLOCK * Q4_BLOCK_BYTES;
        let mut x = vec![0.0f32; t * h];
        for (i, r) in x.chunks_exact_mut(h).enumerate() {
            let id = (batch.ids[i] as usize).min(self.config.vocab_rows - 1);
            dequantize_q4(&self.word_q4[id * row_bytes..(id + 1) * row_bytes], r);
            let p = batch.positions[i].min(self.config.max_positions - 1);
            let pos = &self.positions[p * h..(p + 1) * h];
            for ((v, a), b) in r.iter_mut().zip(pos).zip(&self.token_type[..h]) {
                *v += a + b;
            }
        }
        self.embedding_norm.add_norm(&mut x, None);

        // The element-wise and attention code below is plain Rust; compiled inside
        // `vectorized` it uses the CPU's full vector width, with the same results.
        kernel::vectorized(
            self.kernel,
            LayersForward {
                bert: self,
                x: &mut x,
                batch,
            },
        );
        Array2::from_shape_vec((t, h), x).unwrap_or_else(|_| Array2::zeros((t, h)))
    }

    /// The transformer layers, in place on the embedded batch `x` (row-major).
    #[inline(always)]
    fn layers_forward(&self, x: &mut [f32], batch: &PackedBatch) {
        let k = self.kernel;
        let rows = batch.ids.len();
        let mut scratch = QuantizedRows::default();
        let mut buffers = Buffers::default();
        let Buffers {
            qkv,
            context,
            attn,
            mid,
            out,
            keys_t,
            probs,
        } = &mut buffers;
        for layer in &self.layers {
            layer.qkv.forward(x, rows, k, &mut scratch, qkv);
            let shape = AttentionShape {
                hidden: self.config.hidden,
                heads: self.config.heads,
                fast: k.is_integer(),
            };
            Bert::attention(&shape, qkv, &batch.segments, context, keys_t, probs);
            layer
                .attention_out
                .forward(context, rows, k, &mut scratch, attn);
            layer.attention_norm.add_norm(x, Some(attn));
            layer.ffn_in.forward(x, rows, k, &mut scratch, mid);
            if k.is_integer() {
                for v in mid.iter_mut() {
                    *v = math::gelu(*v);
                }
            } else {
                for v in mid.iter_mut() {
                    *v = gelu(*v);
                }
            }
            layer.ffn_out.forward(mid, rows, k, &mut scratch, out);
            layer.output_norm.add_norm(x, Some(out));
        }
    }

    /// Mean of each text's final hidden states (not normalised).
    pub fn mean_pooled(&self, batch: &PackedBatch) -> Vec<Vec<f32>> {
        let x = self.hidden_states(batch);
        batch
            .segments
            .iter()
            .map(|seg| {
                let rows = x.slice(s![seg.clone(), ..]);
                let n = seg.len().max(1) as f32;
                rows.sum_axis(Axis(0)).iter().map(|v| v / n).collect()
            })
            .collect()
    }

    /// Scaled dot-product attention per head, each token seeing only its own text.
    /// `qkv` rows are `[q | k | v]`. Keys are transposed per text and head (padded with
    /// zero keys to a multiple of [`KEY_PAD`], whose scores are computed and dropped) so
    /// that a query's scores against all keys are computed lane-parallel over the keys,
    /// each score summed over the head's dimensions in order. Queries are taken
    /// [`QUERY_GROUP`] at a time so that their weighted sums of the same value rows run
    /// in independent registers; each sum still adds the values in order, so grouping
    /// changes speed, not bits.
    #[inline(always)]
    fn attention(
        shape: &AttentionShape,
        data: &[f32],
        segments: &[Range<usize>],
        context: &mut Vec<f32>,
        keys_t: &mut Vec<f32>,
        probs: &mut Vec<f32>,
    ) {
        let h = shape.hidden;
        let hd = h / shape.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let width = 3 * h;
        let rows = data.len() / width;
        // Every value of `context` and `probs` that is read was written first; the padding
        // of `keys_t` is zeroed here.
        context.resize(rows * h, 0.0);
        let fast = shape.fast;
        for seg in segments {
            let len = seg.len();
            let padded = len.next_multiple_of(KEY_PAD);
            probs.resize(QUERY_GROUP * padded, 0.0f32);
            for head in 0..shape.heads {
                let (q0, k0, v0) = (head * hd, h + head * hd, 2 * h + head * hd);
                keys_t.clear();
                keys_t.resize(hd * padded, 0.0f32);
                let text = &data[seg.start * width..seg.end * width];
                for (j, key) in text.chunks_exact(width).enumerate() {
                    for (row, &k) in keys_t.chunks_exact_mut(padded).zip(&key[k0..k0 + hd]) {
                        row[j] = k;
                    }
                }
                let mut t = seg.start;
                while t < seg.end {
                    let group = (seg.end - t).min(QUERY_GROUP);
                    for g in 0..group {
                        let q = &data[(t + g) * width + q0..][..hd];
                        let row = &mut probs[g * padded..(g + 1) * padded];
                        scores(q, keys_t, row);
                        let p = &mut row[..len];
                        for v in p.iter_mut() {
                            *v *= scale;
                        }
                        let max = lane_max(p);
                        if fast {
                            for v in p.iter_mut() {
                                *v = math::exp(*v - max);
                            }
                        } else {
                            for v in p.iter_mut() {
                                *v = (*v - max).exp();
                            }
                        }
                        let inv = 1.0 / lane_sum(p);
                        for v in p.iter_mut() {
                            *v *= inv;
                        }
                    }
                    let values = Values {
                        data,
                        start: seg.start * width + v0,
                        stride: width,
                        len,
                    };
                    let out = Outputs {
                        start: t * h + q0,
                        stride: h,
                        width: hd,
                    };
                    match group {
                        4 => weighted_sums::<4>(probs, padded, &values, context, &out),
                        3 => weighted_sums::<3>(probs, padded, &values, context, &out),
                        2 => weighted_sums::<2>(probs, padded, &values, context, &out),
                        _ => weighted_sums::<1>(probs, padded, &values, context, &out),
                    }
                    t += group;
                }
            }
        }
    }
}

/// What [`Bert::attention`] needs of the model: widths, and whether to use the fast
/// math functions (the integer kernels do; the f32 reference path uses the library's).
struct AttentionShape {
    hidden: usize,
    heads: usize,
    fast: bool,
}

/// Activation buffers of one forward pass, sized at the first layer and reused.
#[derive(Default)]
struct Buffers {
    qkv: Vec<f32>,
    context: Vec<f32>,
    attn: Vec<f32>,
    mid: Vec<f32>,
    out: Vec<f32>,
    keys_t: Vec<f32>,
    probs: Vec<f32>,
}

/// Independent accumulators of the fixed-order sums: enough to hide the adder's latency.
const LANES: usize = 16;

/// [`Bert::layers_forward`] as work for [`kernel::vectorized`].
struct LayersForward<'a> {
    bert: &'a Bert,
    x: &'a mut [f32],
    batch: &'a PackedBatch,
}

impl kernel::Vectorizable for LayersForward<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        self.bert.layers_forward(self.x, self.batch);
    }
}

/// Queries whose weighted sums run together in [`Bert::attention`].
const QUERY_GROUP: usize = 4;

const _: () = assert!(
    QUERY_GROUP <= 4,
    "weighted_sum_chunks has four accumulators"
);

/// Keys per text are padded to a multiple of this, so the scores run in whole vectors.
const KEY_PAD: usize = 16;

/// `scores[s] = Σ_d q[d]·keys_t[d][s]` for every (padded) key, summed over `d` in order;
/// 64 keys at a time in independent register lanes (a chain of dependent adds would wait
/// on latency). `keys_t` is `[d][padded]` with `padded = scores.len()`, a multiple of 16.
#[inline(always)]
fn scores(q: &[f32], keys_t: &[f32], scores: &mut [f32]) {
    let len = scores.len();
    let mut s0 = 0;
    s0 = scores_chunks::<64>(q, keys_t, len, s0, scores);
    s0 = scores_chunks::<32>(q, keys_t, len, s0, scores);
    s0 = scores_chunks::<16>(q, keys_t, len, s0, scores);
    scores_chunks::<1>(q, keys_t, len, s0, scores);
}

/// [`scores`] for keys `s0..` in chunks of `W`; returns where the chunks end.
#[inline(always)]
fn scores_chunks<const W: usize>(
    q: &[f32],
    keys_t: &[f32],
    len: usize,
    mut s0: usize,
    scores: &mut [f32],
) -> usize {
    while s0 + W <= len {
        let mut acc = [0.0f32; W];
        // Rows of `keys_t` as whole chunks, so the loop carries no bounds check.
        for (row, &qd) in keys_t.chunks_exact(len).zip(q) {
            let Some(k) = row.get(s0..s0 + W) else { break };
            for i in 0..W {
                acc[i] += qd * k[i];
            }
        }
        scores[s0..s0 + W].copy_from_slice(&acc);
        s0 += W;
    }
    s0
}

/// The value rows of one text and head: row `s` is `data[start + s·stride..]`.
struct Values<'a> {
    data: &'a [f32],
    start: usize,
    stride: usize,
    len: usize,
}

/// Where the context rows of a group of queries go: query `g`'s `width` values start at
/// `start + g·stride`.
struct Outputs {
    start: usize,
    stride: usize,
    width: usize,
}

/// For each of `Q` queries `g`, `out_g[d] = Σ_s w_g[s]·v[s][d]` with `w_g` the first
/// `values.len` weights of `probs[g·pstride..]`, summed over `s` in order; 32 dimensions
/// of all `Q` queries at a time in independent register lanes.
#[inline(always)]
fn weighted_sums<const Q: usize>(
    probs: &[f32],
    pstride: usize,
    values: &Values<'_>,
    context: &mut [f32],
    out: &Outputs,
) {
    let mut d0 = 0;
    d0 = weighted_sum_chunks::<Q, 32>(probs, pstride, values, d0, context, out);
    d0 = weighted_sum_chunks::<Q, 8>(probs, pstride, values, d0, context, out);
    weighted_sum_chunks::<Q, 1>(probs, pstride, values, d0, context, out);
}

/// [`weighted_sums`] for dimensions `d0..` in chunks of `W`; returns where they end.
#[inline(always)]
fn weighted_sum_chunks<const Q: usize, const W: usize>(
    probs: &[f32],
    pstride: usize,
    values: &Values<'_>,
    mut d0: usize,
    context: &mut [f32],
    out: &Outputs,
) -> usize {
    // Named accumulators: an array of arrays would be kept on the stack, not in registers.
    let w = |g: usize| &probs[g.min(Q - 1) * pstride..][..values.len];
    let (w0, w1, w2, w3) = (w(0), w(1), w(2), w(3));
    while d0 + W <= out.width {
        let (mut a0, mut a1, mut a2, mut a3) = ([0.0f32; W], [0.0f32; W], [0.0f32; W], [0.0f32; W]);
        for s in 0..values.len {
            let v = &values.data[values.start + s * values.stride + d0..][..W];
            let (x0, x1, x2, x3) = (w0[s], w1[s], w2[s], w3[s]);
            for i in 0..W {
                a0[i] += x0 * v[i];
                if Q > 1 {
                    a1[i] += x1 * v[i];
                }
                if Q > 2 {
                    a2[i] += x2 * v[i];
                }
                if Q > 3 {
                    a3[i] += x3 * v[i];
                }
            }
        }
        for (g, a) in [a0, a1, a2, a3].iter().take(Q).enumerate() {
            context[out.start + g * out.stride + d0..][..W].copy_from_slice(a);
        }
        d0 += W;
    }
    d0
}

/// Largest of `xs` (finite), in eight lanes.
#[inline(always)]
fn lane_max(xs: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = xs.chunks_exact(8);
    let mut m = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    for x in chunks {
        for i in 0..8 {
            lanes[i] = if x[i] > lanes[i] { x[i] } else { lanes[i] };
        }
    }
    for l in lanes {
        m = m.max(l);
    }
    m
}

/// Sum in [`LANES`] interleaved lanes, then the lanes in order: a fixed order the compiler
/// can keep in vector registers (a plain sequential sum cannot be vectorised).
#[inline(always)]
fn lane_sum(xs: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for x in chunks {
        for i in 0..LANES {
            lanes[i] += x[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Exact (erf) GELU, as BERT uses.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attention as plainly as it can be written, with the same order of float operations.
    fn naive_attention(
        shape: &AttentionShape,
        data: &[f32],
        segments: &[Range<usize>],
    ) -> Vec<f32> {
        let h = shape.hidden;
        let hd = h / shape.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let width = 3 * h;
        let mut context = vec![0.0f32; data.len() / width * h];
        for seg in segments {
            for head in 0..shape.heads {
                for t in seg.clone() {
                    let mut p: Vec<f32> = seg
                        .clone()
                        .map(|s| {
                            let mut acc = 0.0f32;
                            for d in 0..hd {
                                acc += data[t * width + head * hd + d]
                                    * data[s * width + h + head * hd + d];
                            }
                            acc * scale
                        })
                        .collect();
                    let max = p.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
                    for v in p.iter_mut() {
                        *v = if shape.fast {
                            math::exp(*v - max)
                        } else {
                            (*v - max).exp()
                        };
                    }
                    let inv = 1.0 / lane_sum(&p);
                    for v in p.iter_mut() {
                        *v *= inv;
                    }
                    for d in 0..hd {
                        let mut acc = 0.0f32;
                        for (j, s) in seg.clone().enumerate() {
                            acc += p[j] * data[s * width + 2 * h + head * hd + d];
                        }
                        context[t * h + head * hd + d] = acc;
                    }
                }
            }
        }
        context
    }

    // Pins that padding the keys and grouping the queries changed speed only, not one bit.
    #[test]
    fn attention_gives_the_bits_of_the_plain_order() {
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 * 6.0 - 3.0
        };
        for (hidden, heads) in [(96, 3), (24, 2), (40, 4)] {
            let lens = [1usize, 3, 16, 17, 40, 5, 64, 70];
            let mut segments = Vec::new();
            let mut start = 0;
            for len in lens {
                segments.push(start..start + len);
                start += len;
            }
            let data: Vec<f32> = (0..start * 3 * hidden).map(|_| next()).collect();
            for fast in [true, false] {
                let shape = AttentionShape {
                    hidden,
                    heads,
                    fast,
                };
                let (mut context, mut keys_t, mut probs) = (Vec::new(), Vec::new(), Vec::new());
                Bert::attention(
                    &shape,
                    &data,
                    &segments,
                    &mut context,
                    &mut keys_t,
                    &mut probs,
                );
                let want = naive_attention(&shape, &data, &segments);
                let got: Vec<u32> = context.iter().map(|v| v.to_bits()).collect();
                let want: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "hidden {hidden}, heads {heads}, fast {fast}");
            }
        }
    }
}
