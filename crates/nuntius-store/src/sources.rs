//! What the crawler remembers: its sources (URL, kind, poll state, counts) and every item URL it
//! fetched with the outcome, so a restart never fetches a stored item again.
//!
//! An item's row is written only after its article is stored (or its skip is decided), in a
//! transaction of its own: a kill between the two leaves an article without its row, which the
//! next round finds by identity and records, never a row without its article.

use rusqlite::{params, OptionalExtension, Row};

use crate::sqlite::err;
use crate::{Result, SqliteStore};

/// Tables of schema version 3 (created by fresh stores and by the migration from version 2).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    kind TEXT,
    every_secs INTEGER NOT NULL,
    interval_secs INTEGER NOT NULL,
    etag TEXT, last_modified TEXT,
    added INTEGER NOT NULL,
    last_fetch INTEGER,
    status TEXT,
    items_seen INTEGER NOT NULL DEFAULT 0,
    items_new INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fetches (
    url TEXT PRIMARY KEY,
    source INTEGER,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    article TEXT,
    attempts INTEGER NOT NULL,
    fetched INTEGER NOT NULL
);
";

/// One source and its poll state. Times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SourceRow {
    pub id: u64,
    pub url: String,
    /// `rss`, `atom`, `json`, `sitemap`, `sitemap-index`, `news-sitemap` or `html`, once polled.
    pub kind: Option<String>,
    /// The poll interval asked for.
    pub every_secs: u64,
    /// The interval in use, adapted to how often the source publishes.
    pub interval_secs: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub added: i64,
    pub last_fetch: Option<i64>,
    /// `ok`, `not-modified`, or what went wrong the last time.
    pub status: Option<String>,
    /// Items the source listed at its last successful poll.
    pub items_seen: u64,
    /// Items fetched and stored from it, in all.
    pub items_new: u64,
    /// Failed polls, in all.
    pub errors: u64,
    /// Failed polls in a row (the backoff exponent); 0 after a success.
    pub failures: u32,
    pub next_poll: i64,
}

/// What became of one fetched item URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchRow {
    /// The item's canonical URL.
    pub url: String,
    pub source: Option<u64>,
    /// `stored`, `robots`, `gone`, `empty`, `too-large`, `not-html`, `redirects` or `error`.
    pub outcome: String,
    pub http_status: Option<u16>,
    /// The identity of the article it became.
    pub article: Option<String>,
    pub attempts: u32,
    pub fetched: i64,
}

const SOURCE_COLUMNS: &str = "id, url, kind, every_secs, interval_secs, etag, last_modified, added, last_fetch, status, items_seen, items_new, errors, failures, next_poll";

fn source_from_row(r: &Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok(SourceRow {
        id: r.get::<_, i64>(0)? as u64,
        url: r.get(1)?,
        kind: r.get(2)?,
        every_secs: r.get::<_, i64>(3)? as u64,
        interval_secs: r.get::<_, i64>(4)? as u64,
        etag: r.get(5)?,
        last_modified: r.get(6)?,
        added: r.get(7)?,
        last_fetch: r.get(8)?,
        status: r.get(9)?,
        items_seen: r.get::<_, i64>(10)? as u64,
        items_new: r.get::<_, i64>(11)? as u64,
        errors: r.get::<_, i64>(12)? as u64,
        failures: r.get::<_, i64>(13)? as u32,
        next_poll: r.get(14)?,
    })
}

fn fetch_from_row(r: &Row<'_>) -> rusqlite::Result<FetchRow> {
    Ok(FetchRow {
        url: r.get(0)?,
        source: r.get::<_, Option<i64>>(1)?.map(|v| v as u64),
        outcome: r.get(2)?,
        http_status: r.get::<_, Option<i64>>(3)?.map(|v| v as u16),
        article: r.get(4)?,
        attempts: r.get::<_, i64>(5)? as u32,
        fetched: r.get(6)?,
    })
}

impl SqliteStore {
    /// Adds a source, due at once; `false` when its URL is already a source (left unchanged).
    pub fn add_source(&self, url: &str, every_secs: u64, now: i64) -> Result<bool> {
        let n = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO sources (url, every_secs, interval_secs, added, next_poll)
                 VALUES (?1, ?2, ?2, ?3, ?3)",
                params![url, every_secs as i64, now],
            )
            .map_err(err("adding a source"))?;
        Ok(n > 0)
    }

    /// Removes a source (the articles and fetch records it brought stay); `false` when absent.
    pub fn remove_source(&self, url: &str) -> Result<bool> {
        let n = self
            .conn()
            .execute("DELETE FROM sources WHERE url = ?1", [url])
            .map_err(err("removing a source"))?;
        Ok(n > 0)
    }

    /// Every source, in the order they were added.
    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        self.query_sources("1", params![])
    }

    /// Sources whose next poll is at or before `now`, in the order they were added.
    pub fn due_sources(&self, now: i64) -> Result<Vec<SourceRow>> {
        self.query_sources("next_poll <= ?1", params![now])
    }

    fn query_sources(&self, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<SourceRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SOURCE_COLUMNS} FROM sources WHERE {filter} ORDER BY id"
            ))
            .map_err(err("reading sources"))?;
        let rows = stmt
            .query_map(args, source_from_row)
            .map_err(err("reading sources"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading sources"))
    }

    /// Writes a source's poll state (everything but its url, added time and asked interval).
    pub fn update_source(&self, s: &SourceRow) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE sources SET kind = ?2, interval_secs = ?3, etag = ?4, last_modified = ?5,
                 last_fetch = ?6, status = ?7, items_seen = ?8, items_new = ?9, errors = ?10,
                 failures = ?11, next_poll = ?12 WHERE id = ?1",
                params![
                    s.id as i64,
                    s.kind,
                    s.interval_secs as i64,
                    s.etag,
                    s.last_modified,
                    s.last_fetch,
                    s.status,
                    s.items_seen as i64,
                    s.items_new as i64,
                    s.errors as i64,
                    i64::from(s.failures),
                    s.next_poll
                ],
            )
            .map_err(err("updating a source"))?;
        Ok(())
    }

    /// The fetch record of an item URL.
    pub fn fetch_record(&self, url: &str) -> Result<Option<FetchRow>> {
        self.conn()
            .query_row(
                "SELECT url, source, outcome, http_status, article, attempts, fetched
                 FROM fetches WHERE url = ?1",
                [url],
                fetch_from_row,
            )
            .optional()
            .map_err(err("reading a fetch record"))
    }

    /// Whether an article of this identity is stored.
    pub fn has_article(&self, id: &str) -> Result<bool> {
        self.conn()
            .query_row("SELECT 1 FROM articles WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
            .map_err(err("looking up an article"))
    }

    /// Writes fetch records (replacing earlier ones of the same URLs) in one transaction.
    pub fn record_fetches(&mut self, rows: &[FetchRow]) -> Result<()> {
        let tx = self
            .conn_mut()
            .transaction()
            .map_err(err("starting fetch records"))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO fetches (url, source, outcome, http_status, article, attempts, fetched)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err("writing fetch records"))?;
            for r in rows {
                insert
                    .execute(params![
                        r.url,
                        r.source.map(|s| s as i64),
                        r.outcome,
                        r.http_status.map(i64::from),
                        r.article,
                        i64::from(r.attempts),
                        r.fetched
                    ])
                    .map_err(err("writing fetch records"))?;
            }
        }
        tx.commit().map_err(err("committing fetch records"))
    }

    /// Fetch records by outcome, for summaries: `(outcome, count)` sorted by outcome.
    pub fn fetch_outcomes(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT outcome, COUNT(*) FROM fetches GROUP BY outcome ORDER BY outcome",
            )
            .map_err(err("counting fetch records"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(err("counting fetch records"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("counting fetch records"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_fetch_records_round_trip() {
        let mut store = SqliteStore::in_memory().unwrap();
        assert!(store
            .add_source("https://a.example/feed", 900, 100)
            .unwrap());
        assert!(!store.add_source("https://a.example/feed", 60, 100).unwrap());
        assert!(store
            .add_source("https://b.example/sitemap.xml", 60, 200)
            .unwrap());
        assert_eq!(store.due_sources(150).unwrap().len(), 1);
        let mut s = store.sources().unwrap().remove(0);
        assert_eq!((s.every_secs, s.next_poll), (900, 100));
        s.kind = Some("rss".into());
        s.etag = Some("\"v1\"".into());
        s.next_poll = 1000;
        store.update_source(&s).unwrap();
        assert_eq!(store.sources().unwrap()[0], s);
        assert_eq!(
            store.due_sources(300).unwrap()[0].url,
            "https://b.example/sitemap.xml"
        );
        let row = FetchRow {
            url: "https://a.example/1".into(),
            source: Some(s.id),
            outcome: "stored".into(),
            http_status: Some(200),
            article: Some("https://a.example/1".into()),
            attempts: 1,
            fetched: 120,
        };
        store.record_fetches(std::slice::from_ref(&row)).unwrap();
        assert_eq!(store.fetch_record(&row.url).unwrap(), Some(row));
        assert_eq!(store.fetch_outcomes().unwrap(), vec![("stored".into(), 1)]);
        assert!(store.remove_source("https://a.example/feed").unwrap());
        assert!(!store.remove_source("https://a.example/feed").unwrap());
        assert!(!store.has_article("https://a.example/1").unwrap());
    }
}
