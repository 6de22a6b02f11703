//! Publication dates in news text, URLs and metadata strings, in the languages of the EU and beyond.
//!
//! Three entry points: [`find_dates`] lists every date written in a text, [`parse_date`] reads a whole
//! metadata string (feed `pubDate`, meta tag, WARC-Date), [`date_from_url`] reads a URL path. All are
//! pure: no IO, no clock, so a date without a year ("1 febbraio") is not a date here.
//!
//! Month names live in `months.rs`, one row per language; the text scanner in `scan.rs` looks only
//! around numbers, which keeps it fast on long texts.

mod calendar;
mod fold;
mod lex;
mod meta;
mod months;
mod scan;
mod time;
mod url;

pub use meta::parse_date;
pub use months::languages;
pub use nuntius_model::{DatePrecision, Published};
pub use url::date_from_url;

/// A date mention found in text, with its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateMention {
    pub date: Published,
    /// Byte offset of the first char of the mention.
    pub start: usize,
    /// Byte offset just after the mention.
    pub end: usize,
}

/// Every date written in the text, in document order, without overlaps.
///
/// Numeric dates (21.01.2022, 21/01/2022, 2022-01-21), ISO timestamps (2022-01-21T11:57+0100,
/// 2022-01-21 11:57), and dates with month names in any supported language ("1 febbraio 2022",
/// "January 21, 2022", "1. února 2022", "1 февраля 2022 года", "2022. február 1.",
/// "2022 m. vasario 1 d.", "1 Şubat 2022", "1 فبراير 2022"). A date followed by a time has
/// precision Minute (with the offset when written), a date Day, a month and year ("gennaio 2022")
/// Month. Impossible dates and years outside 1900..=2100 are skipped. Numeric dates are read day
/// first unless only month first is valid.
pub fn find_dates(text: &str) -> Vec<DateMention> {
    scan::Mentions::new(text).collect()
}

/// The first date mention of a text, without scanning the rest.
pub fn first_date(text: &str) -> Option<DateMention> {
    scan::Mentions::new(text).next()
}
