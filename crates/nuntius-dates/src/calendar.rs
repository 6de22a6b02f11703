//! Building checked `Published` values: impossible dates and implausible years never leave this module.

use nuntius_model::{days_in_month, DatePrecision, Published};

/// Years a news date can have; anything else is an id, a price or a count.
pub(crate) fn plausible_year(year: u32) -> bool {
    (1900..=2100).contains(&year)
}

/// A day date, when the day exists.
pub(crate) fn day_date(year: u32, month: u32, day: u32) -> Option<Published> {
    let (year, month, day) = (
        narrow_year(year)?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    );
    (day >= 1 && day <= days_in_month(year, month)).then(|| Published::day(year, month, day))
}

/// A month date (day set to 1, precision Month).
pub(crate) fn month_date(year: u32, month: u32) -> Option<Published> {
    let mut date = day_date(year, month, 1)?;
    date.precision = DatePrecision::Month;
    Some(date)
}

/// A year date (January 1st, precision Year).
pub(crate) fn year_date(year: u32) -> Option<Published> {
    let mut date = day_date(year, 1, 1)?;
    date.precision = DatePrecision::Year;
    Some(date)
}

fn narrow_year(year: u32) -> Option<i32> {
    plausible_year(year)
        .then(|| i32::try_from(year).ok())
        .flatten()
}
