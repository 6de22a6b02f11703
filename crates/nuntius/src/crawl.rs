//! `nuntius sources …` and `nuntius crawl`: the sources to poll, and the crawler that polls
//! them, extracts their new pages and ingests them through the one engine.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use nuntius_crawl::{source_url, source_view, Crawler, RoundOptions, RoundSummary};
use nuntius_engine::datadir::{store_path, WriterLock};
use nuntius_engine::Settings;
use nuntius_store::SqliteStore;

/// Longest sleep between rounds of a crawler that keeps going (sources added meanwhile are seen).
const MAX_IDLE: Duration = Duration::from_secs(60);

#[derive(Subcommand)]
pub enum SourcesCommand {
    /// Add feeds, sitemaps or section pages to poll (their kind is read from their content).
    Add {
        #[arg(required = true)]
        urls: Vec<String>,
        /// How often to poll, e.g. 15m, 1h (default: `crawl.default_every_secs`).
        #[arg(long)]
        every: Option<humantime::Duration>,
    },
    /// Add every feed (`xmlUrl`) of an OPML subscription list.
    Import {
        file: PathBuf,
        #[arg(long)]
        every: Option<humantime::Duration>,
    },
    /// Every source with its crawl state.
    List {
        /// One JSON object per source.
        #[arg(long)]
        json: bool,
    },
    /// Stop polling a source (what it brought stays).
    Remove { url: String },
}

#[derive(clap::Args)]
pub struct CrawlArgs {
    /// One round, then exit: 0 when every due source was polled, 2 when one failed.
    #[arg(long)]
    pub once: bool,
    /// Poll every source now, due or not.
    #[arg(long)]
    pub all: bool,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Takes the writer lock for a change to the sources, or says how to reach the server.
fn lock_for(data_dir: &Path, role: &str) -> Result<WriterLock> {
    if let Some(server) = nuntius_server::running_server(data_dir) {
        bail!(
            "`nuntius serve` (pid {}) owns this data dir; change its sources through {}/api/sources",
            server.pid,
            server.url
        );
    }
    WriterLock::acquire(data_dir, role)
}

fn open_store(data_dir: &Path) -> Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    Ok(SqliteStore::open(&store_path(data_dir))?)
}

pub fn sources(data_dir: &Path, settings: &Settings, what: SourcesCommand) -> Result<ExitCode> {
    let every = |e: Option<humantime::Duration>| -> Result<u64> {
        let secs = e.map_or(settings.crawl.default_every_secs, |d| d.as_secs());
        if secs == 0 {
            bail!("--every must be at least 1s");
        }
        Ok(secs)
    };
    match what {
        SourcesCommand::Add { urls, every: e } => {
            let secs = every(e)?;
            let _lock = lock_for(data_dir, "sources")?;
            add_all(&open_store(data_dir)?, &urls, secs)
        }
        SourcesCommand::Import { file, every: e } => {
            let secs = every(e)?;
            let bytes = read_bounded(&file, 16 << 20)?;
            let urls = nuntius_crawl::opml_feeds(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let _lock = lock_for(data_dir, "sources")?;
            add_all(&open_store(data_dir)?, &urls, secs)
        }
        SourcesCommand::List { json } => {
            let store = open_store(data_dir)?;
            let mut out = io::BufWriter::new(io::stdout().lock());
            for s in store.sources()? {
                let v = source_view(&s);
                if json {
                    writeln!(out, "{v}")?;
                } else {
                    let text = |k: &str| v[k].as_str().unwrap_or("-").to_string();
                    writeln!(
                        out,
                        "{}\n  kind {}, status {}, last fetch {}, next poll {}, items seen {}, new {}, errors {}",
                        crate::printable(&s.url),
                        text("kind"),
                        crate::printable(&text("status")),
                        text("last_fetch"),
                        text("next_poll"),
                        s.items_seen,
                        s.items_new,
                        s.errors
                    )?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        SourcesCommand::Remove { url } => {
            let _lock = lock_for(data_dir, "sources")?;
            let store = open_store(data_dir)?;
            let canonical = source_url(url.trim()).unwrap_or_else(|_| url.trim().to_string());
            if store.remove_source(&canonical)? || store.remove_source(url.trim())? {
                eprintln!("removed {canonical}");
                Ok(ExitCode::SUCCESS)
            } else {
                bail!("no source {url}");
            }
        }
    }
}

/// Adds each URL; a bad one is reported and the rest are added (exit 2).
fn add_all(store: &SqliteStore, urls: &[String], every_secs: u64) -> Result<ExitCode> {
    let now = unix_now();
    let (mut added, mut known, mut bad) = (0, 0, 0);
    for input in urls {
        match source_url(input.trim()) {
            Ok(url) => {
                if store.add_source(&url, every_secs, now)? {
                    added += 1;
                } else {
                    known += 1;
                }
            }
            Err(e) => {
                eprintln!("  failed: {}", crate::printable(&e));
                bad += 1;
            }
        }
    }
    eprintln!("sources added {added}, already there {known}, failed {bad}");
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        bail!("{} is larger than {max} bytes", path.display());
    }
    Ok(bytes)
}

pub fn crawl(data_dir: &Path, settings: &Settings, args: CrawlArgs) -> Result<ExitCode> {
    if let Some(server) = nuntius_server::running_server(data_dir) {
        bail!(
            "`nuntius serve` (pid {}) owns this data dir; run the crawler inside it with `nuntius serve --crawl`",
            server.pid
        );
    }
    let _lock = WriterLock::acquire(data_dir, "crawl")?;
    if settings.crawl.contact.trim().is_empty() {
        eprintln!("note: set `crawl.contact` in the config file to a URL where site owners can reach you; it goes in the User-Agent");
    }
    let mut engine = crate::open_engine(data_dir, settings)?;
    let store = SqliteStore::open(&store_path(data_dir))?;
    let mut crawler = Crawler::new(settings.crawl.clone(), store, settings.ingest.batch)?;
    let mut all = args.all;
    loop {
        let summary = crawler.run_round(&mut engine, RoundOptions { all, now: None })?;
        print_round(&summary);
        // Webhooks of follows the round's articles matched, as `ingest` delivers them.
        crate::follow::deliver_after_ingest(data_dir, settings);
        if args.once {
            return Ok(if summary.sources_failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
        all = false;
        let wait = crawler
            .next_due_in()?
            .map_or(MAX_IDLE, Duration::from_secs)
            .clamp(Duration::from_secs(1), MAX_IDLE);
        std::thread::sleep(wait);
    }
}

fn print_round(s: &RoundSummary) {
    eprintln!(
        "sources polled {} (not modified {}, failed {}), items listed {}, new {}: stored {}, robots.txt {}, gone {}, skipped {}, errors {}, left for later {}",
        s.sources_polled,
        s.sources_not_modified,
        s.sources_failed.len(),
        s.items_listed,
        s.items_new,
        s.stored,
        s.skipped_robots,
        s.gone,
        s.skipped_other,
        s.item_errors,
        s.deferred
    );
    for (url, reason) in &s.sources_failed {
        eprintln!(
            "  source failed: {}: {}",
            crate::printable(url),
            crate::printable(reason)
        );
    }
    for f in &s.ingest.failed {
        eprintln!("  failed: {}", crate::printable(f));
    }
    for w in &s.ingest.warnings {
        eprintln!("  warning: {}", crate::printable(w));
    }
}
