//! A streaming WARC reader: one record in memory at a time, `response` records
//! with HTML become pages; a broken record is reported and the reader resyncs on
//! the next `WARC/` header line.

use crate::error::RecordError;
use crate::page::{extract_page, MAX_PAGE_BYTES};
use crate::reader::WebRecord;
use std::io::{BufRead, BufReader, Read};

/// A WARC header block larger than this is broken input.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Read errors passed over while looking for the next record.
const MAX_RESYNC_ERRORS: usize = 16;
/// Lines scanned while looking for the next record after a broken one.
const MAX_RESYNC_LINES: usize = 1_000_000;

pub struct WarcRecords<R: Read> {
    input: BufReader<R>,
    index: u64,
    done: bool,
}

struct Header {
    warc_type: String,
    target_uri: Option<String>,
    date: Option<String>,
    content_type: String,
    length: Option<u64>,
}

/// How skipping a record body ended.
enum Skipped {
    Whole,
    AtNextRecord,
    Ended,
}

enum Step {
    End,
    Skip,
    Yield(Box<Result<WebRecord, RecordError>>),
}

impl<R: Read> WarcRecords<R> {
    pub fn new(input: R) -> Self {
        WarcRecords {
            input: BufReader::with_capacity(64 * 1024, input),
            index: 0,
            done: false,
        }
    }

    fn error(&self, index: u64, reason: impl Into<String>) -> Step {
        Step::Yield(Box::new(Err(RecordError {
            record: index,
            reason: reason.into(),
        })))
    }

    /// Reads one line (bounded); `Ok(None)` at end of input.
    fn read_line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let n = (&mut self.input)
            .take(MAX_HEADER_BYTES as u64)
            .read_until(b'\n', &mut line)?;
        Ok((n > 0).then_some(line))
    }

    fn read_header(&mut self) -> Result<Option<Header>, String> {
        // Skip the blank lines that end the previous record.
        let first = loop {
            match self.read_line().map_err(|e| e.to_string())? {
                None => return Ok(None),
                Some(l) if l.iter().all(u8::is_ascii_whitespace) => continue,
                Some(l) => break l,
            }
        };
        if !first.starts_with(b"WARC/") {
            return Err("record does not start with a WARC/ version line".into());
        }
        let mut header = Header {
            warc_type: String::new(),
            target_uri: None,
            date: None,
            content_type: String::new(),
            length: None,
        };
        let mut total = first.len();
        loop {
            let Some(line) = self.read_line().map_err(|e| e.to_string())? else {
                return Err("input ends inside a WARC header".into());
            };
            total += line.len();
            if total > MAX_HEADER_BYTES {
                return Err("WARC header too long".into());
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "warc-type" => header.warc_type = value.to_ascii_lowercase(),
                "warc-target-uri" => {
                    header.target_uri = Some(value.trim_matches(['<', '>']).to_string())
                }
                "warc-date" => header.date = Some(value),
                "content-type" => header.content_type = value.to_ascii_lowercase(),
                "content-length" => header.length = value.parse().ok(),
                _ => {}
            }
        }
        Ok(Some(header))
    }

    /// After a broken record, skips lines until the next `WARC/` line. Read errors
    /// (a corrupt gzip member) are passed over a bounded number of times: the gzip
    /// layer resumes at the next member.
    fn resync(&mut self) -> bool {
        let mut errors = 0;
        for _ in 0..MAX_RESYNC_LINES {
            let buf = match self.input.fill_buf() {
                Ok([]) => return false,
                Err(_) if errors < MAX_RESYNC_ERRORS => {
                    errors += 1;
                    continue;
                }
                Err(_) => return false,
                Ok(b) => b,
            };
            if buf.starts_with(b"WARC/") {
                return true;
            }
            match self.read_line() {
                Ok(Some(_)) => {}
                Err(_) if errors < MAX_RESYNC_ERRORS => errors += 1,
                _ => return false,
            }
        }
        false
    }

    /// Skips a record body of `length` bytes that is not kept. A `Content-Length` that runs past
    /// the next record's header (a lie such as 10^15, or a truncated record) stops there instead
    /// of swallowing every later record: a `WARC/1.` line after a blank line ends the skip.
    fn skip_body(&mut self, length: u64) -> std::io::Result<Skipped> {
        let mut left = length;
        let mut line_start = true;
        let mut after_blank = false;
        while left > 0 {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(Skipped::Ended);
            }
            if line_start && after_blank && buf.starts_with(b"WARC/1.") {
                return Ok(Skipped::AtNextRecord);
            }
            let most = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let (n, ends_line) = match buf[..most].iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (most, false),
            };
            if line_start {
                after_blank = ends_line && buf[..n].iter().all(u8::is_ascii_whitespace);
            } else if ends_line {
                after_blank = false;
            }
            line_start = ends_line;
            self.input.consume(n);
            left -= n as u64;
        }
        Ok(Skipped::Whole)
    }

    fn step(&mut self) -> Step {
        let index = self.index;
        let header = match self.read_header() {
            Ok(None) => return Step::End,
            Ok(Some(h)) => h,
            Err(reason) => {
                self.index += 1;
                if !self.resync() {
                    self.done = true;
                }
                return self.error(index, reason);
            }
        };
        self.index += 1;
        let Some(length) = header.length else {
            if !self.resync() {
                self.done = true;
            }
            return self.error(index, "WARC record without a valid Content-Length");
        };
        let wanted =
            header.warc_type == "response" && header.content_type.contains("application/http");
        if !wanted || length > (MAX_PAGE_BYTES + MAX_HEADER_BYTES) as u64 {
            match self.skip_body(length) {
                Ok(Skipped::Whole) => {}
                Ok(Skipped::AtNextRecord) => {
                    return self.error(
                        index,
                        format!(
                            "Content-Length {length} runs into the next record; record skipped"
                        ),
                    );
                }
                Ok(Skipped::Ended) => {
                    self.done = true;
                    return self.error(index, "input ends inside a WARC record");
                }
                Err(e) => {
                    self.done = !self.resync();
                    return self.error(index, format!("reading WARC record: {e}"));
                }
            }
            if wanted {
                return self.error(
                    index,
                    format!("page of {length} bytes is over the size limit"),
                );
            }
            return Step::Skip;
        }
        let mut body = Vec::with_capacity(length as usize);
        match (&mut self.input).take(length).read_to_end(&mut body) {
            Ok(_) if body.len() as u64 == length => {}
            Ok(_) => {
                self.done = true;
                return self.error(index, "input ends inside a WARC record");
            }
            Err(e) => {
                self.done = !self.resync();
                return self.error(index, format!("reading WARC record: {e}"));
            }
        }
        let Some((content_type, payload)) = split_http(&body) else {
            return self.error(index, "response record without an HTTP header");
        };
        let is_html = content_type.as_deref().is_none_or(|c| c.contains("html"));
        if !is_html {
            return Step::Skip;
        }
        let url = header.target_uri;
        let result = extract_page(payload, url.as_deref(), content_type.as_deref())
            .map(|page| WebRecord {
                record: index,
                url: url.clone(),
                fetched: header.date.clone(),
                page: Some(page),
                feed_item: None,
            })
            .map_err(|e| RecordError {
                record: index,
                reason: e.to_string(),
            });
        Step::Yield(Box::new(result))
    }
}

/// Splits an HTTP response into its Content-Type and body.
fn split_http(body: &[u8]) -> Option<(Option<String>, &[u8])> {
    let end = body
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            body.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })?;
    let head = String::from_utf8_lossy(&body[..end.0]);
    if !head.starts_with("HTTP/") {
        return None;
    }
    let content_type = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_string())
    });
    Some((content_type, &body[end.1..]))
}

impl<R: Read> Iterator for WarcRecords<R> {
    type Item = Result<WebRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.step() {
                Step::End => self.done = true,
                Step::Skip => continue,
                Step::Yield(item) => return Some(*item),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, length_says: Option<u64>, body: &str) -> String {
        let length = length_says.unwrap_or(body.len() as u64);
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n{body}\r\n\r\n"
        )
    }

    fn page(title: &str) -> String {
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>{title}</title></head><body><article><p>{title} is the story of the day, told in a paragraph long enough to be an article body.</p></article></body></html>")
    }

    // Regression: a record with `Content-Length: 10^15` lost every record after it, uncounted.
    #[test]
    fn a_lying_content_length_costs_only_its_record() {
        let mut input = record("response", "http://a.example/1", None, &page("First"));
        input.push_str(&record(
            "metadata",
            "http://a.example/1",
            Some(1_000_000_000_000_000),
            "fetchTimeMs: 12\r\n",
        ));
        input.push_str(&record(
            "response",
            "http://a.example/2",
            None,
            &page("Second"),
        ));
        let records: Vec<_> = WarcRecords::new(input.as_bytes()).collect();
        let urls: Vec<_> = records
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter_map(|r| r.url.clone())
            .collect();
        assert_eq!(urls, ["http://a.example/1", "http://a.example/2"]);
        let errors: Vec<_> = records.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].record, 1);
        assert!(errors[0].reason.contains("Content-Length"), "{errors:?}");
    }
}
