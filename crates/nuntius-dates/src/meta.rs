//! Dates in metadata strings: JSONL `date`, meta tags, feed `pubDate`, WARC-Date.

use nuntius_model::{DatePrecision, Published};

use crate::calendar::{day_date, month_date, year_date};
use crate::lex::Text;
use crate::scan::Mentions;

/// A date parsed from a whole metadata string.
///
/// ISO 8601 dates and date-times with or without offset and fraction ("2022-01-21T11:57:00.123+01:00"),
/// RFC 2822 ("Tue, 01 Feb 2022 10:00:00 +0100", "... GMT"), a month "2022-01", a year "2022", compact
/// "20220121" and "20220121115700", and every numeric or month-name date that [`crate::find_dates`]
/// reads. `None` when the string holds no date.
pub fn parse_date(s: &str) -> Option<Published> {
    let s = s.trim().trim_matches(['"', '\'']).trim();
    compact(s).or_else(|| Mentions::new(s).next().map(|m| m.date))
}

/// Dates written as digits only, or year and month: the forms running text never uses for a date.
fn compact(s: &str) -> Option<Published> {
    let text = Text::new(s);
    let first = text.number_at(0)?;
    let value = |from: usize, to: usize| s.get(from..to).and_then(|d| d.parse::<u32>().ok());
    if first.end == s.len() {
        return match first.digits {
            4 => year_date(first.value),
            8 => day_date(value(0, 4)?, value(4, 6)?, value(6, 8)?),
            14 => {
                let mut date = day_date(value(0, 4)?, value(4, 6)?, value(6, 8)?)?;
                let (hour, minute, second) = (value(8, 10)?, value(10, 12)?, value(12, 14)?);
                if hour > 23 || minute > 59 || second > 60 {
                    return None;
                }
                date.hour = u8::try_from(hour).ok()?;
                date.minute = u8::try_from(minute).ok()?;
                date.second = u8::try_from(second.min(59)).ok()?;
                date.precision = DatePrecision::Minute;
                Some(date)
            }
            _ => None,
        };
    }
    if first.digits == 4 && matches!(text.byte(first.end), Some(b'-' | b'/')) {
        let month = text.number_of(first.end + 1, 2, 2)?;
        if month.end == s.len() {
            return month_date(first.value, month.value);
        }
    }
    None
}
