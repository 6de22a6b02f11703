//! Where an article comes from: the publishing domain, and the origin it cites ("Fonte: …").

/// Attribution words, lowercase, that introduce a cited source in the ~30 languages we see most.
pub(crate) const ATTRIBUTION_WORDS: &[&str] = &[
    "fonte",
    "source",
    "sursa",
    "sursă",
    "quelle",
    "fuente",
    "bron",
    "źródło",
    "zrodlo",
    "zdroj",
    "forrás",
    "lähde",
    "kilde",
    "källa",
    "πηγή",
    "источник",
    "джерело",
    "kaynak",
    "izvor",
    "vir",
    "allikas",
    "avots",
    "šaltinis",
    "източник",
    "da",
    "via",
];

/// The host of a URL without `www.`, lowercased: `https://www.Example.com/x` → `example.com`.
pub fn domain_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host
        .rsplit('@')
        .next()?
        .split(':')
        .next()?
        .trim()
        .to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host.contains('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-'))
    .then_some(host)
}

/// The source an article credits, from an attribution such as `(Fonte: it.sputniknews.com)` or
/// `Source: Reuters`. Searched from the end, where credits stand.
pub fn cited_source(text: &str) -> Option<String> {
    for line in text.lines().rev().take(12) {
        let lower = line.to_lowercase();
        for word in ATTRIBUTION_WORDS {
            let mut search = 0;
            while let Some(pos) = lower[search..].find(word) {
                let at = search + pos;
                search = at + word.len();
                let before_ok = at == 0
                    || !lower[..at]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                let after = lower[at + word.len()..].trim_start();
                if !before_ok || !after.starts_with(':') {
                    continue;
                }
                let value_start = line.len() - after.len() + 1;
                let value = line.get(value_start..).unwrap_or("").trim();
                let value = value
                    .trim_matches(|c: char| c == '(' || c == ')' || c == '.' || c.is_whitespace())
                    .split([')', ';', ','])
                    .next()
                    .unwrap_or("")
                    .trim();
                if value.is_empty() || value.split_whitespace().count() > 5 {
                    continue;
                }
                // "Da:" and "via:" are too common as plain words; only trust them with a domain.
                if (*word == "da" || *word == "via") && !value.contains('.') {
                    continue;
                }
                return Some(domain_of(value).unwrap_or_else(|| value.to_string()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            domain_of("https://www.Example.com/a?b").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            domain_of("https://it.sputniknews.com/20220121/x.html").as_deref(),
            Some("it.sputniknews.com")
        );
        assert_eq!(
            domain_of("it.sputniknews.com").as_deref(),
            Some("it.sputniknews.com")
        );
        assert_eq!(domain_of("not a url"), None);
    }

    #[test]
    fn citations() {
        assert_eq!(
            cited_source("Testo.\n(Fonte: it.sputniknews.com)").as_deref(),
            Some("it.sputniknews.com")
        );
        assert_eq!(
            cited_source("Body.\nSource: Reuters").as_deref(),
            Some("Reuters")
        );
        assert_eq!(cited_source("Ha detto da: niente di che, oggi."), None);
        assert_eq!(cited_source("Nothing here."), None);
    }
}
