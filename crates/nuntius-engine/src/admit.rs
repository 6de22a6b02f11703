//! Admission: what every record goes through before analysis, whichever way it arrived (files,
//! a server post, an eval run): identities and titles of bounded length, text truncated to a
//! bounded size, declared languages mapped to ISO 639-1 codes, and at most so many names.
//! What is changed is said in a warning; what cannot be stored is a per-record error.

use nuntius_model::{language_code, Mention, RawArticle};
use serde::{Deserialize, Serialize};

/// Default of [`IngestLimits::max_text_chars`].
pub const DEFAULT_MAX_TEXT_CHARS: usize = 200_000;
/// Default of [`IngestLimits::max_title_chars`].
pub const DEFAULT_MAX_TITLE_CHARS: usize = 1_000;
/// Default of [`IngestLimits::max_id_bytes`].
pub const DEFAULT_MAX_ID_BYTES: usize = 2_048;
/// Default of [`IngestLimits::max_entities`].
pub const DEFAULT_MAX_ENTITIES: usize = 200;

/// Bounds on one article, applied as it is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestLimits {
    /// Characters of body text kept; a longer text is cut (at a line or word end) with a warning.
    pub max_text_chars: usize,
    /// Characters of a title kept; a longer title is cut with a warning.
    pub max_title_chars: usize,
    /// Bytes of an identity (`id`, else `url`); a record with a longer one is rejected.
    pub max_id_bytes: usize,
    /// Distinct names kept per article, the most mentioned first; the rest are dropped with a
    /// warning.
    pub max_entities: usize,
}

impl Default for IngestLimits {
    fn default() -> IngestLimits {
        IngestLimits {
            max_text_chars: DEFAULT_MAX_TEXT_CHARS,
            max_title_chars: DEFAULT_MAX_TITLE_CHARS,
            max_id_bytes: DEFAULT_MAX_ID_BYTES,
            max_entities: DEFAULT_MAX_ENTITIES,
        }
    }
}

/// Where a record came from, as errors and warnings name it.
pub fn location(raw: &RawArticle) -> String {
    match (&raw.path, raw.record) {
        (Some(p), Some(r)) => format!("{p}:{}", r + 1),
        (Some(p), None) => p.clone(),
        (None, _) => raw
            .id
            .clone()
            .or_else(|| raw.url.clone())
            .unwrap_or_else(|| "record".to_string()),
    }
}

/// Checks and normalises one record in place: `Err` is the reason it cannot be stored; the
/// warnings say what was changed.
pub fn admit_record(
    raw: &mut RawArticle,
    limits: &IngestLimits,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    for (name, value) in [("id", &raw.id), ("url", &raw.url)] {
        if let Some(v) = value {
            if v.len() > limits.max_id_bytes {
                return Err(format!(
                    "`{name}` of {} bytes is over the {}-byte limit",
                    v.len(),
                    limits.max_id_bytes
                ));
            }
        }
    }
    if let Some(tag) = raw.lang.take() {
        match language_code(&tag) {
            Some(code) => raw.lang = Some(code.to_string()),
            None => warnings.push(format!(
                "{}: `lang` {} is not a language; detected from the text instead",
                location(raw),
                quoted(&tag)
            )),
        }
    }
    let at = location(raw);
    for (name, value, max) in [
        ("title", &mut raw.title, limits.max_title_chars),
        ("text", &mut raw.text, limits.max_text_chars),
    ] {
        if let Some(chars) = value.as_mut().and_then(|v| truncate_chars(v, max)) {
            warnings.push(format!("{at}: {name} of {chars} characters cut to {max}"));
        }
    }
    Ok(())
}

/// A value quoted for a message: escaped and at most 40 characters.
fn quoted(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    let more = if short.len() < s.len() { "…" } else { "" };
    format!("{:?}{more}", short)
}

/// Cuts `s` to at most `max` characters, at the last line or word end in the final tenth when
/// there is one. Returns the original length in characters when it cut.
fn truncate_chars(s: &mut String, max: usize) -> Option<usize> {
    let (cut, _) = s.char_indices().nth(max)?;
    let chars = s.chars().count();
    let floor = cut - cut / 10;
    let head = &s[..cut];
    let at = head
        .rfind('\n')
        .filter(|i| *i >= floor)
        .or_else(|| head.rfind(char::is_whitespace).filter(|i| *i >= floor))
        .unwrap_or(cut);
    s.truncate(at);
    Some(chars)
}

/// Keeps the `max` names mentioned most (ties: the one found first), in their order. Returns how
/// many were dropped.
pub fn cap_mentions(mentions: &mut Vec<Mention>, max: usize) -> usize {
    if mentions.len() <= max {
        return 0;
    }
    let mut ranked: Vec<usize> = (0..mentions.len()).collect();
    ranked.sort_by(|a, b| mentions[*b].count.cmp(&mentions[*a].count).then(a.cmp(b)));
    let mut keep = vec![false; mentions.len()];
    for i in ranked.into_iter().take(max) {
        keep[i] = true;
    }
    let dropped = mentions.len() - max;
    let mut flags = keep.into_iter();
    mentions.retain(|_| flags.next().unwrap_or(false));
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(title: &str, text: &str, lang: Option<&str>) -> RawArticle {
        RawArticle {
            id: Some("a".into()),
            path: Some("in.jsonl".into()),
            record: Some(0),
            title: Some(title.into()),
            text: Some(text.into()),
            lang: lang.map(str::to_string),
            ..RawArticle::default()
        }
    }

    // Regression: `lang` was stored verbatim ("english", "<script>…").
    #[test]
    fn languages_are_mapped_or_detected() {
        let limits = IngestLimits::default();
        let mut warnings = Vec::new();
        let mut a = raw("T", "x", Some("en-US"));
        admit_record(&mut a, &limits, &mut warnings).unwrap();
        assert_eq!(a.lang.as_deref(), Some("en"));
        let mut a = raw("T", "x", Some("english"));
        admit_record(&mut a, &limits, &mut warnings).unwrap();
        assert_eq!(a.lang.as_deref(), Some("en"));
        assert!(warnings.is_empty());
        let mut a = raw("T", "x", Some("<script>alert(1)</script>"));
        admit_record(&mut a, &limits, &mut warnings).unwrap();
        assert_eq!(a.lang, None);
        assert!(
            warnings.len() == 1 && warnings[0].starts_with("in.jsonl:1:"),
            "{warnings:?}"
        );
    }

    // Regression: a 113 MB article was stored whole; ids and titles had no length limit.
    #[test]
    fn long_texts_and_titles_are_cut_and_long_ids_refused() {
        let limits = IngestLimits {
            max_text_chars: 100,
            max_title_chars: 10,
            max_id_bytes: 8,
            max_entities: 2,
        };
        let mut warnings = Vec::new();
        let mut a = raw("a very long title", &"parola ".repeat(100), None);
        a.id = Some("short".into());
        admit_record(&mut a, &limits, &mut warnings).unwrap();
        assert!(a.title.as_deref().is_some_and(|t| t.chars().count() <= 10));
        let text = a.text.as_deref().unwrap_or("");
        assert!(
            text.chars().count() <= 100 && text.ends_with("parola"),
            "{text}"
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        let mut b = raw("t", "x", None);
        b.id = Some("x".repeat(9));
        assert!(admit_record(&mut b, &limits, &mut warnings)
            .unwrap_err()
            .contains("`id`"));
    }

    #[test]
    fn the_most_mentioned_names_are_kept() {
        let m = |s: &str, count: u32| Mention {
            surface: s.into(),
            kind: nuntius_model::EntityKind::Unknown,
            count,
            in_title: false,
        };
        let mut mentions = vec![m("A", 1), m("B", 3), m("C", 2), m("D", 2)];
        assert_eq!(cap_mentions(&mut mentions, 2), 2);
        let left: Vec<&str> = mentions.iter().map(|m| m.surface.as_str()).collect();
        assert_eq!(left, ["B", "C"]);
    }
}
