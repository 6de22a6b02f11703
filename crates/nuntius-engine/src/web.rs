//! The web formats (HTML pages, WARC crawls, RSS/Atom/JSON feeds) plugged into the readers:
//! every page or feed item becomes a [`RawArticle`] with its dates and origins kept apart.

use std::io::Read;
use std::path::Path;

use nuntius_model::{DateOrigin, RawArticle};
use nuntius_readers::{ReadItem, RecordError, WebReader};
use nuntius_web::{read_web, sniff_format, Format, WebRecord};

/// Reads HTML, WARC and feeds with `nuntius-web`.
#[derive(Debug, Default, Clone, Copy)]
pub struct WebFormats;

impl WebReader for WebFormats {
    fn accepts(&self, prefix: &[u8], path: Option<&Path>) -> bool {
        match sniff_format(prefix) {
            Format::Html | Format::Warc | Format::Feed => true,
            Format::Unknown => {
                // A binary file named .html is still handed over, to be reported as bad input
                // rather than read as a text dump.
                path.and_then(|p| p.extension())
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| {
                        matches!(
                            e.to_ascii_lowercase().as_str(),
                            "html" | "htm" | "xhtml" | "warc" | "rss" | "atom"
                        )
                    })
            }
        }
    }

    fn read(&self, input: Box<dyn Read + '_>, path: &str, sink: &mut dyn FnMut(ReadItem)) {
        for item in read_web(input) {
            match item {
                Ok(record) => {
                    if let Some(article) = to_article(record, path) {
                        sink(Ok(article));
                    }
                }
                Err(e) => sink(Err(RecordError {
                    location: format!("{path} record {}", e.record),
                    reason: e.reason,
                })),
            }
        }
    }
}

/// A page or feed item as a raw article; `None` for a page with no text and no title.
pub fn to_article(record: WebRecord, path: &str) -> Option<RawArticle> {
    let mut a = RawArticle {
        path: Some(path.to_string()),
        record: Some(record.record),
        ..RawArticle::default()
    };
    if let Some(page) = record.page {
        if page.text.trim().is_empty() && page.title.is_none() {
            return None;
        }
        a.url = page.canonical_url.or(page.url).or(record.url);
        a.title = page.title;
        a.text = Some(page.text).filter(|t| !t.trim().is_empty());
        a.lang = page.lang;
        a.authors = page.authors;
        match page.published {
            Some(date) => {
                a.date = Some(date);
                a.date_origin = Some(match page.published_from {
                    Some("url") => DateOrigin::Url,
                    Some("text") => DateOrigin::Text,
                    _ => DateOrigin::Meta,
                });
            }
            None => {
                // The crawl date is a last resort: the article existed by then.
                a.date = record.fetched;
                a.date_origin = a.date.as_ref().map(|_| DateOrigin::Warc);
            }
        }
        if a.url.is_none() {
            a.id = Some(format!("{path}#{}", record.record));
        }
    } else if let Some(item) = record.feed_item {
        a.url = item.link.or(record.url);
        a.title = item.title;
        a.text = item.text;
        a.date = item.published;
        a.date_origin = a.date.as_ref().map(|_| DateOrigin::Feed);
        a.cited_source = item.source;
        a.authors = item.authors;
        if a.url.is_none() {
            a.id = Some(format!("{path}#{}", record.record));
        }
        if a.title.is_none() && a.text.is_none() {
            return None;
        }
    } else {
        return None;
    }
    Some(a)
}
