//! Plain-text article dumps: an optional `date YYYY-MM URL` header, the title (often repeated), then
//! the body mixed with scraper debris. Debris is left for the analysis stage to remove.

use std::path::Path;

use nuntius_model::RawArticle;

use crate::{ReadItem, RecordError};

pub(crate) fn read_text_file(bytes: &[u8], shown: &str, path: Option<&Path>) -> ReadItem {
    if bytes.contains(&0) {
        return Err(RecordError {
            location: shown.to_string(),
            reason: "binary data (NUL bytes), not a text article".to_string(),
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) => {
            return Err(RecordError {
                location: shown.to_string(),
                reason: format!("not UTF-8 text: {e}"),
            })
        }
    };
    let mut article = parse_text_article(&text).ok_or_else(|| RecordError {
        location: shown.to_string(),
        reason: "empty article (no title line)".to_string(),
    })?;
    article.path = Some(shown.to_string());
    article.record = Some(0);
    // A text file's stem names the article when nothing else does (`000_3260ae64d646633e`).
    article.id = None;
    let stem = path
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .map(strip_extensions)
        .filter(|s| !s.is_empty());
    // Identity order is id, then URL, then stem: a header URL outranks the file name.
    if article.url.is_none() {
        article.id = stem;
    }
    Ok(article)
}

fn strip_extensions(name: &str) -> String {
    let mut s = name;
    for ext in [".gz", ".txt", ".text"] {
        if let Some(rest) = s.strip_suffix(ext) {
            s = rest;
        }
    }
    s.to_string()
}

/// Splits a text dump into header, title and body. `None` when there is no non-empty line.
pub fn parse_text_article(text: &str) -> Option<RawArticle> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().map(str::trim).peekable();
    let mut article = RawArticle::default();
    while lines.peek().is_some_and(|l| l.is_empty()) {
        lines.next();
    }
    let first = lines.peek().copied()?;
    if let Some((date, url)) = parse_header(first) {
        article.header_date = Some(date.to_string());
        article.url = url.map(str::to_string);
        lines.next();
    }
    let title = lines.by_ref().find(|l| !l.is_empty())?.to_string();
    let body: Vec<&str> = lines.collect();
    // Scrapers often write the title twice; the second copy is not body text.
    let mut start = 0;
    while start < body.len() && body[start].is_empty() {
        start += 1;
    }
    if body.get(start) == Some(&title.as_str()) {
        start += 1;
    }
    article.title = Some(crate::charref::decoded(title));
    let body = crate::charref::decoded(body[start..].join("\n").trim().to_string());
    if !body.is_empty() {
        article.text = Some(body);
    }
    Some(article)
}

/// `date 2022-01 https://…` → (`2022-01`, url).
fn parse_header(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix("date ")?;
    let mut parts = rest.split_whitespace();
    let date = parts.next()?;
    if !date.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let url = parts.next().filter(|u| u.starts_with("http"));
    Some((date, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_title_and_repeated_title() {
        let a = parse_text_article(
            " date 2022-01 https://ex.com/a.html\n\nTitle here\n\nTitle here\n\nBody one.\nBody two.",
        )
        .unwrap();
        assert_eq!(a.header_date.as_deref(), Some("2022-01"));
        assert_eq!(a.url.as_deref(), Some("https://ex.com/a.html"));
        assert_eq!(a.title.as_deref(), Some("Title here"));
        assert_eq!(a.text.as_deref(), Some("Body one.\nBody two."));
    }

    #[test]
    fn no_header() {
        let a = parse_text_article("Just a title\nand a body").unwrap();
        assert_eq!(a.header_date, None);
        assert_eq!(a.title.as_deref(), Some("Just a title"));
        assert!(parse_text_article("\n\n  \n").is_none());
    }

    // Regression: text dumps kept `&#039;` and `&amp;` in titles and bodies.
    #[test]
    fn references_are_decoded() {
        let a = parse_text_article("Smith &amp; Sons&#x27; shop\nIt&#039;s open.").unwrap();
        assert_eq!(a.title.as_deref(), Some("Smith & Sons' shop"));
        assert_eq!(a.text.as_deref(), Some("It's open."));
    }

    #[test]
    fn binary_is_an_error() {
        let e = read_text_file(b"\x00\x01bin", "x.txt", None).unwrap_err();
        assert!(e.to_string().contains("x.txt"));
    }
}
