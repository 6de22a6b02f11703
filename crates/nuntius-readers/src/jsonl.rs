//! JSON Lines: one article object per line; unknown fields are ignored, known fields of the
//! wrong type are an error naming the field.

use std::io::BufRead;

use nuntius_model::{DateOrigin, RawArticle};
use serde_json::{Map, Value};

use crate::charref::decoded;
use crate::{describe, is_resumable, ReadItem, RecordError};

/// Read errors a file may have before its reading stops (each corrupt gzip member is one).
const MAX_RESUMED_ERRORS: usize = 10_000;

/// One line as read: whole, or too long (its bytes were skipped, not kept).
enum Line {
    Whole,
    TooLong(u64),
    End,
}

/// Reads up to the next newline into `buf`, keeping at most `max` bytes; the rest of a longer line
/// is consumed without being stored.
fn read_line_bounded<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    let mut too_long = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(match (total, too_long) {
                (0, _) => Line::End,
                (n, true) => Line::TooLong(n),
                (_, false) => Line::Whole,
            });
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > max.saturating_add(1) {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        total += take as u64;
        reader.consume(take);
        if done {
            return Ok(if too_long {
                Line::TooLong(total)
            } else {
                Line::Whole
            });
        }
    }
}

pub(crate) fn read_jsonl<R: BufRead>(
    mut reader: R,
    shown: &str,
    max_record: usize,
    sink: &mut dyn FnMut(ReadItem),
) {
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut errors = 0usize;
    // The last whole line waits until the next read succeeds: a corrupt gzip member is only
    // known at its end, after its last line was read, and that line must not be stored.
    let mut held: Option<(u64, Vec<u8>)> = None;
    let emit = |n: u64, bytes: &[u8], sink: &mut dyn FnMut(ReadItem)| {
        if let Some(item) = parse_line(bytes, shown, n) {
            sink(item);
        }
    };
    loop {
        match read_line_bounded(&mut reader, &mut line, max_record) {
            Ok(Line::End) => break,
            Ok(Line::Whole) => {
                number += 1;
                if let Some((n, bytes)) = held.take() {
                    emit(n, &bytes, sink);
                }
                held = Some((number, std::mem::take(&mut line)));
            }
            Ok(Line::TooLong(bytes)) => {
                number += 1;
                if let Some((n, b)) = held.take() {
                    emit(n, &b, sink);
                }
                sink(Err(RecordError {
                    location: format!("{shown}:{number}"),
                    reason: format!(
                        "line of {bytes} bytes is over the {max_record}-byte record limit; skipped"
                    ),
                }));
            }
            Err(e) if is_resumable(&e) && errors < MAX_RESUMED_ERRORS => {
                errors += 1;
                // Bytes of the broken line already read: the damage is in this line. None: the
                // member ended right after the held line, which is the damaged one.
                let at = match (line.is_empty(), held.take()) {
                    (true, Some((n, _))) => n,
                    (empty, held) => {
                        if let (false, Some((n, b))) = (empty, held) {
                            emit(n, &b, sink);
                        }
                        number += 1;
                        number
                    }
                };
                line.clear();
                sink(Err(RecordError {
                    location: format!("{shown}:{at}"),
                    reason: describe(&e),
                }));
            }
            Err(e) => {
                if let Some((n, b)) = held.take() {
                    emit(n, &b, sink);
                }
                sink(Err(RecordError {
                    location: format!("{shown}:{}", number + 1),
                    reason: describe(&e),
                }));
                return;
            }
        }
    }
    if let Some((n, bytes)) = held.take() {
        emit(n, &bytes, sink);
    }
}

/// One line as an article, an error, or nothing (a blank line).
fn parse_line(bytes: &[u8], shown: &str, number: u64) -> Option<ReadItem> {
    let location = || format!("{shown}:{number}");
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Some(Err(RecordError {
                location: location(),
                reason: format!("not UTF-8: {e}"),
            }))
        }
    };
    // A byte-order mark before the first record is editor noise, not JSON.
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return None;
    }
    Some(
        parse_jsonl_line(text)
            .map(|mut a| {
                a.path = Some(shown.to_string());
                a.record = Some(number - 1);
                a
            })
            .map_err(|reason| RecordError {
                location: location(),
                reason,
            }),
    )
}

/// Parses one JSON object into a raw article. The error says what is wrong with the line.
pub fn parse_jsonl_line(line: &str) -> Result<RawArticle, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    parse_json_record(value)
}

/// What a known field may hold.
#[derive(Clone, Copy)]
enum Kind {
    /// A string (blank counts as absent) or null.
    Text,
    /// A string or an integer (numeric ids are common) or null.
    Id,
}

fn field(map: &Map<String, Value>, name: &str, kind: Kind) -> Result<Option<String>, String> {
    let found = |what: &str| {
        let expected = match kind {
            Kind::Text => "a string",
            Kind::Id => "a string or an integer",
        };
        Err(format!("field `{name}` must be {expected}, not {what}"))
    };
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.trim().is_empty())),
        Some(Value::Number(n)) => match kind {
            Kind::Id if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            _ => found("a number"),
        },
        Some(Value::Bool(_)) => found("a boolean"),
        Some(Value::Array(_)) => found("an array"),
        Some(Value::Object(_)) => found("an object"),
    }
}

/// A JSON value (a JSONL line, an array element, a posted object) as a raw article.
pub fn parse_json_record(value: Value) -> Result<RawArticle, String> {
    let Value::Object(map) = value else {
        return Err("expected a JSON object".to_string());
    };
    let date = field(&map, "date", Kind::Text)?;
    let article = RawArticle {
        id: field(&map, "id", Kind::Id)?,
        url: field(&map, "url", Kind::Text)?,
        // Exports copy titles and texts out of pages with their references ("Japan&#039;s").
        title: field(&map, "title", Kind::Text)?.map(decoded),
        text: field(&map, "text", Kind::Text)?.map(decoded),
        date_origin: date.as_ref().map(|_| DateOrigin::Meta),
        date,
        lang: field(&map, "lang", Kind::Text)?,
        source: field(&map, "source", Kind::Text)?,
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

    // Regression: og2021-style titles kept `&#039;` and `&amp;`, so headlines and entities saw them.
    #[test]
    fn titles_and_texts_are_decoded_once() {
        let a = parse_jsonl_line(
            r#"{"title": "Rome&#039;s mayor &amp; the &quot;Games&quot;", "text": "Caf&eacute; &amp;amp; bar"}"#,
        )
        .unwrap();
        assert_eq!(a.title.as_deref(), Some("Rome's mayor & the \"Games\""));
        assert_eq!(a.text.as_deref(), Some("Café &amp; bar"));
    }

    // Regression: wrong JSON types were coerced (`title: 12345` became "12345") or silently
    // dropped (a date object, an id array).
    #[test]
    fn wrong_types_name_the_field() {
        for (line, field) in [
            (r#"{"title": 12345, "text": "t"}"#, "`title`"),
            (r#"{"title": "t", "text": 3.14}"#, "`text`"),
            (r#"{"title": "t", "date": {"y": 2022}}"#, "`date`"),
            (r#"{"title": "t", "id": [1, 2]}"#, "`id`"),
            (r#"{"title": "t", "id": 1.5}"#, "`id`"),
            (r#"{"title": "t", "lang": true}"#, "`lang`"),
        ] {
            let e = parse_jsonl_line(line).unwrap_err();
            assert!(e.contains(field), "{line}: {e}");
        }
    }
}
