//! The ingest engine and the read-side views, shared by the CLI and the server.
//!
//! `engine` feeds raw articles through analysis, the entity registry, dedup and clustering into a
//! [`nuntius_store::Store`]; `view` builds what people read (export records, story summaries and
//! details) from a store; `datadir` opens a data directory for one writer at a time.

pub mod admit;
pub mod datadir;
pub mod embedding;
pub mod engine;
pub mod follows;
pub mod ingest;
pub mod settings;
pub mod synthetic;
pub mod view;
pub mod web;

pub use admit::IngestLimits;
pub use engine::{identity, Engine, IngestSummary};
pub use ingest::{ingest_paths, ingest_records};
pub use settings::Settings;
