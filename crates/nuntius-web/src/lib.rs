//! nuntius-web: reads the web as it comes (HTML pages, WARC crawls, RSS/Atom/JSON
//! feeds; plain or gzip) and extracts the article of each page.
//!
//! Entry points: [`extract_page`] for one page's bytes, [`read_web`] for any input
//! file, [`commands`] for the CLI's `extract` and `bench extract`. Invariant: no
//! input bytes make extraction panic or use unbounded memory.

mod canonical;
mod charset;
pub mod commands;
mod dates;
mod dom;
mod error;
mod feed;
mod links;
mod main_text;
mod metadata;
mod page;
mod reader;
pub mod text_sets;
mod warc;

pub use canonical::canonical_url;
pub use charset::decode_page;
pub use error::{RecordError, WebError};
pub use feed::FeedItem;
pub use links::{page_links, MAX_LINKS};
pub use page::{extract_page, Page, MAX_PAGE_BYTES};
pub use reader::{read_web, sniff_format, Format, WebRecord, WebRecords};
