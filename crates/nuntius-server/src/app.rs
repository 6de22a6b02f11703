//! The server's shared state: read connections, the catalog, the search index, and the one writer
//! thread that owns the ingest engine.
//!
//! The engine is not `Send` (it owns its store as a trait object), so it lives on a thread of its
//! own and takes ingest jobs over a channel, one at a time: one writer per data dir, as the CLI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nuntius_engine::datadir::store_path;
use nuntius_engine::embedding::TextEmbedder;
use nuntius_engine::{Engine, IngestSummary, Settings};
use nuntius_model::RawArticle;
use nuntius_search::{SearchDoc, SearchIndex};
use nuntius_store::read::ReadQueries;
use nuntius_store::SqliteStore;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, ServerError};
use crate::metrics::Metrics;
use crate::readmodel::Catalog;

/// Read connections; SQLite in WAL mode serves them beside the writer.
const READERS: usize = 4;
/// Articles per engine batch (the CLI's default).
const BATCH: usize = 512;
/// Articles read per query when indexing for search.
const INDEX_CHUNK: u64 = 2000;
/// Longest the crawler sleeps between looks at its sources (a source's `next_poll` may have
/// been moved by another process, `nuntius sources add` on the same data dir).
const CRAWL_IDLE_SECS: u64 = 60;
/// Posts in flight at once (body read, parsed, waiting for or in the writer).
pub const INGEST_SLOTS: usize = 4;

/// How the app is opened.
#[derive(Clone)]
pub struct AppConfig {
    pub data_dir: PathBuf,
    /// Bearer token for the write API.
    pub token: String,
    /// Limits, body size and timeouts (`[serve]` and `[limits]` of the config file).
    pub settings: Settings,
    /// Whether to start the writer (false: a read-only app, as the benchmark uses).
    pub writer: bool,
    /// The embedding signal of the writer's engine, as `nuntius ingest` would use it.
    pub embedder: Option<Arc<dyn TextEmbedder>>,
    /// Whether to run the crawler (`serve --crawl`), its articles sent to the writer as jobs.
    pub crawl: bool,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("data_dir", &self.data_dir)
            .field("settings", &self.settings)
            .field("writer", &self.writer)
            .field("embedder", &self.embedder.as_ref().map(|e| e.describe()))
            .finish_non_exhaustive()
    }
}

/// The outcome of one ingest request.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct IngestReport {
    pub read: u64,
    pub new: u64,
    pub already_stored: u64,
    pub duplicates: u64,
    pub failed: Vec<String>,
    /// What was changed to store a record (a text cut to the limit, an unknown `lang`).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl IngestReport {
    pub(crate) fn from_summary(s: &IngestSummary, mut failed: Vec<String>) -> IngestReport {
        // Records the body's reader rejected never reached the engine.
        let read = s.read + failed.len() as u64;
        failed.extend(s.failed.iter().cloned());
        IngestReport {
            read,
            new: s.new,
            already_stored: s.already_stored,
            duplicates: s.duplicates,
            failed,
            warnings: s.warnings.clone(),
        }
    }
}

pub(crate) struct WriteJob {
    pub raws: Vec<RawArticle>,
    pub reply: tokio::sync::oneshot::Sender<Result<IngestSummary, ApiError>>,
}

#[derive(Debug, Clone)]
pub(crate) enum WriterState {
    Off,
    Opening,
    Ready,
    Failed(String),
}

/// State shared by every request.
pub struct Shared {
    pub data_dir: PathBuf,
    readers: Vec<Mutex<SqliteStore>>,
    next_reader: AtomicUsize,
    catalog: RwLock<Arc<Catalog>>,
    cards: Mutex<HashMap<u64, Value>>,
    pub(crate) search: Option<RwLock<SearchIndex>>,
    pub(crate) search_error: Option<String>,
    pub metrics: Metrics,
    pub(crate) token: String,
    pub(crate) max_body_bytes: usize,
    pub(crate) read_limits: nuntius_readers::Limits,
    pub(crate) request_timeout: Duration,
    /// Poll interval of sources added without one.
    pub(crate) crawl_every_secs: u64,
    jobs: Mutex<Option<mpsc::Sender<WriteJob>>>,
    writer_state: Mutex<WriterState>,
    pub(crate) indexed_seq: AtomicU64,
    /// Where links in feeds and webhook payloads point (`follow.public_url`).
    pub(crate) public_url: String,
    /// Wakes the webhook deliverer after an ingest (`webhooks.rs`).
    pub(crate) deliveries: Arc<crate::webhooks::Wake>,
    /// Wakes the crawler (`serve --crawl`) when a source is added, and stops it.
    pub(crate) crawl_wake: Arc<crate::webhooks::Wake>,
    /// Posts read, parsed and queued for the writer at once; more wait with their bodies unread,
    /// so queued bodies cannot pile up in memory.
    pub(crate) ingest_slots: tokio::sync::Semaphore,
}

impl Shared {
    /// Runs `f` with one of the read connections.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&SqliteStore) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(store) = self.readers[(start + i) % n].try_lock() {
                return f(&store);
            }
        }
        let store = self.readers[start % n]
            .lock()
            .map_err(|_| ApiError::Internal("a read connection was poisoned".into()))?;
        f(&store)
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        match self.catalog.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// A story's list card, cached until the next ingest.
    pub fn story_card(&self, story: u64) -> Result<Value, ApiError> {
        if let Some(card) = self.cards.lock().ok().and_then(|c| c.get(&story).cloned()) {
            return Ok(card);
        }
        let card = self.read(|s| crate::readmodel::story_card(s, story))?;
        if let Ok(mut cache) = self.cards.lock() {
            cache.insert(story, card.clone());
        }
        Ok(card)
    }

    fn refresh_catalog(&self, store: &SqliteStore) -> Result<(), ApiError> {
        let catalog = Arc::new(Catalog::build(store)?);
        self.metrics.set_articles(catalog.articles);
        if let Ok(mut slot) = self.catalog.write() {
            *slot = catalog;
        }
        if let Ok(mut cache) = self.cards.lock() {
            cache.clear();
        }
        Ok(())
    }

    pub(crate) fn writer_state(&self) -> WriterState {
        self.writer_state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(WriterState::Failed("writer state poisoned".into()))
    }

    fn set_writer_state(&self, state: WriterState) {
        if let Ok(mut s) = self.writer_state.lock() {
            *s = state;
        }
    }

    /// Sends an ingest job to the writer thread.
    pub(crate) fn submit(&self, job: WriteJob) -> Result<(), ApiError> {
        match self.writer_state() {
            WriterState::Off => {
                return Err(ApiError::WriterUnavailable(
                    "this server was started read-only".into(),
                ))
            }
            WriterState::Failed(e) => return Err(ApiError::WriterUnavailable(e)),
            WriterState::Opening | WriterState::Ready => {}
        }
        let jobs = self
            .jobs
            .lock()
            .map_err(|_| ApiError::Internal("writer channel poisoned".into()))?;
        let sender = jobs
            .as_ref()
            .ok_or_else(|| ApiError::WriterUnavailable("the server is shutting down".into()))?;
        sender
            .send(job)
            .map_err(|_| ApiError::WriterUnavailable("the writer has stopped".into()))
    }

    /// Bytes of the store files (database, WAL) and of the search index.
    pub fn store_bytes(&self) -> u64 {
        let base = store_path(&self.data_dir);
        let mut total = 0;
        for suffix in ["", "-wal"] {
            let mut p = base.clone().into_os_string();
            p.push(suffix);
            total += std::fs::metadata(PathBuf::from(p)).map_or(0, |m| m.len());
        }
        total
    }
}

/// A running app: shared state plus the writer thread.
pub struct App {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    crawler: Option<JoinHandle<()>>,
    deliverer: Option<JoinHandle<()>>,
}

fn search_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

fn indexed_seq_path(data_dir: &Path) -> PathBuf {
    search_dir(data_dir).join("nuntius-indexed-seq")
}

impl App {
    /// Opens the store and the search index and, with `config.writer`, starts the writer thread
    /// (which opens the engine in the background: pages are served at once).
    pub fn open(config: AppConfig) -> Result<App, ServerError> {
        std::fs::create_dir_all(&config.data_dir).map_err(ServerError::io(format!(
            "cannot create data dir {}",
            config.data_dir.display()
        )))?;
        let path = store_path(&config.data_dir);
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(Mutex::new(SqliteStore::open(&path)?));
        }
        let catalog = match readers.first().map(|r| r.lock()) {
            Some(Ok(store)) => Catalog::build(&store).map_err(ServerError::Api)?,
            _ => Catalog::default(),
        };
        let (search, search_error) = match SearchIndex::open(&search_dir(&config.data_dir)) {
            Ok(index) => (Some(RwLock::new(index)), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let indexed_seq = std::fs::read_to_string(indexed_seq_path(&config.data_dir))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let metrics = Metrics::default();
        metrics.set_articles(catalog.articles);
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            data_dir: config.data_dir.clone(),
            readers,
            next_reader: AtomicUsize::new(0),
            catalog: RwLock::new(Arc::new(catalog)),
            cards: Mutex::new(HashMap::new()),
            search,
            search_error,
            metrics,
            token: config.token,
            max_body_bytes: config.settings.serve.max_body_bytes,
            read_limits: config.settings.limits.read_limits(),
            request_timeout: Duration::from_secs(config.settings.serve.request_timeout_secs),
            crawl_every_secs: config.settings.crawl.default_every_secs,
            jobs: Mutex::new(config.writer.then_some(tx)),
            writer_state: Mutex::new(if config.writer {
                WriterState::Opening
            } else {
                WriterState::Off
            }),
            indexed_seq: AtomicU64::new(indexed_seq),
            public_url: config.settings.public_url(),
            deliveries: Arc::default(),
            crawl_wake: Arc::default(),
            ingest_slots: tokio::sync::Semaphore::new(INGEST_SLOTS),
        });
        let writer = if config.writer {
            let s = shared.clone();
            let embedder = config.embedder.clone();
            let limits = config.settings.limits.ingest_limits();
            let params = config.settings.cluster.params(embedder.is_some());
            Some(
                std::thread::Builder::new()
                    .name("nuntius-writer".into())
                    .spawn(move || writer_loop(&s, rx, embedder, params, limits))
                    .map_err(ServerError::io("cannot start the writer thread"))?,
            )
        } else {
            None
        };
        // The crawler fetches on a thread of its own and hands its articles to the writer as
        // jobs, so posts are taken between its chunks instead of waiting for a whole round.
        let crawler = if config.writer && config.crawl {
            let s = shared.clone();
            let settings = config.settings.crawl.clone();
            Some(
                std::thread::Builder::new()
                    .name("nuntius-crawler".into())
                    .spawn(move || crawler_loop(s, settings))
                    .map_err(ServerError::io("cannot start the crawler thread"))?,
            )
        } else {
            None
        };
        // The writer's process delivers the webhooks its placements queue.
        let deliverer = if config.writer {
            let (dir, follow, base) = (
                config.data_dir.clone(),
                config.settings.follow.clone(),
                shared.public_url.clone(),
            );
            let wake = shared.deliveries.clone();
            Some(
                std::thread::Builder::new()
                    .name("nuntius-webhooks".into())
                    .spawn(move || crate::webhooks::run_deliverer(&dir, &follow, &base, wake))
                    .map_err(ServerError::io("cannot start the webhook thread"))?,
            )
        } else {
            None
        };
        Ok(App {
            shared,
            writer,
            crawler,
            deliverer,
        })
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    pub fn router(&self) -> axum::Router {
        crate::api::router(self.shared.clone())
    }

    /// Waits until the writer has opened the engine and caught up the search index.
    pub fn wait_until_ready(&self, timeout: Duration) -> Result<(), ServerError> {
        let start = Instant::now();
        loop {
            match self.shared.writer_state() {
                WriterState::Ready | WriterState::Off => return Ok(()),
                WriterState::Failed(e) => return Err(ServerError::Engine(e)),
                WriterState::Opening if start.elapsed() > timeout => {
                    return Err(ServerError::Engine(
                        "the writer did not open in time".into(),
                    ))
                }
                WriterState::Opening => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Indexes for search any stored article the index has not seen (read-only apps: the
    /// benchmark). Returns how many were indexed.
    pub fn catch_up_search(&self) -> Result<u64, ServerError> {
        let store = SqliteStore::open(&store_path(&self.shared.data_dir))?;
        index_new_articles(&self.shared, &store).map_err(ServerError::Api)
    }

    /// Stops the writer after its current job.
    pub fn shutdown(mut self) {
        self.shared.crawl_wake.stop();
        if let Ok(mut jobs) = self.shared.jobs.lock() {
            jobs.take();
        }
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
        if let Some(handle) = self.crawler.take() {
            let _ = handle.join();
        }
        self.shared.deliveries.stop();
        if let Some(handle) = self.deliverer.take() {
            let _ = handle.join();
        }
    }
}

fn writer_loop(
    shared: &Shared,
    rx: mpsc::Receiver<WriteJob>,
    embedder: Option<Arc<dyn TextEmbedder>>,
    params: nuntius_cluster::Params,
    limits: nuntius_engine::IngestLimits,
) {
    let path = store_path(&shared.data_dir);
    let opened = SqliteStore::open(&path)
        .map_err(|e| e.to_string())
        .and_then(|store| {
            Engine::open(Box::new(store), params)
                .map(|engine| engine.with_embedder(embedder).with_limits(limits))
                .map_err(|e| format!("{e:#}"))
        })
        .and_then(|engine| {
            let reads = SqliteStore::open(&path).map_err(|e| e.to_string())?;
            Ok((engine, reads))
        });
    let (mut engine, reads) = match opened {
        Ok(x) => x,
        Err(e) => {
            shared.set_writer_state(WriterState::Failed(format!("cannot open the store: {e}")));
            return;
        }
    };
    if let Err(e) = repair_search(shared, &reads) {
        eprintln!("nuntius serve: search index catch-up failed: {e}");
    }
    shared.set_writer_state(WriterState::Ready);
    while let Ok(job) = rx.recv() {
        let result = ingest(shared, &mut engine, &reads, job.raws);
        let _ = job.reply.send(result);
    }
}

/// The crawler's articles, sent to the writer as jobs like posts.
struct WriterSink(Arc<Shared>);

impl nuntius_crawl::ArticleSink for WriterSink {
    fn ingest(&mut self, raws: Vec<RawArticle>, _batch: usize) -> anyhow::Result<IngestSummary> {
        let (reply, wait) = tokio::sync::oneshot::channel();
        self.0.submit(WriteJob { raws, reply })?;
        Ok(wait
            .blocking_recv()
            .map_err(|_| ApiError::WriterUnavailable("the writer stopped".into()))??)
    }
}

/// `serve --crawl`: rounds whenever a source is due (or one was just added), until shutdown.
fn crawler_loop(shared: Arc<Shared>, settings: nuntius_engine::settings::CrawlSettings) {
    let path = store_path(&shared.data_dir);
    let mut crawler = match SqliteStore::open(&path)
        .map_err(|e| e.to_string())
        .and_then(|store| {
            nuntius_crawl::Crawler::new(settings, store, BATCH).map_err(|e| e.to_string())
        }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nuntius serve: cannot start the crawler: {e}");
            return;
        }
    };
    let mut sink = WriterSink(shared.clone());
    loop {
        let due_in = match crawler.next_due_in() {
            Ok(d) => d.unwrap_or(CRAWL_IDLE_SECS),
            Err(e) => {
                eprintln!("nuntius serve: reading the sources failed: {e}");
                CRAWL_IDLE_SECS
            }
        };
        // At least a second between rounds, whatever a source's interval has become.
        if shared
            .crawl_wake
            .wait(Duration::from_secs(due_in.clamp(1, CRAWL_IDLE_SECS)))
        {
            return;
        }
        match crawler.run_round(&mut sink, nuntius_crawl::RoundOptions::default()) {
            Ok(summary) if summary.sources_polled > 0 => eprintln!(
                "nuntius serve: crawled {} sources ({} failed), stored {} articles",
                summary.sources_polled,
                summary.sources_failed.len(),
                summary.stored
            ),
            Ok(_) => {}
            Err(e) => {
                eprintln!("nuntius serve: crawl round failed: {e}");
                // Not in a hurry after a failure (the writer stopping, a store error).
                if shared.crawl_wake.wait(Duration::from_secs(CRAWL_IDLE_SECS)) {
                    return;
                }
            }
        }
    }
}

fn ingest(
    shared: &Shared,
    engine: &mut Engine,
    reads: &SqliteStore,
    raws: Vec<RawArticle>,
) -> Result<IngestSummary, ApiError> {
    // The same loop as `nuntius ingest`: a post is one more part of the stream.
    let summary = nuntius_engine::ingest_records(engine, std::iter::once(raws), BATCH, &mut |_| {})
        .map_err(|e| {
            let full = e.chain().any(|c| {
                c.downcast_ref::<nuntius_store::StoreError>()
                    .is_some_and(nuntius_store::StoreError::is_disk_full)
            });
            if full {
                ApiError::StorageFull(format!("{e:#}"))
            } else {
                ApiError::Internal(format!("ingest failed: {e:#}"))
            }
        })?;
    shared.metrics.add_ingested(summary.new);
    if summary.new > 0 {
        index_new_articles(shared, reads)?;
        shared.refresh_catalog(reads)?;
        shared.deliveries.wake();
    }
    Ok(summary)
}

/// Brings the search index up to the store on start: the articles after the last indexed one,
/// and, when the index still holds fewer articles than the store (its record of what it holds
/// was lost, or another writer's commits were), every article again (adding is an upsert).
fn repair_search(shared: &Shared, store: &SqliteStore) -> Result<(), ApiError> {
    let Some(search) = &shared.search else {
        return Ok(());
    };
    let held_and_stored = || -> Result<(u64, u64), ApiError> {
        let held = search
            .read()
            .map_err(|_| ApiError::Internal("search index poisoned".into()))?
            .doc_count();
        Ok((held, nuntius_store::Store::article_count(store)?))
    };
    // `nuntius ingest` keeps the index up to date itself but writes no record of it: an index
    // holding every stored article is up to date, and is not re-added whole (214 s at 1M).
    if shared.indexed_seq.load(Ordering::SeqCst) == 0 {
        let (held, stored) = held_and_stored()?;
        if stored > 0 && held == stored {
            record_indexed(shared, store.max_seq()?);
        }
    }
    index_new_articles(shared, store)?;
    let (held, stored) = held_and_stored()?;
    if held < stored {
        eprintln!("nuntius serve: the search index holds {held} of {stored} articles; reindexing");
        shared.indexed_seq.store(0, Ordering::SeqCst);
        index_new_articles(shared, store)?;
    }
    Ok(())
}

/// Notes that the search index holds every article up to `last`, in memory and on disk.
fn record_indexed(shared: &Shared, last: u64) {
    shared.indexed_seq.store(last, Ordering::SeqCst);
    let _ = std::fs::write(indexed_seq_path(&shared.data_dir), last.to_string());
}

/// Adds every article after the last indexed one to the search index and commits.
fn index_new_articles(shared: &Shared, store: &SqliteStore) -> Result<u64, ApiError> {
    let Some(search) = &shared.search else {
        return Ok(0);
    };
    let mut done = 0;
    let mut story_of: HashMap<u64, u64> = HashMap::new();
    loop {
        let from = shared.indexed_seq.load(Ordering::SeqCst);
        let rows = store.articles_after(from, INDEX_CHUNK)?;
        let Some(last) = rows.last().map(|a| a.seq) else {
            break;
        };
        let mut docs = Vec::with_capacity(rows.len());
        for a in rows {
            let story = match story_of.get(&a.event) {
                Some(s) => *s,
                None => {
                    let s = store.story_of_event(a.event)?;
                    story_of.insert(a.event, s);
                    s
                }
            };
            let entities = serde_json::from_str::<Vec<(u64, Vec<String>)>>(&a.entities)
                .map(|l| l.into_iter().map(|(e, _)| e).collect())
                .unwrap_or_default();
            docs.push(SearchDoc {
                seq: a.seq,
                id: a.id,
                title: a.title,
                text: a.text,
                lang: a.lang,
                source: a.source,
                day: a.day,
                entities,
                event: a.event,
                story,
            });
        }
        done += docs.len() as u64;
        {
            let mut index = search
                .write()
                .map_err(|_| ApiError::Internal("search index poisoned".into()))?;
            index
                .add(&docs)
                .and_then(|_| index.commit())
                .map_err(|e| ApiError::SearchUnavailable(e.to_string()))?;
        }
        record_indexed(shared, last);
    }
    Ok(done)
}
