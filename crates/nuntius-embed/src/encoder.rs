//! The transformer path: load the model file once, embed batches of texts.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use crate::bert::{Bert, PackedBatch};
use crate::error::EmbedError;
use crate::format::ModelFile;
use crate::kernel::Kernel;
use crate::tokenizer::Tokenizer;
use crate::{l2_normalize, TextKind};

/// Longest input fed to the model, `<s>` and `</s>` included. News titles and leads fit;
/// the head of a longer text carries its event, and attention cost grows with the square.
pub const DEFAULT_MAX_TOKENS: usize = 128;

/// Tokens per packed forward pass: large enough that each weight matrix is streamed once
/// for several texts, small enough that a batch splits across the cores and that a pass's
/// activations stay in a core's L2 cache (the FFN's are `tokens × 1536 × 4` bytes: 1.5 MB
/// at 256 tokens, 6 MB at 1,024, with which 128-token texts took about a tenth more CPU).
const TOKENS_PER_PASS: usize = 256;

/// multilingual-e5-small with its tokenizer, ready to embed.
pub struct Encoder {
    tokenizer: Tokenizer,
    bert: Bert,
    max_tokens: usize,
}

impl Encoder {
    /// Reads and checks the `E5S1` file at `path` and prepares its weights for the kernel
    /// `NUNTIUS_KERNEL` names, else the fastest this CPU runs.
    pub fn load(path: &Path) -> Result<Encoder, EmbedError> {
        Encoder::load_with_kernel(path, Kernel::from_env()?)
    }

    /// As [`Encoder::load`] with the kernel given; an error if this CPU cannot run it.
    pub fn load_with_kernel(path: &Path, kernel: Kernel) -> Result<Encoder, EmbedError> {
        let kernel = kernel.require()?;
        let file = ModelFile::read(path)?;
        let tokenizer = Tokenizer::new(&file.vocabulary, &file.normalization);
        let bert = Bert::load(&file, kernel)?;
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

    /// The kernel the dense layers run on.
    pub fn kernel(&self) -> Kernel {
        self.bert.kernel
    }

    /// The token cap (specials included).
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
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
    /// passes of a few hundred tokens that run in parallel.
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

impl Encoder {
    /// Unnormalised mean-pooled vectors of ready-made id sequences, in order.
    pub(crate) fn pooled(&self, inputs: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let batches = pack(inputs, TOKENS_PER_PASS);
        let pooled: Vec<Vec<Vec<f32>>> = batches
            .par_iter()
            .map(|b| self.bert.mean_pooled(b))
            .collect();
        pooled.into_iter().flatten().collect()
    }

    /// Sums and counts of final hidden states per piece id over a corpus, counting only the
    /// positions `keep(position, text_len)` accepts.
    pub(crate) fn piece_state_sums(
        &self,
        inputs: &[Vec<u32>],
        keep: &(dyn Fn(usize, usize) -> bool + Sync),
    ) -> BTreeMap<u32, (Vec<f64>, u32)> {
        let batches = pack(inputs, TOKENS_PER_PASS);
        batches
            .par_iter()
            .map(|batch| {
                let states = self.bert.hidden_states(batch);
                let mut sums: BTreeMap<u32, (Vec<f64>, u32)> = BTreeMap::new();
                for seg in &batch.segments {
                    for t in seg.clone() {
                        if !keep(t - seg.start, seg.len()) {
                            continue;
                        }
                        let entry = sums
                            .entry(batch.ids[t])
                            .or_insert_with(|| (vec![0.0; states.ncols()], 0));
                        for (s, v) in entry.0.iter_mut().zip(states.row(t)) {
                            *s += f64::from(*v);
                        }
                        entry.1 += 1;
                    }
                }
                sums
            })
            .reduce(BTreeMap::new, |mut a, b| {
                for (id, (sum, n)) in b {
                    let entry = a.entry(id).or_insert_with(|| (vec![0.0; sum.len()], 0));
                    for (x, y) in entry.0.iter_mut().zip(&sum) {
                        *x += y;
                    }
                    entry.1 += n;
                }
                a
            })
    }

    pub(crate) fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
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
