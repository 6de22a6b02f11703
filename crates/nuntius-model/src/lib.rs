//! The nuntius data model: plain types that flow between the pipeline's stages.
//!
//! Nothing here does IO or reads a clock; every stage above it takes and returns these types.

use serde::{Deserialize, Serialize};

mod lang;
mod rng;
pub use lang::language_code;
pub use rng::SplitMix64;

/// One record as a reader found it, before any analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawArticle {
    /// The record's own id, if it carried one.
    pub id: Option<String>,
    /// Input file this record came from, exactly as given or found.
    pub path: Option<String>,
    /// Index of the record inside a multi-record file (JSONL line, WARC record, feed item).
    pub record: Option<u64>,
    pub url: Option<String>,
    pub title: Option<String>,
    /// Body text as found (may include debris).
    pub text: Option<String>,
    /// A date given by the container (JSONL `date`, feed item date, WARC date), unparsed.
    pub date: Option<String>,
    /// Where `date` came from, when the container says.
    pub date_origin: Option<DateOrigin>,
    /// A date found in a plain-text header line (`date 2022-01 URL`).
    pub header_date: Option<String>,
    pub lang: Option<String>,
    pub source: Option<String>,
    /// Publisher named by the container as the origin (feed `<source>`).
    pub cited_source: Option<String>,
    /// Authors when the container names them.
    pub authors: Vec<String>,
}

/// Where a publication date came from, in the export's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrigin {
    Header,
    Meta,
    Url,
    Text,
    Feed,
    Warc,
    Inferred,
}

impl DateOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrigin::Header => "header",
            DateOrigin::Meta => "meta",
            DateOrigin::Url => "url",
            DateOrigin::Text => "text",
            DateOrigin::Feed => "feed",
            DateOrigin::Warc => "warc",
            DateOrigin::Inferred => "inferred",
        }
    }

    pub fn parse(s: &str) -> Option<DateOrigin> {
        Some(match s {
            "header" => DateOrigin::Header,
            "meta" => DateOrigin::Meta,
            "url" => DateOrigin::Url,
            "text" => DateOrigin::Text,
            "feed" => DateOrigin::Feed,
            "warc" => DateOrigin::Warc,
            "inferred" => DateOrigin::Inferred,
            _ => return None,
        })
    }
}

/// How much of a date is known. Ordered: a more specific date compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DatePrecision {
    Year,
    Month,
    Day,
    Minute,
}

/// A calendar date with optional time of day and UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Published {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from UTC in minutes, when known.
    pub offset_minutes: Option<i16>,
    pub precision: DatePrecision,
}

impl Published {
    pub fn day(year: i32, month: u8, day: u8) -> Published {
        Published {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            offset_minutes: None,
            precision: DatePrecision::Day,
        }
    }

    /// Days since 1970-01-01 of the calendar date (ignoring time and offset).
    pub fn day_number(&self) -> i64 {
        days_from_civil(self.year, self.month.max(1), self.day.max(1))
    }

    /// Hours since 1970-01-01 00:00 UTC, for a date known to the minute (local time when the
    /// offset is unknown).
    pub fn hours_since_epoch(&self) -> Option<f64> {
        if self.precision != DatePrecision::Minute {
            return None;
        }
        let local = self.day_number() as f64 * 24.0
            + f64::from(self.hour)
            + f64::from(self.minute) / 60.0
            + f64::from(self.second) / 3600.0;
        Some(local - f64::from(self.offset_minutes.unwrap_or(0)) / 60.0)
    }

    /// ISO 8601: `YYYY-MM` for a month, `YYYY-MM-DD` for a day, date-time with offset for a timestamp.
    pub fn to_iso(&self) -> String {
        match self.precision {
            DatePrecision::Year => format!("{:04}", self.year),
            DatePrecision::Month => format!("{:04}-{:02}", self.year, self.month),
            DatePrecision::Day => format!("{:04}-{:02}-{:02}", self.year, self.month, self.day),
            DatePrecision::Minute => {
                let base = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                    self.year, self.month, self.day, self.hour, self.minute, self.second
                );
                match self.offset_minutes {
                    Some(0) => format!("{base}Z"),
                    Some(off) => {
                        let sign = if off < 0 { '-' } else { '+' };
                        let a = off.unsigned_abs();
                        format!("{base}{sign}{:02}:{:02}", a / 60, a % 60)
                    }
                    None => base,
                }
            }
        }
    }

    /// Calendar date from a day number (inverse of [`Published::day_number`]).
    pub fn from_day_number(n: i64) -> Published {
        let (y, m, d) = civil_from_days(n);
        Published::day(y, m, d)
    }
}

/// Howard Hinnant's days_from_civil: proleptic Gregorian calendar, day 0 = 1970-01-01.
pub fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

/// Number of days in a month of a year.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// A date found for an article, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedBy {
    pub date: Published,
    pub origin: DateOrigin,
}

/// What an entity is, as far as the analysis could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Place,
    Org,
    Unknown,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Place => "place",
            EntityKind::Org => "org",
            EntityKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> EntityKind {
        match s {
            "person" => EntityKind::Person,
            "place" => EntityKind::Place,
            "org" => EntityKind::Org,
            _ => EntityKind::Unknown,
        }
    }
}

/// One surface form of a name in one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// The text as written ("Sergej Lavrov", "Лавров").
    pub surface: String,
    pub kind: EntityKind,
    /// How many times this surface occurs in the article.
    pub count: u32,
    /// Whether it occurs in the title.
    pub in_title: bool,
}

/// A passage this article shares with an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// Byte range in this article's clean text.
    pub start: u32,
    pub end: u32,
    /// Byte range in the other article's clean text.
    pub other_start: u32,
    pub other_end: u32,
}

/// Identifier of an event or story: a small integer assigned in arrival order.
pub type ClusterId = u64;

/// One signal's contribution to a decision, kept as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub name: String,
    /// The raw similarity (0..1 for most signals).
    pub value: f64,
    /// What it added to the score after weighting.
    pub contribution: f64,
}

/// Why an article joined an event, or why an event joined a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The event or story compared against.
    pub target: ClusterId,
    pub score: f64,
    pub threshold: f64,
    pub signals: Vec<Signal>,
    /// Free-text details a person reads (shared entities, shared terms).
    pub details: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_count_from_the_epoch_in_utc_and_only_for_timestamps() {
        let t = Published {
            year: 1970,
            month: 1,
            day: 2,
            hour: 1,
            minute: 30,
            second: 0,
            offset_minutes: Some(60),
            precision: DatePrecision::Minute,
        };
        assert_eq!(t.hours_since_epoch(), Some(24.5));
        assert_eq!(Published::day(1970, 1, 2).hours_since_epoch(), None);
    }

    #[test]
    fn day_numbers_round_trip() {
        for n in [-800_000, -1, 0, 1, 19_000, 19_013, 60_000] {
            let p = Published::from_day_number(n);
            assert_eq!(p.day_number(), n);
        }
        assert_eq!(days_from_civil(2022, 1, 21), 19_013);
    }

    #[test]
    fn iso_output_follows_precision() {
        let mut p = Published::day(2022, 1, 21);
        assert_eq!(p.to_iso(), "2022-01-21");
        p.precision = DatePrecision::Month;
        assert_eq!(p.to_iso(), "2022-01");
        p.precision = DatePrecision::Minute;
        p.hour = 11;
        p.minute = 57;
        p.offset_minutes = Some(60);
        assert_eq!(p.to_iso(), "2022-01-21T11:57:00+01:00");
        p.offset_minutes = Some(-330);
        assert_eq!(p.to_iso(), "2022-01-21T11:57:00-05:30");
    }
}
