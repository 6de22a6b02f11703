//! Persistence: the [`Store`] trait the pipeline writes through, and [`SqliteStore`], the embedded
//! default (one file in the data dir, WAL journal, one transaction per batch).
//!
//! Rows are plain data; structured parts (features, evidence, entity spellings) travel as JSON text
//! so this crate does not depend on the stages that produce them.

pub mod follows;
pub mod read;
mod sources;
mod sqlite;

pub use sources::{FetchRow, SourceRow};
pub use sqlite::SqliteStore;

/// Store errors, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error while {context}: {source}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot open store at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("store at {path} has schema version {found}, this nuntius reads {expected} (a newer nuntius wrote it: upgrade, or re-ingest into a new data dir)")]
    Schema {
        path: String,
        found: i64,
        expected: i64,
    },
}

impl StoreError {
    /// Whether the disk (or the database's size limit) is full: the batch was not stored, and
    /// retrying after making room will store it.
    pub fn is_disk_full(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } if e.code == rusqlite::ErrorCode::DiskFull
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One article as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleRow {
    /// Arrival order, 1-based, unique.
    pub seq: u64,
    pub id: String,
    pub path: Option<String>,
    pub record: Option<u64>,
    pub url: Option<String>,
    pub title: String,
    pub text: String,
    pub lang: Option<String>,
    /// Explicit publication date, ISO 8601.
    pub published: Option<String>,
    pub published_from: Option<String>,
    /// Explicit publication day number (days since 1970-01-01).
    pub day: Option<i64>,
    pub source: Option<String>,
    pub cited_source: Option<String>,
    pub content_hash: u64,
    pub duplicate_of: Option<u64>,
    pub event: u64,
    /// JSON: the clusterer's features and the dedup fingerprint.
    pub features: String,
    /// JSON: why the article joined its event.
    pub evidence: String,
    /// JSON: `[[entity id, [surface, ...]], ...]`.
    pub entities: String,
    /// The engine's clock when the article was placed (the latest explicit day placed so far,
    /// this article's included): what the active window is measured on. `None` before any
    /// dated article, and for articles stored before schema 6.
    pub placed: Option<i64>,
}

/// What `Engine::open` reads of an article in the active window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRow {
    pub seq: u64,
    pub id: String,
    pub content_hash: u64,
    pub event: u64,
    pub features: String,
    pub placed: Option<i64>,
    pub duplicate_of: Option<u64>,
}

/// The next arrival number, event id and story id (1 for an empty store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextIds {
    pub seq: u64,
    pub event: u64,
    pub story: u64,
}

/// An entity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    pub id: u64,
    /// JSON of the registry's record.
    pub record: String,
}

/// An event as stored: its story and why it joined it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: u64,
    pub story: u64,
    pub evidence: String,
}

/// A copy relation: `copy` reuses passages of `origin`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyRow {
    pub copy: u64,
    pub origin: u64,
    pub chars: u64,
    /// JSON list of passages (byte ranges in both texts).
    pub passages: String,
    /// The rule that made `copy` the copy (`nuntius_dedup::Basis` name); `None` for copies
    /// stored before it was recorded.
    pub basis: Option<String>,
}

/// An event's settle decision: the event in another language it linked to, if any, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRow {
    pub event: u64,
    pub linked: Option<u64>,
    pub evidence: String,
}

/// Everything one batch changes, written in one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    pub articles: Vec<ArticleRow>,
    pub entities: Vec<EntityRow>,
    pub events: Vec<EventRow>,
    pub copies: Vec<CopyRow>,
    /// `(source, line hash)` pairs seen in this batch, one per document.
    pub boilerplate: Vec<(String, u64)>,
    /// `(source, line hash, seq)`: the line became boilerplate with article `seq`.
    pub boilerplate_since: Vec<(String, u64, u64)>,
    /// Articles of this batch that follows matched (`follows.rs`).
    pub follow_matches: Vec<follows::MatchRow>,
    /// Settle decisions of events, and `(event, story)` for events that moved with a link
    /// (written after the batch's events).
    pub links: Vec<LinkRow>,
    pub moves: Vec<(u64, u64)>,
}

/// How often a line was seen in one source's documents, and since which article it counts as
/// that source's boilerplate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineStat {
    pub source: String,
    pub hash: u64,
    pub docs: u32,
    pub since: Option<u64>,
}

/// Lines seen in this many documents of one source are that source's boilerplate (the store
/// indexes exactly those lines).
pub const BOILERPLATE_DOCS: u32 = 3;

/// The storage interface. Implementations must keep a batch all-or-nothing.
pub trait Store: follows::FollowStore {
    fn write_batch(&mut self, batch: &Batch) -> Result<()>;
    /// Calls `f` with every article in arrival order.
    fn for_each_article(&self, f: &mut dyn FnMut(ArticleRow)) -> Result<()>;
    /// The same without the stored features (empty), and without the text unless `text`: what
    /// the read-side views hold of every article.
    fn for_each_article_brief(&self, text: bool, f: &mut dyn FnMut(ArticleRow)) -> Result<()>;
    fn article(&self, seq: u64) -> Result<Option<ArticleRow>>;
    fn article_by_id(&self, id: &str) -> Result<Option<ArticleRow>>;
    fn entities(&self) -> Result<Vec<EntityRow>>;
    fn events(&self) -> Result<Vec<EventRow>>;
    fn copies(&self) -> Result<Vec<CopyRow>>;
    /// Every line statistic, ordered by source and hash.
    fn line_stats(&self) -> Result<Vec<LineStat>>;
    fn article_count(&self) -> Result<u64>;
    /// Articles of the events still in the active window, by seq: those with a member placed
    /// on or after `from` (every article when `from` is `None`), and those whose members were
    /// all placed before the clock started.
    fn window_articles(&self, from: Option<i64>, f: &mut dyn FnMut(WindowRow)) -> Result<()>;
    /// The latest clock an article was placed at.
    fn clock(&self) -> Result<Option<i64>>;
    fn next_ids(&self) -> Result<NextIds>;
    /// The features JSON of the latest `n` articles, oldest first.
    fn latest_features(&self, n: u64) -> Result<Vec<String>>;
    /// The first article with this content hash.
    fn first_with_content(&self, hash: u64) -> Result<Option<u64>>;
    /// Whether an article with this identity is stored.
    fn has_identity(&self, id: &str) -> Result<bool>;
    /// Documents of `source` a line was seen in.
    fn line_docs(&self, source: &str, hash: u64) -> Result<u32>;
    /// Lines seen in at least [`BOILERPLATE_DOCS`] documents of their source, by source and hash.
    fn known_lines(&self) -> Result<Vec<LineStat>>;
    /// `(event, story)` of every event, by event id.
    fn event_stories(&self) -> Result<Vec<(u64, u64)>>;
    /// Every settle decision, by event id.
    fn event_links(&self) -> Result<Vec<LinkRow>>;
}
