//! Typed errors: `WebError` for a whole call, `RecordError` for one bad record in a file.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum WebError {
    #[error("page is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("not an HTML page: {0}")]
    NotHtml(&'static str),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
    #[error("evaluation data: {0}")]
    EvalData(String),
}

/// One record of a file that could not be read; the reader goes on after it when it can.
#[derive(Debug, Error)]
#[error("record {record}: {reason}")]
pub struct RecordError {
    /// 0-based index of the record inside its file.
    pub record: u64,
    pub reason: String,
}
