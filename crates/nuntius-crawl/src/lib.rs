//! nuntius-crawl: a polite crawler for news sources. A source is a feed (RSS 2.0, Atom, JSON
//! Feed), a sitemap (plain, news, or an index of sitemaps) or an HTML section page, told apart by
//! its content. Each round polls the due sources with conditional requests, fetches the items
//! not fetched before, extracts them with `nuntius-web` and feeds them to the one ingest loop
//! (`nuntius_engine::ingest_records`).
//!
//! Politeness lives in [`fetch::Fetcher`]: robots.txt (`texting_robots`) checked on every hop of
//! every redirect, one request at a time per host with a minimum delay, a global concurrency
//! limit, timeouts, a byte cap enforced while streaming, and Retry-After honoured. The store
//! remembers every fetched item URL with its outcome (`nuntius_store::FetchRow`), written only
//! after the article is stored, so a restart never fetches a stored item again.

pub mod crawler;
pub mod discover;
pub mod error;
pub mod fetch;
pub mod robots;
pub mod sources;

pub use crawler::{ArticleSink, Crawler, RoundOptions, RoundSummary};
pub use discover::{parse_listing, Listed, Listing, SourceKind};
pub use error::{CrawlError, FetchError};
pub use fetch::{Fetched, Fetcher, Validators};
pub use sources::{http_url, opml_feeds, source_url, source_view, HTTP_URL_PATTERN, MAX_URL_BYTES};

/// The User-Agent: names nuntius, its version and the operator's contact URL.
pub fn user_agent(contact: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    if contact.trim().is_empty() {
        format!("nuntius/{version}")
    } else {
        format!("nuntius/{version} (+{})", contact.trim())
    }
}

/// The product token robots.txt groups are matched against.
pub const ROBOTS_AGENT: &str = "nuntius";
