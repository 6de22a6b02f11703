//! A crawl round: poll every due source (conditional GET), pick the items never fetched before
//! (at most `max_new_per_round` per source), fetch and extract them concurrently under the
//! fetcher's politeness, and feed them to the one ingest loop in a fixed order (sources in the
//! order they were added, their items taken in turn), so the same site gives the same store.
//!
//! What a kill mid-round can leave: articles stored without their fetch records (found by
//! identity next round, recorded, not fetched), and sources whose poll state was not written
//! (polled again with the old validators). Nothing is lost, nothing stored is fetched again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use nuntius_engine::settings::CrawlSettings;
use nuntius_engine::{Engine, IngestSummary};
use nuntius_model::RawArticle;
use nuntius_store::{FetchRow, SourceRow, SqliteStore};
use nuntius_web::{canonical_url, extract_page, WebRecord};
use serde::Serialize;

use crate::discover::{parse_listing, Listed, Listing, SourceKind};
use crate::error::{CrawlError, FetchError};
use crate::fetch::{Fetcher, Validators};

/// Sitemaps of one index read per round.
const MAX_CHILD_SITEMAPS: usize = 50;
/// Items fetched ahead of the one being ingested.
const FETCH_AHEAD: usize = 256;
/// Articles fed to the engine (and their fetch records written) at a time.
const INGEST_CHUNK: usize = 64;

/// How one round runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundOptions {
    /// Poll every source, due or not.
    pub all: bool,
    /// Unix seconds to plan with; `None`: the clock.
    pub now: Option<i64>,
}

/// What one round did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoundSummary {
    pub sources_polled: u64,
    pub sources_not_modified: u64,
    /// `(source url, reason)` for every source that could not be read.
    pub sources_failed: Vec<(String, String)>,
    pub items_listed: u64,
    /// Items fetched (or found already stored) this round.
    pub items_new: u64,
    pub stored: u64,
    pub skipped_robots: u64,
    pub gone: u64,
    /// Items over the page size, not HTML, without an article, or in a redirect loop.
    pub skipped_other: u64,
    /// Items that failed for now (retried next round until `max_item_attempts`).
    pub item_errors: u64,
    /// New items left for later rounds by the per-round cap.
    pub deferred: u64,
    /// The engine's counts for what was ingested.
    #[serde(skip)]
    pub ingest: IngestSummary,
}

/// Where a round's articles go: the one ingest loop, run here on the engine (`nuntius crawl`)
/// or by a server's writer thread (`serve --crawl`, which takes posts between the chunks).
pub trait ArticleSink {
    /// Ingests `raws` in order, `batch` per transaction; returns once they are stored.
    fn ingest(&mut self, raws: Vec<RawArticle>, batch: usize) -> anyhow::Result<IngestSummary>;
}

impl ArticleSink for Engine {
    fn ingest(&mut self, raws: Vec<RawArticle>, batch: usize) -> anyhow::Result<IngestSummary> {
        nuntius_engine::ingest_records(self, std::iter::once(raws), batch, &mut |_| {})
    }
}

/// The crawler: its HTTP side, its async runtime and its own store connection (for the
/// sources and fetch records; articles go through the engine).
pub struct Crawler {
    settings: CrawlSettings,
    fetcher: Arc<Fetcher>,
    runtime: tokio::runtime::Runtime,
    store: SqliteStore,
    batch: usize,
}

/// One source's poll, before its items are fetched.
struct Poll {
    source: SourceRow,
    outcome: PollOutcome,
}

enum PollOutcome {
    NotModified,
    Listed {
        listing: Listing,
        validators: Validators,
    },
    Failed {
        reason: String,
        retry_after: Option<Duration>,
    },
}

/// An item to fetch, with the source that listed it.
#[derive(Debug, Clone)]
struct Candidate {
    url: String,
    source: u64,
    attempts: u32,
}

/// What fetching one item gave.
enum ItemResult {
    Article(Box<RawArticle>),
    Skipped {
        outcome: &'static str,
        status: Option<u16>,
    },
    Failed {
        status: Option<u16>,
    },
}

impl Crawler {
    /// A crawler over the store at `store` (a connection of its own), ingesting `batch` articles
    /// per engine transaction.
    pub fn new(
        settings: CrawlSettings,
        store: SqliteStore,
        batch: usize,
    ) -> Result<Crawler, CrawlError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nuntius-crawl")
            .enable_all()
            .build()
            .map_err(CrawlError::Runtime)?;
        let fetcher = Arc::new(Fetcher::new(&settings)?);
        Ok(Crawler {
            settings,
            fetcher,
            runtime,
            store,
            batch,
        })
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    /// Seconds until the next source is due (for a crawler that keeps going).
    pub fn next_due_in(&self) -> Result<Option<u64>, CrawlError> {
        let now = unix_now();
        Ok(self
            .store
            .sources()?
            .iter()
            .map(|s| (s.next_poll - now).max(0) as u64)
            .min())
    }

    /// One round; see the module comment.
    pub fn run_round(
        &mut self,
        sink: &mut dyn ArticleSink,
        options: RoundOptions,
    ) -> Result<RoundSummary, CrawlError> {
        let now = options.now.unwrap_or_else(unix_now);
        let due = if options.all {
            self.store.sources()?
        } else {
            self.store.due_sources(now)?
        };
        let mut summary = RoundSummary::default();
        let polls = self.poll_sources(due)?;
        // Items chosen per source, in the source's order.
        let mut per_source: Vec<Vec<Candidate>> = Vec::new();
        let mut chosen = BTreeSet::new();
        let mut found_stored = Vec::new();
        let mut pending: BTreeMap<u64, usize> = BTreeMap::new();
        for poll in &polls {
            summary.sources_polled += 1;
            let PollOutcome::Listed { listing, .. } = &poll.outcome else {
                per_source.push(Vec::new());
                continue;
            };
            summary.items_listed += listing.items.len() as u64;
            let mut picked = Vec::new();
            for item in &listing.items {
                let url = canonical_url(&item.url);
                if chosen.contains(&url) {
                    continue;
                }
                let attempts = match self.store.fetch_record(&url)? {
                    Some(r) if r.outcome != "error" => continue,
                    Some(r) if r.attempts >= self.settings.max_item_attempts => continue,
                    Some(r) => r.attempts,
                    None => 0,
                };
                if self.store.has_article(&url)? {
                    // Stored before its fetch record was written (a kill mid-round), or
                    // ingested from a file: record it, fetch nothing.
                    chosen.insert(url.clone());
                    found_stored.push(FetchRow {
                        url: url.clone(),
                        source: Some(poll.source.id),
                        outcome: "stored".into(),
                        http_status: None,
                        article: Some(url),
                        attempts: attempts + 1,
                        fetched: now,
                    });
                    continue;
                }
                if picked.len() >= self.settings.max_new_per_round {
                    summary.deferred += 1;
                    *pending.entry(poll.source.id).or_default() += 1;
                    continue;
                }
                chosen.insert(url.clone());
                picked.push(Candidate {
                    url,
                    source: poll.source.id,
                    attempts,
                });
            }
            per_source.push(picked);
        }
        summary.items_new = found_stored.len() as u64;
        summary.stored += found_stored.len() as u64;
        self.store.record_fetches(&found_stored)?;
        let mut stored_per_source: BTreeMap<u64, u64> = BTreeMap::new();
        for r in &found_stored {
            if let Some(s) = r.source {
                *stored_per_source.entry(s).or_default() += 1;
            }
        }
        let order = interleave(per_source);
        summary.items_new += order.len() as u64;
        self.fetch_and_ingest(sink, order, now, &mut summary, &mut stored_per_source)?;
        for poll in polls {
            let update = self.next_state(poll, now, &stored_per_source, &pending, &mut summary);
            self.store.update_source(&update)?;
        }
        Ok(summary)
    }

    /// Polls every source at once (each host still one request at a time).
    fn poll_sources(&self, due: Vec<SourceRow>) -> Result<Vec<Poll>, CrawlError> {
        let max_bytes = self.settings.max_source_bytes;
        let handles: Vec<_> = due
            .into_iter()
            .map(|source| {
                let fetcher = self.fetcher.clone();
                self.runtime.spawn(async move {
                    let validators = Validators {
                        etag: source.etag.clone(),
                        last_modified: source.last_modified.clone(),
                    };
                    let outcome = poll_one(&fetcher, &source.url, &validators, max_bytes).await;
                    Poll { source, outcome }
                })
            })
            .collect();
        self.runtime.block_on(async {
            let mut polls = Vec::with_capacity(handles.len());
            for h in handles {
                polls.push(h.await.map_err(|e| CrawlError::Task(e.to_string()))?);
            }
            Ok(polls)
        })
    }

    /// Fetches `order` concurrently and ingests the articles in that order, a chunk at a time;
    /// each chunk's fetch records are written after its articles are stored.
    fn fetch_and_ingest(
        &mut self,
        sink: &mut dyn ArticleSink,
        order: Vec<Candidate>,
        now: i64,
        summary: &mut RoundSummary,
        stored_per_source: &mut BTreeMap<u64, u64>,
    ) -> Result<(), CrawlError> {
        let max_bytes = self.settings.max_page_bytes;
        let fetcher = self.fetcher.clone();
        let handle = self.runtime.handle().clone();
        // Tasks are spawned as the buffer pulls them, so at most FETCH_AHEAD wait at once; they
        // go on fetching while this thread ingests.
        let mut results = futures_util::stream::iter(order.into_iter().map(move |c| {
            let fetcher = fetcher.clone();
            handle.spawn(async move {
                let result = fetch_item(&fetcher, &c.url, max_bytes).await;
                (c, result)
            })
        }))
        .buffered(FETCH_AHEAD);
        let mut chunk: Vec<(Candidate, ItemResult)> = Vec::new();
        loop {
            let next = self.runtime.block_on(results.next());
            let done = next.is_none();
            if let Some(joined) = next {
                chunk.push(joined.map_err(|e| CrawlError::Task(e.to_string()))?);
            }
            if chunk.len() >= INGEST_CHUNK || (done && !chunk.is_empty()) {
                let part = std::mem::take(&mut chunk);
                self.ingest_chunk(sink, part, now, summary, stored_per_source)?;
            }
            if done {
                return Ok(());
            }
        }
    }

    fn ingest_chunk(
        &mut self,
        sink: &mut dyn ArticleSink,
        chunk: Vec<(Candidate, ItemResult)>,
        now: i64,
        summary: &mut RoundSummary,
        stored_per_source: &mut BTreeMap<u64, u64>,
    ) -> Result<(), CrawlError> {
        let mut raws = Vec::new();
        let mut rows = Vec::new();
        for (c, result) in chunk {
            let mut row = FetchRow {
                url: c.url.clone(),
                source: Some(c.source),
                outcome: String::new(),
                http_status: Some(200),
                article: None,
                attempts: c.attempts + 1,
                fetched: now,
            };
            match result {
                ItemResult::Article(raw) => {
                    row.article = Some(nuntius_engine::identity(&raw));
                    raws.push(*raw);
                }
                ItemResult::Skipped { outcome, status } => {
                    match outcome {
                        "robots" => summary.skipped_robots += 1,
                        "gone" => summary.gone += 1,
                        _ => summary.skipped_other += 1,
                    }
                    row.outcome = outcome.into();
                    row.http_status = status;
                }
                ItemResult::Failed { status } => {
                    summary.item_errors += 1;
                    row.outcome = "error".into();
                    row.http_status = status;
                }
            }
            rows.push(row);
        }
        if !raws.is_empty() {
            let ingested = sink.ingest(raws, self.batch).map_err(CrawlError::Ingest)?;
            summary.ingest.add(ingested);
        }
        for row in rows.iter_mut().filter(|r| r.article.is_some()) {
            let id = row.article.clone().unwrap_or_default();
            if self.store.has_article(&id)? {
                row.outcome = "stored".into();
                summary.stored += 1;
                if let Some(s) = row.source {
                    *stored_per_source.entry(s).or_default() += 1;
                }
            } else {
                // Refused by the engine's admission (its reason is in the ingest summary).
                row.outcome = "rejected".into();
                row.article = None;
                summary.skipped_other += 1;
            }
        }
        self.store.record_fetches(&rows)?;
        Ok(())
    }

    /// A source's state after the round: validators only once its listing was fully taken
    /// (a capped listing must be read again), the interval adapted, the next poll planned.
    fn next_state(
        &self,
        poll: Poll,
        now: i64,
        stored: &BTreeMap<u64, u64>,
        pending: &BTreeMap<u64, usize>,
        summary: &mut RoundSummary,
    ) -> SourceRow {
        let mut s = poll.source;
        let stored_now = stored.get(&s.id).copied().unwrap_or(0);
        let backlog = pending.get(&s.id).copied().unwrap_or(0);
        s.last_fetch = Some(now);
        let floor = (s.every_secs / 4).max(1);
        let ceiling = s.every_secs.saturating_mul(8).max(floor);
        match poll.outcome {
            PollOutcome::NotModified => {
                summary.sources_not_modified += 1;
                s.status = Some("not-modified".into());
                s.failures = 0;
                s.interval_secs = grow(s.interval_secs).clamp(floor, ceiling);
                s.next_poll = now + s.interval_secs as i64;
            }
            PollOutcome::Listed {
                listing,
                validators,
            } => {
                s.kind = Some(listing.kind.as_str().to_string());
                s.status = Some("ok".into());
                s.failures = 0;
                s.items_seen = listing.items.len() as u64;
                s.items_new += stored_now;
                s.interval_secs = if stored_now > 0 {
                    (s.interval_secs / 2).clamp(floor, ceiling)
                } else {
                    grow(s.interval_secs).clamp(floor, ceiling)
                };
                if backlog == 0 {
                    s.etag = validators.etag;
                    s.last_modified = validators.last_modified;
                    s.next_poll = now + s.interval_secs as i64;
                } else {
                    // The cap left items behind: come back soon, unconditionally.
                    s.next_poll = now + floor as i64;
                }
            }
            PollOutcome::Failed {
                reason,
                retry_after,
            } => {
                summary.sources_failed.push((s.url.clone(), reason.clone()));
                s.status = Some(reason);
                s.errors += 1;
                s.failures = s.failures.saturating_add(1);
                let backoff = s
                    .interval_secs
                    .saturating_mul(1u64 << s.failures.min(16))
                    .min(self.settings.max_backoff_secs);
                let asked = retry_after
                    .map_or(0, |d| d.as_secs())
                    .min(self.settings.max_backoff_secs);
                s.next_poll = now + backoff.max(asked) as i64;
            }
        }
        s
    }
}

fn grow(interval: u64) -> u64 {
    interval.saturating_add(interval / 2).max(1)
}

/// Items taken from each source in turn, so one big source does not hold up the others' hosts.
fn interleave(per_source: Vec<Vec<Candidate>>) -> Vec<Candidate> {
    let mut iters: Vec<_> = per_source.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    loop {
        let before = out.len();
        for it in &mut iters {
            if let Some(c) = it.next() {
                out.push(c);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Fetches and reads one source; an index's sitemaps are read too (their items joined).
async fn poll_one(
    fetcher: &Fetcher,
    url: &str,
    validators: &Validators,
    max_bytes: usize,
) -> PollOutcome {
    let response = match fetcher.fetch(url, validators, max_bytes).await {
        Ok(r) => r,
        Err(e) => {
            return PollOutcome::Failed {
                reason: e.to_string(),
                retry_after: None,
            }
        }
    };
    match response.status {
        304 => return PollOutcome::NotModified,
        200..=299 => {}
        status => {
            return PollOutcome::Failed {
                reason: format!("HTTP {status}"),
                retry_after: response.retry_after,
            }
        }
    }
    let mut listing = match parse_listing(
        &response.body,
        &response.url,
        response.content_type.as_deref(),
    ) {
        Ok(l) => l,
        Err(e) => {
            return PollOutcome::Failed {
                reason: e.to_string(),
                retry_after: None,
            }
        }
    };
    if listing.kind == SourceKind::SitemapIndex {
        let children = std::mem::take(&mut listing.sitemaps);
        for child in children.into_iter().take(MAX_CHILD_SITEMAPS) {
            let Ok(r) = fetcher
                .fetch(&child, &Validators::default(), max_bytes)
                .await
            else {
                continue;
            };
            if !(200..300).contains(&r.status) {
                continue;
            }
            if let Ok(sub) = parse_listing(&r.body, &r.url, r.content_type.as_deref()) {
                let room = crate::discover::MAX_LISTED.saturating_sub(listing.items.len());
                listing.items.extend(sub.items.into_iter().take(room));
            }
        }
        // Newest first across the index, as within one sitemap.
        listing
            .items
            .sort_by(|a: &Listed, b: &Listed| b.date.cmp(&a.date));
    }
    PollOutcome::Listed {
        listing,
        validators: response.validators,
    }
}

/// Fetches one item page and extracts its article.
async fn fetch_item(fetcher: &Fetcher, url: &str, max_bytes: usize) -> ItemResult {
    let response = match fetcher.fetch(url, &Validators::default(), max_bytes).await {
        Ok(r) => r,
        Err(e) => {
            let outcome = match e {
                FetchError::Robots => "robots",
                FetchError::TooLarge(_) => "too-large",
                FetchError::Redirects(_) => "redirects",
                FetchError::BadUrl(_) => "bad-url",
                FetchError::Network(_) | FetchError::Timeout => {
                    return ItemResult::Failed { status: None }
                }
            };
            return ItemResult::Skipped {
                outcome,
                status: None,
            };
        }
    };
    match response.status {
        200..=299 => {}
        404 | 410 => {
            return ItemResult::Skipped {
                outcome: "gone",
                status: Some(response.status),
            }
        }
        429 | 500..=599 => {
            return ItemResult::Failed {
                status: Some(response.status),
            }
        }
        status => {
            return ItemResult::Skipped {
                outcome: "http-error",
                status: Some(status),
            }
        }
    }
    let final_url = response.url.clone();
    let extracted = tokio::task::spawn_blocking(move || {
        extract_page(
            &response.body,
            Some(&final_url),
            response.content_type.as_deref(),
        )
        .map(|page| (page, final_url))
    })
    .await;
    let Ok(Ok((page, final_url))) = extracted else {
        return ItemResult::Skipped {
            outcome: "not-html",
            status: Some(200),
        };
    };
    let record = WebRecord {
        record: 0,
        url: Some(final_url.clone()),
        fetched: None,
        page: Some(page),
        feed_item: None,
    };
    match nuntius_engine::web::to_article(record, &final_url) {
        Some(mut raw) => {
            // The fetched page is the identity's source of truth unless it names its canonical.
            if raw.url.is_none() {
                raw.url = Some(url.to_string());
            }
            ItemResult::Article(Box::new(raw))
        }
        None => ItemResult::Skipped {
            outcome: "empty",
            status: Some(200),
        },
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
