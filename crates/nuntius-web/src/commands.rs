//! The CLI's web commands: `extract` (JSONL out), `bench extract` and the segment
//! evaluation against the trafilatura benchmark.

use crate::error::WebError;
use crate::page::extract_page;
use crate::reader::read_web;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Counts of one `extract` run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub pages: u64,
    pub errors: u64,
}

/// Figures printed by `bench extract`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BenchReport {
    pub pages: u64,
    pub bytes: u64,
    pub errors: u64,
    pub seconds: f64,
    pub pages_per_second: f64,
    /// Pages per second of CPU time (equals `pages_per_second` on an idle machine).
    pub pages_per_cpu_second: Option<f64>,
    /// Peak resident memory (VmHWM) in KiB, when /proc tells.
    pub peak_rss_kib: Option<u64>,
}

/// Segment precision/recall/F1 as `extraction_segments.py` computes them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SegmentScore {
    pub pages: usize,
    pub precision: f64,
    pub recall: f64,
    pub accuracy: f64,
    pub f1: f64,
    /// Pages per second of `extract_page` alone (decoding, parsing, extraction), one thread.
    pub pages_per_second: f64,
    /// The same per second of CPU time (equal on an idle machine).
    pub pages_per_cpu_second: Option<f64>,
    /// Extracted text per evaluation URL, for cross-checking with the reference scorer.
    pub predictions: BTreeMap<String, String>,
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WebError + '_ {
    move |source| WebError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Files under `paths` (directories walked in sorted order), each as given or found.
fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, WebError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .map_err(io_err(&dir))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                for e in entries.into_iter().rev() {
                    if e.is_dir() {
                        stack.push(e);
                    } else {
                        out.push(e);
                    }
                }
            }
            let start = out.len();
            out[start..].sort();
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// `nuntius extract PATH... --format jsonl`: one JSON object per page or feed item.
/// Bad records are reported on stderr and counted; they do not stop the run.
pub fn extract_jsonl(paths: &[PathBuf], out: &mut dyn Write) -> Result<Summary, WebError> {
    let mut summary = Summary::default();
    for path in input_files(paths)? {
        summary.files += 1;
        let shown = path.display().to_string();
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{shown}: {e}");
                summary.errors += 1;
                continue;
            }
        };
        for item in read_web(std::io::BufReader::new(file)) {
            let rec = match item {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{shown}: {e}");
                    summary.errors += 1;
                    continue;
                }
            };
            let row = if let Some(page) = &rec.page {
                serde_json::json!({
                    "path": shown, "record": rec.record,
                    "url": page.url.as_ref().or(rec.url.as_ref()), "title": page.title,
                    "text": page.text, "published": page.published, "authors": page.authors,
                    "lang": page.lang, "site": page.site,
                })
            } else if let Some(item) = &rec.feed_item {
                serde_json::json!({
                    "path": shown, "record": rec.record, "url": item.link, "title": item.title,
                    "text": item.text, "published": item.published, "authors": item.authors,
                    "lang": null, "site": item.source,
                })
            } else {
                continue;
            };
            writeln!(out, "{row}").map_err(WebError::Output)?;
            summary.pages += 1;
        }
    }
    Ok(summary)
}

/// CPU time this thread has run, in seconds (Linux schedstat), to measure speed
/// fairly on a busy machine where wall time includes waiting for a core.
pub fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Peak resident set size of this process in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `nuntius bench extract DIR`: extracts every file under `dir` on one thread and
/// prints pages/s and peak memory. Files are read before the clock starts.
pub fn bench_extract(dir: &Path, out: &mut dyn Write) -> Result<BenchReport, WebError> {
    let mut report = BenchReport::default();
    let mut seconds = 0.0;
    let files = input_files(&[dir.to_path_buf()])?;
    // One CPU span over the whole loop (schedstat is exact only over long spans);
    // it includes reading the files from the page cache, a small share.
    let cpu_start = thread_cpu_seconds();
    for path in files {
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        report.bytes += bytes.len() as u64;
        let start = Instant::now();
        for item in read_web(bytes.as_slice()) {
            match item {
                Ok(_) => report.pages += 1,
                Err(_) => report.errors += 1,
            }
        }
        seconds += start.elapsed().as_secs_f64();
    }
    let cpu_seconds = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    report.seconds = seconds;
    report.pages_per_cpu_second = cpu_seconds
        .filter(|&c| c > 0.0)
        .map(|c| report.pages as f64 / c);
    report.pages_per_second = if seconds > 0.0 {
        report.pages as f64 / seconds
    } else {
        0.0
    };
    report.peak_rss_kib = peak_rss_kib();
    writeln!(
        out,
        "pages {} errors {} bytes {} seconds {:.3} pages/s {:.1} pages/cpu-s {} peak_rss_kib {}",
        report.pages,
        report.errors,
        report.bytes,
        report.seconds,
        report.pages_per_second,
        report
            .pages_per_cpu_second
            .map_or("unknown".to_string(), |p| format!("{p:.1}")),
        report
            .peak_rss_kib
            .map_or("unknown".to_string(), |k| k.to_string()),
    )
    .map_err(WebError::Output)?;
    Ok(report)
}

/// Scores extraction on the trafilatura segment benchmark in `dataset_dir`
/// (`pages.tar.zst` with `html/<file>` and `evaldata.json`, inside the tar or beside it).
pub fn eval_segments(dataset_dir: &Path) -> Result<SegmentScore, WebError> {
    let tar_path = dataset_dir.join("pages.tar.zst");
    let file = std::fs::File::open(&tar_path).map_err(io_err(&tar_path))?;
    let decoder = ruzstd::decoding::StreamingDecoder::new(std::io::BufReader::new(file))
        .map_err(|e| WebError::EvalData(format!("{}: {e}", tar_path.display())))?;
    let mut archive = tar::Archive::new(decoder);
    let mut pages: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut evaldata: Option<Vec<u8>> = None;
    let entries = archive.entries().map_err(io_err(&tar_path))?;
    for entry in entries {
        let mut entry = entry.map_err(io_err(&tar_path))?;
        let name = entry
            .path()
            .map_err(io_err(&tar_path))?
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(io_err(&tar_path))?;
        if name.ends_with("evaldata.json") {
            evaldata = Some(bytes);
        } else if let Some(file) = name.rsplit('/').next() {
            pages.insert(file.to_string(), bytes);
        }
    }
    let side = dataset_dir.join("evaldata.json");
    let evaldata = match evaldata {
        Some(e) => e,
        None => std::fs::read(&side).map_err(io_err(&side))?,
    };
    let eval: BTreeMap<String, EvalEntry> =
        serde_json::from_slice(&evaldata).map_err(|e| WebError::EvalData(e.to_string()))?;
    score_segments(&eval, &pages)
}

#[derive(serde::Deserialize)]
struct EvalEntry {
    file: String,
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    without: Vec<String>,
}

fn normalise_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn score_segments(
    eval: &BTreeMap<String, EvalEntry>,
    pages: &BTreeMap<String, Vec<u8>>,
) -> Result<SegmentScore, WebError> {
    // Extraction first, timed as one block: the CPU clock (schedstat) is only exact
    // over spans much longer than a scheduler tick.
    let mut inputs = Vec::with_capacity(eval.len());
    for (url, entry) in eval {
        let html = pages.get(&entry.file).ok_or_else(|| {
            WebError::EvalData(format!("page {} missing from the archive", entry.file))
        })?;
        inputs.push((url, entry, html));
    }
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let texts: Vec<String> = inputs
        .iter()
        .map(|(url, _, html)| {
            extract_page(html, Some(url), None)
                .map(|p| p.text)
                .unwrap_or_default()
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let cpu_seconds = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let (mut tp, mut fp, mut fn_, mut tn) = (0u64, 0u64, 0u64, 0u64);
    let mut predictions = BTreeMap::new();
    for ((url, entry, _), text) in inputs.iter().zip(texts) {
        let out = normalise_ws(&text);
        for s in &entry.with {
            if out.contains(&normalise_ws(s)) {
                tp += 1;
            } else {
                fn_ += 1;
            }
        }
        for s in &entry.without {
            if out.contains(&normalise_ws(s)) {
                fp += 1;
            } else {
                tn += 1;
            }
        }
        predictions.insert((*url).clone(), text);
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Ok(SegmentScore {
        pages: eval.len(),
        precision,
        recall,
        accuracy: ratio(tp + tn, tp + fp + fn_ + tn),
        f1,
        pages_per_second: if seconds > 0.0 {
            eval.len() as f64 / seconds
        } else {
            0.0
        },
        pages_per_cpu_second: cpu_seconds
            .filter(|&c| c > 0.0)
            .map(|c| eval.len() as f64 / c),
        predictions,
    })
}
