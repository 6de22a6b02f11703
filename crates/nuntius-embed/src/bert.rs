//! The BERT (XLM-RoBERTa) encoder of multilingual-e5-small in plain Rust: weights
//! dequantised to f32 at load, texts of a batch packed end to end into one activation
//! matrix so every weight is streamed once per batch and no padding is computed;
//! attention stays inside each text.

use std::ops::Range;

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};

use crate::error::EmbedError;
use crate::format::{dequantize_q4, ModelConfig, ModelFile, Q4_BLOCK, Q4_BLOCK_BYTES};

/// A dense layer `y = x·Wᵀ + b` with `W` stored as `[out, in]`.
struct Linear {
    weight: Array2<f32>,
    bias: Vec<f32>,
}

impl Linear {
    fn load(file: &ModelFile, name: &str, out: usize, inp: usize) -> Result<Linear, EmbedError> {
        let w = file.q4_tensor_f32(&format!("{name}.w"), out, inp)?;
        let bias = file.f32_tensor(&format!("{name}.b"), out)?;
        let weight = Array2::from_shape_vec((out, inp), w).map_err(|e| EmbedError::Malformed {
            path: file.path.clone(),
            reason: format!("tensor `{name}.w`: {e}"),
        })?;
        Ok(Linear { weight, bias })
    }

    /// Stacks layers that read the same input into one (Q, K and V).
    fn concat(parts: Vec<Linear>) -> Linear {
        let views: Vec<ArrayView2<'_, f32>> = parts.iter().map(|p| p.weight.view()).collect();
        let weight =
            ndarray::concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, 0)));
        let bias = parts.iter().flat_map(|p| p.bias.iter().copied()).collect();
        Linear { weight, bias }
    }

    fn forward(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        let mut y = Array2::from_shape_fn((x.nrows(), self.bias.len()), |(_, j)| self.bias[j]);
        general_mat_mul(1.0, &x, &self.weight.t(), 1.0, &mut y);
        y
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

    /// `x = LayerNorm(x + residual)` row by row.
    fn add_norm(&self, mut x: ArrayViewMut2<'_, f32>, residual: Option<ArrayView2<'_, f32>>) {
        for (t, mut row) in x.rows_mut().into_iter().enumerate() {
            let Some(r) = row.as_slice_mut() else {
                continue;
            };
            if let Some(res) = &residual {
                for (a, b) in r.iter_mut().zip(res.row(t)) {
                    *a += b;
                }
            }
            let h = r.len() as f32;
            let mean = r.iter().sum::<f32>() / h;
            let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h;
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
}

impl Bert {
    pub fn load(file: &ModelFile) -> Result<Bert, EmbedError> {
        let c = file.config;
        let h = c.hidden;
        let word_q4 = file.q4_tensor("emb.word", c.vocab_rows, h)?.to_vec();
        let positions = file.f32_tensor("emb.pos", c.max_positions * h)?;
        let token_type = file.f32_tensor("emb.type", c.type_vocab * h)?;
        let embedding_norm = LayerNorm::load(file, "emb.ln", h)?;
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let p = format!("l{l}");
            let qkv = Linear::concat(vec![
                Linear::load(file, &format!("{p}.q"), h, h)?,
                Linear::load(file, &format!("{p}.k"), h, h)?,
                Linear::load(file, &format!("{p}.v"), h, h)?,
            ]);
            layers.push(Layer {
                qkv,
                attention_out: Linear::load(file, &format!("{p}.ao"), h, h)?,
                attention_norm: LayerNorm::load(file, &format!("{p}.aln"), h)?,
                ffn_in: Linear::load(file, &format!("{p}.fi"), c.ffn, h)?,
                ffn_out: Linear::load(file, &format!("{p}.fo"), h, c.ffn)?,
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
        })
    }

    /// Final hidden states `[tokens, hidden]` of a packed batch.
    pub fn hidden_states(&self, batch: &PackedBatch) -> Array2<f32> {
        let h = self.config.hidden;
        let t = batch.ids.len();
        let row_bytes = h / Q4_BLOCK * Q4_BLOCK_BYTES;
        let mut x = Array2::<f32>::zeros((t, h));
        for (i, mut row) in x.rows_mut().into_iter().enumerate() {
            let Some(r) = row.as_slice_mut() else {
                continue;
            };
            let id = (batch.ids[i] as usize).min(self.config.vocab_rows - 1);
            dequantize_q4(&self.word_q4[id * row_bytes..(id + 1) * row_bytes], r);
            let p = batch.positions[i].min(self.config.max_positions - 1);
            let pos = &self.positions[p * h..(p + 1) * h];
            for ((v, a), b) in r.iter_mut().zip(pos).zip(&self.token_type[..h]) {
                *v += a + b;
            }
        }
        self.embedding_norm.add_norm(x.view_mut(), None);

        for layer in &self.layers {
            let qkv = layer.qkv.forward(x.view());
            let context = self.attention(&qkv, &batch.segments);
            let attn = layer.attention_out.forward(context.view());
            layer
                .attention_norm
                .add_norm(x.view_mut(), Some(attn.view()));
            let mut mid = layer.ffn_in.forward(x.view());
            mid.mapv_inplace(gelu);
            let out = layer.ffn_out.forward(mid.view());
            layer.output_norm.add_norm(x.view_mut(), Some(out.view()));
        }
        x
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
    /// `qkv` rows are `[q | k | v]`.
    fn attention(&self, qkv: &Array2<f32>, segments: &[Range<usize>]) -> Array2<f32> {
        let h = self.config.hidden;
        let hd = h / self.config.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let rows = qkv.nrows();
        let mut context = vec![0.0f32; rows * h];
        let owned;
        let data = match qkv.as_slice() {
            Some(d) => d,
            None => {
                owned = qkv.iter().copied().collect::<Vec<f32>>();
                &owned
            }
        };
        let width = 3 * h;
        let mut probs = Vec::new();
        for seg in segments {
            for head in 0..self.config.heads {
                let (q0, k0, v0) = (head * hd, h + head * hd, 2 * h + head * hd);
                for t in seg.clone() {
                    let q = &data[t * width + q0..t * width + q0 + hd];
                    probs.clear();
                    let mut max = f32::NEG_INFINITY;
                    for s in seg.clone() {
                        let k = &data[s * width + k0..s * width + k0 + hd];
                        let d = dot(q, k) * scale;
                        max = max.max(d);
                        probs.push(d);
                    }
                    let mut sum = 0.0;
                    for p in probs.iter_mut() {
                        *p = (*p - max).exp();
                        sum += *p;
                    }
                    let inv = 1.0 / sum;
                    let out = &mut context[t * h + q0..t * h + q0 + hd];
                    for (s, p) in seg.clone().zip(&probs) {
                        let v = &data[s * width + v0..s * width + v0 + hd];
                        let w = p * inv;
                        for (o, x) in out.iter_mut().zip(v) {
                            *o += w * x;
                        }
                    }
                }
            }
        }
        Array2::from_shape_vec((rows, h), context).unwrap_or_else(|_| Array2::zeros((rows, h)))
    }
}

/// Dot product in eight lanes, so the compiler can keep it in one vector register.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f32>() + tail
}

/// Exact (erf) GELU, as BERT uses.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}
