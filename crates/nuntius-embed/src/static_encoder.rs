//! The fast path: a static table of one vector per vocabulary piece, distilled from the
//! transformer model2vec-style (each piece embedded alone), centred and optionally reduced
//! by PCA. A text's vector is the SIF-weighted mean of its pieces' vectors.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::encoder::Encoder;
use crate::error::EmbedError;
use crate::format::ModelFile;
use crate::tokenizer::Tokenizer;
use crate::{l2_normalize, TextKind};

const MAGIC: &[u8; 4] = b"E5ST";
const VERSION: u32 = 1;
const ABSENT: u32 = u32::MAX;

/// Where a piece's vector comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distillation {
    /// The mean of the piece's final hidden states over its occurrences in the corpus
    /// (texts run with the query prefix). Covers only pieces the corpus has.
    Contextual,
    /// The model's output for `<s> piece </s>` alone (model2vec). Covers the corpus's
    /// pieces, or the whole vocabulary for an empty corpus.
    Isolated,
}

/// How to distil the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticConfig {
    pub distillation: Distillation,
    /// Keep this many principal components; `None` keeps the model's dimension.
    pub dims: Option<usize>,
    /// SIF smoothing `a`: a piece of unigram probability `p` weighs `a / (a + p)`, so
    /// frequent pieces ("▁", ",", "▁the") count little.
    pub sif_a: f32,
}

impl Default for StaticConfig {
    fn default() -> StaticConfig {
        StaticConfig {
            distillation: Distillation::Contextual,
            dims: Some(256),
            sif_a: 1e-4,
        }
    }
}

/// Per-piece vectors with their SIF weights, plus the tokenizer that cuts texts into pieces.
pub struct StaticEncoder {
    tokenizer: Tokenizer,
    dim: usize,
    /// Piece id → row, `ABSENT` when the table lacks the piece.
    row_of: Vec<u32>,
    pieces: Vec<u32>,
    weights: Vec<f32>,
    /// Row-major `pieces.len() × dim`.
    vectors: Vec<f32>,
}

/// Where the distilled table is cached: next to the model.
pub fn default_static_path() -> PathBuf {
    crate::cache_dir().join("e5-small-static.bin")
}

impl StaticEncoder {
    /// Embeds every piece that occurs in `corpus` (or, for an empty corpus, every piece of
    /// the vocabulary: minutes, not seconds) alone as `<s> piece </s>` through the model.
    pub fn build(encoder: &Encoder, corpus: &[&str], config: StaticConfig) -> StaticEncoder {
        let tokenizer = encoder.tokenizer().clone();
        let (pieces, mut rows) = match config.distillation {
            Distillation::Contextual => contextual_rows(encoder, corpus),
            Distillation::Isolated => isolated_rows(encoder, corpus),
        };
        let model_dim = encoder.dim();
        let weights: Vec<f32> = pieces
            .iter()
            .map(|&p| config.sif_a / (config.sif_a + tokenizer.score(p).exp()))
            .collect();

        // Every transformer output shares a large common direction; averaging would keep
        // only that. Centre the table so a text's mean reflects its own pieces.
        let mut mean = vec![0.0f64; model_dim];
        for row in &rows {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += f64::from(*v);
            }
        }
        let n = rows.len().max(1) as f64;
        for row in rows.iter_mut() {
            for (v, m) in row.iter_mut().zip(&mean) {
                *v -= (m / n) as f32;
            }
        }
        let dim = config.dims.unwrap_or(model_dim).clamp(1, model_dim);
        let vectors: Vec<f32> = if dim < model_dim {
            let components = principal_components(&rows, dim);
            rows.iter()
                .flat_map(|row| {
                    components
                        .iter()
                        .map(|c| c.iter().zip(row).map(|(a, b)| a * b).sum::<f32>())
                        .collect::<Vec<f32>>()
                })
                .collect()
        } else {
            rows.into_iter().flatten().collect()
        };
        StaticEncoder::assemble(tokenizer, dim, pieces, weights, vectors)
    }

    fn assemble(
        tokenizer: Tokenizer,
        dim: usize,
        pieces: Vec<u32>,
        weights: Vec<f32>,
        vectors: Vec<f32>,
    ) -> StaticEncoder {
        let mut row_of = vec![ABSENT; tokenizer.piece_count()];
        for (row, &p) in pieces.iter().enumerate() {
            if let Some(slot) = row_of.get_mut(p as usize) {
                *slot = row as u32;
            }
        }
        StaticEncoder {
            tokenizer,
            dim,
            row_of,
            pieces,
            weights,
            vectors,
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of pieces the table covers.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// L2-normalised SIF-weighted mean of the pieces' vectors. `kind` is accepted for
    /// symmetry with [`Encoder::embed`]: the table is built without prefixes, so both kinds
    /// embed alike. A text with no piece in the table gets the zero vector.
    pub fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let _ = kind;
        Ok(texts.par_iter().map(|t| self.embed_one(t)).collect())
    }

    fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut out = vec![0.0f32; self.dim];
        let mut any = false;
        for id in self.tokenizer.encode(text) {
            let Some(&row) = self.row_of.get(id as usize) else {
                continue;
            };
            if row == ABSENT {
                continue;
            }
            let row = row as usize;
            let w = self.weights[row];
            for (o, v) in out
                .iter_mut()
                .zip(&self.vectors[row * self.dim..(row + 1) * self.dim])
            {
                *o += w * v;
            }
            any = true;
        }
        if any {
            l2_normalize(&mut out);
        }
        out
    }

    /// Writes the table (not the tokenizer, which comes from the model file on load).
    pub fn save(&self, path: &Path) -> Result<(), EmbedError> {
        let mut out = Vec::with_capacity(32 + self.vectors.len() * 4 + self.pieces.len() * 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.tokenizer.fingerprint().to_le_bytes());
        out.extend_from_slice(&(self.tokenizer.piece_count() as u32).to_le_bytes());
        out.extend_from_slice(&(self.dim as u32).to_le_bytes());
        out.extend_from_slice(&(self.pieces.len() as u32).to_le_bytes());
        for ((p, w), v) in self
            .pieces
            .iter()
            .zip(&self.weights)
            .zip(self.vectors.chunks_exact(self.dim))
        {
            out.extend_from_slice(&p.to_le_bytes());
            out.extend_from_slice(&w.to_le_bytes());
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        let io = |source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Write beside and rename, so a reader never sees half a table.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, &out).map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)
    }

    /// Reads a table written by [`StaticEncoder::save`]; the tokenizer comes from the model
    /// file at `model_path`, which must be the one the table was distilled from.
    pub fn load(path: &Path, model_path: &Path) -> Result<StaticEncoder, EmbedError> {
        let file = ModelFile::read(model_path)?;
        let tokenizer = Tokenizer::new(&file.vocabulary, &file.normalization);
        let bytes = std::fs::read(path).map_err(|source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mismatch = |reason: String| EmbedError::StaticMismatch {
            path: path.to_path_buf(),
            reason,
        };
        let header = 4 + 4 + 8 + 4 + 4 + 4;
        if bytes.len() < header || &bytes[..4] != MAGIC {
            return Err(mismatch("not a static table (E5ST) file".to_string()));
        }
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let version = u32_at(4);
        let mut fp = [0u8; 8];
        fp.copy_from_slice(&bytes[8..16]);
        let fingerprint = u64::from_le_bytes(fp);
        let (piece_count, dim, rows) = (
            u32_at(16) as usize,
            u32_at(20) as usize,
            u32_at(24) as usize,
        );
        if version != VERSION {
            return Err(mismatch(format!(
                "format version {version}, expected {VERSION}"
            )));
        }
        if fingerprint != tokenizer.fingerprint() || piece_count != tokenizer.piece_count() {
            return Err(mismatch(format!(
                "distilled from another vocabulary than {}",
                model_path.display()
            )));
        }
        if dim == 0 || dim > file.config.hidden {
            return Err(mismatch(format!("dimension {dim}")));
        }
        let row_bytes = 8 + dim * 4;
        if bytes.len() != header + rows.saturating_mul(row_bytes) {
            return Err(mismatch(format!(
                "{} bytes do not hold {rows} rows of {dim} values",
                bytes.len()
            )));
        }
        let mut pieces = Vec::with_capacity(rows);
        let mut weights = Vec::with_capacity(rows);
        let mut vectors = Vec::with_capacity(rows * dim);
        for r in bytes[header..].chunks_exact(row_bytes) {
            let f = |at: usize| f32::from_le_bytes([r[at], r[at + 1], r[at + 2], r[at + 3]]);
            let piece = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
            if piece as usize >= piece_count {
                return Err(mismatch(format!("piece id {piece} beyond the vocabulary")));
            }
            pieces.push(piece);
            weights.push(f(4));
            vectors.extend((0..dim).map(|i| f(8 + 4 * i)));
        }
        Ok(StaticEncoder::assemble(
            tokenizer, dim, pieces, weights, vectors,
        ))
    }
}

/// Mean hidden state of each piece over its occurrences in `corpus`.
fn contextual_rows(encoder: &Encoder, corpus: &[&str]) -> (Vec<u32>, Vec<Vec<f32>>) {
    let inputs: Vec<Vec<u32>> = corpus
        .par_iter()
        .map(|t| encoder.input_ids(t, TextKind::Query))
        .collect();
    // Skip <s>, </s> and the prefix's own pieces: they are in every text.
    let prefix = encoder
        .tokenizer()
        .encode(TextKind::Query.prefix().trim_end())
        .len();
    let keep = move |pos: usize, len: usize| pos > prefix && pos + 1 < len;
    let sums = encoder.piece_state_sums(&inputs, &keep);
    let pieces = sums.keys().copied().collect();
    let rows = sums
        .into_values()
        .map(|(sum, n)| {
            sum.iter()
                .map(|s| (s / f64::from(n.max(1))) as f32)
                .collect()
        })
        .collect();
    (pieces, rows)
}

/// The model's output for each piece alone.
fn isolated_rows(encoder: &Encoder, corpus: &[&str]) -> (Vec<u32>, Vec<Vec<f32>>) {
    let tokenizer = encoder.tokenizer();
    let specials = [tokenizer.bos, tokenizer.eos];
    let mut pieces: Vec<u32> = if corpus.is_empty() {
        (0..tokenizer.piece_count() as u32).collect()
    } else {
        corpus
            .par_iter()
            .flat_map_iter(|t| tokenizer.encode(t))
            .collect()
    };
    pieces.sort_unstable();
    pieces.dedup();
    pieces.retain(|id| !specials.contains(id));
    let inputs: Vec<Vec<u32>> = pieces
        .iter()
        .map(|&p| vec![tokenizer.bos, p, tokenizer.eos])
        .collect();
    let rows = encoder.pooled(&inputs);
    (pieces, rows)
}

/// The top `k` eigenvectors of the rows' covariance (rows already centred), by cyclic
/// Jacobi rotations on the `d × d` covariance matrix.
fn principal_components(rows: &[Vec<f32>], k: usize) -> Vec<Vec<f32>> {
    let d = rows.first().map_or(0, Vec::len);
    let mut cov = vec![0.0f64; d * d];
    for row in rows {
        for i in 0..d {
            let ri = f64::from(row[i]);
            for j in i..d {
                cov[i * d + j] += ri * f64::from(row[j]);
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i * d + j] = cov[j * d + i];
        }
    }
    let (values, vectors) = jacobi_eigen(cov, d);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    order
        .into_iter()
        .take(k)
        .map(|c| (0..d).map(|i| vectors[i * d + c] as f32).collect())
        .collect()
}

/// Eigenvalues and eigenvectors (as columns) of a symmetric matrix.
fn jacobi_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..30 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        let diag: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum();
        if off <= 1e-22 * diag.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::jacobi_eigen;

    #[test]
    fn jacobi_finds_the_eigenpairs_of_a_small_symmetric_matrix() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,-1)/√2 and (1,1)/√2.
        let (values, vectors) = jacobi_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1.0).abs() < 1e-9 && (sorted[1] - 3.0).abs() < 1e-9);
        let big = if values[0] > values[1] { 0 } else { 1 };
        let (x, y) = (vectors[big], vectors[2 + big]);
        assert!((x.abs() - y.abs()).abs() < 1e-9 && x * y > 0.0);
    }
}
