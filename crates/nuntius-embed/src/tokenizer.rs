//! SentencePiece unigram tokenizer driven by the vocabulary and normalisation map of the
//! model file: NFKC, the file's per-code-point map, `▁` word boundaries, Viterbi over
//! piece scores. Segmentation follows the reference reader (`e5.c`) step for step, so
//! the ids match the package's own tokenizer.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use unicode_normalization::UnicodeNormalization;

use crate::format::{NormalizationMap, Vocabulary};

/// SentencePiece's word-boundary marker U+2581, which stands for a space.
const METASPACE: char = '\u{2581}';

/// FNV-1a: pieces are short byte strings hashed millions of times per corpus, where
/// SipHash's flood resistance buys nothing (the keys come from the model file).
#[derive(Default)]
struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let h = if self.0 == 0 { FNV_BASIS } else { self.0 };
        self.0 = fnv_extend(h, bytes);
    }
}

type PieceIds = HashMap<Vec<u8>, u32, BuildHasherDefault<Fnv1a>>;

/// FNV-1a's 64-bit offset basis and prime.
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// `h` extended by `bytes` (FNV-1a, so a string's hash grows byte by byte with it).
fn fnv_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// A hasher for keys that are hashes already: it passes them through.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u32(&mut self, v: u32) {
        // Spread the bits over the whole word: the table's buckets come from its top bits.
        self.0 = u64::from(v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// 32-bit FNV-1a hashes of every prefix of every piece (the pieces themselves included).
/// A string whose hash is missing starts no piece, so the segmentation stops extending it;
/// a collision only costs one more exact lookup in the piece table.
type PrefixHashes = HashSet<u32, BuildHasherDefault<Identity>>;

/// The 32 bits of an FNV-1a state kept in [`PrefixHashes`].
fn prefix_key(h: u64) -> u32 {
    (h >> 32) as u32 ^ h as u32
}

#[derive(Clone)]
pub(crate) struct Tokenizer {
    ids: PieceIds,
    prefixes: PrefixHashes,
    scores: Vec<f32>,
    normalization: HashMap<u32, Vec<u32>>,
    unk: u32,
    pub bos: u32,
    pub eos: u32,
    unk_score: f32,
    max_piece_bytes: usize,
}

impl Tokenizer {
    pub fn new(vocabulary: &Vocabulary, normalization: &NormalizationMap) -> Tokenizer {
        let mut ids =
            PieceIds::with_capacity_and_hasher(vocabulary.pieces.len(), Default::default());
        for (id, piece) in vocabulary.pieces.iter().enumerate() {
            // The reference keeps the first of duplicate pieces; so do we.
            if !piece.is_empty() {
                ids.entry(piece.clone()).or_insert(id as u32);
            }
        }
        let mut prefixes = PrefixHashes::default();
        for piece in &vocabulary.pieces {
            let mut h = FNV_BASIS;
            for &b in piece {
                h = fnv_extend(h, &[b]);
                prefixes.insert(prefix_key(h));
            }
        }
        let min_score = vocabulary
            .scores
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min);
        let max_piece_bytes = vocabulary
            .pieces
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(1)
            .max(1);
        Tokenizer {
            ids,
            prefixes,
            scores: vocabulary.scores.clone(),
            normalization: normalization
                .map
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            unk: vocabulary.unk,
            bos: vocabulary.bos,
            eos: vocabulary.eos,
            // Unknown characters cost ten nats more than the rarest piece, as in SentencePiece.
            unk_score: min_score - 10.0,
            max_piece_bytes,
        }
    }

    /// Number of pieces in the vocabulary.
    pub fn piece_count(&self) -> usize {
        self.scores.len()
    }

    /// Unigram log-probability of a piece.
    pub fn score(&self, id: u32) -> f32 {
        self.scores
            .get(id as usize)
            .copied()
            .unwrap_or(self.unk_score)
    }

    /// FNV-1a over the piece scores: tells whether a table was distilled from this vocabulary.
    pub fn fingerprint(&self) -> u64 {
        self.scores
            .iter()
            .fold(FNV_BASIS, |h, s| fnv_extend(h, &s.to_le_bytes()))
    }

    /// Piece ids of `text` without `<s>`/`</s>`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let normalized = self.normalize(text);
        self.segment(&normalized)
    }

    /// NFKC, the file's code-point map, runs of spaces collapsed, a leading `▁`, and
    /// spaces turned into `▁`.
    fn normalize(&self, text: &str) -> String {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for ch in text.nfkc() {
            match self.normalization.get(&u32::from(ch)) {
                None => chars.push(ch),
                Some(replacement) => {
                    chars.extend(replacement.iter().filter_map(|&cp| char::from_u32(cp)))
                }
            }
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
        let mut out = String::with_capacity(chars.len() * 3 + 3);
        if chars.first() != Some(&' ') {
            out.push(METASPACE);
        }
        out.extend(chars.iter().map(|&c| if c == ' ' { METASPACE } else { c }));
        out
    }

    /// Best-scoring segmentation into vocabulary pieces (ties keep the earlier path), with a
    /// one-character `<unk>` fallback.
    fn segment(&self, normalized: &str) -> Vec<u32> {
        let starts: Vec<usize> = normalized
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(normalized.len()))
            .collect();
        let n = starts.len() - 1;
        let bytes = normalized.as_bytes();
        const UNREACHED: f32 = -1e30;
        let mut best = vec![UNREACHED; n + 1];
        // (piece id or None for <unk>, start char index) of the best path ending here.
        let mut back: Vec<(Option<u32>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= -1e29 {
                continue;
            }
            let begin = starts[i];
            let mut h = FNV_BASIS;
            for e in i + 1..=n {
                let len = starts[e] - begin;
                if len > self.max_piece_bytes {
                    break;
                }
                h = fnv_extend(h, &bytes[starts[e - 1]..starts[e]]);
                if !self.prefixes.contains(&prefix_key(h)) {
                    // No piece starts with these bytes, so none is longer either.
                    break;
                }
                if let Some(&id) = self.ids.get(&bytes[begin..starts[e]]) {
                    if id != self.unk {
                        let score = best[i] + self.scores[id as usize];
                        if score > best[e] {
                            best[e] = score;
                            back[e] = (Some(id), i);
                        }
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            let (id, from) = back[i];
            ids.push(id.unwrap_or(self.unk));
            i = from;
        }
        ids.reverse();
        ids
    }
}
