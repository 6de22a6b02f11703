//! A generator of large test corpora for the serving benchmark: it replicates real articles under
//! new ids with shifted dates, as JSONL that `nuntius ingest` reads.
//!
//! Replica `r` of an article gets the id `g{r}-{original id}`, its date moved `r × shift_days`
//! later, its URL tagged with a `#g{r}` fragment (same domain, so sources stay realistic), and, from
//! the second replica on, its paragraphs rotated and every few sentences dropped, so replicas are
//! near-copies (found by dedup as copied passages) rather than exact duplicates. Stories therefore
//! repeat across time; that is fine for measuring latency, not for judging clustering.

use std::io::Write;
use std::path::PathBuf;

use nuntius_model::{days_from_civil, Published, RawArticle};
use nuntius_readers::{read_paths, ReadOptions};
use serde_json::{json, Map, Value};

use crate::error::ServerError;

/// What to generate.
#[derive(Debug, Clone)]
pub struct CorpusOptions {
    /// Real articles to replicate (JSONL, gzip, text files, directories).
    pub inputs: Vec<PathBuf>,
    /// Articles to write.
    pub articles: usize,
    /// Days between one replica and the next.
    pub shift_days: i64,
}

/// Counts of one generation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusSummary {
    pub source_articles: usize,
    pub written: usize,
    pub replicas: usize,
    pub unreadable: usize,
}

/// Writes `options.articles` JSONL records to `out`, cycling over the input articles.
pub fn generate_corpus(
    options: &CorpusOptions,
    out: &mut dyn Write,
) -> Result<CorpusSummary, ServerError> {
    let mut originals = Vec::new();
    let mut summary = CorpusSummary::default();
    read_paths(
        &options.inputs,
        &ReadOptions::default(),
        &mut |item| match item {
            Ok(raw) => originals.push(raw),
            Err(_) => summary.unreadable += 1,
        },
    );
    summary.source_articles = originals.len();
    if originals.is_empty() {
        return Err(ServerError::Corpus(
            "no readable article in the inputs".to_string(),
        ));
    }
    let mut replica = 0usize;
    'outer: loop {
        for (i, raw) in originals.iter().enumerate() {
            if summary.written >= options.articles {
                break 'outer;
            }
            let record = replicate(raw, i, replica, options.shift_days);
            serde_json::to_writer(&mut *out, &record)
                .map_err(|e| ServerError::Corpus(format!("cannot write a record: {e}")))?;
            out.write_all(b"\n")
                .map_err(|e| ServerError::Corpus(format!("cannot write a record: {e}")))?;
            summary.written += 1;
        }
        replica += 1;
    }
    summary.replicas = replica + usize::from(summary.written % originals.len() != 0);
    Ok(summary)
}

fn replicate(raw: &RawArticle, index: usize, replica: usize, shift_days: i64) -> Value {
    let base_id = raw
        .id
        .clone()
        .or_else(|| raw.url.clone())
        .unwrap_or_else(|| format!("n{index}"));
    let mut m = Map::new();
    m.insert("id".into(), json!(format!("g{replica}-{base_id}")));
    if let Some(url) = &raw.url {
        m.insert("url".into(), json!(format!("{url}#g{replica}")));
    }
    if let Some(t) = &raw.title {
        m.insert("title".into(), json!(t));
    }
    if let Some(t) = &raw.text {
        let text = if replica == 0 {
            t.clone()
        } else {
            perturb(t, replica)
        };
        m.insert("text".into(), json!(text));
    }
    let date = raw.date.as_deref().or(raw.header_date.as_deref());
    if let Some(d) = date {
        m.insert(
            "date".into(),
            json!(shift_date(d, replica as i64 * shift_days)),
        );
    }
    if let Some(l) = &raw.lang {
        m.insert("lang".into(), json!(l));
    }
    if let Some(s) = &raw.source {
        m.insert("source".into(), json!(s));
    }
    Value::Object(m)
}

/// Rotates paragraphs and drops every few sentences, deterministically by replica.
fn perturb(text: &str, replica: usize) -> String {
    let mut paragraphs: Vec<&str> = text.split("\n\n").collect();
    if paragraphs.len() > 1 {
        let k = replica % paragraphs.len();
        paragraphs.rotate_left(k);
    }
    let drop_every = 3 + replica % 4;
    let mut n = 0usize;
    paragraphs
        .iter()
        .map(|p| {
            p.split_inclusive(". ")
                .filter(|_| {
                    n += 1;
                    !n.is_multiple_of(drop_every)
                })
                .collect::<String>()
        })
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Moves an ISO date (`YYYY-MM-DD` with anything after it) by `days`; other forms stay as they are.
fn shift_date(date: &str, days: i64) -> String {
    let parsed = (|| {
        let y: i32 = date.get(0..4)?.parse().ok()?;
        let m: u8 = date.get(5..7)?.parse().ok()?;
        let d: u8 = date.get(8..10)?.parse().ok()?;
        (date.get(4..5)? == "-" && date.get(7..8)? == "-").then_some((y, m, d))
    })();
    match parsed {
        Some((y, m, d)) if (1..=12).contains(&m) && (1..=31).contains(&d) => {
            let shifted = Published::from_day_number(days_from_civil(y, m, d) + days).to_iso();
            format!("{shifted}{}", date.get(10..).unwrap_or(""))
        }
        _ => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_shift_and_keep_their_time() {
        assert_eq!(shift_date("2021-07-01T08:01:00", 31), "2021-08-01T08:01:00");
        assert_eq!(shift_date("2021-12-31", 1), "2022-01-01");
        assert_eq!(shift_date("July 2021", 5), "July 2021");
    }

    #[test]
    fn replicas_get_new_ids_and_differ_from_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(
            &input,
            "{\"id\":\"a\",\"title\":\"T\",\"text\":\"One. Two. Three. Four. Five. Six.\\n\\nSeven.\",\"date\":\"2021-07-01\",\"url\":\"https://x.org/a\"}\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let summary = generate_corpus(
            &CorpusOptions {
                inputs: vec![input],
                articles: 3,
                shift_days: 10,
            },
            &mut out,
        )
        .unwrap();
        assert_eq!(summary.written, 3);
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["id"], "g0-a");
        assert_eq!(lines[2]["id"], "g2-a");
        assert_eq!(lines[1]["date"], "2021-07-11");
        assert_eq!(lines[1]["url"], "https://x.org/a#g1");
        assert_ne!(lines[1]["text"], lines[0]["text"]);
    }
}
