//! The one ingest loop. `nuntius ingest`, the server's writer and every `eval` command feed
//! records through [`ingest_records`], so a stream gives the same stores however it arrives:
//! in one run or many, in batches of any size, from files or posts.
//!
//! Records are admitted in arrival order, cut into batches of at most [`MAX_BATCH`], and two
//! stages overlap: the analysis of batch k+1 on another thread and the placement of batch k
//! here. Analysis sees boilerplate with a lag counted in articles ([`BOILERPLATE_LAG`]), which is
//! at least two batches, so what it sees never depends on the cut or the thread timing.

use std::path::PathBuf;

use nuntius_model::RawArticle;
use nuntius_readers::{read_paths, ReadOptions};

use crate::engine::{analyze_batch, Analyzed, Engine, IngestSummary, BOILERPLATE_LAG, MAX_BATCH};

/// A batch analysed on another thread, waiting to be placed.
type AnalyzedBatch = anyhow::Result<Vec<Analyzed>>;

const _: () = assert!(BOILERPLATE_LAG >= 2 * MAX_BATCH as u64);

impl IngestSummary {
    /// Adds the counts of another part of the same ingest.
    pub fn add(&mut self, other: IngestSummary) {
        self.read += other.read;
        self.new += other.new;
        self.already_stored += other.already_stored;
        self.duplicates += other.duplicates;
        self.failed.extend(other.failed);
        self.warnings.extend(other.warnings);
    }
}

/// Feeds `parts` (records as they arrive, in any grouping) through the engine in batches of
/// `batch_size` (at most [`MAX_BATCH`]); `progress` is called after each stored batch.
pub fn ingest_records(
    engine: &mut Engine,
    parts: impl Iterator<Item = Vec<RawArticle>>,
    batch_size: usize,
    progress: &mut dyn FnMut(&IngestSummary),
) -> anyhow::Result<IngestSummary> {
    ingest_parts(
        engine,
        parts.map(|raws| (raws, Vec::new())),
        batch_size,
        progress,
    )
}

/// The loop itself: `parts` carry records and the reader errors that came with them.
fn ingest_parts(
    engine: &mut Engine,
    parts: impl Iterator<Item = (Vec<RawArticle>, Vec<String>)>,
    batch_size: usize,
    progress: &mut dyn FnMut(&IngestSummary),
) -> anyhow::Result<IngestSummary> {
    let batch_size = batch_size.clamp(1, MAX_BATCH);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .clamp(1, 8);
    let mut summary = IngestSummary::default();
    let mut waiting: Vec<RawArticle> = Vec::new();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut pending: Option<std::thread::ScopedJoinHandle<'_, AnalyzedBatch>> = None;
        let mut parts = parts.fuse();
        loop {
            let next = parts.next();
            let last = next.is_none();
            if let Some((raws, errors)) = next {
                summary.read += errors.len() as u64;
                summary.failed.extend(errors);
                waiting.extend(raws);
            }
            while waiting.len() >= batch_size || (last && !waiting.is_empty()) {
                let rest = waiting.split_off(waiting.len().min(batch_size));
                let raws = engine.admit(std::mem::replace(&mut waiting, rest), &mut summary)?;
                let first_seq = engine.next_admitted_seq() - raws.len() as u64;
                let snapshot = engine.boilerplate_snapshot();
                let embedder = engine.embedder();
                let next = scope.spawn(move || {
                    analyze_batch(raws, first_seq, &snapshot, threads, embedder.as_deref())
                });
                if let Some(prev) = pending.take() {
                    place(engine, prev, &mut summary, progress)?;
                }
                pending = Some(next);
            }
            if last {
                break;
            }
        }
        if let Some(prev) = pending.take() {
            place(engine, prev, &mut summary, progress)?;
        }
        Ok(())
    })?;
    engine.finish()?;
    Ok(summary)
}

fn place(
    engine: &mut Engine,
    analysed: std::thread::ScopedJoinHandle<'_, AnalyzedBatch>,
    summary: &mut IngestSummary,
    progress: &mut dyn FnMut(&IngestSummary),
) -> anyhow::Result<()> {
    let analysed = analysed
        .join()
        .map_err(|_| anyhow::anyhow!("analysis thread panicked"))??;
    engine.place_batch(analysed, summary)?;
    progress(summary);
    Ok(())
}

/// Reads every path and feeds the engine through the one loop; bad records are counted in the
/// summary, not fatal. A reader thread runs beside the loop.
pub fn ingest_paths(
    engine: &mut Engine,
    paths: &[PathBuf],
    options: &ReadOptions<'_>,
    batch_size: usize,
    progress: &mut dyn FnMut(&IngestSummary),
) -> anyhow::Result<IngestSummary> {
    let batch_size = batch_size.clamp(1, MAX_BATCH);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<RawArticle>, Vec<String>)>(2);
        scope.spawn(move || {
            let mut raws = Vec::with_capacity(batch_size);
            let mut errors = Vec::new();
            let mut open = true;
            read_paths(paths, options, &mut |item| {
                if !open {
                    return;
                }
                match item {
                    Ok(raw) => raws.push(raw),
                    Err(e) => errors.push(e.to_string()),
                }
                if raws.len() >= batch_size {
                    let chunk = (std::mem::take(&mut raws), std::mem::take(&mut errors));
                    // A closed channel means the loop stopped on an error: stop reading.
                    open = tx.send(chunk).is_ok();
                }
            });
            if open && (!raws.is_empty() || !errors.is_empty()) {
                let _ = tx.send((raws, errors));
            }
        });
        ingest_parts(engine, rx.into_iter(), batch_size, progress)
    })
}
