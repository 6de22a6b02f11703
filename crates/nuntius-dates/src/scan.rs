//! Finds date mentions in running text by looking around every number.
//!
//! Most of a news text is words, and a date always holds a number, so the scanner skips to the
//! next digit and only there reads the words and separators on either side. Month names are folded
//! and looked up only when they stand next to a number.

use nuntius_model::Published;

use crate::calendar::{day_date, month_date, plausible_year};
use crate::fold::{is_word_char, Folded};
use crate::lex::{Number, Text, Word};
use crate::months::{self, MonthName};
use crate::time::time_after;
use crate::DateMention;

/// The mentions of a text, in document order, without overlaps.
pub(crate) struct Mentions<'a> {
    text: Text<'a>,
    /// Where the next number search starts.
    next: usize,
    /// No mention may start before this (the end of the previous one).
    floor: usize,
}

impl<'a> Mentions<'a> {
    pub(crate) fn new(text: &'a str) -> Mentions<'a> {
        Mentions {
            text: Text::new(text),
            next: 0,
            floor: 0,
        }
    }
}

impl Iterator for Mentions<'_> {
    type Item = DateMention;

    fn next(&mut self) -> Option<DateMention> {
        let bytes = self.text.bytes;
        while self.next < bytes.len() {
            let Some(start) = next_digit(bytes, self.next) else {
                self.next = bytes.len();
                break;
            };
            let Some(number) = self.text.number_at(start) else {
                self.next = start + 1;
                continue;
            };
            if let Some(mention) = mention_at(&self.text, number, self.floor) {
                self.next = mention.end;
                self.floor = mention.end;
                return Some(mention);
            }
            self.next = number.end;
        }
        None
    }
}

/// Bytes that may start a digit: ASCII digits, and 0xD9 and 0xDB, which lead the Arabic-Indic ones.
const DIGIT_LEADS: [bool; 256] = {
    let mut leads = [false; 256];
    let mut b = b'0';
    while b <= b'9' {
        leads[b as usize] = true;
        b += 1;
    }
    leads[0xD9] = true;
    leads[0xDB] = true;
    leads
};

/// The offset of the next digit at or after `from`.
///
/// Eight bytes at a time while the text is ASCII without digits, which is most of any text: an ASCII
/// byte `b` is a digit when `b + 0x50` reaches 0x80 and `b + 0x46` does not.
fn next_digit(bytes: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let plain_ascii = x & HIGH == 0
            && x.wrapping_add(0x5050_5050_5050_5050)
                & !x.wrapping_add(0x4646_4646_4646_4646)
                & HIGH
                == 0;
        if !plain_ascii {
            let start = from + offset;
            if let Some(at) = (start..start + 8).find(|&i| is_digit_start(bytes, i)) {
                return Some(at);
            }
        }
        offset += 8;
    }
    (from + offset..bytes.len()).find(|&i| is_digit_start(bytes, i))
}

/// Whether a digit starts at `i`; Arabic letters share the lead byte 0xD9 with Arabic-Indic digits.
fn is_digit_start(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(&b) if DIGIT_LEADS[usize::from(b)] => match b {
            0xD9 => matches!(bytes.get(i + 1), Some(0xA0..=0xA9)),
            0xDB => matches!(bytes.get(i + 1), Some(0xB0..=0xB9)),
            _ => true,
        },
        _ => false,
    }
}

/// A month name read from the text.
#[derive(Clone, Copy)]
struct MonthAt {
    start: usize,
    end: usize,
    name: MonthName,
    folded: Folded,
    /// Written with a capital letter.
    capital: bool,
}

/// Ordinal endings written right after a day: "1st", "1er", "1º", "1η".
const ORDINALS: &[&str] = &["st", "nd", "rd", "th", "er", "re", "º", "ª", "η"];

/// Words between a day and its month, or a month and its year: "1 de febrero de 2022",
/// "1st of February", "τον Φεβρουάριο του 2022".
const CONNECTORS: &[&str] = &["de", "del", "of", "του"];

/// The date mention around `number`, if any; it starts no earlier than `floor`.
fn mention_at(text: &Text, number: Number, floor: usize) -> Option<DateMention> {
    let before = text.char_before(number.start);
    if before.is_some_and(|c| is_word_char(c) || c.is_numeric()) {
        // Glued to a word: "A320", "COVID19", "G20".
        return None;
    }
    // The tail of a longer number: "11:57", "1.21.01.2022", "3/4/2022/5".
    let glued = matches!(before, Some('.' | ':' | '/'))
        && text
            .char_before(number.start - 1)
            .is_some_and(|c| c.is_numeric());
    if number.digits == 4 && plausible_year(number.value) {
        if !glued {
            if let Some(found) = year_first(text, number) {
                return Some(found);
            }
        }
        return month_year(text, number, floor);
    }
    if number.digits <= 2 {
        if !glued {
            if let Some(found) = numeric_day_first(text, number) {
                return Some(found);
            }
        }
        return day_month_year(text, number).or_else(|| month_day_year(text, number, floor));
    }
    None
}

/// A mention from `start` to `end`, extended by a time of day when one follows.
fn mention(text: &Text, date: Published, start: usize, end: usize, iso: bool) -> DateMention {
    match time_after(text, end, iso) {
        Some(time) => DateMention {
            date: time.on(date),
            start,
            end: time.end,
        },
        None => DateMention { date, start, end },
    }
}

/// Whether a numeric date ending at `end` goes on as a longer number ("2022.01.21.5").
fn continues_numeric(text: &Text, end: usize, separator: u8) -> bool {
    text.at(end, separator) && text.is_digit_at(end + 1)
}

/// Dates starting with the year: ISO and other numeric "2022-01-21", "2022/01/21", "2022.01.21";
/// Hungarian "2022. február 1."; Latvian "2022. gada 1. februārī"; Lithuanian "2022 m. vasario 1 d.".
fn year_first(text: &Text, year: Number) -> Option<DateMention> {
    let after = year.end;
    if let Some(separator @ (b'-' | b'/' | b'.')) = text.byte(after) {
        if let Some(month) = text.number_of(after + 1, 1, 2) {
            if text.at(month.end, separator) {
                let day = text.number_of(month.end + 1, 1, 2)?;
                if continues_numeric(text, day.end, separator) {
                    return None;
                }
                let date = day_date(year.value, month.value, day.value)?;
                return Some(mention(text, date, year.start, day.end, separator == b'-'));
            }
        }
    }
    if text.at(after, b'.') {
        let spaced = text.skip_spaces(after + 1);
        if spaced > after + 1 {
            if let Some(found) =
                hungarian(text, year, spaced).or_else(|| latvian(text, year, spaced))
            {
                return Some(found);
            }
        }
    }
    lithuanian(text, year)
}

/// "2022. február 1.", "2022. febr. 1-jén": year, month, day, and a dot or a case ending after the day.
fn hungarian(text: &Text, year: Number, at: usize) -> Option<DateMention> {
    let month = month_at(text, at)?;
    let day = text.number_of(after_month(text, month), 1, 2)?;
    let end = match text.byte(day.end) {
        Some(b'.') => day.end + 1,
        Some(b'-') => text.word_at(day.end + 1)?.end,
        _ => return None,
    };
    let date = day_date(year.value, u32::from(month.name.month), day.value)?;
    Some(mention(text, date, year.start, end, false))
}

/// "2022. gada 1. februārī" (a day) and "2022. gada februārī" (a month).
fn latvian(text: &Text, year: Number, at: usize) -> Option<DateMention> {
    let gada = text.word_at(at).filter(|w| w.is("gada"))?;
    let next = text.skip_spaces(gada.end);
    if let Some(day) = text.number_of(next, 1, 2) {
        if !text.at(day.end, b'.') {
            return None;
        }
        let month = month_at(text, text.skip_spaces(day.end + 1))?;
        let date = day_date(year.value, u32::from(month.name.month), day.value)?;
        return Some(mention(text, date, year.start, month.end, false));
    }
    let month = month_at(text, next)?;
    let date = month_date(year.value, u32::from(month.name.month))?;
    Some(DateMention {
        date,
        start: year.start,
        end: month.end,
    })
}

/// "2022 m. vasario 1 d." (a day) and "2022 m. vasario mėn." or "2022 m. vasarį" (a month).
fn lithuanian(text: &Text, year: Number) -> Option<DateMention> {
    let m = text.skip_spaces(year.end);
    if m == year.end || !text.starts_with(m, "m.") {
        return None;
    }
    let month = month_at(text, text.skip_spaces(m + 2))?;
    let after = text.skip_spaces(month.end);
    if let Some(day) = text.number_of(after, 1, 2).filter(|_| after > month.end) {
        let mut end = day.end;
        let d = text.skip_spaces(day.end);
        if text.word_at(d).is_some_and(|w| w.is("d")) && text.at(d + 1, b'.') {
            end = d + 2;
        }
        let date = day_date(year.value, u32::from(month.name.month), day.value)?;
        return Some(mention(text, date, year.start, end, false));
    }
    let date = month_date(year.value, u32::from(month.name.month))?;
    Some(DateMention {
        date,
        start: year.start,
        end: month.end,
    })
}

/// "21.01.2022", "21/01/2022", "21-01-2022", "1. 2. 2022"; day first unless only month first is valid.
fn numeric_day_first(text: &Text, first: Number) -> Option<DateMention> {
    let separator = text
        .byte(first.end)
        .filter(|b| matches!(b, b'.' | b'/' | b'-'))?;
    // Czech and Slovak write "1. 2. 2022".
    let skip = |i: usize| {
        if separator == b'.' {
            text.skip_spaces(i)
        } else {
            i
        }
    };
    let second = text.number_of(skip(first.end + 1), 1, 2)?;
    if !text.at(second.end, separator) {
        return None;
    }
    let year = text.number_of(skip(second.end + 1), 4, 4)?;
    if continues_numeric(text, year.end, separator) {
        return None;
    }
    let date = day_date(year.value, second.value, first.value)
        .or_else(|| day_date(year.value, first.value, second.value))?;
    Some(mention(text, date, first.start, year.end, false))
}

/// "1 febbraio 2022", "1. února 2022", "1er février 2022", "1 de febrero de 2022", "21st of January, 2022",
/// "1 ta' Frar 2022", "1 شباط/فبراير 2022".
fn day_month_year(text: &Text, day: Number) -> Option<DateMention> {
    if !(1..=31).contains(&day.value) {
        return None;
    }
    let mut at = day.end;
    let mut day_dot = false;
    if text.at(at, b'.') {
        at += 1;
        day_dot = true;
        if text.starts_with(at, "º") {
            at += "º".len();
        }
    } else if text.starts_with(at, "°") {
        at += "°".len();
    } else if let Some(word) = text.word_at(at) {
        if !word.is_any(ORDINALS) {
            // "5kg", "3D".
            return None;
        }
        at = word.end;
    }
    let spaced = text.skip_spaces(at);
    if spaced == at && !day_dot {
        return None;
    }
    at = spaced;
    let mut word = text.word_at(at)?;
    // Connectors: "1 de febrero", "1st of February", Maltese "1 ta' Frar".
    let quote = ["'", "’"].iter().find(|q| text.starts_with(word.end, q));
    let connector_end = match quote {
        Some(quote) if word.is("ta") => Some(word.end + quote.len()),
        None if word.is("de") || word.is("of") => Some(word.end),
        _ => None,
    };
    if let Some(connector_end) = connector_end {
        word = text.word_at(text.skip_spaces(connector_end))?;
    }
    let month = month_from(text, word)?;
    let year = year_after_month(text, month)?;
    let number = month_number(text, month, day_dot);
    let date = day_date(year.value, u32::from(number), day.value)?;
    Some(mention(text, date, day.start, year.end, false))
}

/// "January 21, 2022", "Jan. 21st 2022", "February 1 2022".
fn month_day_year(text: &Text, day: Number, floor: usize) -> Option<DateMention> {
    if !(1..=31).contains(&day.value) {
        return None;
    }
    let mut end = text.skip_spaces_back(day.start);
    if end == day.start {
        return None;
    }
    if text.char_before(end) == Some('.') {
        end -= 1;
    }
    let month = month_before(text, end).filter(|m| m.start >= floor)?;
    let mut at = day.end;
    if let Some(word) = text.word_at(at) {
        if !word.is_any(&["st", "nd", "rd", "th"]) {
            return None;
        }
        at = word.end;
    }
    if text.at(at, b',') {
        at += 1;
    }
    let spaced = text.skip_spaces(at);
    if spaced == day.end {
        return None;
    }
    let year = text
        .number_of(spaced, 4, 4)
        .filter(|y| plausible_year(y.value))?;
    let number = month_number(text, month, false);
    let date = day_date(year.value, u32::from(number), day.value)?;
    Some(mention(text, date, month.start, year.end, false))
}

/// "gennaio 2022", "January 2022", "febrero de 2022", "в феврале 2022 года", "τον Φεβρουάριο του 2022".
fn month_year(text: &Text, year: Number, floor: usize) -> Option<DateMention> {
    let mut end = text.skip_spaces_back(year.start);
    if end == year.start {
        return None;
    }
    if text.char_before(end) == Some(',') {
        end = text.skip_spaces_back(end - 1);
    }
    if text.char_before(end) == Some('.') {
        end -= 1;
    }
    let mut word = text.word_before(end)?;
    if word.is_any(CONNECTORS) {
        end = text.skip_spaces_back(word.start);
        if end == word.start {
            return None;
        }
        if text.char_before(end) == Some('.') {
            end -= 1;
        }
        word = text.word_before(end)?;
    }
    // Weak abbreviations ("mar", "set") and lower-case English words ("may", "march") are months only
    // next to a day.
    let month = month_ending_with(text, word)
        .filter(|m| m.start >= floor && !m.name.weak && (m.capital || !m.name.cased))?;
    // A number right before the month means a day–month–year that failed to validate ("32 January 2022").
    let mut before = text.skip_spaces_back(month.start);
    if text.char_before(before) == Some('.') {
        before -= 1;
    }
    if text.char_before(before).is_some_and(|c| c.is_numeric()) {
        return None;
    }
    let number = month_number(text, month, false);
    let date = month_date(year.value, u32::from(number))?;
    Some(DateMention {
        date,
        start: month.start,
        end: year.end,
    })
}

/// The offset after a month name and the dot of its abbreviation, when written.
fn after_month(text: &Text, month: MonthAt) -> usize {
    let end = if text.at(month.end, b'.') {
        month.end + 1
    } else {
        month.end
    };
    text.skip_spaces(end)
}

/// The year after a month name: "febbraio 2022", "Feb. 2022", "January 21, 2022", "febrero de 2022".
fn year_after_month(text: &Text, month: MonthAt) -> Option<Number> {
    let mut at = month.end;
    if text.at(at, b'.') {
        at += 1;
    }
    if text.at(at, b',') {
        at += 1;
    } else if text.starts_with(at, "،") {
        at += "،".len();
    }
    let spaced = text.skip_spaces(at);
    if spaced == month.end {
        return None;
    }
    at = spaced;
    if let Some(word) = text.word_at(at).filter(|w| w.is_any(CONNECTORS)) {
        at = text.skip_spaces(word.end);
    }
    text.number_of(at, 4, 4).filter(|y| plausible_year(y.value))
}

/// The month a name means here. Croatian "listopad" is October where Polish and Czech mean November:
/// Croatian writes the day with a dot and the genitive "listopada" ("1. listopada"), Polish the same
/// genitive without the dot, Czech the dot with "listopadu"; "u listopadu" is Croatian, "v listopadu" Czech.
fn month_number(text: &Text, month: MonthAt, day_dot: bool) -> u8 {
    let Some(alternative) = month.name.alternative else {
        return month.name.month;
    };
    let genitive_with_dot = day_dot && month.folded.as_bytes().ends_with(b"a");
    let after_u = text
        .word_before(text.skip_spaces_back(month.start))
        .is_some_and(|w| w.is("u"));
    if genitive_with_dot || after_u {
        alternative
    } else {
        month.name.month
    }
}

/// The month name starting at `at`, with a second name of the same month after a slash
/// ("شباط/فبراير", "Feb/February").
fn month_at(text: &Text, at: usize) -> Option<MonthAt> {
    month_from(text, text.word_at(at)?)
}

/// The month name starting with `word`; see [`month_at`].
fn month_from(text: &Text, word: Word) -> Option<MonthAt> {
    let mut month = month_name_from(text, word)?;
    if text.at(month.end, b'/') {
        if let Some(second) = text
            .word_at(month.end + 1)
            .and_then(|w| month_name_from(text, w))
        {
            if second.name.month == month.name.month {
                month.end = second.end;
            }
        }
    }
    Some(month)
}

/// The month name (one word, or two for "كانون الثاني" and "meán fómhair") starting with `word`.
fn month_name_from(text: &Text, word: Word) -> Option<MonthAt> {
    if months::starts_two_word_name(&word.folded) {
        let next = text.skip_spaces(word.end);
        if let Some(second) = text.word_at(next).filter(|_| next > word.end) {
            let mut both = word.folded;
            if both.push(' ') && both.push_word(second.folded.as_str()) {
                if let Some(name) = months::lookup(&both) {
                    return Some(MonthAt {
                        start: word.start,
                        end: second.end,
                        name,
                        folded: both,
                        capital: word.capital,
                    });
                }
            }
        }
    }
    let name = months::lookup(&word.folded)?;
    Some(MonthAt {
        start: word.start,
        end: word.end,
        name,
        folded: word.folded,
        capital: word.capital,
    })
}

/// The month name ending exactly at `end`, including two-word names and "شباط/فبراير" pairs.
fn month_before(text: &Text, end: usize) -> Option<MonthAt> {
    month_ending_with(text, text.word_before(end)?)
}

/// The month name whose last word is `word`; see [`month_before`].
fn month_ending_with(text: &Text, word: Word) -> Option<MonthAt> {
    let single = month_name_from(text, word).filter(|m| m.end == word.end);
    let mut month = match single {
        Some(month) => month,
        None => {
            // The second word of "كانون الثاني" or "meán fómhair" is no month on its own.
            let before = text.skip_spaces_back(word.start);
            let first = text.word_before(before).filter(|_| before < word.start)?;
            month_name_from(text, first).filter(|m| m.end == word.end)?
        }
    };
    if text.char_before(month.start) == Some('/') {
        if let Some(pair) = text
            .word_before(month.start - 1)
            .and_then(|w| month_name_from(text, w))
        {
            if pair.name.month == month.name.month && pair.end == month.start - 1 {
                month.start = pair.start;
            }
        }
    }
    Some(month)
}
