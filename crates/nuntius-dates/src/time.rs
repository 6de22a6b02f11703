//! Time of day and UTC offset written after a date: "11:57", "11:57:00.123Z", "10:00 +0100",
//! "10:00:00 GMT", "3:05 pm".

use nuntius_model::{DatePrecision, Published};

use crate::lex::Text;

/// A time of day read from the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub offset_minutes: Option<i16>,
    /// Byte offset after the time and its offset.
    pub end: usize,
}

impl TimeOfDay {
    /// `date` at this time, with precision Minute.
    pub(crate) fn on(self, date: Published) -> Published {
        Published {
            hour: self.hour,
            minute: self.minute,
            second: self.second,
            offset_minutes: self.offset_minutes,
            precision: DatePrecision::Minute,
            ..date
        }
    }
}

/// Words that may stand between a date and its time, one or two of them: "at 11:57", "um 11:57",
/// "à 08h52", "a las 18:10", "alle ore 11:00", "kl. 11:57".
const TIME_WORDS: &[&str] = &[
    "at", "um", "a", "las", "alle", "ore", "kl", "klo", "om", "в",
];

/// A time following a date that ends at `at`: after `T` (ISO dates only), or after a space or comma.
pub(crate) fn time_after(text: &Text, at: usize, iso: bool) -> Option<TimeOfDay> {
    if iso && text.at(at, b'T') {
        return time_at(text, at + 1);
    }
    let mut i = at;
    if text.at(i, b',') {
        i += 1;
    }
    let spaced = text.skip_spaces(i);
    if spaced == i {
        return None;
    }
    i = spaced;
    for _ in 0..2 {
        let Some(word) = text.word_at(i).filter(|w| w.is_any(TIME_WORDS)) else {
            break;
        };
        let mut after = word.end;
        if text.at(after, b'.') {
            after += 1;
        }
        i = text.skip_spaces(after);
    }
    time_at(text, i)
}

/// A time of day starting exactly at `i`.
pub(crate) fn time_at(text: &Text, i: usize) -> Option<TimeOfDay> {
    let hour = text.number_of(i, 1, 2).filter(|h| h.value <= 23)?;
    // French writes "08h52".
    if !(text.at(hour.end, b':') || text.at(hour.end, b'h')) {
        return None;
    }
    let minute = text
        .number_of(hour.end + 1, 2, 2)
        .filter(|m| m.value <= 59)?;
    let mut end = minute.end;
    let mut second = 0;
    if text.at(end, b':') {
        let s = text.number_of(end + 1, 2, 2).filter(|s| s.value <= 60)?;
        // A leap second is kept inside its minute.
        second = s.value.min(59);
        end = s.end;
        if (text.at(end, b'.') || text.at(end, b',')) && text.is_digit_at(end + 1) {
            end = text.number_at(end + 1).map_or(end, |fraction| fraction.end);
        }
    }
    if text.at(end, b':') || (text.at(end, b'.') && text.is_digit_at(end + 1)) {
        // "11:57:00:12" or "1:2.3": a score or a duration, not a time.
        return None;
    }
    let mut hour = hour.value;
    if let Some((pm, after)) = meridiem(text, end) {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
        end = after;
    }
    let mut offset_minutes = None;
    if let Some((offset, after)) = offset_at(text, end) {
        offset_minutes = Some(offset);
        end = after;
    }
    Some(TimeOfDay {
        hour: u8::try_from(hour).ok()?,
        minute: u8::try_from(minute.value).ok()?,
        second: u8::try_from(second).ok()?,
        offset_minutes,
        end,
    })
}

/// "am"/"pm"/"a.m."/"p.m." after a time: whether it is pm, and the offset after it.
fn meridiem(text: &Text, at: usize) -> Option<(bool, usize)> {
    let i = text.skip_spaces(at);
    for (spelled, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] {
        let matches = text
            .text
            .get(i..i + spelled.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(spelled));
        let bounded = !text
            .char_at(i + spelled.len())
            .is_some_and(char::is_alphanumeric);
        if matches && (bounded || spelled.ends_with('.')) {
            return Some((pm, i + spelled.len()));
        }
    }
    None
}

/// Named zones seen in feeds and bylines, with their offsets in minutes.
const ZONES: &[(&str, i16)] = &[
    ("GMT", 0),
    ("UTC", 0),
    ("UT", 0),
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
];

/// A UTC offset after a time: "Z", "+0100", "+01:00", "+01" (attached), " +0100", " GMT", " GMT+1".
pub(crate) fn offset_at(text: &Text, at: usize) -> Option<(i16, usize)> {
    if text.at(at, b'Z') && !text.char_at(at + 1).is_some_and(char::is_alphanumeric) {
        return Some((0, at + 1));
    }
    if let Some(found) = signed_offset(text, at, true) {
        return Some(found);
    }
    let i = text.skip_spaces(at);
    if i == at {
        return None;
    }
    if let Some(found) = signed_offset(text, i, false) {
        return Some(found);
    }
    let (name, offset) = ZONES.iter().find(|(name, _)| text.starts_with(i, name))?;
    let end = i + name.len();
    if text.char_at(end).is_some_and(char::is_alphanumeric) {
        return None;
    }
    // "GMT+1", "UTC+02:00": the zone is only the reference.
    if let Some(found) = signed_offset(text, end, true) {
        return Some(found);
    }
    Some((*offset, end))
}

/// "+0100", "+01:00", and when `short` is allowed "+01" and "+1".
fn signed_offset(text: &Text, at: usize, short: bool) -> Option<(i16, usize)> {
    let sign: i16 = match text.byte(at)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let first = text.number_at(at + 1)?;
    let (hours, minutes, end) = match first.digits {
        4 => (first.value / 100, first.value % 100, first.end),
        2 if text.at(first.end, b':') => {
            let minutes = text.number_of(first.end + 1, 2, 2)?;
            (first.value, minutes.value, minutes.end)
        }
        1 | 2 if short => (first.value, 0, first.end),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    let total = i16::try_from(hours * 60 + minutes).ok()?;
    Some((sign * total, end))
}
