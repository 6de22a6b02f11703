//! The crawler's errors: why one request failed, and why a round could not run.

use std::time::Duration;

/// Why one fetch gave no usable response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    #[error("disallowed by robots.txt")]
    Robots,
    #[error("more than {0} redirects")]
    Redirects(usize),
    #[error("larger than {0} bytes")]
    TooLarge(usize),
    #[error("network: {0}")]
    Network(String),
    #[error("timed out")]
    Timeout,
}

impl FetchError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, FetchError::Network(_) | FetchError::Timeout)
    }
}

/// Why a round stopped: the store or the engine failed (a source failing is not one of these).
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("store: {0}")]
    Store(#[from] nuntius_store::StoreError),
    #[error("ingest: {0:#}")]
    Ingest(anyhow::Error),
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("a fetch task failed: {0}")]
    Task(String),
}

/// A wait asked for by a server (Retry-After), bounded so a server cannot park us for ever.
pub(crate) fn bounded(wait: Duration, cap: Duration) -> Duration {
    wait.min(cap)
}
