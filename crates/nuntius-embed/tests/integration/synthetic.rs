//! A tiny model written in the `E5S1` format: loads and embeds end to end, and every kind
//! of damage to it gives a typed error rather than a panic.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use nuntius_embed::{
    cosine, Distillation, EmbedError, Encoder, StaticConfig, StaticEncoder, TextKind,
};

const H: usize = 32;
const FF: usize = 64;
const MAXP: usize = 16;
const PIECES: [&str; 8] = [
    "<s>",
    "<pad>",
    "</s>",
    "<unk>",
    "\u{2581}",
    "a",
    "b",
    "\u{2581}ab",
];

/// Builder of a small but complete model file, with knobs to break it.
struct TinyModel {
    magic: [u8; 4],
    ffn: usize,
    skip_tensor: Option<&'static str>,
    /// Declares this tensor with one value more than its shape needs.
    misshapen: Option<&'static str>,
}

impl TinyModel {
    fn valid() -> TinyModel {
        TinyModel {
            magic: *b"E5S1",
            ffn: FF,
            skip_tensor: None,
            misshapen: None,
        }
    }

    fn tensors(&self) -> Vec<(String, u8, usize)> {
        let mut t = vec![
            ("emb.word".to_string(), 1, PIECES.len() * H),
            ("emb.pos".to_string(), 0, MAXP * H),
            ("emb.type".to_string(), 0, 2 * H),
            ("emb.ln.w".to_string(), 0, H),
            ("emb.ln.b".to_string(), 0, H),
        ];
        for (name, dtype, n) in [
            ("q.w", 1, H * H),
            ("q.b", 0, H),
            ("k.w", 1, H * H),
            ("k.b", 0, H),
            ("v.w", 1, H * H),
            ("v.b", 0, H),
            ("ao.w", 1, H * H),
            ("ao.b", 0, H),
            ("aln.w", 0, H),
            ("aln.b", 0, H),
            ("fi.w", 1, FF * H),
            ("fi.b", 0, FF),
            ("fo.w", 1, H * FF),
            ("fo.b", 0, H),
            ("oln.w", 0, H),
            ("oln.b", 0, H),
        ] {
            t.push((format!("l0.{name}"), dtype, n));
        }
        t.retain(|(name, _, _)| Some(name.as_str()) != self.skip_tensor);
        for (name, dtype, n) in t.iter_mut() {
            if Some(name.as_str()) == self.misshapen {
                *n += if *dtype == 1 { 32 } else { 1 };
            }
        }
        t
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.magic);
        for v in [
            1u32,
            H as u32,
            1,
            2,
            self.ffn as u32,
            PIECES.len() as u32,
            MAXP as u32,
            2,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&1e-12f32.to_le_bytes());
        out.extend_from_slice(&32u32.to_le_bytes());
        // Vocabulary: count, <s> </s> <pad> <unk> ids, blob length, offsets, scores, blob.
        for v in [PIECES.len() as u32, 0, 2, 1, 3] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let blob: Vec<u8> = PIECES.iter().flat_map(|p| p.bytes()).collect();
        out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        let mut offset = 0u32;
        out.extend_from_slice(&offset.to_le_bytes());
        for p in PIECES {
            offset += p.len() as u32;
            out.extend_from_slice(&offset.to_le_bytes());
        }
        for score in [0.0f32, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -1.0] {
            out.extend_from_slice(&score.to_le_bytes());
        }
        out.extend_from_slice(&blob);
        // Normalisation map: tab becomes space.
        let entry: Vec<u8> = [9u32.to_le_bytes().as_slice(), &[1u8], &32u32.to_le_bytes()].concat();
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(entry.len() as u32).to_le_bytes());
        out.extend_from_slice(&entry);
        // Directory, then tensor data.
        let tensors = self.tensors();
        let dir_len: usize = 4 + tensors
            .iter()
            .map(|(n, _, _)| 2 + n.len() + 1 + 4 + 8 + 8)
            .sum::<usize>();
        let mut data_at = out.len() + dir_len;
        let mut data = Vec::new();
        out.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
        let mut seed = 12345u32;
        for (name, dtype, n) in &tensors {
            let chunk = tensor_bytes(name, *dtype, *n, &mut seed);
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(*dtype);
            out.extend_from_slice(&(*n as u32).to_le_bytes());
            out.extend_from_slice(&(data_at as u64).to_le_bytes());
            out.extend_from_slice(&(chunk.len() as u64).to_le_bytes());
            data_at += chunk.len();
            data.extend(chunk);
        }
        out.extend(data);
        out
    }
}

fn tensor_bytes(name: &str, dtype: u8, n: usize, seed: &mut u32) -> Vec<u8> {
    let mut next = || {
        *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        *seed >> 8
    };
    if dtype == 1 {
        let mut out = Vec::new();
        for _ in 0..n / 32 {
            out.extend_from_slice(&0x2A66u16.to_le_bytes()); // fp16 ≈ 0.05
            out.extend((0..16).map(|_| (next() & 0xff) as u8));
        }
        out
    } else {
        let is_norm_weight = name.ends_with("ln.w");
        (0..n)
            .flat_map(|_| {
                let v = if is_norm_weight {
                    1.0
                } else {
                    (next() % 1000) as f32 / 10_000.0 - 0.05
                };
                v.to_le_bytes()
            })
            .collect()
    }
}

fn write_temp(bytes: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("nuntius-embed-test-{}-{n}.bin", std::process::id()));
    std::fs::write(&path, bytes).expect("write temp model");
    path
}

fn load(bytes: &[u8]) -> Result<Encoder, EmbedError> {
    let path = write_temp(bytes);
    let result = Encoder::load(&path);
    let _ = std::fs::remove_file(&path);
    result
}

#[test]
fn tiny_model_loads_tokenizes_and_embeds() {
    let enc = load(&TinyModel::valid().bytes()).expect("valid tiny model");
    assert_eq!(enc.dim(), H);
    // "ab\tb" → "▁ab▁b": the tab maps to a space; "▁ab" beats "▁"+"a"+"b".
    assert_eq!(enc.tokenize("ab\tb"), vec![7, 4, 6]);
    assert_eq!(enc.tokenize("ab  c"), vec![7, 4, 3]);
    let v = enc
        .embed(&["ab", "b a", "ab"], TextKind::Query)
        .expect("embed");
    assert_eq!(v.len(), 3);
    assert!(v.iter().all(|x| x.len() == H));
    assert!((cosine(&v[0], &v[2]) - 1.0).abs() < 1e-5);
    let norm: f32 = v[1].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    assert!(enc.embed(&[], TextKind::Passage).expect("embed").is_empty());
}

#[test]
fn missing_file_names_the_path() {
    let err = Encoder::load(std::path::Path::new("/nonexistent/e5-small-q4.bin"))
        .err()
        .expect("missing file");
    assert!(matches!(err, EmbedError::Io { .. }));
    assert!(
        err.to_string().contains("/nonexistent/e5-small-q4.bin"),
        "{err}"
    );
}

#[test]
fn wrong_magic_is_rejected() {
    let model = TinyModel {
        magic: *b"GGUF",
        ..TinyModel::valid()
    };
    let err = load(&model.bytes()).err().expect("bad magic");
    assert!(
        matches!(err, EmbedError::BadMagic { found, .. } if &found == b"GGUF"),
        "{err}"
    );
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = TinyModel::valid().bytes();
    for len in 0..bytes.len() {
        match load(&bytes[..len]) {
            Err(
                EmbedError::Truncated { .. }
                | EmbedError::BadMagic { .. }
                | EmbedError::Malformed { .. },
            ) => {}
            Err(other) => panic!("truncated to {len}: unexpected error {other}"),
            Ok(_) => panic!("truncated to {len} bytes but loaded"),
        }
    }
}

#[test]
fn bad_tensor_dims_are_rejected() {
    let model = TinyModel {
        misshapen: Some("l0.fi.w"),
        ..TinyModel::valid()
    };
    let err = load(&model.bytes()).err().expect("misshapen tensor");
    assert!(
        matches!(&err, EmbedError::TensorShape { name, .. } if name == "l0.fi.w"),
        "{err}"
    );

    let model = TinyModel {
        misshapen: Some("emb.pos"),
        ..TinyModel::valid()
    };
    assert!(matches!(
        load(&model.bytes()),
        Err(EmbedError::TensorShape { .. })
    ));

    let model = TinyModel {
        ffn: 63,
        ..TinyModel::valid()
    };
    assert!(matches!(
        load(&model.bytes()),
        Err(EmbedError::Malformed { .. })
    ));
}

#[test]
fn missing_tensor_is_named() {
    let model = TinyModel {
        skip_tensor: Some("l0.oln.b"),
        ..TinyModel::valid()
    };
    let err = load(&model.bytes()).err().expect("missing tensor");
    assert!(
        matches!(&err, EmbedError::MissingTensor { name, .. } if name == "l0.oln.b"),
        "{err}"
    );
}

#[test]
fn flipped_bytes_never_panic() {
    let bytes = TinyModel::valid().bytes();
    let mut seed = 7u32;
    for _ in 0..400 {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let at = (seed >> 8) as usize % bytes.len();
        let mut damaged = bytes.clone();
        damaged[at] ^= 1 << (seed % 8);
        if let Ok(enc) = load(&damaged) {
            let v = enc.embed(&["ab b", "a"], TextKind::Passage).expect("embed");
            assert_eq!(v.len(), 2);
        }
    }
}

#[test]
fn static_table_round_trips_through_its_file() {
    let model_path = write_temp(&TinyModel::valid().bytes());
    let enc = Encoder::load(&model_path).expect("valid tiny model");
    let corpus = ["ab b", "a ab", "b b a"];
    for distillation in [Distillation::Contextual, Distillation::Isolated] {
        for dims in [None, Some(8)] {
            let config = StaticConfig {
                distillation,
                dims,
                ..StaticConfig::default()
            };
            let table = StaticEncoder::build(&enc, &corpus, config);
            assert_eq!(table.dim(), dims.unwrap_or(H));
            assert!(!table.is_empty());
            let table_path = write_temp(b"");
            table.save(&table_path).expect("save");
            let loaded = StaticEncoder::load(&table_path, &model_path).expect("load");
            let texts = ["ab a", "b", "zzz"];
            let a = table.embed(&texts, TextKind::Passage).expect("embed");
            let b = loaded.embed(&texts, TextKind::Passage).expect("embed");
            assert_eq!(a, b, "{config:?}");
            let norm: f32 = a[0].iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{config:?}: norm {norm}");
            let _ = std::fs::remove_file(&table_path);
        }
    }
    let _ = std::fs::remove_file(&model_path);
}

#[test]
fn static_table_rejects_damage_and_foreign_models() {
    let model_path = write_temp(&TinyModel::valid().bytes());
    let enc = Encoder::load(&model_path).expect("valid tiny model");
    let table = StaticEncoder::build(&enc, &["ab b"], StaticConfig::default());
    let table_path = write_temp(b"");
    table.save(&table_path).expect("save");
    let bytes = std::fs::read(&table_path).expect("read table");
    for len in [0, 3, 20, bytes.len() - 1] {
        std::fs::write(&table_path, &bytes[..len]).expect("write");
        assert!(
            matches!(
                StaticEncoder::load(&table_path, &model_path),
                Err(EmbedError::StaticMismatch { .. })
            ),
            "truncated to {len}"
        );
    }
    // A table distilled from another vocabulary (here: other piece scores) is refused.
    let mut other = TinyModel::valid().bytes();
    let at = other
        .windows(4)
        .position(|w| w == (-2.0f32).to_le_bytes())
        .expect("score");
    other[at..at + 4].copy_from_slice(&(-2.5f32).to_le_bytes());
    let other_path = write_temp(&other);
    std::fs::write(&table_path, &bytes).expect("write");
    let err = StaticEncoder::load(&table_path, &other_path)
        .err()
        .expect("foreign model");
    assert!(err.to_string().contains("another vocabulary"), "{err}");
    for p in [&table_path, &model_path, &other_path] {
        let _ = std::fs::remove_file(p);
    }
}
