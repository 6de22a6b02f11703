//! JSON Lines: one article object per line; unknown fields are ignored.

use std::io::BufRead;

use nuntius_model::{DateOrigin, RawArticle};
use serde_json::Value;

use crate::{ReadItem, RecordError};

pub(crate) fn read_jsonl<R: BufRead>(mut reader: R, shown: &str, sink: &mut dyn FnMut(ReadItem)) {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                sink(Err(RecordError {
                    location: format!("{shown}:{}", number + 1),
                    reason: format!("read failed: {e}"),
                }));
                break;
            }
        }
        number += 1;
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim(),
            Err(e) => {
                sink(Err(RecordError {
                    location: format!("{shown}:{number}"),
                    reason: format!("not UTF-8: {e}"),
                }));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let item = parse_jsonl_line(text)
            .map(|mut a| {
                a.path = Some(shown.to_string());
                a.record = Some(number - 1);
                a
            })
            .map_err(|reason| RecordError {
                location: format!("{shown}:{number}"),
                reason,
            });
        sink(item);
    }
}

/// Parses one JSON object into a raw article. The error says what is wrong with the line.
pub fn parse_jsonl_line(line: &str) -> Result<RawArticle, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err("expected a JSON object".to_string());
    };
    let field = |name: &str| -> Option<String> {
        match map.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    };
    let article = RawArticle {
        id: field("id"),
        url: field("url"),
        title: field("title"),
        text: field("text"),
        date: field("date"),
        date_origin: field("date").map(|_| DateOrigin::Meta),
        lang: field("lang"),
        source: field("source"),
        ..RawArticle::default()
    };
    if article.title.is_none() && article.text.is_none() {
        return Err("record has neither `title` nor `text`".to_string());
    }
    Ok(article)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_and_unknown_fields() {
        let a =
            parse_jsonl_line(r#"{"id": 42, "title": "T", "cluster_id": 7, "text": null}"#).unwrap();
        assert_eq!(a.id.as_deref(), Some("42"));
        assert_eq!(a.title.as_deref(), Some("T"));
        assert_eq!(a.text, None);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse_jsonl_line("{nope")
            .unwrap_err()
            .contains("invalid JSON"));
        assert!(parse_jsonl_line("[1]").unwrap_err().contains("object"));
        assert!(parse_jsonl_line(r#"{"id":"x"}"#)
            .unwrap_err()
            .contains("neither"));
    }
}
