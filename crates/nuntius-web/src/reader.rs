//! `read_web`: one entry point for any web input file (HTML, WARC, feed; plain or
//! gzip), detected by content, yielding records one at a time with per-record errors.

use crate::error::RecordError;
use crate::feed::{parse_feed, FeedItem};
use crate::page::{extract_page, looks_binary, Page, MAX_PAGE_BYTES};
use crate::warc::WarcRecords;
use nuntius_readers::ResyncGz;
use std::io::{Chain, Cursor, Read};

/// Feeds are read whole; larger ones are refused.
const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;
/// How many first bytes format sniffing looks at.
const SNIFF_BYTES: usize = 8 * 1024;

/// The kind of a web input, told from its (decompressed) first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Warc,
    Feed,
    Unknown,
}

/// Tells the format from the first bytes of a file (after decompression).
pub fn sniff_format(prefix: &[u8]) -> Format {
    let prefix = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    if prefix.starts_with(b"WARC/") {
        return Format::Warc;
    }
    let head =
        String::from_utf8_lossy(&prefix[..prefix.len().min(SNIFF_BYTES)]).to_ascii_lowercase();
    let trimmed = head.trim_start();
    if trimmed.starts_with('{') {
        return if head.contains("jsonfeed.org") {
            Format::Feed
        } else {
            Format::Unknown
        };
    }
    let html_at = ["<html", "<!doctype html", "<head", "<body"]
        .iter()
        .filter_map(|m| head.find(m))
        .min();
    let feed_at = ["<rss", "<feed", "<rdf:rdf"]
        .iter()
        .filter_map(|m| head.find(m))
        .min();
    match (html_at, feed_at) {
        (Some(h), Some(f)) if f < h => Format::Feed,
        (None, Some(_)) => Format::Feed,
        (Some(_), _) => Format::Html,
        (None, None)
            if [
                "<div", "<p>", "<p ", "<title", "<meta", "<script", "<article",
            ]
            .iter()
            .any(|m| head.contains(m)) =>
        {
            Format::Html
        }
        _ => Format::Unknown,
    }
}

/// One article-like record from a web input.
///
/// Exactly one of `page` (an HTML page, alone or inside a WARC) and `feed_item`
/// (an RSS/Atom/JSON Feed item) is set.
#[derive(Debug, Clone, PartialEq)]
pub struct WebRecord {
    /// 0-based index inside the file: the WARC record number (counting every
    /// record, also the skipped `warcinfo`/`request` ones), the feed item number,
    /// or 0 for an HTML file.
    pub record: u64,
    /// WARC-Target-URI or feed item link.
    pub url: Option<String>,
    /// WARC-Date (the crawl time), never the publication date.
    pub fetched: Option<String>,
    pub page: Option<Page>,
    pub feed_item: Option<FeedItem>,
}

/// Plain or gzip input, chosen by the magic bytes.
enum Source<R: Read> {
    Gzip(ResyncGz<std::io::BufReader<Chain<Cursor<Vec<u8>>, R>>>),
    PlainPeeked(Chain<Cursor<Vec<u8>>, R>),
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Source::Gzip(r) => r.read(buf),
            Source::PlainPeeked(r) => r.read(buf),
        }
    }
}

/// Reads up to `n` bytes (fewer only at end of input).
fn read_prefix<R: Read>(r: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The records of one input, whichever format it has (an iterator; see [`read_web`]).
pub struct WebRecords<R: Read>(Inner<R>);

/// Input with its sniffed first bytes put back in front, and the read error that
/// ended sniffing (if any) replayed at the place where it happened.
pub struct Peeked<R: Read> {
    prefix: Cursor<Vec<u8>>,
    pending: Option<std::io::Error>,
    rest: R,
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.prefix.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        self.rest.read(buf)
    }
}

/// Reads up to `n` bytes, keeping what came before a read error.
fn read_prefix_lenient<R: Read>(r: &mut R, n: usize) -> (Vec<u8>, Option<std::io::Error>) {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return (buf, Some(e));
            }
        }
    }
    buf.truncate(filled);
    (buf, None)
}

enum Inner<R: Read> {
    Done,
    One(Option<Box<Result<WebRecord, RecordError>>>),
    Many(std::vec::IntoIter<Result<WebRecord, RecordError>>),
    Warc(Box<WarcRecords<Peeked<Source<R>>>>),
}

impl<R: Read> Iterator for WebRecords<R> {
    type Item = Result<WebRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Inner::Done => None,
            Inner::One(item) => item.take().map(|b| *b),
            Inner::Many(items) => items.next(),
            Inner::Warc(warc) => warc.next(),
        }
    }
}

fn fail<R: Read>(reason: impl Into<String>) -> WebRecords<R> {
    WebRecords(Inner::One(Some(Box::new(Err(RecordError {
        record: 0,
        reason: reason.into(),
    })))))
}

/// Streams the records of one file: plain or gzip (also per-record gzip as in
/// CC-NEWS), HTML, WARC or feed, detected by content. Errors are per record;
/// WARC input is read record by record, so memory does not grow with file size.
pub fn read_web<R: Read>(input: R) -> WebRecords<R> {
    let mut input = input;
    let magic = match read_prefix(&mut input, 2) {
        Ok(m) => m,
        Err(e) => return fail(format!("reading input: {e}")),
    };
    let rejoined = Cursor::new(magic.clone()).chain(input);
    let gzip = magic == [0x1f, 0x8b];
    let mut source = if gzip {
        Source::Gzip(ResyncGz::new(std::io::BufReader::new(rejoined)))
    } else {
        Source::PlainPeeked(rejoined)
    };
    let (prefix, pending) = read_prefix_lenient(&mut source, SNIFF_BYTES);
    if prefix.is_empty() {
        if let Some(e) = pending {
            return fail(describe_read_error(&e, gzip));
        }
    }
    if prefix.is_empty() {
        return WebRecords(Inner::Done);
    }
    let format = sniff_format(&prefix);
    let mut whole = Peeked {
        prefix: Cursor::new(prefix),
        pending,
        rest: source,
    };
    match format {
        Format::Warc => WebRecords(Inner::Warc(Box::new(WarcRecords::new(whole)))),
        Format::Feed => match read_bounded(&mut whole, MAX_FEED_BYTES, gzip) {
            Ok(bytes) => WebRecords(Inner::Many(parse_feed(&bytes).into_iter())),
            Err(reason) => fail(reason),
        },
        Format::Html | Format::Unknown => match read_bounded(&mut whole, MAX_PAGE_BYTES, gzip) {
            Ok(bytes) if format == Format::Unknown && looks_binary(&bytes) => {
                fail("not a web document (binary content)")
            }
            Ok(bytes) => WebRecords(Inner::One(Some(Box::new(
                extract_page(&bytes, None, None)
                    .map(|page| WebRecord {
                        record: 0,
                        url: None,
                        fetched: None,
                        page: Some(page),
                        feed_item: None,
                    })
                    .map_err(|e| RecordError {
                        record: 0,
                        reason: e.to_string(),
                    }),
            )))),
            Err(reason) => fail(reason),
        },
    }
}

/// Reads all of `r`, refusing inputs over `limit` bytes (the rest is not read).
fn read_bounded<R: Read>(r: &mut R, limit: usize, gzip: bool) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    match r.take(limit as u64 + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() > limit => Err(format!("input over the {limit}-byte limit")),
        Ok(_) => Ok(bytes),
        Err(e) => Err(describe_read_error(&e, gzip)),
    }
}

fn describe_read_error(e: &std::io::Error, gzip: bool) -> String {
    if gzip {
        format!("truncated or corrupt gzip: {e}")
    } else {
        format!("reading input: {e}")
    }
}
