//! The ingest engine and the read-side views, shared by the CLI and the server.
//!
//! `engine` feeds raw articles through analysis, the entity registry, dedup and clustering into a
//! [`nuntius_store::Store`]; `view` builds what people read (export records, story summaries and
//! details) from a store; `datadir` opens a data directory for one writer at a time.

pub mod datadir;
pub mod embedding;
pub mod engine;
pub mod view;
pub mod web;

pub use engine::{identity, Engine, IngestSummary};

use std::path::PathBuf;

use nuntius_model::RawArticle;
use nuntius_readers::{read_paths, ReadOptions};

/// A batch analysed on another thread, waiting to be placed.
type AnalyzedBatch = anyhow::Result<Vec<engine::Analyzed>>;

/// Reads every path and feeds the engine in batches of `batch_size`; bad records are counted in
/// the summary, not fatal. `progress` is called after each batch.
///
/// Three stages overlap: a reader thread, the analysis of batch k+1 on another thread, and the
/// placement of batch k here. Batch k+1 is analysed against the boilerplate known before batch k
/// is placed, a fixed lag, so the result does not depend on thread timing.
pub fn ingest_paths(
    engine: &mut Engine,
    paths: &[PathBuf],
    options: &ReadOptions<'_>,
    batch_size: usize,
    progress: &mut dyn FnMut(&IngestSummary),
) -> anyhow::Result<IngestSummary> {
    let batch_size = batch_size.max(1);
    let mut summary = IngestSummary::default();
    std::thread::scope(|scope| -> anyhow::Result<()> {
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
                    // A closed channel means the placer stopped on an error: stop reading.
                    open = tx.send(chunk).is_ok();
                }
            });
            if open && (!raws.is_empty() || !errors.is_empty()) {
                let _ = tx.send((raws, errors));
            }
        });
        let mut pending: Option<std::thread::ScopedJoinHandle<'_, AnalyzedBatch>> = None;
        for (raws, errors) in rx {
            summary.read += errors.len() as u64;
            summary.failed.extend(errors);
            let raws = engine.drop_known(raws, &mut summary);
            let snapshot = engine.boilerplate_snapshot();
            let embedder = engine.embedder();
            let next =
                scope.spawn(move || engine::analyze_batch(raws, &snapshot, 1, embedder.as_deref()));
            if let Some(prev) = pending.take() {
                let analyzed = prev
                    .join()
                    .map_err(|_| anyhow::anyhow!("analysis thread panicked"))??;
                engine.place_batch(analyzed, &mut summary)?;
                progress(&summary);
            }
            pending = Some(next);
        }
        if let Some(prev) = pending.take() {
            let analyzed = prev
                .join()
                .map_err(|_| anyhow::anyhow!("analysis thread panicked"))??;
            engine.place_batch(analyzed, &mut summary)?;
            progress(&summary);
        }
        Ok(())
    })?;
    engine.finish()?;
    Ok(summary)
}
