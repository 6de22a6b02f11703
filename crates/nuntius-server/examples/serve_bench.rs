//! Builds a large store and measures serving latency (what `nuntius bench serve` prints).
//!
//! ```sh
//! # 1. a 100k-article corpus replicating the shared evaluation data (new ids, shifted dates)
//! cargo run --release -p nuntius-server --example serve_bench -- generate /tmp/corpus100k.jsonl 100000 \
//!     ../shared/data/dice/articles.jsonl.gz ../shared/data/semeval8/articles.jsonl.gz \
//!     ../shared/data/og2021/articles.jsonl.gz
//! # 2. ingest it (same engine as `nuntius ingest /tmp/corpus100k.jsonl --data-dir /tmp/nuntius100k`)
//! cargo run --release -p nuntius-server --example serve_bench -- ingest /tmp/nuntius100k /tmp/corpus100k.jsonl
//! # 3. p50/p90/p99 of the story page, search and the story list over loopback HTTP
//! cargo run --release -p nuntius-server --example serve_bench -- measure /tmp/nuntius100k 1000
//! ```

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use nuntius_engine::datadir::{store_path, WriterLock};
use nuntius_engine::Engine;
use nuntius_readers::ReadOptions;
use nuntius_server::{bench_serve, generate_corpus, BenchOptions, CorpusOptions};
use nuntius_store::SqliteStore;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") if args.len() >= 4 => {
            let out = PathBuf::from(&args[1]);
            let n: usize = args[2].parse().context("article count")?;
            let inputs: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut w = BufWriter::new(file);
            let summary = generate_corpus(
                &CorpusOptions {
                    inputs,
                    articles: n,
                    shift_days: 45,
                },
                &mut w,
            )?;
            w.flush()?;
            println!("{summary:?} -> {}", out.display());
        }
        Some("ingest") if args.len() == 3 => {
            let dir = PathBuf::from(&args[1]);
            let _lock = WriterLock::acquire(&dir, "ingest")?;
            let store = SqliteStore::open(&store_path(&dir))?;
            let mut engine = Engine::open(Box::new(store), nuntius_cluster::Params::default())?;
            let started = Instant::now();
            let mut last = Instant::now();
            let summary = nuntius_engine::ingest_paths(
                &mut engine,
                &[PathBuf::from(&args[2])],
                &ReadOptions::default(),
                512,
                &mut |s| {
                    if last.elapsed().as_secs() >= 10 {
                        last = Instant::now();
                        eprintln!("{} articles, {:.0}s", s.read, started.elapsed().as_secs_f64());
                    }
                },
            )?;
            println!(
                "read {} new {} already {} duplicates {} failed {} in {:.1}s",
                summary.read,
                summary.new,
                summary.already_stored,
                summary.duplicates,
                summary.failed.len(),
                started.elapsed().as_secs_f64()
            );
        }
        Some("measure") if args.len() >= 2 => {
            let requests = args.get(2).map_or(Ok(500), |n| n.parse()).context("request count")?;
            let report = bench_serve(
                &PathBuf::from(&args[1]),
                &BenchOptions {
                    requests,
                    seed: 7,
                },
            )?;
            print!("{report}");
        }
        _ => bail!("usage: serve_bench generate OUT N INPUT... | ingest DATA_DIR FILE | measure DATA_DIR [REQUESTS]"),
    }
    Ok(())
}
