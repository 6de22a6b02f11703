//! Duplicates and copied passages.
//!
//! Text is normalised (case, quotes «» “” "", punctuation, spacing) into words; every run of
//! [`SHINGLE`] words is hashed. A sample of those hashes (a fixed residue class, so both sides of a
//! copy sample the same shingles) is the article's [`Fingerprint`], indexed to find candidates. A
//! candidate pair is then aligned exactly on all shingles into [`Passage`]s mapped back to byte
//! ranges of both clean texts.

use std::collections::HashMap;

use nuntius_model::Passage;
use serde::{Deserialize, Serialize};

/// Words per shingle.
pub const SHINGLE: usize = 5;
/// A passage must cover at least this many words to count as copied.
pub const MIN_PASSAGE_WORDS: usize = 12;
/// Winnowing window, in shingles: the shingles of a passage of [`MIN_PASSAGE_WORDS`] words.
pub const WINNOW: usize = MIN_PASSAGE_WORDS - SHINGLE + 1;

/// A word of normalised text with its byte range in the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub hash: u64,
    pub start: u32,
    pub end: u32,
}

/// Splits text into normalised words: lowercase, letters and digits only, so that quoting style
/// and punctuation do not hide a copy.
pub fn normalised_words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut h = FNV_OFFSET;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
                h = FNV_OFFSET;
            }
            for l in c.to_lowercase() {
                h = fnv_char(h, l);
            }
        } else if let Some(s) = start.take() {
            out.push(Word {
                hash: h,
                start: s as u32,
                end: i as u32,
            });
        }
    }
    if let Some(s) = start {
        out.push(Word {
            hash: h,
            start: s as u32,
            end: text.len() as u32,
        });
    }
    out
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv_char(mut h: u64, c: char) -> u64 {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: spreads word hashes so residues sample evenly.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hash of every shingle, in order (shingle i starts at word i).
pub fn shingles(words: &[Word]) -> Vec<u64> {
    if words.len() < SHINGLE {
        return Vec::new();
    }
    words
        .windows(SHINGLE)
        .map(|w| {
            w.iter()
                .fold(0u64, |acc, x| mix(acc.rotate_left(17) ^ x.hash))
        })
        .collect()
}

/// Hash of the whole normalised text: equal for texts that differ only in case, quotes, spacing
/// and punctuation.
pub fn content_hash(words: &[Word]) -> u64 {
    words.iter().fold(FNV_OFFSET, |acc, w| mix(acc ^ w.hash))
}

/// The winnowed shingle hashes of an article (the smallest of every [`WINNOW`] consecutive
/// shingles), sorted and deduplicated. Two texts that share a passage of at least
/// [`MIN_PASSAGE_WORDS`] words share at least one of them (Schleimer, Wilkerson, Aiken 2003);
/// sampling by hash value, as before, missed a third of such passages. About 2 / (WINNOW + 1)
/// of the shingles are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint(pub Vec<u64>);

impl Fingerprint {
    pub fn of(shingles: &[u64]) -> Fingerprint {
        let mut v: Vec<u64> = if shingles.len() <= WINNOW {
            shingles.iter().copied().min().into_iter().collect()
        } else {
            shingles
                .windows(WINNOW)
                .filter_map(|w| w.iter().copied().min())
                .collect()
        };
        v.sort_unstable();
        v.dedup();
        Fingerprint(v)
    }
}

/// Passages two texts share, with how much of each they cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Reuse {
    /// Byte ranges in the first text and the second.
    pub passages: Vec<Passage>,
    /// Characters of the first text inside shared passages.
    pub chars: usize,
    /// Share of each text's words inside shared passages.
    pub coverage_a: f64,
    pub coverage_b: f64,
}

/// Aligns two texts on shared shingles. `None` when no passage reaches [`MIN_PASSAGE_WORDS`].
pub fn find_reuse(a_text: &str, a_words: &[Word], b_text: &str, b_words: &[Word]) -> Option<Reuse> {
    let a_sh = shingles(a_words);
    let b_sh = shingles(b_words);
    if a_sh.is_empty() || b_sh.is_empty() {
        return None;
    }
    let mut b_pos: HashMap<u64, usize> = HashMap::with_capacity(b_sh.len());
    for (i, h) in b_sh.iter().enumerate().rev() {
        b_pos.insert(*h, i);
    }
    // Runs of consecutive matching shingles that also advance together in b.
    let mut runs: Vec<(usize, usize, usize, usize)> = Vec::new(); // a_first, a_last, b_first, b_last
    let mut current: Option<(usize, usize, usize, usize)> = None;
    for (i, h) in a_sh.iter().enumerate() {
        let hit = b_pos.get(h).copied();
        match (current, hit) {
            (Some((af, al, bf, bl)), Some(j))
                if i == al + 1 && (j == bl + 1 || b_sh.get(bl + 1) == Some(h)) =>
            {
                let j = if b_sh.get(bl + 1) == Some(h) {
                    bl + 1
                } else {
                    j
                };
                current = Some((af, i, bf, j));
            }
            (_, Some(j)) => {
                if let Some(c) = current.take() {
                    runs.push(c);
                }
                current = Some((i, i, j, j));
            }
            (Some(c), None) => {
                runs.push(c);
                current = None;
            }
            (None, None) => {}
        }
    }
    if let Some(c) = current {
        runs.push(c);
    }
    let mut passages = Vec::new();
    let mut covered_a = 0usize;
    let mut covered_b = 0usize;
    let mut chars = 0usize;
    for (af, al, bf, bl) in runs {
        let words = al - af + SHINGLE;
        if words < MIN_PASSAGE_WORDS {
            continue;
        }
        let (a_end_word, b_end_word) = (al + SHINGLE - 1, bl + SHINGLE - 1);
        let p = Passage {
            start: a_words[af].start,
            end: a_words[a_end_word].end,
            other_start: b_words[bf].start,
            other_end: b_words[b_end_word.min(b_words.len() - 1)].end,
        };
        chars += a_text
            .get(p.start as usize..p.end as usize)
            .map_or(0, |s| s.chars().count());
        covered_a += words;
        covered_b += bl - bf + SHINGLE;
        passages.push(p);
    }
    if passages.is_empty() {
        return None;
    }
    let _ = b_text;
    Some(Reuse {
        passages,
        chars,
        coverage_a: covered_a as f64 / a_words.len().max(1) as f64,
        coverage_b: covered_b as f64 / b_words.len().max(1) as f64,
    })
}

/// What is known about one side of a pair when deciding who copied whom.
#[derive(Debug, Clone, Copy)]
pub struct Side {
    /// Whether the article credits another source ("Fonte: …").
    pub cites_source: bool,
    /// Publication day, when explicit.
    pub day: Option<i64>,
    /// Share of this article's words inside the shared passages.
    pub coverage: f64,
    /// Arrival order.
    pub seq: u64,
}

/// Which side is the copy, and on what basis: one that cites a source copies; else the later
/// date copies; on a tie the one contained in the other (higher coverage) copies; last, the later
/// arrival copies. The basis goes into the copy's evidence, so a reader can see why a copy dated
/// before its original (a wrong date, a late crawl) was still credited the way it was.
pub fn copy_direction(a: Side, b: Side) -> (Direction, Basis) {
    let a_copies = |yes: bool| {
        if yes {
            Direction::ACopiesB
        } else {
            Direction::BCopiesA
        }
    };
    if a.cites_source != b.cites_source {
        return (a_copies(a.cites_source), Basis::CitesSource);
    }
    if let (Some(da), Some(db)) = (a.day, b.day) {
        if da != db {
            return (a_copies(da > db), Basis::LaterDate);
        }
    }
    if (a.coverage - b.coverage).abs() > 0.05 {
        return (a_copies(a.coverage > b.coverage), Basis::Contained);
    }
    (a_copies(a.seq > b.seq), Basis::LaterArrival)
}

/// The rule that decided a copy's direction (the first of [`copy_direction`]'s rules that
/// tells the two sides apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The copy credits another source ("Fonte: …") and the original does not.
    CitesSource,
    /// The copy's explicit publication day is later than the original's.
    LaterDate,
    /// Same day or undated: more of the copy's words are inside the shared passages.
    Contained,
    /// Nothing else told them apart: the copy arrived later.
    LaterArrival,
}

impl Basis {
    pub const ALL: [Basis; 4] = [
        Basis::CitesSource,
        Basis::LaterDate,
        Basis::Contained,
        Basis::LaterArrival,
    ];

    /// The stable name used in the store, the export and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::CitesSource => "cites_source",
            Basis::LaterDate => "later_date",
            Basis::Contained => "contained",
            Basis::LaterArrival => "later_arrival",
        }
    }

    pub fn parse(s: &str) -> Option<Basis> {
        Basis::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ACopiesB,
    BCopiesA,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "Kiev ed i Paesi occidentali hanno recentemente espresso preoccupazione per il presunto aumento delle \"azioni aggressive\" della Russia vicino ai confini ucraini. Il portavoce del Cremlino Dmitry Peskov ha affermato che la Russia muove le sue truppe.";
    const COPY: &str = "Altro testo iniziale del tutto diverso qui. Kiev ed i Paesi occidentali hanno recentemente espresso preoccupazione per il presunto aumento delle «azioni aggressive» della Russia vicino ai confini ucraini. Il Portavoce del Cremlino Dmitry Peskov ha affermato che la Russia muove le sue truppe.";

    #[test]
    fn every_shared_passage_of_the_minimum_length_shares_a_fingerprint() {
        let passage = "uno due tre quattro cinque sei sette otto nove dieci undici dodici";
        for lead in 0..20 {
            let a = format!(
                "{} {passage} fine del primo testo",
                (0..lead)
                    .map(|i| format!("alfa{i}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let b = format!(
                "altro inizio {passage} {}",
                (0..lead)
                    .map(|i| format!("beta{i}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let fa = Fingerprint::of(&shingles(&normalised_words(&a)));
            let fb = Fingerprint::of(&shingles(&normalised_words(&b)));
            assert!(
                fa.0.iter().any(|h| fb.0.binary_search(h).is_ok()),
                "lead {lead}"
            );
        }
    }

    #[test]
    fn quotes_and_case_do_not_hide_a_copy() {
        let (a, b) = (normalised_words(COPY), normalised_words(ORIGINAL));
        let reuse = find_reuse(COPY, &a, ORIGINAL, &b).expect("shared passage");
        assert_eq!(reuse.passages.len(), 1);
        let p = &reuse.passages[0];
        assert!(COPY[p.start as usize..p.end as usize].starts_with("Kiev ed i Paesi"));
        assert!(ORIGINAL[p.other_start as usize..p.other_end as usize].ends_with("truppe"));
        assert!(reuse.coverage_b > 0.95 && reuse.coverage_a < 0.9);
    }

    #[test]
    fn unrelated_texts_share_nothing() {
        let x = "Una frase completamente diversa che parla di calcio e di una partita giocata ieri sera allo stadio.";
        assert!(find_reuse(
            x,
            &normalised_words(x),
            ORIGINAL,
            &normalised_words(ORIGINAL)
        )
        .is_none());
    }

    #[test]
    fn content_hash_ignores_punctuation() {
        assert_eq!(
            content_hash(&normalised_words("A «b», c!")),
            content_hash(&normalised_words("a \"B\" c"))
        );
    }

    #[test]
    fn direction_rules() {
        let side = |cites, day, coverage, seq| Side {
            cites_source: cites,
            day,
            coverage,
            seq,
        };
        assert_eq!(
            copy_direction(side(true, Some(5), 0.1, 2), side(false, Some(9), 0.1, 1)),
            (Direction::ACopiesB, Basis::CitesSource)
        );
        assert_eq!(
            copy_direction(side(false, Some(5), 0.1, 2), side(false, Some(9), 0.1, 1)),
            (Direction::BCopiesA, Basis::LaterDate)
        );
        assert_eq!(
            copy_direction(side(false, None, 0.9, 1), side(false, None, 0.3, 2)),
            (Direction::ACopiesB, Basis::Contained)
        );
        assert_eq!(
            copy_direction(side(false, Some(5), 0.5, 3), side(false, Some(5), 0.52, 1)),
            (Direction::ACopiesB, Basis::LaterArrival)
        );
        for basis in Basis::ALL {
            assert_eq!(Basis::parse(basis.as_str()), Some(basis));
        }
    }

    proptest::proptest! {
        #[test]
        fn reuse_never_panics(a in ".{0,300}", b in ".{0,300}") {
            let (wa, wb) = (normalised_words(&a), normalised_words(&b));
            if let Some(r) = find_reuse(&a, &wa, &b, &wb) {
                for p in r.passages {
                    proptest::prop_assert!(a.get(p.start as usize..p.end as usize).is_some());
                    proptest::prop_assert!(b.get(p.other_start as usize..p.other_end as usize).is_some());
                }
            }
        }
    }
}
