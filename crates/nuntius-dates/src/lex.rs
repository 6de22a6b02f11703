//! Small readers over a text at a byte offset: numbers (ASCII and Arabic-Indic digits), spaces,
//! words folded for lookup. Every reader returns byte offsets on char boundaries.

use crate::fold::{is_word_char, Folded, CAPACITY as WORD_CAPACITY};

/// A run of digits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number {
    pub start: usize,
    pub end: usize,
    /// The value, saturated; meaningless when `digits` is large.
    pub value: u32,
    pub digits: usize,
}

/// A word and its folded form.
#[derive(Clone, Copy)]
pub(crate) struct Word {
    pub start: usize,
    pub end: usize,
    pub folded: Folded,
    /// Whether the word starts with an upper-case letter.
    pub capital: bool,
}

impl Word {
    pub(crate) fn is(&self, folded: &str) -> bool {
        self.folded.as_bytes() == folded.as_bytes()
    }

    pub(crate) fn is_any(&self, folded: &[&str]) -> bool {
        folded.iter().any(|f| self.is(f))
    }
}

/// A text being read.
#[derive(Clone, Copy)]
pub(crate) struct Text<'a> {
    pub text: &'a str,
    pub bytes: &'a [u8],
}

impl<'a> Text<'a> {
    pub(crate) fn new(text: &'a str) -> Text<'a> {
        Text {
            text,
            bytes: text.as_bytes(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn byte(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// Whether the byte at `i` is `b`.
    pub(crate) fn at(&self, i: usize, b: u8) -> bool {
        self.byte(i) == Some(b)
    }

    pub(crate) fn starts_with(&self, i: usize, s: &str) -> bool {
        self.bytes
            .get(i..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    }

    /// The digit at `i` and its width in bytes: ASCII, Arabic-Indic (U+0660..) or Eastern Arabic-Indic (U+06F0..).
    pub(crate) fn digit_at(&self, i: usize) -> Option<(u32, usize)> {
        let b = self.byte(i)?;
        if b.is_ascii_digit() {
            return Some((u32::from(b - b'0'), 1));
        }
        let next = self.byte(i + 1)?;
        match (b, next) {
            (0xD9, 0xA0..=0xA9) => Some((u32::from(next - 0xA0), 2)),
            (0xDB, 0xB0..=0xB9) => Some((u32::from(next - 0xB0), 2)),
            _ => None,
        }
    }

    pub(crate) fn is_digit_at(&self, i: usize) -> bool {
        self.digit_at(i).is_some()
    }

    /// The run of digits starting at `i`.
    pub(crate) fn number_at(&self, i: usize) -> Option<Number> {
        let mut end = i;
        let mut value: u32 = 0;
        let mut digits = 0;
        while let Some((d, width)) = self.digit_at(end) {
            value = value.saturating_mul(10).saturating_add(d);
            digits += 1;
            end += width;
        }
        (digits > 0).then_some(Number {
            start: i,
            end,
            value,
            digits,
        })
    }

    /// A number of `min..=max` digits at `i`.
    pub(crate) fn number_of(&self, i: usize, min: usize, max: usize) -> Option<Number> {
        self.number_at(i)
            .filter(|n| (min..=max).contains(&n.digits))
    }

    /// Width of the whitespace char at `i` (0 when none): ASCII spaces, no-break and thin spaces.
    pub(crate) fn space_len(&self, i: usize) -> usize {
        match self.byte(i) {
            Some(b' ' | b'\t' | b'\n' | b'\r') => 1,
            Some(0xC2) if self.at(i + 1, 0xA0) => 2,
            Some(0xE2) if self.at(i + 1, 0x80) && matches!(self.byte(i + 2), Some(0x89 | 0xAF)) => {
                3
            }
            _ => 0,
        }
    }

    /// The offset after the whitespace run at `i`.
    pub(crate) fn skip_spaces(&self, mut i: usize) -> usize {
        loop {
            let width = self.space_len(i);
            if width == 0 {
                return i;
            }
            i += width;
        }
    }

    /// The offset before the whitespace run that ends at `i`.
    pub(crate) fn skip_spaces_back(&self, i: usize) -> usize {
        let mut start = i;
        for (at, c) in self.text[..i].char_indices().rev() {
            if !(c.is_whitespace()) {
                break;
            }
            start = at;
        }
        start
    }

    pub(crate) fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..)?.chars().next()
    }

    pub(crate) fn char_before(&self, i: usize) -> Option<char> {
        self.text.get(..i)?.chars().next_back()
    }

    /// The word starting at `i`.
    pub(crate) fn word_at(&self, i: usize) -> Option<Word> {
        let rest = self.text.get(i..)?;
        let mut folded = Folded::new();
        // Most words are ASCII: fold those bytes directly, and decode chars only from the first other one.
        // One byte past the capacity is enough to know the word is too long.
        let ascii = rest
            .bytes()
            .take(WORD_CAPACITY + 1)
            .take_while(u8::is_ascii_alphabetic)
            .count();
        for &b in &rest.as_bytes()[..ascii] {
            if !folded.push_ascii(b.to_ascii_lowercase()) {
                return None;
            }
        }
        let capital = rest.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
        let mut end = i + ascii;
        if rest.as_bytes().get(ascii).is_none_or(u8::is_ascii) {
            return (end > i).then_some(Word {
                start: i,
                end,
                folded,
                capital,
            });
        }
        let mut capital = capital;
        for (at, c) in rest[ascii..].char_indices() {
            let at = at + ascii;
            if !is_word_char(c) {
                break;
            }
            if at == 0 {
                capital = c.is_uppercase();
            }
            if let Some(f) = crate::fold::fold_char(c) {
                if !folded.push(f) {
                    return None;
                }
            }
            end = i + at + c.len_utf8();
        }
        (end > i).then_some(Word {
            start: i,
            end,
            folded,
            capital,
        })
    }

    /// The word ending exactly at `i`.
    pub(crate) fn word_before(&self, i: usize) -> Option<Word> {
        let head = self.text.get(..i)?;
        let mut start = i;
        for (count, (at, c)) in head.char_indices().rev().enumerate() {
            if !is_word_char(c) {
                break;
            }
            if count == WORD_CAPACITY {
                // Too long for a month name; stop before reading a whole run of letters.
                return None;
            }
            start = at;
        }
        self.word_at(start).filter(|w| w.end == i)
    }
}
