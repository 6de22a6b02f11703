//! Headlines without the site's name: title affixes (" | La Voz del Interior", " - Esporte -
//! Folha", "Esteri | ") learned per source from how often they repeat across that source's
//! titles, with a fallback from the source's name and domain for a source with few titles.

use std::collections::BTreeMap;

/// Separators between a headline and a site's name or section.
const SEPARATORS: [&str; 7] = [" | ", " - ", " – ", " — ", " :: ", " · ", " • "];
/// Longest affix (in chars) taken for a site's name or section.
const MAX_AFFIX_CHARS: usize = 60;
/// Titles of one source that must end (or start) with an affix for it to be learned.
const MIN_REPEATS: usize = 2;
/// Affix segments stripped at most from either end.
const MAX_STRIPS: usize = 3;

/// Affixes learned per source key (a source name, a domain, or "" for unknown sources).
#[derive(Debug, Clone, Default)]
pub struct SiteAffixes {
    suffixes: BTreeMap<(String, String), usize>,
    prefixes: BTreeMap<(String, String), usize>,
}

fn last_split(title: &str) -> Option<(&str, &str)> {
    SEPARATORS
        .iter()
        .filter_map(|s| title.rfind(s).map(|i| (i, s.len())))
        .max_by_key(|(i, _)| *i)
        .map(|(i, n)| (&title[..i], &title[i + n..]))
}

fn first_split(title: &str) -> Option<(&str, &str)> {
    SEPARATORS
        .iter()
        .filter_map(|s| title.find(s).map(|i| (i, s.len())))
        .min_by_key(|(i, _)| *i)
        .map(|(i, n)| (&title[..i], &title[i + n..]))
}

fn affix_like(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.chars().count() <= MAX_AFFIX_CHARS && s.split_whitespace().count() <= 8
}

/// Lowercase letters and digits only, for comparing a segment with a name or domain.
fn squeeze(s: &str) -> String {
    crate::terms::fold_ascii(s)
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

impl SiteAffixes {
    /// Learns from `(source key, title)` pairs.
    pub fn learn<'a>(titles: impl IntoIterator<Item = (&'a str, &'a str)>) -> SiteAffixes {
        let mut out = SiteAffixes::default();
        for (source, title) in titles {
            let mut rest = title.trim();
            // Count every trailing segment, so " - Esporte - Folha" teaches "Folha" and then
            // "Esporte".
            for _ in 0..MAX_STRIPS {
                let Some((head, tail)) = last_split(rest) else {
                    break;
                };
                if !affix_like(tail) {
                    break;
                }
                *out.suffixes
                    .entry((source.to_string(), tail.trim().to_string()))
                    .or_default() += 1;
                rest = head;
            }
            if let Some((head, _)) = first_split(title.trim()) {
                if affix_like(head) {
                    *out.prefixes
                        .entry((source.to_string(), head.trim().to_string()))
                        .or_default() += 1;
                }
            }
        }
        out
    }

    fn repeated(map: &BTreeMap<(String, String), usize>, source: &str, affix: &str) -> bool {
        map.get(&(source.to_string(), affix.trim().to_string()))
            .is_some_and(|n| *n >= MIN_REPEATS)
    }

    /// `title` without the affixes learned for `source`, or, failing those, without a trailing
    /// segment that names the site (`names`: the source's name, its domain). Never strips a
    /// title down to nothing.
    pub fn strip<'t>(&self, source: &str, names: &[&str], title: &'t str) -> &'t str {
        let mut t = title.trim();
        let site: Vec<String> = names
            .iter()
            .flat_map(|n| n.split('.'))
            .map(squeeze)
            .filter(|n| n.len() >= 4 && !matches!(n.as_str(), "www" | "com" | "news"))
            .collect();
        let names_site = |seg: &str| {
            let s = squeeze(seg);
            !s.is_empty()
                && site
                    .iter()
                    .any(|n| s.contains(n.as_str()) || n.contains(&s))
        };
        for _ in 0..MAX_STRIPS {
            let Some((head, tail)) = last_split(t) else {
                break;
            };
            let learned = affix_like(tail) && Self::repeated(&self.suffixes, source, tail);
            if head.trim().chars().count() < 12 || !(learned || names_site(tail)) {
                break;
            }
            t = head.trim();
        }
        if let Some((head, tail)) = first_split(t) {
            let learned = affix_like(head) && Self::repeated(&self.prefixes, source, head);
            if tail.trim().chars().count() >= 12 && (learned || names_site(head)) {
                t = tail.trim();
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_affixes_are_learned_per_source_and_stripped() {
        let titles = [
            (
                "lavoz",
                "Argentina suma una medalla en remo | La Voz del Interior",
            ),
            (
                "lavoz",
                "Los Pumas ganan a Nueva Zelanda | La Voz del Interior",
            ),
            ("folha", "Brasil vence no vôlei - Esporte - Folha"),
            ("folha", "Rayssa Leal leva a prata - Esporte - Folha"),
            ("other", "Simone Biles - a statement on her withdrawal"),
        ];
        let a = SiteAffixes::learn(titles);
        assert_eq!(
            a.strip("lavoz", &[], titles[0].1),
            "Argentina suma una medalla en remo"
        );
        assert_eq!(
            a.strip("folha", &[], titles[3].1),
            "Rayssa Leal leva a prata"
        );
        // Seen once, and not the site's name: kept.
        assert_eq!(a.strip("other", &[], titles[4].1), titles[4].1);
        // Another source does not inherit what one source repeats.
        assert_eq!(
            a.strip("other", &[], "Nadal withdraws | La Voz del Interior"),
            "Nadal withdraws | La Voz del Interior"
        );
    }

    #[test]
    fn a_source_with_one_title_falls_back_to_its_name_and_domain() {
        let a = SiteAffixes::default();
        assert_eq!(
            a.strip(
                "chinapost.com.tw",
                &["chinapost.com.tw"],
                "The Latest: 2 more athletes test positive | The China Post, Taiwan"
            ),
            "The Latest: 2 more athletes test positive"
        );
        assert_eq!(
            a.strip("x", &["x.org"], "Short | Site"),
            "Short | Site",
            "too little would be left"
        );
    }
}
