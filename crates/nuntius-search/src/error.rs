//! The one error type of the search crate.

/// Why an index operation or a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The search engine failed (IO, corrupt segment, lock held by another writer, ...).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be opened or created.
    #[error("search index directory {path}: {message}")]
    Directory { path: String, message: String },
    /// An existing index lacks a field this version needs; rebuild it.
    #[error("search index schema is incompatible: missing field {0}")]
    Schema(String),
    /// The query text cannot be searched at all (too long, or nothing searchable in it).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}
