//! Dates in URL paths: /20220121/, /2022/01/21/, /2022-01-21/, -20220121-, /2022/01/ (a month).

use nuntius_model::Published;

use crate::calendar::{day_date, month_date, plausible_year};
use crate::lex::{Number, Text};
use crate::months;

/// A date in a URL path, the first day found, else the first month.
///
/// Only the path is read (not the host, query or fragment), and only digit runs standing between
/// separators, so ids such as /14709989.html or /10538300_0:0:2967 are not taken for dates.
pub fn date_from_url(url: &str) -> Option<Published> {
    let path = path_of(url);
    let text = Text::new(path);
    let mut month = None;
    let mut i = 0;
    while i < text.len() {
        let Some(number) = text.number_at(i).filter(|n| starts_segment(path, n)) else {
            i += 1;
            continue;
        };
        if let Some(day) = day_at(&text, number) {
            return Some(day);
        }
        if month.is_none() {
            month = month_at(&text, number);
        }
        i = number.end;
    }
    month
}

/// The path of a URL: after the host, before the query and fragment.
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    let path = if url.contains("://") {
        after_scheme.find('/').map_or("", |at| &after_scheme[at..])
    } else {
        after_scheme
    };
    let end = path.find(['?', '#']).unwrap_or(path.len());
    &path[..end]
}

fn is_separator(b: u8) -> bool {
    matches!(b, b'/' | b'-' | b'_' | b'.' | b',' | b'=' | b'&')
}

/// Whether `number` starts a path segment or a word of one: "/2022", "-2022", "_2022".
fn starts_segment(path: &str, number: &Number) -> bool {
    number.start == 0 || is_separator(path.as_bytes()[number.start - 1])
}

/// Whether the path has no more digits or letters glued at `end`.
fn ends_word(text: &Text, end: usize) -> bool {
    text.byte(end).is_none_or(is_separator)
}

/// A day date at `number`: 20220121, 2022/01/21, 2022-01-21, 2022_01_21, 2022/jan/21, or day first
/// 21-01-2022.
fn day_at(text: &Text, number: Number) -> Option<Published> {
    if number.digits == 8 && ends_word(text, number.end) {
        let v = number.value;
        return day_date(v / 10_000, v / 100 % 100, v % 100);
    }
    let separator = text
        .byte(number.end)
        .filter(|&b| matches!(b, b'/' | b'-' | b'_'))?;
    if let Some(date) = named_month_day(text, number, separator) {
        return Some(date);
    }
    let second = text.number_of(number.end + 1, 1, 2)?;
    if !text.at(second.end, separator) {
        return None;
    }
    if number.digits == 4 && plausible_year(number.value) {
        let third = text.number_of(second.end + 1, 1, 2)?;
        return ends_word(text, third.end)
            .then(|| day_date(number.value, second.value, third.value))
            .flatten();
    }
    if number.digits <= 2 {
        let year = text.number_of(second.end + 1, 4, 4)?;
        return ends_word(text, year.end)
            .then(|| day_date(year.value, second.value, number.value))
            .flatten();
    }
    None
}

/// "2022/jan/21", as The Guardian writes its paths.
fn named_month_day(text: &Text, year: Number, separator: u8) -> Option<Published> {
    if year.digits != 4 || separator != b'/' {
        return None;
    }
    let word = text.word_at(year.end + 1)?;
    let month = months::lookup(&word.folded)?;
    if !text.at(word.end, b'/') {
        return None;
    }
    let day = text.number_of(word.end + 1, 1, 2)?;
    ends_word(text, day.end)
        .then(|| day_date(year.value, u32::from(month.month), day.value))
        .flatten()
}

/// A month date at `number`: /2022/01/ or /2022/01 at the end of the path.
fn month_at(text: &Text, number: Number) -> Option<Published> {
    if number.digits != 4 || !text.at(number.end, b'/') {
        return None;
    }
    let month = text.number_of(number.end + 1, 2, 2)?;
    if !(text.at(month.end, b'/') || month.end == text.len()) {
        return None;
    }
    month_date(number.value, month.value)
}
