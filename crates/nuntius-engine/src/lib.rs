//! The ingest engine and the read-side views, shared by the CLI and the server.
//!
//! `engine` feeds raw articles through analysis, the entity registry, dedup and clustering into a
//! [`nuntius_store::Store`]; `view` builds what people read (export records, story summaries and
//! details) from a store; `datadir` opens a data directory for one writer at a time.

pub mod datadir;
pub mod engine;
pub mod view;

pub use engine::{identity, Engine, IngestSummary};

use std::path::PathBuf;

use nuntius_readers::{read_paths, ReadOptions};

/// Reads every path and feeds the engine in batches of `batch_size`; bad records are counted in
/// the summary, not fatal. `progress` is called after each batch.
pub fn ingest_paths(
    engine: &mut Engine,
    paths: &[PathBuf],
    options: &ReadOptions<'_>,
    batch_size: usize,
    progress: &mut dyn FnMut(&IngestSummary),
) -> anyhow::Result<IngestSummary> {
    let batch_size = batch_size.max(1);
    let mut summary = IngestSummary::default();
    let mut pending = Vec::with_capacity(batch_size);
    let mut fatal: Option<anyhow::Error> = None;
    read_paths(paths, options, &mut |item| {
        if fatal.is_some() {
            return;
        }
        match item {
            Ok(raw) => {
                pending.push(raw);
                if pending.len() >= batch_size {
                    let batch = std::mem::take(&mut pending);
                    if let Err(e) = engine.ingest_batch(batch, &mut summary) {
                        fatal = Some(e);
                    }
                    progress(&summary);
                }
            }
            Err(e) => {
                summary.read += 1;
                summary.failed.push(e.to_string());
            }
        }
    });
    if let Some(e) = fatal {
        return Err(e);
    }
    if !pending.is_empty() {
        engine.ingest_batch(pending, &mut summary)?;
        progress(&summary);
    }
    Ok(summary)
}
