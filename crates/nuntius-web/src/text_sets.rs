//! Evaluation on page sets labelled with the whole expected article text (as opposed to
//! the segment-labelled trafilatura set in `commands::eval_segments`): the test pages of
//! mozilla/readability (`NAME/source.html` + `NAME/expected.html`) and sets laid out as
//! `html/NAME[.html]` + `text|reference/NAME[.txt]` (newspaper's fixtures, the DAnIEL
//! news corpus). Scored by 4-token shingle F1, the public article-extraction benchmark's
//! score: per page, tokens are runs of word characters, 4-token shingles of the expected
//! and the extracted text are matched as multisets, precision and recall per page are
//! averaged over pages (precision over pages with output, recall over pages with an
//! expected text) and F1 is taken from the two means.

use crate::commands::{io_err, thread_cpu_seconds};
use crate::error::WebError;
use crate::page::{extract_page, MAX_PAGE_BYTES};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// At most this many pages are read from one set (memory stays bounded).
pub const MAX_SET_PAGES: usize = 20_000;

/// How a page set lays out its pages and their expected texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetLayout {
    /// `DIR/NAME/source.html` with `DIR/NAME/expected.html` (mozilla/readability).
    Readability,
    /// `DIR/html/NAME[.html|.htm]` with `DIR/text/NAME[.txt]` or `DIR/reference/NAME[...]`.
    Pairs,
}

/// Which half of a set to score. Pages are split by a hash of their site group (the
/// name without trailing numbers, or the site of a `DATE_SITE_HASH` name), so pages of
/// one site fall in the same half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    All,
    Dev,
    Test,
}

/// One page of a set: where it is and what it should give.
#[derive(Debug, Clone)]
pub struct LabelledPage {
    pub name: String,
    pub html_path: PathBuf,
    pub expected: String,
}

/// Shingle precision/recall/F1 of one page.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PageScore {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

impl PageScore {
    /// F1 of this page alone (0 when nothing matched).
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision.unwrap_or(0.0), self.recall.unwrap_or(0.0));
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
}

/// Scores of one set.
#[derive(Debug, Clone, Default)]
pub struct TextSetScore {
    pub pages: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Pages whose own F1 is under 0.5.
    pub pages_under_half: usize,
    /// Pages where the extractor returned no text at all.
    pub empty: usize,
    pub pages_per_second: f64,
    pub pages_per_cpu_second: Option<f64>,
    /// Per page (by name): the expected text, the extracted text and the page's score.
    pub per_page: BTreeMap<String, (LabelledPage, String, PageScore)>,
}

/// Tokens as the benchmark's `\w+`: maximal runs of alphanumeric characters and `_`.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// 4-token shingles as a multiset; a text of fewer than four tokens is one short shingle.
fn shingles<'a>(toks: &'a [&'a str]) -> HashMap<&'a [&'a str], u32> {
    let mut out = HashMap::new();
    if toks.is_empty() {
        return out;
    }
    if toks.len() < 4 {
        out.insert(toks, 1);
        return out;
    }
    for w in toks.windows(4) {
        *out.entry(w).or_insert(0) += 1;
    }
    out
}

/// Shingle precision and recall of `predicted` against `expected`; `None` where the
/// benchmark leaves the page out of that mean (no predicted / no expected shingles).
pub fn shingle_score(expected: &str, predicted: &str) -> PageScore {
    let (te, tp_) = (tokens(expected), tokens(predicted));
    let (e, p) = (shingles(&te), shingles(&tp_));
    let mut tp = 0u64;
    for (k, &c) in &p {
        tp += u64::from(c.min(e.get(k).copied().unwrap_or(0)));
    }
    let total_p: u64 = p.values().map(|&c| u64::from(c)).sum();
    let total_e: u64 = e.values().map(|&c| u64::from(c)).sum();
    let (fp, fn_) = (total_p - tp, total_e - tp);
    let ratio = |a: u64, b: u64| {
        if fp == 0 && fn_ == 0 {
            1.0
        } else if a == 0 {
            0.0
        } else {
            a as f64 / (a + b) as f64
        }
    };
    PageScore {
        precision: (tp + fp > 0).then(|| ratio(tp, fp)),
        recall: (tp + fn_ > 0).then(|| ratio(tp, fn_)),
    }
}

pub use crate::main_text::html_text;

/// The group a page name belongs to for the dev/test split.
fn split_group(name: &str) -> &str {
    // DAnIEL: 20111101_www.express.gr_<sha> → www.express.gr
    let parts: Vec<&str> = name.splitn(2, '_').collect();
    if parts.len() == 2 && parts[0].len() == 8 && parts[0].bytes().all(|b| b.is_ascii_digit()) {
        if let Some((site, hash)) = parts[1].rsplit_once('_') {
            if hash.len() >= 20 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return site;
            }
        }
    }
    name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '_')
}

/// Whether `name` is in the dev half (a fixed hash of its group; the other half is test).
pub fn in_dev_half(name: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in split_group(name).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64 finaliser: FNV's low bit alone is a parity of the bytes.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h & 1 == 0
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, WebError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_PAGE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    if bytes.len() > MAX_PAGE_BYTES {
        return Err(WebError::EvalData(format!(
            "{}: over {MAX_PAGE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// An expected text: plain text as it is, HTML (it starts with a tag) as its text content.
fn expected_text(path: &Path) -> Result<String, WebError> {
    let bytes = read_bounded(path)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(if text.trim_start().starts_with('<') {
        html_text(&text)
    } else {
        text.into_owned()
    })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, WebError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    if entries.len() > MAX_SET_PAGES {
        return Err(WebError::EvalData(format!(
            "{}: more than {MAX_SET_PAGES} entries",
            dir.display()
        )));
    }
    Ok(entries)
}

fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for ext in [".html", ".htm", ".txt"] {
        if let Some(s) = name.strip_suffix(ext) {
            return s.to_string();
        }
    }
    name
}

/// The labelled pages of a set in `dir`, sorted by name, restricted to `split`.
/// A page without its expected text is skipped with a message on stderr.
pub fn load_set(
    dir: &Path,
    layout: SetLayout,
    split: Split,
) -> Result<Vec<LabelledPage>, WebError> {
    // (name, page, expected text file)
    let mut found: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    match layout {
        SetLayout::Readability => {
            for sub in sorted_entries(dir)? {
                if !sub.is_dir() {
                    continue;
                }
                let (src, exp) = (sub.join("source.html"), sub.join("expected.html"));
                if !src.is_file() || !exp.is_file() {
                    eprintln!("{}: no source.html/expected.html, skipped", sub.display());
                    continue;
                }
                found.push((stem(&sub), src, exp));
            }
        }
        SetLayout::Pairs => {
            let html_dir = dir.join("html");
            let text_dir = ["text", "reference"]
                .iter()
                .map(|d| dir.join(d))
                .find(|d| d.is_dir())
                .ok_or_else(|| {
                    WebError::EvalData(format!("{}: no text/ or reference/ folder", dir.display()))
                })?;
            let mut texts: BTreeMap<String, PathBuf> = BTreeMap::new();
            for t in sorted_entries(&text_dir)? {
                texts.insert(stem(&t), t);
            }
            for h in sorted_entries(&html_dir)? {
                let name = stem(&h);
                match texts.get(&name) {
                    Some(t) => found.push((name, h, t.clone())),
                    None => eprintln!("{}: no expected text, skipped", h.display()),
                }
            }
        }
    }
    found.retain(|(name, _, _)| match split {
        Split::All => true,
        Split::Dev => in_dev_half(name),
        Split::Test => !in_dev_half(name),
    });
    found
        .into_iter()
        .map(|(name, html_path, exp)| {
            Ok(LabelledPage {
                name,
                html_path,
                expected: expected_text(&exp)?,
            })
        })
        .collect()
}

/// Extracts every page of the set (one thread, timed) and scores it by shingle F1.
pub fn eval_text_set(
    dir: &Path,
    layout: SetLayout,
    split: Split,
) -> Result<TextSetScore, WebError> {
    let pages = load_set(dir, layout, split)?;
    let mut htmls = Vec::with_capacity(pages.len());
    for p in &pages {
        htmls.push(read_bounded(&p.html_path)?);
    }
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let texts: Vec<String> = htmls
        .iter()
        .map(|h| {
            extract_page(h, None, None)
                .map(|p| p.text)
                .unwrap_or_default()
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let mut score = TextSetScore {
        pages: pages.len(),
        pages_per_second: if seconds > 0.0 {
            pages.len() as f64 / seconds
        } else {
            0.0
        },
        pages_per_cpu_second: cpu.map(|c| pages.len() as f64 / c),
        ..TextSetScore::default()
    };
    let (mut ps, mut rs) = (Vec::new(), Vec::new());
    for (page, text) in pages.into_iter().zip(texts) {
        let s = shingle_score(&page.expected, &text);
        ps.extend(s.precision);
        rs.extend(s.recall);
        if s.f1() < 0.5 {
            score.pages_under_half += 1;
        }
        if text.trim().is_empty() {
            score.empty += 1;
        }
        score.per_page.insert(page.name.clone(), (page, text, s));
    }
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    score.precision = mean(&ps);
    score.recall = mean(&rs);
    score.f1 = if score.precision + score.recall > 0.0 {
        2.0 * score.precision * score.recall / (score.precision + score.recall)
    } else {
        0.0
    };
    Ok(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_one_and_disjoint_zero() {
        let s = shingle_score("one two three four five", "one two three four five");
        assert_eq!((s.precision, s.recall), (Some(1.0), Some(1.0)));
        let s = shingle_score("one two three four five", "six seven eight nine");
        assert_eq!((s.precision, s.recall), (Some(0.0), Some(0.0)));
        let s = shingle_score("one two three four five", "");
        assert_eq!((s.precision, s.recall), (None, Some(0.0)));
    }

    #[test]
    fn half_the_shingles_is_half_the_recall() {
        // expected has shingles abcd bcde cdef defg; predicted has abcd bcde.
        let s = shingle_score("a b c d e f g", "a b c d e");
        assert_eq!(s.precision, Some(1.0));
        assert_eq!(s.recall, Some(0.5));
    }

    #[test]
    fn block_tags_separate_words_in_expected_html() {
        assert_eq!(
            tokens(&html_text("<div><p>end</p><p>start</p></div>")),
            vec!["end", "start"]
        );
    }

    #[test]
    fn one_site_falls_in_one_half() {
        assert_eq!(in_dev_half("yahoo-1"), in_dev_half("yahoo-4"));
        assert_eq!(
            in_dev_half("20111101_www.express.gr_6648058818bdb924afb68d540f362451eec0e42a"),
            in_dev_half("20120221_www.express.gr_9ebcd42d9bc47b4e2064bb65c640acb173d99a55")
        );
    }
}
