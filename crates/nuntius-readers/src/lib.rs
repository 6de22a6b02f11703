//! Readers: turn input paths and streams into [`RawArticle`]s.
//!
//! A reader never stops at a bad record: it hands the good ones and a [`RecordError`] per bad one to
//! the caller's sink, so an ingest can count and report failures while the rest of the work goes on.
//! Formats are detected from content (gzip magic, a JSON object per line), not only from extensions.

mod jsonl;
mod text;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use nuntius_model::RawArticle;

pub use jsonl::parse_jsonl_line;
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

/// Options resolved once from the command line.
#[derive(Default)]
pub struct ReadOptions<'a> {
    pub web: Option<&'a (dyn WebReader + Sync)>,
}

/// Reads every path in order (directories recursively, sorted by name so that runs are
/// reproducible; `-` is standard input), sending each article or error to `sink`.
pub fn read_paths(paths: &[PathBuf], options: &ReadOptions<'_>, sink: &mut dyn FnMut(ReadItem)) {
    for path in paths {
        if path.as_os_str() == "-" {
            let stdin = io::stdin();
            read_stream(Box::new(stdin.lock()), "-", None, options, sink);
            continue;
        }
        let mut files = Vec::new();
        if let Err(e) = collect_files(path, &mut files) {
            sink(Err(RecordError {
                location: path.display().to_string(),
                reason: e.to_string(),
            }));
            continue;
        }
        for file in files {
            let shown = file.display().to_string();
            match File::open(&file) {
                Ok(f) => read_stream(Box::new(f), &shown, Some(&file), options, sink),
                Err(e) => sink(Err(RecordError {
                    location: shown,
                    reason: format!("cannot open: {e}"),
                })),
            }
        }
    }
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            // Hidden files are editor and VCS debris, never articles.
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for entry in entries {
        collect_files(&entry, out)?;
    }
    Ok(())
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
    if is_gzip {
        let decoded = BufReader::with_capacity(1 << 16, MultiGzDecoder::new(reader));
        read_decoded(decoded, shown, path, options, sink);
    } else {
        read_decoded(reader, shown, path, options, sink);
    }
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
                reason: format!("cannot read: {e}"),
            }));
            return;
        }
    };
    match format {
        Format::Jsonl => jsonl::read_jsonl(reader, shown, sink),
        Format::Web => {
            if let Some(web) = options.web {
                web.read(Box::new(reader), shown, sink);
            }
        }
        Format::Text => {
            let mut bytes = Vec::new();
            if let Err(e) = reader.read_to_end(&mut bytes) {
                sink(Err(RecordError {
                    location: shown.to_string(),
                    reason: format!("cannot read: {e}"),
                }));
                return;
            }
            sink(text::read_text_file(&bytes, shown, path));
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
    let start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &prefix[i..])
        .unwrap_or(&[]);
    let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
    if start.first() == Some(&b'{') {
        return Format::Jsonl;
    }
    Format::Text
}
