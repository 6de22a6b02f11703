//! The transformer path: load the model file once, embed batches of texts.

use std::path::Path;

use rayon::prelude::*;

use crate::bert::{Bert, PackedBatch};
use crate::error::EmbedError;
use crate::format::ModelFile;
use crate::tokenizer::Tokenizer;
use crate::{l2_normalize, TextKind};

/// Longest input fed to the model, `<s>` and `</s>` included. News titles and leads fit;
/// the head of a longer text carries its event, and attention cost grows with the square.
pub const DEFAULT_MAX_TOKENS: usize = 128;

/// Tokens per packed forward pass: large enough that each weight matrix is streamed once
/// for many texts, small enough that a batch splits across the cores.
const TOKENS_PER_PASS: usize = 1024;

/// multilingual-e5-small with its tokenizer, ready to embed.
pub struct Encoder {
    tokenizer: Tokenizer,
    bert: Bert,
    max_tokens: usize,
}

impl Encoder {
    /// Reads and checks the `E5S1` file at `path` and dequantises its weights.
    pub fn load(path: &Path) -> Result<Encoder, EmbedError> {
        let file = ModelFile::read(path)?;
        let tokenizer = Tokenizer::new(&file.vocabulary, &file.normalization);
        let bert = Bert::load(&file)?;
        let max_tokens = DEFAULT_MAX_TOKENS.min(file.config.max_positions);
        Ok(Encoder {
            tokenizer,
            bert,
            max_tokens,
        })
    }

    /// Caps inputs at `max_tokens` (specials included; at least 3, at most the model's 512).
    pub fn with_max_tokens(mut self, max_tokens: usize) -> Encoder {
        self.max_tokens = max_tokens.clamp(3, self.bert.config.max_positions);
        self
    }

    /// Embedding dimension (384).
    pub fn dim(&self) -> usize {
        self.bert.config.hidden
    }

    /// Piece ids of `text` as the model's tokenizer cuts it: no prefix, no `<s>`/`</s>`,
    /// no truncation.
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text)
    }

    /// The ids fed to the model for `text`: `<s>`, the prefixed text's pieces (truncated to
    /// the token cap), `</s>`.
    pub fn input_ids(&self, text: &str, kind: TextKind) -> Vec<u32> {
        let mut content = self.tokenizer.encode(&format!("{}{text}", kind.prefix()));
        content.truncate(self.max_tokens - 2);
        let mut ids = Vec::with_capacity(content.len() + 2);
        ids.push(self.tokenizer.bos);
        ids.extend(content);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// L2-normalised mean-pooled embeddings, one per text, in order. Texts are packed into
    /// passes of about a thousand tokens that run in parallel.
    pub fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inputs: Vec<Vec<u32>> = texts.par_iter().map(|t| self.input_ids(t, kind)).collect();
        let total: usize = inputs.iter().map(Vec::len).sum();
        let threads = rayon::current_num_threads().max(1);
        let budget = total.div_ceil(threads).clamp(1, TOKENS_PER_PASS);
        let batches = pack(&inputs, budget);
        let pooled: Vec<Vec<Vec<f32>>> = batches
            .par_iter()
            .map(|b| self.bert.mean_pooled(b))
            .collect();
        Ok(pooled
            .into_iter()
            .flatten()
            .map(|mut v| {
                l2_normalize(&mut v);
                v
            })
            .collect())
    }
}

/// Groups consecutive inputs into packed batches of at most `budget` tokens (a longer
/// input gets a batch of its own).
fn pack(inputs: &[Vec<u32>], budget: usize) -> Vec<PackedBatch> {
    let mut batches = Vec::new();
    let mut current = PackedBatch {
        ids: Vec::new(),
        positions: Vec::new(),
        segments: Vec::new(),
    };
    for ids in inputs {
        if !current.segments.is_empty() && current.ids.len() + ids.len() > budget {
            batches.push(std::mem::replace(
                &mut current,
                PackedBatch {
                    ids: Vec::new(),
                    positions: Vec::new(),
                    segments: Vec::new(),
                },
            ));
        }
        let start = current.ids.len();
        current.ids.extend_from_slice(ids);
        current.positions.extend(0..ids.len());
        current.segments.push(start..current.ids.len());
    }
    if !current.segments.is_empty() {
        batches.push(current);
    }
    batches
}
