//! `nuntius bench stream`: a dated stream ingested in daily runs, each a child process doing
//! what `nuntius ingest` does, with per-run speed, open time and peak memory.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;

use crate::EncoderArg;

/// Figures of one daily run, as its child printed them.
struct Run {
    day: String,
    articles: u64,
    open_secs: f64,
    ingest_secs: f64,
    peak_kib: u64,
}

/// Peak resident memory of this process in KiB (VmHWM), as Linux reports it.
pub fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The day of a JSONL line (`date`'s first ten characters), if it has one.
fn day_of(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let date = v.get("date")?.as_str()?;
    date.get(..10).map(str::to_string)
}

/// Cuts `path` into days (an undated line goes with the day before it) and ingests each day
/// into one data dir with a child `nuntius bench stream-run`, printing a line per run and the
/// summary figures at the end.
pub fn stream(
    path: &Path,
    max_days: Option<usize>,
    into: Option<&Path>,
    encoder: Option<EncoderArg>,
    config: Option<&Path>,
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data_dir: PathBuf = into.map_or_else(|| tmp.path().join("data"), Path::to_path_buf);
    let day_file = tmp.path().join("day.jsonl");
    let exe = std::env::current_exe().context("cannot find the nuntius binary")?;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let mut pending: Option<String> = None;
    let mut runs: Vec<Run> = Vec::new();
    println!("run\tday\tarticles\tarticles/s\topen_s\tpeak_MiB");
    loop {
        if max_days.is_some_and(|m| runs.len() >= m) {
            break;
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(&day_file)?);
        let mut day: Option<String> = None;
        let mut count = 0u64;
        if let Some(first) = pending.take() {
            day = day_of(&first);
            out.write_all(first.as_bytes())?;
            out.write_all(b"\n")?;
            count += 1;
        }
        for line in lines.by_ref() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            let d = day_of(&line);
            if d.is_some() && day.is_some() && d != day {
                pending = Some(line);
                break;
            }
            if day.is_none() {
                day = d;
            }
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            count += 1;
        }
        out.flush()?;
        drop(out);
        if count == 0 {
            break;
        }
        let run = run_day(
            &exe,
            encoder,
            config,
            &data_dir,
            &day_file,
            day.unwrap_or_default(),
        )?;
        println!(
            "{}\t{}\t{}\t{:.0}\t{:.2}\t{:.1}",
            runs.len() + 1,
            run.day,
            run.articles,
            run.articles as f64 / run.ingest_secs.max(1e-9),
            run.open_secs,
            run.peak_kib as f64 / 1024.0
        );
        runs.push(run);
        if pending.is_none() {
            break;
        }
    }
    summarise(&runs);
    Ok(())
}

fn run_day(
    exe: &Path,
    encoder: Option<EncoderArg>,
    config: Option<&Path>,
    data_dir: &Path,
    file: &Path,
    day: String,
) -> Result<Run> {
    let mut cmd = Command::new(exe);
    if let Some(e) = encoder {
        if let Some(v) = e.to_possible_value() {
            cmd.arg("--encoder").arg(v.get_name());
        }
    }
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.arg("--data-dir")
        .arg(data_dir)
        .arg("bench")
        .arg("stream-run")
        .arg(file);
    let output = cmd.output().context("cannot run the daily ingest")?;
    if !output.status.success() {
        bail!(
            "the run of {day} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let v: serde_json::Value = text
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .with_context(|| format!("the run of {day} printed no figures"))?;
    Ok(Run {
        day,
        articles: v["articles"].as_u64().unwrap_or(0),
        open_secs: v["open_secs"].as_f64().unwrap_or(0.0),
        ingest_secs: v["ingest_secs"].as_f64().unwrap_or(0.0),
        peak_kib: v["peak_kib"].as_u64().unwrap_or(0),
    })
}

/// Mean articles/s of the first and last 30 runs, their ratio, and the worst open and RSS.
fn summarise(runs: &[Run]) {
    let rate = |r: &[Run]| {
        let (a, s) = r.iter().fold((0u64, 0f64), |(a, s), x| {
            (a + x.articles, s + x.ingest_secs)
        });
        a as f64 / s.max(1e-9)
    };
    let k = runs.len().min(30);
    let first = rate(&runs[..k]);
    let last = rate(&runs[runs.len() - k..]);
    let total: u64 = runs.iter().map(|r| r.articles).sum();
    println!("runs: {}, articles: {total}", runs.len());
    println!(
        "articles/s, first {k} runs: {first:.0}; last {k} runs: {last:.0}; last/first: {:.2}",
        last / first.max(1e-9)
    );
    let max_open = runs.iter().map(|r| r.open_secs).fold(0.0, f64::max);
    let last_open = runs.last().map_or(0.0, |r| r.open_secs);
    println!("open seconds: last run {last_open:.2}, worst {max_open:.2}");
    let peak = runs.iter().map(|r| r.peak_kib).max().unwrap_or(0);
    println!("peak RSS, worst run: {:.1} MiB", peak as f64 / 1024.0);
}
