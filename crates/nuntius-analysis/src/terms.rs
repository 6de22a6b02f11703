//! Terms for lexical similarity: words lowercased, stopwords and short words dropped, stemmed in the
//! article's language, then folded to ASCII so names and numbers meet across scripts and accents.

use frostem::Stemmer;

/// Stems words of one language; languages without a stemmer pass words through.
pub struct TermMaker {
    stemmer: Option<Stemmer>,
}

impl TermMaker {
    pub fn new(lang: Option<&str>) -> TermMaker {
        let stemmer = lang.and_then(|l| Stemmer::try_from_name(l).ok());
        TermMaker { stemmer }
    }

    /// The terms of a text, in order, duplicates kept (callers count them).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for word in words(text) {
            let lower = word.to_lowercase();
            if is_stopword(&lower) {
                continue;
            }
            let is_number = lower.chars().all(|c| c.is_ascii_digit());
            if is_number {
                if lower.len() >= 2 {
                    out.push(lower);
                }
                continue;
            }
            if lower.chars().count() < 4 && !word.chars().all(|c| c.is_uppercase()) {
                continue;
            }
            let stemmed = match &self.stemmer {
                Some(s) => s.stem(&lower).into_owned(),
                None => lower,
            };
            out.push(fold_ascii(&stemmed));
        }
        out
    }
}

/// Word tokens: runs of letters and digits (apostrophes split, as in "dell'Ucraina").
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Lowercase ASCII transliteration (`Лавров` → `lavrov`, `Ginevră` → `ginevra`).
pub fn fold_ascii(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    any_ascii::any_ascii(s).to_ascii_lowercase()
}

fn is_stopword(w: &str) -> bool {
    STOPWORDS.binary_search(&w).is_ok()
}

/// Frequent function words of four letters or more (shorter words are dropped anyway), sorted.
const STOPWORDS: &[&str] = &[
    "aber", "about", "aceasta", "această", "acest", "acum", "after", "agli", "alla", "alle",
    "allo", "also", "altre", "anche", "antes", "aquí", "auch", "aussi", "avea", "avec", "been",
    "before", "bine", "care", "ceea", "cela", "come", "como", "compre", "contra", "cosa", "così",
    "dacă", "dagli", "dall", "dalla", "dalle", "dans", "degli", "dell", "della", "delle", "dello",
    "desde", "despre", "dopo", "durante", "eine", "einem", "einen", "einer", "eines", "elle",
    "esta", "este", "estos", "extra", "fost", "from", "hanno", "have", "into", "just", "lors",
    "mais", "many", "mentre", "more", "most", "nach", "nella", "nelle", "nello", "nicht", "noch",
    "nostra", "nostro", "only", "other", "over", "para", "pentru", "perché", "pero", "però", "poi",
    "pour", "prin", "quale", "quali", "quando", "quella", "quelle", "quello", "questa", "queste",
    "questi", "questo", "said", "sein", "sich", "sind", "some", "sono", "sont", "stato", "such",
    "sugli", "sull", "sulla", "sulle", "than", "that", "their", "them", "then", "there", "these",
    "they", "this", "those", "tous", "tout", "tutti", "tutto", "under", "unei", "unor", "very",
    "were", "what", "when", "where", "which", "while", "will", "with", "would", "your", "într",
    "între",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOPWORDS);
    }

    #[test]
    fn stems_and_folds() {
        let it = TermMaker::new(Some("it"));
        let t = it.terms("L'incontro di Ginevra sulle garanzie di sicurezza, 2022");
        assert!(t.contains(&"incontr".to_string()), "{t:?}");
        assert!(t.contains(&"2022".to_string()));
        assert!(!t.iter().any(|w| w == "sulle" || w == "di"));
        let ru = TermMaker::new(Some("ru"));
        assert!(ru.terms("Лавров").iter().any(|w| w.starts_with("lavr")));
    }
}
