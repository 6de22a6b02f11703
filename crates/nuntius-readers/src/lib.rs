//! Readers: turn input paths and streams into [`RawArticle`]s.
//!
//! A reader never stops at a bad record: it hands the good ones and a [`RecordError`] per bad one to
//! the caller's sink, so an ingest can count and report failures while the rest of the work goes on.
//! Formats are detected from content (gzip magic, a JSON object per line, a JSON array), not only
//! from extensions. Everything read from outside is bounded by [`Limits`].

mod charref;
mod gzip;
mod json;
mod jsonl;
mod text;
mod walk;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use nuntius_model::RawArticle;

pub use charref::{decode_char_refs, decode_html_char_refs};
pub use gzip::{is_resumable, CorruptMember, ResyncGz};
pub use jsonl::{parse_json_record, parse_jsonl_line};
pub use text::parse_text_article;

/// A record that could not be read, with enough context for a person to find it.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct RecordError {
    /// File (and line or record number) the error belongs to.
    pub location: String,
    pub reason: String,
}

/// What a reader hands to its caller: a good article or the error for a bad record.
pub type ReadItem = Result<RawArticle, RecordError>;

/// The content formats this crate reads itself. Web formats (HTML, WARC, feeds) are read by another
/// crate through [`WebReader`]; the detection lives here so every input goes through one switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    /// A file holding one JSON array of article objects.
    JsonArray,
    Text,
    Web,
}

/// A reader for the web formats, plugged in by the binary so this crate stays free of HTML parsing.
pub trait WebReader {
    /// Whether `prefix` (decompressed first bytes) is a web format this reader takes.
    fn accepts(&self, prefix: &[u8], path: Option<&Path>) -> bool;
    /// Read every record of one input, sending each to `sink`.
    fn read(&self, input: Box<dyn Read + '_>, path: &str, sink: &mut dyn FnMut(ReadItem));
}

/// Default of [`Limits::max_record_bytes`]: 16 MiB, a hundred times a long article page.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;
/// Default of [`Limits::max_file_bytes`]: 64 GiB, above a whole CC-NEWS WARC file inflated.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 30;

/// Bounds on what one input may make a reader hold or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one record: a JSONL line, a JSON array element, a text file. A larger record is
    /// rejected with its own error (and skipped without being held in memory).
    pub max_record_bytes: usize,
    /// Bytes read from one file after decompression. Past it the file stops with an error; what
    /// was read before stays.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Options resolved once from the command line.
#[derive(Default, Clone, Copy)]
pub struct ReadOptions<'a> {
    pub web: Option<&'a (dyn WebReader + Sync)>,
    pub limits: Limits,
}

/// Reads every path in order (directories recursively, sorted by name so that runs are
/// reproducible; `-` is standard input), sending each article or error to `sink`. A path that
/// cannot be read (missing, a dangling link, a FIFO inside a directory) is one error; the other
/// paths are read.
pub fn read_paths(paths: &[PathBuf], options: &ReadOptions<'_>, sink: &mut dyn FnMut(ReadItem)) {
    for path in paths {
        if path.as_os_str() == "-" {
            let stdin = io::stdin();
            read_stream(Box::new(stdin.lock()), "-", None, options, sink);
            continue;
        }
        walk::for_each_file(path, &mut |found| match found {
            Ok(file) => {
                let shown = file.display().to_string();
                match File::open(&file) {
                    Ok(f) => read_stream(Box::new(f), &shown, Some(&file), options, sink),
                    Err(e) => sink(Err(RecordError {
                        location: shown,
                        reason: format!("cannot open: {e}"),
                    })),
                }
            }
            Err(e) => sink(Err(e)),
        });
    }
}

/// A reader that fails once more than `limit` bytes have come through it.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

/// The error [`Capped`] returns: the file is over the decompressed-size limit.
#[derive(Debug, thiserror::Error)]
#[error("over the limit of {0} bytes read from one file (decompressed); the rest of the file is not read")]
pub struct OverFileLimit(pub u64);

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // One byte more tells "exactly at the limit" from "over it".
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(OverFileLimit(self.limit))),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A read error as a person reads it.
pub(crate) fn describe(e: &io::Error) -> String {
    match e.get_ref() {
        Some(inner) if inner.is::<CorruptMember>() || inner.is::<OverFileLimit>() => {
            inner.to_string()
        }
        _ => format!("read failed: {e}"),
    }
}

/// Reads one input stream, detecting compression and format from its first bytes.
pub fn read_stream(
    input: Box<dyn Read + '_>,
    shown: &str,
    path: Option<&Path>,
    options: &ReadOptions<'_>,
    sink: &mut dyn FnMut(ReadItem),
) {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let is_gzip = match reader.fill_buf() {
        Ok(buf) => buf.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            sink(Err(RecordError {
                location: shown.to_string(),
                reason: format!("cannot read: {e}"),
            }));
            return;
        }
    };
    let limit = options.limits.max_file_bytes;
    let decoded: Box<dyn Read + '_> = if is_gzip {
        Box::new(ResyncGz::new(reader))
    } else {
        Box::new(reader)
    };
    let capped = Capped {
        inner: decoded,
        left: limit,
        limit,
    };
    read_decoded(
        BufReader::with_capacity(1 << 16, capped),
        shown,
        path,
        options,
        sink,
    );
}

fn read_decoded<R: BufRead>(
    mut reader: R,
    shown: &str,
    path: Option<&Path>,
    options: &ReadOptions<'_>,
    sink: &mut dyn FnMut(ReadItem),
) {
    let format = match reader.fill_buf() {
        Ok(prefix) => detect_format(prefix, path, options),
        Err(e) => {
            sink(Err(RecordError {
                location: shown.to_string(),
                reason: describe(&e),
            }));
            return;
        }
    };
    let max_record = options.limits.max_record_bytes;
    match format {
        Format::Jsonl => jsonl::read_jsonl(reader, shown, max_record, sink),
        Format::JsonArray => json::read_json_array(reader, shown, max_record, sink),
        Format::Web => {
            if let Some(web) = options.web {
                web.read(Box::new(reader), shown, sink);
            }
        }
        Format::Text => {
            let mut bytes = Vec::new();
            match reader
                .by_ref()
                .take(max_record as u64 + 1)
                .read_to_end(&mut bytes)
            {
                Ok(_) if bytes.len() > max_record => sink(Err(RecordError {
                    location: shown.to_string(),
                    reason: format!(
                        "text article over the {max_record}-byte record limit; not read"
                    ),
                })),
                Ok(_) => sink(text::read_text_file(&bytes, shown, path)),
                Err(e) => sink(Err(RecordError {
                    location: shown.to_string(),
                    reason: describe(&e),
                })),
            }
        }
    }
}

/// Decides the format from the first (decompressed) bytes and, as a tie-breaker, the file name.
pub fn detect_format(prefix: &[u8], path: Option<&Path>, options: &ReadOptions<'_>) -> Format {
    if let Some(web) = options.web {
        if web.accepts(prefix, path) {
            return Format::Web;
        }
    }
    let prefix = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    let start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &prefix[i..])
        .unwrap_or(&[]);
    match start.first() {
        Some(b'{') => Format::Jsonl,
        Some(b'[') if looks_like_json_array(&start[1..]) => Format::JsonArray,
        _ => Format::Text,
    }
}

/// `[` followed by an object, a string, a number or `]`: a JSON array, not a text article whose
/// title starts with a bracket ("[VIDEO] …").
fn looks_like_json_array(rest: &[u8]) -> bool {
    let next = rest.iter().find(|b| !b.is_ascii_whitespace());
    matches!(next, Some(b'{' | b']'))
}
