//! Per-article analysis: from a [`RawArticle`] to clean text, title, language, source, publication
//! date, lexical terms and name mentions. Pure: the only state it reads is passed in.

pub mod clean;
pub mod dating;
pub mod entities;
pub mod headline;
pub mod lang;
pub mod names;
pub mod source;
pub mod terms;

use nuntius_model::{DatedBy, Mention, RawArticle};

/// Everything the analysis finds in one article.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub title: String,
    pub text: String,
    pub lang: Option<String>,
    pub source: Option<String>,
    pub cited_source: Option<String>,
    pub dated: Option<DatedBy>,
    pub mentions: Vec<Mention>,
    /// Stemmed, folded terms of the title, names left out (they are in `mentions`).
    pub title_terms: Vec<String>,
    /// Whether the title was written by the source (false: made from the first words of the text).
    pub title_given: bool,
    /// Stemmed, folded terms of the clean text.
    pub body_terms: Vec<String>,
    /// Hashes of the body's lines, for cross-document boilerplate statistics.
    pub line_hashes: Vec<u64>,
    /// The record's own date, when it gave one that is not a date nuntius reads (the article
    /// is then dated by its other evidence, or undated).
    pub unread_date: Option<String>,
}

/// Analyses one article. `is_source_boilerplate(hash)` says whether a line is known to repeat
/// across documents of this article's source.
pub fn analyze(raw: &RawArticle, is_source_boilerplate: &dyn Fn(u64) -> bool) -> Analysis {
    let body = raw.text.as_deref().unwrap_or("");
    let lines = clean::classify_lines(body, is_source_boilerplate);
    let text = clean::clean_text(&lines);
    let mut title = raw
        .title
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    let title_given = !title.is_empty();
    if title.is_empty() {
        // Untitled records are titled by their first sentence, cut at a word boundary.
        title = first_words(&text, 14);
    }
    let lang = match raw.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(given) => Some(given.to_lowercase()),
        None => lang::detect_language(&title, &text).map(str::to_string),
    };
    let source = raw
        .url
        .as_deref()
        .and_then(source::domain_of)
        .or_else(|| raw.source.clone().filter(|s| !s.trim().is_empty()));
    let cited_source = raw
        .cited_source
        .clone()
        .or_else(|| source::cited_source(body));
    let dated = dating::choose_date(raw, &lines);
    let unread_date = raw
        .date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty() && nuntius_dates::parse_date(d).is_none())
        .map(|d| d.chars().take(40).collect());
    let maker = terms::TermMaker::new(lang.as_deref());
    let body_terms = maker.terms(&text);
    let mentions = names::find_mentions(&title, &text, lang.as_deref());
    // Names in the title are matched as entities, across spellings; the remaining words as terms.
    let mut plain_title = title.clone();
    for m in mentions.iter().filter(|m| m.in_title) {
        plain_title = plain_title.replace(&m.surface, " ");
    }
    let title_terms = maker.terms(&plain_title);
    let line_hashes = lines
        .iter()
        .filter(|l| l.text.len() < 400)
        .map(|l| clean::line_hash(l.text))
        .collect();
    Analysis {
        title,
        text,
        lang,
        source,
        cited_source,
        dated,
        mentions,
        title_terms,
        title_given,
        body_terms,
        line_hashes,
        unread_date,
    }
}

fn first_words(text: &str, n: usize) -> String {
    let first_line = text.lines().next().unwrap_or("");
    let words: Vec<&str> = first_line.split_whitespace().take(n + 1).collect();
    if words.len() > n {
        format!("{}…", words[..n].join(" "))
    } else {
        words.join(" ")
    }
}
